package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"cabacheck/check"
	"cabacheck/explorer"
	"cabacheck/spec"
)

// Config is one search on Beam.
type Config struct {
	Spec ModelSpec
	// Work is the work directory (a local path, or a URL such as
	// gs://bucket/dir that every worker reaches).
	Work string
	// Resume continues the search checkpointed in Work; without it Work
	// must not hold a search.
	Resume    bool
	Continue  bool // record the first violation of each invariant and go on
	MaxDepth  int  // stop after this many levels; 0: no limit
	MaxStates uint64
	MaxTime   time.Duration
	// Partitions is the number of fingerprint partitions of the visited
	// set, each deduplicated by one call: a power of two up to 4096
	// (0: 16).
	Partitions int
	// ItemStates is the number of frontier states one expand call takes
	// (default 4096).
	ItemStates int
	Context    context.Context
	// Run runs one level's pipeline; nil: beamx.Run (the --runner flag,
	// Prism by default).
	Run func(ctx context.Context, p *beam.Pipeline) error
	// Level is called after every committed level.
	Level func(explorer.LevelStats)
}

const (
	defaultPartitions = 16
	maxPartBits       = 12
	defaultItemStates = 4096
)

// Result is a search's outcome: the native explorer's Result fields that
// the engine has (not the collision estimate "based on the actual
// fingerprints", the memory held or coverage), with 64-bit state indices
// in the violations; the pipelines this run launched and the
// counterexamples.
type Result struct {
	Distinct   uint64
	Generated  uint64
	Depth      int    // deepest level holding a state
	Complete   bool   // the whole reachable space was explored
	StopReason string // see decide: done, violation, max depth, interrupted, or "budget " + Budget
	Budget     string // max-states or max-time
	Violations []Violation
	Levels     []explorer.LevelStats
	Elapsed    time.Duration // over all runs of the search (resumes included)
	// CollisionOptimistic is TLC's optimistic estimate d*(g-d)/2^64.
	CollisionOptimistic float64

	Model           spec.Model
	Checker         spec.Checker
	Initial         int           // initial states
	Pipelines       int           // pipeline runs in this process
	PipelineTime    time.Duration // wall time inside them
	Counterexamples []check.Counterexample
}

// Violation is the first (shallowest, then lowest-numbered) state found
// violating an invariant: explorer.Violation with a 64-bit index.
type Violation struct {
	Invariant string `json:"invariant"`
	State     uint64 `json:"state"`
	Depth     int    `json:"depth"` // its BFS level: the length of a shortest trace
}

// checkpoint is checkpoint.json: the search after its last completed level.
type checkpoint struct {
	Identity   string                `json:"identity"`
	Level      int                   `json:"level"`
	Initial    int                   `json:"initial"`
	Distinct   uint64                `json:"distinct"`
	Generated  uint64                `json:"generated"`
	Depth      int                   `json:"depth"`
	Violations []Violation           `json:"violations"`
	Levels     []explorer.LevelStats `json:"levels"`
	Elapsed    int64                 `json:"elapsed_ns"`
}

// manifest is a level's manifest.json: its state files in index order.
type manifest struct {
	Level   int         `json:"level"`
	Base    uint64      `json:"base"`
	Files   []levelFile `json:"files"`
	Partial bool        `json:"partial,omitempty"` // cut by --max-states: no checkpoint
}

type levelFile struct {
	Name  string `json:"name"` // in the level's directory
	Base  uint64 `json:"base"`
	Count int    `json:"count"`
}

func (m *manifest) count() int {
	n := 0
	for _, f := range m.Files {
		n += f.Count
	}
	return n
}

// ErrWorkInUse is returned when a fresh search is asked for in a work
// directory that holds one.
var ErrWorkInUse = errors.New("the work directory holds a search: resume it (--resume) or choose another --work")

// driver is one search in progress.
type driver struct {
	cfg      Config
	bits     int // log2 of cfg.Partitions
	ctx      context.Context
	model    spec.Model
	checker  spec.Checker
	names    []string
	identity string
	size     int
	t0       time.Time
	prior    time.Duration
	res      *Result
	found    []bool
	level    int       // the last committed level
	frontier *manifest // its manifest
}

