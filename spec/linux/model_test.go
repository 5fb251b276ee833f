package linux

import (
	"testing"

	"cabacheck/spec"
	"cabacheck/state"
)

// run applies the actions in order from the initial state (every optional
// action but the sessions and pid namespace sets), failing the test when one
// is not enabled, and returns every state on the way.
func run(t *testing.T, rev Revision, tasks int, acts ...string) []state.State {
	t.Helper()
	return runRev(t, rev, AllActions, tasks, acts...)
}

func enabled(rev Revision, s *state.State, act string) bool {
	m := MustNew(Options{Tasks: int(s.N), Revision: rev, Actions: AllActions})
	a, err := ParseAction(act)
	if err != nil {
		panic(err)
	}
	var next state.State
	return m.Step(s, a, &next)
}

type field struct {
	name string
	got  any
	want any
}

func expect(t *testing.T, ctx string, fs ...field) {
	t.Helper()
	for _, f := range fs {
		if f.got != f.want {
			t.Errorf("%s: %s = %v, want %v", ctx, f.name, f.got, f.want)
		}
	}
}

func TestFork(t *testing.T) {
	for _, rev := range []Revision{Seed, V3, V4, Fixed} {
		s := run(t, rev, 3, "Fork(1)")[1]
		expect(t, rev.String()+" Fork(1)",
			field{"st[2]", s.St[2], state.Running}, field{"tg[2]", s.Tg[2], uint8(2)},
			field{"parent[2]", s.Parent[2], uint8(1)}, field{"caba[2]", s.Caba[2], uint8(1)},
			field{"cabdOf[2]", s.CabdOf[2], uint8(1)}, field{"born[2]", s.Born[2], uint8(1)},
			field{"leader[2]", s.Leader[2], uint8(2)}, field{"exec[2]", s.Exec[2], state.None})
	}
}

// Fork by a non-leader thread: real_parent is the thread (current), born the group.
func TestForkByThread(t *testing.T) {
	for _, rev := range []Revision{Seed, V3, V4} {
		s := run(t, rev, 4, "Fork(1)", "Clone(2)", "Fork(3)")[3]
		expect(t, rev.String(), field{"parent[4]", s.Parent[4], uint8(3)}, field{"born[4]", s.Born[4], uint8(2)},
			field{"caba[4]", s.Caba[4], uint8(3)}, field{"cabdOf[4]", s.CabdOf[4], uint8(3)})
	}
}

// Example 2 of examples.md: CLONE_PARENT loses the creator in the seed.
func TestForkParent(t *testing.T) {
	want := map[Revision]uint8{Seed: 1, V3: 2, V4: 2, Fixed: 2}
	for rev, c := range want {
		s := run(t, rev, 3, "Fork(1)", "ForkParent(2)")[2]
		expect(t, rev.String()+" ForkParent(2)", field{"parent[3]", s.Parent[3], uint8(1)}, field{"born[3]", s.Born[3], uint8(2)},
			field{"caba[3]", s.Caba[3], c}, field{"cabdOf[3]", s.CabdOf[3], c})
	}
	// init may not use CLONE_PARENT; the new child inherits has_child_subreaper from its real parent's group.
	s := run(t, Seed, 4, "SetSubreaper(1, on)", "Fork(1)")[2]
	if enabled(Seed, &s, "ForkParent(1)") {
		t.Error("ForkParent(1) enabled for init")
	}
	s = run(t, Seed, 4, "Fork(1)", "SetSubreaper(1, on)", "Fork(2)", "SetSubreaper(2, on)", "ForkParent(3)")[5]
	expect(t, "hasSub via real parent", field{"hasSub[4]", s.HasSub[4], true}, field{"parent[4]", s.Parent[4], uint8(2)})
	s = run(t, Seed, 4, "Fork(1)", "Fork(2)", "SetSubreaper(3, on)", "ForkParent(3)")[4]
	expect(t, "hasSub from parent[t]'s group, not the creator's", field{"hasSub[4]", s.HasSub[4], false}, field{"sub[3]", s.Sub[3], true})
}

