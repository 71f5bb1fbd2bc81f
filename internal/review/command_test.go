package review

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
)

// reviewPlan is a JSON plan of one environment: a bucket destroyed, an
// alarm's threshold changed.
func reviewPlan(t *testing.T, env string) string {
	t.Helper()
	tags := map[string]any{"Environment": env}
	p := map[string]any{"format_version": "1.2", "resource_changes": []any{
		map[string]any{"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
			"change": map[string]any{"actions": []string{"delete"}, "before": map[string]any{"bucket": "b", "force_destroy": true, "tags_all": tags}}},
		map[string]any{"address": "aws_cloudwatch_metric_alarm.observability_alarm-db-cpu_5BBD9037", "mode": "managed", "type": "aws_cloudwatch_metric_alarm", "name": "observability_alarm-db-cpu_5BBD9037",
			"change": map[string]any{"actions": []string{"update"}, "before": map[string]any{"threshold": 80, "tags_all": tags}, "after": map[string]any{"threshold": 95, "tags_all": tags}}},
	}}
	b, _ := json.Marshal(p)
	f := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCommand: the environment comes from the plan's tags, a HIGH
// finding exits 3 until accepted by its address, a parity environment is
// compared with the reference's synthesized stack, and bad input is
// refused with what to do.
func TestCommand(t *testing.T) {
	prod := reviewPlan(t, "production")
	review := func(stdin string, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Command(args, account, envs, fakeDrift, strings.NewReader(stdin), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, out, errOut := review("", prod)
	if code != 3 || !strings.Contains(out, "review of production: 1 high") || !strings.Contains(errOut, "--accept aws_s3_bucket.b") {
		t.Errorf("unaccepted: code %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := review("", prod, "--accept", "aws_s3_bucket.b"); code != 0 || !strings.Contains(out, "(accepted)") {
		t.Errorf("accepted: code %d\n%s", code, out)
	}
	raw, _ := os.ReadFile(prod)
	if code, _, _ := review(string(raw), "-", "--accept=aws_s3_bucket.b"); code != 0 {
		t.Errorf("stdin: code %d", code)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "no plan"},
		{[]string{prod, "--accept", "aws_s3_bucket.c"}, 2, "--accept aws_s3_bucket.c: the plan has no high-severity finding at that address"},
		{[]string{prod, "--env", "staging"}, 2, "tagged Environment=production"},
		{[]string{prod, "--env", "qa"}, 2, "qa"},
		{[]string{prod, "--frobnicate"}, 2, "unknown option --frobnicate"},
		{[]string{prod, prod}, 2, "one plan only"},
		{[]string{filepath.Join(t.TempDir(), "missing.json")}, 1, "no such file"},
	} {
		if code, _, errOut := review("", c.args...); code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: code %d, want %d; %q does not contain %q", c.args, code, c.code, errOut, c.want)
		}
	}
	// staging: compared with production's synthesized stack.
	stg := reviewPlan(t, "staging")
	t.Setenv("INFLUENCEGEN_OUTDIR", t.TempDir())
	if code, _, errOut := review("", stg, "--accept", "aws_s3_bucket.b"); code != 1 || !strings.Contains(errOut, "run make synth first") {
		t.Errorf("no synthesized production: code %d, %s", code, errOut)
	}
	outdir := os.Getenv("INFLUENCEGEN_OUTDIR")
	dir := filepath.Join(outdir, "stacks", "production-stack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ref := `{"resource":{"aws_cloudwatch_metric_alarm":{"observability_alarm-db-cpu_5BBD9037":{"threshold":80}}}}`
	if err := os.WriteFile(filepath.Join(dir, "cdk.tf.json"), []byte(ref), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := review("", stg, "--accept", "aws_s3_bucket.b")
	if code != 0 || !strings.Contains(stdout, "[parity] aws_cloudwatch_metric_alarm.observability_alarm-db-cpu_5BBD9037: differs from production outside Scale: threshold is 95 here, 80 in production (staging against production-stack's 1 resource types)") {
		t.Errorf("staging: code %d\n%s%s", code, stdout, errOut)
	}
}

// fakeDrift stands in for internal/parity's comparison: it reports the
// threshold of the reference's only alarm, and what it was given.
func fakeDrift(env, ref environments.ParityConfig, refStack map[string]any) Reference {
	return driftOf{env.Identity.Name, ref.Identity.Name, refStack}
}

type driftOf struct {
	env, ref string
	stack    map[string]any
}

func (d driftOf) Name() string { return d.ref }

func (d driftOf) Drift(typ, name string, before, after map[string]any) []string {
	resources, _ := d.stack["resource"].(map[string]any)
	r, _ := resources[typ].(map[string]any)[name].(map[string]any)
	if r == nil || fmt.Sprint(r["threshold"]) == fmt.Sprint(after["threshold"]) {
		return nil
	}
	return []string{fmt.Sprintf("threshold is %v here, %v in %s (%s against %s-stack's %d resource types)", after["threshold"], r["threshold"], d.ref, d.env, d.ref, len(resources))}
}

// TestCommandShowsASavedPlan: a saved plan (not JSON) is read through
// `terraform show -json -no-color` run in --chdir, the directory the plan
// was made in; a failure says where it ran and what to do.
func TestCommandShowsASavedPlan(t *testing.T) {
	bin, stackDir := t.TempDir(), t.TempDir()
	planJSON := reviewPlan(t, "production")
	fake := "#!/bin/sh\n" +
		`[ "$1 $2 $3" = "show -json -no-color" ] || { echo "unexpected: $*" >&2; exit 1; }` + "\n" +
		`[ "$(pwd)" = "` + stackDir + `" ] || { echo "run in $(pwd)" >&2; exit 1; }` + "\n" +
		`case "$4" in /*) ;; *) echo "not an absolute path: $4" >&2; exit 1 ;; esac` + "\n" +
		`cat "` + planJSON + `"` + "\n"
	if err := os.WriteFile(filepath.Join(bin, "terraform"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	saved := filepath.Join(t.TempDir(), "production-stack.tfplan")
	if err := os.WriteFile(saved, []byte("PK\x03\x04 a saved plan is a zip file"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := Command([]string{saved, "--chdir", stackDir}, account, envs, fakeDrift, strings.NewReader(""), &stdout, &stderr); code != 3 || !strings.Contains(stdout.String(), "[data] aws_s3_bucket.b") {
		t.Errorf("code %d\n%s%s", code, stdout.String(), stderr.String())
	}
	stderr.Reset()
	if code := Command([]string{saved}, account, envs, fakeDrift, strings.NewReader(""), &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "run it in the stack directory the plan was made in (--chdir)") {
		t.Errorf("elsewhere: code %d, %s", code, stderr.String())
	}
}
