package controls

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/internal/stack"
)

// The policy suite is proven on small hand-written stacks, one family per
// <family>_test.go: for every control, stacks where that control and no
// other fails, each beside the passing stack it was broken from. The
// stacks are written the way cdktf writes cdk.tf.json (the shapes of
// e2etest/testdata/*.json: single blocks as objects, repeated blocks as
// lists, references as "${type.name.attr}", policies as JSON text), so the
// controls read them exactly as they read a synthesized stack, without
// synthesizing anything.

// m and l spell cdktf's JSON objects and arrays.
type (
	m = map[string]any
	l = []any
)

// part is a fragment of a stack's "resource" object: type → logical name →
// arguments. Any stack of the parts below passes every control, in and
// outside production, as long as a part whose resources carry backupTag
// comes with backups (production backs every data store up) and the
// GitHub roles (deployRole, planRole) are in the shared stack.
type part = m

// mode says in which of Run's modes a fixture is run.
type mode int

const (
	// everywhere: in production and outside it, with the same outcome.
	everywhere mode = iota
	// inProduction: only with production = true.
	inProduction
	// outsideProduction: only with production = false.
	outsideProduction
)

// fixture is one hand-written stack for one control.
type fixture struct {
	// name says what the stack shows.
	name string
	// mode is the production flag(s) it is run with. Default: both.
	mode mode
	// shared makes it the shared stack (default tag Environment=shared),
	// not an environment's. Default: an environment's.
	shared bool
	// parts are the resources of a stack on which no control fails.
	parts []part
	// edits break (or, for a passing variant, change) that stack.
	edits []edit
	// want is the finding the edited stack must produce ("type.name:
	// message", a prefix), under this control and no other. Empty: the
	// edited stack is a passing variant, on which no control fails.
	want string
	// also names the controls that cannot help failing too, for a
	// violation that is necessarily two (Allow * on * also delegates role
	// writes). Such a fixture does not count as one where only its control
	// fails. Default: none.
	also []string
}

// failing reports whether the fixture fails its control.
func (f fixture) failing() bool { return f.want != "" }

// onlyFailing reports whether the fixture fails its control and no other.
func (f fixture) onlyFailing() bool { return f.failing() && len(f.also) == 0 }

// build assembles a stack from parts: an AWS provider with the default
// tags every stack carries, and the parts' resources. It goes through
// encoding/json, as stack.Load does, so numbers are float64 and nothing is
// shared with the parts.
func build(shared bool, parts []part) stack.Stack {
	env := "fixture"
	if shared {
		env = "shared"
	}
	resources := m{}
	for _, p := range parts {
		for typ, byName := range p {
			if resources[typ] == nil {
				resources[typ] = m{}
			}
			for name, attrs := range byName.(m) {
				if _, dup := resources[typ].(m)[name]; dup {
					panic("fixture: two parts define " + typ + "." + name)
				}
				resources[typ].(m)[name] = attrs
			}
		}
	}
	s := m{
		"provider": m{"aws": l{m{
			"allowed_account_ids": l{"123456789012"},
			"default_tags": l{m{"tags": m{
				"Project": "influencegen", "Environment": env, "ManagedBy": "cdktf", "Repository": "influencegen/infrastructure",
			}}},
			"region": "eu-central-1",
		}}},
		"resource": resources,
	}
	return reparse(s).(map[string]any)
}

// reparse returns v as encoding/json reads it back.
func reparse(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// edit changes a built stack; an error means the edit found nothing to
// change (a fixture that changes nothing proves nothing).
type edit func(s stack.Stack) error

// walk resolves a dotted path in a stack: "provider.aws.0.region", or
// "type.name.argument..." under "resource". Numbers index lists. It returns
// the container of the last element and that element's key.
func walk(s stack.Stack, path string) (container any, key string, err error) {
	parts := strings.Split(path, ".")
	if parts[0] != "provider" && parts[0] != "resource" {
		parts = append([]string{"resource"}, parts...)
	}
	var cur any = map[string]any(s)
	for i, p := range parts[:len(parts)-1] {
		next, ok := child(cur, p)
		if !ok {
			return nil, "", fmt.Errorf("%s: no %s", path, strings.Join(parts[:i+1], "."))
		}
		cur = next
	}
	return cur, parts[len(parts)-1], nil
}

func child(v any, key string) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		c, ok := t[key]
		return c, ok
	case []any:
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= len(t) {
			return nil, false
		}
		return t[i], true
	}
	return nil, false
}

