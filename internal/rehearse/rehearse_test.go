package rehearse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influencegen/infrastructure/environments"
)

const root = "../.."

// Triggers are the rehearsed runs: a first push to main, a pull request,
// the nightly drift check.
var Triggers = []struct {
	File  string
	Event Event
}{
	{".github/workflows/deploy.yml", Event{"push", "refs/heads/main"}},
	{".github/workflows/pull-request.yml", Event{"pull_request", "refs/pull/1/merge"}},
	{".github/workflows/drift.yml", Event{"schedule", "refs/heads/main"}},
}

func load(t *testing.T) ([]*Workflow, Settings, map[string]Standin) {
	t.Helper()
	ws, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	files, err := RunbookFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := Blocks(root, files...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ReadSettings(blocks)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := LoadStandins(root)
	if err != nil {
		t.Fatal(err)
	}
	return ws, s, sd
}

func envConfig(name string) *environments.ParityConfig {
	for _, c := range environments.All(environments.DefaultAccount()) {
		if c.Identity.Name == name {
			return &c
		}
	}
	return nil
}

// runEnv is the environment a run deploys or plans: its input, its
// matrix's env, or nil.
func runEnv(r *Run) *environments.ParityConfig {
	if e := r.Inputs["environment"]; e != "" {
		return envConfig(e)
	}
	if e := r.Matrix["env"]; e != "" {
		return envConfig(e)
	}
	return nil
}

// TestWorkflowsStatic: every job of every rehearsed run reads only what
// the bootstrap runbook sets in its scope, uses actions whose stand-ins
// accept its inputs, calls only commands the runner image has or an
// earlier step installs, and fits its timeout and its credentials.
func TestWorkflowsStatic(t *testing.T) {
	ws, s, sd := load(t)
	for _, tr := range Triggers {
		runs, err := Expand(ws, tr.File, tr.Event)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range Check(root, runs, s, sd) {
			t.Error(f)
		}
		for _, r := range runs {
			e, err := Estimate(r, runEnv(r))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range e.Check("the role", 0) {
				t.Error(f)
			}
		}
	}
}

// TestPlantedBreaks: each kind of break the static checks exist for is
// caught and named by its job and line.
func TestPlantedBreaks(t *testing.T) {
	_, s, sd := load(t)
	raw, err := os.ReadFile(filepath.Join(root, ".github/workflows/deploy-environment.yml"))
	if err != nil {
		t.Fatal(err)
	}
	caller, _ := os.ReadFile(filepath.Join(root, ".github/workflows/deploy.yml"))
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"a variable no bootstrap step sets", "vars.AWS_DEPLOY_ROLE_ARN", "vars.AWS_DEPLOY_ROLE", `job "production / apply production": reads vars.AWS_DEPLOY_ROLE, which no step of docs/runbooks/bootstrap.md sets`},
		{"an input the action does not have", "terraform_wrapper: false", "terraform_wrapper: false\n          terraform_wrappr: false", `passes input "terraform_wrappr" to hashicorp/setup-terraform@b9cd54a3c349d3f38e8881555d616ced269862dd`},
		{"an action pinned by tag", "actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0", "actions/checkout@v4", `uses actions/checkout@v4, not pinned to a commit`},
		{"a commit pin without its tag", "actions/setup-go@40f1582b2485089dde7abd97c1529aa768e1baff # v5.6.0", "actions/setup-go@40f1582b2485089dde7abd97c1529aa768e1baff", `without the release tag it pins`},
		{"a commit pin of another major", "actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # v4.4.0", "actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # v5.0.0", `the stand-in keeps the contract of actions/setup-node@v4`},
		{"a tool the image lacks", "ansible-galaxy collection install -r ansible/requirements.yml\n", "ansible-galaxy collection install -r ansible/requirements.yml\n          terragrunt --version\n", "calls terragrunt, which the ubuntu-24.04 runner image does not provide"},
		{"a job that outlives its credentials", "role-duration-seconds: ", "role-duration-seconds: 1800 #", `may end`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			planted := strings.Replace(string(raw), tc.old, tc.new, 1)
			if planted == string(raw) {
				t.Fatalf("%q not found", tc.old)
			}
			w, err := Parse([]byte(planted), ".github/workflows/deploy-environment.yml")
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(caller, ".github/workflows/deploy.yml")
			if err != nil {
				t.Fatal(err)
			}
			runs, err := Expand([]*Workflow{c, w}, ".github/workflows/deploy.yml", Event{"push", "refs/heads/main"})
			if err != nil {
				t.Fatal(err)
			}
			var all []string
			for _, f := range Check(root, runs, s, sd) {
				all = append(all, f.String())
			}
			for _, r := range runs {
				e, err := Estimate(r, runEnv(r))
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range e.Check("role", 0) {
					all = append(all, f.String())
				}
			}
			if !strings.Contains(strings.Join(all, "\n"), tc.want) {
				t.Errorf("want a finding with %q, got:\n%s", tc.want, strings.Join(all, "\n"))
			}
		})
	}
}

