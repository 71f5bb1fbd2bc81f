package controls

import "testing"

var loggingFixtures = map[string][]fixture{
	"IG-LOGS": {
		{name: "a log group under the AWS-managed key", parts: parts(key, logGroup),
			edits: []edit{unset("aws_cloudwatch_log_group.app.kms_key_id")},
			want:  `aws_cloudwatch_log_group.app: not encrypted with a CMK`},
		{name: "a log group kept forever", parts: parts(key, logGroup),
			edits: []edit{unset("aws_cloudwatch_log_group.app.retention_in_days")},
			want:  `aws_cloudwatch_log_group.app: kept forever (no retention_in_days)`},
		{name: "retention 0 (never expire)", parts: parts(key, logGroup),
			edits: []edit{set("aws_cloudwatch_log_group.app.retention_in_days", 0)},
			want:  `aws_cloudwatch_log_group.app: kept forever`},
		{name: "passes: retention of one day", parts: parts(key, logGroup),
			edits: []edit{set("aws_cloudwatch_log_group.app.retention_in_days", 1)}},
	},
	"IG-FLOW-LOGS": {
		{name: "a VPC without flow logs", parts: parts(network),
			edits: []edit{unset("aws_flow_log.vpc")},
			want:  `aws_vpc.vpc: no flow logs`},
		{name: "a flow log of another VPC", parts: parts(network),
			edits: []edit{set("aws_flow_log.vpc.vpc_id", "${aws_vpc.peer.id}")},
			want:  `aws_vpc.vpc: no flow logs`},
	},
}

func TestLoggingControls(t *testing.T) { runFixtures(t, loggingFixtures) }
