package growth

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Plot sizes.
const (
	plotWidth  = 8 * vg.Inch
	plotHeight = 5 * vg.Inch
)

// WritePlots writes states-by-tasks and states-per-level plots into dir, as
// SVG and PNG, and returns the files written.
func WritePlots(dir string, res *Result) ([]string, error) {
	var files []string
	for _, mk := range []struct {
		name string
		make func(*Result) (*plot.Plot, error)
	}{{"states-by-tasks", StatesPlot}, {"states-per-level", LevelsPlot}} {
		p, err := mk.make(res)
		if err != nil {
			return files, fmt.Errorf("%s plot: %w", mk.name, err)
		}
		if p == nil {
			continue
		}
		for _, ext := range []string{".svg", ".png"} {
			path := filepath.Join(dir, mk.name+ext)
			if err := p.Save(plotWidth, plotHeight, path); err != nil {
				return files, fmt.Errorf("%s plot: %w", mk.name, err)
			}
			files = append(files, path)
		}
	}
	return files, nil
}

// StatesPlot draws distinct states against tasks per series on a log scale,
// with the predictions made before each run and the runs a budget stopped.
// It returns nil when there is no run.
func StatesPlot(res *Result) (*plot.Plot, error) {
	if len(res.Runs) == 0 {
		return nil, nil
	}
	p := newLogPlot("Distinct states by task bound (log scale)", "tasks (init included)", "distinct states")
	legend := &legendCount{p: p}
	var minT, maxT int = math.MaxInt, 0
	maxY := 0.0
	var anyPartial, anyPredicted bool
	for i, s := range seriesOf(res) {
		var pts, partial, predicted plotter.XYs
		for _, r := range res.Of(s) {
			minT, maxT = min(minT, r.Tasks), max(maxT, r.Tasks)
			xy := plotter.XY{X: float64(r.Tasks), Y: float64(r.Distinct)}
			if r.Complete {
				pts = append(pts, xy)
			} else if r.Distinct > 0 {
				partial = append(partial, xy)
			}
			if r.Prediction != nil && r.Prediction.Distinct >= 1 {
				predicted = append(predicted, plotter.XY{X: float64(r.Tasks), Y: r.Prediction.Distinct})
			}
		}
		for _, xys := range []plotter.XYs{pts, partial, predicted} {
			for _, xy := range xys {
				maxY = max(maxY, xy.Y)
			}
		}
		if len(pts) > 0 {
			line, sc, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, err
			}
			line.Color, sc.Color = plotutil.Color(i), plotutil.Color(i)
			line.Width = vg.Points(1.5)
			sc.Shape = draw.CircleGlyph{}
			p.Add(line, sc)
			legend.add(s.Label(), line, sc)
		}
		for _, m := range []struct {
			xys   plotter.XYs
			glyph draw.GlyphDrawer
			seen  *bool
		}{{predicted, draw.CrossGlyph{}, &anyPredicted}, {partial, draw.RingGlyph{}, &anyPartial}} {
			if len(m.xys) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(m.xys)
			if err != nil {
				return nil, err
			}
			sc.Shape, sc.Color, sc.Radius = m.glyph, plotutil.Color(i), vg.Points(5)
			p.Add(sc)
			*m.seen = true
		}
	}
	for _, m := range []struct {
		seen  bool
		glyph draw.GlyphDrawer
		label string
	}{{anyPredicted, draw.CrossGlyph{}, "predicted before the run"}, {anyPartial, draw.RingGlyph{}, "stopped by a budget (states reached)"}} {
		if !m.seen {
			continue
		}
		key, err := plotter.NewScatter(plotter.XYs{{X: 1, Y: 1}})
		if err != nil {
			return nil, err
		}
		key.Shape, key.Color, key.Radius = m.glyph, color.Black, vg.Points(5)
		legend.add(m.label, key)
	}
	makeLegendRoom(p, legend.n, 1, maxY)
	p.X.Min, p.X.Max = float64(minT)-0.3, float64(maxT)+0.3
	p.X.Tick.Marker = integerTicks{}
	return p, nil
}

