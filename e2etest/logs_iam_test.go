package e2etest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/internal/iam"
)

// logForgery selects the must-nots that keep a tier's servers from
// writing, or creating, a stream in another tier's log groups.
func logForgery(r iam.Request) bool {
	return r.Kind == iam.KindMustNot && (strings.Contains(r.Job, "'s log stream") || strings.Contains(r.Job, "'s log group"))
}

// TestIAMNoTierWritesAnotherTiersLogs: evaluated as AWS evaluates IAM, no
// server role of dev may put events into, or create a stream in, any log
// group of another tier (its application logs, syslog, patch runs), so a
// compromised server cannot forge another tier's logs; its own groups it
// may write (TestIAMJobs). The planted case widens the odoo servers' grant
// to every group of the environment (what a group shared by the tiers
// needs) and must be caught, naming the role and the stream.
func TestIAMNoTierWritesAnotherTiersLogs(t *testing.T) {
	evaluateIAM(t)
	dev := envs[0]
	for _, cfg := range envs {
		if cfg.Identity.Name == "dev" {
			dev = cfg
		}
	}
	tiers := len(dev.Tiers)
	checked := 0
	for _, d := range iamFast {
		if logForgery(d.Request) {
			checked++
			if !d.OK() {
				t.Error(d.Why())
			}
		}
	}
	// Each tier, each other tier, its three groups, two actions.
	if want := tiers * (tiers - 1) * 3 * 2; checked != want {
		t.Errorf("%d log-forgery must-nots evaluated, want %d (every tier against every other tier's groups)", checked, want)
	}

	// Planted: the odoo servers may write every group of the environment.
	planted := realStacks()
	var devStack map[string]any
	raw, _ := json.Marshal(planted[dev.StackName()])
	if err := json.Unmarshal(raw, &devStack); err != nil {
		t.Fatal(err)
	}
	odooRole := account.Project + "-" + dev.Identity.Name + "-odoo"
	widened := false
	resources := devStack["resource"].(map[string]any)
	roles := resources["aws_iam_role"].(map[string]any)
	for _, rp := range resources["aws_iam_role_policy"].(map[string]any) {
		p := rp.(map[string]any)
		roleRef, _ := p["role"].(string) // "${aws_iam_role.<name>.id}"
		name := strings.TrimSuffix(strings.TrimPrefix(roleRef, "${aws_iam_role."), ".id}")
		if r, ok := roles[name].(map[string]any); !ok || r["name"] != odooRole {
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(p["policy"].(string)), &doc); err != nil {
			t.Fatal(err)
		}
		for _, s := range doc["Statement"].([]any) {
			st := s.(map[string]any)
			if st["Sid"] == "OwnLogs" {
				st["Resource"] = "arn:aws:logs:" + dev.Region + ":" + account.ID + ":log-group:/" + account.Project + "-" + dev.Identity.Name + "/*"
				widened = true
			}
		}
		b, _ := json.Marshal(doc)
		p["policy"] = string(b)
	}
	if !widened {
		t.Fatalf("no OwnLogs statement in the policy of %s to plant the widening in", odooRole)
	}
	planted[dev.StackName()] = devStack
	m, err := iam.Load(planted)
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := iam.Jobs(m, iam.FromConfig(account, dev, envs))
	if err != nil {
		t.Fatal(err)
	}
	var odooForgery []iam.Request
	for _, r := range reqs {
		if logForgery(r) && strings.HasSuffix(r.Principal, ":role/"+odooRole) && r.Action == "logs:PutLogEvents" {
			odooForgery = append(odooForgery, r)
		}
	}
	decisions, err := iam.Evaluator{}.Evaluate(m, odooForgery)
	if err != nil {
		t.Fatal(err)
	}
	caught := 0
	for _, d := range decisions {
		if !d.OK() && strings.Contains(d.Why(), "ALLOWED, but it must be denied") && strings.Contains(d.Why(), odooRole) {
			caught++
		}
	}
	if want := (tiers - 1) * 3; len(decisions) != want || caught != want {
		t.Errorf("planted widening: %d of %d must-nots caught, want %d", caught, len(decisions), want)
	}
}
