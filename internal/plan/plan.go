// Package plan runs every synthesized stack through Terraform itself:
// `terraform init`, `terraform validate` with the real hashicorp/aws
// provider, and a plan in `terraform test` with the same real provider,
// offline: fake credentials with every account and metadata check skipped,
// and each data source replaced by an override_data fixture (fixtures.go),
// since data sources are the only thing a plan of new resources reads from
// AWS. Real Terraform core evaluates every expression against the real
// provider's schema, runs its validators and its plan-time logic
// (CustomizeDiff: which values are known at plan, which changes force
// replacement). What only AWS checks at apply time (API rules, quotas, IAM)
// is not proved here.
//
// A mock_provider is deliberately not used for the plan: it makes every
// computed value either wholly unknown or wholly known, so it cannot
// reproduce a value the real provider knows only in part at plan time
// (aws_acm_certificate.domain_validation_options: domain names known,
// records not), and a for_each over it passes or fails for the wrong
// reason.
//
// It works in a scratch directory and never edits cdktf.out: each stack's
// cdk.tf.json is copied next to an override file that replaces its S3
// backend with a local one. The provider is the exact version the stack
// requires, from the mirror or the registry.
package plan

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultMirror is where the machines this project is developed on carry a
// filesystem mirror of the hashicorp/aws provider (Terraform's mirror
// layout: registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/), under
// the FHS directory for add-on software packages. The MirrorEnv variable
// overrides it.
const DefaultMirror = "/opt/tf-plugins"

// MirrorEnv names the environment variable that overrides DefaultMirror.
const MirrorEnv = "INFLUENCEGEN_PROVIDER_MIRROR"

// Options says which stacks to check and how.
type Options struct {
	// Outdir is the cdktf output directory holding stacks/<name>/cdk.tf.json.
	// Default: "cdktf.out".
	Outdir string
	// Stacks limits the check to these stack names. Default: every stack
	// under Outdir/stacks.
	Stacks []string
	// Mirror is the provider filesystem mirror. Default: $MirrorEnv, else
	// DefaultMirror; when the directory does not exist, providers come from
	// the registry (a user's machine) through a plugin cache.
	Mirror string
	// Terraform is the terraform binary. Default: "terraform" on PATH.
	Terraform string
	// Scratch is where the working copies go. Default: a new temporary
	// directory, removed afterwards.
	Scratch string
	// Parallel is how many stacks run at once. Default: the number of CPUs,
	// at most 4.
	Parallel int
	// Extra adds files to every stack's scratch directory before Terraform
	// runs (name → content), e.g. a further test file. Default: none.
	Extra map[string]string
	// Scenarios are day-2 operations to plan, by stack name. Default: none.
	Scenarios map[string][]Scenario
	// Deploy lists stacks to mock-deploy even without a scenario, for
	// their Result.Deployed (e.g. the shared stack's outputs, which the
	// bootstrap runbook turns into GitHub variables). Default: none.
	Deploy []string
	// DeployOnly skips the plan with the real provider of the stacks in
	// Deploy that have no scenario: only their mock deployment runs
	// (Result.Planned stays -1). Default: false (every stack is planned).
	DeployOnly bool
	// AccountID is the account the mock deployment's IAM roles live in:
	// each aws_iam_role with a literal name gets the ARN AWS gives it,
	// arn:aws:iam::<AccountID>:role/<path><name> (IAM user guide, "IAM
	// identifiers"), instead of one example ARN for every role. Default:
	// "" (every role gets mockResourceDefaults' example ARN).
	AccountID string

	// secretsEndpoint is the Secrets Manager stand-in's URL (Run sets it).
	secretsEndpoint string
}

// Scenario is a change planned against an existing deployment: the stack
// is first "applied" with a mock of the provider (so every resource exists
// in a state, with well-formed computed values), then planned with the
// real provider, offline, without refreshing, replacing the named
// resources (the runbook's `-replace`) and with the arguments in Override
// changed. Every scenario of a stack plans against the same deployment,
// in one `terraform test`, so a stack is initialised and deployed once.
//
// Override is how a test plants a change in the code without a second
// copy of the stack: the harness sets each overridden argument to
// `var.scenario == "<Name>" ? <value> : <the stack's own value>`, so the
// deployment and every other scenario see the stack as synthesized.
type Scenario struct {
	// Name names the run; its plan is Result.Plans[Name]. It must be a
	// Terraform identifier and not "plan", "certificates" or "deployed".
	Name string
	// Replace are the addresses to replace, e.g. "aws_instance.ai_server-1_32C6CC3B".
	// Default: none.
	Replace []string
	// Override changes top-level arguments of resources in this run only:
	// address ("aws_ebs_volume.ai_model-volume-1_ABCD") → argument → value
	// in Terraform JSON syntax (a literal, or a "${…}" expression).
	// Default: none.
	Override map[string]map[string]any
	// Remove are resources of the stack that this run's configuration no
	// longer has: the deployment creates them, this run plans their
	// destruction. The harness gives each `count = 1` outside the runs
	// that remove it (its address gains an index: "aws_s3_bucket.b[0]"),
	// so everything that references it must be removed too; a reference
	// from a resource that stays is refused, naming it. Default: none.
	Remove []string
	// Add are resources and data sources that exist in this run only, as a
	// synthesized stack holds them: "resource" or "data" → type → logical
	// name → body (e.g. what a Scale switch adds). Each gets
	// count = var.scenario == "<Name>" ? 1 : 0, so the deployment and
	// every other run have none, and the references among them are indexed
	// [0]; their references to the stack's own resources stay as they are.
	// Default: none.
	Add map[string]map[string]map[string]any
}

