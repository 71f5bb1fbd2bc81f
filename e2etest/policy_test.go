package e2etest

import (
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/controls"
	"github.com/influencegen/infrastructure/internal/synth"
)

// TestPolicySuite: every control passes on every real stack (production's
// protections apply to the reference environment). What each control
// rejects is proven in internal/controls, on small stacks beside it where
// that control alone fails.
func TestPolicySuite(t *testing.T) {
	kinds := map[string]environments.Kind{}
	for _, e := range envs {
		kinds[e.StackName()] = e.Kind
	}
	for _, name := range platform.StackNames(envs) {
		t.Run(name, func(t *testing.T) {
			s, ok := stacks[name]
			if !ok {
				t.Fatalf("no stack %s", name)
			}
			for id, findings := range controls.Run(s, kinds[name] == environments.Reference) {
				t.Errorf("%s: %d finding(s):\n  %s", id, len(findings), strings.Join(findings, "\n  "))
			}
		})
	}
}

// TestNoDuplicatePhysicalNames: the stacks of one account never claim the
// same name twice, and the check catches a stack deployed twice under
// another stack name.
func TestNoDuplicatePhysicalNames(t *testing.T) {
	real := map[string]synth.Stack{}
	for _, name := range platform.StackNames(envs) {
		real[name] = stacks[name]
	}
	if d := controls.DuplicateNames(real); len(d) != 0 {
		t.Errorf("duplicate physical names:\n  %s", strings.Join(d, "\n  "))
	}
	real["staging-copy-stack"] = stacks["staging-stack"]
	d := controls.DuplicateNames(real)
	if len(d) < 50 || !strings.Contains(strings.Join(d, "\n"), `aws_s3_bucket "`) {
		t.Errorf("a second copy of staging collides on only %d names:\n%s", len(d), strings.Join(d, "\n"))
	}
}
