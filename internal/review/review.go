// Package review reads a saved Terraform plan (the JSON of `terraform show
// -json PLANFILE`) and reports what in it is a risk, one line per finding,
// by severity:
//
//   - data: the destruction or replacement of anything that holds data
//     (stack.Holds) or that an AWS Backup selection backs up (by the tags
//     the selections in the plan select), with what is lost, what recovery
//     point covers it and what protects it (stack.ResourceProtections);
//   - access: widening — new principals, actions or resources in an IAM or
//     resource policy (an Evaluator decides; by default the documents
//     themselves), a managed policy attached, new ingress sources or
//     ports, anything newly public;
//   - protection: weakening — a policy control (internal/controls) that
//     held for a resource and no longer does, encryption, deletion
//     protection, backup retention or selection, alarms, logging or WAF
//     rules removed, shortened or moved to count;
//   - parity: a change that makes a parity environment's *what* differ from
//     its reference's (a Reference decides: internal/parity);
//   - cost: the monthly cost delta per component, from the cost model's
//     price table (cost.PriceResource).
//
// Unchanged resources are not mentioned; a change that is none of these
// is counted in one line. HIGH findings are what production's deploy
// refuses to apply until each is accepted by its address.
package review

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/influencegen/infrastructure/cost"
	"github.com/influencegen/infrastructure/environments"
)

// Severity orders findings: High first.
type Severity int

// The severities.
const (
	// High: production's apply is refused until the finding is accepted.
	High Severity = iota
	// Medium: worth a reviewer's attention; not a gate.
	Medium
	// Low: for the record (cost, what the plan cannot show yet).
	Low
)

func (s Severity) String() string { return [...]string{"HIGH", "MEDIUM", "LOW"}[s] }

// The classes of finding.
const (
	Data       = "data"
	Access     = "access"
	Protection = "protection"
	Parity     = "parity"
	Cost       = "cost"
)

// Finding is one risk of the plan.
type Finding struct {
	// Severity and Class say how bad and what kind.
	Severity Severity
	Class    string
	// Address is the resource instance it is about: what --accept names.
	Address string
	// Text says what happens, in one line.
	Text string
	// Accepted is set when Options.Accept names the address of a High
	// finding.
	Accepted bool
}

func (f Finding) String() string {
	s := fmt.Sprintf("[%s] %s: %s", f.Class, f.Address, f.Text)
	if f.Accepted {
		s += " (accepted)"
	}
	return s
}

// Options are what the review knows besides the plan.
type Options struct {
	// Environment is the environment the plan is of: its Kind (production
	// is Reference), Region and Scale (the servers' schedules).
	Environment environments.ParityConfig
	// Account is the configuration's account (the cost estimate's).
	Account environments.Account
	// Prices is the cost model's price table. Default: nil, no cost lines.
	Prices *cost.Table
	// Reference compares a parity environment with its reference.
	// Default: nil, no parity lines.
	Reference Reference
	// Evaluator decides what a policy change newly allows. Default:
	// Statements, which reads the documents themselves.
	Evaluator Evaluator
	// Accept are addresses whose High findings are accepted. Each must
	// be the address of a High finding of this plan. Default: none.
	Accept []string
}

// Report is the outcome of a review.
type Report struct {
	// Environment is the environment's name.
	Environment string
	// Findings, High first, then by class and address.
	Findings []Finding
	// Other counts the changed resource instances no finding is about, by
	// action ("update", "replace", "create", "delete", "forget").
	Other map[string]int
	// CostDeltaUSD is the plan's monthly cost delta (the cost lines'
	// sum); EstimateUSD the environment's estimate it compares with.
	CostDeltaUSD, EstimateUSD float64
}

// Review reads a plan and reports its risks. An accepted address that is
// not a High finding of the plan is an error: an acceptance must name what
// it accepts.
func Review(p *Plan, o Options) (Report, error) {
	if o.Evaluator == nil {
		o.Evaluator = Statements{}
	}
	r := Report{Environment: o.Environment.Identity.Name, Other: map[string]int{}}
	changes := changesOf(p)
	idx := newIndex(changes)
	var findings []Finding
	findings = append(findings, dataLoss(changes, idx)...)
	findings = append(findings, widening(changes, idx, o.Evaluator)...)
	findings = append(findings, weakening(changes, idx)...)
	if o.Reference != nil {
		findings = append(findings, drift(changes, o.Reference)...)
	}
	if o.Prices != nil {
		costs, delta, estimate := costDeltas(changes, o)
		findings = append(findings, costs...)
		r.CostDeltaUSD, r.EstimateUSD = delta, estimate
	}
	about := map[string]bool{}
	mark := func(fs []Finding) {
		for _, f := range fs {
			for _, a := range strings.Split(f.Address, ", ") {
				about[a] = true
			}
		}
	}
	mark(findings)
	lost := lostControls(changes, about, o.Environment.Kind == environments.Reference)
	mark(lost)
	findings = append(findings, lost...)
	for _, c := range changes {
		if c.changes() && !about[c.Address] {
			r.Other[action(c)]++
		}
	}
	sort.SliceStable(findings, func(i, j int) bool {
		a, b := findings[i], findings[j]
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		if a.Class != b.Class {
			return a.Class < b.Class
		}
		return a.Address < b.Address
	})
	r.Findings = findings
	high := map[string]bool{}
	for _, f := range findings {
		if f.Severity == High {
			high[f.Address] = true
		}
	}
	for _, a := range o.Accept {
		if !high[a] {
			return Report{}, fmt.Errorf("--accept %s: the plan has no high-severity finding at that address%s; accept only what the report lists as HIGH, by its exact address", a, listOf(high))
		}
	}
	for i, f := range r.Findings {
		if f.Severity == High && slices.Contains(o.Accept, f.Address) {
			r.Findings[i].Accepted = true
		}
	}
	return r, nil
}

