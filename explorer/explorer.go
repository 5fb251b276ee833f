package explorer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"time"

	"cabacheck/spec"
	"cabacheck/state"
)

// Record is the parent record of a state: the index of the state it was first
// reached from and the action that led to it. Initial states have Parent ==
// their own index and Action == spec.NoAction.
type Record struct {
	Parent uint32
	Action spec.Action
}

// Config controls a search.
type Config struct {
	Workers  int             // goroutines; 0 means runtime.NumCPU()
	Checker  spec.Checker    // invariants; nil checks nothing
	Continue bool            // record the first violation of each invariant and go on
	MaxDepth int             // stop after this many levels; 0 means no limit
	Visited  Visited         // nil means a fresh in-memory FPSet
	Context  context.Context // cancellation; nil means never cancelled

	// Level, when set, is called after every completed level.
	Level func(LevelStats)
	// Progress, when set, is called at most every ProgressEvery (default 5s)
	// while the search runs, and once at the end.
	Progress      func(Progress)
	ProgressEvery time.Duration

	// Budgets. A search that hits one stops cleanly: completed levels are
	// kept, Result.Budget names the limit. 0 means no limit.
	MaxStates uint64        // distinct states
	MaxTime   time.Duration // wall-clock time
	MaxMemory uint64        // bytes of Go heap (checked before each level and while it runs)
}

// LevelStats describes one completed BFS level.
type LevelStats struct {
	Level      int           // depth of the new states (the initial states are level 0)
	New        uint64        // states first seen at this level
	Duplicates uint64        // successors generated at this level that were already seen
	Frontier   uint64        // states expanded to produce this level
	Generated  uint64        // successors generated at this level
	Candidates uint64        // successors not seen in earlier levels (before deduplication within the level)
	OutDegree  []uint64      // OutDegree[k]: frontier states with k successors (last bucket: k or more)
	Distinct   uint64        // distinct states so far
	Elapsed    time.Duration // since the start of the search
	// BytesPerState is the memory of the visited set and parent records per
	// distinct state at the end of the level.
	BytesPerState float64
	// HeapBytes is the Go heap in use at the end of the level.
	HeapBytes uint64
}

// Progress is a snapshot for progress lines.
type Progress struct {
	Level     int
	Distinct  uint64
	Generated uint64
	Queue     uint64 // states left to expand in the current level
	Elapsed   time.Duration
	Done      bool
}

// Violation is the first (shallowest, then lowest-numbered) state found
// violating an invariant.
type Violation struct {
	Invariant string
	State     uint32 // index of the violating state
	Depth     int    // its BFS level: the length of a shortest trace
}

// Result is the outcome of a search.
type Result struct {
	Distinct   uint64
	Generated  uint64
	Depth      int    // deepest level holding a state
	Complete   bool   // the whole reachable space was explored
	StopReason string // done, violation, max depth, interrupted, or a budget
	Budget     string // the budget that stopped the search: max-states, max-time, max-memory
	Violations []Violation
	Levels     []LevelStats
	Elapsed    time.Duration

	// Collision probability estimates, as TLC prints them.
	CollisionOptimistic float64 // d*(g-d)/2^64
	CollisionActual     float64 // 1 / smallest gap between sorted fingerprints

	// VisitedBytes and RecordBytes are the memory held at the end.
	VisitedBytes, RecordBytes uint64
}

// Search is a finished (or stopped) search: its result and the records from
// which traces are rebuilt.
type Search struct {
	Model   spec.Model
	Result  Result
	Records []Record
	Initial int // number of initial states (indices 0..Initial-1)
}

// ErrTooManyStates is returned when state indices would overflow 32 bits.
var ErrTooManyStates = errors.New("more than 2^32-1 distinct states")

const outDegreeBuckets = 64

type candidate struct {
	fp     uint64
	parent uint32
	action spec.Action
	isNew  bool
}

type worker struct {
	gen       spec.Generator
	cands     []candidate
	states    []byte // candidate states, StateSize each, parallel to cands
	buckets   [][]uint32
	generated uint64
	dups      uint64
	outDegree [outDegreeBuckets]uint64
	// invariant results over a slice of the new level
	firstBad []uint32
}

