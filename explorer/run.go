package explorer

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"cabacheck/spec"
)

// Run explores model breadth-first, level by level, until decide stops it.
// The steps, in order: begin with the initial states (level 0) or resume
// from the store's checkpoint; then, for each level, decide whether to go
// on, expand the frontier into the next level (its rounds generate, insert
// and collect successors, and decide may drop or cut the level between the
// phases), and commit the level (check the invariants on it, record its
// statistics, hand it to the store); finally finish: the stop reason, the
// memory and the collision estimates.
func Run(model spec.Model, cfg Config) (*Search, error) {
	r := newRun(model, cfg)
	if cfg.Resume {
		if err := r.resume(); err != nil {
			return nil, err
		}
	} else {
		if err := r.initialStates(); err != nil {
			return nil, err
		}
		if err := r.commitInitial(); err != nil {
			return r.s, err
		}
	}
	r.startWorkers()
	r.mon = startMonitor(cfg.MaxTime, cfg.MaxMemory, r.t0)
	defer r.mon.stop()
	r.disk = newDiskWatch(r.store, cfg.MaxDisk)

	var why stop
	for why.goOn() {
		if why = r.decide(beforeLevel); !why.goOn() {
			break
		}
		var ls LevelStats
		ls, why = r.expand()
		if why.err != nil {
			return r.s, why.err
		}
		if !why.goOn() && !why.keep {
			break // the level is dropped: the search ends at the last committed one
		}
		if err := r.commitLevel(ls, why.keep); err != nil {
			return r.s, err
		}
	}
	if err := r.finish(why); err != nil {
		return r.s, err
	}
	return r.s, nil
}

// run is one search in progress: the configuration with its defaults, the
// Search being filled in, the last committed level (the frontier) and the
// buffers of the level being built.
type run struct {
	cfg   Config
	ctx   context.Context
	store Store
	model spec.Model
	size  int // bytes per encoded state
	nw    int // workers
	every time.Duration

	names []string // the invariants checked
	found []bool   // found[k]: names[k] is violated

	s   *Search
	res *Result

	t0           time.Time     // start of this run
	prior        time.Duration // search time of the runs before a resume
	lastProgress time.Time
	mon          *monitor
	disk         *diskWatch // nil unless the store is on disk
	workers      []*worker
	route        routing     // successors' buckets for the insert phase
	chunks       roundChunks // the chunks of the round being built

	// The last committed level: its number, the index of its first state
	// and its states.
	level    int
	base     uint32
	frontier []byte

	// The level being built: its new states, their records and fingerprints.
	next     []byte
	nextRecs []Record
	nextFPs  []uint64

	levelCov *Coverage // the counts of the level being built; nil unless Config.Coverage
}

func newRun(model spec.Model, cfg Config) *run {
	r := &run{cfg: cfg, ctx: cfg.Context, store: cfg.Store, model: model, nw: cfg.Workers, every: cfg.ProgressEvery}
	if r.ctx == nil {
		r.ctx = context.Background()
	}
	if r.nw <= 0 {
		r.nw = runtime.NumCPU()
	}
	if r.store == nil {
		r.store = NewMemStore(1 << 16)
	}
	if r.every <= 0 {
		r.every = 5 * time.Second
	}
	r.size = model.StateSize()
	r.t0 = time.Now()
	r.lastProgress = r.t0
	r.s = &Search{Model: model, store: r.store}
	r.res = &r.s.Result
	if cfg.Checker != nil {
		r.names = cfg.Checker.Names()
	}
	r.found = make([]bool, len(r.names))
	if cfg.Coverage {
		r.levelCov = new(Coverage)
		r.res.Coverage = new(Coverage)
	}
	return r
}

func (r *run) elapsed() time.Duration { return r.prior + time.Since(r.t0) }

// resume takes the search up at the store's last checkpoint: its level
// becomes the frontier, its counts, statistics and violations the result's.
func (r *run) resume() error {
	cp, states, err := r.store.Resume()
	if err != nil {
		return err
	}
	if cp == nil {
		return ErrNothingToResume
	}
	if want := int(cp.Distinct-uint64(cp.Base)) * r.size; len(states) != want {
		return fmt.Errorf("resume: the store holds %d bytes of level %d states, want %d", len(states), cp.Level, want)
	}
	res := r.res
	r.frontier, r.base, r.level = states, cp.Base, cp.Level
	r.s.Initial = cp.Initial
	res.Distinct, res.Generated, res.Depth = cp.Distinct, cp.Generated, cp.Depth
	res.Violations = append(res.Violations, cp.Violations...)
	res.Levels = append(res.Levels, cp.Levels...)
	r.prior = time.Duration(cp.Elapsed)
	for _, v := range cp.Violations {
		if k := slices.Index(r.names, v.Invariant); k >= 0 {
			r.found[k] = true
		}
	}
	return nil
}

