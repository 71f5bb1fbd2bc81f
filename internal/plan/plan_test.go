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

// TestTestFile: the provider is made offline, keeps the stack's region
// and default tags, and every data source gets its fixture; a data source
// without one is refused rather than read from AWS.
func TestTestFile(t *testing.T) {
	stack := map[string]any{
		"provider": map[string]any{"aws": []any{map[string]any{
			"region": "eu-west-1", "allowed_account_ids": []any{"123456789012"},
			"default_tags": []any{map[string]any{"tags": map[string]any{"Environment": "staging"}}},
		}}},
		"data": map[string]any{"aws_partition": map[string]any{"p": map[string]any{}, "q": map[string]any{}}},
	}
	f, err := testFile(stack)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`region = "eu-west-1"`, "skip_credentials_validation = true", "skip_requesting_account_id  = true",
		`"Environment" = "staging"`, "target = data.aws_partition.p", "target = data.aws_partition.q",
		`partition          = "aws"`, `run "plan"`,
	} {
		if !strings.Contains(f, want) {
			t.Errorf("test file lacks %q:\n%s", want, f)
		}
	}
	if strings.Contains(f, "mock_provider") {
		t.Error("the plan must run the real provider")
	}
	stack["data"].(map[string]any)["aws_vpc"] = map[string]any{"v": map[string]any{}}
	if _, err := testFile(stack); err == nil || !strings.Contains(err.Error(), "aws_vpc has no fixture") {
		t.Errorf("a data source without a fixture: err = %v", err)
	}
}
