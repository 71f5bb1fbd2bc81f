//go:build terraform

package e2etest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/plan"
	"github.com/influencegen/infrastructure/internal/synth"
)

// plantedSecretRun is the scenario that plants a secret value in a saved
// plan: the Odoo master password's version written the old way, its value
// from a data source into secret_string.
const plantedSecretRun = "planted_secret_in_plan"

func init() { scenarioMakers = append(scenarioMakers, plantedSecret) }

func plantedSecret() map[string][]plan.Scenario {
	dev := stacks["dev-stack"]
	version := secretResource(dev, "aws_secretsmanager_secret_version", "odoo-admin-passwd-version")
	value := secretResource(dev, "aws_secretsmanager_random_password", "redis-auth-token-value")
	return map[string][]plan.Scenario{"dev-stack": {{
		Name: plantedSecretRun,
		Override: map[string]map[string]any{"aws_secretsmanager_secret_version." + version: {
			"secret_string":            "${data.aws_secretsmanager_random_password." + value + ".random_password}",
			"secret_string_wo":         nil,
			"secret_string_wo_version": nil,
		}},
	}}}
}

// secretResource finds the resource or data source of a type whose name
// starts with "secrets_<prefix>_".
func secretResource(s synth.Stack, typ, prefix string) string {
	for name := range s.Resources(typ) {
		if strings.HasPrefix(name, "secrets_"+prefix+"_") {
			return name
		}
	}
	for name := range s.Data(typ) {
		if strings.HasPrefix(name, "secrets_"+prefix+"_") {
			return name
		}
	}
	panic("no " + typ + " secrets_" + prefix)
}

// TestTerraformNoSecretInPlansOrStates searches every plan (the plain plan,
// each day-2 scenario) and every state (the mock deployment) of every stack
// for every secret value the harness produced: each value the Secrets
// Manager stand-in generated for an ephemeral random password (opened at
// plan and at the deployment's apply) and the data source's fixture value.
// A value may appear only in the resources of the documented exception,
// the ElastiCache AUTH token (no write-only auth_token in hashicorp/aws
// 5.100.0): its data source, its secret version and the replication group.
// The planted scenario writes the Odoo master password the old way and
// must be caught in its plan.
func TestTerraformNoSecretInPlansOrStates(t *testing.T) {
	results := terraformRun(t)
	generated := terraformSetup.Generated
	ephemerals := 0
	for _, name := range sortedStackNames() {
		ephemerals += len(stacks[name].Ephemeral("aws_secretsmanager_random_password"))
	}
	// Each ephemeral password is opened at least once (the plain plan).
	if ephemerals == 0 || len(generated) < ephemerals {
		t.Fatalf("the stand-in generated %d values for %d ephemeral passwords: the plan did not open them", len(generated), ephemerals)
	}
	secrets := append(slices.Clone(generated), plan.FixtureRandomPassword)
	exceptionSeen := false
	plantedCaught := false
	for _, name := range sortedStackNames() {
		r := results[name]
		if !r.OK() {
			t.Fatalf("%s: %s", name, r.Err)
		}
		docs := map[string]json.RawMessage{}
		for run, p := range r.Plans {
			docs["plan "+run] = p
		}
		if r.Deployed != nil {
			docs["state deployed"] = r.Deployed
		} else if r.Plans["deployed"] != nil {
			t.Errorf("%s: the deployment left no state to search", name)
		}
		for _, what := range slices.Sorted(maps.Keys(docs)) {
			for _, hit := range secretHits(t, docs[what], secrets) {
				if cacheTokenAddress(hit) {
					exceptionSeen = true
					continue
				}
				if what == "plan "+plantedSecretRun && strings.Contains(hit, "odoo-admin-passwd-version") {
					plantedCaught = true
					continue
				}
				t.Errorf("%s, %s: a secret value at %s", name, what, hit)
			}
		}
	}
	if !exceptionSeen {
		t.Error("the AUTH token (the documented exception) was found nowhere: the search does not see secret values")
	}
	if !plantedCaught {
		t.Errorf("the planted secret (%s) was not found in its plan", plantedSecretRun)
	}
}

// cacheTokenAddress: the resources of the documented exception.
func cacheTokenAddress(address string) bool {
	token := strings.ReplaceAll(environments.CacheAuthSecret, "/", "-")
	return strings.HasPrefix(address, "aws_elasticache_replication_group.") ||
		strings.Contains(address, "aws_secretsmanager_random_password.secrets_"+token+"-value_") ||
		strings.Contains(address, "aws_secretsmanager_secret_version.secrets_"+token+"-version_")
}

// secretHits walks a plan or state JSON and returns, for each string that
// contains one of the values, the address of the resource it belongs to
// (the nearest enclosing object with an "address"), or its JSON path.
func secretHits(t *testing.T, raw json.RawMessage, values []string) []string {
	t.Helper()
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var hits []string
	var walk func(v any, address, path string)
	walk = func(v any, address, path string) {
		switch v := v.(type) {
		case map[string]any:
			if a, ok := v["address"].(string); ok {
				address = a
			}
			for k, e := range v {
				walk(e, address, path+"."+k)
			}
		case []any:
			for i, e := range v {
				walk(e, address, fmt.Sprintf("%s[%d]", path, i))
			}
		case string:
			for _, s := range values {
				if strings.Contains(v, s) {
					where := address
					if where == "" {
						where = path
					}
					hits = append(hits, where+" ("+path+")")
				}
			}
		}
	}
	walk(doc, "", "")
	sort.Strings(hits)
	return slices.Compact(hits)
}

// sortedStackNames are the stacks the tier plans.
func sortedStackNames() []string {
	names := slices.Clone(platform.StackNames(envs))
	sort.Strings(names)
	return names
}
