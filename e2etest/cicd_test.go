package e2etest

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/constructs/cicd"
	"github.com/influencegen/infrastructure/constructs/envinfo"
	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/controls"
	"github.com/influencegen/infrastructure/internal/synth"
)

// The CI/CD roles of the shared stack (deploy-readiness D4–D7), checked
// against what the environment stacks actually create: their resource
// types, roles, trust principals, managed-policy attachments, buckets and
// secrets are read from the synthesized JSON, and each role policy is
// evaluated (controls.Evaluate) on the requests that matter.

const testAccountID = "123456789012"

// resolved replaces the account-level data-source references with the
// values a real account gives them.
func resolved(s, partition string) string {
	s = strings.ReplaceAll(s, "${data.aws_partition.partition.partition}", partition)
	return strings.ReplaceAll(s, "${data.aws_caller_identity.caller.account_id}", testAccountID)
}

// sharedDoc returns the resolved JSON and the parsed statements of the
// shared stack's resource of typ whose logical name starts with prefix+"_".
func sharedDoc(t *testing.T, typ, prefix, attr string) (string, []controls.Statement) {
	t.Helper()
	text := resolved(named(t, stacks["shared-stack"], typ, prefix)[attr].(string), "aws")
	doc, err := controls.ParsePolicy(text)
	if err != nil {
		t.Fatalf("%s.%s: %v", typ, prefix, err)
	}
	return text, doc
}

func deployPolicy(t *testing.T, env string) []controls.Statement {
	_, doc := sharedDoc(t, "aws_iam_role_policy", "github_deploy-"+env+"-policy", "policy")
	return doc
}

func expect(t *testing.T, doc []controls.Statement, want controls.Decision, action, resource string, ctx map[string][]string) {
	t.Helper()
	if got := controls.Evaluate(doc, action, resource, ctx); got != want {
		t.Errorf("%s on %s with %v: %s, want %s", action, resource, ctx, got, want)
	}
}

// TestServiceLinkedRoleTable (D4): every resource type of every environment
// stack has an entry in cicd.ServiceLinkedRoles, and each deploy role may
// create the service-linked role of every type its stack creates.
func TestServiceLinkedRoleTable(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		doc := deployPolicy(t, cfg.Identity.Name)
		for _, typ := range s.ResourceTypes() {
			service, ok := cicd.ServiceLinkedRoles[typ]
			if !ok {
				t.Errorf("resource type %s has no entry in cicd.ServiceLinkedRoles: find out whether creating one makes AWS create a service-linked role (the service's \"Using service-linked roles\" page) and add the service, or \"\"", typ)
				continue
			}
			if service == "" {
				continue
			}
			slr := fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/%s/AWSServiceRoleForX", testAccountID, service)
			if controls.Evaluate(doc, "iam:CreateServiceLinkedRole", slr, map[string][]string{"iam:AWSServiceName": {service}}) != controls.Allowed {
				t.Errorf("%s needs the service-linked role of %s, which deploy-%s may not create", typ, service, cfg.Identity.Name)
			}
		}
		expect(t, doc, controls.ImplicitDeny, "iam:CreateServiceLinkedRole",
			"arn:aws:iam::"+testAccountID+":role/aws-service-role/autoscaling.amazonaws.com/X",
			map[string][]string{"iam:AWSServiceName": {"autoscaling.amazonaws.com"}})
	})
}

