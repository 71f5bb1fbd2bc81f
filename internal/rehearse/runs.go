package rehearse

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Event is what starts a workflow run.
type Event struct {
	// Name is the event ("push", "pull_request", "schedule",
	// "workflow_dispatch").
	Name string
	// Ref is GITHUB_REF ("refs/heads/main", "refs/pull/1/merge").
	Ref string
}

// Run is one job as the runner runs it: a job of a workflow (for a
// reusable workflow, a job of the called file, with its caller), one
// matrix row, its inputs and its GitHub environment evaluated.
type Run struct {
	// Job is the job run; Caller the job of the calling workflow (nil when
	// the workflow was triggered directly).
	Job, Caller *Job
	// Event is the triggering event.
	Event Event
	// Inputs are the reusable workflow's inputs (from the caller's with:
	// and the declared defaults).
	Inputs map[string]string
	// Matrix is this run's matrix row (nil when there is no matrix).
	Matrix map[string]string
	// Environment is the GitHub environment the job runs in ("" none).
	Environment string
}

// Key names the run uniquely: caller/job[matrix values].
func (r *Run) Key() string {
	k := r.Job.ID
	if r.Caller != nil {
		k = r.Caller.ID + "/" + k
	}
	for _, v := range sortedValues(r.Matrix) {
		k += "-" + v
	}
	return k
}

// Display is the job's name as GitHub shows it (name: evaluated), with
// the caller's id for a reusable workflow's job.
func (r *Run) Display() string {
	name := r.Job.ID
	if r.Job.Name != "" {
		if n, err := r.Eval(r.Job.Name, nil); err == nil {
			name = n
		}
	} else if len(r.Matrix) > 0 {
		name += " (" + strings.Join(sortedValues(r.Matrix), ", ") + ")"
	}
	if r.Caller != nil {
		return r.Caller.ID + " / " + name
	}
	return name
}

// Where is "file:line: job NAME" for findings about the job.
func (r *Run) Where(line int) string {
	return fmt.Sprintf("%s:%d: job %q", r.Job.Workflow.File, line, r.Display())
}

// Subject is the OIDC token's sub claim GitHub issues the job (GitHub
// docs, "OpenID Connect reference", example subject claims): the
// environment when the job has one, else pull_request for a pull request,
// else the ref.
func (r *Run) Subject(repo string) string {
	switch {
	case r.Environment != "":
		return fmt.Sprintf("repo:%s:environment:%s", repo, r.Environment)
	case r.Event.Name == "pull_request":
		return fmt.Sprintf("repo:%s:pull_request", repo)
	default:
		return fmt.Sprintf("repo:%s:ref:%s", repo, r.Event.Ref)
	}
}