// Result is the outcome for one stack.
type Result struct {
	// Stack is the stack name.
	Stack string
	// ProviderVersion is the hashicorp/aws version `terraform init`
	// installed ("" when init did not run).
	ProviderVersion string
	// Validated is true when `terraform validate` passed.
	Validated bool
	// Planned is the number of resource instances the plan creates, updates
	// or replaces; -1 when the plan did not run.
	Planned int
	// Duration is the wall time of init, validate and plan.
	Duration time.Duration
	// Err is Terraform's first error ("" when the stack passed).
	Err string
	// Plans are the plans of each run block (run name → plan JSON as
	// Terraform prints it with -verbose), for tests that inspect them.
	Plans map[string]json.RawMessage
	// Deployed is the state the mock deployment left (Terraform's JSON
	// state representation: root_module.resources and outputs, as
	// `terraform show -json` prints them); nil when the stack was not
	// deployed (no scenario, not in Options.Deploy).
	Deployed json.RawMessage
}

// OK reports whether the stack passed both validate and plan.
func (r Result) OK() bool { return r.Err == "" }

// Setup is what Run decided about providers, for the report.
type Setup struct {
	// Source is "mirror <dir>" or "registry (plugin cache <dir>)".
	Source string
	// Generated are the values the Secrets Manager stand-in handed out
	// (secretsmanager.go) while the stacks were planned and deployed.
	Generated []string
}

// Run checks every stack and returns one result per stack, in name order.
// It returns an error only when it cannot run at all (no stacks, no
// terraform); a stack Terraform rejects is a Result with Err set.
func Run(ctx context.Context, o Options) (Setup, []Result, error) {
	var setup Setup
	if o.Outdir == "" {
		o.Outdir = "cdktf.out"
	}
	if o.Terraform == "" {
		o.Terraform = "terraform"
	}
	tf, err := exec.LookPath(o.Terraform)
	if err != nil {
		return setup, nil, fmt.Errorf("plan: %s not found: install Terraform ≥ 1.10 (https://developer.hashicorp.com/terraform/install)", o.Terraform)
	}
	o.Terraform = tf
	names, err := stackNames(o.Outdir, o.Stacks)
	if err != nil {
		return setup, nil, err
	}
	if o.Mirror == "" {
		o.Mirror = os.Getenv(MirrorEnv)
	}
	if o.Mirror == "" {
		o.Mirror = DefaultMirror
	}
	mirrorVersions := providerVersions(o.Mirror)
	if len(mirrorVersions) == 0 {
		o.Mirror = ""
	}
	if o.Scratch == "" {
		dir, err := os.MkdirTemp("", "influencegen-plan-")
		if err != nil {
			return setup, nil, err
		}
		defer os.RemoveAll(dir)
		o.Scratch = dir
	}
	env, source, err := terraformEnv(o)
	if err != nil {
		return setup, nil, err
	}
	setup.Source = source
	if o.Parallel <= 0 {
		o.Parallel = min(runtime.NumCPU(), 4)
	}
	secrets, err := StartSecretsStandIn()
	if err != nil {
		return setup, nil, err
	}
	defer secrets.Close()
	o.secretsEndpoint = secrets.URL

	results := make([]Result, len(names))
	sem := make(chan struct{}, o.Parallel)
	var wg sync.WaitGroup
	for n, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[n] = checkStack(ctx, o, env, mirrorVersions, name)
		}()
	}
	wg.Wait()
	setup.Generated = secrets.Generated()
	return setup, results, nil
}

// stackNames lists the stacks under outdir/stacks, or checks that the asked
// ones exist.
func stackNames(outdir string, want []string) ([]string, error) {
	files, _ := filepath.Glob(filepath.Join(outdir, "stacks", "*", "cdk.tf.json"))
	have := map[string]bool{}
	var names []string
	for _, f := range files {
		n := filepath.Base(filepath.Dir(f))
		have[n] = true
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("plan: no stacks under %s/stacks: run `make synth` first", outdir)
	}
	if len(want) == 0 {
		sort.Strings(names)
		return names, nil
	}
	for _, w := range want {
		if !have[w] {
			return nil, fmt.Errorf("plan: no stack %q under %s/stacks (have %s)", w, outdir, strings.Join(names, ", "))
		}
	}
	return want, nil
}

// providerVersions lists the hashicorp/aws versions in a filesystem mirror
// for this platform, newest first.
func providerVersions(mirror string) []string {
	if mirror == "" {
		return nil
	}
	dir := filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), platformDir())); err == nil {
			if _, ok := parseVersion(e.Name()); ok {
				out = append(out, e.Name())
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return versionLess(out[j], out[i]) })
	return out
}

// terraformEnv is the environment Terraform runs with: no calls home, and a
// CLI configuration of its own when the inherited one names a missing file
// (Terraform would warn on every command). Without a mirror, providers come
// from the registry through a plugin cache shared by every stack and run.
func terraformEnv(o Options) ([]string, string, error) {
	env := []string{"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0"}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "CHECKPOINT_DISABLE", "TF_IN_AUTOMATION", "TF_INPUT", "TF_LOG", "TF_WORKSPACE", "TF_DATA_DIR":
			continue
		case "TF_CLI_CONFIG_FILE":
			if _, err := os.Stat(strings.TrimPrefix(kv, k+"=")); err != nil {
				continue
			}
		}
		env = append(env, kv)
	}
	if o.Mirror != "" {
		return env, "filesystem mirror " + o.Mirror, nil
	}
	cache := os.Getenv("TF_PLUGIN_CACHE_DIR")
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		cache = filepath.Join(base, "influencegen-terraform-plugins")
		env = append(env, "TF_PLUGIN_CACHE_DIR="+cache)
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, "", err
	}
	return env, "registry.terraform.io (plugin cache " + cache + ")", nil
}

