// Package synth turns validated environments into Terraform JSON: it builds
// the cdktf app, synthesizes it, and reads the stacks back as parsed JSON
// for the tests and the parity report.
package synth

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/stack"
)

// Options says what to synthesize and where.
type Options struct {
	// Outdir is where cdktf writes; empty lets cdktf decide (cdktf.out, or
	// the directory the cdktf CLI passes in CDKTF_OUTDIR).
	Outdir string
	// Account and Environments are validated, then built.
	Account      environments.Account
	Environments []environments.ParityConfig
	// Extra adds further stacks to the app before synthesis: the parity
	// proof's probe, test fixtures. They are not validated. Default: none.
	Extra func(app constructs.Construct)
}

// Run validates the configuration and, only if it is valid, synthesizes
// every stack. On a validation error nothing is written.
func Run(o Options) error {
	if err := environments.Validate(o.Account, o.Environments); err != nil {
		return err
	}
	var cfg *cdktf.AppConfig
	if o.Outdir != "" {
		cfg = &cdktf.AppConfig{Outdir: jsii.String(o.Outdir)}
	}
	app := cdktf.NewApp(cfg)
	platform.Build(app, o.Account, o.Environments)
	if o.Extra != nil {
		o.Extra(app)
	}
	app.Synth()
	return nil
}

// The stacks are read, and their protections listed, by internal/stack
// (no jsii, so the policy suite and the plan review test without it);
// these are its names, for the code that synthesizes them.

// Stack is one synthesized stack: the parsed cdk.tf.json (stack.Stack).
type Stack = stack.Stack

// Protection kinds (stack.Blocks, stack.Outlives, stack.DoesNotBlock).
const (
	Blocks       = stack.Blocks
	Outlives     = stack.Outlives
	DoesNotBlock = stack.DoesNotBlock
)

// Load reads every stack under outdir/stacks (stack.Load).
func Load(outdir string) (map[string]Stack, error) { return stack.Load(outdir) }

// ReferencedName is stack.ReferencedName.
func ReferencedName(v any) string { return stack.ReferencedName(v) }

// Protections is stack.Protections.
func Protections(s Stack) []string { return stack.Protections(s) }
