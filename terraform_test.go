package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/internal/plan"
)

// TestTerraformPlan runs every stack this test binary synthesized through
// real Terraform: validate and an offline plan with the real hashicorp/aws
// provider (internal/plan). It is the regression test of every fix the
// harness found in the constructs: the certificate validation's list of
// objects where Terraform needs FQDN strings, and the validation records'
// for_each keyed through tolist(), unknown at plan.
func TestTerraformPlan(t *testing.T) {
	requireTerraformHere(t)
	setup, results, err := plan.Run(context.Background(), plan.Options{Outdir: synthDir, Stacks: platform.StackNames(envs)})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	plan.Write(&out, setup, results)
	t.Log("\n" + out.String())
	if plan.Failed(results) {
		t.Fatalf("Terraform rejected a stack:\n%s", out.String())
	}
	for _, r := range results {
		if r.Planned < 1 {
			t.Errorf("%s: nothing planned", r.Stack)
		}
	}
}
