package plan

import (
	"slices"
	"strings"
)

// The harness's assumptions about AWS, in one place.
//
// The plan runs the real hashicorp/aws provider. A plan of resources that do
// not exist yet calls no AWS API: the provider computes every plan-time
// value itself (the certificate's domain_validation_options, tags_all,
// which arguments force replacement). Data sources are different: the real
// provider reads them from AWS at plan. The harness replaces each with an
// override_data block whose values are below. Each value says what the
// real data source returns and where that is documented.
//
// Rule: a fixture states a fact about AWS. It is never widened, loosened or
// shaped to make a real error go away; if Terraform rejects a stack, the
// fix goes into the constructs. The values use the example account
// (environments.DefaultAccount) and eu-central-1.
var dataFixtures = map[string]string{
	// sts:GetCallerIdentity: a 12-digit account (AWS STS API reference,
	// GetCallerIdentity).
	"aws_caller_identity": `
    account_id = "123456789012"
    arn        = "arn:aws:sts::123456789012:assumed-role/influencegen-deploy/session"
    user_id    = "AROAEXAMPLEEXAMPLEEXA:session"`,

	// The partition of the provider's region: "aws", "aws-cn", "aws-us-gov"
	// (provider internal/service/meta/partition_data_source.go). IAM
	// validates the partition of every ARN against ^aws(-[a-z]+)*$.
	"aws_partition": `
    partition          = "aws"
    dns_suffix         = "amazonaws.com"
    reverse_dns_prefix = "com.amazonaws"`,

	// ec2:DescribeAvailabilityZones with state "available" and opt-in not
	// required: eu-central-1 has three zones. The network construct takes
	// up to Scale.AZCount of them in order.
	"aws_availability_zones": `
    names    = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
    zone_ids = ["euc1-az2", "euc1-az3", "euc1-az1"]`,

	// ec2:DescribeImages, newest match: image IDs are "ami-" and 8 or 17
	// hex digits (EC2 API reference, Image).
	"aws_ami": `
    id           = "ami-0123456789abcdef0"
    architecture = "x86_64"`,

	// route53:ListHostedZonesByName: zone IDs are "Z" and up to 31
	// upper-case letters and digits, without the /hostedzone/ prefix.
	"aws_route53_zone": `
    zone_id = "Z0123456789ABCDEFGHIJ"
    arn     = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"`,

	// secretsmanager:GetRandomPassword returns exactly password_length
	// characters; with exclude_punctuation and require_each_included_type,
	// letters of both cases and digits. The stacks ask for 64.
	// ElastiCache's auth_token validator wants 16–128 printable characters
	// (provider internal/service/elasticache/replication_group.go).
	"aws_secretsmanager_random_password": `
    random_password = "` + FixtureRandomPassword + `"`,

	// ec2:DescribeInstanceTypeOfferings with location type
	// availability-zone-id, filtered on one instance type: the zone IDs
	// that sell it. The fixture assumes the GPU types the stacks use are
	// sold in the three zones of Account.PrimaryZoneIDs; the real data
	// source answers for the real account at plan, and the GPU servers'
	// preconditions fail the plan naming the zone if it does not (the
	// harness's tests prove that they do).
	"aws_ec2_instance_type_offerings": `
    instance_types = ["g5.xlarge", "g5.xlarge", "g5.xlarge"]
    locations      = ["euc1-az1", "euc1-az2", "euc1-az3"]
    location_types = ["availability-zone-id", "availability-zone-id", "availability-zone-id"]`,
}

// FixtureRandomPassword is the value the aws_secretsmanager_random_password
// data source returns in the harness (a secret that does enter the plan
// and the state: tests search for it).
const FixtureRandomPassword = "Aa0Bb1Cc2Dd3Ee4Ff5Gg6Hh7Ii8Jj9Kk0Ll1Mm2Nn3Oo4Pp5Qq6Rr7Ss8Tt9Uu0V"

// Fake credentials for the provider block of the plan: with the skip_*
// settings the provider calls nothing, and a plan of new resources needs no
// AWS API. They are not a secret and not a real key.
const (
	fakeAccessKey = "AKIAHARNESSNOTAREAL0"
	fakeSecretKey = "plan-harness-offline-not-a-real-secret-key"
)

