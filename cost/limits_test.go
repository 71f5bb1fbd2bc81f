package cost

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
)

// TestBudgetLimits: an estimate equal to the budget is within it; a cent
// more is over. No budget is 0 %.
func TestBudgetLimits(t *testing.T) {
	for _, c := range []struct {
		total   float64
		budget  int
		over    bool
		percent float64
	}{
		{100, 100, false, 100},
		{100.01, 100, true, 100.01},
		{50, 200, false, 25},
		{50, 0, true, 0},
	} {
		e := Estimate{TotalUSD: c.total, BudgetUSD: c.budget}
		if got := e.OverBudget(); got != c.over {
			t.Errorf("$%g of $%d: over = %v, want %v", c.total, c.budget, got, c.over)
		}
		if got := e.BudgetPercent(); math.Abs(got-c.percent) > 1e-9 {
			t.Errorf("$%g of $%d: %g %%, want %g %%", c.total, c.budget, got, c.percent)
		}
	}
}

// TestServerScheduleHours: a scheduled tier runs Monday to Friday from
// Start to Stop, minutes included (07:30 to 20:15 is 12.75 h a day); a
// schedule whose start is not before its stop is an error, not 0 hours.
func TestServerScheduleHours(t *testing.T) {
	e := find(t, "dev")
	e.Scale.OffHours = &environments.OffHours{Start: "07:30", Stop: "20:15", Tiers: []string{environments.TierAI}}
	s, err := ServerSchedule(e, environments.TierAI)
	if err != nil {
		t.Fatal(err)
	}
	if want := 730.0 * 5 * 12.75 / 168; math.Abs(s.Hours-want) > 1e-9 {
		t.Errorf("07:30–20:15: %g h/month, want %g", s.Hours, want)
	}
	if s, _ := ServerSchedule(e, environments.TierOdoo); s.Hours != 730 {
		t.Errorf("an unlisted tier: %g h/month, want 730", s.Hours)
	}
	e.Scale.OffHours.Start = "20:15"
	if _, err := ServerSchedule(e, environments.TierAI); err == nil {
		t.Error("start at stop: no error")
	}
}

// TestWAFRuleCount: the core and known-bad-inputs sets; a label rule per
// relaxed core rule in block mode; the rate limit when set; the login
// limit when set and some route has login paths.
func TestWAFRuleCount(t *testing.T) {
	base := func() environments.ParityConfig {
		e := find(t, "production")
		e.Edge.WAFMode, e.Edge.WAFRateLimit, e.Edge.WAFLoginRateLimit = "count", 0, 0
		return e
	}
	relaxed := map[string]bool{}
	logins := false
	for _, tier := range base().Tiers {
		if tier.Route != nil {
			for _, x := range tier.Route.WAFExceptions {
				for _, r := range x.Rules {
					relaxed[r] = true
				}
			}
			logins = logins || len(tier.Route.LoginPaths) > 0
		}
	}
	if len(relaxed) == 0 || !logins {
		t.Fatal("the tier table has no WAF exception or login path: this test needs one")
	}
	noLogins := func(e *environments.ParityConfig) {
		for i := range e.Tiers {
			if e.Tiers[i].Route != nil {
				r := *e.Tiers[i].Route
				r.LoginPaths = nil
				e.Tiers[i].Route = &r
			}
		}
	}
	for _, c := range []struct {
		name string
		set  func(e *environments.ParityConfig)
		want int
	}{
		{"count mode, no limits", func(e *environments.ParityConfig) {}, 2},
		{"block mode", func(e *environments.ParityConfig) { e.Edge.WAFMode = "block" }, 2 + len(relaxed)},
		{"a rate limit", func(e *environments.ParityConfig) { e.Edge.WAFRateLimit = 100 }, 3},
		{"a login limit", func(e *environments.ParityConfig) { e.Edge.WAFLoginRateLimit = 100 }, 3},
		{"a login limit without login paths", func(e *environments.ParityConfig) { e.Edge.WAFLoginRateLimit = 100; noLogins(e) }, 2},
		{"both limits", func(e *environments.ParityConfig) { e.Edge.WAFRateLimit, e.Edge.WAFLoginRateLimit = 2000, 100 }, 4},
	} {
		e := base()
		c.set(&e)
		if got := WAFRuleCount(e); got != c.want {
			t.Errorf("%s: %d rules, want %d", c.name, got, c.want)
		}
	}
}

// TestReplicasAndRoutes: a read replica is an instance and its storage
// (priced on its own line); a tier behind the load balancer adds its
// target-group alarms.
func TestReplicasAndRoutes(t *testing.T) {
	e := find(t, "staging")
	e.Scale.DatabaseReplicas, e.Scale.DatabaseMultiAZ = 0, false
	if c := CountsOf(e); c.DatabaseInstances != 1 || c.DatabaseStorageGB != e.Scale.DatabaseAllocatedGB {
		t.Errorf("no replica: %d instances, %d GB", c.DatabaseInstances, c.DatabaseStorageGB)
	}
	if _, ok := estimate(t, e, shipped(t)).Line("database: read replicas"); ok {
		t.Error("a replica line without replicas")
	}
	e.Scale.DatabaseReplicas = 2
	if c := CountsOf(e); c.DatabaseInstances != 3 || c.DatabaseStorageGB != 3*e.Scale.DatabaseAllocatedGB {
		t.Errorf("two replicas: %d instances, %d GB", c.DatabaseInstances, c.DatabaseStorageGB)
	}
	if l := line(t, estimate(t, e, shipped(t)), "database: read replicas"); l.Quantity != 2*730 {
		t.Errorf("two replicas: %g hours", l.Quantity)
	}

	routed := CountsOf(e).Alarms
	for i := range e.Tiers {
		e.Tiers[i].Route = nil
	}
	if unrouted := CountsOf(e).Alarms; unrouted >= routed {
		t.Errorf("alarms without routes %d, with %d: routed tiers have alarms of their own", unrouted, routed)
	}
}

