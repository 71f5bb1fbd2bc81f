// Command phases times the phases of a synthesis of every stack, for
// finding where the time over the floor goes (scripts/bench-synth.sh gives
// the ratio; this says why):
//
//	load     start the jsii runtime and load constructs, cdktf and the AWS
//	         provider (what bench/floor also pays)
//	build    platform.Build: create every construct (a jsii round trip per
//	         construct, attribute getter and method call)
//	synth    app.Synth: cdktf resolves tokens and writes the JSON, in Node.js
//	close    stop the runtime
//
// Each phase shows its wall time and the CPU time spent in it by the Go
// process, the jsii runtime's relay (bin/jsii-runtime.js, a Node.js process
// that only pipes requests and responses through) and its kernel
// (lib/program.js, the Node.js process that runs cdktf), read from /proc.
//
// usage: go run ./bench/phases        (writes into a temporary directory)
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/jsiiruntime"
)

func main() {
	dir, err := os.MkdirTemp("", "influencegen-phases-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	a := environments.DefaultAccount()
	envs := environments.All(a)
	if err := environments.Validate(a, envs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	last, lastCPU := start, cpuNow()
	fmt.Printf("%-6s %7s   %-28s\n", "phase", "wall", "cpu: go / relay / kernel")
	phase := func(name string) {
		now, c := time.Now(), cpuNow()
		fmt.Printf("%-6s %6.2fs   %5.2fs / %5.2fs / %5.2fs\n", name, now.Sub(last).Seconds(),
			c.goSelf-lastCPU.goSelf, c.relay-lastCPU.relay, c.kernel-lastCPU.kernel)
		last, lastCPU = now, c
	}
	// Load what the floor loads, in a throwaway app that is never synthesized.
	warm := cdktf.NewApp(&cdktf.AppConfig{Outdir: jsii.String(dir + "/warm")})
	provider.NewAwsProvider(cdktf.NewTerraformStack(warm, jsii.String("warm")), jsii.String("aws"), &provider.AwsProviderConfig{Region: jsii.String("eu-west-1")})
	phase("load")
	app := cdktf.NewApp(&cdktf.AppConfig{Outdir: jsii.String(dir + "/out")})
	platform.Build(app, a, envs)
	phase("build")
	app.Synth()
	phase("synth")
	final := cpuNow() // the runtime's processes are gone after close
	jsiiruntime.Close()
	now := time.Now()
	fmt.Printf("%-6s %6.2fs\n", "close", now.Sub(last).Seconds())
	fmt.Printf("%-6s %6.2fs   %5.2fs / %5.2fs / %5.2fs\n", "total", now.Sub(start).Seconds(), final.goSelf, final.relay, final.kernel)
}

// cpuTimes are CPU seconds (user + system) so far.
type cpuTimes struct{ goSelf, relay, kernel float64 }

// cpuNow reads this process's CPU time and its Node.js descendants' from
// /proc/PID/stat (fields 14 and 15, in clock ticks: 100 per second on Linux).
func cpuNow() cpuTimes {
	var c cpuTimes
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.goSelf = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	parent := map[int]int{}
	ticks := map[int]float64{}
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... : comm may hold spaces, so split after ")".
		i := strings.LastIndexByte(string(b), ')')
		fields := strings.Fields(string(b[i+1:]))
		if i < 0 || len(fields) < 13 {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
		ppid, _ := strconv.Atoi(fields[1])
		ut, _ := strconv.ParseFloat(fields[11], 64)
		st, _ := strconv.ParseFloat(fields[12], 64)
		parent[pid], ticks[pid] = ppid, (ut+st)/100
	}
	self := os.Getpid()
	for pid, ppid := range parent {
		switch {
		case ppid == self:
			c.relay += ticks[pid]
		case parent[ppid] == self:
			c.kernel += ticks[pid]
		}
	}
	return c
}