// Run explores cfg.Spec's model breadth-first, one pipeline per level, and
// rebuilds a counterexample for every violation.
func Run(cfg Config) (*Result, error) {
	if cfg.Work == "" {
		return nil, errors.New("no work directory")
	}
	if cfg.Partitions == 0 {
		cfg.Partitions = defaultPartitions
	}
	bits, err := PartitionBits(cfg.Partitions)
	if err != nil {
		return nil, err
	}
	if cfg.ItemStates <= 0 {
		cfg.ItemStates = defaultItemStates
	}
	if cfg.Run == nil {
		cfg.Run = beamx.Run
	}
	m, ch, err := cfg.Spec.Build()
	if err != nil {
		return nil, err
	}
	d := &driver{cfg: cfg, bits: bits, ctx: cfg.Context, model: m, checker: ch, size: m.StateSize(), t0: time.Now()}
	if d.ctx == nil {
		d.ctx = context.Background()
	}
	if ch != nil {
		d.names = ch.Names()
	}
	if len(d.names) > 64 {
		return nil, fmt.Errorf("%d invariants: at most 64 fit an invariant mask", len(d.names))
	}
	d.found = make([]bool, len(d.names))
	d.identity = fmt.Sprintf("%s/beam-partitions=%d", check.Identity(m, ch, cfg.Continue), cfg.Partitions)
	d.res = &Result{Model: m, Checker: ch}
	if cfg.Resume {
		err = d.resume()
	} else {
		err = d.begin()
	}
	if err != nil {
		return nil, err
	}
	why, err := d.loop()
	if err != nil {
		return d.res, err
	}
	res := d.res
	res.StopReason, res.Complete = why.reason, why.reason == "done"
	res.Budget = why.budget
	res.Elapsed = d.elapsed()
	dd, g := float64(res.Distinct), float64(res.Generated)
	res.CollisionOptimistic = max(0, dd*(g-dd)) / (1 << 64) // 0 before any level ran
	if err := d.counterexamples(); err != nil {
		return res, err
	}
	return res, nil
}

func (d *driver) elapsed() time.Duration { return d.prior + time.Since(d.t0) }

// begin checks and commits level 0 in a fresh work directory.
func (d *driver) begin() error {
	ctx := d.ctx
	cp := join(d.cfg.Work, "checkpoint.json")
	if ok, err := exists(ctx, cp); err != nil {
		return fmt.Errorf("work directory: %w", err)
	} else if ok {
		return ErrWorkInUse
	}
	if err := writeFile(ctx, join(d.cfg.Work, "IDENTITY"), []byte(d.identity+"\n")); err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	if err := d.clearLevel(0); err != nil {
		return err
	}
	seen := map[uint64]bool{}
	sf := &stateFile{size: d.size}
	parts := make(map[int][]uint64)
	for _, b := range d.model.InitialStates() {
		if len(b) != d.size {
			return fmt.Errorf("initial state has %d bytes, want %d", len(b), d.size)
		}
		fp := spec.Fingerprint(b)
		if seen[fp] {
			continue
		}
		seen[fp] = true
		idx := uint64(sf.len())
		var mask uint64
		if d.checker != nil {
			mask = d.checker.Check(b)
		}
		sf.records = append(sf.records, record{Parent: idx, Action: spec.NoAction})
		sf.masks = append(sf.masks, mask)
		sf.states = append(sf.states, b...)
		p := partitionOf(fp, d.bits)
		parts[p] = append(parts[p], fp)
	}
	name := fmt.Sprintf("states-%06d.bin", 0)
	if err := writeFile(ctx, join(levelDir(d.cfg.Work, 0), name), encodeStateFile(sf)); err != nil {
		return err
	}
	for p, fps := range parts {
		slices.Sort(fps)
		if err := writeFile(ctx, visitedPath(d.cfg.Work, p, 0), encodeFPs(fps)); err != nil {
			return err
		}
	}
	n := sf.len()
	mf := &manifest{Level: 0, Files: []levelFile{{Name: name, Count: n}}}
	res := d.res
	res.Initial, res.Distinct = n, uint64(n)
	for k := range d.names {
		for i, mask := range sf.masks {
			if mask&(1<<k) != 0 {
				d.violated(k, uint64(i), 0)
				break
			}
		}
	}
	ls := explorer.LevelStats{Level: 0, New: uint64(n), Distinct: uint64(n), Elapsed: d.elapsed()}
	return d.commit(mf, ls)
}

func (d *driver) violated(k int, idx uint64, level int) {
	d.found[k] = true
	d.res.Violations = append(d.res.Violations, Violation{Invariant: d.names[k], State: idx, Depth: level})
}

