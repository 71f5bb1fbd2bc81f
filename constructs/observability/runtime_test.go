package observability

import (
	"testing"

	"github.com/influencegen/infrastructure/internal/jsiiruntime"
)

// TestMain closes the jsii runtime the tests start.
func TestMain(m *testing.M) { jsiiruntime.RunTests(m) }