// mockResourceDefaults are the computed values a mock "apply" gives the
// resources whose values the stacks feed into validated arguments, in the
// shape the real service returns (AWS General Reference, "Amazon Resource
// Names"; each service's API reference). A scenario's real-provider plan
// validates them: a random string where an ARN belongs would be refused.
var mockResourceDefaults = map[string]string{
	"aws_kms_key": `
      arn    = "arn:aws:kms:eu-central-1:123456789012:key/0123abcd-4567-89ab-cdef-0123456789ab"
      key_id = "0123abcd-4567-89ab-cdef-0123456789ab"`,
	"aws_iam_role": `
      arn       = "arn:aws:iam::123456789012:role/influencegen-example"
      unique_id = "AROAEXAMPLEEXAMPLEEXA"`,
	"aws_iam_instance_profile": `
      arn = "arn:aws:iam::123456789012:instance-profile/influencegen-example"`,
	"aws_iam_openid_connect_provider": `
      arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"`,
	"aws_iam_policy": `
      arn = "arn:aws:iam::123456789012:policy/influencegen-example"`,
	"aws_s3_bucket": `
      arn                         = "arn:aws:s3:::influencegen-example"
      bucket_domain_name          = "influencegen-example.s3.amazonaws.com"
      bucket_regional_domain_name = "influencegen-example.s3.eu-central-1.amazonaws.com"`,
	"aws_cloudwatch_log_group": `
      arn = "arn:aws:logs:eu-central-1:123456789012:log-group:/influencegen/example"`,
	"aws_sns_topic": `
      arn                   = "arn:aws:sns:eu-central-1:123456789012:influencegen-example"
      fifo_throughput_scope = null
      tracing_config        = "PassThrough"`,
	"aws_secretsmanager_secret": `
      arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:influencegen/example-AbCdEf"`,
	"aws_lb": `
      xff_header_processing_mode       = "append"
      dns_record_client_routing_policy = null
      arn        = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/influencegen-example/0123456789abcdef"
      arn_suffix = "app/influencegen-example/0123456789abcdef"
      dns_name   = "influencegen-example-123456789.eu-central-1.elb.amazonaws.com"
      zone_id    = "Z215JYRZR1TBD5"`,
	"aws_lb_target_group": `
      ip_address_type                    = "ipv4"
      load_balancing_algorithm_type      = "round_robin"
      load_balancing_anomaly_mitigation  = "off"
      load_balancing_cross_zone_enabled  = "use_load_balancer_configuration"
      protocol_version                   = "HTTP1"
      arn        = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/tf-0123456789abcdef/0123456789abcdef"
      arn_suffix = "targetgroup/tf-0123456789abcdef/0123456789abcdef"`,
	"aws_lb_listener": `
      arn = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:listener/app/influencegen-example/0123456789abcdef/0123456789abcdef"`,
	"aws_acm_certificate": `
      arn = "arn:aws:acm:eu-central-1:123456789012:certificate/0123abcd-4567-89ab-cdef-0123456789ab"`,
	"aws_acm_certificate_validation": `
      certificate_arn = "arn:aws:acm:eu-central-1:123456789012:certificate/0123abcd-4567-89ab-cdef-0123456789ab"`,
	"aws_wafv2_web_acl": `
      arn = "arn:aws:wafv2:eu-central-1:123456789012:regional/webacl/influencegen-example/0123abcd-4567-89ab-cdef-0123456789ab"`,
	"aws_efs_file_system": `
      arn = "arn:aws:elasticfilesystem:eu-central-1:123456789012:file-system/fs-0123456789abcdef0"
      id  = "fs-0123456789abcdef0"`,
	"aws_efs_access_point": `
      arn = "arn:aws:elasticfilesystem:eu-central-1:123456789012:access-point/fsap-0123456789abcdef0"
      id  = "fsap-0123456789abcdef0"`,
	"aws_ecr_repository": `
      arn            = "arn:aws:ecr:eu-central-1:123456789012:repository/influencegen/example"
      repository_url = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/influencegen/example"`,
	"aws_subnet": `
      availability_zone = "eu-central-1a"
      arn               = "arn:aws:ec2:eu-central-1:123456789012:subnet/subnet-0123456789abcdef0"`,
	// An instance launched without user data has none: a mock's random
	// string would be re-hashed by the provider on every plan (it stores
	// the SHA-1 of the base64-decoded value, and a random string often
	// decodes).
	"aws_instance": `
      availability_zone = "eu-central-1a"
      arn               = "arn:aws:ec2:eu-central-1:123456789012:instance/i-0123456789abcdef0"
      private_ip        = "10.10.16.10"
      user_data         = ""`,
	"aws_db_instance": `
      arn = "arn:aws:rds:eu-central-1:123456789012:db:influencegen-example"
      master_user_secret = [{
        kms_key_id    = "arn:aws:kms:eu-central-1:123456789012:key/0123abcd-4567-89ab-cdef-0123456789ab"
        secret_arn    = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:rds!db-0123abcd-4567-89ab-cdef-0123456789ab-AbCdEf"
        secret_status = "active"
      }]`,
	// Optional arguments the API fills in when left out: a mock invents a
	// random string, the real provider then validates it against the enum.
	// Each is the value AWS sets by default (the resource's API reference).
	"aws_s3_bucket_lifecycle_configuration": `
      transition_default_minimum_object_size = "all_storage_classes_128K"
      rule = { filter = { prefix = "" } }`,
	"aws_backup_vault": `
      arn = "arn:aws:backup:eu-central-1:123456789012:backup-vault:influencegen-example"`,
	"aws_ssm_maintenance_window": `
      id = "mw-0123456789abcdef0"`,
}

