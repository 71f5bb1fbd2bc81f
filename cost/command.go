package cost

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/influencegen/infrastructure/environments"
)

// Usage is the cost command's line in the app's usage.
const Usage = `  cost [--prices FILE] [ENV]
                         the monthly on-demand estimate of every environment (or ENV), one
                         table each: component, quantity, unit price, USD, assumption; the
                         total against Scale.MonthlyBudgetUSD; exit 1 if one is over budget.
                         Prices from cost/prices.json (or FILE); no synthesis
  cost --price-queries   the Price List queries scripts/update-prices.sh runs, as JSON
`

// Write prints one estimate as a table.
func Write(w io.Writer, e Estimate, source string) {
	asOf := e.AsOf
	if e.Newest != e.AsOf {
		asOf += " to " + e.Newest
	}
	fmt.Fprintf(w, "%s (%s): on-demand estimate, USD a month, prices as of %s (%s)\n", e.Environment, e.Region, asOf, source)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	estimated := 0
	fmt.Fprintln(tw, "COMPONENT\t QUANTITY\tUNIT\tUNIT PRICE\t   MONTHLY\tASSUMPTION")
	for _, l := range e.Lines {
		price := strconv.FormatFloat(l.UnitPrice, 'f', -1, 64)
		if l.Basis == Estimated {
			price = "~" + price
			estimated++
		}
		fmt.Fprintf(tw, "%s\t%9s\t%s\t%s\t%10.2f\t%s\n", l.Component, quantity(l.Quantity), l.Unit, price, l.MonthlyUSD, l.Assumption)
	}
	fmt.Fprintf(tw, "TOTAL\t\t\t\t%10.2f\n", e.TotalUSD)
	verdict := fmt.Sprintf("the estimate is %.0f %% of Scale.MonthlyBudgetUSD", e.BudgetPercent())
	if e.OverBudget() {
		verdict = "OVER BUDGET: " + verdict + ": raise the budget in environments/environments.go or cut the bill"
	}
	fmt.Fprintf(tw, "BUDGET\t\t\t\t%10.2f\t%s\n", float64(e.BudgetUSD), verdict)
	tw.Flush()
	if estimated > 0 {
		fmt.Fprintf(w, "~ %d lines use a price estimated from another region's, not transcribed (%s): scripts/update-prices.sh fetches the real ones\n", estimated, source)
	}
	fmt.Fprintln(w, "usage-priced lines (quantity 0) are not estimated: data transfer, logs, EFS and S3 storage, requests")
}

// quantity formats a quantity: whole numbers as such, others to 0.1.
func quantity(q float64) string {
	if r := math.Round(q); math.Abs(q-r) < 1e-9 {
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	return strconv.FormatFloat(q, 'f', 1, 64)
}

// Command is `go run . cost …`: it validates the configuration, then
// prints each estimate. Exit codes: 0 every estimate within its budget; 1
// an estimate over budget, a price missing or the configuration invalid;
// 2 bad usage or an unknown environment.
func Command(args []string, a environments.Account, envs []environments.ParityConfig, stdout, stderr io.Writer) int {
	usage := func(msg string) int {
		fmt.Fprintf(stderr, "cost: %s\n\nusage: go run . cost [--prices FILE] [ENV] | --price-queries\n%s", msg, Usage)
		return 2
	}
	pricesFile, queries := "", false
	var names []string
	for i := 0; i < len(args); i++ {
		switch arg := args[i]; {
		case arg == "--prices":
			if i+1 >= len(args) || args[i+1] == "" {
				return usage("--prices needs a file")
			}
			pricesFile = args[i+1]
			i++
		case arg == "--price-queries":
			queries = true
		case arg == "-h" || arg == "--help":
			fmt.Fprintf(stdout, "usage: go run . cost [--prices FILE] [ENV] | --price-queries\n%s", Usage)
			return 0
		case strings.HasPrefix(arg, "-"):
			return usage("unknown option " + arg)
		default:
			names = append(names, arg)
		}
	}
	if len(names) > 1 {
		return usage("one environment at most, got " + strings.Join(names, " "))
	}
	if queries {
		if len(names) > 0 || pricesFile != "" {
			return usage("--price-queries takes no environment and no --prices")
		}
		b, err := json.MarshalIndent(Queries(envs), "", "  ")
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return 0
	}
	selected := envs
	if len(names) == 1 {
		e, err := environments.Find(envs, names[0])
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		selected = []environments.ParityConfig{e}
	}
	if err := environments.Validate(a, envs); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	table, source, err := load(pricesFile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ests, err := All(a, selected, table)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	code := 0
	for i, e := range ests {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		Write(stdout, e, source)
		if e.OverBudget() {
			code = 1
		}
	}
	if code != 0 {
		fmt.Fprintln(stderr, "cost: an estimate is over its environment's Scale.MonthlyBudgetUSD")
	}
	return code
}

// load reads the shipped table, or file.
func load(file string) (*Table, string, error) {
	if file == "" {
		t, err := Shipped()
		return t, PricesFile, err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, "", err
	}
	t, err := Parse(b)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", file, err)
	}
	return t, file, nil
}
