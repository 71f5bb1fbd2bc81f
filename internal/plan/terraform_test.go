//go:build terraform

package plan

// The harness against real Terraform: `make plan` (go test -tags terraform).

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

// TestTerraformHarnessRejectsEachErrorClass proves the harness can fail: one fixture
// stack per class of error Terraform finds only by evaluating the JSON, each
// rejected with Terraform's own message, and a valid fixture that passes.
func TestTerraformHarnessRejectsEachErrorClass(t *testing.T) {
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Fatal("terraform is not on PATH: the Terraform tier (make plan) needs Terraform ≥ 1.10")
	}
	cases := []struct {
		stack     string
		validated bool   // validate passes; the plan must fail (or pass, for "valid")
		message   string // Terraform's own words
	}{
		{"valid", true, ""},
		// A list of objects where a list of strings is required: the
		// certificate validation bug this harness found in constructs/edge.
		{"wrong-type", true, `Inappropriate value for attribute "validation_record_fqdns": element 0: string required`},
		{"missing-attribute", false, `Unsupported attribute: This object has no argument, nested block, or exported attribute named "topic_arn"`},
		{"unknown-for-each", true, `Invalid for_each argument: The "for_each" set includes values derived from resource attributes that cannot be determined until apply`},
		// Keys from a value the real provider knows only in part at plan
		// (domain names yes, records no): tolist() of that set is unknown.
		// A mock provider cannot tell this form from the working one.
		{"partly-known-for-each", true, `Invalid for_each argument: The "for_each" map includes keys derived from resource attributes that cannot be determined until apply`},
		{"missing-required", false, `Missing required argument: The argument "endpoint" is required`},
		{"unknown-argument", false, `No argument or block type is named "encrypted"`},
		// The provider's own validator (name ≤ 32 characters) on a value
		// an expression builds.
		{"validator", false, `"name" cannot be longer than 32 characters`},
	}
	_, results, err := Run(context.Background(), Options{Outdir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	byStack := map[string]Result{}
	for _, r := range results {
		byStack[r.Stack] = r
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			r, ok := byStack[c.stack]
			if !ok {
				t.Fatalf("no result for fixture %s", c.stack)
			}
			if r.Validated != c.validated {
				t.Errorf("validated = %v, want %v (err: %s)", r.Validated, c.validated, r.Err)
			}
			if c.message == "" {
				if !r.OK() || r.Planned != 3 {
					t.Errorf("valid fixture: err %q, planned %d (want 3)", r.Err, r.Planned)
				}
				return
			}
			if r.OK() {
				t.Fatalf("Terraform accepted the fixture; want %q", c.message)
			}
			if !strings.Contains(r.Err, c.message) {
				t.Errorf("error %q\ndoes not contain Terraform's %q", r.Err, c.message)
			}
		})
	}
	if len(results) != len(cases) {
		t.Errorf("%d fixtures under testdata/stacks, %d cases: give every fixture a case", len(results), len(cases))
	}
}
