package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"cabacheck/kernel"
	"cabacheck/spec/linux"
)

// runConform is "cabacheck conform host|vm|replay".
func runConform(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, "Usage: cabacheck conform host [--walks N --tasks K --seed S]")
		fmt.Fprintln(stdout, "       cabacheck conform vm --revision seed|v3|v4|fixed [--walks N]")
		fmt.Fprintln(stdout, "       cabacheck conform replay [--tasks K --revision R] FILE.steps")
		fmt.Fprintln(stdout, "\nReplays model walks on a real kernel with the C harness (kernel/harness) and compares")
		fmt.Fprintln(stdout, "the settled state after every step with the model. See kernel/README.md.")
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	switch args[0] {
	case "host":
		return runConformHost(args[1:], stdout, stderr)
	case "vm":
		return runConformVM(args[1:], stdout, stderr)
	case "replay":
		return runConformReplay(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "cabacheck conform: unknown target %q (want host, vm or replay)\n", args[0])
	return exitUsage
}

func runConformHost(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("conform host")
	walks := fs.Int("walks", 200, "random walks to replay")
	tasks := fs.Int("tasks", 6, "task budget of the model, init included")
	seed := fs.Int64("seed", 1, "random seed of the walks")
	maxLen := fs.Int("max-steps", 24, "syscall-level steps per walk")
	actions := fs.String("actions", "all", "optional actions: "+linux.ActionNames()+" (or all, default, none)")
	outDir := fs.String("out", "conform-out", "directory for the reproducers of mismatching walks")
	if c := parseFlags(fs, args, stdout, stderr); c >= 0 {
		return c
	}
	acts, err := linux.ParseActions(*actions)
	if err != nil {
		return usageError(stderr, "conform host", err)
	}
	if *walks < 0 || *maxLen < 1 {
		return usageError(stderr, "conform host", fmt.Errorf("--walks and --max-steps must be positive"))
	}
	if err := (linux.Options{Tasks: *tasks, Actions: acts}).Validate(); err != nil {
		return usageError(stderr, "conform host", err)
	}
	if err := kernel.CanRunHost(); err != nil {
		fmt.Fprintf(stderr, "cabacheck conform host: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "cabacheck conform host: %d random walks of the model (base semantics), %d tasks, seed %d, actions %s\n", *walks, *tasks, *seed, acts)
	res, err := kernel.RunHost(kernel.HostConfig{Walks: *walks, Tasks: *tasks, Seed: *seed, MaxLen: *maxLen, Actions: acts, OutDir: *outDir})
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck conform host: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "kernel: %s\n", res.Kernel)
	for _, f := range res.Failed {
		fmt.Fprintf(stdout, "\nMISMATCH in %s", f.Text())
	}
	fmt.Fprintf(stdout, "\n%d walks, %d steps compared, %d mismatches (%s)\n", res.Walks, res.Steps, res.Mismatches, res.Elapsed.Round(time.Millisecond))
	if res.Mismatches > 0 {
		fmt.Fprintf(stdout, "reproducers saved in %s/\n", *outDir)
		return exitViolation
	}
	return exitOK
}

func runConformReplay(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("conform replay")
	mf := addModelFlags(fs)
	fs.Lookup("tasks").DefValue = "6"
	_ = fs.Set("tasks", "6")
	_ = fs.Set("actions", "all")
	if c := parseFlags(fs, args, stdout, stderr); c >= 0 {
		return c
	}
	if fs.NArg() != 1 {
		return usageError(stderr, "conform replay", fmt.Errorf("want one FILE of steps"))
	}
	opt, err := mf.options()
	if err != nil {
		return usageError(stderr, "conform replay", err)
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return usageError(stderr, "conform replay", err)
	}
	ops, err := kernel.ParseOps(stripComments(string(data)))
	if err != nil {
		return usageError(stderr, "conform replay", err)
	}
	if err := kernel.CanRunHost(); err != nil {
		fmt.Fprintf(stderr, "cabacheck conform replay: %v\n", err)
		return exitUsage
	}
	m, err := kernel.HostModel(opt.Tasks, opt.Actions)
	if err != nil {
		return usageError(stderr, "conform replay", err)
	}
	w := kernel.Walk{Name: "replay", Ops: ops, Origin: fs.Arg(0)}
	res, err := kernel.RunHost(kernel.HostConfig{Walks: 0, Tasks: opt.Tasks, Actions: opt.Actions, Extra: []kernel.Walk{w}})
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck conform replay: %v\n", err)
		return exitUsage
	}
	_ = m
	if len(res.Failed) > 0 {
		fmt.Fprint(stdout, res.Failed[0].Text())
		return exitViolation
	}
	fmt.Fprintf(stdout, "%s: %d steps compared, 0 mismatches\n", fs.Arg(0), res.Steps)
	return exitOK
}

func stripComments(s string) string {
	var out []byte
	skip := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '#' {
			skip = true
		}
		if c == '\n' {
			skip = false
		}
		if !skip {
			out = append(out, c)
		}
	}
	return string(out)
}

func runConformVM(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "cabacheck conform vm: not yet")
	return exitUsage
}
