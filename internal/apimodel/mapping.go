package apimodel

// Mapping says which API call the provider's create makes for a resource
// type and how the resource's arguments reach its input shape.
type Mapping struct {
	// Service is botocore's service directory ("elbv2"), Operation the
	// create call ("CreateLoadBalancer").
	Service, Operation string
	// Source is the provider file whose create function builds the input
	// (hashicorp/terraform-provider-aws v5.100.0, internal/service/...).
	Source string
	// Args maps an argument to its member path when the names differ
	// ("identifier" → "DBInstanceIdentifier"); "-" for arguments that reach
	// another call. Arguments not listed are matched by name (case and
	// underscores ignored); those that match nothing are reported as not
	// checked.
	Args map[string]string
}

// Mappings covers every resource type the stacks create. A type missing
// here is a finding of Check.
var Mappings = map[string]Mapping{
	"aws_acm_certificate":                 {Service: "acm", Operation: "RequestCertificate", Source: "acm/certificate.go"},
	"aws_acm_certificate_validation":      {Service: "acm", Operation: "DescribeCertificate", Source: "acm/certificate_validation.go", Args: map[string]string{"validation_record_fqdns": "-"}},
	"aws_backup_plan":                     {Service: "backup", Operation: "CreateBackupPlan", Source: "backup/plan.go", Args: map[string]string{"name": "BackupPlan.BackupPlanName", "rule": "BackupPlan.Rules"}},
	"aws_backup_selection":                {Service: "backup", Operation: "CreateBackupSelection", Source: "backup/selection.go", Args: map[string]string{"name": "BackupSelection.SelectionName", "iam_role_arn": "BackupSelection.IamRoleArn", "resources": "BackupSelection.Resources", "plan_id": "BackupPlanId"}},
	"aws_backup_vault":                    {Service: "backup", Operation: "CreateBackupVault", Source: "backup/vault.go", Args: map[string]string{"name": "BackupVaultName", "kms_key_arn": "EncryptionKeyArn", "force_destroy": "-"}},
	"aws_backup_vault_lock_configuration": {Service: "backup", Operation: "PutBackupVaultLockConfiguration", Source: "backup/vault_lock_configuration.go", Args: map[string]string{"changeable_for_days": "ChangeableForDays", "max_retention_days": "MaxRetentionDays", "min_retention_days": "MinRetentionDays"}},
	"aws_budgets_budget": {Service: "budgets", Operation: "CreateBudget", Source: "budgets/budget.go", Args: map[string]string{
		"name": "Budget.BudgetName", "budget_type": "Budget.BudgetType", "time_unit": "Budget.TimeUnit", "limit_amount": "-", "limit_unit": "-",
		"cost_filter": "-", "notification": "-"}},
	"aws_cloudwatch_dashboard":    {Service: "cloudwatch", Operation: "PutDashboard", Source: "cloudwatch/dashboard.go"},
	"aws_cloudwatch_event_rule":   {Service: "events", Operation: "PutRule", Source: "events/rule.go"},
	"aws_cloudwatch_event_target": {Service: "events", Operation: "PutTargets", Source: "events/target.go", Args: map[string]string{"target_id": "Targets.Id", "arn": "Targets.Arn"}},
	"aws_cloudwatch_log_group":    {Service: "logs", Operation: "CreateLogGroup", Source: "logs/group.go", Args: map[string]string{"name": "logGroupName", "retention_in_days": "-"}},
	"aws_cloudwatch_metric_alarm": {Service: "cloudwatch", Operation: "PutMetricAlarm", Source: "cloudwatch/metric_alarm.go", Args: map[string]string{"ok_actions": "OKActions", "dimensions": "-", "metric_query": "Metrics"}},
	"aws_db_instance": {Service: "rds", Operation: "CreateDBInstance", Source: "rds/instance.go", Args: map[string]string{
		"identifier": "DBInstanceIdentifier", "instance_class": "DBInstanceClass", "db_name": "DBName", "parameter_group_name": "DBParameterGroupName",
		"db_subnet_group_name": "DBSubnetGroupName", "username": "MasterUsername", "backup_retention_period": "BackupRetentionPeriod",
		"backup_window": "PreferredBackupWindow", "maintenance_window": "PreferredMaintenanceWindow", "multi_az": "MultiAZ",
		"vpc_security_group_ids": "VpcSecurityGroupIds", "performance_insights_enabled": "EnablePerformanceInsights",
		"enabled_cloudwatch_logs_exports": "EnableCloudwatchLogsExports", "iam_database_authentication_enabled": "EnableIAMDatabaseAuthentication",
		"final_snapshot_identifier": "-", "skip_final_snapshot": "-", "apply_immediately": "-", "delete_automated_backups": "-", "allow_major_version_upgrade": "-"}},
	"aws_db_parameter_group":          {Service: "rds", Operation: "CreateDBParameterGroup", Source: "rds/parameter_group.go", Args: map[string]string{"name": "DBParameterGroupName", "name_prefix": "-", "family": "DBParameterGroupFamily", "parameter": "-"}},
	"aws_db_subnet_group":             {Service: "rds", Operation: "CreateDBSubnetGroup", Source: "rds/subnet_group.go", Args: map[string]string{"name": "DBSubnetGroupName", "description": "DBSubnetGroupDescription"}},
	"aws_default_security_group":      {Service: "ec2", Operation: "RevokeSecurityGroupIngress", Source: "ec2/vpc_default_security_group.go", Args: map[string]string{"ingress": "-", "egress": "-", "vpc_id": "-"}},
	"aws_ebs_volume":                  {Service: "ec2", Operation: "CreateVolume", Source: "ec2/ebs_volume.go", Args: map[string]string{"type": "VolumeType"}},
	"aws_efs_access_point":            {Service: "efs", Operation: "CreateAccessPoint", Source: "efs/access_point.go"},
	"aws_efs_backup_policy":           {Service: "efs", Operation: "PutBackupPolicy", Source: "efs/backup_policy.go"},
	"aws_efs_file_system":             {Service: "efs", Operation: "CreateFileSystem", Source: "efs/file_system.go", Args: map[string]string{"lifecycle_policy": "-", "creation_token": "CreationToken"}},
	"aws_efs_file_system_policy":      {Service: "efs", Operation: "PutFileSystemPolicy", Source: "efs/file_system_policy.go"},
	"aws_efs_mount_target":            {Service: "efs", Operation: "CreateMountTarget", Source: "efs/mount_target.go"},
	"aws_eip":                         {Service: "ec2", Operation: "AllocateAddress", Source: "ec2/ec2_eip.go"},
	"aws_elasticache_parameter_group": {Service: "elasticache", Operation: "CreateCacheParameterGroup", Source: "elasticache/parameter_group.go", Args: map[string]string{"name": "CacheParameterGroupName", "family": "CacheParameterGroupFamily", "parameter": "-"}},
	"aws_elasticache_replication_group": {Service: "elasticache", Operation: "CreateReplicationGroup", Source: "elasticache/replication_group.go", Args: map[string]string{
		"description": "ReplicationGroupDescription", "node_type": "CacheNodeType", "parameter_group_name": "CacheParameterGroupName",
		"subnet_group_name": "CacheSubnetGroupName", "num_cache_clusters": "NumCacheClusters", "auth_token": "-", "apply_immediately": "-",
		"maintenance_window": "PreferredMaintenanceWindow", "snapshot_window": "SnapshotWindow", "final_snapshot_identifier": "-"}},
	"aws_elasticache_subnet_group":          {Service: "elasticache", Operation: "CreateCacheSubnetGroup", Source: "elasticache/subnet_group.go", Args: map[string]string{"name": "CacheSubnetGroupName", "description": "CacheSubnetGroupDescription"}},
	"aws_flow_log":                          {Service: "ec2", Operation: "CreateFlowLogs", Source: "ec2/vpc_flow_log.go", Args: map[string]string{"iam_role_arn": "DeliverLogsPermissionArn", "vpc_id": "-"}},
	"aws_iam_instance_profile":              {Service: "iam", Operation: "CreateInstanceProfile", Source: "iam/instance_profile.go", Args: map[string]string{"name": "InstanceProfileName", "role": "-"}},
	"aws_iam_openid_connect_provider":       {Service: "iam", Operation: "CreateOpenIDConnectProvider", Source: "iam/openid_connect_provider.go", Args: map[string]string{"url": "Url"}},
	"aws_iam_policy":                        {Service: "iam", Operation: "CreatePolicy", Source: "iam/policy.go", Args: map[string]string{"name": "PolicyName", "policy": "PolicyDocument"}},
	"aws_iam_role":                          {Service: "iam", Operation: "CreateRole", Source: "iam/role.go", Args: map[string]string{"name": "RoleName", "assume_role_policy": "AssumeRolePolicyDocument"}},
	"aws_iam_role_policy":                   {Service: "iam", Operation: "PutRolePolicy", Source: "iam/role_policy.go", Args: map[string]string{"name": "PolicyName", "role": "RoleName", "policy": "PolicyDocument"}},
	"aws_iam_role_policy_attachment":        {Service: "iam", Operation: "AttachRolePolicy", Source: "iam/role_policy_attachment.go", Args: map[string]string{"role": "RoleName"}},
	"aws_instance":                          {Service: "ec2", Operation: "RunInstances", Source: "ec2/ec2_instance.go", Args: map[string]string{"ami": "ImageId", "vpc_security_group_ids": "SecurityGroupIds", "iam_instance_profile": "-", "root_block_device": "-", "metadata_options": "MetadataOptions", "user_data_replace_on_change": "-", "volume_tags": "-"}},
	"aws_internet_gateway":                  {Service: "ec2", Operation: "CreateInternetGateway", Source: "ec2/vpc_internet_gateway.go"},
	"aws_kms_alias":                         {Service: "kms", Operation: "CreateAlias", Source: "kms/alias.go", Args: map[string]string{"name": "AliasName"}},
	"aws_kms_key":                           {Service: "kms", Operation: "CreateKey", Source: "kms/key.go", Args: map[string]string{"deletion_window_in_days": "-", "enable_key_rotation": "-"}},
	"aws_lb":                                {Service: "elbv2", Operation: "CreateLoadBalancer", Source: "elbv2/load_balancer.go", Args: map[string]string{"load_balancer_type": "Type", "internal": "-", "access_logs": "-"}},
	"aws_lb_listener":                       {Service: "elbv2", Operation: "CreateListener", Source: "elbv2/listener.go", Args: map[string]string{"default_action": "-"}},
	"aws_lb_listener_rule":                  {Service: "elbv2", Operation: "CreateRule", Source: "elbv2/listener_rule.go", Args: map[string]string{"action": "-", "condition": "-"}},
	"aws_lb_target_group":                   {Service: "elbv2", Operation: "CreateTargetGroup", Source: "elbv2/target_group.go", Args: map[string]string{"health_check": "-", "deregistration_delay": "-", "stickiness": "-"}},
	"aws_lb_target_group_attachment":        {Service: "elbv2", Operation: "RegisterTargets", Source: "elbv2/target_group_attachment.go"},
	"aws_nat_gateway":                       {Service: "ec2", Operation: "CreateNatGateway", Source: "ec2/vpc_nat_gateway.go"},
	"aws_route":                             {Service: "ec2", Operation: "CreateRoute", Source: "ec2/vpc_route.go"},
	"aws_route53_record":                    {Service: "route53", Operation: "ChangeResourceRecordSets", Source: "route53/record.go", Args: map[string]string{"zone_id": "HostedZoneId", "name": "-", "type": "-", "records": "-", "alias": "-", "ttl": "-", "allow_overwrite": "-"}},
	"aws_route_table":                       {Service: "ec2", Operation: "CreateRouteTable", Source: "ec2/vpc_route_table.go"},
	"aws_route_table_association":           {Service: "ec2", Operation: "AssociateRouteTable", Source: "ec2/vpc_route_table_association.go"},
	"aws_s3_bucket":                         {Service: "s3", Operation: "CreateBucket", Source: "s3/bucket.go", Args: map[string]string{"force_destroy": "-"}},
	"aws_s3_bucket_lifecycle_configuration": {Service: "s3", Operation: "PutBucketLifecycleConfiguration", Source: "s3/bucket_lifecycle_configuration.go", Args: map[string]string{"rule": "-"}},
	"aws_s3_bucket_ownership_controls":      {Service: "s3", Operation: "PutBucketOwnershipControls", Source: "s3/bucket_ownership_controls.go", Args: map[string]string{"rule": "-"}},
	"aws_s3_bucket_policy":                  {Service: "s3", Operation: "PutBucketPolicy", Source: "s3/bucket_policy.go"},
	"aws_s3_bucket_public_access_block":     {Service: "s3", Operation: "PutPublicAccessBlock", Source: "s3/bucket_public_access_block.go"},
	"aws_s3_bucket_server_side_encryption_configuration": {Service: "s3", Operation: "PutBucketEncryption", Source: "s3/bucket_server_side_encryption_configuration.go", Args: map[string]string{"rule": "-"}},
	"aws_s3_bucket_versioning":                           {Service: "s3", Operation: "PutBucketVersioning", Source: "s3/bucket_versioning.go"},
	"aws_scheduler_schedule":                             {Service: "scheduler", Operation: "CreateSchedule", Source: "scheduler/schedule.go"},
	"aws_secretsmanager_secret":                          {Service: "secretsmanager", Operation: "CreateSecret", Source: "secretsmanager/secret.go", Args: map[string]string{"recovery_window_in_days": "-"}},
	"aws_secretsmanager_secret_version":                  {Service: "secretsmanager", Operation: "PutSecretValue", Source: "secretsmanager/secret_version.go", Args: map[string]string{"secret_id": "SecretId", "secret_string": "-"}},
	"aws_security_group":                                 {Service: "ec2", Operation: "CreateSecurityGroup", Source: "ec2/vpc_security_group.go", Args: map[string]string{"name": "GroupName", "name_prefix": "-", "revoke_rules_on_delete": "-"}},
	"aws_sns_topic":                                      {Service: "sns", Operation: "CreateTopic", Source: "sns/topic.go", Args: map[string]string{"display_name": "-", "kms_master_key_id": "-"}},
	"aws_sns_topic_policy":                               {Service: "sns", Operation: "SetTopicAttributes", Source: "sns/topic_policy.go", Args: map[string]string{"arn": "TopicArn", "policy": "-"}},
	"aws_sns_topic_subscription":                         {Service: "sns", Operation: "Subscribe", Source: "sns/topic_subscription.go"},
	"aws_ssm_maintenance_window":                         {Service: "ssm", Operation: "CreateMaintenanceWindow", Source: "ssm/maintenance_window.go"},
	"aws_ssm_maintenance_window_target":                  {Service: "ssm", Operation: "RegisterTargetWithMaintenanceWindow", Source: "ssm/maintenance_window_target.go"},
	"aws_ssm_maintenance_window_task":                    {Service: "ssm", Operation: "RegisterTaskWithMaintenanceWindow", Source: "ssm/maintenance_window_task.go", Args: map[string]string{"task_invocation_parameters": "-"}},
	"aws_ssm_parameter":                                  {Service: "ssm", Operation: "PutParameter", Source: "ssm/parameter.go", Args: map[string]string{"insecure_value": "-"}},
	"aws_ssm_patch_baseline":                             {Service: "ssm", Operation: "CreatePatchBaseline", Source: "ssm/patch_baseline.go", Args: map[string]string{"approval_rule": "-", "global_filter": "-"}},
	"aws_ssm_patch_group":                                {Service: "ssm", Operation: "RegisterPatchBaselineForPatchGroup", Source: "ssm/patch_group.go"},
	"aws_subnet":                                         {Service: "ec2", Operation: "CreateSubnet", Source: "ec2/vpc_subnet.go", Args: map[string]string{"map_public_ip_on_launch": "-"}},
	"aws_volume_attachment":                              {Service: "ec2", Operation: "AttachVolume", Source: "ec2/ec2_volume_attachment.go"},
	"aws_vpc":                                            {Service: "ec2", Operation: "CreateVpc", Source: "ec2/vpc_.go", Args: map[string]string{"enable_dns_hostnames": "-", "enable_dns_support": "-"}},
	"aws_vpc_endpoint":                                   {Service: "ec2", Operation: "CreateVpcEndpoint", Source: "ec2/vpc_endpoint.go"},
	"aws_vpc_security_group_egress_rule":                 {Service: "ec2", Operation: "AuthorizeSecurityGroupEgress", Source: "ec2/vpc_security_group_egress_rule.go", Args: map[string]string{"security_group_id": "GroupId"}},
	"aws_vpc_security_group_ingress_rule":                {Service: "ec2", Operation: "AuthorizeSecurityGroupIngress", Source: "ec2/vpc_security_group_ingress_rule.go", Args: map[string]string{"security_group_id": "GroupId"}},
	"aws_wafv2_web_acl":                                  {Service: "wafv2", Operation: "CreateWebACL", Source: "wafv2/web_acl.go", Args: map[string]string{"rule": "-", "default_action": "-", "visibility_config": "-", "custom_response_body": "-"}},
	"aws_wafv2_web_acl_association":                      {Service: "wafv2", Operation: "AssociateWebACL", Source: "wafv2/web_acl_association.go"},
	"aws_wafv2_web_acl_logging_configuration":            {Service: "wafv2", Operation: "PutLoggingConfiguration", Source: "wafv2/web_acl_logging_configuration.go", Args: map[string]string{"resource_arn": "LoggingConfiguration.ResourceArn", "log_destination_configs": "LoggingConfiguration.LogDestinationConfigs", "redacted_fields": "-"}},
	"aws_ecr_repository":                                 {Service: "ecr", Operation: "CreateRepository", Source: "ecr/repository.go", Args: map[string]string{"name": "repositoryName", "image_scanning_configuration": "-", "encryption_configuration": "-"}},
	"aws_ecr_lifecycle_policy":                           {Service: "ecr", Operation: "PutLifecyclePolicy", Source: "ecr/lifecycle_policy.go", Args: map[string]string{"repository": "repositoryName", "policy": "lifecyclePolicyText"}},
}
