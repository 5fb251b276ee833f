package restore

import (
	"fmt"
	"sync"

	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// ReplayActions are the action sets a restore needs: fork and CLONE_PARENT,
// threads, subreapers, sessions and process groups.
const ReplayActions = linux.Threads | linux.CloneParent | linux.Subreaper | linux.Sessions

// Result is a plan replayed through the model.
type Result struct {
	Plan *Plan
	// States holds, when recorded, the state before the first step and after
	// each enabled step (States[i] is after step i).
	States []state.State
	// Actions holds, when recorded, the model actions of each enabled step.
	Actions [][]spec.Action
	// Failed is the 1-based step that was not enabled (0: every step was),
	// FailWhy what refused it.
	Failed  int
	FailWhy string
	// Restored is the dump of the final state (when every step ran).
	Restored Obs
	// Tree and Caba are the first differences from the image in the tree
	// and in the caba values ("" when restored).
	Tree, Caba string
}

// TreeRestored reports whether every step ran and the tree is the image's.
func (r *Result) TreeRestored() bool { return r.Failed == 0 && r.Tree == "" }

// CabaRestored reports whether the tree and the caba values are the image's.
func (r *Result) CabaRestored() bool { return r.TreeRestored() && r.Caba == "" }

// Replayer replays the plans of one revision, keeping one model per number
// of slots (building a model costs more than most replays). Safe for
// concurrent use.
type Replayer struct {
	rev    linux.Revision
	mu     sync.Mutex
	models map[uint8]*linux.Model
}

// NewReplayer returns a replayer of revision rev.
func NewReplayer(rev linux.Revision) *Replayer {
	return &Replayer{rev: rev, models: map[uint8]*linux.Model{}}
}

// model returns the model a replay with n slots runs in (ReplayActions on).
func (rp *Replayer) model(n uint8) (*linux.Model, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if m, ok := rp.models[n]; ok {
		return m, nil
	}
	m, err := linux.New(linux.Options{Tasks: int(n), Revision: rp.rev, Actions: ReplayActions})
	if err != nil {
		return nil, fmt.Errorf("replay model of %s with %d slots: %w", rp.rev, n, err)
	}
	rp.models[n] = m
	return m, nil
}

// Replay runs plan p from a fresh initial state of a model of revision rev;
// see Replayer.Replay.
func Replay(rev linux.Revision, p *Plan, want *Obs, record bool) *Result {
	return NewReplayer(rev).Replay(p, want, record)
}

// Replay runs plan p from a fresh initial state of a model of the
// replayer's revision with enough slots for the image want and the plan's helpers, and compares
// the final dump with want. With record it keeps every state and action.
func (rp *Replayer) Replay(p *Plan, want *Obs, record bool) *Result {
	r := &Result{Plan: p}
	m, err := rp.model(p.Slots(want))
	if err != nil {
		r.Failed, r.FailWhy = 1, err.Error()
		return r
	}
	cur := m.Initial()
	if record {
		r.States = append(r.States, cur)
	}
	var next state.State
	var acts []spec.Action
	for i, st := range p.Steps {
		acts = acts[:0]
		ok, why := apply(m, &cur, &next, st, &acts)
		if !ok {
			r.Failed, r.FailWhy = i+1, why
			if p.Planner == "criu" {
				r.FailWhy += ": CRIU: " + criuError(&cur, st)
			}
			return r
		}
		if record {
			r.States = append(r.States, cur)
			r.Actions = append(r.Actions, append([]spec.Action(nil), acts...))
		}
	}
	r.Restored = Observe(rp.rev, &cur)
	r.Tree = want.TreeDiff(&r.Restored)
	r.Caba = want.CabaDiff(&r.Restored)
	return r
}

// apply runs one step on cur (in place, through next), appending the model
// actions it took to acts; it reports whether every one was enabled, and if
// not, which was refused.
func apply(m *linux.Model, cur, next *state.State, st Step, acts *[]spec.Action) (bool, string) {
	do := func(a spec.Action) bool {
		*acts = append(*acts, a)
		if !m.Step(cur, a, next) {
			return false
		}
		*cur = *next
		return true
	}
	at := func(kind uint8) bool {
		a := linux.Act(kind, st.By, 0)
		*acts = append(*acts, a)
		if st.Pid == 0 || st.Pid > cur.N || !m.StepAt(cur, a, st.Pid, next) {
			return false
		}
		*cur = *next
		return true
	}
	refused := func() (bool, string) {
		a := (*acts)[len(*acts)-1]
		return false, fmt.Sprintf("%s is not enabled", linux.FormatAction(a))
	}
	switch st.Op {
	case OpFork:
		if !at(linux.KFork) {
			return false, fmt.Sprintf("Fork(%d) at pid %d is not enabled", st.By, st.Pid)
		}
	case OpForkParent:
		if !at(linux.KForkParent) {
			return false, fmt.Sprintf("ForkParent(%d) at pid %d is not enabled", st.By, st.Pid)
		}
	case OpThread:
		if !at(linux.KClone) {
			return false, fmt.Sprintf("Clone(%d) at tid %d is not enabled", st.By, st.Pid)
		}
	case OpSetsid:
		if !do(linux.Act(linux.KSetsid, st.By, 0)) {
			return refused()
		}
	case OpSetpgid:
		if !do(linux.Act(linux.KSetpgid, st.By, linux.Pair(st.Pid, st.Arg))) {
			return refused()
		}
	case OpSubreaper:
		if !do(linux.Act(linux.KSetSubreaper, st.By, st.Arg)) {
			return refused()
		}
	case OpExit:
		if !do(linux.Act(linux.KExitBegin, st.By, 0)) || !do(linux.Act(linux.KExitNotify, st.By, 0)) {
			return refused()
		}
		if cur.St[st.By] == state.Dead && !do(linux.Act(linux.KRelease, st.By, 0)) {
			return refused()
		}
	case OpWait:
		if !do(linux.Act(linux.KReap, st.By, st.Pid)) || !do(linux.Act(linux.KRelease, st.Pid, 0)) {
			return refused()
		}
	case OpGetsid:
		if st.By == 0 || st.By > cur.N || cur.St[st.By] != state.Running {
			return false, fmt.Sprintf("task %d does not run", st.By)
		}
		if got := cur.Sid[cur.Tg[st.By]]; got != st.Arg {
			return false, fmt.Sprintf("getsid(0) of %d is %d, not %d", st.By, got, st.Arg)
		}
	default:
		return false, fmt.Sprintf("unknown step op %d", st.Op)
	}
	return true, ""
}
