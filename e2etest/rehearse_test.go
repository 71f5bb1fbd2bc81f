package e2etest

// The deploy path's jobs against the roles the shared stack creates: every
// job assumes a role its token may assume, for no longer than the role
// allows, and the role allows every AWS call the job's steps make
// (rehearse.Calls: the state backend and its lock, the preflight, the
// plan's refresh, the apply's creates, Ansible's inventory, Session
// Manager, transfer bucket and secret lookups), evaluated with
// controls.Evaluate on the synthesized policies.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/controls"
	"github.com/influencegen/infrastructure/internal/rehearse"
)

// rehearsedTriggers are the workflow runs of the deploy path.
var rehearsedTriggers = []struct {
	file  string
	event rehearse.Event
}{
	{".github/workflows/deploy.yml", rehearse.Event{Name: "push", Ref: "refs/heads/main"}},
	{".github/workflows/pull-request.yml", rehearse.Event{Name: "pull_request", Ref: "refs/pull/1/merge"}},
	{".github/workflows/drift.yml", rehearse.Event{Name: "schedule", Ref: "refs/heads/main"}},
}

// readOnlyAccess stands for the AWS managed policy ReadOnlyAccess, which
// the plan roles attach: it grants the read actions (Describe*, Get*,
// List*, View*: budgets:ViewBudget) of every service. A statement of that
// shape is what a call table needs of it; the plan roles' own denies
// narrow it (GetObject and GetSecretValue outside their own).
var readOnlyAccess = controls.Statement{Effect: "Allow", Action: []string{"*:Describe*", "*:Get*", "*:List*", "*:View*"}, Resource: []string{"*"}}

// sharedRole is a role of the shared stack: its name, trust, session
// limit and identity policies (inline, and ReadOnlyAccess when attached).
type sharedRole struct {
	name       string
	trust      []controls.Statement
	maxSession time.Duration
	policies   []controls.Statement
}

func sharedRoles(t *testing.T, drop string) map[string]sharedRole {
	t.Helper()
	s := stacks["shared-stack"]
	out := map[string]sharedRole{}
	for id, r := range s.Resources("aws_iam_role") {
		name := resolved(r["name"].(string), "aws")
		trust, err := controls.ParsePolicy(resolved(r["assume_role_policy"].(string), "aws"))
		if err != nil {
			t.Fatal(err)
		}
		sr := sharedRole{name: name, trust: trust, maxSession: time.Hour}
		if v, ok := r["max_session_duration"].(float64); ok {
			sr.maxSession = time.Duration(v) * time.Second
		}
		for _, p := range s.Resources("aws_iam_role_policy") {
			if p["role"] == "${aws_iam_role."+id+".id}" {
				doc, err := controls.ParsePolicy(resolved(p["policy"].(string), "aws"))
				if err != nil {
					t.Fatal(err)
				}
				for _, st := range doc {
					if st.Sid != drop || drop == "" {
						sr.policies = append(sr.policies, st)
					}
				}
			}
		}
		for _, a := range s.Resources("aws_iam_role_policy_attachment") {
			if a["role"] == "${aws_iam_role."+id+".name}" && strings.HasSuffix(resolved(a["policy_arn"].(string), "aws"), ":policy/ReadOnlyAccess") {
				sr.policies = append(sr.policies, readOnlyAccess)
			}
		}
		out[fmt.Sprintf("arn:aws:iam::%s:role/%s", testAccountID, name)] = sr
	}
	return out
}

// bootstrapVars are the variables the bootstrap runbook sets, with the
// values the shared stack's outputs give them (role ARNs by name).
func bootstrapVars(env string) map[string]string {
	plan := map[string]string{}
	for _, e := range envs {
		plan[e.Identity.Name] = fmt.Sprintf("arn:aws:iam::%s:role/%s-plan-%s", testAccountID, account.Project, e.Identity.Name)
	}
	b, _ := json.Marshal(plan)
	vars := map[string]string{"AWS_PLAN_ROLE_ARNS": string(b), "AWS_REGION": account.PrimaryRegion}
	if env != "" {
		vars["AWS_DEPLOY_ROLE_ARN"] = fmt.Sprintf("arn:aws:iam::%s:role/%s-deploy-%s", testAccountID, account.Project, env)
	}
	return vars
}

