package reference

import "sort"

// Invariant names (part of the interface of model.md).
var InvariantNames = []string{
	"ParentHashed", "ThreadsShareParent", "OneLeaderPerGroup", "ExitedHaveNoChildren",
	"NoDanglingCaba", "NoUseAfterFree", "CabdListMatchesCaba", "ThreadsAgreeOnCaba",
	"CabaAcyclic", "CabaClosestHashed", "CabaClosestNotified",
	"PgrpInOneSession", "SessionLeaderLeadsPgrp",
}

// SanityNames are the invariants model.md calls kernel sanity (true of the
// base model whatever the revision; if one fails, the model is wrong),
// those of the optional sessions set included.
var SanityNames = []string{"ParentHashed", "ThreadsShareParent", "OneLeaderPerGroup", "ExitedHaveNoChildren",
	"PgrpInOneSession", "SessionLeaderLeadsPgrp"}

// Holds evaluates the named invariant on a (canonical) state. It panics on an
// unknown name.
func (m *Model) Holds(s *State, name string) bool {
	switch name {
	case "ParentHashed":
		return m.parentHashed(s)
	case "ThreadsShareParent":
		return m.threadsShareParent(s)
	case "OneLeaderPerGroup":
		return m.oneLeaderPerGroup(s)
	case "ExitedHaveNoChildren":
		return m.exitedHaveNoChildren(s)
	case "NoDanglingCaba":
		return m.noDanglingCaba(s)
	case "NoUseAfterFree":
		return !s.Corrupt
	case "CabdListMatchesCaba":
		return m.cabdListMatchesCaba(s)
	case "ThreadsAgreeOnCaba":
		return m.threadsAgreeOnCaba(s)
	case "CabaAcyclic":
		return m.cabaAcyclic(s)
	case "CabaClosestHashed":
		return m.cabaClosest(s, isHashedStatus)
	case "CabaClosestNotified":
		return m.cabaClosest(s, isNotifiedStatus)
	case "PgrpInOneSession":
		return m.pgrpInOneSession(s)
	case "SessionLeaderLeadsPgrp":
		return m.sessionLeaderLeadsPgrp(s)
	case "NScabaNamesVisibleTask":
		return m.nscabaNamesVisibleTask(s)
	case "CabaNsMatchesParent":
		return m.cabaNsMatchesParent(s)
	case "CabaClosestHashedNS":
		return m.cabaClosestNS(s, isHashedStatus)
	case "CabaClosestNotifiedNS":
		return m.cabaClosestNS(s, isNotifiedStatus)
	}
	panic("reference: unknown invariant " + name)
}

// isHashedStatus is CabaClosestHashed's reading of alive; isNotifiedStatus
// CabaClosestNotified's (not yet past exit_notify).
func isHashedStatus(st Status) bool {
	return st == Running || st == Exiting || st == Zombie || st == Dead
}

func isNotifiedStatus(st Status) bool { return st == Running || st == Exiting }

// Violated lists the names of the invariants that fail in s, sorted.
func (m *Model) Violated(s *State) []string {
	var v []string
	for _, n := range InvariantNames {
		if !m.Holds(s, n) {
			v = append(v, n)
		}
	}
	sort.Strings(v)
	return v
}

// hashedOrInitTask: x is 0 (init_task, never changes) or a hashed slot.
func hashedOrInitTask(s *State, x int) bool {
	return x == 0 || hashed(s, x)
}

// ParentHashed: every hashed task's parent is hashed (0 = init_task, for init).
func (m *Model) parentHashed(s *State) bool {
	for i := 1; i <= m.N; i++ {
		if hashed(s, i) && !hashedOrInitTask(s, int(s.Parent[i])) {
			return false
		}
	}
	return true
}

// ThreadsShareParent: any two hashed tasks of one group have the same parent.
func (m *Model) threadsShareParent(s *State) bool {
	for i := 1; i <= m.N; i++ {
		for j := 1; j <= m.N; j++ {
			if hashed(s, i) && hashed(s, j) && s.Tg[i] == s.Tg[j] && s.Parent[i] != s.Parent[j] {
				return false
			}
		}
	}
	return true
}

// OneLeaderPerGroup: every group with a hashed task has as leader a hashed
// task of that group (leader is a single field, so there is at most one).
func (m *Model) oneLeaderPerGroup(s *State) bool {
	for i := 1; i <= m.N; i++ {
		if !hashed(s, i) {
			continue
		}
		g := int(s.Tg[i])
		l := int(s.Leader[g])
		if l < 1 || !hashed(s, l) || int(s.Tg[l]) != g {
			return false
		}
	}
	return true
}

