package controls

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/internal/stack"
)

// goldenStacks are the synthesized stacks the whole-app suite keeps as
// golden files: what cdktf really writes.
const goldenStacks = "../../e2etest/testdata/*.json"

// handShaped are the resource types the fixtures use that no real stack
// has, so their shapes follow the provider's schema (hashicorp/aws 5.100.0)
// and cdktf's rule, seen on the other types: a block of at most one is an
// object, a repeatable block a list.
var handShaped = map[string]string{
	"aws_launch_template":     "IG-IMDS reads launch templates; the platform runs instances",
	"aws_rds_cluster":         "IG-RDS-CMK reads Aurora clusters; the platform runs RDS instances",
	"aws_security_group_rule": "IG-INGRESS refuses the legacy rule resource the constructs never write",
	"aws_mq_broker":           "a sensitive argument inside a repeatable block (user.password)",
	"aws_iam_user_policy":     "IG-IAM-LEAST-PRIVILEGE reads user policies; the platform has no IAM users",
	"aws_iam_group_policy":    "IG-IAM-LEAST-PRIVILEGE reads group policies; the platform has no IAM groups",
}

// shapeOf records the JSON kind of every node under a path: "object",
// "list", "string", "number" or "bool". List elements share the path
// "<path>[]".
func shapeOf(v any, path string, into map[string]map[string]bool) {
	kind := ""
	switch t := v.(type) {
	case map[string]any:
		kind = "object"
		for k, x := range t {
			shapeOf(x, path+"."+k, into)
		}
	case []any:
		kind = "list"
		for _, x := range t {
			shapeOf(x, path+"[]", into)
		}
	case string:
		kind = "string"
	case float64:
		kind = "number"
	case bool:
		kind = "bool"
	default:
		return // null: any argument may be unset
	}
	if into[path] == nil {
		into[path] = map[string]bool{}
	}
	into[path][kind] = true
}

// shapes records the kinds of a stack's provider and resource arguments,
// by "type.argument.path" ("provider.aws[]..." for the provider).
func shapes(s stack.Stack, into map[string]map[string]bool) {
	shapeOf(s["provider"], "provider", into)
	for _, typ := range s.ResourceTypes() {
		for _, attrs := range s.Resources(typ) {
			delete(attrs, "//") // cdktf's metadata
			shapeOf(attrs, typ, into)
		}
	}
}

// TestFixturesHaveCdktfShapes: every argument a fixture writes that a real
// stack also has is of the kind cdktf writes there (an object, not a list;
// the string "true", not true), so the controls read the fixtures as they
// read a synthesized stack. Types no real stack has are listed, with why,
// in handShaped.
func TestFixturesHaveCdktfShapes(t *testing.T) {
	files, err := filepath.Glob(goldenStacks)
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden stacks at %s (%v): they are the source of the fixtures' shapes", goldenStacks, err)
	}
	golden := map[string]map[string]bool{}
	goldenTypes := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var s stack.Stack
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		shapes(s, golden)
		for _, typ := range s.ResourceTypes() {
			goldenTypes[typ] = true
		}
	}
	checked, unknown, wrong := 0, map[string]bool{}, map[string]string{}
	for _, family := range families {
		for id, fixtures := range family {
			for _, f := range fixtures {
				s := build(f.shared, f.parts)
				for _, e := range f.edits {
					if err := e(s); err != nil {
						t.Errorf("%s/%s: %v", id, f.name, err)
					}
				}
				for _, typ := range s.ResourceTypes() {
					if !goldenTypes[typ] {
						unknown[typ] = true
					}
				}
				mine := map[string]map[string]bool{}
				shapes(s, mine)
				for path, kinds := range mine {
					want, ok := golden[path]
					if !ok {
						continue
					}
					checked++
					for k := range kinds {
						if !want[k] && wrong[path] == "" {
							wrong[path] = fmt.Sprintf("%s is %s where cdktf writes %s (first in %s: %s)", path, article(k), article(sortedKeys(want)...), id, f.name)
						}
					}
				}
			}
		}
	}
	for _, path := range sortedKeys(wrong) {
		t.Error(wrong[path])
	}
	for typ := range unknown {
		if handShaped[typ] == "" {
			t.Errorf("fixtures use %s, which no golden stack has: copy its shape from a synthesized stack, or list it in handShaped with why", typ)
		}
	}
	for typ := range handShaped {
		if goldenTypes[typ] {
			t.Errorf("%s is in the golden stacks now: drop it from handShaped", typ)
		}
		if !unknown[typ] {
			t.Errorf("%s is in handShaped but no fixture uses it", typ)
		}
	}
	if checked < 1000 {
		t.Errorf("only %d fixture arguments found in the golden stacks: is the path scheme broken?", checked)
	}
}

// article names JSON kinds: "an object", "a list or a string".
func article(kinds ...string) string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = "a " + k
		if k == "object" {
			out[i] = "an object"
		}
	}
	return strings.Join(out, " or ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
