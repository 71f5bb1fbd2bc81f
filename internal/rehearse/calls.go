package rehearse

import (
	"fmt"
	"sort"
	"strings"

	"github.com/influencegen/infrastructure/environments"
)

// Call is one AWS request a job makes, in the shape an IAM evaluator
// takes: who (the role the job assumed), what, on what, with which
// request context.
type Call struct {
	// Job is the run's key (Run.Key); Step the step that makes it.
	Job, Step string
	// Principal is the role ARN (configure-aws-credentials' role-to-assume,
	// evaluated).
	Principal string
	// Action is "service:Operation" as IAM names it.
	Action string
	// Resource is the ARN ("*" for actions without resource-level
	// permissions, or whose resource does not exist yet).
	Resource string
	// Context are the request's condition keys.
	Context map[string][]string
	// Why says which part of the job makes it (Terraform's S3 backend, the
	// apply of aws_db_instance, the aws_ec2 inventory, …).
	Why string
}

// Target is what a job works on: the environment and its synthesized
// stack (parsed cdk.tf.json).
type Target struct {
	// Env is the environment's configuration.
	Env environments.ParityConfig
	// Account is the account configuration (state bucket, key alias,
	// project).
	Account environments.Account
	// Stack is the environment stack's cdk.tf.json, parsed.
	Stack map[string]any
}

// jobKind says what a job's steps do with AWS, read from its run blocks.
type jobKind struct {
	preflight, plan, lock, apply, ansible bool
}

func kindOf(r *Run) (jobKind, string) {
	var k jobKind
	step := ""
	for _, st := range r.Job.Steps {
		run := st.Run
		switch {
		case strings.Contains(run, "deploy_environment.sh") && strings.Contains(run, "--plan-only"):
			k.preflight, k.plan, step = true, true, st.Label()
			// deploy_environment.sh plans with the lock unless the job
			// turns it off (TF_CLI_ARGS_plan=-lock=false).
			k.lock = !strings.Contains(st.Env["TF_CLI_ARGS_plan"].S, "-lock=false") && !strings.Contains(run, "-lock=false")
		case strings.Contains(run, "deploy_environment.sh"):
			k.apply, k.lock, k.ansible, step = true, true, true, st.Label()
		case strings.Contains(run, "cdktf diff") || strings.Contains(run, "terraform plan"):
			k.plan, step = true, st.Label()
			k.lock = !strings.Contains(st.Env["TF_CLI_ARGS_plan"].S, "-lock=false") && !strings.Contains(run, "-lock=false")
		}
	}
	return k, step
}