// checkStack runs init, validate and the offline plan of one stack.
func checkStack(ctx context.Context, o Options, env []string, mirrorVersions []string, name string) Result {
	start := time.Now()
	r := Result{Stack: name, Planned: -1}
	fail := func(err error) Result {
		r.Err = err.Error()
		r.Duration = time.Since(start)
		return r
	}
	raw, err := os.ReadFile(filepath.Join(o.Outdir, "stacks", name, "cdk.tf.json"))
	if err != nil {
		return fail(err)
	}
	var stack map[string]any
	if err := json.Unmarshal(raw, &stack); err != nil {
		return fail(fmt.Errorf("cdk.tf.json: %w", err))
	}
	dir := filepath.Join(o.Scratch, name)
	if err := os.MkdirAll(filepath.Join(dir, "tests"), 0o755); err != nil {
		return fail(err)
	}
	ephemeralAliases, err := moveEphemerals(stack)
	if err != nil {
		return fail(err)
	}
	if len(ephemeralAliases) > 0 {
		if raw, err = json.MarshalIndent(stack, "", "  "); err != nil {
			return fail(err)
		}
	}
	override, err := overrideFile(stack, mirrorVersions)
	if err != nil {
		return fail(err)
	}
	test, err := testFile(stack, o.secretsEndpoint)
	if err != nil {
		return fail(err)
	}
	files := map[string][]byte{
		"cdk.tf.json":              raw,
		"zz_plan_override.tf.json": override,
		"tests/plan.tftest.hcl":    []byte(test),
	}
	if len(ephemeralAliases) > 0 {
		files["zz_harness_ephemeral.tf.json"] = ephemeralProviderFile(stack)
	}
	if o.DeployOnly && slices.Contains(o.Deploy, name) && len(o.Scenarios[name]) == 0 {
		delete(files, "tests/plan.tftest.hcl")
	}
	if sc := o.Scenarios[name]; len(sc) > 0 || slices.Contains(o.Deploy, name) {
		f, err := scenarioFile(stack, sc, o.AccountID, o.secretsEndpoint)
		if err != nil {
			return fail(err)
		}
		files["tests/scenarios.tftest.hcl"] = []byte(f)
		defaults, err := scenarioOverride(stack, sc)
		if err != nil {
			return fail(err)
		}
		files["zz_scenario_override.tf.json"] = defaults
		files["zz_scenario_variable.tf.json"] = []byte(scenarioVariable)
		added, err := scenarioAdditions(stack, sc)
		if err != nil {
			return fail(err)
		}
		if added != nil {
			files[addedFile] = added
		}
	}
	for n, c := range o.Extra {
		files[n] = []byte(c)
	}
	for n, c := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fail(err)
		}
		if err := os.WriteFile(p, c, 0o644); err != nil {
			return fail(err)
		}
	}

	initArgs := []string{"init", "-input=false", "-no-color", "-backend=true"}
	if o.Mirror != "" {
		// -plugin-dir installs from the mirror only and never asks a
		// registry: offline-safe.
		initArgs = append(initArgs, "-plugin-dir="+o.Mirror)
	}
	if out, err := terraform(ctx, o.Terraform, dir, env, initArgs...); err != nil {
		return fail(fmt.Errorf("init: %s", firstError(out)))
	}
	out, err := terraform(ctx, o.Terraform, dir, env, "validate", "-json", "-no-color")
	if msg := validateError(out); msg != "" || err != nil {
		if msg == "" {
			msg = strings.TrimSpace(string(out))
		}
		return fail(fmt.Errorf("validate: %s", msg))
	}
	r.ProviderVersion = lockedProvider(dir)
	r.Validated = true
	out, err = terraform(ctx, o.Terraform, dir, env, "test", "-json", "-verbose", "-no-color")
	plans, planned, msg := testOutcome(out)
	r.Plans = plans
	r.Deployed = plans[deployedState]
	delete(plans, deployedState)
	if msg == "" && err != nil {
		msg = "terraform test failed: " + lastLines(out, 5)
	}
	r.Duration = time.Since(start)
	if msg != "" {
		r.Err = "plan: " + msg
		return r
	}
	if _, planRun := files["tests/plan.tftest.hcl"]; planRun {
		r.Planned = planned
	}
	return r
}

// overrideFile replaces the stack's backend with a local one. The stack's
// provider version is planned as it is: when a mirror is used it must hold
// exactly that version (a plan with another provider would prove nothing
// about the one that deploys).
func overrideFile(stack map[string]any, mirrorVersions []string) ([]byte, error) {
	tfBlock := map[string]any{"backend": map[string]any{"local": map[string]any{"path": "terraform.tfstate"}}}
	pinned := RequiredProvider(stack)
	if pinned == "" {
		return nil, fmt.Errorf("the stack requires no exact hashicorp/aws version (terraform.required_providers.aws.version): pin one, so that the provider planned is the provider deployed")
	}
	if len(mirrorVersions) > 0 && !slices.Contains(mirrorVersions, pinned) {
		return nil, fmt.Errorf("the stack requires hashicorp/aws %s and the provider mirror has %s: add %s to the mirror (terraform providers mirror), or unset %s to install it from the registry",
			pinned, strings.Join(mirrorVersions, ", "), pinned, MirrorEnv)
	}
	return json.MarshalIndent(map[string]any{"terraform": tfBlock}, "", "  ")
}

// RequiredProvider returns the exact hashicorp/aws version a synthesized
// stack requires, or "" when it requires none or a range.
func RequiredProvider(stack map[string]any) string {
	t, _ := stack["terraform"].(map[string]any)
	rp, _ := t["required_providers"].(map[string]any)
	aws, _ := rp["aws"].(map[string]any)
	v, _ := aws["version"].(string)
	if _, ok := parseVersion(v); !ok {
		return ""
	}
	return v
}

// lockedProvider reads the hashicorp/aws version `terraform init` selected
// from the dependency lock file it wrote in dir.
func lockedProvider(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, ".terraform.lock.hcl"))
	if err != nil {
		return ""
	}
	m := lockVersion.FindSubmatch(b)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// lockVersion finds the version of hashicorp/aws in a dependency lock file.
