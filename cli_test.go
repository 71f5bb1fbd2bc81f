package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/preflight"
	"github.com/influencegen/infrastructure/internal/synth"
)

// TestInvalidConfigWritesNothing: with a bad configuration the app exits
// non-zero, names the field, and leaves the output directory as it was.
func TestInvalidConfigWritesNothing(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(a *environments.Account, e []environments.ParityConfig)
		field  string
	}{
		{"overlapping CIDR", func(a *environments.Account, e []environments.ParityConfig) { e[1].Identity.VPCCIDR = "10.10.0.0/16" }, "Identity.VPCCIDR"},
		{"one AZ", func(a *environments.Account, e []environments.ParityConfig) { e[0].Scale.AZCount = 1 }, "Scale.AZCount"},
		{"bad region", func(a *environments.Account, e []environments.ParityConfig) { e[2].Region = "moon-1" }, "Region"},
		{"zero Odoo", func(a *environments.Account, e []environments.ParityConfig) {
			e[0].Scale.Servers[environments.TierOdoo] = 0
		}, "Scale.Servers[odoo]"},
		{"staging override", func(a *environments.Account, e []environments.ParityConfig) {
			e[1].Servers[environments.TierAI] = environments.ServerSettings{InstanceType: "g6e.xlarge", RootVolumeGB: 100}
		}, "Servers"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			sentinel := filepath.Join(out, "previous-synth.txt")
			if err := os.WriteFile(sentinel, []byte("untouched"), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Setenv("INFLUENCEGEN_OUTDIR", out)
			a := environments.DefaultAccount()
			e := environments.All(a)
			c.mutate(&a, e)
			var stdout, stderr bytes.Buffer
			if code := run(nil, a, e, &stdout, &stderr); code == 0 {
				t.Fatal("exit code 0 for an invalid configuration")
			}
			if !strings.Contains(stderr.String(), c.field) || !strings.Contains(stderr.String(), "fix:") {
				t.Errorf("error does not name %s and a fix:\n%s", c.field, stderr.String())
			}
			entries, _ := os.ReadDir(out)
			if len(entries) != 1 {
				t.Errorf("output directory changed: %v", entries)
			}
			if b, _ := os.ReadFile(sentinel); string(b) != "untouched" {
				t.Error("existing output was modified")
			}
		})
	}
}

func TestCLI(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"validate"}, account, envs, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "3 environments valid") {
		t.Errorf("validate: code %d, %s%s", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"help"}, account, envs, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "parity") {
		t.Errorf("help: code %d", code)
	}
	stderr.Reset()
	if code := run([]string{"parity", "qa"}, account, envs, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "unknown environment") {
		t.Errorf("parity qa: code %d, %s", code, stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"help"}, account, envs, &stdout, &stderr); !strings.Contains(stdout.String(), "cost [--prices FILE] [ENV]") {
		t.Errorf("help: code %d, no cost command in the usage", code)
	}
	stdout.Reset()
	if code := run([]string{"cost", "staging"}, account, envs, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "staging (eu-central-1): on-demand estimate") {
		t.Errorf("cost staging: code %d, %s%s", code, stdout.String(), stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"cost", "qa"}, account, envs, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "unknown environment") {
		t.Errorf("cost qa: code %d, %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"deploy"}, account, envs, &stdout, &stderr); code != 2 {
		t.Errorf("unknown command: code %d", code)
	}
}

