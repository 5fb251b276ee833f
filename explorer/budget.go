package explorer

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
	"unsafe"
)

// monitor watches the time and memory budgets from its own goroutine, so
// workers only read an atomic flag in their loops.
type monitor struct {
	flag   atomic.Int32 // 0: fine, 1: max-time, 2: max-memory
	done   chan struct{}
	active bool
}

func startMonitor(maxTime time.Duration, maxMem uint64, start time.Time) *monitor {
	m := &monitor{done: make(chan struct{})}
	if maxTime <= 0 && maxMem == 0 {
		return m
	}
	m.active = true
	if maxMem > 0 {
		// Make the collector work harder before the budget is reached, and
		// early enough that garbage alone does not reach the trip point.
		debug.SetMemoryLimit(int64(maxMem / 10 * 8))
	}
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.done:
				return
			case <-t.C:
				if maxTime > 0 && time.Since(start) >= maxTime {
					m.flag.Store(1)
				}
				if maxMem > 0 && heapInUse() > maxMem*9/10 && liveAtLastGC() > maxMem*9/10 {
					m.flag.Store(2)
				}
			}
		}
	}()
	return m
}

func (m *monitor) tripped() bool { return m.active && m.flag.Load() != 0 }

func (m *monitor) exceeded() string {
	if !m.active {
		return ""
	}
	switch m.flag.Load() {
	case 1:
		return "max-time"
	case 2:
		return "max-memory"
	}
	return ""
}

func (m *monitor) stop() {
	close(m.done)
	if m.active {
		debug.SetMemoryLimit(math.MaxInt64)
	}
}

func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// liveHeap is heapInUse after a collection: a budget is over only when the
// states held are, not when garbage the collector has not reclaimed yet
// fills the heap (a complete 6-task search stopped at level 15 of 30 on a
// heap that was mostly garbage). decide calls it at most once a level.
func liveHeap() uint64 {
	runtime.GC()
	return heapInUse()
}

// liveAtLastGC is the heap the last collection found live, without forcing
// one: the monitor, which looks every 50 ms, must not collect that often.
// Near the budget the collector runs often (its limit is 80% of the
// budget), so the figure is recent.
func liveAtLastGC() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return heapInUse() // an older runtime: the heap as it is
	}
	return sample[0].Value.Uint64()
}

// levelEstimate predicts the extra memory the next level needs: one round of
// buffered successors plus the next frontier, less what the buffers that
// the level reuses already hold (held: their capacity in bytes, counted in
// the heap already).
func levelEstimate(levels []LevelStats, frontier, stateSize, workers int, held reusable) uint64 {
	deg, growth := 8.0, 8.0
	if n := len(levels); n > 0 && levels[n-1].Frontier > 0 {
		deg = float64(levels[n-1].Generated) / float64(levels[n-1].Frontier)
		growth = max(1, float64(levels[n-1].New)/float64(levels[n-1].Frontier))
	}
	// Successors are buffered one round at a time.
	cands := min(float64(frontier)*deg, float64(maxRoundCandidates*workers))
	per := float64(unsafe.Sizeof(Record{})) + float64(stateSize) + 8 + 4 + 1
	// The next frontier grows as the last one did.
	next := float64(frontier) * growth * (float64(stateSize) + 16)
	more := max(0, cands*per-float64(held.round)) + max(0, next-float64(held.level))
	return uint64(more * 1.2)
}

// reusable is the capacity, in bytes, of the buffers a level reuses: the
// workers' round buffers, and the level buffers (states, records,
// fingerprints) that the frontier before the last one left.
type reusable struct{ round, level uint64 }

func (r *run) reusable() reusable {
	rec := uint64(unsafe.Sizeof(Record{}))
	var h reusable
	h.level = uint64(cap(r.next)) + uint64(cap(r.nextRecs))*rec + uint64(cap(r.nextFPs))*8
	for _, w := range r.workers {
		h.round += uint64(cap(w.records))*rec + uint64(cap(w.states)) + uint64(cap(w.isNew))
		for i := range w.shardFPs {
			h.round += uint64(cap(w.shardFPs[i]))*8 + uint64(cap(w.shardIdx[i]))*4
		}
	}
	return h
}

