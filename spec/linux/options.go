package linux

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"cabacheck/state"
)

// Revision selects the CABA overlay.
type Revision uint8

const (
	Seed  Revision = iota // v1/v2: caba = real_parent at fork, hand-off at exit_notify
	V3                    // caba = current, hand-off at release_task
	V4                    // as v3, but a thread's caba is current->real_parent
	Fixed                 // the project's proposed fix (docs/findings.md)
)

var revisionNames = []string{"seed", "v3", "v4", "fixed"}

func (r Revision) String() string { return revisionNames[r] }

// Revisions returns every revision, in order.
func Revisions() []Revision { return []Revision{Seed, V3, V4, Fixed} }

// ParseRevision parses a revision name.
func ParseRevision(s string) (Revision, error) {
	for i, n := range revisionNames {
		if s == n {
			return Revision(i), nil
		}
	}
	return 0, fmt.Errorf("unknown revision %q (want one of %s)", s, strings.Join(revisionNames, ", "))
}

// ParseRevisions parses a comma-separated list of revisions, "all" for
// every one; duplicates are dropped, order is kept.
func ParseRevisions(list string) ([]Revision, error) {
	if strings.TrimSpace(list) == "all" {
		return Revisions(), nil
	}
	var revs []Revision
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		r, err := ParseRevision(f)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(revs, r) {
			revs = append(revs, r)
		}
	}
	if len(revs) == 0 {
		return nil, fmt.Errorf("no revision given")
	}
	return revs, nil
}

// ActionSet is a set of optional actions.
type ActionSet uint8

const (
	Threads       ActionSet = 1 << iota // Clone (CLONE_THREAD)
	CloneParent                         // ForkParent (CLONE_PARENT)
	Exec                                // ExecBegin, ExecSwap (de_thread)
	Subreaper                           // SetSubreaper (PR_SET_CHILD_SUBREAPER)
	IgnoreSigchld                       // IgnoreSigchld (SIGCHLD set to SIG_IGN)
)

var actionSetNames = []struct {
	name string
	bit  ActionSet
}{
	{"threads", Threads}, {"clone-parent", CloneParent}, {"exec", Exec},
	{"subreaper", Subreaper}, {"ignore-sigchld", IgnoreSigchld},
}

// DefaultActions is every optional action but ignore-sigchld.
const DefaultActions = Threads | CloneParent | Exec | Subreaper

// AllActions is every optional action.
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
	if int(o.Revision) >= len(revisionNames) {
		return fmt.Errorf("bad revision %d", o.Revision)
	}
	return nil
}
