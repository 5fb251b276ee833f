package state

// Pid namespaces (docs/model.md, "Optional: pid namespaces"). A namespace is
// named by the founding slot of its init's group; the root is 1. These
// helpers derive what the kernel keeps in struct pid_namespace and struct
// pid (parent namespace, level, pid numbers) from the per-task Pidns and the
// ghost Born, so that the encoding holds nothing twice. Every walk is bounded
// by the slot count, so a malformed state cannot loop.

// NsParent returns the parent of namespace k: the namespace of the group
// that ran clone(CLONE_NEWPID) for k's init (Born of a founder is kept when
// it is released). 0 for the root.
func (s *State) NsParent(k uint8) uint8 {
	if k <= 1 || k > s.N {
		return 0
	}
	return s.Pidns[s.Born[k]]
}

// NsLevel returns the level of namespace k (the root is 0).
func (s *State) NsLevel(k uint8) int {
	l := 0
	for i := 0; k > 1 && i <= int(s.N); i++ {
		k = s.NsParent(k)
		l++
	}
	return l
}

// NsAt returns the namespace at level l on the chain of namespace k (k
// itself, its parent, ..., the root), or 0 when l is beyond k's level.
func (s *State) NsAt(k uint8, l int) uint8 {
	for d := s.NsLevel(k) - l; d > 0; d-- {
		k = s.NsParent(k)
	}
	if l < 0 || s.NsLevel(k) != l {
		return 0
	}
	return k
}

// NsAlive reports whether namespace k is alive: the root, or k founded a
// namespace and some task of its init's group is hashed (the init is reaped
// last, so no task with a pid in k is hashed once k is dead).
func (s *State) NsAlive(k uint8) bool {
	return k == 1 || (k > 1 && k <= s.N && s.Pidns[k] == k && s.GroupHashed(k))
}

// HasPidIn reports whether task u has a pid in namespace k: k is on the
// chain of u's namespace (every born task has one in the root).
func (s *State) HasPidIn(u, k uint8) bool {
	m := s.Pidns[u]
	for i := 0; m != 0 && i <= int(s.N); i++ {
		if m == k {
			return true
		}
		if m == 1 {
			return false
		}
		m = s.NsParent(m)
	}
	return false
}

// Killed reports whether task u has SIGKILL pending from a zap: some
// namespace on its chain is being zapped (zap_pid_ns_processes signals every
// task with a pid there, and none can join afterwards).
func (s *State) Killed(u uint8) bool {
	m := s.Pidns[u]
	for i := 0; m != 0 && i <= int(s.N); i++ {
		if s.PidnsZap[m] != 0 {
			return true
		}
		if m == 1 {
			return false
		}
		m = s.NsParent(m)
	}
	return false
}

// PidNr returns the number of slot v's pid in namespace k (v has a pid in
// k): pids are allocated in creation order, which is slot order, so it is
// the count of born slots w in k..v with a pid in k. PidNr(1, v) == v.
func (s *State) PidNr(k, v uint8) uint8 {
	if k == 1 {
		return v
	}
	n := uint8(0)
	for w := k; w <= v && w <= s.N; w++ {
		if s.St[w] != Unborn && s.HasPidIn(w, k) {
			n++
		}
	}
	return n
}

// normalizePidns rewrites the namespace of every Released task to the
// deepest alive namespace on its chain (Canonicalize): the numbering of the
// alive namespaces counts Released slots, the dead namespaces are forgotten.
// Liveness and chains are those of s before the rewrite.
func (s *State) normalizePidns() {
	var to [Slots]uint8
	any := false
	for u := uint8(1); u <= s.N; u++ {
		m := s.Pidns[u]
		if s.St[u] != Released || m <= 1 {
			continue
		}
		for i := 0; m > 1 && !s.NsAlive(m) && i <= int(s.N); i++ {
			m = s.NsParent(m)
		}
		to[u], any = m, true
	}
	if !any {
		return
	}
	for u := uint8(1); u <= s.N; u++ {
		if to[u] != 0 {
			s.Pidns[u] = to[u]
		}
	}
}
