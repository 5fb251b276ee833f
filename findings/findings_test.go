package findings

import (
	"os"
	"strings"
	"testing"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
)

const (
	docPath    = "../docs/findings.md"
	recordPath = "../docs/findings.json"
)

// long enables the checks that rerun the recorded 5-task explorations
// (minutes): CABACHECK_LONG=1 go test ./findings
var long = os.Getenv("CABACHECK_LONG") != ""

// TestFindingsUpToDate regenerates docs/findings.md and fails on any
// difference: the document is never edited by hand.
func TestFindingsUpToDate(t *testing.T) {
	rec, err := ReadRecord(recordPath)
	if err != nil {
		t.Fatal(err)
	}
	l := allLive(t)
	doc, err := Render(rec, l.Concerns, l.Pidns)
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(old) != doc {
		a, b := strings.Split(string(old), "\n"), strings.Split(doc, "\n")
		for i := 0; i < len(a) && i < len(b); i++ {
			if a[i] != b[i] {
				t.Fatalf("%s differs from a regeneration at line %d (run '%s'):\n--- file\n%s\n--- regenerated\n%s", docPath, i+1, GenerateCommand, a[i], b[i])
			}
		}
		t.Fatalf("%s differs from a regeneration in length (%d vs %d lines; run '%s')", docPath, len(a), len(b), GenerateCommand)
	}
}

