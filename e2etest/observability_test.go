package e2etest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/synth"
)

// alarms returns the stack's alarms by logical name.
func alarms(s synth.Stack) map[string]map[string]any {
	return s.Resources("aws_cloudwatch_metric_alarm")
}

// TestAlarmCoverage: every server, target group, database instance and
// cache node has its alarms, and every alarm notifies the environment's
// topic (and says when it recovers).
func TestAlarmCoverage(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		topic := only(t, s, "aws_sns_topic")
		if !ref(topic["kms_master_key_id"], "aws_kms_key", "kms_logs") {
			t.Errorf("alarm topic not encrypted with the logs key: %v", topic["kms_master_key_id"])
		}
		if n := len(s.Resources("aws_sns_topic_subscription")); n != len(cfg.Identity.AlertEmails) {
			t.Errorf("%d subscriptions for %d alert addresses", n, len(cfg.Identity.AlertEmails))
		}
		// What each alarm watches: namespace/metric/dimension values.
		watched := map[string]bool{}
		for name, a := range alarms(s) {
			actions := fmt.Sprint(a["alarm_actions"])
			if !strings.Contains(actions, "${aws_sns_topic.observability_topic_") || !strings.Contains(fmt.Sprint(a["ok_actions"]), "${aws_sns_topic.observability_topic_") {
				t.Errorf("%s does not notify the environment's topic: %s", name, actions)
			}
			if a["metric_name"] != nil {
				for _, v := range a["dimensions"].(map[string]any) {
					watched[fmt.Sprintf("%s/%s/%s", a["namespace"], a["metric_name"], v)] = true
				}
			} else {
				for _, q := range a["metric_query"].([]any) {
					if mt, ok := q.(map[string]any)["metric"].(map[string]any); ok {
						for _, v := range mt["dimensions"].(map[string]any) {
							watched[fmt.Sprintf("%s/%s/%s", mt["namespace"], mt["metric_name"], v)] = true
						}
					}
				}
			}
		}
		expect := func(what string, metrics ...string) {
			for _, m := range metrics {
				if !watched[m+"/"+what] {
					t.Errorf("no %s alarm on %s", m, what)
				}
			}
		}
		for name, in := range s.Resources("aws_instance") {
			id := "${aws_instance." + name + ".id}"
			expect(id, "AWS/EC2/StatusCheckFailed_System", "AWS/EC2/StatusCheckFailed_Instance", "AWS/EC2/CPUUtilization")
			if in["tags"].(map[string]any)["Role"] == "ai" {
				expect(id, "CWAgent/nvidia_smi_utilization_gpu", "CWAgent/nvidia_smi_memory_used", "CWAgent/nvidia_smi_memory_total")
			}
		}
		for name := range s.Resources("aws_lb_target_group") {
			expect("${aws_lb_target_group."+name+".arn_suffix}", "AWS/ApplicationELB/UnHealthyHostCount", "AWS/ApplicationELB/HealthyHostCount")
		}
		for name := range s.Resources("aws_lb") {
			expect("${aws_lb."+name+".arn_suffix}", "AWS/ApplicationELB/HTTPCode_ELB_5XX_Count", "AWS/ApplicationELB/HTTPCode_Target_5XX_Count", "AWS/ApplicationELB/TargetResponseTime")
		}
		for name := range s.Resources("aws_db_instance") {
			id := "${aws_db_instance." + name + ".identifier}"
			expect(id, "AWS/RDS/CPUUtilization", "AWS/RDS/FreeStorageSpace", "AWS/RDS/FreeableMemory", "AWS/RDS/DatabaseConnections")
			if strings.Contains(name, "replica") {
				expect(id, "AWS/RDS/ReplicaLag")
			}
		}
		for rg := range s.Resources("aws_elasticache_replication_group") {
			for n := 1; n <= cfg.Scale.CacheNodes; n++ {
				expect(fmt.Sprintf("${aws_elasticache_replication_group.%s.id}-%03d", rg, n), "AWS/ElastiCache/EngineCPUUtilization", "AWS/ElastiCache/DatabaseMemoryUsagePercentage", "AWS/ElastiCache/Evictions")
			}
		}
		for name := range s.Resources("aws_efs_file_system") {
			expect("${aws_efs_file_system."+name+".id}", "AWS/EFS/PercentIOLimit")
		}
		// System status failures recover the instance onto new hardware
		// where EC2 supports it for the type (not instance-store types).
		types := map[string]string{}
		for name, in := range s.Resources("aws_instance") {
			types["${aws_instance."+name+".id}"] = in["instance_type"].(string)
		}
		for name, a := range alarms(s) {
			if a["metric_name"] != "StatusCheckFailed_System" {
				continue
			}
			typ := types[a["dimensions"].(map[string]any)["InstanceId"].(string)]
			if recovers := strings.Contains(fmt.Sprint(a["alarm_actions"]), ":ec2:recover"); recovers != environments.AutoRecoverySupported(typ) {
				t.Errorf("%s (%s): recover action %v, but automatic recovery supported = %v", name, typ, recovers, !recovers)
			}
		}
		for name, a := range alarms(s) {
			silenceIsOutage := a["metric_name"] == "StatusCheckFailed_System" || a["metric_name"] == "HealthyHostCount" || a["metric_name"] == "nvidia_smi_utilization_gpu"
			if silenceIsOutage && a["treat_missing_data"] != "breaching" {
				t.Errorf("%s: missing data must breach", name)
			}
		}
	})
}

