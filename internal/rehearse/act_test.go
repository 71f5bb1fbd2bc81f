//go:build rehearse

package rehearse

// The rehearsal (make rehearse): a new repository, bootstrapped as the
// runbook says, then its first push to main, a pull request and the
// nightly drift check, each job run by nektos/act on this machine as the
// ubuntu-24.04 runner would run it (rehearsal/README.md says what act
// emulates and what the rehearsal adds). Needs: `make synth` (the stacks),
// act (scripts/tools.sh act), Terraform, Ansible, Debian's AWS CLI.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/plan"
)

// rehearsal is one rehearsal's state.
type rehearsal struct {
	t       *testing.T
	repo    string // the worktree
	work    string // scratch root
	scratch string // the new repository
	act     string
	account environments.Account
	// roles: ARN → trust policy, max session (from the mock deployment).
	roles   map[string]roleInfo
	outputs string // dir of <stack>.json outputs (cdktf format)
	gh      string // the gh ledger the bootstrap runbook wrote
	env     []string
	lines   []string // the report
}

type roleInfo struct {
	Trust              json.RawMessage `json:"trust"`
	MaxSessionDuration int             `json:"max_session_duration"`
}

func TestRehearse(t *testing.T) {
	start := time.Now()
	r := &rehearsal{t: t, account: environments.DefaultAccount()}
	var err error
	if r.repo, err = filepath.Abs(root); err != nil {
		t.Fatal(err)
	}
	// The scratch stays when the rehearsal fails, for a look at its logs.
	if r.work, err = os.MkdirTemp("", "rehearsal-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			fmt.Printf("rehearsal: the scratch directory is kept: %s\n", r.work)
			return
		}
		os.RemoveAll(r.work)
	})
	r.act = actBinary(t)
	r.checkAnsibleVersions()
	for _, phase := range []struct {
		name string
		f    func()
	}{{"mock deployment", r.deployShared}, {"runbooks", r.runbooks}, {"workflows", r.workflows}} {
		began := time.Now()
		phase.f()
		r.say(fmt.Sprintf("-- %s: %s", phase.name, time.Since(began).Round(time.Second)))
	}
	fmt.Printf("rehearsal: %d lines, %s\n", len(r.lines), time.Since(start).Round(time.Second))
}

// say prints a line of the report as it happens and keeps it.
func (r *rehearsal) say(line string) {
	fmt.Println(line)
	r.lines = append(r.lines, line)
}

func actBinary(t *testing.T) string {
	dir := os.Getenv("TOOLS_DIR")
	if dir == "" {
		base, _ := os.UserCacheDir()
		dir = filepath.Join(base, "influencegen-tools")
	}
	p := filepath.Join(dir, "bin", "act")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("act is not built: run scripts/tools.sh act (%v)", err)
	}
	return p
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = env
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// checkAnsibleVersions: the Ansible the tests run is the pinned one.
func (r *rehearsal) checkAnsibleVersions() {
	out := run(r.t, r.repo, nil, "ansible", "--version")
	if !strings.Contains(out, "[core "+environments.AnsibleCoreVersion+"]") {
		r.t.Errorf("the Ansible here is not ansible-core %s (environments.AnsibleCoreVersion):\n%s", environments.AnsibleCoreVersion, firstLine(out))
	}
}

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

