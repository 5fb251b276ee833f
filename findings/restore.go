package findings

import (
	"fmt"
	"math/bits"
	"strings"
	"sync/atomic"

	"cabacheck/check"
	"cabacheck/invariants"
	"cabacheck/restore"
	"cabacheck/spec/linux"
	"cabacheck/state"
	"cabacheck/traces"
)

// RestoreCommand is the command that prints the restorability summary.
const RestoreCommand = "cabacheck restore --summary"

// RestoreConfig chooses the explorations of the restorability summary: one
// per revision, every state checked with both planners.
type RestoreConfig struct {
	Tasks     int
	Actions   linux.ActionSet
	Revisions []linux.Revision
	Budget    Budget
}

// RestoreRow is one revision's restorability at one bound.
type RestoreRow struct {
	Revision   string  `json:"revision"`
	Tasks      int     `json:"tasks"`
	Actions    string  `json:"actions"`
	Distinct   uint64  `json:"distinct_states"`
	Depth      int     `json:"depth"`
	Complete   bool    `json:"complete"`
	StopReason string  `json:"stop_reason"`
	Budget     string  `json:"budget,omitempty"` // the budget that stopped it, if any
	Seconds    float64 `json:"elapsed_seconds"`
	// Dumpable counts the states CRIU dumps; the planners' counts are of
	// those: the tree restored, and the tree and the caba values restored.
	Dumpable uint64 `json:"dumpable"`
	CRIUTree uint64 `json:"criu_tree"`
	CRIUCaba uint64 `json:"criu_tree_and_caba"`
	CABATree uint64 `json:"caba_tree"`
	CABACaba uint64 `json:"caba_tree_and_caba"`
	// The most helpers one plan needed.
	CRIUHelpers int `json:"criu_max_helpers"`
	CABAHelpers int `json:"caba_max_helpers"`
	// CRIUOnly: per kind of CRIU failure, the shortest state whose tree CRIU
	// does not restore and the CABA planner restores, caba included.
	CRIUOnly []RestoreExample `json:"criu_fails_caba_restores"`
	// CABAFails: per kind of failure, the shortest state the CABA planner
	// does not restore (tree and caba).
	CABAFails []RestoreExample `json:"caba_fails"`
}

// RestoreExample is the shortest state of one kind of failure.
type RestoreExample struct {
	Class   string   `json:"class"`
	States  uint64   `json:"states"` // dumpable states of this kind
	Length  int      `json:"length"` // the shortest trace's
	Actions []string `json:"actions"`
	Why     string   `json:"why"`
	// Violates lists the patch's invariants (caba group, with the
	// revision's own reading of "alive") the state violates: a failure in a
	// state that violates one is a flaw of the patch.
	Violates []string `json:"violates,omitempty"`

	Trace *traces.Trace `json:"-"`
}

// Flaw reports whether the failure is a flaw of the patch (the state
// violates one of its invariants) rather than a limit of the planner.
func (e *RestoreExample) Flaw() bool { return len(e.Violates) > 0 }

// restoreChecker evaluates both planners on every state and counts; its
// invariants (one per kind of failure) give the engine's shortest trace of
// each kind.
type restoreChecker struct {
	tasks                                            int
	criu, caba                                       *restore.Checker
	names                                            []string
	dumpable, criuTree, criuCaba, cabaTree, cabaCaba atomic.Uint64
	criuHelpers, cabaHelpers                         atomic.Int64
	count                                            []atomic.Uint64
}

// Bits: criu-only kinds, then caba kinds, each indexed by restore.Classes.
func newRestoreChecker(tasks int, rev linux.Revision) *restoreChecker {
	c := &restoreChecker{tasks: tasks, criu: restore.CheckerOf(rev, restore.CRIU()), caba: restore.CheckerOf(rev, restore.CABA(rev))}
	for _, p := range []string{"criu-only", "caba"} {
		for _, k := range restore.Classes {
			c.names = append(c.names, p+"/"+k)
		}
	}
	c.count = make([]atomic.Uint64, len(c.names))
	return c
}

func (c *restoreChecker) Names() []string { return c.names }

