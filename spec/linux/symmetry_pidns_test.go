package linux_test

import (
	"math/rand"
	"os"
	"testing"

	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// Symmetry with pid namespaces (state/symmetry.go, docs/scale.md): the
// merged permutations keep the slot order of each namespace tree below the
// root, so pid numbers there do not change within a class.

// pidnsSymmetryCases are the action sets the exactness tests run, every
// revision each; the long ones only with CABACHECK_LONG=1.
var pidnsSymmetryCases = []struct {
	tasks   int
	actions string
	long    bool
}{
	{3, "clone-parent,subreaper,pidns", false},
	{3, "sessions,pidns", false},
	{3, "all,pidns", false},
	{4, "pidns", false},
	{3, "all,sessions,execve,pidns", true},
	{4, "default,pidns", true},
}

// Verdicts and shortest counterexample lengths of every invariant (groups
// sanity, caba, derived with the pidns ones, restore where its actions are
// on) are the same with and without symmetry; the reduced search reaches
// one state per class of the unreduced one; every mapped counterexample
// replays in the unreduced model to a violating state.
func TestSymmetryPidnsSameVerdicts(t *testing.T) {
	forPidnsCases(t, func(opt linux.Options) {
		invs, err := invariants.SelectFor("all,derived,restore", opt.Revision, opt.Actions)
		if err != nil {
			t.Fatal(err)
		}
		sameVerdicts(t, opt, invs, opt.Revision == linux.V3)
	})
}

// Every pid number outside the root, and so every NSpid and NScaba line a
// reader in a namespace below the root prints, is the same in a reachable
// state and in its representative (task u there is perm[u]); a reader in
// the root sees the same lines but for the first number, a slot, renamed
// with the permutation.
func TestSymmetryPidnsKeepsNumbers(t *testing.T) {
	forPidnsCases(t, func(opt linux.Options) { keepsNumbers(t, opt) })
}

// forPidnsCases calls f for every case of pidnsSymmetryCases (the long ones
// with CABACHECK_LONG=1) under every revision.
func forPidnsCases(t *testing.T, f func(linux.Options)) {
	t.Helper()
	long := os.Getenv("CABACHECK_LONG") == "1"
	for _, c := range pidnsSymmetryCases {
		if c.long && !long {
			continue
		}
		actions, err := linux.ParseActions(c.actions)
		if err != nil {
			t.Fatal(err)
		}
		for _, rev := range linux.Revisions() {
			f(linux.Options{Tasks: c.tasks, Revision: rev, Actions: actions})
		}
	}
}

func keepsNumbers(t *testing.T, opt linux.Options) {
	t.Helper()
	rev := opt.Revision
	lines := 0
	forEachReachable(t, linux.MustNew(opt), func(s *state.State) {
		rep, perm := s.SymmetryCanonicalPerm()
		if p := s.Permute(&perm); p != rep {
			t.Fatalf("%s: the representative is not the state permuted by its perm %v", rev, perm[:s.N+1])
		}
		for r := uint8(2); r <= s.N; r++ {
			if s.NsAlive(r) && s.PidNr(r, r) != rep.PidNr(perm[r], perm[r]) {
				t.Fatalf("%s: namespace %d's init has pid %d, %d in the representative", rev, r, s.PidNr(r, r), rep.PidNr(perm[r], perm[r]))
			}
		}
		for r := uint8(1); r <= s.N; r++ {
			if !s.NsAlive(r) {
				continue
			}
			for u := uint8(1); u <= s.N; u++ {
				if !s.Hashed(u) || !s.HasPidIn(u, r) {
					continue
				}
				a, _ := linux.NSpid(s, u, r)
				b, _ := linux.NSpid(&rep, perm[u], perm[r])
				if !sameLine(a, b, r, &perm) {
					t.Fatalf("%s: NSpid of %d read in namespace %d is %v, of %d in %d in the representative %v", rev, u, r, a.Numbers(), perm[u], perm[r], b.Numbers())
				}
				a, af := rev.NScabaIn(s, u, r)
				b, bf := rev.NScabaIn(&rep, perm[u], perm[r])
				if af != bf || !sameLine(a, b, r, &perm) {
					t.Fatalf("%s: NScaba of %d read in namespace %d is %v, of %d in %d in the representative %v", rev, u, r, a.Numbers(), perm[u], perm[r], b.Numbers())
				}
				if r != 1 {
					lines++
				}
			}
		}
	})
	if lines == 0 {
		t.Fatalf("tasks %d %s %s: no line read in a namespace below the root", opt.Tasks, rev, opt.Actions)
	}
}

// sameLine reports whether line b of the representative is line a of the
// state: equal, but for a root reader's first number, renamed by perm.
func sameLine(a, b linux.NsLine, reader uint8, perm *[state.Slots]uint8) bool {
	if reader == 1 && a.Len > 0 {
		a.Nr[0] = perm[a.Nr[0]]
	}
	return a.Equal(b)
}

// forEachReachable calls f on every reachable state of m (a plain
// breadth-first search).
func forEachReachable(t *testing.T, m *linux.Model, f func(*state.State)) {
	t.Helper()
	tasks := m.Options().Tasks
	init := m.InitialStates()[0]
	seen := map[string]bool{string(init): true}
	queue := [][]byte{init}
	gen := m.NewGenerator()
	var s state.State
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		s.Decode(cur, tasks)
		f(&s)
		gen.Successors(cur, func(_ spec.Action, next []byte) {
			if !seen[string(next)] {
				seen[string(next)] = true
				queue = append(queue, append([]byte(nil), next...))
			}
		})
	}
}

