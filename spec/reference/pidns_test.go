package reference

import (
	"fmt"
	"testing"
)

// Hand-worked tests of docs/model.md "Optional: pid namespaces": the new
// namespace, pid numbers per level, NSpid and NScaba per reader, the
// CLONE_PARENT refusal, the reaper at a namespace boundary, the reaper
// hand-over to another thread, the zap and its windows, the canonical form
// of a dead namespace's tasks, and the pid namespace invariants.

var pidnsActs = append(append([]string(nil), DefaultActions...), ActPidns)

func pidnsOf(s State, i int) field { return field{"pidns", i, int(s.Pidns[i]), 0} }
func reaperOf(s State, n int) field {
	return field{"child_reaper", n, int(s.ChildReaper[n]), 0}
}
func zapOf(s State, n int) field { return field{"pidns_zap", n, int(s.Zap[n]), 0} }

func lineIs(t *testing.T, ctx string, got []int, want ...int) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: %v, want %v", ctx, got, want)
	}
}

func nspid(t *testing.T, m *Model, s State, u, r int, want ...int) {
	t.Helper()
	got, vis := m.NSpid(&s, u, r)
	if !vis {
		t.Errorf("NSpid of %d in %d: not visible", u, r)
	}
	lineIs(t, fmt.Sprintf("NSpid of %d read in %d", u, r), got, want...)
}

func nscaba(t *testing.T, m *Model, s State, u, r int, want ...int) {
	t.Helper()
	got, freed := m.NScabaIn(&s, u, r)
	if freed {
		t.Errorf("NScaba of %d in %d: freed", u, r)
	}
	lineIs(t, fmt.Sprintf("%s: NScaba of %d read in %d", m.Revision.Name, u, r), got, want...)
}

// ForkNewpid makes pid 1 of a namespace one level down; numbers are
// allocated per namespace in creation order; a nested namespace has three
// numbers from the root.
func TestPidnsNumbers(t *testing.T) {
	m := NewModel(5, "v3", pidnsActs)
	s := run(t, m, []string{"ForkNewpid(1)", "Fork(2)", "ForkNewpid(3)", "Fork(1)"}, nil)
	expect(t, "ForkNewpid", is(pidnsOf(s, 2), 2), is(reaperOf(s, 2), 2), is(zapOf(s, 2), 0), is(parent(s, 2), 1),
		is(caba(s, 2), 1), is(born(s, 2), 1), is(pidnsOf(s, 3), 2), is(pidnsOf(s, 4), 4), is(reaperOf(s, 4), 4),
		is(pidnsOf(s, 5), 1), is(reaperOf(s, 3), 0))
	if l := level(&s, 4); l != 2 {
		t.Errorf("level(4) = %d, want 2", l)
	}
	nspid(t, m, s, 2, 1, 2, 1)
	nspid(t, m, s, 2, 2, 1)
	nspid(t, m, s, 3, 1, 3, 2)
	nspid(t, m, s, 4, 1, 4, 3, 1)
	nspid(t, m, s, 4, 2, 3, 1)
	nspid(t, m, s, 4, 4, 1)
	nspid(t, m, s, 5, 1, 5)
	if _, vis := m.NSpid(&s, 5, 2); vis {
		t.Error("task 5 (root) visible in namespace 2")
	}
	if _, vis := m.NSpid(&s, 3, 4); vis {
		t.Error("task 3 visible in its child namespace 4")
	}
	// NScaba: the caba's numbers from the reader's level down to the
	// caba's own; empty when the caba is above the reader.
	nscaba(t, m, s, 3, 1, 2, 1) // caba 2
	nscaba(t, m, s, 3, 2, 1)
	nscaba(t, m, s, 4, 1, 3, 2) // caba 3, in namespace 2
	nscaba(t, m, s, 4, 2, 2)
	nscaba(t, m, s, 4, 4) // empty
	nscaba(t, m, s, 2, 2) // caba 1 is in the root
	nscaba(t, m, s, 1, 1, 0)
	nscaba(t, m, s, 1, 2) // init_task: nothing from inside
	for _, inv := range PidnsInvariantNames {
		holds(t, m, "numbers", s, inv, true)
	}
}

