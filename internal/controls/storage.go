package controls

// Storage access: S3 buckets (encryption, versioning, public access, TLS)
// and EFS file systems (mounted through an access point, never as root).

import (
	"fmt"
	"strings"

	"github.com/influencegen/infrastructure/internal/stack"
)

// s3Buckets checks every bucket's companion resources. The load balancer's
// access-log bucket is the one documented exception to SSE-KMS: ELB writes
// with SSE-S3 only.
func s3Buckets(s stack.Stack, _ bool) []string {
	var out []string
	byBucket := func(typ string) map[string]map[string]any {
		m := map[string]map[string]any{}
		for _, r := range each(s, typ) {
			m[stack.ReferencedName(r.attrs["bucket"])] = r.attrs
		}
		return m
	}
	sse, ver, pab, pol := byBucket("aws_s3_bucket_server_side_encryption_configuration"), byBucket("aws_s3_bucket_versioning"),
		byBucket("aws_s3_bucket_public_access_block"), byBucket("aws_s3_bucket_policy")
	for _, b := range each(s, "aws_s3_bucket") {
		// ELB delivers access logs only to SSE-S3 buckets.
		logExempt := strings.Contains(str(b.attrs["bucket"]), "-edge-logs-")
		rule := block(block(sse[b.name]["rule"])["apply_server_side_encryption_by_default"])
		switch {
		case rule == nil:
			out = append(out, finding(b, "no default encryption"))
		case !logExempt && (rule["sse_algorithm"] != "aws:kms" || !isCMK(rule["kms_master_key_id"])):
			out = append(out, finding(b, "not SSE-KMS with a CMK"))
		}
		if !strings.Contains(fmt.Sprint(ver[b.name]["versioning_configuration"]), "Enabled") {
			out = append(out, finding(b, "versioning off"))
		}
		p := pab[b.name]
		for _, k := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
			if p == nil || p[k] != true {
				out = append(out, finding(b, "public access block %s is off", k))
				break
			}
		}
		if !strings.Contains(str(pol[b.name]["policy"]), `"aws:SecureTransport":["false"]`) {
			out = append(out, finding(b, "no TLS-only bucket policy"))
		}
	}
	return out
}

func efsAccess(s stack.Stack, _ bool) []string {
	points := map[string]bool{}
	for _, r := range each(s, "aws_efs_access_point") {
		if block(r.attrs["posix_user"])["uid"] != nil {
			points[stack.ReferencedName(r.attrs["file_system_id"])] = true
		}
	}
	policies := map[string]string{}
	for _, r := range each(s, "aws_efs_file_system_policy") {
		policies[stack.ReferencedName(r.attrs["file_system_id"])] = str(r.attrs["policy"])
	}
	var out []string
	for _, r := range each(s, "aws_efs_file_system") {
		if !points[r.name] {
			out = append(out, finding(r, "no access point with a POSIX user: root is squashed, nothing can own the files"))
		}
		if p := policies[r.name]; !strings.Contains(p, "elasticfilesystem:AccessPointArn") {
			out = append(out, finding(r, "the file system policy allows mounts outside the access point"))
		}
	}
	for _, r := range each(s, "aws_iam_role_policy", "aws_efs_file_system_policy") {
		if strings.Contains(str(r.attrs["policy"]), "ClientRootAccess") {
			out = append(out, finding(r, "grants elasticfilesystem:ClientRootAccess"))
		}
	}
	return out
}