// jobRoleFindings checks every job of the rehearsed runs against the
// shared stack's roles (without the statement Sid drop, for a planted
// break), for every rehearsed trigger or only the one whose file is only.
func jobRoleFindings(t *testing.T, drop string, only string) []string {
	t.Helper()
	ws, err := rehearse.Load(repoFile("."))
	if err != nil {
		t.Fatal(err)
	}
	roles := sharedRoles(t, drop)
	var out []string
	for _, tr := range rehearsedTriggers {
		if only != "" && tr.file != only {
			continue
		}
		runs, err := rehearse.Expand(ws, tr.file, tr.event)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			for i, st := range r.Job.Steps {
				if !strings.HasPrefix(st.Uses, "aws-actions/configure-aws-credentials@") {
					continue
				}
				arn, err := r.Eval(st.With["role-to-assume"].S, bootstrapVars(r.Environment))
				if err != nil {
					t.Fatal(err)
				}
				where := r.Where(st.With["role-to-assume"].Line)
				role, ok := roles[arn]
				if !ok {
					out = append(out, fmt.Sprintf("%s: assumes %q, which the shared stack does not create", where, arn))
					continue
				}
				claims := map[string][]string{"token.actions.githubusercontent.com:sub": {r.Subject(account.Repository)}, "token.actions.githubusercontent.com:aud": {"sts.amazonaws.com"}}
				trusted := false
				for _, ts := range role.trust {
					trusted = trusted || ts.Effect == "Allow" && slices.Contains(ts.Action, "sts:AssumeRoleWithWebIdentity") && ts.Holds(claims)
				}
				if !trusted {
					out = append(out, fmt.Sprintf("%s: %s does not trust the job's token (sub %s)", where, role.name, r.Subject(account.Repository)))
				}
				cfg := jobEnv(r)
				if e, err := rehearse.Estimate(r, cfg); err != nil {
					t.Fatal(err)
				} else {
					for _, f := range e.Check(role.name, role.maxSession) {
						out = append(out, f.String())
					}
				}
				if cfg == nil {
					continue
				}
				target := rehearse.Target{Env: *cfg, Account: account, Stack: map[string]any(stacks[cfg.StackName()])}
				for _, c := range rehearse.Calls(r, arn, target) {
					if d := controls.Evaluate(role.policies, c.Action, c.Resource, c.Context); d != controls.Allowed {
						out = append(out, fmt.Sprintf("%s: step %q: %s (%s) on %s is %s for %s", r.Where(r.Job.Steps[i].Line), c.Step, c.Action, c.Why, c.Resource, d, role.name))
					}
				}
			}
		}
	}
	return out
}

func jobEnv(r *rehearse.Run) *environments.ParityConfig {
	name := r.Inputs["environment"]
	if name == "" {
		name = r.Matrix["env"]
	}
	for i := range envs {
		if envs[i].Identity.Name == name {
			return &envs[i]
		}
	}
	return nil
}

// TestJobRolesCanDoTheirJobs: each job's role is one the shared stack
// creates, trusts the job's OIDC subject, lasts as long as the job may
// need it, and allows every call of the job's call table.
func TestJobRolesCanDoTheirJobs(t *testing.T) {
	for _, f := range jobRoleFindings(t, "", "") {
		t.Error(f)
	}
}

// TestJobRolesPlanted: a deploy role without its statement for the
// environment's buckets fails the apply jobs, naming them.
func TestJobRolesPlanted(t *testing.T) {
	got := strings.Join(jobRoleFindings(t, "ManageOwnBuckets", ".github/workflows/deploy.yml"), "\n")
	for _, e := range envs {
		want := fmt.Sprintf(`job "%s / apply %s"`, e.Identity.Name, e.Identity.Name)
		if !strings.Contains(got, want) || !strings.Contains(got, "s3:CreateBucket") {
			t.Errorf("removing ManageOwnBuckets: want a finding for %s creating its buckets; got:\n%s", want, got)
		}
	}
}
