package findings

import (
	"os"
	"strings"
	"testing"

	"cabacheck/explorer"
	"cabacheck/spec/linux"
)

// Generate's progress names every part, in order (GenerateParts), each
// started before its search reports and ended once, numbered 1..Total; the
// searches report under the part that runs them.
func TestLiveProgress(t *testing.T) {
	allLive(t)
	want := GenerateParts()
	if len(want) != len(Catalogue())+len(linux.Revisions()) {
		t.Fatalf("%d parts for %d concerns and %d revisions", len(want), len(Catalogue()), len(linux.Revisions()))
	}
	var ended []string
	running := 0 // index of the part started and not ended
	searches := 0
	for _, p := range liveProgress {
		if p.Total != len(want) {
			t.Fatalf("%+v: total %d, want %d", p, p.Total, len(want))
		}
		switch {
		case p.Done:
			if p.Index != running {
				t.Fatalf("part %d (%s) ended while part %d runs", p.Index, p.Part, running)
			}
			ended = append(ended, p.Part)
			running = 0
		case p.Search == (explorer.Progress{}):
			if running != 0 || p.Index != len(ended)+1 {
				t.Fatalf("part %d (%s) started after %d parts ended, with part %d running", p.Index, p.Part, len(ended), running)
			}
			running = p.Index
		default:
			if p.Index != running || p.Search.Done {
				t.Fatalf("search report %+v outside its part (running %d)", p, running)
			}
			searches++
		}
	}
	if strings.Join(ended, "\n") != strings.Join(want, "\n") {
		t.Fatalf("parts ended:\n%s\nwant:\n%s", strings.Join(ended, "\n"), strings.Join(want, "\n"))
	}
	if searches == 0 {
		t.Error("no search reported its progress (every 1ms)")
	}
	if want[0] != "concern "+Catalogue()[0].Name || want[len(want)-1] != "matrix tasks 4 default,pidns fixed" {
		t.Errorf("parts from %q to %q", want[0], want[len(want)-1])
	}
}

