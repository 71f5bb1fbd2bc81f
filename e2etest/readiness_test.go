package e2etest

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/constructs/platform"
)

// TestReviewTableCoversEveryType: docs/deploy-readiness.md reviews every
// resource and data-source type the stacks use, so a new type cannot ship
// unreviewed.
func TestReviewTableCoversEveryType(t *testing.T) {
	b, err := os.ReadFile(repoFile("docs/deploy-readiness.md"))
	if err != nil {
		t.Fatal(err)
	}
	reviewed := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		first := strings.Trim(strings.SplitN(strings.TrimPrefix(line, "| "), "|", 2)[0], " `")
		for _, f := range strings.FieldsFunc(first, func(r rune) bool { return r == ',' || r == ' ' || r == '`' || r == '(' || r == ')' }) {
			reviewed[strings.TrimPrefix(f, "data.")] = true
		}
	}
	var missing []string
	for _, name := range platform.StackNames(envs) {
		s := stacks[name]
		for _, kind := range []string{"resource", "data"} {
			byType, _ := s[kind].(map[string]any)
			for typ := range byType {
				if !reviewed[typ] {
					missing = append(missing, kind+" "+typ)
				}
			}
		}
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	if len(missing) > 0 {
		t.Errorf("docs/deploy-readiness.md has no review row for:\n  %s", strings.Join(missing, "\n  "))
	}
}