// Expand lists the runs of a workflow file for an event in dependency
// order (a job after everything it needs; a caller's jobs in the called
// file's order). The workflow must be triggered by the event.
func Expand(ws []*Workflow, file string, ev Event) ([]*Run, error) {
	w := find(ws, file)
	if w == nil {
		return nil, fmt.Errorf("no workflow %s", file)
	}
	if !contains(w.Triggers, ev.Name) {
		return nil, fmt.Errorf("%s is not triggered by %s (on: %s)", file, ev.Name, strings.Join(w.Triggers, ", "))
	}
	order, err := topo(w)
	if err != nil {
		return nil, err
	}
	var out []*Run
	for _, j := range order {
		if j.Uses != "" {
			called := find(ws, strings.TrimPrefix(j.Uses, "./"))
			if called == nil {
				return nil, fmt.Errorf("%s:%d: job %s calls %s, which is not a workflow of this repository", w.File, j.Line, j.ID, j.Uses)
			}
			if !contains(called.Triggers, "workflow_call") {
				return nil, fmt.Errorf("%s:%d: job %s calls %s, which has no on.workflow_call", w.File, j.Line, j.ID, j.Uses)
			}
			inputs := map[string]string{}
			for k, v := range j.With {
				if !contains(called.CallInputs, k) {
					return nil, fmt.Errorf("%s:%d: job %s passes input %s, which %s does not declare", w.File, v.Line, j.ID, k, called.File)
				}
				inputs[k] = v.S
			}
			inner, err := topo(called)
			if err != nil {
				return nil, err
			}
			for _, cj := range inner {
				rs, err := matrixRuns(cj, j, ev, inputs)
				if err != nil {
					return nil, err
				}
				out = append(out, rs...)
			}
			continue
		}
		rs, err := matrixRuns(j, nil, ev, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

func matrixRuns(j, caller *Job, ev Event, inputs map[string]string) ([]*Run, error) {
	rows := j.Matrix
	if len(rows) == 0 {
		rows = []map[string]string{nil}
	}
	var out []*Run
	for _, row := range rows {
		r := &Run{Job: j, Caller: caller, Event: ev, Inputs: inputs, Matrix: row}
		env, err := r.Eval(j.Environment.S, nil)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: environment: %w", j.Workflow.File, j.Environment.Line, err)
		}
		r.Environment = env
		out = append(out, r)
	}
	return out, nil
}

// topo orders a workflow's jobs so that each comes after its needs (file
// order among equals, as the runner starts them).
func topo(w *Workflow) ([]*Job, error) {
	done := map[string]bool{}
	var out []*Job
	for len(out) < len(w.Jobs) {
		progress := false
		for _, j := range w.Jobs {
			if done[j.ID] {
				continue
			}
			ready := true
			for _, n := range j.Needs {
				if w.job(n) == nil {
					return nil, fmt.Errorf("%s:%d: job %s needs %s, which does not exist", w.File, j.Line, j.ID, n)
				}
				ready = ready && done[n]
			}
			if ready {
				done[j.ID] = true
				out = append(out, j)
				progress = true
			}
		}
		if !progress {
			return nil, fmt.Errorf("%s: the jobs' needs form a cycle", w.File)
		}
	}
	return out, nil
}

func (w *Workflow) job(id string) *Job {
	for _, j := range w.Jobs {
		if j.ID == id {
			return j
		}
	}
	return nil
}

func find(ws []*Workflow, file string) *Workflow {
	for _, w := range ws {
		if w.File == file {
			return w
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// exprPattern finds ${{ … }} in a value.
var exprPattern = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// Eval evaluates the expressions of a workflow value in the forms this
// repository writes: inputs.X, matrix.X, vars.X, github.run_id,
// fromJSON(vars.X)[inputs.Y | matrix.Y] and string literals. Anything
// else is an error naming it, so that a new form is added here, not
// silently read as "".
func (r *Run) Eval(s string, vars map[string]string) (string, error) {
	var firstErr error
	out := exprPattern.ReplaceAllStringFunc(s, func(m string) string {
		v, err := r.expr(exprPattern.FindStringSubmatch(m)[1], vars)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return v
	})
	return out, firstErr
}

var (
	fromJSONIndex = regexp.MustCompile(`^fromJSON\((vars\.[A-Za-z0-9_]+)\)\[([a-z]+\.[A-Za-z0-9_-]+)\]$`)
	contextRef    = regexp.MustCompile(`^(inputs|matrix|vars|github|runner)\.([A-Za-z0-9_-]+)$`)
	literal       = regexp.MustCompile(`^'([^']*)'$`)
)

func (r *Run) expr(e string, vars map[string]string) (string, error) {
	if m := literal.FindStringSubmatch(e); m != nil {
		return m[1], nil
	}
	if m := fromJSONIndex.FindStringSubmatch(e); m != nil {
		doc, err := r.expr(m[1], vars)
		if err != nil {
			return "", err
		}
		key, err := r.expr(m[2], vars)
		if err != nil {
			return "", err
		}
		var obj map[string]string
		if err := json.Unmarshal([]byte(doc), &obj); err != nil {
			return "", fmt.Errorf("fromJSON(%s): %q is not a JSON object of strings", m[1], doc)
		}
		return obj[key], nil
	}
	m := contextRef.FindStringSubmatch(e)
	if m == nil {
		return "", fmt.Errorf("expression %q is not one the rehearsal evaluates", e)
	}
	switch m[1] {
	case "inputs":
		return r.Inputs[m[2]], nil
	case "matrix":
		return r.Matrix[m[2]], nil
	case "vars":
		return vars[m[2]], nil
	case "github":
		if m[2] == "run_id" {
			return "1", nil
		}
	case "runner":
		if m[2] == "temp" {
			return "$RUNNER_TEMP", nil
		}
	}
	return "", fmt.Errorf("expression %q is not one the rehearsal evaluates", e)
}

func sortedValues(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sortStrings(ks)
	var out []string
	for _, k := range ks {
		if m[k] != "" {
			out = append(out, m[k])
		}
	}
	return out
}