// DiskStore is implemented by a store kept on disk (badgerstore.Store). The
// search then watches the store's file system before every level and after
// every generated round, and stops cleanly with budget "max-disk" before
// the disk can fill up (see diskWatch.full); a full disk would otherwise
// kill the process in the middle of a write.
type DiskStore interface {
	DiskUsage() (DiskUsage, error)
}

// DiskUsage is the disk space of a store.
type DiskUsage struct {
	Used uint64 // bytes its files occupy
	Free uint64 // bytes available to it on its file system
	// Rewrite is what the store may write on its own beyond new states:
	// memtables it will flush to tables, tables it may compact.
	Rewrite uint64
}

// DefaultDiskReserve is the free space a disk store's file system keeps
// when Config.MaxDisk is not set.
const DefaultDiskReserve = 256 << 20

// diskSlack covers the store's small files and its checkpoint.
const diskSlack = 8 << 20

// diskWatch applies the disk budget of a DiskStore.
type diskWatch struct {
	store      DiskStore
	max        uint64  // Config.MaxDisk
	sampled    bool    // usedAt and distinctAt are set
	usedAt     uint64  // Used at the start of the last level
	distinctAt uint64  // distinct states then
	growth     uint64  // bytes the last level added
	perState   float64 // bytes per new state of the last sizeable level
}

// newDiskWatch returns the watch of st, or nil when st is not on disk.
func newDiskWatch(st Store, maxDisk uint64) *diskWatch {
	ds, ok := st.(DiskStore)
	if !ok {
		return nil
	}
	return &diskWatch{store: ds, max: maxDisk}
}

// full reports whether writing about `states` more states could fill the
// disk. The room needed is the store's own rewrites, plus twice the larger
// of the last level's growth and `states` at the last level's bytes per
// state, plus diskSlack. Without MaxDisk the file system must keep at least
// DefaultDiskReserve free; with it, the store must stay within MaxDisk
// (and the room must be free). newLevel marks the call before a level: it
// measures what the level just committed added. An unreadable usage never
// stops the search.
func (d *diskWatch) full(distinct, states uint64, stateSize int, newLevel bool) bool {
	if d == nil {
		return false
	}
	u, err := d.store.DiskUsage()
	if err != nil {
		return false
	}
	if newLevel {
		if d.sampled {
			d.growth = 0
			if u.Used > d.usedAt {
				d.growth = u.Used - d.usedAt
				if n := distinct - d.distinctAt; n >= 1000 {
					d.perState = float64(d.growth) / float64(n)
				}
			}
		}
		d.sampled, d.usedAt, d.distinctAt = true, u.Used, distinct
	}
	per := max(d.perState, float64(stateSize+32))
	next := max(float64(d.growth), float64(states)*per)
	need := u.Rewrite + 2*uint64(next) + diskSlack
	if d.max > 0 {
		return u.Free < need || u.Used+need > d.max
	}
	return u.Free < max(DefaultDiskReserve, need)
}

// nextLevelStates predicts the new states of the next level: the frontier
// grown as the last level grew.
func (r *run) nextLevelStates(nf int) uint64 {
	growth := 1.0
	if n := len(r.res.Levels); n > 0 && r.res.Levels[n-1].Frontier > 0 {
		last := r.res.Levels[n-1]
		growth = max(1, float64(last.New)/float64(last.Frontier))
	}
	return uint64(float64(nf) * growth)
}

// pendingStates estimates the new states of the level being built once
// the round just generated is inserted: those of the rounds before, and
// the round's candidates at the last level's share of new ones.
func (r *run) pendingStates() uint64 {
	share := 1.0
	if n := len(r.res.Levels); n > 0 && r.res.Levels[n-1].Candidates > 0 {
		last := r.res.Levels[n-1]
		share = min(1, float64(last.New)/float64(last.Candidates))
	}
	var cands uint64
	for _, w := range r.workers {
		cands += w.generated - w.selfLoops
	}
	return uint64(len(r.nextRecs)) + uint64(float64(cands)*share)
}
