package kernel

import (
	"strconv"
	"strings"

	"cabacheck/spec/linux"
	"cabacheck/state"
)

// The pidns fields of a snapshot (action set pidns, issue 12). The walk's
// namespace, created by the controller with clone(CLONE_NEWPID), is the
// model's root namespace (1); the controller stands for init_task and reads
// from the namespace above it. So:
//
//   - FNSpid is the NSpid line of /proc/TID/status read by the controller
//     without its first number (the controller's own, which the slot fields
//     already map): the numbers from the model's root level down, equal to
//     linux.NSpid(s, u, 1);
//   - FNSpidIn is the same line read through a proc instance of each
//     namespace k on u's chain (root first), mounted by k's init itself with
//     fsopen/fsmount right after its clone(CLONE_NEWPID) (so task_state's
//     proc_pid_ns is k, as for a reader process inside k), at u's number in
//     k: "k_" + linux.NSpid(s, u, k), joined by '/'. The harness finds the
//     chain from the kernel (the pid namespace inode of every task, and the
//     namespace each init was created from), not from the model;
//   - FNScabaIn is the NScaba line read through the same proc instances, for
//     kernels with the CABA patch: "k_" + linux.Revision.NScabaIn(s, u, k).
//     A caba that is init_task in the model is the controller in the
//     harness, one level above the model's root: its numbers are printed
//     from no namespace of the walk (empty everywhere; FCaba, read from the
//     controller's namespace, shows it as "c"). A released caba is not
//     determined (the read is the use-after-free).

// nsJoin renders a line of pid numbers, levels joined by ':'.
func nsJoin(l linux.NsLine) string {
	nums := l.Numbers()
	b := make([]string, len(nums))
	for i, n := range nums {
		b[i] = strconv.Itoa(int(n))
	}
	return strings.Join(b, ":")
}

// nsChain is u's namespace chain, root first.
func nsChain(s *state.State, u uint8) []uint8 {
	m := s.Pidns[u]
	top := s.NsLevel(m)
	out := make([]uint8, top+1)
	for l := 0; l <= top; l++ {
		out[l] = s.NsAt(m, l)
	}
	return out
}

// cabaRevision is a revision whose NScaba line prints as the kernel's view
// does: the line depends on the revision only through its NScaba choice.
func cabaRevision(caba CabaView) linux.Revision {
	if caba == CabaTGID {
		return linux.Fixed
	}
	return linux.Seed
}

// predictPidns fills the pidns fields of hashed task u of s into f.
func predictPidns(s *state.State, u uint8, caba CabaView, f *[NFields]string) {
	if !s.St[u].Hashed() {
		return
	}
	l, _ := linux.NSpid(s, u, 1)
	f[FNSpid] = nsJoin(l)
	chain := nsChain(s, u)
	in := make([]string, len(chain))
	cb := make([]string, len(chain))
	dangles := false
	for i, k := range chain {
		l, _ := linux.NSpid(s, u, k)
		in[i] = slotName(k) + "_" + nsJoin(l)
		if caba == CabaNone {
			continue
		}
		c, freed := cabaRevision(caba).NScabaIn(s, u, k)
		dangles = dangles || freed
		if s.Caba[u] == 0 {
			c = linux.NsLine{} // the controller: above every namespace of the walk
		}
		cb[i] = slotName(k) + "_" + nsJoin(c)
	}
	f[FNSpidIn] = strings.Join(in, "/")
	switch {
	case caba == CabaNone:
	case dangles:
		f[FNScabaIn] = Any
	default:
		f[FNScabaIn] = strings.Join(cb, "/")
	}
}

// zapKilled counts the tasks a step killed by a zap: Running in s and not
// in d, outside the group of the init of a namespace k != 1 they have a pid
// in, where k was not being zapped in s and is zapped (or dead) in d: the
// step ran k's init's exit through zap_pid_ns_processes. (Nothing else
// kills a task of another group.)
func zapKilled(s, d *state.State) int {
	n := 0
	for u := uint8(1); u <= s.N; u++ {
		if s.St[u] != state.Running || d.St[u] == state.Running {
			continue
		}
		for k := s.Pidns[u]; k > 1; k = s.NsParent(k) {
			if s.Tg[u] != k && s.PidnsZap[k] == 0 && (d.PidnsZap[k] != 0 || !d.NsAlive(k)) {
				n++
				break
			}
		}
	}
	return n
}

// A known disagreement (docs: kernel/README.md, "Pid namespaces"): the zap
// returns only when pid_allocated == init_pids, and a struct pid is freed
// (free_pid, from __change_pid) only once no task uses it for any type, the
// process group and session included. So a pid of the namespace kept as the
// pgid or sid of a task the zap does not kill (the init's own group, or a
// process outside the namespace) keeps the exit of the namespace's init
// waiting: for ever when the init's group holds it (its exit never ends, and
// the walk's init, killed at the end of the walk, waits on it in its own zap:
// the harness would hang with unkillable tasks), else until that process
// leaves the group. The model lets the exit complete. With sessions and
// pidns both on, random walks leave such steps out (withoutZapHangs).

// zapHangs reports whether the step from s to d zaps a namespace k (its
// init's group has a Running thread in s and none in d) whose zap waits on
// a pid kept as a process group or session id (see above).
func zapHangs(s, d *state.State) bool {
	for k := uint8(2); k <= s.N; k++ {
		if s.Pidns[k] != k || s.PidnsZap[k] != 0 || !groupRunning(s, k) || groupRunning(d, k) {
			continue
		}
		for u := uint8(1); u <= s.N; u++ {
			if !s.St[u].Hashed() || (s.Tg[u] != k && s.HasPidIn(u, k)) {
				continue // killed by the zap: its references go with it
			}
			g := s.Tg[u]
			for _, id := range [2]uint8{s.Sid[g], s.Pgid[g]} {
				if id != 0 && id != k && s.HasPidIn(id, k) {
					return true
				}
			}
		}
	}
	return false
}

// groupRunning reports whether group g has a Running thread.
func groupRunning(s *state.State, g uint8) bool {
	for u := uint8(1); u <= s.N; u++ {
		if s.Tg[u] == g && s.St[u] == state.Running {
			return true
		}
	}
	return false
}

// withoutZapHangs drops from ops the steps that lead, in some settled state,
// to a zap waiting on a process group or session pid (zapHangs); only with
// sessions and pidns both on (without sessions every task stays in the
// root init's session and group).
func withoutZapHangs(m *linux.Model, cands []state.State, ops []Op) []Op {
	if a := m.Options().Actions; a&linux.Pidns == 0 || a&linux.Sessions == 0 {
		return ops
	}
	keep := ops[:0:0]
	for _, o := range ops {
		if o.Kind == OpExit || o.Kind == OpExitGroup || o.Kind == OpExec {
			next, err := Expand(m, cands, o)
			if err == nil && zapHangs(&cands[0], &next[0]) {
				continue
			}
		}
		keep = append(keep, o)
	}
	return keep
}
