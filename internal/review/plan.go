package review

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Plan is what the review reads of Terraform's JSON plan: its resource
// changes. Both forms Terraform writes have them: `terraform show -json
// PLANFILE` (format_version 1.2) and the plans `terraform test -verbose`
// prints (plan_format_version). Terraform 1.11,
// internal/command/jsonplan/plan.go and resource.go.
type Plan struct {
	// FormatVersion is `terraform show -json`'s; PlanFormatVersion the
	// test runner's. One of them is set.
	FormatVersion     string `json:"format_version"`
	PlanFormatVersion string `json:"plan_format_version"`
	// ResourceChanges is every resource instance the plan knows, no-op
	// ones included.
	ResourceChanges []ResourceChange `json:"resource_changes"`
	// Errored is true for a plan Terraform could not finish: it is not
	// reviewed.
	Errored bool `json:"errored"`
}

// ResourceChange is one resource instance's planned change.
type ResourceChange struct {
	// Address is the instance's address, "aws_s3_bucket.logs" or
	// "aws_s3_bucket.logs[0]".
	Address string `json:"address"`
	// Mode is "managed" or "data".
	Mode string `json:"mode"`
	// Type and Name are the resource's type and name (without index).
	Type string `json:"type"`
	Name string `json:"name"`
	// Deposed is set when the change is to a deposed object (left over by
	// an earlier create-before-destroy).
	Deposed string `json:"deposed"`
	// Change is what happens to it.
	Change Change `json:"change"`
	// ActionReason says why, for a replacement or a deletion:
	// "replace_because_cannot_update", "replace_by_request",
	// "delete_because_no_resource_config", "delete_because_count_index" …
	ActionReason string `json:"action_reason"`
}

// Change is the change of one object.
type Change struct {
	// Actions: ["no-op"], ["create"], ["read"], ["update"],
	// ["delete","create"] and ["create","delete"] (replace), ["delete"],
	// ["forget"], ["create","forget"].
	Actions []string `json:"actions"`
	// Before and After are the object's values; After leaves out what is
	// known only after apply (AfterUnknown marks it). Sensitive values are
	// in them in clear: BeforeSensitive and AfterSensitive mark them, and
	// the review masks them before anything reads them.
	Before          any `json:"before"`
	After           any `json:"after"`
	AfterUnknown    any `json:"after_unknown"`
	BeforeSensitive any `json:"before_sensitive"`
	AfterSensitive  any `json:"after_sensitive"`
	// ReplacePaths are the attributes whose change forces a replacement.
	ReplacePaths [][]any `json:"replace_paths"`
}

// ParsePlan reads a JSON plan.
func ParsePlan(b []byte) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("not a Terraform JSON plan (terraform show -json PLANFILE): %w", err)
	}
	if p.FormatVersion == "" && p.PlanFormatVersion == "" {
		return nil, fmt.Errorf("not a Terraform JSON plan: no format_version (a state, or `terraform show` without -json?)")
	}
	if v := p.FormatVersion + p.PlanFormatVersion; !strings.HasPrefix(v, "1.") {
		return nil, fmt.Errorf("plan format %s: the review reads format 1.x (Terraform 1.x)", v)
	}
	if p.Errored {
		return nil, fmt.Errorf("the plan errored: Terraform could not finish it; plan again")
	}
	return &p, nil
}

// Masked marks a sensitive value in what the review reads and prints.
const Masked = "(sensitive)"

// masked returns v with every leaf marked true in sensitive replaced by
// Masked (a whole object or list marked true is masked whole).
func masked(v, sensitive any) any {
	if sensitive == true {
		if v == nil {
			return nil
		}
		return Masked
	}
	switch t := v.(type) {
	case map[string]any:
		s, _ := sensitive.(map[string]any)
		if len(s) == 0 {
			return t
		}
		out := maps.Clone(t)
		for k, e := range t {
			out[k] = masked(e, s[k])
		}
		return out
	case []any:
		s, _ := sensitive.([]any)
		if len(s) == 0 {
			return t
		}
		out := slices.Clone(t)
		for i := range t {
			if i < len(s) {
				out[i] = masked(t[i], s[i])
			}
		}
		return out
	}
	return v
}

