package controls

import "testing"

// offHours starts the servers in the morning (outside production).
var offHours = part{"aws_scheduler_schedule": m{"start": m{
	"flexible_time_window": m{"mode": "OFF"}, "name": "influencegen-fixture-offhours-start", "schedule_expression": "cron(0 7 ? * MON-FRI *)",
	"schedule_expression_timezone": "Europe/Berlin", "state": "ENABLED",
	"target": m{"arn": "arn:${data.aws_partition.partition.partition}:scheduler:::aws-sdk:ec2:startInstances",
		"input": `{"InstanceIds":["${aws_instance.server.id}"]}`, "role_arn": "${aws_iam_role.offhours.arn}"},
}}}

const stopInstances = "arn:${data.aws_partition.partition.partition}:scheduler:::aws-sdk:ec2:stopInstances"

var operationsFixtures = map[string][]fixture{
	"IG-BUDGET": {
		{name: "servers without a budget", parts: parts(key, server),
			edits: []edit{unset("aws_budgets_budget.budget")},
			want:  `aws_budgets_budget: none in a stack that runs servers`},
		{name: "a budget that notifies nobody", parts: parts(key, server),
			edits: []edit{unset("aws_budgets_budget.budget.notification.0.subscriber_email_addresses")},
			want:  `aws_budgets_budget.budget: notifies nobody`},
		{name: "a budget without notifications", parts: parts(key, server),
			edits: []edit{unset("aws_budgets_budget.budget.notification")},
			want:  `aws_budgets_budget.budget: notifies nobody`},
		{name: "passes: a budget notifying a topic", parts: parts(key, server),
			edits: []edit{unset("aws_budgets_budget.budget.notification.0.subscriber_email_addresses"),
				set("aws_budgets_budget.budget.notification.0.subscriber_sns_topic_arns", l{"${aws_sns_topic.alarms.arn}"})}},
		{name: "passes: no servers, no budget", parts: parts(key, bucket)},
	},
	"IG-NO-PROD-SCHEDULE": {
		{name: "a schedule stopping production's servers", mode: inProduction, parts: parts(key, server, offHours),
			edits: []edit{set("aws_scheduler_schedule.start.target.arn", stopInstances)},
			want:  `aws_scheduler_schedule.start: stops production servers on a schedule`},
		{name: "passes: outside production servers may stop at night", mode: outsideProduction, parts: parts(key, server, offHours),
			edits: []edit{set("aws_scheduler_schedule.start.target.arn", stopInstances)}},
	},
}

func TestOperationsControls(t *testing.T) { runFixtures(t, operationsFixtures) }
