package controls

// Physical names across stacks: two stacks of one account never claim one name.

import (
	"fmt"
	"sort"

	"github.com/influencegen/infrastructure/internal/stack"
)

// physicalNameAttrs are the arguments that name a resource in AWS, by type.
// IAM and S3 names are unique in the account (S3: in the partition);
// every other name is unique in its region.
var physicalNameAttrs = map[string]string{
	"aws_s3_bucket": "bucket", "aws_iam_role": "name", "aws_iam_instance_profile": "name", "aws_iam_policy": "name",
	"aws_iam_openid_connect_provider": "url",
	"aws_db_instance":                 "identifier", "aws_db_subnet_group": "name", "aws_db_parameter_group": "name_prefix",
	"aws_elasticache_replication_group": "replication_group_id", "aws_elasticache_subnet_group": "name",
	"aws_elasticache_parameter_group": "name", "aws_lb": "name", "aws_secretsmanager_secret": "name",
	"aws_kms_alias": "name", "aws_cloudwatch_log_group": "name", "aws_sns_topic": "name", "aws_ssm_parameter": "name",
	"aws_efs_file_system": "creation_token", "aws_cloudwatch_metric_alarm": "alarm_name",
	"aws_cloudwatch_dashboard": "dashboard_name", "aws_wafv2_web_acl": "name", "aws_ecr_repository": "name",
	"aws_security_group": "name_prefix", "aws_backup_vault": "name", "aws_backup_plan": "name",
	"aws_budgets_budget": "name", "aws_ssm_maintenance_window": "name", "aws_ssm_patch_baseline": "name",
	"aws_scheduler_schedule": "name", "aws_scheduler_schedule_group": "name",
}

// accountWide are the types whose names are unique in the whole account.
var accountWide = map[string]bool{
	"aws_s3_bucket": true, "aws_iam_role": true, "aws_iam_instance_profile": true, "aws_iam_policy": true,
	"aws_iam_openid_connect_provider": true, "aws_budgets_budget": true,
}

// DuplicateNames lists the physical names that two resources of the given
// stacks would both take in one account (and region, for regional types):
// the second `apply` would fail "already exists". Every construct takes its
// names from its own construct ID, so any construct can exist twice; this
// proves the stacks of one account never collide.
func DuplicateNames(stacks map[string]stack.Stack) []string {
	seen := map[string]string{}
	var out []string
	names := make([]string, 0, len(stacks))
	for n := range stacks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, stackName := range names {
		s := stacks[stackName]
		region := ""
		if p, ok := s["provider"].(map[string]any); ok {
			if cfgs, ok := p["aws"].([]any); ok && len(cfgs) > 0 {
				region = str(block(cfgs[0])["region"])
			}
		}
		for typ, attr := range physicalNameAttrs {
			for _, r := range each(s, typ) {
				name := str(r.attrs[attr])
				if name == "" {
					continue
				}
				scope := region
				if accountWide[typ] {
					scope = "account"
				}
				key := scope + "|" + typ + "|" + name
				where := stackName + ":" + r.String()
				if prev, dup := seen[key]; dup {
					out = append(out, fmt.Sprintf("%s %q (%s) is also %s", typ, name, where, prev))
					continue
				}
				seen[key] = where
			}
		}
	}
	sort.Strings(out)
	return out
}
