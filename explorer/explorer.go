package explorer

import (
	"context"
	"encoding/binary"
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

	// Store keeps the visited set and parent records; nil means a memory
	// store (over Visited when that is set).
	Store Store
	// Resume continues the search committed in Store instead of starting anew.
	Resume bool
}

// LevelStats describes one completed BFS level.
type LevelStats struct {
	Level      int           // depth of the new states (the initial states are level 0)
	New        uint64        // states first seen at this level
	Duplicates uint64        // successors generated at this level that were already seen
	Frontier   uint64        // states expanded to produce this level
	Generated  uint64        // successors generated at this level
	Candidates uint64        // successors other than their own parent, looked up in the visited set
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
	Queue     uint64 // states found but not yet expanded (TLC's "states left on queue")
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

// Search is a finished (or stopped) search: its result and the store from
// which traces are rebuilt.
type Search struct {
	Model   spec.Model
	Result  Result
	Initial int // number of initial states (indices 0..Initial-1)
	store   Store
}

// Store returns the store the search used.
func (s *Search) Store() Store { return s.store }

// Record returns the parent record of state idx.
func (s *Search) Record(idx uint32) (Record, error) { return s.store.Record(idx) }

// ErrTooManyStates is returned when state indices would overflow 32 bits.
var ErrTooManyStates = errors.New("more than 2^32-1 distinct states")

// ErrNothingToResume is returned by a resumed search whose store holds no search.
var ErrNothingToResume = errors.New("the store holds no search to resume")

const outDegreeBuckets = 64

// maxRoundCandidates bounds the successors one worker buffers before the
// insert phase runs: a level is processed in rounds of frontier states.
const maxRoundCandidates = 1 << 21

type worker struct {
	gen     spec.Generator
	records []Record // successors in generation order: (parent, action)
	states  []byte   // their encodings, StateSize each
	isNew   []bool
	// per shard, the fingerprints of successors and their positions in records
	shardFPs [][]uint64
	shardIdx [][]uint32

	generated uint64
	selfLoops uint64
	dups      uint64
	outDegree [outDegreeBuckets]uint64
	newCount  int
	newOffset int
}

func (w *worker) reset() {
	w.records, w.states = w.records[:0], w.states[:0]
	w.generated, w.selfLoops, w.dups, w.newCount = 0, 0, 0, 0
	w.outDegree = [outDegreeBuckets]uint64{}
	for i := range w.shardFPs {
		w.shardFPs[i] = w.shardFPs[i][:0]
		w.shardIdx[i] = w.shardIdx[i][:0]
	}
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
	store := cfg.Store
	if store == nil {
		if cfg.Visited != nil {
			store = &visitedStore{Visited: cfg.Visited}
		} else {
			store = NewMemStore(1 << 16)
		}
	}
	every := cfg.ProgressEvery
	if every <= 0 {
		every = 5 * time.Second
	}
	size := model.StateSize()
	start := time.Now()
	s := &Search{Model: model, store: store}
	res := &s.Result
	var names []string
	if cfg.Checker != nil {
		names = cfg.Checker.Names()
	}
	found := make([]bool, len(names))
	var prior time.Duration // search time of the runs before a resume
	elapsed := func() time.Duration { return prior + time.Since(start) }

	var frontier []byte
	base := uint32(0) // index of the first frontier state
	level := 0
	if cfg.Resume {
		cp, states, err := store.Resume()
		if err != nil {
			return nil, err
		}
		if cp == nil {
			return nil, ErrNothingToResume
		}
		if len(states) != int(cp.Distinct-uint64(cp.Base))*size {
			return nil, fmt.Errorf("resume: the store holds %d bytes of level %d states, want %d", len(states), cp.Level, int(cp.Distinct-uint64(cp.Base))*size)
		}
		frontier, base, level = states, cp.Base, cp.Level
		s.Initial = cp.Initial
		res.Distinct, res.Generated, res.Depth = cp.Distinct, cp.Generated, cp.Depth
		res.Violations = append(res.Violations, cp.Violations...)
		res.Levels = append(res.Levels, cp.Levels...)
		prior = time.Duration(cp.Elapsed)
		for _, v := range cp.Violations {
			if k := slices.Index(names, v.Invariant); k >= 0 {
				found[k] = true
			}
		}
	} else {
		// Level 0: the initial states.
		var recs []Record
		var fps []uint64
		for _, b := range model.InitialStates() {
			if len(b) != size {
				return nil, fmt.Errorf("initial state has %d bytes, want %d", len(b), size)
			}
			fp := state.Fingerprint(b)
			if !store.Insert(fp) {
				continue
			}
			idx := uint32(len(recs))
			recs = append(recs, Record{Parent: idx, Action: spec.NoAction})
			fps = append(fps, fp)
			frontier = append(frontier, b...)
		}
		s.Initial = len(recs)
		res.Distinct = uint64(len(recs))
		s.checkLevel(cfg.Checker, names, found, frontier, 0, 0, size, nw, cfg.Continue)
		res.Levels = append(res.Levels, LevelStats{Level: 0, New: res.Distinct, Distinct: res.Distinct, Elapsed: elapsed()})
		if err := store.Commit(s.commit(0, 0, recs, fps, frontier, size, elapsed())); err != nil {
			return s, fmt.Errorf("level 0: %w", err)
		}
		if cfg.Level != nil {
			cfg.Level(res.Levels[0])
		}
	}

	shards := store.Shards()
	workers := make([]*worker, nw)
	for i := range workers {
		workers[i] = &worker{gen: model.NewGenerator(), shardFPs: make([][]uint64, shards), shardIdx: make([][]uint32, shards)}
	}
	lastProgress := start
	mon := startMonitor(cfg.MaxTime, cfg.MaxMemory, start)
	defer mon.stop()
	var next []byte
	var nextRecs []Record
	var nextFPs []uint64
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
		} else if cfg.MaxMemory > 0 && heapInUse()+levelEstimate(res.Levels, nf, size, nw) > cfg.MaxMemory {
			res.Budget = "max-memory"
		}
		if res.Budget != "" {
			res.StopReason = "budget " + res.Budget
			break
		}
		level++

		ls := LevelStats{Level: level, Frontier: uint64(nf), OutDegree: make([]uint64, outDegreeBuckets)}
		deg := 16.0
		if n := len(res.Levels); n > 0 && res.Levels[n-1].Frontier > 0 {
			deg = max(1, float64(res.Levels[n-1].Generated)/float64(res.Levels[n-1].Frontier))
		}
		perRound := max(4096, int(float64(maxRoundCandidates*nw)/deg))
		next, nextRecs, nextFPs = next[:0], nextRecs[:0], nextFPs[:0]
		newBase := uint32(res.Distinct)
		stopped, truncated := false, false
		for r0 := 0; r0 < nf && !stopped && !truncated; r0 += perRound {
			r1 := min(r0+perRound, nf)
			s.generate(workers, frontier, base, r0, r1, size, mon, ctx)
			if b := mon.exceeded(); b != "" || ctx.Err() != nil {
				// The level is incomplete: drop it, keep what was committed.
				level--
				if b != "" {
					res.Budget = b
					res.StopReason = "budget " + b
				} else {
					res.StopReason = "interrupted"
				}
				stopped = true
				break
			}
			insert(workers, store)
			total := 0
			for _, w := range workers {
				w.newOffset = total
				total += w.newCount
			}
			if uint64(len(nextRecs))+uint64(total)+uint64(newBase) > math.MaxUint32 {
				return s, ErrTooManyStates
			}
			keep := total
			if cfg.MaxStates > 0 && res.Distinct+uint64(len(nextRecs)+total) > cfg.MaxStates {
				keep = int(cfg.MaxStates - res.Distinct - uint64(len(nextRecs)))
				truncated = true
			}
			next, nextRecs, nextFPs = collect(workers, next, nextRecs, nextFPs, keep, size)
			for _, w := range workers {
				ls.Generated += w.generated
				ls.Candidates += w.generated - w.selfLoops
				ls.Duplicates += w.dups + w.selfLoops
				for k, v := range w.outDegree {
					ls.OutDegree[k] += v
				}
			}
			if cfg.Progress != nil && r1 < nf && time.Since(lastProgress) >= every {
				// A long level reports between its rounds too.
				lastProgress = time.Now()
				cfg.Progress(Progress{Level: level, Distinct: res.Distinct + uint64(len(nextRecs)), Generated: res.Generated + ls.Generated,
					Queue: uint64(nf-r1) + uint64(len(nextRecs)), Elapsed: elapsed()})
			}
		}
		if stopped {
			break
		}
		for len(ls.OutDegree) > 1 && ls.OutDegree[len(ls.OutDegree)-1] == 0 {
			ls.OutDegree = ls.OutDegree[:len(ls.OutDegree)-1]
		}
		ls.New = uint64(len(nextRecs))
		res.Generated += ls.Generated
		res.Distinct += ls.New
		if ls.New > 0 {
			res.Depth = level
		}
		s.checkLevel(cfg.Checker, names, found, next, newBase, level, size, nw, cfg.Continue)
		ls.Distinct = res.Distinct
		ls.Elapsed = elapsed()
		ls.HeapBytes = heapInUse()
		res.Levels = append(res.Levels, ls)
		c := s.commit(level, newBase, nextRecs, nextFPs, next, size, elapsed())
		c.Partial = truncated
		if err := store.Commit(c); err != nil {
			return s, fmt.Errorf("level %d: %w", level, err)
		}
		res.Levels[len(res.Levels)-1].BytesPerState = float64(store.Bytes()+store.RecordBytes()) / float64(res.Distinct)
		if cfg.Level != nil {
			cfg.Level(res.Levels[len(res.Levels)-1])
		}
		if cfg.Progress != nil && time.Since(lastProgress) >= every {
			lastProgress = time.Now()
			cfg.Progress(Progress{Level: level, Distinct: res.Distinct, Generated: res.Generated, Queue: ls.New, Elapsed: elapsed()})
		}
		base = newBase
		frontier, next = next, frontier
		if truncated {
			res.Budget = "max-states"
			res.StopReason = "budget max-states"
			break
		}
	}
	res.Elapsed = elapsed()
	res.VisitedBytes = store.Bytes()
	res.RecordBytes = store.RecordBytes()
	d, g := float64(res.Distinct), float64(res.Generated)
	res.CollisionOptimistic = d * (g - d) / math.Pow(2, 64)
	res.CollisionActual = actualCollision(store, nw)
	if cfg.Progress != nil {
		cfg.Progress(Progress{Level: level, Distinct: res.Distinct, Generated: res.Generated, Elapsed: res.Elapsed, Done: true})
	}
	return s, nil
}