// initialStates builds level 0: the model's distinct initial states.
func (r *run) initialStates() error {
	for _, b := range r.model.InitialStates() {
		if len(b) != r.size {
			return fmt.Errorf("initial state has %d bytes, want %d", len(b), r.size)
		}
		fp := spec.Fingerprint(b)
		if !r.store.Insert(fp) {
			continue
		}
		idx := uint32(len(r.nextRecs))
		r.nextRecs = append(r.nextRecs, Record{Parent: idx, Action: spec.NoAction})
		r.nextFPs = append(r.nextFPs, fp)
		r.next = append(r.next, b...)
	}
	return nil
}

// commitInitial checks and commits level 0, which becomes the frontier.
func (r *run) commitInitial() error {
	res := r.res
	r.s.Initial = len(r.nextRecs)
	res.Distinct = uint64(len(r.nextRecs))
	r.checkLevel(r.next, 0, 0)
	res.Levels = append(res.Levels, LevelStats{Level: 0, New: res.Distinct, Distinct: res.Distinct, Elapsed: r.elapsed()})
	if err := r.store.Commit(r.commitOf(0, 0, r.elapsed())); err != nil {
		return fmt.Errorf("level 0: %w", err)
	}
	if r.cfg.Level != nil {
		r.cfg.Level(res.Levels[0])
	}
	r.advance(0, 0)
	return nil
}

func (r *run) startWorkers() {
	r.route = routingFor(r.store)
	nb := r.route.buckets
	r.workers = make([]*worker, r.nw)
	for i := range r.workers {
		r.workers[i] = &worker{gen: r.model.NewGenerator(), shardFPs: make([][]uint64, nb), shardIdx: make([][]uint32, nb)}
		if r.cfg.Coverage {
			r.workers[i].cov = new(workerCoverage)
		}
	}
}

// A stop is decide's answer. The zero stop goes on.
type stop struct {
	reason string // Result.StopReason
	budget string // Result.Budget: the budget that stopped the search
	// keep: the level being built is cut short and committed, then the
	// search stops; otherwise a stop during a level drops the level.
	keep bool
	err  error // the search fails
}

func (s stop) goOn() bool { return s.reason == "" && s.err == nil }

func budgetStop(b string) stop { return stop{reason: "budget " + b, budget: b} }

// A moment is when decide is asked.
type moment int

const (
	beforeLevel    moment = iota // the last level is committed, the next not begun
	roundGenerated               // a round's successors are generated, not yet inserted
	roundInserted                // a round's successors are inserted, not yet collected
)