var lockVersion = regexp.MustCompile(`provider "registry\.terraform\.io/hashicorp/aws" \{\s*version\s*=\s*"([^"]+)"`)

// testFile is the tests/plan.tftest.hcl of one stack: the stack's provider
// configurations made offline, one override_data per data source, and a
// plan.
func testFile(stack map[string]any, secretsEndpoint string) (string, error) {
	var b strings.Builder
	b.WriteString("# Written by internal/plan: plan the stack with the real provider, offline.\n")
	if err := offline(&b, stack, secretsEndpoint); err != nil {
		return "", err
	}
	b.WriteString("\nrun \"plan\" {\n  command = plan\n}\n")
	return b.String(), nil
}

// scenarioFile is tests/scenarios.tftest.hcl: the offline real provider
// and, aliased "fake", a mock of it whose computed values have the real
// shapes (mockResourceDefaults); a run that creates the stack with the
// mock, then one plan per scenario with the real provider.
func scenarioFile(stack map[string]any, scenarios []Scenario, account, secretsEndpoint string) (string, error) {
	var b strings.Builder
	b.WriteString("# Written by internal/plan: day-2 operations planned against a (mock) deployment.\n")
	// The data sources a scenario adds need their fixtures too.
	withAdded := map[string]any{}
	for k, v := range stack {
		withAdded[k] = v
	}
	data := map[string]any{}
	for typ, named := range asMap(stack["data"]) {
		data[typ] = named
	}
	for _, sc := range scenarios {
		for typ, named := range sc.Add["data"] {
			all := map[string]any{}
			for n, v := range asMap(data[typ]) {
				all[n] = v
			}
			for n, v := range named {
				all[n] = v
			}
			data[typ] = all
		}
	}
	withAdded["data"] = data
	if err := offline(&b, withAdded, secretsEndpoint); err != nil {
		return "", err
	}
	b.WriteString("\nmock_provider \"aws\" {\n  alias = \"fake\"\n")
	for _, typ := range sortedKeys(mockResourceDefaults) {
		fmt.Fprintf(&b, "\n  mock_resource %q {\n    defaults = {%s\n    }\n  }\n", typ, mockResourceDefaults[typ])
	}
	// A mock knows a computed value wholly or not at all, so the
	// validation records' for_each over a new certificate's options is
	// unknown to it at plan. The mock deployment therefore creates the
	// certificates first (with the options a deployed certificate holds:
	// one record per domain), then everything else.
	resources, _ := stack["resource"].(map[string]any)
	certs, _ := resources["aws_acm_certificate"].(map[string]any)
	var targets, overrides []string
	for _, name := range sortedKeys(certs) {
		c, _ := certs[name].(map[string]any)
		if c["validation_method"] != "DNS" {
			continue
		}
		domains := []any{c["domain_name"]}
		if sans, ok := c["subject_alternative_names"].([]any); ok {
			domains = append(domains, sans...)
		}
		var elems []string
		for _, d := range domains {
			domain, ok := d.(string)
			if !ok || strings.Contains(domain, "${") {
				return "", fmt.Errorf("aws_acm_certificate.%s: domain %v is not a literal", name, d)
			}
			// Without the trailing dot ACM returns: aws_route53_record
			// stores names without it, and a mock does not normalise.
			elems = append(elems, fmt.Sprintf("{ domain_name = %q, resource_record_name = %q, resource_record_type = \"CNAME\", resource_record_value = \"_0123456789abcdef.acm-validations.aws.\" }", domain, "_0123456789abcdef."+domain))
		}
		targets = append(targets, "aws_acm_certificate."+name)
		tags := ""
		if t := tagsAll(stack, c); t != "" {
			tags = "\n      tags_all = " + t
		}
		overrides = append(overrides, fmt.Sprintf("\n  override_resource {\n    target = aws_acm_certificate.%s\n    values = {\n      arn = \"arn:aws:acm:eu-central-1:123456789012:certificate/0123abcd-4567-89ab-cdef-0123456789ab\"\n      domain_validation_options = [\n        %s,\n      ]%s\n    }\n  }\n",
			name, strings.Join(elems, ",\n        "), tags))
	}
	b.WriteString("}\n")
	// Every provider configuration of the stack (the default one and any
	// alias, e.g. the backup copy region's) is the mock in the mock runs.
	fake := []string{"aws = aws.fake"}
	providers, _ := stack["provider"].(map[string]any)
	configs, _ := providers["aws"].([]any)
	for _, c := range configs {
		if alias, ok := c.(map[string]any)["alias"].(string); ok && alias != "" {
			fake = append(fake, fmt.Sprintf("aws.%s = aws.fake", alias))
		}
	}
	// The ephemeral resources keep the real provider (their own alias,
	// moveEphemerals): Terraform 1.11 cannot mock them.
	for _, alias := range ephemeralAliasNames(stack) {
		fake = append(fake, fmt.Sprintf("aws.%s = aws.%s", alias, alias))
	}
	mocked := strings.Join(fake, ", ")
	if len(targets) > 0 {
		fmt.Fprintf(&b, "\nrun \"certificates\" {\n  command   = apply\n  providers = { %s }\n  plan_options {\n    target = [%s]\n  }\n%s}\n", mocked, strings.Join(targets, ", "), strings.Join(overrides, ""))
	}
	created := map[string]bool{}
	for _, t := range targets {
		created[t] = true
	}
	fmt.Fprintf(&b, "\nrun \"deployed\" {\n  command   = apply\n  providers = { %s }\n%s}\n", mocked, deployedOverrides(stack, created, roleArns(stack, account)))
	for _, sc := range scenarios {
		fmt.Fprintf(&b, "\nrun %q {\n  command = plan\n  variables {\n    scenario = %q\n  }\n  plan_options {\n    refresh = false\n    replace = [%s]\n  }\n}\n", sc.Name, sc.Name, strings.Join(sc.Replace, ", "))
	}
	return b.String(), nil
}

