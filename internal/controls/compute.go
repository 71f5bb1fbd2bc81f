package controls

// Compute: the instances themselves — their metadata service, and recover
// actions only where EC2 can recover the instance type.

import (
	"fmt"
	"strings"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/stack"
)

func imdsv2(s stack.Stack, _ bool) []string {
	var out []string
	for _, r := range each(s, "aws_instance", "aws_launch_template") {
		md := block(r.attrs["metadata_options"])
		if md == nil || md["http_tokens"] != "required" {
			out = append(out, finding(r, "IMDSv1 allowed (metadata_options.http_tokens is not \"required\")"))
		} else if hop, _ := md["http_put_response_hop_limit"].(float64); hop > 1 {
			out = append(out, finding(r, "metadata hop limit %v lets containers reach instance credentials", hop))
		}
	}
	return out
}

func ec2Recover(s stack.Stack, _ bool) []string {
	types := map[string]string{}
	for _, r := range each(s, "aws_instance") {
		types["${aws_instance."+r.name+".id}"] = str(r.attrs["instance_type"])
	}
	var out []string
	for _, r := range each(s, "aws_cloudwatch_metric_alarm") {
		if !strings.Contains(fmt.Sprint(r.attrs["alarm_actions"]), ":ec2:recover") {
			continue
		}
		typ := types[str(block(r.attrs["dimensions"])["InstanceId"])]
		if !environments.AutoRecoverySupported(typ) {
			out = append(out, finding(r, "recover action on %q, which EC2 cannot recover: CloudWatch refuses the alarm", typ))
		}
	}
	return out
}
