package reference

import (
	"fmt"
	"strings"
	"testing"
)

func builtin(t *testing.T, name string) Revision {
	t.Helper()
	r, ok := Builtin(name)
	if !ok {
		t.Fatalf("no built-in %s", name)
	}
	return r
}

// The built-in table: every entry valid, round-trips through Choices, and
// NewModel by name is NewModelRev of the entry.
func TestBuiltinTable(t *testing.T) {
	if got := strings.Join(BuiltinNames(), ","); got != "seed,v3,v4,fixed" {
		t.Errorf("built-ins %s", got)
	}
	for _, r := range Builtins() {
		if err := r.Validate(); err != nil {
			t.Error(err)
		}
		back, err := RevisionOf(r.Name, r.Choices())
		if err != nil || back != r {
			t.Errorf("%s: round trip %v, %v", r.Name, back, err)
		}
		if m := NewModel(2, r.Name, nil); m.Revision != r {
			t.Errorf("%s: NewModel has %v", r.Name, m.Revision)
		}
	}
	if builtin(t, "seed").IntendedInvariant() != "CabaClosestNotified" || builtin(t, "fixed").IntendedInvariant() != "CabaClosestHashed" {
		t.Error("intended readings")
	}
}

func TestRevisionOfErrors(t *testing.T) {
	c := builtin(t, "v3").Choices()
	c["new_caba"] = "nearest"
	if _, err := RevisionOf("x", c); err == nil || !strings.Contains(err.Error(), "new_caba") {
		t.Errorf("bad value: %v", err)
	}
	c = builtin(t, "v3").Choices()
	delete(c, "alive")
	if _, err := RevisionOf("x", c); err == nil || !strings.Contains(err.Error(), "alive") {
		t.Errorf("missing key: %v", err)
	}
	c = builtin(t, "v3").Choices()
	c["colour"] = "red"
	if _, err := RevisionOf("x", c); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown key: %v", err)
	}
}

// fixed, item 1 of findings.md "The fix": a new thread takes its leader's
// caba, so v3's 2-step ThreadsAgreeOnCaba and example 1's dangling thread
// caba are gone.
func TestFixedThreadTakesLeaderCaba(t *testing.T) {
	m := NewModel(4, "fixed", DefaultActions)
	steps := []string{"Fork(1)", "Clone(2)", "Clone(3)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)"}
	run(t, m, steps, func(k int, s State) {
		ctx := fmt.Sprintf("fixed step %d", k)
		switch k {
		case 2:
			expect(t, ctx, is(caba(s, 3), 1), is(parent(s, 3), 1), is(cabd(s, 3), int(None)))
		case 3:
			expect(t, ctx, is(caba(s, 4), 1))
		}
		if v := m.Violated(&s); len(v) > 0 && !(len(v) == 1 && v[0] == "CabaClosestNotified") {
			t.Errorf("%s: violates %v", ctx, v)
		}
	})
	// A thread of a process reparented away from its creator (example 3's
	// shape at 4 tasks) still takes the process's caba, not real_parent.
	s := run(t, m, []string{"Fork(1)", "Fork(2)", "ExitBegin(2)", "ExitNotify(2)", "Clone(3)"}, nil)
	expect(t, "fixed reparented", is(parent(s, 3), 1), is(caba(s, 3), 2), is(caba(s, 4), 2), is(parent(s, 4), 1))
}

// fixed, item 2: de_thread gives the exec'ing thread the old leader's caba
// with its cabd link (v3 keeps the thread's own caba: CabdListMatchesCaba
// fails there in 6 steps).
func TestFixedDeThreadCopiesCaba(t *testing.T) {
	steps := []string{"Fork(1)", "Clone(2)", "ExitBegin(2)", "ExitNotify(2)", "ExecBegin(3)", "ExecSwap(3)"}
	for _, rev := range []string{"v3", "fixed"} {
		m := NewModel(4, rev, DefaultActions)
		s := run(t, m, steps, nil)
		want := 1
		if rev == "v3" {
			want = 2
		}
		expect(t, rev, is(caba(s, 3), want), is(cabd(s, 3), 1), is(st(s, 2), int(Dead)))
		holds(t, m, rev, s, "CabdListMatchesCaba", rev == "fixed")
		s, err := m.Step(s, "Release(2)")
		if err != nil {
			t.Fatal(err)
		}
		holds(t, m, rev, s, "NoDanglingCaba", rev == "fixed")
	}
}

