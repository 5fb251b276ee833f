package explorer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"cabacheck/spec"
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
	// MaxDisk bounds the disk space of a store on disk (a DiskStore), checked
	// before each level and after each round. Whether or not it is set, the
	// search stops before the store's file system could fill up, and without
	// it keeps DefaultDiskReserve free.
	MaxDisk uint64

	// Store keeps the visited set and parent records; nil means a fresh
	// memory store (NewMemStore).
	Store Store
	// Resume continues the search committed in Store instead of starting anew.
	Resume bool

	// Coverage counts, per action kind, how often it was enabled, taken and
	// led to a new state (Result.Coverage; coverage.go). It covers the
	// levels this run explores: a resumed search counts from its
	// checkpoint on.
	Coverage bool
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
	StopReason string // see decide: done, violation, max depth, interrupted, or "budget " + Budget
	Budget     string // the budget that stopped the search: max-states, max-time, max-memory, max-disk
	Violations []Violation
	Levels     []LevelStats
	Elapsed    time.Duration

	// Collision probability estimates, as TLC prints them.
	CollisionOptimistic float64 // d*(g-d)/2^64
	CollisionActual     float64 // 1 / smallest gap between sorted fingerprints

	// VisitedBytes and RecordBytes are the memory held at the end.
	VisitedBytes, RecordBytes uint64

	// Coverage is the action coverage of the committed levels; nil unless
	// Config.Coverage.
	Coverage *Coverage
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

// Path returns the actions leading from an initial state to state idx, and
// the index of that initial state. It fails when the store cannot read a
// record, or a record does not lead back to an earlier state.
func (s *Search) Path(idx uint32) (root uint32, actions []spec.Action, err error) {
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

// State rebuilds state idx of m by replaying its path from its initial
// state (the store keeps records, not states), with the actions on the way.
func (s *Search) State(m spec.Model, idx uint32) ([]byte, []spec.Action, error) {
	root, acts, err := s.Path(idx)
	if err != nil {
		return nil, nil, err
	}
	init := m.InitialStates()
	if int(root) >= len(init) {
		return nil, nil, fmt.Errorf("state %d: root %d is not an initial state", idx, root)
	}
	cur := append([]byte(nil), init[root]...)
	next := make([]byte, len(cur))
	for i, a := range acts {
		if !m.Apply(cur, a, next) {
			return nil, nil, fmt.Errorf("state %d: step %d %s is not enabled", idx, i+1, m.FormatAction(a))
		}
		cur, next = next, cur
	}
	return cur, acts, nil
}
