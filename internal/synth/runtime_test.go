package synth

import (
	"os"
	"testing"
)

// TestMain closes the jsii runtime the tests started (CloseRuntime), so
// that neither its Node.js process nor its jsii-runtime.* directory in
// TMPDIR outlives the test binary.
func TestMain(m *testing.M) {
	code := m.Run()
	CloseRuntime()
	os.Exit(code)
}
