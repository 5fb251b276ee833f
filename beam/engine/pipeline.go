package engine

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"cabacheck/spec"
)

// One BFS level is one pipeline (Beam has no loops; the driver runs one
// per level):
//
//	Create(work item ids)
//	  → ParDo expand: read the item's frontier states, generate successors,
//	    drop self-loops and repeats within the item, route by fingerprint
//	    partition, emit one batch per partition            KV<partition, batch>
//	  → GroupByKey
//	  → ParDo dedup: keep one successor per fingerprint, the least
//	    (parent index, successor position), anti-join with the partition's
//	    visited files, check the invariants on the new states, write the
//	    partition's new visited file, emit them by the work item of their
//	    parent                                              KV<item, batch>
//	  → GroupByKey
//	  → ParDo write: sort the item's new states by (parent, position), write
//	    them as one state file with its summary.
//
// The least (parent, position) is the native explorer's tie-break: its
// insert phase inserts successors in generation order, so a state's first
// insertion is from its lowest-numbered parent and, within that parent, from
// its earliest successor. The new states are numbered in the same order
// (item, then parent, then position), so state indices, counts, depths and
// counterexamples equal the native explorer's. Every DoFn's output depends
// on its input only (GroupByKey's order is absorbed by the minimum and the
// sort), so a retried bundle rewrites the same files.
//
// Elements are batches, not states: a few per (item, partition), so the
// per-element cost of the runner (encoding, channels) is paid per thousands
// of states.

func init() {
	register.DoFn3x1[context.Context, int, func(int, []byte), error](&expandFn{})
	register.DoFn4x1[context.Context, int, func(*[]byte) bool, func(int, []byte), error](&dedupFn{})
	register.DoFn3x1[context.Context, int, func(*[]byte) bool, error](&writeFn{})
	register.Emitter2[int, []byte]()
	register.Iter1[[]byte]()
}

// WorkItem is a slice of the frontier expanded by one call of expand: the
// states Start..End-1 of one state file whose first state has index Base.
type WorkItem struct {
	ID         int
	Path       string
	Count      int // states in the file
	Start, End int
	Base       uint64
}

// LevelParams are what every DoFn of one level's pipeline knows.
type LevelParams struct {
	Spec     ModelSpec
	Work     string
	Level    int // the level being built; the frontier is Level-1
	PartBits int
}

// A candidate in an expand batch: fingerprint (8 bytes), parent index
// (8), successor position (4), action (4), state.
const candHeader = 24

// A new state in a dedup batch: parent (8), position (4), action (4),
// invariant mask (8), state.
const newHeader = 24

// expandFn generates the successors of one work item.
type expandFn struct {
	P     LevelParams
	Items []WorkItem

	gen  spec.Generator
	size int
	seen map[uint64]struct{}
}

func (f *expandFn) Setup(ctx context.Context) error {
	m, _, err := f.P.Spec.Build()
	if err != nil {
		return err
	}
	f.gen, f.size, f.seen = m.NewGenerator(), m.StateSize(), make(map[uint64]struct{})
	return nil
}

// genStats is what expand writes of its item (gen-W.json).
type genStats struct {
	Frontier  uint64 `json:"frontier"`
	Generated uint64 `json:"generated"`
	SelfLoops uint64 `json:"self_loops"`
	Emitted   uint64 `json:"emitted"` // candidates sent on: distinct within the item
}

func (f *expandFn) ProcessElement(ctx context.Context, id int, emit func(int, []byte)) error {
	if id < 0 || id >= len(f.Items) {
		return fmt.Errorf("work item %d of %d", id, len(f.Items))
	}
	it := f.Items[id]
	states, err := readStateRange(ctx, it.Path, f.size, it.Count, it.Start, it.End)
	if err != nil {
		return fmt.Errorf("level %d, work item %d: %w", f.P.Level, id, err)
	}
	bufs := make([][]byte, 1<<f.P.PartBits)
	clear(f.seen)
	var st genStats
	var parent uint64
	var pos uint32
	var cur []byte
	emitSucc := func(a spec.Action, next []byte) {
		pos++
		if string(next) == string(cur) {
			st.SelfLoops++
			return
		}
		fp := spec.Fingerprint(next)
		if _, dup := f.seen[fp]; dup {
			return
		}
		f.seen[fp] = struct{}{}
		p := partitionOf(fp, f.P.PartBits)
		b := bufs[p]
		b = binary.LittleEndian.AppendUint64(b, fp)
		b = binary.LittleEndian.AppendUint64(b, parent)
		b = binary.LittleEndian.AppendUint32(b, pos-1)
		b = binary.LittleEndian.AppendUint32(b, uint32(a))
		bufs[p] = append(b, next...)
	}
	for i := 0; i < it.End-it.Start; i++ {
		if i&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		parent, pos = it.Base+uint64(it.Start+i), 0
		cur = states[i*f.size : (i+1)*f.size]
		f.gen.Successors(cur, emitSucc)
		st.Generated += uint64(pos)
	}
	st.Frontier = uint64(it.End - it.Start)
	st.Emitted = uint64(len(f.seen))
	for p, b := range bufs {
		if len(b) > 0 {
			emit(p, b)
		}
	}
	return writeJSON(ctx, genPath(f.P.Work, f.P.Level, id), st)
}

