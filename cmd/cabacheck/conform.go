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
		fmt.Fprintln(stdout, "       cabacheck conform host --actions default,pidns   (pid namespaces: NSpid read from the walk's namespace and inside each one)")
		fmt.Fprintln(stdout, "       cabacheck conform vm --revision "+strings.ReplaceAll(linux.RevisionNames(), ", ", "|")+" [--walks N]")
		fmt.Fprintln(stdout, "       cabacheck conform vm ... --trace T.json   (also replay traces; the kernel's revision judges them)")
		fmt.Fprintln(stdout, "       cabacheck conform replay [--tasks K] [--revision R] FILE   (FILE: .steps, model actions, a scenario or a JSON trace)")
		fmt.Fprintln(stdout, "\nReplays model walks on a real kernel with the C harness (kernel/harness) and compares")
		fmt.Fprintln(stdout, "the settled state after every step with the model; every walk also performs a sample of")
		fmt.Fprintln(stdout, "the calls the model refuses, which the kernel must refuse. Each trace, counterexample")
		fmt.Fprintln(stdout, "and mismatching walk ends in one verdict line (REPRODUCED at step k / NOT REPRODUCED /")
		fmt.Fprintln(stdout, "AGREE / DISAGREE). replay without --revision compares the base semantics (no caba);")
		fmt.Fprintln(stdout, "with --revision the kernel must have the CABA patch (exit 2 otherwise). See kernel/README.md.")
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
	verdicts := map[string]int{}
	for i := range res.Results {
		v := kernel.Judge(&res.Results[i], kernel.Prediction{})
		verdicts[strings.SplitN(v.String(), ":", 2)[0]]++
		if v.Failed() {
			fmt.Fprintf(stdout, "\nMISMATCH in %sverdict: %s\n", res.Results[i].Text(), v)
		}
	}
	fmt.Fprintf(stdout, "\n%d walks, %d steps compared, %d mismatches (%s)\n", res.Walks, res.Steps, res.Mismatches, res.Elapsed.Round(time.Millisecond))
	printStepStats(stdout, res.Steps, &res.Stats)
	fmt.Fprintf(stdout, "verdicts: %s\n", kernel.Counts(verdicts))
	if res.Mismatches > 0 {
		fmt.Fprintf(stdout, "reproducers saved in %s/\n", *outDir)
		return exitViolation
	}
	return exitOK
}

// printStepStats says what the compared steps checked.
func printStepStats(w io.Writer, steps int, st *kernel.StepStats) {
	fmt.Fprintf(w, "steps by op: %s\n", kernel.Counts(st.Ops))
	fmt.Fprintf(w, "steps that observe something: %d of %d (a changed snapshot, a checked return, or a refusal that must change nothing); %d change state/tgid/ppid/real_parent/caba alone\n",
		st.Observing, steps, st.ObservingBase)
	fmt.Fprintf(w, "steps that observe nothing: %d (%s)\n", steps-st.Observing, kernel.Counts(st.Blind))
	pct := 0.0
	if steps > 0 {
		pct = 100 * float64(st.Refused) / float64(steps)
	}
	fmt.Fprintf(w, "refused by the model, performed anyway: %d of %d steps (%.1f%%): %d returned an error and changed nothing, %d returned 0 or succeeded and changed nothing: %s\n",
		st.Refused, steps, pct, st.Refused-st.NoOp, st.NoOp, kernel.Counts(st.RefusedBy))
	if st.Zaps > 0 {
		fmt.Fprintf(w, "namespace inits whose exit zapped their namespace: %d steps, %d tasks killed (zap_pid_ns_processes runs inside the exit: its windows cannot be forced)\n", st.Zaps, st.ZapKilled)
	}
}

