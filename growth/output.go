package growth

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"github.com/dustin/go-humanize"
	"io"
	"strconv"

	"cabacheck/spec/linux"
)

// Report is the JSON document of a sweep.
type Report struct {
	Command    string      `json:"command"`
	Workers    int         `json:"workers"`
	Budget     BudgetJSON  `json:"budget_per_run"`
	Runs       []*Run      `json:"runs"`
	Skipped    []string    `json:"skipped,omitempty"`
	TaskFits   []TaskFit   `json:"growth_per_added_task"`
	ActionFits []ActionFit `json:"growth_per_enabled_action"`
}

// BudgetJSON is a Budget in JSON units (0: no limit).
type BudgetJSON struct {
	MaxStates  uint64  `json:"max_states"`
	MaxSeconds float64 `json:"max_seconds"`
	MaxMemory  uint64  `json:"max_memory_bytes"`
}

// NewReport assembles the report of a sweep.
func NewReport(command string, sw Sweep, res *Result, skipped []string) Report {
	tf, af := Fit(res)
	return Report{
		Command: command, Workers: sw.Workers,
		Budget: BudgetJSON{MaxStates: sw.Budget.MaxStates, MaxSeconds: sw.Budget.MaxTime.Seconds(), MaxMemory: sw.Budget.MaxMemory},
		Runs:   res.Runs, Skipped: skipped, TaskFits: tf, ActionFits: af,
	}
}

// WriteJSON writes the report, indented.
func WriteJSON(w io.Writer, rep Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteCSV writes one row per run, with its prediction and how the run
// compared with it.
func WriteCSV(w io.Writer, res *Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"revision", "actions", "symmetry", "tasks", "distinct_states", "states_generated", "depth",
		"complete", "stop_reason", "elapsed_seconds", "cpu_seconds", "peak_heap_bytes", "bytes_per_state",
		"predicted_states", "predicted_depth", "predicted_seconds", "predicted_peak_heap_bytes",
		"compared_through_level", "predicted_states_through_level", "states_ratio",
		"predicted_seconds_through_level", "time_ratio", "predicted_cpu_seconds_through_level", "cpu_ratio"})
	for _, r := range res.Runs {
		row := []string{r.Revision, r.Actions, strconv.FormatBool(r.Symmetry), strconv.Itoa(r.Tasks),
			u(r.Distinct), u(r.Generated), strconv.Itoa(r.Depth), strconv.FormatBool(r.Complete), r.StopReason,
			f(r.ElapsedSeconds), f(r.CPUSeconds), u(r.PeakHeapBytes), f(r.BytesPerState)}
		if p := r.Prediction; p != nil {
			row = append(row, f(p.Distinct), strconv.Itoa(p.Depth), f(p.Seconds), f(p.PeakHeapBytes))
		} else {
			row = append(row, "", "", "", "")
		}
		if c := r.Check; c != nil {
			row = append(row, strconv.Itoa(c.ThroughLevel), f(c.PredictedStates), f(c.StatesRatio), f(c.PredictedSeconds), f(c.TimeRatio),
				f(c.PredictedCPU), f(c.CPURatio))
		} else {
			row = append(row, "", "", "", "", "", "", "")
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// WriteLevelsCSV writes one row per level of every run, with the predicted
// new states of that level when there was a prediction.
func WriteLevelsCSV(w io.Writer, res *Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"revision", "actions", "symmetry", "tasks", "level", "new_states", "distinct_states", "frontier",
		"states_generated", "duplicates", "elapsed_seconds", "cpu_seconds", "heap_bytes", "predicted_new_states"})
	for _, r := range res.Runs {
		for _, l := range r.Levels {
			pred := ""
			if r.Prediction != nil && l.Level < len(r.Prediction.Levels) {
				pred = f(r.Prediction.Levels[l.Level].New)
			}
			cw.Write([]string{r.Revision, r.Actions, strconv.FormatBool(r.Symmetry), strconv.Itoa(r.Tasks),
				strconv.Itoa(l.Level), u(l.New), u(l.Distinct), u(l.Frontier), u(l.Generated), u(l.Duplicates),
				f(l.ElapsedSeconds), f(l.CPUSeconds), u(l.HeapBytes), pred})
		}
	}
	cw.Flush()
	return cw.Error()
}

func u(n uint64) string { return strconv.FormatUint(n, 10) }

func f(x float64) string { return fmt.Sprintf("%.6g", x) }

// WriteMarkdown writes the runs as a Markdown table, with the prediction
// made before each run and how the run compared with it.
func WriteMarkdown(w io.Writer, res *Result) error {
	fmt.Fprintln(w, "| series | tasks | distinct states | depth | time | CPU time | peak heap | predicted states | actual/predicted | predicted time | actual/predicted | predicted CPU | actual/predicted |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range res.Runs {
		states := commas(r.Distinct)
		if !r.Complete {
			states = fmt.Sprintf("%s after level %d (partial: %s)", states, r.Depth, r.StopReason)
		}
		ps, sr, pt, tr, pc, cr := "-", "-", "-", "-", "-", "-"
		if c := r.Check; c != nil {
			pc, cr = fmt.Sprintf("%.3gs", c.PredictedCPU), fmt.Sprintf("%.2f", c.CPURatio)
			ps = fmt.Sprintf("%.3g", c.PredictedStates)
			if c.Partial {
				ps = fmt.Sprintf("%.3g through level %d (%.3g in all)", c.PredictedStates, c.ThroughLevel, r.Prediction.Distinct)
			}
			sr, pt, tr = fmt.Sprintf("%.2f", c.StatesRatio), fmt.Sprintf("%.3gs", c.PredictedSeconds), fmt.Sprintf("%.2f", c.TimeRatio)
		}
		_, err := fmt.Fprintf(w, "| %s | %d | %s | %d | %.3gs | %.3gs | %.0f MiB | %s | %s | %s | %s | %s | %s |\n", r.Series().Label(), r.Tasks, states, r.Depth,
			r.ElapsedSeconds, r.CPUSeconds, float64(r.PeakHeapBytes)/(1<<20), ps, sr, pt, tr, pc, cr)
		if err != nil {
			return err
		}
	}
	return nil
}

// commas formats n with thousands separators, as TLC does.
func commas(n uint64) string { return humanize.Comma(int64(n)) }

// ReadJSON reads a report written by WriteJSON back into a Result, so that
// tables and plots can be made again without exploring.
func ReadJSON(r io.Reader) (Report, *Result, error) {
	var rep Report
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return rep, nil, fmt.Errorf("reading a growth report: %w", err)
	}
	if len(rep.Runs) == 0 {
		return rep, nil, fmt.Errorf("reading a growth report: no runs (not a growth.json of 'cabacheck growth')")
	}
	res := &Result{}
	for i, run := range rep.Runs {
		if run == nil || run.Tasks < 2 {
			return rep, nil, fmt.Errorf("reading a growth report: run %d has no bound", i+1)
		}
		rev, err := linux.ParseRevision(run.Revision)
		if err != nil {
			return rep, nil, fmt.Errorf("reading a growth report: %w", err)
		}
		acts, err := linux.ParseActions(run.Actions)
		if err != nil {
			return rep, nil, fmt.Errorf("reading a growth report: %w", err)
		}
		run.series = Series{Revision: rev, Actions: acts, Symmetry: run.Symmetry}
		res.Runs = append(res.Runs, run)
	}
	return rep, res, nil
}
