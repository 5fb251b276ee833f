package findings

import (
	"fmt"
	"strings"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
)

// The pid namespace section (issue 12): a revision matrix with the pid
// namespace checks, generated at a bound small enough to rerun whenever the
// document is rendered, the recorded checks of a larger bound (CheckRun,
// made with `cabacheck check` and added with `findings --add-run`),
// and the questions a container raises, each decided by the generated
// matrix.

// PidnsActions are the actions of the pid namespace section.
const PidnsActions = linux.DefaultActions | linux.Pidns

// PidnsMatrixTasks is the bound of the generated pid namespace matrix
// (about 1.5 s per revision; the next bound takes minutes, so it is recorded).
const PidnsMatrixTasks = 4

// PidnsMatrixConfig is the generated matrix of the section: every revision
// with the pid namespace checks and the findings' own (NamespaceChecks).
func PidnsMatrixConfig() MatrixConfig {
	var own []string
	for _, inv := range NamespaceChecks(linux.Seed) {
		own = append(own, inv.Name)
	}
	return MatrixConfig{Tasks: PidnsMatrixTasks, Actions: PidnsActions, Revisions: linux.Revisions(), Checks: own}
}

// NamespaceQuestion is a question of the pid namespace section: what a
// revision can get wrong across namespaces, decided by one check of the
// generated matrix (the shortest trace of its first violation, or "holds").
type NamespaceQuestion struct {
	Name     string
	Question string
	Check    string
	Expect   []Expect // at PidnsMatrixTasks, one per revision
	Answer   string
}

// NamespaceQuestions lists the questions of the section, in order.
func NamespaceQuestions() []*NamespaceQuestion {
	return []*NamespaceQuestion{
		{
			Name:     "pidns-caba-escapes-container",
			Question: "Can a caba escape a container: a process inside a pid namespace whose caba is outside it, or a namespace's init whose caba is inside its own namespace?",
			Check:    invariants.CabaNsMatchesParent,
			Expect:   join([]Expect{violated(seed, 6), violated(v3, 6)}, holds(v4, fixed)),
			Answer: "Yes in the seed: its hand-off at exit_notify skips the namespace's init once it has begun to exit (find_alive_thread ignores PF_EXITING) and gives the init's grand-child the root's init, outside the container, as caba, while the kernel reparents it to the namespace's init. " +
				"Yes in v3: after an exec from a thread of the namespace's init, de_thread makes that thread the init's new leader, and it keeps its caba, the old leader inside the namespace, while its real_parent is outside. " +
				"v4 and the fix keep every caba in its real_parent's namespace at this bound.",
		},
		{
			Name:     "pidns-uaf-container-reader",
			Question: "Can a reader inside a container (a process of a non-root pid namespace reading /proc/PID/status) make NScaba read a freed task_struct?",
			Check:    ContainerReadsNoFreedCaba,
			Expect:   join([]Expect{violated(v3, 6)}, holds(seed, v4, fixed)),
			Answer: "Yes in v3: its dangling thread caba (concern v3-thread-created-thread) happens inside a namespace just as well, and get_task_pid in task_state then reads the freed caba for a reader in the container as for one outside. " +
				"The seed, v4 and the fix read no freed caba from any namespace at this bound.",
		},
		{
			Name:     "pidns-init-exit-dangling",
			Question: "When a namespace's init exits (zap_pid_ns_processes kills every task in it and reaps them), can a caba be left dangling?",
			Check:    NoDanglingCabaInZap,
			Expect:   join([]Expect{violated(v3, 9)}, holds(seed, v4, fixed)),
			Answer:   "In the seed, v4 and the fix no caba dangles while a zap runs. In v3 one does, but the zap does not make it: the line under the trace says from which step the caba dangles (its de_thread finding, the init's process keeping its released old leader as caba), before the zap begins.",
		},
	}
}

// NamespaceOutcome is a question's verdict under one revision.
type NamespaceOutcome struct {
	Revision   string
	Verdict    Verdict
	Row        *Exploration
	Expected   string
	Reproduced bool
}

// Decide reads q's verdicts from the generated matrix m.
func (q *NamespaceQuestion) Decide(m *Matrix) ([]NamespaceOutcome, error) {
	var out []NamespaceOutcome
	for _, e := range q.Expect {
		row := m.row(e.Revision.String())
		if row == nil {
			return nil, fmt.Errorf("question %s: the matrix has no row for %s", q.Name, e.Revision)
		}
		v, ok := row.Verdict(q.Check)
		if !ok {
			return nil, fmt.Errorf("question %s: the %s row did not check %s", q.Name, e.Revision, q.Check)
		}
		o := NamespaceOutcome{Revision: row.Revision, Verdict: v, Row: row, Expected: expectWord(e)}
		o.Reproduced = v.Violated == e.Violated && (!e.Violated || e.Length == 0 || e.Length == v.Length)
		out = append(out, o)
	}
	return out, nil
}