// The representative does not depend on which member of the class is
// canonicalised: random merged permutations (the order of each group's
// Running threads and of each namespace tree below the root kept) of
// reachable states give the same representative.
func TestSymmetryPidnsCanonicalInvariant(t *testing.T) {
	for _, opt := range []linux.Options{
		{Tasks: 5, Revision: linux.V3, Actions: linux.DefaultActions | linux.Pidns},
		{Tasks: 6, Revision: linux.Fixed, Actions: linux.AllActions | linux.Sessions | linux.Pidns},
	} {
		nested := 0
		checked := canonicalUnderPerms(t, opt, randomPidnsPerm, func(st *state.State) {
			if inNamespace(st) {
				nested++
			}
		})
		if nested == 0 {
			t.Fatalf("%v: no sampled state has a namespace below the root", opt)
		}
		t.Logf("tasks %d %s: %d permutations of %d states checked, %d of them with a namespace below the root", opt.Tasks, opt.Actions, checked, checked/5, nested)
	}
}

// inNamespace reports whether some born task is in a namespace below the root.
func inNamespace(s *state.State) bool {
	for i := uint8(2); i <= s.N; i++ {
		if s.St[i] != state.Unborn && s.Pidns[i] > 1 {
			return true
		}
	}
	return false
}

// randomPidnsPerm draws a permutation of the born slots 2.. that keeps the
// order of each group's Running threads (randomMergedPerm) and of the
// slots with a pid in each namespace below the root.
func randomPidnsPerm(rng *rand.Rand, s *state.State) [state.Slots]uint8 {
	for {
		perm := randomMergedPerm(rng, s)
		ok := true
		for k := uint8(2); k <= s.N && ok; k++ {
			if s.St[k] == state.Unborn || s.Pidns[k] != k {
				continue // k names no namespace
			}
			for a := uint8(2); a <= s.N && ok; a++ {
				for b := a + 1; b <= s.N && ok; b++ {
					if s.St[a] != state.Unborn && s.St[b] != state.Unborn && s.HasPidIn(a, k) && s.HasPidIn(b, k) && perm[a] > perm[b] {
						ok = false
					}
				}
			}
		}
		if ok {
			return perm
		}
	}
}

// The pair of states that shows why the order inside a namespace is kept:
// 1 forks 2 with CLONE_NEWPID, 2 forks 3 and 4 (pids 2 and 3 in namespace
// 2), then one of them begins its exit. Swapping slots 3 and 4 maps one
// state onto the other and keeps every group's Running threads in order
// (the merge of the model without namespaces, under which the reduction's
// verdicts would not change either: no transition or invariant reads a pid
// number outside the root), but inside namespace 2 the exiting task is pid
// 2 in one and pid 3 in the other: they are not merged. Two states that
// differ only in which of a container and a root process came first are.
func TestSymmetryPidnsPair(t *testing.T) {
	opt := linux.Options{Tasks: 5, Revision: linux.V3, Actions: linux.DefaultActions | linux.Pidns}
	m := linux.MustNew(opt)
	run := func(acts ...string) state.State {
		t.Helper()
		s := m.Initial()
		for _, name := range acts {
			a, err := linux.ParseAction(name)
			if err != nil {
				t.Fatal(err)
			}
			var next state.State
			if !m.Step(&s, a, &next) {
				t.Fatalf("%s not enabled", name)
			}
			s = next
		}
		return s
	}
	x := run("ForkNewpid(1)", "Fork(2)", "Fork(2)", "ExitBegin(3)")
	y := run("ForkNewpid(1)", "Fork(2)", "Fork(2)", "ExitBegin(4)")
	swap := identity()
	swap[3], swap[4] = 4, 3
	if x.Permute(&swap) != y {
		t.Fatal("swapping 3 and 4 does not map one state onto the other")
	}
	if x.PidNr(2, 3) != 2 || y.PidNr(2, 4) != 3 {
		t.Errorf("the exiting task's pid in namespace 2: %d and %d, want 2 and 3", x.PidNr(2, 3), y.PidNr(2, 4))
	}
	if x.SymmetryCanonical() == y.SymmetryCanonical() {
		t.Error("states with different pid numbers inside namespace 2 are merged")
	}

	a := run("ForkNewpid(1)", "Fork(1)", "Fork(2)")
	b := run("Fork(1)", "ForkNewpid(1)", "Fork(3)")
	swap = identity() // the container and the root process change places
	swap[2], swap[3] = 3, 2
	if a.Permute(&swap) != b {
		t.Fatal("swapping 2 and 3 does not map one state onto the other")
	}
	if a.SymmetryCanonical() != b.SymmetryCanonical() {
		t.Error("a container created before or after a root process: not merged")
	}
	if a.PidNr(2, 4) != 2 || b.PidNr(3, 4) != 2 {
		t.Errorf("pid of the container's child: %d and %d, want 2", a.PidNr(2, 4), b.PidNr(3, 4))
	}
}

func identity() [state.Slots]uint8 {
	var p [state.Slots]uint8
	for i := range p {
		p[i] = uint8(i)
	}
	return p
}
