//go:build iam

package e2etest

import (
	"testing"

	"github.com/influencegen/infrastructure/internal/iam"
)

// TestIAMProviderCalls (the IAM tier, `make iam`): the deploy role can make
// every call hashicorp/aws makes to create, read, update and delete every
// resource of its environment's stack, with the dependent actions the IAM
// service authorization reference lists behind each, and the plan role
// every read a refresh makes. Unmapped resource types fail in Jobs.
func TestIAMProviderCalls(t *testing.T) {
	decisions := evaluateKinds(t, iam.KindProvider)
	if len(decisions) < 1000 {
		t.Errorf("only %d provider calls evaluated: ProviderCalls lost its rows", len(decisions))
	}
}
