package plan

import (
	"encoding/json"
	"fmt"
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

// TestScenarioRemove: a removed resource gets a count that is 0 in the
// runs removing it; references to it are indexed, outputs that name it
// still evaluate without it; a resource that stays and refers to it is
// refused by name.
func TestScenarioRemove(t *testing.T) {
	stack := map[string]any{
		"resource": map[string]any{
			"aws_s3_bucket":            map[string]any{"b": map[string]any{"bucket": "data"}},
			"aws_s3_bucket_versioning": map[string]any{"v": map[string]any{"bucket": "${aws_s3_bucket.b.id}", "depends_on": []any{"aws_s3_bucket.b"}}},
			"aws_iam_role_policy":      map[string]any{"p": map[string]any{"policy": `{"Resource":"${aws_s3_bucket.b.arn}/*"}`}},
			"aws_iam_role":             map[string]any{"r": map[string]any{"name": "keeps"}},
		},
		"output": map[string]any{
			"bucket": map[string]any{"value": "${aws_s3_bucket.b.bucket}"},
			"both":   map[string]any{"value": map[string]any{"role": "${aws_iam_role.r.name}", "url": "s3://${aws_s3_bucket.b.bucket}/x"}},
		},
	}
	_, err := scenarioOverride(stack, []Scenario{{Name: "gone", Remove: []string{"aws_s3_bucket.b", "aws_s3_bucket_versioning.v"}}})
	if err == nil || !strings.Contains(err.Error(), "scenario gone removes aws_s3_bucket.b, which aws_iam_role_policy.p refers to: remove aws_iam_role_policy.p too") {
		t.Fatalf("a dangling reference: err = %v", err)
	}
	b, err := scenarioOverride(stack, []Scenario{
		{Name: "gone", Remove: []string{"aws_s3_bucket.b", "aws_s3_bucket_versioning.v", "aws_iam_role_policy.p"}},
		{Name: "also", Remove: []string{"aws_iam_role_policy.p"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Resource map[string]map[string]map[string]any `json:"resource"`
		Output   map[string]map[string]any            `json:"output"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{
		"aws_s3_bucket.b":            `${contains(["gone"], var.scenario) ? 0 : 1}`,
		"aws_s3_bucket_versioning.v": `${contains(["gone"], var.scenario) ? 0 : 1}`,
		"aws_iam_role_policy.p":      `${contains(["also", "gone"], var.scenario) ? 0 : 1}`,
	} {
		typ, name, _ := strings.Cut(addr, ".")
		if got := o.Resource[typ][name]["count"]; got != want {
			t.Errorf("%s count = %v, want %s", addr, got, want)
		}
	}
	if got := o.Resource["aws_s3_bucket_versioning"]["v"]["bucket"]; got != "${aws_s3_bucket.b[0].id}" {
		t.Errorf("reference not indexed: %v", got)
	}
	if _, touched := o.Resource["aws_s3_bucket_versioning"]["v"]["depends_on"]; touched {
		t.Error("depends_on names a resource, not an instance: it stays")
	}
	if got := o.Resource["aws_iam_role_policy"]["p"]["policy"]; got != `{"Resource":"${aws_s3_bucket.b[0].arn}/*"}` {
		t.Errorf("reference in a template not indexed: %v", got)
	}
	if _, touched := o.Resource["aws_iam_role"]["r"]["name"]; touched {
		t.Error("an argument without a reference to a removed resource is left alone")
	}
	if got := o.Output["bucket"]["value"]; got != "${try(aws_s3_bucket.b[0].bucket, null)}" {
		t.Errorf("output = %v", got)
	}
	if got := o.Output["both"]["value"].(map[string]any); got["url"] != `s3://${try(aws_s3_bucket.b[0].bucket, "")}/x` || got["role"] != "${aws_iam_role.r.name}" {
		t.Errorf("output in an object = %v", got)
	}
	for _, c := range []struct {
		sc   Scenario
		want string
	}{
		{Scenario{Name: "x", Remove: []string{"aws_s3_bucket.nope"}}, "no resource aws_s3_bucket.nope"},
		{Scenario{Name: "x", Remove: []string{"aws_iam_role.r"}, Override: map[string]map[string]any{"aws_iam_role.r": {"name": "y"}}}, "both overridden and removed"},
	} {
		if _, err := scenarioOverride(stack, []Scenario{c.sc}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.sc, err, c.want)
		}
	}
}

// TestScenarioAdditions: what a scenario adds exists in its run only
// (count behind var.scenario); references among the added are indexed,
// references to the stack are not; the provider's defaults are written out
// and prevent_destroy is off, as for the stack's own resources.
func TestScenarioAdditions(t *testing.T) {
	stack := map[string]any{"resource": map[string]any{
		"aws_subnet": map[string]any{"app": map[string]any{"cidr_block": "10.0.0.0/20"}},
	}}
	add := map[string]map[string]map[string]any{
		"resource": {
			"aws_iam_role": {"q_role": map[string]any{"name": "q"}},
			"aws_instance": {"q_server": map[string]any{
				"subnet_id":            "${aws_subnet.app.id}",
				"iam_instance_profile": "${aws_iam_role.q_role.name}",
				"metadata_options":     []any{map[string]any{"http_tokens": "required"}},
				"lifecycle": map[string]any{"prevent_destroy": true, "precondition": []any{map[string]any{
					"condition": `${contains(data.aws_ec2_instance_type_offerings.q_offers.locations, "euc1-az1")}`,
				}}},
				"depends_on": []any{"aws_iam_role.q_role"},
			}},
		},
		"data": {"aws_ec2_instance_type_offerings": {"q_offers": map[string]any{"location_type": "availability-zone-id"}}},
	}
	b, err := scenarioAdditions(stack, []Scenario{{Name: "host_on", Add: add}})
	if err != nil {
		t.Fatal(err)
	}
	var o map[string]map[string]map[string]map[string]any
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	in := o["resource"]["aws_instance"]["q_server"]
	count := `${var.scenario == "host_on" ? 1 : 0}`
	if in["count"] != count || o["resource"]["aws_iam_role"]["q_role"]["count"] != count || o["data"]["aws_ec2_instance_type_offerings"]["q_offers"]["count"] != count {
		t.Errorf("not counted behind var.scenario: %s", b)
	}
	if in["iam_instance_profile"] != "${aws_iam_role.q_role[0].name}" || in["subnet_id"] != "${aws_subnet.app.id}" {
		t.Errorf("references: %v, %v", in["iam_instance_profile"], in["subnet_id"])
	}
	lc := in["lifecycle"].(map[string]any)
	if cond := lc["precondition"].([]any)[0].(map[string]any)["condition"]; cond != `${contains(data.aws_ec2_instance_type_offerings.q_offers[0].locations, "euc1-az1")}` {
		t.Errorf("precondition: %v", cond)
	}
	if lc["prevent_destroy"] != false || fmt.Sprint(in["depends_on"]) != "[aws_iam_role.q_role]" {
		t.Errorf("lifecycle %v, depends_on %v", lc, in["depends_on"])
	}
	if o["resource"]["aws_iam_role"]["q_role"]["path"] != "/" {
		t.Errorf("provider default not written out: %v", o["resource"]["aws_iam_role"]["q_role"])
	}
	// A nested default completes the block; an argument named
	// "block.attribute" is one the provider refuses.
	if md := fmt.Sprint(in["metadata_options"]); md != "[map[http_protocol_ipv6:disabled http_tokens:required]]" || in["metadata_options.http_protocol_ipv6"] != nil {
		t.Errorf("nested default: metadata_options = %s, %v", md, in["metadata_options.http_protocol_ipv6"])
	}
	if b, _ := scenarioAdditions(stack, []Scenario{{Name: "none"}}); b != nil {
		t.Errorf("a scenario that adds nothing wrote %s", b)
	}
	for _, c := range []struct {
		add  map[string]map[string]map[string]any
		want string
	}{
		{map[string]map[string]map[string]any{"resource": {"aws_subnet": {"app": map[string]any{}}}}, "already in the stack"},
		{map[string]map[string]map[string]any{"module": {"x": {"y": map[string]any{}}}}, "only resource and data"},
		{map[string]map[string]map[string]any{"resource": {"aws_iam_role": {"r": map[string]any{"count": 2}}}}, "has a count of its own"},
	} {
		if _, err := scenarioAdditions(stack, []Scenario{{Name: "x", Add: c.add}}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.add, err, c.want)
		}
	}
}

// TestScenarioProviderDefaults: nested defaults complete every instance of
// a block where the stack leaves them out; attributes whose zero value
// the provider refuses in a configuration are ignored instead, beside the
// stack's own ignore_changes, and prevent_destroy still goes off.
func TestScenarioProviderDefaults(t *testing.T) {
	stack := map[string]any{"resource": map[string]any{
		"aws_lb_listener": map[string]any{"http": map[string]any{"default_action": []any{
			map[string]any{"type": "redirect", "redirect": map[string]any{"port": "443", "host": "example.com"}},
		}}},
		"aws_efs_file_system": map[string]any{"fs": map[string]any{
			"lifecycle_policy": []any{map[string]any{"transition_to_ia": "AFTER_30_DAYS"}},
			"lifecycle":        map[string]any{"prevent_destroy": true, "ignore_changes": []any{"tags"}},
		}},
	}}
	b, err := scenarioOverride(stack, nil)
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Resource map[string]map[string]map[string]any `json:"resource"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	action := o.Resource["aws_lb_listener"]["http"]["default_action"].([]any)[0].(map[string]any)
	redirect := action["redirect"].(map[string]any)
	if redirect["host"] != "example.com" || redirect["path"] != "/#{path}" || redirect["query"] != "#{query}" || action["target_group_arn"] != "" {
		t.Errorf("default_action = %v", action)
	}
	lc := o.Resource["aws_efs_file_system"]["fs"]["lifecycle"].(map[string]any)
	got, _ := json.Marshal(lc)
	if string(got) != `{"ignore_changes":["tags","lifecycle_policy[0].transition_to_archive","lifecycle_policy[0].transition_to_primary_storage_class"],"prevent_destroy":false}` {
		t.Errorf("lifecycle = %s", got)
	}
	if _, err := scenarioOverride(stack, []Scenario{{Name: "x", Override: map[string]map[string]any{"aws_lb_listener.http": {"default_action": []any{}}}}}); err == nil || !strings.Contains(err.Error(), "completes with provider defaults") {
		t.Errorf("planting a completed block: err = %v", err)
	}
}

// TestTagsAll: the provider's default tags under the resource's own, data
// source references resolved from their fixtures, per provider alias.
func TestTagsAll(t *testing.T) {
	stack := map[string]any{"provider": map[string]any{"aws": []any{
		map[string]any{"default_tags": []any{map[string]any{"tags": map[string]any{"Project": "p", "Name": "default"}}}},
		map[string]any{"alias": "copy", "default_tags": []any{map[string]any{"tags": map[string]any{"Project": "copy"}}}},
	}}}
	for _, c := range []struct {
		resource map[string]any
		want     string
	}{
		{map[string]any{"tags": map[string]any{"Name": "own"}}, `{ "Name" = "own", "Project" = "p" }`},
		{map[string]any{}, `{ "Name" = "default", "Project" = "p" }`},
		{map[string]any{"provider": "aws.copy"}, `{ "Project" = "copy" }`},
		{map[string]any{"tags": map[string]any{"Name": "b-${data.aws_caller_identity.c.account_id}"}}, `{ "Name" = "b-123456789012", "Project" = "p" }`},
		{map[string]any{"tags": map[string]any{"Name": "${aws_vpc.v.id}"}}, ""},
	} {
		if got := tagsAll(stack, c.resource); got != c.want {
			t.Errorf("tagsAll(%v) = %s, want %s", c.resource, got, c.want)
		}
	}
}

// TestDeployedOverrides: each resource of the mock deployment keeps its
// type's mock defaults (an override replaces them), ARNs in its provider's
// region, with its tags_all and any extra values; skipped ones are not
// overridden.
func TestDeployedOverrides(t *testing.T) {
	stack := map[string]any{
		"provider": map[string]any{"aws": []any{
			map[string]any{"region": "eu-central-1", "default_tags": []any{map[string]any{"tags": map[string]any{"Project": "p"}}}},
			map[string]any{"alias": "copy", "region": "eu-west-1", "default_tags": []any{map[string]any{"tags": map[string]any{"Project": "p"}}}},
		}},
		"resource": map[string]any{"aws_backup_vault": map[string]any{
			"main": map[string]any{"name": "v"},
			"copy": map[string]any{"name": "c", "provider": "aws.copy"},
			"skip": map[string]any{"name": "s"},
		}},
	}
	got := deployedOverrides(stack, map[string]bool{"aws_backup_vault.skip": true}, map[string]string{"aws_backup_vault.main": `recovery_points = 3`})
	for _, want := range []string{
		"target = aws_backup_vault.main\n    values = {\n      arn = \"arn:aws:backup:eu-central-1:123456789012:backup-vault:influencegen-example\"\n      tags_all = { \"Project\" = \"p\" }\n      recovery_points = 3\n",
		"target = aws_backup_vault.copy\n    values = {\n      arn = \"arn:aws:backup:eu-west-1:123456789012:backup-vault:influencegen-example\"\n      tags_all = { \"Project\" = \"p\" }\n    }",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("overrides lack\n%s\nin\n%s", want, got)
		}
	}
	if strings.Contains(got, "aws_backup_vault.skip") {
		t.Errorf("a skipped resource is overridden:\n%s", got)
	}
}

// TestRoleArns: a mock deployment gives each IAM role with a literal name
// the ARN AWS would (path included), and none without an account.
func TestRoleArns(t *testing.T) {
	stack := map[string]any{"resource": map[string]any{"aws_iam_role": map[string]any{
		"plan":  map[string]any{"name": "influencegen-plan-dev"},
		"svc":   map[string]any{"name": "x", "path": "/service-role/"},
		"token": map[string]any{"name": "${var.name}"},
	}}}
	got := deployedOverrides(stack, nil, roleArns(stack, "111122223333"))
	for _, want := range []string{"target = aws_iam_role.plan\n    values = {\n      unique_id = \"AROAEXAMPLEEXAMPLEEXA\"\n      arn = \"arn:aws:iam::111122223333:role/influencegen-plan-dev\"", `"arn:aws:iam::111122223333:role/service-role/x"`} {
		if !strings.Contains(got, want) {
			t.Errorf("roleArns: no %s in\n%s", want, got)
		}
	}
	if strings.Contains(got, "aws_iam_role.token") {
		t.Errorf("a computed name got an ARN:\n%s", got)
	}
	if strings.Count(got, "arn = ") != 2 {
		t.Errorf("an override names arn twice or misses one:\n%s", got)
	}
	if roleArns(stack, "") != nil {
		t.Error("an ARN without an account")
	}
}
