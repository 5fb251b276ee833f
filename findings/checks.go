package findings

import (
	"fmt"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
)

// OwnReading is the check name a concern uses for "the revision's intended
// reading": the library's alias, resolved per revision.
const OwnReading = invariants.ClosestIntended

// Resolve returns the check called name for revision rev, from the
// invariant library (OwnReading resolves to the revision's reading).
func Resolve(name string, rev linux.Revision) (invariants.Invariant, error) {
	inv, ok := invariants.ByName(name, rev)
	if !ok {
		return invariants.Invariant{}, fmt.Errorf("unknown check %q", name)
	}
	return inv, nil
}

// Describe returns the description of a check name, as `invariants` lists it.
func Describe(name string) string {
	for _, in := range invariants.List() {
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