// roleArns are the deployed run's overrides giving every aws_iam_role with
// a literal name its real ARN in account (none when account is ""): a
// consumer of the deployment (the shared stack's role ARN outputs) can then
// tell the roles apart and find each one's policies.
func roleArns(stack map[string]any, account string) map[string]string {
	if account == "" {
		return nil
	}
	resources, _ := stack["resource"].(map[string]any)
	roles, _ := resources["aws_iam_role"].(map[string]any)
	arns := map[string]string{}
	for _, id := range sortedKeys(roles) {
		r, _ := roles[id].(map[string]any)
		name, _ := r["name"].(string)
		if name == "" || strings.Contains(name, "${") {
			continue
		}
		path, _ := r["path"].(string)
		if path == "" {
			path = "/"
		}
		arns["aws_iam_role."+id] = fmt.Sprintf("arn = %q", fmt.Sprintf("arn:aws:iam::%s:role%s%s", account, path, name))
	}
	return arns
}

// scenarioVariable declares the variable that tells the runs apart: ""
// in the deployment, a scenario's name in its plan.
const scenarioVariable = `{
  "variable": {
    "scenario": {
      "type": "string",
      "default": "",
      "description": "internal/plan: the scenario being planned (\"\" = the stack as synthesized)"
    }
  }
}
`

// deployedState is the key under which testOutcome returns the mock
// deployment's state among the plans ("@" is not in a run name).
const deployedState = "@deployed"

// reservedRuns are the run names the harness writes itself.
var reservedRuns = []string{"plan", "certificates", "deployed"}

// withDefaults returns the arguments of a resource of type typ that
// providerDefaults completes: each top-level default the resource leaves
// out, and each nested block it has with the block's defaults filled in
// ("block.attribute": every instance of the block).
func withDefaults(typ string, attrs map[string]any) map[string]any {
	out := map[string]any{}
	defaults := providerDefaults[typ]
	for _, k := range sortedKeys(defaults) {
		block, below, nested := strings.Cut(k, ".")
		if !nested {
			if _, given := attrs[k]; !given {
				out[k] = defaults[k]
			}
			continue
		}
		v, ok := out[block]
		if !ok {
			v = attrs[block]
		}
		if v != nil {
			out[block] = fillDefaults(v, strings.Split(below, "."), defaults[k])
		}
	}
	return out
}

// scenarioOverride is the override file of a stack with scenarios:
//   - providerDefaults written out where the stack leaves them out (see
//     providerDefaults);
//   - prevent_destroy off: `terraform test` destroys what its runs
//     created, and prevent_destroy would refuse that teardown. A scenario
//     that deletes a protected resource shows it as a delete action in
//     its plan, which is what tests read;
//   - each scenario's Override, behind var.scenario.
func scenarioOverride(stack map[string]any, scenarios []Scenario) ([]byte, error) {
	out := map[string]map[string]map[string]any{}
	set := func(typ, name, arg string, v any) {
		if out[typ] == nil {
			out[typ] = map[string]map[string]any{}
		}
		if out[typ][name] == nil {
			out[typ][name] = map[string]any{}
		}
		out[typ][name][arg] = v
	}
	current := func(typ, name, arg string) (any, bool) {
		v, ok := out[typ][name][arg]
		return v, ok
	}
	resources, _ := stack["resource"].(map[string]any)
	for typ := range providerDefaults {
		named, _ := resources[typ].(map[string]any)
		for name, r := range named {
			attrs, _ := r.(map[string]any)
			for arg, v := range withDefaults(typ, attrs) {
				set(typ, name, arg, v)
			}
		}
	}
	for typ, named := range resources {
		for name, r := range named.(map[string]any) {
			attrs, _ := r.(map[string]any)
			lc, _ := attrs["lifecycle"].(map[string]any)
			ignored := unwrittenPaths(attrs, unwritableDefaults[typ])
			if lc["prevent_destroy"] != true && len(ignored) == 0 {
				continue
			}
			// An override's lifecycle replaces each argument it sets.
			merged := map[string]any{}
			if lc["prevent_destroy"] == true {
				merged["prevent_destroy"] = false
			}
			if len(ignored) > 0 {
				given, _ := lc["ignore_changes"].([]any)
				merged["ignore_changes"] = append(slices.Clone(given), ignored...)
			}
			set(typ, name, "lifecycle", merged)
		}
	}
	// address → argument → scenario → value, so that two scenarios that
	// override one argument nest their conditions.
	planted := map[string]map[string]map[string]any{}
	for _, sc := range scenarios {
		if !hclIdentifier.MatchString(sc.Name) || slices.Contains(reservedRuns, sc.Name) {
			return nil, fmt.Errorf("scenario %q: a name must be a Terraform identifier other than %s", sc.Name, strings.Join(reservedRuns, ", "))
		}
		for addr, args := range sc.Override {
			typ, name, ok := strings.Cut(addr, ".")
			r, found := resources[typ].(map[string]any)[name].(map[string]any)
			if !ok || !found {
				return nil, fmt.Errorf("scenario %s: no resource %s in the stack", sc.Name, addr)
			}
			for arg, v := range args {
				if arg == "lifecycle" || arg == "count" || arg == "for_each" || arg == "provider" || arg == "depends_on" {
					return nil, fmt.Errorf("scenario %s: %s.%s is a meta-argument; Override changes arguments only", sc.Name, addr, arg)
				}
				if _, isMap := r[arg].(map[string]any); isMap {
					return nil, fmt.Errorf("scenario %s: %s.%s is a block; Override changes arguments only", sc.Name, addr, arg)
				}
				if slices.ContainsFunc(providerDefaultBlocks(typ), func(b string) bool { return b == arg }) {
					return nil, fmt.Errorf("scenario %s: %s.%s is a block the harness completes with provider defaults; Override changes arguments only", sc.Name, addr, arg)
				}
				if planted[addr] == nil {
					planted[addr] = map[string]map[string]any{}
				}
				if planted[addr][arg] == nil {
					planted[addr][arg] = map[string]any{}
				}
				planted[addr][arg][sc.Name] = v
			}
		}
	}
	for _, addr := range sortedKeys(planted) {
		typ, name, _ := strings.Cut(addr, ".")
		r := resources[typ].(map[string]any)[name].(map[string]any)
		for _, arg := range sortedKeys(planted[addr]) {
			expr, err := hclValue(r[arg])
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", addr, arg, err)
			}
			bySc := planted[addr][arg]
			for _, scName := range slices.Backward(sortedKeys(bySc)) {
				v, err := hclValue(bySc[scName])
				if err != nil {
					return nil, fmt.Errorf("scenario %s: %s.%s: %w", scName, addr, arg, err)
				}
				expr = fmt.Sprintf("var.scenario == %q ? %s : %s", scName, v, expr)
			}
			set(typ, name, arg, "${"+expr+"}")
		}
	}
	outputs, err := plantRemovals(stack, scenarios, set, current)
	if err != nil {
		return nil, err
	}
	file := map[string]any{"resource": out}
	if len(outputs) > 0 {
		file["output"] = outputs
	}
	return json.MarshalIndent(file, "", "  ")
}

