package findings

import (
	"cabacheck/explorer"
)

// Progress is what a findings run reports while it works (RunConfig.Progress):
// which part is running, its place among the parts of the run, and its
// search so far. A part starts (Search zero, Done false), reports its search
// every RunConfig.ProgressEvery while one runs, and ends (Done true); parts
// run one at a time, in order.
type Progress struct {
	Part   string            // "concern v3-thread-created-thread", "matrix tasks 4 default,pidns v3"
	Index  int               // 1-based place of the part
	Total  int               // parts in the run
	Search explorer.Progress // the part's current search; zero at its start and for parts without one
	Done   bool              // the part has ended
}

// parts numbers the parts of one run and reports them to its RunConfig.
type parts struct {
	rc    RunConfig
	total int
	index int
}

func (rc RunConfig) parts(total int) *parts { return &parts{rc: rc, total: total} }

// run runs the next part, called name: f gets a RunConfig whose searches
// (Explore) report under the part.
func (p *parts) run(name string, f func(RunConfig) error) error {
	p.index++
	i := p.index
	report := p.rc.Progress
	if report == nil {
		return f(p.rc)
	}
	report(Progress{Part: name, Index: i, Total: p.total})
	sub := p.rc
	sub.search = func(s explorer.Progress) {
		if !s.Done { // the part's own end follows
			report(Progress{Part: name, Index: i, Total: p.total, Search: s})
		}
	}
	err := f(sub)
	report(Progress{Part: name, Index: i, Total: p.total, Done: true})
	return err
}
