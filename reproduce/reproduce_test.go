package reproduce

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cabacheck/kernel"
	"cabacheck/traces"
)

func generate(t *testing.T, tr *traces.Trace) *Program {
	t.Helper()
	p, err := Generate(tr, Config{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The v3 thread-created-thread counterexample, worked by hand: Fork(1)
// Clone(2) Clone(3) ExitBegin(3) ExitNotify(3) Release(3) is four syscalls
// (the exit of thread 3 auto-reaps it); after the fourth, task 4's caba is
// the released 3, so task 4 is not read in the snapshots and is probed at
// the violation step; v3 gives thread 3 caba 2 and thread 4 caba 3 (the
// creating thread), the other revisions the parent of the process, 1.
func TestV3NoDanglingCabaByHand(t *testing.T) {
	var c storedCex
	for _, x := range storedCounterexamples(t) {
		if x.name == "v3_NoDanglingCaba" {
			c = x
		}
	}
	p := generate(t, c.tr)
	if got := p.OpsLine(); got != "Fork(1) Clone(2) Clone(3) Exit(3)" {
		t.Fatalf("ops %q", got)
	}
	if p.ViolStep != 4 || p.Revisions[0] != "v3" || len(p.Steps) != 4 {
		t.Fatalf("violation step %d, revisions %v, %d steps", p.ViolStep, p.Revisions, len(p.Steps))
	}
	last := p.Steps[3]
	if last.Skip != 1<<4 || last.Probe != 1<<4 {
		t.Errorf("step 4: skip %#x probe %#x, want task 4 (0x10) in both", last.Skip, last.Probe)
	}
	if p.Steps[2].Probe != 0 || p.Steps[2].Skip != 0 {
		t.Errorf("step 3 must read every task and probe none: %+v", p.Steps[2])
	}
	if !strings.Contains(p.KASAN, "use-after-free in get_task_pid") || !strings.Contains(p.KASAN, "task 4 (caba 3 released)") {
		t.Errorf("KASAN prediction %q", p.KASAN)
	}
	// step 3 (Clone(3)): v3 alone has thread 4 with caba 3
	v3 := uint32(1)
	var saw bool
	for _, pat := range p.Steps[2].Patterns {
		caba := pat.Snap[3][kernel.FCaba]
		if pat.Revs&v3 != 0 {
			saw = true
			if caba != "3" || pat.Snap[2][kernel.FCaba] != "2" {
				t.Errorf("v3 after Clone(3): threads 3, 4 caba %s, %s; want 2, 3", pat.Snap[2][kernel.FCaba], caba)
			}
		} else if caba != "1" {
			t.Errorf("revisions %#x after Clone(3): thread 4 caba %s, want 1", pat.Revs, caba)
		}
	}
	if !saw {
		t.Error("no v3 state after Clone(3)")
	}
	// the violation is v3's alone
	for _, pat := range last.Patterns {
		if pat.Viol != pat.Revs&v3 {
			t.Errorf("step 4: pattern of %#x violates in %#x, want only v3", pat.Revs, pat.Viol)
		}
	}
	src, err := p.Render()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`{ OP_FORK, 1, 2, 0, "Fork(1)", "", 0x0, 0x0, 0, 1 },`,
		`{ OP_EXIT, 3, 0, 0, "Exit(3)", "", 0x10, 0x10, 5, 1 },`,
		`#define VIOL_STEP 4`,
		`static const char *const rev_name[NREVS] = { "v3", `,
	} {
		if !strings.Contains(string(src), want) {
			t.Errorf("the C source lacks %q", want)
		}
	}
}

// Every kind of prediction: the seed's hand-off walks a freed caba at an
// exit_notify, v3's forget_caba splices onto a freed list at a release,
// ThreadsAgreeOnCaba is seen in NScaba alone (no KASAN report).
func TestPredictions(t *testing.T) {
	want := map[string]string{
		"seed_NoUseAfterFree": "use-after-free in do_exit",
		"v3_NoUseAfterFree":   "use-after-free in release_task",
		"v4_NoDanglingCaba":   "use-after-free in get_task_pid",
	}
	for _, c := range storedCounterexamples(t) {
		p := generate(t, c.tr)
		if w, ok := want[c.String()]; ok && !strings.Contains(p.KASAN, w) {
			t.Errorf("%s: KASAN prediction %q, want %q", c, p.KASAN, w)
		}
		if p.ThreadsInvariant() {
			t.Errorf("%s: not a ThreadsAgreeOnCaba trace", c)
		}
	}
	p := generate(t, traceNamed(t, "v3_ThreadsAgreeOnCaba"))
	if !p.ThreadsInvariant() || !strings.HasPrefix(p.KASAN, "nothing") || p.ViolStep != 2 {
		t.Errorf("v3 ThreadsAgreeOnCaba: threads %v, violation step %d, KASAN %q", p.ThreadsInvariant(), p.ViolStep, p.KASAN)
	}
}

// A Makefile the patch brought is kept (the programs must be added to it);
// ours is rewritten; the programs and the fallback header are written.
func TestWriteDirKeepsForeignMakefile(t *testing.T) {
	p := generate(t, traceNamed(t, "v4_ThreadsAgreeOnCaba"))
	dir := t.TempDir()
	foreign := "TEST_GEN_FILES += caba_test\ninclude ../lib.mk\n"
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte(foreign), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := WriteDir(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	if w.Kept != filepath.Join(dir, "Makefile") {
		t.Errorf("kept %q", w.Kept)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "Makefile")); string(data) != foreign {
		t.Errorf("the foreign Makefile was changed:\n%s", data)
	}
	for _, f := range []string{p.Name + ".c", "kselftest_compat.h", "config"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	dir2 := t.TempDir()
	if _, err := WriteDir(dir2, p); err != nil {
		t.Fatal(err)
	}
	if w, err := WriteDir(dir2, p); err != nil || w.Kept != "" {
		t.Errorf("our own Makefile must be rewritten: kept %q, %v", w.Kept, err)
	}
}

func TestBadTraces(t *testing.T) {
	if _, err := Generate(nil, Config{}); err == nil {
		t.Error("nil trace accepted")
	}
	tr := traceNamed(t, "v3_ThreadsAgreeOnCaba")
	tr.Invariant = "NoSuchInvariant"
	if _, err := Generate(tr, Config{}); err == nil || !strings.Contains(err.Error(), "NoSuchInvariant") {
		t.Errorf("unknown invariant: %v", err)
	}
}
