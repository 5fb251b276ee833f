package restore

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"cabacheck/spec/linux"
	"cabacheck/state"
)

// build replays acts from the initial state (sessions on).
func build(t testing.TB, rev linux.Revision, n int, acts ...string) state.State {
	t.Helper()
	m := linux.MustNew(linux.Options{Tasks: n, Revision: rev, Actions: linux.DefaultActions | linux.Sessions})
	cur := m.Initial()
	for i, a := range acts {
		act, err := linux.ParseAction(a)
		if err != nil {
			t.Fatal(err)
		}
		var next state.State
		if !m.Step(&cur, act, &next) {
			t.Fatalf("step %d %s is not enabled", i+1, a)
		}
		cur = next
	}
	return cur
}

// Selftest is the v3 posting's selftest (TEST_F(caba, complex_sessions)),
// sessions included: 2 and 4 call setsid, 4 after forking 5.
var Selftest = []string{"Fork(1)", "Setsid(2)", "Fork(2)", "Fork(3)", "Fork(4)", "Setsid(4)", "Fork(4)", "Fork(6)",
	"SetSubreaper(2, on)", "ExitBegin(6)", "ExitNotify(6)", "Reap(4, 6)", "Release(6)", "SetSubreaper(2, off)",
	"ExitBegin(3)", "ExitNotify(3)", "Reap(2, 3)", "Release(3)"}

type want struct {
	criuTree, criuCaba, cabaTree, cabaCaba bool
	criuWhy                                string // a substring of CRIU's refusal or failure
}

func check(t *testing.T, rev linux.Revision, s *state.State, w want) {
	t.Helper()
	if ok, why := Dumpable(s); !ok {
		t.Fatalf("%s: not dumpable: %s", rev, why)
	}
	o := Observe(rev, s)
	cr := Restore(rev, s, CRIU(), false)
	ca := Restore(rev, s, CABA(rev), false)
	if cr.TreeRestored() != w.criuTree || cr.CabaRestored() != w.criuCaba {
		t.Errorf("%s: criu: tree %v caba %v, want %v %v (%s)\n%s", rev, cr.TreeRestored(), cr.CabaRestored(), w.criuTree, w.criuCaba, cr.Why(true), o.String())
	}
	if w.criuWhy != "" && !strings.Contains(cr.Why(true), w.criuWhy) {
		t.Errorf("%s: criu: %q, want it to say %q", rev, cr.Why(true), w.criuWhy)
	}
	if ca.TreeRestored() != w.cabaTree || ca.CabaRestored() != w.cabaCaba {
		t.Errorf("%s: caba: tree %v caba %v, want %v %v (%s)\n%s", rev, ca.TreeRestored(), ca.CabaRestored(), w.cabaTree, w.cabaCaba, ca.Why(true), o.String())
		if ca.Result != nil {
			t.Log(ca.Result.Plan.String())
		}
	}
}

// The selftest's tree (restore.md): 1 has children 2 (sid 2, with child 7
// in sid 4) and 4 (sid 4, with child 5 in sid 2). CRIU's born-sid pass finds
// no session leader on 5's parent chain; the caba tree 1-2-4{5,7} says 2 was
// created first and 4 forked 5 before its setsid.
func TestSelftestTree(t *testing.T) {
	for _, rev := range linux.Revisions() {
		s := build(t, rev, 7, Selftest...)
		o := Observe(rev, &s)
		if got := o.String(); got != `process  1: tgid 1 ppid 0 pgid 1 sid 1 running caba 0
process  2: tgid 2 ppid 1 pgid 2 sid 2 running caba 1
process  4: tgid 4 ppid 1 pgid 4 sid 4 running caba 2
process  5: tgid 5 ppid 4 pgid 2 sid 2 running caba 4
process  7: tgid 7 ppid 2 pgid 4 sid 4 running caba 4
` {
			t.Errorf("%s: dump:\n%s", rev, got)
		}
		check(t, rev, &s, want{cabaTree: true, cabaCaba: true, criuWhy: "Can't find a session leader for 2"})
		v := Restore(rev, &s, CABA(rev), false)
		if n := len(v.Result.Plan.Helpers); n != 2 {
			t.Errorf("%s: %d helpers, want 2 (one per dead creator: 3 and 6)", rev, n)
		}
	}
}

