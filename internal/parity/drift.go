package parity

import (
	"fmt"
	"sort"
	"strings"

	"github.com/influencegen/infrastructure/environments"
)

// Drift compares what a plan does to a parity environment's resources
// with its reference's synthesized stack, the way CheckWhat compares two
// synthesized stacks: identity normalised, copies of a construct folded
// together, the Scale arguments of environments.ScaleKeys left out. It
// is the plan review's Reference (internal/review): a change that makes
// staging's *what* differ from production's is drift, a change production
// will get too (it is in production's synthesized stack) is not.
type Drift struct {
	env, ref    environments.ParityConfig
	scale, adds map[string]string
	// forms are the reference's resources, by "<type>.<construct>":
	// argument path → values, every copy's together.
	forms map[string]map[string]map[string]bool
}

// NewDrift prepares the comparison of env's plans with ref's synthesized
// stack.
func NewDrift(env, ref environments.ParityConfig, refStack map[string]any) *Drift {
	d := &Drift{env: env, ref: ref, scale: environments.ScaleAttributes(), adds: environments.ScaleConstructs(),
		forms: map[string]map[string]map[string]bool{}}
	for _, b := range blocks(Normalise(refStack, ref)) {
		if b.kind != "resource" {
			continue
		}
		key := b.typ + "." + construct(b.name)
		if d.forms[key] == nil {
			d.forms[key] = map[string]map[string]bool{}
		}
		for path, values := range b.form {
			for v := range values {
				add(d.forms[key], path, v)
			}
		}
	}
	return d
}

// Name is the reference's name.
func (d *Drift) Name() string { return d.ref.Identity.Name }

// Drift lists the arguments a change gives one resource (its values before
// and after the plan; before nil for a new one) that the reference's
// resources of the same construct do not have. Only arguments the change
// sets, that the reference's configuration sets to a literal (not a
// reference, which only apply knows), and that are not Scale arguments
// count. A new resource of a construct the reference lacks is drift
// unless a Scale field adds that construct.
func (d *Drift) Drift(typ, name string, before, after map[string]any) []string {
	if scaleConstruct(d.adds, name) != "" {
		return nil
	}
	ref, ok := d.forms[typ+"."+construct(name)]
	if !ok {
		if before == nil {
			return []string{fmt.Sprintf("a new %s of a construct %s does not have", typ, d.ref.Identity.Name)}
		}
		return nil
	}
	now, was := map[string]map[string]bool{}, map[string]map[string]bool{}
	leaves("", Normalise(after, d.env), now)
	if before != nil {
		leaves("", Normalise(before, d.env), was)
	}
	var out []string
	for _, path := range sortedPaths(now) {
		got := now[path]
		want, set := ref[path]
		if !set || scaleArgument(d.scale, typ, path) || sameSet(got, was[path]) || !literal(want) {
			continue
		}
		for v := range got {
			if !want[v] {
				out = append(out, fmt.Sprintf("%s is %s here, %s in %s", strings.ReplaceAll(path, "<json>", " (document) "), values(got), values(want), d.ref.Identity.Name))
				break
			}
		}
	}
	return out
}

func sortedPaths(m map[string]map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// literal reports whether no value is a Terraform expression.
func literal(values map[string]bool) bool {
	for v := range values {
		if strings.Contains(v, "${") {
			return false
		}
	}
	return true
}
