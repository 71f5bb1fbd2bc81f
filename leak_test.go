package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSynthLeavesNothingBehind runs a real synthesis the way `cdktf synth`
// does (the "app" command of cdktf.json, `go run main.go`) with TMPDIR set to
// a fresh directory, and expects that directory to be empty afterwards and
// no process to be left whose command line points into it (the jsii
// runtime's Node.js runs an entry point extracted there). The negative
// control, testdata/leakyapp, synthesizes without closing the jsii runtime
// and must be caught.
func TestSynthLeavesNothingBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a full synthesis in a subprocess (~8 s)")
	}
	var cfg struct {
		App string `json:"app"`
	}
	b, err := os.ReadFile("cdktf.json")
	if err == nil {
		err = json.Unmarshal(b, &cfg)
	}
	if err != nil || cfg.App == "" {
		t.Fatalf("cdktf.json: no app command (%v)", err)
	}
	cases := []struct {
		name      string
		command   []string
		wantClean bool
	}{
		{"cdktf app command", strings.Fields(cfg.App), true},
		{"negative control: no jsii.Close", []string{"go", "run", "./testdata/leakyapp"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tmp, out := t.TempDir(), t.TempDir()
			cmd := exec.Command(c.command[0], c.command[1:]...)
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "GOTMPDIR=", "INFLUENCEGEN_OUTDIR="+out)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %v\n%s", strings.Join(c.command, " "), err, stderr.String())
			}
			if strings.Contains(stderr.String(), "exited abnormally") {
				t.Errorf("stderr reports an abnormal runtime exit:\n%s", stderr.String())
			}
			if stacks, _ := filepath.Glob(filepath.Join(out, "stacks", "*", "cdk.tf.json")); len(stacks) == 0 {
				t.Fatalf("nothing synthesized in %s", out)
			}
			left := leftovers(t, tmp)
			t.Cleanup(func() { killAll(left.pids) })
			if c.wantClean && (len(left.files) > 0 || len(left.pids) > 0) {
				t.Errorf("left behind in TMPDIR: %v; processes still running from it: %v", left.files, left.procs)
			}
			if !c.wantClean && len(left.files) == 0 && len(left.pids) == 0 {
				t.Error("the detector found nothing after an app that does not close jsii: it cannot catch a leak")
			}
		})
	}
}

type leftover struct {
	files []string
	pids  []int
	procs []string
}

// leftovers lists the entries of dir and the processes whose command line
// mentions dir.
func leftovers(t *testing.T, dir string) leftover {
	t.Helper()
	var l leftover
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		l.files = append(l.files, e.Name())
	}
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range cmdlines {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(b, []byte(dir)) {
			continue
		}
		var pid int
		if _, err := fmt.Sscan(filepath.Base(filepath.Dir(f)), &pid); err == nil {
			l.pids = append(l.pids, pid)
			l.procs = append(l.procs, string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
		}
	}
	return l
}

func killAll(pids []int) {
	for _, pid := range pids {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	}
}
