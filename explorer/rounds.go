package explorer

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"sync"

	"cabacheck/spec"
)

// The three parallel phases of a round (generate, insert, collect) and the
// invariant check of a level. Run calls them in order; none of them decides
// anything about stopping (see decide).

const outDegreeBuckets = 64

// routeBits is log2 of the number of buckets a worker sorts its successors
// into for the insert phase (when the store's shard count is a power of two
// of at least that many): a bucket is a contiguous range of the store's
// shards, so buckets owned by different workers never share a shard. 64
// buckets keep every bucket's slice headers and tails in L1 while the
// successors are generated; the earlier one bucket per shard (1024) spread
// each successor's two appends over 2048 streams (issue 15).
const routeBits = 6

// maxRoundCandidates bounds the successors one worker buffers before the
// insert phase runs: a level is processed in rounds of frontier states.
const maxRoundCandidates = 1 << 21

type worker struct {
	gen     spec.Generator
	records []Record // successors in generation order: (parent, action)
	states  []byte   // their encodings, StateSize each
	isNew   []bool
	// per bucket (see routing), the fingerprints of successors and their
	// positions in records
	shardFPs [][]uint64
	shardIdx [][]uint32

	generated uint64
	selfLoops uint64
	dups      uint64
	outDegree [outDegreeBuckets]uint64
	newCount  int
	newOffset int

	cov *workerCoverage // nil unless Config.Coverage
}

func (w *worker) reset() {
	w.records, w.states = w.records[:0], w.states[:0]
	w.generated, w.selfLoops, w.dups, w.newCount = 0, 0, 0, 0
	w.outDegree = [outDegreeBuckets]uint64{}
	if w.cov != nil {
		w.cov.reset()
	}
	for i := range w.shardFPs {
		w.shardFPs[i] = w.shardFPs[i][:0]
		w.shardIdx[i] = w.shardIdx[i][:0]
	}
}

// generate expands frontier states r0..r1 (relative to the level), split in
// contiguous slices among the workers. Successors equal to their parent are
// counted and dropped; the rest are buffered and routed by shard. Workers
// give up early once the monitor trips or the context is cancelled; decide
// then drops the level.
func (r *run) generate(r0, r1 int) {
	workers, frontier, base, size, mon, ctx := r.workers, r.frontier, r.base, r.size, r.mon, r.ctx
	nw := len(workers)
	store := r.store
	shift := r.route.shift
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
				fp := spec.Fingerprint(next)
				var sh int // the bucket
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
			sink := emit
			if w.cov != nil {
				sink = w.cov.counting(&parent, emit)
			}
			for i := lo; i < hi; i++ {
				if i&1023 == 0 && (mon.tripped() || ctx.Err() != nil) {
					return
				}
				parent = base + uint32(i)
				deg = 0
				cur = frontier[i*size : (i+1)*size]
				w.gen.Successors(cur, sink)
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

// routing maps a fingerprint to the bucket it is buffered in for the insert
// phase: its top bits (fp >> shift) when the store's shard count is a power
// of two, else its shard (shift 64).
type routing struct {
	buckets int
	shift   uint
}

func routingFor(store Store) routing {
	n := store.Shards()
	if n&(n-1) != 0 {
		return routing{buckets: n, shift: 64}
	}
	b := min(routeBits, bits.TrailingZeros(uint(n)))
	return routing{buckets: 1 << b, shift: uint(64 - b)}
}

// insert runs the insert phase: worker wi owns the buckets congruent to wi,
// and inserts each bucket's successors worker by worker, in generation
// order. A shard lies in one bucket, so a state's first insertion is its
// smallest (parent, action) pair, and no two workers insert into one shard.
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
			for sh := wi; sh < len(workers[0].shardFPs); sh += nw {
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
				fps[j] = spec.Fingerprint(st)
				j++
			}
		}(w)
	}
	wg.Wait()
	return states, recs, fps
}

// checkLevel evaluates the invariants on the states of one level (indices
// base...) and records, per invariant not yet violated, the lowest index.
func (r *run) checkLevel(states []byte, base uint32, level int) {
	ch, names, found, size, nw := r.cfg.Checker, r.names, r.found, r.size, r.nw
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
			r.res.Violations = append(r.res.Violations, Violation{Invariant: name, State: base + best, Depth: level})
		}
	}
}
