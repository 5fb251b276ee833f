package linux

import (
	"fmt"
	"strconv"
	"strings"

	"cabacheck/spec"
	"cabacheck/state"
)

// Action kinds, in the order successors are generated for each acting task.
const (
	KFork          uint8 = 1 + iota // Fork(t): plain fork by thread t
	KForkParent                     // ForkParent(t): clone(CLONE_PARENT) by t
	KClone                          // Clone(t): clone(CLONE_THREAD) by t
	KSetSubreaper                   // SetSubreaper(t, on): prctl(PR_SET_CHILD_SUBREAPER)
	KIgnoreSigchld                  // IgnoreSigchld(t): SIGCHLD set to SIG_IGN
	KExitBegin                      // ExitBegin(t): exit_signals sets PF_EXITING
	KExitNotify                     // ExitNotify(t): exit_notify
	KReap                           // Reap(w, c): wait_task_zombie claims zombie c
	KRelease                        // Release(x): release_task
	KExecBegin                      // ExecBegin(t): de_thread starts, zap_other_threads
	KExecSwap                       // ExecSwap(t): de_thread takes over the leader
	KSetsid                         // Setsid(t): setsid()
	KSetpgid                        // Setpgid(t, c, p): setpgid(c, p) called by t
	KExecve                         // Execve(t): execve() by a single-threaded process
	KForkNewpid                     // ForkNewpid(t): clone(CLONE_NEWPID) by t
	KZapBegin                       // ZapBegin(t): zap_pid_ns_processes starts (t: the exiting namespace init)
	KZapReap                        // ZapReap(t, c): the zap's kernel_wait4 claims zombie c
	numKinds
)

// param says what an action's second parameter is.
type param uint8

const (
	paramNone  param = iota // Name(t)
	paramOnOff              // Name(t, on|off)
	paramTask               // Name(t, u)
	paramPair               // Name(t, c, p): the second parameter is c<<4 | p
)

// Pair packs two slots into an action's second parameter (Setpgid's c and p).
func Pair(c, p uint8) uint8 { return c<<4 | p&15 }

// maxValues bounds the second-parameter values of one kind for one actor:
// every pair of slots.
const maxValues = state.Slots * state.Slots

// valueBuf holds the second-parameter values the generator tries.
type valueBuf = [maxValues]uint8

// actionDef is everything the model knows of one action kind: Step's
// dispatch, the generator's enumeration, FormatAction and ParseAction all
// follow the table below. Adding an action is one entry plus its step
// function (docs/architecture.md).
type actionDef struct {
	name  string
	set   ActionSet    // the optional action set that enables it; 0: always enabled
	actor state.Status // the generator tries it for tasks in this status
	param param
	// step applies the action (parameters t and b) to s into d and reports
	// whether it was enabled; d is canonicalised by Step.
	step func(m *Model, s *state.State, t, b uint8, d *state.State) bool
	// values lists the second parameter's values the generator tries for
	// actor t (nil: the one value 0); it returns how many it wrote.
	values func(s *state.State, t uint8, out *valueBuf) int
}

var actionDefs = [numKinds]actionDef{
	KFork: {name: "Fork", actor: state.Running,
		step: func(m *Model, s *state.State, t, _ uint8, d *state.State) bool { return m.fork(s, t, d, false) }},
	KForkParent: {name: "ForkParent", set: CloneParent, actor: state.Running,
		step: func(m *Model, s *state.State, t, _ uint8, d *state.State) bool { return m.fork(s, t, d, true) }},
	KClone: {name: "Clone", set: Threads, actor: state.Running,
		step: func(m *Model, s *state.State, t, _ uint8, d *state.State) bool { return m.clone(s, t, d) }},
	KSetSubreaper: {name: "SetSubreaper", set: Subreaper, actor: state.Running, param: paramOnOff,
		step: func(_ *Model, s *state.State, t, b uint8, d *state.State) bool {
			return b <= 1 && setSubreaper(s, t, b == 1, d)
		},
		values: func(s *state.State, t uint8, out *valueBuf) int {
			out[0] = 1 // the flip of the group's current flag
			if s.Sub[s.Tg[t]] {
				out[0] = 0
			}
			return 1
		}},
	KIgnoreSigchld: {name: "IgnoreSigchld", set: IgnoreSigchld, actor: state.Running,
		step: func(_ *Model, s *state.State, t, _ uint8, d *state.State) bool { return ignoreSigchld(s, t, d) }},
	KExitBegin: {name: "ExitBegin", actor: state.Running,
		step: func(_ *Model, s *state.State, t, _ uint8, d *state.State) bool { return exitBegin(s, t, d) }},
	KExitNotify: {name: "ExitNotify", actor: state.Exiting,
		step: func(m *Model, s *state.State, t, _ uint8, d *state.State) bool { return m.exitNotify(s, t, d) }},
	KReap: {name: "Reap", actor: state.Running, param: paramTask,
		step: func(_ *Model, s *state.State, t, b uint8, d *state.State) bool {
			return b >= 1 && b <= s.N && reap(s, t, b, d)
		},
		values: func(s *state.State, t uint8, out *valueBuf) int {
			n := 0
			if s.Exec[s.Tg[t]] != state.None {
				return 0
			}
			for c := uint8(1); c <= s.N; c++ {
				if s.St[c] == state.Zombie {
					out[n] = c
					n++
				}
			}
			return n
		}},
	KRelease: {name: "Release", actor: state.Dead,
		step: func(m *Model, s *state.State, t, _ uint8, d *state.State) bool { return m.release(s, t, d) }},
	KExecBegin: {name: "ExecBegin", set: Exec, actor: state.Running,
		step: func(_ *Model, s *state.State, t, _ uint8, d *state.State) bool { return execBegin(s, t, d) }},
	KExecSwap: {name: "ExecSwap", set: Exec, actor: state.Running,
		step: func(m *Model, s *state.State, t, _ uint8, d *state.State) bool { return m.execSwap(s, t, d) }},
	KSetsid: {name: "Setsid", set: Sessions, actor: state.Running,
		step: func(_ *Model, s *state.State, t, _ uint8, d *state.State) bool { return setsid(s, t, d) }},
	KSetpgid: {name: "Setpgid", set: Sessions, actor: state.Running, param: paramPair,
		step: func(_ *Model, s *state.State, t, b uint8, d *state.State) bool {
			return setpgid(s, t, b>>4, b&15, d)
		},
		values: setpgidValues},
	KExecve: {name: "Execve", set: Execve, actor: state.Running,
		step: func(_ *Model, s *state.State, t, _ uint8, d *state.State) bool { return execve(s, t, d) }},
	KForkNewpid: {name: "ForkNewpid", set: Pidns, actor: state.Running,
		step: func(m *Model, s *state.State, t, _ uint8, d *state.State) bool { return m.forkNewpid(s, t, d) }},
	KZapBegin: {name: "ZapBegin", set: Pidns, actor: state.Exiting,
		step: func(_ *Model, s *state.State, t, _ uint8, d *state.State) bool { return zapBegin(s, t, d) }},
	KZapReap: {name: "ZapReap", set: Pidns, actor: state.Exiting, param: paramTask,
		step:   func(_ *Model, s *state.State, t, b uint8, d *state.State) bool { return zapReap(s, t, b, d) },
		values: zapReapValues},
}

