package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"cabacheck/explorer"
	"cabacheck/explorer/badgerstore"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/spec/toy"
)

// scaleFlags choose the model family, the state store and symmetry reduction.
type scaleFlags struct {
	model     string
	store     string
	dir       string
	resume    bool
	symmetry  bool
	memBudget string
}

func addScaleFlags(fs *pflag.FlagSet) *scaleFlags {
	f := &scaleFlags{}
	fs.StringVar(&f.model, "model", "linux", "model: linux (the task model) or toy (the standard benchmark model; --tasks is MAXP)")
	fs.StringVar(&f.store, "store", "memory", "state store: memory, or badger (on disk in --dir; larger than memory, resumable)")
	fs.StringVar(&f.dir, "dir", "", "directory of the badger store")
	fs.BoolVar(&f.resume, "resume", false, "continue the interrupted search saved in --dir (same parameters)")
	fs.BoolVar(&f.symmetry, "symmetry", false, "exact symmetry reduction: explore one state per class of interchangeable tasks (docs/scale.md)")
	fs.StringVar(&f.memBudget, "mem-budget", "", "memory for the in-memory visited set, e.g. 4GiB; past it the search goes on from disk through Badger (in --dir or a temporary directory)")
	return f
}

func (f *scaleFlags) validate() error {
	switch f.model {
	case "linux", "toy":
	default:
		return fmt.Errorf("--model %q: want linux or toy", f.model)
	}
	switch f.store {
	case "memory", "badger":
	default:
		return fmt.Errorf("--store %q: want memory or badger", f.store)
	}
	if f.store == "badger" && f.dir == "" {
		return fmt.Errorf("--store badger needs --dir DIR")
	}
	if f.resume && f.dir == "" {
		return fmt.Errorf("--resume needs --dir DIR (the store of the interrupted search)")
	}
	if f.symmetry && f.model == "toy" {
		return fmt.Errorf("--symmetry is implemented for the linux model only")
	}
	if f.memBudget != "" {
		if _, err := parseBytes(f.memBudget); err != nil {
			return fmt.Errorf("--mem-budget: %w", err)
		}
	}
	return nil
}

// linuxModel builds the Linux model, reduced by symmetry when asked.
func (f *scaleFlags) linuxModel(opt linux.Options) (spec.Model, error) {
	if f.symmetry {
		return linux.NewSymmetric(opt)
	}
	return linux.New(opt)
}

// openStore sets cfg.Store and cfg.Resume for --store, --dir, --resume and
// --mem-budget; the returned function closes the store.
func (f *scaleFlags) openStore(cfg *explorer.Config, model spec.Model, invariants []string) (func(), error) {
	budget := uint64(0)
	if f.memBudget != "" {
		budget, _ = parseBytes(f.memBudget)
	}
	if f.store == "memory" && budget == 0 && !f.resume {
		return func() {}, nil
	}
	dir, temp := f.dir, false
	if dir == "" {
		d, err := os.MkdirTemp("", "cabacheck-store-")
		if err != nil {
			return nil, err
		}
		dir, temp = d, true
	}
	identity := model.Name() + "/invariants=" + strings.Join(invariants, ",")
	st, err := badgerstore.Open(badgerstore.Options{Dir: dir, Identity: identity, Resume: f.resume, MemBudget: budget})
	if err != nil {
		if temp {
			os.RemoveAll(dir)
		}
		return nil, err
	}
	cfg.Store, cfg.Resume = st, f.resume
	return func() {
		st.Close()
		if temp {
			os.RemoveAll(dir)
		}
	}, nil
}

// concretePath returns the actions of a shortest path to state idx, mapped
// back to concrete, creation-ordered tasks when the model is symmetry-reduced.
func concretePath(search *explorer.Search, idx uint32) ([]spec.Action, error) {
	_, acts, err := search.PathErr(idx)
	if err != nil {
		return nil, err
	}
	if sm, ok := search.Model.(*linux.SymmetricModel); ok {
		return sm.Concrete(acts)
	}
	return acts, nil
}

// toyRun is what runCheck passes to runCheckToy.
type toyRun struct {
	maxp     int
	workers  int
	maxDepth int
	cont     bool
	asJSON   bool
	traceOut string
	progress time.Duration
	budget   budget
	stats    string
}

