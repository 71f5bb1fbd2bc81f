package e2etest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/plan"
	"github.com/influencegen/infrastructure/internal/synth"
)

func TestBackendAndProvider(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		tf := s["terraform"].(map[string]any)
		if tf["required_version"] != environments.RequiredTerraform {
			t.Errorf("required_version = %v", tf["required_version"])
		}
		be := tf["backend"].(map[string]any)["s3"].(map[string]any)
		want := map[string]any{
			"bucket":       account.StateBucket,
			"key":          cfg.Identity.Name + "/terraform.tfstate",
			"region":       account.StateRegion,
			"encrypt":      true,
			"kms_key_id":   "alias/" + account.StateKMSAlias,
			"use_lockfile": true,
		}
		for k, v := range want {
			if be[k] != v {
				t.Errorf("backend.s3.%s = %v, want %v", k, be[k], v)
			}
		}
		if ids := fmt.Sprint(be["allowed_account_ids"]); ids != "["+account.ID+"]" {
			t.Errorf("backend allowed_account_ids = %s", ids)
		}
		p := s["provider"].(map[string]any)["aws"].([]any)[0].(map[string]any)
		if p["region"] != cfg.Region {
			t.Errorf("provider region = %v, want %s", p["region"], cfg.Region)
		}
		if ids := fmt.Sprint(p["allowed_account_ids"]); ids != "["+account.ID+"]" {
			t.Errorf("provider allowed_account_ids = %s", ids)
		}
		tags := p["default_tags"].([]any)[0].(map[string]any)["tags"].(map[string]any)
		for _, k := range []string{"Project", "Environment", "ManagedBy", "Repository"} {
			if tags[k] == nil || tags[k] == "" {
				t.Errorf("default tag %s missing", k)
			}
		}
		if tags["Environment"] != cfg.Identity.Name {
			t.Errorf("Environment tag = %v", tags["Environment"])
		}
	})
}

func TestBootstrapStack(t *testing.T) {
	s := stacks[platform.BootstrapStackName]
	be := s["terraform"].(map[string]any)["backend"].(map[string]any)
	if _, local := be["local"]; !local || account.StateBootstrapped {
		t.Fatalf("before bootstrap the state stack must use a local backend, got %v", be)
	}
	buckets := s.Resources("aws_s3_bucket")
	if len(buckets) != 1 {
		t.Fatalf("%d buckets", len(buckets))
	}
	for _, b := range buckets {
		if b["bucket"] != account.StateBucket {
			t.Errorf("bucket = %v", b["bucket"])
		}
		if fmt.Sprint(b["lifecycle"]) != "map[prevent_destroy:true]" {
			t.Errorf("state bucket must refuse destroy: %v", b["lifecycle"])
		}
	}
	one := func(typ string) map[string]any { return only(t, s, typ) }
	sse, bucketPolicy := checkSecureBucket(t, s, "state", "${aws_kms_key.")
	if !strings.Contains(sse, "bucket_key_enabled:true") {
		t.Errorf("encryption without a bucket key: %s", sse)
	}
	if !strings.Contains(bucketPolicy, `"Effect":"Deny"`) {
		t.Errorf("TLS-only policy missing: %s", bucketPolicy)
	}
	if v := fmt.Sprint(one("aws_s3_bucket_lifecycle_configuration")["rule"]); !strings.Contains(v, "noncurrent_version_expiration") {
		t.Errorf("lifecycle: %s", v)
	}
	key := one("aws_kms_key")
	if key["enable_key_rotation"] != true {
		t.Error("state key does not rotate")
	}
}

