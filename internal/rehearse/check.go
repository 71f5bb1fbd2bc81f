package rehearse

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Finding is one failure, located in a file and naming the job or block.
type Finding struct {
	// Where is "file:line: job NAME" or "file:line".
	Where string
	// Msg says what is wrong and what fixes it.
	Msg string
}

func (f Finding) String() string { return f.Where + ": " + f.Msg }

// Standin is an action's offline stand-in (rehearsal/actions/OWNER/REPO):
// the upstream action's inputs and the major it stands in for.
type Standin struct {
	// Ref is "owner/repo@major".
	Ref string
	// Inputs maps each input to whether it is required without a default.
	Inputs map[string]bool
}

// StandinDir is where the stand-ins live, relative to the repository root.
const StandinDir = "rehearsal/actions"

// LoadStandins reads every stand-in under root/StandinDir.
func LoadStandins(root string) (map[string]Standin, error) {
	files, err := filepath.Glob(filepath.Join(root, StandinDir, "*", "*", "action.yml"))
	if err != nil {
		return nil, err
	}
	out := map[string]Standin{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var a struct {
			Inputs map[string]struct {
				Required bool    `yaml:"required"`
				Default  *string `yaml:"default"`
			} `yaml:"inputs"`
			Runs struct {
				Steps []struct {
					Env map[string]string `yaml:"env"`
				} `yaml:"steps"`
			} `yaml:"runs"`
		}
		if err := yaml.Unmarshal(raw, &a); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if len(a.Runs.Steps) == 0 || a.Runs.Steps[0].Env["STANDIN_ACTION"] == "" {
			return nil, fmt.Errorf("%s: no STANDIN_ACTION", f)
		}
		s := Standin{Ref: a.Runs.Steps[0].Env["STANDIN_ACTION"], Inputs: map[string]bool{}}
		for n, in := range a.Inputs {
			s.Inputs[n] = in.Required && in.Default == nil
		}
		out[strings.SplitN(s.Ref, "@", 2)[0]] = s
	}
	return out, nil
}

// Check runs the static checks on the runs of one workflow run: the
// variables and secrets each job reads are set in its scope by the
// bootstrap runbook, its environment exists, its actions have stand-ins
// that accept its inputs, and every command its run blocks call is on the
// runner image or installed by an earlier step.
func Check(root string, runs []*Run, s Settings, standins map[string]Standin) []Finding {
	var out []Finding
	for _, r := range runs {
		for _, ref := range r.Job.Refs {
			if !s.Has(ref.Kind, ref.Name, r.Environment) {
				scope := "the repository"
				if r.Environment != "" {
					scope = "the repository or the GitHub environment " + r.Environment
				}
				out = append(out, Finding{r.Where(ref.Line), fmt.Sprintf("reads %s.%s, which no step of %s sets in %s", ref.Kind, ref.Name, BootstrapFile, scope)})
			}
			if ref.Kind == "secrets" && r.Caller != nil && ref.Name != "GITHUB_TOKEN" && !contains(r.Job.Workflow.CallSecrets, ref.Name) {
				out = append(out, Finding{r.Where(ref.Line), fmt.Sprintf("reads secrets.%s, which on.workflow_call.secrets does not declare", ref.Name)})
			}
		}
		if r.Environment != "" {
			if _, ok := s.Environments[r.Environment]; !ok {
				out = append(out, Finding{r.Where(r.Job.Environment.Line), fmt.Sprintf("runs in the GitHub environment %s, which %s does not create", r.Environment, BootstrapFile)})
			}
		}
		out = append(out, checkSteps(root, r, standins)...)
	}
	return dedupe(out)
}

// commitSHA is a full Git commit id: the only ref of an action that no one
// can move (a tag or branch can be re-pointed at other code).
var commitSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// releaseTag is the tag a commit pin's comment names: vMAJOR[.MINOR[.PATCH]].
var releaseTag = regexp.MustCompile(`^(v[0-9]+)(\.[0-9]+){0,2}$`)

