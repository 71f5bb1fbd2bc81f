// Package jsiiruntime stops the jsii runtime that every cdktf program
// starts on its first jsii call: the app (main.go), the benchmark phases and
// every test binary that touches a construct.
package jsiiruntime

import (
	"io"
	"os"
	"regexp"

	"github.com/aws/jsii-runtime-go"
)

// spuriousExit is what jsii-runtime-go v1.106.0 prints when jsii.Close wins
// the race to reap the Node.js process: Process.ensureStarted starts a
// goroutine blocked in cmd.Wait, and Process.Close calls cmd.Wait too
// (internal/kernel/process/process.go). With Go's pidfd-based Wait one of
// the two gets ECHILD; when it is the goroutine, it reports a clean exit as
// "Runtime process exited abnormally: waitid: no child processes" (or
// "wait: ..." when Go already knows the process is done).
var spuriousExit = regexp.MustCompile(`Runtime process exited abnormally: wait(id)?: no child processes\n?`)

// Close stops the jsii runtime: it asks the Node.js process to exit,
// waits for it and removes its jsii-runtime.* temporary directory (the
// extracted runtime, ~2 MB) — jsii.Close, jsii-runtime-go v1.106.0
// internal/kernel/process/process.go Process.Close; the kernel removes its
// own jsii-kernel-* directory when told to exit. Without it every synthesis
// leaves both directories in TMPDIR. Call it once, as the program ends: any
// jsii object used afterwards would start a new runtime.
//
// While closing, os.Stderr goes through a filter that drops only the
// spurious "exited abnormally" line described at spuriousExit; everything
// else (Node.js's last stderr lines) is passed on. The filter stays until
// the process exits, since the racing goroutine may print after Close
// returns; a write after that is dropped.
func Close() {
	real := os.Stderr
	r, w, err := os.Pipe()
	if err != nil {
		jsii.Close()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b, _ := io.ReadAll(r)
		real.Write(spuriousExit.ReplaceAll(b, nil))
	}()
	os.Stderr = w
	jsii.Close()
	w.Close()
	<-done
	r.Close()
}

// RunTests runs a test binary's tests, then Close, then exits with their
// code: a package's TestMain is `func TestMain(m *testing.M) {
// jsiiruntime.RunTests(m) }`, so that neither the runtime's Node.js process
// nor its jsii-runtime.* directory outlives the binary. (m is a
// *testing.M; the interface keeps package testing out of the app.)
func RunTests(m interface{ Run() int }) {
	code := m.Run()
	Close()
	os.Exit(code)
}
