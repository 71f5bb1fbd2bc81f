package e2etest

import (
	"fmt"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/constructs-go/constructs/v10"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
)

// serviceFixture is "add a service" as a new engineer would: a Metabase
// behind the load balancer with its own PostgreSQL database. It takes one
// tier-table row (and, to run two servers, one scale entry), nothing else
// (its Ansible role aside), and the test below finds every part of it in
// the synthesized stack. Its name, database, route priority and subdomain
// are chosen free of the real tier table, so a real Metabase tier (or any
// other) can be added without colliding with the fixture.
func serviceFixture() environments.ParityConfig {
	base, _ := environments.Find(envs, "staging")
	cfg := base.Derive(base.Identity.Renamed("svcfixture", "10.40.0.0/16", account), base.Scale)
	cfg.Kind = environments.Sandbox
	name, priority := "metabase", 0
	for n := 2; ; n++ {
		if _, taken := cfg.Tier(name); !taken && !slices.ContainsFunc(cfg.Tiers, func(t environments.Tier) bool { return t.Database == strings.ReplaceAll(name, "-", "_") }) {
			break
		}
		name = fmt.Sprintf("metabase%d", n)
	}
	for _, t := range cfg.Tiers {
		if t.Route != nil {
			priority = max(priority, t.Route.Priority)
		}
	}
	fixtureName = name
	// The row.
	cfg.Tiers = append(cfg.Tiers, environments.Tier{
		Name:         name,
		AnsibleGroup: name + "_servers",
		Route:        &environments.Route{Subdomain: name, Port: 3000, HealthPath: "/api/health", Priority: priority + 10},
		Reaches:      []string{environments.TierAI},
		Database:     name,
		Secrets:      []string{name + "/encryption-key"},
		Buckets:      []environments.BucketAccess{{Bucket: "backups", Prefix: name + "/", Write: true}},
		LogFiles:     []string{"/var/lib/docker/containers/*/*-json.log"},
		Instance:     environments.ServerSettings{InstanceType: "m6i.large", RootVolumeGB: 30},
	})
	// The scale entry.
	cfg.Scale.Servers[name] = fixtureCount
	return cfg
}

// fixtureName is the fixture tier's name ("metabase" unless the table has
// one); fixtureCount its servers.
var fixtureName string

const fixtureCount = 2

func buildServiceFixture(app constructs.Construct, cfg environments.ParityConfig) {
	platform.NewEnvironmentStack(app, account, cfg)
}

