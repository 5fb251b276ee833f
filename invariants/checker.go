package invariants

import (
	"sync"

	"cabacheck/spec"
	"cabacheck/state"
)

// Checker evaluates a selection of invariants on encoded states of a model
// with a given task budget; it implements spec.Checker.
//
// Check decodes each state into a state.State taken from a pool: the
// invariants are called through function values, so a State on Check's
// stack would escape and be allocated on every call (issue 15: a third of
// the checking time and one allocation per explored state). Decode
// overwrites the whole struct, so a reused State holds nothing of the last.
type Checker struct {
	tasks   int
	invs    []Invariant
	scratch *sync.Pool // of *state.State
}

// NewChecker returns a checker for invs (at most 64).
func NewChecker(tasks int, invs []Invariant) *Checker {
	if len(invs) > 64 {
		panic("invariants: more than 64 invariants in one checker")
	}
	return &Checker{tasks: tasks, invs: invs, scratch: &sync.Pool{New: func() any { return new(state.State) }}}
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
	s := c.scratch.Get().(*state.State)
	s.Decode(b, c.tasks)
	var mask uint64
	for i := range c.invs {
		if !c.invs[i].Eval(s, nil) {
			mask |= 1 << i
		}
	}
	c.scratch.Put(s)
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
