package invariants

import (
	"fmt"
	"slices"
	"strings"

	"cabacheck/spec/linux"
	"cabacheck/state"
)

// Invariant is a named predicate. Eval returns whether the invariant holds in
// s; when why is non-nil it appends one line per offending task.
type Invariant struct {
	Name        string
	Group       string // "sanity" (kernel facts) or "caba" (the patch's claims)
	Description string
	Eval        func(s *state.State, why *[]string) bool
	// Needs is the optional action set without which the invariant holds
	// trivially (0: none).
	Needs linux.ActionSet
}

// Holds reports whether inv holds in s.
func (inv *Invariant) Holds(s *state.State) bool { return inv.Eval(s, nil) }

// Explain returns why inv fails in s (nil when it holds).
func (inv *Invariant) Explain(s *state.State) []string {
	var why []string
	if inv.Eval(s, &why) {
		return nil
	}
	return why
}

func fail(why *[]string, format string, args ...any) {
	if why != nil {
		*why = append(*why, fmt.Sprintf(format, args...))
	}
}

// entry is a library invariant: a fixed predicate, or (bind set) one whose
// predicate depends on the revision, or (alias set) a name for the revision's
// own reading of another invariant.
type entry struct {
	Invariant
	bind  func(rev linux.Revision) func(s *state.State, why *[]string) bool
	alias func(rev linux.Revision) string
}

func fixed(name, group, desc string, eval func(s *state.State, why *[]string) bool) entry {
	return entry{Invariant: Invariant{Name: name, Group: group, Description: desc, Eval: eval}}
}

// needs marks an invariant of an optional action set: without the set it
// holds trivially, and a group selection for a model without it leaves it out.
func needs(set linux.ActionSet, e entry) entry {
	e.Needs = set
	return e
}

// library is every invariant, in a fixed order: the model's own
// (modelInvariants, here), the sessions and process groups invariants
// (sessions.go), the derived checks the findings use (derivedInvariants,
// here), the pid namespace checks (pidns.go) and the restorability checks
// (restore.go). Groups sanity and caba
// are model.md's invariants (and "all" means exactly those).
var library = slices.Concat(modelInvariants, sessionInvariants, derivedInvariants, pidnsInvariants, restoreInvariants)

var modelInvariants = []entry{
	fixed("ParentHashed", "sanity", "every hashed task's real_parent is hashed (or init_task for init)", parentHashed),
	fixed("ThreadsShareParent", "sanity", "all hashed threads of a process have the same real_parent", threadsShareParent),
	fixed("OneLeaderPerGroup", "sanity", "every process with a hashed task has exactly one group_leader, hashed and in the process", oneLeaderPerGroup),
	fixed("ExitedHaveNoChildren", "sanity", "a task that has run exit_notify (zombie, dead, released) has no children", exitedHaveNoChildren),
	fixed("NoDanglingCaba", "caba", "every hashed task's caba is hashed or init_task", noDanglingCaba),
	fixed("NoUseAfterFree", "caba", "the kernel never read or wrote a released task_struct through caba/cabds", noUseAfterFree),
	fixed("CabdListMatchesCaba", "caba", "every hashed leader sits on the cabds list of its own caba", cabdListMatchesCaba),
	fixed("ThreadsAgreeOnCaba", "caba", "every hashed thread's caba equals its leader's", threadsAgreeOnCaba),
	fixed("CabaAcyclic", "caba", "following caba from any hashed task reaches init_task", cabaAcyclic),
	fixed(ClosestHashed, "caba", "a leader's caba is in the closest born-ancestor process that still has a hashed task (v3/v4 intent)", cabaClosestHashed),
	fixed(ClosestNotified, "caba", "a leader's caba is in the closest born-ancestor process that has a task not past exit_notify (seed intent)", cabaClosestNotified),
}

var derivedInvariants = []entry{
	fixed(LeaderCabaHashed, "derived", "every hashed leader's caba is hashed or init_task (NoDanglingCaba restricted to leaders)", leaderCabaHashed),
	{Invariant: Invariant{Name: ClosestIntended, Group: "derived"}, alias: IntendedReading},
	{Invariant: Invariant{Name: NScabaNamesProcess, Group: "derived",
		Description: "for every hashed task whose caba is hashed, NScaba prints the TGID of the caba's process, as PPid prints the parent's TGID"},
		bind: func(rev linux.Revision) func(*state.State, *[]string) bool {
			return func(s *state.State, why *[]string) bool { return nscabaNamesProcess(rev, s, why, false) }
		}},
	{Invariant: Invariant{Name: NScabaNamesProcessDuringExec, Group: "derived",
		Description: "while a de_thread is between its TID swap and the old leader's release, NScaba of a task whose caba is that old leader names the caba's process"},
		bind: func(rev linux.Revision) func(*state.State, *[]string) bool {
			return func(s *state.State, why *[]string) bool { return nscabaNamesProcess(rev, s, why, true) }
		}},
}

