package check

import (
	"encoding/json"
	"fmt"
)

// Report is the JSON report of one search: what `cabacheck check --json`
// and `cabacheck-beam check --json` print, and what `cabacheck bench` and
// `cabacheck findings --add-run` read back. The writers and the readers
// share this one type so that they cannot drift apart.
type Report struct {
	Model          string            `json:"model"`
	Tasks          int               `json:"tasks"`
	Revision       string            `json:"revision"`
	Actions        string            `json:"actions"`
	Invariants     []string          `json:"invariants"`
	Symmetry       bool              `json:"symmetry,omitempty"`
	Workers        int               `json:"workers,omitempty"`
	DistinctStates uint64            `json:"distinct_states"`
	StatesGen      uint64            `json:"states_generated"`
	Depth          int               `json:"depth"`
	Complete       bool              `json:"complete"`
	StopReason     string            `json:"stop_reason"`
	Budget         string            `json:"budget,omitempty"`
	ElapsedSeconds float64           `json:"elapsed_seconds"`
	StatesPerSec   float64           `json:"distinct_states_per_second,omitempty"`
	Collision      map[string]string `json:"collision_probability,omitempty"`
	Pipelines      int               `json:"pipelines,omitempty"` // the Beam engine's pipelines
	Violations     []ReportViolation `json:"violations"`
	Coverage       *Coverage         `json:"coverage,omitempty"`
}

// ReportViolation is one counterexample of a Report.
type ReportViolation struct {
	Invariant string `json:"invariant"`
	Length    int    `json:"length"`
	Summary   string `json:"summary"`
	Trace     any    `json:"trace"` // the trace's JSON form (traces.Trace.JSON)
}

// ViolationOf is the Report entry of a counterexample.
func ViolationOf(ce Counterexample) ReportViolation {
	return ReportViolation{Invariant: ce.Invariant, Length: ce.Trace.Len(), Summary: ce.Trace.Summary(), Trace: ce.Trace.JSONValue()}
}

// Actions returns the trace's actions in the model's words, whether Trace
// holds the trace itself or, in a report read back, its decoded JSON.
func (v ReportViolation) Actions() ([]string, error) {
	b, err := json.Marshal(v.Trace)
	if err != nil {
		return nil, fmt.Errorf("the trace of %s: %w", v.Invariant, err)
	}
	var tr struct {
		Steps []struct {
			Action string `json:"action"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(b, &tr); err != nil {
		return nil, fmt.Errorf("the trace of %s: %w", v.Invariant, err)
	}
	if len(tr.Steps) == 0 {
		return nil, fmt.Errorf("the trace of %s has no steps", v.Invariant)
	}
	var as []string
	for _, st := range tr.Steps[1:] { // step 0 is the initial state
		as = append(as, st.Action)
	}
	return as, nil
}

// The exit codes of the commands that search (cabacheck and
// cabacheck-beam): one table, so that scripts read both alike.
const (
	ExitOK        = 0
	ExitViolation = 1 // an invariant is violated
	ExitUsage     = 2 // bad usage or input
	ExitBudget    = 3 // a --max-states/--max-time/--max-memory budget stopped the run
	ExitStopped   = 4 // interrupted (SIGINT, SIGTERM): the partial report is printed
)

// ExitCode is a search's exit code: a violation wins over a budget stop,
// which wins over an interruption.
func ExitCode(violations int, budget, stopReason string) int {
	switch {
	case violations > 0:
		return ExitViolation
	case budget != "":
		return ExitBudget
	case stopReason == "interrupted":
		return ExitStopped
	}
	return ExitOK
}
