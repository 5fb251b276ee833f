package growth

import (
	"math"
	"math/bits"
	"slices"

	"cabacheck/spec/linux"
)

// TaskFit is the growth of one series per added task.
type TaskFit struct {
	Series string   `json:"series"`
	Tasks  []int    `json:"tasks"`  // complete bounds
	States []uint64 `json:"states"` // their distinct states
	// PerTask[i] is States[i]/States[i-1] per added task (the geometric
	// mean when bounds are not consecutive); PerTask[0] is 0.
	PerTask []float64 `json:"factor_per_added_task"`
	// Acceleration is how much the factor itself grows per added task
	// (geometric mean of successive factor ratios; 0 with fewer than two).
	Acceleration float64 `json:"factor_growth_per_added_task"`
	// NextFactor is the extrapolated factor from the largest complete bound
	// to the next one (0 with fewer than two complete bounds).
	NextFactor float64 `json:"next_factor"`
}

// ActionFit is the growth from enabling one optional action.
type ActionFit struct {
	Action   string    `json:"action"`
	Revision string    `json:"revision"`
	Without  string    `json:"without_actions"` // the action set it is added to
	Tasks    []int     `json:"tasks"`
	Factors  []float64 `json:"factors"` // states with the action / states without
	// PerTask is how much the factor grows per added task (geometric mean; 0
	// with fewer than two bounds).
	PerTask float64 `json:"factor_growth_per_added_task"`
}

// Fit summarises the growth of every series per added task, and per enabled
// action for every two series that differ by exactly one action.
func Fit(res *Result) ([]TaskFit, []ActionFit) {
	var series []Series
	for _, r := range res.Runs {
		if !slices.Contains(series, r.series) {
			series = append(series, r.series)
		}
	}
	var tf []TaskFit
	for _, s := range series {
		f := TaskFit{Series: s.Label()}
		var xs, logs []float64
		for _, r := range res.Of(s) {
			if !r.Complete {
				continue
			}
			factor := 0.0
			if k := len(f.Tasks); k > 0 {
				factor = math.Pow(float64(r.Distinct)/float64(f.States[k-1]), 1/float64(r.Tasks-f.Tasks[k-1]))
			}
			f.Tasks = append(f.Tasks, r.Tasks)
			f.States = append(f.States, r.Distinct)
			f.PerTask = append(f.PerTask, factor)
			xs = append(xs, float64(r.Tasks))
			logs = append(logs, math.Log(float64(r.Distinct)))
		}
		if k := len(xs); k >= 2 {
			from := max(0, k-3)
			next := extrapolate(xs[from:], logs[from:], xs[k-1]+1)
			f.NextFactor = math.Exp(next - logs[k-1])
		}
		if k := len(f.PerTask); k >= 3 {
			f.Acceleration = math.Pow(f.PerTask[k-1]/f.PerTask[1], 1/float64(f.Tasks[k-1]-f.Tasks[1]))
		}
		tf = append(tf, f)
	}
	var af []ActionFit
	for _, without := range series {
		for _, with := range series {
			added := with.Actions &^ without.Actions
			if with.Revision != without.Revision || with.Symmetry != without.Symmetry ||
				without.Actions&^with.Actions != 0 || bits.OnesCount8(uint8(added)) != 1 {
				continue
			}
			f := ActionFit{Action: added.String(), Revision: with.Revision.String(), Without: without.Actions.String()}
			byTasks := map[int]*Run{}
			for _, r := range res.Of(without) {
				if r.Complete {
					byTasks[r.Tasks] = r
				}
			}
			for _, r := range res.Of(with) {
				if w, ok := byTasks[r.Tasks]; ok && r.Complete {
					f.Tasks = append(f.Tasks, r.Tasks)
					f.Factors = append(f.Factors, float64(r.Distinct)/float64(w.Distinct))
				}
			}
			if k := len(f.Tasks); k >= 2 {
				f.PerTask = math.Pow(f.Factors[k-1]/f.Factors[0], 1/float64(f.Tasks[k-1]-f.Tasks[0]))
			}
			if len(f.Tasks) > 0 {
				af = append(af, f)
			}
		}
	}
	return tf, af
}

// WithoutEach returns, for a series, the series with each of its optional
// actions removed in turn: the runs that measure what each action costs.
func WithoutEach(s Series) []Series {
	var out []Series
	for b := linux.ActionSet(1); b != 0 && b <= linux.AllActions; b <<= 1 {
		if s.Actions&b != 0 {
			t := s
			t.Actions &^= b
			out = append(out, t)
		}
	}
	return out
}
