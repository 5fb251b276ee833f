// Package kernel is the bridge between the Linux task model and real kernels:
// it turns model traces into scripts of syscall-level steps for the C harness
// (kernel/harness/harness.c), predicts what the harness must observe after
// every settled step, compares, and drives the host and qemu runs.
//
// The model's actions are finer than syscalls. A syscall-level step (an Op)
// is one model action followed by every internal action the kernel runs to
// completion before the syscall is over: ExitBegin is followed by ExitNotify
// and the release of what auto-reaps; Reap by Release; ExecBegin by the exit
// of the killed threads, ExecSwap and the old leader's Release. Where the
// kernel may run those internal actions in several orders (threads killed by
// exec or exit_group), the model gives several settled states; the kernel must
// match one of them, so only what all of them agree on is determined.
package kernel

import (
	"fmt"
	"strconv"
	"strings"

	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// OpKind is a syscall-level step.
type OpKind uint8

const (
	OpFork       OpKind = iota + 1 // fork() by thread T
	OpForkParent                   // clone(CLONE_PARENT) by T
	OpClone                        // clone(CLONE_THREAD) by T
	OpSubreaper                    // prctl(PR_SET_CHILD_SUBREAPER, On) by T
	OpIgnChld                      // sigaction(SIGCHLD, SIG_IGN) by T
	OpExit                         // SYS_exit by T (one thread)
	OpExitGroup                    // exit_group by T
	OpWait                         // waitpid(C, WNOHANG|__WALL) by T: claim and release
	OpExec                         // execve by T (de_thread)
	OpRead                         // no syscall: read /proc again
	OpSetsid                       // setsid() by T
	OpSetpgid                      // setpgid(C, P) by T (C, P: group names)
	OpExecve                       // execve by T, the only task of its process
	OpForkNewpid                   // clone(CLONE_NEWPID) by T (pidns)
)

var opNames = [...]string{OpFork: "Fork", OpForkParent: "ForkParent", OpClone: "Clone", OpSubreaper: "SetSubreaper",
	OpIgnChld: "IgnoreSigchld", OpExit: "Exit", OpExitGroup: "ExitGroup", OpWait: "Wait", OpExec: "Exec", OpRead: "Read",
	OpSetsid: "Setsid", OpSetpgid: "Setpgid", OpExecve: "Execve", OpForkNewpid: "ForkNewpid"}

var harnessNames = [...]string{OpFork: "fork", OpForkParent: "forkparent", OpClone: "clone", OpSubreaper: "subreaper",
	OpIgnChld: "ignchld", OpExit: "exit", OpExitGroup: "exitgroup", OpWait: "wait", OpExec: "exec", OpRead: "read",
	OpSetsid: "setsid", OpSetpgid: "setpgid", OpExecve: "exec", OpForkNewpid: "forknewpid"}

// Op is one syscall-level step.
type Op struct {
	Kind OpKind
	T    uint8 // acting thread
	C    uint8 // Wait: the child; Setpgid: the process (a group name)
	P    uint8 // Setpgid: the process group (a group name)
	On   bool  // SetSubreaper
}

func (o Op) String() string {
	switch o.Kind {
	case OpSubreaper:
		if o.On {
			return fmt.Sprintf("SetSubreaper(%d, on)", o.T)
		}
		return fmt.Sprintf("SetSubreaper(%d, off)", o.T)
	case OpWait:
		return fmt.Sprintf("Wait(%d, %d)", o.T, o.C)
	case OpSetpgid:
		return fmt.Sprintf("Setpgid(%d, %d, %d)", o.T, o.C, o.P)
	case OpRead:
		return "Read()"
	}
	if int(o.Kind) < len(opNames) && opNames[o.Kind] != "" {
		return fmt.Sprintf("%s(%d)", opNames[o.Kind], o.T)
	}
	return fmt.Sprintf("Op%d(%d)", o.Kind, o.T)
}

// ParseOp parses the output of Op.String.
func ParseOp(s string) (Op, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	open := strings.IndexByte(t, '(')
	if open < 0 || !strings.HasSuffix(t, ")") {
		return Op{}, fmt.Errorf("step %q: want Name(args)", s)
	}
	name, argv := t[:open], t[open+1:len(t)-1]
	var o Op
	for k, n := range opNames {
		if n != "" && strings.EqualFold(n, name) {
			o.Kind = OpKind(k)
		}
	}
	if o.Kind == 0 {
		return o, fmt.Errorf("step %q: unknown step %q", s, name)
	}
	if o.Kind == OpRead {
		return o, nil
	}
	args := strings.Split(argv, ",")
	want := 1
	switch o.Kind {
	case OpSubreaper, OpWait:
		want = 2
	case OpSetpgid:
		want = 3
	}
	if len(args) != want {
		return o, fmt.Errorf("step %q: %s takes %d argument(s)", s, name, want)
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 || n > state.MaxTasks {
		return o, fmt.Errorf("step %q: bad task %q", s, args[0])
	}
	o.T = uint8(n)
	if o.Kind == OpWait || o.Kind == OpSetpgid {
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 || n > state.MaxTasks {
			return o, fmt.Errorf("step %q: bad task %q", s, args[1])
		}
		o.C = uint8(n)
	}
	if o.Kind == OpSetpgid {
		n, err := strconv.Atoi(args[2])
		if err != nil || n < 1 || n > state.MaxTasks {
			return o, fmt.Errorf("step %q: bad task %q", s, args[2])
		}
		o.P = uint8(n)
	}
	if o.Kind == OpSubreaper {
		switch strings.ToLower(args[1]) {
		case "on", "1", "true":
			o.On = true
		case "off", "0", "false":
		default:
			return o, fmt.Errorf("step %q: SetSubreaper wants on or off", s)
		}
	}
	return o, nil
}

// ParseOps parses a blank- or newline-separated list of steps.
func ParseOps(s string) ([]Op, error) {
	var ops []Op
	for _, f := range splitOps(s) {
		o, err := ParseOp(f)
		if err != nil {
			return nil, err
		}
		ops = append(ops, o)
	}
	return ops, nil
}

// splitOps splits "Fork(1) Wait(1, 2)" into its steps (blanks inside
// parentheses do not split).
func splitOps(s string) []string {
	var out []string
	depth, start := 0, -1
	for i, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')':
			depth--
			if depth == 0 && start >= 0 {
				out = append(out, s[start:i+1])
				start = -1
			}
		case depth == 0 && (r == ' ' || r == '\n' || r == '\t' || r == ',' || r == ';'):
		default:
			if start < 0 {
				start = i
			}
		}
	}
	return out
}

