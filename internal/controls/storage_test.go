package controls

import "testing"

const dataSSE = "aws_s3_bucket_server_side_encryption_configuration.data.rule.0.apply_server_side_encryption_by_default"

var storageFixtures = map[string][]fixture{
	"IG-S3": {
		{name: "no default encryption", parts: parts(key, bucket),
			edits: []edit{unset("aws_s3_bucket_server_side_encryption_configuration.data")},
			want:  `aws_s3_bucket.data: no default encryption`},
		{name: "SSE-S3 on a data bucket", parts: parts(key, bucket),
			edits: []edit{set(dataSSE, m{"sse_algorithm": "AES256"})},
			want:  `aws_s3_bucket.data: not SSE-KMS with a CMK`},
		{name: "SSE-KMS under the AWS-managed key", parts: parts(key, bucket),
			edits: []edit{set(dataSSE+".kms_master_key_id", "alias/aws/s3")},
			want:  `aws_s3_bucket.data: not SSE-KMS with a CMK`},
		{name: "SSE-KMS without a key named", parts: parts(key, bucket),
			edits: []edit{unset(dataSSE + ".kms_master_key_id")},
			want:  `aws_s3_bucket.data: not SSE-KMS with a CMK`},
		{name: "a CMK named under another algorithm", parts: parts(key, bucket),
			edits: []edit{set(dataSSE+".sse_algorithm", "AES256")},
			want:  `aws_s3_bucket.data: not SSE-KMS with a CMK`},
		{name: "the load balancer's log bucket without default encryption", parts: parts(key, logBucket),
			edits: []edit{unset("aws_s3_bucket_server_side_encryption_configuration.logs")},
			want:  `aws_s3_bucket.logs: no default encryption`},
		{name: "versioning suspended", parts: parts(key, bucket),
			edits: []edit{set("aws_s3_bucket_versioning.data.versioning_configuration.status", "Suspended")},
			want:  `aws_s3_bucket.data: versioning off`},
		{name: "no versioning resource", parts: parts(key, bucket),
			edits: []edit{unset("aws_s3_bucket_versioning.data")},
			want:  `aws_s3_bucket.data: versioning off`},
		{name: "no public access block", parts: parts(key, bucket),
			edits: []edit{unset("aws_s3_bucket_public_access_block.data")},
			want:  `aws_s3_bucket.data: public access block block_public_acls is off`},
		{name: "public ACLs not blocked", parts: parts(key, bucket),
			edits: []edit{set("aws_s3_bucket_public_access_block.data.block_public_acls", false)},
			want:  `aws_s3_bucket.data: public access block block_public_acls is off`},
		{name: "public policies not blocked", parts: parts(key, bucket),
			edits: []edit{set("aws_s3_bucket_public_access_block.data.block_public_policy", false)},
			want:  `aws_s3_bucket.data: public access block block_public_policy is off`},
		{name: "public ACLs not ignored", parts: parts(key, bucket),
			edits: []edit{unset("aws_s3_bucket_public_access_block.data.ignore_public_acls")},
			want:  `aws_s3_bucket.data: public access block ignore_public_acls is off`},
		{name: "public buckets not restricted", parts: parts(key, bucket),
			edits: []edit{set("aws_s3_bucket_public_access_block.data.restrict_public_buckets", false)},
			want:  `aws_s3_bucket.data: public access block restrict_public_buckets is off`},
		{name: "no bucket policy", parts: parts(key, bucket),
			edits: []edit{unset("aws_s3_bucket_policy.data")},
			want:  `aws_s3_bucket.data: no TLS-only bucket policy`},
		{name: "a bucket policy that allows plain HTTP", parts: parts(key, bucket),
			edits: []edit{set("aws_s3_bucket_policy.data.policy", policy(
				`{"Sid":"ReadModels","Effect":"Allow","Principal":{"AWS":["${aws_iam_role.server.arn}"]},"Action":["s3:GetObject"],"Resource":["${aws_s3_bucket.data.arn}/*"]}`))},
			want: `aws_s3_bucket.data: no TLS-only bucket policy`},
		{name: "passes: the load balancer's log bucket with SSE-S3 (ELB writes no other)", parts: parts(key, logBucket)},
	},
	"IG-EFS-ACCESS": {
		{name: "no access point", parts: parts(key, fileSystem, backups),
			edits: []edit{unset("aws_efs_access_point.odoo")},
			want:  `aws_efs_file_system.efs: no access point with a POSIX user`},
		{name: "an access point without a POSIX user", parts: parts(key, fileSystem, backups),
			edits: []edit{unset("aws_efs_access_point.odoo.posix_user")},
			want:  `aws_efs_file_system.efs: no access point with a POSIX user`},
		{name: "no file system policy", parts: parts(key, fileSystem, backups),
			edits: []edit{unset("aws_efs_file_system_policy.efs")},
			want:  `aws_efs_file_system.efs: the file system policy allows mounts outside the access point`},
		{name: "a policy that allows mounts without the access point", parts: parts(key, fileSystem, backups),
			edits: []edit{set("aws_efs_file_system_policy.efs.policy", policy(
				`{"Sid":"Mount","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root"]},"Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":["${aws_efs_file_system.efs.arn}"],"Condition":{"Bool":{"elasticfilesystem:AccessedViaMountTarget":["true"]}}}`))},
			want: `aws_efs_file_system.efs: the file system policy allows mounts outside the access point`},
		{name: "a role allowed to mount as root", parts: parts(key, fileSystem, backups, serverRole),
			edits: []edit{set("aws_iam_role_policy.server.policy", policy(
				`{"Sid":"MountTheFilestore","Effect":"Allow","Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite","elasticfilesystem:ClientRootAccess"],"Resource":["${aws_efs_file_system.efs.arn}"],"Condition":{"StringEquals":{"elasticfilesystem:AccessPointArn":["${aws_efs_access_point.odoo.arn}"]}}}`))},
			want: `aws_iam_role_policy.server: grants elasticfilesystem:ClientRootAccess`},
		{name: "a file system policy allowing root", parts: parts(key, fileSystem, backups),
			edits: []edit{set("aws_efs_file_system_policy.efs.policy", policy(
				`{"Sid":"MountThroughTheAccessPointOnly","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root"]},"Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientRootAccess"],"Resource":["${aws_efs_file_system.efs.arn}"],"Condition":{"StringEquals":{"elasticfilesystem:AccessPointArn":["${aws_efs_access_point.odoo.arn}"]}}}`))},
			want: `aws_efs_file_system_policy.efs: grants elasticfilesystem:ClientRootAccess`},
	},
}

func TestStorageControls(t *testing.T) { runFixtures(t, storageFixtures) }
