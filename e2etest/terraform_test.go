//go:build terraform

package e2etest

// The Terraform tier: `make plan` (go test -tags terraform). Real Terraform
// and the real hashicorp/aws provider evaluate the stacks this binary
// synthesized; every stack is initialised, validated and planned once, and
// every scenario of a stack (a day-2 operation, a planted change) is
// planned in that same `terraform test`, against one mock deployment.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/plan"
)

// scenarioMakers make the scenarios of the tier's tests, by stack name;
// each test file adds its maker in an init function, so that one plan.Run
// serves them all. They run after TestMain has synthesized the stacks.
var scenarioMakers []func() map[string][]plan.Scenario

var (
	terraformOnce    sync.Once
	terraformSetup   plan.Setup
	terraformResults map[string]plan.Result
	terraformErr     error
)

// terraformRun plans every stack once per test binary and returns the
// results by stack name. Terraform must be installed: this tier runs only
// when asked for (the build tag), so a missing Terraform is a failure,
// never a skip.
func terraformRun(t *testing.T) map[string]plan.Result {
	t.Helper()
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Fatal("terraform is not on PATH: the Terraform tier (make plan) needs Terraform ≥ 1.10")
	}
	terraformOnce.Do(func() {
		scenarios := map[string][]plan.Scenario{}
		for _, make := range scenarioMakers {
			for stack, sc := range make() {
				scenarios[stack] = append(scenarios[stack], sc...)
			}
		}
		var results []plan.Result
		terraformSetup, results, terraformErr = plan.Run(context.Background(), plan.Options{
			Outdir:    synthDir,
			Stacks:    platform.StackNames(envs),
			Scenarios: scenarios,
		})
		terraformResults = map[string]plan.Result{}
		for _, r := range results {
			terraformResults[r.Stack] = r
		}
	})
	if terraformErr != nil {
		t.Fatal(terraformErr)
	}
	return terraformResults
}

// TestTerraformPlan: every stack passes `terraform validate` and an
// offline plan with the real provider (internal/plan), and plans
// something. It prints the same report as `go run . plan`.
func TestTerraformPlan(t *testing.T) {
	results := terraformRun(t)
	var list []plan.Result
	for _, name := range platform.StackNames(envs) {
		r, ok := results[name]
		if !ok {
			t.Fatalf("no result for %s", name)
		}
		list = append(list, r)
	}
	var out bytes.Buffer
	plan.Write(&out, terraformSetup, list)
	os.Stdout.Write(out.Bytes())
	if plan.Failed(list) {
		t.Fatalf("Terraform rejected a stack:\n%s", out.String())
	}
	for _, r := range list {
		if r.Planned < 1 {
			t.Errorf("%s: nothing planned", r.Stack)
		}
		if r.ProviderVersion != environments.AWSProviderVersion {
			t.Errorf("%s: terraform init installed hashicorp/aws %q, the stacks require %s", r.Stack, r.ProviderVersion, environments.AWSProviderVersion)
		}
	}
}
