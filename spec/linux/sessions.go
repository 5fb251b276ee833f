package linux

import "cabacheck/state"

// Sessions and process groups (action sets sessions and execve), as
// ../shared/docs/model.md defines them from kernel/sys.c (ksys_setsid,
// sys_setpgid) and kernel/fork.c (copy_process). Ids are group names: a
// process's TGID is its founding slot, kept across de_thread, and an id stays
// in use after its group is gone (pid allocation skips attached ids; the
// model never reuses a slot). Each refused case of the kernel (EPERM, ESRCH,
// EACCES) is simply not enabled.

// pgrpExists reports whether process group p exists: some group with a
// hashed task has pgid p (in the kernel, pid_task(p, PIDTYPE_PGID) finds a
// task). With sid != 0 the group must also be in session sid.
func pgrpExists(s *state.State, p, sid uint8) bool {
	for h := uint8(1); h <= s.N; h++ {
		if s.Pgid[h] == p && s.Tg[h] == h && (sid == 0 || s.Sid[h] == sid) && s.GroupHashed(h) {
			return true
		}
	}
	return false
}

// setsid is Setsid(t): setsid() by a thread of g. EPERM when a process group
// with id g exists (g leads one, or a member of one it once led is alive);
// otherwise g leads a new session and a new process group, both named g.
func setsid(s *state.State, t uint8, d *state.State) bool {
	g := s.Tg[t]
	if !acting(s, t) || pgrpExists(s, g, 0) {
		return false
	}
	*d = *s
	d.Sid[g] = g
	d.Pgid[g] = g
	return true
}

// setpgidTarget reports whether setpgid by a thread of g may name process c
// (the ESRCH, EPERM and EACCES checks on c): c is g itself, or a child
// process (its leader hashed, zombies and dead-but-unreleased included,
// with real_parent a thread of g) in g's session that has not exec'd; and c
// is not a session leader.
func setpgidTarget(s *state.State, g, c uint8) bool {
	if c == 0 || c > s.N {
		return false
	}
	if c != g {
		if s.Tg[c] != c { // not a process's id (a thread's, or unborn): no such leader
			return false
		}
		l := s.Leader[c]
		if l == 0 || l > s.N || !s.St[l].Hashed() {
			return false // ESRCH
		}
		if p := s.Parent[l]; p == 0 || s.Tg[p] != g {
			return false // ESRCH: not a child of the caller's process
		}
		if s.Sid[c] != s.Sid[g] {
			return false // EPERM: another session
		}
		if s.Execd[c] {
			return false // EACCES: the child has exec'd
		}
	}
	return s.Sid[c] != c // EPERM: a session leader
}

// setpgid is Setpgid(t, c, p): setpgid(c, p) called by thread t of g. p is
// c itself or an existing process group of g's session (EPERM otherwise);
// a call that would change nothing is not enabled.
func setpgid(s *state.State, t, c, p uint8, d *state.State) bool {
	g := s.Tg[t]
	if !acting(s, t) || !setpgidTarget(s, g, c) || p == 0 || p > s.N || s.Pgid[c] == p {
		return false
	}
	if p != c && !pgrpExists(s, p, s.Sid[g]) {
		return false
	}
	if !visibleIds(s, t, c, p) {
		return false
	}
	*d = *s
	d.Pgid[c] = p
	return true
}

// visibleIds reports whether setpgid(c, p) called by t can name both ids:
// sys_setpgid looks them up in the caller's pid namespace
// (find_task_by_vpid, find_vpid), so a process or group with no pid there is
// ESRCH or EPERM. Without pidns every task is in the root and this holds.
func visibleIds(s *state.State, t, c, p uint8) bool {
	ns := s.Pidns[t]
	return s.HasPidIn(c, ns) && (p == c || s.HasPidIn(p, ns))
}

// setpgidValues lists Pair(c, p) for the calls Setpgid(t, c, p) that are
// enabled, by ascending c, then p.
func setpgidValues(s *state.State, t uint8, out *valueBuf) int {
	n := 0
	g := s.Tg[t]
	if !acting(s, t) {
		return 0
	}
	for c := uint8(1); c <= s.N; c++ {
		if !setpgidTarget(s, g, c) {
			continue
		}
		for p := uint8(1); p <= s.N; p++ {
			if s.Pgid[c] == p || (p != c && !pgrpExists(s, p, s.Sid[g])) || !visibleIds(s, t, c, p) {
				continue
			}
			out[n] = Pair(c, p)
			n++
		}
	}
	return n
}

// execve is Execve(t): a single-threaded process other than init completes
// an execve (begin_new_exec clears PF_FORKNOEXEC). It changes nothing else
// the model tracks; an exec from a process with other threads is de_thread
// (ExecBegin, ExecSwap, Release), which sets execd when it completes.
func execve(s *state.State, t uint8, d *state.State) bool {
	g := s.Tg[t]
	if !acting(s, t) || g == 1 || s.Execd[g] {
		return false
	}
	for u := uint8(1); u <= s.N; u++ {
		if u != t && s.Tg[u] == g && s.St[u].Hashed() {
			return false
		}
	}
	*d = *s
	d.Execd[g] = true
	return true
}