// A zombie that is still the caba of the child it left to init (v3 on: a
// zombie is a caba until it is reaped). CRIU rebuilds the tree, forking 4
// from its parent 1, so a re-dump shows caba 1; the CABA planner forks it
// from 3, and 3's exit, last, hands it to init: no helper.
func TestZombieCaba(t *testing.T) {
	acts := []string{"Fork(1)", "Fork(2)", "Fork(3)", "ExitBegin(3)", "ExitNotify(3)"}
	for _, rev := range []linux.Revision{linux.V3, linux.V4, linux.Fixed} {
		s := build(t, rev, 4, acts...)
		if s.St[3] != state.Zombie || s.Caba[4] != 3 || s.Parent[4] != 1 {
			t.Fatalf("%s: not the tree meant", rev)
		}
		check(t, rev, &s, want{criuTree: true, cabaTree: true, cabaCaba: true})
		if v := Restore(rev, &s, CABA(rev), false); len(v.Result.Plan.Helpers) != 0 {
			t.Errorf("%s: helpers %v:\n%s", rev, v.Result.Plan.Helpers, v.Result.Plan.String())
		}
	}
	// The seed hands 4 to 2 at 3's exit_notify: 4's caba is 2, its parent 1.
	s := build(t, linux.Seed, 4, acts...)
	if s.Caba[4] != 2 {
		t.Fatalf("seed: caba(4) = %d", s.Caba[4])
	}
	check(t, linux.Seed, &s, want{criuTree: true, cabaTree: true, cabaCaba: true})
}

// A subreaper two generations up adopts a grandchild whose creator died:
// its caba is the dead creator's caba, 3, its parent the subreaper 2. Where
// CLONE_PARENT records its creator (v3 on), 3 forks it with CLONE_PARENT;
// the seed's CLONE_PARENT would record 2, so a helper forked by 3 dies with
// 2 made subreaper for the moment.
func TestSubreaper(t *testing.T) {
	acts := []string{"Fork(1)", "SetSubreaper(2, on)", "Fork(2)", "Fork(3)", "Fork(4)", "ExitBegin(4)", "ExitNotify(4)", "Reap(3, 4)", "Release(4)"}
	for _, rev := range linux.Revisions() {
		s := build(t, rev, 5, acts...)
		if s.Parent[5] != 2 || s.Caba[5] != 3 {
			t.Fatalf("%s: parent(5) %d caba(5) %d", rev, s.Parent[5], s.Caba[5])
		}
		check(t, rev, &s, want{criuTree: true, cabaTree: true, cabaCaba: true})
		v := Restore(rev, &s, CABA(rev), false)
		text := v.Result.Plan.String()
		need := []string{"3: clone3(CLONE_PARENT, set_tid=5) = 5", "2: prctl(PR_SET_CHILD_SUBREAPER, 1)"}
		if rev == linux.Seed {
			need = []string{"2: prctl(PR_SET_CHILD_SUBREAPER, 1)", "exit(0) [helper]", "3: wait4(", "2: prctl(PR_SET_CHILD_SUBREAPER, 0)"}
		}
		for _, sys := range need {
			if !strings.Contains(text, sys) {
				t.Errorf("%s: the plan lacks %q:\n%s", rev, sys, text)
			}
		}
	}
}

// A session whose leader died: 2 calls setsid and forks 3 and 4 (3 forks
// 4); 2 exits and init reaps it, so 3 is init's child in session 2. CRIU
// recreates 2 as a helper under the root; so does the CABA planner, forked
// by the children's caba (init).
func TestDeadSessionLeader(t *testing.T) {
	acts := []string{"Fork(1)", "Setsid(2)", "Fork(2)", "Fork(3)", "ExitBegin(2)", "ExitNotify(2)", "Reap(1, 2)", "Release(2)"}
	for _, rev := range linux.Revisions() {
		s := build(t, rev, 4, acts...)
		o := Observe(rev, &s)
		if o.T[3].PPid != 1 || o.T[3].Sid != 2 || o.T[4].Sid != 2 {
			t.Fatalf("%s: not the tree meant:\n%s", rev, o.String())
		}
		check(t, rev, &s, want{criuTree: true, criuCaba: true, cabaTree: true, cabaCaba: true})
		for _, p := range []Planner{CRIU(), CABA(rev)} {
			v := Restore(rev, &s, p, false)
			if !strings.Contains(v.Result.Plan.String(), "2: setsid() = 2") {
				t.Errorf("%s %s: the dead leader is not recreated:\n%s", rev, p.Name(), v.Result.Plan.String())
			}
		}
	}
}

// A process group whose leader has left it: CRIU's member waits for a
// pgrp_set its leader never sets (the leader already has the pgid it wants).
func TestPgrpLeaderLeft(t *testing.T) {
	acts := []string{"Fork(1)", "Setpgid(1, 2, 2)", "Fork(2)", "Setpgid(1, 2, 1)"}
	for _, rev := range linux.Revisions() {
		s := build(t, rev, 3, acts...)
		check(t, rev, &s, want{cabaTree: true, cabaCaba: true, criuWhy: "restore hangs: 3 waits for its process group leader 2"})
	}
}

