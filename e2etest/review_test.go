//go:build terraform

package e2etest

// The plan review (internal/review) on plans the real provider makes, in
// the Terraform tier's one run per stack: production deployed (mock), then
// planned unchanged, and with one change of every kind the review looks
// for planted together; staging deployed, then planned with a *what* of
// its own. The AMI roll-out of day2_test.go is reviewed too.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/cost"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/parity"
	"github.com/influencegen/infrastructure/internal/plan"
	"github.com/influencegen/infrastructure/internal/review"
	"github.com/influencegen/infrastructure/internal/synth"
)

func init() { scenarioMakers = append(scenarioMakers, reviewScenarios) }

// planted are production's planted changes: a replaced database, a
// destroyed bucket (with what configures it and the role policy that
// names it), a widened role, an opened port, a dropped backup selection
// and a larger instance type.
type planted struct {
	database, bucket, role, selection, server string
	bucketGoes                                []string
}

// plantedIn finds the resources the planted changes are made to.
func plantedIn(s synth.Stack) planted {
	first := func(typ, prefix string) string {
		var names []string
		for name := range withPrefix(s, typ, prefix) {
			names = append(names, name)
		}
		sort.Strings(names)
		if len(names) == 0 {
			panic(fmt.Sprintf("no %s.%s* in the stack", typ, prefix))
		}
		return typ + "." + names[0]
	}
	p := planted{
		database:  first("aws_db_instance", "database_primary_"),
		bucket:    first("aws_s3_bucket", "backup-bucket_"),
		role:      first("aws_iam_role_policy", "n8n-main_policy_"),
		selection: first("aws_backup_selection", "backup_selection_"),
		server:    first("aws_instance", "n8n-worker_server-1_"),
	}
	p.bucketGoes = dependents(s, p.bucket)
	return p
}

// dependents is a resource and everything that refers to it, directly or
// not: what a change that deletes it deletes with it.
func dependents(s synth.Stack, addr string) []string {
	gone := map[string]bool{addr: true}
	resources, _ := s["resource"].(map[string]any)
	for changed := true; changed; {
		changed = false
		for typ, named := range resources {
			for name, r := range named.(map[string]any) {
				a := typ + "." + name
				if gone[a] {
					continue
				}
				b, _ := json.Marshal(r)
				for g := range gone {
					if regexp.MustCompile(`\$\{[^}]*\b` + regexp.QuoteMeta(g) + `\b`).Match(b) {
						gone[a], changed = true, true
						break
					}
				}
			}
		}
	}
	return keys(gone)
}

