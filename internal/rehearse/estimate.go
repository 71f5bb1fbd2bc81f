package rehearse

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/influencegen/infrastructure/environments"
)

// Stage is one part of a job's work on a real account, with how long it
// takes typically and at most, and where each figure comes from.
type Stage struct {
	// Name says what happens.
	Name string
	// Typical and Max are its duration; Max is what a plan for time and
	// credentials must cover (a bound the tool itself enforces where
	// there is one: a provider's create timeout, a role's retries × delay).
	Typical, Max time.Duration
	// Source is the documentation, source file or measurement.
	Source string
	// Step is the index of the step the stage belongs to.
	Step int
}

// JobEstimate is a job's duration stage by stage, against its timeout and
// the credentials it holds.
type JobEstimate struct {
	// Run is the job.
	Run *Run
	// Stages in order.
	Stages []Stage
	// CredentialsStep is the index of the configure-aws-credentials step
	// (-1: the job assumes no role); Credentials the session's lifetime
	// (role-duration-seconds, default 3600 in configure-aws-credentials
	// v4 src/index.ts DEFAULT_ROLE_DURATION).
	CredentialsStep int
	Credentials     time.Duration
	// Timeout is the job's timeout-minutes.
	Timeout time.Duration
}

// Total sums the stages' typical and maximum durations.
func (e JobEstimate) Total() (typical, max time.Duration) {
	for _, s := range e.Stages {
		typical += s.Typical
		max += s.Max
	}
	return
}

// Check fails a job whose stages may outlast its timeout, or a stage that
// may end after the credentials it uses expired (a stage after the
// configure-aws-credentials step runs on the session it started), or a
// session longer than the role allows (roleMax: the role's
// MaxSessionDuration; STS refuses the request).
func (e JobEstimate) Check(role string, roleMax time.Duration) []Finding {
	var out []Finding
	_, max := e.Total()
	if max > e.Timeout {
		out = append(out, Finding{e.Run.Where(e.Run.Job.Line), fmt.Sprintf("may take %s (sum of the stages' maxima), over its timeout-minutes %d", minutes(max), int(e.Timeout.Minutes()))})
	}
	if e.CredentialsStep < 0 {
		return out
	}
	if roleMax > 0 && e.Credentials > roleMax {
		out = append(out, Finding{e.Run.Where(e.Run.Job.Steps[e.CredentialsStep].Line), fmt.Sprintf("asks for a %s session of %s, whose MaxSessionDuration is %s: STS refuses it", minutes(e.Credentials), role, minutes(roleMax))})
	}
	var elapsed time.Duration
	for _, s := range e.Stages {
		if s.Step <= e.CredentialsStep {
			continue
		}
		elapsed += s.Max
		if elapsed > e.Credentials {
			st := e.Run.Job.Steps[s.Step]
			out = append(out, Finding{e.Run.Where(st.Line), fmt.Sprintf("step %q (%s) may end %s after the credentials were issued; they last %s (role-duration-seconds): its AWS calls would fail with ExpiredToken",
				st.Label(), s.Name, minutes(elapsed), minutes(e.Credentials))})
			break
		}
	}
	return out
}

func minutes(d time.Duration) string {
	return fmt.Sprintf("%d min", int(d.Round(time.Minute).Minutes()))
}

func m(n float64) time.Duration { return time.Duration(n * float64(time.Minute)) }

// Stage figures. A stage without a bound of its own takes the figure
// measured here, with headroom, and says so.
var (
	stageSetup = Stage{Name: "runner start, checkout, toolchains", Typical: m(1), Max: m(3),
		Source: "GitHub-hosted runner; Go, Node and Terraform come from the image's tool cache or one download each"}
	stageDeps = Stage{Name: "npm ci (cdktf CLI) and go mod download", Typical: m(2), Max: m(5),
		Source: "scripts/install-deps.sh --synth-only; cold caches"}
	stageAnsibleInstall = Stage{Name: "Ansible core, collections, boto3 (pinned)", Typical: m(1), Max: m(4),
		Source: "pip and ansible-galaxy installs of the versions in environments/toolchain.go"}
	stageSynth = Stage{Name: "validate and synth", Typical: m(0.5), Max: m(2),
		Source: "README.md, \"Synthesizing costs 5–7 s per process\"; cdktf CLI start-up on top"}
	stagePreflight = Stage{Name: "preflight (read-only AWS calls)", Typical: m(0.5), Max: m(2),
		Source: "scripts/preflight.sh: about 20 describe/get calls"}
	stageInit = Stage{Name: "terraform init (S3 backend, provider download)", Typical: m(0.5), Max: m(3),
		Source: "hashicorp/aws 5.100.0 is a ~700 MB download"}
	stagePlan = Stage{Name: "terraform plan (refresh of every resource)", Typical: m(3), Max: m(10),
		Source: "one read per resource (~300 per environment stack), 10 in parallel (Terraform's -parallelism default)"}
	stageArtifact = Stage{Name: "artifact transfer", Typical: m(0.2), Max: m(1), Source: "a plan file of a few MB"}
	stageScript   = Stage{Name: "GitHub API calls", Typical: m(0.1), Max: m(1), Source: "actions/github-script: a few REST calls"}
)

