package e2etest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/preflight"
	"github.com/influencegen/infrastructure/internal/synth"
)

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
