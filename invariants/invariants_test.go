package invariants_test

import (
	"strings"
	"testing"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

func after(t *testing.T, rev linux.Revision, tasks int, acts string) state.State {
	t.Helper()
	return afterWith(t, rev, linux.AllActions, tasks, acts)
}

// afterWith applies acts (separated by ";") from the initial state of a
// model with the given optional actions.
func afterWith(t *testing.T, rev linux.Revision, actions linux.ActionSet, tasks int, acts string) state.State {
	t.Helper()
	m := linux.MustNew(linux.Options{Tasks: tasks, Revision: rev, Actions: actions})
	cur := m.Initial()
	for _, f := range strings.Split(acts, ";") {
		a, err := linux.ParseAction(f)
		if err != nil {
			t.Fatal(err)
		}
		var next state.State
		if !m.Step(&cur, a, &next) {
			t.Fatalf("%s not enabled", f)
		}
		cur = next
	}
	return cur
}

func TestAllHoldInitially(t *testing.T) {
	s := state.Initial(5)
	for _, inv := range invariants.All() {
		if !inv.Holds(&s) || inv.Explain(&s) != nil {
			t.Errorf("%s fails in the initial state", inv.Name)
		}
	}
}

// Each CABA invariant fails on a state the model reaches (shortest traces
// from docs/findings.md), and says which task breaks it.
func TestCabaInvariantsFail(t *testing.T) {
	cases := []struct {
		inv, acts, why string
		rev            linux.Revision
	}{
		{"NoDanglingCaba", "Fork(1);Clone(2);Clone(3);ExitBegin(3);ExitNotify(3);Release(3)", "task 4", linux.V3},
		{"NoUseAfterFree", "Fork(1);Fork(2);Clone(2);ExitBegin(2);ExitNotify(2);ExecBegin(4);ExecSwap(4);Release(2);ExitBegin(4);ExitNotify(4);Reap(1, 4);Release(4)", "released task_struct", linux.V3},
		{"CabdListMatchesCaba", "Fork(1);Clone(2);ExitBegin(2);ExitNotify(2);ExecBegin(3);ExecSwap(3)", "leader 3", linux.V3},
		{"ThreadsAgreeOnCaba", "Fork(1);Clone(2)", "task 3", linux.V3},
		{"CabaClosestHashed", "Fork(1);ForkParent(2)", "leader 3", linux.Seed},
		{"CabaClosestNotified", "Fork(1);Fork(2);ExitBegin(2);ExitNotify(2)", "leader 3", linux.V3},
	}
	for _, c := range cases {
		inv, ok := invariants.ByName(c.inv, c.rev)
		if !ok {
			t.Fatalf("no invariant %s", c.inv)
		}
		s := after(t, c.rev, 5, c.acts)
		why := inv.Explain(&s)
		if inv.Holds(&s) || len(why) == 0 || !strings.Contains(strings.Join(why, " "), c.why) {
			t.Errorf("%s: holds=%v why=%v", c.inv, inv.Holds(&s), why)
		}
	}
}

// The sanity invariants are never violated by the model, so they are checked
// on hand-broken states.
func TestSanityInvariantsDetect(t *testing.T) {
	base := after(t, linux.Seed, 5, "Fork(1);Clone(2);Fork(2)")
	broken := map[string]func(s *state.State){
		"ParentHashed":         func(s *state.State) { s.St[1] = state.Released },
		"ThreadsShareParent":   func(s *state.State) { s.Parent[3] = 2 },
		"OneLeaderPerGroup":    func(s *state.State) { s.Leader[2] = 4 },
		"ExitedHaveNoChildren": func(s *state.State) { s.St[2] = state.Zombie },
		"CabaAcyclic":          func(s *state.State) { s.Caba[2] = 4; s.Caba[4] = 2 },
	}
	for name, breakIt := range broken {
		inv, _ := invariants.ByName(name, linux.Seed)
		s := base
		if !inv.Holds(&s) {
			t.Fatalf("%s fails before breaking", name)
		}
		breakIt(&s)
		if inv.Holds(&s) || len(inv.Explain(&s)) == 0 {
			t.Errorf("%s did not detect the broken state", name)
		}
	}
}

func TestSelect(t *testing.T) {
	for list, want := range map[string]int{"all": 13, "sanity": 6, "caba": 7, "NoDanglingCaba,sanity": 7, "NoDanglingCaba,NoDanglingCaba": 1} {
		invs, err := invariants.Select(list, linux.Seed)
		if err != nil || len(invs) != want {
			t.Errorf("%q: %d invariants, %v; want %d", list, len(invs), err, want)
		}
	}
	for _, bad := range []string{"Nope", "", "sanity,Nope"} {
		if _, err := invariants.Select(bad, linux.Seed); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestChecker(t *testing.T) {
	invs, _ := invariants.Select("ThreadsAgreeOnCaba,NoDanglingCaba", linux.V3)
	c := invariants.NewChecker(5, invs)
	s := after(t, linux.V3, 5, "Fork(1);Clone(2)")
	b := make([]byte, state.Size(5))
	s.Encode(b)
	if got := c.Check(b); got != 1<<1 { // library order: NoDanglingCaba (bit 0), ThreadsAgreeOnCaba (bit 1)
		t.Errorf("mask %b, names %v", got, c.Names())
	}
}