func TestCloneCaba(t *testing.T) {
	// 1 forks 2; 2 forks 3; 3 creates thread 4 (real_parent 2, the creator's).
	want := map[Revision]uint8{Seed: 2, V3: 3, V4: 2, Fixed: 2}
	for rev, c := range want {
		s := run(t, rev, 4, "Fork(1)", "Fork(2)", "Clone(3)")[3]
		expect(t, rev.String()+" Clone(3)", field{"tg[4]", s.Tg[4], uint8(3)}, field{"parent[4]", s.Parent[4], uint8(2)},
			field{"caba[4]", s.Caba[4], c}, field{"cabdOf[4]", s.CabdOf[4], state.None}, field{"born[4]", s.Born[4], uint8(0)})
	}
	s := run(t, Seed, 3)[0]
	if enabled(Seed, &s, "Clone(1)") {
		t.Error("init may not create threads")
	}
}

func TestSetSubreaperPropagation(t *testing.T) {
	// 1→2→3→4, and 2→5 with 5 already has_child_subreaper via 5's own... build:
	// 2 forks 3; 3 forks 4; 3 becomes a subreaper (4 gets hasSub); then 2 becomes one:
	// 3 gets hasSub, 4 already had it (not descended), so nothing below 4 changes.
	ss := run(t, Seed, 5, "Fork(1)", "Fork(2)", "Fork(3)", "SetSubreaper(3, on)", "SetSubreaper(2, on)")
	s := ss[4]
	expect(t, "after 3 on", field{"hasSub[4]", s.HasSub[4], true}, field{"hasSub[3]", s.HasSub[3], false}, field{"sub[3]", s.Sub[3], true})
	s = ss[5]
	expect(t, "after 2 on", field{"hasSub[3]", s.HasSub[3], true}, field{"hasSub[2]", s.HasSub[2], false})
	// Clearing never clears has_child_subreaper, and off is only enabled when on.
	s = run(t, Seed, 5, "Fork(1)", "Fork(2)", "SetSubreaper(2, on)", "SetSubreaper(2, off)")[4]
	expect(t, "after off", field{"sub[2]", s.Sub[2], false}, field{"hasSub[3]", s.HasSub[3], true})
	if enabled(Seed, &s, "SetSubreaper(2, off)") {
		t.Error("SetSubreaper(2, off) enabled while off")
	}
	// Propagation goes through the children of every thread of the group.
	s = run(t, Seed, 5, "Fork(1)", "Clone(2)", "Fork(3)", "SetSubreaper(2, on)")[4]
	expect(t, "child of a thread", field{"hasSub[4]", s.HasSub[4], true})
}

func TestExitBeginGuards(t *testing.T) {
	s := run(t, Seed, 4, "Fork(1)", "Clone(2)", "ExecBegin(3)")[3]
	if enabled(Seed, &s, "ExitBegin(1)") {
		t.Error("init may not exit")
	}
	if enabled(Seed, &s, "ExitBegin(3)") {
		t.Error("the exec'ing thread may not exit")
	}
	if !enabled(Seed, &s, "ExitBegin(2)") {
		t.Error("a thread killed by the exec must be able to exit")
	}
	if enabled(Seed, &s, "Fork(2)") || enabled(Seed, &s, "Clone(2)") || enabled(Seed, &s, "Fork(3)") {
		t.Error("no forks while an exec is under way in the group")
	}
}