// NScaba prints a TID (tid) or a TGID (tgid, fixed): a process forked by a
// non-leader thread of a namespace init.
func TestPidnsNScabaTidTgid(t *testing.T) {
	for rev, want := range map[string][2][]int{"v3": {{3, 2}, {2}}, "fixed": {{2, 1}, {1}}} {
		m := NewModel(4, rev, pidnsActs)
		s := run(t, m, []string{"ForkNewpid(1)", "Clone(2)", "Fork(3)"}, nil)
		expect(t, rev, is(caba(s, 4), 3), is(pidnsOf(s, 3), 2), is(pidnsOf(s, 4), 2))
		nspid(t, m, s, 3, 2, 2)
		nspid(t, m, s, 4, 2, 3)
		nscaba(t, m, s, 4, 1, want[0]...)
		nscaba(t, m, s, 4, 2, want[1]...)
	}
}

// CLONE_PARENT is refused for a namespace init (any thread of its group),
// allowed for its children, whose CLONE_PARENT child is in the namespace.
func TestPidnsCloneParent(t *testing.T) {
	m := NewModel(5, "seed", pidnsActs)
	s := run(t, m, []string{"ForkNewpid(1)", "Clone(2)", "Fork(2)"}, nil)
	can(t, m, "ns init", s, false, "ForkParent(2)", "ForkParent(3)")
	can(t, m, "ns init", s, true, "ForkParent(4)", "ForkNewpid(2)", "ForkNewpid(3)", "Clone(2)")
	s = run(t, m, []string{"ForkNewpid(1)", "Clone(2)", "Fork(2)", "ForkParent(4)"}, nil)
	expect(t, "ForkParent(4)", is(parent(s, 5), 2), is(pidnsOf(s, 5), 2), is(caba(s, 5), 2))
}

// The subreaper walk stays at the dying task's level: a subreaper outside
// the namespace is not taken, the namespace's init is.
func TestPidnsReaperBoundary(t *testing.T) {
	m := NewModel(5, "v3", pidnsActs)
	steps := []string{"Fork(1)", "SetSubreaper(2,on)", "ForkNewpid(2)", "Fork(3)", "Fork(4)", "ExitBegin(4)", "ExitNotify(4)"}
	s := run(t, m, steps, nil)
	expect(t, "reaper", is(parent(s, 5), 3), is(st(s, 4), int(Zombie)))
	if !s.HasSub[4] {
		t.Error("hasSub[4] false, want true (inherited at fork)")
	}
	// In the root the same walk finds the subreaper.
	s = run(t, m, []string{"Fork(1)", "SetSubreaper(2,on)", "Fork(2)", "Fork(3)", "Fork(4)", "ExitBegin(4)", "ExitNotify(4)"}, nil)
	expect(t, "root reaper", is(parent(s, 5), 2))
}

