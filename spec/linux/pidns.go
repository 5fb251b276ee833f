package linux

import "cabacheck/state"

// Pid namespaces (action set pidns), as docs/model.md's section "Optional:
// pid namespaces" defines them from kernel/fork.c (copy_process with
// CLONE_NEWPID), kernel/exit.c (find_child_reaper, find_new_reaper) and
// kernel/pid_namespace.c (zap_pid_ns_processes). The derived views (levels,
// pid numbers, who is killed) are state methods (state/pidns.go); the
// NScaba and NSpid lines are in procfs.go.

// MaxPidNsLevel is the kernel's MAX_PID_NS_LEVEL: create_pid_namespace
// refuses a deeper one (ENOSPC). Each level needs its own init, so with at
// most state.MaxTasks slots the model never reaches it.
const MaxPidNsLevel = 32

// forkNewpid is ForkNewpid(t): clone(CLONE_NEWPID). The child is Fork(t)'s
// child in every respect, and also pid 1 and child_reaper of a new
// namespace one level below t's, named by its slot.
func (m *Model) forkNewpid(s *state.State, t uint8, d *state.State) bool {
	if s.St[t] != state.Running || s.NsLevel(s.Pidns[t])+1 > MaxPidNsLevel {
		return false
	}
	n := s.NextFree()
	if !m.forkAt(s, t, n, d, false) {
		return false
	}
	d.Pidns[n] = n
	d.ChildReaper[n] = n
	d.PidnsZap[n] = 0
	return true
}

// childReaperExit is find_child_reaper for the exiting thread t, applied to
// d: when t is its (non-root) namespace's child_reaper, another alive thread
// of its group takes over; with none, exit_notify goes through
// zap_pid_ns_processes, so ExitNotify is not enabled before ZapBegin, and
// after it only once t and its group's leader are the last hashed tasks with
// a pid in the namespace (pid_allocated == init_pids).
func childReaperExit(s *state.State, t uint8, d *state.State) bool {
	n := s.Pidns[t]
	if n == 1 || s.ChildReaper[n] != t {
		return true
	}
	g := s.Tg[t]
	if a := s.FindAlive(g, t); a != state.None {
		d.ChildReaper[n] = a
		return true
	}
	if s.PidnsZap[n] == 0 {
		return false
	}
	return zapDone(s, t)
}

// zapDone reports whether the zap run by t may return: every other hashed
// task with a pid in t's namespace is gone, but its group's leader, and no
// hashed task still uses as its process group or session id a pid of the
// namespace other than t's and its group's (a struct pid held by a pgrp or
// session link is not freed, so pid_allocated stays above init_pids; the
// kernel's init then waits, forever if the holder is its own group).
func zapDone(s *state.State, t uint8) bool {
	n, g := s.Pidns[t], s.Tg[t]
	l := s.Leader[g]
	for u := uint8(1); u <= s.N; u++ {
		if !s.St[u].Hashed() {
			continue
		}
		if u != t && u != l && s.HasPidIn(u, n) {
			return false
		}
		if h := s.Tg[u]; heldIn(s, s.Pgid[h], n, g, t) || heldIn(s, s.Sid[h], n, g, t) {
			return false
		}
	}
	return true
}

// heldIn reports whether id names a pid of namespace n other than the
// zapping init's (t) and its group's (g).
func heldIn(s *state.State, id, n, g, t uint8) bool {
	return id != 0 && id != g && id != t && s.HasPidIn(id, n)
}

// zapping reports whether t is running zap_pid_ns_processes.
func zapping(s *state.State, t uint8) bool {
	n := s.Pidns[t]
	return s.St[t] == state.Exiting && n != 1 && s.PidnsZap[n] == t
}

// zapBegin is ZapBegin(t): the exiting child_reaper t of a namespace, with no
// alive thread left in its group, starts zap_pid_ns_processes: pid
// allocation is disabled, SIGCHLD of its group becomes SIG_IGN, and every
// task with a pid in the namespace is sent SIGKILL (State.Killed).
func zapBegin(s *state.State, t uint8, d *state.State) bool {
	n, g := s.Pidns[t], s.Tg[t]
	if s.St[t] != state.Exiting || n == 1 || s.ChildReaper[n] != t || s.PidnsZap[n] != 0 || s.FindAlive(g, t) != state.None {
		return false
	}
	*d = *s
	d.PidnsZap[n] = t
	d.Ign[g] = true
	return true
}

// zapReap is ZapReap(t, c): kernel_wait4 in the zap claims zombie c, a child
// of any thread of t's group whose own group is empty.
func zapReap(s *state.State, t, c uint8, d *state.State) bool {
	if !zapping(s, t) || c == 0 || c > s.N || s.St[c] != state.Zombie || !s.IsLeader(c) || !s.GroupEmpty(s.Tg[c]) {
		return false
	}
	if p := s.Parent[c]; p == 0 || s.Tg[p] != s.Tg[t] {
		return false
	}
	*d = *s
	d.St[c] = state.Dead
	return true
}

// zapReapValues lists the zombies ZapReap(t, c) may try, ascending.
func zapReapValues(s *state.State, t uint8, out *valueBuf) int {
	if !zapping(s, t) {
		return 0
	}
	n := 0
	for c := uint8(1); c <= s.N; c++ {
		if s.St[c] == state.Zombie {
			out[n] = c
			n++
		}
	}
	return n
}