// set sets the value at path (a new key of an existing object, or an
// existing element), as JSON would read it back.
func set(path string, v any) edit {
	return func(s stack.Stack) error {
		c, k, err := walk(s, path)
		if err != nil {
			return err
		}
		switch t := c.(type) {
		case map[string]any:
			t[k] = reparse(v)
			return nil
		case []any:
			if i, err := strconv.Atoi(k); err == nil && i >= 0 && i < len(t) {
				t[i] = reparse(v)
				return nil
			}
		}
		return fmt.Errorf("set %s: no such element", path)
	}
}

// unset removes the key at path, which must exist: an argument, a block,
// or with a "type.name" path a whole resource.
func unset(path string) edit {
	return func(s stack.Stack) error {
		c, k, err := walk(s, path)
		if err != nil {
			return err
		}
		obj, ok := c.(map[string]any)
		if _, found := obj[k]; !ok || !found {
			return fmt.Errorf("unset %s: nothing there", path)
		}
		delete(obj, k)
		return nil
	}
}

// add adds the resources of a part.
func add(p part) edit {
	return func(s stack.Stack) error {
		all := s["resource"].(map[string]any)
		for typ, byName := range reparse(p).(map[string]any) {
			if all[typ] == nil {
				all[typ] = map[string]any{}
			}
			for name, attrs := range byName.(map[string]any) {
				if _, dup := all[typ].(map[string]any)[name]; dup {
					return fmt.Errorf("add %s.%s: already there", typ, name)
				}
				all[typ].(map[string]any)[name] = attrs
			}
		}
		return nil
	}
}

// appendTo appends an element to the list at path.
func appendTo(path string, v any) edit {
	return func(s stack.Stack) error {
		c, k, err := walk(s, path)
		if err != nil {
			return err
		}
		obj, _ := c.(map[string]any)
		list, ok := obj[k].([]any)
		if !ok {
			return fmt.Errorf("append %s: not a list", path)
		}
		obj[k] = append(list, reparse(v))
		return nil
	}
}

// modes lists the production flags a fixture is run with.
func (f fixture) modes() []bool {
	switch f.mode {
	case inProduction:
		return []bool{true}
	case outsideProduction:
		return []bool{false}
	}
	return []bool{true, false}
}

// runFixtures runs a family's fixtures: each failing fixture's stack
// passes every control before its edits and fails only its control after
// them, with the wanted finding; each passing variant passes every control.
func runFixtures(t *testing.T, fixtures map[string][]fixture) {
	t.Helper()
	ids := make([]string, 0, len(fixtures))
	for id := range fixtures {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !isControl(id) {
			t.Errorf("fixtures for %s, which is no control of All", id)
			continue
		}
		for _, f := range fixtures[id] {
			for _, production := range f.modes() {
				name := fmt.Sprintf("%s/%s/production=%v", id, f.name, production)
				t.Run(name, func(t *testing.T) {
					if f.failing() {
						if got := Run(build(f.shared, f.parts), production); len(got) > 0 {
							t.Fatalf("the stack before the edit already fails:\n%s", describe(got))
						}
					}
					s := build(f.shared, f.parts)
					for _, e := range f.edits {
						if err := e(s); err != nil {
							t.Fatalf("fixture edit: %v", err)
						}
					}
					got := Run(s, production)
					if !f.failing() {
						if len(got) > 0 {
							t.Fatalf("a passing variant fails:\n%s", describe(got))
						}
						return
					}
					want := append([]string{id}, f.also...)
					if len(got) != len(want) || !hasAll(got, want) {
						t.Fatalf("want findings of %s only, got:\n%s", strings.Join(want, " and "), describe(got))
					}
					for _, finding := range got[id] {
						if strings.HasPrefix(finding, f.want) {
							return
						}
					}
					t.Fatalf("%s did not report %q; it reported:\n%s", id, f.want, describe(got))
				})
			}
		}
	}
}

func hasAll(found map[string][]string, ids []string) bool {
	for _, id := range ids {
		if len(found[id]) == 0 {
			return false
		}
	}
	return true
}

func isControl(id string) bool {
	for _, c := range All {
		if c.ID == id {
			return true
		}
	}
	return false
}

func describe(found map[string][]string) string {
	if len(found) == 0 {
		return "  (no findings)"
	}
	var b strings.Builder
	for _, c := range All {
		for _, f := range found[c.ID] {
			fmt.Fprintf(&b, "  %s: %s\n", c.ID, f)
		}
	}
	return b.String()
}