func TestExitNotifyReaper(t *testing.T) {
	// Another alive thread of the group takes the children.
	s := run(t, Seed, 5, "Fork(1)", "Fork(2)", "Clone(2)", "ExitBegin(2)", "ExitNotify(2)")[5]
	expect(t, "alive thread", field{"parent[3]", s.Parent[3], uint8(4)}, field{"st[2]", s.St[2], state.Zombie})
	// No alive thread, no subreaper: init.
	s = run(t, Seed, 5, "Fork(1)", "Fork(2)", "Fork(3)", "ExitBegin(3)", "ExitNotify(3)")[5]
	expect(t, "init", field{"parent[4]", s.Parent[4], uint8(1)}, field{"st[3]", s.St[3], state.Zombie})
	// Closest subreaper with an alive thread.
	s = run(t, Seed, 5, "Fork(1)", "SetSubreaper(2, on)", "Fork(2)", "Fork(3)", "ExitBegin(3)", "ExitNotify(3)")[6]
	expect(t, "subreaper", field{"parent[4]", s.Parent[4], uint8(2)})
	// A subreaper whose threads are all exiting is skipped.
	s = run(t, Seed, 5, "Fork(1)", "SetSubreaper(2, on)", "Fork(2)", "Fork(3)", "ExitBegin(2)", "ExitBegin(3)", "ExitNotify(3)")[7]
	expect(t, "exiting subreaper skipped", field{"parent[4]", s.Parent[4], uint8(1)})
	// A thread's exit: a non-leader reaps itself (Dead), then Release.
	s = run(t, Seed, 3, "Fork(1)", "Clone(2)", "ExitBegin(3)", "ExitNotify(3)")[4]
	expect(t, "thread", field{"st[3]", s.St[3], state.Dead})
	// A leader with live threads becomes a delayed zombie that cannot be reaped.
	s = run(t, Seed, 3, "Fork(1)", "Clone(2)", "ExitBegin(2)", "ExitNotify(2)")[4]
	expect(t, "delayed leader", field{"st[2]", s.St[2], state.Zombie})
	if enabled(Seed, &s, "Reap(1, 2)") {
		t.Error("a delay_group_leader zombie was reapable")
	}
	// Its last thread's release notifies it; then it is reapable.
	s = run(t, Seed, 3, "Fork(1)", "Clone(2)", "ExitBegin(2)", "ExitNotify(2)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)")[7]
	expect(t, "leader notified", field{"st[2]", s.St[2], state.Zombie}, field{"st[3]", s.St[3], state.Released})
	if !enabled(Seed, &s, "Reap(1, 2)") {
		t.Error("the notified leader is not reapable")
	}
}

func TestIgnoreSigchldAutoreap(t *testing.T) {
	// The parent ignores SIGCHLD: the exiting child is auto-reaped (Dead).
	s := run(t, Seed, 3, "IgnoreSigchld(1)", "Fork(1)", "ExitBegin(2)", "ExitNotify(2)")[4]
	expect(t, "autoreap", field{"st[2]", s.St[2], state.Dead}, field{"ign[2]", s.Ign[2], true})
	// Reparenting an already-zombie child to a reaper that ignores SIGCHLD auto-reaps it.
	s = run(t, Seed, 4, "Fork(1)", "Fork(2)", "IgnoreSigchld(1)", "ExitBegin(3)", "ExitNotify(3)", "ExitBegin(2)", "ExitNotify(2)")[7]
	expect(t, "reparented zombie", field{"st[3]", s.St[3], state.Dead}, field{"parent[3]", s.Parent[3], uint8(1)}, field{"st[2]", s.St[2], state.Dead})
}

func TestReapGuards(t *testing.T) {
	s := run(t, Seed, 4, "Fork(1)", "Clone(2)", "Fork(3)", "ExitBegin(4)", "ExitNotify(4)")[5]
	// 4 is a child of thread 3; any running thread of the group may reap it.
	if !enabled(Seed, &s, "Reap(2, 4)") || !enabled(Seed, &s, "Reap(3, 4)") {
		t.Error("a thread of the parent's group could not reap")
	}
	if enabled(Seed, &s, "Reap(1, 4)") {
		t.Error("a non-parent reaped")
	}
	s = run(t, Seed, 4, "Fork(1)", "Clone(2)", "Fork(3)", "ExitBegin(4)", "ExitNotify(4)", "Reap(2, 4)")[6]
	expect(t, "claimed", field{"st[4]", s.St[4], state.Dead})
}