// readStateRange reads the encodings of states start..end-1 of a state
// file holding count states, without its records and masks.
func readStateRange(ctx context.Context, path string, size, count, start, end int) ([]byte, error) {
	r, err := openRead(ctx, path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	skip := int64(stateHeaderSize + count*(recordSize+8) + start*size)
	if _, err := io.CopyN(io.Discard, r, skip); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b := make([]byte, (end-start)*size)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// dedupFn keeps the new states of one fingerprint partition.
type dedupFn struct {
	P     LevelParams
	Items []WorkItem

	checker spec.Checker
	size    int
}

func (f *dedupFn) Setup(ctx context.Context) error {
	m, ch, err := f.P.Spec.Build()
	if err != nil {
		return err
	}
	f.checker, f.size = ch, m.StateSize()
	return nil
}

// cand is one candidate, pointing into its batch.
type cand struct {
	fp     uint64
	parent uint64
	pos    uint32
	entry  []byte // the whole entry: header and state
}

func (c cand) less(d cand) bool {
	return c.parent < d.parent || c.parent == d.parent && c.pos < d.pos
}

func (f *dedupFn) ProcessElement(ctx context.Context, part int, batches func(*[]byte) bool, emit func(int, []byte)) error {
	esize := candHeader + f.size
	best := make(map[uint64]int)
	var cands []cand
	var b []byte
	for batches(&b) {
		if len(b)%esize != 0 {
			return fmt.Errorf("partition %d: a batch of %d bytes is not made of %d-byte candidates", part, len(b), esize)
		}
		for off := 0; off < len(b); off += esize {
			e := b[off : off+esize : off+esize]
			c := cand{fp: binary.LittleEndian.Uint64(e), parent: binary.LittleEndian.Uint64(e[8:]), pos: binary.LittleEndian.Uint32(e[16:]), entry: e}
			if j, ok := best[c.fp]; !ok {
				best[c.fp] = len(cands)
				cands = append(cands, c)
			} else if c.less(cands[j]) {
				cands[j] = c
			}
		}
		b = nil // the next batch gets its own buffer; candidates point into this one
	}
	slices.SortFunc(cands, func(x, y cand) int { return cmp.Compare(x.fp, y.fp) })
	fresh := make([]bool, len(cands))
	for i := range fresh {
		fresh[i] = true
	}
	if err := f.antiJoin(ctx, part, cands, fresh); err != nil {
		return err
	}
	var newFPs []uint64
	out := make(map[int][]byte)
	for i, c := range cands {
		if !fresh[i] {
			continue
		}
		newFPs = append(newFPs, c.fp)
		st := c.entry[candHeader:]
		var mask uint64
		if f.checker != nil {
			mask = f.checker.Check(st)
		}
		item := itemOf(f.Items, c.parent)
		if item < 0 {
			return fmt.Errorf("partition %d: parent %d is in no work item", part, c.parent)
		}
		o := out[item]
		o = binary.LittleEndian.AppendUint64(o, c.parent)
		o = binary.LittleEndian.AppendUint32(o, c.pos)
		o = append(o, c.entry[20:24]...) // the action
		o = binary.LittleEndian.AppendUint64(o, mask)
		out[item] = append(o, st...)
	}
	if len(newFPs) > 0 {
		if err := writeFile(ctx, visitedPath(f.P.Work, part, f.P.Level), encodeFPs(newFPs)); err != nil {
			return err
		}
	}
	items := make([]int, 0, len(out))
	for it := range out {
		items = append(items, it)
	}
	slices.Sort(items)
	for _, it := range items {
		emit(it, out[it])
	}
	return nil
}

// antiJoin clears fresh[i] for every candidate (sorted by fingerprint)
// found in the partition's visited files of the levels before this one,
// merging each sorted file with the sorted candidates.
func (f *dedupFn) antiJoin(ctx context.Context, part int, cands []cand, fresh []bool) error {
	files, err := visitedFiles(ctx, f.P.Work, part, f.P.Level)
	if err != nil {
		return err
	}
	for _, path := range files {
		b, err := readFile(ctx, path)
		if err != nil {
			return err
		}
		fps, err := decodeFPs(b)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		i, j := 0, 0
		for i < len(cands) && j < len(fps) {
			switch {
			case cands[i].fp < fps[j]:
				i++
			case cands[i].fp > fps[j]:
				j++
			default:
				fresh[i] = false
				i++
				j++
			}
		}
	}
	return nil
}

// visitedFiles lists the visited files of a partition for the levels
// before `before` (a redone level ignores what its broken attempt wrote).
func visitedFiles(ctx context.Context, work string, part, before int) ([]string, error) {
	files, err := list(ctx, join(visitedDir(work, part), "level-*.fp"))
	if err != nil {
		return nil, err
	}
	var keep []string
	for _, p := range files {
		name := p[strings.LastIndex(p, "/")+1:]
		l, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "level-"), ".fp"))
		if err != nil {
			continue // a temporary file
		}
		if l < before {
			keep = append(keep, p)
		}
	}
	return keep, nil
}