// deployShared mock-deploys the shared stack with the plan harness and
// keeps its outputs (cdktf's outputs-file shape) and its roles.
func (r *rehearsal) deployShared() {
	stacks := []string{"shared-stack", "dev-stack", "staging-stack", "production-stack"}
	_, results, err := plan.Run(context.Background(), plan.Options{
		Outdir: filepath.Join(r.repo, "cdktf.out"), Stacks: stacks, Deploy: stacks, DeployOnly: true, AccountID: r.account.ID,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.outputs = filepath.Join(r.work, "outputs")
	for _, res := range results[1:] {
		if !res.OK() || res.Deployed == nil {
			r.t.Fatalf("mock deployment of %s: %s", res.Stack, res.Err)
		}
		// outputs/ENV.json as the deploy writes it (cdktf's shape), from
		// the deployment's `terraform output -json`.
		var st struct {
			Outputs json.RawMessage `json:"outputs"`
		}
		if err := json.Unmarshal(res.Deployed, &st); err != nil {
			r.t.Fatal(err)
		}
		cmd := exec.Command("python3", "scripts/deploy_checks.py", "outputs", filepath.Join("cdktf.out", "stacks", res.Stack, "cdk.tf.json"), res.Stack)
		cmd.Dir = r.repo
		cmd.Stdin = bytes.NewReader(st.Outputs)
		out, err := cmd.Output()
		if err != nil {
			r.t.Fatalf("outputs of %s: %v", res.Stack, err)
		}
		if err := os.MkdirAll(r.outputs, 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.outputs, res.Stack+".json"), out, 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	res := results[0]
	if !res.OK() || res.Deployed == nil {
		r.t.Fatalf("mock deployment of shared-stack: %s", res.Err)
	}
	var state struct {
		Outputs map[string]struct {
			Value any `json:"value"`
		} `json:"outputs"`
		RootModule struct {
			Resources []struct {
				Type   string         `json:"type"`
				Values map[string]any `json:"values"`
			} `json:"resources"`
		} `json:"root_module"`
	}
	if err := json.Unmarshal(res.Deployed, &state); err != nil {
		r.t.Fatal(err)
	}
	outs := map[string]any{}
	for k, v := range state.Outputs {
		outs[k] = v.Value
	}
	writeJSON(r.t, filepath.Join(r.outputs, "shared-stack.json"), map[string]any{"shared-stack": outs})
	r.roles = map[string]roleInfo{}
	for _, res := range state.RootModule.Resources {
		if res.Type != "aws_iam_role" {
			continue
		}
		arn, _ := res.Values["arn"].(string)
		trust, _ := res.Values["assume_role_policy"].(string)
		max, _ := res.Values["max_session_duration"].(float64)
		r.roles[arn] = roleInfo{Trust: json.RawMessage(trust), MaxSessionDuration: int(max)}
	}
	writeJSON(r.t, filepath.Join(r.work, "roles.json"), r.roles)
	r.say(fmt.Sprintf("mock deployment (plan harness, Terraform %s, mock hashicorp/aws): %s; shared-stack: %d outputs, %d roles",
		environments.TerraformVersion, strings.Join(stacks, ", "), len(outs), len(r.roles)))
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// newRepository copies the worktree's files (tracked, and untracked ones
// git does not ignore) into dir as a new repository with one commit on
// main, its remote the configured repository.
func (r *rehearsal) newRepository(dir string) {
	files := strings.Split(strings.TrimSpace(run(r.t, r.repo, nil, "git", "ls-files", "-co", "--exclude-standard")), "\n")
	for _, f := range files {
		src := filepath.Join(r.repo, f)
		info, err := os.Lstat(src)
		if err != nil {
			continue // deleted in the worktree
		}
		dst := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if info.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(src)
			if err != nil {
				r.t.Fatal(err)
			}
			if err := os.Symlink(target, dst); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, info.Mode().Perm()); err != nil {
			r.t.Fatal(err)
		}
	}
	env := append(os.Environ(), "GIT_AUTHOR_NAME=rehearsal", "GIT_AUTHOR_EMAIL=rehearsal@example.invalid",
		"GIT_COMMITTER_NAME=rehearsal", "GIT_COMMITTER_EMAIL=rehearsal@example.invalid")
	run(r.t, dir, env, "git", "init", "-q", "-b", "main")
	run(r.t, dir, env, "git", "add", "-A")
	run(r.t, dir, env, "git", "commit", "-q", "-m", "first commit")
	run(r.t, dir, env, "git", "remote", "add", "origin", "https://github.com/"+r.account.Repository+".git")
}

// linkTools makes a bin directory: each name links to target (a fake) or,
// when target is "", to the real tool found on PATH.
func linkTools(t *testing.T, dir string, tools map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range tools {
		if target == "" {
			p, err := exec.LookPath(name)
			if err != nil {
				continue // not on this machine: a job calling it fails, as it would without it
			}
			target = p
		}
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

func writeExec(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
}

// runbooks runs every shell block of the runbooks and the README in a new
// repository with the stand-ins first on the PATH, the bootstrap runbook
// first (it writes the GitHub settings the workflows read). A block marked
// norun is parsed (bash -n) and its commands must exist. Each Markdown file
// runs as one script whose lines are the file's lines, so a failure names
// the file and line.
func (r *rehearsal) runbooks() {
	dir := filepath.Join(r.work, "runbooks-repo")
	r.newRepository(dir)
	// The repository's scripts: stand-ins that accept exactly the options
	// their help text names.
	scripts, _ := filepath.Glob(filepath.Join(dir, "scripts", "*"))
	for _, s := range scripts {
		if st, err := os.Stat(s); err != nil || st.IsDir() || st.Mode()&0o111 == 0 || strings.HasSuffix(s, "usage.sh") || strings.HasSuffix(s, "lib.sh") {
			continue
		}
		rel, _ := filepath.Rel(dir, s)
		writeExec(r.t, s, fmt.Sprintf("#!/usr/bin/env bash\nexec python3 %q script %q \"$@\"\n", filepath.Join(r.repo, "rehearsal", "fakes.py"), filepath.Join(r.repo, rel)))
	}
	// A deployed account: outputs/ENV.json as each environment's deploy
	// left it.
	for _, e := range []string{"dev", "staging", "production"} {
		b, err := os.ReadFile(filepath.Join(r.outputs, e+"-stack.json"))
		if err != nil {
			r.t.Fatal(err)
		}
		writeExec(r.t, filepath.Join(dir, "outputs", e+".json"), string(b))
	}
	bin := filepath.Join(r.work, "runbook-bin")
	fakes := filepath.Join(r.repo, "rehearsal", "fakes.py")
	tools := map[string]string{}
	for name := range fakeTools {
		tools[name] = fakes
	}
	linkTools(r.t, bin, tools)
	r.gh = filepath.Join(r.work, "gh.jsonl")
	realPath := os.Getenv("PATH")
	env := append(os.Environ(), "PATH="+bin+":"+realPath, "REHEARSAL_REAL_PATH="+realPath, "REHEARSAL_GH="+r.gh,
		"REHEARSAL_OUTPUTS="+r.outputs, "REHEARSAL_CDKTF="+filepath.Join(r.repo, "node_modules", ".bin", "cdktf"), "REHEARSAL_HELP_CACHE="+filepath.Join(r.work, "help-cache"),
		"REHEARSAL_CALLS="+filepath.Join(r.work, "runbook-calls.jsonl"), "EDITOR=vi", "GIT_PAGER=cat", "PAGER=cat",
		"REHEARSAL_SYNTH="+filepath.Join(r.repo, "cdktf.out", "stacks"))
	files, err := RunbookFiles(r.repo)
	if err != nil {
		r.t.Fatal(err)
	}
	// The bootstrap runbook first: it sets up what the others assume.
	ordered := []string{BootstrapFile}
	for _, f := range files {
		if f != BootstrapFile {
			ordered = append(ordered, f)
		}
	}
	files = ordered
	for _, f := range files {
		blocks, err := Blocks(r.repo, f)
		if err != nil {
			r.t.Fatal(err)
		}
		ran, parsed := 0, 0
		for _, b := range blocks {
			if !b.NoRun {
				continue
			}
			parsed++
			text := anglePlaceholder.ReplaceAllString(b.Text, "placeholder")
			if out, err := exec.Command("bash", "-n", "-c", text).CombinedOutput(); err != nil {
				r.t.Errorf("%s: the block does not parse: %s", b.Where(), out)
			}
		}
		script := scriptOf(f, blocks, dir)
		if script == "" {
			r.say(fmt.Sprintf("runbook %-36s %d block(s) parsed (norun), none run", f, parsed))
			continue
		}
		for _, b := range blocks {
			if !b.NoRun {
				ran++
			}
		}
		path := filepath.Join(r.work, "runbook-"+strings.ReplaceAll(f, "/", "_")+".sh")
		writeExec(r.t, path, script)
		cmd := exec.Command("bash", path)
		cmd.Dir = dir
		cmd.Env = env
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		status := "ok"
		if err != nil {
			status = "FAILED"
			r.t.Errorf("%s", failure(f, string(out)))
		}
		r.say(fmt.Sprintf("runbook %-36s %d block(s) run, %d parsed (norun): %s", f, ran, parsed, status))
	}
	r.plantedRunbook(dir, env)
}

// plantedRunbook: a runbook line with an option its tool lacks, or a
// command that does not exist, fails naming its file and line.
func (r *rehearsal) plantedRunbook(dir string, env []string) {
	for _, tc := range []struct{ line, want string }{
		{"terraform plan -refresh-only -no-such-flag", "terraform plan has no option -no-such-flag"},
		{"aws rds describe-db-instances --db-instance-identifier x --bogus-option 1", "Unknown options: --bogus-option"},
		{"scripts/deploy_environment.sh dev --yes", "deploy_environment.sh has no option --yes"},
		{"cd ansible && ansible-playbook -i inventories/dev playbooks/no-such-playbook.yml", "the playbook playbooks/no-such-playbook.yml could not be found"},
		{"npx cdktf deploy dev-stack --auto-aprove", "cdktf deploy has no option --auto-aprove"},
		{"gh variable set AWS_REGION --value eu-central-1", "gh variable set has no option --value"},
	} {
		md := "# Planted\n\nText.\n\n```sh\nmake synth\n" + tc.line + "\n```\n"
		f := "docs/runbooks/zz-planted.md"
		writeExec(r.t, filepath.Join(dir, f), md)
		blocks, err := parseBlocks(f, []byte(md))
		if err != nil {
			r.t.Fatal(err)
		}
		path := filepath.Join(r.work, "runbook-planted.sh")
		writeExec(r.t, path, scriptOf(f, blocks, dir))
		cmd := exec.Command("bash", path)
		cmd.Dir = dir
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		msg := failure(f, string(out))
		if err == nil || !strings.Contains(msg, f+":7:") || !strings.Contains(msg, tc.want) {
			r.t.Errorf("planted runbook line %q: want a failure at %s:7 saying %q, got (%v):\n%s", tc.line, f, tc.want, err, msg)
		}
	}
	_ = os.Remove(filepath.Join(dir, "docs/runbooks/zz-planted.md"))
	r.say("runbook planted breaks: an unknown option of terraform, aws, a script, cdktf and gh, and a missing playbook, each failed at its line")
}

// failure is a runbook script's failure as "file:line: what failed".
func failure(file, out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	at := ""
	var msg []string
	for _, l := range lines {
		if m := regexp.MustCompile(`^@@FAILED (\d+)$`).FindStringSubmatch(l); m != nil {
			at = m[1]
			continue
		}
		msg = append(msg, l)
	}
	if len(msg) > 8 {
		msg = msg[len(msg)-8:]
	}
	return fmt.Sprintf("%s:%s: the command on this line failed:\n%s", file, at, strings.Join(msg, "\n"))
}

// placeholders are the runbooks' stand-ins for what a user fills in.
var (
	anglePlaceholder = regexp.MustCompile(`<[A-Za-z][^<>\n]*>`)
	envAngle         = regexp.MustCompile(`<(env|ENV)>`)
	envPlaceholder   = regexp.MustCompile(`\bENV\b`)
)

// scriptOf lays the runnable blocks of a Markdown file at their own line
// numbers in one bash script ("" when none runs): each block starts from
// the repository root; an error reports its line.
func scriptOf(file string, blocks []Block, dir string) string {
	raw, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return ""
	}
	n := strings.Count(string(raw), "\n") + 2
	lines := make([]string, n)
	any := false
	for _, b := range blocks {
		if b.NoRun {
			continue
		}
		any = true
		lines[b.Line-2] = fmt.Sprintf("cd %q", dir)
		for i, l := range strings.Split(strings.TrimSuffix(b.Text, "\n"), "\n") {
			l = anglePlaceholder.ReplaceAllString(envAngle.ReplaceAllString(l, "staging"), "placeholder")
			lines[b.Line-1+i] = envPlaceholder.ReplaceAllString(l, "staging")
		}
	}
	if !any {
		return ""
	}
	// DEBUG keeps the line of the command about to run: the one that failed
	// when the script stops (an ERR trap misses a failure inside && lists).
	lines[0] = `set -eo pipefail; trap '((LINENO == 1)) || at=$LINENO' DEBUG; trap 'rc=$?; ((rc == 0)) || echo "@@FAILED $at" >&2' EXIT`
	return strings.Join(lines, "\n") + "\n"
}

// fakeTools are the tools rehearsal/fakes.py stands in for.
var fakeTools = map[string]bool{"aws": true, "terraform": true, "git": true, "npx": true, "gh": true, "go": true, "make": true,
	"ansible-playbook": true, "ansible": true, "ansible-inventory": true, "ansible-vault": true, "ansible-galaxy": true,
	"less": true, "vi": true, "sudo": true, "psql": true, "systemctl": true, "journalctl": true, "odoo-restore": true, "odoo-backup": true}

// ghSettings reads what the bootstrap runbook set with gh.
func (r *rehearsal) ghSettings() (vars, secrets map[string]map[string]string, reviewed map[string]bool) {
	vars, secrets, reviewed = map[string]map[string]string{}, map[string]map[string]string{}, map[string]bool{}
	f, err := os.Open(r.gh)
	if err != nil {
		r.t.Fatalf("the bootstrap runbook set nothing with gh: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e struct {
			Kind, Name, Env, Value, Environment string
			Reviewers                           []string
		}
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		m := vars
		if e.Kind == "secret" {
			m = secrets
		}
		if e.Name != "" {
			if m[e.Env] == nil {
				m[e.Env] = map[string]string{}
			}
			m[e.Env][e.Name] = e.Value
		}
		if e.Environment != "" && len(e.Reviewers) > 0 {
			reviewed[e.Environment] = true
		}
	}
	// What norun blocks set (a password typed, reviewers chosen) gets a
	// rehearsal value: the block is what a user runs.
	blocks, _ := Blocks(r.repo, BootstrapFile)
	static, err := ReadSettings(blocks)
	if err != nil {
		r.t.Fatal(err)
	}
	for scope, names := range static.Secrets {
		for name := range names {
			if secrets[scope] == nil {
				secrets[scope] = map[string]string{}
			}
			if _, ok := secrets[scope][name]; !ok {
				secrets[scope][name] = "rehearsal-" + strings.ToLower(name)
			}
		}
	}
	for env := range static.Reviewed {
		reviewed[env] = true
	}
	return
}

// workflows runs the rehearsed triggers' jobs with act, one job (one
// matrix row) per act run, in dependency order.
func (r *rehearsal) workflows() {
	vars, secrets, reviewed := r.ghSettings()
	ws, err := Load(r.repo)
	if err != nil {
		r.t.Fatal(err)
	}
	r.scratch = filepath.Join(r.work, "repo")
	r.newRepository(r.scratch)
	r.recordModelVersions()
	bin := r.imageBin()
	for n, tr := range Triggers {
		runs, err := Expand(ws, tr.File, tr.Event)
		if err != nil {
			r.t.Fatal(err)
		}
		artifacts := filepath.Join(r.work, fmt.Sprintf("artifacts-%d", n))
		r.say(fmt.Sprintf("== %s on %s (%s)", tr.File, tr.Event.Name, tr.Event.Ref))
		failed := false
		for _, run := range runs {
			if selfTested[run.Job.Workflow.File+"#"+run.Job.ID] {
				r.say(fmt.Sprintf("JOB  %-32s not rehearsed: its steps are .ci/run's (make deps, lint, synth, the test tiers, the scanners), which CI runs for real", run.Display()))
				continue
			}
			if failed {
				r.say(fmt.Sprintf("JOB  %-32s skipped (an earlier job failed)", run.Display()))
				continue
			}
			if reviewed[run.Environment] {
				r.say(fmt.Sprintf("GATE %-32s environment %s has required reviewers: approved by the rehearsal", run.Display(), run.Environment))
			}
			if !r.actJob(run, vars, secrets, bin, artifacts) {
				failed = true
			}
		}
	}
}

// recordModelVersions commits what the bootstrap runbook's last step, each
// environment's first models (docs/runbooks/models.md: a --skip-ansible
// deploy, supply or promote, commit), leaves in the repository before its
// first push: ansible/group_vars/ENV.yml's ai_model_version and
// ai_model_manifest_sha256 as scripts/models.sh records them. The versions
// are those whose manifests the fake AWS CLI's model buckets hold
// (scripts/tests/fixtures/aws/pass/s3api), so that the deploy's preflight
// checks a version that is there. Without this step the first push's dev
// plan stops at the preflight: no promoted model version.
func (r *rehearsal) recordModelVersions() {
	fixtures, err := filepath.Glob(filepath.Join(r.repo, "scripts", "tests", "fixtures", "group_vars", "*.yml"))
	if err != nil || len(fixtures) == 0 {
		r.t.Fatalf("no recorded model versions in scripts/tests/fixtures/group_vars: %v", err)
	}
	for _, f := range fixtures {
		b, err := os.ReadFile(f)
		if err != nil {
			r.t.Fatal(err)
		}
		target := filepath.Join(r.scratch, "ansible", "group_vars", filepath.Base(f))
		vars, err := os.ReadFile(target)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, key := range []string{"ai_model_version", "ai_model_manifest_sha256"} {
			line := regexp.MustCompile(`(?m)^` + key + `: .*$`)
			recorded := line.Find(b)
			if recorded == nil || !line.Match(vars) {
				r.t.Fatalf("%s: %s is not recorded in %s or not in %s", filepath.Base(f), key, f, target)
			}
			vars = line.ReplaceAllLiteral(vars, recorded)
		}
		if err := os.WriteFile(target, vars, 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	env := append(os.Environ(), "GIT_AUTHOR_NAME=rehearsal", "GIT_AUTHOR_EMAIL=rehearsal@example.invalid",
		"GIT_COMMITTER_NAME=rehearsal", "GIT_COMMITTER_EMAIL=rehearsal@example.invalid")
	run(r.t, r.scratch, env, "git", "commit", "-qam", "Record the first model versions (docs/runbooks/models.md)")
	r.say("models: each environment's first version recorded in ansible/group_vars, as docs/runbooks/models.md leaves it before the first push")
}

// selfTested are jobs whose steps are this repository's own CI: .ci/run
// runs the same commands for real (the static checks still read them).
var selfTested = map[string]bool{".github/workflows/pull-request.yml#checks": true}

// imageBin is the PATH of the runner image: the tools its documentation
// lists (RunnerImage) that this machine has, with stand-ins for those that
// would reach the network or AWS.
func (r *rehearsal) imageBin() string {
	bin := filepath.Join(r.work, "image-bin")
	fakes := filepath.Join(r.repo, "rehearsal", "fakes.py")
	tools := map[string]string{}
	for name := range RunnerImage {
		tools[name] = ""
	}
	for _, extra := range []string{"go", "gofmt", "python3", "sha256sum", "env", "ls", "awk"} {
		tools[extra] = ""
	}
	for name, target := range map[string]string{
		// The system Python, not a version manager's shim.
		"python3": "/usr/bin/python3", "python": "/usr/bin/python3",
		"aws": filepath.Join(r.repo, "scripts", "tests", "fake-aws", "aws"),
		"gh":  fakes, "make": fakes, "npx": fakes, "npm": fakes, "sudo": fakes,
		"curl": fakes, "wget": fakes, "pip": fakes, "pip3": fakes, "pipx": fakes, "apt-get": fakes, "dpkg": fakes,
		"ansible": fakes, "ansible-playbook": fakes, "ansible-inventory": fakes, "ansible-galaxy": fakes, "ansible-vault": fakes,
		"session-manager-plugin": fakes,
	} {
		tools[name] = target
	}
	linkTools(r.t, bin, tools)
	// setup-terraform's Terraform: the fake of scripts/tests (state, saved
	// plans) behind a check that the job holds AWS credentials.
	tf := filepath.Join(r.work, "setup-terraform")
	writeExec(r.t, filepath.Join(tf, "terraform"), fmt.Sprintf(`#!/usr/bin/env bash
case "${1:-}" in
init|plan|apply|state|output|force-unlock|import)
	if [[ -z "${AWS_ACCESS_KEY_ID:-}" || -z "${REHEARSAL_ROLE_ARN:-}" ]]; then
		echo "terraform $1: no AWS credentials: the S3 backend cannot read the state (no configure-aws-credentials step before this one?)" >&2
		exit 1
	fi ;;
esac
exec %q "$@"
`, filepath.Join(r.repo, "scripts", "tests", "fake-terraform")))
	// setup-python's Python: pip installs of the pinned Ansible put the
	// rehearsal's Ansible on the PATH.
	py := filepath.Join(r.work, "setup-python")
	writeExec(r.t, filepath.Join(py, "python"), fmt.Sprintf("#!/usr/bin/env bash\nif [[ \"${1:-} ${2:-}\" == \"-m pip\" ]]; then shift 2; exec python3 %q pip-install-pinned %q \"$@\"; fi\nexec /usr/bin/python3 \"$@\"\n", fakes, py))
	writeExec(r.t, filepath.Join(py, "python3"), "#!/usr/bin/env bash\nexec \"$(dirname \"$0\")/python\" \"$@\"\n")
	return bin
}

// actJob runs one job with act and reports it and its steps.
func (r *rehearsal) actJob(run *Run, vars, secrets map[string]map[string]string, bin, artifacts string) bool {
	t := r.t
	// A fresh checkout for every job, as on GitHub.
	run0 := exec.Command("git", "clean", "-fdxq")
	run0.Dir = r.scratch
	if out, err := run0.CombinedOutput(); err != nil {
		t.Fatalf("git clean: %v %s", err, out)
	}
	jobDir := filepath.Join(r.work, "jobs", run.Key())
	merged := func(m map[string]map[string]string) string {
		var b strings.Builder
		all := map[string]string{}
		for k, v := range m[""] {
			all[k] = v
		}
		for k, v := range m[run.Environment] {
			all[k] = v
		}
		keys := make([]string, 0, len(all))
		for k := range all {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%s\n", k, strings.ReplaceAll(all[k], "\n", `\n`))
		}
		return b.String()
	}
	varFile := filepath.Join(jobDir, "vars")
	secretFile := filepath.Join(jobDir, "secrets")
	writeExec(t, varFile, merged(vars))
	writeExec(t, secretFile, merged(secrets))
	wf := r.derivedWorkflow(run, jobDir)
	event := run.Event.Name
	if run.Caller != nil {
		event = "workflow_call"
	}
	eventFile := filepath.Join(jobDir, "event.json")
	ev := map[string]any{"ref": run.Event.Ref, "repository": map[string]any{"full_name": r.account.Repository, "default_branch": "main"}}
	if run.Caller != nil {
		// act reads a called workflow's inputs from the event's inputs.
		ev["inputs"] = run.Inputs
	}
	if run.Event.Name == "pull_request" {
		ev["pull_request"] = map[string]any{"number": 1, "head": map[string]any{"ref": "change"}, "base": map[string]any{"ref": "main"}}
		ev["number"] = 1
	}
	writeJSON(t, eventFile, ev)
	cfg := runEnvConfig(run)
	est, err := Estimate(run, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fakeTF := filepath.Join(jobDir, "fake-tf")
	_ = os.MkdirAll(fakeTF, 0o755)
	if cfg != nil {
		// The environment's state across its plan and apply jobs.
		fakeTF = filepath.Join(r.work, "state", cfg.Identity.Name)
		_ = os.MkdirAll(fakeTF, 0o755)
	}
	args := []string{event, "-W", wf, "-j", run.Job.ID, "-P", "ubuntu-24.04=-self-hosted", "--json", "--action-offline-mode",
		"-e", eventFile, "--var-file", varFile, "--secret-file", secretFile, "--defaultbranch", "main"}
	// Each action the job uses, as it is written (owner/repo@<commit>),
	// runs its stand-in: act's --local-repository replaces exactly that
	// reference. TestWorkflowsStatic proves every reference is a commit
	// pin of the major the stand-in keeps the contract of.
	sd, err := LoadStandins(r.repo)
	if err != nil {
		t.Fatal(err)
	}
	mapped := map[string]bool{}
	for _, st := range run.Job.Steps {
		name, _, _ := strings.Cut(st.Uses, "@")
		if _, ok := sd[name]; !ok || mapped[st.Uses] {
			continue
		}
		mapped[st.Uses] = true
		args = append(args, "--local-repository", st.Uses+"="+filepath.Join(r.repo, StandinDir, name))
	}
	for k, v := range run.Inputs {
		args = append(args, "--input", k+"="+v)
	}
	for k, v := range run.Matrix {
		args = append(args, "--matrix", k+":"+v)
	}
	instances := fakeInstances(cfg)
	for _, kv := range []string{
		"REHEARSAL_HOME=" + filepath.Join(r.repo, "rehearsal"), "REHEARSAL_LEDGER=" + filepath.Join(r.work, "ledger.jsonl"),
		"REHEARSAL_JOB=" + run.Key(), "REHEARSAL_OIDC_SUB=" + run.Subject(r.account.Repository),
		"REHEARSAL_ROLES=" + filepath.Join(r.work, "roles.json"), "REHEARSAL_TERRAFORM_VERSION=" + environments.TerraformVersion,
		"REHEARSAL_TERRAFORM_DIR=" + filepath.Join(r.work, "setup-terraform"), "REHEARSAL_PYTHON_DIR=" + filepath.Join(r.work, "setup-python"),
		"REHEARSAL_REAL_TERRAFORM=" + mustLook(t, "terraform"), "REHEARSAL_ARTIFACTS=" + artifacts,
		"REHEARSAL_SYNTH=" + filepath.Join(r.repo, "cdktf.out", "stacks"), "REHEARSAL_CDKTF=" + filepath.Join(r.repo, "node_modules", ".bin", "cdktf"),
		"REHEARSAL_REAL_PATH=" + os.Getenv("PATH"), "REHEARSAL_HELP_CACHE=" + filepath.Join(r.work, "help-cache"),
		"REHEARSAL_CALLS=" + filepath.Join(r.work, "calls.jsonl"), "REHEARSAL_MODE=act",
		"REHEARSAL_PINS=" + pins(), "REHEARSAL_SSM_PLUGIN=" + environments.SessionManagerPluginVersion, "CALLS=" + filepath.Join(jobDir, "terraform-calls"), "FAKE_TF=" + fakeTF,
		"FAKE_INSTANCES=" + instances, "ANSIBLE_GROUPS_JSON=" + ansibleGroups(), "SECRET_VALUE=rehearsal-sensitive-value", "FAKE_AWS_FIXTURES=" + filepath.Join(r.repo, "scripts", "tests", "fixtures", "aws"),
		"INFLUENCEGEN_REQUIRE_TERRAFORM=",
	} {
		args = append(args, "--env", kv)
	}
	cmd := exec.Command(r.act, args...)
	cmd.Dir = r.scratch
	home := filepath.Join(r.work, "home")
	_ = os.MkdirAll(home, 0o755)
	gocache, _ := exec.Command("go", "env", "GOCACHE").Output()
	gomod, _ := exec.Command("go", "env", "GOMODCACHE").Output()
	cmd.Env = []string{"PATH=" + bin, "HOME=" + home, "GOCACHE=" + strings.TrimSpace(string(gocache)), "GOMODCACHE=" + strings.TrimSpace(string(gomod)),
		"GOFLAGS=-mod=mod", "GOPROXY=off", "GONOSUMDB=github.com/cdktf", "LANG=C.UTF-8", "TMPDIR=" + r.work}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stdout
	began := time.Now()
	err = cmd.Run()
	role := ""
	for _, st := range run.Job.Steps {
		if strings.HasPrefix(st.Uses, "aws-actions/configure-aws-credentials@") {
			if v, e := run.Eval(st.With["role-to-assume"].S, flat(vars, run.Environment)); e == nil {
				role = v[strings.LastIndex(v, "/")+1:]
			}
		}
	}
	if role == "" {
		role = "(no AWS role)"
	}
	typ, max := est.Total()
	result, steps, log := parseAct(stdout.Bytes())
	if err != nil && result == "" {
		result = "failure"
	}
	r.say(fmt.Sprintf("JOB  %-32s %-8s role %-32s estimate %s typical, %s at most (timeout %d min, credentials %s) [rehearsed in %s]",
		run.Display(), result, role, minutes(typ), minutes(max), run.Job.TimeoutMinutes, credLabel(est), time.Since(began).Round(time.Second)))
	for i, st := range run.Job.Steps {
		res := steps[st.Label()]
		if res == "" {
			res = "not run"
		}
		var stage []string
		for _, s := range est.Stages {
			if s.Step == i {
				stage = append(stage, fmt.Sprintf("%s: %s/%s", s.Name, minutes(s.Typical), minutes(s.Max)))
			}
		}
		r.say(fmt.Sprintf("  STEP %-60s %-8s %s", truncate(st.Label(), 60), res, strings.Join(stage, "; ")))
	}
	if result != "success" {
		t.Errorf("%s:%d: job %q failed in the rehearsal:\n%s", run.Job.Workflow.File, run.Job.Line, run.Display(), log)
		return false
	}
	return true
}

func credLabel(e JobEstimate) string {
	if e.CredentialsStep < 0 {
		return "none"
	}
	return minutes(e.Credentials)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func flat(m map[string]map[string]string, env string) map[string]string {
	out := map[string]string{}
	for k, v := range m[""] {
		out[k] = v
	}
	for k, v := range m[env] {
		out[k] = v
	}
	return out
}

func mustLook(t *testing.T, name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed", name)
	}
	return p
}

func pins() string {
	b, _ := json.Marshal(map[string]any{"ansible-core": environments.AnsibleCoreVersion, "boto3": environments.Boto3Version,
		"botocore": environments.BotocoreVersion, "python": environments.AnsiblePythonVersion})
	return string(b)
}

func runEnvConfig(r *Run) *environments.ParityConfig {
	name := r.Inputs["environment"]
	if name == "" {
		name = r.Matrix["env"]
	}
	for _, c := range environments.All(environments.DefaultAccount()) {
		if c.Identity.Name == name {
			return &c
		}
	}
	return nil
}

// fakeInstances are the instance IDs the fake terraform outputs for an
// environment: one per server of each tier (ParityConfig.Count).
func fakeInstances(cfg *environments.ParityConfig) string {
	if cfg == nil {
		return ""
	}
	var parts []string
	for ti, tier := range environments.DefaultTiers() {
		var ids []string
		for i := 0; i < cfg.Count(tier); i++ {
			ids = append(ids, fmt.Sprintf("i-0%015x", (ti+1)*16+i+1))
		}
		parts = append(parts, tier.Name+"="+strings.Join(ids, ","))
	}
	return strings.Join(parts, " ")
}

// ansibleGroups is the stack output ansible_groups: each tier's
// inventory group (environments.DefaultTiers).
func ansibleGroups() string {
	m := map[string]string{}
	for _, t := range environments.DefaultTiers() {
		m[t.Name] = t.AnsibleGroup
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// derivedWorkflow writes the workflow act runs for one job: the job's own
// file with only that job, its needs removed (the rehearsal ran them).
func (r *rehearsal) derivedWorkflow(run *Run, dir string) string {
	src := filepath.Join(r.repo, run.Job.Workflow.File)
	raw, err := os.ReadFile(src)
	if err != nil {
		r.t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		r.t.Fatal(err)
	}
	jobs := get(doc.Content[0], "jobs")
	var keep []*yaml.Node
	for i := 0; i < len(jobs.Content); i += 2 {
		if jobs.Content[i].Value == run.Job.ID {
			j := jobs.Content[i+1]
			var kept []*yaml.Node
			for k := 0; k < len(j.Content); k += 2 {
				if j.Content[k].Value != "needs" {
					kept = append(kept, j.Content[k], j.Content[k+1])
				}
			}
			j.Content = kept
			keep = append(keep, jobs.Content[i], j)
		}
	}
	jobs.Content = keep
	out, err := yaml.Marshal(&doc)
	if err != nil {
		r.t.Fatal(err)
	}
	p := filepath.Join(r.scratch, ".github", "rehearsal", strings.ReplaceAll(run.Key(), "/", "-")+".yml")
	writeExec(r.t, p, string(out))
	return p
}

// parseAct reads act's JSON log: the job's result, each main step's
// result by step name, and the log's text for a failure message.
func parseAct(out []byte) (string, map[string]string, string) {
	steps := map[string]string{}
	result := ""
	var text []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var l struct {
			Msg        string   `json:"msg"`
			Step       string   `json:"step"`
			Stage      string   `json:"stage"`
			StepResult string   `json:"stepResult"`
			JobResult  string   `json:"jobResult"`
			StepID     []string `json:"stepID"`
			Level      string   `json:"level"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			text = append(text, sc.Text())
			continue
		}
		if l.JobResult != "" {
			result = l.JobResult
		}
		if l.StepResult != "" && l.Stage == "Main" && len(l.StepID) == 1 {
			steps[strings.TrimPrefix(l.Step, "Main ")] = l.StepResult
		}
		if l.StepResult == "" && l.JobResult == "" {
			text = append(text, strings.TrimRight(l.Msg, "\n"))
		}
	}
	if len(text) > 60 {
		text = text[len(text)-60:]
	}
	return result, steps, strings.Join(text, "\n")
}