// Without sessions CRIU rebuilds every tree; only the caba values may
// differ (here a process reparented to init keeps its creator's caba).
func TestCRIUWithoutSessions(t *testing.T) {
	acts := []string{"Fork(1)", "Fork(2)", "Fork(3)", "ExitBegin(3)", "ExitNotify(3)", "Reap(2, 3)", "Release(3)"}
	for _, rev := range linux.Revisions() {
		s := build(t, rev, 4, acts...)
		check(t, rev, &s, want{criuTree: true, cabaTree: true, cabaCaba: true})
	}
}

func TestDumpable(t *testing.T) {
	rev := linux.V3
	for _, c := range []struct {
		acts []string
		why  string
	}{
		{[]string{"Fork(1)", "ExitBegin(2)"}, "PF_EXITING"},
		{[]string{"Fork(1)", "ExitBegin(2)", "ExitNotify(2)", "Reap(1, 2)"}, "EXIT_DEAD"},
		{[]string{"Fork(1)", "Clone(2)", "ExecBegin(3)"}, "de_thread"},
		{[]string{"Fork(1)", "Clone(2)", "ExitBegin(2)", "ExitNotify(2)"}, "Zombies with threads are not supported"},
	} {
		s := build(t, rev, 3, c.acts...)
		if ok, why := Dumpable(&s); ok || !strings.Contains(why, c.why) {
			t.Errorf("%v: dumpable %v (%s), want not, because %s", c.acts, ok, why, c.why)
		}
	}
	s := build(t, rev, 3, "Fork(1)", "ExitBegin(2)", "ExitNotify(2)")
	if ok, why := Dumpable(&s); !ok {
		t.Errorf("a zombie is dumpable: %s", why)
	}
}

// The memoised predicate agrees with a fresh restore.
func TestCheckerMemo(t *testing.T) {
	s := build(t, linux.V3, 7, Selftest...)
	c := CheckerOf(linux.V3, CRIU())
	for i := 0; i < 2; i++ {
		if out := c.Outcome(&s); out != OutDumpable {
			t.Errorf("criu outcome %b", out)
		}
	}
	if out := CheckerOf(linux.V3, CABA(linux.V3)).Outcome(&s); out != OutDumpable|OutTree|OutCaba {
		t.Errorf("caba outcome %b", out)
	}
}

// Every refusal class the planners use is in Classes.
func TestClassesListed(t *testing.T) {
	for _, f := range []string{"criu.go", "caba.go"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`refuse\([a-z]+Name, "([a-z-]+)"`).FindAllStringSubmatch(string(data), -1) {
			if ClassID(m[1]) == 0 {
				t.Errorf("%s: class %q is not in Classes", f, m[1])
			}
		}
	}
}

// v4 gives a new thread its process's real parent at that moment as caba,
// and the planner rebuilds that history: in the first tree 3 is forked by
// the zombie 2 (whose exit, last, hands it to init) and 4 by 3 with
// CLONE_PARENT, so 2 is 4's parent when 4's thread 5 is created; in the
// last, 3 is created with CLONE_PARENT so that its thread 4, which forks 5,
// exists while the tree is built.
func TestThreadCabaHistory(t *testing.T) {
	for _, acts := range [][]string{
		{"Fork(1)", "Fork(2)", "ExitBegin(2)", "ForkParent(3)", "Clone(4)", "ExitNotify(2)"},
		{"Fork(1)", "Fork(2)", "ExitBegin(2)", "ForkParent(3)", "ExitBegin(3)", "ExitNotify(3)", "Clone(4)", "ExitNotify(2)"},
		{"Fork(1)", "Fork(2)", "ExitBegin(2)", "Clone(3)", "ExitNotify(2)", "Clone(3)"},
		{"Fork(1)", "ForkParent(2)", "Clone(3)", "Fork(4)"},
	} {
		s := build(t, linux.V4, 5, acts...)
		check(t, linux.V4, &s, want{criuTree: true, criuCaba: false, cabaTree: true, cabaCaba: true})
	}
}

// The seed's CLONE_PARENT records the real parent: a process in a session
// its caba never was in is forked by a sibling in it; and the seed hands a
// zombie's children to the caba chain at exit_notify, so a zombie sibling
// can fork it.
func TestSeedSiblings(t *testing.T) {
	for _, acts := range [][]string{
		{"Fork(1)", "Setsid(2)", "ForkParent(2)"},
		{"Fork(1)", "Fork(2)", "Setsid(2)", "Setsid(3)", "ForkParent(3)"},
		{"Fork(1)", "Fork(2)", "Setsid(3)", "Fork(3)", "ExitBegin(3)", "ExitNotify(3)"},
		{"Fork(1)", "Fork(2)", "Setsid(2)", "Setsid(3)", "Fork(3)", "ExitBegin(3)", "ExitNotify(3)"},
	} {
		s := build(t, linux.Seed, 4, acts...)
		cr := Restore(linux.Seed, &s, CRIU(), false)
		check(t, linux.Seed, &s, want{criuTree: cr.TreeRestored(), criuCaba: cr.CabaRestored(), cabaTree: true, cabaCaba: true})
	}
}