// TestPinnedAction: only a full commit id with its release tag in a
// comment is a pin.
func TestPinnedAction(t *testing.T) {
	const sha = "11d5960a326750d5838078e36cf38b85af677262"
	for _, tc := range []struct {
		uses, comment, major, err string
	}{
		{"actions/checkout@" + sha, "v4.4.0", "v4", ""},
		{"actions/checkout@" + sha, "v4", "v4", ""},
		{"actions/checkout@v4", "", "", "not pinned to a commit"},
		{"actions/checkout@v4.4.0", "v4.4.0", "", "not pinned to a commit"},
		{"actions/checkout@main", "", "", "not pinned to a commit"},
		{"actions/checkout@" + sha[:7], "v4.4.0", "", "not pinned to a commit"},
		{"actions/checkout@" + strings.ToUpper(sha), "v4.4.0", "", "not pinned to a commit"},
		{"actions/checkout", "", "", "not pinned to a commit"},
		{"actions/checkout@" + sha, "", "", "without the release tag"},
		{"actions/checkout@" + sha, "latest", "", "without the release tag"},
	} {
		name, major, err := PinnedAction(tc.uses, tc.comment)
		switch {
		case tc.err == "" && (err != nil || name != "actions/checkout" || major != tc.major):
			t.Errorf("%s # %s: %q %q %v, want actions/checkout %s", tc.uses, tc.comment, name, major, err, tc.major)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s # %s: err %v, want %q", tc.uses, tc.comment, err, tc.err)
		}
	}
}

// TestEstimateTable prints each job's stages (go test -v).
func TestEstimateTable(t *testing.T) {
	ws, _, _ := load(t)
	runs, err := Expand(ws, ".github/workflows/deploy.yml", Event{"push", "refs/heads/main"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		e, _ := Estimate(r, runEnv(r))
		typ, max := e.Total()
		t.Logf("%s: typical %s, at most %s; timeout %s; credentials %s", r.Display(), minutes(typ), minutes(max), minutes(e.Timeout), minutes(e.Credentials))
		if max < time.Minute {
			t.Errorf("%s: no stage estimated", r.Display())
		}
	}
}

// TestToolchainPinned: the workflows install, and requirements.yml pins,
// the versions the tests run; a planted other version is caught.
func TestToolchainPinned(t *testing.T) {
	ws, _, _ := load(t)
	for _, f := range CheckToolchain(root, ws) {
		t.Error(f)
	}
	raw, err := os.ReadFile(filepath.Join(root, ".github/workflows/deploy-environment.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ old, new, want string }{
		{"ansible-core==" + environments.AnsibleCoreVersion, "ansible-core==2.18.1", "installs ansible-core 2.18.1"},
		{"ansible-core==" + environments.AnsibleCoreVersion + " ", "", "runs Ansible without installing ansible-core"},
		{`python-version: "` + environments.AnsiblePythonVersion + `"`, `python-version: "3.12"`, `installs Python "3.12"`},
		{"terraform_version: " + environments.TerraformVersion, "terraform_version: 1.9.8", `installs Terraform "1.9.8"`},
		{"ansible-galaxy collection install -r ansible/requirements.yml", "true", "without installing the collections of ansible/requirements.yml"},
	} {
		planted := strings.Replace(string(raw), tc.old, tc.new, 1)
		if planted == string(raw) {
			t.Fatalf("%q not in deploy-environment.yml", tc.old)
		}
		w, err := Parse([]byte(planted), "deploy-environment.yml")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range CheckToolchain(root, []*Workflow{w}) {
			got = append(got, f.String())
		}
		if !strings.Contains(strings.Join(got, "\n"), tc.want) {
			t.Errorf("planting %q: want %q, got %v", tc.new, tc.want, got)
		}
	}
}

// TestCallerInputsEvaluated: a reusable workflow's inputs are the caller's
// with: evaluated in the caller's context. On a push there are no
// dispatch inputs, so production's accept is empty, not the expression's
// text (the deploy script refused "${{ inputs.accept-production }}").
func TestCallerInputsEvaluated(t *testing.T) {
	ws, _, _ := load(t)
	runs, err := Expand(ws, ".github/workflows/deploy.yml", Event{"push", "refs/heads/main"})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, r := range runs {
		if r.Inputs["environment"] != "production" {
			continue
		}
		seen++
		if a, ok := r.Inputs["accept"]; !ok || a != "" {
			t.Errorf("%s: accept = %q (set: %v), want the empty string", r.Display(), a, ok)
		}
		if f := r.Inputs["extra-flags"]; f != "--i-know-this-is-production" {
			t.Errorf("%s: extra-flags = %q", r.Display(), f)
		}
	}
	if seen == 0 {
		t.Fatal("no production run in deploy.yml's push")
	}
}
