package controls

// IAM: least privilege, permissions boundaries on every role and on every
// delegation of role writes, and the CI roles' trust and reach.

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/influencegen/infrastructure/internal/stack"
)

// iamLeastPrivilege reads every policy document in the stack.
func iamLeastPrivilege(s stack.Stack, _ bool) []string {
	var out []string
	docs := []struct{ typ, attr string }{
		{"aws_iam_role_policy", "policy"}, {"aws_iam_policy", "policy"}, {"aws_iam_user_policy", "policy"},
		{"aws_iam_group_policy", "policy"}, {"aws_iam_role", "assume_role_policy"},
	}
	for _, d := range docs {
		for _, r := range each(s, d.typ) {
			var doc struct {
				Statement []map[string]any `json:"Statement"`
			}
			if err := json.Unmarshal([]byte(str(r.attrs[d.attr])), &doc); err != nil {
				out = append(out, finding(r, "%s is not a JSON policy: %v", d.attr, err))
				continue
			}
			for _, st := range doc.Statement {
				if st["Effect"] != "Allow" {
					continue
				}
				if anyIs(st["Action"], "*") && anyIs(st["Resource"], "*") {
					out = append(out, finding(r, "allows * on *"))
				}
				if p, ok := st["Principal"]; ok && (p == "*" || anyIs(block(p)["AWS"], "*")) {
					out = append(out, finding(r, "trusts every principal"))
				}
			}
		}
	}
	return out
}

func iamBoundary(s stack.Stack, _ bool) []string {
	if !environmentStack(s) {
		return nil
	}
	var out []string
	for _, r := range each(s, "aws_iam_role") {
		if !strings.Contains(str(r.attrs["permissions_boundary"]), ":policy/") {
			out = append(out, finding(r, "no permissions boundary"))
		}
	}
	return out
}

// rolePolicies returns, per aws_iam_role logical name, the parsed inline
// policies attached to it (aws_iam_role_policy), and the managed policy
// ARNs attached (aws_iam_role_policy_attachment).
func rolePolicies(s stack.Stack) (inline map[string][]resourcePolicy, managed map[string][]string) {
	inline, managed = map[string][]resourcePolicy{}, map[string][]string{}
	for _, r := range each(s, "aws_iam_role_policy") {
		doc, err := ParsePolicy(str(r.attrs["policy"]))
		role := stack.ReferencedName(r.attrs["role"])
		inline[role] = append(inline[role], resourcePolicy{r, doc, err})
	}
	for _, r := range each(s, "aws_iam_role_policy_attachment") {
		role := stack.ReferencedName(r.attrs["role"])
		managed[role] = append(managed[role], str(r.attrs["policy_arn"]))
	}
	return inline, managed
}

type resourcePolicy struct {
	r   resource
	doc []Statement
	err error
}

// identityPolicies parses every identity policy document of the stack.
func identityPolicies(s stack.Stack) []resourcePolicy {
	var out []resourcePolicy
	for _, t := range []string{"aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy"} {
		for _, r := range each(s, t) {
			doc, err := ParsePolicy(str(r.attrs["policy"]))
			out = append(out, resourcePolicy{r, doc, err})
		}
	}
	return out
}

// allowsAny reports the first of the actions an Allow statement covers on
// some resource (conditions aside), or "".
func allowsAny(st Statement, actions ...string) string {
	if st.Effect != "Allow" {
		return ""
	}
	for _, a := range actions {
		if len(st.Action) > 0 && anyGlob(st.Action, a, true) || len(st.Action) == 0 && len(st.NotAction) > 0 && !anyGlob(st.NotAction, a, true) {
			return a
		}
	}
	return ""
}

// iamBoundaryDelegation: whoever may create or change roles' permissions
// may do so only with a fixed permissions boundary (IAM user guide,
// "Permissions boundaries for IAM entities", delegation example): the
// actions that accept iam:PermissionsBoundary carry it, AttachRolePolicy is
// limited by iam:PolicyARN, removing a boundary is denied, and the boundary
// policies named in the conditions cannot be edited.
func iamBoundaryDelegation(s stack.Stack, _ bool) []string {
	var out []string
	grants := []string{"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"}
	edits := []string{"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion"}
	for _, p := range identityPolicies(s) {
		if p.err != nil {
			continue // iamLeastPrivilege reports unparsable documents
		}
		delegates := false
		var boundaries []string
		for _, st := range p.doc {
			a := allowsAny(st, grants...)
			if a == "" {
				if allowsAny(st, "iam:DeleteRolePermissionsBoundary") != "" {
					out = append(out, finding(p.r, "statement %q allows iam:DeleteRolePermissionsBoundary", st.Sid))
				}
				continue
			}
			delegates = true
			b := st.ConditionValues("iam:PermissionsBoundary")
			if len(b) == 0 {
				out = append(out, finding(p.r, "statement %q allows %s without an iam:PermissionsBoundary condition", st.Sid, a))
			}
			boundaries = append(boundaries, b...)
			if allowsAny(st, "iam:AttachRolePolicy") != "" && len(st.ConditionValues("iam:PolicyARN")) == 0 {
				out = append(out, finding(p.r, "statement %q allows iam:AttachRolePolicy of any policy (no iam:PolicyARN condition)", st.Sid))
			}
			if allowsAny(st, "iam:DeleteRolePermissionsBoundary") != "" {
				out = append(out, finding(p.r, "statement %q allows iam:DeleteRolePermissionsBoundary", st.Sid))
			}
		}
		if !delegates {
			continue
		}
		if Evaluate(p.doc, "iam:DeleteRolePermissionsBoundary", "*", nil) != ExplicitDeny {
			out = append(out, finding(p.r, "delegates role writes but does not deny iam:DeleteRolePermissionsBoundary"))
		}
		for _, b := range boundaries {
			for _, e := range edits {
				if d := Evaluate(p.doc, e, b, map[string][]string{}); d == Allowed {
					out = append(out, finding(p.r, "allows %s on its own boundary %s", e, b))
				}
			}
		}
	}
	return out
}