// scenarioAdditions is addedFile: every scenario's Add, each
// resource and data source counted behind var.scenario, references among
// the added ones indexed [0], the provider's defaults written out as for
// the stack (providerDefaults). nil when no scenario adds anything.
func scenarioAdditions(stack map[string]any, scenarios []Scenario) ([]byte, error) {
	out := map[string]map[string]map[string]any{}
	added := map[string]bool{} // "aws_x.name" and "data.aws_x.name"
	for _, sc := range scenarios {
		for kind, types := range sc.Add {
			if kind != "resource" && kind != "data" {
				return nil, fmt.Errorf("scenario %s: Add holds %q: only resource and data", sc.Name, kind)
			}
			for typ, named := range types {
				for name := range named {
					addr := typ + "." + name
					if kind == "data" {
						addr = "data." + addr
					}
					if added[addr] {
						return nil, fmt.Errorf("scenario %s: %s is added by two scenarios", sc.Name, addr)
					}
					if _, exists := asMap(asMap(stack[kind])[typ])[name]; exists {
						return nil, fmt.Errorf("scenario %s: %s is already in the stack", sc.Name, addr)
					}
					added[addr] = true
				}
			}
		}
	}
	if len(added) == 0 {
		return nil, nil
	}
	for _, sc := range scenarios {
		for kind, types := range sc.Add {
			for typ, named := range types {
				for name, body := range named {
					b, err := json.Marshal(body)
					if err != nil {
						return nil, err
					}
					text := indexAdded(string(b), added)
					var r map[string]any
					if err := json.Unmarshal([]byte(text), &r); err != nil {
						return nil, err
					}
					if _, ok := r["count"]; ok {
						return nil, fmt.Errorf("scenario %s: %s.%s has a count of its own", sc.Name, typ, name)
					}
					if _, ok := r["for_each"]; ok {
						return nil, fmt.Errorf("scenario %s: %s.%s has a for_each", sc.Name, typ, name)
					}
					r["count"] = fmt.Sprintf("${var.scenario == %q ? 1 : 0}", sc.Name)
					if kind == "resource" {
						for k, v := range withDefaults(typ, r) {
							r[k] = v
						}
						if lc, ok := r["lifecycle"].(map[string]any); ok && lc["prevent_destroy"] == true {
							lc["prevent_destroy"] = false
						}
					}
					if out[kind] == nil {
						out[kind] = map[string]map[string]any{}
					}
					if out[kind][typ] == nil {
						out[kind][typ] = map[string]any{}
					}
					out[kind][typ][name] = r
				}
			}
		}
	}
	return json.MarshalIndent(out, "", "  ")
}

// addressRE finds a reference to a resource or data source attribute:
// "aws_iam_role.x_1234ABCD." or "data.aws_ami.ami.".
var addressRE = regexp.MustCompile(`(^|[^A-Za-z0-9_.\]])((?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)\.`)

// indexAdded indexes [0] every reference to an added address in text.
func indexAdded(text string, added map[string]bool) string {
	return addressRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := addressRE.FindStringSubmatch(m)
		if !added[sub[2]] {
			return m
		}
		return sub[1] + sub[2] + "[0]."
	})
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// hclIdentifier is a Terraform identifier (what a run block may be named).
var hclIdentifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// hclValue turns a Terraform JSON value into an HCL expression: a string
// that is one "${…}" interpolation is its expression, any other string a
// template, a number, bool or null itself, a list or object each element
// so. (Terraform JSON syntax, "Expression Mapping".)
func hclValue(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "null", nil
	case bool, float64, int:
		return fmt.Sprint(v), nil
	case string:
		if strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}") && strings.Count(v, "${") == 1 {
			return "(" + v[2:len(v)-1] + ")", nil
		}
		b, _ := json.Marshal(v) // a JSON string is an HCL quoted template
		return string(b), nil
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			s, err := hclValue(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case map[string]any:
		var parts []string
		for _, k := range sortedKeys(v) {
			s, err := hclValue(v[k])
			if err != nil {
				return "", err
			}
			kb, _ := json.Marshal(k)
			parts = append(parts, string(kb)+" = "+s)
		}
		return "{" + strings.Join(parts, ", ") + "}", nil
	default:
		return "", fmt.Errorf("value %v (%T) has no Terraform JSON form", v, v)
	}
}