// TestFactsCommand: `facts ENV` prints the environment's preflight facts as
// JSON; a missing or unknown environment is a usage error.
func TestFactsCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"facts", "staging"}, account, envs, &stdout, &stderr); code != 0 {
		t.Fatalf("facts staging: code %d, %s", code, stderr.String())
	}
	var f preflight.Facts
	if err := json.Unmarshal(stdout.Bytes(), &f); err != nil {
		t.Fatalf("facts staging is not JSON: %v\n%s", err, stdout.String())
	}
	staging, _ := environments.Find(envs, "staging")
	if f.Environment != "staging" || f.AccountID != account.ID || f.Region != staging.Region || f.SecretPrefix != account.Project+"/staging/" {
		t.Errorf("facts staging: %+v", f)
	}
	for _, args := range [][]string{{"facts"}, {"facts", "qa"}, {"facts", "dev", "staging"}} {
		stderr.Reset()
		if code := run(args, account, envs, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("%v: code %d, stderr %q; want 2 and a message", args, code, stderr.String())
		}
	}
	// An invalid configuration gives no facts.
	bad := environments.All(account)
	bad[0].Scale.AZCount = 7
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"facts", "production"}, account, bad, &stdout, &stderr); code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "AZCount") {
		t.Errorf("facts of an invalid configuration: code %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// TestFactsMatchTheSynthesizedStacks: what the preflight checks is what
// the stacks create: Elastic IPs, VPCs, instance types and counts, the
// zones of the subnets and of each server, the alarms with the recover
// action, the secret names, the hosted zone looked up, the database class
// and the cache node type. A construct that changes any of them without
// preflight.For following fails here.
func TestFactsMatchTheSynthesizedStacks(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		f := preflight.For(account, cfg)
		if n := len(s.Resources("aws_eip")); n != f.ElasticIPs || n != f.NATGateways {
			t.Errorf("%d aws_eip, facts say %d EIPs / %d NAT gateways", n, f.ElasticIPs, f.NATGateways)
		}
		if n := len(s.Resources("aws_nat_gateway")); n != f.NATGateways {
			t.Errorf("%d aws_nat_gateway, facts say %d", n, f.NATGateways)
		}
		if n := len(s.Resources("aws_vpc")); n != f.VPCs {
			t.Errorf("%d aws_vpc, facts say %d", n, f.VPCs)
		}
		subnetZone := map[string]string{}
		zones := map[string]bool{}
		for name, sn := range s.Resources("aws_subnet") {
			z, _ := sn["availability_zone_id"].(string)
			subnetZone[name] = z
			zones[z] = true
		}
		if got := slices.Sorted(maps.Keys(zones)); !slices.Equal(got, slices.Sorted(slices.Values(f.ZoneIDs))) {
			t.Errorf("subnet zones %v, facts %v", got, f.ZoneIDs)
		}
		// Servers by Role tag: instance type, count and zones.
		type seen struct {
			types map[string]bool
			count int
			zones []string
		}
		byTier := map[string]*seen{}
		types := map[string]string{}
		for name, in := range s.Resources("aws_instance") {
			role := in["tags"].(map[string]any)["Role"].(string)
			if byTier[role] == nil {
				byTier[role] = &seen{types: map[string]bool{}}
			}
			typ := in["instance_type"].(string)
			types["${aws_instance."+name+".id}"] = typ
			b := byTier[role]
			b.types[typ] = true
			b.count++
			if z := subnetZone[synth.ReferencedName(in["subnet_id"])]; !slices.Contains(b.zones, z) {
				b.zones = append(b.zones, z)
			}
		}
		var instanceTypes []string
		for _, tr := range f.Tiers {
			b := byTier[tr.Name]
			if b == nil {
				t.Errorf("tier %s: no instances in the stack", tr.Name)
				continue
			}
			if b.count != tr.Count || len(b.types) != 1 || !b.types[tr.InstanceType] {
				t.Errorf("tier %s: stack has %d servers of %v, facts %d of %s", tr.Name, b.count, b.types, tr.Count, tr.InstanceType)
			}
			slices.Sort(b.zones)
			if want := slices.Sorted(slices.Values(tr.ZoneIDs)); !slices.Equal(b.zones, want) {
				t.Errorf("tier %s: servers in zones %v, facts %v", tr.Name, b.zones, want)
			}
			spec, _ := cfg.Tier(tr.Name)
			if tr.GPU != spec.GPU {
				t.Errorf("tier %s: GPU %v, configuration %v", tr.Name, tr.GPU, spec.GPU)
			}
			if !slices.Contains(instanceTypes, tr.InstanceType) {
				instanceTypes = append(instanceTypes, tr.InstanceType)
			}
		}
		if len(byTier) != len(f.Tiers) {
			t.Errorf("stack has servers of %d roles, facts %d tiers", len(byTier), len(f.Tiers))
		}
		slices.Sort(instanceTypes)
		if !slices.Equal(instanceTypes, f.InstanceTypes) {
			t.Errorf("instance types %v, facts %v", instanceTypes, f.InstanceTypes)
		}
		recover := map[string]bool{}
		for _, a := range alarms(s) {
			if strings.Contains(fmt.Sprint(a["alarm_actions"]), ":ec2:recover") {
				recover[types[a["dimensions"].(map[string]any)["InstanceId"].(string)]] = true
			}
		}
		if got := slices.Sorted(maps.Keys(recover)); !slices.Equal(got, f.RecoverInstanceTypes) {
			t.Errorf("types with a recover alarm %v, facts %v", got, f.RecoverInstanceTypes)
		}
		secrets := s.Resources("aws_secretsmanager_secret")
		if len(secrets) == 0 {
			t.Error("no secrets: the prefix check would check nothing")
		}
		for name, sec := range secrets {
			if n, _ := sec["name"].(string); !strings.HasPrefix(n, f.SecretPrefix) {
				t.Errorf("secret %s named %q, outside the prefix %q the preflight lists", name, n, f.SecretPrefix)
			}
		}
		zonesData, _ := s["data"].(map[string]any)["aws_route53_zone"].(map[string]any)
		if len(zonesData) != 1 {
			t.Fatalf("%d aws_route53_zone data sources, want 1", len(zonesData))
		}
		for _, z := range zonesData {
			z := z.(map[string]any)
			if z["name"] != f.Domain || z["private_zone"] != false {
				t.Errorf("hosted zone looked up: %v (private %v); facts %q public", z["name"], z["private_zone"], f.Domain)
			}
		}
		for _, db := range s.Resources("aws_db_instance") {
			if db["instance_class"] != f.DatabaseInstanceClass {
				t.Errorf("database class %v, facts %s", db["instance_class"], f.DatabaseInstanceClass)
			}
		}
		for _, rg := range s.Resources("aws_elasticache_replication_group") {
			if rg["node_type"] != f.CacheNodeType {
				t.Errorf("cache node type %v, facts %s", rg["node_type"], f.CacheNodeType)
			}
		}
	})
}
