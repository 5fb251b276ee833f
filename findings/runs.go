package findings

import (
	"fmt"
	"strings"

	"cabacheck/spec/linux"
)

// CheckRun is one recorded `cabacheck check --continue` at a bound too large
// to rerun when the document is rendered (minutes to hours and gigabytes
// per revision): made by the user's command, added with `findings
// --add-run`, its traces replayed on every render.
type CheckRun struct {
	Command     string       `json:"command"`
	Exploration *Exploration `json:"exploration"`
	// From `/usr/bin/time -v` around the command, when given: the whole
	// process's wall-clock time and peak resident set size.
	WallSeconds  float64 `json:"wall_seconds,omitempty"`
	PeakRSSBytes uint64  `json:"peak_rss_bytes,omitempty"`
}

// Pidns reports whether the run had the pid namespace actions: such runs
// belong to the pid namespace section, the others to the revision matrix.
func (r *CheckRun) Pidns() bool {
	acts, err := linux.ParseActions(r.Exploration.Actions)
	return err == nil && acts&linux.Pidns != 0
}

// validate checks that the i-th run of a kind names a registered revision
// and valid actions.
func (r *CheckRun) validate(kind string, i int) error {
	if r == nil || r.Exploration == nil {
		return fmt.Errorf("%s %d has no exploration", kind, i+1)
	}
	if _, err := linux.ParseRevision(r.Exploration.Revision); err != nil {
		return fmt.Errorf("%s %d: %w", kind, i+1, err)
	}
	if _, err := linux.ParseActions(r.Exploration.Actions); err != nil {
		return fmt.Errorf("%s %d: %w", kind, i+1, err)
	}
	return nil
}

// AddRun puts run into the record: into the pid namespace runs or the
// large runs, in place of a run of the same revision, bound, actions and
// symmetry.
func (r *Record) AddRun(run *CheckRun) {
	if run.Pidns() {
		r.AddPidnsRun(run)
		return
	}
	r.Large = addRun(r.Large, run)
}

// addRun replaces the run of the same revision, bound, actions and symmetry
// in runs, or adds it; the result is ordered by bound, symmetry and the
// registry's revision order.
func addRun(runs []*CheckRun, run *CheckRun) []*CheckRun {
	same := func(a, b *Exploration) bool {
		return a.Revision == b.Revision && a.Tasks == b.Tasks && a.Actions == b.Actions && a.Symmetry == b.Symmetry
	}
	var kept []*CheckRun
	for _, old := range runs {
		if !same(old.Exploration, run.Exploration) {
			kept = append(kept, old)
		}
	}
	kept = append(kept, run)
	var out []*CheckRun
	for _, g := range runGroups(kept) {
		out = append(out, g...)
	}
	return out
}