// TestRecordMatchesModel reruns the recorded explorations that are cheap
// (and, with CABACHECK_LONG, the 5-task ones) and compares every figure and
// verdict with the record.
func TestRecordMatchesModel(t *testing.T) {
	rec, err := ReadRecord(recordPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Replay(); err != nil {
		t.Fatal(err)
	}
	maxTasks := 4
	if long {
		maxTasks = 5
	}
	compare := func(want, got *Exploration) {
		t.Helper()
		if got.Distinct != want.Distinct || got.Depth != want.Depth || got.Complete != want.Complete {
			t.Errorf("%s at %d tasks: %d states depth %d complete %v, recorded %d depth %d complete %v",
				got.Revision, got.Tasks, got.Distinct, got.Depth, got.Complete, want.Distinct, want.Depth, want.Complete)
		}
		for i, v := range got.Verdicts {
			w := want.Verdicts[i]
			if v.Check != w.Check || v.Violated != w.Violated || v.Length != w.Length || v.Summary() != w.Summary() {
				t.Errorf("%s at %d tasks, %s: got violated=%v %q, recorded violated=%v %q", got.Revision, got.Tasks, v.Check, v.Violated, v.Summary(), w.Violated, w.Summary())
			}
		}
	}
	ran := 0
	for _, f := range rec.Fixed {
		want := f.Exploration
		if want.Tasks > maxTasks {
			continue
		}
		got, err := VerifyFixed(want.Tasks, Budget{}, RunConfig{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		compare(want, got.Exploration)
		ran++
	}
	for _, m := range rec.Matrices {
		if m.Tasks > maxTasks || m.Budget != "" {
			continue
		}
		got, err := RunMatrix(MatrixConfig{Tasks: m.Tasks, Actions: linux.DefaultActions, Revisions: linux.Revisions()}, RunConfig{Workers: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got.Rows {
			compare(m.Rows[i], got.Rows[i])
		}
		ran++
	}
	for _, p := range rec.Pidns {
		want := p.Exploration
		if want.Tasks > maxTasks {
			continue
		}
		rev, _, err := recordedModel(want.Revision, want.Tasks, want.Actions)
		if err != nil {
			t.Fatal(err)
		}
		acts, _ := linux.ParseActions(want.Actions)
		var checks []invariants.Invariant
		for _, v := range want.Verdicts {
			inv, err := Resolve(v.Check, rev)
			if err != nil {
				t.Fatal(err)
			}
			checks = append(checks, inv)
		}
		got, err := Explore(linux.Options{Tasks: want.Tasks, Revision: rev, Actions: acts}, checks, true, Budget{}, RunConfig{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		compare(want, got)
		ran++
	}
	if ran == 0 {
		t.Fatal("the record has no exploration small enough to rerun")
	}
}

// TestFixedHoldsEveryInvariant checks the fix at the small bounds: every
// invariant of its reading holds in the whole space, and the derived NScaba
// and leader checks hold too.
func TestFixedHoldsEveryInvariant(t *testing.T) {
	checks := FixedChecks()
	for _, name := range DerivedChecks() {
		inv, err := Resolve(name, linux.Fixed)
		if err != nil {
			t.Fatal(err)
		}
		checks = append(checks, inv)
	}
	for tasks := 2; tasks <= 4; tasks++ {
		e, err := Explore(linux.Options{Tasks: tasks, Revision: linux.Fixed, Actions: linux.AllActions}, checks, true, Budget{}, RunConfig{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if !e.Complete {
			t.Fatalf("%d tasks: exploration incomplete (%s)", tasks, e.StopReason)
		}
		for _, v := range e.Verdicts {
			if v.Violated {
				t.Errorf("%d tasks: %s violated: %s: %v", tasks, v.Check, v.Summary(), v.Failure)
			}
		}
	}
}

// TestMatrixSmall checks the matrix at four tasks against the worked
// examples: v3's thread-created thread dangles in examples.md 1's six steps,
// the seed's CLONE_PARENT child loses its creator in examples.md 2's two,
// and no revision breaks a kernel sanity invariant.
func TestMatrixSmall(t *testing.T) {
	m, err := RunMatrix(MatrixConfig{Tasks: 4, Actions: linux.DefaultActions, Revisions: linux.Revisions()}, RunConfig{Workers: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	row := map[string]*Exploration{}
	for _, r := range m.Rows {
		row[r.Revision] = r
		if ok, _, broken := sanityVerdict(r); !ok {
			t.Errorf("%s breaks kernel sanity: %v", r.Revision, broken)
		}
		if !r.Complete {
			t.Errorf("%s: incomplete at 4 tasks", r.Revision)
		}
	}
	if v, _ := row["v3"].Verdict("NoDanglingCaba"); !v.Violated || v.Summary() != "Fork(1) Clone(2) Clone(3) ExitBegin(3) ExitNotify(3) Release(3)" {
		t.Errorf("v3 NoDanglingCaba: %+v, want examples.md 1", v)
	}
	if v, _ := row["seed"].Verdict("CabaClosestNotified"); !v.Violated || v.Summary() != "Fork(1) ForkParent(2)" {
		t.Errorf("seed CabaClosestNotified: %+v, want examples.md 2", v)
	}
	md := m.Markdown()
	for _, want := range []string{"| NoDanglingCaba |", "**violated**, 6 steps", "(other reading)", "| fixed |"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
}

func TestReadingsConflict(t *testing.T) {
	lines, err := ReadingsConflict()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != len(linux.Revisions()) {
		t.Fatalf("%d lines for %d revisions", len(lines), len(linux.Revisions()))
	}
}

// TestTIDAcrossExec checks the derived TIDs on de_thread: after ExecSwap the
// exec'ing thread shows the TGID and the old leader its old TID, until the
// old leader is released.
func TestTIDAcrossExec(t *testing.T) {
	m := linux.MustNew(linux.Options{Tasks: 3, Revision: linux.V3, Actions: linux.DefaultActions})
	s := m.Initial()
	for _, a := range []string{"Fork(1)", "Clone(2)", "ExecBegin(3)", "ExitBegin(2)", "ExitNotify(2)"} {
		act, err := linux.ParseAction(a)
		if err != nil {
			t.Fatal(err)
		}
		var next = s
		if !m.Step(&s, act, &next) {
			t.Fatalf("%s not enabled", a)
		}
		s = next
	}
	if linux.TID(&s, 2) != 2 || linux.TID(&s, 3) != 3 {
		t.Fatalf("before the swap: TID(2)=%d TID(3)=%d", linux.TID(&s, 2), linux.TID(&s, 3))
	}
	swap, _ := linux.ParseAction("ExecSwap(3)")
	next := s
	if !m.Step(&s, swap, &next) {
		t.Fatal("ExecSwap(3) not enabled")
	}
	if linux.TID(&next, 3) != 2 || linux.TID(&next, 2) != 3 {
		t.Fatalf("after the swap: TID(3)=%d (want the TGID 2), TID(2)=%d (want 3)", linux.TID(&next, 3), linux.TID(&next, 2))
	}
	if linux.V3.NScaba(&next, 3) != 3 || linux.Fixed.NScaba(&next, 3) != 2 {
		t.Fatalf("NScaba of 3 after the swap: v3 %d (want 3, the old TID), fixed %d (want 2)", linux.V3.NScaba(&next, 3), linux.Fixed.NScaba(&next, 3))
	}
}
