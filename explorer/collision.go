package explorer

import (
	"math"
	"slices"
	"sync"
)

// actualCollision is TLC's estimate "based on the actual fingerprints": the
// reciprocal of the smallest gap between two fingerprints in sorted order.
// It asks the store for each shard's fingerprints (Visited.AppendShard).
// Shards partition the fingerprints by their top bits, in order, so each
// shard is sorted on its own, in parallel, and the gaps between neighbouring
// non-empty shards complete the minimum. It is 0 for fewer than 2 or more
// than 2^28 fingerprints.
func actualCollision(v Visited, workers int) (float64, error) {
	n := v.Len()
	if n < 2 || n > 1<<28 {
		return 0, nil
	}
	type span struct {
		lo, hi, gap uint64
		empty       bool
	}
	spans := make([]span, v.Shards())
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var fps []uint64
			for sh := w; sh < len(spans); sh += workers {
				var err error
				if fps, err = v.AppendShard(fps[:0], sh); err != nil {
					errs[w] = err
					return
				}
				sp := span{gap: math.MaxUint64, empty: len(fps) == 0}
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
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	minGap := uint64(math.MaxUint64)
	prev, have := uint64(0), false
	for _, sp := range spans {
		if sp.empty {
			continue
		}
		minGap = min(minGap, sp.gap)
		if have {
			minGap = min(minGap, sp.lo-prev)
		}
		prev, have = sp.hi, true
	}
	if minGap == 0 {
		return 1, nil
	}
	return 1 / float64(minGap), nil
}
