package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"cabacheck/explorer"
	"cabacheck/findings"
)

// partsProgress shows a multi-part findings run (findings.Progress: the
// concerns and matrices of `findings`, the revisions of `matrix`): on a
// terminal one bar over the parts, whose text is the running part and its
// search, with an ETA from the time per part so far; elsewhere a line as
// each part starts and TLC-style lines (progressLine) while its search runs.
type partsProgress struct {
	mu   sync.Mutex // the explorer reports from its own goroutine
	w    io.Writer
	tty  bool
	what string // "findings: parts", "matrix, 4 tasks: revisions"
	bar  *progressbar.ProgressBar
}

func newPartsProgress(w io.Writer, tty bool, what string) *partsProgress {
	return &partsProgress{w: w, tty: tty, what: what}
}

// every is the interval between a search's reports: the bar's refresh on a
// terminal, the check command's default line interval elsewhere.
func (p *partsProgress) every() time.Duration {
	if p.tty {
		return barRefresh
	}
	return 5 * time.Second
}

// label names a part in lines and in the bar: "[3/26] concern NAME".
func partLabel(pr findings.Progress) string {
	return fmt.Sprintf("[%d/%d] %s", pr.Index, pr.Total, pr.Part)
}

// update shows pr.
func (p *partsProgress) update(pr findings.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty {
		switch {
		case pr.Done:
		case pr.Search == (explorer.Progress{}):
			fmt.Fprintf(p.w, "%s: %s (%s)\n", p.what, partLabel(pr), time.Now().Format("2006-01-02 15:04:05"))
		default:
			fmt.Fprintln(p.w, progressLine(partLabel(pr), pr.Search, 0, time.Now()))
		}
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions(pr.Total, progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription(p.what),
			progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionFullWidth(),
			progressbar.OptionClearOnFinish())
		p.bar.RenderBlank()
	}
	if pr.Done {
		p.bar.Set(pr.Index)
		return
	}
	d := fmt.Sprintf("%s %s", p.what, partLabel(pr))
	if s := pr.Search; s != (explorer.Progress{}) {
		d += fmt.Sprintf(": level %d, %s distinct, %s generated", s.Level, commas(s.Distinct), commas(s.Generated))
	}
	p.bar.Describe(d)
}

// line prints a line of its own, above the bar on a terminal.
func (p *partsProgress) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Clear()
	}
	fmt.Fprintln(p.w, s)
	if p.bar != nil {
		p.bar.RenderBlank()
	}
}

// finish clears the bar.
func (p *partsProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}
