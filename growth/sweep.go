package growth

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"syscall"

	"cabacheck/check"
	"cabacheck/explorer"
	"cabacheck/spec"
	"cabacheck/spec/linux"
)

// Series is one curve of a sweep: a revision with an action set.
type Series struct {
	Revision linux.Revision
	Actions  linux.ActionSet
	Symmetry bool
}

// Label names the series in tables, legends and progress lines.
func (s Series) Label() string {
	l := s.Revision.String()
	if s.Actions != linux.DefaultActions {
		l += " [" + s.Actions.String() + "]"
	}
	if s.Symmetry {
		l += " sym"
	}
	return l
}

// Level is the statistics of one BFS level of a run.
type Level struct {
	Level          int     `json:"level"`
	New            uint64  `json:"new_states"`
	Distinct       uint64  `json:"distinct_states"`
	Frontier       uint64  `json:"frontier"`
	Generated      uint64  `json:"states_generated"`
	Duplicates     uint64  `json:"duplicates"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	CPUSeconds     float64 `json:"cpu_seconds"` // the process's CPU time since the run started
	HeapBytes      uint64  `json:"heap_bytes"`
}

// Run is one explored bound.
type Run struct {
	Revision       string  `json:"revision"`
	Actions        string  `json:"actions"`
	Symmetry       bool    `json:"symmetry"`
	Tasks          int     `json:"tasks"`
	Workers        int     `json:"workers"`
	StateSize      int     `json:"state_size_bytes"`
	Distinct       uint64  `json:"distinct_states"`
	Generated      uint64  `json:"states_generated"`
	Depth          int     `json:"depth"`
	Complete       bool    `json:"complete"`
	StopReason     string  `json:"stop_reason"`
	Budget         string  `json:"budget,omitempty"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	CPUSeconds     float64 `json:"cpu_seconds"` // the process's CPU time: unlike wall time, other jobs barely change it
	PeakHeapBytes  uint64  `json:"peak_heap_bytes"`
	BytesPerState  float64 `json:"bytes_per_state"`
	Levels         []Level `json:"levels"`
	// Prediction is what was predicted before the run, if anything was.
	Prediction *Prediction `json:"prediction,omitempty"`
	// Check compares the prediction with the run (through the deepest
	// completed level when the run was stopped).
	Check *Comparison `json:"prediction_check,omitempty"`

	series Series
}

// Series returns the series the run belongs to.
func (r *Run) Series() Series { return r.series }

// Budget limits each run of a sweep; zero fields mean no limit.
type Budget = check.Budget

// Sweep describes the runs to make.
type Sweep struct {
	Tasks   []int    // bounds, run in ascending order
	Series  []Series // curves; every bound is run for each
	Workers int      // 0: runtime.NumCPU()
	Budget  Budget
	Context context.Context

	// Before is called before each run with the prediction (nil when there
	// are not two complete smaller bounds to extrapolate from).
	Before func(s Series, tasks int, p *Prediction)
	// Level is called after every completed level of a run.
	Level func(s Series, tasks int, ls explorer.LevelStats)
	// After is called with each finished (or stopped) run.
	After func(r *Run)
	// Skip is called for a bound not run because a smaller bound of its
	// series was already stopped by a budget.
	Skip func(s Series, tasks int, reason string)
}

// Result is every run of a sweep, in the order they were made.
type Result struct {
	Runs        []*Run
	Interrupted bool
}

// Run makes the sweep: bounds in ascending order, every series at each bound.
func (sw Sweep) Run() (*Result, error) {
	ctx := sw.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if sw.Workers <= 0 {
		sw.Workers = runtime.NumCPU()
	}
	tasks := slices.Clone(sw.Tasks)
	slices.Sort(tasks)
	tasks = slices.Compact(tasks)
	res := &Result{}
	stopped := map[Series]string{}
	for _, n := range tasks {
		for _, s := range sw.Series {
			if ctx.Err() != nil {
				res.Interrupted = true
				return res, nil
			}
			if why, ok := stopped[s]; ok {
				if sw.Skip != nil {
					sw.Skip(s, n, why)
				}
				continue
			}
			model, err := linux.New(linux.Options{Tasks: n, Revision: s.Revision, Actions: s.Actions})
			if err != nil {
				return res, err
			}
			pred := Predict(res.Of(s), n, model.StateSize(), sw.Workers)
			if sw.Before != nil {
				sw.Before(s, n, pred)
			}
			r, err := runOne(ctx, model, s, n, sw)
			if err != nil {
				return res, fmt.Errorf("tasks %d, %s: %w", n, s.Label(), err)
			}
			r.Prediction = pred
			if pred != nil {
				r.Check = pred.Compare(r)
			}
			res.Runs = append(res.Runs, r)
			if sw.After != nil {
				sw.After(r)
			}
			if r.StopReason == "interrupted" {
				res.Interrupted = true
				return res, nil
			}
			if !r.Complete {
				stopped[s] = fmt.Sprintf("tasks %d was stopped (%s)", n, r.StopReason)
			}
		}
	}
	return res, nil
}

// Of returns the runs of series s, by ascending bound.
func (r *Result) Of(s Series) []*Run {
	var out []*Run
	for _, x := range r.Runs {
		if x.series == s {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b *Run) int { return a.Tasks - b.Tasks })
	return out
}

func runOne(ctx context.Context, model spec.Model, s Series, tasks int, sw Sweep) (*Run, error) {
	req := check.Request{
		Model:    model,
		Symmetry: s.Symmetry,
		Workers:  sw.Workers,
		Context:  ctx,
		Budget:   sw.Budget,
	}
	var cpu []float64 // CPU seconds at the end of each level
	req.Level = func(ls explorer.LevelStats) {
		cpu = append(cpu, cpuSeconds())
		if sw.Level != nil {
			sw.Level(s, tasks, ls)
		}
	}
	// The previous run's memory is garbage now; collect it so that it does
	// not count against this run's memory budget.
	runtime.GC()
	debug.FreeOSMemory()
	cpu0 := cpuSeconds()
	res, err := check.Run(req)
	if err != nil {
		return nil, err
	}
	r := fromResult(s, tasks, model.StateSize(), res.Result)
	r.Workers = sw.Workers
	r.CPUSeconds = cpuSeconds() - cpu0
	for i := range r.Levels {
		if i < len(cpu) {
			r.Levels[i].CPUSeconds = cpu[i] - cpu0
		}
	}
	return r, nil
}

func fromResult(s Series, tasks, stateSize int, res explorer.Result) *Run {
	r := &Run{
		Revision: s.Revision.String(), Actions: s.Actions.String(), Symmetry: s.Symmetry, Tasks: tasks,
		StateSize: stateSize, Distinct: res.Distinct, Generated: res.Generated, Depth: res.Depth,
		Complete: res.Complete, StopReason: res.StopReason, Budget: res.Budget,
		ElapsedSeconds: res.Elapsed.Seconds(), series: s,
	}
	if res.Distinct > 0 {
		r.BytesPerState = float64(res.VisitedBytes+res.RecordBytes) / float64(res.Distinct)
	}
	for _, ls := range res.Levels {
		r.Levels = append(r.Levels, Level{
			Level: ls.Level, New: ls.New, Distinct: ls.Distinct, Frontier: ls.Frontier,
			Generated: ls.Generated, Duplicates: ls.Duplicates,
			ElapsedSeconds: ls.Elapsed.Seconds(), HeapBytes: ls.HeapBytes,
		})
		r.PeakHeapBytes = max(r.PeakHeapBytes, ls.HeapBytes)
	}
	return r
}

// cpuSeconds is the CPU time (user and system) the process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
