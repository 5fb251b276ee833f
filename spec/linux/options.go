package linux

import (
	"fmt"
	"sort"
	"strings"

	"cabacheck/state"
)

// ActionSet is a set of optional actions.
type ActionSet uint8

const (
	Threads       ActionSet = 1 << iota // Clone (CLONE_THREAD)
	CloneParent                         // ForkParent (CLONE_PARENT)
	Exec                                // ExecBegin, ExecSwap (de_thread)
	Subreaper                           // SetSubreaper (PR_SET_CHILD_SUBREAPER)
	IgnoreSigchld                       // IgnoreSigchld (SIGCHLD set to SIG_IGN)
	Sessions                            // Setsid, Setpgid (sessions and process groups)
	Execve                              // Execve (a single-threaded exec: clears PF_FORKNOEXEC)
	Pidns                               // ForkNewpid, ZapBegin, ZapReap (pid namespaces)
)

var actionSetNames = []struct {
	name string
	bit  ActionSet
}{
	{"threads", Threads}, {"clone-parent", CloneParent}, {"exec", Exec},
	{"subreaper", Subreaper}, {"ignore-sigchld", IgnoreSigchld},
	{"sessions", Sessions}, {"execve", Execve}, {"pidns", Pidns},
}

// DefaultActions is every optional action but ignore-sigchld, sessions,
// execve and pidns.
const DefaultActions = Threads | CloneParent | Exec | Subreaper

// AllActions is every optional action of the task model proper: the default
// ones and ignore-sigchld. The sessions, execve and pidns sets are not in it
// (nor in DefaultActions), so that "all" means what it meant before they
// existed and its recorded figures stand; "all,sessions,execve,pidns" turns
// everything on.
const AllActions = DefaultActions | IgnoreSigchld

// ParseActions parses a comma-separated list of optional actions; "all",
// "default" and "none" are accepted as whole sets.
func ParseActions(s string) (ActionSet, error) {
	var set ActionSet
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		switch f {
		case "":
			continue
		case "all":
			set |= AllActions
			continue
		case "default":
			set |= DefaultActions
			continue
		case "none":
			continue
		}
		found := false
		for _, a := range actionSetNames {
			if a.name == f {
				set |= a.bit
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown action %q (want names from %s, or all, default, none)", f, ActionNames())
		}
	}
	return set, nil
}

// ActionNames lists the optional action names.
func ActionNames() string {
	var n []string
	for _, a := range actionSetNames {
		n = append(n, a.name)
	}
	return strings.Join(n, ",")
}

func (a ActionSet) String() string {
	var n []string
	for _, x := range actionSetNames {
		if a&x.bit != 0 {
			n = append(n, x.name)
		}
	}
	sort.Strings(n)
	if len(n) == 0 {
		return "none"
	}
	return strings.Join(n, ",")
}

// Options are the parameters of a model instance.
type Options struct {
	Tasks    int // task budget, init included
	Revision Revision
	Actions  ActionSet
}

// Validate checks the bound.
func (o Options) Validate() error {
	if o.Tasks < 2 || o.Tasks > state.MaxTasks {
		return fmt.Errorf("--tasks %d is outside 2..%d (init plus at least one task; the encoding holds %d)", o.Tasks, state.MaxTasks, state.MaxTasks)
	}
	if !o.Revision.Valid() {
		return fmt.Errorf("revision %d is not registered", o.Revision)
	}
	return nil
}