// KindName returns the name of an action kind.
func KindName(k uint8) string {
	if k > 0 && k < numKinds {
		return actionDefs[k].name
	}
	return fmt.Sprintf("Kind%d", k)
}

// KindSet returns the optional action set that enables kind k (0: always
// enabled), from the action table.
func KindSet(k uint8) ActionSet {
	if k > 0 && k < numKinds {
		return actionDefs[k].set
	}
	return 0
}

// Act builds an action.
func Act(kind, a, b uint8) spec.Action { return spec.MakeAction(kind, a, b) }

// FormatAction renders a as in docs/model.md: Fork(2), SetSubreaper(2, on),
// Reap(1, 3), Setpgid(2, 3, 3).
func FormatAction(a spec.Action) string {
	k := a.Kind()
	p := paramNone
	if k > 0 && k < numKinds {
		p = actionDefs[k].param
	}
	switch p {
	case paramOnOff:
		on := "off"
		if a.B() != 0 {
			on = "on"
		}
		return fmt.Sprintf("%s(%d, %s)", KindName(k), a.A(), on)
	case paramTask:
		return fmt.Sprintf("%s(%d, %d)", KindName(k), a.A(), a.B())
	case paramPair:
		return fmt.Sprintf("%s(%d, %d, %d)", KindName(k), a.A(), a.B()>>4, a.B()&15)
	}
	return fmt.Sprintf("%s(%d)", KindName(k), a.A())
}

// ParseAction parses the output of FormatAction (spaces are optional).
func ParseAction(s string) (spec.Action, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	open := strings.IndexByte(t, '(')
	if open < 0 || !strings.HasSuffix(t, ")") {
		return 0, fmt.Errorf("action %q: want Name(args)", s)
	}
	name, args := t[:open], strings.Split(t[open+1:len(t)-1], ",")
	kind := uint8(0)
	for k := uint8(1); k < numKinds; k++ {
		if strings.EqualFold(actionDefs[k].name, name) {
			kind = k
		}
	}
	if kind == 0 {
		return 0, fmt.Errorf("action %q: unknown action %q", s, name)
	}
	def := &actionDefs[kind]
	want := 1
	switch def.param {
	case paramNone:
	case paramPair:
		want = 3
	default:
		want = 2
	}
	if len(args) != want {
		return 0, fmt.Errorf("action %q: %s takes %d argument(s)", s, def.name, want)
	}
	var v [3]uint8
	for i, a := range args {
		if def.param == paramOnOff && i == 1 {
			switch strings.ToLower(a) {
			case "on", "1", "true":
				v[1] = 1
			case "off", "0", "false":
				v[1] = 0
			default:
				return 0, fmt.Errorf("action %q: %s wants on or off", s, def.name)
			}
			continue
		}
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 || n > 255 {
			return 0, fmt.Errorf("action %q: bad task %q", s, a)
		}
		if def.param == paramPair && i > 0 && n > state.MaxTasks {
			return 0, fmt.Errorf("action %q: bad slot %q (want 0..%d)", s, a, state.MaxTasks)
		}
		v[i] = uint8(n)
	}
	if def.param == paramPair {
		v[1] = Pair(v[1], v[2])
	}
	return Act(kind, v[0], v[1]), nil
}