// TestProductionObservability: production's alarm topic, dashboard, log
// groups and alarms.
func TestProductionObservability(t *testing.T) {
	s := envStack(t, "production")
	namespaces := map[string]bool{}
	for _, a := range alarms(s) {
		if a["namespace"] != nil {
			namespaces[a["namespace"].(string)] = true
		}
		if qs, ok := a["metric_query"].([]any); ok {
			for _, q := range qs {
				if mt, ok := q.(map[string]any)["metric"].(map[string]any); ok {
					namespaces[mt["namespace"].(string)] = true
				}
			}
		}
	}
	for _, ns := range []string{"AWS/ApplicationELB", "AWS/RDS", "AWS/ElastiCache", "AWS/EC2", "CWAgent"} {
		if !namespaces[ns] {
			t.Errorf("no alarm in %s", ns)
		}
	}
	if len(s.Resources("aws_sns_topic")) != 1 || len(s.Resources("aws_cloudwatch_dashboard")) != 1 {
		t.Error("want one topic and one dashboard")
	}
}

// TestStagingAlarmsMatchProduction: every alarm staging has, production has
// with the same threshold, comparison and periods (production has more only
// because it has more servers, nodes and replicas).
func TestStagingAlarmsMatchProduction(t *testing.T) {
	prod, staging := alarms(envStack(t, "production")), alarms(envStack(t, "staging"))
	if len(staging) < 20 {
		t.Fatalf("staging has only %d alarms", len(staging))
	}
	for name, a := range staging {
		p, ok := prod[name]
		if !ok {
			t.Errorf("production lacks staging's alarm %s", name)
			continue
		}
		for _, k := range []string{"threshold", "comparison_operator", "evaluation_periods", "period", "statistic", "extended_statistic", "treat_missing_data"} {
			if fmt.Sprint(a[k]) != fmt.Sprint(p[k]) {
				t.Errorf("%s: %s is %v in staging, %v in production", name, k, a[k], p[k])
			}
		}
	}
}

func TestLogGroups(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		names := map[string]bool{}
		for name, lg := range s.Resources("aws_cloudwatch_log_group") {
			names[lg["name"].(string)] = true
			if !ref(lg["kms_key_id"], "aws_kms_key", "kms_logs") || num(lg["retention_in_days"]) != cfg.Scale.LogRetentionDays {
				t.Errorf("%s: key %v retention %v", name, lg["kms_key_id"], lg["retention_in_days"])
			}
		}
		prefix := "/" + account.Project + "-" + cfg.Identity.Name
		for _, role := range []string{"odoo", "n8n-main", "n8n-worker", "ai"} {
			for _, g := range []string{"app", "syslog", "patching"} {
				if !names[prefix+"/"+role+"/"+g] {
					t.Errorf("no %s log group for %s", g, role)
				}
			}
		}
		// Every group a server writes to is under its own tier's prefix:
		// no group shared by tiers, where one could forge another's streams.
		for name := range names {
			if strings.Contains(name, "/system/") {
				t.Errorf("%s: a log group shared by every tier", name)
			}
		}
	})
}

