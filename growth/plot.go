package growth

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Plot sizes: the data area; the legend is drawn beside it, to the right.
const (
	plotWidth  = 8 * vg.Inch
	plotHeight = 5 * vg.Inch
)

// WritePlots writes the states-by-tasks, time-by-tasks and states-per-level
// plots into dir, as SVG and PNG, and returns the files written.
func WritePlots(dir string, res *Result) ([]string, error) {
	var files []string
	for _, mk := range []struct {
		name string
		make func(*Result) (*plot.Plot, error)
	}{{"states-by-tasks", StatesPlot}, {"time-by-tasks", TimePlot}, {"states-per-level", LevelsPlot}} {
		p, err := mk.make(res)
		if err != nil {
			return files, fmt.Errorf("%s plot: %w", mk.name, err)
		}
		if p == nil {
			continue
		}
		for _, ext := range []string{".svg", ".png"} {
			path := filepath.Join(dir, mk.name+ext)
			if err := savePlot(p, plotWidth, plotHeight, path); err != nil {
				return files, fmt.Errorf("%s plot: %w", mk.name, err)
			}
			files = append(files, path)
		}
	}
	return files, nil
}

// legendGap is the space between the plot and its legend, and the legend's
// right margin.
const legendGap = 0.15 * vg.Inch

// savePlot writes p to path (its extension names the format) with the
// legend outside the data: the plot takes w by h, the legend a strip to its
// right as wide as its longest entry.
func savePlot(p *plot.Plot, w, h vg.Length, path string) (err error) {
	leg := p.Legend
	p.Legend = plot.NewLegend() // empty: the plot draws none of its own
	defer func() { p.Legend = leg }()
	lw := leg.Rectangle(draw.Canvas{}).Size().X + 2*legendGap
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	c, err := draw.NewFormattedCanvas(w+lw, h, format)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	p.Draw(draw.Crop(dc, 0, -lw, 0, 0))
	leg.Top, leg.Left = true, true
	top := p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
	leg.Draw(draw.Crop(dc, w+legendGap, -legendGap, 0, -top))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if e := f.Close(); err == nil {
			err = e
		}
	}()
	_, err = c.WriteTo(f)
	return err
}

// A series keeps one style in every plot: its colour, a dash pattern and a
// marker shape of its own, and a small sideways offset, so that series with
// equal values (v3 and v4 often are) are all seen.
type seriesStyle struct {
	color  color.Color
	dashes []vg.Length
	glyph  draw.GlyphDrawer
	dx     float64 // offset along x, in x units
}

var (
	seriesGlyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.BoxGlyph{}, draw.PlusGlyph{}}
	seriesDashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)}}
	// predictedDashes are the dashes of predicted lines where measured
	// lines are solid (LevelsPlot): dashed in a different pattern per series.
	predictedDashes = [][]vg.Length{{vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)}, {vg.Points(10), vg.Points(4)}}
)

// styleOf is the style of series i of n; spread is the whole x offset
// range the series share.
func styleOf(i, n int, spread float64) seriesStyle {
	dx := 0.0
	if n > 1 {
		dx = spread * (float64(i)/float64(n-1) - 0.5)
	}
	return seriesStyle{color: plotutil.Color(i), dashes: seriesDashes[i%len(seriesDashes)], glyph: seriesGlyphs[i%len(seriesGlyphs)], dx: dx}
}

// measured draws a measured series: a line in the series' dash pattern with
// its markers, offset by the style's dx; it returns the legend thumbnails.
func (st seriesStyle) measured(p *plot.Plot, pts plotter.XYs) ([]plot.Thumbnailer, error) {
	line, sc, err := plotter.NewLinePoints(st.shift(pts))
	if err != nil {
		return nil, err
	}
	line.Color, line.Width, line.Dashes = st.color, vg.Points(1.5), st.dashes
	sc.Color, sc.Shape, sc.Radius = st.color, st.glyph, vg.Points(3.5)
	p.Add(line, sc)
	return []plot.Thumbnailer{line, sc}, nil
}

func (st seriesStyle) shift(pts plotter.XYs) plotter.XYs {
	out := make(plotter.XYs, len(pts))
	for i, xy := range pts {
		out[i] = plotter.XY{X: xy.X + st.dx, Y: xy.Y}
	}
	return out
}

// boldGlyph draws a marker's outline with a thick pen: the predictions and
// budget stops, which the thin default glyphs hid.
type boldGlyph struct{ shape string }

