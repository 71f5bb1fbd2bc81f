package e2etest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/constructs-go/constructs/v10"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
)

// serviceFixture is "add a service" as a new engineer would: Metabase
// behind the load balancer with its own PostgreSQL database. It takes one
// tier-table row, one settings entry and one scale entry, nothing else
// (its Ansible role aside), and the test below finds every part of it in
// the synthesized stack.
func serviceFixture() environments.ParityConfig {
	base, _ := environments.Find(envs, "staging")
	cfg := base.Derive(base.Identity.Renamed("svcfixture", "10.40.0.0/16", account), base.Scale)
	cfg.Kind = environments.Sandbox
	// The row.
	cfg.Tiers = append(cfg.Tiers, environments.Tier{
		Name:         "metabase",
		AnsibleGroup: "metabase_servers",
		Route:        &environments.Route{Subdomain: "metabase", Port: 3000, HealthPath: "/api/health", Priority: 40},
		Reaches:      []string{environments.TierAI},
		Database:     "metabase",
		Secrets:      []string{"metabase/encryption-key"},
		Buckets:      []environments.BucketAccess{{Bucket: "backups", Prefix: "metabase/", Write: true}},
		LogFiles:     []string{"/var/lib/docker/containers/*/*-json.log"},
	})
	// The settings entry.
	cfg.Servers["metabase"] = environments.ServerSettings{InstanceType: "m6i.large", RootVolumeGB: 30}
	// The scale entry.
	cfg.Scale.Servers["metabase"] = 2
	return cfg
}

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
	host := "metabase." + cfg.Identity.Domain
	servers := withPrefix(s, "aws_instance", "metabase_server-")
	if len(servers) != 2 {
		t.Fatalf("%d metabase servers, want 2", len(servers))
	}
	for name, in := range servers {
		tags := in["tags"].(map[string]any)
		if in["instance_type"] != "m6i.large" || tags["Role"] != "metabase" || tags["AnsibleGroup"] != "metabase_servers" {
			t.Errorf("%s: %v %v", name, in["instance_type"], tags)
		}
	}
	got := reachable(s, cfg)
	for dst, src := range map[string]string{"metabase": "edge:3000", "database": "metabase:5432", "ai": "metabase:8000"} {
		if !slices.Contains(got[dst], src) {
			t.Errorf("ingress to %s lacks %s: %v", dst, src, got[dst])
		}
	}
	p := named(t, s, "aws_iam_role_policy", "metabase_policy")["policy"].(string)
	for _, want := range []string{"secrets_metabase-db-password_", "secrets_metabase-encryption-key_", `/metabase/*"`, "s3:PutObject"} {
		if !strings.Contains(p, want) {
			t.Errorf("metabase's policy lacks %s", want)
		}
	}
	if strings.Contains(p, "secrets_odoo-") || strings.Contains(p, "/odoo/*") {
		t.Error("metabase may read Odoo's secrets or backups")
	}
	tg := named(t, s, "aws_lb_target_group", "edge_metabase-tg")
	if num(tg["port"]) != 3000 || tg["health_check"].(map[string]any)["path"] != "/api/health" {
		t.Errorf("target group: %v", tg)
	}
	if rule := fmt.Sprint(named(t, s, "aws_lb_listener_rule", "edge_metabase-rule")["condition"]); !strings.Contains(rule, host) {
		t.Errorf("listener rule: %s", rule)
	}
	if dns := named(t, s, "aws_route53_record", "edge_metabase-dns"); dns["name"] != host {
		t.Errorf("DNS record: %v", dns)
	}
	if sans := fmt.Sprint(only(t, s, "aws_acm_certificate")["subject_alternative_names"]); !strings.Contains(sans, host) {
		t.Errorf("certificate names: %s", sans)
	}
	if n := len(withPrefix(s, "aws_lb_target_group_attachment", "edge_metabase-server-")); n != 2 {
		t.Errorf("%d registrations, want 2", n)
	}
	alarms := fmt.Sprint(keys(withPrefix(s, "aws_cloudwatch_metric_alarm", "observability_alarm-metabase-")))
	for _, a := range []string{"metabase-1-cpu", "metabase-2-system-check", "metabase-unhealthy", "metabase-no-healthy"} {
		if !strings.Contains(alarms, a) {
			t.Errorf("no alarm %s in %s", a, alarms)
		}
	}
	if body := only(t, s, "aws_cloudwatch_dashboard")["dashboard_body"].(string); !strings.Contains(body, `"label":"metabase-2"`) || !strings.Contains(body, `"label":"metabase"`) {
		t.Error("the dashboard shows neither metabase's servers nor its target group")
	}
	if len(withPrefix(s, "aws_cloudwatch_log_group", "observability_logs-metabase_")) != 1 || len(withPrefix(s, "aws_ssm_parameter", "observability_agent-metabase_")) != 1 {
		t.Error("no log group or agent configuration for metabase")
	}
	outputs := s["output"].(map[string]any)
	for out, want := range map[string]string{
		"instance_ids":   "metabase:[",
		"urls":           "metabase:https://" + host,
		"ansible_groups": "metabase:metabase_servers",
		"app_databases":  "name:metabase owner:metabase password_secret:metabase_db_password",
		"secret_arns":    "metabase_encryption_key:",
	} {
		if v := fmt.Sprint(outputs[out].(map[string]any)["value"]); !strings.Contains(v, want) {
			t.Errorf("output %s lacks %q: %s", out, want, v)
		}
	}
}