func listOf(set map[string]bool) string {
	if len(set) == 0 {
		return " (it has none)"
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return " (they are: " + strings.Join(keys, ", ") + ")"
}

// action names what happens to a changed instance, for the count line.
func action(c change) string {
	switch {
	case c.replaces():
		return "replace"
	case c.Deposed != "" && c.deletes():
		return "delete deposed"
	}
	return strings.Join(c.Change.Actions, "+")
}

// Unaccepted returns the High findings not accepted.
func (r Report) Unaccepted() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity == High && !f.Accepted {
			out = append(out, f)
		}
	}
	return out
}

// Empty reports whether the plan changes nothing at all.
func (r Report) Empty() bool { return len(r.Findings) == 0 && len(r.Other) == 0 }

// Write prints the report: a heading per severity, one finding per line,
// then one line counting every other change. An unchanged plan prints
// one line saying so.
func (r Report) Write(w io.Writer) {
	if r.Empty() {
		fmt.Fprintf(w, "review of %s: the plan changes nothing\n", r.Environment)
		return
	}
	counts := map[Severity]int{}
	for _, f := range r.Findings {
		counts[f.Severity]++
	}
	fmt.Fprintf(w, "review of %s: %d high, %d medium, %d low\n", r.Environment, counts[High], counts[Medium], counts[Low])
	for _, s := range []Severity{High, Medium, Low} {
		if counts[s] == 0 {
			continue
		}
		fmt.Fprintf(w, "%s\n", s)
		for _, f := range r.Findings {
			if f.Severity == s {
				fmt.Fprintf(w, "  %s\n", f)
			}
		}
	}
	if r.CostDeltaUSD != 0 {
		fmt.Fprintf(w, "cost: %s/month in all, against an estimate of $%.2f/month (go run . cost %s)\n", usd(r.CostDeltaUSD), r.EstimateUSD, r.Environment)
	}
	if n := total(r.Other); n > 0 {
		var parts []string
		for _, a := range slices.Sorted(maps.Keys(r.Other)) {
			parts = append(parts, fmt.Sprintf("%d %s", r.Other[a], a))
		}
		fmt.Fprintf(w, "%d other change(s), none of the above: %s\n", n, strings.Join(parts, ", "))
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// usd renders a signed amount of dollars.
func usd(v float64) string {
	if v < 0 {
		return fmt.Sprintf("-$%.2f", -v)
	}
	return fmt.Sprintf("+$%.2f", v)
}

// index finds resources of the plan by what other resources hold of
// them: an ID, ARN or name.
type index struct {
	changes []change
	// byValue maps an identifying value (id, arn, name, bucket,
	// identifier) of a resource's before or after values to its changes.
	byValue map[string][]*change
}

// identifying are the attributes that name a resource in other resources'
// arguments.
var identifying = []string{"id", "arn", "name", "bucket", "identifier"}

func newIndex(changes []change) *index {
	idx := &index{changes: changes, byValue: map[string][]*change{}}
	for i := range changes {
		c := &changes[i]
		for _, m := range []map[string]any{c.before, c.after} {
			for _, k := range identifying {
				if v := str(m, k); v != "" && v != Masked {
					idx.byValue[v] = append(idx.byValue[v], c)
				}
			}
		}
	}
	return idx
}

// destroyedSubject reports whether a value of a resource names another
// resource that the plan destroys without replacing it (a bucket's
// companions, a server's alarms): the resource goes with its subject.
func (idx *index) destroyedSubject(self *change, m map[string]any) bool {
	found := false
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case string:
			for _, c := range idx.byValue[t] {
				if c != self && c.destroys() {
					found = true
				}
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			for k, e := range t {
				if k != "tags" && k != "tags_all" {
					walk(e)
				}
			}
		}
	}
	walk(m)
	return found
}

// ofType lists the changes of one resource type.
func (idx *index) ofType(typ string) []*change {
	var out []*change
	for i := range idx.changes {
		if idx.changes[i].Type == typ {
			out = append(out, &idx.changes[i])
		}
	}
	return out
}

// Environments lists the Environment tags of the plan's resources (the
// provider's default tag), sorted: one, for a plan of one environment.
func Environments(p *Plan) []string {
	seen := map[string]bool{}
	for _, c := range changesOf(p) {
		for _, v := range []map[string]any{c.before, c.after} {
			if e := tagsOf(v)["Environment"]; e != "" {
				seen[e] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// label renders an ID with the name of the resource it identifies, when
// the plan has it: "influencegen-production-odoo (sg-0123…)"; the world's
// CIDRs say so.
func (idx *index) label(id string) string {
	switch id {
	case "0.0.0.0/0", "::/0":
		return id + " (the internet)"
	}
	for _, c := range idx.byValue[id] {
		v := c.after
		if v == nil {
			v = c.before
		}
		name := tagsOf(v)["Name"]
		if name == "" {
			name = str(v, "name")
		}
		if name != "" && name != id {
			return name + " (" + id + ")"
		}
	}
	return id
}