// commit writes a level's manifest, then (unless the level was cut short)
// the checkpoint that makes it the level a resume starts from.
func (d *driver) commit(mf *manifest, ls explorer.LevelStats) error {
	res := d.res
	res.Levels = append(res.Levels, ls)
	if err := writeJSON(d.ctx, manifestPath(d.cfg.Work, mf.Level), mf); err != nil {
		return fmt.Errorf("level %d: %w", mf.Level, err)
	}
	if !mf.Partial {
		cp := checkpoint{
			Identity: d.identity, Level: mf.Level, Initial: res.Initial, Distinct: res.Distinct, Generated: res.Generated,
			Depth: res.Depth, Violations: res.Violations, Levels: res.Levels, Elapsed: int64(d.elapsed()),
		}
		if err := writeJSON(d.ctx, join(d.cfg.Work, "checkpoint.json"), cp); err != nil {
			return fmt.Errorf("level %d: checkpoint: %w", mf.Level, err)
		}
	}
	d.level, d.frontier = mf.Level, mf
	if d.cfg.Level != nil {
		d.cfg.Level(ls)
	}
	return nil
}

// resume takes the search up at the work directory's checkpoint.
func (d *driver) resume() error {
	ctx := d.ctx
	var cp checkpoint
	if err := readJSON(ctx, join(d.cfg.Work, "checkpoint.json"), &cp); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("resume: %s holds no search to resume", d.cfg.Work)
		}
		return fmt.Errorf("resume: %w", err)
	}
	if cp.Identity != d.identity {
		return fmt.Errorf("resume: %s holds a search of %s, not of %s", d.cfg.Work, cp.Identity, d.identity)
	}
	var mf manifest
	if err := readJSON(ctx, manifestPath(d.cfg.Work, cp.Level), &mf); err != nil {
		return fmt.Errorf("resume: level %d: %w", cp.Level, err)
	}
	res := d.res
	res.Initial, res.Distinct, res.Generated, res.Depth = cp.Initial, cp.Distinct, cp.Generated, cp.Depth
	res.Violations, res.Levels = cp.Violations, cp.Levels
	d.prior = time.Duration(cp.Elapsed)
	for _, v := range cp.Violations {
		if k := slices.Index(d.names, v.Invariant); k >= 0 {
			d.found[k] = true
		}
	}
	d.level, d.frontier = cp.Level, &mf
	return nil
}

// stop is decide's answer; the zero stop goes on.
type stop struct {
	reason, budget string
}

func (s stop) goOn() bool { return s.reason == "" }

// decide is the one place that stops the search, between levels, with the
// native explorer's reasons in its order of precedence.
func (d *driver) decide() stop {
	cfg, res := &d.cfg, d.res
	switch {
	case d.frontier.count() == 0:
		return stop{reason: "done"}
	case len(res.Violations) > 0 && !cfg.Continue:
		return stop{reason: "violation"}
	case cfg.MaxDepth > 0 && d.level >= cfg.MaxDepth:
		return stop{reason: "max depth"}
	case d.ctx.Err() != nil:
		return stop{reason: "interrupted"}
	case cfg.MaxStates > 0 && res.Distinct >= cfg.MaxStates:
		return stop{reason: "budget max-states", budget: "max-states"}
	case cfg.MaxTime > 0 && d.elapsed() >= cfg.MaxTime:
		return stop{reason: "budget max-time", budget: "max-time"}
	}
	return stop{}
}

func (d *driver) loop() (stop, error) {
	for {
		if why := d.decide(); !why.goOn() {
			return why, nil
		}
		why, err := d.expand()
		if err != nil || !why.goOn() {
			return why, err
		}
	}
}

// workItems splits the frontier's files into work items.
func (d *driver) workItems() []WorkItem {
	var items []WorkItem
	for _, f := range d.frontier.Files {
		for s := 0; s < f.Count; s += d.cfg.ItemStates {
			items = append(items, WorkItem{
				ID: len(items), Path: join(levelDir(d.cfg.Work, d.level), f.Name), Count: f.Count,
				Start: s, End: min(s+d.cfg.ItemStates, f.Count), Base: f.Base,
			})
		}
	}
	return items
}

// clearLevel removes what a broken attempt at level may have left.
func (d *driver) clearLevel(level int) error {
	if err := removeAll(d.ctx, join(levelDir(d.cfg.Work, level), "*")); err != nil {
		return fmt.Errorf("level %d: clearing: %w", level, err)
	}
	if err := removeAll(d.ctx, join(d.cfg.Work, "visited", "p*", fmt.Sprintf("level-%04d.fp", level))); err != nil {
		return fmt.Errorf("level %d: clearing: %w", level, err)
	}
	return nil
}

