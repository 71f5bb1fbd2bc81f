package parity

import (
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
)

// TestDrift: a change staging's plan makes is drift when production's
// synthesized resource of the same construct has another literal value;
// not when production has it too, when the argument is Scale, when
// production's value is a reference, or when the change does not touch
// the argument.
func TestDrift(t *testing.T) {
	a := environments.DefaultAccount()
	all := environments.All(a)
	prod, stg := all[0], all[1]
	ref := map[string]any{"resource": map[string]any{
		"aws_cloudwatch_metric_alarm": map[string]any{
			"observability_alarm-odoo-1-cpu_AAAAAAAA": map[string]any{"threshold": 80, "alarm_name": "influencegen-production-odoo-1-cpu", "alarm_actions": []any{"${aws_sns_topic.t_BBBBBBBB.arn}"}},
		},
		"aws_db_instance": map[string]any{"database_primary_CCCCCCCC": map[string]any{"multi_az": true, "engine_version": "16"}},
	}}
	d := NewDrift(stg, prod, ref)
	alarm := func(threshold float64, name string) map[string]any {
		return map[string]any{"threshold": threshold, "alarm_name": name, "alarm_actions": []any{"arn:aws:sns:eu-central-1:123456789012:x"}}
	}
	cases := []struct {
		name          string
		typ, logical  string
		before, after map[string]any
		want          string
	}{
		{"a threshold of staging's own", "aws_cloudwatch_metric_alarm", "observability_alarm-odoo-2-cpu_DDDDDDDD",
			alarm(80, "influencegen-staging-odoo-2-cpu"), alarm(95, "influencegen-staging-odoo-2-cpu"), "threshold is 95 here, 80 in production"},
		{"production has it too", "aws_cloudwatch_metric_alarm", "observability_alarm-odoo-1-cpu_AAAAAAAA",
			alarm(70, "influencegen-staging-odoo-1-cpu"), alarm(80, "influencegen-staging-odoo-1-cpu"), ""},
		{"a threshold the change does not touch", "aws_cloudwatch_metric_alarm", "observability_alarm-odoo-2-cpu_DDDDDDDD",
			alarm(95, "influencegen-staging-odoo-2-cpu"), map[string]any{"threshold": 95, "alarm_name": "influencegen-staging-odoo-2-cpu", "alarm_actions": []any{"arn:aws:sns:eu-central-1:123456789012:x"}, "period": 60}, ""},
		{"a Scale argument", "aws_db_instance", "database_primary_CCCCCCCC",
			map[string]any{"multi_az": true, "engine_version": "16"}, map[string]any{"multi_az": false, "engine_version": "16"}, ""},
		{"a what of the database", "aws_db_instance", "database_primary_CCCCCCCC",
			map[string]any{"multi_az": false, "engine_version": "16"}, map[string]any{"multi_az": false, "engine_version": "17"}, "engine_version is 17 here, 16 in production"},
		{"production's value is a reference", "aws_cloudwatch_metric_alarm", "observability_alarm-odoo-1-cpu_AAAAAAAA",
			alarm(80, "influencegen-staging-odoo-1-cpu"), map[string]any{"threshold": 80, "alarm_name": "influencegen-staging-odoo-1-cpu", "alarm_actions": []any{"arn:other"}}, ""},
		{"a new resource of a construct production lacks", "aws_sns_topic", "planted_EEEEEEEE", nil, map[string]any{"name": "x"}, "a new aws_sns_topic of a construct production does not have"},
		{"an identity value only", "aws_cloudwatch_metric_alarm", "observability_alarm-odoo-1-cpu_AAAAAAAA",
			nil, alarm(80, "influencegen-staging-odoo-1-cpu"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := strings.Join(d.Drift(c.typ, c.logical, c.before, c.after), "; ")
			if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
				t.Errorf("drift = %q, want %q", got, c.want)
			}
		})
	}
	if d.Name() != "production" {
		t.Errorf("Name = %s", d.Name())
	}
}
