package toy

import (
	"fmt"

	"cabacheck/spec"
)

// Checker evaluates the toy model's one invariant, ParentNotFree.
type Checker struct{}

var _ spec.Checker = Checker{}

// InvariantNames lists the toy model's invariants.
var InvariantNames = []string{"ParentNotFree"}

func (Checker) Names() []string { return InvariantNames }

// Check returns bit 0 set when a non-Free slot other than 0 has a Free parent.
func (Checker) Check(s []byte) uint64 {
	for c := 1; c < len(s); c++ {
		if Status(s[c]) != Free && Status(s[Parent(s[c])]) == Free {
			return 1
		}
	}
	return 0
}

// Explain lists the offending slots of a state violating ParentNotFree.
func Explain(s []byte) []string {
	var why []string
	for c := 1; c < len(s); c++ {
		if p := Parent(s[c]); Status(s[c]) != Free && Status(s[p]) == Free {
			why = append(why, fmt.Sprintf("slot %d has free parent %d", c, p))
		}
	}
	return why
}

var _ spec.Explainer = Checker{}

// Explain implements spec.Explainer.
func (Checker) Explain(invariant string, s []byte) []string { return Explain(s) }
