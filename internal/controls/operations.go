package controls

// Operations: cost budgets that notify someone, and no schedule that stops
// production.

import (
	"strings"

	"github.com/influencegen/infrastructure/internal/stack"
)

func budgetControl(s stack.Stack, _ bool) []string {
	if len(each(s, "aws_instance")) == 0 {
		return nil
	}
	budgets := each(s, "aws_budgets_budget")
	if len(budgets) == 0 {
		return []string{"aws_budgets_budget: none in a stack that runs servers"}
	}
	var out []string
	for _, r := range budgets {
		notified := false
		for _, n := range asList(r.attrs["notification"]) {
			if list, _ := n["subscriber_email_addresses"].([]any); len(list) > 0 {
				notified = true
			}
			if list, _ := n["subscriber_sns_topic_arns"].([]any); len(list) > 0 {
				notified = true
			}
		}
		if !notified {
			out = append(out, finding(r, "notifies nobody"))
		}
	}
	return out
}

func noProductionSchedule(s stack.Stack, production bool) []string {
	if !production {
		return nil
	}
	var out []string
	for _, r := range each(s, "aws_scheduler_schedule") {
		if a := str(block(r.attrs["target"])["arn"]); strings.HasSuffix(a, ":ec2:stopInstances") {
			out = append(out, finding(r, "stops production servers on a schedule (%s)", a))
		}
	}
	return out
}
