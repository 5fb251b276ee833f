package linux

import (
	"slices"
	"testing"

	"cabacheck/state"
)

// withPidns is the default actions and pid namespaces.
const withPidns = DefaultActions | Pidns

// runRev runs acts from the initial state of a model of rev, failing on a
// disabled step, and returns every state.
func runRev(t *testing.T, rev Revision, actions ActionSet, tasks int, acts ...string) []state.State {
	t.Helper()
	m := MustNew(Options{Tasks: tasks, Revision: rev, Actions: actions})
	cur := m.Initial()
	out := []state.State{cur}
	for i, s := range acts {
		a, err := ParseAction(s)
		if err != nil {
			t.Fatal(err)
		}
		var next state.State
		if !m.Step(&cur, a, &next) {
			t.Fatalf("step %d %s is not enabled", i+1, s)
		}
		cur = next
		out = append(out, cur)
	}
	return out
}

func lastRev(t *testing.T, rev Revision, tasks int, acts ...string) state.State {
	t.Helper()
	ss := runRev(t, rev, withPidns, tasks, acts...)
	return ss[len(ss)-1]
}

func expectLine(t *testing.T, ctx string, got NsLine, want ...uint8) {
	t.Helper()
	if !slices.Equal(got.Numbers(), want) {
		t.Errorf("%s: %v, want %v", ctx, got.Numbers(), want)
	}
}

func expectNSpid(t *testing.T, s *state.State, u, r uint8, want ...uint8) {
	t.Helper()
	l, ok := NSpid(s, u, r)
	if !ok && want != nil {
		t.Errorf("NSpid(%d) in ns %d: not visible, want %v", u, r, want)
		return
	}
	expectLine(t, "NSpid", l, want...)
}

// Off by default, in neither all nor default; parsed by name.
func TestPidnsOff(t *testing.T) {
	if AllActions&Pidns != 0 || DefaultActions&Pidns != 0 {
		t.Error("all or default includes pidns")
	}
	if as, err := ParseActions("default,pidns"); err != nil || as != withPidns {
		t.Errorf("default,pidns: %v %v", as, err)
	}
	s := last(t, AllActions, 3)
	if enabledWith(AllActions, &s, "ForkNewpid(1)") {
		t.Error("ForkNewpid enabled with pidns off")
	}
	if s.Pidns[1] != 1 || s.ChildReaper[1] != 1 {
		t.Errorf("initial state: pidns %d child_reaper %d", s.Pidns[1], s.ChildReaper[1])
	}
}

// Pid numbers: a namespace numbers its tasks in creation order from 1; a
// task has a number in its own namespace and in every ancestor; a released
// task's pid stays used (alloc_pid never reuses it in the model).
func TestPidnsNumbers(t *testing.T) {
	// 1 forks 2; 2 forks 3 with CLONE_NEWPID; 3 forks 4; 2 forks 5.
	s := lastRev(t, V3, 6, "Fork(1)", "ForkNewpid(2)", "Fork(3)", "Fork(2)", "ForkNewpid(4)")
	if s.Pidns[2] != 1 || s.Pidns[3] != 3 || s.Pidns[4] != 3 || s.Pidns[5] != 1 || s.Pidns[6] != 6 {
		t.Fatalf("pidns %v", s.Pidns[:7])
	}
	if s.NsLevel(3) != 1 || s.NsLevel(6) != 2 || s.NsParent(6) != 3 || s.ChildReaper[3] != 3 || s.ChildReaper[6] != 6 {
		t.Errorf("levels %d %d, parent %d, reapers %d %d", s.NsLevel(3), s.NsLevel(6), s.NsParent(6), s.ChildReaper[3], s.ChildReaper[6])
	}
	expectNSpid(t, &s, 3, 1, 3, 1)
	expectNSpid(t, &s, 3, 3, 1)
	expectNSpid(t, &s, 4, 1, 4, 2)
	expectNSpid(t, &s, 4, 3, 2)
	expectNSpid(t, &s, 5, 1, 5)
	expectNSpid(t, &s, 6, 1, 6, 3, 1) // pid 3 in namespace 3: after 3 and 4
	expectNSpid(t, &s, 6, 3, 3, 1)
	expectNSpid(t, &s, 6, 6, 1)
	if _, ok := NSpid(&s, 5, 3); ok {
		t.Error("task 5 of the root is visible in namespace 3")
	}
	// A released task keeps its number used: 2 (ns 2) forks 3, 3 exits and
	// is reaped and released, 2 forks 4: pid 3 in namespace 2.
	s = lastRev(t, V3, 4, "ForkNewpid(1)", "Fork(2)", "ExitBegin(3)", "ExitNotify(3)", "Reap(2, 3)", "Release(3)", "Fork(2)")
	expectNSpid(t, &s, 4, 1, 4, 3)
	if s.Pidns[3] != 2 {
		t.Errorf("released task 3 keeps pidns 2 while namespace 2 lives: %d", s.Pidns[3])
	}
}

