package controls

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Statement is one statement of a JSON IAM policy, with single values
// normalised to lists.
type Statement struct {
	// Sid names the statement ("" when it has none).
	Sid string
	// Effect is "Allow" or "Deny".
	Effect string
	// Action and NotAction, Resource and NotResource as written.
	Action, NotAction, Resource, NotResource []string
	// Condition maps an operator to keys and their values.
	Condition map[string]map[string][]string
	// Principal is the raw principal of a resource or trust policy.
	Principal any
}

// ParsePolicy reads a JSON policy document.
func ParsePolicy(text string) ([]Statement, error) {
	var doc struct {
		Statement []map[string]any `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	out := make([]Statement, 0, len(doc.Statement))
	for _, raw := range doc.Statement {
		st := Statement{
			Sid: str(raw["Sid"]), Effect: str(raw["Effect"]), Principal: raw["Principal"],
			Action: strList(raw["Action"]), NotAction: strList(raw["NotAction"]),
			Resource: strList(raw["Resource"]), NotResource: strList(raw["NotResource"]),
			Condition: map[string]map[string][]string{},
		}
		cond, _ := raw["Condition"].(map[string]any)
		for op, keys := range cond {
			km, _ := keys.(map[string]any)
			st.Condition[op] = map[string][]string{}
			for k, v := range km {
				st.Condition[op][k] = strList(v)
			}
		}
		out = append(out, st)
	}
	return out, nil
}

func strList(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			out = append(out, fmt.Sprint(x))
		}
		return out
	case bool:
		return []string{fmt.Sprint(t)}
	}
	return nil
}

// Glob matches an IAM pattern: "*" is any run of characters, "?" any one.
func Glob(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if Glob(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && Glob(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && Glob(pattern[1:], s[1:])
}

func anyGlob(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold && Glob(strings.ToLower(p), strings.ToLower(s)) || !fold && Glob(p, s) {
			return true
		}
	}
	return false
}

// Covers reports whether the statement applies to the action (case-folded,
// as IAM compares actions) on the resource, ignoring its conditions.
func (st Statement) Covers(action, resource string) bool {
	if len(st.Action) > 0 && !anyGlob(st.Action, action, true) || len(st.NotAction) > 0 && anyGlob(st.NotAction, action, true) {
		return false
	}
	if len(st.Resource) > 0 && !anyGlob(st.Resource, resource, false) || len(st.NotResource) > 0 && anyGlob(st.NotResource, resource, false) {
		return false
	}
	return true
}

// ConditionValues returns the values a condition key is compared with,
// under any operator.
func (st Statement) ConditionValues(key string) []string {
	var out []string
	for _, keys := range st.Condition {
		out = append(out, keys[key]...)
	}
	return out
}

// Holds evaluates the statement's conditions against a request context,
// for the operators this project writes: String/Arn Equals and Like, their
// negations, ForAnyValue: and Bool. A key absent from the context
// satisfies only the negated operators, as in IAM.
func (st Statement) Holds(ctx map[string][]string) bool {
	for op, keys := range st.Condition {
		base := op
		if i := strings.Index(op, ":"); i >= 0 {
			base = op[i+1:]
		}
		for key, want := range keys {
			have, ok := ctx[key]
			negated := strings.Contains(base, "Not")
			if !ok {
				if !negated {
					return false
				}
				continue
			}
			like := strings.HasSuffix(base, "Like")
			match := func(h string) bool {
				for _, w := range want {
					if like && Glob(w, h) || !like && w == h {
						return true
					}
				}
				return false
			}
			switch base {
			case "StringEquals", "StringLike", "ArnEquals", "ArnLike", "Bool":
				found := false
				for _, h := range have {
					found = found || match(h)
				}
				if !found {
					return false
				}
			case "StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike":
				for _, h := range have {
					if match(h) {
						return false
					}
				}
			default:
				panic("controls: condition operator " + op + " is not evaluated")
			}
		}
	}
	return true
}

// Decision is the outcome of evaluating one identity policy.
type Decision string

// The three outcomes of Evaluate.
const (
	Allowed      Decision = "allowed"
	ExplicitDeny Decision = "explicitly denied"
	ImplicitDeny Decision = "not allowed"
)

// Evaluate decides a request against one identity policy: an applicable
// Deny wins, then an applicable Allow, else the implicit deny.
func Evaluate(doc []Statement, action, resource string, ctx map[string][]string) Decision {
	allowed := false
	for _, st := range doc {
		if !st.Covers(action, resource) || !st.Holds(ctx) {
			continue
		}
		if st.Effect == "Deny" {
			return ExplicitDeny
		}
		allowed = true
	}
	if allowed {
		return Allowed
	}
	return ImplicitDeny
}