// Exec from a non-leader thread: kill the others, take over from the zombie
// leader, release it, de_thread returns.
func TestExec(t *testing.T) {
	for _, rev := range []Revision{Seed, V3, V4, Fixed} {
		ss := run(t, rev, 5, "Fork(1)", "Clone(2)", "Clone(2)", "Fork(1)", "ExecBegin(4)",
			"ExitBegin(3)", "ExitNotify(3)", "Release(3)", "ExitBegin(2)", "ExitNotify(2)", "ExecSwap(4)", "Release(2)")
		s := ss[10]
		expect(t, rev.String()+" leader zombie", field{"st[2]", s.St[2], state.Zombie})
		if enabled(rev, &ss[9], "ExecSwap(4)") {
			t.Errorf("%s: ExecSwap before the leader is a zombie", rev)
		}
		s = ss[11]
		expect(t, rev.String()+" swap", field{"leader[2]", s.Leader[2], uint8(4)}, field{"st[2]", s.St[2], state.Dead},
			field{"cabdOf[4]", s.CabdOf[4], uint8(1)}, field{"cabdOf[2]", s.CabdOf[2], state.None}, field{"exec[2]", s.Exec[2], uint8(4)})
		s = ss[12]
		expect(t, rev.String()+" done", field{"st[2]", s.St[2], state.Released}, field{"exec[2]", s.Exec[2], state.None},
			field{"tg[2]", s.Tg[2], uint8(2)}, field{"born[2]", s.Born[2], uint8(1)})
		// The exec'ing thread keeps its caba (except in the fixed revision).
		wantCaba := map[Revision]uint8{Seed: 1, V3: 2, V4: 1, Fixed: 1}[rev]
		expect(t, rev.String()+" caba kept", field{"caba[4]", s.Caba[4], wantCaba})
	}
}

// Example 1 of examples.md (v3, 6 steps).
func TestExampleV3DanglingThreadCaba(t *testing.T) {
	ss := run(t, V3, 5, "Fork(1)", "Clone(2)", "Clone(3)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)")
	expect(t, "step 1", field{"caba[2]", ss[1].Caba[2], uint8(1)}, field{"cabdOf[2]", ss[1].CabdOf[2], uint8(1)}, field{"born[2]", ss[1].Born[2], uint8(1)})
	expect(t, "step 2", field{"parent[3]", ss[2].Parent[3], uint8(1)}, field{"caba[3]", ss[2].Caba[3], uint8(2)}, field{"cabdOf[3]", ss[2].CabdOf[3], state.None})
	expect(t, "step 3", field{"parent[4]", ss[3].Parent[4], uint8(1)}, field{"caba[4]", ss[3].Caba[4], uint8(3)})
	expect(t, "step 4", field{"st[3]", ss[4].St[3], state.Exiting})
	expect(t, "step 5", field{"st[3]", ss[5].St[3], state.Dead})
	expect(t, "step 6", field{"st[3]", ss[6].St[3], state.Released}, field{"st[4]", ss[6].St[4], state.Running}, field{"caba[4]", ss[6].Caba[4], uint8(3)})
}

// Example 3 of examples.md (seed and v4, 12 steps, 6 tasks).
func TestExampleReparentedThread(t *testing.T) {
	acts := []string{"Fork(1)", "SetSubreaper(2, on)", "Fork(2)", "Fork(3)", "Fork(4)", "ExitBegin(4)", "ExitNotify(4)",
		"Clone(5)", "ExitBegin(2)", "ExitNotify(2)", "Reap(1, 2)", "Release(2)"}
	for _, rev := range []Revision{Seed, V4} {
		ss := run(t, rev, 6, acts...)
		expect(t, rev.String()+" step 3", field{"hasSub[3]", ss[3].HasSub[3], true})
		wantP := map[Revision]uint8{Seed: 3, V4: 4}[rev]
		expect(t, rev.String()+" step 7", field{"parent[5]", ss[7].Parent[5], uint8(2)}, field{"caba[5]", ss[7].Caba[5], wantP},
			field{"st[4]", ss[7].St[4], state.Zombie})
		expect(t, rev.String()+" step 8", field{"parent[6]", ss[8].Parent[6], uint8(2)}, field{"caba[6]", ss[8].Caba[6], uint8(2)})
		expect(t, rev.String()+" step 10", field{"parent[3]", ss[10].Parent[3], uint8(1)}, field{"parent[5]", ss[10].Parent[5], uint8(1)},
			field{"parent[6]", ss[10].Parent[6], uint8(1)}, field{"st[2]", ss[10].St[2], state.Zombie})
		expect(t, rev.String()+" step 11", field{"st[2]", ss[11].St[2], state.Dead})
		s := ss[12]
		expect(t, rev.String()+" step 12", field{"st[2]", s.St[2], state.Released}, field{"caba[6]", s.Caba[6], uint8(2)},
			field{"caba[3]", s.Caba[3], uint8(1)})
	}
}

