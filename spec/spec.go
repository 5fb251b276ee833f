package spec

// Action names one step of a model: a kind and up to two small parameters,
// packed so that comparing Actions orders them by kind, then parameters. The
// meaning of kinds and parameters belongs to the model.
type Action uint32

// MakeAction packs an action.
func MakeAction(kind, a, b uint8) Action {
	return Action(uint32(kind)<<16 | uint32(a)<<8 | uint32(b))
}

// Kind returns the action's kind.
func (a Action) Kind() uint8 { return uint8(a >> 16) }

// A returns the first parameter.
func (a Action) A() uint8 { return uint8(a >> 8) }

// B returns the second parameter.
func (a Action) B() uint8 { return uint8(a) }

// NoAction marks the absence of an action (the parent record of an initial state).
const NoAction Action = 0xFFFFFFFF

// Model is an explicit-state model with fixed-size encoded states.
// Implementations must be safe for concurrent use by several Generators.
type Model interface {
	// Name identifies the model and its parameters (revision, bound, actions);
	// stores made for one Name are refused for another.
	Name() string
	// StateSize is the size in bytes of every encoded state.
	StateSize() int
	// InitialStates returns the encoded initial states, in canonical form.
	InitialStates() [][]byte
	// NewGenerator returns a successor generator with its own scratch buffers,
	// for use by one goroutine.
	NewGenerator() Generator
	// Apply computes the successor of state under action a into out and
	// reports whether a was enabled. Used to replay traces and scenarios.
	Apply(state []byte, a Action, out []byte) bool
	// FormatAction renders an action in the model's vocabulary, e.g. "Fork(2)".
	FormatAction(a Action) string
	// ParseAction is the inverse of FormatAction.
	ParseAction(s string) (Action, error)
}

// Generator enumerates successors. Successors calls emit once for every
// enabled action of state, in a fixed order, with the canonical encoded
// successor; the slice passed to emit is only valid during the call.
type Generator interface {
	Successors(state []byte, emit func(a Action, next []byte))
}

// Checker evaluates a set of invariants on encoded states. Check returns a bit
// mask with bit i set when invariant i is violated. It must be safe for
// concurrent use.
type Checker interface {
	Names() []string
	Check(state []byte) uint64
}

// Explainer is implemented by Checkers that can say why a state violates
// one of their invariants, one line per offending part.
type Explainer interface {
	Explain(invariant string, state []byte) []string
}

// Reducible is implemented by models with an exact symmetry reduction.
type Reducible interface {
	Symmetric() (Reduced, error)
}

// Reduced is a symmetry-reduced model: it explores one representative per
// class of interchangeable states, and maps a path of representatives back
// to a path of the unreduced model.
type Reduced interface {
	Model
	Concrete(actions []Action) ([]Action, error)
}

// Describer is implemented by models that can describe themselves in one
// line for report headers ("linux task model, revision v3, 5 tasks, ...").
type Describer interface {
	Describe() string
}

// StateFormatter is implemented by models that can render a state on one
// line, for traces of models without a richer renderer.
type StateFormatter interface {
	FormatState(state []byte) string
}

// ActionKinds is implemented by models that can list their action kinds,
// for coverage reports (TLC's -coverage): every kind the generator may emit
// under the model's parameters, so that a kind never enabled can be named.
type ActionKinds interface {
	ActionKinds() []ActionKind
}

// ActionKind is one kind of action (Action.Kind) and its name ("Fork").
type ActionKind struct {
	Kind uint8
	Name string
}