// offline writes the stack's provider configurations, made offline, and
// one override_data per data source.
func offline(b *strings.Builder, stack map[string]any, secretsEndpoint string) error {
	providers, _ := stack["provider"].(map[string]any)
	configs, _ := providers["aws"].([]any)
	if len(configs) == 0 {
		configs = []any{map[string]any{}}
	}
	for _, c := range ephemeralConfigs(stack) {
		configs = append(configs, c)
	}
	for _, c := range configs {
		cfg, _ := c.(map[string]any)
		b.WriteString("\nprovider \"aws\" {\n")
		for _, k := range []string{"alias", "region"} {
			if v, ok := cfg[k].(string); ok {
				fmt.Fprintf(b, "  %s = %q\n", k, v)
			}
		}
		// The one AWS call a plan makes: ephemeral random passwords
		// (secretsmanager.go).
		if secretsEndpoint != "" {
			fmt.Fprintf(b, "  endpoints {\n    secretsmanager = %q\n  }\n", secretsEndpoint)
		}
		// No AWS call: fake keys, no account lookup (so no
		// allowed_account_ids check either), no metadata endpoint.
		fmt.Fprintf(b, "  access_key                  = %q\n  secret_key                  = %q\n", fakeAccessKey, fakeSecretKey)
		b.WriteString("  skip_credentials_validation = true\n  skip_requesting_account_id  = true\n  skip_metadata_api_check     = true\n  skip_region_validation      = true\n")
		if dts, ok := cfg["default_tags"].([]any); ok {
			for _, dt := range dts {
				tags, _ := dt.(map[string]any)["tags"].(map[string]any)
				b.WriteString("  default_tags {\n    tags = {\n")
				for _, k := range sortedKeys(tags) {
					fmt.Fprintf(b, "      %q = %q\n", k, fmt.Sprint(tags[k]))
				}
				b.WriteString("    }\n  }\n")
			}
		}
		b.WriteString("}\n")
	}
	data, _ := stack["data"].(map[string]any)
	for _, typ := range sortedKeys(data) {
		fixture, ok := dataFixtures[typ]
		if !ok {
			return fmt.Errorf("data source type %s has no fixture: add what the real data source returns to internal/plan/fixtures.go", typ)
		}
		named, _ := data[typ].(map[string]any)
		for _, name := range sortedKeys(named) {
			fmt.Fprintf(b, "\noverride_data {\n  target = data.%s.%s\n  values = {%s\n  }\n}\n", typ, name, fixture)
		}
	}
	return nil
}

// ephemeralAliasPrefix names the provider configurations the harness gives
// the stacks' ephemeral resources.
const ephemeralAliasPrefix = "harness_ephemeral"

// moveEphemerals gives every ephemeral resource of the stack (in the
// scratch copy) a provider configuration of its own, an alias of the one
// it uses ("aws" → aws.harness_ephemeral, "aws.x" →
// aws.harness_ephemeral_x), and returns those aliases. Terraform 1.11 has
// no mock of ephemeral resources (providers/mock.go answers "No ephemeral
// resource types in mock providers"), and its override files do not merge
// ephemeral blocks (configs/module.go mergeFile), so the mock runs, which
// replace the stack's provider configurations by the mock, leave these to
// the real provider: the same offline configuration, whose one call
// (GetRandomPassword) the stand-in answers. The plain plan is unchanged:
// the alias is configured as the provider it replaces.
func moveEphemerals(stack map[string]any) ([]string, error) {
	eph, _ := stack["ephemeral"].(map[string]any)
	aliases := map[string]bool{}
	for _, typ := range sortedKeys(eph) {
		if !strings.HasPrefix(typ, "aws_") {
			return nil, fmt.Errorf("ephemeral %s: the harness runs hashicorp/aws ephemeral resources only", typ)
		}
		named, _ := eph[typ].(map[string]any)
		for _, name := range sortedKeys(named) {
			block, _ := named[name].(map[string]any)
			ref, _ := block["provider"].(string)
			alias := ephemeralAliasPrefix
			switch {
			case ref == "" || ref == "aws":
			case strings.HasPrefix(ref, "aws."):
				alias += "_" + strings.TrimPrefix(ref, "aws.")
			default:
				return nil, fmt.Errorf("ephemeral %s.%s: provider %q is not a hashicorp/aws configuration", typ, name, ref)
			}
			block["provider"] = "aws." + alias
			aliases[alias] = true
		}
	}
	return sortedKeys(aliases), nil
}

// ephemeralAliasNames lists the aliases moveEphemerals gave the stack.
func ephemeralAliasNames(stack map[string]any) []string {
	var out []string
	for _, c := range ephemeralConfigs(stack) {
		out = append(out, c["alias"].(string))
	}
	return out
}

// ephemeralConfigs are the provider configurations of the aliases
// moveEphemerals gave the stack: each the configuration it replaces
// (region, default tags), under its alias.
func ephemeralConfigs(stack map[string]any) []map[string]any {
	providers, _ := stack["provider"].(map[string]any)
	configs, _ := providers["aws"].([]any)
	byAlias := map[string]map[string]any{}
	for _, c := range configs {
		cfg, _ := c.(map[string]any)
		alias, _ := cfg["alias"].(string)
		byAlias[alias] = cfg
	}
	seen := map[string]bool{}
	eph, _ := stack["ephemeral"].(map[string]any)
	for _, typ := range sortedKeys(eph) {
		named, _ := eph[typ].(map[string]any)
		for _, name := range sortedKeys(named) {
			ref, _ := named[name].(map[string]any)["provider"].(string)
			if strings.HasPrefix(ref, "aws."+ephemeralAliasPrefix) {
				seen[strings.TrimPrefix(ref, "aws.")] = true
			}
		}
	}
	var out []map[string]any
	for _, alias := range sortedKeys(seen) {
		orig := strings.TrimPrefix(strings.TrimPrefix(alias, ephemeralAliasPrefix), "_")
		cfg := maps.Clone(byAlias[orig])
		if cfg == nil {
			cfg = map[string]any{}
		}
		cfg["alias"] = alias
		out = append(out, cfg)
	}
	return out
}