func storeMax(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

func (c *restoreChecker) Check(b []byte) uint64 {
	var s state.State
	s.Decode(b, c.tasks)
	cr, ca := c.criu.Memo(&s), c.caba.Memo(&s)
	if cr.Out&restore.OutDumpable == 0 {
		return 0
	}
	c.dumpable.Add(1)
	for _, x := range []struct {
		out     restore.Outcome
		bit     restore.Outcome
		counter *atomic.Uint64
	}{{cr.Out, restore.OutTree, &c.criuTree}, {cr.Out, restore.OutCaba, &c.criuCaba}, {ca.Out, restore.OutTree, &c.cabaTree}, {ca.Out, restore.OutCaba, &c.cabaCaba}} {
		if x.out&x.bit != 0 {
			x.counter.Add(1)
		}
	}
	if cr.Out&restore.OutTree != 0 || cr.Out&restore.OutCaba != 0 {
		storeMax(&c.criuHelpers, int64(cr.Helpers))
	}
	if ca.Out&restore.OutTree != 0 {
		storeMax(&c.cabaHelpers, int64(ca.Helpers))
	}
	var mask uint64
	n := len(restore.Classes)
	if cr.Out&restore.OutTree == 0 && ca.Out&restore.OutCaba != 0 {
		mask |= 1 << cr.TreeClass
	}
	if ca.Out&restore.OutCaba == 0 {
		mask |= 1 << (n + int(ca.CabaClass))
	}
	for m := mask; m != 0; m &= m - 1 {
		c.count[bits.TrailingZeros64(m)].Add(1)
	}
	return mask
}

// RestoreSummary explores every revision of cfg and checks, for every
// dumpable state, whether each planner restores it.
func RestoreSummary(cfg RestoreConfig, rc RunConfig, progress func(*RestoreRow)) ([]*RestoreRow, error) {
	var rows []*RestoreRow
	for _, rev := range cfg.Revisions {
		row, err := restoreRow(cfg, rev, rc)
		if err != nil {
			return nil, err
		}
		if progress != nil {
			progress(row)
		}
		rows = append(rows, row)
		if rc.Context != nil && rc.Context.Err() != nil {
			break
		}
	}
	return rows, nil
}

func restoreRow(cfg RestoreConfig, rev linux.Revision, rc RunConfig) (*RestoreRow, error) {
	opt := linux.Options{Tasks: cfg.Tasks, Revision: rev, Actions: cfg.Actions}
	model, err := linux.New(opt)
	if err != nil {
		return nil, err
	}
	ch := newRestoreChecker(cfg.Tasks, rev)
	res, err := check.Run(check.Request{
		Model:    model,
		Checker:  ch,
		Continue: true,
		MaxDepth: cfg.Budget.MaxDepth,
		Budget:   check.Budget{MaxStates: cfg.Budget.MaxStates, MaxTime: cfg.Budget.MaxTime, MaxMemory: cfg.Budget.MaxMemory},
		Workers:  rc.Workers,
		Context:  rc.Context,
	})
	if err != nil {
		return nil, fmt.Errorf("exploring %s: %w", model.Name(), err)
	}
	row := &RestoreRow{
		Revision: rev.String(), Tasks: cfg.Tasks, Actions: cfg.Actions.String(),
		Distinct: res.Distinct, Depth: res.Depth, Complete: res.Complete, StopReason: res.StopReason, Budget: res.Budget, Seconds: res.Elapsed.Seconds(),
		Dumpable: ch.dumpable.Load(), CRIUTree: ch.criuTree.Load(), CRIUCaba: ch.criuCaba.Load(),
		CABATree: ch.cabaTree.Load(), CABACaba: ch.cabaCaba.Load(),
		CRIUHelpers: int(ch.criuHelpers.Load()), CABAHelpers: int(ch.cabaHelpers.Load()),
	}
	n := len(restore.Classes)
	for _, ce := range res.Counterexamples {
		k := -1
		for i, name := range ch.names {
			if name == ce.Invariant {
				k = i
			}
		}
		tr, ok := ce.Trace.(*traces.Trace)
		if k < 0 || !ok {
			return nil, fmt.Errorf("restore summary: unexpected counterexample %s", ce.Invariant)
		}
		ex := example(rev, tr, restore.Classes[k%n], k < n)
		ex.States = ch.count[k].Load()
		if k < n {
			row.CRIUOnly = append(row.CRIUOnly, ex)
		} else {
			row.CABAFails = append(row.CABAFails, ex)
		}
	}
	return row, nil
}

// example describes the shortest trace of one kind of failure.
func example(rev linux.Revision, tr *traces.Trace, class string, criu bool) RestoreExample {
	last := &tr.Steps[len(tr.Steps)-1].State
	ex := RestoreExample{Class: class, Length: tr.Len(), Trace: tr}
	for _, a := range tr.Actions() {
		ex.Actions = append(ex.Actions, linux.FormatAction(a))
	}
	planner := "caba"
	if criu {
		planner = "criu"
	}
	p, _ := restore.PlannerFor(planner, rev)
	v := restore.Restore(rev, last, p, false)
	ex.Why = v.Why(!criu)
	for _, inv := range patchInvariants(rev) {
		if !inv.Holds(last) {
			ex.Violates = append(ex.Violates, inv.Name)
		}
	}
	return ex
}

// patchInvariants are the patch's claims as the revision means them: the
// caba group with its own reading of "alive" only.
func patchInvariants(rev linux.Revision) []invariants.Invariant {
	var out []invariants.Invariant
	own := invariants.IntendedReading(rev)
	for _, inv := range invariants.All() {
		if inv.Group != "caba" || ((inv.Name == invariants.ClosestHashed || inv.Name == invariants.ClosestNotified) && inv.Name != own) {
			continue
		}
		out = append(out, inv)
	}
	return out
}

// classNotes explain each kind of failure once, for the report.
var classNotes = map[string]string{
	"born-sid":              "CRIU's born-sid pass walks the parent tree and finds two sessions a task must have been born in.",
	"no-session-leader":     "CRIU's born-sid pass finds no session leader among the parents: the process was reparented away from the session it was born in (the selftest's tree).",
	"pgrp-hang":             "CRIU's restore_pgid: a member waits for its group leader's pgrp_set, which the leader sets only when it changes its own pgid to its pid; a leader that already has that pgid (a session leader), or that left its group, never does: the restore hangs.",
	"step-not-enabled":      "a step of the plan is refused by the kernel.",
	"tree-differs":          "the restored tree differs from the image.",
	"caba-differs":          "the tree is restored, the caba values are not.",
	"dangling-caba":         "NScaba names a released task_struct (reading it is the use-after-free NoDanglingCaba is about): nothing can restore a value the kernel cannot print.",
	"parent-off-caba-chain": "the parent is not on the caba chain, so the caba tree is not a creation tree with dead creators left out (a caba that is not the closest born ancestor).",
	"session-unreachable":   "the process is in a session its caba's process is never in: its caba is not the process it was born from (a caba that is not the closest born ancestor; in v4, de_thread leaves the exec'ing thread's own caba, the real parent at its creation, as the process's).",
	"born-session":          "a session leader's caba-children need two born sessions.",
	"dead-session-founder":  "a dead session leader would have to be recreated by two tasks.",
	"thread-caba":           "a thread's caba is none of the values a thread creation and hand-off can give it under the revision (threads disagree on caba).",
	"thread-order":          "a thread whose caba needs it created late is the caba of a process.",
	"caba-in-own-process":   "a process's caba is one of its own threads.",
	"caba-not-in-image":     "NScaba names a task that is not in the image.",
	"caba-cycle":            "the caba chain never reaches init.",
	"caba-init-task":        "a process other than init has init_task as caba.",
	"helper-budget":         "the model has no free pid left for a helper.",
	"search-budget":         "no creation tree was found within the planner's search budget.",
	"helpers":               "CRIU found no free pid for a helper.",
	"init-threads":          "init has threads.",
}

// RestoreMarkdown renders the summary: the counts per revision, then per
// revision the shortest CRIU failures the CABA planner restores and every
// kind of CABA failure, each said to be a flaw of the patch or a limit of
// the planner.
func RestoreMarkdown(rows []*RestoreRow) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	if len(rows) == 0 {
		return ""
	}
	r0 := rows[0]
	w("## Restorability\n\n")
	w("`%s --tasks %d --actions %s` (every dumpable state of each revision, restored by both planners through the model; see restore/doc.go).\n\n", RestoreCommand, r0.Tasks, r0.Actions)
	w("| revision | distinct states | dumpable | CRIU: tree | CRIU: tree and CABA | CABA planner: tree | CABA planner: tree and CABA | most helpers (CRIU / CABA) | complete |\n")
	w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, r := range rows {
		w("| %s | %s | %s | %s | %s | %s | %s | %d / %d | %v |\n", r.Revision, Commas(r.Distinct), Commas(r.Dumpable),
			frac(r.CRIUTree, r.Dumpable), frac(r.CRIUCaba, r.Dumpable), frac(r.CABATree, r.Dumpable), frac(r.CABACaba, r.Dumpable),
			r.CRIUHelpers, r.CABAHelpers, r.Complete)
	}
	w("\n%s\n", restoreVerdict(rows))
	for _, r := range rows {
		w("\n### %s\n\n", r.Revision)
		if len(r.CRIUOnly) == 0 {
			w("No dumpable state that CRIU cannot restore and the CABA planner can.\n")
		} else {
			w("States CRIU cannot restore and the CABA planner can (tree and caba), shortest of each kind:\n\n")
			for _, e := range r.CRIUOnly {
				writeExample(w, &e, false)
			}
		}
		if len(r.CABAFails) == 0 {
			w("\nThe CABA planner restores every dumpable state, caba values included.\n")
		} else {
			w("\nStates the CABA planner does not restore (tree and caba), shortest of each kind:\n\n")
			for _, e := range r.CABAFails {
				writeExample(w, &e, true)
			}
		}
	}
	return b.String()
}

