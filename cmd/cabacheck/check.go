package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/dustin/go-humanize"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"cabacheck/explorer"
	"cabacheck/invariants"
	"cabacheck/spec/linux"
	"cabacheck/traces"
)

// checkReport is the JSON output of check.
type checkReport struct {
	Model          string            `json:"model"`
	Tasks          int               `json:"tasks"`
	Revision       string            `json:"revision"`
	Actions        string            `json:"actions"`
	Invariants     []string          `json:"invariants"`
	Workers        int               `json:"workers"`
	DistinctStates uint64            `json:"distinct_states"`
	StatesGen      uint64            `json:"states_generated"`
	Depth          int               `json:"depth"`
	Complete       bool              `json:"complete"`
	StopReason     string            `json:"stop_reason"`
	Budget         string            `json:"budget,omitempty"`
	ElapsedSeconds float64           `json:"elapsed_seconds"`
	StatesPerSec   float64           `json:"distinct_states_per_second"`
	Collision      map[string]string `json:"collision_probability"`
	Violations     []violationReport `json:"violations"`
}

type violationReport struct {
	Invariant string           `json:"invariant"`
	Length    int              `json:"length"`
	Summary   string           `json:"summary"`
	Trace     traces.TraceJSON `json:"trace"`
}

func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check")
	mf := addModelFlags(fs)
	invList := fs.String("invariants", "all", "invariants to check: names or groups (sanity, caba, all), comma-separated")
	cont := fs.Bool("continue", false, "record the first violation of each invariant and keep exploring")
	asJSON := fs.Bool("json", false, "print one JSON object on stdout instead of the text report")
	traceOut := fs.String("trace-out", "", "write the counterexample(s) to FILE (.json: JSON, .dot: Graphviz, else text)")
	workers := fs.Int("workers", defaultWorkers(), "worker goroutines (results do not depend on it)")
	maxDepth := fs.Int("max-depth", 0, "stop after this many BFS levels (0: no limit)")
	progress := fs.Duration("progress", 5*time.Second, "interval between progress lines on stderr (0: none)")
	bf := addBudgetFlags(fs)
	statsOut := fs.String("stats-out", "", "write per-level statistics to FILE as JSON lines")
	sf := addScaleFlags(fs)
	if c := parseFlags(fs, args, stdout, stderr); c >= 0 {
		return c
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "check", fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if err := sf.validate(); err != nil {
		return usageError(stderr, "check", err)
	}
	if sf.model == "toy" {
		b, err := bf.parse()
		if err != nil {
			return usageError(stderr, "check", err)
		}
		return runCheckToy(sf, toyRun{maxp: mf.tasks, workers: *workers, maxDepth: *maxDepth, cont: *cont, asJSON: *asJSON,
			traceOut: *traceOut, progress: *progress, budget: b, stats: *statsOut}, stdout, stderr)
	}
	opt, err := mf.options()
	if err != nil {
		return usageError(stderr, "check", err)
	}
	invs, err := invariants.Select(*invList, opt.Revision)
	if err != nil {
		return usageError(stderr, "check", fmt.Errorf("--invariants: %w", err))
	}
	if *workers < 1 || *workers > 256 {
		return usageError(stderr, "check", fmt.Errorf("--workers %d is outside 1..256", *workers))
	}
	if *maxDepth < 0 {
		return usageError(stderr, "check", fmt.Errorf("--max-depth must not be negative"))
	}
	if *traceOut != "" {
		if dir := filepath.Dir(*traceOut); dir != "" {
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return usageError(stderr, "check", fmt.Errorf("--trace-out: directory %q does not exist", dir))
			}
		}
	}
	budget, err := bf.parse()
	if err != nil {
		return usageError(stderr, "check", err)
	}
	model, err := linux.New(opt)
	if err != nil {
		return usageError(stderr, "check", err)
	}
	explored, err := sf.linuxModel(opt)
	if err != nil {
		return usageError(stderr, "check", err)
	}
	var stats *statsWriter
	if *statsOut != "" {
		if stats, err = newStatsWriter(*statsOut); err != nil {
			return usageError(stderr, "check", fmt.Errorf("--stats-out: %w", err))
		}
		defer stats.Close()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var names []string
	for _, inv := range invs {
		names = append(names, inv.Name)
	}
	cfg := explorer.Config{
		Workers:  *workers,
		Checker:  invariants.NewChecker(opt.Tasks, invs),
		Continue: *cont,
		MaxDepth: *maxDepth,
		Context:  ctx,
	}
	budget.apply(&cfg)
	closeStore, err := sf.openStore(&cfg, explored, names)
	if err != nil {
		return usageError(stderr, "check", err)
	}
	defer closeStore()
	if stats != nil {
		cfg.Level = stats.Write
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "cabacheck: linux task model, revision %s, %d tasks, actions %s\n", opt.Revision, opt.Tasks, opt.Actions)
		fmt.Fprintf(stdout, "Checking %d invariant(s): %s; %d worker(s).\n", len(names), strings.Join(names, ", "), *workers)
	}
	if *progress > 0 {
		cfg.ProgressEvery = *progress
		cfg.Progress = func(p explorer.Progress) {
			if p.Done {
				return
			}
			fmt.Fprintf(stderr, "Progress(%d) at %s: %s states generated (%s s/min), %s distinct states found, %s states left on queue.\n",
				p.Level, time.Now().Format("2006-01-02 15:04:05"), commas(p.Generated),
				commas(uint64(float64(p.Generated)/p.Elapsed.Minutes())), commas(p.Distinct), commas(p.Queue))
		}
	}
	search, err := explorer.Run(explored, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck check: %v\n", err)
		return exitUsage
	}
	res := search.Result

	var trs []*traces.Trace
	for _, v := range res.Violations {
		acts, err := concretePath(search, v.State)
		if err != nil {
			fmt.Fprintf(stderr, "cabacheck check: rebuilding the trace: %v\n", err)
			return exitUsage
		}
		tr, err := traces.Build(model, acts)
		if err != nil {
			fmt.Fprintf(stderr, "cabacheck check: internal error rebuilding the trace: %v\n", err)
			return exitUsage
		}
		inv, _ := invariants.ByName(v.Invariant, opt.Revision)
		tr.Explain(inv)
		trs = append(trs, tr)
	}
	if *traceOut != "" && len(trs) > 0 {
		if err := writeTraces(*traceOut, trs); err != nil {
			fmt.Fprintf(stderr, "cabacheck check: --trace-out: %v\n", err)
			return exitUsage
		}
	}
	code := exitCodeFor(res)
	if *asJSON {
		rep := checkReport{
			Model: "linux", Tasks: opt.Tasks, Revision: opt.Revision.String(), Actions: opt.Actions.String(),
			Invariants: names, Workers: *workers, DistinctStates: res.Distinct, StatesGen: res.Generated,
			Depth: res.Depth, Complete: res.Complete, StopReason: res.StopReason, Budget: res.Budget, ElapsedSeconds: res.Elapsed.Seconds(),
			StatesPerSec: float64(res.Distinct) / res.Elapsed.Seconds(),
			Collision: map[string]string{
				"optimistic":          fmt.Sprintf("%.2g", res.CollisionOptimistic),
				"actual_fingerprints": fmt.Sprintf("%.2g", res.CollisionActual),
			},
			Violations: []violationReport{},
		}
		for _, tr := range trs {
			rep.Violations = append(rep.Violations, violationReport{Invariant: tr.Invariant, Length: tr.Len(), Summary: tr.Summary(), Trace: tr.JSON()})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "cabacheck check: %v\n", err)
			return exitUsage
		}
		return code
	}
	for _, tr := range trs {
		fmt.Fprintf(stdout, "\nError: Invariant %s is violated. Shortest trace: %d steps.\n", tr.Invariant, tr.Len())
		fmt.Fprint(stdout, tr.Text())
	}
	switch {
	case len(trs) > 0 && res.Complete:
		fmt.Fprintf(stdout, "\nModel checking completed. %d invariant(s) violated.\n", len(trs))
	case len(trs) > 0:
		fmt.Fprintf(stdout, "\nModel checking stopped at the first violation (use --continue to check on).\n")
	case res.Complete:
		fmt.Fprintf(stdout, "\nModel checking completed. No error has been found.\n")
	case res.Budget != "":
		fmt.Fprintf(stdout, "\nModel checking stopped by the --%s budget. No error has been found so far; partial statistics are kept.\n", res.Budget)
	default:
		fmt.Fprintf(stdout, "\nModel checking stopped (%s). No error has been found so far.\n", res.StopReason)
	}
	fmt.Fprintf(stdout, "  Estimates of the probability that cabacheck did not check all reachable states\n  because two distinct states had the same fingerprint:\n")
	fmt.Fprintf(stdout, "  calculated (optimistic):  val = %.2g\n  based on the actual fingerprints:  val = %.2g\n", res.CollisionOptimistic, res.CollisionActual)
	left := uint64(0)
	if !res.Complete && len(res.Levels) > 0 {
		left = res.Levels[len(res.Levels)-1].New
	}
	fmt.Fprintf(stdout, "%s states generated, %s distinct states found, %s states left on queue.\n", commas(res.Generated), commas(res.Distinct), commas(left))
	if res.Complete {
		fmt.Fprintf(stdout, "The depth of the complete state graph search is %d.\n", res.Depth)
	} else {
		fmt.Fprintf(stdout, "The search reached depth %d.\n", res.Depth)
	}
	fmt.Fprintf(stdout, "Finished in %s (%s distinct states/s) at %s\n", res.Elapsed.Round(time.Millisecond), commas(uint64(float64(res.Distinct)/res.Elapsed.Seconds())), time.Now().Format("2006-01-02 15:04:05"))
	return code
}

func writeTraces(path string, trs []*traces.Trace) error {
	var data []byte
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		var js []traces.TraceJSON
		for _, tr := range trs {
			js = append(js, tr.JSON())
		}
		var err error
		if len(js) == 1 {
			data, err = json.MarshalIndent(js[0], "", "  ")
		} else {
			data, err = json.MarshalIndent(js, "", "  ")
		}
		if err != nil {
			return err
		}
	case ".dot":
		for _, tr := range trs {
			data = append(data, tr.DOT()...)
		}
	default:
		for _, tr := range trs {
			data = append(data, tr.Text()...)
		}
	}
	return os.WriteFile(path, data, 0o644)
}

// commas formats n with thousands separators, as TLC does.
func commas(n uint64) string { return humanize.Comma(int64(n)) }
