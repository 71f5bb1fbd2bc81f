package rehearse

import (
	"reflect"
	"testing"
)

// TestCommands: the commands a script calls, and none of its array
// assignments, arithmetic or redirection targets.
func TestCommands(t *testing.T) {
	for _, c := range []struct {
		name, script string
		want         []string
	}{
		{"pipeline and list", "set -o pipefail\nterraform show -json plan | go run . review - >out.txt || rc=$?", []string{"set", "terraform", "go"}},
		{"array assignment", `[[ -z "$A" ]] || accept=(--accept "$A")` + "\nscripts/deploy.sh \"${accept[@]}\"", []string{"[[", "scripts/deploy.sh"}},
		{"arithmetic command", "((rc == 0 || rc == 3)) || exit \"$rc\"", []string{"exit"}},
		{"subshell", "(cd stacks && terraform init)", []string{"cd", "terraform"}},
		{"substitution", `echo "$(git rev-parse HEAD)"`, []string{"git", "echo"}},
		{"sudo prefix", "sudo apt-get install -y x", []string{"apt-get"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, cmd := range Commands(c.script) {
				got = append(got, cmd.Words[0])
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Commands(%q) = %q, want %q", c.script, got, c.want)
			}
		})
	}
}
