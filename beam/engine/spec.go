package engine

import (
	"fmt"
	"strings"

	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/spec/toy"
)

// ModelSpec names a model and its invariants by value, so that it travels
// inside the pipeline's DoFns (Beam serializes their exported fields) and
// every worker, local or remote, builds the same model and checker from it.
// It holds names, not a registered revision's index, because a remote worker
// has only the registry compiled into the binary.
type ModelSpec struct {
	Kind       string // "linux" or "toy"
	Tasks      int    // the linux model's task budget, or the toy model's MAXP
	Revision   string // a registered revision (linux)
	Actions    string // optional action sets (linux), as linux.ParseActions reads them
	Invariants string // names or groups (linux), as invariants.SelectFor reads them
}

// Build makes the model and its checker, as `cabacheck check` does.
func (ms ModelSpec) Build() (spec.Model, spec.Checker, error) {
	switch ms.Kind {
	case "toy":
		m, err := toy.New(ms.Tasks)
		if err != nil {
			return nil, nil, err
		}
		return m, toy.Checker{}, nil
	case "linux", "":
		rev, err := linux.ParseRevision(ms.Revision)
		if err != nil {
			return nil, nil, fmt.Errorf("--revision: %w", err)
		}
		acts, err := linux.ParseActions(ms.Actions)
		if err != nil {
			return nil, nil, fmt.Errorf("--actions: %w", err)
		}
		opt := linux.Options{Tasks: ms.Tasks, Revision: rev, Actions: acts}
		if err := opt.Validate(); err != nil {
			return nil, nil, err
		}
		invs, err := invariants.SelectFor(ms.Invariants, rev, acts)
		if err != nil {
			return nil, nil, fmt.Errorf("--invariants: %w", err)
		}
		m, err := linux.New(opt)
		if err != nil {
			return nil, nil, err
		}
		return m, invariants.NewChecker(opt.Tasks, invs), nil
	}
	return nil, nil, fmt.Errorf("--model %q: want linux or toy", ms.Kind)
}

// Describe is the model's one-line description for report headers.
func Describe(m spec.Model) string {
	if d, ok := m.(spec.Describer); ok {
		return d.Describe()
	}
	return m.Name()
}

// invariantNames is the checker's names joined, for the store identity.
func invariantNames(ch spec.Checker) string {
	if ch == nil {
		return ""
	}
	return strings.Join(ch.Names(), ",")
}