// providerDefaults are arguments the stacks leave out whose value the real
// provider fills in at plan: its schema's Default, or, for an attribute of
// a nested block, the zero value the plugin SDK gives an attribute that
// is not set ("", 0, false). A mock "apply" knows nothing of them (it
// stores null), so the real provider's plan of a scenario would see each
// of them change: an update of nearly every resource, and a replacement
// where the argument forces one, cascading to everything that references
// it. For scenarios only, the harness writes them out in an override file
// ("block.attribute" completes every instance of a nested block), each
// with the value the real hashicorp/aws provider plans for it (its plan
// of the stack shows them): the configuration means exactly what it
// meant. The Terraform tier proves the list complete and right: the plan
// of an unchanged deployment must change nothing.
var providerDefaults = map[string]map[string]any{
	"aws_vpc": {"instance_tenancy": "default"},
	"aws_subnet": {
		"ipv6_native": false, "assign_ipv6_address_on_creation": false, "enable_dns64": false,
		"enable_resource_name_dns_a_record_on_launch": false, "enable_resource_name_dns_aaaa_record_on_launch": false,
	},
	"aws_iam_role":                {"path": "/", "force_detach_policies": false, "max_session_duration": 3600},
	"aws_iam_instance_profile":    {"path": "/"},
	"aws_nat_gateway":             {"connectivity_type": "public"},
	"aws_sns_topic":               {"fifo_topic": false, "content_based_deduplication": false},
	"aws_backup_plan":             {"rule.enable_continuous_backup": false, "rule.schedule_expression_timezone": "Etc/UTC"},
	"aws_budgets_budget":          {"time_period_end": "2087-06-15_00:00"},
	"aws_cloudwatch_event_rule":   {"event_bus_name": "default", "force_destroy": false},
	"aws_cloudwatch_event_target": {"event_bus_name": "default", "force_destroy": false},
	"aws_cloudwatch_log_group":    {"skip_destroy": false},
	"aws_cloudwatch_metric_alarm": {
		"actions_enabled": true,
	},
	"aws_db_instance":                   {"apply_immediately": false, "dedicated_log_volume": false},
	"aws_db_parameter_group":            {"parameter.apply_method": "immediate", "skip_destroy": false},
	"aws_default_security_group":        {"revoke_rules_on_delete": false},
	"aws_elasticache_replication_group": {"auth_token_update_strategy": "ROTATE"},
	"aws_instance": {
		"get_password_data": false, "source_dest_check": true, "user_data_replace_on_change": false,
		"metadata_options.http_protocol_ipv6": "disabled",
	},
	"aws_kms_key": {"bypass_policy_lockout_safety_check": false, "is_enabled": true},
	"aws_lb": {
		"client_keep_alive": 3600, "enable_tls_version_and_cipher_suite_headers": false, "enable_waf_fail_open": false,
		"enable_xff_client_port": false, "enable_zonal_shift": false, "preserve_host_header": false,
		"xff_header_processing_mode": "append",
	},
	"aws_lb_listener": {
		"default_action.redirect.host": "#{host}", "default_action.redirect.path": "/#{path}",
		"default_action.redirect.query": "#{query}", "default_action.target_group_arn": "",
	},
	"aws_lb_target_group": {
		"lambda_multi_value_headers_enabled": false, "proxy_protocol_v2": false, "slow_start": 0,
		"stickiness.cookie_name": "",
	},
	"aws_secretsmanager_secret": {"force_overwrite_replica_secret": false},
	"aws_security_group":        {"revoke_rules_on_delete": false},
	"aws_sns_topic_subscription": {
		"confirmation_timeout_in_minutes": 1, "endpoint_auto_confirms": false, "raw_message_delivery": false,
	},
	"aws_ssm_maintenance_window": {"enabled": true},
	"aws_ssm_patch_baseline":     {"approved_patches_compliance_level": "UNSPECIFIED"},
}

// unwritableDefaults are attributes of nested blocks that the plugin SDK
// plans as "" when they are not set, but whose own validation refuses ""
// in a configuration (a date format, an enumeration): the harness cannot
// write them out. For scenarios only, it ignores changes to each one the
// stack leaves out (lifecycle ignore_changes on that element's attribute,
// or on the whole block where only a block is named):
// for a provider on the legacy type system, Terraform puts the prior value
// back into the planned one (internal/terraform/node_resource_abstract_instance.go,
// plan(), resp.LegacyTypeSystem), so the mock's null stays null.
var unwritableDefaults = map[string][]string{
	"aws_efs_file_system": {
		"lifecycle_policy.transition_to_archive", "lifecycle_policy.transition_to_ia",
		"lifecycle_policy.transition_to_primary_storage_class",
	},
	"aws_ssm_patch_baseline": {"approval_rule.approve_until_date"},
	// A set of blocks, which ignore_changes cannot index: the whole block
	// (metric.unit, a unit enumeration, is the one refused).
	"aws_cloudwatch_metric_alarm": {"metric_query"},
}

// providerDefaultBlocks lists the nested blocks of a type that
// providerDefaults completes.
func providerDefaultBlocks(typ string) []string {
	var out []string
	for k := range providerDefaults[typ] {
		if block, _, nested := strings.Cut(k, "."); nested && !slices.Contains(out, block) {
			out = append(out, block)
		}
	}
	return out
}
