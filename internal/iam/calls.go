package iam

import "strings"

// Call is one AWS API call as IAM authorizes it.
type Call struct {
	// Action is the IAM action the call needs ("ec2:CreateVolume").
	Action string
	// On is the resource: "" for the resource's own ARN, "*" for none, or a
	// template: {arn} the resource's own ARN, {region}, {account},
	// {arg:path} an argument of the resource (dotted path into blocks, the
	// first element of a list), {name} its name argument.
	On string
	// Context are request context keys the call carries, values as
	// templates. Default: none.
	Context map[string][]string
	// Dependent names the resource of a dependent action (template).
	Dependent map[string]string
	// DependentContext are context keys of a dependent action's request
	// (iam:PassRole: iam:PassedToService), values as templates.
	DependentContext map[string]map[string][]string
	// Waive lists dependent actions this call does not need here, with why.
	Waive map[string]string
	// When names an argument that must be set for the call to be made
	// ("kms_key_id"); default: always.
	When string
}

// TypeCalls are the calls the provider makes for one resource type.
type TypeCalls struct {
	// Source is the provider file they come from
	// (hashicorp/terraform-provider-aws v5.100.0, internal/service/...).
	Source string
	// Create, Read, Update and Delete are the calls of each operation.
	// Read is also what `terraform plan` makes to refresh the resource.
	Create, Read, Update, Delete []Call
}

// viaService is the request a service makes to KMS on behalf of its
// caller: kms:ViaService names it, kms:CallerAccount is the caller's
// account (AWS KMS developer guide, "kms:ViaService", "kms:CallerAccount").
func viaService(action, keyArg, service string, extra map[string][]string) Call {
	ctx := map[string][]string{"kms:ViaService": {service + ".{region}.amazonaws.com"}, "kms:CallerAccount": {"{account}"}}
	for k, v := range extra {
		ctx[k] = v
	}
	if strings.HasPrefix(keyArg, "{") {
		return Call{Action: action, On: keyArg, Context: ctx}
	}
	return Call{Action: action, On: "{arg:" + keyArg + "}", Context: ctx, When: keyArg}
}

// grantForResource is the kms:CreateGrant a service makes for the resource
// it creates (EBS, RDS, EFS, ElastiCache, Backup): kms:GrantIsForAWSResource
// is true (AWS KMS developer guide, "kms:GrantIsForAWSResource").
func grantForResource(keyArg, service string) Call {
	return viaService("kms:CreateGrant", keyArg, service, map[string][]string{"kms:GrantIsForAWSResource": {"true"}})
}

func calls(actions ...string) []Call {
	out := make([]Call, len(actions))
	for i, a := range actions {
		out[i] = Call{Action: a}
	}
	return out
}

func on(resource string, actions ...string) []Call {
	out := calls(actions...)
	for i := range out {
		out[i].On = resource
	}
	return out
}

