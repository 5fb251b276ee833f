package invariants

import (
	"cabacheck/restore"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// Names of the restorability checks (group restore, not part of "all").
const (
	RestorableCRIU = "RestorableCRIU"
	RestorableCABA = "RestorableCABA"
)

// restoreInvariants are the restorability checks (group restore): CRIU's
// planner rebuilds the tree of every dumpable state; the CABA planner
// rebuilds the tree and, on a re-dump, the caba values. A state CRIU does
// not dump holds trivially (restore.Dumpable). Both depend on the revision
// (what NScaba prints, and the kernel the plan runs on).
var restoreInvariants = []entry{
	{Invariant: Invariant{Name: RestorableCRIU, Group: "restore",
		Description: "CRIU's planner (prepare_pstree_ids and its restore order) rebuilds the tree of every dumpable state: pids, parents, sessions, groups, zombies, threads, subreapers"},
		bind: restorable("criu", false)},
	{Invariant: Invariant{Name: RestorableCABA, Group: "restore",
		Description: "the CABA planner (the caba tree decides who creates whom and where helpers go) rebuilds the tree and the caba values of every dumpable state"},
		bind: restorable("caba", true)},
}

func restorable(planner string, caba bool) func(rev linux.Revision) func(*state.State, *[]string) bool {
	want := restore.OutTree
	if caba {
		want = restore.OutCaba
	}
	return func(rev linux.Revision) func(*state.State, *[]string) bool {
		c, err := restore.NewChecker(rev, planner) // one memo per bound invariant, so per run
		if err != nil {
			return func(_ *state.State, why *[]string) bool {
				fail(why, "%v", err)
				return false
			}
		}
		return func(s *state.State, why *[]string) bool {
			out := c.Outcome(s)
			if out&restore.OutDumpable == 0 || out&want != 0 {
				return true
			}
			if why != nil {
				v := c.Explain(s)
				fail(why, "%s", v.Why(caba))
			}
			return false
		}
	}
}