func TestNetwork(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		sc := cfg.Scale
		layout, err := network.PlanSubnets(cfg.Identity.VPCCIDR, sc.AZCount)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for _, tier := range layout.Subnets {
			for _, p := range tier {
				want[p.String()] = true
			}
		}
		subnets := s.Resources("aws_subnet")
		if len(subnets) != 3*sc.AZCount {
			t.Fatalf("%d subnets, want 3 tiers × %d AZs", len(subnets), sc.AZCount)
		}
		tiers := map[string]int{}
		for name, sn := range subnets {
			if !want[sn["cidr_block"].(string)] {
				t.Errorf("%s: CIDR %v is not from the computed layout", name, sn["cidr_block"])
			}
			if sn["map_public_ip_on_launch"] != false {
				t.Errorf("%s maps public IPs on launch", name)
			}
			tiers[sn["tags"].(map[string]any)["Tier"].(string)]++
		}
		for _, tier := range []string{"public", "private-app", "private-data"} {
			if tiers[tier] != sc.AZCount {
				t.Errorf("tier %s has %d subnets, want %d", tier, tiers[tier], sc.AZCount)
			}
		}
		nats := len(s.Resources("aws_nat_gateway"))
		if wantNAT := map[bool]int{true: sc.AZCount, false: 1}[sc.NATGatewayPerAZ]; nats != wantNAT {
			t.Errorf("%d NAT gateways, want %d", nats, wantNAT)
		}
		// The data tier has no route out; app tiers only via NAT.
		for name, r := range s.Resources("aws_route") {
			switch {
			case strings.Contains(name, "private-data"):
				t.Errorf("route %s in the data tier", name)
			case strings.Contains(name, "private-app") && r["nat_gateway_id"] == nil:
				t.Errorf("private route %s does not go through NAT", name)
			}
		}
		// Default security group: no rules at all.
		for _, d := range s.Resources("aws_default_security_group") {
			if d["ingress"] != nil || d["egress"] != nil {
				t.Errorf("default security group has rules: %v", d)
			}
		}
		// No inline rules anywhere.
		for name, g := range s.Resources("aws_security_group") {
			if g["ingress"] != nil || g["egress"] != nil {
				t.Errorf("%s uses inline rules", name)
			}
		}
		// Flow logs into a KMS-encrypted, retained log group.
		fl := s.Resources("aws_flow_log")
		if len(fl) != 1 {
			t.Fatalf("%d flow logs", len(fl))
		}
		for _, f := range fl {
			if f["traffic_type"] != cfg.Network.FlowLogTrafficType || f["log_destination_type"] != "cloud-watch-logs" {
				t.Errorf("flow log: %v", f)
			}
		}
		for name, lg := range s.Resources("aws_cloudwatch_log_group") {
			if lg["kms_key_id"] == nil || int(lg["retention_in_days"].(float64)) != sc.LogRetentionDays {
				t.Errorf("log group %s: kms %v retention %v", name, lg["kms_key_id"], lg["retention_in_days"])
			}
		}
		// Endpoints: S3 gateway plus every configured interface endpoint.
		services := map[string]string{}
		for _, e := range s.Resources("aws_vpc_endpoint") {
			services[e["service_name"].(string)] = e["vpc_endpoint_type"].(string)
		}
		if services["com.amazonaws."+cfg.Region+".s3"] != "Gateway" {
			t.Errorf("no S3 gateway endpoint: %v", services)
		}
		for _, svc := range cfg.Network.InterfaceEndpoints {
			if services["com.amazonaws."+cfg.Region+"."+svc] != "Interface" {
				t.Errorf("no %s interface endpoint: %v", svc, services)
			}
		}
		if n := len(s.Resources("aws_db_subnet_group")); n != 1 {
			t.Errorf("%d DB subnet groups", n)
		}
	})
}

func TestKMSKeys(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		keys := map[string]map[string]any{}
		copies := 0
		for name, k := range s.Resources("aws_kms_key") {
			if k["provider"] == nil {
				keys[name] = k
				continue
			}
			// The backup copy region's key, with that region's provider.
			copies++
			if k["provider"] != "aws."+platform.BackupCopyProviderAlias || !cfg.Scale.BackupCopy {
				t.Errorf("%s: provider %v in an environment with BackupCopy %v", name, k["provider"], cfg.Scale.BackupCopy)
			}
		}
		if len(keys) != 3 {
			t.Fatalf("%d KMS keys, want data, logs and secrets", len(keys))
		}
		if want := map[bool]int{true: 1}[cfg.Scale.BackupCopy]; copies != want {
			t.Errorf("%d keys in the backup copy region, want %d", copies, want)
		}
		window := map[bool]float64{true: 30, false: 7}[cfg.Scale.DeletionProtection]
		for name, k := range keys {
			if k["enable_key_rotation"] != true || k["deletion_window_in_days"] != window {
				t.Errorf("%s: rotation %v window %v", name, k["enable_key_rotation"], k["deletion_window_in_days"])
			}
		}
		aliases := map[string]bool{}
		for _, a := range s.Resources("aws_kms_alias") {
			aliases[a["name"].(string)] = true
		}
		for _, p := range []string{"data", "logs", "secrets"} {
			if !aliases["alias/"+account.Project+"-"+cfg.Identity.Name+"-"+p] {
				t.Errorf("alias for %s key missing: %v", p, aliases)
			}
		}
	})
}

// TestProviderPinnedExactly: every stack requires exactly the hashicorp/aws
// version that `make plan` plans with and a user's `terraform init`
// installs (environments.AWSProviderVersion). A planted stack that
// requires another version, or a range, is caught.
func TestProviderPinnedExactly(t *testing.T) {
	check := func(s map[string]any) error {
		if got := plan.RequiredProvider(s); got != environments.AWSProviderVersion {
			return fmt.Errorf("requires hashicorp/aws %q, want exactly %s (environments.AWSProviderVersion)", got, environments.AWSProviderVersion)
		}
		return nil
	}
	for _, name := range platform.StackNames(envs) {
		if err := check(stacks[name]); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, planted := range []string{"5.88.0", "~> 5.100"} {
		s := deepCopy(t, stacks["production-stack"])
		s["terraform"].(map[string]any)["required_providers"].(map[string]any)["aws"].(map[string]any)["version"] = planted
		if check(s) == nil {
			t.Errorf("a stack requiring %q passed the check", planted)
		}
	}
}
