// Package synth turns validated environments into Terraform JSON: it builds
// the cdktf app, synthesizes it, and reads the stacks back as parsed JSON
// for the tests and the parity report.
package synth

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
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

// Stack is one synthesized stack: the parsed cdk.tf.json.
type Stack map[string]any

// Load reads every stack under outdir/stacks.
func Load(outdir string) (map[string]Stack, error) {
	files, err := filepath.Glob(filepath.Join(outdir, "stacks", "*", "cdk.tf.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no stacks under %s", outdir)
	}
	sort.Strings(files)
	out := map[string]Stack{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var s Stack
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out[filepath.Base(filepath.Dir(f))] = s
	}
	return out, nil
}

// Resources returns the resources of one type in a stack, by logical name.
func (s Stack) Resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	all, _ := s["resource"].(map[string]any)
	byType, _ := all[typ].(map[string]any)
	for name, r := range byType {
		if m, ok := r.(map[string]any); ok {
			out[name] = m
		}
	}
	return out
}

// ReferencedName returns the logical name of the resource a Terraform
// reference points to: "${aws_security_group.odoo_sg_1234.id}" →
// "odoo_sg_1234"; "" for anything else.
func ReferencedName(v any) string {
	s, _ := v.(string)
	parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(s, "${"), "}"), ".")
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

// ResourceTypes lists the resource types present in a stack, sorted.
func (s Stack) ResourceTypes() []string {
	all, _ := s["resource"].(map[string]any)
	out := make([]string, 0, len(all))
	for t := range all {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Protections lists what in a stack makes `destroy` refuse, or keeps
// something after it: deletion and termination protection, prevent_destroy,
// and final snapshots. One line per finding, sorted.
func Protections(s Stack) []string {
	checks := []struct {
		attr string
		want any
		what string
	}{
		{"deletion_protection", true, "deletion protection: destroy fails until it is turned off"},
		{"enable_deletion_protection", true, "deletion protection: destroy fails until it is turned off"},
		{"disable_api_termination", true, "termination protection: destroy fails until it is turned off"},
		{"skip_final_snapshot", false, "takes a final snapshot (kept, and billed, after destroy)"},
		{"final_snapshot", true, "takes a final snapshot (kept, and billed, after destroy)"},
	}
	var out []string
	all, _ := s["resource"].(map[string]any)
	for typ, byName := range all {
		resources, _ := byName.(map[string]any)
		for name, r := range resources {
			attrs, _ := r.(map[string]any)
			for _, c := range checks {
				if v, ok := attrs[c.attr]; ok && v == c.want {
					out = append(out, fmt.Sprintf("%s.%s: %s", typ, name, c.what))
				}
			}
			if lc, ok := attrs["lifecycle"].(map[string]any); ok && lc["prevent_destroy"] == true {
				out = append(out, fmt.Sprintf("%s.%s: prevent_destroy: Terraform refuses to destroy it", typ, name))
			}
		}
	}
	sort.Strings(out)
	return out
}

// spuriousExit is what jsii-runtime-go v1.106.0 prints when jsii.Close wins
// the race to reap the Node.js process: Process.ensureStarted starts a
// goroutine blocked in cmd.Wait, and Process.Close calls cmd.Wait too
// (internal/kernel/process/process.go). With Go's pidfd-based Wait one of
// the two gets ECHILD; when it is the goroutine, it reports a clean exit as
// "Runtime process exited abnormally: waitid: no child processes" (or
// "wait: ..." when Go already knows the process is done).
var spuriousExit = regexp.MustCompile(`Runtime process exited abnormally: wait(id)?: no child processes\n?`)

// CloseRuntime stops the jsii runtime: it asks the Node.js process to exit,
// waits for it and removes its jsii-runtime.* temporary directory (the
// extracted runtime, ~2 MB) — jsii.Close, jsii-runtime-go v1.106.0
// internal/kernel/process/process.go Process.Close; the kernel removes its
// own jsii-kernel-* directory when told to exit. Without it every synthesis
// leaves both directories in TMPDIR. Call it once, as the program ends: any
// jsii object used afterwards would start a new runtime.
//
// While closing, os.Stderr goes through a filter that drops only the
// spurious "exited abnormally" line described at spuriousExit; everything
// else (Node.js's last stderr lines) is passed on. The filter stays until
// the process exits, since the racing goroutine may print after Close
// returns; a write after that is dropped.
func CloseRuntime() {
	real := os.Stderr
	r, w, err := os.Pipe()
	if err != nil {
		jsii.Close()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b, _ := io.ReadAll(r)
		real.Write(spuriousExit.ReplaceAll(b, nil))
	}()
	os.Stderr = w
	jsii.Close()
	w.Close()
	<-done
	r.Close()
}
