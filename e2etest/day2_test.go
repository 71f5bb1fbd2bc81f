//go:build terraform

package e2etest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/internal/plan"
	"github.com/influencegen/infrastructure/internal/stack"
	"github.com/influencegen/infrastructure/internal/synth"
)

// The AMI roll-out of the runbook (docs/runbooks/patching.md): replace
// every server of production with `-replace`. The same roll-out with the
// model volumes taking their zone from their server (the form before the
// fix) is planted beside it, to show the test can fail.
func init() { scenarioMakers = append(scenarioMakers, amiRollOut) }

func amiRollOut() map[string][]plan.Scenario {
	prod := stacks["production-stack"]
	var servers []string
	for name := range prod.Resources("aws_instance") {
		servers = append(servers, "aws_instance."+name)
	}
	sort.Strings(servers)
	oldZone := map[string]map[string]any{}
	for name := range prod.Resources("aws_ebs_volume") {
		oldZone["aws_ebs_volume."+name] = map[string]any{"availability_zone": strings.TrimSuffix(firstAIServer(prod), "}") + ".availability_zone}"}
	}
	return map[string][]plan.Scenario{"production-stack": {
		{Name: "roll_out_ami", Replace: servers},
		{Name: "roll_out_ami_old_volume_zone", Replace: servers, Override: oldZone},
	}}
}

// TestTerraformRollingOutAnAMIKeepsData plans the AMI roll-out with the
// real provider against a deployment of the production stack: the servers
// (and their volume attachments) are replaced, nothing that holds data is.
// The planted old form replaces the volumes: the test can fail.
func TestTerraformRollingOutAnAMIKeepsData(t *testing.T) {
	r := terraformRun(t)["production-stack"]
	if !r.OK() {
		t.Fatalf("production-stack: %s", r.Err)
	}
	servers := len(envStack(t, "production").Resources("aws_instance"))
	replaced := replacedByType(t, r.Plans["roll_out_ami"])
	if got := len(replaced["aws_instance"]); got != servers {
		t.Errorf("the roll-out replaces %d of %d servers", got, servers)
	}
	for typ := range stack.Holds {
		if len(replaced[typ]) > 0 {
			t.Errorf("rolling out an AMI replaces data: %v", replaced[typ])
		}
	}
	if old := replacedByType(t, r.Plans["roll_out_ami_old_volume_zone"]); len(old["aws_ebs_volume"]) == 0 {
		t.Error("the old form (a volume's zone from its server) should replace the model volumes, and the test did not see it")
	}
}

// firstAIServer returns a reference to one GPU server of a stack.
func firstAIServer(s synth.Stack) string {
	var names []string
	for name := range s.Resources("aws_instance") {
		if strings.HasPrefix(name, "ai_") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return "${aws_instance." + names[0] + "}"
}

// replacedByType lists, by resource type, the addresses a plan deletes.
func replacedByType(t *testing.T, raw json.RawMessage) map[string][]string {
	t.Helper()
	var p struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Type    string `json:"type"`
			Change  struct {
				Actions []string `json:"actions"`
				// ReplacePaths says which arguments force the replacement.
				ReplacePaths [][]any `json:"replace_paths"`
			} `json:"change"`
			ActionReason string `json:"action_reason"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("plan: %v", err)
	}
	out := map[string][]string{}
	for _, rc := range p.ResourceChanges {
		if slices.Contains(rc.Change.Actions, "delete") {
			why := rc.ActionReason
			if len(rc.Change.ReplacePaths) > 0 {
				why = fmt.Sprint(rc.Change.ReplacePaths)
			}
			out[rc.Type] = append(out[rc.Type], rc.Address+" ("+why+")")
		}
	}
	return out
}
