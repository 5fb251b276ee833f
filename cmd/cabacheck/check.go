package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"cabacheck/check"
	"cabacheck/explorer"
	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/spec/toy"
)

// check.Report is the JSON output of check.

// checkTarget is what check explores: the model, its checker, and the
// header fields of the report.
type checkTarget struct {
	model   spec.Model
	checker spec.Checker
	report  check.Report
}

// linuxOnly are the flags the toy model has no use for.
var linuxOnly = []string{"revision", "revision-file", "actions", "invariants"}

func runCheck(args []string, stdout, stderr io.Writer) (code int) {
	fs := newFlags("check")
	mf := addModelFlags(fs, "", "threads,clone-parent,exec,subreaper")
	invList := fs.String("invariants", "all", "invariants to check: names or groups ("+strings.Join(invariants.Groups(), ", ")+"), comma-separated")
	cont := fs.Bool("continue", false, "record the first violation of each invariant and keep exploring")
	asJSON := fs.Bool("json", false, "print one JSON object on stdout instead of the text report")
	traceOut := fs.String("trace-out", "", "write the counterexample(s) to FILE (.json: a JSON list, .itf.json: ITF (Apalache/Quint), .dot: Graphviz, one graph per step, .html: a self-contained report page, else text)")
	wf := addWorkersFlag(fs)
	bf := addBudgetFlags(fs, true)
	progress := fs.Duration("progress", 5*time.Second, "interval between progress lines on stderr, at most 200ms on a terminal, which shows a bar (0: none)")
	statsOut := fs.String("stats-out", "", "write per-level statistics to FILE as JSON lines")
	coverage := fs.Bool("coverage", false, "count, per action, the states that enabled it, the successors it generated and the new states it found (TLC's -coverage); warn of actions never enabled")
	sf := addScaleFlags(fs)
	if c := parseCommand(fs, args, stdout, stderr, 0, sf, wf, bf); c >= 0 {
		return c
	}
	if *progress < 0 {
		return usageError(stderr, "check", errors.New("--progress must not be negative"))
	}
	target, err := checkTargetFor(sf.model, mf, *invList, fs.Changed)
	if err != nil {
		return usageError(stderr, "check", err)
	}
	if *traceOut != "" {
		if err := checkWritable(*traceOut); err != nil {
			return usageError(stderr, "check", fmt.Errorf("--trace-out: %w", err))
		}
	}
	var stats *statsWriter
	statLevels := 0
	if *statsOut != "" {
		if stats, err = newStatsWriter(*statsOut); err != nil {
			return usageError(stderr, "check", fmt.Errorf("--stats-out: %w", err))
		}
		defer func() {
			if err := stats.Close(); err != nil {
				fmt.Fprintf(stderr, "cabacheck check: --stats-out: %v\n", err)
				code = exitUsage
				return
			}
			fmt.Fprintf(stderr, "cabacheck check: wrote the statistics of %d level(s) to %s\n", statLevels, *statsOut)
		}()
	}
	ctx, stop := stopContext()
	defer stop()

	names := target.checker.Names()
	req := check.Request{
		Model: target.model, Symmetry: sf.symmetry, Checker: target.checker, Continue: *cont,
		MaxDepth: bf.maxDepth, Budget: bf.budget, Workers: wf.n, Store: sf.spec, Context: ctx,
		Coverage: *coverage,
	}
	if stats != nil {
		req.Level = func(ls explorer.LevelStats) {
			stats.Write(ls)
			statLevels++
		}
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "cabacheck: %s\n", describeModel(target.model))
		fmt.Fprintf(stdout, "Checking %d invariant(s): %s; %d worker(s).\n", len(names), strings.Join(names, ", "), wf.n)
	}
	var bar *searchProgress
	if *progress > 0 {
		// The total is predicted from the smaller bounds, run first.
		total := 0.0
		if lm, ok := target.model.(*linux.Model); ok {
			total = predictCheck(ctx, lm.Options(), sf.symmetry, wf.n, bf.maxDepth)
		}
		tty := isTerminal(stderr)
		bar = newSearchProgress(stderr, tty, "", total)
		req.ProgressEvery = *progress
		if tty {
			req.ProgressEvery = min(*progress, barRefresh)
		}
		req.Progress = bar.update
	}
	res, err := check.Run(req)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck check: %v\n", err)
		return exitUsage
	}
	code = exitCodeFor(res.Result)
	// The report is printed before the trace file is written, so that a
	// failing write loses nothing of the search.
	defer func() {
		if *traceOut == "" {
			return
		}
		if len(res.Counterexamples) == 0 {
			fmt.Fprintf(stderr, "cabacheck check: no counterexample, %s not written\n", *traceOut)
			return
		}
		if err := writeTraces(*traceOut, res.Counterexamples); err != nil {
			fmt.Fprintf(stderr, "cabacheck check: --trace-out: %v\n", err)
			code = exitUsage
			return
		}
		fmt.Fprintf(stderr, "cabacheck check: wrote %d counterexample(s) to %s\n", len(res.Counterexamples), *traceOut)
	}()
	if *asJSON {
		rep := target.report
		rep.Invariants, rep.Workers, rep.Symmetry = names, wf.n, sf.symmetry
		rep.DistinctStates, rep.StatesGen, rep.Depth, rep.Complete = res.Distinct, res.Generated, res.Depth, res.Complete
		rep.StopReason, rep.Budget, rep.ElapsedSeconds = res.StopReason, res.Budget, res.Elapsed.Seconds()
		rep.StatesPerSec = float64(res.Distinct) / res.Elapsed.Seconds()
		rep.Collision = map[string]string{
			"optimistic":          fmt.Sprintf("%.2g", res.CollisionOptimistic),
			"actual_fingerprints": fmt.Sprintf("%.2g", res.CollisionActual),
		}
		rep.Coverage = res.ActionCoverage
		rep.Violations = []check.ReportViolation{}
		for _, ce := range res.Counterexamples {
			rep.Violations = append(rep.Violations, check.ViolationOf(ce))
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "cabacheck check: %v\n", err)
			code = exitUsage
		}
		return code
	}
	check.WriteReport(stdout, res.Summary())
	if res.ActionCoverage != nil {
		printCoverage(stdout, stderr, res)
	}
	return code
}