// TestDeployRoleServices (D4): the deploy role reaches the services the
// stacks are adding: AWS Backup vaults (backup-storage:MountCapsule),
// EventBridge Scheduler in its region, and Budgets, a global API served
// from us-east-1, outside the region condition.
func TestDeployRoleServices(t *testing.T) {
	for _, e := range envs {
		doc := deployPolicy(t, e.Identity.Name)
		in := map[string][]string{"aws:RequestedRegion": {e.Region}}
		expect(t, doc, controls.Allowed, "backup:CreateBackupVault", "arn:aws:backup:"+e.Region+":"+testAccountID+":backup-vault:v", in)
		expect(t, doc, controls.Allowed, "backup-storage:MountCapsule", "*", in)
		expect(t, doc, controls.Allowed, "scheduler:CreateSchedule", "arn:aws:scheduler:"+e.Region+":"+testAccountID+":schedule/default/s", in)
		expect(t, doc, controls.ImplicitDeny, "scheduler:CreateSchedule", "*", map[string][]string{"aws:RequestedRegion": {"us-west-2"}})
		budget := fmt.Sprintf("arn:aws:budgets::%s:budget/%s-%s-monthly", testAccountID, account.Project, e.Identity.Name)
		expect(t, doc, controls.Allowed, "budgets:ModifyBudget", budget, map[string][]string{"aws:RequestedRegion": {"us-east-1"}})
		other := fmt.Sprintf("arn:aws:budgets::%s:budget/someone-elses", testAccountID)
		expect(t, doc, controls.ImplicitDeny, "budgets:ModifyBudget", other, map[string][]string{"aws:RequestedRegion": {"us-east-1"}})
	}
}

// TestDeployRoleDelegatesIAMOnlyWithTheBoundary (D6).
func TestDeployRoleDelegatesIAMOnlyWithTheBoundary(t *testing.T) {
	project := account.Project
	for _, e := range envs {
		name := e.Identity.Name
		t.Run(name, func(t *testing.T) {
			doc := deployPolicy(t, name)
			own := envinfo.BoundaryArn("aws", testAccountID, project, name)
			if got := resolved(named(t, stacks["shared-stack"], "aws_iam_policy", "github_boundary-"+name)["name"].(string), "aws"); got != envinfo.BoundaryName(project, name) || !strings.HasSuffix(own, ":policy/"+got) {
				t.Errorf("boundary policy name %s, ARN %s", got, own)
			}
			role := fmt.Sprintf("arn:aws:iam::%s:role/%s-%s-anything", testAccountID, project, name)
			with := func(boundary string, more ...string) map[string][]string {
				ctx := map[string][]string{"iam:PermissionsBoundary": {boundary}}
				for i := 0; i+1 < len(more); i += 2 {
					ctx[more[i]] = []string{more[i+1]}
				}
				return ctx
			}
			for _, action := range []string{"iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"} {
				expect(t, doc, controls.Allowed, action, role, with(own))
				expect(t, doc, controls.ImplicitDeny, action, role, nil)
				for _, o := range envs {
					if o.Identity.Name != name {
						other := envinfo.BoundaryArn("aws", testAccountID, project, o.Identity.Name)
						expect(t, doc, controls.ImplicitDeny, action, role, with(other))
						otherRole := fmt.Sprintf("arn:aws:iam::%s:role/%s-%s-anything", testAccountID, project, o.Identity.Name)
						expect(t, doc, controls.ImplicitDeny, action, otherRole, with(other))
					}
				}
			}
			admin := "arn:aws:iam::aws:policy/AdministratorAccess"
			expect(t, doc, controls.ImplicitDeny, "iam:AttachRolePolicy", role, with(own, "iam:PolicyARN", admin))
			expect(t, doc, controls.ExplicitDeny, "iam:DeleteRolePermissionsBoundary", role, nil)
			for _, edit := range []string{"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"} {
				expect(t, doc, controls.ExplicitDeny, edit, own, nil)
			}
			expect(t, doc, controls.ImplicitDeny, "iam:PassRole", role, map[string][]string{"iam:PassedToService": {"lambda.amazonaws.com"}})
		})
	}
	// What the environment stacks create must stay within what the deploy
	// role may do: IAM types, attached managed policies, services roles
	// are passed to.
	supported := map[string]bool{}
	for _, typ := range cicd.IAMResourceTypes {
		supported[typ] = true
	}
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		doc := deployPolicy(t, cfg.Identity.Name)
		own := envinfo.BoundaryArn("aws", testAccountID, project, cfg.Identity.Name)
		role := fmt.Sprintf("arn:aws:iam::%s:role/%s-%s-anything", testAccountID, project, cfg.Identity.Name)
		for _, typ := range s.ResourceTypes() {
			if strings.HasPrefix(typ, "aws_iam_") && !supported[typ] {
				t.Errorf("%s is not delegated to the deploy role (cicd.IAMResourceTypes): use a role with an inline policy", typ)
			}
		}
		for n, a := range s.Resources("aws_iam_role_policy_attachment") {
			arn := resolved(a["policy_arn"].(string), "aws")
			ctx := map[string][]string{"iam:PermissionsBoundary": {own}, "iam:PolicyARN": {arn}}
			if controls.Evaluate(doc, "iam:AttachRolePolicy", role, ctx) != controls.Allowed {
				t.Errorf("%s attaches %s, which the deploy role may not attach: add it to cicd.AttachableManagedPolicies", n, arn)
			}
		}
		for n, r := range s.Resources("aws_iam_role") {
			trust, err := controls.ParsePolicy(r["assume_role_policy"].(string))
			if err != nil {
				t.Fatal(n, err)
			}
			for _, st := range trust {
				p, _ := st.Principal.(map[string]any)
				services, _ := p["Service"].([]any)
				if one, ok := p["Service"].(string); ok {
					services = []any{one}
				}
				for _, sv := range services {
					service := fmt.Sprint(sv)
					if controls.Evaluate(doc, "iam:PassRole", role, map[string][]string{"iam:PassedToService": {service}}) != controls.Allowed {
						t.Errorf("%s trusts %s, to which the deploy role may not pass roles: add it to cicd.PassRoleServices", n, service)
					}
				}
			}
		}
	})
}

