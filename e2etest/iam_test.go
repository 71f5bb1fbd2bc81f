package e2etest

import (
	"flag"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/influencegen/infrastructure/internal/iam"
)

// Every principal's job and must-nots over the real stacks, evaluated by
// @cloud-copilot/iam-simulate in one Node.js process (internal/iam), and
// every policy document checked against the IAM service authorization
// reference (iam-data). Node.js needs ~1.7 ms of CPU per request, so the
// inner loop evaluates ~700 of the ~7,300: dev's state backend, servers,
// service roles, AWS services and must-nots (dev has every kind of
// principal: the off-hours schedules are not in production). The IAM tier
// (`make iam`, iam_tier_test.go) evaluates all of them, every
// environment's, the CI roles' provider calls included.

var (
	iamOnce     sync.Once
	iamModel    *iam.Model
	iamRequests []iam.Request
	iamFindings []iam.Finding
	iamFast     []iam.Decision // the inner loop's subset, see fastIAM
	iamErr      error
)

// fastIAM selects the requests go test evaluates: dev's, but the CI
// roles' provider calls, and every environment's model requests (a few
// dozen: only staging and production have promotion roles).
func fastIAM(r iam.Request) bool {
	return r.Kind != iam.KindProvider && (r.Env == "dev" || strings.HasPrefix(r.Job, "models "))
}

// startIAM begins the evaluation in the background as soon as the stacks
// are synthesized (TestMain), so Node.js works while other tests run;
// not when -run selects no IAM test.
func startIAM() {
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() != "" {
		if ok, err := regexp.MatchString(f.Value.String(), "TestIAMJobs"); err != nil || !ok {
			return
		}
	}
	go evaluateIAMOnce()
}

// realStacks are the stacks the app deploys, without the test fixtures.
func realStacks() map[string]iam.Stack {
	real := map[string]iam.Stack{}
	for _, name := range []string{"shared-stack", "state-bootstrap"} {
		real[name] = iam.Stack(stacks[name])
	}
	for _, cfg := range envs {
		real[cfg.StackName()] = iam.Stack(stacks[cfg.StackName()])
	}
	return real
}

// evaluateIAM waits for the evaluation and fails the test if it failed.
func evaluateIAM(t *testing.T) {
	t.Helper()
	evaluateIAMOnce()
	if iamErr != nil {
		t.Fatal(iamErr)
	}
}

// evaluateIAMOnce builds the model of the real stacks, lists every job,
// checks every document and evaluates the inner loop's subset, once for
// the whole test binary.
func evaluateIAMOnce() {
	iamOnce.Do(func() {
		if iamModel, iamErr = iam.Load(realStacks()); iamErr != nil {
			return
		}
		var errs []string
		for _, cfg := range envs {
			r, err := iam.Jobs(iamModel, iam.FromConfig(account, cfg, envs))
			if err != nil {
				errs = append(errs, err.Error())
			}
			iamRequests = append(iamRequests, r...)
			iamRequests = append(iamRequests, modelJobs(iamModel, cfg)...)
		}
		if len(errs) > 0 {
			iamErr = fmt.Errorf("jobs:\n%s", strings.Join(errs, "\n"))
			return
		}
		if iamFindings, iamErr = (iam.Evaluator{}).CheckDocuments(iamModel.Documents); iamErr != nil {
			return
		}
		var fast []iam.Request
		for _, r := range iamRequests {
			if fastIAM(r) {
				fast = append(fast, r)
			}
		}
		iamFast, iamErr = iam.Evaluator{}.Evaluate(iamModel, fast)
	})
}

// evaluateWhere evaluates the requests keep selects in one Node.js
// process and reports every decision that is not what the job expects.
func evaluateWhere(t *testing.T, keep func(iam.Request) bool) []iam.Decision {
	t.Helper()
	evaluateIAM(t)
	var reqs []iam.Request
	for _, r := range iamRequests {
		if keep(r) {
			reqs = append(reqs, r)
		}
	}
	decisions, err := iam.Evaluator{}.Evaluate(iamModel, reqs)
	if err != nil {
		t.Fatal(err)
	}
	reportDecisions(t, decisions)
	return decisions
}

// reportDecisions fails the test for every decision that is not what its
// job expects (the first 60 of them).
func reportDecisions(t *testing.T, decisions []iam.Decision) {
	t.Helper()
	failed := 0
	for _, d := range decisions {
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
}

// TestIAMJobs: every principal of every environment can do its job — the
// CI roles' state backend and data sources, the servers, the service
// roles, and the AWS services that publish into encrypted or
// policy-protected resources with the request context they document — and
// cannot do what it must not. Dev's; every environment's in the IAM tier.
func TestIAMJobs(t *testing.T) {
	evaluateIAM(t)
	reportDecisions(t, iamFast)
	count := map[string]int{}
	for _, d := range iamFast {
		count[d.Kind]++
	}
	for _, k := range []string{iam.KindBackend, iam.KindServer, iam.KindService, iam.KindMustNot} {
		if count[k] < 20 {
			t.Errorf("only %d %s requests: the job tables lost their rows", count[k], k)
		}
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
	// A reference the model cannot resolve would leave "${...}" in a
	// document, which the evaluator would compare as text.
	for _, d := range iamModel.Documents {
		if strings.Contains(string(d.Policy), "${") {
			t.Errorf("%s: a reference internal/iam cannot resolve (teach iam.Attribute): %s", d.Where, d.Policy)
		}
	}
}