// itemOf returns the work item holding state index idx, or -1.
func itemOf(items []WorkItem, idx uint64) int {
	k := sort.Search(len(items), func(i int) bool {
		it := items[i]
		return it.Base+uint64(it.End) > idx
	})
	if k < len(items) && items[k].Base+uint64(items[k].Start) <= idx {
		return k
	}
	return -1
}

// writeFn writes the new states of one work item's parents.
type writeFn struct {
	P     LevelParams
	Names int // invariants checked

	size int
}

func (f *writeFn) Setup(ctx context.Context) error {
	m, _, err := f.P.Spec.Build()
	if err != nil {
		return err
	}
	f.size = m.StateSize()
	return nil
}

// itemSummary is what write records of an item's new states (sum-W.json):
// their number and, per invariant, the position of the first state that
// violates it (-1: none).
type itemSummary struct {
	Count int   `json:"count"`
	First []int `json:"first"`
}

func (f *writeFn) ProcessElement(ctx context.Context, item int, batches func(*[]byte) bool) error {
	esize := newHeader + f.size
	var entries [][]byte
	var b []byte
	for batches(&b) {
		if len(b)%esize != 0 {
			return fmt.Errorf("work item %d: a batch of %d bytes is not made of %d-byte states", item, len(b), esize)
		}
		for off := 0; off < len(b); off += esize {
			entries = append(entries, b[off:off+esize])
		}
		b = nil
	}
	slices.SortFunc(entries, func(x, y []byte) int {
		if c := cmp.Compare(binary.LittleEndian.Uint64(x), binary.LittleEndian.Uint64(y)); c != 0 {
			return c
		}
		return cmp.Compare(binary.LittleEndian.Uint32(x[8:]), binary.LittleEndian.Uint32(y[8:]))
	})
	sf := &stateFile{size: f.size, states: make([]byte, 0, len(entries)*f.size)}
	sum := itemSummary{Count: len(entries), First: make([]int, f.Names)}
	for k := range sum.First {
		sum.First[k] = -1
	}
	for i, e := range entries {
		rec := record{Parent: binary.LittleEndian.Uint64(e), Action: spec.Action(binary.LittleEndian.Uint32(e[12:]))}
		mask := binary.LittleEndian.Uint64(e[16:])
		sf.records = append(sf.records, rec)
		sf.masks = append(sf.masks, mask)
		sf.states = append(sf.states, e[newHeader:]...)
		for k := range sum.First {
			if mask&(1<<k) != 0 && sum.First[k] < 0 {
				sum.First[k] = i
			}
		}
	}
	if err := writeFile(ctx, statesPath(f.P.Work, f.P.Level, item), encodeStateFile(sf)); err != nil {
		return err
	}
	return writeJSON(ctx, sumPath(f.P.Work, f.P.Level, item), sum)
}

// buildLevel adds one level's pipeline to s.
func buildLevel(s beam.Scope, p LevelParams, items []WorkItem, names int) {
	ids := make([]int, len(items))
	for i := range ids {
		ids[i] = i
	}
	col := beam.CreateList(s, ids)
	cands := beam.ParDo(s, &expandFn{P: p, Items: items}, col)
	news := beam.ParDo(s, &dedupFn{P: p, Items: items}, beam.GroupByKey(s, cands))
	beam.ParDo0(s, &writeFn{P: p, Names: names}, beam.GroupByKey(s, news))
}
