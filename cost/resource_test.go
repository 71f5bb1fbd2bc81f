package cost

import (
	"math"
	"strings"
	"testing"
)

// TestPriceResourceAgreesWithTheEstimate: pricing the resources of each
// environment's golden stack one by one (what the plan review does with a
// plan's values) gives the estimate's lines, component by component: the
// servers with their schedules and root volumes, the model volumes, the
// database and its storage, the cache, NAT gateways, the load balancer,
// interface endpoints and alarms. Either side drifting from the other
// fails here.
func TestPriceResourceAgreesWithTheEstimate(t *testing.T) {
	tab := shipped(t)
	groups := []struct {
		estimate, resources string // line prefixes on each side
	}{
		{"servers: ", "servers: "},
		{"root volumes (gp3)", "root volumes (gp3)"},
		{"GPU model volumes (gp3)", "EBS volumes (gp3)"},
		{"database: ", "database: "},
		{"database storage (gp3)", "database storage (gp3)"},
		{"cache nodes", "cache nodes"},
		{"NAT gateways", "NAT gateways"},
		{"load balancer", "load balancer"},
		{"interface VPC endpoints", "interface VPC endpoints"},
		{"CloudWatch alarms", "CloudWatch alarms"},
	}
	for _, e := range envs {
		t.Run(e.Identity.Name, func(t *testing.T) {
			est, err := For(account, e, tab)
			if err != nil {
				t.Fatal(err)
			}
			hours := func(role string) float64 {
				s, err := ServerSchedule(e, role)
				if err != nil {
					t.Fatal(err)
				}
				return s.Hours
			}
			priced := map[string]float64{}
			for typ, byName := range golden(t, e) {
				for name, r := range byName {
					ps, err := PriceResource(tab, e.Region, typ, r, hours)
					if err != nil {
						t.Fatalf("%s.%s: %v", typ, name, err)
					}
					for _, p := range ps {
						priced[p.Component] += p.MonthlyUSD
					}
				}
			}
			for _, g := range groups {
				var want, got float64
				for _, l := range est.Lines {
					if strings.HasPrefix(l.Component, g.estimate) {
						want += l.MonthlyUSD
					}
				}
				for c, v := range priced {
					if strings.HasPrefix(c, g.resources) {
						got += v
					}
				}
				if math.Abs(got-want) > 0.05 {
					t.Errorf("%s: the resources price %.2f, the estimate %.2f", g.estimate, got, want)
				}
			}
		})
	}
}
