package findings

import (
	"fmt"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// IntendedReading names the reading of "closest alive born ancestor" a
// revision was written for: the seed hands CABDs over at exit_notify (a group
// is gone once its last thread ran exit_notify), v3 and v4 at release_task
// (a zombie stays an ancestor until reaped). The fix keeps v3's reading.
func IntendedReading(r linux.Revision) string {
	if r == linux.Seed {
		return "CabaClosestNotified"
	}
	return "CabaClosestHashed"
}

// OwnReading is the pseudo-check name a concern uses for "the revision's
// intended reading" (IntendedReading of the revision under test).
const OwnReading = "CabaClosestIntended"

// TID is the thread ID the kernel shows for hashed task u, in the model's
// numbering where a task's first TID is its slot: the leader of a process
// carries the TGID (the founding slot); in the de_thread window (ExecSwap
// done, the old leader not yet released) the old leader carries the exec'ing
// thread's old TID (exchange_tids); every other task keeps its slot.
func TID(s *state.State, u uint8) uint8 {
	if u == 0 {
		return 0
	}
	g := s.Tg[u]
	l := s.Leader[g]
	if u == l {
		return g
	}
	if e := s.Exec[g]; e != state.None && e == l && s.Hashed(u) {
		return l // the old leader took the new leader's (non-leader) TID
	}
	return u
}

// NScaba is the number /proc/<u>/status prints on its NScaba line for an
// initial-namespace reader when caba[u] is hashed: the CABA's TID
// (PIDTYPE_PID) in every posted revision, its TGID in the fix.
func NScaba(rev linux.Revision, s *state.State, u uint8) uint8 {
	c := s.Caba[u]
	if c == 0 {
		return 0
	}
	if rev == linux.Fixed {
		return s.Tg[c]
	}
	return TID(s, c)
}

// Derived checks: predicates the invariant library does not have, built on
// the same Invariant type so the explorer and traces treat them alike.
const (
	CheckNScabaNamesProcess = "NScabaNamesProcess"
	CheckNScabaExecWindow   = "NScabaNamesProcessDuringExec"
	CheckLeaderCabaHashed   = "LeaderCabaHashed"
)

var derivedDescriptions = map[string]string{
	CheckNScabaNamesProcess: "for every hashed task whose caba is hashed, NScaba prints the TGID of the caba's process, as PPid prints the parent's TGID",
	CheckNScabaExecWindow:   "while a de_thread is between its TID swap and the old leader's release, NScaba of a task whose caba is that old leader names the caba's process",
	CheckLeaderCabaHashed:   "every hashed leader's caba is hashed or init_task (NoDanglingCaba restricted to leaders)",
}

// DerivedChecks lists the derived check names, in order.
func DerivedChecks() []string {
	return []string{CheckNScabaNamesProcess, CheckNScabaExecWindow, CheckLeaderCabaHashed}
}

// Resolve returns the check called name for revision rev: an invariant of
// the library, OwnReading (the revision's intended reading), or a derived
// check.
func Resolve(name string, rev linux.Revision) (invariants.Invariant, error) {
	if name == OwnReading {
		name = IntendedReading(rev)
	}
	if inv, ok := invariants.ByName(name); ok {
		return inv, nil
	}
	desc, ok := derivedDescriptions[name]
	if !ok {
		return invariants.Invariant{}, fmt.Errorf("unknown check %q", name)
	}
	inv := invariants.Invariant{Name: name, Group: "derived", Description: desc}
	switch name {
	case CheckNScabaNamesProcess:
		inv.Eval = func(s *state.State, why *[]string) bool { return nscabaNamesProcess(rev, s, why, false) }
	case CheckNScabaExecWindow:
		inv.Eval = func(s *state.State, why *[]string) bool { return nscabaNamesProcess(rev, s, why, true) }
	case CheckLeaderCabaHashed:
		inv.Eval = leaderCabaHashed
	}
	return inv, nil
}

// Describe returns the description of a check name (library or derived).
func Describe(name string) string {
	if name == OwnReading {
		return "the revision's intended reading: " + IntendedReading(linux.Seed) + " for the seed, " + IntendedReading(linux.V3) + " for v3, v4 and fixed"
	}
	if inv, ok := invariants.ByName(name); ok {
		return inv.Description
	}
	return derivedDescriptions[name]
}

func inExecWindow(s *state.State, c uint8) bool {
	g := s.Tg[c]
	e := s.Exec[g]
	return e != state.None && e == s.Leader[g] && c != e
}

func nscabaNamesProcess(rev linux.Revision, s *state.State, why *[]string, execWindowOnly bool) bool {
	ok := true
	for u := uint8(1); u <= s.N; u++ {
		c := s.Caba[u]
		if !s.Hashed(u) || c == 0 || !s.Hashed(c) {
			continue
		}
		if execWindowOnly && !inExecWindow(s, c) {
			continue
		}
		if got, want := NScaba(rev, s, u), s.Tg[c]; got != want {
			ok = false
			if why != nil {
				*why = append(*why, fmt.Sprintf("task %d: NScaba prints %d (the TID of its caba %d), but that caba's process is %d (PPid-style TGID)", u, got, c, want))
			}
		}
	}
	return ok
}

func leaderCabaHashed(s *state.State, why *[]string) bool {
	ok := true
	for p := uint8(1); p <= s.N; p++ {
		if c := s.Caba[p]; s.Hashed(p) && s.IsLeader(p) && c != 0 && !s.Hashed(c) {
			ok = false
			if why != nil {
				*why = append(*why, fmt.Sprintf("leader %d: caba %d is %s (freed task_struct)", p, c, s.St[c]))
			}
		}
	}
	return ok
}