// decide is the one place where the search decides to stop, and why; Run
// ends with its answer, and finish copies it into Result.StopReason,
// Result.Budget and Result.Complete. In order of precedence:
//
// beforeLevel:
//   - "done" (Complete): the frontier is empty;
//   - "violation": an invariant is violated and Config.Continue is off
//     (with Continue the search goes on to the end, as TLC's -continue,
//     even once every invariant is violated: the counts stay complete);
//   - "max depth": Config.MaxDepth levels are done;
//   - "interrupted": Config.Context is cancelled;
//   - "budget max-states": Config.MaxStates states are found;
//   - "budget max-time", "budget max-memory": the monitor tripped;
//   - "budget max-memory": the next level is predicted not to fit;
//   - "budget max-disk": a disk store's file system could fill up during
//     the next level, or the store would pass Config.MaxDisk (diskWatch).
//
// roundGenerated, the level is dropped and the search ends at the last
// committed level:
//   - "budget max-time", "budget max-memory": the monitor tripped;
//   - "interrupted": the context is cancelled;
//   - "budget max-disk": the level built so far could fill the disk.
//
// roundInserted:
//   - ErrTooManyStates: the new states would overflow 32-bit indices;
//   - "budget max-states" (keep): the new states exceed Config.MaxStates;
//     the level keeps the states that fit (room), is committed as a
//     partial level, and the search stops.
func (r *run) decide(at moment) stop {
	cfg, res := &r.cfg, r.res
	switch at {
	case roundGenerated:
		if b := r.mon.exceeded(); b != "" {
			return budgetStop(b)
		}
		if r.ctx.Err() != nil {
			return stop{reason: "interrupted"}
		}
		if r.disk.full(res.Distinct, r.pendingStates(), r.size, false) {
			return budgetStop("max-disk")
		}
		return stop{}
	case roundInserted:
		n := uint64(len(r.nextRecs)) + uint64(r.roundNew())
		if n+res.Distinct > math.MaxUint32 {
			return stop{err: ErrTooManyStates}
		}
		if cfg.MaxStates > 0 && res.Distinct+n > cfg.MaxStates {
			s := budgetStop("max-states")
			s.keep = true
			return s
		}
		return stop{}
	}
	nf := len(r.frontier) / r.size
	switch {
	case nf == 0:
		return stop{reason: "done"}
	case len(res.Violations) > 0 && !cfg.Continue:
		return stop{reason: "violation"}
	case cfg.MaxDepth > 0 && r.level >= cfg.MaxDepth:
		return stop{reason: "max depth"}
	case r.ctx.Err() != nil:
		return stop{reason: "interrupted"}
	case cfg.MaxStates > 0 && res.Distinct >= cfg.MaxStates:
		return budgetStop("max-states")
	}
	if b := r.mon.exceeded(); b != "" {
		return budgetStop(b)
	}
	if cfg.MaxMemory > 0 {
		more := levelEstimate(res.Levels, nf, r.size, r.nw, r.reusable())
		if heapInUse()+more > cfg.MaxMemory && liveHeap()+more > cfg.MaxMemory {
			return budgetStop("max-memory")
		}
	}
	if r.disk.full(res.Distinct, r.nextLevelStates(nf), r.size, true) {
		return budgetStop("max-disk")
	}
	return stop{}
}

// roundNew is the number of new states the last insert phase found.
func (r *run) roundNew() int {
	n := 0
	for _, w := range r.workers {
		n += w.newCount
	}
	return n
}

// room is the number of states that the max-states budget still admits in
// the level being built.
func (r *run) room() int {
	return int(r.cfg.MaxStates - r.res.Distinct - uint64(len(r.nextRecs)))
}

// roundSize is the number of frontier states per round, so that each worker
// buffers about maxRoundCandidates successors (at the last level's degree).
func (r *run) roundSize() int {
	deg := 16.0
	if n := len(r.res.Levels); n > 0 && r.res.Levels[n-1].Frontier > 0 {
		last := r.res.Levels[n-1]
		deg = max(1, float64(last.Generated)/float64(last.Frontier))
	}
	return max(4096, int(float64(maxRoundCandidates*r.nw)/deg))
}

// expand builds the next level from the frontier into r.next, in rounds of
// frontier states: generate, then (unless decide stops the search) insert,
// then collect the new states. It returns the level's statistics so far and
// decide's answer: a stop after generate drops the level; a keep stop after
// insert cuts it to the states that fit.
func (r *run) expand() (LevelStats, stop) {
	nf := len(r.frontier) / r.size
	ls := LevelStats{Level: r.level + 1, Frontier: uint64(nf), OutDegree: make([]uint64, outDegreeBuckets)}
	perRound := r.roundSize()
	r.next, r.nextRecs, r.nextFPs = r.next[:0], r.nextRecs[:0], r.nextFPs[:0]
	for r0 := 0; r0 < nf; r0 += perRound {
		r1 := min(r0+perRound, nf)
		r.generate(r0, r1)
		if why := r.decide(roundGenerated); !why.goOn() {
			return ls, why
		}
		keep := insert(r.workers, r.store, &r.chunks)
		why := r.decide(roundInserted)
		if why.err != nil {
			return ls, why
		}
		if why.keep {
			keep = r.room()
		}
		n0 := len(r.nextRecs)
		r.next, r.nextRecs, r.nextFPs = collect(r.workers, &r.chunks, r.next, r.nextRecs, r.nextFPs, keep, r.size)
		r.tally(&ls, r.nextRecs[n0:])
		if r1 < nf && r.progressDue() {
			// A long level reports between its rounds too.
			res := r.res
			r.cfg.Progress(Progress{Level: ls.Level, Distinct: res.Distinct + uint64(len(r.nextRecs)), Generated: res.Generated + ls.Generated,
				Queue: uint64(nf-r1) + uint64(len(r.nextRecs)), Elapsed: r.elapsed()})
		}
		if why.keep {
			return ls, why
		}
	}
	return ls, stop{}
}

