package findings

import (
	"fmt"
	"runtime"

	"cabacheck/spec/linux"
)

// RefreshConfig says which long explorations a record holds.
type RefreshConfig struct {
	MatrixTasks  []int  // bounds of the revision matrices
	FixedTasks   []int  // bounds of the fixed-revision verifications
	CompleteUpTo int    // bounds up to this are explored completely
	Large        Budget // budget per exploration above CompleteUpTo
	// FixedSymmetryFrom: fixed verifications at this bound and above run on
	// the symmetry-reduced model (0: never).
	FixedSymmetryFrom int
}

// MatrixCommand is the command line that reproduces m.
func MatrixCommand(m *Matrix) string {
	cmd := fmt.Sprintf("cabacheck matrix --tasks %d", m.Tasks)
	if m.Actions != linux.DefaultActions.String() {
		if acts, err := linux.ParseActions(m.Actions); err == nil {
			cmd += " --actions " + actionsFlag(acts)
		} else {
			cmd += " --actions " + m.Actions
		}
	}
	if m.Budget != "" {
		cmd += " " + m.Budget
	}
	return cmd
}

// Refresh runs the long explorations of a record. log, when set, gets one
// line per finished exploration.
func Refresh(cfg RefreshConfig, rc RunConfig, log func(string)) (*Record, error) {
	rec := &Record{Settings: RecordSettings{
		MatrixTasks: cfg.MatrixTasks, FixedTasks: cfg.FixedTasks, Actions: linux.DefaultActions.String(),
		LargeBudget: cfg.Large.String(), CompleteUpTo: cfg.CompleteUpTo, WorkersUsed: rc.Workers, RecordedWithGo: runtime.Version(),
	}}
	say := func(e *Exploration) {
		if log != nil {
			log(fmt.Sprintf("%s at %d tasks: %s distinct states, depth %d, %s, %.1fs", e.Revision, e.Tasks, Commas(e.Distinct), e.Depth, e.StopReason, e.Seconds))
		}
	}
	budget := func(tasks int) Budget {
		if tasks <= cfg.CompleteUpTo {
			return Budget{}
		}
		return cfg.Large
	}
	for _, n := range cfg.MatrixTasks {
		m, err := RunMatrix(MatrixConfig{Tasks: n, Actions: linux.DefaultActions, Revisions: linux.Revisions(), Budget: budget(n)}, rc, say)
		if err != nil {
			return nil, err
		}
		rec.Matrices = append(rec.Matrices, m)
	}
	for _, n := range cfg.FixedTasks {
		b := budget(n)
		b.Symmetry = cfg.FixedSymmetryFrom > 0 && n >= cfg.FixedSymmetryFrom
		f, err := VerifyFixed(n, b, rc)
		if err != nil {
			return nil, err
		}
		say(f.Exploration)
		rec.Fixed = append(rec.Fixed, f)
	}
	return rec, nil
}

// VerifyFixed checks every invariant of the fix's reading on the fixed
// revision at a bound.
func VerifyFixed(tasks int, b Budget, rc RunConfig) (*FixedRun, error) {
	e, err := Explore(linux.Options{Tasks: tasks, Revision: linux.Fixed, Actions: linux.DefaultActions}, FixedChecks(), true, b, rc)
	if err != nil {
		return nil, err
	}
	return &FixedRun{Command: FixedCommand(tasks, b), Exploration: e}, nil
}