// runConformReplay replays one file on the running kernel. Without
// --revision the model is the base semantics (the kernel's NScaba, if any,
// is not compared); with --revision (or --revision-file) the kernel must
// print NScaba, which is then compared through that revision's view, and a
// kernel without the CABA patch is refused (exit 2) rather than reported as
// agreeing on caba. It ends in one verdict line.
func runConformReplay(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("conform replay")
	mf := addModelFlags(fs, "", "all")
	fs.Lookup("tasks").DefValue = "6"
	_ = fs.Set("tasks", "6")
	fs.Lookup("revision").Usage = revisionHelp(false) + " (compare NScaba through it; the kernel must have the CABA patch; default: base semantics, caba not compared)"
	if c := parseCommand(fs, args, stdout, stderr, 1, mf); c >= 0 {
		return c
	}
	if fs.NArg() != 1 {
		return usageError(stderr, "conform replay", fmt.Errorf("want one FILE of steps"))
	}
	path := fs.Arg(0)
	opt := mf.opt
	if tasks, acts, ok := kernel.ScenarioConfig(path); ok {
		// a scenario brings its own bounds
		if !fs.Changed("tasks") && tasks > opt.Tasks {
			opt.Tasks = tasks
		}
		if !fs.Changed("actions") {
			opt.Actions = acts
		}
	}
	if err := kernel.CanRunHost(); err != nil {
		fmt.Fprintf(stderr, "cabacheck conform replay: %v\n", err)
		return exitUsage
	}
	hasCaba, err := kernel.HasCaba()
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck conform replay: %v\n", err)
		return exitUsage
	}
	revGiven := fs.Changed("revision") || fs.Changed("revision-file")
	var m *linux.Model
	view := kernel.CabaNone
	if revGiven {
		if !hasCaba {
			return usageError(stderr, "conform replay", fmt.Errorf("the kernel has no CABA patch; --revision %s cannot be checked (leave --revision out to compare the base semantics, or run it under qemu: conform vm --revision %s --trace FILE)", opt.Revision, opt.Revision))
		}
		if m, err = linux.New(opt); err != nil {
			return usageError(stderr, "conform replay", err)
		}
		view = kernel.ViewFor(opt.Revision)
		fmt.Fprintf(stdout, "model: revision %s, %d tasks, actions %s; NScaba compared (as %s)\n", opt.Revision, opt.Tasks, opt.Actions, opt.Revision.Def().NScaba)
	} else {
		if m, err = kernel.HostModel(opt.Tasks, opt.Actions); err != nil {
			return usageError(stderr, "conform replay", err)
		}
		why := "the kernel has no CABA patch"
		if hasCaba {
			why = "no --revision given (the kernel prints NScaba: give --revision R to compare it)"
		}
		fmt.Fprintf(stdout, "model: base semantics, %d tasks, actions %s; caba not compared: %s\n", opt.Tasks, opt.Actions, why)
	}
	var sr *kernel.ScenarioReplay
	var w kernel.Walk
	if _, _, ok := kernel.ScenarioConfig(path); ok {
		if sr, err = kernel.LoadScenario(m, path); err != nil {
			return usageError(stderr, "conform replay", err)
		}
		w = sr.Walk
	} else if w, err = kernel.LoadWalk(m, path); err != nil {
		return usageError(stderr, "conform replay", err)
	}
	pred, note, err := kernel.PredictFor(m, w, view)
	if err != nil {
		return usageError(stderr, "conform replay", err)
	}
	fmt.Fprintf(stdout, "%s: %s\n", path, kernel.FormatOps(w.Ops))
	res, err := kernel.RunHost(kernel.HostConfig{Walks: 0, Tasks: opt.Tasks, Actions: opt.Actions, Extra: []kernel.Walk{w}, Model: m, Caba: view})
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck conform replay: %v\n", err)
		return exitUsage
	}
	r := &res.Results[0]
	fmt.Fprint(stdout, r.Text())
	fmt.Fprintf(stdout, "%d steps compared, %d mismatches\n", res.Steps, res.Mismatches)
	printStepStats(stdout, res.Steps, &res.Stats)
	if sr != nil {
		for _, l := range sr.Judge(r, view) {
			fmt.Fprintln(stdout, l)
		}
	}
	if note != "" {
		fmt.Fprintln(stdout, note)
	}
	v := kernel.Judge(r, pred)
	fmt.Fprintf(stdout, "verdict: %s\n", v)
	if !r.OK() || (v.Failed() && pred.Invisible == "") {
		return exitViolation
	}
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
	revFiles := fs.StringArray("revision-file", nil, revisionFileHelp(false)+" (its patch is built and booted; its counterexamples are searched, as --search-cex)")
	actions := fs.String("actions", "all", "optional actions of the random walks: "+linux.ActionNames()+" (or all, default, none; pidns: NScaba also read inside every namespace)")
	if c := parseCommand(fs, args, stdout, stderr, 0); c >= 0 {
		return c
	}
	acts, err := linux.ParseActions(*actions)
	if err != nil {
		return usageError(stderr, "conform vm", err)
	}
	if len(*revFiles) > 0 {
		files, err := registerRevisionFiles(*revFiles)
		if err != nil {
			return usageError(stderr, "conform vm", err)
		}
		if len(files) != 1 {
			return usageError(stderr, "conform vm", fmt.Errorf("--revision-file: conform vm boots one revision, not %d", len(files)))
		}
		if fs.Changed("revision") && *revision != files[0].String() {
			return usageError(stderr, "conform vm", fmt.Errorf("--revision %s and --revision-file %s (revision %s): give one", *revision, (*revFiles)[0], files[0]))
		}
		if files[0].Def().Patch == "" {
			return usageError(stderr, "conform vm", fmt.Errorf("--revision-file %s: the revision has no patch to boot (add patch = \"FILE\")", (*revFiles)[0]))
		}
		*revision = files[0].String()
		*searchCex = true
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
		Jobs: *jobs, Flavors: fl, Log: stdout, OutDir: *outDir, CexTasks: *cexTasks, Timeout: *timeout, NoInstall: *noInstall, SearchCex: *searchCex, TraceFiles: *traceFiles, Actions: acts,
		BuildProgress: buildProgress(stderr)})
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
				fmt.Fprintf(stdout, "  %s\n  verdict: %s\n", c.Prediction, c.Verdict)
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
			if c.Note != "" {
				fmt.Fprintf(stdout, "  %s\n", c.Note)
			}
			fmt.Fprintf(stdout, "  verdict: %s\n", c.Verdict)
		}
		bad := 0
		for i := range fr.Walks {
			w := &fr.Walks[i]
			if w.FailStep > 0 || (w.FirstReport > 0 && len(w.Errors) > 0) {
				bad++
				if bad <= 5 {
					fmt.Fprintf(stdout, "\nMISMATCH in %sverdict: %s\n", w.Text(), kernel.Judge(w, kernel.Prediction{}))
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
		if fr.Mismatches > 0 || fr.Unexpected > 0 || fr.Failed > 0 {
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