// NScaba per reader namespace (v3: caba = current; the seed: the real
// parent): init_task prints 0 in the root and nothing inside; a caba in an
// ancestor namespace prints nothing inside.
func TestNScabaPerNamespace(t *testing.T) {
	s := lastRev(t, V3, 5, "Fork(1)", "ForkNewpid(2)", "Fork(3)", "Clone(4)")
	line := func(u, r uint8) NsLine {
		l, freed := V3.NScabaIn(&s, u, r)
		if freed {
			t.Fatalf("NScaba(%d) in %d: freed", u, r)
		}
		return l
	}
	expectLine(t, "init in the root", line(1, 1), 0)
	expectLine(t, "2 in the root", line(2, 1), 1)
	expectLine(t, "3 (caba 2) in the root", line(3, 1), 2)
	expectLine(t, "3 (caba 2) inside", line(3, 3))
	expectLine(t, "4 (caba 3) in the root", line(4, 1), 3, 1)
	expectLine(t, "4 (caba 3) inside", line(4, 3), 1)
	expectLine(t, "thread 5 (caba 4, v3) inside", line(5, 3), 2)
	// The fixed revision prints the caba's TGID: a thread's caba names its process.
	f := lastRev(t, Fixed, 6, "Fork(1)", "ForkNewpid(2)", "Fork(3)", "Clone(4)", "Fork(5)")
	if f.Caba[6] != 5 {
		t.Fatalf("fixed: caba[6] = %d", f.Caba[6])
	}
	l, _ := Fixed.NScabaIn(&f, 6, 3)
	expectLine(t, "fixed: child of thread 5, inside", l, 2)
	l, _ = V3.NScabaIn(&f, 6, 3) // the same state read as v3 prints: the TID
	expectLine(t, "tid: child of thread 5, inside", l, 3)
	// init_task read from inside: nothing.
	l, _ = V3.NScabaIn(&f, 1, 3)
	expectLine(t, "init_task inside", l)
}

