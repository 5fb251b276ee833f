package traces

import (
	"fmt"
	"strings"

	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// Step is one step of a trace: the action taken (none for step 0, the
// initial state) and the state after it.
type Step struct {
	Action spec.Action
	Event  string
	State  state.State
}

// Trace is a path of the Linux task model.
type Trace struct {
	Options   linux.Options
	Steps     []Step
	Invariant string   // the invariant the last state violates, if any
	Failure   []string // why it fails, per offending task
}

// Build replays actions from the model's initial state and records every
// state on the way. It fails if an action is not enabled.
func Build(m *linux.Model, actions []spec.Action) (*Trace, error) {
	tr := &Trace{Options: m.Options()}
	cur := m.Initial()
	tr.Steps = append(tr.Steps, Step{Action: spec.NoAction, State: cur})
	for i, a := range actions {
		var next state.State
		if !m.Step(&cur, a, &next) {
			return tr, fmt.Errorf("step %d: %s is not enabled", i+1, linux.FormatAction(a))
		}
		tr.Steps = append(tr.Steps, Step{Action: a, Event: Describe(m.Options().Revision, &cur, &next, a), State: next})
		cur = next
	}
	return tr, nil
}

// Explain records why the final state violates inv.
func (tr *Trace) Explain(inv invariants.Invariant) {
	tr.Invariant = inv.Name
	tr.Failure = inv.Explain(&tr.Steps[len(tr.Steps)-1].State)
}

// Actions returns the trace's actions.
func (tr *Trace) Actions() []spec.Action {
	var as []spec.Action
	for _, s := range tr.Steps[1:] {
		as = append(as, s.Action)
	}
	return as
}

// Len is the number of steps (actions).
func (tr *Trace) Len() int { return len(tr.Steps) - 1 }

// Text renders the trace for people: per step the action, the kernel event,
// the tree after it and what changed; then the failing clause.
func (tr *Trace) Text() string {
	var b strings.Builder
	o := tr.Options
	fmt.Fprintf(&b, "Trace: %d steps, revision %s, %d tasks, actions %s\n", tr.Len(), o.Revision, o.Tasks, o.Actions)
	for i, st := range tr.Steps {
		if i == 0 {
			b.WriteString("\nstep 0: initial state\n")
		} else {
			fmt.Fprintf(&b, "\nstep %d: %s\n  %s\n", i, linux.FormatAction(st.Action), st.Event)
		}
		for _, l := range strings.Split(strings.TrimRight(Tree(&st.State), "\n"), "\n") {
			b.WriteString("    " + l + "\n")
		}
		if i > 0 {
			d := Diff(&tr.Steps[i-1].State, &st.State)
			if len(d) > 0 {
				b.WriteString("  changed: " + strings.Join(d, ", ") + "\n")
			}
		}
	}
	if tr.Invariant != "" {
		inv, _ := invariants.ByName(tr.Invariant, o.Revision)
		fmt.Fprintf(&b, "\nInvariant %s is violated (%s):\n", tr.Invariant, inv.Description)
		for _, w := range tr.Failure {
			b.WriteString("  " + w + "\n")
		}
	}
	return b.String()
}

// Summary is a one-line rendering of the actions.
func (tr *Trace) Summary() string {
	var as []string
	for _, a := range tr.Actions() {
		as = append(as, linux.FormatAction(a))
	}
	return strings.Join(as, " ")
}

// DOT renders the trace as Graphviz graphs, one per step (step 0, the
// initial state, first): each the tree after the step, processes as clusters
// of threads, real_parent edges solid, caba edges dashed (red to a freed
// task), what the step changed in orange, and the step's kernel event as the
// graph's label; the last graph's label adds the failing invariant clause.
// `dot -Tsvg -O FILE` renders every graph of the file (FILE.svg,
// FILE.2.svg, ...); see dotStep.
func (tr *Trace) DOT() string {
	var b strings.Builder
	for i := range tr.Steps {
		dotStep(&b, tr, i)
	}
	return b.String()
}
