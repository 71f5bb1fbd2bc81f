// Package stack reads synthesized Terraform JSON stacks (cdk.tf.json) and
// says what in them holds data and what protects it. It has no jsii
// dependency, so that the policy suite (internal/controls) and the plan
// review (internal/review) can be tested without the cdktf runtime;
// internal/synth, which builds the stacks, re-exports its names.
package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

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
func (s Stack) Resources(typ string) map[string]map[string]any { return s.blocks("resource", typ) }

// Data returns the data sources of one type in a stack, by logical name.
func (s Stack) Data(typ string) map[string]map[string]any { return s.blocks("data", typ) }

// Ephemeral returns the ephemeral resources of one type in a stack, by
// logical name.
func (s Stack) Ephemeral(typ string) map[string]map[string]any { return s.blocks("ephemeral", typ) }

// blocks returns the blocks of one kind ("resource", "data", "ephemeral")
// and type, by logical name.
func (s Stack) blocks(kind, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	all, _ := s[kind].(map[string]any)
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
