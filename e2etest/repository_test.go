package e2etest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
