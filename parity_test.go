package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/internal/parity"
)

// TestParity is the parity proof: staging's synthesized JSON equals
// production rebuilt with staging's Scale, identity aside, so every
// difference between staging and production comes from Scale.
func TestParity(t *testing.T) {
	staging, prod := envStack(t, "staging"), envStack(t, "production")
	r := parity.Check(envs[1], envs[0], probe, staging, prod, stacks[probe.StackName()])
	var out bytes.Buffer
	r.Write(&out)
	if !r.OK() {
		t.Fatalf("staging differs from production outside Scale:\n%s", out.String())
	}
	// The proof is not vacuous: staging does run at a smaller scale.
	if len(r.Differences) == 0 {
		t.Fatal("staging and production are identical: Scale had no effect")
	}
	if !strings.Contains(out.String(), "[scale] resource.aws_nat_gateway.") {
		t.Errorf("expected the NAT gateway count among the scale differences:\n%s", out.String())
	}
}

// TestParityProofCatchesDrift: a staging whose non-scale field was changed
// behind the API's back (here the flow-log traffic type) fails the proof,
// and the report names the resource attribute.
func TestParityProofCatchesDrift(t *testing.T) {
	r := parity.Check(drift, envs[0], probe, stacks[drift.StackName()], envStack(t, "production"), stacks[probe.StackName()])
	if r.OK() {
		t.Fatal("the parity proof accepted a drifted staging")
	}
	var out bytes.Buffer
	r.Write(&out)
	if !strings.Contains(out.String(), "[NOT SCALE] resource.aws_flow_log.") || !strings.Contains(out.String(), "traffic_type") {
		t.Fatalf("report does not name the drifted attribute:\n%s", out.String())
	}
}
