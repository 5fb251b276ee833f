package linux_test

import (
	"os"
	"strings"
	"testing"

	"cabacheck/explorer"
	"cabacheck/invariants"
	"cabacheck/spec/linux"
	"cabacheck/spec/reference"
)

// The model agrees with spec/reference, an independent implementation of
// model.md written from the page alone: same distinct states, same
// transitions, same depth, for every revision and action set at small
// bounds (tasks 5 with CABACHECK_LONG=1).
func TestDifferentialCounts(t *testing.T) {
	maxTasks := 4
	if os.Getenv("CABACHECK_LONG") == "1" {
		maxTasks = 5
	}
	sets := map[string]linux.ActionSet{"default": linux.DefaultActions, "all": linux.AllActions, "none": 0,
		"threads": linux.Threads, "exec": linux.Threads | linux.Exec, "clone-parent,subreaper": linux.CloneParent | linux.Subreaper}
	for tasks := 2; tasks <= maxTasks; tasks++ {
		for name, set := range sets {
			if tasks == 5 && name == "all" {
				continue
			}
			for _, rev := range []linux.Revision{linux.Seed, linux.V3, linux.V4} {
				m := linux.MustNew(linux.Options{Tasks: tasks, Revision: rev, Actions: set})
				s, err := explorer.Run(m, explorer.Config{Workers: 2})
				if err != nil {
					t.Fatal(err)
				}
				var acts []string
				if set != 0 {
					acts = strings.Split(set.String(), ",")
				}
				ref := reference.Explore(tasks, rev.String(), acts)
				got := s.Result
				// The reference counts the initial state as generated, as TLC does.
				gen := got.Generated
				if uint64(ref.Generated) == gen+1 {
					gen++
				}
				if got.Distinct != uint64(ref.Distinct) || gen != uint64(ref.Generated) || got.Depth != ref.Depth {
					t.Errorf("tasks %d %s %s: distinct/generated/depth %d/%d/%d, reference %d/%d/%d",
						tasks, rev, name, got.Distinct, got.Generated, got.Depth, ref.Distinct, ref.Generated, ref.Depth)
				}
			}
		}
	}
}

// Shortest violation lengths agree with the reference for every invariant.
func TestDifferentialShortestViolations(t *testing.T) {
	const tasks = 4
	for _, rev := range []linux.Revision{linux.Seed, linux.V3, linux.V4} {
		m := linux.MustNew(linux.Options{Tasks: tasks, Revision: rev, Actions: linux.DefaultActions})
		invs := invariants.All()
		s, err := explorer.Run(m, explorer.Config{Workers: 2, Checker: invariants.NewChecker(tasks, invs), Continue: true})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, v := range s.Result.Violations {
			got[v.Invariant] = v.Depth
		}
		for _, inv := range invs {
			violated, length := reference.Check(tasks, rev.String(), strings.Split(linux.DefaultActions.String(), ","), inv.Name)
			mine, ok := got[inv.Name]
			if violated != ok || (ok && mine != length) {
				t.Errorf("%s %s: checker violated=%v length=%d, reference violated=%v length=%d", rev, inv.Name, ok, mine, violated, length)
			}
		}
	}
}
