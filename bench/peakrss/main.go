// Command peakrss runs a command and reports its wall time and the peak of
// the summed resident memory of the command and all its descendants (for a
// cdktf app: the Go process plus the Node.js jsii runtime it starts).
//
// usage: peakrss [-interval 10ms] -- command [args...]
//
// It prints one line, "seconds=<s> peak_rss_mb=<MB> cpu_seconds=<s>", to
// stderr and exits with the command's exit code. cpu_seconds is the user and
// system time of the command and every descendant it waited for (the jsii
// runtime's Node.js processes are), from wait4's rusage: unlike the wall
// time, it hardly moves when other work shares the machine.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	interval := flag.Duration("interval", 10*time.Millisecond, "sampling interval")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: peakrss [-interval 10ms] -- command [args...]")
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdout, cmd.Stderr, cmd.Stdin = os.Stdout, os.Stderr, os.Stdin
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(127)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peak int64
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	var err error
loop:
	for {
		select {
		case err = <-done:
			break loop
		case <-tick.C:
			if rss := treeRSS(cmd.Process.Pid); rss > peak {
				peak = rss
			}
		}
	}
	elapsed := time.Since(start)
	var cpu time.Duration
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	fmt.Fprintf(os.Stderr, "seconds=%.2f peak_rss_mb=%.0f cpu_seconds=%.2f\n", elapsed.Seconds(), float64(peak)/1024, cpu.Seconds())
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			os.Exit(ee.ExitCode())
		}
		os.Exit(1)
	}
}

// treeRSS sums VmRSS (kB) over root and all its descendants.
func treeRSS(root int) int64 {
	children := map[int][]int{}
	rss := map[int]int64{}
	stats, _ := filepath.Glob("/proc/[0-9]*/status")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var pid, ppid int
		var kb int64
		for _, line := range strings.Split(string(b), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 2 {
				continue
			}
			switch fields[0] {
			case "Pid:":
				pid, _ = strconv.Atoi(fields[1])
			case "PPid:":
				ppid, _ = strconv.Atoi(fields[1])
			case "VmRSS:":
				kb, _ = strconv.ParseInt(fields[1], 10, 64)
			}
		}
		children[ppid] = append(children[ppid], pid)
		rss[pid] = kb
	}
	var total int64
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		total += rss[p]
		queue = append(queue, children[p]...)
	}
	return total
}
