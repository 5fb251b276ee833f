package state

// Canonicalize rewrites s into its canonical form, so that two states are the
// same state exactly when their canonical forms are equal (docs/model.md):
// a Released task keeps what the Released column of the Fields table says
// (its status, and tgid and born only if it founded its group; every other
// per-task field is cleared), and a group whose tasks are all Released loses
// its per-group fields (clearReleased, clearGroup in zz_fields_gen.go); a
// Released task's pid namespace becomes the deepest alive one on its chain
// (normalizePidns).
func (s *State) Canonicalize() {
	n := s.N
	for i := uint8(1); i <= n; i++ {
		if s.St[i] == Released {
			s.clearReleased(i, s.Tg[i] == i)
		}
	}
	for g := uint8(1); g <= n; g++ {
		if s.Tg[g] != g || s.St[g] != Released {
			continue
		}
		if s.GroupHashed(g) {
			continue
		}
		s.clearGroup(g)
	}
	s.normalizePidns()
}
