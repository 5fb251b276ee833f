package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"cabacheck/kernel"
	"cabacheck/spec/linux"
)

// runConform is "cabacheck conform host|vm|replay".
func runConform(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, "Usage: cabacheck conform host [--walks N --tasks K --seed S --actions all,sessions,execve]")
		fmt.Fprintln(stdout, "       cabacheck conform vm --revision "+strings.ReplaceAll(linux.RevisionNames(), ", ", "|")+" [--walks N]")
		fmt.Fprintln(stdout, "       cabacheck conform replay [--tasks K] FILE   (FILE: .steps, model actions, a scenario or a JSON trace)")
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
	actions := fs.String("actions", "all", "optional actions: "+linux.ActionNames()+" (or all, default, none; all is without sessions and execve)")
	outDir := fs.String("out", "conform-out", "directory for the reproducers of mismatching walks")
	if c := parseCommand(fs, args, stdout, stderr, 0); c >= 0 {
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
	printStepStats(stdout, res.Steps, &res.Stats)
	if res.Mismatches > 0 {
		fmt.Fprintf(stdout, "reproducers saved in %s/\n", *outDir)
		return exitViolation
	}
	return exitOK
}

// printStepStats says what the compared steps checked.
func printStepStats(w io.Writer, steps int, st *kernel.StepStats) {
	fmt.Fprintf(w, "steps by op: %s\n", kernel.Counts(st.Ops))
	fmt.Fprintf(w, "steps that observe something: %d of %d (a changed snapshot or a checked return); %d change state/tgid/ppid/real_parent/caba alone\n",
		st.Observing, steps, st.ObservingBase)
	fmt.Fprintf(w, "steps that observe nothing: %d (%s)\n", steps-st.Observing, kernel.Counts(st.Blind))
	if st.Refused > 0 || st.Ops["Setsid"]+st.Ops["Setpgid"] > 0 {
		fmt.Fprintf(w, "refused by the model, performed anyway: %d (%d returned an error and changed nothing, %d setpgid into the current group returned 0 and changed nothing): %s\n",
			st.Refused, st.Refused-st.NoOp, st.NoOp, kernel.Counts(st.RefusedBy))
	}
}

func runConformReplay(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("conform replay")
	mf := addModelFlags(fs, "", "all")
	fs.Lookup("tasks").DefValue = "6"
	_ = fs.Set("tasks", "6")
	if c := parseCommand(fs, args, stdout, stderr, 1, mf); c >= 0 {
		return c
	}
	if fs.NArg() != 1 {
		return usageError(stderr, "conform replay", fmt.Errorf("want one FILE of steps"))
	}
	opt := mf.opt
	if err := kernel.CanRunHost(); err != nil {
		fmt.Fprintf(stderr, "cabacheck conform replay: %v\n", err)
		return exitUsage
	}
	m, err := kernel.HostModel(opt.Tasks, opt.Actions)
	if err != nil {
		return usageError(stderr, "conform replay", err)
	}
	w, err := kernel.LoadWalk(m, fs.Arg(0))
	if err != nil {
		return usageError(stderr, "conform replay", err)
	}
	fmt.Fprintf(stdout, "%s: %s\n", fs.Arg(0), kernel.FormatOps(w.Ops))
	res, err := kernel.RunHost(kernel.HostConfig{Walks: 0, Tasks: opt.Tasks, Actions: opt.Actions, Extra: []kernel.Walk{w}})
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck conform replay: %v\n", err)
		return exitUsage
	}
	if len(res.Failed) > 0 {
		fmt.Fprint(stdout, res.Failed[0].Text())
		return exitViolation
	}
	fmt.Fprintf(stdout, "%s: %d steps compared, 0 mismatches\n", fs.Arg(0), res.Steps)
	printStepStats(stdout, res.Steps, &res.Stats)
	return exitOK
}