// TestCloudWatchAgentConfig: each role's agent configuration is stored for
// Ansible, ships to log groups that exist, and the GPU servers' one
// collects the metrics the GPU alarms read.
func TestCloudWatchAgentConfig(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		groups := map[string]bool{}
		for _, lg := range s.Resources("aws_cloudwatch_log_group") {
			groups[lg["name"].(string)] = true
		}
		params := s.Resources("aws_ssm_parameter")
		if len(params) != len(cfg.Tiers) {
			t.Fatalf("%d agent parameters, want one per server role", len(params))
		}
		for name, p := range params {
			value := p["value"].(string)
			if !strings.Contains(value, "$${aws:InstanceId}") || strings.Contains(strings.ReplaceAll(value, "$${", ""), "${") {
				t.Errorf("%s: agent placeholders must be escaped from Terraform: %s", name, value)
			}
			var agent map[string]any
			if err := json.Unmarshal([]byte(strings.ReplaceAll(value, "$${", "${")), &agent); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, f := range agent["logs"].(map[string]any)["logs_collected"].(map[string]any)["files"].(map[string]any)["collect_list"].([]any) {
				if g := f.(map[string]any)["log_group_name"].(string); !groups[g] {
					t.Errorf("%s ships to %s, which the stack does not create", name, g)
				}
			}
			_, gpu := agent["metrics"].(map[string]any)["metrics_collected"].(map[string]any)["nvidia_gpu"]
			if isAI := strings.Contains(name, "agent-ai"); gpu != isAI {
				t.Errorf("%s: nvidia_gpu collected = %v", name, gpu)
			}
		}
	})
}

// TestDashboard: the body is valid JSON, has the sections an on-call
// engineer reads, and names only resources that exist in the stack.
func TestDashboard(t *testing.T) {
	forEachEnv(t, func(t *testing.T, cfg environments.ParityConfig, s synth.Stack) {
		d := only(t, s, "aws_cloudwatch_dashboard")
		var body struct {
			Widgets []struct {
				Type       string         `json:"type"`
				Properties map[string]any `json:"properties"`
			} `json:"widgets"`
		}
		if err := json.Unmarshal([]byte(d["dashboard_body"].(string)), &body); err != nil {
			t.Fatalf("dashboard body is not JSON: %v", err)
		}
		var text strings.Builder
		for _, w := range body.Widgets {
			fmt.Fprint(&text, w.Properties, "\n")
		}
		for _, section := range []string{"Edge: traffic and errors", "Services: latency and health", "Database and cache", "GPU use", "Alarm states"} {
			if !strings.Contains(text.String(), section) {
				t.Errorf("dashboard lacks %q", section)
			}
		}
		names := map[string]bool{}
		for _, a := range alarms(s) {
			names[a["alarm_name"].(string)] = true
		}
		widgetAlarms := 0
		for _, w := range body.Widgets {
			if w.Type != "alarm" {
				continue
			}
			for _, arn := range w.Properties["alarms"].([]any) {
				widgetAlarms++
				name := arn.(string)[strings.LastIndex(arn.(string), ":alarm:")+len(":alarm:"):]
				if !strings.Contains(arn.(string), ":cloudwatch:"+cfg.Region+":") || !names[name] {
					t.Errorf("alarm widget lists %s, which is not an alarm of this stack", arn)
				}
			}
		}
		if widgetAlarms != len(names) {
			t.Errorf("alarm widget lists %d of %d alarms", widgetAlarms, len(names))
		}
		refRE := regexp.MustCompile(`\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z_]+\}`)
		refs := refRE.FindAllStringSubmatch(d["dashboard_body"].(string), -1)
		if len(refs) < 10 {
			t.Fatalf("only %d resource references in the dashboard", len(refs))
		}
		for _, r := range refs {
			if _, ok := s.Resources(r[1])[r[2]]; !ok {
				t.Errorf("dashboard names %s.%s, which does not exist", r[1], r[2])
			}
		}
		for rg := range s.Resources("aws_elasticache_replication_group") {
			for n := 1; n <= cfg.Scale.CacheNodes; n++ {
				if !strings.Contains(d["dashboard_body"].(string), fmt.Sprintf(`"CacheClusterId","${aws_elasticache_replication_group.%s.id}-%03d"`, rg, n)) {
					t.Errorf("dashboard lacks Redis node %d", n)
				}
			}
		}
	})
}