// LevelsPlot draws the new states of each BFS level for the largest bound,
// one line per series, with the predicted profile dashed. It returns nil when
// there is no run.
func LevelsPlot(res *Result) (*plot.Plot, error) {
	largest := 0
	for _, r := range res.Runs {
		largest = max(largest, r.Tasks)
	}
	if largest == 0 {
		return nil, nil
	}
	title := fmt.Sprintf("New states per BFS level at tasks = %d (log scale)", largest)
	p := newLogPlot(title, "BFS level (depth)", "new states at the level")
	legend := &legendCount{p: p}
	stopped := false
	maxY := 1.0
	for i, s := range seriesOf(res) {
		var run *Run
		for _, r := range res.Of(s) {
			if r.Tasks == largest {
				run = r
			}
		}
		if run == nil {
			continue
		}
		var pts plotter.XYs
		for _, l := range run.Levels {
			if l.New > 0 {
				pts = append(pts, plotter.XY{X: float64(l.Level), Y: float64(l.New)})
				maxY = max(maxY, float64(l.New))
			}
		}
		label := s.Label()
		if !run.Complete {
			stopped = true
			label += fmt.Sprintf(" (stopped after level %d: %s)", run.Depth, run.StopReason)
		}
		if len(pts) > 0 {
			line, sc, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, err
			}
			line.Color, sc.Color = plotutil.Color(i), plotutil.Color(i)
			line.Width = vg.Points(1.5)
			sc.Shape = draw.CircleGlyph{}
			p.Add(line, sc)
			legend.add(label, line, sc)
		}
		if pr := run.Prediction; pr != nil {
			var pp plotter.XYs
			for _, l := range pr.Levels {
				if l.New >= 1 {
					pp = append(pp, plotter.XY{X: float64(l.Level), Y: l.New})
					maxY = max(maxY, l.New)
				}
			}
			line, err := plotter.NewLine(pp)
			if err != nil {
				return nil, err
			}
			line.Color = plotutil.Color(i)
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			p.Add(line)
			legend.add(s.Label()+" predicted from tasks "+joinInts(pr.From), line)
		}
	}
	if stopped {
		p.Title.Text += "\nsolid: measured, dashed: predicted before the run"
	}
	makeLegendRoom(p, legend.n, 1, maxY)
	p.X.Tick.Marker = integerTicks{}
	return p, nil
}

// makeLegendRoom raises the top of a log-scale Y axis so that the legend,
// drawn in the top left corner, sits above the data.
func makeLegendRoom(p *plot.Plot, entries int, minY, maxY float64) {
	if maxY <= 0 || minY <= 0 {
		return
	}
	share := min(0.036*float64(entries)+0.03, 0.6) // of the plot height, per legend line
	decades := math.Log10(maxY/minY) + 0.2
	p.Y.Max = maxY * math.Pow(10, decades*share/(1-share))
}

// legendCount adds legend entries and counts them.
type legendCount struct {
	p *plot.Plot
	n int
}

func (l *legendCount) add(label string, thumbs ...plot.Thumbnailer) {
	l.p.Legend.Add(label, thumbs...)
	l.n++
}

func newLogPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p
}

func seriesOf(res *Result) []Series {
	var out []Series
	for _, r := range res.Runs {
		if !slices.Contains(out, r.series) {
			out = append(out, r.series)
		}
	}
	return out
}

// integerTicks marks every integer (every few when the range is wide).
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	step := max(1, int(math.Ceil((hi-lo)/15)))
	var ticks []plot.Tick
	for v := int(math.Ceil(lo)); float64(v) <= hi; v++ {
		t := plot.Tick{Value: float64(v)}
		if v%step == 0 {
			t.Label = strconv.Itoa(v)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

func joinInts(xs []int) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ","
		}
		s += strconv.Itoa(x)
	}
	return s
}
