package reproduce

import (
	"fmt"
	"strings"

	"cabacheck/invariants"
	"cabacheck/kernel"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/traces"
)

// StoredTasks and StoredActions are the model instance of the stored
// counterexamples, the one conform vm replays them in (kernel.VMConfig's
// default CexTasks and the default actions).
const StoredTasks = 7

// StoredActions are the actions of that instance.
const StoredActions = linux.DefaultActions

// StoredTraces builds the traces of the counterexamples stored in
// kernel/cex (kernel.KnownCex: "INVARIANT: model actions" per line) for the
// given revisions (nil: every registered one), each explained by its
// invariant, in file order.
func StoredTraces(revs []linux.Revision) ([]*traces.Trace, error) {
	if revs == nil {
		revs = linux.Revisions()
	}
	var out []*traces.Trace
	for _, rev := range revs {
		data, err := kernel.KnownCex.ReadFile("cex/" + rev.String() + ".txt")
		if err != nil {
			continue // no stored counterexample of this revision
		}
		m, err := linux.New(linux.Options{Tasks: StoredTasks, Revision: rev, Actions: StoredActions})
		if err != nil {
			return nil, err
		}
		for n, l := range strings.Split(string(data), "\n") {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			where := fmt.Sprintf("kernel/cex/%s.txt:%d", rev, n+1)
			name, list, ok := strings.Cut(l, ":")
			if !ok {
				return nil, fmt.Errorf("%s: want INVARIANT: actions", where)
			}
			inv, ok := invariants.ByName(strings.TrimSpace(name), rev)
			if !ok {
				return nil, fmt.Errorf("%s: unknown invariant %q", where, name)
			}
			var acts []spec.Action
			for _, f := range strings.Fields(strings.ReplaceAll(list, ", ", ",")) {
				a, err := linux.ParseAction(f)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", where, err)
				}
				acts = append(acts, a)
			}
			tr, err := traces.Build(m, acts)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			tr.Explain(inv)
			out = append(out, tr)
		}
	}
	return out, nil
}
