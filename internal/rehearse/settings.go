package rehearse

import (
	"fmt"
	"strings"
)

// Settings are the GitHub repository settings the bootstrap runbook makes
// with the GitHub CLI: variables and secrets by scope, the environments it
// creates and those it gives required reviewers.
type Settings struct {
	// Vars and Secrets map a scope ("" for the repository, else a GitHub
	// environment) to the names set there and the runbook line that sets
	// each.
	Vars, Secrets map[string]map[string]string
	// Environments are the GitHub environments created (name → line).
	Environments map[string]string
	// Reviewed are the environments given required reviewers (name →
	// line): a job in one waits for an approval.
	Reviewed map[string]string
}

// BootstrapFile is the runbook that sets the repository up.
const BootstrapFile = "docs/runbooks/bootstrap.md"

// ReadSettings reads the settings the bootstrap runbook's blocks make
// (run and norun alike): `gh variable set NAME [--env ENV]`, `gh secret
// set NAME [--env ENV]` and `gh api --method PUT
// repos/{owner}/{repo}/environments/NAME` (with a reviewers field: the
// environment has required reviewers).
func ReadSettings(blocks []Block) (Settings, error) {
	s := Settings{Vars: map[string]map[string]string{}, Secrets: map[string]map[string]string{},
		Environments: map[string]string{}, Reviewed: map[string]string{}}
	for _, b := range blocks {
		if b.File != BootstrapFile {
			continue
		}
		for _, c := range Commands(b.Text) {
			w := c.Words
			where := fmt.Sprintf("%s:%d", b.File, b.Line+c.Line-1)
			if len(w) < 2 || w[0] != "gh" {
				continue
			}
			switch {
			case len(w) >= 4 && (w[1] == "variable" || w[1] == "secret") && w[2] == "set":
				scope := flagValue(w[4:], "--env", "-e")
				if strings.ContainsAny(scope, "$") {
					return s, fmt.Errorf("%s: gh %s set %s --env %s: name the environment literally (one line per environment), so that the settings can be read", where, w[1], w[3], scope)
				}
				m := s.Vars
				if w[1] == "secret" {
					m = s.Secrets
				}
				if m[scope] == nil {
					m[scope] = map[string]string{}
				}
				m[scope][w[3]] = where
			case w[1] == "api":
				for _, a := range w[2:] {
					if i := strings.Index(a, "/environments/"); i >= 0 && strings.HasPrefix(a, "repos/") {
						env := a[i+len("/environments/"):]
						s.Environments[env] = where
						for _, f := range w[2:] {
							if strings.HasPrefix(f, "reviewers") {
								s.Reviewed[env] = where
							}
						}
					}
				}
			}
		}
	}
	return s, nil
}

// flagValue is the value of the first of the named options (as "--opt v"
// or "--opt=v"), "" when absent.
func flagValue(args []string, names ...string) string {
	for i, a := range args {
		for _, n := range names {
			if a == n && i+1 < len(args) {
				return args[i+1]
			}
			if strings.HasPrefix(a, n+"=") {
				return strings.TrimPrefix(a, n+"=")
			}
		}
	}
	return ""
}

// Has reports whether a variable (kind "vars") or secret ("secrets") is
// set for a job in the GitHub environment env ("" none): at repository
// level, or in the environment, as GitHub merges them.
func (s Settings) Has(kind, name, env string) bool {
	m := s.Vars
	if kind == "secrets" {
		if name == "GITHUB_TOKEN" {
			return true
		}
		m = s.Secrets
	}
	if _, ok := m[""][name]; ok {
		return true
	}
	_, ok := m[env][name]
	return env != "" && ok
}
