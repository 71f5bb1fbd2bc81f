// Package budget is an environment's AWS Budget: a monthly cost limit on
// what carries its Environment tag, with e-mails at 80 % of actual spend
// and when the forecast passes 100 %.
//
// The filter reads the cost-allocation tag "Environment", which AWS Billing
// sees only once the tag is activated (docs/runbooks/cost.md): until then
// the budget reports nothing.
package budget

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/budgetsbudget"

	"github.com/influencegen/infrastructure/constructs/envinfo"
)

// Thresholds of the two notifications, in percent of the limit.
const (
	ActualPercent   = 80
	ForecastPercent = 100
)

// Props configures the budget.
type Props struct {
	// Info is the environment.
	Info envinfo.Info
	// MonthlyUSD is the limit (Scale.MonthlyBudgetUSD).
	MonthlyUSD int
	// Emails are notified (the environment's AlertEmails; at most 10).
	Emails []string
}

// New creates the budget and returns its name.
func New(scope constructs.Construct, id string, p Props) string {
	i := p.Info
	name := i.Name("monthly")
	notify := func(kind string, percent float64) budgetsbudget.BudgetsBudgetNotification {
		return budgetsbudget.BudgetsBudgetNotification{
			ComparisonOperator:       jsii.String("GREATER_THAN"),
			NotificationType:         jsii.String(kind),
			Threshold:                jsii.Number(percent),
			ThresholdType:            jsii.String("PERCENTAGE"),
			SubscriberEmailAddresses: jsii.Strings(p.Emails...),
		}
	}
	var notifications []budgetsbudget.BudgetsBudgetNotification
	if len(p.Emails) > 0 {
		notifications = []budgetsbudget.BudgetsBudgetNotification{notify("ACTUAL", ActualPercent), notify("FORECASTED", ForecastPercent)}
	}
	budgetsbudget.NewBudgetsBudget(scope, jsii.String(id), &budgetsbudget.BudgetsBudgetConfig{
		Name:        jsii.String(name),
		BudgetType:  jsii.String("COST"),
		TimeUnit:    jsii.String("MONTHLY"),
		LimitAmount: jsii.String(fmt.Sprintf("%d", p.MonthlyUSD)),
		LimitUnit:   jsii.String("USD"),
		// A user-defined cost-allocation tag is "user:<key>$<value>" in
		// a budget's TagKeyValue filter.
		CostFilter: []budgetsbudget.BudgetsBudgetCostFilter{{
			Name:   jsii.String("TagKeyValue"),
			Values: jsii.Strings("user:Environment$" + i.Env),
		}},
		Notification: notifications,
		Tags:         i.Tags(name),
	})
	return name
}
