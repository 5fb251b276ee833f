package check

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cabacheck/explorer"
	"cabacheck/spec"
	"cabacheck/traces"
)

// Request is one exploration.
type Request struct {
	// Model is the concrete model; counterexamples are traces of it.
	Model spec.Model
	// Symmetry explores the model's exact symmetry reduction instead
	// (the model must implement spec.Reducible); traces are mapped back.
	Symmetry bool
	// Checker evaluates the invariants; nil checks nothing.
	Checker spec.Checker
	// Continue records the first violation of every invariant and goes on,
	// instead of stopping at the first violation of any.
	Continue bool
	MaxDepth int // stop after this many levels; 0 means no limit
	Budget   Budget
	Workers  int // 0 means one per CPU; results do not depend on it
	Store    Store
	Context  context.Context // cancellation; nil means never cancelled

	// Level is called after every completed level; Progress every
	// ProgressEvery while the search runs (see explorer.Config).
	Level         func(explorer.LevelStats)
	Progress      func(explorer.Progress)
	ProgressEvery time.Duration

	// Coverage counts, per action kind, how often it was enabled, taken
	// and led to a new state (Result.ActionCoverage).
	Coverage bool
}

// Budget bounds an exploration; zero fields mean no limit. A search that
// hits one stops cleanly with its completed levels (Result.Budget).
type Budget struct {
	MaxStates uint64
	MaxTime   time.Duration
	MaxMemory uint64
}

// Counterexample is a violation as a trace of the concrete model.
type Counterexample struct {
	Invariant string
	Trace     traces.View // the shortest path to the first violating state found
}

// Result is the outcome of a Request.
type Result struct {
	explorer.Result
	// Explored is the model the engine ran: Request.Model, or its reduction.
	Explored spec.Model
	// Counterexamples are in the order of Result.Violations.
	Counterexamples []Counterexample
	// ActionCoverage names the engine's coverage counts; nil unless
	// Request.Coverage.
	ActionCoverage *Coverage
}

// Run explores req.Model as asked and rebuilds every counterexample.
func Run(req Request) (*Result, error) {
	if req.Model == nil {
		return nil, errors.New("check: no model")
	}
	explored := req.Model
	var reduced spec.Reduced
	if req.Symmetry {
		r, ok := req.Model.(spec.Reducible)
		if !ok {
			return nil, fmt.Errorf("symmetry reduction is not implemented for model %s", req.Model.Name())
		}
		var err error
		if reduced, err = r.Symmetric(); err != nil {
			return nil, err
		}
		explored = reduced
	}
	cfg := explorer.Config{
		Workers:       req.Workers,
		Checker:       req.Checker,
		Continue:      req.Continue,
		MaxDepth:      req.MaxDepth,
		Context:       req.Context,
		Level:         req.Level,
		Progress:      req.Progress,
		ProgressEvery: req.ProgressEvery,
		MaxStates:     req.Budget.MaxStates,
		MaxTime:       req.Budget.MaxTime,
		MaxMemory:     req.Budget.MaxMemory,
		Resume:        req.Store.Resume,
		Coverage:      req.Coverage,
	}
	closeStore, err := openStore(req.Store, Identity(explored, req.Checker, req.Continue), &cfg)
	if err != nil {
		return nil, err
	}
	defer closeStore()
	search, err := explorer.Run(explored, cfg)
	if err != nil {
		return nil, err
	}
	res := &Result{Result: search.Result, Explored: explored, ActionCoverage: coverageOf(req.Model, search.Result.Coverage)}
	for _, v := range search.Result.Violations {
		_, acts, err := search.Path(v.State)
		if err != nil {
			return nil, fmt.Errorf("rebuilding the %s trace: %w", v.Invariant, err)
		}
		if reduced != nil {
			if acts, err = reduced.Concrete(acts); err != nil {
				return nil, fmt.Errorf("mapping the %s trace back from symmetry: %w", v.Invariant, err)
			}
		}
		ce, err := NewCounterexample(req.Model, req.Checker, v.Invariant, acts)
		if err != nil {
			return nil, err
		}
		res.Counterexamples = append(res.Counterexamples, ce)
	}
	return res, nil
}

// NewCounterexample is the trace of acts on the concrete model m, violating
// inv, with ch's explanation of its last state (when ch is an Explainer):
// what Run returns for each violation, and what other searches (simulate)
// report.
func NewCounterexample(m spec.Model, ch spec.Checker, inv string, acts []spec.Action) (Counterexample, error) {
	var why []string
	if ex, ok := ch.(spec.Explainer); ok {
		last := m.InitialStates()[0]
		next := make([]byte, len(last))
		for i, a := range acts {
			if !m.Apply(last, a, next) {
				return Counterexample{}, fmt.Errorf("rebuilding the %s trace: step %d %s is not enabled", inv, i+1, m.FormatAction(a))
			}
			last, next = next, last
		}
		why = ex.Explain(inv, last)
	}
	tr, err := traces.For(m, acts, inv, why)
	if err != nil {
		return Counterexample{}, fmt.Errorf("rebuilding the %s trace: %w", inv, err)
	}
	return Counterexample{Invariant: inv, Trace: tr}, nil
}
