package traces

import (
	"fmt"
	"sort"
	"strings"

	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// Who names task t for a kernel developer: "task 4 (thread of 2)" or "task 2".
func Who(s *state.State, t uint8) string {
	if t == 0 {
		return "init_task"
	}
	g := s.Tg[t]
	if g != 0 && s.Leader[g] != t {
		return fmt.Sprintf("task %d (thread of %d)", t, g)
	}
	if g != 0 && s.Leader[g] == t && g != t {
		return fmt.Sprintf("task %d (leader of %d)", t, g)
	}
	return fmt.Sprintf("task %d", t)
}

// grouped renders pointer changes as "children of 4 -> 3" style clauses:
// the tasks whose field moved to the same target, grouped.
func grouped(before, after *state.State, field func(*state.State, uint8) uint8, label string) []string {
	moved := map[uint8][]string{}
	for i := uint8(1); i <= after.N; i++ {
		if !after.Hashed(i) || !before.Hashed(i) {
			continue
		}
		if x, y := field(before, i), field(after, i); x != y {
			moved[y] = append(moved[y], fmt.Sprint(i))
		}
	}
	var keys []int
	for k := range moved {
		keys = append(keys, int(k))
	}
	sort.Ints(keys)
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s of %s -> %d", label, strings.Join(moved[uint8(k)], ","), k))
	}
	return out
}

