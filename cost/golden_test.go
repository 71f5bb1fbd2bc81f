package cost

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
)

// stack is a synthesized stack's resources: type → logical name → body.
type stack map[string]map[string]map[string]any

// golden reads an environment's golden stack, e2etest/testdata/<env>-stack.json,
// which TestSnapshots in the root package keeps equal to what the
// constructs synthesize: checking the counts against it checks them
// against the constructs without synthesizing here.
func golden(t *testing.T, e environments.ParityConfig) stack {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "e2etest", "testdata", e.StackName()+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resource stack `json:"resource"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Resource
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// TestCountsMatchTheGoldenStacks: every count the estimate prices is what
// the constructs create, for every shipped environment: servers and their
// types and root volumes, model volumes, NAT gateways and Elastic IPs, the
// load balancer's zones, interface endpoints per zone, KMS keys, secrets
// (plus the RDS-managed one), alarms and the metrics they are billed by,
// WAF rules, database instances and storage, cache nodes. A construct that
// adds a billed resource without the estimate following fails here.
func TestCountsMatchTheGoldenStacks(t *testing.T) {
	for _, e := range envs {
		t.Run(e.Identity.Name, func(t *testing.T) {
			s := golden(t, e)
			c := CountsOf(e)
			check := func(what string, got, want int) {
				t.Helper()
				if got != want {
					t.Errorf("%s: the stack has %d, the estimate counts %d", what, got, want)
				}
			}

			var types, wantTypes []string
			rootGB := 0
			for _, r := range s["aws_instance"] {
				types = append(types, r["instance_type"].(string))
				rootGB += num(r["root_block_device"].(map[string]any)["volume_size"])
			}
			wantRoot := 0
			for _, tier := range e.Tiers {
				for range e.Count(tier) {
					wantTypes = append(wantTypes, e.ServerSettings(tier).InstanceType)
				}
				wantRoot += e.Count(tier) * e.ServerSettings(tier).RootVolumeGB
			}
			slices.Sort(types)
			slices.Sort(wantTypes)
			if !slices.Equal(types, wantTypes) {
				t.Errorf("instance types: the stack has %v, the estimate prices %v", types, wantTypes)
			}
			check("servers", len(s["aws_instance"]), c.Servers)
			check("root volume GB", rootGB, wantRoot)
			modelGB := 0
			for _, r := range s["aws_ebs_volume"] {
				modelGB += num(r["size"])
			}
			check("model volumes", len(s["aws_ebs_volume"]), c.ModelVolumes)
			check("model volume GB", modelGB, c.ModelVolumes*e.Scale.ModelVolumeGB)

			check("NAT gateways", len(s["aws_nat_gateway"]), c.NATGateways)
			lbZones := 0
			for _, r := range s["aws_lb"] {
				lbZones += len(r["subnets"].([]any))
			}
			check("public IPv4 (NAT Elastic IPs + one per load-balancer zone)", len(s["aws_eip"])+lbZones, c.PublicIPv4)
			endpointAZs := 0
			for _, r := range s["aws_vpc_endpoint"] {
				if r["vpc_endpoint_type"] == "Interface" {
					endpointAZs += len(r["subnet_ids"].([]any))
				}
			}
			check("interface endpoint × zone", endpointAZs, c.InterfaceEndpointAZs)

			local, copies, copyConstructs := 0, 0, false
			for name := range s["aws_kms_key"] {
				if strings.HasPrefix(name, "backup_copy-") {
					copies++
				} else {
					local++
				}
			}
			for _, rs := range s {
				for name := range rs {
					copyConstructs = copyConstructs || strings.HasPrefix(name, "backup_copy-")
				}
			}
			check("KMS keys in the environment's region", local, c.KMSKeys)
			if copyConstructs {
				check("KMS keys in the backup copy region", copies, c.CopyKMSKeys)
			} else if c.CopyKMSKeys > 0 {
				t.Logf("the stack has no backup_copy- constructs yet: the copy region's key (%d) is estimated from environments.ScaleKeys", c.CopyKMSKeys)
			}

			managed := 0
			for _, r := range s["aws_db_instance"] {
				if r["manage_master_user_password"] == true {
					managed++
				}
			}
			check("secrets (generated + RDS-managed)", len(s["aws_secretsmanager_secret"])+managed, c.Secrets)

			metrics := 0
			for _, r := range s["aws_cloudwatch_metric_alarm"] {
				q, ok := r["metric_query"].([]any)
				if !ok {
					metrics++
					continue
				}
				for _, m := range q {
					if _, ok := m.(map[string]any)["metric"]; ok {
						metrics++
					}
				}
			}
			check("alarms", len(s["aws_cloudwatch_metric_alarm"]), c.Alarms)
			check("alarm metrics", metrics, c.AlarmMetrics)
			check("dashboards", len(s["aws_cloudwatch_dashboard"]), 1)

			rules := 0
			for _, r := range s["aws_wafv2_web_acl"] {
				var rs []any
				if err := json.Unmarshal([]byte(r["rule_json"].(string)), &rs); err != nil {
					t.Fatal(err)
				}
				rules += len(rs)
			}
			check("WAF rules", rules, c.WAFRules)

			instances, storage := 0, 0
			for _, r := range s["aws_db_instance"] {
				if r["instance_class"] != e.Database.InstanceClass {
					t.Errorf("database class %v, the estimate prices %s", r["instance_class"], e.Database.InstanceClass)
				}
				n := 1
				if r["multi_az"] == true {
					n = 2
				}
				instances += n
				gb := num(r["allocated_storage"])
				if r["replicate_source_db"] != nil {
					gb = e.Scale.DatabaseAllocatedGB // a replica's storage is its source's
				}
				storage += n * gb
			}
			check("database instances (a Multi-AZ standby counts)", instances, c.DatabaseInstances)
			check("database storage GB", storage, c.DatabaseStorageGB)
			for _, r := range s["aws_elasticache_replication_group"] {
				check("cache nodes", num(r["num_cache_clusters"]), e.Scale.CacheNodes)
				if r["node_type"] != e.Cache.NodeType {
					t.Errorf("cache node type %v, the estimate prices %s", r["node_type"], e.Cache.NodeType)
				}
			}
		})
	}
}

// TestCountsFollowTheConfiguration: the counts move with the Scale fields
// and settings that drive them (the golden stacks cover only the shipped
// values).
func TestCountsFollowTheConfiguration(t *testing.T) {
	p := find(t, "production")
	base := CountsOf(p)
	cases := []struct {
		name   string
		mutate func(e *environments.ParityConfig)
		check  func(c Counts) bool
	}{
		{"one NAT gateway", func(e *environments.ParityConfig) { e.Scale.NATGatewayPerAZ = false },
			func(c Counts) bool { return c.NATGateways == 1 && c.PublicIPv4 == base.PublicIPv4-2 }},
		{"a replica", func(e *environments.ParityConfig) { e.Scale.DatabaseReplicas = 1 },
			func(c Counts) bool {
				return c.Alarms == base.Alarms+5 && c.DatabaseInstances == 3 && c.DatabaseStorageGB == 300
			}},
		{"a fourth endpoint", func(e *environments.ParityConfig) {
			e.Network.InterfaceEndpoints = append(e.Network.InterfaceEndpoints, "logs")
		},
			func(c Counts) bool { return c.InterfaceEndpointAZs == base.InterfaceEndpointAZs+3 }},
		{"WAF block mode relaxes rules", func(e *environments.ParityConfig) { e.Edge.WAFMode = "block" },
			func(c Counts) bool { return c.WAFRules == base.WAFRules+6 }},
		{"no WAF", func(e *environments.ParityConfig) { e.Edge.WAF = false }, func(c Counts) bool { return c.WAFRules == 0 }},
		{"no backup copy", func(e *environments.ParityConfig) { e.Scale.BackupCopy = false }, func(c Counts) bool { return c.CopyKMSKeys == 0 }},
		{"a third GPU server", func(e *environments.ParityConfig) { e.Scale.Servers[environments.TierAI] = 3 },
			func(c Counts) bool {
				return c.Alarms == base.Alarms+5 && c.AlarmMetrics == base.AlarmMetrics+6 && c.ModelVolumes == 3 && c.CustomMetrics == base.CustomMetrics+18
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := find(t, "production")
			c.mutate(&e)
			if got := CountsOf(e); !c.check(got) {
				t.Errorf("counts %+v (production: %+v)", got, base)
			}
		})
	}
}