// Calls lists the AWS requests a job makes with its role: Terraform's S3
// backend (state, lock file, state key), the preflight's reads, the
// refresh of a plan (one read per resource type, and the secrets' values),
// the creates of a first apply (one per resource type, with the request
// context the deploy role's conditions read), and Ansible's (the aws_ec2
// inventory, Session Manager, its S3 transfer bucket, the Secrets Manager
// lookups). role is the ARN the job assumes.
func Calls(r *Run, role string, t Target) []Call {
	k, step := kindOf(r)
	if !k.plan && !k.apply {
		return nil
	}
	a := t.Account
	region := t.Env.Region
	bucket := "arn:aws:s3:::" + a.StateBucket
	key := t.Env.Identity.StateKey
	stateKey := fmt.Sprintf("arn:aws:kms:%s:%s:key/state", a.StateRegion, a.ID)
	aliasCtx := map[string][]string{"kms:ResourceAliases": {"alias/" + a.StateKMSAlias}}
	var out []Call
	add := func(why, action, resource string, ctx map[string][]string) {
		if ctx == nil {
			ctx = map[string][]string{}
		}
		out = append(out, Call{Job: r.Key(), Step: step, Principal: role, Action: action, Resource: resource, Context: ctx, Why: why})
	}
	regional := func(extra map[string][]string) map[string][]string {
		ctx := map[string][]string{"aws:RequestedRegion": {region}, "aws:ResourceTag/Environment": {t.Env.Identity.Name}}
		for k, v := range extra {
			ctx[k] = v
		}
		return ctx
	}
	// Terraform's S3 backend (internal/backend/remote-state/s3, 1.11):
	// list the workspace prefix, read the state, and with the lock write
	// and delete the lock file; the state is encrypted with the state key.
	add("S3 backend: workspaces", "s3:ListBucket", bucket, map[string][]string{"s3:prefix": {"env:/"}})
	add("S3 backend: read the state", "s3:GetObject", bucket+"/"+key, nil)
	add("S3 backend: decrypt the state", "kms:Decrypt", stateKey, aliasCtx)
	if k.lock {
		add("S3 backend: take the lock (use_lockfile)", "s3:PutObject", bucket+"/"+key+".tflock", nil)
		add("S3 backend: release the lock", "s3:DeleteObject", bucket+"/"+key+".tflock", nil)
	}
	if k.apply {
		add("S3 backend: write the state", "s3:PutObject", bucket+"/"+key, nil)
		add("S3 backend: encrypt the state", "kms:GenerateDataKey", stateKey, aliasCtx)
	}
	if k.preflight {
		for _, act := range []string{"sts:GetCallerIdentity", "ec2:DescribeAvailabilityZones", "ec2:DescribeInstances", "ec2:DescribeInstanceTypes",
			"ec2:DescribeInstanceTypeOfferings", "ec2:DescribeAddresses", "ec2:DescribeVpcs", "servicequotas:GetServiceQuota",
			"servicequotas:GetAWSDefaultServiceQuota", "route53:ListHostedZonesByName", "secretsmanager:ListSecrets"} {
			add("preflight (scripts/preflight.sh)", act, "*", map[string][]string{"aws:RequestedRegion": {region}})
		}
	}
	types := resourceTypes(t.Stack)
	if k.plan {
		for _, typ := range types {
			if rt, ok := resourceActions[typ]; ok && rt.read != "" {
				add("plan: refresh "+typ, rt.read, "*", map[string][]string{"aws:RequestedRegion": {region}})
			}
		}
		for _, name := range literalNames(t.Stack, "aws_secretsmanager_secret", "name", a.ID) {
			add("plan: refresh aws_secretsmanager_secret_version", "secretsmanager:GetSecretValue",
				fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbCdEf", region, a.ID, name), map[string][]string{"aws:RequestedRegion": {region}})
		}
	}
	if k.apply {
		boundary := fmt.Sprintf("arn:aws:iam::%s:policy/%s", a.ID, envBoundary(a.Project, t.Env.Identity.Name))
		for _, typ := range types {
			rt, ok := resourceActions[typ]
			if !ok {
				add("apply: "+typ+" (no entry in resourceActions: add one)", "unknown:"+typ, "*", nil)
				continue
			}
			switch rt.scope {
			case "s3":
				for _, b := range literalNames(t.Stack, "aws_s3_bucket", "bucket", a.ID) {
					add("apply: "+typ, rt.create, "arn:aws:s3:::"+b, nil)
				}
			case "iam-role":
				for _, n := range literalNames(t.Stack, "aws_iam_role", "name", a.ID) {
					add("apply: "+typ, rt.create, fmt.Sprintf("arn:aws:iam::%s:role/%s", a.ID, n), map[string][]string{"iam:PermissionsBoundary": {boundary}})
				}
			case "iam-profile":
				for _, n := range literalNames(t.Stack, "aws_iam_instance_profile", "name", a.ID) {
					add("apply: "+typ, rt.create, fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s", a.ID, n), nil)
				}
			case "route53":
				add("apply: "+typ, rt.create, "arn:aws:route53:::hostedzone/Z0EXAMPLE", nil)
			case "budgets":
				add("apply: "+typ, rt.create, fmt.Sprintf("arn:aws:budgets::%s:budget/%s-%s-monthly", a.ID, a.Project, t.Env.Identity.Name), nil)
			default:
				add("apply: "+typ, rt.create, "*", regional(nil))
			}
		}
		for _, n := range literalNames(t.Stack, "aws_iam_role", "name", a.ID) {
			add("apply: pass the role to its service", "iam:PassRole", fmt.Sprintf("arn:aws:iam::%s:role/%s", a.ID, n),
				map[string][]string{"iam:PassedToService": {"ec2.amazonaws.com"}})
		}
	}
	if k.ansible {
		transfer := fmt.Sprintf("arn:aws:s3:::%s-%s-ansible-transfer", a.Project, t.Env.Identity.Name)
		for _, n := range literalNames(t.Stack, "aws_s3_bucket", "bucket", a.ID) {
			if strings.Contains(n, "transfer") {
				transfer = "arn:aws:s3:::" + n
			}
		}
		instance := fmt.Sprintf("arn:aws:ec2:%s:%s:instance/i-0123456789abcdef0", region, a.ID)
		add("Ansible: aws_ec2 inventory", "ec2:DescribeInstances", "*", map[string][]string{"aws:RequestedRegion": {region}})
		add("Ansible: aws_ssm connection", "ssm:StartSession", instance, regional(nil))
		add("Ansible: aws_ssm connection", "ssm:StartSession", fmt.Sprintf("arn:aws:ssm:%s::document/SSM-SessionManagerRunShell", region), regional(nil))
		add("Ansible: aws_ssm connection", "ssm:TerminateSession", fmt.Sprintf("arn:aws:ssm:%s:%s:session/deploy-%s-1", region, a.ID, t.Env.Identity.Name), regional(nil))
		for _, act := range []string{"s3:PutObject", "s3:GetObject", "s3:DeleteObject"} {
			add("Ansible: aws_ssm file transfer", act, transfer+"/i-0123456789abcdef0/file", nil)
		}
		add("Ansible: transfer bucket encryption", "kms:GenerateDataKey", fmt.Sprintf("arn:aws:kms:%s:%s:key/data", region, a.ID), regional(nil))
		for _, name := range literalNames(t.Stack, "aws_secretsmanager_secret", "name", a.ID) {
			add("Ansible: amazon.aws.aws_secret lookup", "secretsmanager:GetSecretValue",
				fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbCdEf", region, a.ID, name), regional(nil))
		}
	}
	return out
}

// envBoundary is the permissions boundary policy's name (envinfo.BoundaryName).
func envBoundary(project, env string) string { return project + "-" + env + "-boundary" }

func resourceTypes(stack map[string]any) []string {
	res, _ := stack["resource"].(map[string]any)
	var out []string
	for t := range res {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// literalNames are the values of attr of every resource of typ, with the
// account-level references resolved to what the account gives them (the
// account ID, partition aws); a value with any other reference is left out.
func literalNames(stack map[string]any, typ, attr, account string) []string {
	res, _ := stack["resource"].(map[string]any)
	rs, _ := res[typ].(map[string]any)
	var out []string
	for _, r := range rs {
		v, ok := r.(map[string]any)[attr].(string)
		if !ok {
			continue
		}
		v = strings.ReplaceAll(v, "${data.aws_caller_identity.caller.account_id}", account)
		v = strings.ReplaceAll(v, "${data.aws_partition.partition.partition}", "aws")
		if !strings.Contains(v, "${") {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// resourceActions are, per resource type, the request its create makes
// (the API the provider's Create calls first) and the read its refresh
// makes, and how its resource ARN is known: "" (regional, any resource of
// the service), s3 (the bucket's name), iam-role / iam-profile (the
// name), route53, budgets. A type missing here is reported as an unknown
// call, so a new type is looked up before it is deployed.
var resourceActions = map[string]struct{ create, read, scope string }{
	"aws_vpc": {"ec2:CreateVpc", "ec2:DescribeVpcs", ""}, "aws_subnet": {"ec2:CreateSubnet", "ec2:DescribeSubnets", ""},
	"aws_route": {"ec2:CreateRoute", "ec2:DescribeRouteTables", ""}, "aws_route_table": {"ec2:CreateRouteTable", "ec2:DescribeRouteTables", ""},
	"aws_route_table_association": {"ec2:AssociateRouteTable", "ec2:DescribeRouteTables", ""},
	"aws_internet_gateway":        {"ec2:CreateInternetGateway", "ec2:DescribeInternetGateways", ""},
	"aws_nat_gateway":             {"ec2:CreateNatGateway", "ec2:DescribeNatGateways", ""}, "aws_eip": {"ec2:AllocateAddress", "ec2:DescribeAddresses", ""},
	"aws_vpc_endpoint": {"ec2:CreateVpcEndpoint", "ec2:DescribeVpcEndpoints", ""}, "aws_flow_log": {"ec2:CreateFlowLogs", "ec2:DescribeFlowLogs", ""},
	"aws_security_group":                  {"ec2:CreateSecurityGroup", "ec2:DescribeSecurityGroups", ""},
	"aws_default_security_group":          {"ec2:RevokeSecurityGroupIngress", "ec2:DescribeSecurityGroups", ""},
	"aws_vpc_security_group_ingress_rule": {"ec2:AuthorizeSecurityGroupIngress", "ec2:DescribeSecurityGroupRules", ""},
	"aws_vpc_security_group_egress_rule":  {"ec2:AuthorizeSecurityGroupEgress", "ec2:DescribeSecurityGroupRules", ""},
	"aws_instance":                        {"ec2:RunInstances", "ec2:DescribeInstances", ""}, "aws_ebs_volume": {"ec2:CreateVolume", "ec2:DescribeVolumes", ""},
	"aws_volume_attachment":                   {"ec2:AttachVolume", "ec2:DescribeVolumes", ""},
	"aws_lb":                                  {"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:DescribeLoadBalancers", ""},
	"aws_lb_listener":                         {"elasticloadbalancing:CreateListener", "elasticloadbalancing:DescribeListeners", ""},
	"aws_lb_listener_rule":                    {"elasticloadbalancing:CreateRule", "elasticloadbalancing:DescribeRules", ""},
	"aws_lb_target_group":                     {"elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DescribeTargetGroups", ""},
	"aws_lb_target_group_attachment":          {"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DescribeTargetHealth", ""},
	"aws_db_instance":                         {"rds:CreateDBInstance", "rds:DescribeDBInstances", ""},
	"aws_db_parameter_group":                  {"rds:CreateDBParameterGroup", "rds:DescribeDBParameters", ""},
	"aws_db_subnet_group":                     {"rds:CreateDBSubnetGroup", "rds:DescribeDBSubnetGroups", ""},
	"aws_elasticache_replication_group":       {"elasticache:CreateReplicationGroup", "elasticache:DescribeReplicationGroups", ""},
	"aws_elasticache_parameter_group":         {"elasticache:CreateCacheParameterGroup", "elasticache:DescribeCacheParameters", ""},
	"aws_elasticache_subnet_group":            {"elasticache:CreateCacheSubnetGroup", "elasticache:DescribeCacheSubnetGroups", ""},
	"aws_efs_file_system":                     {"elasticfilesystem:CreateFileSystem", "elasticfilesystem:DescribeFileSystems", ""},
	"aws_efs_mount_target":                    {"elasticfilesystem:CreateMountTarget", "elasticfilesystem:DescribeMountTargets", ""},
	"aws_efs_file_system_policy":              {"elasticfilesystem:PutFileSystemPolicy", "elasticfilesystem:DescribeFileSystemPolicy", ""},
	"aws_efs_access_point":                    {"elasticfilesystem:CreateAccessPoint", "elasticfilesystem:DescribeAccessPoints", ""},
	"aws_efs_backup_policy":                   {"elasticfilesystem:PutBackupPolicy", "elasticfilesystem:DescribeBackupPolicy", ""},
	"aws_cloudwatch_metric_alarm":             {"cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", ""},
	"aws_cloudwatch_dashboard":                {"cloudwatch:PutDashboard", "cloudwatch:GetDashboard", ""},
	"aws_cloudwatch_log_group":                {"logs:CreateLogGroup", "logs:DescribeLogGroups", ""},
	"aws_cloudwatch_event_rule":               {"events:PutRule", "events:DescribeRule", ""},
	"aws_cloudwatch_event_target":             {"events:PutTargets", "events:ListTargetsByRule", ""},
	"aws_wafv2_web_acl":                       {"wafv2:CreateWebACL", "wafv2:GetWebACL", ""},
	"aws_wafv2_web_acl_association":           {"wafv2:AssociateWebACL", "wafv2:GetWebACLForResource", ""},
	"aws_wafv2_web_acl_logging_configuration": {"wafv2:PutLoggingConfiguration", "wafv2:GetLoggingConfiguration", ""},
	"aws_backup_vault":                        {"backup:CreateBackupVault", "backup:DescribeBackupVault", ""},
	"aws_backup_plan":                         {"backup:CreateBackupPlan", "backup:GetBackupPlan", ""},
	"aws_backup_selection":                    {"backup:CreateBackupSelection", "backup:GetBackupSelection", ""},
	"aws_backup_vault_policy":                 {"backup:PutBackupVaultAccessPolicy", "backup:GetBackupVaultAccessPolicy", ""},
	"aws_backup_vault_notifications":          {"backup:PutBackupVaultNotifications", "backup:GetBackupVaultNotifications", ""},
	"aws_backup_vault_lock_configuration":     {"backup:PutBackupVaultLockConfiguration", "backup:DescribeBackupVault", ""},
	"aws_ssm_maintenance_window":              {"ssm:CreateMaintenanceWindow", "ssm:GetMaintenanceWindow", ""},
	"aws_ssm_maintenance_window_target":       {"ssm:RegisterTargetWithMaintenanceWindow", "ssm:DescribeMaintenanceWindowTargets", ""},
	"aws_ssm_maintenance_window_task":         {"ssm:RegisterTaskWithMaintenanceWindow", "ssm:GetMaintenanceWindowTask", ""},
	"aws_ssm_parameter":                       {"ssm:PutParameter", "ssm:GetParameter", ""},
	"aws_ssm_association":                     {"ssm:CreateAssociation", "ssm:DescribeAssociation", ""},
	"aws_ssm_patch_baseline":                  {"ssm:CreatePatchBaseline", "ssm:GetPatchBaseline", ""},
	"aws_ssm_patch_group":                     {"ssm:RegisterPatchBaselineForPatchGroup", "ssm:DescribePatchGroups", ""},
	"aws_scheduler_schedule":                  {"scheduler:CreateSchedule", "scheduler:GetSchedule", ""},
	"aws_scheduler_schedule_group":            {"scheduler:CreateScheduleGroup", "scheduler:GetScheduleGroup", ""},
	"aws_budgets_budget":                      {"budgets:ModifyBudget", "budgets:ViewBudget", "budgets"},
	"aws_acm_certificate":                     {"acm:RequestCertificate", "acm:DescribeCertificate", ""},
	"aws_acm_certificate_validation":          {"acm:DescribeCertificate", "", ""},
	"aws_route53_record":                      {"route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets", "route53"},
	"aws_iam_role":                            {"iam:CreateRole", "iam:GetRole", "iam-role"},
	"aws_iam_role_policy":                     {"iam:PutRolePolicy", "iam:GetRolePolicy", "iam-role"},
	"aws_iam_role_policy_attachment":          {"iam:ListAttachedRolePolicies", "iam:ListAttachedRolePolicies", "iam-role"},
	"aws_iam_instance_profile":                {"iam:CreateInstanceProfile", "iam:GetInstanceProfile", "iam-profile"},
	"aws_kms_key":                             {"kms:CreateKey", "kms:DescribeKey", ""}, "aws_kms_alias": {"kms:CreateAlias", "kms:ListAliases", ""},
	"aws_secretsmanager_secret":                          {"secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", ""},
	"aws_secretsmanager_secret_version":                  {"secretsmanager:PutSecretValue", "", ""},
	"aws_sns_topic":                                      {"sns:CreateTopic", "sns:GetTopicAttributes", ""},
	"aws_sns_topic_policy":                               {"sns:SetTopicAttributes", "sns:GetTopicAttributes", ""},
	"aws_sns_topic_subscription":                         {"sns:Subscribe", "sns:GetSubscriptionAttributes", ""},
	"aws_s3_bucket":                                      {"s3:CreateBucket", "s3:ListBucket", "s3"},
	"aws_s3_bucket_lifecycle_configuration":              {"s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration", "s3"},
	"aws_s3_bucket_ownership_controls":                   {"s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls", "s3"},
	"aws_s3_bucket_policy":                               {"s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3"},
	"aws_s3_bucket_public_access_block":                  {"s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock", "s3"},
	"aws_s3_bucket_server_side_encryption_configuration": {"s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration", "s3"},
	"aws_s3_bucket_versioning":                           {"s3:PutBucketVersioning", "s3:GetBucketVersioning", "s3"},
}
