// Package jsondiff lists the paths where two parsed JSON documents differ.
package jsondiff

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Difference is one JSON path where two stacks differ. A side that lacks
// the path is Absent.
type Difference struct {
	Path        string
	Left, Right string
}

// Absent marks a side of a Difference that has no value at the path.
const Absent = "(absent)"

// Diff lists every path where a and b differ, sorted.
func Diff(a, b any) []Difference {
	var out []Difference
	diff("", a, b, &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func diff(path string, a, b any, out *[]Difference) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			av, ain := am[k]
			bv, bin := bm[k]
			p := join(path, k)
			switch {
			case !ain:
				*out = append(*out, Difference{p, Absent, short(bv)})
			case !bin:
				*out = append(*out, Difference{p, short(av), Absent})
			default:
				diff(p, av, bv, out)
			}
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && len(al) == len(bl) {
		for i := range al {
			diff(fmt.Sprintf("%s[%d]", path, i), al[i], bl[i], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, Difference{path, short(a), short(b)})
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func short(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // ">= 1.10", not "\u003e= 1.10"
	_ = enc.Encode(v)
	s := strings.TrimSuffix(b.String(), "\n")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}