// FormatOps renders steps on one line.
func FormatOps(ops []Op) string {
	var b []string
	for _, o := range ops {
		b = append(b, o.String())
	}
	return strings.Join(b, " ")
}

// maxCandidates bounds the settled states kept for one step.
const maxCandidates = 4096

// Expand applies op to every state of cands and returns the settled states
// the kernel may end in (deduplicated, in a deterministic order). A candidate
// in which op is not enabled is dropped; the error reports an op enabled in
// none of them, or a model that cannot settle. An op the model does not
// enable but the harness performs as a refusal (Refusal: setsid, setpgid,
// waitpid, clone(CLONE_PARENT) by init, a no-op execve, prctl or sigaction)
// keeps the state: the kernel refuses it and changes nothing (see Expand2).
func Expand(m *linux.Model, cands []state.State, op Op) ([]state.State, error) {
	out, _, err := Expand2(m, cands, op)
	return out, err
}

// Outcome is what the kernel must return on the way to one settled state.
type Outcome struct {
	// Ret is "" when the harness reports no return for the op; "ok V" for a
	// call that succeeds (V: setsid's session as a group name, 0 for
	// setpgid); an errno name (EPERM, ESRCH, EACCES) or RetAnyError for a
	// call the model does not enable. Wait: "ok G" (G the reaped process's
	// group name), "ok 0" (not reapable) or ECHILD; a failed clone: its errno.
	Ret string
	// Refused: the model does not enable the call, so the state stays as it
	// was (an error, or a setpgid into the group the process is in, which
	// returns 0).
	Refused bool
}

