package cost

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
)

var (
	account = environments.DefaultAccount()
	envs    = environments.All(account)
)

func find(t *testing.T, name string) environments.ParityConfig {
	t.Helper()
	e, err := environments.Find(environments.All(account), name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// handComputed is an environment with the tiers the hand-computed bills
// below were computed for: the platform's own four. A tier added to the
// table is priced by the same code (and checked against the synthesized
// stacks by the golden tests); these figures stay an independent oracle of
// the four.
func handComputed(t *testing.T, name string) environments.ParityConfig {
	t.Helper()
	e := find(t, name)
	mine := []string{environments.TierOdoo, environments.TierN8nMain, environments.TierN8nWorker, environments.TierAI}
	e.Tiers = slices.DeleteFunc(e.Tiers, func(tier environments.Tier) bool { return !slices.Contains(mine, tier.Name) })
	if len(e.Tiers) != len(mine) {
		t.Fatalf("the tier table lacks one of %v: the hand-computed bills need them", mine)
	}
	return e
}

func shipped(t *testing.T) *Table {
	t.Helper()
	tab, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// roundTable is a table with round prices for hand computation, built as
// JSON and read by Parse like the shipped one.
func roundTable(t *testing.T) *Table {
	t.Helper()
	type items = map[string]float64
	regions := map[string]map[string]items{
		"eu-central-1": {
			"ec2_instances":     {"m6i.xlarge": 0.2, "m6i.large": 0.1, "g5.xlarge": 1, "t3.large": 0.08, "t3.medium": 0.04, "g6.xlarge": 0.8, "g6.2xlarge": 1.2},
			"ebs":               {"gp3": 0.1},
			"nat_gateway":       {"hour": 0.05, "processed_gb": 0.05},
			"vpc":               {"public_ipv4_hour": 0.005, "interface_endpoint_hour": 0.01},
			"elb":               {"alb_hour": 0.02, "alb_lcu_hour": 0.01},
			"waf":               {"web_acl": 5, "rule": 1, "million_requests": 0.6},
			"rds_instances":     {"db.r6g.large": 0.25, "db.t4g.medium": 0.07},
			"rds_storage":       {"gp3": 0.1, "backup": 0.1},
			"elasticache_nodes": {"cache.m6g.large": 0.2, "cache.t4g.small": 0.03},
			"efs":               {"standard_gb": 0.3},
			"s3":                {"standard_gb": 0.02},
			"kms":               {"key": 1},
			"secretsmanager":    {"secret": 0.4},
			"cloudwatch":        {"alarm_metric": 0.1, "custom_metric": 0.3, "dashboard": 3, "logs_ingested_gb": 0.5},
			"backup":            {"rds_gb": 0.1, "ebs_gb": 0.05, "efs_gb": 0.05, "cross_region_transfer_gb": 0.02},
			"data_transfer":     {"internet_out_gb": 0.09},
		},
		"eu-west-1": {
			"backup": {"rds_gb": 0.08, "ebs_gb": 0.04},
			"kms":    {"key": 1},
		},
	}
	raw := map[string]any{"as_of": "2025-01-15", "currency": "USD", "provenance": "round numbers for tests", "regions": map[string]any{}}
	for region, sections := range regions {
		out := map[string]any{}
		for name, prices := range sections {
			its := map[string]any{}
			for k, v := range prices {
				its[k] = map[string]any{"usd": v, "unit": "u", "basis": Recalled}
			}
			out[name] = map[string]any{"source": OfferFile("Test", region), "items": its}
		}
		raw["regions"].(map[string]any)[region] = out
	}
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func estimate(t *testing.T, e environments.ParityConfig, tab *Table) Estimate {
	t.Helper()
	est, err := For(account, e, tab)
	if err != nil {
		t.Fatal(err)
	}
	return est
}

func line(t *testing.T, est Estimate, prefix string) Line {
	t.Helper()
	l, ok := est.Line(prefix)
	if !ok {
		t.Fatalf("%s: no line %q", est.Environment, prefix)
	}
	return l
}

// TestHandComputedStaging: staging at round prices, every line worked out
// by hand, the total to the cent.
func TestHandComputedStaging(t *testing.T) {
	est := estimate(t, handComputed(t, "staging"), roundTable(t))
	want := map[string]float64{
		"servers: odoo":                  146.00, // 1 × 730 h × 0.2
		"servers: n8n-main":              73.00,  // 1 × 730 × 0.1
		"servers: n8n-worker":            73.00,  // 1 × 730 × 0.1
		"servers: ai":                    282.44, // 730 × 5 × 13 h / 168 = 282.440… h × 1.0
		"root volumes":                   23.00,  // (50 + 40 + 40 + 100) GB × 0.1
		"GPU model volumes":              20.00,  // 200 GB × 0.1
		"NAT gateways":                   36.50,  // 1 (not per AZ) × 730 × 0.05
		"NAT gateway data processed":     0,
		"public IPv4":                    10.95, // (1 NAT + 2 ALB) × 730 × 0.005
		"interface VPC endpoints":        43.80, // 3 endpoints × 2 AZs × 730 × 0.01
		"load balancer (ALB)":            14.60, // 730 × 0.02
		"load balancer capacity":         7.30,  // 1 LCU × 730 × 0.01
		"WAF web ACL":                    5.00,
		"WAF rules":                      4.00, // count mode: core set, bad inputs, rate, login rate
		"WAF requests":                   0,
		"database: primary":              182.50, // Single-AZ: 730 × 0.25
		"database storage":               5.00,   // 50 GB × 0.1
		"database automated backups":     0,
		"cache nodes":                    146.00, // 1 × 730 × 0.2
		"filestore":                      0,
		"S3 buckets":                     0,
		"KMS keys":                       3.00, // data, logs, secrets
		"Secrets Manager secrets":        3.20, // 6 generated + the Hugging Face token + RDS master = 8 × 0.4
		"quantization host (g6.2xlarge)": 0,    // Scale.QuantizationHost off
		"quantization host root volume":  0,
		"CloudWatch alarms":              3.00, // 29 alarms + 1 for the GPU memory expression = 30 × 0.1
		"CloudWatch agent metrics":       9.00, // 4 servers × 4 + 1 GPU × 14 = 30 × 0.3
		"CloudWatch dashboard":           3.00,
		"CloudWatch Logs ingestion":      0,
		"AWS Backup: database":           6.40,  // 50 GB × (1 + 0.02 × 14) = 64 GB × 0.1
		"AWS Backup: model volumes":      12.80, // 200 GB × 1.28 = 256 GB × 0.05
		"AWS Backup: filestore":          0,
		"data transfer out to the int":   0,
	}
	if len(est.Lines) != len(want) {
		var got []string
		for _, l := range est.Lines {
			got = append(got, l.Component)
		}
		t.Errorf("%d lines, want %d: %s", len(est.Lines), len(want), strings.Join(got, "; "))
	}
	for prefix, usd := range want {
		if l := line(t, est, prefix); l.MonthlyUSD != usd {
			t.Errorf("%s: %.2f, want %.2f (%g %s × %g)", l.Component, l.MonthlyUSD, usd, l.Quantity, l.Unit, l.UnitPrice)
		}
	}
	if est.TotalUSD != 1113.49 {
		t.Errorf("total %.2f, want 1113.49", est.TotalUSD)
	}
	if est.BudgetUSD != 1700 || math.Abs(est.BudgetPercent()-100*1113.49/1700) > 1e-9 {
		t.Errorf("budget %d, %.4f %%", est.BudgetUSD, est.BudgetPercent())
	}
	if l := line(t, est, "servers: ai"); !strings.Contains(l.Assumption, "Mon–Fri 07:00–20:00") {
		t.Errorf("the GPU line does not say when it runs: %q", l.Assumption)
	}
}

// TestQuantizationHostCost: with Scale.QuantizationHost the host and its
// root volume bill a whole month (it exists every hour it is on); either
// way the line gives the price of one supply run.
func TestQuantizationHostCost(t *testing.T) {
	staging := find(t, "staging")
	off := estimate(t, staging, roundTable(t))
	staging.Scale.QuantizationHost = true
	on := estimate(t, staging, roundTable(t))
	host, disk := line(t, on, "quantization host (g6.2xlarge)"), line(t, on, "quantization host root volume")
	if host.MonthlyUSD != 876.00 || disk.MonthlyUSD != 15.00 { // 730 × 1.2; 150 GB × 0.1
		t.Errorf("host %.2f, root volume %.2f; want 876.00 and 15.00", host.MonthlyUSD, disk.MonthlyUSD)
	}
	if math.Abs(on.TotalUSD-off.TotalUSD-891.00) > 1e-9 {
		t.Errorf("the switch adds %.2f, want 891.00", on.TotalUSD-off.TotalUSD)
	}
	for _, l := range []Line{host, line(t, off, "quantization host (g6.2xlarge)")} {
		if !strings.Contains(l.Assumption, "≈ 1 h: ≈ $1.20") {
			t.Errorf("the line does not price one supply run: %q", l.Assumption)
		}
	}
	if !strings.Contains(host.Assumption, "ON (Scale.QuantizationHost)") {
		t.Errorf("the line does not say the host is on: %q", host.Assumption)
	}
}

// TestHandComputedProduction: what staging lacks — Multi-AZ, a read
// replica (production has none today: environments.Validate refuses one,
// so the case adds it to show the line), a NAT gateway per AZ, the backup
// copy in the copy region and its transfer.
func TestHandComputedProduction(t *testing.T) {
	prod := handComputed(t, "production")
	prod.Scale.DatabaseReplicas = 1
	est := estimate(t, prod, roundTable(t))
	want := map[string]float64{
		"servers: ai":                         1460.00, // 2 × 730 × 1.0, no off-hours in production
		"NAT gateways":                        109.50,  // 3 × 730 × 0.05
		"public IPv4":                         21.90,   // (3 + 3) × 730 × 0.005
		"interface VPC endpoints":             65.70,   // 3 × 3 AZs × 730 × 0.01
		"database: primary":                   365.00,  // Multi-AZ: 2 × 730 × 0.25
		"database: read replicas":             182.50,  // 1 × 730 × 0.25
		"database storage":                    30.00,   // 100 × 2 (Multi-AZ) + 100 (replica) = 300 GB × 0.1
		"cache nodes":                         292.00,  // 2 × 730 × 0.2
		"CloudWatch alarms":                   5.00,    // 48 + 2 = 50 × 0.1
		"AWS Backup: database":                17.00,   // 100 × (1 + 0.02 × 35) = 170 GB × 0.1
		"AWS Backup: model volumes":           85.00,   // 2 × 500 × 1.7 = 1700 GB × 0.05
		"backup copy (eu-west-1): database":   13.60,   // 170 GB × 0.08 (eu-west-1's price)
		"backup copy (eu-west-1): model":      68.00,   // 1700 GB × 0.04
		"backup copy transfer":                13.20,   // (100 + 1000) GB × 0.02 × 30 = 660 GB × 0.02
		"KMS key (eu-west-1)":                 1.00,
		"Secrets Manager secrets":             3.20,
		"WAF rules":                           4.00,
		"CloudWatch agent metrics":            16.80, // 7 servers × 4 + 2 GPU × 14 = 56 × 0.3
		"root volumes":                        42.00, // (2×50 + 40 + 2×40 + 2×100) GB × 0.1
		"GPU model volumes":                   100.00,
		"servers: odoo":                       292.00,
		"database automated backups":          0,
		"data transfer out to the internet":   0,
		"load balancer capacity (LCU)":        7.30,
		"backup copy (eu-west-1): model volu": 68.00,
	}
	for prefix, usd := range want {
		if l := line(t, est, prefix); l.MonthlyUSD != usd {
			t.Errorf("%s: %.2f, want %.2f (%g %s × %g)", l.Component, l.MonthlyUSD, usd, l.Quantity, l.Unit, l.UnitPrice)
		}
	}
	if l := line(t, est, "backup copy (eu-west-1): database"); l.Price != "eu-west-1 backup rds_gb" {
		t.Errorf("the copy is priced at %s, not the copy region's", l.Price)
	}
	if l := line(t, est, "backup copy transfer"); l.Price != "eu-central-1 backup cross_region_transfer_gb" {
		t.Errorf("the transfer is priced at %s, not the source region's", l.Price)
	}
	var sum float64
	for _, l := range est.Lines {
		sum += l.MonthlyUSD
	}
	if math.Abs(sum-est.TotalUSD) > 0.001 {
		t.Errorf("total %.2f is not the sum of the lines %.2f", est.TotalUSD, sum)
	}
}

// TestOffHoursReducesExactlyTheListedTiers: a schedule changes the server
// lines of the tiers it lists, by 5 × (Stop − Start) / 168, and no other
// line.
func TestOffHoursReducesExactlyTheListedTiers(t *testing.T) {
	tab := roundTable(t)
	base := estimate(t, find(t, "production"), tab)
	cases := []struct {
		start, stop string
		tiers       []string
		weekly      float64
	}{
		{"07:00", "20:00", []string{environments.TierAI}, 65},
		{"08:00", "18:00", []string{environments.TierN8nWorker}, 50},
		{"06:30", "22:00", []string{environments.TierOdoo, environments.TierN8nMain}, 77.5},
		{"07:00", "20:00", []string{environments.TierAI, environments.TierN8nWorker, environments.TierN8nMain, environments.TierOdoo}, 65},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.tiers, "+"), func(t *testing.T) {
			e := find(t, "production")
			e.Scale.OffHours = &environments.OffHours{Start: c.start, Stop: c.stop, Tiers: c.tiers}
			got := estimate(t, e, tab)
			if len(got.Lines) != len(base.Lines) {
				t.Fatalf("%d lines, want %d", len(got.Lines), len(base.Lines))
			}
			for i, l := range got.Lines {
				b := base.Lines[i]
				scheduled := false
				for _, tier := range c.tiers {
					scheduled = scheduled || strings.HasPrefix(l.Component, "servers: "+tier+" ")
				}
				switch {
				case scheduled:
					if want := b.Quantity * c.weekly / 168; math.Abs(l.Quantity-want) > 1e-9 {
						t.Errorf("%s: %g h, want %g", l.Component, l.Quantity, want)
					}
					if l.MonthlyUSD >= b.MonthlyUSD {
						t.Errorf("%s: %.2f, not less than %.2f", l.Component, l.MonthlyUSD, b.MonthlyUSD)
					}
				case l.MonthlyUSD != b.MonthlyUSD || l.Quantity != b.Quantity:
					t.Errorf("%s changed: %.2f → %.2f", l.Component, b.MonthlyUSD, l.MonthlyUSD)
				}
			}
		})
	}
}

// TestDoubledCountDoublesItsServers: doubling one tier's count doubles
// that tier's server line and moves the root volumes by that tier's share;
// the other server lines stay.
func TestDoubledCountDoublesItsServers(t *testing.T) {
	tab := shipped(t)
	for _, tier := range []string{environments.TierOdoo, environments.TierN8nWorker, environments.TierAI} {
		t.Run(tier, func(t *testing.T) {
			e := find(t, "production")
			base := estimate(t, e, tab)
			e.Scale.Servers[tier] *= 2
			got := estimate(t, e, tab)
			for i, l := range got.Lines {
				b := base.Lines[i]
				if !strings.HasPrefix(l.Component, "servers: ") {
					continue
				}
				if strings.HasPrefix(l.Component, "servers: "+tier+" ") {
					if l.Quantity != 2*b.Quantity || math.Abs(l.MonthlyUSD-2*b.MonthlyUSD) > 0.005 {
						t.Errorf("%s: %g h %.2f, want %g h %.2f", l.Component, l.Quantity, l.MonthlyUSD, 2*b.Quantity, 2*b.MonthlyUSD)
					}
				} else if l.MonthlyUSD != b.MonthlyUSD {
					t.Errorf("%s changed: %.2f → %.2f", l.Component, b.MonthlyUSD, l.MonthlyUSD)
				}
			}
			n := e.Scale.Servers[tier] / 2
			spec, _ := e.Tier(tier)
			extra := float64(n * e.ServerSettings(spec).RootVolumeGB)
			if got, b := line(t, got, "root volumes"), line(t, base, "root volumes"); got.Quantity != b.Quantity+extra {
				t.Errorf("root volumes %g GB, want %g", got.Quantity, b.Quantity+extra)
			}
			if got.TotalUSD <= base.TotalUSD {
				t.Errorf("total %.2f not above %.2f", got.TotalUSD, base.TotalUSD)
			}
		})
	}
}

// TestMissingPriceIsAnError: a price the table lacks fails the estimate,
// naming the type, the region and the fix; it is never a silent 0.
func TestMissingPriceIsAnError(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(tab *Table, e *environments.ParityConfig)
		want   MissingPriceError
	}{
		{"instance type", func(tab *Table, e *environments.ParityConfig) {
			delete(tab.Regions["eu-central-1"]["ec2_instances"].Items, "g5.xlarge")
		}, MissingPriceError{"eu-central-1", "ec2_instances", "g5.xlarge"}},
		{"new instance type", func(tab *Table, e *environments.ParityConfig) {
			e.Servers[environments.TierOdoo] = environments.ServerSettings{InstanceType: "m7i.2xlarge", RootVolumeGB: 50}
		}, MissingPriceError{"eu-central-1", "ec2_instances", "m7i.2xlarge"}},
		{"database class", func(tab *Table, e *environments.ParityConfig) { e.Database.InstanceClass = "db.r7g.xlarge" },
			MissingPriceError{"eu-central-1", "rds_instances", "db.r7g.xlarge"}},
		{"cache node type", func(tab *Table, e *environments.ParityConfig) { e.Cache.NodeType = "cache.r7g.large" },
			MissingPriceError{"eu-central-1", "elasticache_nodes", "cache.r7g.large"}},
		{"region without prices", func(tab *Table, e *environments.ParityConfig) { e.Region = "eu-north-1" },
			MissingPriceError{"eu-north-1", "ec2_instances", "m6i.xlarge"}},
		{"copy region without prices", func(tab *Table, e *environments.ParityConfig) { delete(tab.Regions, "eu-west-1") },
			MissingPriceError{"eu-west-1", "backup", "rds_gb"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab := shipped(t)
			e := find(t, "production")
			c.mutate(tab, &e)
			est, err := For(account, e, tab)
			if err == nil {
				t.Fatalf("no error; total %.2f", est.TotalUSD)
			}
			var found bool
			for _, m := range missingErrors(err) {
				found = found || *m == c.want
			}
			if !found {
				t.Fatalf("error does not report %+v: %v", c.want, err)
			}
			msg := err.Error()
			for _, s := range []string{c.want.Key, c.want.Region, "cost/prices.json", "scripts/update-prices.sh", "production"} {
				if !strings.Contains(msg, s) {
					t.Errorf("error does not say %q: %s", s, msg)
				}
			}
		})
	}
}

// missingErrors unwraps every *MissingPriceError in a joined error.
func missingErrors(err error) []*MissingPriceError {
	var out []*MissingPriceError
	var m *MissingPriceError
	if errors.As(err, &m) {
		out = append(out, m)
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, missingErrors(e)...)
		}
	} else if u := errors.Unwrap(err); u != nil {
		out = append(out, missingErrors(u)...)
	}
	return out
}

