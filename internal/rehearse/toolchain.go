package rehearse

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/influencegen/infrastructure/environments"
)

// exactPin is an exact collection version in requirements.yml.
var exactPin = regexp.MustCompile(`^==\d+\.\d+\.\d+$`)

// pipPin finds "name==version" in a pip install.
var pipPin = regexp.MustCompile(`([A-Za-z0-9_.-]+)==([0-9][0-9A-Za-z.]*)`)

// CheckToolchain holds the versions the workflows install to
// environments/toolchain.go: Terraform (setup-terraform), the Python
// Ansible runs on (setup-python), ansible-core, boto3 and botocore (pip);
// every job that runs Ansible (a deploy) must install them and the
// collections of ansible/requirements.yml, which pins each exactly.
func CheckToolchain(root string, ws []*Workflow) []Finding {
	var out []Finding
	want := map[string]string{"ansible-core": environments.AnsibleCoreVersion, "boto3": environments.Boto3Version, "botocore": environments.BotocoreVersion}
	for _, w := range ws {
		for _, j := range w.Jobs {
			deploys := false
			pinned := map[string]string{}
			python := ""
			galaxy := false
			for _, st := range j.Steps {
				where := func(line int) string { return fmt.Sprintf("%s:%d: job %s", w.File, line, j.ID) }
				name, _, _ := strings.Cut(st.Uses, "@")
				switch name {
				case "hashicorp/setup-terraform":
					if v := st.With["terraform_version"]; v.S != environments.TerraformVersion {
						out = append(out, Finding{where(v.Line), fmt.Sprintf("installs Terraform %q; the tests use %s (environments.TerraformVersion)", v.S, environments.TerraformVersion)})
					}
				case "actions/setup-python":
					python = st.With["python-version"].S
					if python != environments.AnsiblePythonVersion {
						out = append(out, Finding{where(st.With["python-version"].Line), fmt.Sprintf("installs Python %q; Ansible runs on %s (environments.AnsiblePythonVersion)", python, environments.AnsiblePythonVersion)})
					}
				}
				if strings.Contains(st.Run, "deploy_environment.sh") && !strings.Contains(st.Run, "--plan-only") {
					deploys = true
				}
				for _, c := range Commands(st.Run) {
					if strings.Join(c.Words, " ") == "ansible-galaxy collection install -r ansible/requirements.yml" {
						galaxy = true
					}
					if len(installs(c.Words)) == 0 && !(len(c.Words) > 3 && c.Words[1] == "-m" && c.Words[2] == "pip") {
						continue
					}
					for _, w := range c.Words {
						if m := pipPin.FindStringSubmatch(w); m != nil {
							pinned[m[1]] = m[2]
							if want[m[1]] != "" && want[m[1]] != m[2] {
								out = append(out, Finding{where(st.RunLine + c.Line - 1), fmt.Sprintf("installs %s %s; the tests run %s (environments/toolchain.go)", m[1], m[2], want[m[1]])})
							}
						}
					}
				}
			}
			if deploys {
				for name, v := range want {
					if pinned[name] == "" {
						out = append(out, Finding{fmt.Sprintf("%s:%d: job %s", w.File, j.Line, j.ID), fmt.Sprintf("runs Ansible without installing %s==%s (environments/toolchain.go)", name, v)})
					}
				}
				if !galaxy {
					out = append(out, Finding{fmt.Sprintf("%s:%d: job %s", w.File, j.Line, j.ID), "runs Ansible without installing the collections of ansible/requirements.yml (ansible-galaxy collection install -r ansible/requirements.yml)"})
				}
				if python == "" {
					out = append(out, Finding{fmt.Sprintf("%s:%d: job %s", w.File, j.Line, j.ID), fmt.Sprintf("runs Ansible on the image's Python, not %s (actions/setup-python)", environments.AnsiblePythonVersion)})
				}
			}
		}
	}
	// The collections: ansible/requirements.yml pins each exactly
	// (ansible/tests/test_transport_pins.py holds the pins to the
	// collections the tests load).
	raw, err := os.ReadFile(filepath.Join(root, "ansible", "requirements.yml"))
	if err != nil {
		return append(out, Finding{"ansible/requirements.yml", err.Error()})
	}
	var req struct {
		Collections []struct {
			Name    string `yaml:"name"`
			Version string `yaml:"version"`
		} `yaml:"collections"`
	}
	if err := yaml.Unmarshal(raw, &req); err != nil {
		return append(out, Finding{"ansible/requirements.yml", err.Error()})
	}
	for _, c := range req.Collections {
		if !exactPin.MatchString(c.Version) {
			out = append(out, Finding{"ansible/requirements.yml", fmt.Sprintf("%s %q is not an exact pin (==X.Y.Z)", c.Name, c.Version)})
		}
	}
	return out
}
