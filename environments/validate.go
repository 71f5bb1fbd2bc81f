package environments

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Validation: every type of the configuration checks its own fields in a
// check method beside its definition (Account.check, Identity.check,
// Scale.check, Tier.check, …); this file holds the error types and the walk
// that calls them, and the rules that span environments.

// FieldError is one invalid value: which environment, which field, what is
// wrong and how to fix it.
type FieldError struct {
	// Env is the environment name, or "account" for Account fields.
	Env string
	// Field is the Go path of the field, e.g. "Scale.AZCount".
	Field string
	// Problem says what is wrong with the value.
	Problem string
	// Fix says what to change.
	Fix string
}

func (e FieldError) Error() string {
	return fmt.Sprintf("%s: %s: %s (fix: %s)", e.Env, e.Field, e.Problem, e.Fix)
}

// Errors is every problem found by Validate.
type Errors []FieldError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = "  - " + e.Error()
	}
	return fmt.Sprintf("invalid configuration (%d problem(s)); nothing was synthesized:\n%s", len(es), strings.Join(lines, "\n"))
}

// Validate checks the account and every environment, alone and together,
// and returns Errors listing every problem, or nil. It runs before any
// construct is created, so a bad value writes nothing to cdktf.out; every
// configuration it accepts synthesizes.
func Validate(a Account, envs []ParityConfig) error {
	var v validator
	acc := v.of("account")
	for _, p := range scaleKeyProblems() {
		acc.add("environments.ScaleKeys", p, "edit ScaleKeys in environments/scale.go: the parity proof relies on it")
	}
	a.check(acc, envs)
	a.checkModelSources(acc, envs)
	names := map[string]bool{}
	var refs []ParityConfig
	for _, e := range envs {
		c := v.of(e.Identity.Name)
		if names[e.Identity.Name] {
			c.add("Identity.Name", "duplicate environment name", "give every environment its own name")
		}
		names[e.Identity.Name] = true
		if e.Kind == Reference {
			refs = append(refs, e)
		}
		e.check(c, a)
	}
	if len(refs) != 1 {
		acc.add("environments", fmt.Sprintf("%d reference environments", len(refs)),
			"exactly one environment (production) must have Kind Reference")
	}
	if len(refs) == 1 {
		checkParity(&v, refs[0], envs)
	}
	checkOverlaps(&v, a, envs)
	for i, img := range Images {
		if !slices.ContainsFunc(envs, func(e ParityConfig) bool {
			return slices.ContainsFunc(e.Tiers, func(t Tier) bool { return slices.Contains(t.Images, img) })
		}) {
			acc.add(fmt.Sprintf("environments.Images[%d]", i), fmt.Sprintf("%q is pulled by no tier: it would be built, scanned and pushed for nothing", img),
				"give it to the tier that runs it (Tier.Images), or remove it with its docker/ directory")
		}
	}
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

// validator collects the problems of one Validate.
type validator struct{ errs Errors }

// of is a checker for one environment ("account" for the Account).
func (v *validator) of(env string) checker { return checker{v: v, env: env} }

// checker is what a type's check method reports to: the environment it
// belongs to is fixed, the field is the whole Go path from ParityConfig
// (or Account), e.g. "Scale.AZCount".
type checker struct {
	v   *validator
	env string
}

func (c checker) add(field, problem, fix string) {
	c.v.errs = append(c.v.errs, FieldError{Env: c.env, Field: field, Problem: problem, Fix: fix})
}

// checkParity rejects every field of a parity environment outside Identity
// and Scale that differs from the reference.
func checkParity(v *validator, ref ParityConfig, envs []ParityConfig) {
	for _, e := range envs {
		if e.Kind != Parity {
			continue
		}
		for _, d := range ParityDiff(ref, e) {
			v.of(e.Identity.Name).add(d.Field,
				fmt.Sprintf("differs from %s (%s here, %s there): a parity environment may change only Identity and Scale",
					ref.Identity.Name, d.Got, d.Want),
				"change it in Production() for both, or, if it is a matter of scale, move it into Scale")
		}
		if e.Identity.PatchWindow == ref.Identity.PatchWindow {
			// Staging meets a bad patch first.
			v.of(e.Identity.Name).add("Identity.PatchWindow", fmt.Sprintf("%s patches at the same time as %s (%s)", e.Identity.Name, ref.Identity.Name, e.Identity.PatchWindow),
				fmt.Sprintf("give Account.PatchWindows[%q] an earlier day, so a bad patch shows there first", e.Identity.Name))
		}
	}
}

// checkOverlaps rejects any two environments (or an environment and a
// peered network) whose address spaces overlap: they could never be
// peered.
func checkOverlaps(v *validator, a Account, envs []ParityConfig) {
	type block struct {
		owner string
		p     netip.Prefix
	}
	var blocks []block
	for _, e := range envs {
		if p, err := netip.ParsePrefix(e.Identity.VPCCIDR); err == nil {
			blocks = append(blocks, block{e.Identity.Name, p.Masked()})
		}
	}
	for i, c := range a.PeeredCIDRs {
		if p, err := netip.ParsePrefix(c); err == nil {
			blocks = append(blocks, block{fmt.Sprintf("Account.PeeredCIDRs[%d]", i), p.Masked()})
		}
	}
	for i := range blocks {
		for j := i + 1; j < len(blocks); j++ {
			if blocks[i].p.Overlaps(blocks[j].p) {
				v.of(blocks[j].owner).add("Identity.VPCCIDR",
					fmt.Sprintf("%s overlaps %s of %s: the networks could never be peered", blocks[j].p, blocks[i].p, blocks[i].owner),
					"give every environment its own block, e.g. 10.40.0.0/16")
			}
		}
	}
}