// TestWriteTable: prices as written (no rounding), an estimated one marked
// "~" and counted under the table, quantities whole or to 0.1; a table of
// recalled prices only has no "~" note.
func TestWriteTable(t *testing.T) {
	e := Estimate{Environment: "dev", Region: "eu-central-1", AsOf: "2026-01-01", Newest: "2026-01-01", TotalUSD: 918.63, BudgetUSD: 1000,
		Lines: []Line{
			{Component: "gpu", Quantity: 730, Unit: "hour", UnitPrice: 1.258, MonthlyUSD: 918.34, Basis: Estimated, Assumption: "a"},
			{Component: "disk", Quantity: 2.5, Unit: "GB-month", UnitPrice: 0.1164, MonthlyUSD: 0.29, Basis: Recalled, Assumption: "b"},
		}}
	var b strings.Builder
	Write(&b, e, "prices.json")
	out := b.String()
	for _, want := range []string{"~1.258", " 0.1164 ", " 730 ", " 2.5 ", "~ 1 lines use a price estimated", "92 % of Scale.MonthlyBudgetUSD"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(out, "dev (eu-central-1)") {
		t.Errorf("the table does not start with its header:\n%s", out)
	}
	e.Lines = e.Lines[1:]
	b.Reset()
	Write(&b, e, "prices.json")
	if strings.Contains(b.String(), "~") {
		t.Errorf("recalled prices only, yet a ~:\n%s", b.String())
	}
}

// TestCommandSeparatesTables: one blank line between two environments'
// tables, none before the first.
func TestCommandSeparatesTables(t *testing.T) {
	var out, errOut strings.Builder
	a := environments.DefaultAccount()
	code := Command(nil, a, environments.All(a), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if strings.HasPrefix(out.String(), "\n") || strings.Count(out.String(), "\n\nstaging (") != 1 {
		t.Errorf("tables not separated by exactly one blank line:\n%s", out.String())
	}
}

// TestAssumptionsAddUp: the figures an assumption states give the line's
// quantity: the secrets' parts sum to the count, a backup chain's size
// and percentages give its GB, the copy transfer's daily increments; the
// storage line speaks of replicas only when there are some.
func TestAssumptionsAddUp(t *testing.T) {
	e := find(t, "production")
	est := estimate(t, e, shipped(t))

	secrets := line(t, est, "Secrets Manager secrets")
	var generated, supplied int
	if _, err := fmt.Sscanf(secrets.Assumption, "%d generated + %d supplied", &generated, &supplied); err != nil {
		t.Fatalf("secrets assumption %q: %v", secrets.Assumption, err)
	}
	if float64(generated+supplied+1) != secrets.Quantity || supplied != len(environments.SuppliedSecrets) {
		t.Errorf("secrets: %d generated + %d supplied + 1 ≠ %g", generated, supplied, secrets.Quantity)
	}

	db := line(t, est, "AWS Backup: database")
	want := fmt.Sprintf("%d GB × (1 full + %g %%/day × %d days", e.Scale.DatabaseAllocatedGB, 100*BackupDailyChange, e.Scale.RecoveryPointRetentionDays)
	if !strings.HasPrefix(db.Assumption, want) {
		t.Errorf("database backup assumption %q, want it to start %q", db.Assumption, want)
	}

	transfer := line(t, est, "backup copy transfer")
	var gb int
	var pct, days float64
	if _, err := fmt.Sscanf(transfer.Assumption, "%d GB × %g %%/day × %g days", &gb, &pct, &days); err != nil {
		t.Fatalf("transfer assumption %q: %v", transfer.Assumption, err)
	}
	if !strings.Contains(transfer.Assumption, fmt.Sprintf("the first full copy (%d GB)", gb)) {
		t.Errorf("transfer assumption %q: the first copy is not the same %d GB", transfer.Assumption, gb)
	}
	if math.Abs(float64(gb)*pct/100*days-transfer.Quantity) > 1e-6 || days != DaysPerMonth {
		t.Errorf("transfer: %d GB × %g %% × %g days ≠ %g GB", gb, pct, days, transfer.Quantity)
	}

	storage := line(t, est, "database storage")
	if strings.Contains(storage.Assumption, "replica") != (e.Scale.DatabaseReplicas > 0) {
		t.Errorf("storage assumption %q with %d replicas", storage.Assumption, e.Scale.DatabaseReplicas)
	}
	e.Scale.DatabaseReplicas = 1
	if s := line(t, estimate(t, e, shipped(t)), "database storage"); !strings.Contains(s.Assumption, "per replica") {
		t.Errorf("storage assumption %q with a replica", s.Assumption)
	}
}

// TestMissingPriceNamesTheSection: a price missing from a section without
// a friendly name is named by the section.
func TestMissingPriceNamesTheSection(t *testing.T) {
	err := &MissingPriceError{Region: "eu-central-1", Section: "kms", Key: "key"}
	if !strings.Contains(err.Error(), `no price for kms item "key" in eu-central-1`) {
		t.Errorf("error %q", err)
	}
	err.Section = "ec2_instances"
	if !strings.Contains(err.Error(), `no price for EC2 instance type "key"`) {
		t.Errorf("error %q", err)
	}
}
