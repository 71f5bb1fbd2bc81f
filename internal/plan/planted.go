package plan

// Planting resources in one run and removing them from another, and the
// values the mock deployment must hold so that the real provider plans no
// change where nothing changed.

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// addedFile is the configuration file of what scenarios add (resources and
// data sources). It
// is not an override file: what it holds is new.
const addedFile = "scenario_added.tf.json"

// resourceRef finds the managed resources an expression names:
// "aws_s3_bucket.logs_1A2B3C4D" in "${aws_s3_bucket.logs_1A2B3C4D.arn}",
// not "data.aws_partition.p".
var resourceRef = regexp.MustCompile(`(^|[^A-Za-z0-9_.\-])(aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)`)

// references lists the resource addresses the interpolations of v name.
// Plain strings (depends_on, names) are not references.
func references(v any) []string {
	var out []string
	walkStrings(v, func(s string) {
		for _, expr := range interpolations(s) {
			for _, m := range resourceRef.FindAllStringSubmatch(expr, -1) {
				out = append(out, m[2])
			}
		}
	})
	slices.Sort(out)
	return slices.Compact(out)
}

// walkStrings calls f on every string in v, outside cdktf's "//" metadata.
func walkStrings(v any, f func(string)) {
	switch t := v.(type) {
	case string:
		f(t)
	case []any:
		for _, e := range t {
			walkStrings(e, f)
		}
	case map[string]any:
		for k, e := range t {
			if k != "//" {
				walkStrings(e, f)
			}
		}
	}
}

// segment is a piece of a Terraform template: literal text, or the
// expression of one "${…}" sequence.
type segment struct {
	text string
	expr bool
}

