package traces

import (
	"encoding/json"
	"fmt"

	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// TaskJSON is one task slot in a JSON state.
type TaskJSON struct {
	Slot   uint8  `json:"slot"`
	State  string `json:"state"`
	Tgid   uint8  `json:"tgid"`
	Parent uint8  `json:"real_parent"`
	Caba   uint8  `json:"caba"`
	CabdOn *uint8 `json:"cabd_on"`
	Born   uint8  `json:"born"`
}

// GroupJSON is one process (by founding slot) in a JSON state.
type GroupJSON struct {
	Group             uint8  `json:"group"`
	Leader            uint8  `json:"group_leader"`
	Subreaper         bool   `json:"is_child_subreaper"`
	HasChildSubreaper bool   `json:"has_child_subreaper"`
	SigchldIgnored    bool   `json:"sigchld_ignored"`
	ExecBy            *uint8 `json:"group_exec_task"`
}

// StateJSON is a full state.
type StateJSON struct {
	Corrupt bool        `json:"corrupt"`
	Tasks   []TaskJSON  `json:"tasks"`
	Groups  []GroupJSON `json:"groups"`
}

// StepJSON is one step: the action (empty for the initial state) and the state after it.
type StepJSON struct {
	Step   int       `json:"step"`
	Action string    `json:"action,omitempty"`
	Kind   string    `json:"kind,omitempty"`
	Params []uint8   `json:"params,omitempty"`
	Event  string    `json:"event,omitempty"`
	State  StateJSON `json:"state"`
}

// TraceJSON is the machine-readable trace.
type TraceJSON struct {
	Model     string     `json:"model"`
	Tasks     int        `json:"tasks"`
	Revision  string     `json:"revision"`
	Actions   string     `json:"actions"`
	Invariant string     `json:"invariant,omitempty"`
	Failure   []string   `json:"failure,omitempty"`
	Length    int        `json:"length"`
	Steps     []StepJSON `json:"steps"`
}

func opt(v uint8) *uint8 {
	if v == state.None {
		return nil
	}
	return &v
}

func unopt(p *uint8) uint8 {
	if p == nil {
		return state.None
	}
	return *p
}

// EncodeState converts a state to its JSON form.
func EncodeState(s *state.State) StateJSON {
	out := StateJSON{Corrupt: s.Corrupt}
	for i := uint8(1); i <= s.N; i++ {
		out.Tasks = append(out.Tasks, TaskJSON{Slot: i, State: s.St[i].String(), Tgid: s.Tg[i], Parent: s.Parent[i], Caba: s.Caba[i], CabdOn: opt(s.CabdOf[i]), Born: s.Born[i]})
		if s.Tg[i] == i {
			out.Groups = append(out.Groups, GroupJSON{Group: i, Leader: s.Leader[i], Subreaper: s.Sub[i], HasChildSubreaper: s.HasSub[i], SigchldIgnored: s.Ign[i], ExecBy: opt(s.Exec[i])})
		}
	}
	return out
}

// DecodeState converts the JSON form of a state with n tasks back.
func DecodeState(j StateJSON, n int) (state.State, error) {
	s := state.Initial(n)
	s.St[1], s.Tg[1], s.Leader[1] = state.Unborn, 0, 0
	s.Corrupt = j.Corrupt
	if len(j.Tasks) != n {
		return s, fmt.Errorf("state lists %d tasks, want %d", len(j.Tasks), n)
	}
	for _, t := range j.Tasks {
		if t.Slot < 1 || int(t.Slot) > n {
			return s, fmt.Errorf("task slot %d outside 1..%d", t.Slot, n)
		}
		st := -1
		for k := state.Unborn; k <= state.Released; k++ {
			if k.String() == t.State {
				st = int(k)
			}
		}
		if st < 0 {
			return s, fmt.Errorf("task %d: unknown state %q", t.Slot, t.State)
		}
		i := t.Slot
		s.St[i], s.Tg[i], s.Parent[i], s.Caba[i], s.CabdOf[i], s.Born[i] = state.Status(st), t.Tgid, t.Parent, t.Caba, unopt(t.CabdOn), t.Born
	}
	for _, g := range j.Groups {
		if g.Group < 1 || int(g.Group) > n {
			return s, fmt.Errorf("group %d outside 1..%d", g.Group, n)
		}
		i := g.Group
		s.Leader[i], s.Sub[i], s.HasSub[i], s.Ign[i], s.Exec[i] = g.Leader, g.Subreaper, g.HasChildSubreaper, g.SigchldIgnored, unopt(g.ExecBy)
	}
	return s, nil
}

// JSON returns the machine-readable form of the trace.
func (tr *Trace) JSON() TraceJSON {
	o := tr.Options
	out := TraceJSON{Model: "linux", Tasks: o.Tasks, Revision: o.Revision.String(), Actions: o.Actions.String(), Invariant: tr.Invariant, Failure: tr.Failure, Length: tr.Len()}
	for i, st := range tr.Steps {
		sj := StepJSON{Step: i, State: EncodeState(&st.State)}
		if i > 0 {
			sj.Action = linux.FormatAction(st.Action)
			sj.Kind = linux.KindName(st.Action.Kind())
			sj.Params = []uint8{st.Action.A()}
			if k := st.Action.Kind(); k == linux.KSetSubreaper || k == linux.KReap {
				sj.Params = append(sj.Params, st.Action.B())
			}
			sj.Event = st.Event
		}
		out.Steps = append(out.Steps, sj)
	}
	return out
}

// ReadJSON parses a JSON trace, replays its actions through the model and
// checks that every recorded state is the one the model computes.
func ReadJSON(data []byte) (*Trace, error) {
	var tj TraceJSON
	if err := json.Unmarshal(data, &tj); err != nil {
		return nil, fmt.Errorf("trace file: %w", err)
	}
	if tj.Model != "linux" {
		return nil, fmt.Errorf("trace file: model %q is not the linux task model", tj.Model)
	}
	rev, err := linux.ParseRevision(tj.Revision)
	if err != nil {
		return nil, fmt.Errorf("trace file: %w", err)
	}
	acts, err := linux.ParseActions(tj.Actions)
	if err != nil {
		return nil, fmt.Errorf("trace file: %w", err)
	}
	m, err := linux.New(linux.Options{Tasks: tj.Tasks, Revision: rev, Actions: acts})
	if err != nil {
		return nil, fmt.Errorf("trace file: %w", err)
	}
	if len(tj.Steps) == 0 {
		return nil, fmt.Errorf("trace file: no steps")
	}
	var as []spec.Action
	for _, st := range tj.Steps[1:] {
		a, err := linux.ParseAction(st.Action)
		if err != nil {
			return nil, fmt.Errorf("trace file: step %d: %w", st.Step, err)
		}
		as = append(as, a)
	}
	tr, err := Build(m, as)
	if err != nil {
		return nil, fmt.Errorf("trace file: %w", err)
	}
	for i, st := range tj.Steps {
		want, err := DecodeState(st.State, tj.Tasks)
		if err != nil {
			return nil, fmt.Errorf("trace file: step %d: %w", i, err)
		}
		if want != tr.Steps[i].State {
			return nil, fmt.Errorf("trace file: step %d: recorded state differs from the model's: %v", i, Diff(&tr.Steps[i].State, &want))
		}
	}
	tr.Invariant, tr.Failure = tj.Invariant, tj.Failure
	return tr, nil
}