// PinnedAction reads a step's `uses: owner/repo@<40-hex commit> # vX.Y.Z`
// and returns the action ("owner/repo") and the major of the tag in the
// comment ("v4"), which the stand-in's contract is checked against. An
// action referenced by tag or branch, a commit pin without the tag it
// stands for, and a comment that is not a release tag are refused.
func PinnedAction(uses, comment string) (name, major string, err error) {
	name, ref, _ := strings.Cut(uses, "@")
	if !commitSHA.MatchString(ref) {
		return "", "", fmt.Errorf("uses %s, not pinned to a commit: write %s@<the tag's 40-hex commit> # %s", uses, name, ref)
	}
	m := releaseTag.FindStringSubmatch(comment)
	if m == nil {
		return "", "", fmt.Errorf("uses %s without the release tag it pins in a comment (%q): write # vX.Y.Z after it", uses, comment)
	}
	return name, m[1], nil
}

var aptInstall = regexp.MustCompile(`^(apt-get|apt)$`)

func checkSteps(root string, r *Run, standins map[string]Standin) []Finding {
	var out []Finding
	have := map[string]bool{}
	for _, st := range r.Job.Steps {
		if st.Uses != "" {
			name, major, err := PinnedAction(st.Uses, st.UsesComment)
			if err != nil {
				out = append(out, Finding{r.Where(st.Line), err.Error()})
				continue
			}
			sd, ok := standins[name]
			if !ok {
				out = append(out, Finding{r.Where(st.Line), fmt.Sprintf("uses %s, which has no stand-in under %s: add one with the upstream action.yml's inputs", st.Uses, StandinDir)})
				continue
			}
			if sd.Ref != name+"@"+major {
				out = append(out, Finding{r.Where(st.Line), fmt.Sprintf("uses %s; the stand-in keeps the contract of %s: read the new major's action.yml and update it", st.Uses, sd.Ref)})
			}
			for k, v := range st.With {
				if _, ok := sd.Inputs[k]; !ok {
					out = append(out, Finding{r.Where(v.Line), fmt.Sprintf("passes input %q to %s, which has no such input (the runner would ignore it)", k, st.Uses)})
				}
			}
			for k, req := range sd.Inputs {
				if _, ok := st.With[k]; req && !ok {
					out = append(out, Finding{r.Where(st.Line), fmt.Sprintf("%s requires input %q", st.Uses, k)})
				}
			}
			for _, t := range setupTools[name] {
				have[t] = true
			}
			continue
		}
		dir := root
		if st.WorkingDirectory != "" {
			dir = filepath.Join(root, st.WorkingDirectory)
		}
		for _, c := range Commands(st.Run) {
			line := st.RunLine + c.Line - 1
			cmd := c.Words[0]
			switch {
			case shellBuiltins[cmd] || strings.Contains(cmd, "$"):
			case strings.Contains(cmd, "/"):
				if _, err := os.Stat(filepath.Join(dir, cmd)); err != nil && !strings.HasPrefix(cmd, "/") && st.WorkingDirectory == "" {
					out = append(out, Finding{r.Where(line), fmt.Sprintf("runs %s, which is not in the repository", cmd)})
				}
			case have[cmd]:
			case RunnerImage[cmd] != "":
			default:
				out = append(out, Finding{r.Where(line), fmt.Sprintf("calls %s, which the ubuntu-24.04 runner image does not provide (runner-images Ubuntu2404-Readme.md) and no earlier step installs", cmd)})
			}
			for _, t := range installs(c.Words) {
				have[t] = true
			}
		}
	}
	return out
}

// installs are the commands a package-install command puts on the PATH.
func installs(w []string) []string {
	var pkgs []string
	switch {
	case aptInstall.MatchString(w[0]) && len(w) > 1 && contains(w, "install"):
		pkgs = args(w[1:])
	case w[0] == "pipx" && len(w) > 1 && w[1] == "install":
		pkgs = args(w[2:])
	case (w[0] == "pip" || w[0] == "pip3") && len(w) > 1 && w[1] == "install":
		pkgs = args(w[2:])
	case (w[0] == "python" || w[0] == "python3") && len(w) > 3 && w[1] == "-m" && w[2] == "pip" && w[3] == "install":
		pkgs = args(w[4:])
	}
	var out []string
	for _, p := range pkgs {
		p = strings.SplitN(strings.SplitN(p, "==", 2)[0], "=", 2)[0]
		out = append(out, installedBy[p]...)
	}
	return out
}

func args(w []string) []string {
	var out []string
	for _, a := range w {
		if !strings.HasPrefix(a, "-") && a != "install" {
			out = append(out, a)
		}
	}
	return out
}

func dedupe(fs []Finding) []Finding {
	seen := map[string]bool{}
	var out []Finding
	for _, f := range fs {
		if !seen[f.String()] {
			seen[f.String()] = true
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Where < out[j].Where })
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