// find_new_reaper at a namespace boundary: the subreaper walk stops at the
// namespace's init (a subreaper outside it is not eligible); the orphan goes
// to the namespace's child_reaper. Inside, a subreaper at the same level is.
func TestPidnsReaper(t *testing.T) {
	s := lastRev(t, V3, 5, "Fork(1)", "SetSubreaper(2, on)", "ForkNewpid(2)", "Fork(3)", "Fork(4)", "ExitBegin(4)", "ExitNotify(4)")
	if !s.HasSub[4] || s.Parent[5] != 3 {
		t.Errorf("orphan 5: has_child_subreaper %v, parent %d, want 3 (the namespace's init, not subreaper 2)", s.HasSub[4], s.Parent[5])
	}
	// The same without CLONE_NEWPID: to subreaper 2.
	s = lastRev(t, V3, 5, "Fork(1)", "SetSubreaper(2, on)", "Fork(2)", "Fork(3)", "Fork(4)", "ExitBegin(4)", "ExitNotify(4)")
	if s.Parent[5] != 2 {
		t.Errorf("without a namespace: parent %d, want 2", s.Parent[5])
	}
	// A subreaper inside the namespace.
	s = lastRev(t, V3, 5, "ForkNewpid(1)", "Fork(2)", "SetSubreaper(3, on)", "Fork(3)", "Fork(4)", "ExitBegin(4)", "ExitNotify(4)")
	if s.Parent[5] != 3 {
		t.Errorf("subreaper inside: parent %d, want 3", s.Parent[5])
	}
	// The namespace init's own children when it exits with another thread:
	// the thread takes over as child_reaper and gets them.
	s = lastRev(t, V3, 4, "ForkNewpid(1)", "Clone(2)", "Fork(2)", "ExitBegin(2)", "ExitNotify(2)")
	if s.ChildReaper[2] != 3 || s.Parent[4] != 3 || s.St[2] != state.Zombie {
		t.Errorf("takeover: child_reaper %d, parent[4] %d, st[2] %s", s.ChildReaper[2], s.Parent[4], s.St[2])
	}
}

// The child_reaper is not derivable: when the reaper exits while a
// lower-numbered thread is already exiting, the kernel picks the first
// thread without PF_EXITING.
func TestPidnsReaperTakeoverSkipsExiting(t *testing.T) {
	s := lastRev(t, V3, 4, "ForkNewpid(1)", "Clone(2)", "Clone(2)", "ExitBegin(3)", "ExitBegin(2)", "ExitNotify(2)")
	if s.ChildReaper[2] != 4 {
		t.Errorf("child_reaper %d, want 4 (3 is PF_EXITING)", s.ChildReaper[2])
	}
}

// CLONE_PARENT is refused from a namespace init's process (SIGNAL_UNKILLABLE),
// from any of its threads; allowed from a task inside.
func TestPidnsCloneParent(t *testing.T) {
	s := lastRev(t, V3, 5, "ForkNewpid(1)", "Clone(2)", "Fork(2)")
	expectEnabled(t, "namespace init", withPidns, &s, map[string]bool{"ForkParent(2)": false, "ForkParent(3)": false, "ForkParent(4)": true, "Clone(2)": true})
	s = lastRev(t, V3, 5, "ForkNewpid(1)", "Clone(2)", "Fork(2)", "ForkParent(4)")
	if s.Parent[5] != 2 || s.Pidns[5] != 2 {
		t.Errorf("ForkParent(4): parent %d pidns %d, want 2 2", s.Parent[5], s.Pidns[5])
	}
}

