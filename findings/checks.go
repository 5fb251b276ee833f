package findings

import (
	"fmt"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// OwnReading is the check name a concern uses for "the revision's intended
// reading": the library's alias, resolved per revision.
const OwnReading = invariants.ClosestIntended

// Resolve returns the check called name for revision rev, from the
// invariant library (OwnReading resolves to the revision's reading) or the
// findings' own checks (NamespaceChecks).
func Resolve(name string, rev linux.Revision) (invariants.Invariant, error) {
	if inv, ok := invariants.ByName(name, rev); ok {
		return inv, nil
	}
	for _, inv := range NamespaceChecks(rev) {
		if inv.Name == name {
			return inv, nil
		}
	}
	return invariants.Invariant{}, fmt.Errorf("unknown check %q", name)
}

// Names of the findings' own pid namespace checks.
const (
	ContainerReadsNoFreedCaba = "ContainerReadsNoFreedCaba"
	NoDanglingCabaInZap       = "NoDanglingCabaInZap"
)

// Restricts names, for each of the findings' own checks, the library
// invariant it restricts: a violation of the one is a violation of the
// other, so the own check holds wherever the library invariant does.
func Restricts(name string) string {
	switch name {
	case ContainerReadsNoFreedCaba:
		return invariants.NScabaNamesVisibleTask
	case NoDanglingCabaInZap:
		return "NoDanglingCaba"
	}
	return ""
}

// NamespaceChecks are two questions of the pid namespace section that the
// library answers only together with others, each a library invariant
// restricted to what it asks: a use-after-free of NScaba reached by a
// reader inside a container (NScabaNamesVisibleTask restricted to readers
// in non-root namespaces), and a caba left dangling while a namespace's
// init exits (NoDanglingCaba restricted to the states in which a zap has
// begun and the init's process is not yet released: past its release the
// state no longer says the namespace existed). A violation of either is one
// of the library invariant, so where that holds they hold.
func NamespaceChecks(rev linux.Revision) []invariants.Invariant {
	dangling, ok := invariants.ByName("NoDanglingCaba", rev)
	if !ok {
		panic("the library has no NoDanglingCaba")
	}
	return []invariants.Invariant{
		{Name: ContainerReadsNoFreedCaba, Group: "findings", Needs: linux.Pidns,
			Description: "no reader in a non-root pid namespace reads a freed caba through NScaba (NScabaNamesVisibleTask's use-after-free, reached from inside a container)",
			Eval:        func(s *state.State, why *[]string) bool { return containerReadsNoFreedCaba(rev, s, why) }},
		{Name: NoDanglingCabaInZap, Group: "findings", Needs: linux.Pidns,
			Description: "while a pid namespace's init exits (its zap has begun, until its process is released), every hashed task's caba is hashed or init_task",
			Eval: func(s *state.State, why *[]string) bool {
				for k := uint8(2); k <= s.N; k++ {
					if s.PidnsZap[k] != 0 {
						return dangling.Eval(s, why)
					}
				}
				return true
			}},
	}
}

func containerReadsNoFreedCaba(rev linux.Revision, s *state.State, why *[]string) bool {
	ok := true
	for u := uint8(1); u <= s.N; u++ {
		if !s.Hashed(u) {
			continue
		}
		for r := uint8(2); r <= s.N; r++ {
			if !s.NsAlive(r) || !s.HasPidIn(u, r) {
				continue
			}
			if _, freed := rev.NScabaIn(s, u, r); freed {
				ok = false
				if why != nil {
					*why = append(*why, fmt.Sprintf("task %d read in namespace %d: NScaba reads its caba %d, which is Released (freed task_struct)", u, r, s.Caba[u]))
				}
			}
		}
	}
	return ok
}

// Describe returns the description of a check name, as `invariants` lists
// it, or of one of the findings' own checks.
func Describe(name string) string {
	for _, in := range invariants.List() {
		if in.Name == name {
			return in.Description
		}
	}
	for _, in := range NamespaceChecks(linux.Seed) {
		if in.Name == name {
			return in.Description
		}
	}
	return ""
}

// DerivedChecks lists the library's derived checks that are predicates of
// their own (not the OwnReading alias), in order.
func DerivedChecks() []string {
	var out []string
	for _, in := range invariants.List() {
		if in.Group == "derived" && in.Name != OwnReading {
			out = append(out, in.Name)
		}
	}
	return out
}
