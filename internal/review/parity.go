package review

import "fmt"

// Reference is the environment a parity environment must equal in every
// *what*: internal/parity implements it with the reference's synthesized
// stack and the Scale arguments of environments.ScaleKeys.
type Reference interface {
	// Name is the reference environment's name.
	Name() string
	// Drift lists, one line per argument, what a change gives a resource
	// that the reference's resource of the same construct does not have;
	// before is nil for a resource the plan creates.
	Drift(typ, name string, before, after map[string]any) []string
}

// drift reports the changes that make the environment differ from its
// reference in something other than Scale.
func drift(changes []change, ref Reference) []Finding {
	var out []Finding
	for i := range changes {
		c := &changes[i]
		if !c.changes() || c.destroys() || c.Deposed != "" {
			continue
		}
		after := knownAs(c.after, c.before, c.unknown)
		for _, d := range ref.Drift(c.Type, c.Name, c.before, after) {
			out = append(out, Finding{Severity: Medium, Class: Parity, Address: c.Address,
				Text: fmt.Sprintf("differs from %s outside Scale: %s", ref.Name(), d)})
		}
	}
	return out
}
