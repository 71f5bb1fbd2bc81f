package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/internal/plan"
	"github.com/influencegen/infrastructure/internal/synth"
)

// statefulTypes hold data: a day-2 operation must never replace one.
var statefulTypes = []string{
	"aws_ebs_volume", "aws_db_instance", "aws_efs_file_system", "aws_s3_bucket", "aws_kms_key",
	"aws_secretsmanager_secret", "aws_secretsmanager_secret_version", "aws_elasticache_replication_group",
	"aws_backup_vault",
}

// TestRollingOutAnAMIKeepsData plans the runbook's AMI roll-out — replace
// every server — with the real provider, against a deployment of the
// production stack: the servers (and their volume attachments) are
// replaced, nothing that holds data is. The same plan of a copy of the
// stack whose model volumes take their zone from their server (the form
// before the fix) replaces the volumes: the test can fail.
func TestRollingOutAnAMIKeepsData(t *testing.T) {
	requireTerraformHere(t)
	prod := envStack(t, "production")
	outdir := t.TempDir()
	var servers []string
	for name := range prod.Resources("aws_instance") {
		servers = append(servers, "aws_instance."+name)
	}
	sort.Strings(servers)
	// terraform test destroys what its runs created, and prevent_destroy
	// would refuse that teardown: the copies drop it. The assertions below
	// read the plan's delete actions instead, which prevent_destroy would
	// have turned into an error.
	prod = deepCopy(t, prod)
	for _, byName := range prod["resource"].(map[string]any) {
		for _, r := range byName.(map[string]any) {
			if lc, ok := r.(map[string]any)["lifecycle"].(map[string]any); ok {
				delete(lc, "prevent_destroy")
			}
		}
	}
	bad := deepCopy(t, prod)
	for _, v := range bad["resource"].(map[string]any)["aws_ebs_volume"].(map[string]any) {
		v.(map[string]any)["availability_zone"] = strings.TrimSuffix(firstAIServer(prod), "}") + ".availability_zone}"
	}
	for stack, s := range map[string]map[string]any{"production-stack": prod, "old-volume-zone-stack": bad} {
		dir := filepath.Join(outdir, "stacks", stack)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(s)
		if err := os.WriteFile(filepath.Join(dir, "cdk.tf.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	roll := []plan.Scenario{{Name: "roll_out_ami", Replace: servers}}
	_, results, err := plan.Run(context.Background(), plan.Options{
		Outdir:    outdir,
		Scenarios: map[string][]plan.Scenario{"production-stack": roll, "old-volume-zone-stack": roll},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.OK() {
			t.Errorf("%s: %s", r.Stack, r.Err)
			continue
		}
		replaced := replacedByType(t, r.Plans["roll_out_ami"])
		if r.Stack == "production-stack" {
			if got := len(replaced["aws_instance"]); got != len(servers) {
				t.Errorf("the roll-out replaces %d of %d servers", got, len(servers))
			}
			for _, typ := range statefulTypes {
				if len(replaced[typ]) > 0 {
					t.Errorf("rolling out an AMI replaces data: %v", replaced[typ])
				}
			}
		} else if len(replaced["aws_ebs_volume"]) == 0 {
			t.Error("the old form (a volume's zone from its server) should replace the model volumes, and the test did not see it")
		}
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