// findings.md's matrix for fixed, at 4 tasks: every invariant holds but
// CabaClosestNotified, violated in 4 steps (the other reading of alive).
func TestFixedVerdicts(t *testing.T) {
	m := NewModel(4, "fixed", DefaultActions)
	got := m.Shortest(InvariantNames)
	if len(got) != 1 || len(got["CabaClosestNotified"]) != 4 {
		t.Errorf("fixed at 4 tasks: violated %v, want only CabaClosestNotified in 4 steps", got)
	}
	for _, name := range []string{"v3", "v4"} {
		if got := NewModel(4, name, DefaultActions).Shortest(InvariantNames); len(got) < 3 {
			t.Errorf("%s at 4 tasks: violated only %v", name, got)
		}
	}
}

// Shortest finds the same traces as CheckTrace, invariant by invariant.
func TestShortestMatchesCheckTrace(t *testing.T) {
	for _, name := range BuiltinNames() {
		m := NewModel(3, name, AllActions)
		all := m.Shortest(InvariantNames)
		for _, inv := range InvariantNames {
			v, tr := m.CheckTrace(inv)
			got, ok := all[inv]
			if v != ok || strings.Join(tr, " ") != strings.Join(got, " ") {
				t.Errorf("%s %s: CheckTrace %v %v, Shortest %v %v", name, inv, v, tr, ok, got)
			}
		}
	}
}

// hand_off = exit-notify with new_caba = forget: at exit_notify a thread
// hands its cabds to its leader, which may itself be past exit_notify (a
// delayed zombie): nothing hands them on again, so they dangle once the
// leader is released, and the cabd's own unlink at its release writes into
// the freed list head (a use-after-free).
func TestForgetAtExitNotify(t *testing.T) {
	r := builtin(t, "v3")
	r.Name, r.HandOff = "forget-at-exit", AtExitNotify
	m := NewModelRev(4, r, DefaultActions)
	steps := []string{"Fork(1)", "Clone(2)", "ExitBegin(2)", "ExitNotify(2)", "Fork(3)", "ExitBegin(3)", "ExitNotify(3)",
		"Release(3)", "Reap(1,2)", "Release(2)", "ExitBegin(4)", "ExitNotify(4)", "Reap(1,4)", "Release(4)"}
	run(t, m, steps, func(k int, s State) {
		ctx := fmt.Sprintf("step %d", k)
		switch k {
		case 5:
			expect(t, ctx, is(caba(s, 4), 3), is(cabd(s, 4), 3))
		case 7: // 3 (a thread) hands 4 to its leader 2, a delayed zombie
			expect(t, ctx, is(st(s, 2), int(Zombie)), is(caba(s, 4), 2), is(cabd(s, 4), 2), is(parent(s, 4), 1), is(st(s, 3), int(Dead)))
		case 8: // no hand-off at release
			expect(t, ctx, is(caba(s, 4), 2))
		}
		holds(t, m, ctx, s, "NoDanglingCaba", k < 10 || k == 14)
		holds(t, m, ctx, s, "NoUseAfterFree", k < 14)
	})
	// The same hand-off target in release_task (v3) is no use-after-free:
	// the zombie leader hands 4 on when it is released.
	s := run(t, NewModel(4, "v3", DefaultActions), steps[:10], nil)
	expect(t, "v3", is(caba(s, 4), 1), is(cabd(s, 4), 1))
}

// hand_off = release with new_caba = alive-then-chain: find_new_caba runs
// in release_task, so a zombie stays a caba until it is released, and the
// walk then starts from the released task's own caba.
func TestChainAtRelease(t *testing.T) {
	r := builtin(t, "seed")
	r.Name, r.HandOff = "chain-at-release", AtRelease
	m := NewModelRev(4, r, DefaultActions)
	s := run(t, m, []string{"Fork(1)", "Fork(2)", "Fork(3)", "ExitBegin(3)", "ExitNotify(3)"}, nil)
	expect(t, "after ExitNotify(3)", is(caba(s, 4), 3), is(parent(s, 4), 1), is(st(s, 3), int(Zombie)))
	holds(t, m, "after ExitNotify(3)", s, "CabaClosestHashed", true)
	s = run(t, m, []string{"Fork(1)", "Fork(2)", "Fork(3)", "ExitBegin(3)", "ExitNotify(3)", "Reap(2,3)", "Release(3)"}, nil)
	expect(t, "after Release(3)", is(caba(s, 4), 2), is(cabd(s, 4), 2))
	// the same with 2 gone first: the walk skips 2's group (no alive thread)
	s = run(t, m, []string{"Fork(1)", "Fork(2)", "Fork(3)", "ExitBegin(2)", "ExitNotify(2)", "ExitBegin(3)", "ExitNotify(3)", "Reap(1,3)", "Release(3)"}, nil)
	expect(t, "2 exited first", is(st(s, 2), int(Zombie)), is(caba(s, 4), 1), is(cabd(s, 4), 1))
}
