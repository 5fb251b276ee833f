package linux

import "cabacheck/state"

// TID is the thread ID the kernel shows for hashed task u, in the model's
// numbering where a task's first TID is its slot: the leader of a process
// carries the TGID (the founding slot); the founding slot, once it is no
// longer the leader (the de_thread window: ExecSwap done, the old leader not
// yet released), carries the new leader's old TID (exchange_tids); every
// other task keeps its slot. (A leader running the exec itself swaps
// nothing: its other threads keep their TIDs while they are killed.)
//
// Known gap (docs/model.md): in the window of a second swap in one process
// (the old leader is then not the founding slot) the state does not say
// which dead task was the leader, so that task shows its own slot where the
// kernel shows the new leader's old TID.
func TID(s *state.State, u uint8) uint8 {
	if u == 0 {
		return 0
	}
	g := s.Tg[u]
	l := s.Leader[g]
	switch {
	case u == l:
		return g
	case u == g:
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

// NsLine is a procfs line of pid numbers (NSpid, NScaba), one per namespace
// level from the reader's down: Nr[:Len]. A fixed array keeps reading it
// allocation-free.
type NsLine struct {
	Nr  [state.Slots]uint8
	Len uint8
}

// Numbers returns the line's numbers.
func (l *NsLine) Numbers() []uint8 { return l.Nr[:l.Len] }

func (l *NsLine) add(n uint8) {
	l.Nr[l.Len] = n
	l.Len++
}

// Equal reports whether two lines print the same numbers.
func (l NsLine) Equal(o NsLine) bool { return l.Len == o.Len && l.Nr == o.Nr }

// nsNumbers is the loop of task_state over g = level(r) .. level(ns): the
// number of slot q's pid in the namespace at level g on the chain of ns (q's
// own namespace), whether or not that is on the reader's chain
// (pid->numbers[g].ns).
func nsNumbers(s *state.State, q, ns, r uint8) NsLine {
	var l NsLine
	top := s.NsLevel(ns)
	for g := s.NsLevel(r); g <= top; g++ {
		l.add(s.PidNr(s.NsAt(ns, g), q))
	}
	return l
}

// NSpid is the NSpid line of /proc/<u>/status read in namespace r, and
// whether u is visible there (has a pid in r). u shows the numbers of the
// struct pid it holds (TID: after de_thread, the leader's).
func NSpid(s *state.State, u, r uint8) (NsLine, bool) {
	if u == 0 || !s.HasPidIn(u, r) {
		return NsLine{}, false
	}
	return nsNumbers(s, TID(s, u), s.Pidns[u], r), true
}

// NScabaIn is the NScaba line of /proc/<u>/status as the revision's
// task_state prints it for a reader in namespace r: the numbers of
// get_task_pid(caba, PIDTYPE_PID) (PIDTYPE_TGID for the tgid choice) from
// the reader's level down to the caba's own; for init_task (level 0, pid
// 0) "0" in the root and nothing elsewhere. freed reports that caba[u] is
// released: get_task_pid reads a freed task_struct (no numbers then).
func (r Revision) NScabaIn(s *state.State, u, reader uint8) (line NsLine, freed bool) {
	c := s.Caba[u]
	if c == 0 {
		if reader == 1 {
			line.add(0)
		}
		return line, false
	}
	if !s.Hashed(c) {
		return line, true
	}
	q := TID(s, c)
	if r.Def().NScaba == NScabaTGID {
		q = s.Tg[c]
	}
	return nsNumbers(s, q, s.Pidns[c], reader), false
}
