// Package awscheck is the CLI of the checks of AWS's own contracts over the
// synthesized stacks: `iam` (internal/iam) and `apicheck`
// (internal/apimodel). It reads cdktf.out (or $INFLUENCEGEN_OUTDIR).
package awscheck

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/apimodel"
	"github.com/influencegen/infrastructure/internal/iam"
	"github.com/influencegen/infrastructure/internal/synth"
)

// loadModel reads the synthesized stacks of every environment, the shared
// stack and the state bootstrap into the IAM model.
func loadModel(envs []environments.ParityConfig, stderr io.Writer) (*iam.Model, bool) {
	outdir := os.Getenv("INFLUENCEGEN_OUTDIR")
	if outdir == "" {
		outdir = "cdktf.out"
	}
	stacks, err := synth.Load(outdir)
	if err != nil {
		fmt.Fprintf(stderr, "%v: run `make synth` first\n", err)
		return nil, false
	}
	want := []string{"shared-stack", "state-bootstrap"}
	for _, e := range envs {
		want = append(want, e.StackName())
	}
	real := map[string]iam.Stack{}
	for _, name := range want {
		s, ok := stacks[name]
		if !ok {
			fmt.Fprintf(stderr, "no %s in %s: run `make synth` first\n", name, outdir)
			return nil, false
		}
		real[name] = iam.Stack(s)
	}
	m, err := iam.Load(real)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, false
	}
	return m, true
}

// IAM is `go run . iam [ENV...] [--all]`: it evaluates every principal's
// job and must-nots and prints a table, one line per principal and kind,
// then every request that is not what its job expects; --all prints every
// request. usage is printed on bad arguments. Exit code 1 on any failure.
func IAM(args []string, a environments.Account, envs []environments.ParityConfig, usage string, stdout, stderr io.Writer) int {
	all := false
	var names []string
	for _, arg := range args {
		if arg == "--all" {
			all = true
			continue
		}
		if strings.HasPrefix(arg, "-") {
			fmt.Fprintf(stderr, "iam: unknown option %s\n\n%s", arg, usage)
			return 2
		}
		names = append(names, arg)
	}
	selected := envs
	if len(names) > 0 {
		selected = nil
		for _, n := range names {
			e, err := environments.Find(envs, n)
			if err != nil {
				fmt.Fprintln(stderr, err)
				return 2
			}
			selected = append(selected, e)
		}
	}
	m, ok := loadModel(envs, stderr)
	if !ok {
		return 1
	}
	var reqs []iam.Request
	for _, e := range selected {
		r, err := iam.Jobs(m, iam.FromConfig(a, e, envs))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		reqs = append(reqs, r...)
	}
	decisions, err := iam.Evaluator{}.Evaluate(m, reqs)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	findings, err := iam.Evaluator{}.CheckDocuments(m.Documents)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	type key struct{ principal, kind string }
	count := map[key][2]int{}
	var bad []iam.Decision
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if all {
		fmt.Fprintln(w, "KIND\tPRINCIPAL\tACTION\tRESOURCE\tEXPECT\tRESULT\tJOB")
	}
	for _, d := range decisions {
		k := key{shortPrincipal(d.Principal), d.Kind}
		c := count[k]
		c[0]++
		if !d.OK() {
			c[1]++
			bad = append(bad, d)
		}
		count[k] = c
		if all {
			expect := "allow"
			if d.Deny {
				expect = "deny"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Kind, k.principal, d.Action, d.Resource, expect, d.Result, d.Job)
		}
	}
	if !all {
		keys := make([]key, 0, len(count))
		for k := range count {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].principal != keys[j].principal {
				return keys[i].principal < keys[j].principal
			}
			return keys[i].kind < keys[j].kind
		})
		fmt.Fprintln(w, "PRINCIPAL\tKIND\tREQUESTS\tNOT AS EXPECTED")
		for _, k := range keys {
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\n", k.principal, k.kind, count[k][0], count[k][1])
		}
	}
	w.Flush()
	for _, d := range bad {
		fmt.Fprintln(stdout, "FAIL", d.Why())
	}
	for _, f := range findings {
		fmt.Fprintln(stdout, "POLICY", f)
	}
	fmt.Fprintf(stdout, "%d requests, %d not as expected; %d policy documents, %d findings (iam-simulate, iam-data)\n",
		len(decisions), len(bad), len(m.Documents), len(findings))
	if len(bad) > 0 || len(findings) > 0 {
		return 1
	}
	return 0
}

func shortPrincipal(p string) string {
	if i := strings.LastIndex(p, ":role/"); i >= 0 {
		return p[i+len(":role/"):]
	}
	return p
}

// APICheck is `go run . apicheck`: it checks every value against the API models and prints,
// per resource type, the call, the arguments checked and those that reach
// no member of its input, then every finding.
func APICheck(args []string, envs []environments.ParityConfig, usage string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "apicheck takes no arguments\n\n%s", usage)
		return 2
	}
	m, ok := loadModel(envs, stderr)
	if !ok {
		return 1
	}
	dir, err := apimodel.FindData()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	res, err := apimodel.Check(&apimodel.Models{Dir: dir}, m)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	types := map[string]bool{}
	for _, r := range m.Resources {
		types[r.Type] = true
	}
	names := make([]string, 0, len(types))
	for t := range types {
		names = append(names, t)
	}
	sort.Strings(names)
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TYPE\tCALL\tVALUES CHECKED\tARGUMENTS NOT IN THE CALL'S INPUT")
	for _, t := range names {
		mp := apimodel.Mappings[t]
		call := mp.Service + ":" + mp.Operation
		if mp.Service == "" {
			call = "UNMAPPED"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", t, call, res.Checked[t], strings.Join(res.Unchecked[t], " "))
	}
	w.Flush()
	for _, f := range res.Findings {
		fmt.Fprintln(stdout, "FAIL", f)
	}
	fmt.Fprintf(stdout, "%d findings; models: %s\n", len(res.Findings), dir)
	if len(res.Findings) > 0 {
		return 1
	}
	return 0
}