// Without a Progress function nothing is reported and the run is the same.
func TestPartsWithoutProgress(t *testing.T) {
	p := RunConfig{}.parts(2)
	ran := 0
	for _, name := range []string{"a", "b"} {
		if err := p.run(name, func(rc RunConfig) error { ran++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if ran != 2 || p.index != 2 {
		t.Fatalf("ran %d parts, index %d", ran, p.index)
	}
}

// The generated pid namespace matrix has the namespace rows, and every
// question of the section is decided as expected, each violation's last
// state failing its check.
func TestNamespaceQuestions(t *testing.T) {
	m := allLive(t).Pidns
	for _, want := range []string{"| CabaNsMatchesParent |", "| NScabaNamesVisibleTask |", "| CabaClosestHashedNS |", "| " + ContainerReadsNoFreedCaba + " |", "| " + NoDanglingCabaInZap + " |"} {
		if !strings.Contains(m.Markdown(), want) {
			t.Errorf("pid namespace matrix lacks the row %q", want)
		}
	}
	for _, q := range NamespaceQuestions() {
		outs, err := q.Decide(m)
		if err != nil {
			t.Fatal(err)
		}
		if len(outs) != len(linux.Revisions()) {
			t.Errorf("%s: %d outcomes", q.Name, len(outs))
		}
		for _, o := range outs {
			if !o.Reproduced {
				t.Errorf("%s, %s: violated=%v length %d, expected %s", q.Name, o.Revision, o.Verdict.Violated, o.Verdict.Length, o.Expected)
			}
			if !o.Verdict.Violated {
				if !o.Row.Complete {
					t.Errorf("%s, %s: holds, but incomplete", q.Name, o.Revision)
				}
				continue
			}
			inv, err := Resolve(q.Check, mustRevision(o.Revision))
			if err != nil {
				t.Fatal(err)
			}
			if inv.Holds(&o.Verdict.Trace.Steps[len(o.Verdict.Trace.Steps)-1].State) {
				t.Errorf("%s, %s: the trace's last state satisfies %s", q.Name, o.Revision, q.Check)
			}
		}
	}
	// v3's caba dangling in a zap is its de_thread finding, older than the
	// zap: NoDanglingCaba fails from the old leader's release (step 7) on.
	v, _ := m.row("v3").Verdict(NoDanglingCabaInZap)
	if got := danglingSince(v, linux.V3); got != "A caba dangles from step 7 on, before the zap begins (step 9): the init's exit does not make it." {
		t.Errorf("v3: %q", got)
	}
}

// The findings' own checks restrict library invariants: wherever one
// fails, the invariant it restricts fails too (checked on every violation
// of the generated matrix).
func TestNamespaceChecksRestrictLibrary(t *testing.T) {
	m := allLive(t).Pidns
	for _, r := range m.Rows {
		for _, own := range PidnsMatrixConfig().Checks {
			lib := Restricts(own)
			if lib == "" {
				t.Fatalf("%s restricts nothing", own)
			}
			v, _ := r.Verdict(own)
			if !v.Violated {
				continue
			}
			inv, _ := Resolve(lib, mustRevision(r.Revision))
			if inv.Holds(&v.Trace.Steps[len(v.Trace.Steps)-1].State) {
				t.Errorf("%s: %s fails where %s holds", r.Revision, own, lib)
			}
		}
	}
}

// A check --json report (v3, 3 tasks, with pidns; testdata keeps only the
// actions of its traces) becomes a run with the figures of docs/model.md
// (2,964 distinct states, depth 14), the verdicts of the same search, a
// command that reproduces it, and GNU time's figures worked by hand
// (3:18.72 is 198.72 s; 1,926,860 kB is 1,973,104,640 bytes).
func TestImportRun(t *testing.T) {
	report, err := os.ReadFile("../testdata/findings/check-pidns-3-v3.json")
	if err != nil {
		t.Fatal(err)
	}
	timeV, err := os.ReadFile("../testdata/findings/time-v.out")
	if err != nil {
		t.Fatal(err)
	}
	run, err := ImportRun(report, timeV)
	if err != nil {
		t.Fatal(err)
	}
	e := run.Exploration
	if e.Distinct != 2964 || e.Depth != 14 || !e.Complete || e.Revision != "v3" || e.Tasks != 3 {
		t.Fatalf("imported %+v", e)
	}
	if run.WallSeconds < 198.719 || run.WallSeconds > 198.721 || run.PeakRSSBytes != 1_973_104_640 {
		t.Errorf("time -v: %.3f s, %d bytes", run.WallSeconds, run.PeakRSSBytes)
	}
	wantCmd := "cabacheck check --tasks 3 --revision v3 --actions default,pidns --continue --invariants all,NScabaNamesVisibleTask,CabaNsMatchesParent,CabaClosestHashedNS,CabaClosestNotifiedNS"
	if run.Command != wantCmd {
		t.Errorf("command %q, want %q", run.Command, wantCmd)
	}
	checks, err := MatrixChecksFor(PidnsActions, linux.V3)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Explore(linux.Options{Tasks: 3, Revision: linux.V3, Actions: PidnsActions}, checks, true, Budget{}, RunConfig{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Verdicts) != len(e.Verdicts) {
		t.Fatalf("%d verdicts imported, %d explored", len(e.Verdicts), len(got.Verdicts))
	}
	for i, v := range got.Verdicts {
		w := e.Verdicts[i]
		if v.Check != w.Check || v.Violated != w.Violated || v.Length != w.Length || v.Summary() != w.Summary() {
			t.Errorf("%s: imported violated=%v %q, explored violated=%v %q", v.Check, w.Violated, w.Summary(), v.Violated, v.Summary())
		}
	}
	// In a record, its traces replay and get their explanations.
	rec := &Record{Matrices: []*Matrix{{Rows: []*Exploration{got}}}}
	rec.AddPidnsRun(run)
	if err := rec.Replay(); err != nil {
		t.Fatal(err)
	}
	v, _ := e.Verdict("CabaNsMatchesParent")
	if !v.Violated || v.Trace == nil || len(v.Failure) == 0 {
		t.Errorf("CabaNsMatchesParent after replay: %+v", v)
	}
	if !run.Pidns() {
		t.Error("a pidns run not seen as one")
	}
	for _, bad := range [][]byte{[]byte("{"), []byte(`{"model":"toy"}`), []byte(`{"model":"linux","revision":"v3","actions":"default"}`)} {
		if _, err := ImportRun(bad, nil); err == nil {
			t.Errorf("%s: imported", bad)
		}
	}
	if _, err := ImportRun(report, []byte("not time output")); err == nil {
		t.Error("a time file without figures was accepted")
	}
}

// AddPidnsRun replaces the run of the same revision and keeps registry order.
func TestAddPidnsRun(t *testing.T) {
	mk := func(rev string, states uint64) *CheckRun {
		return &CheckRun{Exploration: &Exploration{Revision: rev, Tasks: 5, Distinct: states}}
	}
	r := &Record{}
	r.AddPidnsRun(mk("fixed", 1))
	r.AddPidnsRun(mk("seed", 2))
	r.AddPidnsRun(mk("fixed", 3))
	if len(r.Pidns) != 2 || r.Pidns[0].Exploration.Revision != "seed" || r.Pidns[1].Exploration.Distinct != 3 {
		t.Errorf("runs %+v %+v", r.Pidns[0].Exploration, r.Pidns[len(r.Pidns)-1].Exploration)
	}
}

// The fix needs no change when it violates only the seed's readings.
func TestFixNeedsNoChange(t *testing.T) {
	e := &Exploration{Verdicts: []Verdict{{Check: "CabaClosestNotified", Violated: true, Length: 4}, {Check: "CabaClosestNotifiedNS", Violated: true, Length: 5}, {Check: "NoDanglingCaba"}}}
	if bad, ok := fixNeedsNoChange(e); !ok || len(bad) != 2 {
		t.Errorf("seed readings only: %v %v", bad, ok)
	}
	e.Verdicts = append(e.Verdicts, Verdict{Check: "CabaClosestHashedNS", Violated: true, Length: 8})
	if _, ok := fixNeedsNoChange(e); ok {
		t.Error("the fix's own reading per namespace violated, yet no change needed")
	}
}