// widenedPolicy is a role policy with one more statement: s3:* on *.
func widenedPolicy(policy string) string {
	return strings.TrimSuffix(policy, "]}") + `,{"Sid":"Planted","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
}

func reviewScenarios() map[string][]plan.Scenario {
	prod := stacks["production-stack"]
	p := plantedIn(prod)
	roleType, roleName, _ := strings.Cut(p.role, ".")
	policy, _ := prod.Resources(roleType)[roleName]["policy"].(string)
	sgName := ""
	for name := range withPrefix(prod, "aws_security_group", "odoo-sg_") {
		sgName = name
	}
	alarm := ""
	for name := range withPrefix(stacks["staging-stack"], "aws_cloudwatch_metric_alarm", "observability_alarm-db-cpu_") {
		alarm = "aws_cloudwatch_metric_alarm." + name
	}
	return map[string][]plan.Scenario{
		"production-stack": {
			{Name: "unchanged"},
			{Name: "planted",
				Replace:  []string{p.database},
				Remove:   append([]string{p.selection}, p.bucketGoes...),
				Override: map[string]map[string]any{p.role: {"policy": widenedPolicy(policy)}, p.server: {"instance_type": "m6i.xlarge"}},
				Add: map[string]map[string]map[string]any{"resource": {"aws_vpc_security_group_ingress_rule": {"planted_ssh": map[string]any{
					"security_group_id": "${aws_security_group." + sgName + ".id}", "cidr_ipv4": "0.0.0.0/0",
					"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "description": "planted: SSH from anywhere",
				}}}},
			},
		},
		"staging-stack": {
			{Name: "staging_only_what", Override: map[string]map[string]any{alarm: {"threshold": 95}}},
		},
	}
}

// reviewOf reviews one run's plan as the deploy does.
func reviewOf(t *testing.T, stackName, run string) review.Report {
	t.Helper()
	r := terraformRun(t)[stackName]
	if !r.OK() {
		t.Fatalf("%s: %s", stackName, r.Err)
	}
	raw, ok := r.Plans[run]
	if !ok {
		t.Fatalf("%s: no plan of run %s", stackName, run)
	}
	p, err := review.ParsePlan(raw)
	if err != nil {
		t.Fatal(err)
	}
	env, err := environments.Find(envs, strings.TrimSuffix(stackName, "-stack"))
	if err != nil {
		t.Fatal(err)
	}
	prices, err := cost.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	o := review.Options{Environment: env, Account: account, Prices: prices}
	if env.Kind == environments.Parity {
		ref, _ := environments.Find(envs, "production")
		o.Reference = parity.NewDrift(env, ref, stacks[ref.StackName()])
	}
	rep, err := review.Review(p, o)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rep.Write(&b)
	t.Logf("%s %s:\n%s", stackName, run, b.String())
	return rep
}

// want is one expected finding: its severity, class, address and what its
// text must say.
type want struct {
	severity review.Severity
	class    string
	address  string
	says     []string
}

// exactly checks a report has the wanted findings and nothing else.
func exactly(t *testing.T, rep review.Report, wants ...want) {
	t.Helper()
	byAddr := map[string]review.Finding{}
	for _, f := range rep.Findings {
		if _, twice := byAddr[f.Address]; twice {
			t.Errorf("two findings about %s: %v", f.Address, rep.Findings)
		}
		byAddr[f.Address] = f
	}
	for _, w := range wants {
		f, ok := byAddr[w.address]
		if !ok {
			t.Errorf("no finding about %s", w.address)
			continue
		}
		delete(byAddr, w.address)
		if f.Severity != w.severity || f.Class != w.class {
			t.Errorf("%s: %s %s, want %s %s", w.address, f.Severity, f.Class, w.severity, w.class)
		}
		for _, s := range w.says {
			if !strings.Contains(f.Text, s) {
				t.Errorf("%s: %q does not say %q", w.address, f.Text, s)
			}
		}
	}
	for _, f := range byAddr {
		t.Errorf("a finding nothing planted: %s", f)
	}
}

// TestTerraformReviewUnchangedPlanIsEmpty: the deployment planned again
// without a change plans nothing, and its review is empty.
func TestTerraformReviewUnchangedPlanIsEmpty(t *testing.T) {
	rep := reviewOf(t, "production-stack", "unchanged")
	if !rep.Empty() {
		t.Errorf("an unchanged deployment: findings %v, other changes %v", rep.Findings, rep.Other)
	}
}

// TestTerraformReviewPlantedChanges: each planted change yields exactly
// its finding, and the changes that come with them (what configured the
// destroyed bucket, the role policy that named it) only the count line.
func TestTerraformReviewPlantedChanges(t *testing.T) {
	p := plantedIn(stacks["production-stack"])
	large, _ := mustPrice(t, "m6i.large")
	xlarge, _ := mustPrice(t, "m6i.xlarge")
	rep := reviewOf(t, "production-stack", "planted")
	exactly(t, rep,
		want{review.High, review.Data, p.database, []string{"replaced on request (-replace)", "loses the database",
			"AWS Backup, by tag Backup=influencegen-production-daily", "kept 35 days, copied to eu-west-1", "which this plan also removes",
			"a final snapshot is taken", "BLOCKS deletion protection"}},
		want{review.High, review.Data, p.bucket + "[0]", []string{"destroyed", "loses every object and object version", "recovery: none"}},
		want{review.High, review.Access, p.role, []string{"statement Planted newly allows s3:* on *"}},
		want{review.High, review.Access, "aws_vpc_security_group_ingress_rule.planted_ssh[0]", []string{"influencegen-production-odoo", "newly allows tcp/22 from 0.0.0.0/0 (the internet)"}},
		want{review.High, review.Protection, p.selection + "[0]", []string{"backup selection influencegen-production-data removed", p.database}},
		want{review.Low, review.Cost, p.server, []string{fmt.Sprintf("servers: n8n-worker: +$%.2f/month", (xlarge-large)*cost.HoursPerMonth), "m6i.large, 730 h → m6i.xlarge, 730 h"}},
	)
	if others := len(p.bucketGoes) - 1; fmt.Sprint(rep.Other) != fmt.Sprintf("map[delete:%d]", others) {
		t.Errorf("other changes %v, want %d deletions (what went with the bucket)", rep.Other, others)
	}
}

func mustPrice(t *testing.T, instanceType string) (float64, string) {
	t.Helper()
	prices, err := cost.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	it, err := prices.Price("eu-central-1", "ec2_instances", instanceType)
	if err != nil {
		t.Fatal(err)
	}
	return it.USD, it.Unit
}

// TestTerraformReviewAMIRollOutLosesNoData: the runbook's roll-out replaces
// every server and what attaches to it, and loses nothing: no finding.
func TestTerraformReviewAMIRollOutLosesNoData(t *testing.T) {
	rep := reviewOf(t, "production-stack", "roll_out_ami")
	exactly(t, rep)
	if rep.Other["replace"] == 0 {
		t.Errorf("the roll-out replaces the servers: other changes %v", rep.Other)
	}
}

// TestTerraformReviewStagingOnlyWhat: a threshold changed in staging only
// is drift from production; the same review of production's unchanged
// stack has nothing to compare.
func TestTerraformReviewStagingOnlyWhat(t *testing.T) {
	var alarm string
	for name := range withPrefix(stacks["staging-stack"], "aws_cloudwatch_metric_alarm", "observability_alarm-db-cpu_") {
		alarm = "aws_cloudwatch_metric_alarm." + name
	}
	rep := reviewOf(t, "staging-stack", "staging_only_what")
	exactly(t, rep, want{review.Medium, review.Parity, alarm, []string{"threshold is 95 here, 80 in production"}})
	if len(rep.Other) != 0 {
		t.Errorf("other changes %v", rep.Other)
	}
}
