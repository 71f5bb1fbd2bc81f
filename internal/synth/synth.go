// Package synth turns validated environments into Terraform JSON: it builds
// the cdktf app, synthesizes it, and reads the stacks back as parsed JSON
// for the tests and the parity report.
package synth

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
