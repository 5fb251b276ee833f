package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"cabacheck/check"
	"cabacheck/invariants"
	"cabacheck/simulate"
	"cabacheck/spec"
	"cabacheck/spec/linux"
)

// simulateReport is the JSON output of simulate.
type simulateReport struct {
	Model          string               `json:"model"`
	Tasks          int                  `json:"tasks"`
	Revision       string               `json:"revision"`
	Actions        string               `json:"actions"`
	Invariants     []string             `json:"invariants"`
	Seed           uint64               `json:"seed"`
	Depth          int                  `json:"depth"`
	Swarm          bool                 `json:"swarm"`
	Workers        int                  `json:"workers"`
	Walks          int                  `json:"walks"`
	Steps          uint64               `json:"steps"`
	States         uint64               `json:"states_checked"`
	Distinct       uint64               `json:"distinct_states_estimate"`
	DeadEnds       int                  `json:"dead_ends"`
	LongestWalk    int                  `json:"longest_walk"`
	StopReason     string               `json:"stop_reason"`
	ElapsedSeconds float64              `json:"elapsed_seconds"`
	ShrinkSeconds  float64              `json:"shrink_seconds"`
	WalksPerSec    float64              `json:"walks_per_second"`
	StatesPerSec   float64              `json:"states_per_second"`
	Fired          map[string]uint64    `json:"fired"`
	Violations     []simViolationReport `json:"violations"`
}

// simViolationReport is a violation as check reports it, plus where the
// walks found it and how far it was shortened.
type simViolationReport struct {
	check.ReportViolation
	Walk        int               `json:"walk"`
	FoundLength int               `json:"found_length"`
	Replays     int               `json:"replays"`
	Weights     map[string]uint64 `json:"weights"`
}

func runSimulate(args []string, stdout, stderr io.Writer) (code int) {
	fs := newFlags("simulate")
	mf := addModelFlags(fs, "", linux.DefaultActions.String())
	invList := fs.String("invariants", "all", "invariants to check on every state: names or groups ("+strings.Join(invariants.Groups(), ", ")+"), comma-separated")
	seed := fs.Uint64("seed", 1, "random seed: walk i draws from a stream of (seed, i) alone")
	walks := fs.Int("walks", 10000, "walks to run (numbered 0..N-1)")
	depth := fs.Int("depth", 100, "steps per walk at most")
	swarm := fs.Bool("swarm", true, "draw a random weight per action kind for each walk (swarm); false: uniform choice")
	maxTime := fs.Duration("max-time", 0, "stop after this much time, at a batch of walks' end (0: no limit)")
	asJSON := fs.Bool("json", false, "print one JSON object on stdout instead of the text report")
	traceOut := fs.String("trace-out", "", "write the shortened counterexample(s) to FILE (.json: a JSON list, .itf.json: ITF, .dot: Graphviz, else text)")
	wf := addWorkersFlag(fs)
	if c := parseCommand(fs, args, stdout, stderr, 0, wf); c >= 0 {
		return c
	}
	switch {
	case *walks < 1:
		return usageError(stderr, "simulate", fmt.Errorf("--walks %d: want at least 1", *walks))
	case *depth < 1:
		return usageError(stderr, "simulate", fmt.Errorf("--depth %d: want at least 1", *depth))
	case *maxTime < 0:
		return usageError(stderr, "simulate", errors.New("--max-time must not be negative"))
	}
	target, err := checkTargetFor("linux", mf, *invList, fs.Changed)
	if err != nil {
		return usageError(stderr, "simulate", err)
	}
	if *traceOut != "" {
		if err := checkWritable(*traceOut); err != nil {
			return usageError(stderr, "simulate", fmt.Errorf("--trace-out: %w", err))
		}
	}
	ctx, stop := stopContext()
	defer stop()
	names := target.checker.Names()
	cfg := simulate.Config{Seed: *seed, Walks: *walks, Depth: *depth, Workers: wf.n, Swarm: *swarm,
		Checker: target.checker, MaxTime: *maxTime, Context: ctx}
	if !*asJSON {
		mode := "swarm"
		if !*swarm {
			mode = "uniform"
		}
		fmt.Fprintf(stdout, "cabacheck: %s\n", describeModel(target.model))
		fmt.Fprintf(stdout, "Simulating %s walk(s) of up to %d steps, seed %d, %s choice; checking %d invariant(s) on every state: %s; %d worker(s).\n",
			commas(uint64(*walks)), *depth, *seed, mode, len(names), strings.Join(names, ", "), wf.n)
	}
	res, err := simulate.Run(target.model, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck simulate: %v\n", err)
		return exitUsage
	}
	ces, err := simCounterexamples(target.model, target.checker, res.Violations)
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck simulate: %v\n", err)
		return exitUsage
	}
	code = simExitCode(res)
	// As in check: the report first, then the trace file.
	defer func() {
		if *traceOut == "" {
			return
		}
		if len(ces) == 0 {
			fmt.Fprintf(stderr, "cabacheck simulate: no counterexample, %s not written\n", *traceOut)
			return
		}
		if err := writeTraces(*traceOut, ces); err != nil {
			fmt.Fprintf(stderr, "cabacheck simulate: --trace-out: %v\n", err)
			code = exitUsage
			return
		}
		fmt.Fprintf(stderr, "cabacheck simulate: wrote %d counterexample(s) to %s\n", len(ces), *traceOut)
	}()
	if *asJSON {
		rep := simulateReport{Model: target.report.Model, Tasks: target.report.Tasks, Revision: target.report.Revision,
			Actions: target.report.Actions, Invariants: names, Seed: *seed, Depth: *depth, Swarm: *swarm, Workers: wf.n,
			Walks: res.Walks, Steps: res.Steps, States: res.States, Distinct: res.Distinct, DeadEnds: res.DeadEnds,
			LongestWalk: res.MaxDepth, StopReason: res.StopReason, ElapsedSeconds: res.Elapsed.Seconds(), ShrinkSeconds: res.Shrinking.Seconds(),
			WalksPerSec: perSecond(uint64(res.Walks), res.Elapsed), StatesPerSec: perSecond(res.States, res.Elapsed),
			Fired: kindMap(res.Fired), Violations: []simViolationReport{}}
		for i, ce := range ces {
			v := res.Violations[i]
			rep.Violations = append(rep.Violations, simViolationReport{
				ReportViolation: check.ViolationOf(ce),
				Walk:            v.Walk, FoundLength: len(v.Found), Replays: v.Replays, Weights: kindMap(v.Weights)})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "cabacheck simulate: %v\n", err)
			code = exitUsage
		}
		return code
	}
	printSimulateReport(stdout, res, ces)
	return code
}