// The namespace's reaper hands over to another alive thread of its group;
// with none left the exit is the zap: ZapBegin, the killed tasks exit,
// their zombies autoreap to the ignoring init, and ExitNotify of the
// reaper waits until only it and its leader hold pids in the namespace.
func TestPidnsZap(t *testing.T) {
	m := NewModel(5, "v3", pidnsActs)
	s := run(t, m, []string{"ForkNewpid(1)", "Clone(2)", "ExitBegin(2)", "ExitNotify(2)"}, nil)
	expect(t, "hand-over", is(reaperOf(s, 2), 3), is(st(s, 2), int(Zombie)))
	s = run(t, m, []string{"ForkNewpid(1)", "Clone(2)", "ExitBegin(2)", "ExitNotify(2)", "Fork(3)", "ExitBegin(3)"}, nil)
	can(t, m, "reaper exiting", s, false, "ExitNotify(3)")
	can(t, m, "reaper exiting", s, true, "ZapBegin(3)", "Fork(4)")
	s, _ = m.Step(s, "ZapBegin(3)")
	expect(t, "ZapBegin", is(zapOf(s, 2), 3))
	if !s.Ign[2] || !m.killed(&s, 4) || m.killed(&s, 1) {
		t.Errorf("ZapBegin: ign[2] %v killed(4) %v killed(1) %v\n%s", s.Ign[2], m.killed(&s, 4), m.killed(&s, 1), m.Format(s))
	}
	can(t, m, "killed", s, false, "Fork(4)", "ForkNewpid(4)", "Clone(4)", "SetSubreaper(4,on)", "ExitNotify(3)")
	can(t, m, "killed", s, true, "ExitBegin(4)", "Fork(1)")
	s = run(t, m, []string{"ForkNewpid(1)", "Clone(2)", "ExitBegin(2)", "ExitNotify(2)", "Fork(3)", "ExitBegin(3)",
		"ZapBegin(3)", "ExitBegin(4)", "ExitNotify(4)"}, nil)
	expect(t, "killed child autoreaps", is(st(s, 4), int(Dead)))
	can(t, m, "before release", s, false, "ExitNotify(3)")
	s, _ = m.Step(s, "Release(4)")
	can(t, m, "only reaper and leader", s, true, "ExitNotify(3)")
	s, _ = m.Step(s, "ExitNotify(3)")
	// 3 is a non-leader: Dead; its release notifies leader 2, parent 1.
	s, _ = m.Step(s, "Release(3)")
	expect(t, "end", is(st(s, 2), int(Zombie)))
	can(t, m, "end", s, true, "Reap(1,2)")
}

// ZapReap claims a zombie made before SIGCHLD was ignored; a grandchild
// orphaned during the zap goes to the zapping init and autoreaps.
func TestPidnsZapReapAndOrphans(t *testing.T) {
	m := NewModel(4, "seed", pidnsActs)
	s := run(t, m, []string{"ForkNewpid(1)", "Fork(2)", "ExitBegin(3)", "ExitNotify(3)", "ExitBegin(2)"}, nil)
	can(t, m, "before zap", s, false, "ZapReap(2,3)", "ExitNotify(2)", "Reap(1,3)")
	s = run(t, m, []string{"ForkNewpid(1)", "Fork(2)", "ExitBegin(3)", "ExitNotify(3)", "ExitBegin(2)", "ZapBegin(2)", "ZapReap(2,3)"}, nil)
	expect(t, "ZapReap", is(st(s, 3), int(Dead)))
	s = run(t, m, []string{"ForkNewpid(1)", "Fork(2)", "Fork(3)", "ExitBegin(2)", "ZapBegin(2)",
		"ExitBegin(4)", "ExitNotify(4)", "ExitBegin(3)", "ExitNotify(3)"}, nil)
	expect(t, "orphan", is(parent(s, 4), 2), is(st(s, 4), int(Dead)), is(st(s, 3), int(Dead)))
}

// When a namespace dies, its Released tasks move to the deepest alive
// namespace on their chain, so the state equals the one where the same
// tasks lived and died in the root.
func TestPidnsCanonicalDeadNamespace(t *testing.T) {
	m := NewModel(3, "v3", pidnsActs)
	a := run(t, m, []string{"ForkNewpid(1)", "Fork(2)", "ExitBegin(3)", "ExitNotify(3)", "ExitBegin(2)", "ZapBegin(2)",
		"ZapReap(2,3)", "Release(3)"}, nil)
	expect(t, "namespace alive", is(pidnsOf(a, 3), 2))
	a = run(t, m, []string{"ForkNewpid(1)", "Fork(2)", "ExitBegin(3)", "ExitNotify(3)", "ExitBegin(2)", "ZapBegin(2)",
		"ZapReap(2,3)", "Release(3)", "ExitNotify(2)", "Reap(1,2)", "Release(2)"}, nil)
	expect(t, "namespace dead", is(pidnsOf(a, 2), 1), is(pidnsOf(a, 3), 1), is(reaperOf(a, 2), 0), is(zapOf(a, 2), 0))
	b := run(t, m, []string{"Fork(1)", "Fork(2)", "ExitBegin(3)", "ExitNotify(3)", "ExitBegin(2)", "ExitNotify(2)",
		"Reap(1,2)", "Release(2)", "Reap(1,3)", "Release(3)"}, nil)
	if a != b {
		t.Errorf("dead namespace not forgotten:\n%s---\n%s", m.Format(a), m.Format(b))
	}
}

