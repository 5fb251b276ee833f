package kernel

import (
	"strconv"

	"cabacheck/spec/linux"
	"cabacheck/state"
)

// Refused calls. A walk does not only perform what the model enables: it
// also performs a sample of the calls the model does not enable in a settled
// state, where the harness can make them, and checks that the kernel refuses
// them and changes nothing. The model is the oracle for "refused" (its guard
// says no); Refusal names what the kernel returns for it:
//
//   - setsid, setpgid (sessions): the errno of kernel/sys.c (sessions.go);
//   - waitpid(c, WNOHANG|__WALL) for a task c that is not a reapable zombie
//     child of the caller's process: 0 when c's process is a child of the
//     caller's (alive, or a zombie leader whose threads still run:
//     delay_group_leader), else ECHILD (a thread's TID, a process that is
//     no child, a task that is gone);
//   - clone(CLONE_PARENT) by init's process, or (pidns) by the process of a
//     namespace init: EINVAL (SIGNAL_UNKILLABLE, set for every child_reaper's
//     group by copy_process under CLONE_NEWPID);
//   - what changes nothing in the model, performed to see that it changes
//     nothing in the kernel either: a second execve of a process that has
//     exec'd (execd stays set), PR_SET_CHILD_SUBREAPER to the value the
//     process has, SIG_IGN for SIGCHLD when it is ignored already (returns
//     not checked: the call succeeds).
//
// Calls the model leaves out by modelling choice, where the kernel would
// succeed and change something (threads, exec or exit of init), are not
// refusals and are not performed.
//
// A fork into a namespace being zapped (alloc_pid: ENOMEM once
// disable_pid_allocation ran) is no refusal a walk can make: in the model it
// is exactly a fork by a killed task, and the kernel runs the whole zap
// inside the namespace init's exit syscall, so every settled state has no
// killed task left (and only tasks of a namespace create tasks in it).

// RetAnyError is an expected return that matches any error: the model
// refuses a call for which the kernel's rules, as Refusal reads them, name no
// error (the comparison then decides who is right).
const RetAnyError = "ERR"

// RetOK is the return of a setpgid that succeeds, and of a waitpid with
// WNOHANG that finds the child not reapable.
const RetOK = "ok 0"

// success is the return of op when the model enables it ("" not checked).
func success(s *state.State, op Op) string {
	switch op.Kind {
	case OpSetsid:
		return "ok " + strconv.Itoa(int(s.Tg[op.T]))
	case OpSetpgid:
		return RetOK
	case OpWait:
		// waitpid returns the TGID of the reaped process, printed as its group name
		return "ok " + strconv.Itoa(int(s.Tg[op.C]))
	}
	return ""
}

// Refusal is what the kernel returns for op in a settled state s where the
// model does not enable it ("" when the return is not checked: the call
// succeeds and must change nothing), and whether the harness performs op
// there at all (false: the usual guard fails, the caller is not running or
// an exec is under way in its process, or the call is one the model leaves
// out by choice, or it names what the harness cannot name).
func Refusal(m *linux.Model, s *state.State, op Op) (string, bool) {
	acts := m.Options().Actions
	t := op.T
	if t == 0 || t > s.N || s.St[t] != state.Running || s.Exec[s.Tg[t]] != state.None {
		return "", false
	}
	g := s.Tg[t]
	switch op.Kind {
	case OpSetsid:
		if acts&linux.Sessions == 0 {
			return "", false
		}
		if e := setsidErrno(s, t); e != "" {
			return e, true
		}
		return RetAnyError, true
	case OpSetpgid:
		if acts&linux.Sessions == 0 || !groupName(s, op.C) || !groupName(s, op.P) {
			return "", false
		}
		if e := setpgidErrno(s, t, op.C, op.P); e != "" {
			return e, true
		}
		if s.Pgid[op.C] == op.P {
			return RetOK, true // already there: the kernel changes nothing and returns 0
		}
		return RetAnyError, true
	case OpWait:
		c := op.C
		if c == 0 || c > s.N || s.St[c] == state.Unborn {
			return "", false // the harness knows no TID for an unborn slot
		}
		if s.IsChild(c, s.Parent[c]) && s.Parent[c] != 0 && s.Tg[s.Parent[c]] == g {
			return RetOK, true // a child of the caller's process, not reapable (yet)
		}
		return "ECHILD", true
	case OpForkParent:
		if acts&linux.CloneParent == 0 || s.Pidns[g] != g || s.NextFree() == state.None {
			return "", false
		}
		return "EINVAL", true
	case OpExecve:
		if acts&linux.Execve == 0 || g == 1 || !s.Execd[g] || !s.GroupEmpty(g) || s.Leader[g] != t {
			return "", false
		}
		return "", true
	case OpSubreaper:
		if acts&linux.Subreaper == 0 || s.Sub[g] != op.On {
			return "", false
		}
		return "", true
	case OpIgnChld:
		if acts&linux.IgnoreSigchld == 0 || !s.Ign[g] {
			return "", false
		}
		return "", true
	}
	return "", false
}

// RefusedOps lists the calls the model does not enable in the settled state
// s that the harness performs as refusals (see Refusal), in a fixed order:
// for every running thread, setsid, setpgid of every pair of processes of
// the walk (alive or gone), waitpid of every task born so far,
// clone(CLONE_PARENT), execve, the subreaper flag it has, SIG_IGN.
func RefusedOps(m *linux.Model, s *state.State) []Op {
	var ops []Op
	var d state.State
	for t := uint8(1); t <= s.N; t++ {
		if s.St[t] != state.Running || s.Exec[s.Tg[t]] != state.None {
			continue
		}
		g := s.Tg[t]
		cand := []Op{{Kind: OpSetsid, T: t}}
		for c := uint8(1); c <= s.N; c++ {
			for p := uint8(1); p <= s.N; p++ {
				if groupName(s, c) && groupName(s, p) {
					cand = append(cand, Op{Kind: OpSetpgid, T: t, C: c, P: p})
				}
			}
		}
		for c := uint8(1); c <= s.N; c++ {
			cand = append(cand, Op{Kind: OpWait, T: t, C: c})
		}
		cand = append(cand, Op{Kind: OpForkParent, T: t}, Op{Kind: OpExecve, T: t},
			Op{Kind: OpSubreaper, T: t, On: s.Sub[g]}, Op{Kind: OpIgnChld, T: t})
		for _, o := range cand {
			if _, ok := Refusal(m, s, o); !ok {
				continue
			}
			if a, ok := firstAction(s, o); ok && !m.Step(s, a, &d) {
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
