package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/preflight"
)

var (
	account = environments.DefaultAccount()
	envs    = environments.All(account)
)

// TestInvalidConfigWritesNothing: with a bad configuration the app exits
// non-zero, names the field, and leaves the output directory as it was.
func TestInvalidConfigWritesNothing(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(a *environments.Account, e []environments.ParityConfig)
		field  string
	}{
		{"overlapping CIDR", func(a *environments.Account, e []environments.ParityConfig) { e[1].Identity.VPCCIDR = "10.10.0.0/16" }, "Identity.VPCCIDR"},
		{"one AZ", func(a *environments.Account, e []environments.ParityConfig) { e[0].Scale.AZCount = 1 }, "Scale.AZCount"},
		{"bad region", func(a *environments.Account, e []environments.ParityConfig) { e[2].Region = "moon-1" }, "Region"},
		{"zero Odoo", func(a *environments.Account, e []environments.ParityConfig) {
			e[0].Scale.Servers[environments.TierOdoo] = 0
		}, "Scale.Servers[odoo]"},
		{"staging override", func(a *environments.Account, e []environments.ParityConfig) {
			e[1].Servers[environments.TierAI] = environments.ServerSettings{InstanceType: "g6e.xlarge", RootVolumeGB: 100}
		}, "Servers"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			sentinel := filepath.Join(out, "previous-synth.txt")
			if err := os.WriteFile(sentinel, []byte("untouched"), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Setenv("INFLUENCEGEN_OUTDIR", out)
			a := environments.DefaultAccount()
			e := environments.All(a)
			c.mutate(&a, e)
			var stdout, stderr bytes.Buffer
			if code := run(nil, a, e, &stdout, &stderr); code == 0 {
				t.Fatal("exit code 0 for an invalid configuration")
			}
			if !strings.Contains(stderr.String(), c.field) || !strings.Contains(stderr.String(), "fix:") {
				t.Errorf("error does not name %s and a fix:\n%s", c.field, stderr.String())
			}
			entries, _ := os.ReadDir(out)
			if len(entries) != 1 {
				t.Errorf("output directory changed: %v", entries)
			}
			if b, _ := os.ReadFile(sentinel); string(b) != "untouched" {
				t.Error("existing output was modified")
			}
		})
	}
}

func TestCLI(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"validate"}, account, envs, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "3 environments valid") {
		t.Errorf("validate: code %d, %s%s", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"help"}, account, envs, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "parity") {
		t.Errorf("help: code %d", code)
	}
	stderr.Reset()
	if code := run([]string{"parity", "qa"}, account, envs, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "unknown environment") {
		t.Errorf("parity qa: code %d, %s", code, stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"help"}, account, envs, &stdout, &stderr); !strings.Contains(stdout.String(), "cost [--prices FILE] [ENV]") {
		t.Errorf("help: code %d, no cost command in the usage", code)
	}
	stdout.Reset()
	if code := run([]string{"cost", "staging"}, account, envs, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "staging (eu-central-1): on-demand estimate") {
		t.Errorf("cost staging: code %d, %s%s", code, stdout.String(), stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"cost", "qa"}, account, envs, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "unknown environment") {
		t.Errorf("cost qa: code %d, %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"deploy"}, account, envs, &stdout, &stderr); code != 2 {
		t.Errorf("unknown command: code %d", code)
	}
}

// TestFactsCommand: `facts ENV` prints the environment's preflight facts as
// JSON; a missing or unknown environment is a usage error.
func TestFactsCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"facts", "staging"}, account, envs, &stdout, &stderr); code != 0 {
		t.Fatalf("facts staging: code %d, %s", code, stderr.String())
	}
	var f preflight.Facts
	if err := json.Unmarshal(stdout.Bytes(), &f); err != nil {
		t.Fatalf("facts staging is not JSON: %v\n%s", err, stdout.String())
	}
	staging, _ := environments.Find(envs, "staging")
	if f.Environment != "staging" || f.AccountID != account.ID || f.Region != staging.Region || f.SecretPrefix != account.Project+"/staging/" {
		t.Errorf("facts staging: %+v", f)
	}
	for _, args := range [][]string{{"facts"}, {"facts", "qa"}, {"facts", "dev", "staging"}} {
		stderr.Reset()
		if code := run(args, account, envs, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("%v: code %d, stderr %q; want 2 and a message", args, code, stderr.String())
		}
	}
	// An invalid configuration gives no facts.
	bad := environments.All(account)
	bad[0].Scale.AZCount = 7
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"facts", "production"}, account, bad, &stdout, &stderr); code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "AZCount") {
		t.Errorf("facts of an invalid configuration: code %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// TestAWSContractCommands: iam and apicheck refuse bad arguments with the
// usage, and ask for a synth when there are no stacks to read.
func TestAWSContractCommands(t *testing.T) {
	t.Setenv("INFLUENCEGEN_OUTDIR", t.TempDir())
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"iam", "--bogus"}, 2, "unknown option --bogus"},
		{[]string{"iam", "nowhere"}, 2, "nowhere"},
		{[]string{"apicheck", "extra"}, 2, "apicheck takes no arguments"},
		{[]string{"iam", "dev"}, 1, "run `make synth` first"},
		{[]string{"apicheck"}, 1, "run `make synth` first"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, account, envs, &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr.String(), c.code, c.stderr)
		}
	}
}
