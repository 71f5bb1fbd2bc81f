package e2etest

import (
	"fmt"
	"os"
	"testing"

	"github.com/aws/constructs-go/constructs/v10"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/jsiiruntime"
	"github.com/influencegen/infrastructure/internal/parity"
	"github.com/influencegen/infrastructure/internal/synth"
)

// Synthesizing costs 5–7 s per process (jsii loads the AWS provider), so
// this test binary synthesizes once, in TestMain, and every test reads the
// parsed JSON.
var (
	account  = environments.DefaultAccount()
	envs     = environments.All(account)
	stacks   map[string]synth.Stack
	probe    environments.ParityConfig // production rebuilt with staging's Scale
	drift    environments.ParityConfig // staging with a non-scale field changed behind the API's back
	synthDir string
	variants []scaleVariant // each Scale count raised by one (scale_test.go)
	// fixtureService is staging plus one more service (service_fixture_test.go)
	fixtureService environments.ParityConfig
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "influencegen-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		synthDir = dir
		prod, _ := environments.Find(envs, "production")
		staging, _ := environments.Find(envs, "staging")
		probe = parity.Probe(prod, staging, account)
		drift = staging
		drift.Identity = staging.Identity.Renamed("paritydrift", staging.Identity.VPCCIDR, account)
		drift.Network.FlowLogTrafficType = "REJECT"
		variants = scaleVariants()
		fixtureService = serviceFixture()
		err = synth.Run(synth.Options{
			Outdir:       dir,
			Account:      account,
			Environments: envs,
			Extra: func(app constructs.Construct) {
				platform.NewEnvironmentStack(app, account, probe)
				platform.NewEnvironmentStack(app, account, drift)
				buildScaleVariants(app, variants)
				buildServiceFixture(app, fixtureService)
			},
		})
		if err == nil {
			stacks, err = synth.Load(dir)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "synth:", err)
			return 1
		}
		// The IAM evaluation runs in Node.js on the other core while the
		// tests that only read JSON run (iam_test.go).
		startIAM()
		code := m.Run()
		// Stop the jsii runtime this process started, as main does.
		jsiiruntime.Close()
		return code
	}())
}

// envStack returns the synthesized stack of an environment.
func envStack(t *testing.T, name string) synth.Stack {
	t.Helper()
	s, ok := stacks[name+"-stack"]
	if !ok {
		t.Fatalf("no stack %s-stack", name)
	}
	return s
}

// forEachEnv runs f as a subtest for every real environment.
func forEachEnv(t *testing.T, f func(t *testing.T, cfg environments.ParityConfig, s synth.Stack)) {
	for _, cfg := range envs {
		t.Run(cfg.Identity.Name, func(t *testing.T) { f(t, cfg, envStack(t, cfg.Identity.Name)) })
	}
}
