package invariants

import (
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// pidnsInvariants read the model with pid namespaces (action set pidns;
// docs/model.md, "Optional: pid namespaces"). They are in group derived: they
// read the procfs views as readers in each namespace see them, and groups
// sanity and caba are model.md's own. With the set off every task is in the
// root namespace and they hold trivially (or restate base invariants).
var pidnsInvariants = []entry{
	needs(linux.Pidns, entry{Invariant: Invariant{Name: NScabaNamesVisibleTask, Group: "derived",
		Description: "for every pid namespace that sees a hashed task, its NScaba line is empty, 0 for init_task in the root, or the NSpid there of the caba (its process's for tgid), which that namespace sees; never a read of a freed caba"},
		bind: func(rev linux.Revision) func(*state.State, *[]string) bool {
			return func(s *state.State, why *[]string) bool { return nscabaNamesVisibleTask(rev, s, why) }
		}}),
	needs(linux.Pidns, fixed(CabaNsMatchesParent, "derived", "every hashed leader's caba (unless released) is in the pid namespace of its real_parent: a caba does not escape a container", cabaNsMatchesParent)),
	needs(linux.Pidns, fixed(ClosestHashedNS, "derived", "CabaClosestHashed as each non-root pid namespace sees it: the reader sees the caba's process exactly when it sees the intended one, and then they agree", func(s *state.State, why *[]string) bool {
		return cabaClosestNS(s, why, s.GroupHashed, "with a hashed task")
	})),
	needs(linux.Pidns, fixed(ClosestNotifiedNS, "derived", "CabaClosestNotified as each non-root pid namespace sees it: the reader sees the caba's process exactly when it sees the intended one, and then they agree", func(s *state.State, why *[]string) bool {
		return cabaClosestNS(s, why, s.GroupNotified, "not past exit_notify")
	})),
	needs(linux.Pidns, entry{Invariant: Invariant{Name: ClosestIntendedNS, Group: "derived"}, alias: func(rev linux.Revision) string {
		if IntendedReading(rev) == ClosestNotified {
			return ClosestNotifiedNS
		}
		return ClosestHashedNS
	}}),
}

// Names of the pid namespace invariants.
const (
	NScabaNamesVisibleTask = "NScabaNamesVisibleTask"
	CabaNsMatchesParent    = "CabaNsMatchesParent"
	ClosestHashedNS        = "CabaClosestHashedNS"
	ClosestNotifiedNS      = "CabaClosestNotifiedNS"
	ClosestIntendedNS      = "CabaClosestIntendedNS"
)

// readers calls f for every alive namespace (the readers of procfs).
func readers(s *state.State, f func(r uint8)) {
	for r := uint8(1); r <= s.N; r++ {
		if s.NsAlive(r) {
			f(r)
		}
	}
}

func nscabaNamesVisibleTask(rev linux.Revision, s *state.State, why *[]string) bool {
	ok := true
	for u := uint8(1); u <= s.N; u++ {
		if !s.Hashed(u) {
			continue
		}
		readers(s, func(r uint8) {
			if !s.HasPidIn(u, r) {
				return
			}
			line, freed := rev.NScabaIn(s, u, r)
			switch {
			case freed:
				ok = false
				fail(why, "task %d read in namespace %d: NScaba reads its caba %d, which is Released (freed task_struct)", u, r, s.Caba[u])
			case line.Len == 0:
			case s.Caba[u] == 0:
				if r != 1 {
					ok = false
					if why != nil { // formatting boxes its arguments: only when asked
						fail(why, "task %d read in namespace %d: NScaba prints %v for init_task", u, r, line.Numbers())
					}
				}
			case !s.HasPidIn(s.Caba[u], r):
				// The line is the caba's numbers in its own namespaces at the
				// reader's levels: a reader that cannot see it reads
				// numbers of its siblings' namespaces as if they were its own.
				ok = false
				if why != nil {
					fail(why, "task %d read in namespace %d: NScaba prints %v, the numbers of caba %d in namespaces the reader is not in (it is in namespace %d)", u, r, line.Numbers(), s.Caba[u], s.Pidns[s.Caba[u]])
				}
			}
		})
	}
	return ok
}

// nsOf is the pid namespace of task x, the root for init_task.
func nsOf(s *state.State, x uint8) uint8 {
	if x == 0 {
		return 1
	}
	return s.Pidns[x]
}

func cabaNsMatchesParent(s *state.State, why *[]string) bool {
	ok := true
	for p := uint8(2); p <= s.N; p++ {
		if !s.Hashed(p) || !s.IsLeader(p) {
			continue
		}
		c, par := s.Caba[p], s.Parent[p]
		if c != 0 && !s.Hashed(c) {
			continue // NoDanglingCaba's finding
		}
		if a, b := nsOf(s, c), nsOf(s, par); a != b {
			ok = false
			fail(why, "leader %d (namespace %d): caba %d is in namespace %d, its real_parent %d in namespace %d", p, s.Pidns[p], c, a, par, b)
		}
	}
	return ok
}

// sees reports whether a reader in r sees process g (its founding slot has
// a pid in r); init_task (0) is seen only from the root, where it prints 0,
// but as a process it is nothing a container sees.
func sees(s *state.State, g, r uint8) bool { return g != 0 && s.HasPidIn(g, r) }

func cabaClosestNS(s *state.State, why *[]string, alive func(uint8) bool, what string) bool {
	ok := true
	readers(s, func(r uint8) {
		if r == 1 {
			return // the root reader is the base invariant
		}
		for p := uint8(2); p <= s.N; p++ {
			if !s.Hashed(p) || !s.IsLeader(p) || !s.HasPidIn(p, r) {
				continue
			}
			want := closestBorn(s, p, alive)
			got := s.Tg[s.Caba[p]]
			sw, sg := sees(s, want, r), sees(s, got, r)
			if sw == sg && (!sw || want == got) {
				continue
			}
			ok = false
			if why == nil { // formatting boxes its arguments: only when asked
				continue
			}
			switch {
			case !sg:
				fail(why, "namespace %d: leader %d's caba %d (process %d) is not visible, but the closest born ancestor %s, process %d, is", r, p, s.Caba[p], got, what, want)
			case !sw:
				fail(why, "namespace %d: leader %d's caba %d (process %d) is visible, but the closest born ancestor %s, process %d, is not", r, p, s.Caba[p], got, what, want)
			default:
				fail(why, "namespace %d: leader %d's caba %d is in process %d, but the closest born ancestor %s is process %d", r, p, s.Caba[p], got, what, want)
			}
		}
	})
	return ok
}