// Run explores model breadth-first.
func Run(model spec.Model, cfg Config) (*Search, error) {
	ctx := cfg.Context
	if ctx == nil {
		ctx = context.Background()
	}
	nw := cfg.Workers
	if nw <= 0 {
		nw = runtime.NumCPU()
	}
	visited := cfg.Visited
	if visited == nil {
		visited = NewFPSet(1 << 16)
	}
	every := cfg.ProgressEvery
	if every <= 0 {
		every = 5 * time.Second
	}
	size := model.StateSize()
	start := time.Now()
	s := &Search{Model: model}
	res := &s.Result
	var names []string
	if cfg.Checker != nil {
		names = cfg.Checker.Names()
	}
	found := make([]bool, len(names))

	// Level 0: the initial states.
	var frontier []byte
	for _, b := range model.InitialStates() {
		if len(b) != size {
			return nil, fmt.Errorf("initial state has %d bytes, want %d", len(b), size)
		}
		if !visited.Insert(state.Fingerprint(b)) {
			continue
		}
		idx := uint32(len(s.Records))
		s.Records = append(s.Records, Record{Parent: idx, Action: spec.NoAction})
		frontier = append(frontier, b...)
	}
	s.Initial = len(s.Records)
	res.Distinct = uint64(len(s.Records))
	s.checkLevel(cfg.Checker, names, found, frontier, 0, 0, size, nw, cfg.Continue)
	res.Levels = append(res.Levels, LevelStats{Level: 0, New: res.Distinct, Distinct: res.Distinct, Elapsed: time.Since(start)})
	if cfg.Level != nil {
		cfg.Level(res.Levels[0])
	}

	workers := make([]*worker, nw)
	for i := range workers {
		workers[i] = &worker{gen: model.NewGenerator(), buckets: make([][]uint32, visited.Shards())}
	}
	lastProgress := start
	base := uint32(0) // index of the first frontier state
	level := 0
	mon := startMonitor(cfg.MaxTime, cfg.MaxMemory, start)
	defer mon.stop()
	for {
		nf := len(frontier) / size
		if nf == 0 {
			res.Complete = true
			res.StopReason = "done"
			break
		}
		if len(res.Violations) > 0 && !cfg.Continue {
			res.StopReason = "violation"
			break
		}
		if cfg.Continue && len(names) > 0 && len(res.Violations) == len(names) {
			res.StopReason = "every invariant violated"
			break
		}
		if cfg.MaxDepth > 0 && level >= cfg.MaxDepth {
			res.StopReason = "max depth"
			break
		}
		if ctx.Err() != nil {
			res.StopReason = "interrupted"
			break
		}
		if cfg.MaxStates > 0 && res.Distinct >= cfg.MaxStates {
			res.Budget = "max-states"
		} else if b := mon.exceeded(); b != "" {
			res.Budget = b
		} else if cfg.MaxMemory > 0 && heapInUse()+levelEstimate(res.Levels, nf, size) > cfg.MaxMemory {
			res.Budget = "max-memory"
		}
		if res.Budget != "" {
			res.StopReason = "budget " + res.Budget
			break
		}
		level++

		// Phase 1: generate.
		var wg sync.WaitGroup
		chunk := (nf + nw - 1) / nw
		for wi, w := range workers {
			lo, hi := wi*chunk, min((wi+1)*chunk, nf)
			w.cands, w.states = w.cands[:0], w.states[:0]
			for i := range w.buckets {
				w.buckets[i] = w.buckets[i][:0]
			}
			w.generated, w.dups = 0, 0
			w.outDegree = [outDegreeBuckets]uint64{}
			if lo >= hi {
				continue
			}
			wg.Add(1)
			go func(w *worker, lo, hi int) {
				defer wg.Done()
				var parent uint32
				var deg int
				emit := func(a spec.Action, next []byte) {
					deg++
					fp := state.Fingerprint(next)
					if visited.Contains(fp) {
						w.dups++
						return
					}
					sh := visited.ShardOf(fp)
					w.buckets[sh] = append(w.buckets[sh], uint32(len(w.cands)))
					w.cands = append(w.cands, candidate{fp: fp, parent: parent, action: a})
					w.states = append(w.states, next...)
				}
				for i := lo; i < hi; i++ {
					if i&1023 == 0 && (mon.tripped() || ctx.Err() != nil) {
						return
					}
					parent = base + uint32(i)
					deg = 0
					w.gen.Successors(frontier[i*size:(i+1)*size], emit)
					w.generated += uint64(deg)
					w.outDegree[min(deg, outDegreeBuckets-1)]++
				}
			}(w, lo, hi)
		}
		wg.Wait()
		if b := mon.exceeded(); b != "" || ctx.Err() != nil {
			// The level is incomplete: drop it, keep what was committed.
			level--
			if b != "" {
				res.Budget = b
				res.StopReason = "budget " + b
			} else {
				res.StopReason = "interrupted"
			}
			break
		}

		// Phase 2: insert, shard by shard, in global (parent, action) order.
		shards := visited.Shards()
		innerDups := make([]uint64, nw)
		for wi := range workers {
			wg.Add(1)
			go func(wi int) {
				defer wg.Done()
				for sh := wi; sh < shards; sh += nw {
					for _, w := range workers {
						for _, ci := range w.buckets[sh] {
							c := &w.cands[ci]
							if visited.Insert(c.fp) {
								c.isNew = true
							} else {
								innerDups[wi]++
							}
						}
					}
				}
			}(wi)
		}
		wg.Wait()

		// Phase 3: collect the new level in order.
		next := make([]byte, 0, len(frontier))
		newBase := uint32(len(s.Records))
		truncated := false
		ls := LevelStats{Level: level, Frontier: uint64(nf), OutDegree: make([]uint64, outDegreeBuckets)}
		for _, d := range innerDups {
			ls.Duplicates += d
		}
		for _, w := range workers {
			ls.Generated += w.generated
			ls.Candidates += uint64(len(w.cands))
			ls.Duplicates += w.dups
			for k, v := range w.outDegree {
				ls.OutDegree[k] += v
			}
			for ci := range w.cands {
				c := &w.cands[ci]
				if !c.isNew {
					continue
				}
				if len(s.Records) == math.MaxUint32 {
					return s, ErrTooManyStates
				}
				if cfg.MaxStates > 0 && uint64(len(s.Records)) >= cfg.MaxStates {
					truncated = true
					break
				}
				s.Records = append(s.Records, Record{Parent: c.parent, Action: c.action})
				next = append(next, w.states[ci*size:(ci+1)*size]...)
			}
		}
		for len(ls.OutDegree) > 1 && ls.OutDegree[len(ls.OutDegree)-1] == 0 {
			ls.OutDegree = ls.OutDegree[:len(ls.OutDegree)-1]
		}
		ls.New = uint64(len(s.Records)) - uint64(newBase)
		res.Generated += ls.Generated
		res.Distinct = uint64(len(s.Records))
		if ls.New > 0 {
			res.Depth = level
		}
		s.checkLevel(cfg.Checker, names, found, next, newBase, level, size, nw, cfg.Continue)
		ls.Distinct = res.Distinct
		ls.Elapsed = time.Since(start)
		ls.HeapBytes = heapInUse()
		ls.BytesPerState = float64(visited.Bytes()+uint64(cap(s.Records))*8) / float64(res.Distinct)
		res.Levels = append(res.Levels, ls)
		if cfg.Level != nil {
			cfg.Level(ls)
		}
		if cfg.Progress != nil && time.Since(lastProgress) >= every {
			lastProgress = time.Now()
			cfg.Progress(Progress{Level: level, Distinct: res.Distinct, Generated: res.Generated, Queue: ls.New, Elapsed: time.Since(start)})
		}
		base = newBase
		frontier = next
		if truncated {
			res.Budget = "max-states"
			res.StopReason = "budget max-states"
			break
		}
	}
	res.Elapsed = time.Since(start)
	res.VisitedBytes = visited.Bytes()
	res.RecordBytes = uint64(cap(s.Records)) * 8
	d, g := float64(res.Distinct), float64(res.Generated)
	res.CollisionOptimistic = d * (g - d) / math.Pow(2, 64)
	res.CollisionActual = actualCollision(visited)
	if cfg.Progress != nil {
		cfg.Progress(Progress{Level: level, Distinct: res.Distinct, Generated: res.Generated, Elapsed: res.Elapsed, Done: true})
	}
	return s, nil
}

