package explorer

import (
	"math"
	"runtime"
	"runtime/debug"
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
		// Make the collector work harder before the budget is reached.
		debug.SetMemoryLimit(int64(maxMem))
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
				if maxMem > 0 && heapInUse() > maxMem*9/10 {
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

// levelEstimate predicts the extra memory the next level needs: candidates
// for every successor of the frontier (out-degree from the last level) plus
// the next frontier, which is at most that.
func levelEstimate(levels []LevelStats, frontier, stateSize int) uint64 {
	deg := 8.0
	if n := len(levels); n > 0 && levels[n-1].Frontier > 0 {
		// Successors that survive the visited-set filter, per frontier state.
		deg = float64(levels[n-1].Candidates) / float64(levels[n-1].Frontier)
	}
	per := float64(unsafe.Sizeof(candidate{})) + float64(stateSize) + 4
	return uint64(float64(frontier) * deg * per * 1.2)
}
