package cost

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
)

func runCost(t *testing.T, envs []environments.ParityConfig, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Command(args, account, envs, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

var header = regexp.MustCompile(`(?m)^(\S+) \((\S+)\): on-demand estimate, USD a month, prices as of (\S+) \((.+)\)$`)

// TestCommandPrintsATablePerEnvironment: `cost` prints every environment's
// table with its total and budget; `cost ENV` just that one.
func TestCommandPrintsATablePerEnvironment(t *testing.T) {
	code, out, errOut := runCost(t, envs)
	if code != 0 {
		t.Fatalf("cost: exit %d\n%s%s", code, out, errOut)
	}
	var names []string
	for _, m := range header.FindAllStringSubmatch(out, -1) {
		names = append(names, m[1])
		if m[3] != shipped(t).AsOf || m[4] != PricesFile {
			t.Errorf("header %q: not the shipped table's date and file", m[0])
		}
	}
	if strings.Join(names, " ") != "production staging dev" {
		t.Errorf("tables for %v, want production staging dev:\n%s", names, out)
	}
	ests, _ := All(account, envs, shipped(t))
	for _, e := range ests {
		total := regexp.MustCompile(`(?m)^TOTAL\s+` + regexp.QuoteMeta(strings.TrimSpace(formatUSD(e.TotalUSD))) + `$`)
		if !total.MatchString(out) {
			t.Errorf("%s: no TOTAL line %.2f", e.Environment, e.TotalUSD)
		}
	}
	for _, want := range []string{"COMPONENT", "QUANTITY", "UNIT PRICE", "MONTHLY", "ASSUMPTION", "servers: ai (g5.xlarge)", "servers: ai (g6.xlarge)",
		"BUDGET", "5000.00", "% of Scale.MonthlyBudgetUSD", "usage, not estimated"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q", want)
		}
	}

	// A refreshed section brings its own date.
	tab := shipped(t)
	sec := tab.Regions["eu-central-1"]["ec2_instances"]
	sec.AsOf = "2026-02-03"
	tab.Regions["eu-central-1"]["ec2_instances"] = sec
	b, _ := json.Marshal(tab)
	refreshed := filepath.Join(t.TempDir(), "refreshed.json")
	if err := os.WriteFile(refreshed, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, out, _ := runCost(t, envs, "--prices", refreshed, "dev"); !strings.Contains(out, "prices as of "+tab.AsOf+" to 2026-02-03 ("+refreshed+")") {
		t.Errorf("the header does not give the range of dates:\n%s", out)
	}

	code, out, _ = runCost(t, envs, "staging")
	if m := header.FindAllStringSubmatch(out, -1); code != 0 || len(m) != 1 || m[0][1] != "staging" {
		t.Errorf("cost staging: exit %d, tables %v", code, m)
	}
}

func formatUSD(v float64) string {
	var b bytes.Buffer
	Write(&b, Estimate{TotalUSD: v}, "")
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "TOTAL") {
			return strings.TrimSpace(strings.TrimPrefix(l, "TOTAL"))
		}
	}
	return ""
}

// TestCommandRefuses: usage errors exit 2, a configuration or table problem
// or an estimate over budget exits 1, each with a message.
func TestCommandRefuses(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"as_of": "2025-01", "currency": "EUR"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	noGPU := filepath.Join(dir, "no-gpu.json")
	tab := shipped(t)
	delete(tab.Regions["eu-central-1"]["ec2_instances"].Items, "g6.xlarge")
	b, _ := json.Marshal(tab)
	if err := os.WriteFile(noGPU, b, 0o644); err != nil {
		t.Fatal(err)
	}
	tight := environments.All(account)
	tight[1].Scale.MonthlyBudgetUSD = 1000
	invalid := environments.All(account)
	invalid[0].Scale.MonthlyBudgetUSD = 0
	cases := []struct {
		name   string
		envs   []environments.ParityConfig
		args   []string
		code   int
		stderr []string
		stdout string
	}{
		{"unknown environment", envs, []string{"qa"}, 2, []string{`unknown environment "qa"`, "production, staging, dev"}, ""},
		{"two environments", envs, []string{"dev", "staging"}, 2, []string{"one environment at most", "usage:"}, ""},
		{"unknown option", envs, []string{"--json"}, 2, []string{"unknown option --json", "usage:"}, ""},
		{"--prices without a file", envs, []string{"--prices"}, 2, []string{"--prices needs a file"}, ""},
		{"a missing table", envs, []string{"--prices", filepath.Join(dir, "nope.json")}, 1, []string{"nope.json"}, ""},
		{"an invalid table", envs, []string{"--prices", bad}, 1, []string{bad, "currency"}, ""},
		{"a missing price", envs, []string{"--prices", noGPU}, 1, []string{`"g6.xlarge" in eu-central-1`, "scripts/update-prices.sh"}, ""},
		{"a missing price of another environment", envs, []string{"--prices", noGPU, "staging"}, 0, nil, "staging (eu-central-1)"},
		{"over budget", tight, []string{"staging"}, 1, []string{"over its environment's Scale.MonthlyBudgetUSD"}, "OVER BUDGET"},
		{"over budget among all", tight, nil, 1, []string{"over"}, "dev (eu-central-1)"},
		{"invalid configuration", invalid, nil, 1, []string{"Scale.MonthlyBudgetUSD"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCost(t, c.envs, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d\n%s%s", code, c.code, out, errOut)
			}
			for _, s := range c.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q: %s", s, errOut)
				}
			}
			if !strings.Contains(out, c.stdout) {
				t.Errorf("stdout lacks %q: %s", c.stdout, out)
			}
		})
	}
}

// TestPriceQueriesCommand: `cost --price-queries` prints Queries as JSON.
func TestPriceQueriesCommand(t *testing.T) {
	code, out, errOut := runCost(t, envs, "--price-queries")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var qs []Query
	if err := json.Unmarshal([]byte(out), &qs); err != nil {
		t.Fatal(err)
	}
	if len(qs) != len(Queries(envs)) || len(qs) == 0 {
		t.Errorf("%d queries, want %d", len(qs), len(Queries(envs)))
	}
	if code, _, _ := runCost(t, envs, "--price-queries", "dev"); code != 2 {
		t.Errorf("--price-queries dev: exit %d, want 2", code)
	}
}
