package invariants

import (
	"fmt"
	"strings"

	"cabacheck/state"
)

// Invariant is a named predicate. Eval returns whether the invariant holds in
// s; when why is non-nil it appends one line per offending task.
type Invariant struct {
	Name        string
	Group       string // "sanity" (kernel facts) or "caba" (the patch's claims)
	Description string
	Eval        func(s *state.State, why *[]string) bool
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

var all = []Invariant{
	{"ParentHashed", "sanity", "every hashed task's real_parent is hashed (or init_task for init)", parentHashed},
	{"ThreadsShareParent", "sanity", "all hashed threads of a process have the same real_parent", threadsShareParent},
	{"OneLeaderPerGroup", "sanity", "every process with a hashed task has exactly one group_leader, hashed and in the process", oneLeaderPerGroup},
	{"ExitedHaveNoChildren", "sanity", "a task that has run exit_notify (zombie, dead, released) has no children", exitedHaveNoChildren},
	{"NoDanglingCaba", "caba", "every hashed task's caba is hashed or init_task", noDanglingCaba},
	{"NoUseAfterFree", "caba", "the kernel never read or wrote a released task_struct through caba/cabds", noUseAfterFree},
	{"CabdListMatchesCaba", "caba", "every hashed leader sits on the cabds list of its own caba", cabdListMatchesCaba},
	{"ThreadsAgreeOnCaba", "caba", "every hashed thread's caba equals its leader's", threadsAgreeOnCaba},
	{"CabaAcyclic", "caba", "following caba from any hashed task reaches init_task", cabaAcyclic},
	{"CabaClosestHashed", "caba", "a leader's caba is in the closest born-ancestor process that still has a hashed task (v3/v4 intent)", cabaClosestHashed},
	{"CabaClosestNotified", "caba", "a leader's caba is in the closest born-ancestor process that has a task not past exit_notify (seed intent)", cabaClosestNotified},
}

// All returns every invariant, in a fixed order.
func All() []Invariant { return append([]Invariant(nil), all...) }

// Groups lists the group names accepted by Select.
func Groups() []string { return []string{"sanity", "caba", "all"} }

// Select resolves a comma-separated list of invariant names and groups.
func Select(list string) ([]Invariant, error) {
	seen := map[string]bool{}
	var out []Invariant
	add := func(inv Invariant) {
		if !seen[inv.Name] {
			seen[inv.Name] = true
			out = append(out, inv)
		}
	}
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		matched := false
		for _, inv := range all {
			if f == "all" || f == inv.Group || f == inv.Name {
				add(inv)
				matched = true
			}
		}
		if !matched {
			return nil, fmt.Errorf("unknown invariant %q (want a name from 'cabacheck invariants' or a group: sanity, caba, all)", f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no invariants selected")
	}
	// Keep library order whatever the order given.
	var ordered []Invariant
	for _, inv := range all {
		if seen[inv.Name] {
			ordered = append(ordered, inv)
		}
	}
	return ordered, nil
}

// ByName returns the invariant called name.
func ByName(name string) (Invariant, bool) {
	for _, inv := range all {
		if inv.Name == name {
			return inv, true
		}
	}
	return Invariant{}, false
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
			fail(why, "task %d (%s): caba %d is %s (freed task_struct)", i, s.St[i], c, s.St[c])
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
			fail(why, "task %d (thread of %d): caba %d, its leader %d has caba %d", i, s.Tg[i], s.Caba[i], l, s.Caba[l])
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
			fail(why, "leader %d (process %d): caba %d is in process %d, but the closest born ancestor %s is process %d", p, s.Tg[p], s.Caba[p], got, what, want)
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
