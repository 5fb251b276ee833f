package simulate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"cabacheck/spec"
)

// BatchSize is the number of consecutive walks run between two stop
// decisions: small enough that a run stops soon after a violation, large
// enough that the wait for a batch's last walk is a small share of it.
const BatchSize = 64

// Config is one simulation.
type Config struct {
	Seed    uint64
	Walks   int // walks to run, numbered 0..Walks-1 (> 0)
	Depth   int // steps per walk at most (> 0)
	Workers int // 0: one per CPU; the Result does not depend on it
	// Swarm draws a weight per action kind for each walk; false picks
	// uniformly among the enabled actions.
	Swarm bool
	// Checker evaluates the invariants on every state a walk computes (each
	// successor of each state it steps to); nil checks nothing.
	Checker spec.Checker
	// MaxTime stops the run at the first batch boundary after it (0: no
	// limit; at least one batch runs); the walks run are then the first
	// Result.Walks.
	MaxTime time.Duration
	Context context.Context // cancellation, seen between batches; nil: never
}

// KindCount is how often one action kind was taken, in the model's words.
type KindCount struct {
	Kind  uint8
	Name  string
	Count uint64
}

// Violation is a violation found in the first batch that has one: one per
// invariant the lowest-numbered violating walk violates (in its first
// violating state), with the shortest of the shortened traces of that
// batch's walks violating it.
type Violation struct {
	Invariant string
	Bit       int // the invariant's bit in the Checker's mask
	Walk      int // the walk's index: rerun it with WalkActions
	// Found is the walk's actions from the initial state to the violating
	// state; Shortened the same violation after shrinking (Shrink).
	Found, Shortened []spec.Action
	// Replays is how many candidate traces the shortening replayed, over
	// every walk of the batch that violated the invariant.
	Replays int
	// Weights is the walk's weight per kind (its swarm bias), in Kinds order.
	Weights []KindCount
}

// Result is the outcome of a simulation. Every field but Elapsed is the
// same for any worker count.
type Result struct {
	Walks    int    // walks run: 0..Walks-1
	Steps    uint64 // actions taken, over every walk
	States   uint64 // states checked: every walk's initial state and every successor it computed
	Distinct uint64 // distinct states among them, a HyperLogLog estimate (±1%)
	// DeadEnds counts the walks that ended before Depth steps in a state
	// with no successor off the walk (none at all, or only states the walk
	// has already been in).
	DeadEnds int
	MaxDepth int // the longest walk, in steps
	// Fired counts the steps taken per action kind, every kind of the model
	// (Kinds) in kind order, including those never taken; it sums to Steps.
	Fired []KindCount
	// StopReason: "walks" (all walks run), "violation", "max-time",
	// "interrupted".
	StopReason string
	Violations []Violation
	// Elapsed is the time of the walks (the rates' denominator), Shrinking
	// the time shortening the violations took after them.
	Elapsed, Shrinking time.Duration
}

// walkStats are the counts of one batch on one worker.
type walkStats struct {
	walks, deadEnds, maxDepth int
	steps, states             uint64
	fired                     [256]uint64
}

func (s *walkStats) add(o *walkStats) {
	s.walks += o.walks
	s.deadEnds += o.deadEnds
	s.maxDepth = max(s.maxDepth, o.maxDepth)
	s.steps += o.steps
	s.states += o.states
	for k, n := range o.fired {
		s.fired[k] += n
	}
}

// Run simulates cfg.Walks walks of m.
func Run(m spec.Model, cfg Config) (*Result, error) {
	if err := cfg.validate(m); err != nil {
		return nil, err
	}
	start := time.Now()
	ctx := cfg.Context
	if ctx == nil {
		ctx = context.Background()
	}
	kinds := Kinds(m)
	workers := make([]*worker, cfg.Workers)
	for i := range workers {
		workers[i] = newWorker(m, &cfg, kinds)
	}
	res := &Result{StopReason: "walks"}
	var total walkStats
	var found []*walkViolation
	for lo := 0; lo < cfg.Walks; lo += BatchSize {
		if ctx.Err() != nil {
			res.StopReason = "interrupted"
			break
		}
		if cfg.MaxTime > 0 && lo > 0 && time.Since(start) >= cfg.MaxTime {
			res.StopReason = "max-time"
			break
		}
		hi := min(lo+BatchSize, cfg.Walks)
		found = runBatch(workers, lo, hi)
		for _, w := range workers {
			total.add(&w.batch)
		}
		if len(found) > 0 {
			res.StopReason = "violation"
			break
		}
	}
	var sk sketch
	for _, w := range workers {
		sk.merge(&w.sketch)
	}
	res.Walks, res.Steps, res.States = total.walks, total.steps, total.states
	res.DeadEnds, res.MaxDepth, res.Distinct = total.deadEnds, total.maxDepth, sk.estimate()
	res.Elapsed = time.Since(start)
	for _, k := range kinds {
		res.Fired = append(res.Fired, KindCount{Kind: k, Name: KindName(m, k), Count: total.fired[k]})
	}
	if len(found) > 0 {
		vs, err := violations(m, &cfg, kinds, found)
		if err != nil {
			return nil, err
		}
		res.Violations = vs
	}
	res.Shrinking = time.Since(start) - res.Elapsed
	return res, nil
}