// TestAddAServiceIsOneDeclaration: the fixture service is valid
// configuration, and the stack has its servers, security group, wiring,
// grants, route, DNS name, certificate name, registrations, alarms,
// dashboard widgets, logs, agent configuration and outputs.
func TestAddAServiceIsOneDeclaration(t *testing.T) {
	cfg := fixtureService
	// The account of a team that added the environment: with its patch
	// window.
	a := account
	a.PatchWindows = maps.Clone(account.PatchWindows)
	a.PatchWindows[cfg.Identity.Name] = cfg.Identity.PatchWindow
	if err := environments.Validate(a, append(append([]environments.ParityConfig(nil), envs...), cfg)); err != nil {
		t.Fatalf("the fixture is not valid configuration: %v", err)
	}
	s := stacks[cfg.StackName()]
	if s == nil {
		t.Fatal("the fixture stack was not synthesized")
	}
	fx := fixtureName
	host := fx + "." + cfg.Identity.Domain
	servers := withPrefix(s, "aws_instance", fx+"_server-")
	if len(servers) != fixtureCount {
		t.Fatalf("%d %s servers, want %d", len(servers), fx, fixtureCount)
	}
	for name, in := range servers {
		tags := in["tags"].(map[string]any)
		if in["instance_type"] != "m6i.large" || tags["Role"] != fx || tags["AnsibleGroup"] != fx+"_servers" {
			t.Errorf("%s: %v %v", name, in["instance_type"], tags)
		}
	}
	got := reachable(s, cfg)
	for dst, src := range map[string]string{fx: "edge:3000", "database": fx + ":5432", "ai": fx + ":8000"} {
		if !slices.Contains(got[dst], src) {
			t.Errorf("ingress to %s lacks %s: %v", dst, src, got[dst])
		}
	}
	p := named(t, s, "aws_iam_role_policy", fx+"_policy")["policy"].(string)
	for _, want := range []string{"secrets_" + fx + "-db-password_", "secrets_" + fx + "-encryption-key_", "/" + fx + `/*"`, "s3:PutObject"} {
		if !strings.Contains(p, want) {
			t.Errorf("%s's policy lacks %s", fx, want)
		}
	}
	if strings.Contains(p, "secrets_odoo-") || strings.Contains(p, "/odoo/*") {
		t.Errorf("%s may read Odoo's secrets or backups", fx)
	}
	tg := named(t, s, "aws_lb_target_group", "edge_"+fx+"-tg")
	if num(tg["port"]) != 3000 || tg["health_check"].(map[string]any)["path"] != "/api/health" {
		t.Errorf("target group: %v", tg)
	}
	if rule := fmt.Sprint(named(t, s, "aws_lb_listener_rule", "edge_"+fx+"-rule")["condition"]); !strings.Contains(rule, host) {
		t.Errorf("listener rule: %s", rule)
	}
	if dns := named(t, s, "aws_route53_record", "edge_"+fx+"-dns"); dns["name"] != host {
		t.Errorf("DNS record: %v", dns)
	}
	if sans := fmt.Sprint(only(t, s, "aws_acm_certificate")["subject_alternative_names"]); !strings.Contains(sans, host) {
		t.Errorf("certificate names: %s", sans)
	}
	if n := len(withPrefix(s, "aws_lb_target_group_attachment", "edge_"+fx+"-server-")); n != fixtureCount {
		t.Errorf("%d registrations, want %d", n, fixtureCount)
	}
	alarms := fmt.Sprint(keys(withPrefix(s, "aws_cloudwatch_metric_alarm", "observability_alarm-"+fx+"-")))
	for _, a := range []string{fx + "-1-cpu", fmt.Sprintf("%s-%d-system-check", fx, fixtureCount), fx + "-unhealthy", fx + "-no-healthy"} {
		if !strings.Contains(alarms, a) {
			t.Errorf("no alarm %s in %s", a, alarms)
		}
	}
	if body := only(t, s, "aws_cloudwatch_dashboard")["dashboard_body"].(string); !strings.Contains(body, fmt.Sprintf(`"label":"%s-%d"`, fx, fixtureCount)) || !strings.Contains(body, `"label":"`+fx+`"`) {
		t.Errorf("the dashboard shows neither %s's servers nor its target group", fx)
	}
	if len(withPrefix(s, "aws_cloudwatch_log_group", "observability_logs-"+fx+"_")) != 1 || len(withPrefix(s, "aws_ssm_parameter", "observability_agent-"+fx+"_")) != 1 {
		t.Errorf("no log group or agent configuration for %s", fx)
	}
	outputs := s["output"].(map[string]any)
	for out, want := range map[string]string{
		"instance_ids":   fx + ":[",
		"urls":           fx + ":https://" + host,
		"ansible_groups": fx + ":" + fx + "_servers",
		"app_databases":  "name:" + fx + " owner:" + fx + " password_secret:" + fx + "_db_password",
		"secret_arns":    fx + "_encryption_key:",
	} {
		if v := fmt.Sprint(outputs[out].(map[string]any)["value"]); !strings.Contains(v, want) {
			t.Errorf("output %s lacks %q: %s", out, want, v)
		}
	}
}

// TestScalingRunbookMatchesTheFixture: the runbook's list of what a person
// edits to add a service names exactly the files the fixture's change
// lives in (the tier table, and nothing else on the Go side: the fixture
// differs from its base only in its Tiers and a Scale count) and what the
// Ansible tests require of a tier (its role, its play in site.yml).
func TestScalingRunbookMatchesTheFixture(t *testing.T) {
	b, err := os.ReadFile(repoFile("docs", "runbooks", "scaling.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<!-- add-a-service: the files a person edits -->\n(.*?)<!-- /add-a-service -->`).FindSubmatch(b)
	if m == nil {
		t.Fatal("docs/runbooks/scaling.md has no add-a-service list")
	}
	var listed []string
	for _, f := range regexp.MustCompile("(?m)^- `([^`]+)`").FindAllSubmatch(m[1], -1) {
		listed = append(listed, string(f[1]))
	}
	// What the fixture changed, field by field, against the environment it
	// was made from.
	base, _ := environments.Find(envs, "staging")
	var changed []string
	for _, d := range environments.ParityDiff(base, fixtureService) {
		changed = append(changed, d.Field)
	}
	if !slices.Equal(changed, []string{"Tiers"}) {
		t.Fatalf("the fixture changes %v besides Identity and Scale; the runbook's list must follow", changed)
	}
	if !reflect.DeepEqual(maps.Collect(func(yield func(string, int) bool) {
		for k, v := range fixtureService.Scale.Servers {
			if base.Scale.Servers[k] != v && !yield(k, v) {
				return
			}
		}
	}), map[string]int{fixtureName: fixtureCount}) {
		t.Errorf("the fixture's Scale differs from its base beyond its own count")
	}
	want := []string{
		"environments/tiers.go",       // Tiers: DefaultTiers()
		"ansible/roles/<name>_setup/", // TestEveryTierIsConfigured
		"ansible/playbooks/site.yml",  // TestAnsibleInventoriesMatchEnvironments
	}
	if !slices.Equal(listed, want) {
		t.Errorf("the runbook lists %v; what adding a service edits is %v", listed, want)
	}
	for _, f := range listed {
		if p := strings.ReplaceAll(f, "<name>_setup/", ""); !exists(repoFile(p)) {
			t.Errorf("the runbook names %s, which does not exist", f)
		}
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
