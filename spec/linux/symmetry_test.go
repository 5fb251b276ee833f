package linux_test

import (
	"math/rand"
	"testing"

	"cabacheck/explorer"
	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// Verdicts and shortest counterexample lengths are the same with and
// without symmetry reduction, for every revision and invariant (one search
// per revision with --continue records the first violation of each); every
// mapped counterexample replays in the unreduced model to a violating state.
func TestSymmetrySameVerdicts(t *testing.T) {
	for _, tasks := range []int{3, 4} {
		for _, rev := range linux.Revisions() {
			sameVerdicts(t, linux.Options{Tasks: tasks, Revision: rev, Actions: linux.AllActions}, invariants.All(), false)
		}
	}
}

// The same with the sessions sets (setsid, setpgid, execve) at small bounds:
// ids are renamed with their groups and compared for equality only, so the
// reduction stays exact.
func TestSymmetrySessions(t *testing.T) {
	for _, c := range []struct {
		tasks   int
		actions linux.ActionSet
	}{
		{3, linux.AllActions | linux.Sessions | linux.Execve},
		{4, linux.Threads | linux.Sessions},
		{4, linux.CloneParent | linux.Sessions},
	} {
		for _, rev := range linux.Revisions() {
			sameVerdicts(t, linux.Options{Tasks: c.tasks, Revision: rev, Actions: c.actions}, invariants.All(), rev == linux.V3)
		}
	}
}

// sameVerdicts checks, for the invariants invs of the model opt, that
// verdicts and shortest lengths are equal with and without symmetry and
// that every mapped counterexample replays in the unreduced model to a
// violating state; with classes, that the reduced search has exactly one
// state per class of the unreduced states.
func sameVerdicts(t *testing.T, opt linux.Options, invs []invariants.Invariant, classes bool) {
	t.Helper()
	tasks, rev := opt.Tasks, opt.Revision
	name := rev.String() + " " + opt.Actions.String()
	ch := invariants.NewChecker(tasks, invs)
	full, err := explorer.Run(linux.MustNew(opt), explorer.Config{Workers: 2, Checker: ch, Continue: true})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := linux.NewSymmetric(opt)
	if err != nil {
		t.Fatal(err)
	}
	red, err := explorer.Run(sm, explorer.Config{Workers: 2, Checker: ch, Continue: true})
	if err != nil {
		t.Fatal(err)
	}
	if full.Result.Depth != red.Result.Depth || red.Result.Distinct > full.Result.Distinct {
		t.Errorf("tasks %d %s: depth %d / %d states with symmetry, %d / %d without", tasks, name,
			red.Result.Depth, red.Result.Distinct, full.Result.Depth, full.Result.Distinct)
	}
	depth := map[string]int{}
	for _, v := range full.Result.Violations {
		depth[v.Invariant] = v.Depth
	}
	if len(red.Result.Violations) != len(full.Result.Violations) {
		t.Errorf("tasks %d %s: violations %v with symmetry, %v without", tasks, name, red.Result.Violations, full.Result.Violations)
	}
	m := linux.MustNew(opt)
	for _, v := range red.Result.Violations {
		if d, ok := depth[v.Invariant]; !ok || d != v.Depth {
			t.Errorf("tasks %d %s %s: shortest trace %d steps with symmetry; without: %d (violated %v)", tasks, name, v.Invariant, v.Depth, d, ok)
			continue
		}
		_, acts, err := red.Path(v.State)
		if err != nil {
			t.Fatal(err)
		}
		conc, err := sm.Concrete(acts)
		if err != nil {
			t.Fatalf("tasks %d %s %s: %v", tasks, name, v.Invariant, err)
		}
		cur := m.Initial()
		for i, a := range conc {
			var next state.State
			if !m.Step(&cur, a, &next) {
				t.Fatalf("tasks %d %s %s: concrete step %d %s not enabled", tasks, name, v.Invariant, i+1, linux.FormatAction(a))
			}
			cur = next
		}
		inv, _ := invariants.ByName(v.Invariant, rev)
		if len(conc) != v.Depth || inv.Holds(&cur) {
			t.Errorf("tasks %d %s %s: the concrete trace of %d steps ends in a state where the invariant holds", tasks, name, v.Invariant, len(conc))
		}
	}
	if classes {
		if n := countClasses(t, m); n != red.Result.Distinct {
			t.Errorf("tasks %d %s: %d states with symmetry, but the unreduced states fall into %d classes", tasks, name, red.Result.Distinct, n)
		}
	}
	t.Logf("tasks %d %s: %d -> %d states (factor %.2f), %d violated invariants", tasks, name,
		full.Result.Distinct, red.Result.Distinct, float64(full.Result.Distinct)/float64(red.Result.Distinct), len(red.Result.Violations))
}

// countClasses explores m (a plain breadth-first search) and returns the
// number of distinct symmetry representatives among its reachable states:
// an exact reduction explores exactly one state per class.
func countClasses(t *testing.T, m *linux.Model) uint64 {
	t.Helper()
	tasks := m.Options().Tasks
	init := m.InitialStates()[0]
	seen := map[string]bool{string(init): true}
	queue := [][]byte{init}
	reps := map[string]bool{}
	gen := m.NewGenerator()
	var s state.State
	b := make([]byte, m.StateSize())
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		s.Decode(cur, tasks)
		r := s.SymmetryCanonical()
		r.Encode(b)
		reps[string(b)] = true
		gen.Successors(cur, func(_ spec.Action, next []byte) {
			if !seen[string(next)] {
				seen[string(next)] = true
				queue = append(queue, append([]byte(nil), next...))
			}
		})
	}
	return uint64(len(reps))
}