// runGroups splits runs into groups of one bound, action set and symmetry,
// in that order, each group's runs in the registry's revision order.
func runGroups(runs []*CheckRun) [][]*CheckRun {
	type key struct {
		tasks    int
		actions  string
		symmetry bool
	}
	var keys []key
	by := map[key][]*CheckRun{}
	for _, r := range runs {
		k := key{r.Exploration.Tasks, r.Exploration.Actions, r.Exploration.Symmetry}
		if by[k] == nil {
			keys = append(keys, k)
		}
		by[k] = append(by[k], r)
	}
	less := func(a, b key) bool {
		if a.tasks != b.tasks {
			return a.tasks < b.tasks
		}
		if a.actions != b.actions {
			return a.actions < b.actions
		}
		return !a.symmetry && b.symmetry
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && less(keys[j], keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	var out [][]*CheckRun
	for _, k := range keys {
		var g []*CheckRun
		for _, rev := range linux.Revisions() {
			for _, r := range by[k] {
				if r.Exploration.Revision == rev.String() {
					g = append(g, r)
				}
			}
		}
		out = append(out, g)
	}
	return out
}

// largeMarkdown renders the recorded large runs: per bound and action set a
// matrix of the runs without symmetry, the runs' figures, and whether the
// symmetry-reduced runs of the same bound give the same verdicts and
// shortest lengths.
func largeMarkdown(runs []*CheckRun) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	groups := runGroups(runs)
	reduced := map[string]*CheckRun{} // tasks/actions/revision -> symmetric run
	for _, g := range groups {
		for _, r := range g {
			if r.Exploration.Symmetry {
				reduced[runKey(r.Exploration)] = r
			}
		}
	}
	for _, g := range groups {
		e0 := g[0].Exploration
		if e0.Symmetry {
			continue
		}
		acts, err := linux.ParseActions(e0.Actions)
		if err != nil {
			acts = linux.DefaultActions // validate() has parsed it
		}
		m := &Matrix{Tasks: e0.Tasks, Actions: e0.Actions, Invariants: matrixColumns(acts)}
		for _, r := range g {
			m.Rows = append(m.Rows, r.Exploration)
		}
		w("### %d tasks, complete, without symmetry (recorded)\n\n", e0.Tasks)
		w("One `cabacheck check --continue` per revision (commands below), too long to rerun with this document: recorded in ")
		w("docs/findings.json with `cabacheck findings --add-run REPORT.json:TIME.txt` (the check's `--json` report and ")
		w("`/usr/bin/time -v` around it); their traces are replayed when this document is rendered.\n\n")
		b.WriteString(m.Markdown())
		w("\n| revision | distinct states | states generated | depth | search s | wall s | peak RSS | bytes/state (peak RSS) |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, r := range g {
			e := r.Exploration
			perState := ""
			if r.PeakRSSBytes > 0 && e.Distinct > 0 {
				perState = fmt.Sprintf("%.1f", float64(r.PeakRSSBytes)/float64(e.Distinct))
			}
			w("| %s | %s | %s | %d | %.0f | %s | %s | %s |\n", e.Revision, Commas(e.Distinct), Commas(e.Generated), e.Depth, e.Seconds,
				orBlank(r.WallSeconds, "%.0f"), orBlank(float64(r.PeakRSSBytes)/1e9, "%.1f GB"), perState)
		}
		w("\nCommands:\n\n")
		for _, r := range g {
			w("- `%s`\n", r.Command)
		}
		w("\nAgainst the symmetry-reduced run of the same bound (exact: it must give every verdict and shortest length):\n\n")
		w("| revision | states without symmetry | states with symmetry | factor | same verdicts and lengths |\n| --- | --- | --- | --- | --- |\n")
		for _, r := range g {
			e := r.Exploration
			s, ok := reduced[runKey(e)]
			if !ok {
				w("| %s | %s | not recorded | | |\n", e.Revision, Commas(e.Distinct))
				continue
			}
			diff := verdictDiff(e, s.Exploration)
			same := "yes"
			if diff != "" {
				same = "**no**: " + diff
			}
			w("| %s | %s | %s | %.2f | %s |\n", e.Revision, Commas(e.Distinct), Commas(s.Exploration.Distinct),
				float64(e.Distinct)/float64(s.Exploration.Distinct), same)
		}
		w("\n")
	}
	return b.String()
}

func runKey(e *Exploration) string { return fmt.Sprintf("%d/%s/%s", e.Tasks, e.Actions, e.Revision) }

// verdictDiff lists the checks on which two explorations of one bound
// differ (violated or not, shortest length), or "" when none does.
func verdictDiff(a, b *Exploration) string {
	var out []string
	for _, v := range a.Verdicts {
		w, ok := b.Verdict(v.Check)
		switch {
		case !ok:
			out = append(out, v.Check+" not checked")
		case v.Violated != w.Violated || v.Length != w.Length:
			out = append(out, fmt.Sprintf("%s (%s against %s)", v.Check, lengthWord(v), lengthWord(w)))
		}
	}
	return strings.Join(out, ", ")
}

func lengthWord(v Verdict) string {
	if !v.Violated {
		return "holds"
	}
	return fmt.Sprintf("%d steps", v.Length)
}

// orBlank formats v, or gives "" for 0 (a figure not recorded).
func orBlank(v float64, format string) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf(format, v)
}
