package state

// Canonicalize rewrites s into its canonical form, so that two states are the
// same state exactly when their canonical forms are equal (docs/model.md):
// a Released task keeps its status, and keeps tg and born only if it founded
// its group; every other field of a Released task is cleared; a group whose
// tasks are all Released loses its per-group fields.
func (s *State) Canonicalize() {
	n := s.N
	for i := uint8(1); i <= n; i++ {
		if s.St[i] != Released {
			continue
		}
		if s.Tg[i] != i {
			s.Tg[i] = 0
			s.Born[i] = 0
		}
		s.Parent[i] = 0
		s.Caba[i] = 0
		s.CabdOf[i] = None
	}
	for g := uint8(1); g <= n; g++ {
		if s.Tg[g] != g || s.St[g] != Released {
			continue
		}
		if s.GroupHashed(g) {
			continue
		}
		s.Leader[g] = 0
		s.Sub[g] = false
		s.HasSub[g] = false
		s.Ign[g] = false
		s.Exec[g] = None
	}
}