// createTimeouts are the hashicorp/aws provider's default create timeouts
// of the slowest resource types the environment stacks create: Terraform
// waits up to this long before it fails the apply, so an apply must be
// able to run that long (internal/service/rds/instance.go: 40 min;
// internal/service/elasticache/replication_group.go: 60 min;
// internal/service/acm/certificate_validation.go: 75 min). Typical figures:
// RDS creates a Multi-AZ PostgreSQL instance in about 20 minutes and a
// Single-AZ one in about 12; ElastiCache a replication group in 10–15; a
// DNS-validated certificate is usually issued within minutes of its
// records going live (the provider's comment on the ACM timeout).
type slowResource struct {
	name             string
	typical, timeout time.Duration
}

// firstApply is the critical path of a first deploy: the network (NAT
// gateways: create timeout 10 min) and then the slowest resource, which
// Terraform creates in parallel with the others.
func firstApply(cfg environments.ParityConfig) Stage {
	slow := []slowResource{
		{"RDS PostgreSQL", m(12), m(40)},
		{"ElastiCache replication group", m(12), m(60)},
		{"ACM certificate validation", m(5), m(75)},
	}
	if cfg.Scale.DatabaseMultiAZ {
		slow[0] = slowResource{"RDS PostgreSQL Multi-AZ", m(20), m(40)}
	}
	worst, typ := slow[0], slow[0]
	for _, s := range slow {
		if s.timeout > worst.timeout {
			worst = s
		}
		if s.typical > typ.typical {
			typ = s
		}
	}
	return Stage{Name: fmt.Sprintf("terraform apply, first deploy (network, then %s)", worst.name),
		Typical: m(3) + typ.typical, Max: m(10) + worst.timeout,
		Source: "provider create timeouts: aws_nat_gateway 10 min, aws_db_instance 40, aws_elasticache_replication_group 60, aws_acm_certificate_validation 75"}
}

// converge is the first Ansible run of site.yml on an environment: the
// plays in order, each tier's hosts in parallel except where a play sets
// serial (Odoo: 50 %, the GPU servers: 1).
func converge(cfg environments.ParityConfig) Stage {
	n := func(name string) int {
		for _, t := range environments.DefaultTiers() {
			if t.Name == name {
				return cfg.Count(t)
			}
		}
		return 0
	}
	odooBatches := (n(environments.TierOdoo) + 1) / 2
	ai := n(environments.TierAI)
	typical := m(5) + m(3) + m(1) + m(8)*time.Duration(odooBatches) + m(5) + m(3) + m(15)*time.Duration(ai)
	// GPU server: driver install, reboot (reboot_timeout 900 s,
	// roles/ai_server_setup/tasks/nvidia.yml), image pull, health wait
	// (retries 60 × delay 15 s, roles/ai_server_setup/tasks/main.yml).
	max := m(15) + m(10) + m(3) + m(20)*time.Duration(odooBatches) + m(10) + m(8) + (m(10)+m(15)+m(10)+m(15))*time.Duration(ai)
	return Stage{Name: fmt.Sprintf("Ansible first converge (%d Odoo batch(es), %d GPU server(s) one at a time)", odooBatches, ai),
		Typical: typical, Max: max,
		Source: "site.yml plays and serial; bounds: nvidia.yml reboot_timeout 900 s, ai_server_setup retries 60×15 s, odoo_setup and n8n_setup retries 30×10 s; package installs on a fresh Ubuntu AMI"}
}

