package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReviewCommandComparesStagingWithProduction: the app's review
// command compares a staging plan with production's synthesized stack
// through internal/parity (internal/review tests the command itself).
func TestReviewCommandComparesStagingWithProduction(t *testing.T) {
	out := t.TempDir()
	t.Setenv("INFLUENCEGEN_OUTDIR", out)
	dir := filepath.Join(out, "stacks", "production-stack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ref := `{"resource":{"aws_cloudwatch_metric_alarm":{"observability_alarm-db-cpu_5BBD9037":{"threshold":80,"alarm_name":"influencegen-production-db-cpu"}}}}`
	if err := os.WriteFile(filepath.Join(dir, "cdk.tf.json"), []byte(ref), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := `{"format_version":"1.2","resource_changes":[{"address":"aws_cloudwatch_metric_alarm.observability_alarm-db-cpu_5BBD9037","mode":"managed",
	"type":"aws_cloudwatch_metric_alarm","name":"observability_alarm-db-cpu_5BBD9037","change":{"actions":["update"],
	"before":{"threshold":80,"alarm_name":"influencegen-staging-db-cpu","tags_all":{"Environment":"staging"}},
	"after":{"threshold":95,"alarm_name":"influencegen-staging-db-cpu","tags_all":{"Environment":"staging"}}}}]}`
	f := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(f, []byte(plan), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"review", f}, account, envs, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "[parity] aws_cloudwatch_metric_alarm.observability_alarm-db-cpu_5BBD9037: differs from production outside Scale: threshold is 95 here, 80 in production") {
		t.Errorf("code %d\n%s%s", code, stdout.String(), stderr.String())
	}
}
