package preflight

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/influencegen/infrastructure/environments"
	_ "github.com/influencegen/infrastructure/internal/golden" // -update is known in every test binary
)

func find(t *testing.T, envs []environments.ParityConfig, name string) environments.ParityConfig {
	t.Helper()
	e, err := environments.Find(envs, name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func tier(t *testing.T, f Facts, name string) Tier {
	t.Helper()
	for _, tr := range f.Tiers {
		if tr.Name == name {
			return tr
		}
	}
	t.Fatalf("no tier %s in %+v", name, f.Tiers)
	return Tier{}
}

// TestFactsFollowTheConfiguration: every fact is read from the account and
// the environment, not restated; changing the configuration changes it.
func TestFactsFollowTheConfiguration(t *testing.T) {
	a := environments.DefaultAccount()
	a.ID = "210987654321"
	a.Project = "acme"
	a.Domain = "acme.test"
	a.PrimaryZoneIDs = []string{"euc1-az3", "euc1-az1", "euc1-az2"}
	envs := environments.All(a)
	if err := environments.Validate(a, envs); err != nil {
		t.Fatal(err)
	}

	prod := For(a, find(t, envs, "production"))
	if prod.AccountID != "210987654321" || prod.Project != "acme" || prod.Domain != "acme.test" || prod.Region != a.PrimaryRegion {
		t.Errorf("account facts: %+v", prod)
	}
	if !slices.Equal(prod.ZoneIDs, []string{"euc1-az3", "euc1-az1", "euc1-az2"}) {
		t.Errorf("production zones %v: want Account.PrimaryZoneIDs in order", prod.ZoneIDs)
	}
	if prod.SecretPrefix != "acme/production/" || !prod.DeletionProtection || prod.Kind != environments.Reference {
		t.Errorf("production: prefix %q, protected %v, kind %s", prod.SecretPrefix, prod.DeletionProtection, prod.Kind)
	}
	if prod.NATGateways != 3 || prod.ElasticIPs != 3 || prod.VPCs != 1 {
		t.Errorf("production: %d NAT gateways, %d EIPs, %d VPCs; want 3, 3, 1 (one NAT per AZ)", prod.NATGateways, prod.ElasticIPs, prod.VPCs)
	}
	ai := tier(t, prod, environments.TierAI)
	if !ai.GPU || ai.InstanceType != "g5.xlarge" || ai.Count != 2 || ai.RecoverAlarm {
		t.Errorf("production ai tier: %+v", ai)
	}
	// two GPU servers over three zones: the first two
	if !slices.Equal(ai.ZoneIDs, []string{"euc1-az3", "euc1-az1"}) {
		t.Errorf("production ai zones %v, want the zones of servers 0 and 1", ai.ZoneIDs)
	}
	if main := tier(t, prod, environments.TierN8nMain); main.Count != 1 || main.GPU || !main.RecoverAlarm {
		t.Errorf("n8n main (FixedCount 1): %+v", main)
	}
	if !slices.Equal(prod.InstanceTypes, []string{"g5.xlarge", "m6i.large", "m6i.xlarge"}) {
		t.Errorf("production instance types %v", prod.InstanceTypes)
	}
	if !slices.Equal(prod.RecoverInstanceTypes, []string{"m6i.large", "m6i.xlarge"}) {
		t.Errorf("production recover types %v: every type but the GPU one", prod.RecoverInstanceTypes)
	}
	if prod.DatabaseInstanceClass != "db.r6g.large" || prod.CacheNodeType != "cache.m6g.large" {
		t.Errorf("production database/cache: %s %s", prod.DatabaseInstanceClass, prod.CacheNodeType)
	}

	dev := For(a, find(t, envs, "dev"))
	if dev.NATGateways != 1 || len(dev.ZoneIDs) != 2 || dev.DeletionProtection || dev.SecretPrefix != "acme/dev/" {
		t.Errorf("dev: %+v", dev)
	}
	if !slices.Equal(dev.ZoneIDs, a.DevZoneIDs[:2]) {
		t.Errorf("dev zones %v, want the first two of DevZoneIDs %v", dev.ZoneIDs, a.DevZoneIDs)
	}
	if got := tier(t, dev, environments.TierAI).InstanceType; got != "g6.xlarge" {
		t.Errorf("dev GPU type %s", got)
	}
	if dev.Tags["Environment"] != "dev" || dev.Tags["Project"] != "acme" {
		t.Errorf("dev tags %v", dev.Tags)
	}
}

// TestFactsPlacementWrapsAroundTheZones: more servers than zones put server
// n in zone n % AZCount, so a tier of three servers over two zones uses both
// once and the first twice; a scaled-up count changes the zones checked.
func TestFactsPlacementWrapsAroundTheZones(t *testing.T) {
	a := environments.DefaultAccount()
	staging := find(t, environments.All(a), "staging")
	staging.Scale.Servers[environments.TierAI] = 3
	ai := tier(t, For(a, staging), environments.TierAI)
	if ai.Count != 3 || !slices.Equal(ai.ZoneIDs, []string{"euc1-az1", "euc1-az2"}) {
		t.Errorf("3 GPU servers over 2 zones: %+v", ai)
	}
	staging.Scale.NATGatewayPerAZ = true
	if f := For(a, staging); f.NATGateways != 2 || f.ElasticIPs != 2 {
		t.Errorf("NAT per AZ over 2 zones: %d gateways, %d EIPs", f.NATGateways, f.ElasticIPs)
	}
}

// TestFactsJSONNames pins the JSON names scripts/preflight_checks.py reads.
func TestFactsJSONNames(t *testing.T) {
	a := environments.DefaultAccount()
	b, err := json.Marshal(For(a, find(t, environments.All(a), "staging")))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"environment", "kind", "project", "account_id", "region", "zone_ids", "tiers", "instance_types",
		"recover_instance_types", "database_instance_class", "cache_node_type", "nat_gateways", "elastic_ips", "vpcs",
		"domain", "secret_prefix", "deletion_protection", "tags"} {
		if _, ok := m[k]; !ok {
			t.Errorf("facts JSON lacks %q", k)
		}
	}
	tiers := m["tiers"].([]any)
	for _, k := range []string{"name", "instance_type", "count", "gpu", "zone_ids", "recover_alarm"} {
		if _, ok := tiers[0].(map[string]any)[k]; !ok {
			t.Errorf("tier JSON lacks %q", k)
		}
	}
}