// TestBoundary (D6): each environment's boundary allows what the
// environment's own role policies grant, and denies IAM changes, the state
// bucket and everything of the other environments.
func TestBoundary(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		name := cfg.Identity.Name
		_, doc := sharedDoc(t, "aws_iam_policy", "github_boundary-"+name, "policy")
		if n := len(strings.Join(strings.Fields(resolved(named(t, stacks["shared-stack"], "aws_iam_policy", "github_boundary-"+name)["policy"].(string), "aws-us-gov")), "")); n > 6144 {
			t.Errorf("boundary of %s: %d characters, over the 6,144 a managed policy may have", name, n)
		}
		for n, r := range s.Resources("aws_iam_role_policy") {
			grants, err := controls.ParsePolicy(resolved(r["policy"].(string), "aws"))
			if err != nil {
				t.Fatal(n, err)
			}
			for _, st := range grants {
				// The request satisfies the grant's own conditions.
				ctx := map[string][]string{}
				for _, kv := range st.Condition {
					for k, v := range kv {
						ctx[k] = v
					}
				}
				for _, action := range st.Action {
					for _, res := range st.Resource {
						if !boundaryAllows(doc, action, res, ctx) {
							t.Errorf("%s grants %s on %s, which the boundary of %s does not allow", n, action, res, name)
						}
					}
				}
			}
		}
		arn := func(service, resource string) string {
			return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, cfg.Region, testAccountID, resource)
		}
		expect(t, doc, controls.ExplicitDeny, "iam:CreateRole", "arn:aws:iam::"+testAccountID+":role/x", nil)
		expect(t, doc, controls.ExplicitDeny, "iam:AttachRolePolicy", "arn:aws:iam::"+testAccountID+":role/x", nil)
		expect(t, doc, controls.ExplicitDeny, "organizations:LeaveOrganization", "*", nil)
		expect(t, doc, controls.ExplicitDeny, "sts:AssumeRole", "arn:aws:iam::"+testAccountID+":role/x", nil)
		expect(t, doc, controls.ExplicitDeny, "s3:GetObject", "arn:aws:s3:::"+account.StateBucket+"/"+cfg.Identity.StateKey, nil)
		expect(t, doc, controls.Allowed, "ec2:StopInstances", arn("ec2", "instance/i-1"), map[string][]string{"aws:ResourceTag/Environment": {name}})
		expect(t, doc, controls.Allowed, "ssm:SendCommand", arn("ssm", "document/AWS-RunPatchBaseline"), nil)
		expect(t, doc, controls.Allowed, "rds:CreateDBSnapshot", arn("rds", "db:x"), map[string][]string{"aws:ResourceTag/Environment": {name}})
		for _, o := range envs {
			if o.Identity.Name == name {
				continue
			}
			other := map[string][]string{"aws:ResourceTag/Environment": {o.Identity.Name}}
			expect(t, doc, controls.ExplicitDeny, "ec2:StopInstances", arn("ec2", "instance/i-1"), other)
			expect(t, doc, controls.ExplicitDeny, "kms:Decrypt", arn("kms", "key/k"), other)
			for b := range bucketNames(o) {
				expect(t, doc, controls.ExplicitDeny, "s3:GetObject", "arn:aws:s3:::"+b+"/x", nil)
			}
			for sec := range secretNames(o) {
				expect(t, doc, controls.ExplicitDeny, "secretsmanager:GetSecretValue", arn("secretsmanager", "secret:"+sec+"-AbCdEf"), nil)
			}
		}
		for b := range bucketNames(cfg) {
			expect(t, doc, controls.Allowed, "s3:PutObject", "arn:aws:s3:::"+b+"/x", nil)
		}
	})
}

