package controls

// Logging: log groups are encrypted and retained for a bounded time, and
// every VPC records its flow logs.

import (
	"github.com/influencegen/infrastructure/internal/stack"
)

func logGroups(s stack.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_cloudwatch_log_group") {
		if !isCMK(r.attrs["kms_key_id"]) {
			out = append(out, finding(r, "not encrypted with a CMK"))
		}
		if d, _ := r.attrs["retention_in_days"].(float64); d < 1 {
			out = append(out, finding(r, "kept forever (no retention_in_days)"))
		}
	}
	return out
}

func flowLogs(s stack.Stack, _ bool) []string {
	var out []string
	logged := map[string]bool{}
	for _, f := range each(s, "aws_flow_log") {
		logged[stack.ReferencedName(f.attrs["vpc_id"])] = true
	}
	for _, v := range each(s, "aws_vpc") {
		if !logged[v.name] {
			out = append(out, finding(v, "no flow logs"))
		}
	}
	return out
}
