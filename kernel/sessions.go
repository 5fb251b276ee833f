package kernel

import (
	"cabacheck/state"
)

// Sessions and process groups at syscall level. The model enables Setsid
// and Setpgid only where the kernel lets them through (each refused case is
// "not enabled"); the harness performs the refused ones too, and the kernel
// must return the error the kernel's rules give for that state and change
// nothing. The model is the oracle for refused or not; Refusal only names
// the error, by kernel/sys.c (ksys_setsid, sys_setpgid) read in the order
// the kernel checks.

// groupName reports whether x names a process of the walk, alive or gone: a
// slot that founded a group (the model's group names are founding slots,
// and the harness knows each one's TGID).
func groupName(s *state.State, x uint8) bool {
	return x >= 1 && x <= s.N && s.St[x] != state.Unborn && s.Tg[x] == x
}

// pgrpLeader is pid_task(find_vpid(p), PIDTYPE_PGID): a hashed process
// whose process group is p, or 0.
func pgrpLeader(s *state.State, p uint8) uint8 {
	for h := uint8(1); h <= s.N; h++ {
		if s.Tg[h] == h && s.Pgid[h] == p && s.GroupHashed(h) {
			return h
		}
	}
	return 0
}

// setsidErrno is ksys_setsid's refusal for a thread of g: EPERM if g leads
// a session (signal->leader) or a process group with id g exists.
func setsidErrno(s *state.State, t uint8) string {
	g := s.Tg[t]
	if s.Sid[g] == g || pgrpLeader(s, g) != 0 {
		return "EPERM"
	}
	return ""
}

// setpgidErrno is sys_setpgid's refusal of setpgid(c, p) by a thread of g
// ("" when it lets the call through), checked in the kernel's order.
func setpgidErrno(s *state.State, t, c, p uint8) string {
	g := s.Tg[t]
	// find_task_by_vpid(c): the task holding c's TGID is its group leader
	// (de_thread hands the TGID to the new leader) until it is released
	l := s.Leader[c]
	if !groupName(s, c) || l == 0 || !s.St[l].Hashed() || !s.HasPidIn(c, s.Pidns[t]) {
		return "ESRCH" // (pidns) c's TGID has no number in the caller's namespace
	}
	if par := s.Parent[l]; par != 0 && s.Tg[par] == g {
		// a child of the caller's process
		if s.Sid[c] != s.Sid[g] {
			return "EPERM"
		}
		if s.Execd[c] {
			return "EACCES" // PF_FORKNOEXEC is clear
		}
	} else if c != g {
		return "ESRCH"
	}
	if s.Sid[c] == c {
		return "EPERM" // a session leader
	}
	if p != c {
		h := pgrpLeader(s, p)
		if h == 0 || s.Sid[h] != s.Sid[g] || !s.HasPidIn(p, s.Pidns[t]) {
			return "EPERM" // (pidns) find_vpid(p) in the caller's namespace finds no pid
		}
	}
	return ""
}
