// Package rehearse walks the deploy path the way a new user meets it: the
// GitHub workflows as the runner would run them, against what the
// bootstrap runbook tells a user to set up, and every shell block of the
// runbooks. It holds the parts that need no runner and no Terraform (so
// they run in `go test ./...`):
//
//   - the workflows read with their line numbers (Load), and the static
//     checks of Check: every vars.* and secrets.* a job reads is one the
//     bootstrap runbook sets in that job's scope; every `uses:` has a
//     stand-in whose inputs (the upstream action.yml's at the pinned
//     major) include every `with:` key and every required one; every
//     command a `run:` block calls is on the ubuntu-24.04 runner image
//     (RunnerImage) or installed by an earlier step;
//   - the AWS calls each job makes (Calls), in the shape an IAM evaluator
//     takes: principal, action, resource, context;
//   - each job's duration on a real account, stage by stage, against its
//     timeout-minutes and the lifetime of its credentials (Estimate);
//   - the runbooks' shell blocks (Blocks).
//
// `make rehearse` (the build tag rehearse) runs the workflows themselves
// with nektos/act and the stand-ins in rehearsal/.
package rehearse

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Value is a scalar as written in a workflow, with its line.
type Value struct {
	// S is the text (an expression stays unevaluated).
	S string
	// Line is its 1-based line in the file.
	Line int
}

// Workflow is one file of .github/workflows.
type Workflow struct {
	// File is the path relative to the repository root.
	File string
	// Name is the workflow's name.
	Name string
	// Triggers are the event names under `on:`.
	Triggers []string
	// CallInputs and CallSecrets are what `on.workflow_call` declares.
	CallInputs, CallSecrets []string
	// Jobs in file order.
	Jobs []*Job
}

// Job is one job, or a call of a reusable workflow (Uses set).
type Job struct {
	// Workflow is the file it is in.
	Workflow *Workflow
	// ID is the job's key; Name its `name:` ("" when it has none).
	ID, Name string
	// Line is the line of the key.
	Line int
	// Needs are the jobs it waits for.
	Needs []string
	// Environment is the `environment:` (name form), "" for none.
	Environment Value
	// TimeoutMinutes is `timeout-minutes` (GitHub's default, 360, when
	// absent).
	TimeoutMinutes int
	// Permissions are the job's token permissions.
	Permissions map[string]string
	// Uses is the reusable workflow a caller job runs; With and Secrets
	// ("inherit" or "") what it passes.
	Uses    string
	With    map[string]Value
	Secrets string
	// Matrix is the `strategy.matrix`: its `include` rows, or the product
	// of its lists.
	Matrix []map[string]string
	// Steps in order.
	Steps []*Step
	// Refs are the vars.* and secrets.* the job reads.
	Refs []Ref
}

// Step is one step.
type Step struct {
	// Job is the job it belongs to.
	Job *Job
	// Index is its 0-based position; Line the line of its first key.
	Index, Line int
	// ID and Name as written ("" when absent).
	ID, Name string
	// Uses is the action ("owner/repo@ref"); With its inputs.
	Uses string
	// UsesComment is the comment on the uses: line, without "#" (the tag a
	// commit pin names: "v4.4.0"); "" when absent.
	UsesComment string
	With        map[string]Value
	// Run is the shell script, RunLine the line its text starts on.
	Run     string
	RunLine int
	// If is the condition; WorkingDirectory the `working-directory`.
	If, WorkingDirectory string
	// Env is the step's env block.
	Env map[string]Value
}

// Label is how the step appears in a run's log: its name, else its
// action, else its first command line.
func (s *Step) Label() string {
	switch {
	case s.Name != "":
		return s.Name
	case s.Uses != "":
		return s.Uses
	default:
		return "Run " + strings.SplitN(strings.TrimSpace(s.Run), "\n", 2)[0]
	}
}

// Ref is a read of a GitHub variable or secret.
type Ref struct {
	// Kind is "vars" or "secrets"; Name the variable.
	Kind, Name string
	// Line is where it is read.
	Line int
}

// Load reads every workflow under root/.github/workflows.
func Load(root string) ([]*Workflow, error) {
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []*Workflow
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		w, err := LoadFile(f, rel)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no workflows under %s/.github/workflows", root)
	}
	return out, nil
}

// LoadFile reads one workflow; rel is the name findings use.
func LoadFile(path, rel string) (*Workflow, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(raw, rel)
}

// Parse reads a workflow's YAML.
func Parse(raw []byte, rel string) (*Workflow, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a mapping", rel)
	}
	top := doc.Content[0]
	w := &Workflow{File: rel, Name: scalar(get(top, "name"))}
	// `on` is read by yaml.v3 as the string key "on".
	switch on := get(top, "on"); {
	case on == nil:
	case on.Kind == yaml.ScalarNode:
		w.Triggers = []string{on.Value}
	case on.Kind == yaml.SequenceNode:
		for _, n := range on.Content {
			w.Triggers = append(w.Triggers, n.Value)
		}
	case on.Kind == yaml.MappingNode:
		for i := 0; i < len(on.Content); i += 2 {
			w.Triggers = append(w.Triggers, on.Content[i].Value)
		}
		if call := get(on, "workflow_call"); call != nil {
			w.CallInputs = keys(get(call, "inputs"))
			w.CallSecrets = keys(get(call, "secrets"))
		}
	}
	jobs := get(top, "jobs")
	if jobs == nil {
		return nil, fmt.Errorf("%s: no jobs", rel)
	}
	for i := 0; i < len(jobs.Content); i += 2 {
		j, err := parseJob(w, jobs.Content[i], jobs.Content[i+1])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: job %s: %w", rel, jobs.Content[i].Line, jobs.Content[i].Value, err)
		}
		w.Jobs = append(w.Jobs, j)
	}
	return w, nil
}