// simExitCode is simulate's exit code, as check's: a violation wins over
// the time budget, which wins over an interruption.
func simExitCode(res *simulate.Result) int {
	switch {
	case len(res.Violations) > 0:
		return exitViolation
	case res.StopReason == "max-time":
		return exitBudget
	case res.StopReason == "interrupted":
		return exitStopped
	}
	return exitOK
}

// simCounterexamples turns the shortened violations into the traces check
// prints and writes (check.NewCounterexample).
func simCounterexamples(m spec.Model, ch spec.Checker, vs []simulate.Violation) ([]check.Counterexample, error) {
	var ces []check.Counterexample
	for _, v := range vs {
		ce, err := check.NewCounterexample(m, ch, v.Invariant, v.Shortened)
		if err != nil {
			return nil, fmt.Errorf("walk %d: %w", v.Walk, err)
		}
		ces = append(ces, ce)
	}
	return ces, nil
}

// printSimulateReport prints the counterexamples, the summary with the
// rates, and how often each action kind fired.
func printSimulateReport(w io.Writer, res *simulate.Result, ces []check.Counterexample) {
	for i, ce := range ces {
		v := res.Violations[i]
		fmt.Fprintf(w, "\nError: Invariant %s is violated. Found by walk %d in %d steps, shortened to %d steps (%s replays).\n",
			ce.Invariant, v.Walk, len(v.Found), ce.Trace.Len(), commas(uint64(v.Replays)))
		fmt.Fprint(w, ce.Trace.Text())
		fmt.Fprintf(w, "\nWalk %d's action weights: %s\n", v.Walk, weightList(v.Weights))
	}
	switch res.StopReason {
	case "violation":
		fmt.Fprintf(w, "\nSimulation stopped at the first violation, after %s.\n", walksRun(res.Walks))
	case "max-time":
		fmt.Fprintf(w, "\nSimulation stopped by the --max-time budget after %s (rerun with --walks %d to repeat them). No error has been found.\n", walksRun(res.Walks), res.Walks)
	case "interrupted":
		fmt.Fprintf(w, "\nSimulation interrupted after %s. No error has been found.\n", walksRun(res.Walks))
	default:
		fmt.Fprintf(w, "\nSimulation completed. No error has been found.\n")
	}
	fmt.Fprintf(w, "%s walks, %s steps, %s states checked, about %s distinct (HyperLogLog estimate); %s walk(s) ended in a dead end; longest walk %d steps.\n",
		commas(uint64(res.Walks)), commas(res.Steps), commas(res.States), commas(res.Distinct), commas(uint64(res.DeadEnds)), res.MaxDepth)
	shrink := ""
	if len(ces) > 0 {
		shrink = fmt.Sprintf("; shortening took %s", res.Shrinking.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "Walked in %s (%s walks/s, %s states/s)%s; finished at %s\n", res.Elapsed.Round(time.Millisecond),
		commas(uint64(perSecond(uint64(res.Walks), res.Elapsed))), commas(uint64(perSecond(res.States, res.Elapsed))),
		shrink, time.Now().Format("2006-01-02 15:04:05"))
	fmt.Fprintf(w, "\nActions taken:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "action\tsteps\tshare\t\n")
	for _, k := range res.Fired {
		share := 0.0
		if res.Steps > 0 {
			share = 100 * float64(k.Count) / float64(res.Steps)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f%%\t\n", k.Name, commas(k.Count), share)
	}
	fmt.Fprintf(tw, "total\t%s\t\t\n", commas(res.Steps))
	tw.Flush()
}

// walksRun names the walks a stopped run ran: always the first n.
func walksRun(n int) string {
	switch n {
	case 0:
		return "no walk"
	case 1:
		return "walk 0"
	}
	return fmt.Sprintf("walks 0..%d", n-1)
}

func perSecond(n uint64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func kindMap(ks []simulate.KindCount) map[string]uint64 {
	m := make(map[string]uint64, len(ks))
	for _, k := range ks {
		m[k.Name] = k.Count
	}
	return m
}

func weightList(ks []simulate.KindCount) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = fmt.Sprintf("%s=%d", k.Name, k.Count)
	}
	return strings.Join(parts, " ")
}
