package review

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/influencegen/infrastructure/cost"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/stack"
)

// Usage is the review command's lines in the app's usage.
const Usage = `  review PLAN [--env ENV] [--accept ADDRESS[,ADDRESS...]] [--chdir DIR]
                         report the risks of a saved plan, one line per finding by severity:
                         data destroyed or replaced (and what recovers it), access widened,
                         protections weakened, parity drift, the monthly cost delta; every
                         other change in one count line. PLAN is a saved plan (terraform show
                         -json runs in DIR, default: here), its JSON, or - for JSON on stdin.
                         ENV defaults to the plan's Environment tag. Exit 3 while a HIGH
                         finding is not accepted by its address (production's deploy refuses
                         to apply it: docs/runbooks/plan-review.md)
`

// ExitUnaccepted is the command's exit code while a HIGH finding is not
// accepted: the scripts' "refused".
const ExitUnaccepted = 3

// NewReference builds the comparison of a parity environment with its
// reference's synthesized stack (internal/parity's NewDrift).
type NewReference func(env, ref environments.ParityConfig, refStack map[string]any) Reference

// Command is `review PLAN [--env ENV] [--accept ADDR,...] [--chdir DIR]`:
// Review of a saved plan, printed. The plan's JSON holds sensitive values
// in clear: it is read into memory and never written anywhere. A parity
// environment is compared with its reference's stack in
// $INFLUENCEGEN_OUTDIR (default cdktf.out), through newRef.
func Command(args []string, a environments.Account, envs []environments.ParityConfig, newRef NewReference, stdin io.Reader, stdout, stderr io.Writer) int {
	var planArg, envName, chdir string
	var accept []string
	usageErr := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "review: "+format+"\n\n%s", append(args, Usage)...)
		return 2
	}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		value := func() (string, bool) {
			if k, v, ok := strings.Cut(arg, "="); ok && strings.HasPrefix(k, "--") {
				return v, true
			}
			if i+1 < len(args) {
				i++
				return args[i], true
			}
			return "", false
		}
		name, _, _ := strings.Cut(arg, "=")
		switch {
		case name == "--env":
			v, ok := value()
			if !ok || v == "" {
				return usageErr("--env needs an environment (go run . envs)")
			}
			envName = v
		case name == "--accept":
			v, ok := value()
			if !ok || v == "" {
				return usageErr("--accept needs a resource address, e.g. --accept aws_db_instance.database_primary_D3810515")
			}
			for _, addr := range strings.Split(v, ",") {
				if addr = strings.TrimSpace(addr); addr != "" {
					accept = append(accept, addr)
				}
			}
		case name == "--chdir":
			v, ok := value()
			if !ok || v == "" {
				return usageErr("--chdir needs the directory terraform show runs in (the stack's, where the plan was made)")
			}
			chdir = v
		case arg == "-" || !strings.HasPrefix(arg, "-"):
			if planArg != "" {
				return usageErr("one plan only (got %s and %s)", planArg, arg)
			}
			planArg = arg
		default:
			return usageErr("unknown option %s", arg)
		}
	}
	if planArg == "" {
		return usageErr("no plan: give a saved plan file, its JSON (terraform show -json), or - for JSON on stdin")
	}
	raw, err := readPlan(planArg, chdir, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "review: %v\n", err)
		return 1
	}
	p, err := ParsePlan(raw)
	if err != nil {
		fmt.Fprintf(stderr, "review: %s: %v\n", planArg, err)
		return 1
	}
	tagged := Environments(p)
	switch {
	case envName == "" && len(tagged) == 1:
		envName = tagged[0]
	case envName == "":
		return usageErr("cannot tell the plan's environment from its Environment tags (%v): give --env", tagged)
	case len(tagged) > 0 && !slices.Contains(tagged, envName):
		fmt.Fprintf(stderr, "review: --env %s, but the plan's resources are tagged Environment=%s: review it as what it is\n", envName, strings.Join(tagged, ","))
		return 2
	}
	env, err := environments.Find(envs, envName)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	prices, err := cost.Shipped()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	o := Options{Environment: env, Account: a, Prices: prices, Accept: accept}
	if env.Kind == environments.Parity {
		ref, err := referenceOf(env, envs, newRef)
		if err != nil {
			fmt.Fprintf(stderr, "review: %v\n", err)
			return 1
		}
		o.Reference = ref
	}
	r, err := Review(p, o)
	if err != nil {
		fmt.Fprintf(stderr, "review: %v\n", err)
		return 2
	}
	r.Write(stdout)
	if open := r.Unaccepted(); len(open) > 0 {
		var addrs []string
		for _, f := range open {
			addrs = append(addrs, f.Address)
		}
		addrs = slices.Compact(slices.Sorted(slices.Values(addrs)))
		fmt.Fprintf(stderr, "review: %d high-severity finding(s) not accepted, at %s\n  read each; to go ahead, accept it by its address: --accept %s (docs/runbooks/plan-review.md)\n", len(open), strings.Join(addrs, ", "), strings.Join(addrs, ","))
		return ExitUnaccepted
	}
	return 0
}

// readPlan reads the plan's JSON: from stdin ("-"), from a JSON file, or
// from `terraform show -json` of a saved plan file, run in dir (the
// initialised stack directory the plan was made in).
func readPlan(arg, dir string, stdin io.Reader) ([]byte, error) {
	if arg == "-" {
		return io.ReadAll(stdin)
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		return b, nil
	}
	abs, err := filepath.Abs(arg)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(context.Background(), "terraform", "show", "-json", "-no-color", abs)
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		where := dir
		if where == "" {
			where = "."
		}
		return nil, fmt.Errorf("terraform show -json %s (in %s): %v: %s; run it in the stack directory the plan was made in (--chdir)", arg, where, err, strings.TrimSpace(errOut.String()))
	}
	return out.Bytes(), nil
}

// referenceOf is the plan review's comparison of a parity environment
// with its reference's synthesized stack (make synth writes it).
func referenceOf(env environments.ParityConfig, envs []environments.ParityConfig, newRef NewReference) (Reference, error) {
	var ref *environments.ParityConfig
	for i := range envs {
		if envs[i].Kind == environments.Reference {
			ref = &envs[i]
		}
	}
	if ref == nil {
		return nil, fmt.Errorf("%s is a parity environment and no environment is the reference", env.Identity.Name)
	}
	outdir := os.Getenv("INFLUENCEGEN_OUTDIR")
	if outdir == "" {
		outdir = "cdktf.out"
	}
	stacks, err := stack.Load(outdir)
	if err != nil {
		return nil, fmt.Errorf("%v: the review compares %s with %s's synthesized stack; run make synth first", err, env.Identity.Name, ref.Identity.Name)
	}
	s, ok := stacks[ref.StackName()]
	if !ok {
		return nil, fmt.Errorf("no %s in %s: the review compares %s with it; run make synth first", ref.StackName(), outdir, env.Identity.Name)
	}
	return newRef(env, *ref, s), nil
}
