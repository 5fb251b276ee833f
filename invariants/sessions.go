package invariants

import (
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// sessionInvariants are the sanity invariants of sessions and process
// groups (action set sessions); with the set off they hold trivially.
var sessionInvariants = []entry{
	needs(linux.Sessions, fixed("PgrpInOneSession", "sanity", "hashed leaders with equal pgid have equal sid (a process group lies in one session)", pgrpInOneSession)),
	needs(linux.Sessions, fixed("SessionLeaderLeadsPgrp", "sanity", "a hashed leader of a session leader's process (sid == its TGID) has pgid == its TGID", sessionLeaderLeadsPgrp)),
}

// hashedLeader returns the group of leader p, or 0 when p is not a hashed
// leader.
func hashedLeader(s *state.State, p uint8) uint8 {
	if !s.Hashed(p) || !s.IsLeader(p) {
		return 0
	}
	return s.Tg[p]
}

func pgrpInOneSession(s *state.State, why *[]string) bool {
	ok := true
	for p := uint8(1); p <= s.N; p++ {
		g := hashedLeader(s, p)
		if g == 0 {
			continue
		}
		for q := p + 1; q <= s.N; q++ {
			h := hashedLeader(s, q)
			if h == 0 || s.Pgid[g] != s.Pgid[h] || s.Sid[g] == s.Sid[h] {
				continue
			}
			ok = false
			fail(why, "process group %d: process %d is in session %d, process %d in session %d", s.Pgid[g], g, s.Sid[g], h, s.Sid[h])
		}
	}
	return ok
}

func sessionLeaderLeadsPgrp(s *state.State, why *[]string) bool {
	ok := true
	for p := uint8(1); p <= s.N; p++ {
		g := hashedLeader(s, p)
		if g == 0 || s.Sid[g] != g || s.Pgid[g] == g {
			continue
		}
		ok = false
		fail(why, "process %d leads session %d but is in process group %d", g, g, s.Pgid[g])
	}
	return ok
}