// checkLevel evaluates the invariants on the states of one level (indices
// base...) and records, per invariant not yet violated, the lowest index.
func (s *Search) checkLevel(ch spec.Checker, names []string, found []bool, states []byte, base uint32, level, size, nw int, cont bool) {
	if ch == nil || len(states) == 0 {
		return
	}
	n := len(states) / size
	first := make([][]uint32, nw)
	var wg sync.WaitGroup
	chunk := (n + nw - 1) / nw
	for wi := 0; wi < nw; wi++ {
		lo, hi := wi*chunk, min((wi+1)*chunk, n)
		first[wi] = make([]uint32, len(names))
		for k := range first[wi] {
			first[wi][k] = math.MaxUint32
		}
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func(f []uint32, lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				mask := ch.Check(states[i*size : (i+1)*size])
				for mask != 0 {
					k := bits.TrailingZeros64(mask)
					mask &= mask - 1
					if f[k] == math.MaxUint32 {
						f[k] = uint32(i)
					}
				}
			}
		}(first[wi], lo, hi)
	}
	wg.Wait()
	for k, name := range names {
		if found[k] {
			continue
		}
		best := uint32(math.MaxUint32)
		for wi := range first {
			best = min(best, first[wi][k])
		}
		if best != math.MaxUint32 {
			found[k] = true
			s.Result.Violations = append(s.Result.Violations, Violation{Invariant: name, State: base + best, Depth: level})
		}
	}
}

// actualCollision is TLC's estimate from the fingerprints themselves: the
// reciprocal of the smallest gap between two sorted fingerprints.
func actualCollision(v Visited) float64 {
	n := v.Len()
	if n < 2 || n > 1<<28 {
		return 0
	}
	fps := make([]uint64, 0, n)
	v.Range(func(fp uint64) { fps = append(fps, fp) })
	slices.Sort(fps)
	minGap := uint64(math.MaxUint64)
	for i := 1; i < len(fps); i++ {
		minGap = min(minGap, fps[i]-fps[i-1])
	}
	if minGap == 0 {
		return 1
	}
	return 1 / float64(minGap)
}

// Path returns the actions leading from an initial state to state idx, and
// the index of that initial state.
func (s *Search) Path(idx uint32) (root uint32, actions []spec.Action) {
	for {
		r := s.Records[idx]
		if r.Action == spec.NoAction {
			slices.Reverse(actions)
			return idx, actions
		}
		actions = append(actions, r.Action)
		idx = r.Parent
	}
}