// policy is an IAM policy document as the constructs write it: compact
// JSON text with the given statements.
func policy(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

// --- parts -------------------------------------------------------------------
// Shared by the families; each is the golden stacks' shape, trimmed to the
// arguments a control reads or a reader expects.

// cmk references the stack's customer-managed data key.
const cmk = "${aws_kms_key.data.arn}"

// backupTag selects a resource into the backup plan of backups.
var backupTag = m{"Backup": "influencegen-fixture-daily"}

var key = part{"aws_kms_key": m{"data": m{
	"customer_master_key_spec": "SYMMETRIC_DEFAULT", "deletion_window_in_days": 30, "description": "fixture: platform data",
	"enable_key_rotation": true, "key_usage": "ENCRYPT_DECRYPT", "lifecycle": m{"prevent_destroy": true},
	"rotation_period_in_days": 365, "tags": m{"Name": "influencegen-fixture-data"},
}}}

// server is one application server and the budget every stack that runs
// servers has.
var server = part{
	"aws_instance": m{"server": m{
		"ami": "${data.aws_ami.ami.id}", "associate_public_ip_address": false, "disable_api_termination": true,
		"ebs_optimized": true, "iam_instance_profile": "${aws_iam_instance_profile.server.name}", "instance_type": "t3.medium",
		"metadata_options":  m{"http_endpoint": "enabled", "http_put_response_hop_limit": 1, "http_tokens": "required", "instance_metadata_tags": "disabled"},
		"monitoring":        true,
		"root_block_device": m{"delete_on_termination": true, "encrypted": true, "kms_key_id": cmk, "volume_size": 30, "volume_type": "gp3"},
		"subnet_id":         "${aws_subnet.app.id}", "tags": m{"Name": "influencegen-fixture-odoo-1", "Role": "odoo"},
		"vpc_security_group_ids": l{"${aws_security_group.app.id}"},
	}},
	"aws_budgets_budget": m{"budget": m{
		"budget_type": "COST", "limit_amount": "850", "limit_unit": "USD", "name": "influencegen-fixture-monthly", "time_unit": "MONTHLY",
		"notification": l{m{
			"comparison_operator": "GREATER_THAN", "notification_type": "ACTUAL", "threshold": 80, "threshold_type": "PERCENTAGE",
			"subscriber_email_addresses": l{"platform@influencegen.example.com"},
		}},
	}},
}

// network is a VPC with its flow log, one private subnet pinned to a zone
// ID, and the application servers' security group.
var network = part{
	"aws_vpc": m{"vpc": m{"cidr_block": "10.30.0.0/16", "enable_dns_hostnames": true, "enable_dns_support": true}},
	"aws_flow_log": m{"vpc": m{
		"iam_role_arn": "${aws_iam_role.flow-logs.arn}", "log_destination": "${aws_cloudwatch_log_group.flow-logs.arn}",
		"log_destination_type": "cloud-watch-logs", "traffic_type": "ALL", "vpc_id": "${aws_vpc.vpc.id}",
	}},
	"aws_subnet": m{"app": m{
		"availability_zone_id": "euc1-az1", "cidr_block": "10.30.64.0/20", "map_public_ip_on_launch": false, "vpc_id": "${aws_vpc.vpc.id}",
	}},
	"aws_security_group": m{"app": m{
		"description": "odoo servers", "lifecycle": m{"create_before_destroy": true}, "name_prefix": "influencegen-fixture-odoo-",
		"vpc_id": "${aws_vpc.vpc.id}",
	}},
	"aws_vpc_security_group_ingress_rule": m{"app-8069-from-edge": m{
		"from_port": 8069, "ip_protocol": "tcp", "referenced_security_group_id": "${aws_security_group.edge.id}",
		"security_group_id": "${aws_security_group.app.id}", "to_port": 8069,
	}},
}

// backups is production's AWS Backup: a vault and its copy in another
// region, both locked, a plan keeping 35 days and copying, and a
// selection by tag (backupTag).
var backups = part{
	"aws_backup_vault": m{
		"vault": m{"force_destroy": false, "kms_key_arn": cmk, "lifecycle": m{"prevent_destroy": true}, "name": "influencegen-fixture-backup"},
		"copy": m{"force_destroy": false, "kms_key_arn": "${aws_kms_key.copy.arn}", "lifecycle": m{"prevent_destroy": true},
			"name": "influencegen-fixture-backup-copy", "provider": "aws.backup_copy"},
	},
	"aws_backup_vault_lock_configuration": m{
		"vault-lock": m{"backup_vault_name": "${aws_backup_vault.vault.name}", "changeable_for_days": 3, "max_retention_days": 365, "min_retention_days": 7},
		"copy-lock": m{"backup_vault_name": "${aws_backup_vault.copy.name}", "changeable_for_days": 3, "max_retention_days": 365,
			"min_retention_days": 7, "provider": "aws.backup_copy"},
	},
	"aws_backup_plan": m{"daily": m{"name": "influencegen-fixture-daily", "rule": l{m{
		"completion_window": 480, "copy_action": l{m{"destination_vault_arn": "${aws_backup_vault.copy.arn}", "lifecycle": m{"delete_after": 35}}},
		"lifecycle": m{"delete_after": 35}, "rule_name": "daily", "schedule": "cron(0 4 * * ? *)", "start_window": 60,
		"target_vault_name": "${aws_backup_vault.vault.name}",
	}}}},
	"aws_backup_selection": m{"data": m{
		"iam_role_arn": "${aws_iam_role.backup.arn}", "name": "influencegen-fixture-data", "plan_id": "${aws_backup_plan.daily.id}",
		"selection_tag": l{m{"key": "Backup", "type": "STRINGEQUALS", "value": "influencegen-fixture-daily"}},
	}},
}

// volume is a model volume in its server's subnet's zone, in the backup
// selection.
var volume = part{"aws_ebs_volume": m{"models": m{
	"availability_zone": "${aws_subnet.app.availability_zone}", "encrypted": true, "final_snapshot": false, "iops": 6000,
	"kms_key_id": cmk, "lifecycle": m{"prevent_destroy": true}, "size": 100, "tags": backupTag, "throughput": 500, "type": "gp3",
}}}

// database is a production PostgreSQL instance and its parameter group.
var database = part{
	"aws_db_instance": m{"db": m{
		"allocated_storage": 20, "backup_retention_period": 14, "copy_tags_to_snapshot": true,
		"db_subnet_group_name": "${aws_db_subnet_group.db.name}", "deletion_protection": true, "engine": "postgres", "engine_version": "16",
		"final_snapshot_identifier": `influencegen-fixture-database-final-${formatdate("YYYYMMDDhhmmss", timestamp())}`,
		"identifier":                "influencegen-fixture-database", "instance_class": "db.m7g.large", "kms_key_id": cmk,
		"lifecycle": m{"ignore_changes": l{"final_snapshot_identifier"}}, "manage_master_user_password": true,
		"master_user_secret_kms_key_id": "${aws_kms_key.secrets.arn}", "multi_az": true,
		"parameter_group_name": "${aws_db_parameter_group.db.name}", "performance_insights_enabled": true,
		"performance_insights_kms_key_id": cmk, "publicly_accessible": false, "skip_final_snapshot": false,
		"storage_encrypted": true, "tags": backupTag, "username": "dbadmin",
	}},
	"aws_db_parameter_group": m{"db": m{
		"family": "postgres16", "lifecycle": m{"create_before_destroy": true}, "name_prefix": "influencegen-fixture-database-pg16-",
		"parameter": l{m{"apply_method": "pending-reboot", "name": "rds.force_ssl", "value": "1"}},
	}},
}

// fileSystem is the Odoo filestore: EFS mounted through its access point
// only, in the backup selection.
var fileSystem = part{
	"aws_efs_file_system": m{"efs": m{
		"creation_token": "influencegen-fixture-filestore", "encrypted": true, "kms_key_id": cmk, "lifecycle": m{"prevent_destroy": true},
		"performance_mode": "generalPurpose", "tags": backupTag, "throughput_mode": "elastic",
	}},
	"aws_efs_access_point": m{"odoo": m{
		"file_system_id": "${aws_efs_file_system.efs.id}", "posix_user": m{"gid": 8069, "uid": 8069},
		"root_directory": m{"creation_info": m{"owner_gid": 8069, "owner_uid": 8069, "permissions": "0750"}, "path": "/odoo"},
	}},
	"aws_efs_file_system_policy": m{"efs": m{"file_system_id": "${aws_efs_file_system.efs.id}", "policy": efsPolicy}},
	"aws_efs_backup_policy":      m{"efs": m{"backup_policy": m{"status": "DISABLED"}, "file_system_id": "${aws_efs_file_system.efs.id}"}},
}

var efsPolicy = policy(
	`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":{"AWS":["*"]},"Action":["*"],"Resource":["${aws_efs_file_system.efs.arn}"],"Condition":{"Bool":{"aws:SecureTransport":["false"]}}}`,
	`{"Sid":"MountThroughTheAccessPointOnly","Effect":"Allow","Principal":{"AWS":["arn:${data.aws_partition.partition.partition}:iam::${data.aws_caller_identity.caller.account_id}:root"]},"Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":["${aws_efs_file_system.efs.arn}"],"Condition":{"Bool":{"elasticfilesystem:AccessedViaMountTarget":["true"]},"StringEquals":{"elasticfilesystem:AccessPointArn":["${aws_efs_access_point.odoo.arn}"]}}}`,
)

// cache is n8n's Redis and its parameter group.
var cache = part{
	"aws_elasticache_replication_group": m{"redis": m{
		"at_rest_encryption_enabled": "true", "auth_token": "${aws_secretsmanager_secret_version.redis-auth-token.secret_string}",
		"automatic_failover_enabled": true, "description": "fixture: n8n queue mode", "engine": "redis", "engine_version": "7.1",
		"kms_key_id": cmk, "lifecycle": m{"ignore_changes": l{"auth_token"}, "prevent_destroy": true}, "multi_az_enabled": true,
		"node_type": "cache.m6g.large", "num_cache_clusters": 2, "parameter_group_name": "${aws_elasticache_parameter_group.redis.name}",
		"replication_group_id": "influencegen-fixture-cache", "snapshot_retention_limit": 7, "transit_encryption_enabled": true,
		"transit_encryption_mode": "required",
	}},
	"aws_elasticache_parameter_group": m{"redis": m{
		"description": "n8n queue mode: never evict job keys", "family": "redis7", "lifecycle": m{"create_before_destroy": true},
		"name": "influencegen-fixture-cache-redis7-6587f619", "parameter": l{m{"name": "maxmemory-policy", "value": "noeviction"}},
	}},
}

// bucketPart is a bucket with the companions the constructs give every
// bucket: default encryption, versioning, the public access block, a
// TLS-only policy and a lifecycle expiring objects after days.
func bucketPart(name, bucket, sseAlgorithm string, days int, attrs m) part {
	b := m{"bucket": bucket}
	for k, v := range attrs {
		b[k] = v
	}
	ref := "${aws_s3_bucket." + name + ".id}"
	arn := "${aws_s3_bucket." + name + ".arn}"
	rule := m{"sse_algorithm": sseAlgorithm}
	if sseAlgorithm == "aws:kms" {
		rule["kms_master_key_id"] = cmk
	}
	return part{
		"aws_s3_bucket": m{name: b},
		"aws_s3_bucket_server_side_encryption_configuration": m{name: m{"bucket": ref, "rule": l{m{
			"apply_server_side_encryption_by_default": rule, "bucket_key_enabled": true,
		}}}},
		"aws_s3_bucket_versioning": m{name: m{"bucket": ref, "versioning_configuration": m{"status": "Enabled"}}},
		"aws_s3_bucket_public_access_block": m{name: m{
			"block_public_acls": true, "block_public_policy": true, "bucket": ref, "ignore_public_acls": true, "restrict_public_buckets": true,
		}},
		"aws_s3_bucket_policy": m{name: m{"bucket": ref, "policy": policy(
			`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":{"AWS":["*"]},"Action":["s3:*"],"Resource":["` + arn + `","` + arn + `/*"],"Condition":{"Bool":{"aws:SecureTransport":["false"]}}}`,
		)}},
		"aws_s3_bucket_lifecycle_configuration": m{name: m{"bucket": ref, "rule": l{m{
			"expiration": l{m{"days": days}}, "filter": l{m{}}, "id": "retention", "status": "Enabled",
		}}}},
	}
}

// bucket keeps backups: SSE-KMS, kept a year, never destroyed with its
// objects.
var bucket = bucketPart("data", "influencegen-fixture-backups-${data.aws_caller_identity.caller.account_id}", "aws:kms", 365,
	m{"force_destroy": false, "lifecycle": m{"prevent_destroy": true}})

// transferBucket is a staging area: objects expire after a day, and a
// destroy empties it.
var transferBucket = bucketPart("transfer", "influencegen-fixture-ansible-${data.aws_caller_identity.caller.account_id}", "aws:kms", 1,
	m{"force_destroy": true})

// logBucket receives the load balancer's access logs, which ELB writes
// with SSE-S3 only.
var logBucket = bucketPart("logs", "influencegen-fixture-edge-logs-${data.aws_caller_identity.caller.account_id}", "AES256", 365,
	m{"force_destroy": false, "lifecycle": m{"prevent_destroy": true}})

var topic = part{"aws_sns_topic": m{"alarms": m{
	"display_name": "fixture alarms", "kms_master_key_id": "${aws_kms_key.logs.arn}", "name": "influencegen-fixture-alarms",
}}}

var logGroup = part{"aws_cloudwatch_log_group": m{"app": m{
	"kms_key_id": "${aws_kms_key.logs.arn}", "name": "/influencegen-fixture/odoo/app", "retention_in_days": 14,
}}}

// secret is a generated secret: its value comes from Secrets Manager's
// random password, never from the code.
var secret = part{
	"aws_secretsmanager_secret": m{"app": m{
		"description": "fixture: generated odoo/admin-password", "kms_key_id": "${aws_kms_key.secrets.arn}",
		"lifecycle": m{"prevent_destroy": true}, "name": "influencegen/fixture/odoo/admin-password", "recovery_window_in_days": 0,
	}},
	"aws_secretsmanager_secret_version": m{"app": m{
		"lifecycle": m{"ignore_changes": l{"secret_string"}}, "secret_id": "${aws_secretsmanager_secret.app.id}",
		"secret_string": "${data.aws_secretsmanager_random_password.app.random_password}",
	}},
}

// edge is the internet-facing load balancer: its security group open on
// 80 and 443, the HTTP listener redirecting, the HTTPS listener on a TLS
// 1.3 policy, a target group, and the web ACL with its logging.
var edge = part{
	"aws_lb": m{"alb": m{
		"access_logs":                m{"bucket": "${aws_s3_bucket_policy.logs.bucket}", "enabled": true, "prefix": "alb"},
		"drop_invalid_header_fields": true, "enable_deletion_protection": true, "internal": false, "load_balancer_type": "application",
		"name": "influencegen-fixture-edge", "security_groups": l{"${aws_security_group.edge.id}"},
		"subnets": l{"${aws_subnet.public-1.id}", "${aws_subnet.public-2.id}"},
	}},
	"aws_security_group": m{"edge": m{
		"description": "load balancer: 80/443 from the internet", "lifecycle": m{"create_before_destroy": true},
		"name_prefix": "influencegen-fixture-edge-", "vpc_id": "${aws_vpc.vpc.id}",
	}},
	"aws_vpc_security_group_ingress_rule": m{
		"http":  m{"cidr_ipv4": "0.0.0.0/0", "from_port": 80, "ip_protocol": "tcp", "security_group_id": "${aws_security_group.edge.id}", "to_port": 80},
		"https": m{"cidr_ipv4": "0.0.0.0/0", "from_port": 443, "ip_protocol": "tcp", "security_group_id": "${aws_security_group.edge.id}", "to_port": 443},
	},
	"aws_lb_listener": m{
		"http": m{"default_action": l{m{"redirect": m{"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}, "type": "redirect"}},
			"load_balancer_arn": "${aws_lb.alb.arn}", "port": 80, "protocol": "HTTP"},
		"https": m{"certificate_arn": "${aws_acm_certificate_validation.edge.certificate_arn}",
			"default_action":    l{m{"fixed_response": m{"content_type": "text/plain", "message_body": "Not found", "status_code": "404"}, "type": "fixed-response"}},
			"load_balancer_arn": "${aws_lb.alb.arn}", "port": 443, "protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
	},
	"aws_lb_target_group": m{"odoo": m{
		"lifecycle": m{"create_before_destroy": true}, "port": 8069, "protocol": "HTTP", "target_type": "instance", "vpc_id": "${aws_vpc.vpc.id}",
	}},
	"aws_wafv2_web_acl": m{"waf": m{
		"default_action": m{"allow": m{}}, "name": "influencegen-fixture-web", "rule_json": wafRules(crossSiteScriptingBodyLabel),
		"scope": "REGIONAL", "visibility_config": m{"cloudwatch_metrics_enabled": true, "metric_name": "influencegen-fixture-web", "sampled_requests_enabled": true},
	}},
	"aws_wafv2_web_acl_association": m{"waf": m{"resource_arn": "${aws_lb.alb.arn}", "web_acl_arn": "${aws_wafv2_web_acl.waf.arn}"}},
	"aws_wafv2_web_acl_logging_configuration": m{"waf": m{
		"log_destination_configs": l{"${aws_cloudwatch_log_group.waf.arn}"},
		"redacted_fields":         l{m{"single_header": m{"name": "authorization"}}, m{"single_header": m{"name": "cookie"}}},
		"resource_arn":            "${aws_wafv2_web_acl.waf.arn}",
	}},
	"aws_cloudwatch_log_group": m{"waf": m{"kms_key_id": "${aws_kms_key.logs.arn}", "name": "aws-waf-logs-influencegen-fixture", "retention_in_days": 90}},
}

// crossSiteScriptingBodyLabel is the label the core rule set's
// CrossSiteScripting_BODY rule adds (AWS WAF Developer Guide, "Core rule
// set (CRS) managed rule group"): the label's case differs from the rule's.
const crossSiteScriptingBodyLabel = "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body"

// wafRules is a web ACL's rule_json: the core rule set, its
// CrossSiteScripting_BODY rule counted, and a rule that blocks what it
// labels except under one path, matching the label inside an AndStatement.
func wafRules(label string) string {
	visibility := func(name string) string {
		return `"VisibilityConfig":{"CloudWatchMetricsEnabled":true,"MetricName":"influencegen-fixture-` + name + `","SampledRequestsEnabled":true}`
	}
	return `[{"Name":"AWSManagedRulesCommonRuleSet","OverrideAction":{"None":{}},"Priority":10,"Statement":{"ManagedRuleGroupStatement":{"Name":"AWSManagedRulesCommonRuleSet","RuleActionOverrides":[{"ActionToUse":{"Count":{}},"Name":"CrossSiteScripting_BODY"}],"VendorName":"AWS"}},` + visibility("crs") + `},` +
		`{"Action":{"Block":{}},"Name":"CrossSiteScripting_BODY-outside-exceptions","Priority":11,"Statement":{"AndStatement":{"Statements":[{"LabelMatchStatement":{"Key":"` + label + `","Scope":"LABEL"}},{"NotStatement":{"Statement":{"ByteMatchStatement":{"FieldToMatch":{"UriPath":{}},"PositionalConstraint":"STARTS_WITH","SearchString":"/web/dataset/","TextTransformations":[{"Priority":0,"Type":"NONE"}]}}}}]}},` + visibility("xss-body") + `}]`
}

// serverRole is an environment role: trusted by EC2, under the
// environment's permissions boundary, with a least-privilege policy.
var serverRole = part{
	"aws_iam_role": m{"server": m{
		"assume_role_policy":   `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}],"Version":"2012-10-17"}`,
		"name":                 "influencegen-fixture-odoo",
		"permissions_boundary": boundaryARN,
	}},
	"aws_iam_role_policy": m{"server": m{"name": "least-privilege", "role": "${aws_iam_role.server.id}", "policy": policy(
		`{"Sid":"AgentDescribe","Effect":"Allow","Action":["ec2:DescribeTags","ec2:DescribeVolumes"],"Resource":["*"]}`,
		`{"Sid":"ReadModels","Effect":"Allow","Action":["s3:GetObject"],"Resource":["${aws_s3_bucket.models.arn}/*"]}`,
		`{"Sid":"ListModels","Effect":"Allow","Action":["s3:ListBucket"],"Resource":["${aws_s3_bucket.models.arn}"]}`,
		`{"Sid":"MountTheFilestore","Effect":"Allow","Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":["${aws_efs_file_system.efs.arn}"],"Condition":{"StringEquals":{"elasticfilesystem:AccessPointArn":["${aws_efs_access_point.odoo.arn}"]}}}`,
	)}},
	"aws_iam_role_policy_attachment": m{"server-ssm": m{
		"policy_arn": "arn:${data.aws_partition.partition.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore",
		"role":       "${aws_iam_role.server.name}",
	}},
}

const (
	accountARN  = "arn:${data.aws_partition.partition.partition}:iam::${data.aws_caller_identity.caller.account_id}"
	boundaryARN = accountARN + ":policy/influencegen-fixture-boundary"
	stateARN    = "arn:${data.aws_partition.partition.partition}:s3:::influencegen-tfstate-123456789012"
	secretsARN  = "arn:${data.aws_partition.partition.partition}:secretsmanager:eu-central-1:${data.aws_caller_identity.caller.account_id}:secret:"
)

// githubTrust is a trust policy for GitHub Actions' OIDC provider.
func githubTrust(subjects ...string) string {
	subs, _ := json.Marshal(subjects)
	return `{"Statement":[{"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":` +
		string(subs) + `}},"Effect":"Allow","Principal":{"Federated":"${aws_iam_openid_connect_provider.github.arn}"}}],"Version":"2012-10-17"}`
}

// The deploy role's statements (the shared stack): its own state, and role
// writes delegated only under the environment's boundary.
const (
	ownState        = `{"Sid":"OwnStateOnly","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":["` + stateARN + `/fixture/terraform.tfstate","` + stateARN + `/fixture/terraform.tfstate.tflock"]}`
	listOwnState    = `{"Sid":"ListOwnStatePrefix","Effect":"Allow","Action":["s3:ListBucket"],"Resource":["` + stateARN + `"],"Condition":{"StringLike":{"s3:prefix":["fixture/terraform.tfstate","fixture/terraform.tfstate.tflock","env:/"]}}}`
	writeRoles      = `{"Sid":"WriteRolesOnlyWithBoundary","Effect":"Allow","Action":["iam:CreateRole","iam:PutRolePolicy","iam:DeleteRolePolicy","iam:DetachRolePolicy","iam:PutRolePermissionsBoundary"],"Resource":["` + accountARN + `:role/influencegen-fixture-*"],"Condition":{"StringEquals":{"iam:PermissionsBoundary":["` + boundaryARN + `"]}}}`
	attachListed    = `{"Sid":"AttachListedManagedPoliciesOnlyWithBoundary","Effect":"Allow","Action":["iam:AttachRolePolicy"],"Resource":["` + accountARN + `:role/influencegen-fixture-*"],"Condition":{"ArnEquals":{"iam:PolicyARN":["arn:${data.aws_partition.partition.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"]},"StringEquals":{"iam:PermissionsBoundary":["` + boundaryARN + `"]}}}`
	neverRemove     = `{"Sid":"NeverRemoveABoundary","Effect":"Deny","Action":["iam:DeleteRolePermissionsBoundary","iam:DeleteUserPermissionsBoundary"],"Resource":["*"]}`
	neverEdit       = `{"Sid":"NeverEditABoundary","Effect":"Deny","Action":["iam:CreatePolicy","iam:CreatePolicyVersion","iam:DeletePolicy","iam:DeletePolicyVersion","iam:SetDefaultPolicyVersion","iam:TagPolicy","iam:UntagPolicy"],"Resource":["` + accountARN + `:policy/influencegen-*-boundary"]}`
	readOwnState    = `{"Sid":"ReadOwnState","Effect":"Allow","Action":["s3:GetObject"],"Resource":["` + stateARN + `/fixture/terraform.tfstate"]}`
	refreshSecrets  = `{"Sid":"RefreshOwnSecrets","Effect":"Allow","Action":["secretsmanager:GetSecretValue"],"Resource":["` + secretsARN + `influencegen/fixture/*"]}`
	noObjectReads   = `{"Sid":"NoObjectReadsButOwnState","Effect":"Deny","Action":["s3:GetObject*"],"NotResource":["` + stateARN + `/fixture/terraform.tfstate"]}`
	listPlanState   = `{"Sid":"ListOwnStatePrefix","Effect":"Allow","Action":["s3:ListBucket"],"Resource":["` + stateARN + `"],"Condition":{"StringLike":{"s3:prefix":["fixture/terraform.tfstate","env:/"]}}}`
	mainBranch      = "repo:influencegen/infrastructure:ref:refs/heads/main"
	pullRequests    = "repo:influencegen/infrastructure:pull_request"
	fixtureDeployer = "repo:influencegen/infrastructure:environment:fixture"
)

// deployRole deploys an environment from GitHub Actions (shared stack).
var deployRole = part{
	"aws_iam_role": m{"deploy": m{"assume_role_policy": githubTrust(fixtureDeployer), "max_session_duration": 3600, "name": "influencegen-deploy-fixture"}},
	"aws_iam_role_policy": m{"deploy": m{"name": "deploy-fixture", "role": "${aws_iam_role.deploy.id}",
		"policy": policy(ownState, listOwnState, writeRoles, attachListed, neverRemove, neverEdit)}},
}

// planRole plans an environment for pull requests and main (shared stack):
// ReadOnlyAccess, denied every object but its state and every secret
// outside its environment.
var planRole = part{
	"aws_iam_role": m{"plan": m{"assume_role_policy": githubTrust(mainBranch, pullRequests), "max_session_duration": 3600, "name": "influencegen-plan-fixture"}},
	"aws_iam_role_policy": m{"plan": m{"name": "plan-fixture", "role": "${aws_iam_role.plan.id}",
		"policy": policy(readOwnState, listPlanState, refreshSecrets, noObjectReads)}},
	"aws_iam_role_policy_attachment": m{"plan-readonly": m{
		"policy_arn": "arn:${data.aws_partition.partition.partition}:iam::aws:policy/ReadOnlyAccess", "role": "${aws_iam_role.plan.name}",
	}},
}

// parts joins part lists.
func parts(ps ...part) []part { return ps }
