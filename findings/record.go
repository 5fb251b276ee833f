package findings

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/traces"
)

// Record holds the results of the long explorations docs/findings.md
// reports (minutes to hours each): they are made by `cabacheck findings
// --refresh` and kept beside findings.md, so that regenerating the document
// only reruns the fast parts. Every recorded trace is replayed when the
// document is rendered, so a record that no longer matches the model fails.
type Record struct {
	Matrices []*Matrix      `json:"matrices"`
	Fixed    []*FixedRun    `json:"fixed"`
	Restore  *RestoreRecord `json:"restore,omitempty"`
	// Pidns are the recorded checks of the pid namespace section, one per
	// revision (AddPidnsRun).
	Pidns []*CheckRun `json:"pidns,omitempty"`
	// Large are the recorded complete checks past the generated matrices'
	// bounds, without pid namespaces (AddRun), symmetry-reduced or not.
	Large    []*CheckRun    `json:"large,omitempty"`
	Settings RecordSettings `json:"settings"`
}

// AddPidnsRun puts run into the record, in place of a run of the same
// revision and bound, keeping the runs in the registry's revision order.
func (r *Record) AddPidnsRun(run *CheckRun) {
	var kept []*CheckRun
	for _, old := range r.Pidns {
		if old.Exploration.Revision != run.Exploration.Revision || old.Exploration.Tasks != run.Exploration.Tasks {
			kept = append(kept, old)
		}
	}
	kept = append(kept, run)
	var out []*CheckRun
	for _, rev := range linux.Revisions() {
		for _, k := range kept {
			if k.Exploration.Revision == rev.String() {
				out = append(out, k)
			}
		}
	}
	r.Pidns = out
}

// RestoreRecord is the restorability part of the record: the revision
// matrix with sessions on (its rows include RestorableCRIU and
// RestorableCABA) and the planners' summary, both at one bound.
type RestoreRecord struct {
	Matrix  *Matrix       `json:"matrix"`
	Summary []*RestoreRow `json:"summary"`
}

// RecordSettings are the parameters the record was made with.
type RecordSettings struct {
	MatrixTasks    []int  `json:"matrix_tasks"`
	FixedTasks     []int  `json:"fixed_tasks"`
	Actions        string `json:"actions"`
	LargeBudget    string `json:"large_budget"` // per exploration, for bounds past the complete ones
	CompleteUpTo   int    `json:"complete_up_to"`
	WorkersUsed    int    `json:"workers"`
	RecordedWithGo string `json:"go_version,omitempty"`
}

// FixedRun is one verification run of the fixed revision: every invariant
// of its reading, all at once.
type FixedRun struct {
	Command     string       `json:"command"`
	Exploration *Exploration `json:"exploration"`
}

// FixedChecks returns the invariants the fix must satisfy: the sanity
// invariants and every CABA invariant but the seed's reading, which
// contradicts the reading the fix keeps (see ReadingsConflict).
func FixedChecks() []invariants.Invariant {
	var out []invariants.Invariant
	for _, inv := range MatrixChecks() {
		if inv.Name != "CabaClosestNotified" {
			out = append(out, inv)
		}
	}
	return out
}

// FixedCommand is the check command that reproduces a fixed verification run.
func FixedCommand(tasks int, b Budget) string {
	var names []string
	for _, inv := range FixedChecks() {
		names = append(names, inv.Name)
	}
	cmd := fmt.Sprintf("cabacheck check --revision fixed --tasks %d --invariants %s", tasks, strings.Join(names, ","))
	if s := b.String(); s != "" {
		cmd += " " + s
	}
	return cmd
}

// ReadRecord loads a record.
func ReadRecord(path string) (*Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("%s: not a findings record: %w", path, err)
	}
	return &r, nil
}

