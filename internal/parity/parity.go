// Package parity proves, on the synthesized Terraform JSON itself, that a
// parity environment (staging) differs from the reference (production) only
// in Scale.
//
// The proof needs three stacks: the environment, the reference, and a probe:
// the reference rebuilt with the environment's Scale (see Probe). After
// identity is normalised (names, CIDRs, hostnames, state key and alert
// addresses replaced by placeholders), the environment must equal the probe exactly; then every
// difference between environment and reference is explained by Scale, and
// any difference between environment and probe is a parity violation.
package parity

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/influencegen/infrastructure/constructs/network"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/jsondiff"
)

// ProbeName is the environment name of the probe stack.
const ProbeName = "parityprobe"

// Probe returns the reference with env's Scale: what env must synthesize
// to, identity aside, if nothing but Scale sets them apart.
func Probe(ref, env environments.ParityConfig, a environments.Account) environments.ParityConfig {
	p := ref
	p.Scale = env.Scale
	// Notification targets and the patch window's hour are identity.
	p.Identity = env.Identity.Renamed(ProbeName, ref.Identity.VPCCIDR, a)
	return p
}

// Normalise returns a deep copy of a synthesized stack with every identity
// value of cfg replaced by a placeholder, so stacks of different
// environments can be compared.
func Normalise(stack any, cfg environments.ParityConfig) any {
	return walk(stack, identityReplacer(cfg))
}

// identity replaces an environment's identity values by placeholders: the
// hostnames, CIDRs, state key and addresses anywhere, the environment name
// only as a whole word ("dev" in "influencegen-dev-odoo", not in "device").
type identity struct {
	values *strings.Replacer
	name   *regexp.Regexp
}

func (r identity) Replace(s string) string {
	s = r.values.Replace(s)
	if r.name == nil {
		return s
	}
	// Twice: adjacent matches share a delimiter ("dev-dev").
	for range 2 {
		s = r.replaceName(s)
	}
	return s
}