func runConformVM(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("conform vm")
	revision := fs.String("revision", linux.Seed.String(), revisionHelp(false)+" (its kernel patch is built and booted)")
	walks := fs.Int("walks", 50, "random walks replayed besides the counterexamples")
	tasks := fs.Int("tasks", 6, "task budget of the random walks")
	cexTasks := fs.Int("cex-tasks", 7, "task budget of the counterexample search")
	seed := fs.Int64("seed", 1, "random seed of the walks")
	maxLen := fs.Int("max-steps", 24, "syscall-level steps per walk")
	flavors := fs.String("kernels", "kasan", "kernels to build and boot: tiny, kasan or tiny,kasan")
	jobs := fs.Int("jobs", 0, "make -j (0: number of CPUs)")
	outDir := fs.String("out", "conform-out", "directory for console logs and reproducers")
	noInstall := fs.Bool("no-install", false, "do not apt-get install missing packages")
	timeout := fs.Duration("timeout", 20*time.Minute, "limit per qemu boot")
	searchCex := fs.Bool("search-cex", false, "search the counterexamples with the explorer instead of using kernel/cex")
	traceFiles := fs.StringSlice("trace", nil, "also replay these traces (JSON from check --trace-out, scenario files, action lists)")
	if c := parseCommand(fs, args, stdout, stderr, 0); c >= 0 {
		return c
	}
	var fl []kernel.Flavor
	for _, f := range strings.Split(*flavors, ",") {
		switch strings.TrimSpace(f) {
		case "tiny":
			fl = append(fl, kernel.Tiny)
		case "kasan":
			fl = append(fl, kernel.KASAN)
		default:
			return usageError(stderr, "conform vm", fmt.Errorf("--kernels: unknown kernel %q (want tiny, kasan)", f))
		}
	}
	if _, err := linux.ParseRevision(*revision); err != nil {
		return usageError(stderr, "conform vm", err)
	}
	fmt.Fprintf(stdout, "cabacheck conform vm: revision %s, kernels %s, %d random walks (%d tasks, seed %d)\n", *revision, *flavors, *walks, *tasks, *seed)
	res, err := kernel.RunVM(kernel.VMConfig{Revision: *revision, Walks: *walks, Tasks: *tasks, Seed: *seed, MaxLen: *maxLen,
		Jobs: *jobs, Flavors: fl, Log: stdout, OutDir: *outDir, CexTasks: *cexTasks, Timeout: *timeout, NoInstall: *noInstall, SearchCex: *searchCex, TraceFiles: *traceFiles})
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck conform vm: %v\n", err)
		return exitUsage
	}
	code := exitOK
	for _, fr := range res.Flavors {
		fmt.Fprintf(stdout, "\n== %s %s kernel (%s) ==\n", res.Revision, fr.Kernel.Flavor, fr.Kernel.Image)
		for _, c := range fr.Cex {
			fmt.Fprintf(stdout, "\ncounterexample %s: %s\n", c.Invariant, c.ModelTrace)
			if len(c.Walk.Ops) == 0 {
				fmt.Fprintf(stdout, "  %s\n", c.Prediction)
				continue
			}
			fmt.Fprintf(stdout, "  syscalls: %s\n", kernel.FormatOps(c.Walk.Ops))
			if c.ViolStep > 0 {
				fmt.Fprintf(stdout, "  model  (step %d): %s\n", c.ViolStep, c.Prediction)
			} else {
				fmt.Fprintf(stdout, "  model: %s\n", c.Prediction)
			}
			if len(c.Result.Reports) == 0 {
				fmt.Fprintf(stdout, "  kernel: no report\n")
			}
			for _, r := range c.Result.Reports {
				fmt.Fprintf(stdout, "  kernel (step %d): %s\n", r.Step, r.Line)
			}
			before := c.Result.Compared
			fmt.Fprintf(stdout, "  steps compared: %d, NScaba/tree mismatches before the report: %d\n", before, boolInt(c.Result.FailStep > 0))
			if c.Result.FailStep > 0 || len(c.Result.Errors) > 0 {
				fmt.Fprint(stdout, indent(c.Result.Text()))
			}
		}
		bad := 0
		for i := range fr.Walks {
			w := &fr.Walks[i]
			if w.FailStep > 0 || (w.FirstReport > 0 && len(w.Errors) > 0) {
				bad++
				if bad <= 5 {
					fmt.Fprintf(stdout, "\nMISMATCH in %s", w.Text())
				}
			}
		}
		withReport := 0
		for _, w := range fr.Walks {
			if w.FirstReport > 0 {
				withReport++
			}
		}
		fmt.Fprintf(stdout, "\n%s %s: %d walks + %d counterexamples, %d steps compared, %d mismatches, %d kernel report lines (%d walks with a report, %d not predicted by the model); %d boot(s), %s under qemu\n",
			res.Revision, fr.Kernel.Flavor, len(fr.Walks), len(fr.Cex), fr.Steps, fr.Mismatches, fr.Reports, withReport, fr.Unexpected, fr.Boots, fr.Boot.Elapsed.Round(100*time.Millisecond))
		if fr.ConsoleLog != "" {
			fmt.Fprintf(stdout, "console log: %s\n", fr.ConsoleLog)
		}
		if fr.Mismatches > 0 || fr.Unexpected > 0 {
			code = exitViolation
		}
		if res.Revision == "fixed" && fr.Reports > 0 {
			code = exitViolation
		}
	}
	return code
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
