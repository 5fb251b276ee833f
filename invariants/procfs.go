package invariants

import (
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// inExecWindow reports whether c is an old leader in the de_thread window:
// its group's exec is by the new leader and c is not yet released.
func inExecWindow(s *state.State, c uint8) bool {
	// The old leader between ExecSwap and its release: the founding slot,
	// no longer the leader (linux.TID; a leader running the exec itself
	// swaps nothing, so that is no window).
	g := s.Tg[c]
	return c == g && s.Leader[g] != g
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
		if got, want := rev.NScaba(s, u), s.Tg[c]; got != want {
			ok = false
			fail(why, "task %d: NScaba prints %d (the TID of its caba %d), but that caba's process is %d (PPid-style TGID)", u, got, c, want)
		}
	}
	return ok
}

func leaderCabaHashed(s *state.State, why *[]string) bool {
	ok := true
	for p := uint8(1); p <= s.N; p++ {
		if c := s.Caba[p]; s.Hashed(p) && s.IsLeader(p) && c != 0 && !s.Hashed(c) {
			ok = false
			fail(why, "leader %d: caba %d is %s (freed task_struct)", p, c, s.St[c])
		}
	}
	return ok
}
