package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"cabacheck/findings"
	"cabacheck/restore"
	"cabacheck/scenario"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/traces"
)

func runRestore(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("restore")
	trace := fs.String("trace", "", "the state to dump and restore: the last state of a JSON trace (check --trace-out x.json) or of a scenario file's steps")
	index := fs.Int("index", 1, "with a JSON list of traces (check --trace-out writes one): which trace, from 1")
	planner := fs.String("planner", "caba", "planner: criu (today's prepare_pstree_ids and restore order) or caba (the caba tree decides who creates whom)")
	summary := fs.Bool("summary", false, "explore every state at --tasks and count what each planner restores, per revision (Markdown, or --json)")
	mf := addModelFlags(fs, "all", "default,sessions")
	asJSON := fs.Bool("json", false, "with --summary: print JSON instead of Markdown")
	htmlOut := fs.String("html", "", "with --trace: also write the restore as a self-contained HTML page to FILE (the dump, the plan, the tree after each replayed step)")
	cOut := fs.String("restorer-out", "", "with --trace: also write the plan as a standalone C program to FILE (.c) that restores the tree on the running kernel in a new pid namespace (clone3 set_tid) and compares /proc with the dump (TAP, kselftest exit codes; build: gcc -static -o restore FILE, run as root)")
	wf := addWorkersFlag(fs)
	bf := addBudgetFlags(fs, true)
	if c := parseCommand(fs, args, stdout, stderr, 0, mf, wf, bf); c >= 0 {
		return c
	}
	if *summary {
		if *htmlOut != "" || *cOut != "" {
			return usageError(stderr, "restore", errors.New("--html and --restorer-out apply to --trace only"))
		}
		if *trace != "" || fs.Changed("planner") {
			return usageError(stderr, "restore", errors.New("--summary takes no --trace or --planner (it runs both planners on every state)"))
		}
		return restoreSummary(mf, wf, bf, *asJSON, stdout, stderr)
	}
	if *trace == "" {
		return usageError(stderr, "restore", errors.New("want --trace FILE (or --summary --tasks N)"))
	}
	for _, n := range []string{"tasks", "actions", "json", "workers", "max-states", "max-time", "max-memory", "max-depth"} {
		if fs.Changed(n) {
			return usageError(stderr, "restore", fmt.Errorf("--%s applies to --summary only", n))
		}
	}
	var rev *linux.Revision
	switch {
	case fs.Changed("revision"):
		if len(mf.revs) != 1 {
			return usageError(stderr, "restore", errors.New("--revision: want one revision with --trace"))
		}
		rev = &mf.revs[0]
	case fs.Changed("revision-file"):
		if n, _ := fs.GetStringArray("revision-file"); len(n) != 1 {
			return usageError(stderr, "restore", errors.New("--revision-file: want one file with --trace"))
		}
		rev = &mf.revs[len(mf.revs)-1] // a file's revision comes after the list's
	}
	if !fs.Changed("index") {
		*index = 0
	}
	tr, err := loadRestoreTrace(*trace, rev, *index)
	if err != nil {
		return usageError(stderr, "restore", err)
	}
	p, err := restore.PlannerFor(*planner, tr.Options.Revision)
	if err != nil {
		return usageError(stderr, "restore", fmt.Errorf("--planner: %w", err))
	}
	if *htmlOut != "" {
		if err := checkWritable(*htmlOut); err != nil {
			return usageError(stderr, "restore", fmt.Errorf("--html: %w", err))
		}
	}
	if *cOut != "" {
		if err := checkWritable(*cOut); err != nil {
			return usageError(stderr, "restore", fmt.Errorf("--restorer-out: %w", err))
		}
	}
	code := printRestore(stdout, *trace, tr, p)
	if *cOut != "" {
		if err := writeRestorer(*cOut, *trace, tr, p); err != nil {
			fmt.Fprintf(stderr, "cabacheck restore: --restorer-out: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(stderr, "cabacheck restore: wrote %s\n", *cOut)
	}
	if *htmlOut != "" {
		if err := restoreReportPage(*trace, tr, p).WriteHTMLFile(*htmlOut); err != nil {
			fmt.Fprintf(stderr, "cabacheck restore: --html: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(stderr, "cabacheck restore: wrote %s\n", *htmlOut)
	}
	return code
}

// loadRestoreTrace reads a JSON trace (the index-th of a list, the first
// when index is 0) or a scenario file (its step and run directives), under
// rev when given, else the trace's own revision (a scenario's first).
func loadRestoreTrace(path string, rev *linux.Revision, index int) (*traces.Trace, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t := bytes.TrimSpace(data)
	if len(t) > 0 && t[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(t, &list); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if index == 0 {
			index = 1
		}
		if index < 1 || index > len(list) {
			return nil, fmt.Errorf("%s holds %d trace(s); --index %d is not one of them", path, len(list), index)
		}
		t = list[index-1]
	} else if index != 0 {
		return nil, fmt.Errorf("--index applies to a JSON list of traces, and %s is not one", path)
	}
	if len(t) > 0 && t[0] == '{' {
		tr, err := traces.ReadJSON(t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if rev == nil || *rev == tr.Options.Revision {
			return tr, nil
		}
		opt := tr.Options
		opt.Revision = *rev
		m, err := linux.New(opt)
		if err != nil {
			return nil, err
		}
		tr, err = traces.Build(m, tr.Actions())
		if err != nil {
			return nil, fmt.Errorf("%s under revision %s: %w", path, *rev, err)
		}
		return tr, nil
	}
	f, err := scenario.Parse(path, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	cfg, err := f.ParseConfig()
	if err != nil {
		return nil, err
	}
	r := cfg.Revisions[0]
	if rev != nil {
		r = *rev
	}
	res, err := f.Run(cfg, r)
	if err != nil {
		return nil, err
	}
	return res.Trace, nil
}

// printRestore dumps the trace's last state, plans its restore, replays the
// plan step by step and gives the verdict. The exit code is 0 when the
// planner restores what it means to (CRIU: the tree; CABA: the tree and
// the caba values), or the state is not dumpable; 1 otherwise.
func printRestore(w io.Writer, path string, tr *traces.Trace, p restore.Planner) int {
	o := tr.Options
	rev := o.Revision
	last := &tr.Steps[len(tr.Steps)-1]
	fmt.Fprintf(w, "cabacheck restore: %s, revision %s, %d tasks, actions %s; planner %s\n\n", path, rev, o.Tasks, o.Actions, p.Name())
	at := "the initial state"
	if n := tr.Len(); n > 0 {
		at = fmt.Sprintf("after step %d, %s", n, linux.FormatAction(last.Action))
	}
	fmt.Fprintf(w, "State (%s):\n%s\n", at, indentBy(traces.Tree(&last.State), "    "))
	if ok, why := restore.Dumpable(&last.State); !ok {
		fmt.Fprintf(w, "Not dumpable: %s.\nNothing to restore (a state CRIU does not dump holds trivially).\n", why)
		return exitOK
	}
	dump := restore.Observe(rev, &last.State)
	fmt.Fprintf(w, "Dump (what CRIU reads; caba as NScaba prints it under %s):\n%s\n", rev, indentBy(dump.String(), "    "))
	caba := p.Name() == "caba"
	plan, refusal := p.Plan(&dump)
	if refusal != nil {
		fmt.Fprintf(w, "Plan: the %s planner refuses: %s\n\nVerdict: tree not restored; tree and CABA not restored.\n", p.Name(), refusal.Msg)
		return exitViolation
	}
	helpers := "no helpers"
	if len(plan.Helpers) > 0 {
		var hs []string
		for _, h := range plan.Helpers {
			hs = append(hs, fmt.Sprint(h))
		}
		helpers = fmt.Sprintf("%d helper(s): %s", len(hs), strings.Join(hs, " "))
	}
	fmt.Fprintf(w, "Plan (%s planner): %d syscalls, %s\n%s\n", p.Name(), len(plan.Steps), helpers, indentBy(plan.String(), "  "))
	res := restore.Replay(rev, plan, &dump, true)
	fmt.Fprintf(w, "Replay from a fresh initial state (revision %s, %d tasks, actions %s):\n", rev, plan.Slots(&dump), restore.ReplayActions)
	for i, st := range plan.Steps {
		if i+1 == res.Failed {
			fmt.Fprintf(w, "\nstep %d: %s\n  not enabled: %s\n", i+1, st.Syscall(), res.FailWhy)
			break
		}
		fmt.Fprintf(w, "\nstep %d: %s  [%s]\n%s", i+1, st.Syscall(), modelActions(st, res.Actions[i]), indentBy(traces.Tree(&res.States[i+1]), "    "))
	}
	fmt.Fprintln(w)
	verdict := func(ok bool, why string) string {
		if ok {
			return "restored"
		}
		return "not restored (" + why + ")"
	}
	switch {
	case res.Failed != 0:
		fmt.Fprintf(w, "Verdict: tree not restored: step %d is not enabled; tree and CABA not restored.\n", res.Failed)
	default:
		fmt.Fprintf(w, "Dump of the restored tree:\n%s\n", indentBy(res.Restored.String(), "    "))
		fmt.Fprintf(w, "Verdict: tree %s; tree and CABA %s.\n", verdict(res.Tree == "", res.Tree), verdict(res.CabaRestored(), firstOf(res.Tree, res.Caba)))
	}
	if res.TreeRestored() && (!caba || res.CabaRestored()) {
		return exitOK
	}
	return exitViolation
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// modelActions renders the model actions of one step.
func modelActions(st restore.Step, acts []spec.Action) string {
	var out []string
	for _, a := range acts {
		s := linux.FormatAction(a)
		if st.Op == restore.OpFork || st.Op == restore.OpForkParent || st.Op == restore.OpThread {
			s += fmt.Sprintf(" at %d", st.Pid)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return "a check: nothing changes"
	}
	return strings.Join(out, " ")
}

func indentBy(text, prefix string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}

func restoreSummary(mf *modelFlags, wf *workersFlag, bf *budgetFlags, asJSON bool, stdout, stderr io.Writer) int {
	ctx, stop := stopContext()
	defer stop()
	cfg := findings.RestoreConfig{Tasks: mf.opt.Tasks, Actions: mf.opt.Actions, Revisions: mf.revs,
		Budget: findings.Budget{MaxStates: bf.budget.MaxStates, MaxDepth: bf.maxDepth, MaxTime: bf.budget.MaxTime, MaxMemory: bf.budget.MaxMemory}}
	progress := func(r *findings.RestoreRow) {
		fmt.Fprintf(stderr, "%s: %s distinct states, %s dumpable, %s in %.1fs; CRIU restores %s trees, the CABA planner %s trees and %s with caba\n",
			r.Revision, commas(r.Distinct), commas(r.Dumpable), r.StopReason, r.Seconds, commas(r.CRIUTree), commas(r.CABATree), commas(r.CABACaba))
	}
	rows, err := findings.RestoreSummary(cfg, findings.RunConfig{Workers: wf.n, Context: ctx}, progress)
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck restore: %v\n", err)
		return exitUsage
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			fmt.Fprintf(stderr, "cabacheck restore: %v\n", err)
			return exitUsage
		}
	} else {
		fmt.Fprint(stdout, findings.RestoreMarkdown(rows))
	}
	if c := interruptedCode(ctx); c != exitOK {
		return c
	}
	for _, r := range rows {
		if r.Budget != "" {
			return exitBudget
		}
	}
	return exitOK
}

// writeRestorer writes the C restorer of the trace's last state's plan.
func writeRestorer(path, name string, tr *traces.Trace, p restore.Planner) error {
	last := &tr.Steps[len(tr.Steps)-1].State
	if ok, why := restore.Dumpable(last); !ok {
		return fmt.Errorf("the state is not dumpable (%s): nothing to restore", why)
	}
	rev := tr.Options.Revision
	dump := restore.Observe(rev, last)
	plan, refusal := p.Plan(&dump)
	if refusal != nil {
		return fmt.Errorf("the %s planner refuses: %s", p.Name(), refusal.Msg)
	}
	src, err := restore.Restorer(filepath.Base(name), &dump, plan, p.Name() == "caba")
	if err != nil {
		return err
	}
	return os.WriteFile(path, src, 0o644)
}