// stateListing: Terraform's S3 backend lists the workspace prefix "env:/"
// on init and whenever it opens the state (Workspaces() in
// internal/backend/remote-state/s3/backend_state.go); a role allowed to
// list only its state key gets that request refused on every run.
func stateListing(s stack.Stack, _ bool) []string {
	var out []string
	for _, p := range identityPolicies(s) {
		for _, st := range p.doc {
			if allowsAny(st, "s3:ListBucket") == "" {
				continue
			}
			prefixes := st.ConditionValues("s3:prefix")
			state := false
			for _, v := range prefixes {
				state = state || strings.HasSuffix(v, "terraform.tfstate")
			}
			if state && !anyGlob(prefixes, "env:/", false) {
				out = append(out, finding(p.r, "statement %q lists Terraform state but not the workspace prefix env:/", st.Sid))
			}
		}
	}
	return out
}

// githubPlanRoles: roles GitHub Actions assumes through OIDC pin the
// audience and name repository subjects without wildcards (checkov
// CKV_AWS_358); a role any pull request can assume — its workflow is the
// author's to edit — reads no data: it writes no object, reads no object
// but Terraform state (an explicit Deny, since ReadOnlyAccess reads every
// object), and reads the secrets of one environment path at most.
func githubPlanRoles(s stack.Stack, _ bool) []string {
	var out []string
	inline, managed := rolePolicies(s)
	for _, r := range each(s, "aws_iam_role") {
		trust, err := ParsePolicy(str(r.attrs["assume_role_policy"]))
		if err != nil {
			continue
		}
		pullRequests := false
		for _, st := range trust {
			subs := st.ConditionValues("token.actions.githubusercontent.com:sub")
			if len(subs) == 0 {
				continue
			}
			if aud := st.ConditionValues("token.actions.githubusercontent.com:aud"); len(aud) != 1 || aud[0] != "sts.amazonaws.com" {
				out = append(out, finding(r, "GitHub OIDC trust does not pin the audience sts.amazonaws.com"))
			}
			for _, sub := range subs {
				if !strings.HasPrefix(sub, "repo:") || strings.ContainsAny(sub, "*?") {
					out = append(out, finding(r, "GitHub OIDC subject %q is not one repository's exact subject", sub))
				}
				pullRequests = pullRequests || strings.HasSuffix(sub, ":pull_request")
			}
		}
		if !pullRequests {
			continue
		}
		for _, m := range managed[r.name] {
			if strings.HasSuffix(m, "/AdministratorAccess") || strings.HasSuffix(m, "/PowerUserAccess") {
				out = append(out, finding(r, "trusted for pull requests with %s", m))
			}
		}
		deniesObjects := false
		for _, p := range inline[r.name] {
			for _, st := range p.doc {
				if a := allowsAny(st, "s3:PutObject", "s3:DeleteObject"); a != "" {
					out = append(out, finding(r, "trusted for pull requests, and %s allows %s", p.r.name, a))
				}
				if allowsAny(st, "secretsmanager:GetSecretValue") != "" {
					for _, res := range st.Resource {
						if !oneEnvironmentSecrets.MatchString(res) {
							out = append(out, finding(r, "trusted for pull requests, and %s reads secrets %s (not one environment's path)", p.r.name, res))
						}
					}
				}
				if st.Effect == "Deny" && len(st.Condition) == 0 && anyGlob(st.Action, "s3:GetObject", true) {
					onlyState := len(st.NotResource) > 0
					for _, nr := range st.NotResource {
						onlyState = onlyState && (strings.HasSuffix(nr, "/terraform.tfstate") || modelManifests.MatchString(nr))
					}
					deniesObjects = deniesObjects || onlyState || anyIs(toAny(st.Resource), "*")
				}
			}
		}
		if !deniesObjects {
			out = append(out, finding(r, "trusted for pull requests without an explicit Deny of s3:GetObject on every object but its Terraform state"))
		}
	}
	return out
}

// modelManifests matches the object ARNs of one model bucket's version
// manifests (constructs/models.ManifestsArn) and nothing else of it.
var modelManifests = regexp.MustCompile(`^arn:[^:]+:s3:::[^/*?]+-models-[^/*?]+/models/base/\*/manifest\.json$`)

// oneEnvironmentSecrets matches a secret ARN pattern confined to one
// "<project>/<environment>/" path.
var oneEnvironmentSecrets = regexp.MustCompile(`:secret:[^*?/]+/[^*?/]+/\*$`)
