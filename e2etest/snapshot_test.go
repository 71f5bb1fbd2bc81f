package e2etest

import (
	"path/filepath"
	"testing"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/internal/golden"
)

// TestSnapshots compares every stack's synthesized JSON with its golden file
// under testdata/. `go test ./... -update` rewrites them.
func TestSnapshots(t *testing.T) {
	for _, name := range platform.StackNames(envs) {
		t.Run(name, func(t *testing.T) {
			s, ok := stacks[name]
			if !ok {
				t.Fatalf("stack %s was not synthesized", name)
			}
			golden.JSON(t, filepath.Join("testdata", name+".json"), s)
		})
	}
}
