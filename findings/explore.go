package findings

import (
	"context"
	"fmt"
	"github.com/dustin/go-humanize"
	"strings"
	"time"

	"cabacheck/check"
	"cabacheck/explorer"
	"cabacheck/invariants"
	"cabacheck/spec/linux"
	"cabacheck/traces"
)

// Budget bounds one exploration; zero fields mean no limit. MaxStates and
// MaxDepth give reproducible partial results (the explorer keeps a prefix of
// the level it stops in); MaxTime and MaxMemory do not.
type Budget struct {
	MaxStates uint64
	MaxDepth  int
	MaxTime   time.Duration
	MaxMemory uint64
	// Symmetry explores the symmetry-reduced model (docs/scale.md): the same
	// verdicts and shortest-trace lengths, far fewer states.
	Symmetry bool
}

// RunConfig is how explorations run: workers, cancellation and progress.
// Results do not depend on it.
type RunConfig struct {
	Workers int
	Context context.Context
	// Progress, when set, is told about every part of a multi-part run
	// (Generate, RunMatrix) as it starts, while its search runs (at most
	// every ProgressEvery, the explorer's default when 0) and as it ends.
	Progress      func(Progress)
	ProgressEvery time.Duration

	search func(explorer.Progress) // the running part's hook (parts.run)
}

// Verdict is the outcome of one check in one exploration.
type Verdict struct {
	Check    string `json:"check"`
	Violated bool   `json:"violated"`
	// Length, Actions, Summary and Failure describe the shortest trace
	// (the first violating state found breadth-first) when Violated.
	Length  int      `json:"length,omitempty"`
	Actions []string `json:"actions,omitempty"`
	Failure []string `json:"failure,omitempty"`

	Trace *traces.Trace `json:"-"`
}

// Summary is the trace's actions on one line.
func (v Verdict) Summary() string { return strings.Join(v.Actions, " ") }

// Exploration is one breadth-first search of one model instance with a set
// of checks.
type Exploration struct {
	Revision   string    `json:"revision"`
	Tasks      int       `json:"tasks"`
	Actions    string    `json:"actions"`
	Distinct   uint64    `json:"distinct_states"`
	Generated  uint64    `json:"states_generated"`
	Depth      int       `json:"depth"`
	Complete   bool      `json:"complete"`
	StopReason string    `json:"stop_reason"`
	Budget     string    `json:"budget,omitempty"`
	Symmetry   bool      `json:"symmetry,omitempty"`
	Seconds    float64   `json:"elapsed_seconds"`
	Verdicts   []Verdict `json:"verdicts"`
}

// Verdict returns the verdict of check name.
func (e *Exploration) Verdict(name string) (Verdict, bool) {
	for _, v := range e.Verdicts {
		if v.Check == name {
			return v, true
		}
	}
	return Verdict{}, false
}

// Scope says how far a "holds" reaches: the whole space at the bound, or
// only the part seen before the exploration stopped.
func (e *Exploration) Scope() string {
	if e.Complete && e.Symmetry {
		return fmt.Sprintf("holds up to %d tasks, %s distinct states up to symmetry", e.Tasks, Commas(e.Distinct))
	}
	if e.Complete {
		return fmt.Sprintf("holds up to %d tasks, %s distinct states", e.Tasks, Commas(e.Distinct))
	}
	return fmt.Sprintf("no violation in %s distinct states to depth %d at %d tasks (partial: stopped by %s)", Commas(e.Distinct), e.Depth, e.Tasks, e.StopReason)
}

// Explore runs one search of opt checking checks; with keepGoing it records
// the first violation of every check and goes on, otherwise it stops at the
// first violation of any.
func Explore(opt linux.Options, checks []invariants.Invariant, keepGoing bool, b Budget, rc RunConfig) (*Exploration, error) {
	model, err := linux.New(opt)
	if err != nil {
		return nil, err
	}
	res, err := check.Run(check.Request{
		Model:    model,
		Symmetry: b.Symmetry,
		Checker:  invariants.NewChecker(opt.Tasks, checks),
		Continue: keepGoing,
		MaxDepth: b.MaxDepth,
		Budget:   check.Budget{MaxStates: b.MaxStates, MaxTime: b.MaxTime, MaxMemory: b.MaxMemory},
		Workers:  rc.Workers,
		Context:  rc.Context,

		Progress:      rc.search,
		ProgressEvery: rc.ProgressEvery,
	})
	if err != nil {
		return nil, fmt.Errorf("exploring %s: %w", model.Name(), err)
	}
	e := &Exploration{
		Revision: opt.Revision.String(), Tasks: opt.Tasks, Actions: opt.Actions.String(),
		Distinct: res.Distinct, Generated: res.Generated, Depth: res.Depth, Complete: res.Complete,
		StopReason: res.StopReason, Budget: res.Budget, Seconds: res.Elapsed.Seconds(), Symmetry: b.Symmetry,
	}
	found := map[string]*traces.Trace{}
	for _, ce := range res.Counterexamples {
		found[ce.Invariant] = ce.Trace.(*traces.Trace)
	}
	for _, inv := range checks {
		tr, bad := found[inv.Name]
		if !bad {
			e.Verdicts = append(e.Verdicts, Verdict{Check: inv.Name})
			continue
		}
		e.Verdicts = append(e.Verdicts, violation(inv, tr))
	}
	return e, nil
}

// violation makes the verdict of a trace whose last state violates inv.
func violation(inv invariants.Invariant, tr *traces.Trace) Verdict {
	why := inv.Explain(&tr.Steps[len(tr.Steps)-1].State)
	tr.Invariant, tr.Failure = "", nil
	v := Verdict{Check: inv.Name, Violated: true, Length: tr.Len(), Failure: why, Trace: tr}
	for _, a := range tr.Actions() {
		v.Actions = append(v.Actions, linux.FormatAction(a))
	}
	return v
}

// Commas formats n with thousands separators, as TLC does.
func Commas(n uint64) string { return humanize.Comma(int64(n)) }