func (m *Matrix) row(rev string) *Exploration {
	for _, r := range m.Rows {
		if r.Revision == rev {
			return r
		}
	}
	return nil
}

// danglingSince explains a violation of NoDanglingCabaInZap: the step from
// which the trace's last state's dangling caba has dangled (NoDanglingCaba
// fails in every state from it on) and the step of the zap's beginning.
func danglingSince(v Verdict, rev linux.Revision) string {
	if v.Check != NoDanglingCabaInZap || v.Trace == nil {
		return ""
	}
	nd, _ := invariants.ByName("NoDanglingCaba", rev)
	from, zap := 0, 0
	for i := len(v.Trace.Steps) - 1; i >= 0; i-- {
		if nd.Holds(&v.Trace.Steps[i].State) {
			break
		}
		from = i
	}
	for i, st := range v.Trace.Steps[1:] {
		if zap == 0 && strings.HasPrefix(linux.FormatAction(st.Action), "ZapBegin(") {
			zap = i + 1
		}
	}
	if from < zap {
		return fmt.Sprintf("A caba dangles from step %d on, before the zap begins (step %d): the init's exit does not make it.", from, zap)
	}
	return fmt.Sprintf("The caba dangles from step %d on, after the zap began (step %d): the init's exit leaves it dangling.", from, zap)
}

// pidnsRecordMatrix arranges the recorded runs of one bound as a matrix.
func pidnsRecordMatrix(runs []*CheckRun) *Matrix {
	if len(runs) == 0 {
		return nil
	}
	e0 := runs[0].Exploration
	acts, err := linux.ParseActions(e0.Actions)
	if err != nil {
		acts = PidnsActions // validate() has parsed it
	}
	m := &Matrix{Tasks: e0.Tasks, Actions: e0.Actions, Invariants: matrixColumns(acts)}
	for _, r := range runs {
		m.Rows = append(m.Rows, r.Exploration)
	}
	return m
}

// fixNeedsNoChange reports the invariants the fixed revision violates in a
// recorded run, and whether each is a reading of "alive" the fix does not
// claim (the seed's, at the root or per namespace).
func fixNeedsNoChange(e *Exploration) (violated []string, onlyOtherReadings bool) {
	onlyOtherReadings = true
	for _, v := range e.Verdicts {
		if !v.Violated {
			continue
		}
		violated = append(violated, fmt.Sprintf("%s (%d steps)", v.Check, v.Length))
		if !strings.HasPrefix(v.Check, "CabaClosest") || intended(v.Check, linux.Fixed) {
			onlyOtherReadings = false
		}
	}
	return violated, onlyOtherReadings
}