// expand runs the next level's pipeline and commits the level. A pipeline
// cancelled by the context drops the level ("interrupted"); the max-states
// budget cuts it to the states that fit and stops.
func (d *driver) expand() (stop, error) {
	level := d.level + 1
	if err := d.clearLevel(level); err != nil {
		return stop{}, err
	}
	items := d.workItems()
	p, s := beam.NewPipelineWithRoot()
	buildLevel(s, LevelParams{Spec: d.cfg.Spec, Work: d.cfg.Work, Level: level, PartBits: d.bits}, items, len(d.names))
	t := time.Now()
	err := d.cfg.Run(d.ctx, p)
	d.res.Pipelines++
	d.res.PipelineTime += time.Since(t)
	if err != nil {
		if d.ctx.Err() != nil {
			return stop{reason: "interrupted"}, nil
		}
		return stop{}, fmt.Errorf("level %d: pipeline: %w", level, err)
	}
	return d.collect(level, items)
}

// collect reads what a level's pipeline wrote, numbers its state files,
// finds its violations and commits it.
func (d *driver) collect(level int, items []WorkItem) (stop, error) {
	ctx, res := d.ctx, d.res
	ls := explorer.LevelStats{Level: level}
	for _, it := range items {
		var g genStats
		if err := readJSON(ctx, genPath(d.cfg.Work, level, it.ID), &g); err != nil {
			return stop{}, fmt.Errorf("level %d: work item %d: %w", level, it.ID, err)
		}
		ls.Frontier += g.Frontier
		ls.Generated += g.Generated
		ls.Candidates += g.Generated - g.SelfLoops
	}
	sums, err := d.summaries(level)
	if err != nil {
		return stop{}, err
	}
	mf := &manifest{Level: level, Base: res.Distinct}
	base := res.Distinct
	firsts := make([][]int, 0, len(sums))
	for _, it := range items {
		sm, ok := sums[it.ID]
		if !ok || sm.Count == 0 {
			continue
		}
		mf.Files = append(mf.Files, levelFile{Name: fmt.Sprintf("states-%06d.bin", it.ID), Base: base, Count: sm.Count})
		firsts = append(firsts, sm.First)
		base += uint64(sm.Count)
	}
	why := stop{}
	if n := base - res.Distinct; d.cfg.MaxStates > 0 && res.Distinct+n > d.cfg.MaxStates {
		mf.cut(int(d.cfg.MaxStates - res.Distinct))
		mf.Partial = true
		why = stop{reason: "budget max-states", budget: "max-states"}
	}
	for k := range d.names {
		if d.found[k] {
			continue
		}
		for i, f := range mf.Files {
			if pos := firsts[i][k]; pos >= 0 && pos < f.Count {
				d.violated(k, f.Base+uint64(pos), level)
				break
			}
		}
	}
	ls.New = uint64(mf.count())
	ls.Duplicates = ls.Generated - ls.New
	res.Generated += ls.Generated
	res.Distinct += ls.New
	if ls.New > 0 {
		res.Depth = level
	}
	ls.Distinct, ls.Elapsed = res.Distinct, d.elapsed()
	if err := d.commit(mf, ls); err != nil {
		return stop{}, err
	}
	return why, nil
}

// cut keeps the first n states of the level.
func (m *manifest) cut(n int) {
	for i := range m.Files {
		if n <= m.Files[i].Count {
			m.Files[i].Count = n
			m.Files = m.Files[:i+1]
			if n == 0 {
				m.Files = m.Files[:i]
			}
			return
		}
		n -= m.Files[i].Count
	}
}

// summaries reads a level's sum-W.json files by work item.
func (d *driver) summaries(level int) (map[int]itemSummary, error) {
	files, err := list(d.ctx, join(levelDir(d.cfg.Work, level), "sum-*.json"))
	if err != nil {
		return nil, fmt.Errorf("level %d: %w", level, err)
	}
	sums := make(map[int]itemSummary, len(files))
	for _, p := range files {
		name := p[strings.LastIndex(p, "/")+1:]
		id, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "sum-"), ".json"))
		if err != nil {
			continue // a temporary file
		}
		var sm itemSummary
		if err := readJSON(d.ctx, p, &sm); err != nil {
			return nil, fmt.Errorf("level %d: %w", level, err)
		}
		if len(sm.First) != len(d.names) {
			return nil, fmt.Errorf("level %d: %s has %d invariants, want %d", level, name, len(sm.First), len(d.names))
		}
		sums[id] = sm
	}
	return sums, nil
}

// PartitionBits is log2 of a partition count, which must be a power of
// two in 1..4096.
func PartitionBits(n int) (int, error) {
	for b := 0; b <= maxPartBits; b++ {
		if n == 1<<b {
			return b, nil
		}
	}
	return 0, fmt.Errorf("%d partitions: want a power of two in 1..%d", n, 1<<maxPartBits)
}

func partitionOf(fp uint64, bits int) int {
	if bits == 0 {
		return 0
	}
	return int(fp >> uint(64-bits))
}
