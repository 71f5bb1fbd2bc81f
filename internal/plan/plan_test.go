package plan

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/influencegen/infrastructure/internal/golden" // -update is a known flag
)

// requireTerraform skips when terraform is not installed, unless CI asks
// for it (INFLUENCEGEN_REQUIRE_TERRAFORM=1), where a skip would hide a gap.
func requireTerraform(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("terraform"); err != nil {
		if os.Getenv("INFLUENCEGEN_REQUIRE_TERRAFORM") != "" {
			t.Fatal("terraform is not on PATH and INFLUENCEGEN_REQUIRE_TERRAFORM is set")
		}
		t.Skip("terraform is not on PATH: the harness tests need Terraform ≥ 1.10")
	}
}

// TestHarnessRejectsEachErrorClass proves the harness can fail: one fixture
// stack per class of error Terraform finds only by evaluating the JSON, each
// rejected with Terraform's own message, and a valid fixture that passes.
func TestHarnessRejectsEachErrorClass(t *testing.T) {
	requireTerraform(t)
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

// TestOverrideFile: the backend is always replaced by a local one; the
// provider constraint is widened only when the mirror lacks the pinned
// version but has a newer one of the same major version.
func TestOverrideFile(t *testing.T) {
	stack := map[string]any{"terraform": map[string]any{
		"backend":            map[string]any{"s3": map[string]any{"bucket": "b"}},
		"required_providers": map[string]any{"aws": map[string]any{"source": "aws", "version": "5.88.0"}},
	}}
	cases := []struct {
		name    string
		mirror  []string
		widened string
		err     string
	}{
		{"registry", nil, "", ""},
		{"mirror has the pin", []string{"5.100.0", "5.88.0"}, "", ""},
		{"mirror has a newer 5.x", []string{"5.100.0"}, ">= 5.88.0, < 6.0.0", ""},
		{"mirror has only 6.x", []string{"6.0.0"}, "", "not 5.88.0 or a newer 5.x"},
		{"mirror has only an older 5.x", []string{"5.80.0"}, "", "not 5.88.0 or a newer 5.x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, notes, err := overrideFile(stack, c.mirror)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var o struct {
				Terraform struct {
					Backend           map[string]any `json:"backend"`
					RequiredProviders map[string]struct {
						Version string `json:"version"`
					} `json:"required_providers"`
				} `json:"terraform"`
			}
			if err := json.Unmarshal(b, &o); err != nil {
				t.Fatal(err)
			}
			if _, ok := o.Terraform.Backend["local"]; !ok || len(o.Terraform.Backend) != 1 {
				t.Errorf("backend = %v, want local only", o.Terraform.Backend)
			}
			if got := o.Terraform.RequiredProviders["aws"].Version; got != c.widened {
				t.Errorf("constraint = %q, want %q", got, c.widened)
			}
			if (c.widened != "") != (len(notes) == 1) {
				t.Errorf("notes = %v: a widened constraint must be reported, and only then", notes)
			}
		})
	}
}

// TestProviderVersions reads Terraform's mirror layout.
func TestProviderVersions(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{"5.88.0", "5.100.0", "not-a-version"} {
		if err := os.MkdirAll(filepath.Join(dir, "registry.terraform.io", "hashicorp", "aws", v, platformDir()), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "registry.terraform.io", "hashicorp", "aws", "5.99.0", "other_arch"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(providerVersions(dir), ",")
	if got != "5.100.0,5.88.0" {
		t.Errorf("versions = %s, want 5.100.0,5.88.0 (newest first, this platform only)", got)
	}
	if v := providerVersions(filepath.Join(dir, "missing")); len(v) != 0 {
		t.Errorf("missing mirror: %v", v)
	}
}

// TestPlanTimeOverrides: the certificate's domain_validation_options get
// one element per distinct domain, as the provider's CustomizeDiff makes
// them, and the override keeps the mock's certificate ARN.
func TestPlanTimeOverrides(t *testing.T) {
	stack := map[string]any{"resource": map[string]any{"aws_acm_certificate": map[string]any{
		"c": map[string]any{"domain_name": "a.example.com", "subject_alternative_names": []any{"b.example.com", "a.example.com"}, "validation_method": "DNS"},
		"e": map[string]any{"domain_name": "e.example.com", "validation_method": "EMAIL"},
	}}}
	ovs, err := planTimeOverrides(stack)
	if err != nil {
		t.Fatal(err)
	}
	if len(ovs) != 1 || ovs[0].target != "aws_acm_certificate.c" {
		t.Fatalf("overrides = %+v", ovs)
	}
	if n := strings.Count(ovs[0].values, "domain_name ="); n != 2 {
		t.Errorf("%d domains, want 2 (a and b once each):\n%s", n, ovs[0].values)
	}
	mock, err := os.ReadFile("mocks/aws.tfmock.hcl")
	if err != nil {
		t.Fatal(err)
	}
	_, block, _ := strings.Cut(string(mock), `mock_resource "aws_acm_certificate" {`)
	block, _, _ = strings.Cut(block, "\n}")
	if !strings.Contains(block, `"`+mockCertificateArn+`"`) {
		t.Errorf("mockCertificateArn is not the aws_acm_certificate arn of mocks/aws.tfmock.hcl")
	}
	stack["resource"].(map[string]any)["aws_acm_certificate"].(map[string]any)["c"].(map[string]any)["domain_name"] = "${var.domain}"
	if _, err := planTimeOverrides(stack); err == nil {
		t.Error("a non-literal domain was accepted: the harness would invent plan-time values")
	}
}