func writeExample(w func(string, ...any), e *RestoreExample, judge bool) {
	w("- **%s** (%s states; shortest %d steps): `%s`\n", e.Class, Commas(e.States), e.Length, strings.Join(e.Actions, " "))
	w("  - %s\n", e.Why)
	if n := classNotes[e.Class]; n != "" {
		w("  - %s\n", n)
	}
	if judge {
		if e.Flaw() {
			w("  - A flaw of the patch: the state violates %s.\n", strings.Join(e.Violates, ", "))
		} else {
			w("  - A limit of the planner: the state violates none of the patch's invariants.\n")
		}
	}
}

func frac(n, of uint64) string {
	if of == 0 {
		return "0"
	}
	if n == of {
		return Commas(n) + " (all)"
	}
	return fmt.Sprintf("%s (%.2f%%)", Commas(n), 100*float64(n)/float64(of))
}

// replay rebuilds every recorded example's trace through the model and
// checks that its last state still fails the same way, so a record that no
// longer matches the model or the planners fails the regeneration.
func (r *RestoreRow) replay() error {
	rev, model, err := recordedModel(r.Revision, r.Tasks, r.Actions)
	if err != nil {
		return err
	}
	check := func(list []RestoreExample, criu bool) error {
		for i := range list {
			e := &list[i]
			tr, err := buildTrace(model, e.Actions)
			if err != nil {
				return fmt.Errorf("recorded restorability example %s of %s at %d tasks: %w", e.Class, r.Revision, r.Tasks, err)
			}
			got := example(rev, tr, e.Class, criu)
			if got.Length != e.Length || got.Why != e.Why || strings.Join(got.Violates, ",") != strings.Join(e.Violates, ",") {
				return fmt.Errorf("recorded restorability example %s of %s at %d tasks no longer fails as recorded (%q, now %q)", e.Class, r.Revision, r.Tasks, e.Why, got.Why)
			}
			e.Trace = tr
		}
		return nil
	}
	if err := check(r.CRIUOnly, true); err != nil {
		return err
	}
	return check(r.CABAFails, false)
}

