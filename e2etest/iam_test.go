package e2etest

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/iam"
)

// The IAM tier of this suite: every principal's job and must-nots over the
// real stacks, evaluated by @cloud-copilot/iam-simulate in one Node.js
// process (internal/iam), and every policy document checked against the
// IAM service authorization reference (iam-data).

var (
	iamOnce      sync.Once
	iamModel     *iam.Model
	iamDecisions []iam.Decision
	iamFindings  []iam.Finding
	iamErr       error
)

// iamEnvironment describes an environment to internal/iam from the
// configuration: its CI roles, state, tiers and their secrets and buckets.
func iamEnvironment(cfg environments.ParityConfig, all []environments.ParityConfig) iam.Environment {
	p := account.Project
	env := iam.Environment{
		Name: cfg.Identity.Name, Stack: cfg.StackName(), Region: cfg.Region,
		DeployRole: p + "-deploy-" + cfg.Identity.Name, PlanRole: p + "-plan-" + cfg.Identity.Name,
		StateBucket: account.StateBucket, StateKey: environments.StateKey(cfg.Identity.Name),
		StateKeyAlias: "alias/" + account.StateKMSAlias, LogGroupPrefix: "/" + p + "-" + cfg.Identity.Name + "/",
	}
	prefix := p + "/" + cfg.Identity.Name + "/"
	for _, t := range cfg.Tiers {
		tier := iam.Tier{Name: t.Name, Role: p + "-" + cfg.Identity.Name + "-" + t.Name}
		for _, s := range t.SecretNames() {
			tier.Secrets = append(tier.Secrets, prefix+s)
		}
		for _, b := range t.Buckets {
			object := fmt.Sprintf("arn:aws:s3:::%s-%s-%s-%s/%sobject", p, cfg.Identity.Name, b.Bucket, account.ID, b.Prefix)
			if b.Write {
				tier.Writes = append(tier.Writes, object)
			} else {
				tier.Reads = append(tier.Reads, object)
			}
		}
		for _, img := range t.Images {
			tier.Images = append(tier.Images, fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s/%s", account.PrimaryRegion, account.ID, p, img))
		}
		for _, r := range t.Reaches {
			tier.FileSystem = tier.FileSystem || r == environments.ReachFilestore
		}
		env.Tiers = append(env.Tiers, tier)
	}
	for _, o := range all {
		if o.Identity.Name != cfg.Identity.Name {
			env.Others = append(env.Others, iamEnvironment(o, nil))
		}
	}
	return env
}

// evaluateIAM builds the model of the real stacks and evaluates every job
// once for the whole test binary.
func evaluateIAM(t *testing.T) {
	t.Helper()
	iamOnce.Do(func() {
		real := map[string]iam.Stack{}
		for _, name := range []string{"shared-stack", "state-bootstrap"} {
			real[name] = iam.Stack(stacks[name])
		}
		for _, cfg := range envs {
			real[cfg.StackName()] = iam.Stack(stacks[cfg.StackName()])
		}
		if iamModel, iamErr = iam.Load(real); iamErr != nil {
			return
		}
		var reqs []iam.Request
		var errs []string
		for _, cfg := range envs {
			r, err := iam.Jobs(iamModel, iamEnvironment(cfg, envs))
			if err != nil {
				errs = append(errs, err.Error())
			}
			reqs = append(reqs, r...)
		}
		if len(errs) > 0 {
			iamErr = fmt.Errorf("jobs:\n%s", strings.Join(errs, "\n"))
			return
		}
		e := iam.Evaluator{}
		if iamDecisions, iamErr = e.Evaluate(iamModel, reqs); iamErr != nil {
			return
		}
		iamFindings, iamErr = e.CheckDocuments(iamModel.Documents)
	})
	if iamErr != nil {
		t.Fatal(iamErr)
	}
}

// TestIAMJobs: every principal of every environment can do its job — the
// deploy and plan roles every call the provider makes for every resource
// type (and the dependent actions AWS requires behind them), the servers,
// the service roles, and the AWS services that publish into encrypted or
// policy-protected resources with the request context they document — and
// cannot do what it must not.
func TestIAMJobs(t *testing.T) {
	evaluateIAM(t)
	failed := 0
	for _, d := range iamDecisions {
		if !d.OK() {
			failed++
			if failed <= 60 {
				t.Error(d.Why())
			}
		}
	}
	if failed > 60 {
		t.Errorf("… and %d more", failed-60)
	}
	if len(iamDecisions) < 1000 {
		t.Errorf("only %d requests evaluated: the job tables lost their rows", len(iamDecisions))
	}
}

// TestIAMPolicyDocuments: every action, condition key and resource ARN of
// every policy of every stack exists for its service, and every condition
// key is one the statement's actions support.
func TestIAMPolicyDocuments(t *testing.T) {
	evaluateIAM(t)
	for _, f := range iamFindings {
		t.Error(f)
	}
	if len(iamModel.Unresolved) > 0 {
		for _, u := range iamModel.Unresolved {
			if strings.Contains(u, "policy") {
				t.Errorf("unresolved reference in a policy: %s", u)
			}
		}
	}
}
