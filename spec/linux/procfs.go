package linux

import "cabacheck/state"

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
// initial-namespace reader when caba[u] is hashed, as the revision's patch
// prints it: the CABA's TID, or its TGID.
func (r Revision) NScaba(s *state.State, u uint8) uint8 {
	c := s.Caba[u]
	if c == 0 {
		return 0
	}
	if r.Def().NScaba == NScabaTGID {
		return s.Tg[c]
	}
	return TID(s, c)
}