// Expand2 is Expand with the outcome of every settled state.
func Expand2(m *linux.Model, cands []state.State, op Op) ([]state.State, []Outcome, error) {
	if op.Kind == OpRead {
		return cands, make([]Outcome, len(cands)), nil
	}
	type key struct {
		s state.State
		o Outcome
	}
	var out []state.State
	var outs []Outcome
	seen := map[key]bool{}
	add := func(t state.State, o Outcome) {
		if !seen[key{t, o}] {
			seen[key{t, o}] = true
			out = append(out, t)
			outs = append(outs, o)
		}
	}
	for i := range cands {
		s := &cands[i]
		first, ok := firstAction(s, op)
		if !ok {
			continue
		}
		var d state.State
		if !m.Step(s, first, &d) {
			if r, ok := Refusal(m, s, op); ok {
				add(*s, Outcome{Ret: r, Refused: true})
			}
			continue
		}
		kill := killSet(s, op)
		term, err := settle(m, d, op, kill)
		if err != nil {
			return nil, nil, err
		}
		for _, t := range term {
			add(t, Outcome{Ret: success(s, op)})
		}
		if len(out) > maxCandidates {
			return nil, nil, fmt.Errorf("%s: more than %d settled states", op, maxCandidates)
		}
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("%s is not enabled", op)
	}
	return out, outs, nil
}

// firstAction is the model action the syscall starts with.
func firstAction(s *state.State, op Op) (spec.Action, bool) {
	t := op.T
	if t == 0 || t > s.N {
		return 0, false
	}
	switch op.Kind {
	case OpFork:
		return linux.Act(linux.KFork, t, 0), true
	case OpForkParent:
		return linux.Act(linux.KForkParent, t, 0), true
	case OpClone:
		return linux.Act(linux.KClone, t, 0), true
	case OpSubreaper:
		on := uint8(0)
		if op.On {
			on = 1
		}
		return linux.Act(linux.KSetSubreaper, t, on), true
	case OpIgnChld:
		return linux.Act(linux.KIgnoreSigchld, t, 0), true
	case OpExit, OpExitGroup:
		// exit_signals is reached by a running thread outside any exec
		if s.St[t] != state.Running || s.Exec[s.Tg[t]] != state.None {
			return 0, false
		}
		return linux.Act(linux.KExitBegin, t, 0), true
	case OpWait:
		return linux.Act(linux.KReap, t, op.C), true
	case OpExec:
		return linux.Act(linux.KExecBegin, t, 0), true
	case OpSetsid:
		return linux.Act(linux.KSetsid, t, 0), true
	case OpSetpgid:
		if op.C == 0 || op.C > s.N || op.P == 0 || op.P > s.N {
			return 0, false
		}
		return linux.Act(linux.KSetpgid, t, linux.Pair(op.C, op.P)), true
	case OpExecve:
		return linux.Act(linux.KExecve, t, 0), true
	case OpForkNewpid:
		return linux.Act(linux.KForkNewpid, t, 0), true
	}
	return 0, false
}

// killSet is the set of threads the syscall kills: the other threads of the
// group for exit_group and exec.
func killSet(s *state.State, op Op) uint32 {
	if op.Kind != OpExitGroup && op.Kind != OpExec {
		return 0
	}
	g := s.Tg[op.T]
	var k uint32
	for u := uint8(1); u <= s.N; u++ {
		if u != op.T && s.Tg[u] == g && s.St[u] == state.Running {
			k |= 1 << u
		}
	}
	return k
}