// validate checks that a decoded record has what rendering needs.
func (r *Record) validate() error {
	if len(r.Matrices) == 0 {
		return fmt.Errorf("no revision matrix")
	}
	for i, m := range r.Matrices {
		if m == nil || len(m.Rows) == 0 {
			return fmt.Errorf("matrix %d has no rows", i+1)
		}
		for _, e := range m.Rows {
			if e == nil {
				return fmt.Errorf("matrix %d has an empty row", i+1)
			}
			if _, err := linux.ParseRevision(e.Revision); err != nil {
				return fmt.Errorf("matrix %d: %w", i+1, err)
			}
		}
	}
	for i, f := range r.Fixed {
		if f == nil || f.Exploration == nil {
			return fmt.Errorf("fixed run %d has no exploration", i+1)
		}
	}
	for i, p := range r.Pidns {
		if err := p.validate("pid namespace run", i); err != nil {
			return err
		}
		if !p.Pidns() {
			return fmt.Errorf("pid namespace run %d has no pidns actions", i+1)
		}
		if p.Exploration.Tasks != r.Pidns[0].Exploration.Tasks {
			return fmt.Errorf("pid namespace runs of %d and %d tasks: the section shows one bound", r.Pidns[0].Exploration.Tasks, p.Exploration.Tasks)
		}
	}
	for i, p := range r.Large {
		if err := p.validate("large run", i); err != nil {
			return err
		}
		if p.Pidns() {
			return fmt.Errorf("large run %d has the pidns actions: it belongs to the pid namespace runs", i+1)
		}
	}
	if rr := r.Restore; rr != nil {
		if rr.Matrix == nil || len(rr.Matrix.Rows) == 0 || len(rr.Summary) == 0 {
			return fmt.Errorf("the restorability record has no matrix or no summary")
		}
		for _, row := range rr.Summary {
			if row == nil {
				return fmt.Errorf("the restorability summary has an empty row")
			}
			if _, err := linux.ParseRevision(row.Revision); err != nil {
				return fmt.Errorf("restorability summary: %w", err)
			}
		}
	}
	return nil
}

// Write saves a record.
func (r *Record) Write(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// Replay rebuilds the traces of every recorded violation and checks that
// each still reaches a state violating its invariant in the recorded number
// of steps.
func (r *Record) Replay() error {
	var rows []*Exploration
	for _, m := range r.Matrices {
		rows = append(rows, m.Rows...)
	}
	for _, f := range r.Fixed {
		rows = append(rows, f.Exploration)
	}
	for _, p := range r.Pidns {
		rows = append(rows, p.Exploration)
	}
	for _, p := range r.Large {
		rows = append(rows, p.Exploration)
	}
	if r.Restore != nil {
		rows = append(rows, r.Restore.Matrix.Rows...)
	}
	for _, e := range rows {
		for i := range e.Verdicts {
			if err := e.replay(&e.Verdicts[i]); err != nil {
				return err
			}
		}
	}
	if r.Restore != nil {
		for _, row := range r.Restore.Summary {
			if err := row.replay(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *Exploration) replay(v *Verdict) error {
	if !v.Violated {
		return nil
	}
	rev, model, err := recordedModel(e.Revision, e.Tasks, e.Actions)
	if err != nil {
		return err
	}
	tr, err := buildTrace(model, v.Actions)
	if err != nil {
		return fmt.Errorf("recorded %s trace of %s at %d tasks: %w", v.Check, e.Revision, e.Tasks, err)
	}
	inv, err := Resolve(v.Check, rev)
	if err != nil {
		return err
	}
	if tr.Len() != v.Length || inv.Holds(&tr.Steps[len(tr.Steps)-1].State) {
		return fmt.Errorf("recorded %s trace of %s at %d tasks no longer ends in a violation after %d steps", v.Check, e.Revision, e.Tasks, v.Length)
	}
	v.Trace = tr
	if len(v.Failure) == 0 { // runs imported from check reports keep no explanation
		v.Failure = inv.Explain(&tr.Steps[len(tr.Steps)-1].State)
	}
	return nil
}

// recordedModel is the model a record's exploration ran on.
func recordedModel(revision string, tasks int, actions string) (linux.Revision, *linux.Model, error) {
	rev, err := linux.ParseRevision(revision)
	if err != nil {
		return 0, nil, err
	}
	acts, err := linux.ParseActions(actions)
	if err != nil {
		return 0, nil, err
	}
	model, err := linux.New(linux.Options{Tasks: tasks, Revision: rev, Actions: acts})
	return rev, model, err
}

// buildTrace replays recorded action names through the model.
func buildTrace(model *linux.Model, names []string) (*traces.Trace, error) {
	var as []spec.Action
	for _, s := range names {
		a, err := linux.ParseAction(s)
		if err != nil {
			return nil, err
		}
		as = append(as, a)
	}
	return traces.Build(model, as)
}
