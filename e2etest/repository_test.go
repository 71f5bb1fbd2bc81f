package e2etest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// maxTrackedBytes is the largest file the repository tracks outside a
// testdata/ directory: anything bigger is an artifact (a profiler log, a
// binary, a plan) that slipped into a commit.
const maxTrackedBytes = 500 * 1024

// oversized returns the files of a listing (path → size) that are larger
// than maxTrackedBytes and not under a testdata/ directory.
func oversized(files map[string]int64) []string {
	var out []string
	for path, size := range files {
		if size > maxTrackedBytes && !slices.Contains(strings.Split(filepath.ToSlash(path), "/"), "testdata") {
			out = append(out, fmt.Sprintf("%s (%d kB)", path, size/1024))
		}
	}
	slices.Sort(out)
	return out
}

// TestNoStrayFiles: no tracked file over 500 kB outside testdata/, checked
// on the files git tracks; a planted profiler log is caught.
func TestNoStrayFiles(t *testing.T) {
	out, err := exec.Command("git", "-C", repoFile(), "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v (the test reads the files git tracks: run it in a checkout)", err)
	}
	files := map[string]int64{}
	for _, p := range bytes.Split(bytes.TrimRight(out, "\x00"), []byte{0}) {
		fi, err := os.Lstat(repoFile(string(p)))
		if err != nil {
			continue // deleted in the working tree, not yet committed
		}
		files[string(p)] = fi.Size()
	}
	if len(files) < 100 {
		t.Fatalf("git lists %d files: not this repository", len(files))
	}
	if big := oversized(files); len(big) > 0 {
		t.Errorf("tracked files over %d kB outside testdata/ (artifacts? add them to .gitignore and git rm them): %v", maxTrackedBytes/1024, big)
	}
	planted := map[string]int64{"isolate-0x1-v8.log": 1900 * 1024, "e2etest/testdata/production-stack.json": 900 * 1024, "main.go": 10 * 1024}
	if got := oversized(planted); len(got) != 1 || !strings.HasPrefix(got[0], "isolate-0x1-v8.log") {
		t.Errorf("planted: oversized = %v, want only the profiler log", got)
	}
}

// specReference is how a comment or a document cites the project's own
// history instead of saying the thing: an issue or seed and its number.
var specReference = regexp.MustCompile(`(?i)\b(issues?|seed)\s+#?[0-9]+\b`)

// TestWordsSayTheThing: no tracked source or document cites an issue
// number or the specification it came from; a comment says what the code
// does and why. A planted reference is caught.
func TestWordsSayTheThing(t *testing.T) {
	out, err := exec.Command("git", "-C", repoFile(), "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, p := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if strings.Contains(p, "testdata/") || strings.HasSuffix(p, ".json") || p == "package-lock.json" {
			continue
		}
		b, err := os.ReadFile(repoFile(p))
		if err != nil {
			continue
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := specReference.FindString(line); m != "" && !strings.Contains(line, "specReference") {
				t.Errorf("%s:%d cites %q: say what the code does and why instead", p, i+1, m)
			}
		}
	}
	if specReference.FindString("// This is "+"issue 13's acceptance.") == "" || specReference.FindString("as "+"seed 003 demands") == "" {
		t.Error("planted references are not caught")
	}
}
