package parity

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/influencegen/infrastructure/environments"
)

// The second half of the proof. The probe comparison shows that every
// difference between staging and production is *caused* by Scale; it cannot
// show that Scale changes only how much and how long, because a construct
// that derived a *what* (an instance type, an engine version, a TLS policy)
// from a count or a flag would change the probe exactly as it changes
// staging. So this half compares staging with production itself:
//
//   - every resource and data source of staging must have the same form as a
//     resource of production that comes from the same construct, where
//     "form" is every argument except the Scale arguments of
//     environments.ScaleKeys, after identity is normalised, and where copies
//     made by a count (server-1, server-2, nat-1 …) are one construct;
//   - every resource and data-source type of production exists in staging:
//     a count may remove copies, never a whole kind of thing;
//   - except the constructs a Scale field adds when it is set
//     (ScaleKey.Constructs: the off-hours schedules, the backup copy, the
//     vault lock): they may exist on one side only.
//
// Staging may have fewer copies, and fewer elements in a document that
// lists them (a dashboard lists every server), but nothing production does
// not have.

// WhatViolation is a *what* of the environment that the reference does not
// have.
type WhatViolation struct {
	// Address is "<kind>.<type>.<logical name>" in the environment's stack,
	// or "<kind>.<type>" for a type the environment lacks.
	Address string
	// Attribute is the argument path ("" when the whole resource or type is
	// missing).
	Attribute string
	// Env is the environment's value; Ref the reference's values at the
	// same path on the nearest resource of the same construct.
	Env, Ref string
}

// indexRE finds the copy index in a construct ID ("server-2", "nat-1-eip").
var indexRE = regexp.MustCompile(`-[0-9]+(-|$)`)

// hashRE is the suffix cdktf appends to logical names.
var hashRE = regexp.MustCompile(`_[0-9A-F]{8}$`)

// refRE finds references to other resources and data sources.
var refRE = regexp.MustCompile(`\b((?:data\.)?aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+_[0-9A-F]{8})\b`)

// construct maps a logical name to its construct, copies folded together:
// "odoo_servers_server-2_80CB6A7D" → "odoo_servers_server-#".
func construct(logical string) string {
	base := hashRE.ReplaceAllString(logical, "")
	for indexRE.MatchString(base) {
		base = indexRE.ReplaceAllString(base, "-#$1")
	}
	return base
}

// foldRefs rewrites every reference in a string to its construct, so a
// route to nat-2 and a route to nat-1 have the same form.
func foldRefs(s string) string {
	return refRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := refRE.FindStringSubmatch(m)
		return sub[1] + "." + construct(sub[2])
	})
}

// leaves flattens a value into argument paths and the set of values at
// each: list indices are left out (a list is a set of forms), JSON
// documents inside strings (policies, dashboards, WAF rules) are opened.
func leaves(prefix string, v any, out map[string]map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			add(out, prefix, "{}")
		}
		for k, val := range t {
			if k == "//" {
				continue // cdktf metadata
			}
			leaves(join(prefix, k), val, out)
		}
	case []any:
		if len(t) == 0 {
			add(out, prefix, "[]")
		}
		for _, val := range t {
			leaves(prefix, val, out)
		}
	case string:
		s := strings.TrimSpace(t)
		if (strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")) && !strings.HasPrefix(s, "${") {
			var doc any
			if json.Unmarshal([]byte(s), &doc) == nil {
				leaves(prefix+"<json>", doc, out)
				return
			}
		}
		add(out, prefix, foldRefs(t))
	default:
		b, _ := json.Marshal(t)
		add(out, prefix, string(b))
	}
}

func add(m map[string]map[string]bool, path, value string) {
	if m[path] == nil {
		m[path] = map[string]bool{}
	}
	m[path][value] = true
}