// RefreshRestore runs the restorability explorations of the record at one
// bound: the revision matrix with the restore checks, and the summary.
func RefreshRestore(tasks int, actions linux.ActionSet, rc RunConfig, log func(string)) (*RestoreRecord, error) {
	m, err := RunMatrix(MatrixConfig{Tasks: tasks, Actions: actions, Revisions: linux.Revisions()}, rc, func(e *Exploration) {
		if log != nil {
			log(fmt.Sprintf("restorability matrix, %s at %d tasks: %s distinct states, depth %d, %s, %.1fs", e.Revision, e.Tasks, Commas(e.Distinct), e.Depth, e.StopReason, e.Seconds))
		}
	})
	if err != nil {
		return nil, err
	}
	rows, err := RestoreSummary(RestoreConfig{Tasks: tasks, Actions: actions, Revisions: linux.Revisions()}, rc, func(r *RestoreRow) {
		if log != nil {
			log(fmt.Sprintf("restorability summary, %s at %d tasks: %s dumpable states, %.1fs", r.Revision, r.Tasks, Commas(r.Dumpable), r.Seconds))
		}
	})
	if err != nil {
		return nil, err
	}
	return &RestoreRecord{Matrix: m, Summary: rows}, nil
}

// restoreVerdict answers the patch's question from the rows: is CABA what
// CRIU needs? Per revision, what CRIU alone restores, what the caba tree
// adds, and whether every remaining failure is a flaw of the patch.
func restoreVerdict(rows []*RestoreRow) string {
	var b strings.Builder
	b.WriteString("**Does CABA give CRIU what it needs?** ")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(" ")
		}
		flaws, limits := 0, 0
		for _, e := range r.CABAFails {
			if e.Flaw() {
				flaws++
			} else {
				limits++
			}
		}
		fmt.Fprintf(&b, "%s: CRIU restores the tree of %s of the dumpable states; with the caba tree, the CABA planner restores tree and caba values of %s", r.Revision, pct(r.CRIUTree, r.Dumpable), pct(r.CABACaba, r.Dumpable))
		switch {
		case len(r.CABAFails) == 0:
			b.WriteString(".")
		case limits == 0:
			fmt.Fprintf(&b, "; each kind of state it cannot restore (%d) violates one of the patch's own invariants, so the gap is the patch's flaw, not the planner's.", flaws)
		default:
			fmt.Fprintf(&b, "; of the kinds of state it cannot restore, %d are flaws of the patch and %d limits of the planner.", flaws, limits)
		}
	}
	if !allComplete(rows) {
		b.WriteString(" (Some explorations were partial: the shares are of the states seen.)")
	}
	return b.String()
}

func pct(n, of uint64) string {
	if of == 0 {
		return "none"
	}
	if n == of {
		return "all"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(of))
}

func allComplete(rows []*RestoreRow) bool {
	for _, r := range rows {
		if !r.Complete {
			return false
		}
	}
	return true
}
