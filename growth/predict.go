package growth

import (
	"math"
)

// Prediction is a bound's expected size, made from smaller bounds before it
// is run.
type Prediction struct {
	Tasks         int              `json:"tasks"`
	From          []int            `json:"from_tasks"` // the complete bounds it was extrapolated from
	Distinct      float64          `json:"distinct_states"`
	Depth         int              `json:"depth"`
	Generated     float64          `json:"states_generated"`
	Seconds       float64          `json:"seconds"`
	CPUSeconds    float64          `json:"cpu_seconds"`
	PeakHeapBytes float64          `json:"peak_heap_bytes"`
	Levels        []PredictedLevel `json:"levels"`
}

// PredictedLevel is the expected state of a run at the end of a level.
type PredictedLevel struct {
	Level      int     `json:"level"`
	New        float64 `json:"new_states"`
	Distinct   float64 `json:"distinct_states"`
	Generated  float64 `json:"states_generated"`
	Seconds    float64 `json:"elapsed_seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
	HeapBytes  float64 `json:"heap_bytes"`
}

// Comparison sets a run against its prediction. Ratios are actual/predicted.
type Comparison struct {
	ThroughLevel     int     `json:"through_level"`
	Partial          bool    `json:"partial"` // the run stopped early: compared through its deepest completed level
	PredictedStates  float64 `json:"predicted_states"`
	ActualStates     float64 `json:"actual_states"`
	StatesRatio      float64 `json:"states_ratio"`
	PredictedSeconds float64 `json:"predicted_seconds"`
	ActualSeconds    float64 `json:"actual_seconds"`
	TimeRatio        float64 `json:"time_ratio"`
	PredictedCPU     float64 `json:"predicted_cpu_seconds"`
	ActualCPU        float64 `json:"actual_cpu_seconds"`
	CPURatio         float64 `json:"cpu_ratio"`
	PredictedHeap    float64 `json:"predicted_peak_heap_bytes"`
	ActualHeap       float64 `json:"actual_peak_heap_bytes"`
	HeapRatio        float64 `json:"heap_ratio"`
}

// Within reports whether states and time are both within a factor f of the
// prediction.
func (c *Comparison) Within(f float64) bool {
	in := func(r float64) bool { return r >= 1/f && r <= f }
	return in(c.StatesRatio) && in(c.TimeRatio)
}

// candidateBytes is the explorer's per-candidate overhead besides the state
// itself: the candidate record and its shard index.
const candidateBytes = 28

// roundCandidates is how many candidates one explorer worker buffers at most
// (the explorer processes a level in rounds of that size).
const roundCandidates = 1 << 21

// minCalibrationHeap is the smallest modelled heap from which the ratio of
// real heap to modelled heap is learnt; below it the runtime's own
// allocations dominate.
const minCalibrationHeap = 32 << 20

// maxBytesPerState caps the visited set and parent records per state used
// for predictions: a small run's figure is dominated by the set's initial
// table, a large one's is 18 to 31 bytes (fingerprints at 53% to 80% load,
// records growing by doubling).
const maxBytesPerState = 32

// Predict extrapolates bound tasks of a series from its complete smaller
// bounds (runs, ascending), for a run with the given workers. It returns nil
// when fewer than two are complete.
func Predict(runs []*Run, tasks, stateSize, workers int) *Prediction {
	var base []*Run
	for _, r := range runs {
		if r.Complete && r.Tasks < tasks && r.Depth >= 1 {
			base = append(base, r)
		}
	}
	if len(base) < 2 {
		return nil
	}
	if len(base) > 3 {
		base = base[len(base)-3:]
	}
	last := base[len(base)-1]
	var xs, depths, logPeaks, perState []float64
	var from []int
	for _, r := range base {
		xs = append(xs, float64(r.Tasks))
		depths = append(depths, float64(r.Depth))
		logPeaks = append(logPeaks, math.Log(float64(peakNew(r))))
		perState = append(perState, float64(r.Generated)/float64(r.Distinct))
		from = append(from, r.Tasks)
	}
	x := float64(tasks)
	depth := int(math.Round(extrapolate(xs, depths, x)))
	depth = max(depth, last.Depth+1)
	logPeak := max(extrapolate(xs, logPeaks, x), logPeaks[len(logPeaks)-1])
	genPerState := max(extrapolate(xs, perState, x), 1)

	alpha := float64(depth) / float64(last.Depth)
	beta := 1.0
	if lp := logPeaks[len(logPeaks)-1]; lp > 0 {
		beta = logPeak / lp
	}
	stretched := func(ys []float64, d float64) float64 { return lerp(ys, d/alpha) }
	newStates := blend(base, x, func(r *Run) []float64 { return logs(profile(r)) }, func(d int) float64 {
		return beta * stretched(logs(profile(last)), float64(d))
	}, float64(peakLevel(last))*alpha)
	degScale := genPerState / perState[len(perState)-1]
	degrees := blend(base, x, func(r *Run) []float64 { return logs(outDegrees(r)) }, func(e int) float64 {
		return math.Log(max(stretched(outDegrees(last), float64(e))*degScale, 1e-9))
	}, float64(peakLevel(last))*alpha)
	// Generating, canonicalising and hashing a state is linear in its size.
	sizeScale := float64(stateSize) / float64(max(last.StateSize, 1))
	cost := costPerGenerated(last, func(l Level) float64 { return l.ElapsedSeconds }, last.ElapsedSeconds) * sizeScale
	cpuCost := costPerGenerated(last, func(l Level) float64 { return l.CPUSeconds }, last.CPUSeconds) * sizeScale
	heapScale := heapCalibration(last)

	p := &Prediction{Tasks: tasks, From: from, Depth: depth}
	var distinct, generated, seconds, cpu float64
	prevNew := 0.0
	for d := 0; d <= depth; d++ {
		n := 1.0
		if d > 0 {
			n = newStates(d)
		}
		gen := 0.0
		if d > 0 {
			gen = prevNew * degrees(d-1)
		}
		distinct += n
		generated += gen
		seconds += gen * cost
		cpu += gen * cpuCost
		heap := heapScale*modelHeap(min(last.BytesPerState, maxBytesPerState), distinct, prevNew+n, gen, stateSize, workers) + float64(8<<20)
		p.Levels = append(p.Levels, PredictedLevel{Level: d, New: n, Distinct: distinct, Generated: generated, Seconds: seconds, CPUSeconds: cpu, HeapBytes: heap})
		p.PeakHeapBytes = max(p.PeakHeapBytes, heap)
		prevNew = n
	}
	// The last level is expanded too, finding nothing new.
	gen := prevNew * degrees(depth)
	generated += gen
	seconds += gen * cost
	cpu += gen * cpuCost
	p.Distinct, p.Generated, p.Seconds, p.CPUSeconds = distinct, generated, seconds, cpu
	return p
}

// blend returns a per-level predictor of a log quantity. Up to level j, the
// peak level of the smallest base run (where every base run still grows), it
// extrapolates each level across the base runs, never below the largest
// one's value; beyond j it uses the stretched profile far(d), corrected by
// the ratio found at j, a correction that fades out by the predicted peak.
func blend(base []*Run, x float64, per func(*Run) []float64, far func(int) float64, peak float64) func(int) float64 {
	j := peakLevel(base[0])
	var xs []float64
	var ys [][]float64
	for _, r := range base {
		xs = append(xs, float64(r.Tasks))
		ys = append(ys, per(r))
	}
	near := func(d int) float64 {
		var col []float64
		for _, y := range ys {
			col = append(col, y[d])
		}
		return max(extrapolate(xs, col, x), col[len(col)-1])
	}
	shift := near(j) - far(j)
	return func(d int) float64 {
		if d <= j {
			return math.Exp(near(d))
		}
		w := 0.0
		if peak > float64(j) {
			w = min(max((peak-float64(d))/(peak-float64(j)), 0), 1)
		}
		return math.Exp(far(d) + w*shift)
	}
}

func logs(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, v := range xs {
		out[i] = math.Log(max(v, 1e-9))
	}
	return out
}

// peakLevel is the level with the most new states.
func peakLevel(r *Run) int {
	best, at := uint64(0), 0
	for _, l := range r.Levels {
		if l.New > best {
			best, at = l.New, l.Level
		}
	}
	return at
}

// Compare sets run r against the prediction: totals for a complete run,
// cumulative figures through its deepest completed level otherwise.
func (p *Prediction) Compare(r *Run) *Comparison {
	c := &Comparison{ActualStates: float64(r.Distinct), ActualHeap: float64(r.PeakHeapBytes)}
	if r.Complete {
		c.ThroughLevel = r.Depth
		c.PredictedStates, c.PredictedSeconds, c.PredictedHeap = p.Distinct, p.Seconds, p.PeakHeapBytes
		c.ActualSeconds = r.ElapsedSeconds
		c.PredictedCPU, c.ActualCPU = p.CPUSeconds, r.CPUSeconds
	} else {
		c.Partial = true
		lastLevel := Level{}
		if len(r.Levels) > 0 {
			lastLevel = r.Levels[len(r.Levels)-1]
		}
		c.ThroughLevel = lastLevel.Level
		c.ActualSeconds, c.ActualCPU = lastLevel.ElapsedSeconds, lastLevel.CPUSeconds
		d := min(c.ThroughLevel, len(p.Levels)-1)
		c.PredictedStates, c.PredictedSeconds, c.PredictedCPU = p.Levels[d].Distinct, p.Levels[d].Seconds, p.Levels[d].CPUSeconds
		for _, pl := range p.Levels[:d+1] {
			c.PredictedHeap = max(c.PredictedHeap, pl.HeapBytes)
		}
	}
	c.StatesRatio = ratio(c.ActualStates, c.PredictedStates)
	c.TimeRatio = ratio(c.ActualSeconds, c.PredictedSeconds)
	c.CPURatio = ratio(c.ActualCPU, c.PredictedCPU)
	c.HeapRatio = ratio(c.ActualHeap, c.PredictedHeap)
	return c
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return math.Inf(1)
	}
	return a / b
}

// minCostSpan is the shortest stretch of a run whose time per generated
// state is trusted: shorter ones are dominated by start-up and scheduling.
const minCostSpan = 0.2

// costPerGenerated is the time (read from each level by at, total for the
// run) per generated state of run r over the levels after its peak, where
// the visited set is largest and no longer fits in caches, as in most of a
// larger bound's run; the whole run's when that stretch is too short to time.
func costPerGenerated(r *Run, at func(Level) float64, total float64) float64 {
	whole := total / float64(max(r.Generated, 1))
	peak := peakNew(r)
	var start float64
	var gen uint64
	seen := false
	for _, l := range r.Levels {
		if seen {
			gen += l.Generated
		} else if l.New == peak {
			seen, start = true, at(l)
		}
	}
	if span := total - start; seen && span >= minCostSpan && gen > 0 {
		return span / float64(gen)
	}
	return whole
}

// profile returns the new states per level 0..Depth of a complete run.
func profile(r *Run) []float64 {
	out := make([]float64, r.Depth+1)
	for _, l := range r.Levels {
		if l.Level <= r.Depth {
			out[l.Level] = math.Max(float64(l.New), 1)
		}
	}
	return out
}

func peakNew(r *Run) uint64 {
	var m uint64 = 1
	for _, l := range r.Levels {
		m = max(m, l.New)
	}
	return m
}

// outDegrees returns, for each level e = 0..Depth, the successors generated
// per state of level e (measured when level e+1 was built).
func outDegrees(r *Run) []float64 {
	out := make([]float64, r.Depth+1)
	for _, l := range r.Levels {
		if e := l.Level - 1; e >= 0 && e <= r.Depth && l.Frontier > 0 {
			out[e] = float64(l.Generated) / float64(l.Frontier)
		}
	}
	return out
}

// modelHeap is the memory the explorer holds at the end of a level: the
// visited set and parent records, two levels of states and the candidates
// of one round.
func modelHeap(bytesPerState, distinct, levelStates, generated float64, stateSize, workers int) float64 {
	cands := min(generated, float64(roundCandidates*max(workers, 1)))
	return bytesPerState*distinct + levelStates*float64(stateSize) + cands*float64(candidateBytes+stateSize)
}

// heapCalibration is the ratio of the real peak heap to the modelled one in
// run r, or 2 (the collector's default headroom) when r is too small to tell.
func heapCalibration(r *Run) float64 {
	prof := profile(r)
	var peak, distinct float64
	prev := 0.0
	for _, l := range r.Levels {
		if l.Level > r.Depth {
			break
		}
		n := prof[l.Level]
		distinct += n
		peak = max(peak, modelHeap(min(r.BytesPerState, maxBytesPerState), distinct, prev+n, float64(l.Generated), r.StateSize, r.Workers))
		prev = n
	}
	if peak < minCalibrationHeap || r.PeakHeapBytes == 0 {
		return 2
	}
	return min(max(float64(r.PeakHeapBytes)/peak, 0.5), 4)
}

// lerp interpolates ys (at 0, 1, 2, ...) at x, holding the ends.
func lerp(ys []float64, x float64) float64 {
	if len(ys) == 0 {
		return 0
	}
	if x <= 0 {
		return ys[0]
	}
	i := int(x)
	if i >= len(ys)-1 {
		return ys[len(ys)-1]
	}
	f := x - float64(i)
	return ys[i]*(1-f) + ys[i+1]*f
}

// extrapolate evaluates at x the polynomial through the points (xs, ys):
// a line through two points, a parabola through three.
func extrapolate(xs, ys []float64, x float64) float64 {
	var sum float64
	for i := range xs {
		term := ys[i]
		for j := range xs {
			if j != i {
				term *= (x - xs[j]) / (xs[i] - xs[j])
			}
		}
		sum += term
	}
	return sum
}