// commit describes a completed level for the store.
func (s *Search) commit(level int, base uint32, recs []Record, fps []uint64, states []byte, size int, elapsed time.Duration) *Commit {
	r := &s.Result
	return &Commit{
		Checkpoint: Checkpoint{
			Level: level, Base: base, Initial: s.Initial, Distinct: r.Distinct, Generated: r.Generated, Depth: r.Depth,
			Violations: r.Violations, Levels: r.Levels, Elapsed: int64(elapsed),
		},
		Records: recs, Fingerprints: fps, States: states, StateSize: size,
	}
}

// generate expands frontier states r0..r1 (relative to the level), split in
// contiguous slices among the workers. Successors equal to their parent are
// counted and dropped; the rest are buffered and routed by shard.
func (s *Search) generate(workers []*worker, frontier []byte, base uint32, r0, r1, size int, mon *monitor, ctx context.Context) {
	nw := len(workers)
	store := s.store
	// Visited shards by the fingerprint's top bits: with a power-of-two
	// shard count the shard is a shift away.
	shift := uint(64)
	if n := store.Shards(); n&(n-1) == 0 {
		shift = uint(64 - bits.TrailingZeros(uint(n)))
	}
	chunk := (r1 - r0 + nw - 1) / nw
	var wg sync.WaitGroup
	for wi, w := range workers {
		lo, hi := r0+wi*chunk, min(r0+(wi+1)*chunk, r1)
		w.reset()
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func(w *worker, lo, hi int) {
			defer wg.Done()
			var parent uint32
			var deg int
			var cur []byte
			emit := func(a spec.Action, next []byte) {
				deg++
				if sameState(next, cur) {
					w.selfLoops++
					return
				}
				fp := state.Fingerprint(next)
				var sh int
				if shift < 64 {
					sh = int(fp >> shift)
				} else {
					sh = store.ShardOf(fp)
				}
				w.shardFPs[sh] = append(w.shardFPs[sh], fp)
				w.shardIdx[sh] = append(w.shardIdx[sh], uint32(len(w.records)))
				w.records = append(w.records, Record{Parent: parent, Action: a})
				w.states = append(w.states, next...)
			}
			for i := lo; i < hi; i++ {
				if i&1023 == 0 && (mon.tripped() || ctx.Err() != nil) {
					return
				}
				parent = base + uint32(i)
				deg = 0
				cur = frontier[i*size : (i+1)*size]
				w.gen.Successors(cur, emit)
				w.generated += uint64(deg)
				w.outDegree[min(deg, outDegreeBuckets-1)]++
			}
		}(w, lo, hi)
	}
	wg.Wait()
}