// Names of the invariants other packages refer to.
const (
	ClosestHashed                = "CabaClosestHashed"
	ClosestNotified              = "CabaClosestNotified"
	ClosestIntended              = "CabaClosestIntended"
	LeaderCabaHashed             = "LeaderCabaHashed"
	NScabaNamesProcess           = "NScabaNamesProcess"
	NScabaNamesProcessDuringExec = "NScabaNamesProcessDuringExec"
)

// IntendedReading names the CabaClosest invariant of the reading of "alive"
// revision rev was written for (its registry entry's Alive).
func IntendedReading(rev linux.Revision) string {
	if rev.Def().Alive == linux.AliveNotified {
		return ClosestNotified
	}
	return ClosestHashed
}

// bound returns e for rev: an alias resolved to its target, a
// revision-dependent predicate bound.
func (e entry) bound(rev linux.Revision) Invariant {
	if e.alias != nil {
		t, _ := byName(e.alias(rev))
		return t.Invariant
	}
	inv := e.Invariant
	if e.bind != nil {
		inv.Eval = e.bind(rev)
	}
	return inv
}

// boundName is the name of e for rev (an alias's target), without binding
// its predicate (a restore invariant's binding builds a memoised checker).
func (e entry) boundName(rev linux.Revision) string {
	if e.alias != nil {
		return e.alias(rev)
	}
	return e.Name
}

// Describe returns the description of an invariant name, as `invariants`
// lists it; the alias describes its reading per registered revision.
func (e entry) Describe() string {
	if e.alias == nil {
		return e.Description
	}
	by := map[string][]string{}
	var order []string
	for _, r := range linux.Revisions() {
		t := e.alias(r)
		if by[t] == nil {
			order = append(order, t)
		}
		by[t] = append(by[t], r.String())
	}
	var parts []string
	for _, t := range order {
		parts = append(parts, t+" for "+strings.Join(by[t], ", "))
	}
	return "the revision's intended reading: " + strings.Join(parts, "; ")
}

// Info is one library entry as `invariants` lists it.
type Info struct {
	Name, Group, Description string
	PerRevision              bool // the predicate depends on the revision
}

// List returns every library invariant, in order.
func List() []Info {
	var out []Info
	for _, e := range library {
		out = append(out, Info{Name: e.Name, Group: e.Group, Description: e.Describe(), PerRevision: e.alias != nil || e.bind != nil})
	}
	return out
}

// All returns every invariant of groups sanity and caba, in a fixed order
// (none of them depends on the revision).
func All() []Invariant {
	var out []Invariant
	for _, e := range library {
		if e.Group == "sanity" || e.Group == "caba" {
			out = append(out, e.Invariant)
		}
	}
	return out
}

// Groups lists the group names accepted by Select.
func Groups() []string { return []string{"sanity", "caba", "derived", "restore", "all"} }

// inGroup reports whether group selector f selects e; "all" is sanity and caba.
func (e entry) inGroup(f string) bool {
	return f == e.Group || (f == "all" && (e.Group == "sanity" || e.Group == "caba"))
}

// Select resolves a comma-separated list of invariant names and groups for
// revision rev, in library order.
func Select(list string, rev linux.Revision) ([]Invariant, error) {
	return SelectFor(list, rev, ^linux.ActionSet(0))
}

// SelectFor is Select for a model with the given optional actions: a group
// leaves out the invariants of action sets the model does not have (they
// hold trivially there); a name always selects its invariant.
func SelectFor(list string, rev linux.Revision, actions linux.ActionSet) ([]Invariant, error) {
	seen := map[string]bool{}
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		matched := false
		for _, e := range library {
			if f == e.Name || (e.inGroup(f) && e.Needs&actions == e.Needs) {
				seen[e.boundName(rev)] = true
				matched = true
			} else if e.inGroup(f) {
				matched = true
			}
		}
		if !matched {
			return nil, fmt.Errorf("unknown invariant %q (want a name from 'cabacheck invariants' or a group: %s)", f, strings.Join(Groups(), ", "))
		}
	}
	if len(seen) == 0 {
		return nil, fmt.Errorf("no invariants selected for actions %s", actions)
	}
	// Keep library order whatever the order given.
	var ordered []Invariant
	for _, e := range library {
		if e.alias == nil && seen[e.Name] {
			ordered = append(ordered, e.bound(rev))
		}
	}
	return ordered, nil
}

func byName(name string) (entry, bool) {
	for _, e := range library {
		if e.Name == name {
			return e, true
		}
	}
	return entry{}, false
}

// ByName returns the invariant called name, for revision rev.
func ByName(name string, rev linux.Revision) (Invariant, bool) {
	e, ok := byName(name)
	if !ok {
		return Invariant{}, false
	}
	return e.bound(rev), true
}

func parentHashed(s *state.State, why *[]string) bool {
	ok := true
	for i := uint8(1); i <= s.N; i++ {
		if !s.Hashed(i) {
			continue
		}
		p := s.Parent[i]
		if (p == 0 && i != 1) || (p != 0 && !s.Hashed(p)) {
			ok = false
			fail(why, "task %d: real_parent %d is %s", i, p, s.St[p])
		}
	}
	return ok
}