// settle explores every order of the internal actions (exits of the killed
// threads, exit_notify, release_task, the exec swap) and returns the states
// where none is left. With pidns, the exit of a namespace init runs
// zap_pid_ns_processes inside the same syscall: ZapBegin, the exit of every
// task it kills (State.Killed: they are blocked in the harness's pipe read,
// which SIGKILL interrupts, so the kernel completes their exits without user
// space), the zap's reaping (ZapReap) and the init's own exit_notify once
// the namespace is empty. The windows the model opens there (other tasks
// acting while the zap waits) are inside the kernel: the harness cannot
// stop it halfway, so a step only sees the settled end.
func settle(m *linux.Model, s0 state.State, op Op, kill uint32) ([]state.State, error) {
	var term []state.State
	zaps := m.Options().Actions&linux.Pidns != 0
	seen := map[state.State]bool{s0: true}
	queue := []state.State{s0}
	var d state.State
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		moved := false
		try := func(a spec.Action) {
			if m.Step(&s, a, &d) {
				moved = true
				if !seen[d] {
					seen[d] = true
					queue = append(queue, d)
				}
			}
		}
		for u := uint8(1); u <= s.N; u++ {
			switch s.St[u] {
			case state.Running:
				if kill&(1<<u) != 0 || s.Killed(u) {
					try(linux.Act(linux.KExitBegin, u, 0))
				}
				if op.Kind == OpExec && u == op.T {
					try(linux.Act(linux.KExecSwap, u, 0))
				}
			case state.Exiting:
				try(linux.Act(linux.KExitNotify, u, 0))
				if zaps {
					try(linux.Act(linux.KZapBegin, u, 0))
					for c := uint8(1); c <= s.N; c++ {
						if s.St[c] == state.Zombie {
							try(linux.Act(linux.KZapReap, u, c))
						}
					}
				}
			case state.Dead:
				try(linux.Act(linux.KRelease, u, 0))
			}
		}
		if !moved {
			if s.Corrupt {
				term = append(term, s)
				continue
			}
			if op.Kind == OpExec && s.Exec[s.Tg[op.T]] != state.None {
				return nil, fmt.Errorf("%s: the model's exec does not complete", op)
			}
			term = append(term, s)
		}
		if len(seen) > 1<<16 {
			return nil, fmt.Errorf("%s: too many intermediate states", op)
		}
	}
	return term, nil
}

// NewSlot is the slot a creating op gives its new task in s, or 0.
func NewSlot(s *state.State, op Op) uint8 {
	switch op.Kind {
	case OpFork, OpForkParent, OpClone, OpForkNewpid:
		if n := s.NextFree(); n != state.None {
			return n
		}
	}
	return 0
}

// EnabledOps lists the ops enabled in a settled state, in a fixed order.
func EnabledOps(m *linux.Model, s *state.State) []Op {
	var ops []Op
	acts := m.Options().Actions
	for t := uint8(1); t <= s.N; t++ {
		if s.St[t] != state.Running {
			continue
		}
		cand := []Op{{Kind: OpFork, T: t}}
		if acts&linux.CloneParent != 0 {
			cand = append(cand, Op{Kind: OpForkParent, T: t})
		}
		if acts&linux.Threads != 0 {
			cand = append(cand, Op{Kind: OpClone, T: t})
		}
		if acts&linux.Subreaper != 0 {
			cand = append(cand, Op{Kind: OpSubreaper, T: t, On: !s.Sub[s.Tg[t]]})
		}
		if acts&linux.IgnoreSigchld != 0 {
			cand = append(cand, Op{Kind: OpIgnChld, T: t})
		}
		cand = append(cand, Op{Kind: OpExit, T: t})
		if acts&linux.Threads != 0 && !s.GroupEmpty(s.Tg[t]) {
			cand = append(cand, Op{Kind: OpExitGroup, T: t})
		}
		for c := uint8(1); c <= s.N; c++ {
			if s.St[c] == state.Zombie {
				cand = append(cand, Op{Kind: OpWait, T: t, C: c})
			}
		}
		if acts&linux.Exec != 0 {
			cand = append(cand, Op{Kind: OpExec, T: t})
		}
		if acts&linux.Sessions != 0 {
			cand = append(cand, Op{Kind: OpSetsid, T: t})
			for c := uint8(1); c <= s.N; c++ {
				for p := uint8(1); p <= s.N; p++ {
					if groupName(s, c) && groupName(s, p) {
						cand = append(cand, Op{Kind: OpSetpgid, T: t, C: c, P: p})
					}
				}
			}
		}
		if acts&linux.Execve != 0 {
			cand = append(cand, Op{Kind: OpExecve, T: t})
		}
		if acts&linux.Pidns != 0 {
			cand = append(cand, Op{Kind: OpForkNewpid, T: t})
		}
		for _, o := range cand {
			a, ok := firstAction(s, o)
			var d state.State
			if ok && m.Step(s, a, &d) {
				ops = append(ops, o)
			}
		}
	}
	return ops
}