func (g boldGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(2)})
	r := sty.Radius
	var path vg.Path
	switch g.shape {
	case "cross":
		d := r * 0.7071
		path.Move(vg.Point{X: pt.X - d, Y: pt.Y - d})
		path.Line(vg.Point{X: pt.X + d, Y: pt.Y + d})
		path.Move(vg.Point{X: pt.X - d, Y: pt.Y + d})
		path.Line(vg.Point{X: pt.X + d, Y: pt.Y - d})
	default: // ring
		path.Move(vg.Point{X: pt.X + r, Y: pt.Y})
		path.Arc(pt, r, 0, 2*math.Pi)
		path.Close()
	}
	c.Stroke(path)
}

var (
	predictedGlyph = boldGlyph{"cross"}
	partialGlyph   = boldGlyph{"ring"}
)

// marks draws the predictions and the runs a budget stopped of one series,
// and the legend keys for them once per plot.
type marks struct {
	predicted, partial bool
}

func (m *marks) add(p *plot.Plot, st seriesStyle, predicted, partial plotter.XYs) error {
	for _, k := range []struct {
		xys   plotter.XYs
		glyph draw.GlyphDrawer
		seen  *bool
	}{{predicted, predictedGlyph, &m.predicted}, {partial, partialGlyph, &m.partial}} {
		if len(k.xys) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(st.shift(k.xys))
		if err != nil {
			return err
		}
		sc.Shape, sc.Color, sc.Radius = k.glyph, st.color, vg.Points(6)
		p.Add(sc)
		*k.seen = true
	}
	return nil
}

func (m *marks) legend(l *plot.Legend, stopped string) error {
	for _, k := range []struct {
		seen  bool
		glyph draw.GlyphDrawer
		label string
	}{{m.predicted, predictedGlyph, "predicted before the run"}, {m.partial, partialGlyph, stopped}} {
		if !k.seen {
			continue
		}
		key, err := plotter.NewScatter(plotter.XYs{{X: 1, Y: 1}})
		if err != nil {
			return err
		}
		key.Shape, key.Color, key.Radius = k.glyph, color.Black, vg.Points(5)
		l.Add(k.label, key)
	}
	return nil
}

// xSpread is the x range the series of a by-tasks plot are spread over.
const xSpread = 0.16

// StatesPlot draws distinct states against tasks per series on a log scale,
// with the predictions made before each run and the runs a budget stopped.
// It returns nil when there is no run.
func StatesPlot(res *Result) (*plot.Plot, error) {
	return byTasksPlot(res, "Distinct states by task bound (log scale)", "distinct states",
		func(r *Run) float64 { return float64(r.Distinct) },
		func(p *Prediction) float64 { return p.Distinct }, siLogTicks{}, "stopped by a budget (states reached)")
}

// TimePlot draws the wall-clock time of each run against tasks, beside
// StatesPlot: the measured times, those predicted before the runs, and the
// runs a budget stopped (the time they ran). It returns nil when there is no run.
func TimePlot(res *Result) (*plot.Plot, error) {
	return byTasksPlot(res, "Time by task bound (log scale)", "wall-clock time",
		func(r *Run) float64 { return r.ElapsedSeconds },
		func(p *Prediction) float64 { return p.Seconds }, durationTicks{}, "stopped by a budget (time it ran)")
}

func byTasksPlot(res *Result, title, ylabel string, of func(*Run) float64, pred func(*Prediction) float64, ticks plot.Ticker, stopped string) (*plot.Plot, error) {
	if len(res.Runs) == 0 {
		return nil, nil
	}
	p := newLogPlot(title, "tasks (init included)", ylabel)
	p.Y.Tick.Marker = ticks
	var minT, maxT int = math.MaxInt, 0
	var mk marks
	all := seriesOf(res)
	for i, s := range all {
		st := styleOf(i, len(all), xSpread)
		var pts, partial, predicted plotter.XYs
		for _, r := range res.Of(s) {
			minT, maxT = min(minT, r.Tasks), max(maxT, r.Tasks)
			xy := plotter.XY{X: float64(r.Tasks), Y: of(r)}
			if xy.Y <= 0 {
				continue
			}
			if r.Complete {
				pts = append(pts, xy)
			} else if r.Distinct > 0 {
				partial = append(partial, xy)
			}
			if r.Prediction != nil {
				if y := pred(r.Prediction); y > 0 {
					predicted = append(predicted, plotter.XY{X: float64(r.Tasks), Y: y})
				}
			}
		}
		if len(pts) > 0 {
			thumbs, err := st.measured(p, pts)
			if err != nil {
				return nil, err
			}
			p.Legend.Add(s.Label(), thumbs...)
		}
		if err := mk.add(p, st, predicted, partial); err != nil {
			return nil, err
		}
	}
	if err := mk.legend(&p.Legend, stopped); err != nil {
		return nil, err
	}
	p.X.Min, p.X.Max = float64(minT)-0.3, float64(maxT)+0.3
	p.X.Tick.Marker = integerTicks{}
	wholeDecades(&p.Y)
	return p, nil
}

