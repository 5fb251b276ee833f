package invariants

import (
	"cabacheck/spec"
	"cabacheck/state"
)

// Checker evaluates a selection of invariants on encoded states of a model
// with a given task budget; it implements spec.Checker.
type Checker struct {
	tasks int
	invs  []Invariant
}

// NewChecker returns a checker for invs (at most 64).
func NewChecker(tasks int, invs []Invariant) *Checker {
	if len(invs) > 64 {
		panic("invariants: more than 64 invariants in one checker")
	}
	return &Checker{tasks: tasks, invs: invs}
}

var _ spec.Checker = (*Checker)(nil)

// Names returns the invariant names, in bit order.
func (c *Checker) Names() []string {
	n := make([]string, len(c.invs))
	for i, inv := range c.invs {
		n[i] = inv.Name
	}
	return n
}

// Check returns the mask of violated invariants.
func (c *Checker) Check(b []byte) uint64 {
	var s state.State
	s.Decode(b, c.tasks)
	var mask uint64
	for i := range c.invs {
		if !c.invs[i].Eval(&s, nil) {
			mask |= 1 << i
		}
	}
	return mask
}

var _ spec.Explainer = (*Checker)(nil)

// Explain implements spec.Explainer: why the encoded state violates the
// checker's invariant called name.
func (c *Checker) Explain(name string, b []byte) []string {
	var s state.State
	s.Decode(b, c.tasks)
	for i := range c.invs {
		if c.invs[i].Name == name {
			return c.invs[i].Explain(&s)
		}
	}
	return nil
}
