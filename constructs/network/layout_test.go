package network

import (
	"net/netip"
	"testing"
)

func TestPlanSubnets(t *testing.T) {
	cases := []struct {
		vpc   string
		azs   int
		first [3]string // first subnet of each tier
		bits  int
	}{
		{"10.10.0.0/16", 3, [3]string{"10.10.0.0/20", "10.10.64.0/20", "10.10.128.0/20"}, 20},
		{"10.20.0.0/16", 2, [3]string{"10.20.0.0/20", "10.20.64.0/20", "10.20.128.0/20"}, 20},
		{"172.16.8.0/22", 4, [3]string{"172.16.8.0/26", "172.16.9.0/26", "172.16.10.0/26"}, 26},
	}
	for _, c := range cases {
		l, err := PlanSubnets(c.vpc, c.azs)
		if err != nil {
			t.Fatalf("%s: %v", c.vpc, err)
		}
		vpc := netip.MustParsePrefix(c.vpc)
		var all []netip.Prefix
		for tier := range l.Subnets {
			if len(l.Subnets[tier]) != c.azs {
				t.Fatalf("%s tier %d: %d subnets, want %d", c.vpc, tier, len(l.Subnets[tier]), c.azs)
			}
			if got := l.Subnets[tier][0].String(); got != c.first[tier] {
				t.Errorf("%s tier %s: first subnet %s, want %s", c.vpc, Tier(tier), got, c.first[tier])
			}
			for _, s := range l.Subnets[tier] {
				if s.Bits() != c.bits || !vpc.Contains(s.Addr()) {
					t.Errorf("%s: subnet %s not a /%d inside the VPC", c.vpc, s, c.bits)
				}
				all = append(all, s)
			}
		}
		for i := range all {
			for j := i + 1; j < len(all); j++ {
				if all[i].Overlaps(all[j]) {
					t.Errorf("%s: %s overlaps %s", c.vpc, all[i], all[j])
				}
			}
		}
	}
}

func TestPlanSubnetsRejects(t *testing.T) {
	for _, c := range []struct {
		vpc string
		azs int
	}{{"10.0.0.0/25", 2}, {"nonsense", 2}, {"10.0.0.0/16", 0}, {"10.0.0.0/16", 5}} {
		if _, err := PlanSubnets(c.vpc, c.azs); err == nil {
			t.Errorf("PlanSubnets(%q, %d) accepted", c.vpc, c.azs)
		}
	}
}