// TestShippedEstimatesWithinBudget: every shipped environment's estimate
// with the shipped prices is at most its Scale.MonthlyBudgetUSD, so a change
// that blows a budget fails review.
func TestShippedEstimatesWithinBudget(t *testing.T) {
	ests, err := All(account, envs, shipped(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(ests) != len(envs) {
		t.Fatalf("%d estimates for %d environments", len(ests), len(envs))
	}
	for _, e := range ests {
		t.Logf("%-10s %9.2f USD of %5d (%.0f %%)", e.Environment, e.TotalUSD, e.BudgetUSD, e.BudgetPercent())
		if e.OverBudget() {
			t.Errorf("%s: estimate %.2f USD is over Scale.MonthlyBudgetUSD %d: raise the budget (environments/environments.go) or cut the bill (go run . cost %s)",
				e.Environment, e.TotalUSD, e.BudgetUSD, e.Environment)
		}
	}
}

// TestBudgetCheckCatchesADoubledBill: the budget test is not vacuous:
// doubling production's GPU servers and their volumes, or a budget of
// half the estimate, goes over.
func TestBudgetCheckCatchesADoubledBill(t *testing.T) {
	tab := shipped(t)
	e := find(t, "production")
	e.Scale.Servers[environments.TierAI] *= 3
	e.Scale.ModelVolumeGB *= 2
	if est := estimate(t, e, tab); !est.OverBudget() {
		t.Errorf("production with three times the GPU servers stays within budget: %.2f of %d", est.TotalUSD, est.BudgetUSD)
	}
	s := find(t, "staging")
	s.Scale.MonthlyBudgetUSD = int(estimate(t, s, tab).TotalUSD / 2)
	if est := estimate(t, s, tab); !est.OverBudget() {
		t.Errorf("staging within half its estimate: %.2f of %d", est.TotalUSD, est.BudgetUSD)
	}
}

// TestEveryLineHasAnAssumption: no line without its reason, and the usage
// lines say they are not estimated.
func TestEveryLineHasAnAssumption(t *testing.T) {
	ests, err := All(account, envs, shipped(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ests {
		usage := 0
		for _, l := range e.Lines {
			if l.Assumption == "" || l.Unit == "" || l.Price == "" {
				t.Errorf("%s %s: %+v", e.Environment, l.Component, l)
			}
			if l.Usage {
				usage++
				if l.Quantity != 0 || !strings.HasPrefix(l.Assumption, "usage, not estimated: ") {
					t.Errorf("%s %s: a usage line says %q with quantity %g", e.Environment, l.Component, l.Assumption, l.Quantity)
				}
			}
		}
		// NAT processing, WAF requests, EFS, S3, logs, EFS backups, internet transfer.
		if usage != 7 {
			t.Errorf("%s: %d usage lines, want 7", e.Environment, usage)
		}
	}
}