// The seed's caba walk at a killed task's exit skips the Exiting
// namespace init and leaves the container: CabaNsMatchesParent fails, a
// reader inside sees an empty NScaba (the caba is above it) where it
// should see the init (both closest-NS readings fail), while the numbers
// it prints are still a visible task's or none.
func TestPidnsCabaEscapes(t *testing.T) {
	m := NewModel(5, "seed", pidnsActs)
	s := run(t, m, []string{"Fork(1)", "ForkNewpid(2)", "Fork(3)", "Fork(4)", "ExitBegin(3)", "ZapBegin(3)",
		"ExitBegin(4)", "ExitNotify(4)"}, nil)
	expect(t, "escape", is(caba(s, 5), 2), is(parent(s, 5), 3), is(pidnsOf(s, 5), 3))
	holds(t, m, "escape", s, "CabaNsMatchesParent", false)
	holds(t, m, "escape", s, "NScabaNamesVisibleTask", true)
	holds(t, m, "escape", s, "CabaClosestNotifiedNS", false)
	holds(t, m, "escape", s, "CabaClosestHashedNS", false)
	nscaba(t, m, s, 5, 3)
	nscaba(t, m, s, 5, 1, 2)
	// v3 hands cabds on at release: 5's caba stays 4 until 4 is released,
	// then goes to caba[4] = 3, inside.
	m = NewModel(5, "v3", pidnsActs)
	s = run(t, m, []string{"Fork(1)", "ForkNewpid(2)", "Fork(3)", "Fork(4)", "ExitBegin(3)", "ZapBegin(3)",
		"ExitBegin(4)", "ExitNotify(4)", "Release(4)"}, nil)
	expect(t, "v3", is(caba(s, 5), 3))
	holds(t, m, "v3", s, "CabaNsMatchesParent", true)
}

// A caba that is released is the use-after-free from every reader.
func TestPidnsNScabaFreed(t *testing.T) {
	m := NewModel(4, "v3", pidnsActs)
	// Example 1 of examples.md inside a namespace: thread 3 creates thread
	// 4 (caba 3); 3 exits and is released.
	s := run(t, m, []string{"ForkNewpid(1)", "Clone(2)", "Clone(3)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)"}, nil)
	for _, r := range []int{1, 2} {
		if _, freed := m.NScabaIn(&s, 4, r); !freed {
			t.Errorf("NScaba of 4 in %d: not freed", r)
		}
	}
	holds(t, m, "freed", s, "NScabaNamesVisibleTask", false)
}

// A caba in a sibling namespace (not reachable by any action: every caba is
// in its task's namespace or an ancestor) prints numbers of a namespace the
// reader is not in; here they coincide with the reader's own init's NSpid,
// and NScabaNamesVisibleTask still fails (docs/model.md "changed:").
func TestPidnsSiblingCaba(t *testing.T) {
	m := NewModel(4, "v3", pidnsActs)
	s := run(t, m, []string{"ForkNewpid(1)", "ForkNewpid(1)", "Fork(3)"}, nil)
	holds(t, m, "reachable", s, "NScabaNamesVisibleTask", true)
	s.Caba[4] = 2
	nscaba(t, m, s, 4, 3, 1)
	nspid(t, m, s, 3, 3, 1)
	holds(t, m, "sibling", s, "NScabaNamesVisibleTask", false)
}