// replaceName replaces whole-word occurrences of the environment name,
// except the first component of an absolute path: no name the constructs
// build starts with "/<env>/", but a device does ("/dev/sdf").
func (r identity) replaceName(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range r.name.FindAllStringSubmatchIndex(s, -1) {
		if m[0] == 0 && strings.HasPrefix(s, "/") && m[5] > m[4] && s[m[4]] == '/' {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(s[m[2]:m[3]] + "{env}" + s[m[4]:m[5]])
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

func identityReplacer(cfg environments.ParityConfig) identity {
	r := identity{values: replacer(cfg)}
	if cfg.Identity.Name != "" {
		r.name = regexp.MustCompile(`(^|[^A-Za-z0-9])` + regexp.QuoteMeta(cfg.Identity.Name) + `([^A-Za-z0-9]|$)`)
	}
	return r
}

func replacer(cfg environments.ParityConfig) *strings.Replacer {
	var args []string
	for _, p := range replacerPairs(cfg) {
		args = append(args, p[0], p[1])
	}
	return strings.NewReplacer(args...)
}

// replacerPairs are an environment's identity values and their
// placeholders, longest value first, empty values left out.
func replacerPairs(cfg environments.ParityConfig) [][2]string {
	id := cfg.Identity
	pairs := [][2]string{
		{id.StateKey, "{state_key}"},
		// hosts under the domain ("odoo.<domain>"), not the zone itself,
		// which every environment shares
		{"." + id.Domain, ".{domain}"},
		// and as a regular expression (the WAF matches hosts by regex),
		// also inside a JSON document held in a string (rule_json)
		{regexp.QuoteMeta("." + id.Domain), `\.{domain}`},
		{strings.ReplaceAll(regexp.QuoteMeta("."+id.Domain), `\`, `\\`), `\\.{domain}`},
		{id.VPCCIDR, "{vpc_cidr}"},
		// the weekly patch window: staging's is another hour on purpose
		{id.PatchCron(), "{patch_window}"},
	}
	if l, err := network.PlanSubnets(id.VPCCIDR, cfg.Scale.AZCount); err == nil {
		for t, tier := range l.Subnets {
			for a, p := range tier {
				pairs = append(pairs, [2]string{p.String(), fmt.Sprintf("{subnet:%s:%d}", network.Tier(t), a+1)})
			}
		}
	}
	for n, e := range id.AlertEmails {
		pairs = append(pairs, [2]string{e, fmt.Sprintf("{alert_email:%d}", n+1)})
	}
	// Longest first, so a hostname is replaced before the name inside it.
	sort.SliceStable(pairs, func(i, j int) bool { return len(pairs[i][0]) > len(pairs[j][0]) })
	var out [][2]string
	for _, p := range pairs {
		if p[0] != "" {
			out = append(out, p)
		}
	}
	return out
}

// Rename returns a deep copy of a synthesized stack (or part of one) of
// environment from with from's identity values replaced by to's: for a
// piece of one environment's stack planted in another's.
func Rename(stack any, from, to environments.ParityConfig) any {
	var args []string
	for _, p := range replacerPairs(to) {
		args = append(args, p[1], p[0])
	}
	args = append(args, "{env}", to.Identity.Name)
	back := strings.NewReplacer(args...)
	return walk(Normalise(stack, from), identity{values: back})
}

func walk(v any, r identity) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			out[r.Replace(k)] = walk(val, r)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = walk(val, r)
		}
		return out
	case string:
		return r.Replace(t)
	default:
		return v
	}
}

// Report is the outcome of a parity check.
type Report struct {
	// Env and Ref name the compared environments.
	Env, Ref string
	// Differences are all differences between env and ref after identity
	// normalisation (Left is env, Right is ref).
	Differences []jsondiff.Difference
	// Unexplained are differences between env and the probe: each one is a
	// difference from the reference that Scale does not explain.
	Unexplained []jsondiff.Difference
	// NotInRef are the *whats* of env that ref does not have (CheckWhat):
	// a Scale value that changed what runs, not how much or how long.
	NotInRef []WhatViolation
}

// Check compares the synthesized env, ref and probe stacks.
func Check(env, ref, probe environments.ParityConfig, envStack, refStack, probeStack map[string]any) Report {
	e := Normalise(envStack, env)
	return Report{
		Env:         env.Identity.Name,
		Ref:         ref.Identity.Name,
		Differences: jsondiff.Diff(e, Normalise(refStack, ref)),
		Unexplained: jsondiff.Diff(e, Normalise(probeStack, probe)),
		NotInRef:    CheckWhat(env, ref, envStack, refStack),
	}
}

// OK reports whether every difference is explained by Scale and Scale
// changed only how much and how long.
func (r Report) OK() bool { return len(r.Unexplained) == 0 && len(r.NotInRef) == 0 }

// Write prints the report for a person.
func (r Report) Write(w io.Writer) {
	bad := map[string]bool{}
	for _, d := range r.Unexplained {
		bad[d.Path] = true
	}
	fmt.Fprintf(w, "parity: %s vs %s (identity normalised: name, CIDRs, hostnames, state key, alert addresses)\n", r.Env, r.Ref)
	fmt.Fprintf(w, "%d difference(s); %d not explained by Scale\n\n", len(r.Differences), len(r.Unexplained))
	for _, d := range r.Differences {
		tag := "scale"
		if bad[d.Path] {
			tag = "NOT SCALE"
		}
		fmt.Fprintf(w, "[%s] %s\n    %s: %s\n    %s: %s\n", tag, d.Path, r.Env, d.Left, r.Ref, d.Right)
	}
	seen := map[string]bool{}
	for _, d := range r.Differences {
		seen[d.Path] = true
	}
	for _, d := range r.Unexplained {
		if !seen[d.Path] {
			fmt.Fprintf(w, "[NOT SCALE] %s\n    %s: %s\n    %s rebuilt with %s's Scale: %s\n", d.Path, r.Env, d.Left, r.Ref, r.Env, d.Right)
		}
	}
	fmt.Fprintf(w, "\nwhat %s runs that %s does not (Scale may change only the arguments of environments.ScaleKeys and how many copies exist)\n", r.Env, r.Ref)
	if len(r.NotInRef) == 0 {
		fmt.Fprintf(w, "  nothing: every resource of %s has the form of a resource of %s\n", r.Env, r.Ref)
	}
	for _, v := range r.NotInRef {
		attr := v.Attribute
		if attr == "" {
			attr = "(the resource)"
		}
		fmt.Fprintf(w, "[NOT IN %s] %s\n    attribute: %s\n    %s: %s\n    %s: %s\n", strings.ToUpper(r.Ref), v.Address, attr, r.Env, v.Env, r.Ref, v.Ref)
	}
	switch {
	case r.OK():
		fmt.Fprintf(w, "\nok: %s differs from %s only in Scale, and Scale changes only how much and how long\n", r.Env, r.Ref)
	case len(r.Unexplained) > 0:
		fmt.Fprintf(w, "\nFAIL: %d difference(s) outside Scale: move the setting into Scale, or set it in %s for both\n", len(r.Unexplained), r.Ref)
	}
	if len(r.NotInRef) > 0 {
		fmt.Fprintf(w, "\nFAIL: %d thing(s) %s runs that %s does not: a Scale value changed *what* runs; derive it from a shared setting, or, if it really is scale, add the argument to environments.ScaleKeys with why\n", len(r.NotInRef), r.Env, r.Ref)
	}
}
