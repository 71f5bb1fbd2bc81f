package controls

import (
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
)

// families maps each family's source file to the fixtures of its
// controls, kept in the file's _test.go twin.
var families = map[string]map[string][]fixture{
	"compute.go":         computeFixtures,
	"encryption.go":      encryptionFixtures,
	"storage.go":         storageFixtures,
	"network.go":         networkFixtures,
	"logging.go":         loggingFixtures,
	"edge.go":            edgeFixtures,
	"data_protection.go": dataProtectionFixtures,
	"tagging.go":         taggingFixtures,
	"secrets.go":         secretsFixtures,
	"iam.go":             iamFixtures,
	"operations.go":      operationsFixtures,
}

// sourceFile is the base name of the file that declares a control's check.
func sourceFile(c Control) string {
	pc := reflect.ValueOf(c.Check).Pointer()
	file, _ := runtime.FuncForPC(pc).FileLine(pc)
	return filepath.Base(file)
}

// TestEveryControlHasAFixtureWhereOnlyItFails: a control cannot be added,
// or moved to another family, without a stack beside it on which it, and
// no other control, fails.
func TestEveryControlHasAFixtureWhereOnlyItFails(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range All {
		if seen[c.ID] {
			t.Errorf("%s: two controls with one ID", c.ID)
		}
		seen[c.ID] = true
		if c.Mirrors == "" || c.Title == "" {
			t.Errorf("%s must say what it requires (Title) and the checkov/trivy rules it mirrors (Mirrors)", c.ID)
		}
		file := sourceFile(c)
		fixtures, ok := families[file]
		if file == "controls.go" {
			t.Errorf("%s: declare its check in its family's file, not in controls.go", c.ID)
			continue
		}
		if !ok {
			t.Errorf("%s is declared in %s, which has no fixtures: add %s_test.go and list it in families", c.ID, file, file[:len(file)-len(".go")])
			continue
		}
		only := 0
		for _, f := range fixtures[c.ID] {
			if f.onlyFailing() {
				only++
			}
		}
		if only == 0 {
			t.Errorf("%s (%s) has no fixture where only it fails: add one to %s_test.go", c.ID, file, file[:len(file)-len(".go")])
		}
	}
	for file, fixtures := range families {
		for id := range fixtures {
			if !seen[id] {
				t.Errorf("%s_test.go has fixtures for %s, which is not a control of All", file[:len(file)-len(".go")], id)
				continue
			}
			for _, c := range All {
				if c.ID == id && sourceFile(c) != file {
					t.Errorf("%s is declared in %s but its fixtures are in %s's", id, sourceFile(c), file)
				}
			}
		}
	}
}