func threadsShareParent(s *state.State, why *[]string) bool {
	ok := true
	for i := uint8(1); i <= s.N; i++ {
		if !s.Hashed(i) {
			continue
		}
		l := s.Leader[s.Tg[i]]
		if s.Parent[i] != s.Parent[l] {
			ok = false
			fail(why, "task %d (thread of %d): real_parent %d, its leader %d has %d", i, s.Tg[i], s.Parent[i], l, s.Parent[l])
		}
	}
	return ok
}

func oneLeaderPerGroup(s *state.State, why *[]string) bool {
	ok := true
	for g := uint8(1); g <= s.N; g++ {
		if s.Tg[g] != g || !s.GroupHashed(g) {
			continue
		}
		l := s.Leader[g]
		if l == 0 || l > s.N || !s.Hashed(l) || s.Tg[l] != g {
			ok = false
			fail(why, "process %d: group_leader %d is not a hashed task of the process", g, l)
		}
	}
	return ok
}

func exitedHaveNoChildren(s *state.State, why *[]string) bool {
	ok := true
	for t := uint8(1); t <= s.N; t++ {
		if s.St[t] < state.Zombie {
			continue
		}
		for c := uint8(1); c <= s.N; c++ {
			if s.IsChild(c, t) {
				ok = false
				fail(why, "task %d is %s but still has child %d", t, s.St[t], c)
			}
		}
	}
	return ok
}

func noDanglingCaba(s *state.State, why *[]string) bool {
	ok := true
	for i := uint8(1); i <= s.N; i++ {
		if c := s.Caba[i]; s.Hashed(i) && c != 0 && !s.Hashed(c) {
			ok = false
			if why != nil { // formatting boxes its arguments: only when asked
				fail(why, "task %d (%s): caba %d is %s (freed task_struct)", i, s.St[i], c, s.St[c])
			}
		}
	}
	return ok
}

func noUseAfterFree(s *state.State, why *[]string) bool {
	if s.Corrupt {
		fail(why, "the last step read or wrote a released task_struct")
		return false
	}
	return true
}

func cabdListMatchesCaba(s *state.State, why *[]string) bool {
	ok := true
	for p := uint8(1); p <= s.N; p++ {
		if s.Hashed(p) && s.IsLeader(p) && s.CabdOf[p] != s.Caba[p] {
			ok = false
			if why == nil {
				continue // the search only needs the verdict: nothing to format (or allocate)
			}
			on := "no list"
			if s.CabdOf[p] != state.None {
				on = fmt.Sprintf("the cabds of %d", s.CabdOf[p])
			}
			fail(why, "leader %d: caba %d but its cabd link is on %s", p, s.Caba[p], on)
		}
	}
	return ok
}

func threadsAgreeOnCaba(s *state.State, why *[]string) bool {
	ok := true
	for i := uint8(1); i <= s.N; i++ {
		if !s.Hashed(i) {
			continue
		}
		l := s.Leader[s.Tg[i]]
		if s.Caba[i] != s.Caba[l] {
			ok = false
			if why != nil { // formatting boxes its arguments: only when asked
				fail(why, "task %d (thread of %d): caba %d, its leader %d has caba %d", i, s.Tg[i], s.Caba[i], l, s.Caba[l])
			}
		}
	}
	return ok
}

func cabaAcyclic(s *state.State, why *[]string) bool {
	ok := true
	for i := uint8(1); i <= s.N; i++ {
		if !s.Hashed(i) {
			continue
		}
		c := i
		for steps := 0; c != 0 && steps <= int(s.N); steps++ {
			c = s.Caba[c]
		}
		if c != 0 {
			ok = false
			fail(why, "task %d: its caba chain never reaches init_task", i)
		}
	}
	return ok
}

// closestBorn returns the first group on p's born chain for which alive holds
// (0 when none does: init_task).
func closestBorn(s *state.State, p uint8, alive func(uint8) bool) uint8 {
	g := s.Born[s.Tg[p]]
	for steps := 0; g != 0 && steps <= int(s.N); steps++ {
		if alive(g) {
			return g
		}
		g = s.Born[g]
	}
	return 0
}

func cabaClosest(s *state.State, why *[]string, alive func(uint8) bool, what string) bool {
	ok := true
	for p := uint8(2); p <= s.N; p++ {
		if !s.Hashed(p) || !s.IsLeader(p) {
			continue
		}
		want := closestBorn(s, p, alive)
		got := s.Tg[s.Caba[p]]
		if got != want {
			ok = false
			if why != nil { // formatting boxes its arguments: only when asked
				fail(why, "leader %d (process %d): caba %d is in process %d, but the closest born ancestor %s is process %d", p, s.Tg[p], s.Caba[p], got, what, want)
			}
		}
	}
	return ok
}

func cabaClosestHashed(s *state.State, why *[]string) bool {
	return cabaClosest(s, why, s.GroupHashed, "with a hashed task")
}

func cabaClosestNotified(s *state.State, why *[]string) bool {
	return cabaClosest(s, why, s.GroupNotified, "not past exit_notify")
}
