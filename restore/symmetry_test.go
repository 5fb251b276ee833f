package restore

import (
	"testing"

	"cabacheck/explorer"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// TestOutcomeSymmetric checks what `--symmetry` relies on for the restore
// checks: the engine evaluates an invariant on a class's representative
// only, so each planner's outcome must be the same on a state and on its
// representative (a permutation of the born slots, that is, of pids). A
// planner whose verdict depended on the order of pids (which helper pid it
// takes, which child it visits first) would fail here.
func TestOutcomeSymmetric(t *testing.T) {
	opt := linux.Options{Tasks: 4, Revision: linux.V3, Actions: linux.DefaultActions | linux.Sessions}
	limit := uint64(150000)
	if testing.Short() {
		limit = 30000
	}
	m := linux.MustNew(opt)
	s, err := explorer.Run(m, explorer.Config{Workers: 2, MaxStates: limit})
	if err != nil {
		t.Fatal(err)
	}
	var checkers []*Checker
	for _, rev := range linux.Revisions() {
		for _, p := range []string{"criu", "caba"} {
			c, err := NewChecker(rev, p)
			if err != nil {
				t.Fatal(err)
			}
			checkers = append(checkers, c)
		}
	}
	moved, checked := 0, 0
	for i := uint32(0); uint64(i) < s.Result.Distinct; i += 31 {
		c, acts, err := s.State(m, i)
		if err != nil {
			t.Fatal(err)
		}
		var st state.State
		st.Decode(c, opt.Tasks)
		rep := st.SymmetryCanonical()
		if rep != st {
			moved++
		}
		for _, ch := range checkers {
			if a, b := ch.Outcome(&st), ch.Outcome(&rep); a != b {
				t.Fatalf("%s/%s: outcome %b on the state reached by %v, %b on its representative:\n%+v\n%+v", ch.rev, ch.planner.Name(), a, acts, b, st, rep)
			}
			checked++
		}
	}
	if moved == 0 || checked == 0 {
		t.Fatalf("nothing checked (%d states moved by the canonical form, %d outcomes)", moved, checked)
	}
	t.Logf("%d outcomes compared, %d states whose representative differs", checked, moved)
}