// checkWritable reports whether path can be written, before a long search
// whose result would go there; it leaves no file behind that was not there.
func checkWritable(path string) error {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if os.IsNotExist(statErr) {
		return os.Remove(path)
	}
	return nil
}

// checkTargetFor builds the model and checker the flags ask for.
func checkTargetFor(model string, mf *modelFlags, invList string, changed func(string) bool) (checkTarget, error) {
	if model == "toy" {
		for _, n := range linuxOnly {
			if changed(n) {
				return checkTarget{}, fmt.Errorf("--%s applies to the linux model only", n)
			}
		}
		m, err := toy.New(mf.tasks)
		if err != nil {
			return checkTarget{}, err
		}
		return checkTarget{model: m, checker: toy.Checker{}, report: check.Report{Model: "toy", Tasks: mf.tasks}}, nil
	}
	if err := mf.validate(); err != nil {
		return checkTarget{}, err
	}
	invs, err := invariants.SelectFor(invList, mf.opt.Revision, mf.opt.Actions)
	if err != nil {
		return checkTarget{}, fmt.Errorf("--invariants: %w", err)
	}
	m, err := linux.New(mf.opt)
	if err != nil {
		return checkTarget{}, err
	}
	o := mf.opt
	return checkTarget{model: m, checker: invariants.NewChecker(o.Tasks, invs),
		report: check.Report{Model: "linux", Tasks: o.Tasks, Revision: o.Revision.String(), Actions: o.Actions.String()}}, nil
}

func describeModel(m spec.Model) string {
	if d, ok := m.(spec.Describer); ok {
		return d.Describe()
	}
	return m.Name()
}

// commas formats n with thousands separators, as TLC does.
func commas(n uint64) string { return check.Commas(n) }

// printCoverage prints the action coverage as a table (TLC's -coverage
// gives, per action, the states found and the distinct states), then warns
// on stderr of every action no state enabled.
func printCoverage(w, warn io.Writer, res *check.Result) {
	c := res.ActionCoverage
	fmt.Fprintf(w, "\nAction coverage (enabled: states in which the action was enabled; taken: successors it generated; new: new distinct states it found):\n")
	rows := [][4]string{{"action", "enabled", "taken", "new"}}
	for _, a := range c.Actions {
		rows = append(rows, [4]string{a.Action, commas(a.Enabled), commas(a.Taken), commas(a.New)})
	}
	var width [4]int
	for _, r := range rows {
		for i, f := range r {
			width[i] = max(width[i], len(f))
		}
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %*s  %*s  %*s\n", width[0], r[0], width[1], r[1], width[2], r[2], width[3], r[3])
	}
	if !c.Listed {
		fmt.Fprintf(w, "(the model does not list its actions: only those taken are shown, and one never enabled cannot be named)\n")
	}
	for _, name := range c.NeverEnabled() {
		if res.Complete {
			fmt.Fprintf(warn, "cabacheck check: warning: action %s was never enabled: a wrong guard?\n", name)
		} else {
			fmt.Fprintf(warn, "cabacheck check: warning: action %s was never enabled in the %d level(s) explored (the search stopped early: %s)\n", name, res.Depth, res.StopReason)
		}
	}
}
