package kernel

import (
	"strconv"

	"cabacheck/spec/linux"
	"cabacheck/state"
)

// Sessions and process groups at syscall level. The model enables Setsid
// and Setpgid only where the kernel lets them through (each refused case is
// "not enabled"); the harness performs the refused ones too, and the kernel
// must return the error the kernel's rules give for that state and change
// nothing. The model is the oracle for refused or not; Refusal only names
// the error, by kernel/sys.c (ksys_setsid, sys_setpgid) read in the order
// the kernel checks.

// RetAnyError is an expected return that matches any error: the model
// refuses a call for which the kernel's rules, as Refusal reads them, name no
// error (the comparison then decides who is right).
const RetAnyError = "ERR"

// RetOK is the return of a setpgid that succeeds.
const RetOK = "ok 0"

// groupName reports whether x names a process of the walk, alive or gone: a
// slot that founded a group (the model's group names are founding slots,
// and the harness knows each one's TGID).
func groupName(s *state.State, x uint8) bool {
	return x >= 1 && x <= s.N && s.St[x] != state.Unborn && s.Tg[x] == x
}

// success is the return of op when the model enables it.
func success(s *state.State, op Op) string {
	switch op.Kind {
	case OpSetsid:
		return "ok " + strconv.Itoa(int(s.Tg[op.T]))
	case OpSetpgid:
		return RetOK
	}
	return ""
}

// Refusal is the return of op in a state where the model does not enable
// it, or "" when the harness does not perform it there (not a setsid or
// setpgid, or the usual guard fails: the caller is not running, or an exec
// is under way in its process; or setpgid names something that is not a
// process of the walk).
func Refusal(m *linux.Model, s *state.State, op Op) string {
	if m.Options().Actions&linux.Sessions == 0 || op.T == 0 || op.T > s.N {
		return ""
	}
	if s.St[op.T] != state.Running || s.Exec[s.Tg[op.T]] != state.None {
		return ""
	}
	switch op.Kind {
	case OpSetsid:
		if e := setsidErrno(s, op.T); e != "" {
			return e
		}
		return RetAnyError
	case OpSetpgid:
		if !groupName(s, op.C) || !groupName(s, op.P) {
			return ""
		}
		if e := setpgidErrno(s, op.T, op.C, op.P); e != "" {
			return e
		}
		if s.Pgid[op.C] == op.P {
			return RetOK // already there: the kernel changes nothing and returns 0
		}
		return RetAnyError
	}
	return ""
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
	if !groupName(s, c) || l == 0 || !s.St[l].Hashed() {
		return "ESRCH"
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
		if h == 0 || s.Sid[h] != s.Sid[g] {
			return "EPERM"
		}
	}
	return ""
}

// RefusedOps lists the setsid and setpgid calls the model does not enable
// in the settled state s but the harness can perform (every running thread,
// every pair of processes of the walk), in a fixed order.
func RefusedOps(m *linux.Model, s *state.State) []Op {
	if m.Options().Actions&linux.Sessions == 0 {
		return nil
	}
	var ops []Op
	var d state.State
	for t := uint8(1); t <= s.N; t++ {
		if s.St[t] != state.Running || s.Exec[s.Tg[t]] != state.None {
			continue
		}
		cand := []Op{{Kind: OpSetsid, T: t}}
		for c := uint8(1); c <= s.N; c++ {
			for p := uint8(1); p <= s.N; p++ {
				if groupName(s, c) && groupName(s, p) {
					cand = append(cand, Op{Kind: OpSetpgid, T: t, C: c, P: p})
				}
			}
		}
		for _, o := range cand {
			a, ok := firstAction(s, o)
			if ok && !m.Step(s, a, &d) && Refusal(m, s, o) != "" {
				ops = append(ops, o)
			}
		}
	}
	return ops
}

// retMatches reports whether the kernel's return obs fits the expected exp
// ("" is not checked).
func retMatches(exp, obs string) bool {
	switch exp {
	case "":
		return true
	case RetAnyError:
		return obs != "" && obs[0] == 'E'
	}
	return exp == obs
}
