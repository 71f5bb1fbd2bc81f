package jsondiff

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Summary says what changed between two synthesized stacks (old, new) the
// way a reviewer reads a plan: resources added and removed by type, and,
// for the resources in both, which arguments changed, counted by type and
// argument. Inside an IAM document (any argument whose value is a JSON
// policy: "policy", "assume_role_policy", …) it names the actions each
// change adds or removes, and the resources that lost or gained them:
//
//	aws_iam_role_policy.policy: 3 resources: lost kms:GenerateDataKey
//
// Everything else is counted by type and argument, with one example path.
// The lines are sorted; no change gives none.
func Summary(old, new map[string]any) []string {
	var lines []string
	for _, section := range []string{"resource", "data"} {
		o, _ := old[section].(map[string]any)
		n, _ := new[section].(map[string]any)
		prefix := ""
		if section == "data" {
			prefix = "data."
		}
		for _, typ := range sortedUnion(o, n) {
			ob, _ := o[typ].(map[string]any)
			nb, _ := n[typ].(map[string]any)
			var added, removed []string
			changed := map[string][]string{} // argument → resource names
			actions := map[string]map[string][]string{}
			for _, name := range sortedUnion(ob, nb) {
				or, oin := ob[name].(map[string]any)
				nr, nin := nb[name].(map[string]any)
				switch {
				case !oin:
					added = append(added, name)
				case !nin:
					removed = append(removed, name)
				default:
					for _, arg := range sortedUnion(or, nr) {
						if arg == "//" || equal(or[arg], nr[arg]) {
							continue
						}
						changed[arg] = append(changed[arg], name)
						for change, n := range policyChanges(or[arg], nr[arg]) {
							if actions[arg] == nil {
								actions[arg] = map[string][]string{}
							}
							actions[arg][change] = append(actions[arg][change], n...)
						}
					}
				}
			}
			if len(added) > 0 {
				lines = append(lines, fmt.Sprintf("%s%s: %s added (%s)", prefix, typ, count(len(added), "resource"), examples(added)))
			}
			if len(removed) > 0 {
				lines = append(lines, fmt.Sprintf("%s%s: %s removed (%s)", prefix, typ, count(len(removed), "resource"), examples(removed)))
			}
			for _, arg := range slices.Sorted(maps.Keys(changed)) {
				names := changed[arg]
				if len(actions[arg]) == 0 {
					lines = append(lines, fmt.Sprintf("%s%s.%s: changed in %s (%s)", prefix, typ, arg, count(len(names), "resource"), examples(names)))
					continue
				}
				for _, change := range slices.Sorted(maps.Keys(actions[arg])) {
					lines = append(lines, fmt.Sprintf("%s%s.%s: %s: %s", prefix, typ, arg, count(len(actions[arg][change]), "resource"), change))
				}
			}
		}
	}
	o, _ := old["output"].(map[string]any)
	n, _ := new["output"].(map[string]any)
	for _, name := range sortedUnion(o, n) {
		_, oin := o[name]
		_, nin := n[name]
		switch {
		case !oin:
			lines = append(lines, "output."+name+": added")
		case !nin:
			lines = append(lines, "output."+name+": removed")
		case !equal(o[name], n[name]):
			lines = append(lines, "output."+name+": changed")
		}
	}
	for _, top := range sortedUnion(old, new) {
		switch top {
		case "resource", "data", "output", "//":
			continue
		}
		if !equal(old[top], new[top]) {
			for _, d := range Diff(new[top], old[top]) {
				lines = append(lines, fmt.Sprintf("%s: %s → %s", join(top, d.Path), d.Right, d.Left))
			}
		}
	}
	return lines
}

// policyChanges compares two IAM policy documents given as JSON strings:
// for each action a statement of the old document allows or denies and no
// statement of the new one does (or the reverse), "lost ALLOW action" /
// "gained DENY action" → the documents' count (1). Not policies: none.
func policyChanges(old, new any) map[string][]string {
	oa, ok1 := policyActions(old)
	na, ok2 := policyActions(new)
	if !ok1 || !ok2 {
		return nil
	}
	out := map[string][]string{}
	for a := range oa {
		if !na[a] {
			out["lost "+a] = append(out["lost "+a], "1")
		}
	}
	for a := range na {
		if !oa[a] {
			out["gained "+a] = append(out["gained "+a], "1")
		}
	}
	return out
}

// policyActions reads "Effect action" pairs of a JSON policy document.
func policyActions(v any) (map[string]bool, bool) {
	s, ok := v.(string)
	if !ok || !strings.Contains(s, `"Statement"`) {
		return nil, false
	}
	var doc struct {
		Statement []struct {
			Effect    string
			Action    any
			NotAction any
		}
	}
	if json.Unmarshal([]byte(s), &doc) != nil {
		return nil, false
	}
	out := map[string]bool{}
	for _, st := range doc.Statement {
		for _, a := range strs(st.Action) {
			out[strings.ToUpper(st.Effect)+" "+a] = true
		}
		for _, a := range strs(st.NotAction) {
			out[strings.ToUpper(st.Effect)+" NOT "+a] = true
		}
	}
	return out, true
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func equal(a, b any) bool { return len(Diff(a, b)) == 0 }

func sortedUnion[V any](a, b map[string]V) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return slices.Sorted(maps.Keys(keys))
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// examples names up to three, and how many more.
func examples(names []string) string {
	if len(names) <= 3 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
}