// wholeDecades widens a log axis to powers of ten, so that both ends carry
// a label.
func wholeDecades(a *plot.Axis) {
	if a.Min > 0 && a.Max > a.Min {
		a.Min = math.Pow(10, math.Floor(math.Log10(a.Min)))
		a.Max = math.Pow(10, math.Ceil(math.Log10(a.Max)))
	}
}

// LevelsPlot draws the new states of each BFS level for the largest bound,
// one line per series (solid, with markers), with the predicted profile
// dashed. It returns nil when there is no run.
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
	p.Y.Tick.Marker = siLogTicks{}
	all := seriesOf(res)
	for i, s := range all {
		st := styleOf(i, len(all), 0.3)
		st.dashes = nil // solid: measured; dashed: predicted
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
			}
		}
		label := s.Label()
		if !run.Complete {
			label += fmt.Sprintf(" (stopped after level %d: %s)", run.Depth, run.StopReason)
		}
		if len(pts) > 0 {
			thumbs, err := st.measured(p, pts)
			if err != nil {
				return nil, err
			}
			p.Legend.Add(label, thumbs...)
		}
		if pr := run.Prediction; pr != nil {
			var pp plotter.XYs
			for _, l := range pr.Levels {
				if l.New >= 1 {
					pp = append(pp, plotter.XY{X: float64(l.Level), Y: l.New})
				}
			}
			line, err := plotter.NewLine(st.shift(pp))
			if err != nil {
				return nil, err
			}
			line.Color, line.Width = st.color, vg.Points(1.5)
			line.Dashes = predictedDashes[i%len(predictedDashes)]
			p.Add(line)
			p.Legend.Add(s.Label()+" predicted from tasks "+joinInts(pr.From)+" (dashed)", line)
		}
	}
	p.X.Tick.Marker = integerTicks{}
	wholeDecades(&p.Y)
	return p, nil
}

func newLogPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = siLogTicks{}
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

// siLogTicks marks a log axis at the powers of ten, labelled the one way
// throughout (1, 10, 100, 1k, 10k, 100k, 1M, ..., 1G), with unlabelled
// minor ticks between them.
type siLogTicks struct{}

func (siLogTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = siLabel(ticks[i].Value)
		}
	}
	return ticks
}

// siLabel writes a power of ten with an SI prefix: 1, 10, 100, 1k, ..., 100T.
func siLabel(v float64) string {
	e := int(math.Round(math.Log10(v)))
	if e < 0 {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	prefix := []string{"", "k", "M", "G", "T", "P"}
	if e/3 >= len(prefix) {
		return fmt.Sprintf("1e%d", e)
	}
	return strconv.Itoa(int(math.Pow10(e%3))) + prefix[e/3]
}

// durationTicks marks a log axis of seconds at round durations: 1ms, 10ms,
// 100ms, 1s, 10s, 1min, 10min, 1h, 10h, 1d, 10d; those outside the range
// are dropped (the two beside it are kept so that the axis has labels).
type durationTicks struct{}

var roundDurations = []struct {
	s     float64
	label string
}{{0.001, "1ms"}, {0.01, "10ms"}, {0.1, "100ms"}, {1, "1s"}, {10, "10s"}, {60, "1min"}, {600, "10min"}, {3600, "1h"}, {36000, "10h"}, {86400, "1d"}, {864000, "10d"}}

func (durationTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for _, d := range roundDurations {
		if d.s >= lo && d.s <= hi {
			ticks = append(ticks, plot.Tick{Value: d.s, Label: d.label})
		}
	}
	// Unlabelled minor ticks at 2..9 times the powers of ten.
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		for m := 2.0; m < 10; m++ {
			if v := m * math.Pow(10, e); v >= lo && v <= hi {
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	return ticks
}
