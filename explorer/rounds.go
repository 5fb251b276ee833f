package explorer

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

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

// chunkStates is how many frontier states a worker claims at a time in the
// generate phase, and how many states at a time in the invariant check:
// workers take chunks from a shared counter until none is left, so a worker
// that the kernel deschedules, or that drew the states with many
// successors, holds a phase up by one chunk, not by its share of the level.
// The chunks, not the workers, fix the order of the later phases, so the
// result does not depend on which worker took which chunk.
const chunkStates = 256

type worker struct {
	gen     spec.Generator
	records []Record // successors in generation order: (parent, action)
	states  []byte   // their encodings, StateSize each
	isNew   []bool
	// per bucket (see routing), the fingerprints of successors and their
	// positions in records
	shardFPs [][]uint64
	shardIdx [][]uint32
	// The chunks this worker generated in the round, in the order it took
	// them (ascending): the chunk's number, and where its successors begin
	// in records and in every bucket (len(shardFPs) entries per chunk).
	chunkID  []int
	chunkRec []int
	chunkBkt []int

	generated uint64
	selfLoops uint64
	dups      uint64
	outDegree [outDegreeBuckets]uint64
	newCount  int

	cov *workerCoverage // nil unless Config.Coverage
}

func (w *worker) reset() {
	w.records, w.states = w.records[:0], w.states[:0]
	w.chunkID, w.chunkRec, w.chunkBkt = w.chunkID[:0], w.chunkRec[:0], w.chunkBkt[:0]
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

// bucket returns the fingerprints and record positions of bucket b's
// successors of the worker's m-th chunk.
func (w *worker) bucket(m, b int) ([]uint64, []uint32) {
	nb := len(w.shardFPs)
	lo, hi := w.chunkBkt[m*nb+b], len(w.shardFPs[b])
	if m+1 < len(w.chunkID) {
		hi = w.chunkBkt[(m+1)*nb+b]
	}
	return w.shardFPs[b][lo:hi], w.shardIdx[b][lo:hi]
}

// recordSpan returns the range of records of the worker's m-th chunk.
func (w *worker) recordSpan(m int) (lo, hi int) {
	lo, hi = w.chunkRec[m], len(w.records)
	if m+1 < len(w.chunkID) {
		hi = w.chunkRec[m+1]
	}
	return lo, hi
}

// roundChunks is the chunk table of a round: who generated chunk c (owner,
// the worker; mark, the position of c among that worker's chunks) and,
// after the insert phase, how many new states the chunks before c found
// (offset).
type roundChunks struct {
	n      int
	owner  []int
	mark   []int
	offset []int
	news   [][]int // per inserting worker, new states per chunk
}

func (ch *roundChunks) reset(n, workers int) {
	ch.n = n
	ch.owner = slices.Grow(ch.owner[:0], n)[:n]
	ch.mark = slices.Grow(ch.mark[:0], n)[:n]
	ch.offset = slices.Grow(ch.offset[:0], n)[:n]
	if len(ch.news) != workers {
		ch.news = make([][]int, workers)
	}
	for i := range ch.news {
		ch.news[i] = slices.Grow(ch.news[i][:0], n)[:n]
		clear(ch.news[i])
	}
}

// generate expands frontier states r0..r1 (relative to the level), in chunks
// that the workers claim in turn. Successors equal to their parent are
// counted and dropped; the rest are buffered and routed by shard. Workers
// give up early, leaving chunks unclaimed, only once the monitor trips or
// the context is cancelled: both are final, so decide then drops the level
// before the chunk table is read.
func (r *run) generate(r0, r1 int) {
	workers, frontier, base, size, mon, ctx := r.workers, r.frontier, r.base, r.size, r.mon, r.ctx
	store := r.store
	shift := r.route.shift
	ch := &r.chunks
	ch.reset((r1-r0+chunkStates-1)/chunkStates, len(workers))
	var claimed atomic.Int64
	var wg sync.WaitGroup
	for wi, w := range workers {
		w.reset()
		wg.Add(1)
		go func(wi int, w *worker) {
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
			for !mon.tripped() && ctx.Err() == nil {
				c := int(claimed.Add(1) - 1)
				if c >= ch.n {
					return
				}
				ch.owner[c], ch.mark[c] = wi, len(w.chunkID)
				w.chunkID = append(w.chunkID, c)
				w.chunkRec = append(w.chunkRec, len(w.records))
				for b := range w.shardFPs {
					w.chunkBkt = append(w.chunkBkt, len(w.shardFPs[b]))
				}
				for i := r0 + c*chunkStates; i < min(r0+(c+1)*chunkStates, r1); i++ {
					parent = base + uint32(i)
					deg = 0
					cur = frontier[i*size : (i+1)*size]
					w.gen.Successors(cur, sink)
					w.generated += uint64(deg)
					w.outDegree[min(deg, outDegreeBuckets-1)]++
				}
			}
		}(wi, w)
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
// and inserts each bucket's successors chunk by chunk, in generation order
// within a chunk: that is frontier order, whoever generated the chunk. A
// shard lies in one bucket, so a state's first insertion is its smallest
// (parent, action) pair, and no two workers insert into one shard. It then
// numbers the chunks' new states (roundChunks.offset) and returns the
// round's new states.
func insert(workers []*worker, store Store, ch *roundChunks) int {
	nw := len(workers)
	for _, w := range workers {
		w.isNew = slices.Grow(w.isNew[:0], len(w.records))[:len(w.records)]
		clear(w.isNew)
	}
	dups := make([]uint64, nw)
	var wg sync.WaitGroup
	for wi := range workers {
		wg.Add(1)
		go func(wi int) {
			defer wg.Done()
			news := ch.news[wi]
			var d uint64 // counted here, not in dups[wi]: the workers' counters would share a cache line
			for sh := wi; sh < len(workers[0].shardFPs); sh += nw {
				for c := 0; c < ch.n; c++ {
					w := workers[ch.owner[c]]
					fps, idx := w.bucket(ch.mark[c], sh)
					for k, fp := range fps {
						if store.Insert(fp) {
							w.isNew[idx[k]] = true
							news[c]++
						} else {
							d++
						}
					}
				}
			}
			dups[wi] = d
		}(wi)
	}
	wg.Wait()
	total := 0
	for c := 0; c < ch.n; c++ {
		ch.offset[c] = total
		n := 0
		for wi := range ch.news {
			n += ch.news[wi][c]
		}
		workers[ch.owner[c]].newCount += n
		total += n
	}
	for wi, w := range workers {
		w.dups = dups[wi] // only the sum over workers is reported
	}
	return total
}

// collect appends the new states of a round in chunk order, generation
// order within a chunk, keeping only the first keep of them; each worker
// copies the chunks it generated.
func collect(workers []*worker, ch *roundChunks, states []byte, recs []Record, fps []uint64, keep, size int) ([]byte, []Record, []uint64) {
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
		if w.newCount == 0 {
			continue
		}
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			for m, c := range w.chunkID {
				j := n0 + ch.offset[c]
				lo, hi := w.recordSpan(m)
				for i, isNew := range w.isNew[lo:hi] {
					if !isNew {
						continue
					}
					if j >= n0+total {
						return
					}
					recs[j] = w.records[lo+i]
					st := w.states[(lo+i)*size : (lo+i+1)*size]
					copy(states[j*size:], st)
					fps[j] = spec.Fingerprint(st)
					j++
				}
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
	nc := (n + chunkStates - 1) / chunkStates
	var claimed atomic.Int64
	var wg sync.WaitGroup
	for wi := 0; wi < nw; wi++ {
		first[wi] = make([]uint32, len(names))
		for k := range first[wi] {
			first[wi][k] = math.MaxUint32
		}
		wg.Add(1)
		go func(f []uint32) {
			defer wg.Done()
			// Chunks in any order: each invariant keeps its lowest index.
			for c := int(claimed.Add(1) - 1); c < nc; c = int(claimed.Add(1) - 1) {
				for i := c * chunkStates; i < min((c+1)*chunkStates, n); i++ {
					mask := ch.Check(states[i*size : (i+1)*size])
					for mask != 0 {
						k := bits.TrailingZeros64(mask)
						mask &= mask - 1
						f[k] = min(f[k], uint32(i))
					}
				}
			}
		}(first[wi])
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