// pidnsMarkdown renders the section from the generated matrix ns and the
// recorded runs.
func pidnsMarkdown(ns *Matrix, runs []*CheckRun) (string, error) {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("## Pid namespaces\n\n")
	w("kernel-semantics.md 3.2 items 7 and 8: the kernel's reparenting stops at a pid namespace's boundary (its init is the reaper ")
	w("inside), while CABA's hand-off follows the caba chain wherever it leads, and the exit of a namespace's init kills and reaps ")
	w("everything inside (`zap_pid_ns_processes`). The optional action set `pidns` models both (`ForkNewpid`, `ZapBegin`, `ZapReap`; ")
	w("docs/model.md, \"Optional: pid namespaces\"), with NScaba as a reader in each namespace reads it. The checks: ")
	cfg := PidnsMatrixConfig()
	var names []string
	for _, n := range pidnsNames() {
		names = append(names, fmt.Sprintf("`%s` (%s)", n, Describe(n)))
	}
	w("%s. ", strings.Join(names, "; "))
	w("The patch means to keep `NScabaNamesVisibleTask`, `CabaNsMatchesParent` and its revision's reading per namespace (`%s`: ", invariants.ClosestIntendedNS)
	w("`CabaClosestNotifiedNS` for the seed, `CabaClosestHashedNS` for the others): its `task_state` loop is written for readers in any ")
	w("namespace and its selftest reads NScaba inside a new pid namespace (docs/model.md, the decision). ")
	w("The section's own checks, not in the invariant library (findings/checks.go), each restrict a library invariant to one question: ")
	var own []string
	for _, n := range cfg.Checks {
		own = append(own, fmt.Sprintf("`%s` (%s)", n, Describe(n)))
	}
	w("%s.\n\n", strings.Join(own, "; "))

	w("### %d tasks, with pid namespaces\n\n`%s`, and the section's own checks as the last two rows. ", ns.Tasks, MatrixCommand(ns))
	w("Regenerated with the document (about a second per revision).\n\n")
	b.WriteString(ns.Markdown())
	b.WriteString("\n")

	rec := pidnsRecordMatrix(runs)
	if rec != nil {
		w("### %d tasks, with pid namespaces (recorded)\n\n", rec.Tasks)
		w("Complete explorations, one `cabacheck check --continue` per revision (commands below), recorded in docs/findings.json ")
		w("(`%s`); their traces are replayed when this document is rendered. ", "cabacheck findings --add-run REPORT.json:TIME.txt")
		w("Each is the acceptance run `cabacheck check --tasks %d --actions default,pidns --continue` with the pid namespace checks added to `--invariants all` (the same search). ", rec.Tasks)
		w("The section's own checks are not in them: the table after the matrix gives what the library invariant each restricts implies.\n\n")
		b.WriteString(rec.Markdown())
		w("\nThe section's own checks at %d tasks, from the library invariant each restricts:\n\n| check |", rec.Tasks)
		for _, r := range rec.Rows {
			w(" %s |", r.Revision)
		}
		w("\n| --- |")
		for range rec.Rows {
			w(" --- |")
		}
		w("\n")
		for _, own := range cfg.Checks {
			lib := Restricts(own)
			w("| %s |", own)
			for _, r := range rec.Rows {
				switch v, ok := r.Verdict(lib); {
				case ok && !v.Violated && r.Complete:
					w(" holds (%s does) |", lib)
				case ok && v.Violated:
					w(" not decided (%s is violated) |", lib)
				default:
					w(" not decided |")
				}
			}
			w("\n")
		}
		w("\n| revision | command | distinct states | states generated | depth | search seconds | wall seconds | peak RSS |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, r := range runs {
			e := r.Exploration
			w("| %s | `%s` | %s | %s | %d | %.1f | %s | %s |\n", e.Revision, r.Command, Commas(e.Distinct), Commas(e.Generated), e.Depth, e.Seconds, orBlank(r.WallSeconds, "%.1f"), orBlank(float64(r.PeakRSSBytes)/1e9, "%.2f GB"))
		}
		b.WriteString("\n")
	}

	w("### Across namespaces, per revision\n\n")
	w("Each question is decided by one row of the %d-task matrix above (breadth-first: a trace is a shortest one at that bound, ", ns.Tasks)
	w("and \"holds\" means no reachable state violates it).\n\n")
	for _, q := range NamespaceQuestions() {
		outs, err := q.Decide(ns)
		if err != nil {
			return "", err
		}
		w("#### %s\n\n%s\n\n- Decided by: %s (%s)\n- Answer: %s\n\n", q.Name, q.Question, q.Check, Describe(q.Check), q.Answer)
		for _, o := range outs {
			if !o.Verdict.Violated {
				w("**%s**: %s.\n\n", o.Revision, o.Row.Scope())
				continue
			}
			w("**%s**: violated, shortest trace %d steps.\n\n```\n%s```\n\n", o.Revision, o.Verdict.Length, TraceText(o.Verdict))
			if s := danglingSince(o.Verdict, mustRevision(o.Revision)); s != "" {
				w("%s\n\n", s)
			}
		}
	}

	w("### Does the fix need another change?\n\n")
	fixedRun := func(m *Matrix) *Exploration {
		if m == nil {
			return nil
		}
		return m.row(linux.Fixed.String())
	}
	for _, m := range []*Matrix{ns, rec} {
		e := fixedRun(m)
		if e == nil {
			continue
		}
		bad, ok := fixNeedsNoChange(e)
		scope := fmt.Sprintf("at %d tasks (%s distinct states, complete: %v)", e.Tasks, Commas(e.Distinct), e.Complete)
		switch {
		case len(bad) == 0:
			w("- %s: `fixed` violates nothing.\n", scope)
		case ok:
			w("- %s: `fixed` violates only %s, readings of \"alive\" it does not claim (the seed's; section [Two readings of \"alive\"](#two-readings-of-alive)): no change needed.\n", scope, strings.Join(bad, ", "))
		default:
			w("- %s: `fixed` violates %s, which it claims: **it needs another change**.\n", scope, strings.Join(bad, ", "))
		}
	}
	b.WriteString("\n")
	return b.String(), nil
}