// runCheckToy checks the standard benchmark model (--model toy).
func runCheckToy(f *scaleFlags, r toyRun, stdout, stderr io.Writer) int {
	model, err := toy.New(r.maxp)
	if err != nil {
		return usageError(stderr, "check", err)
	}
	cfg := explorer.Config{Workers: r.workers, Checker: toy.Checker{}, Continue: r.cont, MaxDepth: r.maxDepth}
	r.budget.apply(&cfg)
	if r.stats != "" {
		stats, err := newStatsWriter(r.stats)
		if err != nil {
			return usageError(stderr, "check", fmt.Errorf("--stats-out: %w", err))
		}
		defer stats.Close()
		cfg.Level = stats.Write
	}
	closeStore, err := f.openStore(&cfg, model, toy.InvariantNames)
	if err != nil {
		return usageError(stderr, "check", err)
	}
	defer closeStore()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg.Context = ctx
	if r.progress > 0 {
		cfg.ProgressEvery = r.progress
		cfg.Progress = func(p explorer.Progress) {
			if !p.Done {
				fmt.Fprintf(stderr, "Progress(%d): %s states generated, %s distinct states found, %s states left on queue.\n",
					p.Level, commas(p.Generated), commas(p.Distinct), commas(p.Queue))
			}
		}
	}
	if !r.asJSON {
		fmt.Fprintf(stdout, "cabacheck: standard benchmark model, MAXP=%d; checking ParentNotFree; %d worker(s).\n", r.maxp, r.workers)
	}
	search, err := explorer.Run(model, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck check: %v\n", err)
		return exitUsage
	}
	res := search.Result
	var traces []string
	for _, v := range res.Violations {
		acts, err := concretePath(search, v.State)
		if err != nil {
			fmt.Fprintf(stderr, "cabacheck check: rebuilding the trace: %v\n", err)
			return exitUsage
		}
		var b strings.Builder
		cur := model.InitialStates()[0]
		next := make([]byte, len(cur))
		fmt.Fprintf(&b, "step 0: %s\n", model.FormatState(cur))
		for i, a := range acts {
			model.Apply(cur, a, next)
			cur, next = next, cur
			fmt.Fprintf(&b, "step %d: %s -> %s\n", i+1, model.FormatAction(a), model.FormatState(cur))
		}
		for _, w := range toy.Explain(cur) {
			fmt.Fprintf(&b, "  %s\n", w)
		}
		traces = append(traces, b.String())
	}
	if r.traceOut != "" && len(traces) > 0 {
		if err := os.WriteFile(r.traceOut, []byte(strings.Join(traces, "\n")), 0o644); err != nil {
			fmt.Fprintf(stderr, "cabacheck check: --trace-out: %v\n", err)
			return exitUsage
		}
	}
	code := exitCodeFor(res)
	if r.asJSON {
		rep := checkReport{Model: "toy", Tasks: r.maxp, Invariants: toy.InvariantNames, Workers: r.workers,
			DistinctStates: res.Distinct, StatesGen: res.Generated, Depth: res.Depth, Complete: res.Complete,
			StopReason: res.StopReason, Budget: res.Budget, ElapsedSeconds: res.Elapsed.Seconds(),
			StatesPerSec: float64(res.Distinct) / res.Elapsed.Seconds(),
			Collision: map[string]string{
				"optimistic":          fmt.Sprintf("%.2g", res.CollisionOptimistic),
				"actual_fingerprints": fmt.Sprintf("%.2g", res.CollisionActual),
			},
			Violations: []violationReport{},
		}
		for i, v := range res.Violations {
			rep.Violations = append(rep.Violations, violationReport{Invariant: v.Invariant, Length: v.Depth, Summary: traces[i]})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
		return code
	}
	for i, v := range res.Violations {
		fmt.Fprintf(stdout, "\nError: Invariant %s is violated. Shortest trace: %d steps.\n%s", v.Invariant, v.Depth, traces[i])
	}
	switch {
	case res.Complete && len(res.Violations) == 0:
		fmt.Fprintf(stdout, "\nModel checking completed. No error has been found.\n")
	case res.Complete:
		fmt.Fprintf(stdout, "\nModel checking completed. %d invariant(s) violated.\n", len(res.Violations))
	default:
		fmt.Fprintf(stdout, "\nModel checking stopped (%s).\n", res.StopReason)
	}
	fmt.Fprintf(stdout, "%s states generated, %s distinct states found.\n", commas(res.Generated), commas(res.Distinct))
	fmt.Fprintf(stdout, "The depth of the complete state graph search is %d.\n", res.Depth)
	fmt.Fprintf(stdout, "Finished in %s (%s distinct states/s)\n", res.Elapsed.Round(time.Millisecond), commas(uint64(float64(res.Distinct)/res.Elapsed.Seconds())))
	return code
}