// The zap: ExitNotify of the last thread of a namespace init waits for
// ZapBegin, which ignores SIGCHLD and kills every task inside (only exits
// remain for them, forks from inside fail); the init then waits until it is
// the only task left with a pid in the namespace.
func TestPidnsZap(t *testing.T) {
	pre := []string{"ForkNewpid(1)", "Fork(2)", "Fork(3)", "ExitBegin(2)"}
	s := lastRev(t, V3, 5, pre...)
	expectEnabled(t, "before the zap", withPidns, &s, map[string]bool{"ExitNotify(2)": false, "ZapBegin(2)": true, "Fork(3)": true})
	s = lastRev(t, V3, 5, append(pre, "ZapBegin(2)")...)
	if s.PidnsZap[2] != 2 || !s.Ign[2] || !s.Killed(3) || !s.Killed(4) || s.Killed(1) {
		t.Fatalf("zap: pidns_zap %d ign %v killed %v %v %v", s.PidnsZap[2], s.Ign[2], s.Killed(3), s.Killed(4), s.Killed(1))
	}
	expectEnabled(t, "zapping", withPidns, &s, map[string]bool{
		"ExitNotify(2)": false, "ZapBegin(2)": false, "Fork(3)": false, "ForkNewpid(4)": false,
		"ExitBegin(3)": true, "ExitBegin(4)": true, "Fork(1)": true, "SetSubreaper(3, on)": false,
	})
	steps := append(pre, "ZapBegin(2)", "ExitBegin(4)", "ExitNotify(4)", "ExitBegin(3)", "ExitNotify(3)")
	s = lastRev(t, V3, 5, steps...)
	// 4 died a zombie of 3; 3's exit handed it to child_reaper 2, which
	// ignores SIGCHLD: both are autoreaped (Dead).
	if s.St[3] != state.Dead || s.St[4] != state.Dead || s.Parent[4] != 2 {
		t.Errorf("after the exits: %s %s, parent[4] %d", s.St[3], s.St[4], s.Parent[4])
	}
	expectEnabled(t, "dead ones left", withPidns, &s, map[string]bool{"ExitNotify(2)": false})
	s = lastRev(t, V3, 5, append(steps, "Release(3)", "Release(4)", "ExitNotify(2)", "Reap(1, 2)", "Release(2)")...)
	if s.St[2] != state.Released || s.NsAlive(2) || s.Pidns[3] != 1 || s.Pidns[2] != 1 {
		t.Errorf("after the namespace died: st %s alive %v pidns %v", s.St[2], s.NsAlive(2), s.Pidns[:5])
	}
	// A zombie made before the zap is claimed by the zap's wait.
	s = lastRev(t, V3, 4, "ForkNewpid(1)", "Fork(2)", "ExitBegin(3)", "ExitNotify(3)", "ExitBegin(2)", "ZapBegin(2)")
	expectEnabled(t, "zombie inside", withPidns, &s, map[string]bool{"ExitNotify(2)": false, "ZapReap(2, 3)": true, "Reap(1, 3)": false})
	s = lastRev(t, V3, 4, "ForkNewpid(1)", "Fork(2)", "ExitBegin(3)", "ExitNotify(3)", "ExitBegin(2)", "ZapBegin(2)", "ZapReap(2, 3)", "Release(3)", "ExitNotify(2)")
	if s.St[2] != state.Zombie || s.Parent[2] != 1 {
		t.Errorf("init of 2 after the zap: %s parent %d", s.St[2], s.Parent[2])
	}
	// Nested namespaces are killed too; a killed exec only exits.
	s = lastRev(t, V3, 5, "ForkNewpid(1)", "ForkNewpid(2)", "Fork(3)", "Clone(4)", "ExecBegin(5)", "ExitBegin(2)", "ZapBegin(2)")
	if !s.Killed(3) || !s.Killed(5) {
		t.Errorf("nested: killed %v %v", s.Killed(3), s.Killed(5))
	}
	expectEnabled(t, "killed exec", withPidns, &s, map[string]bool{"ExecSwap(5)": false, "ExitBegin(5)": true})
	s = lastRev(t, V3, 5, "ForkNewpid(1)", "ForkNewpid(2)", "Fork(3)", "Clone(4)", "ExecBegin(5)", "ExitBegin(2)", "ZapBegin(2)", "ExitBegin(5)")
	if s.Exec[4] != state.None {
		t.Errorf("killed exec: exec[4] = %d, want none", s.Exec[4])
	}
	// The non-leader last thread zaps; the leader's pid is the second one left.
	s = lastRev(t, V3, 5, "ForkNewpid(1)", "Clone(2)", "Fork(2)", "ExitBegin(2)", "ExitNotify(2)", "ExitBegin(3)", "ZapBegin(3)",
		"ExitBegin(4)", "ExitNotify(4)", "Release(4)", "ExitNotify(3)")
	if s.St[3] != state.Dead || s.St[2] != state.Zombie {
		t.Errorf("non-leader zap: %s %s", s.St[3], s.St[2])
	}
}