// boundaryAllows reports whether a boundary allows an action on a resource.
// A resource that is a reference to another resource of the stack
// ("${aws_s3_bucket.x.arn}") cannot be evaluated offline: then the action
// must be allowed by an unconditional statement, whatever its resources.
func boundaryAllows(doc []controls.Statement, action, resource string, ctx map[string][]string) bool {
	// A key of the stack: any key ARN of the account.
	if strings.HasPrefix(resource, "${aws_kms_key.") {
		resource = "arn:aws:kms:eu-central-1:" + testAccountID + ":key/00000000-0000-0000-0000-000000000000"
	}
	if !strings.Contains(resource, "${") {
		return controls.Evaluate(doc, action, resource, ctx) == controls.Allowed
	}
	for _, st := range doc {
		if st.Effect == "Allow" && len(st.Condition) == 0 && len(st.Resource) > 0 && st.Covers(action, st.Resource[0]) {
			return true
		}
	}
	return false
}

// bucketNames returns an environment's bucket names, as created.
func bucketNames(cfg environments.ParityConfig) map[string]bool {
	out := map[string]bool{}
	for _, b := range stacks[cfg.StackName()].Resources("aws_s3_bucket") {
		out[resolved(b["bucket"].(string), "aws")] = true
	}
	return out
}

// secretNames returns an environment's Secrets Manager secret names.
func secretNames(cfg environments.ParityConfig) map[string]bool {
	out := map[string]bool{}
	for _, s := range stacks[cfg.StackName()].Resources("aws_secretsmanager_secret") {
		out[s["name"].(string)] = true
	}
	return out
}