// scaleArgument reports whether a path of a resource type is one of the
// Scale arguments (or nested under one).
func scaleArgument(scale map[string]string, typ, path string) bool {
	p := strings.ReplaceAll(path, "<json>", "")
	for {
		if _, ok := scale[typ+"."+p]; ok {
			return true
		}
		if _, ok := scale["*."+p]; ok {
			return true
		}
		i := strings.LastIndex(p, ".")
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}

// block is one resource or data source, flattened.
type block struct {
	kind, typ, name string
	form            map[string]map[string]bool
}

// blocks flattens every resource and data source of a normalised stack.
func blocks(stack any) []block {
	var out []block
	top, _ := stack.(map[string]any)
	for _, kind := range []string{"resource", "data"} {
		byType, _ := top[kind].(map[string]any)
		for typ, rs := range byType {
			named, _ := rs.(map[string]any)
			for name, r := range named {
				form := map[string]map[string]bool{}
				leaves("", r, form)
				out = append(out, block{kind: kind, typ: typ, name: name, form: form})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.kind+a.typ+a.name < b.kind+b.typ+b.name
	})
	return out
}

// mismatches lists the paths where env has a value ref does not, leaving
// out Scale arguments.
func mismatches(scale map[string]string, typ string, env, ref map[string]map[string]bool) []string {
	var out []string
	for path, values := range env {
		if scaleArgument(scale, typ, path) {
			continue
		}
		for v := range values {
			if !ref[path][v] {
				out = append(out, path)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// CheckWhat is the second half of the proof: every *what* of env's stack
// must appear, in the same form, in ref's stack.
func CheckWhat(env, ref environments.ParityConfig, envStack, refStack map[string]any) []WhatViolation {
	scale := environments.ScaleAttributes()
	adds := environments.ScaleConstructs()
	envBlocks := blocks(Normalise(envStack, env))
	refBlocks := blocks(Normalise(refStack, ref))
	byConstruct := map[string][]block{}
	refTypes := map[string]bool{}
	for _, b := range refBlocks {
		byConstruct[b.kind+"."+b.typ+"."+construct(b.name)] = append(byConstruct[b.kind+"."+b.typ+"."+construct(b.name)], b)
		// A type only a Scale field's constructs have (a vault lock) may
		// be missing from an environment without that field set.
		if scaleConstruct(adds, b.name) == "" {
			refTypes[b.kind+"."+b.typ] = true
		}
	}
	envTypes := map[string]bool{}
	var out []WhatViolation
	for _, e := range envBlocks {
		envTypes[e.kind+"."+e.typ] = true
		addr := e.kind + "." + e.typ + "." + e.name
		candidates := byConstruct[e.kind+"."+e.typ+"."+construct(e.name)]
		if len(candidates) == 0 {
			if field := scaleConstruct(adds, e.name); field == "" {
				out = append(out, WhatViolation{Address: addr, Env: "exists", Ref: "no resource of this construct"})
			}
			continue
		}
		// The same copy first (server-1 with server-1), then the others.
		sort.SliceStable(candidates, func(i, j int) bool { return candidates[i].name == e.name && candidates[j].name != e.name })
		var best []string
		var nearest block
		matched := false
		for n, c := range candidates {
			m := mismatches(scale, e.typ, e.form, c.form)
			if len(m) == 0 {
				matched = true
				break
			}
			if n == 0 || len(m) < len(best) {
				best, nearest = m, c
			}
		}
		if matched {
			continue
		}
		for _, path := range best {
			out = append(out, WhatViolation{
				Address: addr, Attribute: strings.ReplaceAll(path, "<json>", " (document) "),
				Env: values(e.form[path]), Ref: values(nearest.form[path]),
			})
		}
	}
	var missing []string
	for t := range refTypes {
		if !envTypes[t] {
			missing = append(missing, t)
		}
	}
	sort.Strings(missing)
	for _, t := range missing {
		out = append(out, WhatViolation{Address: t, Env: "none", Ref: "present"})
	}
	return out
}

// scaleConstruct returns the Scale field whose construct a logical name
// belongs to (environments.ScaleKeys Constructs), or "".
func scaleConstruct(adds map[string]string, logical string) string {
	for prefix, field := range adds {
		if strings.HasPrefix(logical, prefix) {
			return field
		}
	}
	return ""
}

func values(set map[string]bool) string {
	if len(set) == 0 {
		return Absent
	}
	var vs []string
	for v := range set {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	s := strings.Join(vs, " | ")
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}

// Absent marks a path a side does not have.
const Absent = "(absent)"

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// String renders a violation on one line.
func (v WhatViolation) String() string {
	if v.Attribute == "" {
		return fmt.Sprintf("%s: %s here, %s in the reference", v.Address, v.Env, v.Ref)
	}
	return fmt.Sprintf("%s %s: %s here, %s in the reference", v.Address, v.Attribute, v.Env, v.Ref)
}