// The seed's find_new_caba walks past a namespace init that is exiting
// (no alive thread) to its caba outside: the caba escapes the container,
// and NScaba read inside is empty.
func TestPidnsSeedCabaEscapes(t *testing.T) {
	s := lastRev(t, Seed, 4, "ForkNewpid(1)", "Fork(2)", "Fork(3)", "ExitBegin(2)", "ExitBegin(3)", "ExitNotify(3)")
	if s.Caba[4] != 1 || s.Parent[4] != 2 {
		t.Fatalf("seed: caba[4] %d parent[4] %d, want 1 2", s.Caba[4], s.Parent[4])
	}
	l, _ := Seed.NScabaIn(&s, 4, 2)
	expectLine(t, "escaped caba read inside", l)
	l, _ = Seed.NScabaIn(&s, 4, 1)
	expectLine(t, "escaped caba read in the root", l, 1)
	// v3 hands off at release: the caba stays inside (2).
	v := lastRev(t, V3, 4, "ForkNewpid(1)", "Fork(2)", "Fork(3)", "ExitBegin(2)", "ExitBegin(3)", "ExitNotify(3)", "ZapBegin(2)", "ZapReap(2, 3)", "Release(3)")
	if v.Caba[4] != 2 {
		t.Errorf("v3: caba[4] %d, want 2", v.Caba[4])
	}
}

// The table gives each kind its set: the pidns actions are pidns's.
func TestKindSet(t *testing.T) {
	for k, want := range map[uint8]ActionSet{KFork: 0, KForkNewpid: Pidns, KZapBegin: Pidns, KZapReap: Pidns, KSetpgid: Sessions, KClone: Threads, 0: 0, numKinds: 0} {
		if got := KindSet(k); got != want {
			t.Errorf("KindSet(%s) = %s, want %s", KindName(k), got, want)
		}
	}
}

// sys_setpgid looks both ids up in the caller's pid namespace: the init of
// a new namespace cannot name process group 2 of the root (the kernel
// returns EPERM; conform host found it), but the root can still move that
// init, which has a pid there too.
func TestSetpgidSeesOwnNamespace(t *testing.T) {
	as := Sessions | Pidns
	ss := runRev(t, V3, as, 4, "Fork(1)", "Setpgid(2, 2, 2)", "ForkNewpid(1)")
	s := ss[len(ss)-1]
	expectEnabled(t, "namespace init", as, &s, map[string]bool{
		"Setpgid(3, 3, 2)": false, // group 2 has no pid in namespace 3
		"Setpgid(1, 3, 2)": true,  // init sees both
	})
}

// A pid still used as a process group id is not freed, so the zap never
// sees pid_allocated drop to init_pids: here the namespace init 2 joined
// the group of its child 3, which is gone, and 2's exit never completes
// (conform host found the kernel's init stuck in zap_pid_ns_processes).
func TestZapWaitsForHeldPgid(t *testing.T) {
	as := Sessions | Pidns
	held := runRev(t, V3, as, 4, "ForkNewpid(1)", "Fork(2)", "Setpgid(3, 3, 3)", "Setpgid(2, 2, 3)",
		"ExitBegin(3)", "ExitNotify(3)", "Reap(2, 3)", "Release(3)", "ExitBegin(2)", "ZapBegin(2)")
	s := held[len(held)-1]
	expectEnabled(t, "pgid 3 held by the init's own group", as, &s, map[string]bool{"ExitNotify(2)": false})
	free := runRev(t, V3, as, 4, "ForkNewpid(1)", "Fork(2)", "Setpgid(3, 3, 3)",
		"ExitBegin(3)", "ExitNotify(3)", "Reap(2, 3)", "Release(3)", "ExitBegin(2)", "ZapBegin(2)")
	s = free[len(free)-1]
	expectEnabled(t, "no id held", as, &s, map[string]bool{"ExitNotify(2)": true})
}
