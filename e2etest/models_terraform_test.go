//go:build terraform

package e2etest

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/internal/plan"
)

// Scale.QuantizationHost switched on in staging, planned with the real
// provider against staging's deployment in the same terraform test: what
// the switch adds (the host's server, role, profile, policy, security
// group and rules, offerings check) is planned by Terraform, and it only
// adds. A plan of the deployment as it is ("as_deployed") is the baseline:
// the mock deployment leaves values a real one would hold (tags_all,
// provider defaults, an event rule's computed arguments) for the real
// provider to plan as updates or replacements, and the switch may add none
// to those.
func init() { scenarioMakers = append(scenarioMakers, quantizationHostOn) }

func quantizationHostOn() map[string][]plan.Scenario {
	return map[string][]plan.Scenario{"staging-stack": {
		{Name: "as_deployed"},
		{Name: "quantization_host_on", Add: quantizerAdditions()},
	}}
}

// TestTerraformQuantizationHostOnlyAdds: the switch's plan creates the
// host's resources, each once, and changes nothing the baseline does not.
func TestTerraformQuantizationHostOnlyAdds(t *testing.T) {
	r := terraformRun(t)["staging-stack"]
	if !r.OK() {
		t.Fatalf("staging-stack: %s", r.Err)
	}
	base, on := planActions(t, r.Plans["as_deployed"]), planActions(t, r.Plans["quantization_host_on"])
	var created []string
	for addr, actions := range on {
		switch {
		case actions == "create" && strings.Contains(addr, "models_quantizer"):
			created = append(created, addr)
		case actions == base[addr]:
		default:
			t.Errorf("%s: %s with the switch on, %q without", addr, actions, base[addr])
		}
	}
	for addr, actions := range base {
		if _, ok := on[addr]; !ok {
			t.Errorf("%s: %s without the switch, nothing with it", addr, actions)
		}
	}
	sort.Strings(created)
	for _, want := range []string{"aws_instance.models_quantizer_server_server-1_", "aws_iam_role.models_quantizer_server_role_", "aws_iam_role_policy.models_quantizer_server_policy_", "aws_security_group.models_quantizer_sg_"} {
		found := false
		for _, c := range created {
			found = found || strings.HasPrefix(c, want)
		}
		if !found {
			t.Errorf("the switch does not create %s…; it creates %v", want, created)
		}
	}
}

// planActions maps each managed resource a plan changes to its actions
// ("create", "update", "delete,create" …); no-ops are left out.
func planActions(t *testing.T, raw json.RawMessage) map[string]string {
	t.Helper()
	var p struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Mode    string `json:"mode"`
			Change  struct {
				Actions []string `json:"actions"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("plan: %v", err)
	}
	out := map[string]string{}
	for _, rc := range p.ResourceChanges {
		if a := strings.Join(rc.Change.Actions, ","); rc.Mode == "managed" && a != "no-op" {
			out[rc.Address] = a
		}
	}
	return out
}