// Estimate is a job's stages, read from its steps: what each step runs
// decides its stages. env is the environment the job deploys or plans
// (nil for a job that touches none).
func Estimate(r *Run, cfg *environments.ParityConfig) (JobEstimate, error) {
	e := JobEstimate{Run: r, CredentialsStep: -1, Timeout: time.Duration(r.Job.TimeoutMinutes) * time.Minute}
	add := func(s Stage, step int) {
		s.Step = step
		e.Stages = append(e.Stages, s)
	}
	setup := false
	for i, st := range r.Job.Steps {
		name, _, _ := strings.Cut(st.Uses, "@")
		switch {
		case name == "aws-actions/configure-aws-credentials":
			e.CredentialsStep = i
			e.Credentials = time.Hour
			if v, ok := st.With["role-duration-seconds"]; ok {
				s, err := strconv.Atoi(v.S)
				if err != nil {
					return e, fmt.Errorf("%s: role-duration-seconds %q is not a number", r.Where(v.Line), v.S)
				}
				e.Credentials = time.Duration(s) * time.Second
			}
		case strings.HasPrefix(name, "actions/checkout") || strings.HasPrefix(name, "actions/setup-") || name == "hashicorp/setup-terraform" || name == "actions/cache":
			if !setup {
				add(stageSetup, i)
				setup = true
			}
		case name == "actions/upload-artifact" || name == "actions/download-artifact":
			add(stageArtifact, i)
		case name == "actions/github-script":
			add(stageScript, i)
		case st.Run != "":
			for _, s := range runStages(st.Run, cfg) {
				add(s, i)
			}
		}
	}
	return e, nil
}

// runStages are the stages of a run block, by the commands it runs.
func runStages(run string, cfg *environments.ParityConfig) []Stage {
	var out []Stage
	has := func(s string) bool { return strings.Contains(run, s) }
	if has("install-deps.sh") || has("npm ci") {
		out = append(out, stageDeps)
	}
	if has("pip install") || has("pipx install") || has("ansible-galaxy collection install") || has("apt-get install") {
		out = append(out, stageAnsibleInstall)
	}
	switch {
	case has("deploy_environment.sh") && has("--plan-only"):
		out = append(out, stageSynth, stagePreflight, stageInit, stagePlan)
	case has("deploy_environment.sh"):
		out = append(out, stageSynth, stageInit, Stage{Name: "verify the saved plan (state pull)", Typical: m(0.2), Max: m(1), Source: "one state read"})
		if cfg != nil {
			out = append(out, firstApply(*cfg), converge(*cfg))
		}
	case has("cdktf diff"):
		out = append(out, stageSynth, stageInit, stagePlan)
	case has("cdktf synth"):
		out = append(out, stageSynth)
	case has("terraform plan"):
		out = append(out, stageInit, stagePlan)
	default:
		for _, c := range checkStages {
			if has(c.command) {
				out = append(out, c.Stage)
			}
		}
	}
	return out
}

// checkStages are the pull request's test and scanner steps, each with the
// time .ci/run spends on it on 2 cores (its "==>" step stamps) and a cold
// cache's bound.
var checkStages = []struct {
	command string
	Stage
}{
	{"make deps", Stage{Name: "Debian packages, Go modules, cdktf CLI", Typical: m(2), Max: m(6), Source: "scripts/install-deps.sh on a fresh runner"}},
	{"make lint", Stage{Name: "gofmt and go vet", Typical: m(0.5), Max: m(2), Source: ".ci/run"}},
	{"make synth", stageSynth},
	{"make test-go", Stage{Name: "Go, Python and Ansible lint/syntax tests", Typical: m(3), Max: m(8), Source: ".ci/run; README.md (go test ./... ~12 s warm, longer cold)"}},
	{"ai_model_server/tests/run.sh", Stage{Name: "model server tests in a Debian 13 root", Typical: m(3), Max: m(8), Source: "debootstrap of a Debian 13 root"}},
	{"ansible/tests/idempotence.sh", Stage{Name: "Ansible idempotence in a chroot", Typical: m(4), Max: m(10), Source: "two converges of every role"}},
	{"make test-scripts", Stage{Name: "bats and shellcheck", Typical: m(2), Max: m(4), Source: ".ci/run"}},
	{"scripts/tools.sh", Stage{Name: "build the scanners", Typical: m(0.5), Max: m(15), Source: "scripts/tools.sh: trivy's cold build takes about 14 minutes (cached by actions/cache otherwise)"}},
	{"scripts/scan.sh", Stage{Name: "tflint, trivy, actionlint", Typical: m(1), Max: m(3), Source: "scripts/scan.sh"}},
}
