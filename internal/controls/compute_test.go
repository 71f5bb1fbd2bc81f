package controls

import "testing"

// launchTemplate is a launch template requiring IMDSv2 (cdktf writes the
// single metadata_options block as an object, as on aws_instance).
var launchTemplate = part{"aws_launch_template": m{"workers": m{
	"image_id": "${data.aws_ami.ami.id}", "instance_type": "t3.medium", "name_prefix": "influencegen-fixture-workers-",
	"metadata_options": m{"http_endpoint": "enabled", "http_put_response_hop_limit": 1, "http_tokens": "required"},
}}}

// recoverAlarm recovers the server when AWS's host fails.
var recoverAlarm = part{"aws_cloudwatch_metric_alarm": m{"system-check": m{
	"alarm_actions": l{"${aws_sns_topic.alarms.arn}", "arn:${data.aws_partition.partition.partition}:automate:eu-central-1:ec2:recover"},
	"alarm_name":    "influencegen-fixture-odoo-1-system-check", "comparison_operator": "GreaterThanOrEqualToThreshold",
	"dimensions": m{"InstanceId": "${aws_instance.server.id}"}, "evaluation_periods": 2, "metric_name": "StatusCheckFailed_System",
	"namespace": "AWS/EC2", "period": 60, "statistic": "Maximum", "threshold": 1, "treat_missing_data": "breaching",
}}}

var computeFixtures = map[string][]fixture{
	"IG-IMDS": {
		{name: "an instance without metadata options", parts: parts(key, server),
			edits: []edit{unset("aws_instance.server.metadata_options")},
			want:  `aws_instance.server: IMDSv1 allowed`},
		{name: "an instance with optional tokens", parts: parts(key, server),
			edits: []edit{set("aws_instance.server.metadata_options.http_tokens", "optional")},
			want:  `aws_instance.server: IMDSv1 allowed`},
		{name: "an instance with hop limit 2", parts: parts(key, server),
			edits: []edit{set("aws_instance.server.metadata_options.http_put_response_hop_limit", 2)},
			want:  `aws_instance.server: metadata hop limit 2 lets containers reach instance credentials`},
		{name: "a launch template with optional tokens", parts: parts(launchTemplate),
			edits: []edit{set("aws_launch_template.workers.metadata_options.http_tokens", "optional")},
			want:  `aws_launch_template.workers: IMDSv1 allowed`},
		{name: "a launch template with hop limit 3", parts: parts(launchTemplate),
			edits: []edit{set("aws_launch_template.workers.metadata_options.http_put_response_hop_limit", 3)},
			want:  `aws_launch_template.workers: metadata hop limit 3`},
		{name: "passes: no hop limit written (EC2's default is 1)", parts: parts(key, server),
			edits: []edit{unset("aws_instance.server.metadata_options.http_put_response_hop_limit")}},
	},
	"IG-EC2-RECOVER": {
		{name: "a recover action on a GPU server", parts: parts(key, server, recoverAlarm),
			edits: []edit{set("aws_instance.server.instance_type", "g5.xlarge")},
			want:  `aws_cloudwatch_metric_alarm.system-check: recover action on "g5.xlarge", which EC2 cannot recover`},
		{name: "a recover action on an instance with instance store", parts: parts(key, server, recoverAlarm),
			edits: []edit{set("aws_instance.server.instance_type", "m5d.large")},
			want:  `aws_cloudwatch_metric_alarm.system-check: recover action on "m5d.large"`},
		{name: "passes: a GPU server's alarm only notifies", parts: parts(key, server, recoverAlarm),
			edits: []edit{set("aws_instance.server.instance_type", "g5.xlarge"),
				set("aws_cloudwatch_metric_alarm.system-check.alarm_actions", l{"${aws_sns_topic.alarms.arn}"})}},
	},
}

func TestComputeControls(t *testing.T) { runFixtures(t, computeFixtures) }
