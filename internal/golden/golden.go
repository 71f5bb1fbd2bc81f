// Package golden compares test output with golden files under testdata/,
// as the Go standard library does: `go test ./... -update` rewrites them,
// and logs a summary of what changed in each (by resource type and
// argument, with the IAM actions gained and lost; `-v` shows it).
//
// Every test package imports this package (blank, if it has no golden
// files) so that `-update` is a known flag in every test binary.
package golden

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/internal/jsondiff"
)

// Update rewrites golden files instead of comparing with them.
var Update = flag.Bool("update", false, "rewrite golden files under testdata/")

// JSON compares value, rendered as indented JSON with sorted keys, with the
// golden file at path. A mismatch lists every differing JSON path.
func JSON(t *testing.T, path string, value any) {
	t.Helper()
	got, err := json.MarshalIndent(value, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *Update {
		if old, err := os.ReadFile(path); err == nil && string(old) != string(got) {
			logSummary(t, path, old, got)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v\nrun `go test ./... -update` to create it", err)
	}
	if string(want) == string(got) {
		return
	}
	var w any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var g any
	_ = json.Unmarshal(got, &g)
	diffs := jsondiff.Diff(g, w)
	var b strings.Builder
	for i, d := range diffs {
		if i == 40 {
			fmt.Fprintf(&b, "  … and %d more\n", len(diffs)-40)
			break
		}
		fmt.Fprintf(&b, "  %s\n    got:  %s\n    want: %s\n", d.Path, d.Left, d.Right)
	}
	t.Errorf("%s is out of date (%d difference(s)):\n%s\nIf the change is intended, run `go test ./... -update` and review the diff.", path, len(diffs), b.String())
}

// logSummary logs what an update changes in a golden stack, by resource
// type and argument (jsondiff.Summary): what a reviewer reads before the
// line-by-line diff. `go test -update -v` (or `make snapshots`) shows it.
func logSummary(t *testing.T, path string, old, new []byte) {
	t.Helper()
	var o, n map[string]any
	if json.Unmarshal(old, &o) != nil || json.Unmarshal(new, &n) != nil {
		return // not an object: nothing to summarise
	}
	lines := jsondiff.Summary(o, n)
	if len(lines) == 0 {
		return
	}
	t.Logf("%s changes:\n  %s", path, strings.Join(lines, "\n  "))
}
