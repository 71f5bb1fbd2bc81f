package review

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/influencegen/infrastructure/cost"
)

// costDeltas prices every changed resource before and after
// (cost.PriceResource) and reports the monthly delta per component: Low,
// or Medium when the plan's delta in all exceeds a tenth of the
// environment's estimate. It returns the delta in all and the estimate.
func costDeltas(changes []change, o Options) ([]Finding, float64, float64) {
	env := o.Environment
	hours := func(role string) float64 {
		s, err := cost.ServerSchedule(env, role)
		if err != nil {
			return cost.HoursPerMonth
		}
		return s.Hours
	}
	type part struct {
		delta     float64
		addresses []string
		whats     []string
	}
	byComponent := map[string]*part{}
	var order []string
	var out []Finding
	for i := range changes {
		c := &changes[i]
		if !c.changes() || c.Deposed != "" {
			continue
		}
		price := func(v map[string]any) (map[string]cost.Priced, error) {
			byComp := map[string]cost.Priced{}
			if v == nil {
				return byComp, nil
			}
			ps, err := cost.PriceResource(o.Prices, env.Region, c.Type, v, hours)
			for _, p := range ps {
				q := byComp[p.Component]
				q.Component, q.MonthlyUSD = p.Component, q.MonthlyUSD+p.MonthlyUSD
				q.What = strings.TrimPrefix(q.What+", "+p.What, ", ")
				byComp[p.Component] = q
			}
			return byComp, err
		}
		var before, after map[string]cost.Priced
		var errB, errA error
		if !c.creates() || c.replaces() || c.updates() {
			before, errB = price(c.before)
		}
		if !c.destroys() {
			after, errA = price(knownAs(c.after, c.before, c.unknown))
		}
		if err := firstErr(errB, errA); err != nil {
			out = append(out, Finding{Severity: Low, Class: Cost, Address: c.Address, Text: fmt.Sprintf("not priced: %v (scripts/update-prices.sh, docs/runbooks/cost.md)", err)})
			continue
		}
		components := map[string]bool{}
		for k := range before {
			components[k] = true
		}
		for k := range after {
			components[k] = true
		}
		for _, comp := range slices.Sorted(maps.Keys(components)) {
			d := after[comp].MonthlyUSD - before[comp].MonthlyUSD
			if math.Abs(d) < 0.005 {
				continue
			}
			p, ok := byComponent[comp]
			if !ok {
				p = &part{}
				byComponent[comp] = p
				order = append(order, comp)
			}
			p.delta += d
			p.addresses = append(p.addresses, c.Address)
			p.whats = append(p.whats, transition(before[comp].What, after[comp].What))
		}
	}
	estimate := 0.0
	if est, err := cost.For(o.Account, env, o.Prices); err == nil {
		estimate = est.TotalUSD
	}
	total := 0.0
	for _, comp := range order {
		total += byComponent[comp].delta
	}
	sev := Low
	if estimate > 0 && total > estimate/10 {
		sev = Medium
	}
	for _, comp := range order {
		p := byComponent[comp]
		if math.Abs(p.delta) < 0.005 {
			continue
		}
		out = append(out, Finding{Severity: sev, Class: Cost, Address: strings.Join(p.addresses, ", "),
			Text: fmt.Sprintf("%s: %s/month (%s)", comp, usd(p.delta), strings.Join(p.whats, "; "))})
	}
	return out, math.Round(total*100) / 100, estimate
}

func transition(before, after string) string {
	switch {
	case before == "":
		return "new: " + after
	case after == "":
		return "gone: " + before
	}
	return before + " → " + after
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