// ephemeralProviderFile declares the aliases moveEphemerals gave the
// stack, so that `terraform validate` finds them; the test files configure
// them offline.
func ephemeralProviderFile(stack map[string]any) []byte {
	var configs []any
	for _, c := range ephemeralConfigs(stack) {
		decl := map[string]any{"alias": c["alias"]}
		if r, ok := c["region"]; ok {
			decl["region"] = r
		}
		configs = append(configs, decl)
	}
	b, _ := json.MarshalIndent(map[string]any{"provider": map[string]any{"aws": configs}}, "", "  ")
	return b
}

// terraform runs one terraform command in dir.
func terraform(ctx context.Context, bin, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.Bytes(), err
}

// diagnostic is one Terraform diagnostic in its JSON form.
type diagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Address  string `json:"address"`
	Range    *struct {
		Filename string `json:"filename"`
		Start    struct {
			Line int `json:"line"`
		} `json:"start"`
	} `json:"range"`
	Snippet *struct {
		Context string `json:"context"`
	} `json:"snippet"`
}

func (d diagnostic) String() string {
	s := d.Summary
	if d.Detail != "" {
		s += ": " + strings.Join(strings.Fields(d.Detail), " ")
	}
	if d.Snippet != nil && d.Snippet.Context != "" {
		s += " (in " + d.Snippet.Context + ")"
	} else if d.Address != "" {
		s += " (" + d.Address + ")"
	}
	return s
}

// validateError returns the first error of `terraform validate -json`.
func validateError(out []byte) string {
	var v struct {
		Valid       bool         `json:"valid"`
		Diagnostics []diagnostic `json:"diagnostics"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return ""
	}
	for _, d := range v.Diagnostics {
		if d.Severity == "error" {
			return d.String()
		}
	}
	if !v.Valid {
		return "configuration is not valid"
	}
	return ""
}

// testOutcome reads `terraform test -json -verbose`: the plan of each run
// block (and, under deployedState, the state the "deployed" run left),
// the number of resource changes in them, and the first error.
func testOutcome(out []byte) (map[string]json.RawMessage, int, string) {
	plans := map[string]json.RawMessage{}
	planned := 0
	var state json.RawMessage
	var firstErr, failedRun string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		var line struct {
			Type       string          `json:"type"`
			TestRun    string          `json:"@testrun"`
			Diagnostic *diagnostic     `json:"diagnostic"`
			TestPlan   json.RawMessage `json:"test_plan"`
			TestState  json.RawMessage `json:"test_state"`
			Run        *struct {
				Status string `json:"status"`
				Run    string `json:"run"`
			} `json:"test_run"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		switch {
		case line.Diagnostic != nil && line.Diagnostic.Severity == "error" && firstErr == "":
			firstErr = line.Diagnostic.String()
		case len(line.TestState) > 0 && line.TestRun == "deployed":
			state = line.TestState
		case len(line.TestPlan) > 0:
			plans[line.TestRun] = line.TestPlan
			var p struct {
				ResourceChanges []struct {
					Change struct {
						Actions []string `json:"actions"`
					} `json:"change"`
				} `json:"resource_changes"`
			}
			if json.Unmarshal(line.TestPlan, &p) == nil && line.TestRun == "plan" {
				for _, rc := range p.ResourceChanges {
					if len(rc.Change.Actions) > 0 && rc.Change.Actions[0] != "no-op" && rc.Change.Actions[0] != "read" {
						planned++
					}
				}
			}
		case line.Run != nil && (line.Run.Status == "fail" || line.Run.Status == "error") && failedRun == "":
			failedRun = line.TestRun
		}
	}
	if firstErr == "" && failedRun != "" {
		firstErr = fmt.Sprintf("run %q failed", failedRun)
	}
	if state != nil {
		plans[deployedState] = state
	}
	return plans, planned, firstErr
}

// firstError picks Terraform's first "Error:" paragraph from human output.
func firstError(out []byte) string {
	s := string(out)
	if i := strings.Index(s, "Error: "); i >= 0 {
		s = s[i:]
		if j := strings.Index(s, "\n\n\n"); j > 0 {
			s = s[:j]
		}
	}
	return strings.Join(strings.Fields(s), " ")
}

func lastLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// Write prints the report: one line per stack, and the setup notes.
func Write(w io.Writer, setup Setup, results []Result) {
	fmt.Fprintf(w, "terraform validate and plan (real provider, offline, data sources from fixtures) of %d stack(s); provider from %s\n", len(results), setup.Source)
	width := 0
	for _, r := range results {
		width = max(width, len(r.Stack))
	}
	for _, r := range results {
		validate := "validate FAILED"
		if r.Validated {
			validate = "validate ok"
		}
		plan := "plan -"
		switch {
		case r.OK():
			plan = fmt.Sprintf("plan ok, %d resources", r.Planned)
		case r.Validated:
			plan = "plan FAILED"
		}
		provider := "aws -"
		if r.ProviderVersion != "" {
			provider = "aws " + r.ProviderVersion
		}
		fmt.Fprintf(w, "  %-*s  %-11s  %-15s  %-24s  %5.1fs\n", width, r.Stack, provider, validate, plan, r.Duration.Seconds())
		if !r.OK() {
			fmt.Fprintf(w, "      %s\n", r.Err)
		}
	}
}

// Failed reports whether any stack failed.
func Failed(results []Result) bool {
	for _, r := range results {
		if !r.OK() {
			return true
		}
	}
	return false
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// parseVersion parses "MAJOR.MINOR.PATCH".
func parseVersion(v string) ([3]int, bool) {
	var out [3]int
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

func versionLess(a, b string) bool {
	av, _ := parseVersion(a)
	bv, _ := parseVersion(b)
	for i := range av {
		if av[i] != bv[i] {
			return av[i] < bv[i]
		}
	}
	return false
}

// platformDir is Terraform's <os>_<arch> directory name for this machine.
func platformDir() string { return runtime.GOOS + "_" + runtime.GOARCH }
