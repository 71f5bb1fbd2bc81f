// Command influencegen-infrastructure is the cdktf app of the InfluenceGen
// platform. Without arguments (as `cdktf synth` runs it) it validates every
// environment and synthesizes the stacks; see `help` for the other commands.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/aws/constructs-go/constructs/v10"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/cost"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/awscheck"
	"github.com/influencegen/infrastructure/internal/jsiiruntime"
	"github.com/influencegen/infrastructure/internal/parity"
	"github.com/influencegen/infrastructure/internal/plan"
	"github.com/influencegen/infrastructure/internal/preflight"
	"github.com/influencegen/infrastructure/internal/review"
	"github.com/influencegen/infrastructure/internal/stack"
	"github.com/influencegen/infrastructure/internal/synth"
)

const usage = `usage: go run . [command]

commands:
  synth                  validate, then synthesize every stack (default; what cdktf runs)
  validate               validate the configuration only; writes nothing
  parity [ENV] [REF]     synthesize ENV (default staging) and REF (default production)
                         and report every difference; exit 1 if any is not explained by Scale
  envs                   list the environments: name, kind, region, stack
  plan [STACK...]        run terraform validate and an offline plan with the real AWS
                         provider for every stack in cdktf.out/stacks (or the named ones);
                         run after synth; exit 1 if Terraform rejects any stack
  protections ENV        list what in cdktf.out/stacks/ENV-stack survives or blocks a destroy
                         (deletion protection, termination protection, prevent_destroy,
                         final snapshots); run after synth
  facts ENV              print, as JSON, what scripts/preflight.sh checks in the AWS account
                         for ENV: account, region, zone IDs, instance types and counts, NAT
                         gateways (Elastic IPs), hosted zone, secret prefix; writes nothing
  iam [ENV...] [--all]   evaluate, as AWS evaluates IAM (iam-simulate), every principal's job in
                         cdktf.out/stacks (CI roles' provider calls, state, servers, service
                         roles, AWS services publishing with their documented request context)
                         and its must-nots; check every policy's actions, condition keys and
                         ARNs (iam-data); a table per principal, then every failure; --all
                         prints every request; exit 1 on any failure; run after synth
  apicheck               check every value the stacks send to AWS against the API models
                         (botocore: pattern, length, enum) and documented naming and tag rules;
                         a table per resource type, then every finding; exit 1 on any; run
                         after synth
` + cost.Usage + review.Usage + `  help                   this text

operations (deploy, restore, patching, off hours, budget): docs/runbooks/README.md
`

func main() {
	a := environments.DefaultAccount()
	os.Exit(runAndClose(os.Args[1:], a, environments.All(a), os.Stdout, os.Stderr))
}

// runAndClose is run, then jsiiruntime.Close, even when run panics (a
// jsii error surfaces as a panic): without it the jsii runtime's Node.js
// process may outlive the app, and its jsii-runtime.* and jsii-kernel-*
// temporary directories stay in TMPDIR. Commands that never touch jsii
// (validate, envs, help) have nothing to close.
func runAndClose(args []string, a environments.Account, envs []environments.ParityConfig, stdout, stderr io.Writer) int {
	defer jsiiruntime.Close()
	return run(args, a, envs, stdout, stderr)
}

// run is main without the process: it returns the exit code.
func run(args []string, a environments.Account, envs []environments.ParityConfig, stdout, stderr io.Writer) int {
	cmd := "synth"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "synth":
		if err := synth.Run(synth.Options{Outdir: os.Getenv("INFLUENCEGEN_OUTDIR"), Account: a, Environments: envs}); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	case "validate":
		if err := environments.Validate(a, envs); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "ok: %d environments valid\n", len(envs))
		return 0
	case "parity":
		return parityCommand(args[1:], a, envs, stdout, stderr)
	case "envs":
		for _, e := range envs {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", e.Identity.Name, e.Kind, e.Region, e.StackName())
		}
		return 0
	case "plan":
		return planCommand(args[1:], stdout, stderr)
	case "protections":
		if len(args) != 2 {
			fmt.Fprintf(stderr, "protections takes one environment\n\n%s", usage)
			return 2
		}
		e, err := environments.Find(envs, args[1])
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		outdir := os.Getenv("INFLUENCEGEN_OUTDIR")
		if outdir == "" {
			outdir = "cdktf.out"
		}
		stacks, err := stack.Load(outdir)
		if err != nil {
			fmt.Fprintf(stderr, "%v: run `make synth` first\n", err)
			return 1
		}
		s, ok := stacks[e.StackName()]
		if !ok {
			fmt.Fprintf(stderr, "no %s in %s: run `make synth` first\n", e.StackName(), outdir)
			return 1
		}
		for _, p := range stack.Protections(s) {
			fmt.Fprintln(stdout, p)
		}
		return 0
	case "facts":
		return factsCommand(args[1:], a, envs, stdout, stderr)
	case "cost":
		return cost.Command(args[1:], a, envs, stdout, stderr)
	case "iam":
		return awscheck.IAM(args[1:], a, envs, usage, stdout, stderr)
	case "apicheck":
		return awscheck.APICheck(args[1:], envs, usage, stdout, stderr)
	case "review":
		return review.Command(args[1:], a, envs, newDrift, os.Stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

func parityCommand(args []string, a environments.Account, envs []environments.ParityConfig, stdout, stderr io.Writer) int {
	envName, refName := "staging", "production"
	if len(args) > 0 {
		envName = args[0]
	}
	if len(args) > 1 {
		refName = args[1]
	}
	if len(args) > 2 {
		fmt.Fprintf(stderr, "parity takes at most two environments\n\n%s", usage)
		return 2
	}
	env, err := environments.Find(envs, envName)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ref, err := environments.Find(envs, refName)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	dir, err := os.MkdirTemp("", "influencegen-parity-")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	probe := parity.Probe(ref, env, a)
	addProbe := func(app constructs.Construct) { platform.NewEnvironmentStack(app, a, probe) }
	if err := synth.Run(synth.Options{Outdir: dir, Account: a, Environments: envs, Extra: addProbe}); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	stacks, err := synth.Load(dir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	r := parity.Check(env, ref, probe, stacks[env.StackName()], stacks[ref.StackName()], stacks[probe.StackName()])
	r.Write(stdout)
	if !r.OK() {
		return 1
	}
	return 0
}

// factsCommand prints preflight.For of one environment as JSON, after
// validating the whole configuration (the facts index it by Scale).
func factsCommand(args []string, a environments.Account, envs []environments.ParityConfig, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintf(stderr, "facts takes one environment\n\n%s", usage)
		return 2
	}
	e, err := environments.Find(envs, args[0])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err := environments.Validate(a, envs); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	out, err := json.MarshalIndent(preflight.For(a, e), "", "  ")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return 0
}

// newDrift is the plan review's comparison of a parity environment with
// its reference (internal/parity).
func newDrift(env, ref environments.ParityConfig, refStack map[string]any) review.Reference {
	return parity.NewDrift(env, ref, refStack)
}

// planCommand runs internal/plan over the synthesized stacks.
func planCommand(stacks []string, stdout, stderr io.Writer) int {
	outdir := os.Getenv("INFLUENCEGEN_OUTDIR")
	setup, results, err := plan.Run(context.Background(), plan.Options{Outdir: outdir, Stacks: stacks})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	plan.Write(stdout, setup, results)
	if plan.Failed(results) {
		fmt.Fprintln(stderr, "plan: Terraform rejected at least one stack (first error under each)")
		return 1
	}
	return 0
}
