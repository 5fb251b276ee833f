package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"cabacheck/check"
	"cabacheck/restore"
	"cabacheck/spec/linux"
	"cabacheck/traces"
)

// writeTraces writes counterexamples to path in the format its name asks
// for: .itf.json ITF (Apalache/Quint), .json a JSON list of traces, .dot
// Graphviz (one graph per step), .html a self-contained report page, else
// text.
func writeTraces(path string, ces []check.Counterexample) error {
	var views []traces.View
	for _, ce := range ces {
		views = append(views, ce.Trace)
	}
	lower := strings.ToLower(path)
	if strings.HasSuffix(lower, ".itf.json") {
		return traces.WriteITF(path, views...)
	}
	var data []byte
	switch filepath.Ext(lower) {
	case ".json":
		var js []any
		for _, v := range views {
			js = append(js, v.JSONValue())
		}
		// One shape whatever the count: a list of traces.
		var err error
		if data, err = json.MarshalIndent(js, "", "  "); err != nil {
			return err
		}
	case ".dot":
		for _, v := range views {
			data = append(data, v.DOT()...)
		}
	case ".html", ".htm":
		return checkReportPage(ces).WriteHTMLFile(path)
	default:
		for _, v := range views {
			data = append(data, v.Text()...)
		}
	}
	return os.WriteFile(path, data, 0o644)
}

// checkReportPage is the HTML report of check's counterexamples: one run
// per violated invariant, selectable.
func checkReportPage(ces []check.Counterexample) traces.Report {
	var views []traces.View
	for _, ce := range ces {
		views = append(views, ce.Trace)
	}
	title := fmt.Sprintf("cabacheck check: %d counterexample(s)", len(ces))
	if len(ces) > 0 {
		if tr, ok := ces[0].Trace.(*traces.Trace); ok {
			o := tr.Options
			title = fmt.Sprintf("cabacheck check: revision %s, %d tasks: %d counterexample(s)", o.Revision, o.Tasks, len(ces))
		}
	}
	return traces.ReportOf(title, views...)
}

// restoreReportPage is the HTML report of one restore (what printRestore
// prints, as a page): the state dumped and its dump, the plan, then the
// replay step by step with the tree after each syscall, and the verdict.
func restoreReportPage(path string, tr *traces.Trace, p restore.Planner) traces.Report {
	o := tr.Options
	rev := o.Revision
	last := &tr.Steps[len(tr.Steps)-1]
	run := traces.Run{Title: fmt.Sprintf("restore with the %s planner", p.Name()),
		Meta: fmt.Sprintf("%s, revision %s, %d tasks, actions %s", path, rev, o.Tasks, o.Actions)}
	at := "the initial state"
	if n := tr.Len(); n > 0 {
		at = fmt.Sprintf("after step %d, %s", n, linux.FormatAction(last.Action))
	}
	rep := traces.Report{Title: fmt.Sprintf("cabacheck restore: %s (planner %s)", path, p.Name())}
	run.Blocks = append(run.Blocks, traces.Block{Title: "State dumped (" + at + ")", State: &last.State})
	if ok, why := restore.Dumpable(&last.State); !ok {
		run.Verdict = traces.Verdict{Title: "Not dumpable: " + why + ".", Lines: []string{"Nothing to restore (a state CRIU does not dump holds trivially)."}}
		rep.Runs = append(rep.Runs, run)
		return rep
	}
	dump := restore.Observe(rev, &last.State)
	run.Blocks = append(run.Blocks, traces.Block{Title: fmt.Sprintf("Dump (what CRIU reads; caba as NScaba prints it under %s)", rev), Text: dump.String()})
	plan, refusal := p.Plan(&dump)
	if refusal != nil {
		run.Verdict = traces.Verdict{Title: fmt.Sprintf("The %s planner refuses: %s", p.Name(), refusal.Msg), Lines: []string{"tree not restored; tree and CABA not restored"}, Failed: true}
		rep.Runs = append(rep.Runs, run)
		return rep
	}
	helpers := "no helpers"
	if len(plan.Helpers) > 0 {
		helpers = fmt.Sprintf("%d helper(s): %v", len(plan.Helpers), plan.Helpers)
	}
	run.Blocks = append(run.Blocks, traces.Block{Title: fmt.Sprintf("Plan (%s planner): %d syscalls, %s", p.Name(), len(plan.Steps), helpers), Text: plan.String()})
	res := restore.Replay(rev, plan, &dump, true)
	run.Meta += fmt.Sprintf("; replayed from a fresh initial state with %d tasks, actions %s", plan.Slots(&dump), restore.ReplayActions)
	run.Frames = append(run.Frames, traces.Frame{Label: "step 0: the restorer's initial state", Event: "criu restore starts from init (task 1)", State: &res.States[0]})
	// The kernel events of step i (traces.Describe), replayed from the
	// state before it, then its model actions in brackets.
	m, mErr := linux.New(linux.Options{Tasks: int(plan.Slots(&dump)), Revision: rev, Actions: restore.ReplayActions})
	events := func(i int) string {
		st, acts := plan.Steps[i], res.Actions[i]
		names := "[" + modelActions(st, acts) + "]"
		if mErr != nil || len(acts) == 0 {
			return names
		}
		var evs []string
		cur, next := res.States[i], res.States[i]
		for _, a := range acts {
			var ok bool
			switch a.Kind() {
			case linux.KFork, linux.KForkParent, linux.KClone:
				ok = m.StepAt(&cur, a, st.Pid, &next)
			default:
				ok = m.Step(&cur, a, &next)
			}
			if !ok {
				return names
			}
			evs = append(evs, traces.Describe(rev, &cur, &next, a))
			cur = next
		}
		return strings.Join(evs, "; ") + "  " + names
	}
	for i, st := range plan.Steps {
		if i+1 == res.Failed {
			break
		}
		f := traces.Frame{Label: fmt.Sprintf("step %d: %s", i+1, st.Syscall()), Event: events(i),
			State: &res.States[i+1], Prev: &res.States[i]}
		f.Changed = traces.Diff(f.Prev, f.State)
		run.Frames = append(run.Frames, f)
	}
	caba := p.Name() == "caba"
	switch {
	case res.Failed != 0:
		run.Verdict = traces.Verdict{Title: fmt.Sprintf("Step %d (%s) is not enabled: %s", res.Failed, plan.Steps[res.Failed-1].Syscall(), res.FailWhy),
			Lines: []string{"tree not restored; tree and CABA not restored"}, Failed: true}
	default:
		lines := []string{"tree: " + restoredWord(res.Tree), "tree and CABA: " + restoredWord(firstOf(res.Tree, res.Caba))}
		lines = append(lines, "dump of the restored tree:")
		lines = append(lines, strings.Split(strings.TrimRight(res.Restored.String(), "\n"), "\n")...)
		run.Verdict = traces.Verdict{Title: "Verdict", Lines: lines, Failed: !res.TreeRestored() || caba && !res.CabaRestored()}
	}
	rep.Runs = append(rep.Runs, run)
	return rep
}

// restoredWord renders a restore difference ("" when restored).
func restoredWord(diff string) string {
	if diff == "" {
		return "restored"
	}
	return "not restored (" + diff + ")"
}