// splitTemplate cuts a Terraform template into literal text and the
// expressions of its "${…}" sequences, braces inside them balanced.
func splitTemplate(s string) []segment {
	var out []segment
	last := 0
	for i := 0; i < len(s); i++ {
		if !strings.HasPrefix(s[i:], "${") {
			continue
		}
		depth, j := 0, i+1
		for ; j < len(s); j++ {
			if s[j] == '{' {
				depth++
			} else if s[j] == '}' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if j >= len(s) {
			break
		}
		if i > last {
			out = append(out, segment{text: s[last:i]})
		}
		out = append(out, segment{text: s[i+2 : j], expr: true})
		last = j + 1
		i = j
	}
	if last < len(s) {
		out = append(out, segment{text: s[last:]})
	}
	return out
}

// interpolations returns the expressions of a template's "${…}" sequences.
func interpolations(s string) []string {
	var out []string
	for _, seg := range splitTemplate(s) {
		if seg.expr {
			out = append(out, seg.text)
		}
	}
	return out
}

// mapInterpolations rewrites the expression of each "${…}" sequence of s.
func mapInterpolations(s string, f func(expr string) string) string {
	var b strings.Builder
	for _, seg := range splitTemplate(s) {
		if seg.expr {
			b.WriteString("${" + f(seg.text) + "}")
		} else {
			b.WriteString(seg.text)
		}
	}
	return b.String()
}

// indexRefs rewrites references to the counted resources in v: "R.attr"
// becomes "R[0].attr" (a resource with count is a list of instances).
// wrap, when set, also wraps each rewritten interpolation (an output must
// still evaluate in the run that removes R). It returns v unchanged when
// nothing refers to them.
func indexRefs(v any, counted map[string]bool, wrap func(string) string) (any, bool) {
	changed := false
	var walk func(v any) any
	walk = func(v any) any {
		switch t := v.(type) {
		case string:
			return mapInterpolations(t, func(expr string) string {
				hit := false
				out := resourceRef.ReplaceAllStringFunc(expr, func(m string) string {
					sub := resourceRef.FindStringSubmatch(m)
					if !counted[sub[2]] {
						return m
					}
					hit = true
					return sub[1] + sub[2] + "[0]"
				})
				if !hit {
					return expr
				}
				changed = true
				if wrap != nil {
					return wrap(out)
				}
				return out
			})
		case []any:
			out := make([]any, len(t))
			for i, e := range t {
				out[i] = walk(e)
			}
			return out
		case map[string]any:
			out := make(map[string]any, len(t))
			for k, e := range t {
				out[k] = walk(e)
			}
			return out
		}
		return v
	}
	out := walk(v)
	if !changed {
		return v, false
	}
	return out, true
}

// countExpr is "1 in these runs, 0 in the others" (or the reverse).
func countExpr(runs []string, in, out int) string {
	quoted := make([]string, len(runs))
	for i, r := range runs {
		quoted[i] = fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf("${contains([%s], var.scenario) ? %d : %d}", strings.Join(quoted, ", "), in, out)
}

// plantRemovals gives each resource a scenario removes its count, indexes
// every reference to it, keeps the outputs that name it evaluable in the
// runs without it, and refuses a removal that leaves a resource referring
// to what is gone. set writes one argument of the resource override file;
// current returns what that file already holds for an argument.
func plantRemovals(stack map[string]any, scenarios []Scenario, set func(typ, name, arg string, v any), current func(typ, name, arg string) (any, bool)) (map[string]any, error) {
	resources, _ := stack["resource"].(map[string]any)
	removedBy := map[string][]string{}
	for _, sc := range scenarios {
		for _, addr := range sc.Remove {
			typ, name, _ := strings.Cut(addr, ".")
			named, _ := resources[typ].(map[string]any)
			if _, found := named[name]; !found {
				return nil, fmt.Errorf("scenario %s: Remove: no resource %s in the stack", sc.Name, addr)
			}
			if _, planted := sc.Override[addr]; planted {
				return nil, fmt.Errorf("scenario %s: %s is both overridden and removed", sc.Name, addr)
			}
			removedBy[addr] = append(removedBy[addr], sc.Name)
		}
	}
	if len(removedBy) == 0 {
		return nil, nil
	}
	// In each run, nothing that stays may refer to what that run removes.
	for _, sc := range scenarios {
		gone := map[string]bool{}
		for _, a := range sc.Remove {
			gone[a] = true
		}
		for _, typ := range sortedKeys(resources) {
			named, _ := resources[typ].(map[string]any)
			for _, name := range sortedKeys(named) {
				addr := typ + "." + name
				if gone[addr] {
					continue
				}
				for _, ref := range references(named[name]) {
					if gone[ref] {
						return nil, fmt.Errorf("scenario %s removes %s, which %s refers to: remove %s too", sc.Name, ref, addr, addr)
					}
				}
			}
		}
		data, _ := stack["data"].(map[string]any)
		for _, typ := range sortedKeys(data) {
			named, _ := data[typ].(map[string]any)
			for _, name := range sortedKeys(named) {
				for _, ref := range references(named[name]) {
					if gone[ref] {
						return nil, fmt.Errorf("scenario %s removes %s, which data.%s.%s refers to: a data source cannot be removed with it", sc.Name, ref, typ, name)
					}
				}
			}
		}
	}
	counted := map[string]bool{}
	for addr, runs := range removedBy {
		counted[addr] = true
		typ, name, _ := strings.Cut(addr, ".")
		slices.Sort(runs)
		set(typ, name, "count", countExpr(slices.Compact(runs), 0, 1))
	}
	for _, typ := range sortedKeys(resources) {
		named, _ := resources[typ].(map[string]any)
		for _, name := range sortedKeys(named) {
			r, _ := named[name].(map[string]any)
			for _, arg := range sortedKeys(r) {
				switch arg {
				case "//", "count", "for_each", "lifecycle", "depends_on", "provider":
					continue
				}
				v, ok := current(typ, name, arg)
				if !ok {
					v = r[arg]
				}
				if nv, changed := indexRefs(v, counted, nil); changed {
					set(typ, name, arg, nv)
				}
			}
		}
	}
	// Outputs: null (or "") in a run without the resource.
	outputs := map[string]any{}
	declared, _ := stack["output"].(map[string]any)
	for _, name := range sortedKeys(declared) {
		o, _ := declared[name].(map[string]any)
		whole, _ := o["value"].(string)
		wrap := func(expr string) string { return "try(" + expr + ", \"\")" }
		if len(interpolations(whole)) == 1 && strings.HasPrefix(whole, "${") && strings.HasSuffix(whole, "}") {
			wrap = func(expr string) string { return "try(" + expr + ", null)" }
		}
		if nv, changed := indexRefs(o["value"], counted, wrap); changed {
			outputs[name] = map[string]any{"value": nv}
		}
	}
	return outputs, nil
}

// fillDefaults writes a provider default into a copy of a nested block
// value (a block or a list of them): path is the attribute below the
// block ("redirect.host" below default_action), set on every element where
// it is not given.
func fillDefaults(v any, path []string, value any) any {
	switch t := v.(type) {
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = fillDefaults(e, path, value)
		}
		return out
	case map[string]any:
		out := maps.Clone(t)
		if len(path) == 1 {
			if _, given := out[path[0]]; !given {
				out[path[0]] = value
			}
			return out
		}
		if inner, ok := out[path[0]]; ok {
			out[path[0]] = fillDefaults(inner, path[1:], value)
		}
		return out
	}
	return v
}

// deployedOverrides are the override_resource blocks of the mock
// deployment: each resource gets the tags_all the real provider computes
// (its provider's default_tags merged with its own tags; provider
// internal/tags, and the resources' tags_all attribute), so that the plans
// that follow do not show every tagged resource changing, and the values
// extra gives its address (HCL attribute lines; default: none). A mock
// ignores a value for an attribute its type does not have. Resources in
// skip (the certificates, created by an earlier run) are left out.
func deployedOverrides(stack map[string]any, skip map[string]bool, extra map[string]string) string {
	var b strings.Builder
	resources, _ := stack["resource"].(map[string]any)
	for _, typ := range sortedKeys(resources) {
		named, _ := resources[typ].(map[string]any)
		for _, name := range sortedKeys(named) {
			addr := typ + "." + name
			if skip[addr] {
				continue
			}
			var values string
			if tags := tagsAll(stack, named[name]); tags != "" {
				values += "\n      tags_all = " + tags
			}
			if x := extra[addr]; x != "" {
				values += "\n      " + strings.TrimSpace(x)
			}
			if values == "" {
				continue
			}
			// An override_resource replaces the mock_resource defaults of
			// its type: they are repeated here, their ARNs in the region of
			// the resource's provider.
			defaults := withoutKeys(mockResourceDefaults[typ], extra[addr])
			if region := providerRegion(stack, named[name]); region != "" {
				defaults = strings.ReplaceAll(defaults, ":"+mockRegion+":", ":"+region+":")
			}
			fmt.Fprintf(&b, "  override_resource {\n    target = %s\n    values = {%s%s\n    }\n  }\n", addr, defaults, values)
		}
	}
	return b.String()
}

// withoutKeys returns the lines of defaults ("key = value" each) whose
// key extra does not set: an override_resource's values name a key once.
func withoutKeys(defaults, extra string) string {
	set := map[string]bool{}
	for _, line := range strings.Split(extra, "\n") {
		if k, _, ok := strings.Cut(line, "="); ok {
			set[strings.TrimSpace(k)] = true
		}
	}
	var kept []string
	for _, line := range strings.Split(defaults, "\n") {
		if k, _, ok := strings.Cut(line, "="); ok && set[strings.TrimSpace(k)] {
			continue
		}
		kept = append(kept, line)
	}
	return strings.Join(kept, "\n")
}

// mockRegion is the region of the ARNs in mockResourceDefaults.
const mockRegion = "eu-central-1"

// providerConfig returns the provider configuration a resource uses (its
// "provider" alias, or the default one).
func providerConfig(stack map[string]any, resource any) map[string]any {
	r, _ := resource.(map[string]any)
	alias := ""
	if p, ok := r["provider"].(string); ok {
		_, alias, _ = strings.Cut(p, ".")
	}
	providers, _ := stack["provider"].(map[string]any)
	configs, _ := providers["aws"].([]any)
	for _, c := range configs {
		cfg, _ := c.(map[string]any)
		if a, _ := cfg["alias"].(string); a == alias {
			return cfg
		}
	}
	return nil
}

// providerRegion is the region of a resource's provider ("" when unknown).
func providerRegion(stack map[string]any, resource any) string {
	region, _ := providerConfig(stack, resource)["region"].(string)
	return region
}

// tagsAll is a resource's tags_all as an HCL object, or "" when a tag is
// an expression the harness cannot resolve before Terraform runs.
func tagsAll(stack map[string]any, resource any) string {
	r, _ := resource.(map[string]any)
	tags := map[string]string{}
	dts, _ := providerConfig(stack, resource)["default_tags"].([]any)
	for _, dt := range dts {
		m, _ := dt.(map[string]any)["tags"].(map[string]any)
		for k, v := range m {
			tags[k] = fmt.Sprint(v)
		}
	}
	own, _ := r["tags"].(map[string]any)
	for k, v := range own {
		s := fmt.Sprint(v)
		resolved, ok := resolveData(s)
		if !ok {
			return ""
		}
		tags[k] = resolved
	}
	if len(tags) == 0 {
		return ""
	}
	var parts []string
	for _, k := range sortedKeys(tags) {
		parts = append(parts, fmt.Sprintf("%q = %q", k, tags[k]))
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// fixtureString finds `attr = "value"` in an HCL fixture.
var fixtureString = regexp.MustCompile(`(?m)^\s*([a-z_]+)\s*=\s*"([^"]*)"\s*$`)

// dataRef is a whole-attribute reference to a data source.
var dataRef = regexp.MustCompile(`^data\.([a-z0-9_]+)\.[A-Za-z0-9_-]+\.([a-z_]+)$`)

// resolveData replaces each interpolation of s that reads a data
// source's string attribute by its fixture's value (dataFixtures); ok is
// false when an interpolation is anything else.
func resolveData(s string) (string, bool) {
	var b strings.Builder
	for _, seg := range splitTemplate(s) {
		if !seg.expr {
			b.WriteString(seg.text)
			continue
		}
		m := dataRef.FindStringSubmatch(strings.TrimSpace(seg.text))
		if m == nil {
			return "", false
		}
		found := false
		for _, f := range fixtureString.FindAllStringSubmatch(dataFixtures[m[1]], -1) {
			if f[1] == m[2] {
				b.WriteString(f[2])
				found = true
				break
			}
		}
		if !found {
			return "", false
		}
	}
	return b.String(), true
}

// unwrittenPaths are the ignore_changes paths ("block[0].attribute") of
// the listed nested attributes ("block.attribute") a resource leaves out,
// and the listed blocks ("block") it has.
func unwrittenPaths(attrs map[string]any, nested []string) []any {
	var out []any
	for _, n := range nested {
		block, attr, one := strings.Cut(n, ".")
		if !one {
			if _, present := attrs[block]; present {
				out = append(out, block)
			}
			continue
		}
		var elems []any
		switch v := attrs[block].(type) {
		case []any:
			elems = v
		case map[string]any:
			elems = []any{v}
		}
		for i, e := range elems {
			if m, ok := e.(map[string]any); ok {
				if _, given := m[attr]; !given {
					out = append(out, fmt.Sprintf("%s[%d].%s", block, i, attr))
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	return out
}