// sameState compares two encodings of equal length eight bytes at a time
// (a call to the general comparison costs more than the work for small states).
func sameState(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for len(a) >= 8 {
		if binary.LittleEndian.Uint64(a) != binary.LittleEndian.Uint64(b) {
			return false
		}
		a, b = a[8:], b[8:]
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// insert runs the insert phase: worker wi owns the shards congruent to wi,
// and inserts each shard's successors worker by worker, in generation order,
// so a state's first insertion is its smallest (parent, action) pair.
func insert(workers []*worker, store Store) {
	nw := len(workers)
	for _, w := range workers {
		w.isNew = slices.Grow(w.isNew[:0], len(w.records))[:len(w.records)]
		clear(w.isNew)
	}
	dups := make([]uint64, nw)
	news := make([][]int, nw)
	var wg sync.WaitGroup
	for wi := range workers {
		wg.Add(1)
		go func(wi int) {
			defer wg.Done()
			n := make([]int, nw)
			for sh := wi; sh < store.Shards(); sh += nw {
				for wj, w := range workers {
					idx := w.shardIdx[sh]
					for k, fp := range w.shardFPs[sh] {
						if store.Insert(fp) {
							w.isNew[idx[k]] = true
							n[wj]++
						} else {
							dups[wi]++
						}
					}
				}
			}
			news[wi] = n
		}(wi)
	}
	wg.Wait()
	for wi, w := range workers {
		w.dups = dups[wi] // only the sum over workers is reported
		for wj := range workers {
			w.newCount += news[wj][wi]
		}
	}
}

// collect appends the new states of a round, worker by worker in generation
// order, keeping only the first keep of them.
func collect(workers []*worker, states []byte, recs []Record, fps []uint64, keep, size int) ([]byte, []Record, []uint64) {
	n0 := len(recs)
	total := 0
	for _, w := range workers {
		total += w.newCount
	}
	total = min(total, keep)
	states = slices.Grow(states, total*size)[:(n0+total)*size]
	recs = slices.Grow(recs, total)[:n0+total]
	fps = slices.Grow(fps, total)[:n0+total]
	var wg sync.WaitGroup
	for _, w := range workers {
		if w.newOffset >= total || w.newCount == 0 {
			continue
		}
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			j := n0 + w.newOffset
			for i, isNew := range w.isNew {
				if !isNew {
					continue
				}
				if j >= n0+total {
					return
				}
				recs[j] = w.records[i]
				st := w.states[i*size : (i+1)*size]
				copy(states[j*size:], st)
				fps[j] = state.Fingerprint(st)
				j++
			}
		}(w)
	}
	wg.Wait()
	return states, recs, fps
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
// reciprocal of the smallest gap between two sorted fingerprints. With an
// FPSet the shards (which partition fingerprints by their top bits) are
// sorted in parallel.
func actualCollision(v Visited, workers int) float64 {
	n := v.Len()
	if n < 2 || n > 1<<28 {
		return 0
	}
	minGap := uint64(math.MaxUint64)
	fs, ok := v.(*MemStore)
	if !ok {
		fps := make([]uint64, 0, n)
		v.Range(func(fp uint64) { fps = append(fps, fp) })
		slices.Sort(fps)
		for i := 1; i < len(fps); i++ {
			minGap = min(minGap, fps[i]-fps[i-1])
		}
	} else {
		type span struct{ lo, hi, gap uint64 }
		spans := make([]span, len(fs.shards))
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				var fps []uint64
				for sh := w; sh < len(fs.shards); sh += workers {
					fps = fps[:0]
					for _, fp := range fs.shards[sh].slots {
						if fp != 0 {
							fps = append(fps, fp)
						}
					}
					sp := span{gap: math.MaxUint64}
					if len(fps) > 0 {
						slices.Sort(fps)
						sp.lo, sp.hi = fps[0], fps[len(fps)-1]
						for i := 1; i < len(fps); i++ {
							sp.gap = min(sp.gap, fps[i]-fps[i-1])
						}
					}
					spans[sh] = sp
				}
			}(w)
		}
		wg.Wait()
		prev, have := uint64(0), false
		for _, sp := range spans {
			minGap = min(minGap, sp.gap)
			if sp.hi == 0 {
				continue
			}
			if have {
				minGap = min(minGap, sp.lo-prev)
			}
			prev, have = sp.hi, true
		}
	}
	if minGap == 0 {
		return 1
	}
	return 1 / float64(minGap)
}

// Path returns the actions leading from an initial state to state idx, and
// the index of that initial state. It returns no actions when a record
// cannot be read (see PathErr).
func (s *Search) Path(idx uint32) (root uint32, actions []spec.Action) {
	root, actions, err := s.PathErr(idx)
	if err != nil {
		return idx, nil
	}
	return root, actions
}

// PathErr is Path, reporting a record the store could not read.
func (s *Search) PathErr(idx uint32) (root uint32, actions []spec.Action, err error) {
	for {
		r, err := s.store.Record(idx)
		if err != nil {
			return idx, nil, fmt.Errorf("record of state %d: %w", idx, err)
		}
		if r.Action == spec.NoAction {
			slices.Reverse(actions)
			return idx, actions, nil
		}
		if r.Parent >= idx {
			return idx, nil, fmt.Errorf("record of state %d: parent %d is not an earlier state", idx, r.Parent)
		}
		actions = append(actions, r.Action)
		idx = r.Parent
	}
}