// v3: a thread created by the leader execs; its caba is the released old
// leader; once it forks and is released, forget_caba splices onto the freed
// leader: a use-after-free, and the corrupt state has no successors.
func TestV3ExecUseAfterFree(t *testing.T) {
	ss := run(t, V3, 4, "Fork(1)", "Clone(2)", "ExecBegin(3)", "ExitBegin(2)", "ExitNotify(2)", "ExecSwap(3)", "Release(2)",
		"Fork(3)", "ExitBegin(3)", "ExitNotify(3)", "Reap(1, 3)", "Release(3)")
	if ss[7].Corrupt || ss[7].Caba[3] != 2 || ss[7].St[2] != state.Released {
		t.Fatalf("after the exec: corrupt=%v caba[3]=%d st[2]=%v", ss[7].Corrupt, ss[7].Caba[3], ss[7].St[2])
	}
	s := ss[12]
	if !s.Corrupt {
		t.Fatal("forget_caba through the freed old leader did not mark the state corrupt")
	}
	m := MustNew(Options{Tasks: 4, Revision: V3, Actions: AllActions})
	b := make([]byte, m.StateSize())
	s.Encode(b)
	n := 0
	m.NewGenerator().Successors(b, func(spec.Action, []byte) { n++ })
	if n != 0 {
		t.Errorf("a corrupt state has %d successors", n)
	}
}

// The seed's hand-off at exit_notify: to another alive thread, else along the caba chain.
func TestSeedHandOff(t *testing.T) {
	// 2 forks 3, 2 has a thread 4: at 2's exit, 3's caba goes to thread 4.
	s := run(t, Seed, 5, "Fork(1)", "Fork(2)", "Clone(2)", "ExitBegin(2)", "ExitNotify(2)")[5]
	expect(t, "alive thread", field{"caba[3]", s.Caba[3], uint8(4)}, field{"cabdOf[3]", s.CabdOf[3], uint8(4)})
	// 1→2→3→4; 2 and 3 exiting: 4's caba walks 3 → caba[3]=2 (no alive thread) → 1.
	s = run(t, Seed, 5, "Fork(1)", "Fork(2)", "Fork(3)", "ExitBegin(2)", "ExitBegin(3)", "ExitNotify(3)")[6]
	expect(t, "walk", field{"caba[4]", s.Caba[4], uint8(1)})
	// v3 hands off only at release, to the leader's own caba.
	ss := run(t, V3, 5, "Fork(1)", "Fork(2)", "Fork(3)", "ExitBegin(3)", "ExitNotify(3)", "Reap(2, 3)", "Release(3)")
	expect(t, "v3 zombie still caba", field{"caba[4]", ss[5].Caba[4], uint8(3)})
	expect(t, "v3 released", field{"caba[4]", ss[7].Caba[4], uint8(2)}, field{"cabdOf[4]", ss[7].CabdOf[4], uint8(2)})
}

func TestCanonicalForm(t *testing.T) {
	// Two orders of the same history: the released thread's fields are normalised.
	a := run(t, V3, 4, "Fork(1)", "Clone(2)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)")[5]
	if a.Tg[3] != 0 || a.Parent[3] != 0 || a.Caba[3] != 0 || a.CabdOf[3] != state.None {
		t.Errorf("released thread not normalised: tg=%d parent=%d caba=%d cabdOf=%d", a.Tg[3], a.Parent[3], a.Caba[3], a.CabdOf[3])
	}
	// A released founder keeps tg and born; a fully released group loses its group fields.
	b := run(t, V3, 4, "Fork(1)", "SetSubreaper(2, on)", "ExitBegin(2)", "ExitNotify(2)", "Reap(1, 2)", "Release(2)")[6]
	expect(t, "released group", field{"tg[2]", b.Tg[2], uint8(2)}, field{"born[2]", b.Born[2], uint8(1)},
		field{"leader[2]", b.Leader[2], uint8(0)}, field{"sub[2]", b.Sub[2], false}, field{"exec[2]", b.Exec[2], state.None})
}