// The reduced search has fewer states and the same depth.
func TestSymmetryReduces(t *testing.T) {
	opt := linux.Options{Tasks: 4, Revision: linux.V3, Actions: linux.AllActions}
	full, _ := explorer.Run(linux.MustNew(opt), explorer.Config{Workers: 2})
	sm, _ := linux.NewSymmetric(opt)
	red, _ := explorer.Run(sm, explorer.Config{Workers: 2})
	if red.Result.Distinct >= full.Result.Distinct || red.Result.Depth != full.Result.Depth {
		t.Errorf("%d states depth %d with symmetry, %d depth %d without", red.Result.Distinct, red.Result.Depth, full.Result.Distinct, full.Result.Depth)
	}
	t.Logf("tasks 4 v3, all actions: %d -> %d states (factor %.2f)", full.Result.Distinct, red.Result.Distinct, float64(full.Result.Distinct)/float64(red.Result.Distinct))
}

// The representative does not depend on which member of the class is
// canonicalised: random merged permutations of reachable states give the
// same representative.
func TestSymmetryCanonicalInvariant(t *testing.T) {
	canonicalInvariant(t, linux.Options{Tasks: 5, Revision: linux.Seed, Actions: linux.AllActions})
	canonicalInvariant(t, linux.Options{Tasks: 5, Revision: linux.V3, Actions: linux.AllActions | linux.Sessions | linux.Execve})
}

func canonicalInvariant(t *testing.T, opt linux.Options) {
	if canonicalUnderPerms(t, opt, randomMergedPerm, nil) == 0 {
		t.Fatal("nothing checked")
	}
}

// canonicalUnderPerms canonicalises every 97th state of a bounded search and
// 5 random permutations of it drawn by perm, fails when one changes the
// representative, calls visit (if not nil) on each state, and returns the
// number of permutations checked.
func canonicalUnderPerms(t *testing.T, opt linux.Options, perm func(*rand.Rand, *state.State) [state.Slots]uint8, visit func(*state.State)) int {
	t.Helper()
	m := linux.MustNew(opt)
	s, err := explorer.Run(m, explorer.Config{Workers: 2, MaxStates: 200000})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	checked := 0
	for i := uint32(0); uint64(i) < s.Result.Distinct; i += 97 {
		c, _, err := s.State(m, i)
		if err != nil {
			t.Fatal(err)
		}
		var st state.State
		st.Decode(c, opt.Tasks)
		if visit != nil {
			visit(&st)
		}
		want := st.SymmetryCanonical()
		for k := 0; k < 5; k++ {
			pm := perm(rng, &st)
			p := st.Permute(&pm)
			if got := p.SymmetryCanonical(); got != want {
				t.Fatalf("state %d: permutation %v changes the representative:\n%+v\n%+v\n%+v\n%+v", i, pm[:opt.Tasks+1], st, p, want, got)
			}
			checked++
		}
	}
	return checked
}

// randomMergedPerm draws a permutation of the born slots 2.. that keeps the
// order of each group's Running threads.
func randomMergedPerm(rng *rand.Rand, s *state.State) [state.Slots]uint8 {
	var perm [state.Slots]uint8
	for i := range perm {
		perm[i] = uint8(i)
	}
	var born []uint8
	for i := uint8(2); i <= s.N; i++ {
		if s.St[i] != state.Unborn {
			born = append(born, i)
		}
	}
	for {
		order := append([]uint8(nil), born...)
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for k, old := range order {
			perm[old] = uint8(k + 2)
		}
		ok := true
		for _, a := range born {
			for _, b := range born {
				if a < b && s.St[a] == state.Running && s.St[b] == state.Running && s.Tg[a] == s.Tg[b] && perm[a] > perm[b] {
					ok = false
				}
			}
		}
		if ok {
			return perm
		}
	}
}
