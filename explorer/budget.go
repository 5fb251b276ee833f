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

// levelEstimate predicts the extra memory the next level needs: one round of
// buffered successors plus the next frontier.
func levelEstimate(levels []LevelStats, frontier, stateSize, workers int) uint64 {
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
	return uint64((cands*per + next) * 1.2)
}
