package observability

import (
	"os"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// TestMain closes the jsii runtime the tests started, so that neither its
// Node.js process nor its jsii-runtime.* directory in TMPDIR outlives the
// test binary (main.go's runAndClose does the same for the app).
func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}