// tally adds the workers' counts of the round to the level's statistics,
// and with coverage on, to the level's coverage with the kinds of the
// round's new states (recs).
func (r *run) tally(ls *LevelStats, recs []Record) {
	if c := r.levelCov; c != nil {
		for _, w := range r.workers {
			c.add(&w.cov.Coverage)
		}
		for _, rec := range recs {
			c.New[rec.Action.Kind()]++
		}
	}
	for _, w := range r.workers {
		ls.Generated += w.generated
		ls.Candidates += w.generated - w.selfLoops
		ls.Duplicates += w.dups + w.selfLoops
		for k, v := range w.outDegree {
			ls.OutDegree[k] += v
		}
	}
}

// commitLevel completes the level built by expand: it counts it, checks the
// invariants on it, records its statistics, commits it to the store (as a
// partial level when cut short), reports it, and makes it the frontier.
func (r *run) commitLevel(ls LevelStats, cut bool) error {
	res := r.res
	level, base := ls.Level, uint32(res.Distinct)
	for len(ls.OutDegree) > 1 && ls.OutDegree[len(ls.OutDegree)-1] == 0 {
		ls.OutDegree = ls.OutDegree[:len(ls.OutDegree)-1]
	}
	ls.New = uint64(len(r.nextRecs))
	res.Generated += ls.Generated
	if r.levelCov != nil {
		res.Coverage.add(r.levelCov)
		*r.levelCov = Coverage{}
	}
	res.Distinct += ls.New
	if ls.New > 0 {
		res.Depth = level
	}
	r.checkLevel(r.next, base, level)
	ls.Distinct = res.Distinct
	ls.Elapsed = r.elapsed()
	ls.HeapBytes = heapInUse()
	res.Levels = append(res.Levels, ls)
	c := r.commitOf(level, base, r.elapsed())
	c.Partial = cut
	if err := r.store.Commit(c); err != nil {
		return fmt.Errorf("level %d: %w", level, err)
	}
	last := &res.Levels[len(res.Levels)-1]
	last.BytesPerState = float64(r.store.Bytes()+r.store.RecordBytes()) / float64(res.Distinct)
	if r.cfg.Level != nil {
		r.cfg.Level(*last)
	}
	if r.progressDue() {
		r.cfg.Progress(Progress{Level: level, Distinct: res.Distinct, Generated: res.Generated, Queue: ls.New, Elapsed: r.elapsed()})
	}
	r.advance(level, base)
	return nil
}

// commitOf describes the level being built for the store.
func (r *run) commitOf(level int, base uint32, elapsed time.Duration) *Commit {
	res := r.res
	return &Commit{
		Checkpoint: Checkpoint{
			Level: level, Base: base, Initial: r.s.Initial, Distinct: res.Distinct, Generated: res.Generated, Depth: res.Depth,
			Violations: res.Violations, Levels: res.Levels, Elapsed: int64(elapsed),
		},
		Records: r.nextRecs, Fingerprints: r.nextFPs, States: r.next, StateSize: r.size,
	}
}

// advance makes the committed level the frontier; the old frontier's
// buffer is reused for the next level.
func (r *run) advance(level int, base uint32) {
	r.level, r.base = level, base
	r.frontier, r.next = r.next, r.frontier
}

// progressDue reports whether a progress report is due, and if so counts it
// as made.
func (r *run) progressDue() bool {
	if r.cfg.Progress == nil || time.Since(r.lastProgress) < r.every {
		return false
	}
	r.lastProgress = time.Now()
	return true
}

// finish records why the search stopped (the only place that sets
// StopReason, Budget and Complete), the memory held and the collision
// estimates, and makes the last progress report.
func (r *run) finish(why stop) error {
	res := r.res
	res.StopReason, res.Budget, res.Complete = why.reason, why.budget, why.reason == "done"
	res.Elapsed = r.elapsed()
	res.VisitedBytes = r.store.Bytes()
	res.RecordBytes = r.store.RecordBytes()
	d, g := float64(res.Distinct), float64(res.Generated)
	res.CollisionOptimistic = d * (g - d) / math.Pow(2, 64)
	actual, err := actualCollision(r.store, r.nw)
	if err != nil {
		return fmt.Errorf("collision estimate: %w", err)
	}
	res.CollisionActual = actual
	if r.cfg.Progress != nil {
		r.cfg.Progress(Progress{Level: r.level, Distinct: res.Distinct, Generated: res.Generated, Elapsed: res.Elapsed, Done: true})
	}
	return nil
}