// object is a resource's values as a map (nil for none).
func object(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// change is a resource change as the rules read it: values masked, with
// what its actions mean.
type change struct {
	ResourceChange
	before, after map[string]any
	// unknown marks the after values known only after apply.
	unknown map[string]any
}

// deletes reports whether the current object is destroyed (deleted or
// replaced).
func (c change) deletes() bool { return slices.Contains(c.Change.Actions, "delete") }

// creates reports whether a new object is created (created or replaced).
func (c change) creates() bool { return slices.Contains(c.Change.Actions, "create") }

// replaces reports whether the object is replaced.
func (c change) replaces() bool { return c.deletes() && c.creates() }

// updates reports whether the object is updated in place.
func (c change) updates() bool { return slices.Equal(c.Change.Actions, []string{"update"}) }

// destroys reports whether the object is destroyed and not replaced.
func (c change) destroys() bool { return c.deletes() && !c.creates() }

// changes reports whether anything happens to the object.
func (c change) changes() bool {
	a := c.Change.Actions
	return len(a) > 0 && !slices.Equal(a, []string{"no-op"}) && !slices.Equal(a, []string{"read"})
}

// isUnknown reports whether the after value at a top-level attribute is
// known only after apply.
func (c change) isUnknown(attr string) bool {
	u, ok := c.unknown[attr]
	return ok && u != false && u != nil
}

// why says why an object is destroyed or replaced.
func (c change) why() string {
	switch {
	case c.replaces() && len(c.Change.ReplacePaths) > 0:
		var paths []string
		for _, p := range c.Change.ReplacePaths {
			paths = append(paths, pathString(p))
		}
		return "replaced: changing " + strings.Join(paths, ", ") + " forces it"
	case c.replaces() && c.ActionReason == "replace_by_request":
		return "replaced on request (-replace)"
	case c.replaces() && c.ActionReason == "replace_because_tainted":
		return "replaced: tainted by a failed apply"
	case c.replaces():
		return "replaced"
	case c.ActionReason == "delete_because_no_resource_config":
		return "destroyed: no longer in the configuration"
	case c.ActionReason == "delete_because_count_index", c.ActionReason == "delete_because_each_key":
		return "destroyed: its count or for_each no longer includes it"
	case c.ActionReason == "delete_because_no_module":
		return "destroyed: its module is gone"
	}
	return "destroyed"
}

// pathString renders a Terraform attribute path: ["rule", 0, "id"] →
// "rule[0].id".
func pathString(p []any) string {
	var b strings.Builder
	for _, step := range p {
		switch s := step.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteString(".")
			}
			b.WriteString(s)
		default:
			fmt.Fprintf(&b, "[%v]", s)
		}
	}
	return b.String()
}

// changesOf turns a plan's managed-resource changes into what the rules
// read, sensitive values masked; unknown after values are left out, as
// Terraform leaves them out.
func changesOf(p *Plan) []change {
	var out []change
	for _, rc := range p.ResourceChanges {
		if rc.Mode != "managed" {
			continue
		}
		c := change{ResourceChange: rc}
		c.before = object(masked(rc.Change.Before, rc.Change.BeforeSensitive))
		c.after = object(masked(rc.Change.After, rc.Change.AfterSensitive))
		c.unknown = object(rc.Change.AfterUnknown)
		out = append(out, c)
	}
	return out
}

// str reads a string attribute.
func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// num reads a number attribute (0 when absent).
func num(m map[string]any, k string) float64 {
	n, _ := m[k].(float64)
	return n
}

// blocks reads a nested block list (a single object counts as one).
func blocks(v any) []map[string]any {
	switch t := v.(type) {
	case map[string]any:
		return []map[string]any{t}
	case []any:
		var out []map[string]any
		for _, e := range t {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// stringList reads a list of strings (a single string counts as one).
func stringList(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// tagsOf is a resource's tags as AWS holds them (tags_all: the
// provider's default tags with its own), or its own tags.
func tagsOf(m map[string]any) map[string]string {
	out := map[string]string{}
	for _, k := range []string{"tags", "tags_all"} {
		t, _ := m[k].(map[string]any)
		for key, v := range t {
			if s, ok := v.(string); ok {
				out[key] = s
			}
		}
	}
	return out
}
