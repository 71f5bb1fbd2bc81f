package controls

import "testing"

// awsManagedEBS is the account's AWS-managed EBS key, by alias: encrypted,
// but not under the project's key policy.
const awsManagedEBS = "arn:aws:kms:eu-central-1:123456789012:alias/aws/ebs"

// aurora is an encrypted Aurora cluster (the suite reads clusters too).
var aurora = part{"aws_rds_cluster": m{"aurora": m{
	"cluster_identifier": "influencegen-fixture-aurora", "engine": "aurora-postgresql", "kms_key_id": cmk,
	"manage_master_user_password": true, "master_username": "dbadmin", "storage_encrypted": true,
}}}

var encryptionFixtures = map[string][]fixture{
	"IG-EBS-CMK": {
		{name: "an unencrypted root volume", parts: parts(key, server),
			edits: []edit{set("aws_instance.server.root_block_device.encrypted", false)},
			want:  `aws_instance.server: root volume not encrypted with a CMK`},
		{name: "a root volume under the AWS-managed key", parts: parts(key, server),
			edits: []edit{set("aws_instance.server.root_block_device.kms_key_id", awsManagedEBS)},
			want:  `aws_instance.server: root volume not encrypted with a CMK`},
		{name: "a root volume encrypted without a key named", parts: parts(key, server),
			edits: []edit{unset("aws_instance.server.root_block_device.kms_key_id")},
			want:  `aws_instance.server: root volume not encrypted with a CMK`},
		{name: "no root_block_device (the AMI's defaults)", parts: parts(key, server),
			edits: []edit{unset("aws_instance.server.root_block_device")},
			want:  `aws_instance.server: root volume not encrypted with a CMK`},
		{name: "an unencrypted EBS block device", parts: parts(key, server),
			edits: []edit{set("aws_instance.server.ebs_block_device", l{m{"device_name": "/dev/sdf", "encrypted": false, "volume_size": 10}})},
			want:  `aws_instance.server: EBS block device not encrypted with a CMK`},
		{name: "an EBS block device under the AWS-managed key", parts: parts(key, server),
			edits: []edit{set("aws_instance.server.ebs_block_device", l{m{"device_name": "/dev/sdf", "encrypted": true, "kms_key_id": awsManagedEBS}})},
			want:  `aws_instance.server: EBS block device not encrypted with a CMK`},
		{name: "an unencrypted volume", parts: parts(key, volume, backups),
			edits: []edit{set("aws_ebs_volume.models.encrypted", false)},
			want:  `aws_ebs_volume.models: volume not encrypted with a CMK`},
		{name: "a volume under the AWS-managed key", parts: parts(key, volume, backups),
			edits: []edit{set("aws_ebs_volume.models.kms_key_id", awsManagedEBS)},
			want:  `aws_ebs_volume.models: volume not encrypted with a CMK`},
		{name: "passes: a block device under a CMK given by its ARN", parts: parts(key, server),
			edits: []edit{set("aws_instance.server.ebs_block_device", l{m{"device_name": "/dev/sdf", "encrypted": true,
				"kms_key_id": "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}})}},
	},
	"IG-RDS-CMK": {
		{name: "unencrypted storage", parts: parts(key, database, backups),
			edits: []edit{set("aws_db_instance.db.storage_encrypted", false)},
			want:  `aws_db_instance.db: storage not encrypted with a CMK`},
		{name: "storage under the AWS-managed key", parts: parts(key, database, backups),
			edits: []edit{unset("aws_db_instance.db.kms_key_id")},
			want:  `aws_db_instance.db: storage not encrypted with a CMK`},
		{name: "Performance Insights under the AWS-managed key", parts: parts(key, database, backups),
			edits: []edit{unset("aws_db_instance.db.performance_insights_kms_key_id")},
			want:  `aws_db_instance.db: Performance Insights not encrypted with a CMK`},
		{name: "an unencrypted Aurora cluster", parts: parts(key, aurora),
			edits: []edit{set("aws_rds_cluster.aurora.storage_encrypted", false)},
			want:  `aws_rds_cluster.aurora: storage not encrypted with a CMK`},
		{name: "passes: Performance Insights off needs no key", parts: parts(key, database, backups),
			edits: []edit{set("aws_db_instance.db.performance_insights_enabled", false), unset("aws_db_instance.db.performance_insights_kms_key_id")}},
	},
	"IG-EFS-CMK": {
		{name: "an unencrypted file system", parts: parts(key, fileSystem, backups),
			edits: []edit{set("aws_efs_file_system.efs.encrypted", false)},
			want:  `aws_efs_file_system.efs: not encrypted with a CMK`},
		{name: "a file system under the AWS-managed key", parts: parts(key, fileSystem, backups),
			edits: []edit{unset("aws_efs_file_system.efs.kms_key_id")},
			want:  `aws_efs_file_system.efs: not encrypted with a CMK`},
	},
	"IG-CACHE-ENC": {
		{name: "not encrypted at rest", parts: parts(key, cache),
			edits: []edit{set("aws_elasticache_replication_group.redis.at_rest_encryption_enabled", "false")},
			want:  `aws_elasticache_replication_group.redis: not encrypted at rest with a CMK`},
		{name: "at-rest encryption not set", parts: parts(key, cache),
			edits: []edit{unset("aws_elasticache_replication_group.redis.at_rest_encryption_enabled")},
			want:  `aws_elasticache_replication_group.redis: not encrypted at rest with a CMK`},
		{name: "encrypted at rest under the AWS-managed key", parts: parts(key, cache),
			edits: []edit{unset("aws_elasticache_replication_group.redis.kms_key_id")},
			want:  `aws_elasticache_replication_group.redis: not encrypted at rest with a CMK`},
		{name: "not encrypted in transit", parts: parts(key, cache),
			edits: []edit{set("aws_elasticache_replication_group.redis.transit_encryption_enabled", false)},
			want:  `aws_elasticache_replication_group.redis: not encrypted in transit`},
		{name: "transit encryption not set (off by default)", parts: parts(key, cache),
			edits: []edit{unset("aws_elasticache_replication_group.redis.transit_encryption_enabled")},
			want:  `aws_elasticache_replication_group.redis: not encrypted in transit`},
	},
	"IG-SNS-CMK": {
		{name: "an unencrypted topic", parts: parts(key, topic),
			edits: []edit{unset("aws_sns_topic.alarms.kms_master_key_id")},
			want:  `aws_sns_topic.alarms: not encrypted with a CMK`},
		{name: "a topic under the AWS-managed key", parts: parts(key, topic),
			edits: []edit{set("aws_sns_topic.alarms.kms_master_key_id", "alias/aws/sns")},
			want:  `aws_sns_topic.alarms: not encrypted with a CMK`},
	},
	"IG-SECRETS-CMK": {
		{name: "a secret under the AWS-managed key", parts: parts(key, secret),
			edits: []edit{unset("aws_secretsmanager_secret.app.kms_key_id")},
			want:  `aws_secretsmanager_secret.app: encrypted with the AWS-managed key, not a CMK`},
		{name: "a secret under the AWS-managed key, by alias", parts: parts(key, secret),
			edits: []edit{set("aws_secretsmanager_secret.app.kms_key_id", "alias/aws/secretsmanager")},
			want:  `aws_secretsmanager_secret.app: encrypted with the AWS-managed key, not a CMK`},
	},
	"IG-KMS-ROTATION": {
		{name: "rotation off", parts: parts(key),
			edits: []edit{set("aws_kms_key.data.enable_key_rotation", false)},
			want:  `aws_kms_key.data: rotation off`},
		{name: "rotation not set (off by default)", parts: parts(key),
			edits: []edit{unset("aws_kms_key.data.enable_key_rotation")},
			want:  `aws_kms_key.data: rotation off`},
	},
}

func TestEncryptionControls(t *testing.T) { runFixtures(t, encryptionFixtures) }
