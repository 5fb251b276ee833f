package growth

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cabacheck/explorer"
	"cabacheck/invariants"
	"cabacheck/spec/linux"
)

var (
	seed = Series{Revision: linux.Seed, Actions: linux.DefaultActions}
	v3   = Series{Revision: linux.V3, Actions: linux.DefaultActions}
)

// sweep24 is shared by the tests that only read a small sweep.
var sweep24 *Result

func smallSweep(t *testing.T) *Result {
	t.Helper()
	if sweep24 == nil {
		res, err := Sweep{Tasks: []int{2, 3, 4}, Series: []Series{seed, v3}, Workers: 2}.Run()
		if err != nil {
			t.Fatal(err)
		}
		sweep24 = res
	}
	return sweep24
}

func TestSweepCountsEqualSeparateChecks(t *testing.T) {
	res := smallSweep(t)
	if len(res.Runs) != 6 {
		t.Fatalf("%d runs, want 6", len(res.Runs))
	}
	sanity, err := invariants.Select("sanity", linux.Seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Runs {
		opt := linux.Options{Tasks: r.Tasks, Revision: r.Series().Revision, Actions: r.Series().Actions}
		search, err := explorer.Run(linux.MustNew(opt), explorer.Config{Workers: 1, Checker: invariants.NewChecker(opt.Tasks, sanity)})
		if err != nil {
			t.Fatal(err)
		}
		want := search.Result
		if !r.Complete || r.Distinct != want.Distinct || r.Generated != want.Generated || r.Depth != want.Depth {
			t.Errorf("tasks %d %s: sweep %d states, %d generated, depth %d, complete %v; check %d, %d, depth %d",
				r.Tasks, r.Revision, r.Distinct, r.Generated, r.Depth, r.Complete, want.Distinct, want.Generated, want.Depth)
		}
		var sum uint64
		for _, l := range r.Levels {
			sum += l.New
		}
		if sum != r.Distinct || r.Levels[len(r.Levels)-1].Distinct != r.Distinct {
			t.Errorf("tasks %d %s: levels add up to %d, want %d", r.Tasks, r.Revision, sum, r.Distinct)
		}
		for i := 1; i < len(r.Levels); i++ {
			if r.Levels[i].CPUSeconds < r.Levels[i-1].CPUSeconds || r.Levels[i].CPUSeconds > r.CPUSeconds {
				t.Errorf("tasks %d %s: CPU time of level %d out of order", r.Tasks, r.Revision, i)
			}
		}
		if r.Tasks == 4 && r.CPUSeconds <= 0 {
			t.Errorf("tasks 4 %s: no CPU time recorded", r.Revision)
		}
	}
}

func TestPredictionNeedsTwoCompleteSmallerBounds(t *testing.T) {
	for _, r := range smallSweep(t).Of(seed) {
		switch {
		case r.Tasks < 4 && r.Prediction != nil:
			t.Errorf("tasks %d: a prediction from fewer than two smaller bounds", r.Tasks)
		case r.Tasks == 4 && (r.Prediction == nil || r.Check == nil):
			t.Fatalf("tasks 4: no prediction or no comparison")
		case r.Tasks == 4:
			if got := r.Prediction.From; len(got) != 2 || got[0] != 2 || got[1] != 3 {
				t.Errorf("tasks 4 predicted from %v, want [2 3]", got)
			}
		}
	}
}

func TestPredictionOfTasks4IsWithin2x(t *testing.T) {
	for _, s := range []Series{seed, v3} {
		runs := smallSweep(t).Of(s)
		actual := runs[2]
		p := Predict(runs[:2], 4, actual.StateSize, 2)
		c := p.Compare(actual)
		if c.StatesRatio < 0.5 || c.StatesRatio > 2 {
			t.Errorf("%s: predicted %.0f states for tasks 4, actual %d", s.Label(), p.Distinct, actual.Distinct)
		}
		if d := p.Depth - actual.Depth; d < -3 || d > 3 {
			t.Errorf("%s: predicted depth %d, actual %d", s.Label(), p.Depth, actual.Depth)
		}
		var sum float64
		for _, l := range p.Levels {
			sum += l.New
		}
		if math.Abs(sum-p.Distinct) > 1e-6*p.Distinct || p.Levels[len(p.Levels)-1].Distinct != p.Distinct {
			t.Errorf("%s: predicted levels add up to %.0f, total %.0f", s.Label(), sum, p.Distinct)
		}
		if p.Seconds <= 0 || p.Generated <= p.Distinct || p.PeakHeapBytes <= 0 {
			t.Errorf("%s: implausible prediction %+v", s.Label(), p)
		}
	}
}

func TestBudgetStopsAPartialRunAndSkipsLargerBounds(t *testing.T) {
	var skipped []int
	var before []int
	res, err := Sweep{
		Tasks: []int{3, 4, 5}, Series: []Series{seed}, Workers: 2,
		Budget: Budget{MaxStates: 2000},
		Before: func(_ Series, n int, _ *Prediction) { before = append(before, n) },
		Skip:   func(_ Series, n int, _ string) { skipped = append(skipped, n) },
	}.Run()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 2 || len(skipped) != 1 || skipped[0] != 5 || len(before) != 2 {
		t.Fatalf("runs %d, before %v, skipped %v; want tasks 3 and 4 run, 5 skipped", len(res.Runs), before, skipped)
	}
	small, big := res.Runs[0], res.Runs[1]
	if !small.Complete || small.Budget != "" {
		t.Errorf("tasks 3 should complete under the budget: %+v", small)
	}
	if big.Complete || big.Budget != "max-states" || big.Distinct != 2000 || len(big.Levels) == 0 {
		t.Errorf("tasks 4 should stop at 2000 states by max-states with its levels kept: complete %v budget %q states %d levels %d",
			big.Complete, big.Budget, big.Distinct, len(big.Levels))
	}
}

func TestComparisonOfAPartialRunUsesItsLastLevel(t *testing.T) {
	runs := smallSweep(t).Of(seed)
	p := Predict(runs[:2], 4, runs[2].StateSize, 2)
	model := linux.MustNew(linux.Options{Tasks: 4, Revision: linux.Seed, Actions: linux.DefaultActions})
	search, err := explorer.Run(model, explorer.Config{Workers: 2, MaxDepth: 6})
	if err != nil {
		t.Fatal(err)
	}
	partial := fromResult(seed, 4, model.StateSize(), search.Result)
	c := p.Compare(partial)
	last := partial.Levels[len(partial.Levels)-1]
	if !c.Partial || c.ThroughLevel != 6 || c.PredictedStates != p.Levels[6].Distinct ||
		c.ActualStates != float64(last.Distinct) || c.ActualSeconds != last.ElapsedSeconds {
		t.Errorf("partial comparison %+v does not use level 6 (%+v)", c, last)
	}
}

func TestFitPerTaskAndPerAction(t *testing.T) {
	noExec := seed
	noExec.Actions &^= linux.Exec
	res, err := Sweep{Tasks: []int{2, 3, 4}, Series: []Series{seed, noExec}, Workers: 2}.Run()
	if err != nil {
		t.Fatal(err)
	}
	tf, af := Fit(res)
	if len(tf) != 2 {
		t.Fatalf("%d task fits, want 2", len(tf))
	}
	for _, f := range tf {
		if len(f.Tasks) != 3 || f.PerTask[0] != 0 {
			t.Fatalf("%s: fit %+v", f.Series, f)
		}
		for i := 1; i < 3; i++ {
			want := float64(f.States[i]) / float64(f.States[i-1])
			if math.Abs(f.PerTask[i]-want) > 1e-9*want {
				t.Errorf("%s: factor %d->%d = %g, want %g", f.Series, f.Tasks[i-1], f.Tasks[i], f.PerTask[i], want)
			}
		}
		if f.NextFactor <= 1 || f.Acceleration <= 0 {
			t.Errorf("%s: next factor %g, acceleration %g", f.Series, f.NextFactor, f.Acceleration)
		}
	}
	if len(af) != 1 || af[0].Action != "exec" || len(af[0].Tasks) != 3 || af[0].Factors[2] <= 1 {
		t.Fatalf("action fits %+v, want one for exec over 3 bounds, adding states at tasks 4", af)
	}
	with, without := res.Of(seed), res.Of(noExec)
	for i := range af[0].Tasks {
		want := float64(with[i].Distinct) / float64(without[i].Distinct)
		if af[0].Factors[i] != want || want < 1 {
			t.Errorf("exec factor at tasks %d = %g, want %g (>= 1)", af[0].Tasks[i], af[0].Factors[i], want)
		}
	}
}

func TestWithoutEachRemovesOneActionAtATime(t *testing.T) {
	got := WithoutEach(seed)
	if len(got) != 4 {
		t.Fatalf("%d series, want one per default action (4)", len(got))
	}
	for _, s := range got {
		removed := seed.Actions &^ s.Actions
		if s.Actions&^seed.Actions != 0 || removed == 0 || removed&(removed-1) != 0 {
			t.Errorf("%s is not the default set less one action", s.Label())
		}
	}
}

func TestCSVAndJSONHoldEveryRun(t *testing.T) {
	res := smallSweep(t)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, res); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(res.Runs)+1 {
		t.Fatalf("%d CSV rows, want a header and %d runs", len(rows), len(res.Runs))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for i, r := range res.Runs {
		if rows[i+1][col["distinct_states"]] != strconv.FormatUint(r.Distinct, 10) || rows[i+1][col["tasks"]] != strconv.Itoa(r.Tasks) {
			t.Errorf("row %d = %v, run %d tasks %d states", i+1, rows[i+1], r.Tasks, r.Distinct)
		}
		if (r.Prediction != nil) != (rows[i+1][col["predicted_states"]] != "") {
			t.Errorf("row %d: predicted_states %q, prediction %v", i+1, rows[i+1][col["predicted_states"]], r.Prediction != nil)
		}
	}

	buf.Reset()
	if err := WriteLevelsCSV(&buf, res); err != nil {
		t.Fatal(err)
	}
	levels := 0
	for _, r := range res.Runs {
		levels += len(r.Levels)
	}
	if got := strings.Count(buf.String(), "\n"); got != levels+1 {
		t.Errorf("levels CSV has %d lines, want %d", got, levels+1)
	}

	buf.Reset()
	sw := Sweep{Tasks: []int{2, 3, 4}, Series: []Series{seed, v3}, Workers: 2}
	if err := WriteJSON(&buf, NewReport("cabacheck growth --tasks 2..4", sw, res, nil)); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	rep, again, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil || len(again.Runs) != len(res.Runs) || again.Runs[3].Series() != res.Runs[3].Series() || rep.Command != "cabacheck growth --tasks 2..4" {
		t.Errorf("ReadJSON did not restore the runs and their series: %v", err)
	}
	if len(back.Runs) != len(res.Runs) || back.Runs[5].Distinct != res.Runs[5].Distinct || len(back.TaskFits) != 2 ||
		back.Runs[5].Prediction == nil || len(back.Runs[5].Levels) != len(res.Runs[5].Levels) {
		t.Errorf("JSON round trip lost runs, levels, predictions or fits")
	}
}

func TestPlotsRenderWithTitlesAndLabels(t *testing.T) {
	dir := t.TempDir()
	files, err := WritePlots(dir, smallSweep(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 6 {
		t.Fatalf("wrote %v, want three plots (states, time, levels) as SVG and PNG", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(f) {
		case ".png":
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil || img.Bounds().Dx() < 400 {
				t.Errorf("%s: not a usable PNG: %v", f, err)
			}
		case ".svg":
			quantity := "states"
			if strings.HasPrefix(filepath.Base(f), "time") {
				quantity = "time"
			}
			for _, want := range []string{"log scale", quantity, "seed", "v3", "predicted"} {
				if !strings.Contains(string(data), want) {
					t.Errorf("%s lacks %q", filepath.Base(f), want)
				}
			}
		}
	}
}

// One tick format throughout: SI prefixes on states, round durations on time.
func TestTickLabels(t *testing.T) {
	for v, want := range map[float64]string{1: "1", 100: "100", 1e3: "1k", 1e5: "100k", 1e6: "1M", 1e9: "1G"} {
		if got := siLabel(v); got != want {
			t.Errorf("siLabel(%g) = %q, want %q", v, got, want)
		}
	}
	var labels []string
	for _, tk := range (siLogTicks{}).Ticks(500, 2e6) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	// (gonum's log ticks reach a decade past the data each way)
	if got := strings.Join(labels, " "); got != "100 1k 10k 100k 1M 10M" {
		t.Errorf("state ticks 500..2e6: %q", got)
	}
	labels = nil
	for _, tk := range (durationTicks{}).Ticks(0.02, 900) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "100ms 1s 10s 1min 10min" {
		t.Errorf("time ticks 0.02..900 s: %q", got)
	}
}

// Every series has its own dash pattern and marker, and series are spread
// sideways, so that equal series do not hide one another.
func TestSeriesStylesDiffer(t *testing.T) {
	a, b, c := styleOf(0, 3, xSpread), styleOf(1, 3, xSpread), styleOf(2, 3, xSpread)
	if a.glyph == b.glyph || b.glyph == c.glyph || slices.Equal(a.dashes, b.dashes) || slices.Equal(b.dashes, c.dashes) || a.dx >= b.dx || b.dx >= c.dx {
		t.Errorf("styles %+v %+v %+v are not distinct", a, b, c)
	}
}

func TestExtrapolateAndLerp(t *testing.T) {
	// A parabola through three points is reproduced exactly.
	xs, ys := []float64{3, 4, 5}, []float64{9, 16, 25}
	if got := extrapolate(xs, ys, 6); math.Abs(got-36) > 1e-9 {
		t.Errorf("parabola at 6 = %g, want 36", got)
	}
	if got := extrapolate(xs[1:], ys[1:], 6); math.Abs(got-34) > 1e-9 {
		t.Errorf("line at 6 = %g, want 34", got)
	}
	prof := []float64{1, 3, 5}
	for _, c := range []struct{ x, want float64 }{{-1, 1}, {0.5, 2}, {1.25, 3.5}, {7, 5}} {
		if got := lerp(prof, c.x); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("lerp(%g) = %g, want %g", c.x, got, c.want)
		}
	}
}