// ExitedHaveNoChildren: a task past exit_notify (Zombie, Dead or Released)
// has no children.
func (m *Model) exitedHaveNoChildren(s *State) bool {
	for i := 1; i <= m.N; i++ {
		switch s.St[i] {
		case Zombie, Dead, Released:
			if len(m.children(s, i)) > 0 {
				return false
			}
		}
	}
	return true
}

// NoDanglingCaba: every hashed task's caba is hashed or 0.
func (m *Model) noDanglingCaba(s *State) bool {
	for i := 1; i <= m.N; i++ {
		if hashed(s, i) && !hashedOrInitTask(s, int(s.Caba[i])) {
			return false
		}
	}
	return true
}

// CabdListMatchesCaba: every hashed leader p has cabdOf[p] == caba[p].
func (m *Model) cabdListMatchesCaba(s *State) bool {
	for p := 1; p <= m.N; p++ {
		if hashed(s, p) && isLeader(s, p) && s.CabdOf[p] != s.Caba[p] {
			return false
		}
	}
	return true
}

// ThreadsAgreeOnCaba: every hashed thread's caba equals its leader's.
func (m *Model) threadsAgreeOnCaba(s *State) bool {
	for i := 1; i <= m.N; i++ {
		if hashed(s, i) && s.Caba[i] != s.Caba[s.Leader[s.Tg[i]]] {
			return false
		}
	}
	return true
}

// CabaAcyclic: following caba from any hashed task reaches 0 (a Released
// task's caba is 0 in canonical form).
func (m *Model) cabaAcyclic(s *State) bool {
	for i := 1; i <= m.N; i++ {
		if !hashed(s, i) {
			continue
		}
		x := i
		for steps := 0; x != 0; steps++ {
			if steps > m.N {
				return false
			}
			x = int(s.Caba[x])
		}
	}
	return true
}

// cabaClosest: for every hashed leader p other than init, the group of
// caba[p] (0 for init_task; a Released non-founder has tg 0 in canonical
// form) is the first group on the born chain of tg[p] that has a task whose
// status satisfies alive.
func (m *Model) cabaClosest(s *State, alive func(Status) bool) bool {
	for p := 2; p <= m.N; p++ {
		if !hashed(s, p) || !isLeader(s, p) {
			continue
		}
		if got, want := m.closestPair(s, p, alive); got != want {
			return false
		}
	}
	return true
}

// closestPair is, for a hashed leader p, the group of its caba (got) and
// the first group on its born chain with a task satisfying alive (want, 0
// if none).
func (m *Model) closestPair(s *State, p int, alive func(Status) bool) (got, want int) {
	groupAlive := func(g int) bool {
		for i := 1; i <= m.N; i++ {
			if inGroup(s, i, g) && alive(s.St[i]) {
				return true
			}
		}
		return false
	}
	want = int(s.Born[s.Tg[p]])
	for steps := 0; want != 0 && !groupAlive(want); steps++ {
		if steps > m.N {
			panic("reference: cycle in the born chain")
		}
		want = int(s.Born[want])
	}
	if c := int(s.Caba[p]); c != 0 {
		got = int(s.Tg[c])
	}
	return got, want
}

// hashedLeaderGroups lists the groups whose leader is hashed (the groups with
// a hashed task), by founding slot.
func (m *Model) hashedLeaderGroups(s *State) []int {
	var gs []int
	for i := 1; i <= m.N; i++ {
		if hashed(s, i) && isLeader(s, i) {
			gs = append(gs, int(s.Tg[i]))
		}
	}
	return gs
}

// PgrpInOneSession: hashed leaders with equal pgid have equal sid.
func (m *Model) pgrpInOneSession(s *State) bool {
	gs := m.hashedLeaderGroups(s)
	for _, a := range gs {
		for _, b := range gs {
			if s.Pgid[a] == s.Pgid[b] && s.Sid[a] != s.Sid[b] {
				return false
			}
		}
	}
	return true
}

// SessionLeaderLeadsPgrp: a hashed leader of g with sid[g] == g has
// pgid[g] == g.
func (m *Model) sessionLeaderLeadsPgrp(s *State) bool {
	for _, g := range m.hashedLeaderGroups(s) {
		if int(s.Sid[g]) == g && int(s.Pgid[g]) != g {
			return false
		}
	}
	return true
}
