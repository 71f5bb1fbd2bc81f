// Package apimodel checks the values the stacks send to AWS against AWS's
// own API models: botocore's service-2.json (every shape's pattern, min,
// max and enum), as the AWS CLI ships them (Debian's awscli package), plus
// a small table of rules a service documents but its model does not encode
// (Rules). Each resource type maps to the operation and input shape the
// provider's create call uses (Mappings); a resource type without a mapping
// is itself a finding, so a new type cannot slip past.
//
// The package has no jsii dependency: it reads the model internal/iam
// builds from the synthesized JSON.
package apimodel

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// DataDirs are where botocore's models are looked for, in order:
// $INFLUENCEGEN_BOTOCORE_DATA; the botocore that `python3` imports (the
// newest on the machine, usually); Debian's awscli and python3-botocore.
// An older model lacks newer enum values (instance types), so the newest
// wins.
func DataDirs() []string {
	var out []string
	if d := os.Getenv("INFLUENCEGEN_BOTOCORE_DATA"); d != "" {
		out = append(out, d)
	}
	if b, err := exec.Command("python3", "-c", "import botocore, os; print(os.path.dirname(botocore.__file__))").Output(); err == nil {
		out = append(out, filepath.Join(strings.TrimSpace(string(b)), "data"))
	}
	return append(out, "/usr/lib/python3/dist-packages/awscli/botocore/data", "/usr/lib/python3/dist-packages/botocore/data")
}

// FindData returns the first of DataDirs that exists.
func FindData() (string, error) {
	for _, d := range DataDirs() {
		if st, err := os.Stat(filepath.Join(d, "iam")); err == nil && st.IsDir() {
			return d, nil
		}
	}
	return "", errors.New("no botocore service models: install Debian's awscli (make deps) or set INFLUENCEGEN_BOTOCORE_DATA to a botocore/data directory")
}

// Shape is one botocore shape.
type Shape struct {
	Type    string            `json:"type"`
	Min     *float64          `json:"min"`
	Max     *float64          `json:"max"`
	Pattern string            `json:"pattern"`
	Enum    []string          `json:"enum"`
	Members map[string]Member `json:"members"`
	Member  *Member           `json:"member"`
	Key     *Member           `json:"key"`
	Value   *Member           `json:"value"`
}

// Member refers to a shape.
type Member struct {
	Shape string `json:"shape"`
}

// Service is one service's model.
type Service struct {
	// Name is the model's directory ("iam"), Version its API version.
	Name, Version string
	Shapes        map[string]Shape `json:"shapes"`
	Operations    map[string]struct {
		Input *Member `json:"input"`
	} `json:"operations"`
}

// Models loads service models from a botocore data directory, once each.
type Models struct {
	Dir      string
	services map[string]*Service
}

// Service returns a service's model (its newest API version).
func (ms *Models) Service(name string) (*Service, error) {
	if s, ok := ms.services[name]; ok {
		return s, nil
	}
	versions, err := os.ReadDir(filepath.Join(ms.Dir, name))
	if err != nil {
		return nil, fmt.Errorf("botocore has no service %q in %s", name, ms.Dir)
	}
	var names []string
	for _, v := range versions {
		names = append(names, v.Name())
	}
	sort.Strings(names)
	latest := names[len(names)-1]
	b, err := readModel(filepath.Join(ms.Dir, name, latest, "service-2.json"))
	if err != nil {
		return nil, err
	}
	s := &Service{Name: name, Version: latest}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("%s/%s: %w", name, latest, err)
	}
	if ms.services == nil {
		ms.services = map[string]*Service{}
	}
	ms.services[name] = s
	return s, nil
}

// readModel reads service-2.json, or the service-2.json.gz botocore ships
// since 1.32.
func readModel(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		return b, nil
	}
	f, err := os.Open(path + ".gz")
	if err != nil {
		return nil, fmt.Errorf("no %s[.gz]", path)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(z)
}

// InputShape returns the name of an operation's input shape.
func (s *Service) InputShape(op string) (string, error) {
	o, ok := s.Operations[op]
	if !ok || o.Input == nil {
		return "", fmt.Errorf("%s has no operation %s with an input", s.Name, op)
	}
	return o.Input.Shape, nil
}

// Violation is a value AWS refuses.
type Violation struct {
	// Path is the API member path ("Budget.BudgetName").
	Path string
	// Value is what the stacks send (cut to 80 characters).
	Value string
	// Rule says what the model or the documentation requires.
	Rule string
}

func (v Violation) String() string { return fmt.Sprintf("%s = %q: %s", v.Path, v.Value, v.Rule) }