// TestPlanRoles (D7): one plan role per environment; production's is
// trusted for no pull request; each reads its own state and secrets only,
// writes nothing, and is explicitly denied every object but its state —
// backups, models, Ansible transfers, load-balancer logs, other states.
func TestPlanRoles(t *testing.T) {
	workflow, err := os.ReadFile(repoFile(".github/workflows/pull-request.yml"))
	if err != nil {
		t.Fatal(err)
	}
	repo := account.Repository
	for _, e := range envs {
		name := e.Identity.Name
		t.Run(name, func(t *testing.T) {
			_, trust := sharedDoc(t, "aws_iam_role", "github_plan-"+name, "assume_role_policy")
			var subjects []string
			for _, st := range trust {
				subjects = append(subjects, st.ConditionValues("token.actions.githubusercontent.com:sub")...)
			}
			sort.Strings(subjects)
			want := []string{"repo:" + repo + ":ref:refs/heads/main"}
			switch e.Kind {
			case environments.Sandbox:
				want = append(want, "repo:"+repo+":pull_request")
			case environments.Parity:
				want = append(want, "repo:"+repo+":environment:"+cicd.PlanEnvironment(name))
			}
			sort.Strings(want)
			if strings.Join(subjects, " ") != strings.Join(want, " ") {
				t.Errorf("plan-%s trusts %v, want %v", name, subjects, want)
			}
			planned := regexp.MustCompile(`(?m)^\s+- env: ` + name + `\s*$`).Match(workflow)
			if e.Kind == environments.Reference && planned {
				t.Errorf("pull-request.yml plans %s, whose plan role trusts no pull request", name)
			}
			if e.Kind == environments.Parity && planned && !strings.Contains(string(workflow), "gate: "+cicd.PlanEnvironment(name)) {
				t.Errorf("pull-request.yml plans %s outside the GitHub environment %s its plan role trusts", name, cicd.PlanEnvironment(name))
			}

			_, doc := sharedDoc(t, "aws_iam_role_policy", "github_plan-"+name+"-policy", "policy")
			state := "arn:aws:s3:::" + account.StateBucket + "/"
			expect(t, doc, controls.Allowed, "s3:GetObject", state+e.Identity.StateKey, nil)
			expect(t, doc, controls.ImplicitDeny, "s3:PutObject", state+e.Identity.StateKey+".tflock", nil)
			expect(t, doc, controls.Allowed, "s3:ListBucket", "arn:aws:s3:::"+account.StateBucket, map[string][]string{"s3:prefix": {"env:/"}})
			for _, key := range []string{platform.SharedStateKey, environments.BootstrapStateKey} {
				expect(t, doc, controls.ExplicitDeny, "s3:GetObject", state+key, nil)
			}
			for _, o := range envs {
				denied := controls.ExplicitDeny
				if o.Identity.Name == name {
					denied = controls.Allowed
				} else {
					expect(t, doc, controls.ExplicitDeny, "s3:GetObject", state+o.Identity.StateKey, nil)
				}
				for b := range bucketNames(o) {
					expect(t, doc, controls.ExplicitDeny, "s3:GetObject", "arn:aws:s3:::"+b+"/odoo/db.dump", nil)
				}
				for sec := range secretNames(o) {
					arn := fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbCdEf", o.Region, testAccountID, sec)
					expect(t, doc, denied, "secretsmanager:GetSecretValue", arn, nil)
				}
			}
			// The secrets key the plan decrypts through Secrets Manager is
			// the environment's: its alias must exist under that name.
			alias := "alias/" + account.Project + "-" + name + "-secrets"
			found := false
			for _, a := range envStack(t, name).Resources("aws_kms_alias") {
				found = found || a["name"] == alias
			}
			if !found {
				t.Errorf("the plan role decrypts secrets with %s, which %s-stack does not create", alias, name)
			}
		})
	}
}

// TestCIPolicySizes: IAM refuses an inline policy set over 10,240
// characters per role and a managed policy over 6,144 (whitespace not
// counted), in the longest partition name.
func TestCIPolicySizes(t *testing.T) {
	for n, p := range stacks["shared-stack"].Resources("aws_iam_role_policy") {
		if l := len(strings.Join(strings.Fields(resolved(p["policy"].(string), "aws-us-gov")), "")); l > 10240 {
			t.Errorf("%s: %d characters", n, l)
		}
	}
}

// TestSharedOutputsContract: the shared stack's outputs are the ones the
// README documents and the workflows read.
func TestSharedOutputsContract(t *testing.T) {
	readme, err := os.ReadFile(repoFile("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	outputs := stacks["shared-stack"]["output"].(map[string]any)
	want := []string{"boundary_policy_arns", "deploy_role_arns", "ecr_repository_urls", "model_promoter_role_arns", "plan_role_arns"}
	if got := keys(outputs); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("shared-stack outputs %v, want %v", got, want)
	}
	for _, o := range want {
		if !strings.Contains(string(readme), "| `"+o+"` |") {
			t.Errorf("README.md does not document the shared-stack output %s", o)
		}
	}
}
