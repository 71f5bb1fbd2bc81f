package e2etest

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/constructs-go/constructs/v10"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/parity"
)

// scaleVariant is an environment with one Scale count raised by one.
type scaleVariant struct {
	base    environments.ParityConfig
	cfg     environments.ParityConfig
	count   string   // which count was raised
	inPlace []string // "<type>.<attribute>" that list the copies and may change in place
}

// scaleVariants raises, in staging and production, each Scale count by
// one. A count may only add resources: every resource that exists keeps
// its address and its arguments, except the few that enumerate the copies
// (a dashboard, a subnet list, a node count), which AWS updates in place.
func scaleVariants() []scaleVariant {
	var out []scaleVariant
	n := 0
	for _, name := range []string{"staging", "production"} {
		base, _ := environments.Find(envs, name)
		raise := func(count string, inPlace []string, f func(s *environments.Scale)) {
			n++
			v := base.Derive(base.Identity.Renamed(fmt.Sprintf("scale%d", n), base.Identity.VPCCIDR, account), base.Scale)
			v.Kind = base.Kind
			f(&v.Scale)
			out = append(out, scaleVariant{base: base, cfg: v, count: count, inPlace: inPlace})
		}
		dashboard := "aws_cloudwatch_dashboard.dashboard_body"
		for _, tier := range base.Tiers {
			if tier.FixedCount > 0 {
				continue
			}
			t := tier.Name
			// The off-hours schedules name the servers they stop and
			// the alarms they mute (the scheduler's API takes IDs).
			n := base.Count(tier) // a tier Scale.Servers does not name runs 1
			raise("Servers["+t+"]", []string{dashboard, "aws_scheduler_schedule.target"}, func(s *environments.Scale) { s.Servers[t] = n + 1 })
		}
		raise("DatabaseReplicas", []string{dashboard}, func(s *environments.Scale) { s.DatabaseReplicas++ })
		if name == "staging" {
			// A switch, not a count: the quantization host, added whole.
			raise(quantizerVariant, nil, func(s *environments.Scale) { s.QuantizationHost = true })
		}
		raise("CacheNodes", []string{dashboard, "aws_elasticache_replication_group.num_cache_clusters"}, func(s *environments.Scale) { s.CacheNodes++ })
		if base.Scale.AZCount < len(base.Network.ZoneIDs) {
			raise("AZCount", []string{
				"aws_lb.subnets", "aws_db_subnet_group.subnet_ids", "aws_elasticache_subnet_group.subnet_ids",
				"aws_vpc_endpoint.subnet_ids", "aws_vpc_endpoint.route_table_ids",
			}, func(s *environments.Scale) { s.AZCount++ })
		}
	}
	return out
}

// quantizerVariant is the variant with Scale.QuantizationHost set.
const quantizerVariant = "QuantizationHost"

// quantized returns staging with the quantization host switched on.
func quantized(t *testing.T) scaleVariant {
	t.Helper()
	for _, v := range variants {
		if v.count == quantizerVariant {
			return v
		}
	}
	t.Fatal("no scale variant with the quantization host")
	return scaleVariant{}
}

// buildScaleVariants adds the variants' stacks to the test app.
func buildScaleVariants(app constructs.Construct, vs []scaleVariant) {
	for _, v := range vs {
		platform.NewEnvironmentStack(app, account, v.cfg)
	}
}

// TestScaleOnlyAdds is the scale property: raising any count by one only
// adds resources. No existing resource changes address, and none changes
// an argument, beyond those that enumerate the copies. (Call-order IDs
// broke this: one more Odoo server renumbered the load balancer's
// registrations of the n8n main.)
func TestScaleOnlyAdds(t *testing.T) {
	if len(variants) == 0 {
		t.Fatal("no scale variants were synthesized")
	}
	for _, v := range variants {
		t.Run(v.base.Identity.Name+"/"+v.count, func(t *testing.T) {
			base := parity.Normalise(map[string]any(envStack(t, v.base.Identity.Name)), v.base).(map[string]any)
			grown := parity.Normalise(map[string]any(stacks[v.cfg.StackName()]), v.cfg).(map[string]any)
			added := 0
			for _, kind := range []string{"resource", "data"} {
				baseByType, _ := base[kind].(map[string]any)
				grownByType, _ := grown[kind].(map[string]any)
				for typ, rs := range baseByType {
					for name, r := range rs.(map[string]any) {
						g, ok := grownByType[typ].(map[string]any)[name]
						if !ok {
							t.Errorf("%s.%s.%s is gone: raising %s renamed or removed it", kind, typ, name, v.count)
							continue
						}
						for _, attr := range changed(r.(map[string]any), g.(map[string]any)) {
							if !contains(v.inPlace, typ+"."+attr) {
								t.Errorf("%s.%s changed %s when %s was raised", typ, name, attr, v.count)
							}
						}
					}
				}
				for typ, rs := range grownByType {
					for name := range rs.(map[string]any) {
						if _, ok := baseByType[typ].(map[string]any)[name]; !ok {
							added++
						}
					}
				}
			}
			if added == 0 {
				t.Errorf("raising %s added nothing", v.count)
			}
		})
	}
}

// changed lists the top-level arguments that differ, leaving out cdktf's
// metadata.
func changed(a, b map[string]any) []string {
	var out []string
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	for k := range keys {
		if k != "//" && !reflect.DeepEqual(a[k], b[k]) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s || strings.HasPrefix(s, v+".") {
			return true
		}
	}
	return false
}
