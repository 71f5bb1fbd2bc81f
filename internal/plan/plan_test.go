package plan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/influencegen/infrastructure/internal/golden" // -update is a known flag
)

// TestOverrideFile: the backend is always replaced by a local one; the
// provider is the stack's exact version, which a mirror must hold: no
// other version is planned in its place.
func TestOverrideFile(t *testing.T) {
	stack := func(version string) map[string]any {
		return map[string]any{"terraform": map[string]any{
			"backend":            map[string]any{"s3": map[string]any{"bucket": "b"}},
			"required_providers": map[string]any{"aws": map[string]any{"source": "aws", "version": version}},
		}}
	}
	cases := []struct {
		name    string
		version string
		mirror  []string
		err     string
	}{
		{"registry", "5.100.0", nil, ""},
		{"mirror has the pin", "5.100.0", []string{"5.100.0", "5.88.0"}, ""},
		{"mirror has only a newer 5.x", "5.88.0", []string{"5.100.0"}, "requires hashicorp/aws 5.88.0 and the provider mirror has 5.100.0"},
		{"mirror has only an older 5.x", "5.100.0", []string{"5.80.0"}, "requires hashicorp/aws 5.100.0 and the provider mirror has 5.80.0"},
		{"a range, not a version", ">= 5.88.0", nil, "requires no exact hashicorp/aws version"},
		{"no version", "", nil, "requires no exact hashicorp/aws version"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := overrideFile(stack(c.version), c.mirror)
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
				Terraform map[string]map[string]any `json:"terraform"`
			}
			if err := json.Unmarshal(b, &o); err != nil {
				t.Fatal(err)
			}
			if _, ok := o.Terraform["backend"]["local"]; !ok || len(o.Terraform["backend"]) != 1 {
				t.Errorf("backend = %v, want local only", o.Terraform["backend"])
			}
			if _, ok := o.Terraform["required_providers"]; ok || len(o.Terraform) != 1 {
				t.Errorf("override = %s: it must not touch the provider requirement", b)
			}
		})
	}
}

// TestLockedProvider reads the version init wrote in the dependency lock
// file, as `terraform init` writes it.
func TestLockedProvider(t *testing.T) {
	dir := t.TempDir()
	if got := lockedProvider(dir); got != "" {
		t.Errorf("no lock file: %q", got)
	}
	lock := `# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.100.0"
  constraints = "5.100.0"
  hashes = [
    "h1:abc=",
  ]
}
`
	if err := os.WriteFile(filepath.Join(dir, ".terraform.lock.hcl"), []byte(lock), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := lockedProvider(dir); got != "5.100.0" {
		t.Errorf("lockedProvider = %q, want 5.100.0", got)
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
	f, err := testFile(stack, "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`secretsmanager = "http://127.0.0.1:1"`,
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
	if _, err := testFile(stack, ""); err == nil || !strings.Contains(err.Error(), "aws_vpc has no fixture") {
		t.Errorf("a data source without a fixture: err = %v", err)
	}
}

// TestScenarioOverride: prevent_destroy goes off, the provider defaults are
// written out, and a planted argument takes its value in its own run only,
// its stack's value in every other; bad scenarios are refused by name.
func TestScenarioOverride(t *testing.T) {
	stack := map[string]any{"resource": map[string]any{
		"aws_ebs_volume": map[string]any{"v": map[string]any{
			"availability_zone": "eu-central-1a", "size": 100.0,
			"lifecycle": map[string]any{"prevent_destroy": true},
		}},
		"aws_vpc": map[string]any{"main": map[string]any{"cidr_block": "10.0.0.0/16"}},
	}}
	b, err := scenarioOverride(stack, []Scenario{
		{Name: "bigger", Override: map[string]map[string]any{"aws_ebs_volume.v": {"size": 200}}},
		{Name: "moved", Override: map[string]map[string]any{"aws_ebs_volume.v": {"size": 300, "availability_zone": "${aws_instance.s.availability_zone}"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Resource map[string]map[string]map[string]any `json:"resource"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	v := o.Resource["aws_ebs_volume"]["v"]
	if lc, _ := v["lifecycle"].(map[string]any); lc["prevent_destroy"] != false {
		t.Errorf("prevent_destroy not turned off: %v", v["lifecycle"])
	}
	if got, want := v["size"], `${var.scenario == "bigger" ? 200 : var.scenario == "moved" ? 300 : 100}`; got != want {
		t.Errorf("size = %v\nwant %v", got, want)
	}
	if got, want := v["availability_zone"], `${var.scenario == "moved" ? (aws_instance.s.availability_zone) : "eu-central-1a"}`; got != want {
		t.Errorf("availability_zone = %v\nwant %v", got, want)
	}
	if got := o.Resource["aws_vpc"]["main"]["instance_tenancy"]; got != "default" {
		t.Errorf("provider default not written out: instance_tenancy = %v", got)
	}
	for _, c := range []struct {
		sc   Scenario
		want string
	}{
		{Scenario{Name: "deployed"}, "a name must be a Terraform identifier other than"},
		{Scenario{Name: "two words"}, "a name must be a Terraform identifier"},
		{Scenario{Name: "x", Override: map[string]map[string]any{"aws_ebs_volume.w": {"size": 1}}}, "no resource aws_ebs_volume.w"},
		{Scenario{Name: "x", Override: map[string]map[string]any{"aws_ebs_volume.v": {"count": 0}}}, "is a meta-argument"},
		{Scenario{Name: "x", Override: map[string]map[string]any{"aws_ebs_volume.v": {"x": make(chan int)}}}, "has no Terraform JSON form"},
	} {
		if _, err := scenarioOverride(stack, []Scenario{c.sc}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.sc, err, c.want)
		}
	}
}
