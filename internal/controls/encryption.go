package controls

// Encryption at rest: every store of data is encrypted with a customer-managed
// KMS key (not an AWS-managed alias), and the keys rotate.

import (
	"fmt"

	"github.com/influencegen/infrastructure/internal/stack"
)

func ebsCMK(s stack.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_instance") {
		root := block(r.attrs["root_block_device"])
		if root == nil || root["encrypted"] != true || !isCMK(root["kms_key_id"]) {
			out = append(out, finding(r, "root volume not encrypted with a CMK"))
		}
		for _, d := range asList(r.attrs["ebs_block_device"]) {
			if d["encrypted"] != true || !isCMK(d["kms_key_id"]) {
				out = append(out, finding(r, "EBS block device not encrypted with a CMK"))
			}
		}
	}
	for _, r := range each(s, "aws_ebs_volume") {
		if r.attrs["encrypted"] != true || !isCMK(r.attrs["kms_key_id"]) {
			out = append(out, finding(r, "volume not encrypted with a CMK"))
		}
	}
	return out
}

func rdsCMK(s stack.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_db_instance", "aws_rds_cluster") {
		if r.attrs["storage_encrypted"] != true || !isCMK(r.attrs["kms_key_id"]) {
			out = append(out, finding(r, "storage not encrypted with a CMK"))
		}
		if r.attrs["performance_insights_enabled"] == true && !isCMK(r.attrs["performance_insights_kms_key_id"]) {
			out = append(out, finding(r, "Performance Insights not encrypted with a CMK"))
		}
	}
	return out
}

func efsCMK(s stack.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_efs_file_system") {
		if r.attrs["encrypted"] != true || !isCMK(r.attrs["kms_key_id"]) {
			out = append(out, finding(r, "not encrypted with a CMK"))
		}
	}
	return out
}

func cacheEncryption(s stack.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_elasticache_replication_group") {
		if fmt.Sprint(r.attrs["at_rest_encryption_enabled"]) != "true" || !isCMK(r.attrs["kms_key_id"]) {
			out = append(out, finding(r, "not encrypted at rest with a CMK"))
		}
		if r.attrs["transit_encryption_enabled"] != true {
			out = append(out, finding(r, "not encrypted in transit"))
		}
	}
	return out
}

func snsCMK(s stack.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_sns_topic") {
		if !isCMK(r.attrs["kms_master_key_id"]) {
			out = append(out, finding(r, "not encrypted with a CMK"))
		}
	}
	return out
}

func secretsCMK(s stack.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_secretsmanager_secret") {
		if !isCMK(r.attrs["kms_key_id"]) {
			out = append(out, finding(r, "encrypted with the AWS-managed key, not a CMK"))
		}
	}
	return out
}

func kmsRotation(s stack.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_kms_key") {
		if r.attrs["enable_key_rotation"] != true {
			out = append(out, finding(r, "rotation off"))
		}
	}
	return out
}
