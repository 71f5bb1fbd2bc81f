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
// Then the CPU time of the Go process and of the Node.js processes (the
// jsii runtime runs as two: a relay and the kernel), to tell the Go side's
// share (reflection, JSON) from the kernel's.
//
// usage: go run ./bench/phases        (writes into a temporary directory)
package main

import (
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/influencegen/infrastructure/constructs/platform"
	"github.com/influencegen/infrastructure/environments"
	"github.com/influencegen/infrastructure/internal/synth"
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
	last := start
	phase := func(name string) {
		now := time.Now()
		fmt.Printf("%-6s %6.2fs\n", name, now.Sub(last).Seconds())
		last = now
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
	synth.CloseRuntime()
	phase("close")
	fmt.Printf("%-6s %6.2fs\n", "total", time.Since(start).Seconds())
	fmt.Printf("cpu    go %.2fs, node %.2fs\n", cpu(syscall.RUSAGE_SELF), cpu(syscall.RUSAGE_CHILDREN))
}

// cpu is the user+system time of this process or of its reaped children.
func cpu(who int) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
