package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"cabacheck/explorer"
	"cabacheck/growth"
	"cabacheck/kernel"
	"cabacheck/spec/linux"
)

// Progress on stderr, for check, matrix, findings and growth: on a terminal
// a bar (github.com/schollz/progressbar) with an ETA, elsewhere TLC-style
// lines. A search's total is the growth predictor's estimate of the states
// it will generate (growth.Predict, from smaller bounds run first); without
// one the bar is indeterminate and shows the rate. A kernel build's total is
// the step count of the last build (kernel.BuildProgress).

// barRefresh is how often a search updates its bar on a terminal.
const barRefresh = 200 * time.Millisecond

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// searchProgress reports one search: a bar when bar is set, lines otherwise.
type searchProgress struct {
	w     io.Writer
	label string  // prefix of lines and bar ("tasks 5 v3"), may be empty
	total float64 // predicted states generated; 0: unknown
	bar   *progressbar.ProgressBar
}

// newSearchProgress starts the report of a search to w, as a bar when tty
// is set; total is the predicted number of states generated (0: unknown).
func newSearchProgress(w io.Writer, tty bool, label string, total float64) *searchProgress {
	p := &searchProgress{w: w, label: label, total: total}
	if tty {
		max := int64(-1)
		if total >= 1 {
			max = int64(total)
		}
		p.bar = progressbar.NewOptions64(max, progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(p.describe(explorer.Progress{})), progressbar.OptionShowCount(),
			progressbar.OptionShowIts(), progressbar.OptionSetItsString("states"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionFullWidth(),
			progressbar.OptionClearOnFinish()) // no throttle: the explorer reports every barRefresh at most
		p.bar.RenderBlank() // starts the bar's clock, from which it takes the rate
	}
	return p
}

// describe is the bar's text: the level and distinct states so far; the
// bar counts the states generated against the predicted total.
func (p *searchProgress) describe(pr explorer.Progress) string {
	d := fmt.Sprintf("level %d, %s distinct, states generated", pr.Level, commas(pr.Distinct))
	if p.label != "" {
		d = p.label + ": " + d
	}
	return d
}

// update shows pr: it moves the bar, or prints one line.
func (p *searchProgress) update(pr explorer.Progress) {
	if pr.Done {
		p.finish()
		return
	}
	if p.bar != nil {
		// An indeterminate bar keeps no maximum of ours (GetMax64 is its width).
		if m := p.bar.GetMax64(); p.total >= 1 && int64(pr.Generated) > m {
			p.bar.ChangeMax64(int64(pr.Generated)) // more than predicted
		}
		p.bar.Set64(int64(pr.Generated))
		p.bar.Describe(p.describe(pr)) // draws the bar again, with both
		return
	}
	fmt.Fprintln(p.w, progressLine(p.label, pr, p.total, time.Now()))
}

// finish clears the bar.
func (p *searchProgress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}

// progressLine is TLC's progress line, with the rate spelled out (states
// generated per minute), followed, when a prediction gives the total, by the
// share of the predicted states generated so far and the time left at the
// rate so far:
//
//	Progress(12) at 2026-12-01 13:20:01: 1,234,567 states generated (456,789 states/min), 234,567 distinct states found, 12,345 states left on queue; about 43% of the predicted 2,871,000 states generated, ETA 1m10s.
func progressLine(label string, pr explorer.Progress, total float64, at time.Time) string {
	rate := 0.0
	if m := pr.Elapsed.Minutes(); m > 0 {
		rate = float64(pr.Generated) / m
	}
	s := ""
	if label != "" {
		s = label + ": "
	}
	s += fmt.Sprintf("Progress(%d) at %s: %s states generated (%s states/min), %s distinct states found, %s states left on queue",
		pr.Level, at.Format("2006-01-02 15:04:05"), commas(pr.Generated), commas(uint64(rate)), commas(pr.Distinct), commas(pr.Queue))
	switch gen := float64(pr.Generated); {
	case total < 1:
		return s + "."
	case gen >= total:
		return s + fmt.Sprintf("; more than the predicted %s states generated, no ETA.", commas(uint64(total)))
	case gen == 0:
		return s + fmt.Sprintf("; 0%% of the predicted %s states generated.", commas(uint64(total)))
	default:
		eta := time.Duration(float64(pr.Elapsed) * (total - gen) / gen).Round(time.Second)
		return s + fmt.Sprintf("; about %d%% of the predicted %s states generated, ETA %s.", int(100*gen/total), commas(uint64(total)), eta)
	}
}

// Calibration budget: the smaller bounds a check runs to predict its own
// size are cut short past these, and then predict nothing.
const (
	calibrationStates = 3_000_000
	calibrationTime   = 15 * time.Second
	// calibrationFrom is the smallest bound worth a prediction: below it
	// the search itself takes a fraction of a second.
	calibrationFrom = 5
)

// predictCheck predicts the size of a check of the linux model with opt by
// running the three bounds below it first (growth.Sweep, no invariants) and
// extrapolating (growth.Predict); maxDepth > 0 takes the predicted level at
// that depth. It returns the predicted states generated, or 0 when the
// bound is too small to need a prediction, the smaller bounds were cut
// short, or the context was cancelled.
func predictCheck(ctx context.Context, opt linux.Options, symmetry bool, workers, maxDepth int) float64 {
	n := opt.Tasks
	if n < calibrationFrom {
		return 0
	}
	series := growth.Series{Revision: opt.Revision, Actions: opt.Actions, Symmetry: symmetry}
	var bounds []int
	for t := max(2, n-3); t < n; t++ {
		bounds = append(bounds, t)
	}
	sw := growth.Sweep{Tasks: bounds, Series: []growth.Series{series}, Workers: workers, Context: ctx,
		Budget: growth.Budget{MaxStates: calibrationStates, MaxTime: calibrationTime}}
	res, err := sw.Run()
	if err != nil || res.Interrupted {
		return 0
	}
	m, err := linux.New(opt)
	if err != nil {
		return 0
	}
	p := growth.Predict(res.Of(series), n, m.StateSize(), workers)
	if p == nil {
		return 0
	}
	if maxDepth > 0 && maxDepth < len(p.Levels) {
		return p.Levels[maxDepth].Generated
	}
	return p.Generated
}

// buildProgress renders a kernel build's progress as a bar on a terminal;
// elsewhere it returns nil and the kernel package prints its lines.
func buildProgress(w io.Writer) func(kernel.BuildProgress) {
	if !isTerminal(w) {
		return nil
	}
	var bar *progressbar.ProgressBar
	return func(p kernel.BuildProgress) {
		if bar == nil {
			max := int64(-1)
			if p.Total > 0 {
				max = int64(p.Total)
			}
			bar = progressbar.NewOptions64(max, progressbar.OptionSetWriter(w), progressbar.OptionShowCount(),
				progressbar.OptionShowIts(), progressbar.OptionSetItsString("steps"), progressbar.OptionSetPredictTime(true),
				progressbar.OptionFullWidth(), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(barRefresh))
		}
		if p.Done {
			bar.Finish()
			bar = nil
			return
		}
		if p.Total > 0 && int64(p.Steps) > bar.GetMax64() {
			bar.ChangeMax64(int64(p.Steps))
		}
		bar.Describe(fmt.Sprintf("%s %s kernel: %s", p.Revision, p.Flavor, p.Now))
		bar.Set64(int64(p.Steps))
	}
}
