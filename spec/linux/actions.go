package linux

import (
	"fmt"
	"strconv"
	"strings"

	"cabacheck/spec"
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
	numKinds
)

var kindNames = [...]string{
	KFork: "Fork", KForkParent: "ForkParent", KClone: "Clone", KSetSubreaper: "SetSubreaper",
	KIgnoreSigchld: "IgnoreSigchld", KExitBegin: "ExitBegin", KExitNotify: "ExitNotify",
	KReap: "Reap", KRelease: "Release", KExecBegin: "ExecBegin", KExecSwap: "ExecSwap",
}

// KindName returns the name of an action kind.
func KindName(k uint8) string {
	if k > 0 && k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind%d", k)
}

// Act builds an action.
func Act(kind, a, b uint8) spec.Action { return spec.MakeAction(kind, a, b) }

// FormatAction renders a as in docs/model.md: Fork(2), SetSubreaper(2, on), Reap(1, 3).
func FormatAction(a spec.Action) string {
	switch a.Kind() {
	case KSetSubreaper:
		on := "off"
		if a.B() != 0 {
			on = "on"
		}
		return fmt.Sprintf("SetSubreaper(%d, %s)", a.A(), on)
	case KReap:
		return fmt.Sprintf("Reap(%d, %d)", a.A(), a.B())
	}
	return fmt.Sprintf("%s(%d)", KindName(a.Kind()), a.A())
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
		if strings.EqualFold(kindNames[k], name) {
			kind = k
		}
	}
	if kind == 0 {
		return 0, fmt.Errorf("action %q: unknown action %q", s, name)
	}
	want := 1
	if kind == KSetSubreaper || kind == KReap {
		want = 2
	}
	if len(args) != want {
		return 0, fmt.Errorf("action %q: %s takes %d argument(s)", s, kindNames[kind], want)
	}
	var v [2]uint8
	for i, a := range args {
		if kind == KSetSubreaper && i == 1 {
			switch strings.ToLower(a) {
			case "on", "1", "true":
				v[1] = 1
			case "off", "0", "false":
				v[1] = 0
			default:
				return 0, fmt.Errorf("action %q: SetSubreaper wants on or off", s)
			}
			continue
		}
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 || n > 255 {
			return 0, fmt.Errorf("action %q: bad task %q", s, a)
		}
		v[i] = uint8(n)
	}
	return Act(kind, v[0], v[1]), nil
}