func parseJob(w *Workflow, key, n *yaml.Node) (*Job, error) {
	j := &Job{Workflow: w, ID: key.Value, Line: key.Line, Name: scalar(get(n, "name")), TimeoutMinutes: 360,
		Uses: scalar(get(n, "uses")), Secrets: scalar(get(n, "secrets")), With: values(get(n, "with")), Permissions: map[string]string{}}
	if needs := get(n, "needs"); needs != nil {
		if needs.Kind == yaml.ScalarNode {
			j.Needs = []string{needs.Value}
		}
		for _, c := range needs.Content {
			j.Needs = append(j.Needs, c.Value)
		}
	}
	if env := get(n, "environment"); env != nil {
		if env.Kind == yaml.MappingNode {
			env = get(env, "name")
		}
		j.Environment = Value{env.Value, env.Line}
	}
	if t := get(n, "timeout-minutes"); t != nil {
		v, err := strconv.Atoi(t.Value)
		if err != nil {
			return nil, fmt.Errorf("timeout-minutes %q is not a number of minutes", t.Value)
		}
		j.TimeoutMinutes = v
	}
	if p := get(n, "permissions"); p != nil && p.Kind == yaml.MappingNode {
		for k, v := range values(p) {
			j.Permissions[k] = v.S
		}
	}
	if m := get(get(n, "strategy"), "matrix"); m != nil {
		j.Matrix = matrix(m)
	}
	if steps := get(n, "steps"); steps != nil {
		for i, s := range steps.Content {
			st := &Step{Job: j, Index: i, Line: s.Line, ID: scalar(get(s, "id")), Name: scalar(get(s, "name")),
				Uses: scalar(get(s, "uses")), UsesComment: lineComment(get(s, "uses")), With: values(get(s, "with")), If: scalar(get(s, "if")),
				WorkingDirectory: scalar(get(s, "working-directory")), Env: values(get(s, "env"))}
			if r := get(s, "run"); r != nil {
				st.Run = r.Value
				st.RunLine = r.Line
				if r.Style == yaml.LiteralStyle || r.Style == yaml.FoldedStyle {
					st.RunLine++
				}
			}
			j.Steps = append(j.Steps, st)
		}
	}
	walk(n, func(s *yaml.Node) {
		for _, m := range refPattern.FindAllStringSubmatch(s.Value, -1) {
			j.Refs = append(j.Refs, Ref{Kind: m[1], Name: m[2], Line: s.Line + lineOffset(s, m[0])})
		}
	})
	return j, nil
}

// refPattern finds vars.NAME and secrets.NAME inside expressions.
var refPattern = regexp.MustCompile(`\b(vars|secrets)\.([A-Za-z_][A-Za-z0-9_]*)`)

// lineOffset is the line of a match inside a block scalar.
func lineOffset(n *yaml.Node, match string) int {
	i := strings.Index(n.Value, match)
	if i < 0 {
		return 0
	}
	off := strings.Count(n.Value[:i], "\n")
	if n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle {
		off++
	}
	return off
}

func matrix(m *yaml.Node) []map[string]string {
	var rows []map[string]string
	if inc := get(m, "include"); inc != nil {
		for _, r := range inc.Content {
			row := map[string]string{}
			for k, v := range values(r) {
				row[k] = v.S
			}
			rows = append(rows, row)
		}
		return rows
	}
	rows = []map[string]string{{}}
	for i := 0; i < len(m.Content); i += 2 {
		k, list := m.Content[i].Value, m.Content[i+1]
		if list.Kind != yaml.SequenceNode {
			continue
		}
		var next []map[string]string
		for _, r := range rows {
			for _, v := range list.Content {
				row := map[string]string{k: v.Value}
				for a, b := range r {
					row[a] = b
				}
				next = append(next, row)
			}
		}
		rows = next
	}
	return rows
}

func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// lineComment is the comment after a node on its line, without "#".
func lineComment(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return strings.TrimSpace(strings.TrimPrefix(n.LineComment, "#"))
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func keys(n *yaml.Node) []string {
	var out []string
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i < len(n.Content); i += 2 {
			out = append(out, n.Content[i].Value)
		}
	}
	return out
}

func values(n *yaml.Node) map[string]Value {
	out := map[string]Value{}
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			v := n.Content[i+1]
			out[n.Content[i].Value] = Value{v.Value, v.Line}
		}
	}
	return out
}

func walk(n *yaml.Node, f func(*yaml.Node)) {
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode {
		f(n)
	}
	for _, c := range n.Content {
		walk(c, f)
	}
}
