package linux

import (
	"fmt"

	"cabacheck/spec"
	"cabacheck/state"
)

// SymmetricModel is the model reduced by exact symmetry (state.SymmetryCanonical):
// every state it produces is the representative of its class. Its actions
// are those of the representatives; Concrete maps a path back to the
// unreduced model.
type SymmetricModel struct {
	*Model
}

var _ spec.Model = (*SymmetricModel)(nil)

// NewSymmetric returns the symmetry-reduced model for opt. With the pidns
// actions the merged permutations also keep the slot order inside each
// namespace tree below the root, which every pid number there is derived
// from (state/symmetry.go, docs/scale.md), so the reduction stays exact.
func NewSymmetric(opt Options) (*SymmetricModel, error) {
	m, err := New(opt)
	if err != nil {
		return nil, err
	}
	return &SymmetricModel{Model: m}, nil
}

// Name identifies the reduced model; its stores are not those of the unreduced one.
func (m *SymmetricModel) Name() string { return m.Model.Name() + "/symmetry" }

// InitialStates returns the representative of the initial state.
func (m *SymmetricModel) InitialStates() [][]byte {
	s := m.Initial()
	r := s.SymmetryCanonical()
	b := make([]byte, m.StateSize())
	r.Encode(b)
	return [][]byte{b}
}

// Apply computes the representative of the successor.
func (m *SymmetricModel) Apply(b []byte, a spec.Action, out []byte) bool {
	var src, dst state.State
	src.Decode(b, m.opt.Tasks)
	if !m.Step(&src, a, &dst) {
		return false
	}
	r := dst.SymmetryCanonical()
	r.Encode(out)
	return true
}

// NewGenerator returns a generator of representatives.
func (m *SymmetricModel) NewGenerator() spec.Generator {
	return &symGenerator{inner: m.Model.NewGenerator().(*generator), tasks: m.opt.Tasks, out: make([]byte, m.StateSize())}
}

type symGenerator struct {
	inner *generator
	tasks int
	s     state.State
	out   []byte
}

func (g *symGenerator) Successors(b []byte, emit func(spec.Action, []byte)) {
	g.inner.Successors(b, func(a spec.Action, next []byte) {
		g.s.Decode(next, g.tasks)
		r := g.s.SymmetryCanonical()
		r.Encode(g.out)
		emit(a, g.out)
	})
}

// Concrete maps a path of the reduced model to the unreduced model: from the
// concrete initial state, each step takes the first enabled action (in the
// generator's order) whose successor has the representative the reduced
// path reaches. Tasks are therefore created in slot order, as in any run.
func (m *SymmetricModel) Concrete(actions []spec.Action) ([]spec.Action, error) {
	tasks := m.opt.Tasks
	size := m.StateSize()
	rep := m.InitialStates()[0]
	nextRep := make([]byte, size)
	cur := m.Model.InitialStates()[0]
	gen := m.Model.NewGenerator()
	var out []spec.Action
	for i, a := range actions {
		if !m.Apply(rep, a, nextRep) {
			return nil, fmt.Errorf("step %d: %s is not enabled in the reduced path", i+1, FormatAction(a))
		}
		var found spec.Action = spec.NoAction
		var nextCur []byte
		var s state.State
		probe := make([]byte, size)
		gen.Successors(cur, func(b spec.Action, next []byte) {
			if found != spec.NoAction {
				return
			}
			s.Decode(next, tasks)
			r := s.SymmetryCanonical()
			r.Encode(probe)
			if string(probe) == string(nextRep) {
				found, nextCur = b, append([]byte(nil), next...)
			}
		})
		if found == spec.NoAction {
			return nil, fmt.Errorf("step %d: no concrete action reaches the class of %s", i+1, FormatAction(a))
		}
		out = append(out, found)
		cur = nextCur
		rep, nextRep = nextRep, rep
	}
	return out, nil
}

var _ spec.Reduced = (*SymmetricModel)(nil)

// Symmetric returns the model's exact symmetry reduction.
func (m *Model) Symmetric() (spec.Reduced, error) { return NewSymmetric(m.opt) }
