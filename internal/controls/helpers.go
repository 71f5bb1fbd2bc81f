package controls

// Helpers every family shares: walking a stack's resources by type, reading
// cdktf's JSON shapes (a block is a map or a one-element list), and
// formatting findings as "type.name: why".

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/influencegen/infrastructure/internal/stack"
)

type resource struct {
	typ, name string
	attrs     map[string]any
}

func (r resource) String() string { return r.typ + "." + r.name }

func each(s stack.Stack, types ...string) []resource {
	var out []resource
	for _, t := range types {
		for name, attrs := range s.Resources(t) {
			out = append(out, resource{t, name, attrs})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func block(v any) map[string]any {
	switch t := v.(type) {
	case map[string]any:
		return t
	case []any:
		if len(t) > 0 {
			m, _ := t[0].(map[string]any)
			return m
		}
	}
	return nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// isCMK reports whether v references a customer-managed key of the stack
// (not an AWS-managed alias such as alias/aws/s3).
func isCMK(v any) bool {
	s := str(v)
	return strings.Contains(s, "${aws_kms_key.") || keyARN.MatchString(s)
}

// keyARN matches the ARN of a KMS key (not of an alias).
var keyARN = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[^:]+:\d{12}:key/`)

func finding(r resource, format string, args ...any) string {
	return r.String() + ": " + fmt.Sprintf(format, args...)
}

func asList(v any) []map[string]any {
	var out []map[string]any
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

func preventsDestroy(r resource) bool {
	return block(r.attrs["lifecycle"])["prevent_destroy"] == true
}

func walkStrings(v any, path string, f func(path, v string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			walkStrings(x, strings.TrimPrefix(path+"."+k, "."), f)
		}
	case []any:
		for _, x := range t {
			walkStrings(x, path, f)
		}
	case string:
		f(path, t)
	}
}

func anyIs(v any, want string) bool {
	switch t := v.(type) {
	case string:
		return t == want
	case []any:
		for _, x := range t {
			if x == want {
				return true
			}
		}
	}
	return false
}

func toAny(l []string) any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

// environmentStack reports whether a stack is an environment's (its
// provider's default Environment tag is not "shared").
func environmentStack(s stack.Stack) bool {
	p, _ := s["provider"].(map[string]any)
	cfgs, _ := p["aws"].([]any)
	if len(cfgs) == 0 {
		return true
	}
	dt := asList(block(cfgs[0])["default_tags"])
	if len(dt) == 0 {
		return true
	}
	return fmt.Sprint(block(dt[0]["tags"])["Environment"]) != "shared"
}