func (cfg *Config) validate(m spec.Model) error {
	if m == nil {
		return errors.New("simulate: no model")
	}
	if cfg.Walks < 1 {
		return fmt.Errorf("simulate: %d walks (want at least 1)", cfg.Walks)
	}
	if cfg.Depth < 1 {
		return fmt.Errorf("simulate: depth %d (want at least 1)", cfg.Depth)
	}
	if cfg.Workers < 0 {
		return fmt.Errorf("simulate: %d workers", cfg.Workers)
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if len(m.InitialStates()) != 1 {
		return fmt.Errorf("simulate: model %s has %d initial states (want 1)", m.Name(), len(m.InitialStates()))
	}
	return nil
}

// runBatch runs walks lo..hi-1 on the workers, each taking the next walk
// index from a shared counter, and returns the violating walks in walk
// order (at most maxShrink of them, the lowest-numbered).
func runBatch(workers []*worker, lo, hi int) []*walkViolation {
	next := atomic.Int64{}
	next.Store(int64(lo))
	var wg sync.WaitGroup
	for _, w := range workers {
		w.batch = walkStats{}
		w.found = w.found[:0]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= hi {
					return
				}
				if v := w.walk(i, nil); v != nil {
					w.found = append(w.found, v)
				}
			}
		}()
	}
	wg.Wait()
	var all []*walkViolation
	for _, w := range workers {
		all = append(all, w.found...)
	}
	slices.SortFunc(all, func(a, b *walkViolation) int { return cmp.Compare(a.walk, b.walk) })
	return all[:min(len(all), maxShrink)]
}

// maxShrink bounds the violating walks of a batch that are shortened.
const maxShrink = 16

// violations shortens the violating walks of the last batch, and keeps, for
// every invariant the lowest-numbered one violates, the shortest shortened
// trace among the walks that violate it (ties: the lower walk). Shrinking
// several walks costs little and often ends shorter than the first alone.
func violations(m spec.Model, cfg *Config, kinds []uint8, found []*walkViolation) ([]Violation, error) {
	names := cfg.Checker.Names()
	var vs []Violation
	for bit := range names {
		if found[0].mask&(1<<bit) == 0 {
			continue
		}
		var best *Violation
		for _, f := range found {
			if f.mask&(1<<bit) == 0 {
				continue
			}
			short, _, replays, err := Shrink(m, cfg.Checker, bit, f.actions)
			if err != nil {
				return nil, fmt.Errorf("simulate: shortening walk %d's %s violation: %w", f.walk, names[bit], err)
			}
			if best != nil {
				best.Replays += replays
				if len(short) >= len(best.Shortened) {
					continue
				}
				replays = best.Replays
			}
			v := Violation{Invariant: names[bit], Bit: bit, Walk: f.walk, Found: f.actions,
				Shortened: short, Replays: replays}
			for i, k := range kinds {
				v.Weights = append(v.Weights, KindCount{Kind: k, Name: KindName(m, k), Count: uint64(f.weights[i])})
			}
			best = &v
		}
		vs = append(vs, *best)
	}
	return vs, nil
}

// WalkActions reruns walk i of cfg alone and returns its actions (up to and
// including the first violating step, if any): the same as in any Run of
// cfg, whatever its worker count.
func WalkActions(m spec.Model, cfg Config, i int) ([]spec.Action, error) {
	cfg.Workers = 1
	if err := cfg.validate(m); err != nil {
		return nil, err
	}
	w := newWorker(m, &cfg, Kinds(m))
	var acts []spec.Action
	w.walk(i, &acts)
	return acts, nil
}