var javaUnicode = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// compilePattern turns a model's (Java) pattern into a Go regexp that must
// match the whole value, as the API validates it; nil when Go's RE2 cannot
// express it (look-arounds), which Check reports as not checkable.
func compilePattern(p string) *regexp.Regexp {
	p = javaUnicode.ReplaceAllString(p, `\x{$1}`)
	p = strings.TrimSuffix(strings.TrimPrefix(p, "^"), "$")
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		return nil
	}
	return re
}

var patterns = map[string]*regexp.Regexp{}

// Check validates a value against a shape, recursively. Unknown values
// (Terraform references not resolved before apply) are skipped.
func (s *Service) Check(shape, path string, v any) []Violation {
	sh, ok := s.Shapes[shape]
	if !ok || v == nil {
		return nil
	}
	var out []Violation
	bad := func(val, rule string) {
		if len(val) > 80 {
			val = val[:77] + "..."
		}
		out = append(out, Violation{Path: path, Value: val, Rule: rule})
	}
	switch sh.Type {
	case "string":
		str, ok := scalar(v)
		if !ok || strings.Contains(str, "${") {
			return nil
		}
		n := float64(len([]rune(str)))
		if sh.Min != nil && n < *sh.Min {
			bad(str, fmt.Sprintf("shorter than %s's min %v (%s %s)", shape, *sh.Min, s.Name, s.Version))
		}
		if sh.Max != nil && n > *sh.Max {
			bad(str, fmt.Sprintf("%v characters, over %s's max %v (%s %s)", n, shape, *sh.Max, s.Name, s.Version))
		}
		if len(sh.Enum) > 0 && !contains(sh.Enum, str) {
			bad(str, fmt.Sprintf("not one of %s's enum %v (%s %s)", shape, sh.Enum, s.Name, s.Version))
		}
		if sh.Pattern != "" {
			re, seen := patterns[sh.Pattern]
			if !seen {
				re = compilePattern(sh.Pattern)
				patterns[sh.Pattern] = re
			}
			if re != nil && !re.MatchString(str) {
				bad(str, fmt.Sprintf("does not match %s's pattern %s (%s %s)", shape, sh.Pattern, s.Name, s.Version))
			}
		}
	case "integer", "long", "double", "float":
		f, ok := v.(float64)
		if !ok {
			return nil
		}
		if sh.Min != nil && f < *sh.Min || sh.Max != nil && f > *sh.Max {
			bad(fmt.Sprint(f), fmt.Sprintf("outside %s's range [%v, %v] (%s %s)", shape, deref(sh.Min), deref(sh.Max), s.Name, s.Version))
		}
	case "list":
		items, ok := v.([]any)
		if !ok {
			items = []any{v}
		}
		n := float64(len(items))
		if sh.Min != nil && n < *sh.Min || sh.Max != nil && n > *sh.Max {
			bad(fmt.Sprintf("%d items", len(items)), fmt.Sprintf("list length outside %s's [%v, %v] (%s %s)", shape, deref(sh.Min), deref(sh.Max), s.Name, s.Version))
		}
		for i, it := range items {
			if sh.Member != nil {
				out = append(out, s.Check(sh.Member.Shape, fmt.Sprintf("%s[%d]", path, i), it)...)
			}
		}
	case "map":
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if sh.Key != nil {
				out = append(out, s.Check(sh.Key.Shape, path+" key", k)...)
			}
			if sh.Value != nil {
				out = append(out, s.Check(sh.Value.Shape, path+"."+k, m[k])...)
			}
		}
	case "structure":
		m := asMap(v)
		if m == nil {
			return nil
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			name, member, ok := s.member(sh, k)
			if !ok {
				continue
			}
			out = append(out, s.Check(member.Shape, join(path, name), m[k])...)
		}
	}
	return out
}

// member finds a structure's member for a Terraform argument by name:
// exact, or equal once case and underscores are ignored
// ("retention_in_days" → "RetentionInDays").
func (s *Service) member(sh Shape, arg string) (string, Member, bool) {
	if m, ok := sh.Members[arg]; ok {
		return arg, m, true
	}
	want := normalize(arg)
	for name, m := range sh.Members {
		if normalize(name) == want {
			return name, m, true
		}
	}
	return "", Member{}, false
}

func normalize(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// asMap reads a Terraform block: a map, or a list holding one map.
func asMap(v any) map[string]any {
	switch t := v.(type) {
	case map[string]any:
		return t
	case []any:
		if len(t) == 1 {
			m, _ := t[0].(map[string]any)
			return m
		}
	}
	return nil
}

func scalar(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool:
		return fmt.Sprint(t), true
	case float64:
		return fmt.Sprint(t), true
	}
	return "", false
}

func deref(f *float64) any {
	if f == nil {
		return "-"
	}
	return *f
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
