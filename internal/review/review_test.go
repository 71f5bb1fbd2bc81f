package review

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/cost"
	"github.com/influencegen/infrastructure/environments"
)

// rc is one resource change of a fixture plan, in Terraform's JSON plan
// form (internal/command/jsonplan): address, type, name, actions, before
// and after, and the optional extras.
type rc struct {
	addr          string
	actions       []string
	before, after map[string]any
	reason        string
	replacePaths  [][]any
	unknown       map[string]any
	sensitive     map[string]any
}

// plan builds a JSON plan from changes and parses it as the review does.
func plan(t *testing.T, changes ...rc) *Plan {
	t.Helper()
	var out []map[string]any
	for _, c := range changes {
		typ, name, _ := strings.Cut(c.addr, ".")
		name, _, _ = strings.Cut(name, "[")
		ch := map[string]any{"actions": c.actions, "before": c.before, "after": c.after}
		if c.unknown != nil {
			ch["after_unknown"] = c.unknown
		}
		if c.sensitive != nil {
			ch["before_sensitive"], ch["after_sensitive"] = c.sensitive, c.sensitive
		}
		if c.replacePaths != nil {
			ch["replace_paths"] = c.replacePaths
		}
		m := map[string]any{"address": c.addr, "mode": "managed", "type": typ, "name": name, "change": ch}
		if c.reason != "" {
			m["action_reason"] = c.reason
		}
		out = append(out, m)
	}
	b, err := json.Marshal(map[string]any{"format_version": "1.2", "resource_changes": out})
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePlan(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	account    = environments.DefaultAccount()
	envs       = environments.All(account)
	production = envs[0]
	staging    = envs[1]
)

func opts(e environments.ParityConfig) Options { return Options{Environment: e, Account: account} }

// got renders findings one per line, "SEVERITY class address: text".
func got(r Report) string {
	var lines []string
	for _, f := range r.Findings {
		lines = append(lines, fmt.Sprintf("%s %s %s: %s", f.Severity, f.Class, f.Address, f.Text))
	}
	return strings.Join(lines, "\n")
}

func mustReview(t *testing.T, p *Plan, o Options) Report {
	t.Helper()
	r, err := Review(p, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var (
	noop    = []string{"no-op"}
	update  = []string{"update"}
	create  = []string{"create"}
	destroy = []string{"delete"}
	replace = []string{"delete", "create"}
)

// expect checks that the report has exactly the findings wanted: one per
// entry, each containing its text, and nothing else.
func expect(t *testing.T, r Report, want ...string) {
	t.Helper()
	lines := strings.Split(got(r), "\n")
	if got(r) == "" {
		lines = nil
	}
	if len(lines) != len(want) {
		t.Fatalf("%d finding(s), want %d:\n%s", len(lines), len(want), got(r))
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("finding %d:\n  %s\ndoes not contain\n  %s", i, lines[i], w)
		}
	}
}

// The backup of the stacks: a selection by the Backup tag, a daily plan
// kept 35 days and copied to eu-west-1.
func backupChanges(selection, backupPlan []string) []rc {
	return []rc{
		{addr: "aws_backup_plan.daily", actions: backupPlan, before: map[string]any{"id": "plan-1", "name": "ig-production-daily", "rule": []any{map[string]any{
			"rule_name": "daily", "schedule": "cron(0 4 * * ? *)",
			"lifecycle":   []any{map[string]any{"delete_after": 35}},
			"copy_action": []any{map[string]any{"destination_vault_arn": "arn:aws:backup:eu-west-1:123456789012:backup-vault:copy"}},
		}}}},
		{addr: "aws_backup_selection.data", actions: selection, before: map[string]any{"id": "sel-1", "name": "ig-production-data", "plan_id": "plan-1",
			"selection_tag": []any{map[string]any{"type": "STRINGEQUALS", "key": "Backup", "value": "ig-production-daily"}}}},
	}
}

// after gives no-op changes their after values (the before values).
func settle(changes []rc) []rc {
	for i := range changes {
		if changes[i].after == nil && !strings.Contains(strings.Join(changes[i].actions, ","), "delete") || strings.Join(changes[i].actions, ",") == "no-op" {
			changes[i].after = changes[i].before
		}
	}
	return changes
}

func TestUnchangedPlanIsEmpty(t *testing.T) {
	p := plan(t, settle(append(backupChanges(noop, noop), rc{addr: "aws_vpc.main", actions: noop, before: map[string]any{"id": "vpc-1"}}))...)
	r := mustReview(t, p, opts(production))
	if !r.Empty() {
		t.Fatalf("unchanged plan: %s, other %v", got(r), r.Other)
	}
	var out bytes.Buffer
	r.Write(&out)
	if out.String() != "review of production: the plan changes nothing\n" {
		t.Errorf("report: %q", out.String())
	}
}

func TestDataLoss(t *testing.T) {
	db := map[string]any{"id": "db-1", "arn": "arn:aws:rds:eu-central-1:123456789012:db:ig", "identifier": "ig-production-database",
		"deletion_protection": true, "skip_final_snapshot": false, "backup_retention_period": 14, "delete_automated_backups": false,
		"tags_all": map[string]any{"Backup": "ig-production-daily", "Environment": "production"}, "password": "s3cret-value"}
	bucket := map[string]any{"id": "ig-backups", "bucket": "ig-backups", "force_destroy": false}
	cases := []struct {
		name    string
		changes []rc
		want    []string
		other   map[string]int
	}{
		{"a database replaced on request, backed up by tag", append(backupChanges(noop, noop),
			rc{addr: "aws_db_instance.primary", actions: replace, reason: "replace_by_request", before: db, after: db, sensitive: map[string]any{"password": true}}),
			[]string{"HIGH data aws_db_instance.primary: replaced on request (-replace); loses the database; recovery: AWS Backup, by tag Backup=ig-production-daily: selection ig-production-data of backup plan ig-production-daily (cron(0 4 * * ? *), kept 35 days, copied to eu-west-1); a final snapshot is taken; automated backups (point-in-time restore, 14 days; kept after it is deleted, for their retention); BLOCKS deletion protection"},
			nil},
		{"a database replaced by an argument, its selection removed too", append(backupChanges(destroy, noop),
			rc{addr: "aws_db_instance.primary", actions: replace, replacePaths: [][]any{{"engine"}}, before: db, after: db}),
			[]string{
				"HIGH data aws_db_instance.primary: replaced: changing engine forces it; loses the database; recovery: AWS Backup, by tag Backup=ig-production-daily: selection ig-production-data of backup plan ig-production-daily (cron(0 4 * * ? *), kept 35 days, copied to eu-west-1), which this plan also removes;",
				"HIGH protection aws_backup_selection.data: backup selection ig-production-data removed: AWS Backup stops backing up what it selected (aws_db_instance.primary)",
			}, nil},
		{"a bucket destroyed with what configures it", []rc{
			{addr: "aws_s3_bucket.backups[0]", actions: destroy, reason: "delete_because_count_index", before: bucket},
			{addr: "aws_s3_bucket_versioning.backups[0]", actions: destroy, before: map[string]any{"id": "ig-backups", "bucket": "ig-backups"}},
			{addr: "aws_s3_bucket_server_side_encryption_configuration.backups[0]", actions: destroy, before: map[string]any{"bucket": "ig-backups"}},
			{addr: "aws_s3_bucket_public_access_block.backups[0]", actions: destroy, before: map[string]any{"bucket": "ig-backups", "block_public_acls": true}},
			{addr: "aws_iam_role_policy.odoo[0]", actions: destroy, before: map[string]any{"policy": `{"Statement":[]}`}},
		},
			[]string{"HIGH data aws_s3_bucket.backups[0]: destroyed: its count or for_each no longer includes it; loses every object and object version; recovery: none: no recovery point covers it; BLOCKS no force_destroy"},
			map[string]int{"delete": 4}},
		{"an instance replaced (an AMI roll-out) loses nothing", []rc{
			{addr: "aws_instance.odoo", actions: replace, reason: "replace_by_request", before: map[string]any{"id": "i-1", "instance_type": "m6i.large", "tags": map[string]any{"Role": "odoo"}}, after: map[string]any{"instance_type": "m6i.large", "tags": map[string]any{"Role": "odoo"}}},
			{addr: "aws_volume_attachment.models", actions: replace, replacePaths: [][]any{{"instance_id"}}, before: map[string]any{"instance_id": "i-1"}, after: map[string]any{}},
		}, nil, map[string]int{"replace": 2}},
		{"what a selection backs up is data, whatever its type", append(backupChanges(noop, noop),
			rc{addr: "aws_instance.ai", actions: destroy, before: map[string]any{"tags_all": map[string]any{"Backup": "ig-production-daily"}}}),
			[]string{"HIGH data aws_instance.ai: destroyed; loses what it stores (AWS Backup backs it up)"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustReview(t, plan(t, settle(c.changes)...), opts(production))
			expect(t, r, c.want...)
			if c.other != nil && fmt.Sprint(r.Other) != fmt.Sprint(c.other) {
				t.Errorf("other = %v, want %v", r.Other, c.other)
			}
			var out bytes.Buffer
			r.Write(&out)
			if strings.Contains(out.String(), "s3cret-value") {
				t.Errorf("a sensitive value in the report:\n%s", out.String())
			}
		})
	}
}

func TestWidening(t *testing.T) {
	policy := func(statements ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
	}
	read := `{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::ig-models/*"}`
	tls := `{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::ig-models/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`
	role := func(p string) map[string]any { return map[string]any{"id": "odoo:least", "policy": p} }
	lbGroup := rc{addr: "aws_lb.alb", actions: noop, before: map[string]any{"internal": false, "security_groups": []any{"sg-edge"}}}
	sg := func(addr, group, cidr string, port float64) rc {
		return rc{addr: addr, actions: create, after: map[string]any{"security_group_id": group, "cidr_ipv4": cidr, "ip_protocol": "tcp", "from_port": port, "to_port": port}}
	}
	cases := []struct {
		name    string
		changes []rc
		want    []string
	}{
		{"a role widened to s3:* on *", []rc{{addr: "aws_iam_role_policy.odoo", actions: update, before: role(policy(read)), after: role(policy(read, `{"Sid":"Planted","Effect":"Allow","Action":"s3:*","Resource":"*"}`))}},
			[]string{"HIGH access aws_iam_role_policy.odoo: statement Planted newly allows s3:* on *"}},
		{"a specific action added", []rc{{addr: "aws_iam_role_policy.odoo", actions: update, before: role(policy(read)), after: role(policy(`{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::ig-models/*"}`))}},
			[]string{"MEDIUM access aws_iam_role_policy.odoo: statement Read newly allows s3:PutObject on arn:aws:s3:::ig-models/*"}},
		{"a narrower or equal policy widens nothing", []rc{{addr: "aws_iam_role_policy.odoo", actions: update, before: role(policy(`{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::ig-models/*"}`)), after: role(policy(read))}},
			nil},
		{"a condition removed", []rc{{addr: "aws_iam_role_policy.odoo", actions: update,
			before: role(policy(`{"Sid":"Tagged","Effect":"Allow","Action":"ec2:StopInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Env":"dev"}}}`)),
			after:  role(policy(`{"Sid":"Tagged","Effect":"Allow","Action":"ec2:StopInstances","Resource":"*"}`))}},
			[]string{"MEDIUM access aws_iam_role_policy.odoo: statement Tagged allows ec2:StopInstances with fewer conditions than before"}},
		{"a trust policy trusts a new principal", []rc{{addr: "aws_iam_role.deploy", actions: update,
			before: map[string]any{"assume_role_policy": policy(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`)},
			after:  map[string]any{"assume_role_policy": policy(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":"arn:aws:iam::210987654321:root"},"Action":"sts:AssumeRole"}`)}}},
			[]string{"HIGH access aws_iam_role.deploy: statement (no Sid) trusts AWS:arn:aws:iam::210987654321:root"}},
		{"a new role: its service trust and its policy are new, not public", []rc{
			{addr: "aws_iam_role.worker", actions: create, after: map[string]any{"assume_role_policy": policy(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`)}},
			{addr: "aws_iam_role_policy.worker", actions: create, after: role(policy(read))},
		}, []string{
			"MEDIUM access aws_iam_role.worker: statement (no Sid) trusts Service:ec2.amazonaws.com",
			"MEDIUM access aws_iam_role_policy.worker: statement Read newly allows s3:GetObject on arn:aws:s3:::ig-models/*",
		}},
		{"a bucket policy's TLS Deny removed", []rc{{addr: "aws_s3_bucket_policy.models", actions: update, before: map[string]any{"policy": policy(tls)}, after: map[string]any{"policy": policy()}}},
			[]string{"HIGH access aws_s3_bucket_policy.models: statement TLS no longer denies s3:* on arn:aws:s3:::ig-models/*"}},
		{"a public bucket policy", []rc{{addr: "aws_s3_bucket_policy.models", actions: create, after: map[string]any{"policy": policy(`{"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::ig-models/*"}`)}}},
			[]string{"HIGH access aws_s3_bucket_policy.models: statement Public grants *"}},
		{"a policy known only after apply", []rc{{addr: "aws_iam_role_policy.odoo", actions: update, before: role(policy(read)), after: map[string]any{"id": "odoo:least"}, unknown: map[string]any{"policy": true}}},
			[]string{"LOW access aws_iam_role_policy.odoo: policy is known only after apply"}},
		{"a managed policy attached", []rc{
			{addr: "aws_iam_role_policy_attachment.admin", actions: create, after: map[string]any{"role": "odoo", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}},
			{addr: "aws_iam_role_policy_attachment.ssm", actions: create, after: map[string]any{"role": "odoo", "policy_arn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}},
		}, []string{
			"HIGH access aws_iam_role_policy_attachment.admin: attaches arn:aws:iam::aws:policy/AdministratorAccess to odoo",
			"MEDIUM access aws_iam_role_policy_attachment.ssm: attaches arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore to odoo",
		}},
		{"ingress: SSH from the internet, 443 to the load balancer, a port from inside", []rc{
			lbGroup,
			{addr: "aws_security_group.odoo", actions: noop, before: map[string]any{"id": "sg-odoo", "tags": map[string]any{"Name": "ig-odoo"}}},
			sg("aws_vpc_security_group_ingress_rule.ssh", "sg-odoo", "0.0.0.0/0", 22),
			sg("aws_vpc_security_group_ingress_rule.https", "sg-edge", "0.0.0.0/0", 443),
			sg("aws_vpc_security_group_ingress_rule.app", "sg-odoo", "10.40.0.0/16", 8069),
		}, []string{
			"HIGH access aws_vpc_security_group_ingress_rule.ssh: security group ig-odoo (sg-odoo) newly allows tcp/22 from 0.0.0.0/0 (the internet)",
			"MEDIUM access aws_vpc_security_group_ingress_rule.app: security group ig-odoo (sg-odoo) newly allows tcp/8069 from 10.40.0.0/16",
			"MEDIUM access aws_vpc_security_group_ingress_rule.https: security group sg-edge newly allows tcp/443 from 0.0.0.0/0 (the internet)",
		}},
		{"an ingress rule updated to the same permission widens nothing", []rc{
			{addr: "aws_vpc_security_group_ingress_rule.app", actions: update,
				before: map[string]any{"security_group_id": "sg-odoo", "cidr_ipv4": "10.40.0.0/16", "ip_protocol": "tcp", "from_port": 8069, "to_port": 8069, "description": "old"},
				after:  map[string]any{"security_group_id": "sg-odoo", "cidr_ipv4": "10.40.0.0/16", "ip_protocol": "tcp", "from_port": 8069, "to_port": 8069, "description": "new"}},
		}, nil},
		{"newly public: a database, a public access block, a load balancer", []rc{
			{addr: "aws_db_instance.primary", actions: update, before: map[string]any{"publicly_accessible": false}, after: map[string]any{"publicly_accessible": true}},
			{addr: "aws_s3_bucket_public_access_block.models", actions: update, before: map[string]any{"bucket": "ig-models", "block_public_acls": true, "block_public_policy": true}, after: map[string]any{"bucket": "ig-models", "block_public_acls": true, "block_public_policy": false}},
			{addr: "aws_lb.alb", actions: update, before: map[string]any{"internal": true}, after: map[string]any{"internal": false}},
		}, []string{
			"HIGH access aws_db_instance.primary: becomes publicly accessible",
			"HIGH access aws_lb.alb: becomes internet-facing",
			"HIGH access aws_s3_bucket_public_access_block.models: public access block turned off for bucket ig-models: block_public_policy",
		}},
		{"ingress: a port range from the internet to the load balancer is not a web port", []rc{
			lbGroup,
			{addr: "aws_vpc_security_group_ingress_rule.range", actions: create, after: map[string]any{"security_group_id": "sg-edge", "cidr_ipv4": "0.0.0.0/0", "ip_protocol": "tcp", "from_port": 80, "to_port": 443}},
		}, []string{"HIGH access aws_vpc_security_group_ingress_rule.range: security group sg-edge newly allows tcp/80-443 from 0.0.0.0/0 (the internet)"}},
		{"a server and a subnet already public stay so: nothing new", []rc{
			{addr: "aws_instance.bastion", actions: update, before: map[string]any{"associate_public_ip_address": true, "instance_type": "t3.micro"}, after: map[string]any{"associate_public_ip_address": true, "instance_type": "t3.small"}},
			{addr: "aws_subnet.public", actions: update, before: map[string]any{"map_public_ip_on_launch": true, "tags": map[string]any{"a": "1"}}, after: map[string]any{"map_public_ip_on_launch": true, "tags": map[string]any{"a": "2"}}},
		}, nil},
		{"a server and a subnet newly public", []rc{
			{addr: "aws_instance.bastion", actions: update, before: map[string]any{"associate_public_ip_address": false}, after: map[string]any{"associate_public_ip_address": true}},
			{addr: "aws_subnet.public", actions: update, before: map[string]any{"map_public_ip_on_launch": false}, after: map[string]any{"map_public_ip_on_launch": true}},
		}, []string{"HIGH access aws_instance.bastion: gets a public IP address", "HIGH access aws_subnet.public:"}},
		{"a NotResource statement widened to one more resource", []rc{{addr: "aws_iam_role_policy.odoo", actions: update,
			before: role(policy(`{"Sid":"AllButState","Effect":"Allow","Action":"s3:GetObject","NotResource":["arn:aws:s3:::ig-state/*","arn:aws:s3:::ig-keys/*"]}`)),
			after:  role(policy(`{"Sid":"AllButState","Effect":"Allow","Action":"s3:GetObject","NotResource":["arn:aws:s3:::ig-state/*"]}`))}},
			[]string{"statement AllButState newly allows s3:GetObject"}},
		{"a public access block removed while its bucket stays", []rc{
			{addr: "aws_s3_bucket.models", actions: noop, before: map[string]any{"id": "ig-models", "bucket": "ig-models", "force_destroy": true}},
			{addr: "aws_s3_bucket_public_access_block.models", actions: destroy, before: map[string]any{"bucket": "ig-models", "block_public_acls": true}},
		}, []string{"HIGH access aws_s3_bucket_public_access_block.models: public access block of bucket ig-models removed; the bucket stays"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expect(t, mustReview(t, plan(t, settle(c.changes)...), opts(production)), c.want...)
		})
	}
}

func TestWeakening(t *testing.T) {
	alarm := map[string]any{"id": "ig-odoo-1-cpu", "alarm_name": "ig-odoo-1-cpu", "actions_enabled": true, "alarm_actions": []any{"arn:aws:sns:eu-central-1:123456789012:alarms"},
		"dimensions": map[string]any{"InstanceId": "i-1"}}
	waf := func(action string) map[string]any {
		return map[string]any{"name": "ig-web", "default_action": []any{map[string]any{"allow": []any{map[string]any{}}}}, "rule_json": `[{"Name":"common","Priority":1,"OverrideAction":{"` + action + `":{}}},{"Name":"rate","Priority":2,"Action":{"Block":{}}}]`}
	}
	wafDefault := func(action string) map[string]any {
		return map[string]any{"name": "ig-web", "default_action": []any{map[string]any{action: []any{map[string]any{}}}}}
	}
	cases := []struct {
		name    string
		env     environments.ParityConfig
		changes []rc
		want    []string
	}{
		{"key rotation off: a control that held no longer does", production, []rc{
			{addr: "aws_kms_key.data", actions: update, before: map[string]any{"enable_key_rotation": true, "deletion_window_in_days": 30}, after: map[string]any{"enable_key_rotation": false, "deletion_window_in_days": 30}},
		}, []string{"HIGH protection aws_kms_key.data: IG-KMS-ROTATION no longer holds (KMS keys rotate): rotation off"}},
		{"a key whose values are known only after apply is not weakened", production, []rc{
			{addr: "aws_ebs_volume.models", actions: update, before: map[string]any{"encrypted": true, "kms_key_id": "arn:aws:kms:eu-central-1:123456789012:key/abc", "size": 500},
				after: map[string]any{"encrypted": true, "size": 500}, unknown: map[string]any{"kms_key_id": true}},
		}, nil},
		{"deletion protection off in staging", staging, []rc{
			{addr: "aws_lb.alb", actions: update, before: map[string]any{"enable_deletion_protection": true}, after: map[string]any{"enable_deletion_protection": false}},
		}, []string{"HIGH protection aws_lb.alb: enable_deletion_protection: true → false (a protection against deletion)"}},
		{"backup and log retention shortened, logs kept forever no longer", production, []rc{
			{addr: "aws_backup_plan.daily", actions: update,
				before: map[string]any{"rule": []any{map[string]any{"rule_name": "daily", "lifecycle": []any{map[string]any{"delete_after": 35}}}}},
				after:  map[string]any{"rule": []any{map[string]any{"rule_name": "daily", "lifecycle": []any{map[string]any{"delete_after": 7}}}}}},
			{addr: "aws_cloudwatch_log_group.app", actions: update, before: map[string]any{"retention_in_days": 0}, after: map[string]any{"retention_in_days": 30}},
			{addr: "aws_cloudwatch_log_group.sys", actions: update, before: map[string]any{"retention_in_days": 30}, after: map[string]any{"retention_in_days": 90}},
		}, []string{
			"HIGH protection aws_backup_plan.daily: rule.lifecycle.delete_after shortened: 35 → 7 days",
			"MEDIUM protection aws_cloudwatch_log_group.app: retention_in_days shortened: forever → 30 days",
		}},
		{"the copy to another region removed", production, []rc{
			{addr: "aws_backup_plan.daily", actions: update,
				before: map[string]any{"rule": []any{map[string]any{"rule_name": "daily", "copy_action": []any{map[string]any{"destination_vault_arn": "arn:aws:backup:eu-west-1:123456789012:backup-vault:copy"}}}}},
				after:  map[string]any{"rule": []any{map[string]any{"rule_name": "daily"}}}},
		}, []string{"HIGH protection aws_backup_plan.daily: rule daily no longer copies recovery points to eu-west-1"}},
		{"a selection that stops selecting by tag", production, []rc{
			{addr: "aws_backup_selection.data", actions: update,
				before: map[string]any{"selection_tag": []any{map[string]any{"type": "STRINGEQUALS", "key": "Backup", "value": "daily"}}},
				after:  map[string]any{"selection_tag": []any{}}},
		}, []string{"HIGH protection aws_backup_selection.data: no longer selects by tag Backup=daily"}},
		{"WAF: a rule group moved to count, a rule removed", production, []rc{
			{addr: "aws_wafv2_web_acl.web", actions: update, before: waf("None"), after: map[string]any{"name": "ig-web", "rule_json": `[{"Name":"common","Priority":1,"OverrideAction":{"Count":{}}}]`}},
		}, []string{
			"HIGH protection aws_wafv2_web_acl.web: WAF rule common moved to count: it no longer blocks (was enforced)",
			"HIGH protection aws_wafv2_web_acl.web: WAF rule rate removed",
		}},
		{"WAF default action block → allow", production, []rc{
			{addr: "aws_wafv2_web_acl.web", actions: update, before: wafDefault("block"), after: wafDefault("allow")},
		}, []string{"HIGH protection aws_wafv2_web_acl.web: WAF default action: block → allow"}},
		{"WAF default action allow → block tightens", production, []rc{
			{addr: "aws_wafv2_web_acl.web", actions: update, before: wafDefault("allow"), after: wafDefault("block")},
		}, nil},
		{"WAF default action block kept", production, []rc{
			{addr: "aws_wafv2_web_acl.web", actions: update, before: wafDefault("block"), after: map[string]any{"name": "ig-web", "description": "changed", "default_action": []any{map[string]any{"block": []any{map[string]any{}}}}}},
		}, nil},
		{"final snapshot skipped from now on", production, []rc{
			{addr: "aws_db_instance.db", actions: update, before: map[string]any{"skip_final_snapshot": false}, after: map[string]any{"skip_final_snapshot": true}},
		}, []string{"HIGH protection aws_db_instance.db: skip_final_snapshot: false → true"}},
		{"a bucket a destroy no longer empties tightens", production, []rc{
			{addr: "aws_s3_bucket.data", actions: update, before: map[string]any{"bucket": "ig-data", "force_destroy": true}, after: map[string]any{"bucket": "ig-data", "force_destroy": false}},
		}, nil},
		{"an alarm removed, and one that goes with its server", production, []rc{
			{addr: "aws_cloudwatch_metric_alarm.db", actions: destroy, before: map[string]any{"alarm_name": "ig-db-cpu"}},
			{addr: "aws_instance.odoo", actions: destroy, before: map[string]any{"id": "i-1"}},
			{addr: "aws_cloudwatch_metric_alarm.odoo", actions: destroy, before: alarm},
		}, []string{"MEDIUM protection aws_cloudwatch_metric_alarm.db: alarm ig-db-cpu removed"}},
		{"an alarm that notifies nobody", production, []rc{
			{addr: "aws_cloudwatch_metric_alarm.odoo", actions: update, before: alarm, after: map[string]any{"alarm_name": "ig-odoo-1-cpu", "actions_enabled": false}},
		}, []string{
			"MEDIUM protection aws_cloudwatch_metric_alarm.odoo: alarm ig-odoo-1-cpu: actions disabled",
			"MEDIUM protection aws_cloudwatch_metric_alarm.odoo: alarm ig-odoo-1-cpu no longer notifies arn:aws:sns:eu-central-1:123456789012:alarms",
		}},
		{"default encryption moved off the customer key", production, []rc{
			{addr: "aws_s3_bucket_server_side_encryption_configuration.models", actions: update,
				before: map[string]any{"bucket": "ig-models", "rule": []any{map[string]any{"apply_server_side_encryption_by_default": []any{map[string]any{"sse_algorithm": "aws:kms", "kms_master_key_id": "arn:aws:kms:eu-central-1:123456789012:key/abc"}}}}},
				after:  map[string]any{"bucket": "ig-models", "rule": []any{map[string]any{"apply_server_side_encryption_by_default": []any{map[string]any{"sse_algorithm": "AES256"}}}}}},
		}, []string{"HIGH protection aws_s3_bucket_server_side_encryption_configuration.models: default encryption of bucket ig-models: aws:kms with arn:aws:kms:eu-central-1:123456789012:key/abc → AES256"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expect(t, mustReview(t, plan(t, settle(c.changes)...), opts(c.env)), c.want...)
		})
	}
}

// TestProtectionArgumentsCoverScaleKeys: every argument a protection
// field of environments.ScaleKeys sets says which way it weakens.
func TestProtectionArgumentsCoverScaleKeys(t *testing.T) {
	for _, k := range environments.ScaleKeys {
		if k.Kind != environments.Protection {
			continue
		}
		for _, a := range k.Attributes {
			if strings.HasPrefix(a, "*.") {
				continue // lifecycle.prevent_destroy: not in a plan's values
			}
			if _, ok := protectionArguments[a]; !ok {
				t.Errorf("ScaleKeys[%s] sets %s: say in protectionArguments which way it weakens", k.Field, a)
			}
		}
	}
}

func TestCost(t *testing.T) {
	prices, err := cost.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	o := opts(production)
	o.Prices = prices
	large, _ := prices.Price("eu-central-1", "ec2_instances", "m6i.large")
	xlarge, _ := prices.Price("eu-central-1", "ec2_instances", "m6i.xlarge")
	server := func(typ string) map[string]any {
		return map[string]any{"instance_type": typ, "tags": map[string]any{"Role": "n8n-worker"}, "root_block_device": []any{map[string]any{"volume_size": 40, "volume_type": "gp3"}}}
	}
	p := plan(t,
		rc{addr: "aws_instance.worker", actions: update, before: server("m6i.large"), after: server("m6i.xlarge")},
		rc{addr: "aws_instance.odoo", actions: replace, reason: "replace_by_request", before: server("m6i.large"), after: server("m6i.large")},
		rc{addr: "aws_instance.big", actions: update, before: server("m6i.large"), after: server("m6i.32xlarge")},
	)
	r := mustReview(t, p, o)
	delta := fmt.Sprintf("+$%.2f/month", (xlarge.USD-large.USD)*cost.HoursPerMonth)
	expect(t, r,
		"LOW cost aws_instance.big: not priced: aws_instance: no price for EC2 instance type \"m6i.32xlarge\"",
		"LOW cost aws_instance.worker: servers: n8n-worker: "+delta+" (m6i.large, 730 h → m6i.xlarge, 730 h)",
	)
	if r.Other["replace"] != 1 {
		t.Errorf("a replacement at the same price is another change: %v", r.Other)
	}
}

// TestCostSeverity: a change adding more than a tenth of the
// environment's estimated monthly bill is MEDIUM, a smaller one LOW.
func TestCostSeverity(t *testing.T) {
	prices, err := cost.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	o := opts(production)
	o.Prices = prices
	est, err := cost.For(account, production, prices)
	if err != nil {
		t.Fatal(err)
	}
	xlarge, _ := prices.Price("eu-central-1", "ec2_instances", "m6i.xlarge")
	perServer := xlarge.USD * cost.HoursPerMonth
	servers := func(n int) *Plan {
		var changes []rc
		for i := range n {
			changes = append(changes, rc{addr: fmt.Sprintf("aws_instance.extra[%d]", i), actions: create,
				after: map[string]any{"instance_type": "m6i.xlarge", "tags": map[string]any{"Role": "n8n-worker"}}})
		}
		return plan(t, changes...)
	}
	below := int(est.TotalUSD / 10 / perServer) // servers costing at most a tenth
	if below < 1 {
		t.Fatalf("a tenth of $%.0f is less than one server ($%.0f): pick a cheaper one", est.TotalUSD, perServer)
	}
	for _, c := range []struct {
		n    int
		want Severity
	}{{below, Low}, {below + 1, Medium}} {
		r := mustReview(t, servers(c.n), o)
		if len(r.Findings) == 0 || r.Findings[0].Severity != c.want {
			t.Errorf("%d new servers ($%.0f of $%.0f a month): %s, want %s", c.n, float64(c.n)*perServer, est.TotalUSD, got(r), c.want)
		}
	}
}

type fakeReference map[string]string

func (f fakeReference) Name() string { return "production" }
func (f fakeReference) Drift(typ, name string, before, after map[string]any) []string {
	if v, ok := after["threshold"]; ok && fmt.Sprint(v) != f[name] {
		return []string{fmt.Sprintf("threshold is %v here, %s in production", v, f[name])}
	}
	return nil
}

func TestParity(t *testing.T) {
	o := opts(staging)
	o.Reference = fakeReference{"cpu": "80"}
	p := plan(t,
		rc{addr: "aws_cloudwatch_metric_alarm.cpu", actions: update, before: map[string]any{"threshold": 80}, after: map[string]any{"threshold": 95}},
		rc{addr: "aws_cloudwatch_metric_alarm.gone", actions: destroy, before: map[string]any{"threshold": 1, "alarm_name": "x"}},
	)
	expect(t, mustReview(t, p, o),
		"MEDIUM parity aws_cloudwatch_metric_alarm.cpu: differs from production outside Scale: threshold is 95 here, 80 in production",
		"MEDIUM protection aws_cloudwatch_metric_alarm.gone: alarm x removed",
	)
}

func TestAccept(t *testing.T) {
	p := plan(t, rc{addr: "aws_s3_bucket.b", actions: destroy, before: map[string]any{"bucket": "b", "force_destroy": true}},
		rc{addr: "aws_cloudwatch_metric_alarm.a", actions: destroy, before: map[string]any{"alarm_name": "a"}})
	r := mustReview(t, p, opts(production))
	if u := r.Unaccepted(); len(u) != 1 || u[0].Address != "aws_s3_bucket.b" {
		t.Fatalf("unaccepted = %v", u)
	}
	o := opts(production)
	o.Accept = []string{"aws_s3_bucket.b"}
	r = mustReview(t, p, o)
	if len(r.Unaccepted()) != 0 || !r.Findings[0].Accepted || !strings.HasSuffix(r.Findings[0].String(), "(accepted)") {
		t.Errorf("accepted: %v", r.Findings)
	}
	for _, bad := range []string{"aws_s3_bucket.c", "aws_cloudwatch_metric_alarm.a"} {
		o.Accept = []string{bad}
		if _, err := Review(p, o); err == nil || !strings.Contains(err.Error(), "--accept "+bad+": the plan has no high-severity finding at that address (they are: aws_s3_bucket.b)") {
			t.Errorf("accepting %s: err = %v", bad, err)
		}
	}
}

func TestReportLayout(t *testing.T) {
	p := plan(t,
		rc{addr: "aws_s3_bucket.b", actions: destroy, before: map[string]any{"bucket": "b", "force_destroy": true}},
		rc{addr: "aws_cloudwatch_metric_alarm.a", actions: destroy, before: map[string]any{"alarm_name": "a"}},
		rc{addr: "aws_vpc.v", actions: update, before: map[string]any{"cidr_block": "10.0.0.0/16"}, after: map[string]any{"cidr_block": "10.0.0.0/16", "tags": map[string]any{"a": "b"}}},
		rc{addr: "aws_route.r", actions: create, after: map[string]any{}},
	)
	var out bytes.Buffer
	mustReview(t, p, opts(production)).Write(&out)
	want := `review of production: 1 high, 1 medium, 0 low
HIGH
  [data] aws_s3_bucket.b: destroyed; loses every object and object version; recovery: none: no recovery point covers it
MEDIUM
  [protection] aws_cloudwatch_metric_alarm.a: alarm a removed
2 other change(s), none of the above: 1 create, 1 update
`
	if out.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestParsePlan(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`not json`, "not a Terraform JSON plan"},
		{`{"version":4,"resources":[]}`, "no format_version (a state"},
		{`{"format_version":"2.0"}`, "the review reads format 1.x"},
		{`{"format_version":"1.2","errored":true}`, "the plan errored"},
	} {
		if _, err := ParsePlan([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.in, err, c.want)
		}
	}
	p := plan(t, rc{addr: "aws_vpc.v", actions: noop, before: map[string]any{"tags_all": map[string]any{"Environment": "staging"}}, after: map[string]any{"tags_all": map[string]any{"Environment": "staging"}}})
	if e := Environments(p); len(e) != 1 || e[0] != "staging" {
		t.Errorf("Environments = %v", e)
	}
}
