//go:build iam

package e2etest

import (
	"testing"

	"github.com/influencegen/infrastructure/internal/iam"
)

// TestIAMEveryJob (the IAM tier, `make iam`): every request of every
// environment — the deploy role making every call hashicorp/aws makes to
// create, read, update and delete every resource of its environment's
// stack, with the dependent actions the IAM service authorization
// reference lists behind each; the plan role every read a refresh makes;
// and every environment's backend, server, service and must-not requests,
// of which go test evaluates dev's but the provider calls. Unmapped resource types fail in Jobs.
func TestIAMEveryJob(t *testing.T) {
	decisions := evaluateWhere(t, func(iam.Request) bool { return true })
	count := map[string]int{}
	for _, d := range decisions {
		count[d.Kind]++
	}
	if count[iam.KindProvider] < 3000 {
		t.Errorf("only %d provider calls evaluated: ProviderCalls lost its rows", count[iam.KindProvider])
	}
}
