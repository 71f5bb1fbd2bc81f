package parity

import (
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
)

// TestNormaliseIdentityValues: every identity value becomes its
// placeholder, numbered from 1 in the configuration's order (subnets by
// zone, alert addresses as listed), a longer value before one it starts
// with, and every occurrence of the name, however many.
func TestNormaliseIdentityValues(t *testing.T) {
	cfg := environments.Staging(environments.DefaultAccount())
	cfg.Identity.VPCCIDR = "10.20.0.0/16"
	cfg.Scale.AZCount = 2
	cfg.Identity.AlertEmails = []string{"ops@example.com", "ops@example.com.au"}
	for in, want := range map[string]string{
		// PlanSubnets("10.20.0.0/16", 2): each tier slot is a /18, split
		// into four /20s, one per zone.
		"10.20.0.0/20":                          "{subnet:public:1}",
		"10.20.16.0/20":                         "{subnet:public:2}",
		"10.20.64.0/20":                         "{subnet:private-app:1}",
		"10.20.0.0/16":                          "{vpc_cidr}",
		"ops@example.com":                       "{alert_email:1}",
		"ops@example.com.au":                    "{alert_email:2}",
		"odoo.staging.influencegen.example.com": "odoo.{domain}",
		"staging-a staging-b staging-c":         "{env}-a {env}-b {env}-c",
		"staging/terraform.tfstate":             "{state_key}",
		// the name as a whole path, not a directory of one ("/dev/sdf")
		"/staging": "/{env}",
	} {
		if got := Normalise(in, cfg); got != want {
			t.Errorf("Normalise(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNormaliseRepeatedValue: an address listed twice takes its first
// placeholder.
func TestNormaliseRepeatedValue(t *testing.T) {
	cfg := environments.Staging(environments.DefaultAccount())
	cfg.Identity.AlertEmails = []string{"ops@example.com", "ops@example.com"}
	if got := Normalise("ops@example.com", cfg); got != "{alert_email:1}" {
		t.Errorf("Normalise = %q, want {alert_email:1}", got)
	}
}

// TestValues: the values at a path, sorted and joined, shortened past 200
// characters.
func TestValues(t *testing.T) {
	exactly := strings.Repeat("a", 200)
	if got := values(map[string]bool{exactly: true}); got != exactly {
		t.Errorf("200 characters shortened to %d", len(got))
	}
	if got := values(map[string]bool{exactly + "b": true}); len(got) != 200 || !strings.HasSuffix(got, "...") {
		t.Errorf("201 characters: %q", got)
	}
	if got := values(map[string]bool{"b": true, "a": true}); got != "a | b" {
		t.Errorf("values = %q", got)
	}
	if got := values(nil); got != Absent {
		t.Errorf("no values = %q", got)
	}
}

// TestLeaves: an empty object or list is a value of its own (a block
// emptied is a difference), list order is not.
func TestLeaves(t *testing.T) {
	out := map[string]map[string]bool{}
	leaves("", map[string]any{"tags": map[string]any{}, "rules": []any{}, "ports": []any{443.0, 80.0}}, out)
	for path, want := range map[string]string{"tags": "{}", "rules": "[]", "ports": "80"} {
		if !out[path][want] {
			t.Errorf("%s: want %s in %v", path, want, out[path])
		}
	}
}

// TestCheckWhatOrder: violations come in address order, whatever the
// order of the stack's maps.
func TestCheckWhatOrder(t *testing.T) {
	p := environments.Production(environments.DefaultAccount())
	env := map[string]any{"resource": map[string]any{"aws_sqs_queue": map[string]any{"c": map[string]any{}, "a": map[string]any{}, "b": map[string]any{}}}}
	ref := map[string]any{"resource": map[string]any{}}
	var got []string
	for _, v := range CheckWhat(p, p, env, ref) {
		got = append(got, v.Address)
	}
	if strings.Join(got, " ") != "resource.aws_sqs_queue.a resource.aws_sqs_queue.b resource.aws_sqs_queue.c" {
		t.Errorf("violations in the order %v", got)
	}
}
