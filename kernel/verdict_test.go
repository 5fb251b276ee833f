package kernel

import (
	"bytes"
	"strings"
	"testing"

	"cabacheck/spec/linux"
)

// Exit steps carry a completion barrier in the script: the exiting thread,
// the threads exit_group or exec kill, and the leader an exec replaces.
func TestScriptBarriers(t *testing.T) {
	m, _ := HostModel(8, linux.AllActions)
	w := Walk{Name: "a", Ops: mustOps(t, "Fork(1) Clone(2) Clone(2) Exit(3) Clone(4) ExitGroup(2) Fork(1) Clone(6) Exec(7) Wait(1, 2)")}
	var sc bytes.Buffer
	if err := WriteScript(&sc, m, []Walk{w}, ScriptOptions{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	step := ""
	for _, l := range strings.Split(sc.String(), "\n") {
		if strings.HasPrefix(l, "STEP ") {
			step = strings.Join(strings.Fields(l)[2:4], " ")
		}
		if strings.HasPrefix(l, "BARRIER") {
			got = append(got, step+": "+l)
		}
	}
	// Exit(3): 3; ExitGroup(2): 2 and the threads 4 and 5 (3 is gone);
	// Exec(7), the only thread of process 6 besides its leader, replaces 6
	want := "exit 3: BARRIER 3|exitgroup 2: BARRIER 2 4 5|exec 7: BARRIER 6"
	if strings.Join(got, "|") != want {
		t.Fatalf("barriers %q, want %q\n%s", strings.Join(got, "|"), want, sc.String())
	}
}

// A snapshot taken before an exit completed is not accepted: the harness
// reports "unsettled" when the barrier does not complete, and a snapshot
// equal to the state before the exit does not fit the model.
func TestExitBarrierReported(t *testing.T) {
	m, _ := HostModel(6, linux.AllActions)
	w := Walk{Name: "a", Ops: mustOps(t, "Fork(1) Clone(2) Exit(3)")}
	out := fakeOutput(t, m, "a", w, CabaNone)
	o := out.Obs["a"][3]
	o.Status = "unsettled"
	out.Obs["a"][3] = o
	r := Compare(m, w, out, CabaNone)
	if r.OK() || r.FailStep != 3 || !strings.Contains(r.Text(), "exit: model complete") {
		t.Fatalf("an unsettled exit is not reported:\n%s", r.Text())
	}
	out = fakeOutput(t, m, "a", w, CabaNone)
	o = out.Obs["a"][3]
	o.Snap = out.Obs["a"][2].Snap
	out.Obs["a"][3] = o
	r = Compare(m, w, out, CabaNone)
	if r.OK() || r.FailStep != 3 || !strings.Contains(r.Text(), "task 3 state: model G, kernel R") {
		t.Fatalf("a snapshot equal to the state before the exit is accepted:\n%s", r.Text())
	}
}

// Verdicts: a walk with no predicted violation agrees or departs; a
// counterexample is reproduced by a report at the model's step, and not
// otherwise; one the kernel cannot show is said to be so.
func TestJudge(t *testing.T) {
	m := linux.MustNew(linux.Options{Tasks: 6, Revision: linux.V3, Actions: linux.DefaultActions})
	w := Walk{Name: "c", Ops: mustOps(t, "Fork(1) Clone(2) Clone(3) Exit(3) Read()"), Revision: "v3", Invariant: "NoDanglingCaba", ViolStep: 4}
	p, note, err := PredictFor(m, w, CabaTID)
	if err != nil || p.ViolStep != 4 || note != "" {
		t.Fatalf("prediction %+v %q %v", p, note, err)
	}
	out := fakeOutput(t, m, "c", w, CabaTID)
	r := Compare(m, w, out, CabaTID)
	if v := Judge(&r, p); v.Kind != VerdictNotReproduced || !strings.Contains(v.String(), "no kernel report") {
		t.Errorf("no report: %s", v)
	}
	r.Reports = []Report{{Walk: "c", Step: 4, Line: "BUG: KASAN: use-after-free in get_task_pid"}}
	r.FirstReport = 4
	if v := Judge(&r, p); v.String() != "REPRODUCED at step 4: BUG: KASAN: use-after-free in get_task_pid" {
		t.Errorf("report at the step: %s", v)
	}
	r.Reports[0].Step, r.FirstReport = 2, 2
	if v := Judge(&r, p); v.Kind != VerdictNotReproduced || !strings.Contains(v.String(), "kernel report at step 2, the model predicts NoDanglingCaba after step 4") {
		t.Errorf("early report: %s", v)
	}
	// the same walk judged by the seed model: the revisions differ
	seed := linux.MustNew(linux.Options{Tasks: 6, Revision: linux.Seed, Actions: linux.DefaultActions})
	ps, note, _ := PredictFor(seed, w, CabaTID)
	if ps.ViolStep != 0 || !strings.Contains(note, "revisions differ: the trace is a v3 counterexample of NoDanglingCaba") || !strings.Contains(note, "seed model, which does not violate") {
		t.Errorf("seed: %+v %q", ps, note)
	}
	rs := Compare(seed, w, fakeOutput(t, seed, "c", w, CabaTID), CabaTID)
	if v := Judge(&rs, ps); v.Kind != VerdictAgree || !strings.Contains(v.String(), "kernel and model agree (5 steps compared") {
		t.Errorf("seed agree: %s", v)
	}
	// on a kernel without the patch: not reproduced, and said why
	base, _ := HostModel(6, linux.DefaultActions)
	pb, note, _ := PredictFor(base, w, CabaNone)
	rb := Compare(base, w, fakeOutput(t, base, "c", w, CabaNone), CabaNone)
	v := Judge(&rb, pb)
	if v.Kind != VerdictNotReproduced || !strings.Contains(v.String(), "no CABA patch") || !strings.Contains(note, "revisions differ") {
		t.Errorf("base: %s / %q", v, note)
	}
	// a departure before the violation step
	bad := fakeOutput(t, m, "c", w, CabaTID)
	o := bad.Obs["c"][2]
	o.Snap = append(Snapshot(nil), o.Snap...)
	o.Snap[2][FParent] = "1"
	bad.Obs["c"][2] = o
	rd := Compare(m, w, bad, CabaTID)
	if v := Judge(&rd, p); v.Kind != VerdictNotReproduced || !strings.HasPrefix(v.String(), "NOT REPRODUCED: kernel departs at step 2 (Clone(2))") {
		t.Errorf("departure: %s", v)
	}
}

// Reports before the predicted violation are no failure when the model has
// a dangling caba at each of their steps (a /proc read of it), and the
// predicted report comes at the violation step; one at a step where the
// model has none is.
func TestJudgeEarlierDanglingReads(t *testing.T) {
	m := linux.MustNew(linux.Options{Tasks: 6, Revision: linux.V3, Actions: linux.DefaultActions})
	w := Walk{Name: "u", Ops: mustOps(t, "Fork(1) Fork(2) Clone(2) Exit(2) Exec(4) Exit(4) Wait(1, 4) Read()"), Revision: "v3", Invariant: "NoUseAfterFree", ViolStep: 7}
	p, _, err := PredictFor(m, w, CabaTID)
	if err != nil || p.ViolStep == 0 {
		t.Fatalf("prediction %+v %v", p, err)
	}
	r := Compare(m, w, fakeOutput(t, m, "u", w, CabaTID), CabaTID)
	first := 0
	for _, s := range r.Steps {
		if s.Dangling && s.Step < p.ViolStep && first == 0 {
			first = s.Step
		}
	}
	if first == 0 {
		t.Skip("the walk has no dangling caba before its use-after-free")
	}
	r.Reports = []Report{{Walk: "u", Step: first, Line: "BUG: KASAN: use-after-free in get_task_pid"}, {Walk: "u", Step: p.ViolStep, Line: "BUG: KASAN: use-after-free in release_task"}}
	r.FirstReport = first
	if v := Judge(&r, p); v.Kind != VerdictReproduced || !strings.HasPrefix(v.Detail, "BUG: KASAN: use-after-free in release_task (the reports from step") {
		t.Errorf("earlier dangling reads: %s", v)
	}
	r.Reports[0].Step, r.FirstReport = 1, 1 // no dangling caba after step 1
	if v := Judge(&r, p); v.Kind != VerdictNotReproduced {
		t.Errorf("an unexplained earlier report: %s", v)
	}
}
