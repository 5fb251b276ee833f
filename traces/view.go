package traces

import (
	"fmt"
	"strings"

	"cabacheck/spec"
	"cabacheck/spec/linux"
)

// View is a trace of any model, rendered for people (Text, DOT) and
// machines (JSONValue). The Linux model's traces are *Trace, in kernel
// terms; other models' are *Plain.
type View interface {
	Len() int
	Actions() []spec.Action
	Summary() string
	Text() string
	DOT() string
	JSONValue() any
}

var (
	_ View = (*Trace)(nil)
	_ View = (*Plain)(nil)
)

// For replays actions from m's initial state and returns the trace as a
// View; invariant and why, when set, say what its last state violates.
func For(m spec.Model, actions []spec.Action, invariant string, why []string) (View, error) {
	if lm, ok := m.(*linux.Model); ok {
		tr, err := Build(lm, actions)
		if err != nil {
			return nil, err
		}
		tr.Invariant, tr.Failure = invariant, why
		return tr, nil
	}
	return BuildPlain(m, actions, invariant, why)
}

// JSONValue is the trace's JSON form.
func (tr *Trace) JSONValue() any { return tr.JSON() }

// Plain is a trace of a model without a kernel-level renderer: the actions
// and the encoded states, shown through the model's FormatState when it has one.
type Plain struct {
	Model     spec.Model
	Steps     []PlainStep
	Invariant string
	Failure   []string
}

// PlainStep is one step of a Plain trace (Action is spec.NoAction for step 0).
type PlainStep struct {
	Action spec.Action
	State  []byte
}

// BuildPlain replays actions through m.Apply.
func BuildPlain(m spec.Model, actions []spec.Action, invariant string, why []string) (*Plain, error) {
	p := &Plain{Model: m, Invariant: invariant, Failure: why}
	cur := m.InitialStates()[0]
	p.Steps = append(p.Steps, PlainStep{Action: spec.NoAction, State: cur})
	for i, a := range actions {
		next := make([]byte, len(cur))
		if !m.Apply(cur, a, next) {
			return p, fmt.Errorf("step %d: %s is not enabled", i+1, m.FormatAction(a))
		}
		p.Steps = append(p.Steps, PlainStep{Action: a, State: next})
		cur = next
	}
	return p, nil
}

// Len is the number of steps (actions).
func (p *Plain) Len() int { return len(p.Steps) - 1 }

// Actions returns the trace's actions.
func (p *Plain) Actions() []spec.Action {
	var as []spec.Action
	for _, s := range p.Steps[1:] {
		as = append(as, s.Action)
	}
	return as
}

// Summary is the actions on one line.
func (p *Plain) Summary() string {
	var as []string
	for _, a := range p.Actions() {
		as = append(as, p.Model.FormatAction(a))
	}
	return strings.Join(as, " ")
}

func (p *Plain) state(b []byte) string {
	if f, ok := p.Model.(spec.StateFormatter); ok {
		return f.FormatState(b)
	}
	return fmt.Sprintf("%x", b)
}

// Text renders one line per step, then why the last state fails.
func (p *Plain) Text() string {
	var b strings.Builder
	for i, st := range p.Steps {
		if i == 0 {
			fmt.Fprintf(&b, "step 0: %s\n", p.state(st.State))
			continue
		}
		fmt.Fprintf(&b, "step %d: %s -> %s\n", i, p.Model.FormatAction(st.Action), p.state(st.State))
	}
	for _, w := range p.Failure {
		fmt.Fprintf(&b, "  %s\n", w)
	}
	return b.String()
}

// DOT renders the path as a chain of states.
func (p *Plain) DOT() string {
	var b strings.Builder
	b.WriteString("digraph cabacheck {\n  node [shape=box, fontname=monospace];\n")
	for i, st := range p.Steps {
		fmt.Fprintf(&b, "  s%d [label=%q];\n", i, p.state(st.State))
		if i > 0 {
			fmt.Fprintf(&b, "  s%d -> s%d [label=%q];\n", i-1, i, p.Model.FormatAction(st.Action))
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// PlainJSON is the machine-readable form of a Plain trace.
type PlainJSON struct {
	Model     string          `json:"model"`
	Invariant string          `json:"invariant,omitempty"`
	Failure   []string        `json:"failure,omitempty"`
	Length    int             `json:"length"`
	Steps     []PlainStepJSON `json:"steps"`
}

// PlainStepJSON is one step of PlainJSON.
type PlainStepJSON struct {
	Step   int    `json:"step"`
	Action string `json:"action,omitempty"`
	State  string `json:"state"`
}

// JSONValue is the trace's JSON form.
func (p *Plain) JSONValue() any {
	out := PlainJSON{Model: p.Model.Name(), Invariant: p.Invariant, Failure: p.Failure, Length: p.Len()}
	for i, st := range p.Steps {
		s := PlainStepJSON{Step: i, State: p.state(st.State)}
		if i > 0 {
			s.Action = p.Model.FormatAction(st.Action)
		}
		out.Steps = append(out.Steps, s)
	}
	return out
}