func join(lists ...[]Call) []Call {
	var out []Call
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// ec2 resources are authorized on their own ARN, which the model knows for
// instances and volumes; for the others the calls are made on the type's
// ARN with a wildcard ID, which the deploy role's "ec2:*" covers the same.
func ec2On(kind string, actions ...string) []Call {
	return on("arn:aws:ec2:{region}:{account}:"+kind+"/*", actions...)
}

var passRoleWaiver = map[string]string{"iam:PassRole": "the call passes no role here"}

// passedTo is the context of an iam:PassRole to a service (IAM user guide,
// "iam:PassedToService").
func passedTo(service string) map[string]map[string][]string {
	return map[string]map[string][]string{"iam:PassRole": {"iam:PassedToService": {service}}}
}

// elbTags: iam-data lists only the loadbalancer resource type for
// elasticloadbalancing:AddTags, so tagging a listener, rule or target group
// is evaluated on "*" (iam-simulate refuses their ARNs: no.resource.types).
var (
	elbTags          = on("*", "elasticloadbalancing:AddTags")
	elbTagsDependent = map[string]string{"elasticloadbalancing:AddTags": "evaluated on its own, on \"*\" (elbTags)"}
)

// cacheNetwork are the network calls ElastiCache makes as the caller
// (dependent actions of CreateReplicationGroup and ModifyReplicationGroup).
var cacheNetwork = map[string]string{"ec2:CreateNetworkInterface": "arn:aws:ec2:{region}:{account}:network-interface/*",
	"ec2:DeleteNetworkInterface": "arn:aws:ec2:{region}:{account}:network-interface/*"}

// ProviderCalls maps every resource type the environment stacks create to
// the API calls hashicorp/aws 5.100.0 makes for it, read in the provider's
// source (internal/service/<svc>/<file>.go: the Create, Read, Update and
// Delete functions and the tagging helpers in internal/tags), as the IAM
// actions they need. A type of an environment stack missing here fails
// TestDeployRoles, so a new type is looked up before a deploy role is
// expected to create it.
var ProviderCalls = map[string]TypeCalls{
	"aws_acm_certificate": {Source: "acm/certificate.go",
		Create: on("*", "acm:RequestCertificate", "acm:AddTagsToCertificate"),
		Read:   calls("acm:DescribeCertificate", "acm:ListTagsForCertificate"),
		Delete: calls("acm:DeleteCertificate")},
	"aws_acm_certificate_validation": {Source: "acm/certificate_validation.go",
		Create: on("{arg:certificate_arn}", "acm:DescribeCertificate"), Read: on("{arg:certificate_arn}", "acm:DescribeCertificate")},
	"aws_route53_record": {Source: "route53/record.go",
		Create: on("arn:aws:route53:::hostedzone/{arg:zone_id}", "route53:ChangeResourceRecordSets", "route53:GetHostedZone"),
		Read:   on("arn:aws:route53:::hostedzone/{arg:zone_id}", "route53:ListResourceRecordSets", "route53:GetHostedZone"),
		Delete: on("arn:aws:route53:::hostedzone/{arg:zone_id}", "route53:ChangeResourceRecordSets")},
	"aws_backup_vault": {Source: "backup/vault.go",
		Create: join(calls("backup:CreateBackupVault", "backup-storage:MountCapsule"),
			// AWS Backup developer guide, "Backup vault creation": the caller
			// needs these on the vault's key.
			[]Call{grantForResource("kms_key_arn", "backup"), viaService("kms:DescribeKey", "kms_key_arn", "backup", nil),
				viaService("kms:GenerateDataKey", "kms_key_arn", "backup", nil), viaService("kms:Decrypt", "kms_key_arn", "backup", nil)}),
		// backup:ListTags: iam-simulate cannot tell a vault's ARN from the
		// other resource types of the action (multiple.resource.types), so
		// it is evaluated on "*".
		Read:   join(calls("backup:DescribeBackupVault"), on("*", "backup:ListTags")),
		Delete: calls("backup:DeleteBackupVault", "backup:ListRecoveryPointsByBackupVault")},
	"aws_backup_vault_lock_configuration": {Source: "backup/vault_lock_configuration.go",
		Create: on("arn:aws:backup:{region}:{account}:backup-vault:{arg:backup_vault_name}", "backup:PutBackupVaultLockConfiguration"),
		Read:   on("arn:aws:backup:{region}:{account}:backup-vault:{arg:backup_vault_name}", "backup:DescribeBackupVault"),
		Delete: on("arn:aws:backup:{region}:{account}:backup-vault:{arg:backup_vault_name}", "backup:DeleteBackupVaultLockConfiguration")},
	"aws_backup_plan": {Source: "backup/plan.go",
		Create: join([]Call{{Action: "backup:CreateBackupPlan", On: "arn:aws:backup:{region}:{account}:backup-plan:*",
			Waive: map[string]string{"iam:PassRole": "a plan passes no role: its selection does (aws_backup_selection)"}}},
			on("arn:aws:backup:{region}:{account}:backup-plan:*", "backup:TagResource")),
		Read:   join(on("arn:aws:backup:{region}:{account}:backup-plan:*", "backup:GetBackupPlan"), on("*", "backup:ListTags")),
		Delete: on("arn:aws:backup:{region}:{account}:backup-plan:*", "backup:DeleteBackupPlan")},
	"aws_backup_selection": {Source: "backup/selection.go",
		Create: []Call{{Action: "backup:CreateBackupSelection", On: "arn:aws:backup:{region}:{account}:backup-plan:*",
			Dependent: map[string]string{"iam:PassRole": "{arg:iam_role_arn}"}, DependentContext: passedTo("backup.amazonaws.com")}},
		Read:   on("arn:aws:backup:{region}:{account}:backup-plan:*", "backup:GetBackupSelection"),
		Delete: on("arn:aws:backup:{region}:{account}:backup-plan:*", "backup:DeleteBackupSelection")},
	"aws_budgets_budget": {Source: "budgets/budget.go",
		Create: []Call{{Action: "budgets:ModifyBudget", Waive: map[string]string{"iam:CreateServiceLinkedRole": "the budget has no budget actions (only notifications)"}},
			{Action: "budgets:TagResource"}},
		Read:   calls("budgets:ViewBudget", "budgets:ListTagsForResource"),
		Delete: calls("budgets:ModifyBudget")},
	"aws_cloudwatch_dashboard": {Source: "cloudwatch/dashboard.go",
		Create: on("arn:aws:cloudwatch::{account}:dashboard/{arg:dashboard_name}", "cloudwatch:PutDashboard"),
		Read:   on("arn:aws:cloudwatch::{account}:dashboard/{arg:dashboard_name}", "cloudwatch:GetDashboard"),
		Delete: on("arn:aws:cloudwatch::{account}:dashboard/{arg:dashboard_name}", "cloudwatch:DeleteDashboards")},
	"aws_cloudwatch_metric_alarm": {Source: "cloudwatch/metric_alarm.go",
		Create: calls("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"),
		Read:   calls("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
		Delete: calls("cloudwatch:DeleteAlarms")},
	"aws_cloudwatch_event_rule": {Source: "events/rule.go",
		Create: calls("events:PutRule", "events:TagResource"),
		Read:   calls("events:DescribeRule", "events:ListTagsForResource"),
		Delete: calls("events:DeleteRule")},
	"aws_cloudwatch_event_target": {Source: "events/target.go",
		Create: on("arn:aws:events:{region}:{account}:rule/{arg:rule}", "events:PutTargets"),
		Read:   on("arn:aws:events:{region}:{account}:rule/{arg:rule}", "events:ListTargetsByRule"),
		Delete: on("arn:aws:events:{region}:{account}:rule/{arg:rule}", "events:RemoveTargets")},
	"aws_cloudwatch_log_group": {Source: "logs/group.go",
		Create: calls("logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:TagResource"),
		Read:   on("*", "logs:DescribeLogGroups"),
		Update: calls("logs:AssociateKmsKey", "logs:PutRetentionPolicy"),
		Delete: calls("logs:DeleteLogGroup")},
	"aws_db_instance": {Source: "rds/instance.go",
		Create: join([]Call{{Action: "rds:CreateDBInstance",
			Dependent: map[string]string{"iam:PassRole": "{arg:monitoring_role_arn}", "kms:CreateGrant": "{arg:kms_key_id}",
				"kms:Decrypt": "{arg:kms_key_id}", "kms:DescribeKey": "{arg:kms_key_id}", "kms:GenerateDataKey": "{arg:kms_key_id}",
				"secretsmanager:CreateSecret": "arn:aws:secretsmanager:{region}:{account}:secret:rds!*", "secretsmanager:TagResource": "arn:aws:secretsmanager:{region}:{account}:secret:rds!*"},
			DependentContext: passedTo("monitoring.rds.amazonaws.com"),
			Waive:            map[string]string{"rds:CreateTenantDatabase": "single-tenant instance (no multi_tenant)"}}},
			calls("rds:AddTagsToResource"),
			[]Call{grantForResource("kms_key_id", "rds"), viaService("kms:DescribeKey", "kms_key_id", "rds", nil)}),
		Read: calls("rds:DescribeDBInstances", "rds:ListTagsForResource"),
		Update: []Call{{Action: "rds:ModifyDBInstance", Dependent: map[string]string{"iam:PassRole": "{arg:monitoring_role_arn}",
			"kms:CreateGrant": "{arg:kms_key_id}", "kms:Decrypt": "{arg:kms_key_id}", "kms:DescribeKey": "{arg:kms_key_id}", "kms:GenerateDataKey": "{arg:kms_key_id}",
			"secretsmanager:CreateSecret": "arn:aws:secretsmanager:{region}:{account}:secret:rds!*", "secretsmanager:TagResource": "arn:aws:secretsmanager:{region}:{account}:secret:rds!*",
			"secretsmanager:RotateSecret": "arn:aws:secretsmanager:{region}:{account}:secret:rds!*"},
			DependentContext: map[string]map[string][]string{"iam:PassRole": {"iam:PassedToService": {"monitoring.rds.amazonaws.com"}},
				"kms:CreateGrant":     {"kms:ViaService": {"rds.{region}.amazonaws.com"}, "kms:CallerAccount": {"{account}"}, "kms:GrantIsForAWSResource": {"true"}},
				"kms:Decrypt":         {"kms:ViaService": {"rds.{region}.amazonaws.com"}, "kms:CallerAccount": {"{account}"}},
				"kms:DescribeKey":     {"kms:ViaService": {"rds.{region}.amazonaws.com"}, "kms:CallerAccount": {"{account}"}},
				"kms:GenerateDataKey": {"kms:ViaService": {"rds.{region}.amazonaws.com"}, "kms:CallerAccount": {"{account}"}}}}},
		Delete: calls("rds:DeleteDBInstance")},
	"aws_db_parameter_group": {Source: "rds/parameter_group.go",
		Create: on("arn:aws:rds:{region}:{account}:pg:{name}", "rds:CreateDBParameterGroup", "rds:ModifyDBParameterGroup", "rds:AddTagsToResource"),
		Read:   on("arn:aws:rds:{region}:{account}:pg:{name}", "rds:DescribeDBParameterGroups", "rds:DescribeDBParameters", "rds:ListTagsForResource"),
		Delete: on("arn:aws:rds:{region}:{account}:pg:{name}", "rds:DeleteDBParameterGroup")},
	"aws_db_subnet_group": {Source: "rds/subnet_group.go",
		Create: on("arn:aws:rds:{region}:{account}:subgrp:{name}", "rds:CreateDBSubnetGroup", "rds:AddTagsToResource"),
		Read:   on("arn:aws:rds:{region}:{account}:subgrp:{name}", "rds:DescribeDBSubnetGroups", "rds:ListTagsForResource"),
		Delete: on("arn:aws:rds:{region}:{account}:subgrp:{name}", "rds:DeleteDBSubnetGroup")},
	"aws_default_security_group": {Source: "ec2/vpc_default_security_group.go",
		Create: ec2On("security-group", "ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "ec2:CreateTags"),
		Read:   ec2On("security-group", "ec2:DescribeSecurityGroups")},
	"aws_ebs_volume": {Source: "ec2/ebs_volume.go",
		Create: join(on("arn:aws:ec2:{region}:{account}:volume/*", "ec2:CreateVolume", "ec2:CreateTags"),
			// EBS encrypts with the caller's permissions through EC2 (Amazon
			// EBS user guide, "How EBS encryption works": CreateGrant,
			// GenerateDataKeyWithoutPlaintext, Decrypt).
			[]Call{grantForResource("kms_key_id", "ec2"), viaService("kms:GenerateDataKeyWithoutPlaintext", "kms_key_id", "ec2", nil),
				viaService("kms:DescribeKey", "kms_key_id", "ec2", nil)}),
		Read:   ec2On("volume", "ec2:DescribeVolumes"),
		Delete: ec2On("volume", "ec2:DeleteVolume")},
	"aws_volume_attachment": {Source: "ec2/ec2_volume_attachment.go",
		Create: on("arn:aws:ec2:{region}:{account}:instance/{arg:instance_id}", "ec2:AttachVolume"), Read: ec2On("volume", "ec2:DescribeVolumes"),
		Delete: on("arn:aws:ec2:{region}:{account}:instance/{arg:instance_id}", "ec2:DetachVolume")},
	"aws_efs_file_system": {Source: "efs/file_system.go",
		Create: join([]Call{{Action: "elasticfilesystem:CreateFileSystem", On: "arn:aws:elasticfilesystem:{region}:{account}:file-system/*"}},
			[]Call{grantForResource("kms_key_id", "elasticfilesystem"), viaService("kms:DescribeKey", "kms_key_id", "elasticfilesystem", nil)}),
		Read:   calls("elasticfilesystem:DescribeFileSystems", "elasticfilesystem:DescribeLifecycleConfiguration"),
		Update: calls("elasticfilesystem:PutLifecycleConfiguration"),
		Delete: calls("elasticfilesystem:DeleteFileSystem")},
	"aws_efs_access_point": {Source: "efs/access_point.go",
		Create: on("arn:aws:elasticfilesystem:{region}:{account}:file-system/{arg:file_system_id}", "elasticfilesystem:CreateAccessPoint", "elasticfilesystem:TagResource"),
		Read:   on("arn:aws:elasticfilesystem:{region}:{account}:access-point/*", "elasticfilesystem:DescribeAccessPoints"),
		Delete: on("arn:aws:elasticfilesystem:{region}:{account}:access-point/*", "elasticfilesystem:DeleteAccessPoint")},
	"aws_efs_backup_policy": {Source: "efs/backup_policy.go",
		Create: on("arn:aws:elasticfilesystem:{region}:{account}:file-system/{arg:file_system_id}", "elasticfilesystem:PutBackupPolicy"),
		Read:   on("arn:aws:elasticfilesystem:{region}:{account}:file-system/{arg:file_system_id}", "elasticfilesystem:DescribeBackupPolicy")},
	"aws_efs_file_system_policy": {Source: "efs/file_system_policy.go",
		Create: on("arn:aws:elasticfilesystem:{region}:{account}:file-system/{arg:file_system_id}", "elasticfilesystem:PutFileSystemPolicy"),
		Read:   on("arn:aws:elasticfilesystem:{region}:{account}:file-system/{arg:file_system_id}", "elasticfilesystem:DescribeFileSystemPolicy"),
		Delete: on("arn:aws:elasticfilesystem:{region}:{account}:file-system/{arg:file_system_id}", "elasticfilesystem:DeleteFileSystemPolicy")},
	"aws_efs_mount_target": {Source: "efs/mount_target.go",
		Create: on("arn:aws:elasticfilesystem:{region}:{account}:file-system/{arg:file_system_id}", "elasticfilesystem:CreateMountTarget"),
		Read:   on("arn:aws:elasticfilesystem:{region}:{account}:file-system/{arg:file_system_id}", "elasticfilesystem:DescribeMountTargets", "elasticfilesystem:DescribeMountTargetSecurityGroups"),
		Delete: on("arn:aws:elasticfilesystem:{region}:{account}:file-system/{arg:file_system_id}", "elasticfilesystem:DeleteMountTarget")},
	"aws_eip": {Source: "ec2/ec2_eip.go",
		Create: ec2On("elastic-ip", "ec2:AllocateAddress", "ec2:CreateTags"), Read: ec2On("elastic-ip", "ec2:DescribeAddresses"),
		Delete: ec2On("elastic-ip", "ec2:ReleaseAddress")},
	"aws_elasticache_parameter_group": {Source: "elasticache/parameter_group.go",
		Create: on("arn:aws:elasticache:{region}:{account}:parametergroup:{name}", "elasticache:CreateCacheParameterGroup", "elasticache:ModifyCacheParameterGroup", "elasticache:AddTagsToResource"),
		Read:   on("arn:aws:elasticache:{region}:{account}:parametergroup:{name}", "elasticache:DescribeCacheParameterGroups", "elasticache:DescribeCacheParameters", "elasticache:ListTagsForResource"),
		Delete: on("arn:aws:elasticache:{region}:{account}:parametergroup:{name}", "elasticache:DeleteCacheParameterGroup")},
	"aws_elasticache_subnet_group": {Source: "elasticache/subnet_group.go",
		Create: on("arn:aws:elasticache:{region}:{account}:subnetgroup:{name}", "elasticache:CreateCacheSubnetGroup", "elasticache:AddTagsToResource"),
		Read:   on("arn:aws:elasticache:{region}:{account}:subnetgroup:{name}", "elasticache:DescribeCacheSubnetGroups", "elasticache:ListTagsForResource"),
		Delete: on("arn:aws:elasticache:{region}:{account}:subnetgroup:{name}", "elasticache:DeleteCacheSubnetGroup")},
	"aws_elasticache_replication_group": {Source: "elasticache/replication_group.go",
		Create: join([]Call{{Action: "elasticache:CreateReplicationGroup", Dependent: cacheNetwork,
			Waive: map[string]string{"s3:GetObject": "no seed from an S3 snapshot (snapshot_arns unset)"}}},
			calls("elasticache:AddTagsToResource"),
			[]Call{grantForResource("kms_key_id", "elasticache"), viaService("kms:DescribeKey", "kms_key_id", "elasticache", nil)}),
		Read:   calls("elasticache:DescribeReplicationGroups", "elasticache:ListTagsForResource"),
		Update: []Call{{Action: "elasticache:ModifyReplicationGroup", Dependent: cacheNetwork}},
		Delete: calls("elasticache:DeleteReplicationGroup")},
	"aws_flow_log": {Source: "ec2/vpc_flow_log.go",
		Create: []Call{{Action: "ec2:CreateFlowLogs", On: "arn:aws:ec2:{region}:{account}:vpc-flow-log/*",
			Dependent: map[string]string{"iam:PassRole": "{arg:iam_role_arn}"}, DependentContext: passedTo("vpc-flow-logs.amazonaws.com"),
			Waive: map[string]string{"ecs:ListClusters": "VPC flow log, not ECS", "ecs:ListContainerInstances": "VPC flow log, not ECS",
				"ecs:ListServices": "VPC flow log, not ECS", "ecs:ListTaskDefinitions": "VPC flow log, not ECS", "ecs:ListTasks": "VPC flow log, not ECS"}}},
		Read:   ec2On("vpc-flow-log", "ec2:DescribeFlowLogs"),
		Delete: ec2On("vpc-flow-log", "ec2:DeleteFlowLogs")},
	"aws_iam_role": {Source: "iam/role.go",
		Create: []Call{{Action: "iam:CreateRole", Context: map[string][]string{"iam:PermissionsBoundary": {"{arg:permissions_boundary}"}}},
			{Action: "iam:TagRole"}},
		Read:   calls("iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"),
		Update: calls("iam:UpdateAssumeRolePolicy", "iam:UpdateRole"),
		Delete: calls("iam:ListInstanceProfilesForRole", "iam:DeleteRole")},
	"aws_iam_role_policy": {Source: "iam/role_policy.go",
		Create: []Call{{Action: "iam:PutRolePolicy", On: "arn:aws:iam::{account}:role/{arg:role}", Context: map[string][]string{"iam:PermissionsBoundary": {"{boundary-of:role}"}}}},
		Read:   on("arn:aws:iam::{account}:role/{arg:role}", "iam:GetRolePolicy"),
		Delete: []Call{{Action: "iam:DeleteRolePolicy", On: "arn:aws:iam::{account}:role/{arg:role}", Context: map[string][]string{"iam:PermissionsBoundary": {"{boundary-of:role}"}}}}},
	"aws_iam_role_policy_attachment": {Source: "iam/role_policy_attachment.go",
		Create: []Call{{Action: "iam:AttachRolePolicy", On: "arn:aws:iam::{account}:role/{arg:role}",
			Context: map[string][]string{"iam:PermissionsBoundary": {"{boundary-of:role}"}, "iam:PolicyARN": {"{arg:policy_arn}"}}}},
		Read: on("arn:aws:iam::{account}:role/{arg:role}", "iam:ListAttachedRolePolicies"),
		Delete: []Call{{Action: "iam:DetachRolePolicy", On: "arn:aws:iam::{account}:role/{arg:role}",
			Context: map[string][]string{"iam:PermissionsBoundary": {"{boundary-of:role}"}}}}},
	"aws_iam_instance_profile": {Source: "iam/instance_profile.go",
		Create: join(on("arn:aws:iam::{account}:instance-profile/{name}", "iam:CreateInstanceProfile", "iam:TagInstanceProfile"),
			[]Call{{Action: "iam:AddRoleToInstanceProfile", On: "arn:aws:iam::{account}:instance-profile/{name}",
				Dependent: map[string]string{"iam:PassRole": "arn:aws:iam::{account}:role/{arg:role}"}, DependentContext: passedTo("ec2.amazonaws.com")}}),
		Read:   on("arn:aws:iam::{account}:instance-profile/{name}", "iam:GetInstanceProfile"),
		Delete: on("arn:aws:iam::{account}:instance-profile/{name}", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile")},
	"aws_instance": {Source: "ec2/ec2_instance.go",
		Create: join([]Call{{Action: "ec2:RunInstances", Dependent: map[string]string{"iam:PassRole": "{role-of-profile:iam_instance_profile}"},
			DependentContext: passedTo("ec2.amazonaws.com"),
			Waive:            map[string]string{"ssm:GetParameters": "the AMI is given by ID (data.aws_ami), not an SSM parameter"}}},
			calls("ec2:CreateTags", "ec2:DescribeInstances", "ec2:DescribeInstanceAttribute", "ec2:ModifyInstanceAttribute"),
			[]Call{grantForResource("root_block_device.kms_key_id", "ec2"), viaService("kms:GenerateDataKeyWithoutPlaintext", "root_block_device.kms_key_id", "ec2", nil),
				viaService("kms:Decrypt", "root_block_device.kms_key_id", "ec2", nil), viaService("kms:DescribeKey", "root_block_device.kms_key_id", "ec2", nil)}),
		Read:   calls("ec2:DescribeInstances", "ec2:DescribeInstanceAttribute", "ec2:DescribeVolumes", "ec2:DescribeInstanceCreditSpecifications"),
		Update: calls("ec2:StopInstances", "ec2:StartInstances", "ec2:ModifyInstanceAttribute", "ec2:ModifyInstanceMetadataOptions"),
		Delete: calls("ec2:TerminateInstances")},
	"aws_internet_gateway": {Source: "ec2/vpc_internet_gateway.go",
		Create: ec2On("internet-gateway", "ec2:CreateInternetGateway", "ec2:AttachInternetGateway", "ec2:CreateTags"),
		Read:   ec2On("internet-gateway", "ec2:DescribeInternetGateways"),
		Delete: ec2On("internet-gateway", "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway")},
	"aws_nat_gateway": {Source: "ec2/vpc_nat_gateway.go",
		Create: ec2On("natgateway", "ec2:CreateNatGateway", "ec2:CreateTags"), Read: ec2On("natgateway", "ec2:DescribeNatGateways"),
		Delete: ec2On("natgateway", "ec2:DeleteNatGateway")},
	"aws_kms_key": {Source: "kms/key.go",
		Create: join([]Call{{Action: "kms:CreateKey", On: "*",
			Waive: map[string]string{"iam:CreateServiceLinkedRole": "single-Region keys: the KMS service-linked role is for multi-Region replication"}}},
			calls("kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:TagResource")),
		Read:   calls("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"),
		Update: calls("kms:UpdateKeyDescription", "kms:PutKeyPolicy"),
		Delete: calls("kms:ScheduleKeyDeletion")},
	"aws_kms_alias": {Source: "kms/alias.go",
		Create: join(on("arn:aws:kms:{region}:{account}:{arg:name}", "kms:CreateAlias"), on("arn:aws:kms:{region}:{account}:key/{arg:target_key_id}", "kms:CreateAlias")),
		Read:   on("*", "kms:ListAliases"),
		Delete: join(on("arn:aws:kms:{region}:{account}:{arg:name}", "kms:DeleteAlias"), on("arn:aws:kms:{region}:{account}:key/{arg:target_key_id}", "kms:DeleteAlias"))},
	"aws_lb": {Source: "elbv2/load_balancer.go",
		Create: join(on("arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/*", "elasticloadbalancing:CreateLoadBalancer",
			"elasticloadbalancing:AddTags", "elasticloadbalancing:ModifyLoadBalancerAttributes")),
		Read:   on("*", "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeTags"),
		Delete: on("arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/*", "elasticloadbalancing:DeleteLoadBalancer")},
	"aws_lb_listener": {Source: "elbv2/listener.go",
		Create: join(on("{arg:load_balancer_arn}", "elasticloadbalancing:CreateListener"), elbTags),
		Read:   on("*", "elasticloadbalancing:DescribeListeners"),
		Delete: calls("elasticloadbalancing:DeleteListener")},
	"aws_lb_listener_rule": {Source: "elbv2/listener_rule.go",
		Create: join([]Call{{Action: "elasticloadbalancing:CreateRule", On: "{arg:listener_arn}", Waive: elbTagsDependent}}, elbTags),
		Read:   on("*", "elasticloadbalancing:DescribeRules"),
		Delete: calls("elasticloadbalancing:DeleteRule")},
	"aws_lb_target_group": {Source: "elbv2/target_group.go",
		Create: join([]Call{{Action: "elasticloadbalancing:CreateTargetGroup", Waive: elbTagsDependent}}, elbTags, calls("elasticloadbalancing:ModifyTargetGroupAttributes")),
		Read:   on("*", "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes"),
		Delete: calls("elasticloadbalancing:DeleteTargetGroup")},
	"aws_lb_target_group_attachment": {Source: "elbv2/target_group_attachment.go",
		Create: on("{arg:target_group_arn}", "elasticloadbalancing:RegisterTargets"), Read: on("*", "elasticloadbalancing:DescribeTargetHealth"),
		Delete: on("{arg:target_group_arn}", "elasticloadbalancing:DeregisterTargets")},
	"aws_route": {Source: "ec2/vpc_route.go",
		Create: ec2On("route-table", "ec2:CreateRoute"), Read: ec2On("route-table", "ec2:DescribeRouteTables"), Delete: ec2On("route-table", "ec2:DeleteRoute")},
	"aws_route_table": {Source: "ec2/vpc_route_table.go",
		Create: ec2On("route-table", "ec2:CreateRouteTable", "ec2:CreateTags"), Read: ec2On("route-table", "ec2:DescribeRouteTables"),
		Delete: ec2On("route-table", "ec2:DeleteRouteTable")},
	"aws_route_table_association": {Source: "ec2/vpc_route_table_association.go",
		Create: ec2On("route-table", "ec2:AssociateRouteTable"), Read: ec2On("route-table", "ec2:DescribeRouteTables"),
		Delete: ec2On("route-table", "ec2:DisassociateRouteTable")},
	"aws_s3_bucket": {Source: "s3/bucket.go",
		Create: calls("s3:CreateBucket", "s3:PutBucketTagging"),
		Read: calls("s3:ListBucket", "s3:GetBucketTagging", "s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketWebsite",
			"s3:GetBucketVersioning", "s3:GetAccelerateConfiguration", "s3:GetBucketRequestPayment", "s3:GetBucketLogging",
			"s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration", "s3:GetBucketObjectLockConfiguration"),
		Delete: calls("s3:DeleteBucket")},
	"aws_s3_bucket_lifecycle_configuration": {Source: "s3/bucket_lifecycle_configuration.go",
		Create: on("arn:aws:s3:::{arg:bucket}", "s3:PutLifecycleConfiguration"), Read: on("arn:aws:s3:::{arg:bucket}", "s3:GetLifecycleConfiguration"),
		Delete: on("arn:aws:s3:::{arg:bucket}", "s3:PutLifecycleConfiguration")},
	"aws_s3_bucket_ownership_controls": {Source: "s3/bucket_ownership_controls.go",
		Create: on("arn:aws:s3:::{arg:bucket}", "s3:PutBucketOwnershipControls"), Read: on("arn:aws:s3:::{arg:bucket}", "s3:GetBucketOwnershipControls"),
		Delete: on("arn:aws:s3:::{arg:bucket}", "s3:PutBucketOwnershipControls")},
	"aws_s3_bucket_policy": {Source: "s3/bucket_policy.go",
		Create: on("arn:aws:s3:::{arg:bucket}", "s3:PutBucketPolicy"), Read: on("arn:aws:s3:::{arg:bucket}", "s3:GetBucketPolicy"),
		Delete: on("arn:aws:s3:::{arg:bucket}", "s3:DeleteBucketPolicy")},
	"aws_s3_bucket_public_access_block": {Source: "s3/bucket_public_access_block.go",
		Create: on("arn:aws:s3:::{arg:bucket}", "s3:PutBucketPublicAccessBlock"), Read: on("arn:aws:s3:::{arg:bucket}", "s3:GetBucketPublicAccessBlock"),
		Delete: on("arn:aws:s3:::{arg:bucket}", "s3:PutBucketPublicAccessBlock")},
	"aws_s3_bucket_server_side_encryption_configuration": {Source: "s3/bucket_server_side_encryption_configuration.go",
		Create: on("arn:aws:s3:::{arg:bucket}", "s3:PutEncryptionConfiguration"), Read: on("arn:aws:s3:::{arg:bucket}", "s3:GetEncryptionConfiguration"),
		Delete: on("arn:aws:s3:::{arg:bucket}", "s3:PutEncryptionConfiguration")},
	"aws_s3_bucket_versioning": {Source: "s3/bucket_versioning.go",
		Create: on("arn:aws:s3:::{arg:bucket}", "s3:PutBucketVersioning"), Read: on("arn:aws:s3:::{arg:bucket}", "s3:GetBucketVersioning"),
		Delete: on("arn:aws:s3:::{arg:bucket}", "s3:PutBucketVersioning")},
	"aws_scheduler_schedule": {Source: "scheduler/schedule.go",
		Create: []Call{{Action: "scheduler:CreateSchedule", Dependent: map[string]string{"iam:PassRole": "{arg:target.role_arn}"}, DependentContext: passedTo("scheduler.amazonaws.com")}},
		Read:   calls("scheduler:GetSchedule"),
		Update: []Call{{Action: "scheduler:UpdateSchedule", Dependent: map[string]string{"iam:PassRole": "{arg:target.role_arn}"}, DependentContext: passedTo("scheduler.amazonaws.com")}},
		Delete: calls("scheduler:DeleteSchedule")},
	"aws_secretsmanager_secret": {Source: "secretsmanager/secret.go",
		Create: calls("secretsmanager:CreateSecret", "secretsmanager:TagResource", "secretsmanager:DescribeSecret"),
		Read:   calls("secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"),
		Delete: calls("secretsmanager:DeleteSecret")},
	"aws_secretsmanager_secret_version": {Source: "secretsmanager/secret_version.go",
		Create: join(on("{arg:secret_id}", "secretsmanager:PutSecretValue"),
			// Secrets Manager user guide, "Secret encryption and decryption":
			// the encryption context is SecretARN and SecretVersionId.
			[]Call{viaService("kms:GenerateDataKey", "{kms-of-secret:secret_id}", "secretsmanager",
				map[string][]string{"kms:EncryptionContext:SecretARN": {"{arg:secret_id}"}})}),
		Read: join(on("{arg:secret_id}", "secretsmanager:GetSecretValue"),
			[]Call{viaService("kms:Decrypt", "{kms-of-secret:secret_id}", "secretsmanager",
				map[string][]string{"kms:EncryptionContext:SecretARN": {"{arg:secret_id}"}})}),
		Delete: on("{arg:secret_id}", "secretsmanager:UpdateSecretVersionStage")},
	"aws_security_group": {Source: "ec2/vpc_security_group.go",
		Create: ec2On("security-group", "ec2:CreateSecurityGroup", "ec2:CreateTags", "ec2:RevokeSecurityGroupEgress"),
		Read:   ec2On("security-group", "ec2:DescribeSecurityGroups"),
		Delete: ec2On("security-group", "ec2:DeleteSecurityGroup")},
	"aws_vpc_security_group_ingress_rule": {Source: "ec2/vpc_security_group_ingress_rule.go",
		Create: ec2On("security-group", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateTags"), Read: ec2On("security-group-rule", "ec2:DescribeSecurityGroupRules"),
		Delete: ec2On("security-group", "ec2:RevokeSecurityGroupIngress")},
	"aws_vpc_security_group_egress_rule": {Source: "ec2/vpc_security_group_egress_rule.go",
		Create: ec2On("security-group", "ec2:AuthorizeSecurityGroupEgress", "ec2:CreateTags"), Read: ec2On("security-group-rule", "ec2:DescribeSecurityGroupRules"),
		Delete: ec2On("security-group", "ec2:RevokeSecurityGroupEgress")},
	"aws_sns_topic": {Source: "sns/topic.go",
		Create: []Call{{Action: "sns:CreateTopic", Waive: passRoleWaiver}, {Action: "sns:TagResource"}, {Action: "sns:SetTopicAttributes", Waive: passRoleWaiver}},
		Read:   calls("sns:GetTopicAttributes", "sns:ListTagsForResource"),
		Delete: calls("sns:DeleteTopic")},
	"aws_sns_topic_policy": {Source: "sns/topic_policy.go",
		Create: []Call{{Action: "sns:SetTopicAttributes", On: "{arg:arn}", Waive: passRoleWaiver}}, Read: on("{arg:arn}", "sns:GetTopicAttributes")},
	"aws_sns_topic_subscription": {Source: "sns/topic_subscription.go",
		Create: on("{arg:topic_arn}", "sns:Subscribe"), Read: on("{arg:topic_arn}", "sns:GetSubscriptionAttributes"),
		Delete: on("{arg:topic_arn}", "sns:Unsubscribe")},
	"aws_ssm_maintenance_window": {Source: "ssm/maintenance_window.go",
		Create: calls("ssm:CreateMaintenanceWindow", "ssm:AddTagsToResource"), Read: calls("ssm:GetMaintenanceWindow", "ssm:ListTagsForResource"),
		Delete: calls("ssm:DeleteMaintenanceWindow")},
	"aws_ssm_maintenance_window_target": {Source: "ssm/maintenance_window_target.go",
		Create: on("arn:aws:ssm:{region}:{account}:maintenancewindow/{arg:window_id}", "ssm:RegisterTargetWithMaintenanceWindow"),
		Read:   on("arn:aws:ssm:{region}:{account}:maintenancewindow/{arg:window_id}", "ssm:DescribeMaintenanceWindowTargets"),
		Delete: on("arn:aws:ssm:{region}:{account}:maintenancewindow/{arg:window_id}", "ssm:DeregisterTargetFromMaintenanceWindow")},
	"aws_ssm_maintenance_window_task": {Source: "ssm/maintenance_window_task.go",
		Create: on("arn:aws:ssm:{region}:{account}:maintenancewindow/{arg:window_id}", "ssm:RegisterTaskWithMaintenanceWindow"),
		Read:   on("arn:aws:ssm:{region}:{account}:maintenancewindow/{arg:window_id}", "ssm:GetMaintenanceWindowTask"),
		Delete: on("arn:aws:ssm:{region}:{account}:maintenancewindow/{arg:window_id}", "ssm:DeregisterTaskFromMaintenanceWindow")},
	"aws_ssm_parameter": {Source: "ssm/parameter.go",
		Create: calls("ssm:PutParameter", "ssm:AddTagsToResource"), Read: calls("ssm:GetParameter", "ssm:DescribeParameters", "ssm:ListTagsForResource"),
		Delete: calls("ssm:DeleteParameter")},
	"aws_ssm_patch_baseline": {Source: "ssm/patch_baseline.go",
		Create: on("arn:aws:ssm:{region}:{account}:patchbaseline/*", "ssm:CreatePatchBaseline", "ssm:AddTagsToResource"),
		Read:   on("arn:aws:ssm:{region}:{account}:patchbaseline/*", "ssm:GetPatchBaseline"),
		Delete: on("arn:aws:ssm:{region}:{account}:patchbaseline/*", "ssm:DeletePatchBaseline")},
	"aws_ssm_patch_group": {Source: "ssm/patch_group.go",
		Create: on("arn:aws:ssm:{region}:{account}:patchbaseline/*", "ssm:RegisterPatchBaselineForPatchGroup"),
		Read:   on("*", "ssm:DescribePatchGroups"),
		Delete: on("arn:aws:ssm:{region}:{account}:patchbaseline/*", "ssm:DeregisterPatchBaselineForPatchGroup")},
	"aws_subnet": {Source: "ec2/vpc_subnet.go",
		Create: ec2On("subnet", "ec2:CreateSubnet", "ec2:CreateTags", "ec2:ModifySubnetAttribute"), Read: ec2On("subnet", "ec2:DescribeSubnets"),
		Delete: ec2On("subnet", "ec2:DeleteSubnet")},
	"aws_vpc": {Source: "ec2/vpc_.go",
		Create: ec2On("vpc", "ec2:CreateVpc", "ec2:CreateTags", "ec2:ModifyVpcAttribute"),
		Read:   ec2On("vpc", "ec2:DescribeVpcs", "ec2:DescribeVpcAttribute"),
		Delete: ec2On("vpc", "ec2:DeleteVpc")},
	"aws_vpc_endpoint": {Source: "ec2/vpc_endpoint.go",
		// Interface endpoints with private DNS associate the VPC with the
		// service's private hosted zone as the caller.
		Create: join([]Call{{Action: "ec2:CreateVpcEndpoint", On: "arn:aws:ec2:{region}:{account}:vpc-endpoint/*",
			Dependent: map[string]string{"route53:AssociateVPCWithHostedZone": "arn:aws:route53:::hostedzone/*"}}}, ec2On("vpc-endpoint", "ec2:CreateTags")),
		Read:   ec2On("vpc-endpoint", "ec2:DescribeVpcEndpoints"),
		Delete: ec2On("vpc-endpoint", "ec2:DeleteVpcEndpoints")},
	"aws_wafv2_web_acl": {Source: "wafv2/web_acl.go",
		Create: on("arn:aws:wafv2:{region}:{account}:regional/webacl/{name}/*", "wafv2:CreateWebACL", "wafv2:TagResource"),
		Read:   on("arn:aws:wafv2:{region}:{account}:regional/webacl/{name}/*", "wafv2:GetWebACL", "wafv2:ListTagsForResource"),
		Delete: on("arn:aws:wafv2:{region}:{account}:regional/webacl/{name}/*", "wafv2:DeleteWebACL")},
	"aws_wafv2_web_acl_association": {Source: "wafv2/web_acl_association.go",
		Create: []Call{{Action: "wafv2:AssociateWebACL", On: "{arg:web_acl_arn}",
			Dependent: map[string]string{"elasticloadbalancing:SetWebAcl": "{arg:resource_arn}"},
			Waive: map[string]string{"amplify:AssociateWebACL": "associates an ALB", "apigateway:SetWebACL": "associates an ALB",
				"apprunner:AssociateWebAcl": "associates an ALB", "appsync:SetWebACL": "associates an ALB", "cognito-idp:AssociateWebACL": "associates an ALB",
				"ec2:AssociateVerifiedAccessInstanceWebAcl": "associates an ALB",
				"wafv2:GetPermissionPolicy":                 "same-account web ACL: no permission policy", "wafv2:PutPermissionPolicy": "same-account web ACL: no permission policy"}}},
		Read:   on("{arg:resource_arn}", "wafv2:GetWebACLForResource"),
		Delete: on("{arg:resource_arn}", "wafv2:DisassociateWebACL")},
	"aws_wafv2_web_acl_logging_configuration": {Source: "wafv2/web_acl_logging_configuration.go",
		// WAF developer guide, "Sending web ACL traffic logs to an Amazon
		// CloudWatch Logs log group": the caller also needs
		// logs:CreateLogDelivery, logs:PutResourcePolicy and
		// logs:DescribeResourcePolicies, and WAF creates its
		// service-linked role on first use.
		Create: join([]Call{{Action: "wafv2:PutLoggingConfiguration", On: "{arg:resource_arn}",
			Dependent:        map[string]string{"iam:CreateServiceLinkedRole": "arn:aws:iam::{account}:role/aws-service-role/wafv2.amazonaws.com/AWSServiceRoleForWAFV2Logging"},
			DependentContext: map[string]map[string][]string{"iam:CreateServiceLinkedRole": {"iam:AWSServiceName": {"wafv2.amazonaws.com"}}}}},
			on("*", "logs:CreateLogDelivery", "logs:DescribeResourcePolicies"), on("arn:aws:logs:{region}:{account}:log-group:*", "logs:PutResourcePolicy")),
		Read:   on("{arg:resource_arn}", "wafv2:GetLoggingConfiguration"),
		Delete: on("{arg:resource_arn}", "wafv2:DeleteLoggingConfiguration")},
}