// Describe renders one step as the kernel event it is.
func Describe(rev linux.Revision, before, after *state.State, a spec.Action) string {
	t := a.A()
	who := Who(before, t)
	var ev []string
	n := uint8(0)
	for i := uint8(1); i <= after.N; i++ {
		if before.St[i] == state.Unborn && after.St[i] != state.Unborn {
			n = i
		}
	}
	switch a.Kind() {
	case linux.KFork:
		ev = append(ev, fmt.Sprintf("%s: fork() -> process %d (real_parent %d, caba %d)", who, n, after.Parent[n], after.Caba[n]))
	case linux.KForkParent:
		ev = append(ev, fmt.Sprintf("%s: clone(CLONE_PARENT) -> process %d (real_parent %d, caba %d)", who, n, after.Parent[n], after.Caba[n]))
	case linux.KClone:
		ev = append(ev, fmt.Sprintf("%s: clone(CLONE_THREAD) -> thread %d of %d (real_parent %d, caba %d)", who, n, after.Tg[n], after.Parent[n], after.Caba[n]))
	case linux.KSetSubreaper:
		ev = append(ev, fmt.Sprintf("%s: prctl(PR_SET_CHILD_SUBREAPER, %d)", who, a.B()))
		var set []string
		for g := uint8(1); g <= after.N; g++ {
			if after.HasSub[g] && !before.HasSub[g] {
				set = append(set, fmt.Sprint(g))
			}
		}
		if len(set) > 0 {
			ev = append(ev, "has_child_subreaper set on "+strings.Join(set, ","))
		}
	case linux.KIgnoreSigchld:
		ev = append(ev, fmt.Sprintf("%s: sigaction(SIGCHLD, SIG_IGN)", who))
	case linux.KExitBegin:
		what := "exit"
		if e := before.Exec[before.Tg[t]]; e != state.None && e != t {
			what = fmt.Sprintf("killed by the exec of %d", e)
		} else if before.Killed(t) {
			what = "SIGKILL from the pid namespace zap"
		}
		ev = append(ev, fmt.Sprintf("%s: %s, exit_signals sets PF_EXITING", who, what))
	case linux.KExitNotify:
		ev = append(ev, fmt.Sprintf("%s: exit_notify", who))
		ev = append(ev, grouped(before, after, func(s *state.State, i uint8) uint8 { return s.Parent[i] }, "children")...)
		ev = append(ev, grouped(before, after, func(s *state.State, i uint8) uint8 { return s.Caba[i] }, "caba")...)
		ev = append(ev, fmt.Sprintf("%d becomes %s", t, StatusWord(after.St[t])))
		ev = append(ev, autoreaped(before, after, t)...)
	case linux.KReap:
		ev = append(ev, fmt.Sprintf("%s: wait4() claims zombie %d (EXIT_DEAD)", who, a.B()))
	case linux.KRelease:
		ev = append(ev, fmt.Sprintf("%s: release_task", who))
		if d := rev.Def(); d.HandOff == linux.HandOffAtRelease {
			if c := grouped(before, after, func(s *state.State, i uint8) uint8 { return s.Caba[i] }, "caba"); len(c) > 0 {
				ev = append(ev, newCabaName(d.NewCaba)+": "+strings.Join(c, "; "))
			}
		}
		ev = append(ev, autoreaped(before, after, t)...)
		if g := before.Tg[t]; before.Exec[g] != state.None && after.Exec[g] == state.None {
			ev = append(ev, fmt.Sprintf("de_thread of %d completes", before.Exec[g]))
			if after.Execd[g] && !before.Execd[g] {
				ev = append(ev, "the exec completes (PF_FORKNOEXEC cleared)")
			}
		}
	case linux.KExecBegin:
		ev = append(ev, fmt.Sprintf("%s: execve() -> de_thread, zap_other_threads", who))
	case linux.KExecSwap:
		l := before.Leader[before.Tg[t]]
		ev = append(ev, fmt.Sprintf("%s: de_thread takes over from zombie leader %d (exchange_tids, cabd moved to %d; %d EXIT_DEAD)", who, l, t, l))
		ev = append(ev, grouped(before, after, func(s *state.State, i uint8) uint8 { return s.Caba[i] }, "caba")...)
	case linux.KSetsid:
		ev = append(ev, fmt.Sprintf("%s: setsid() -> session %d", who, after.Sid[after.Tg[t]]))
	case linux.KSetpgid:
		c, p := a.B()>>4, a.B()&15
		e := fmt.Sprintf("%s: setpgid(%d, %d)", who, c, p)
		if p == c && !pgrpIn(before, p) {
			e += fmt.Sprintf(" -> process %d leads a new process group %d", c, p)
		} else {
			e += fmt.Sprintf(" -> process %d joins process group %d", c, p)
		}
		ev = append(ev, e)
	case linux.KExecve:
		ev = append(ev, fmt.Sprintf("%s: execve() (single-threaded; PF_FORKNOEXEC cleared)", who))
	case linux.KForkNewpid:
		ev = append(ev, fmt.Sprintf("%s: clone(CLONE_NEWPID) -> process %d, pid 1 of namespace %d (real_parent %d, caba %d)", who, n, n, after.Parent[n], after.Caba[n]))
	case linux.KZapBegin:
		ev = append(ev, fmt.Sprintf("%s: exit_notify -> zap_pid_ns_processes(namespace %d): pid allocation disabled, SIGCHLD=SIG_IGN, SIGKILL to every task in it", who, before.Pidns[t]))
	case linux.KZapReap:
		ev = append(ev, fmt.Sprintf("%s: zap_pid_ns_processes: kernel_wait4() claims zombie %d (EXIT_DEAD)", who, a.B()))
	default:
		ev = append(ev, linux.FormatAction(a))
	}
	if after.Corrupt && !before.Corrupt {
		ev = append(ev, "USE-AFTER-FREE: a released task_struct was read or written")
	}
	return strings.Join(ev, "; ")
}

// autoreaped lists leaders other than t that this step notified into
// EXIT_DEAD (SIGCHLD ignored) or into a reapable zombie.
func autoreaped(before, after *state.State, t uint8) []string {
	var out []string
	for i := uint8(1); i <= after.N; i++ {
		if i == t || before.St[i] == after.St[i] {
			continue
		}
		out = append(out, fmt.Sprintf("%d notified: %s", i, StatusWord(after.St[i])))
	}
	return out
}

// newCabaName is the kernel function of a new-caba rule, for events.
func newCabaName(r linux.NewCaba) string {
	if r == linux.NewCabaAliveThenChain {
		return "find_new_caba"
	}
	return "forget_caba"
}

// pgrpIn reports whether process group p has a member in s (a process with
// a hashed task whose pgid is p).
func pgrpIn(s *state.State, p uint8) bool {
	for h := uint8(1); h <= s.N; h++ {
		if s.Tg[h] == h && s.Pgid[h] == p && s.GroupHashed(h) {
			return true
		}
	}
	return false
}
