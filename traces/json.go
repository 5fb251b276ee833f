package traces

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// The JSON form of a state follows the state.Fields table: a StateJSON is
// {the global fields ("corrupt"), "tasks": [...], "groups": [...]}, a task
// {"slot": i, then the per-task fields}, a group {"group": g, then the
// per-group fields}, each under its kernel name, in table order. Values are
// JSON by kind: a status by name ("Running"), a slot as a number, a slot or
// none as a number or null, a flag as a bool. Reading follows encoding/json
// on the structs this replaced: unknown keys are ignored, keys match
// exactly or else regardless of case, null or an absent key is the zero.

// StateJSON is a full state.
type StateJSON struct {
	Global FieldsJSON // the global fields
	Tasks  []TaskJSON
	Groups []GroupJSON
}

// TaskJSON is one task slot in a JSON state.
type TaskJSON struct {
	Slot   uint8
	Fields FieldsJSON // the per-task fields
}

// GroupJSON is one process (by founding slot) in a JSON state.
type GroupJSON struct {
	Group  uint8
	Fields FieldsJSON // the per-group fields
}

// FieldsJSON holds the values of the fields of one scope of state.Fields, in
// table order: for a status a string (its name), for a slot a uint8, for a
// slot or none a *uint8 (nil for none), for a flag a bool. Empty means every
// field at its zero (a JSON object that lists none of them).
type FieldsJSON []any

// scopeFields lists the fields of each scope, in table order.
var scopeFields = func() (out [3][]state.FieldID) {
	for id, f := range state.Fields {
		out[f.Scope] = append(out[f.Scope], state.FieldID(id))
	}
	return out
}()

// fieldsJSON returns the values of scope's fields of s at index i.
func fieldsJSON(s *state.State, scope state.Scope, i uint8) FieldsJSON {
	ids := scopeFields[scope]
	out := make(FieldsJSON, len(ids))
	for k, id := range ids {
		v := s.Get(id, i)
		switch state.Fields[id].Kind {
		case state.KindStatus:
			out[k] = state.Status(v).String()
		case state.KindSlot:
			out[k] = v
		case state.KindSlotOrNone:
			out[k] = opt(v)
		case state.KindFlag:
			out[k] = v != 0
		}
	}
	return out
}

// setFields sets scope's fields of s at index i from vals.
func setFields(s *state.State, scope state.Scope, i uint8, vals FieldsJSON) error {
	ids := scopeFields[scope]
	vals, err := orZero(scope, vals)
	if err != nil {
		return err
	}
	for k, id := range ids {
		f := &state.Fields[id]
		var v uint8
		ok := false
		switch x := vals[k].(type) {
		case string:
			if f.Kind == state.KindStatus {
				for st := state.Unborn; st <= state.Released; st++ {
					if st.String() == x {
						v, ok = uint8(st), true
					}
				}
				if !ok {
					return fmt.Errorf("unknown %s %q", f.Name, x)
				}
			}
		case uint8:
			v, ok = x, f.Kind == state.KindSlot
		case *uint8:
			v, ok = unopt(x), f.Kind == state.KindSlotOrNone
		case bool:
			v, ok = b2u(x), f.Kind == state.KindFlag
		}
		if !ok {
			return fmt.Errorf("%s: a %T, want a %T", f.Name, vals[k], jsonZero(f.Kind))
		}
		s.Set(id, i, v)
	}
	return nil
}

// jsonZero is the JSON value of a field of kind k when its JSON object
// omits it (what encoding/json leaves in a Go value of its type).
func jsonZero(k state.Kind) any {
	switch k {
	case state.KindStatus:
		return ""
	case state.KindSlot:
		return uint8(0)
	case state.KindSlotOrNone:
		return (*uint8)(nil)
	}
	return false
}

// orZero returns vals, or when it is empty the zeros of scope's fields.
func orZero(scope state.Scope, vals FieldsJSON) (FieldsJSON, error) {
	ids := scopeFields[scope]
	if len(vals) == 0 {
		vals = make(FieldsJSON, len(ids))
		for k, id := range ids {
			vals[k] = jsonZero(state.Fields[id].Kind)
		}
	}
	if len(vals) != len(ids) {
		return nil, fmt.Errorf("%d field values, want %d", len(vals), len(ids))
	}
	return vals, nil
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// appendFields appends scope's fields as JSON object members (",key":value
// each), under their kernel names.
func appendFields(b []byte, scope state.Scope, vals FieldsJSON) ([]byte, error) {
	vals, err := orZero(scope, vals)
	if err != nil {
		return nil, fmt.Errorf("traces: %w", err)
	}
	for k, id := range scopeFields[scope] {
		b = append(b, ',')
		b = strconv.AppendQuote(b, state.Fields[id].Name) // plain ASCII names
		b = append(b, ':')
		if b, err = appendValue(b, vals[k]); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// appendValue appends the JSON form of a field value.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case *uint8:
		if x == nil {
			return append(b, "null"...), nil
		}
		return strconv.AppendUint(b, uint64(*x), 10), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	}
	j, err := json.Marshal(v)
	return append(b, j...), err
}

func (t TaskJSON) appendJSON(b []byte) ([]byte, error) {
	b = append(append(b, `{"slot":`...), strconv.Itoa(int(t.Slot))...)
	b, err := appendFields(b, state.ScopeTask, t.Fields)
	return append(b, '}'), err
}

func (g GroupJSON) appendJSON(b []byte) ([]byte, error) {
	b = append(append(b, `{"group":`...), strconv.Itoa(int(g.Group))...)
	b, err := appendFields(b, state.ScopeGroup, g.Fields)
	return append(b, '}'), err
}

// appendList appends a JSON array of tasks or groups (null for nil, as
// encoding/json writes a nil slice).
func appendList[T interface{ appendJSON([]byte) ([]byte, error) }](b []byte, xs []T) ([]byte, error) {
	if xs == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for k, x := range xs {
		if k > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = x.appendJSON(b); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// MarshalJSON writes {"slot": ..., then the per-task fields}.
func (t TaskJSON) MarshalJSON() ([]byte, error) { return t.appendJSON(nil) }

// MarshalJSON writes {"group": ..., then the per-group fields}.
func (g GroupJSON) MarshalJSON() ([]byte, error) { return g.appendJSON(nil) }

// MarshalJSON writes {the global fields, "tasks": [...], "groups": [...]}.
func (j StateJSON) MarshalJSON() ([]byte, error) {
	b, err := appendFields([]byte{'{'}, state.ScopeGlobal, j.Global)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"tasks":`...)
	if b, err = appendList(b, j.Tasks); err != nil {
		return nil, err
	}
	b = append(b, `,"groups":`...)
	if b, err = appendList(b, j.Groups); err != nil {
		return nil, err
	}
	b = append(b[:1], b[2:]...) // the comma before the first member
	return append(b, '}'), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *TaskJSON) UnmarshalJSON(data []byte) error {
	return unmarshalWith(data, t, taskFrom)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (g *GroupJSON) UnmarshalJSON(data []byte) error {
	return unmarshalWith(data, g, groupFrom)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (j *StateJSON) UnmarshalJSON(data []byte) error {
	return unmarshalWith(data, j, stateFrom)
}

// unmarshalWith parses data once into a tree and builds *dst from it with
// from (a JSON null leaves *dst as it is).
func unmarshalWith[T any](data []byte, dst *T, from func(any) (T, error)) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var tree any
	if err := d.Decode(&tree); err != nil {
		return err
	}
	if tree == nil {
		return nil
	}
	v, err := from(tree)
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// object is a parsed JSON object.
type object map[string]any

// asObject returns v as an object; null is an empty one.
func asObject(v any, what string) (object, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return x, nil
	}
	return nil, fmt.Errorf("json: %s is not an object", what)
}

// lookup prefers an exact key and else accepts one that differs in case.
func (o object) lookup(key string) any {
	if v, ok := o[key]; ok {
		return v
	}
	for k, v := range o {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// asUint8 reads a number 0..255 (null is 0).
func asUint8(v any, what string) (uint8, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case json.Number:
		if u, err := strconv.ParseUint(string(x), 10, 8); err == nil {
			return uint8(u), nil
		}
	}
	return 0, fmt.Errorf("json: %s: %v is not a number 0..255", what, v)
}

// fieldsFrom reads scope's fields from o; absent ones are at their zero.
func fieldsFrom(o object, scope state.Scope) (FieldsJSON, error) {
	ids := scopeFields[scope]
	out := make(FieldsJSON, len(ids))
	for k, id := range ids {
		f := &state.Fields[id]
		v := o.lookup(f.Name)
		out[k] = jsonZero(f.Kind)
		if v == nil {
			continue
		}
		bad := fmt.Errorf("json: %s: %v is not a %T", f.Name, v, jsonZero(f.Kind))
		switch f.Kind {
		case state.KindStatus:
			s, ok := v.(string)
			if !ok {
				return nil, bad
			}
			out[k] = s
		case state.KindSlot, state.KindSlotOrNone:
			u, err := asUint8(v, f.Name)
			if err != nil {
				return nil, err
			}
			out[k] = u
			if f.Kind == state.KindSlotOrNone {
				out[k] = &u
			}
		case state.KindFlag:
			b, ok := v.(bool)
			if !ok {
				return nil, bad
			}
			out[k] = b
		}
	}
	return out, nil
}

func taskFrom(v any) (TaskJSON, error) {
	o, err := asObject(v, "a task")
	if err != nil {
		return TaskJSON{}, err
	}
	t := TaskJSON{}
	if t.Slot, err = asUint8(o.lookup("slot"), "slot"); err != nil {
		return t, err
	}
	t.Fields, err = fieldsFrom(o, state.ScopeTask)
	return t, err
}

func groupFrom(v any) (GroupJSON, error) {
	o, err := asObject(v, "a group")
	if err != nil {
		return GroupJSON{}, err
	}
	g := GroupJSON{}
	if g.Group, err = asUint8(o.lookup("group"), "group"); err != nil {
		return g, err
	}
	g.Fields, err = fieldsFrom(o, state.ScopeGroup)
	return g, err
}

func stateFrom(v any) (StateJSON, error) {
	o, err := asObject(v, "a state")
	if err != nil {
		return StateJSON{}, err
	}
	var j StateJSON
	if j.Global, err = fieldsFrom(o, state.ScopeGlobal); err != nil {
		return j, err
	}
	if j.Tasks, err = listFrom(o.lookup("tasks"), "tasks", taskFrom); err != nil {
		return j, err
	}
	j.Groups, err = listFrom(o.lookup("groups"), "groups", groupFrom)
	return j, err
}

// listFrom reads an array (null is a nil slice).
func listFrom[T any](v any, what string, from func(any) (T, error)) ([]T, error) {
	if v == nil {
		return nil, nil
	}
	xs, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("json: %s is not an array", what)
	}
	out := make([]T, len(xs))
	for k, x := range xs {
		var err error
		if out[k], err = from(x); err != nil {
			return nil, err
		}
	}
	return out, nil
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

// EncodeState converts a state to its JSON form: every task slot, and the
// groups by founding slot.
func EncodeState(s *state.State) StateJSON {
	out := StateJSON{Global: fieldsJSON(s, state.ScopeGlobal, 0)}
	for i := uint8(1); i <= s.N; i++ {
		out.Tasks = append(out.Tasks, TaskJSON{Slot: i, Fields: fieldsJSON(s, state.ScopeTask, i)})
		if s.Tg[i] == i {
			out.Groups = append(out.Groups, GroupJSON{Group: i, Fields: fieldsJSON(s, state.ScopeGroup, i)})
		}
	}
	return out
}

// DecodeState converts the JSON form of a state with n tasks back. Every
// slot must be listed once; a group not listed keeps its fields at zero.
func DecodeState(j StateJSON, n int) (state.State, error) {
	s := state.Blank(n)
	if err := setFields(&s, state.ScopeGlobal, 0, j.Global); err != nil {
		return s, err
	}
	if len(j.Tasks) != n {
		return s, fmt.Errorf("state lists %d tasks, want %d", len(j.Tasks), n)
	}
	var seen [256]bool
	for _, t := range j.Tasks {
		if t.Slot < 1 || int(t.Slot) > n {
			return s, fmt.Errorf("task slot %d outside 1..%d", t.Slot, n)
		}
		if seen[t.Slot] {
			return s, fmt.Errorf("task slot %d listed twice", t.Slot)
		}
		seen[t.Slot] = true
		if err := setFields(&s, state.ScopeTask, t.Slot, t.Fields); err != nil {
			return s, fmt.Errorf("task %d: %w", t.Slot, err)
		}
	}
	for _, g := range j.Groups {
		if g.Group < 1 || int(g.Group) > n {
			return s, fmt.Errorf("group %d outside 1..%d", g.Group, n)
		}
		if err := setFields(&s, state.ScopeGroup, g.Group, g.Fields); err != nil {
			return s, fmt.Errorf("group %d: %w", g.Group, err)
		}
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
//
// A trace file is a list of traces (what check --trace-out writes, one per
// violated invariant); ReadJSON takes the first. A single trace object is
// accepted too.
func ReadJSON(data []byte) (*Trace, error) {
	var tj TraceJSON
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '[' {
		var list []TraceJSON
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("trace file: %w", err)
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("trace file: an empty list of traces")
		}
		tj = list[0]
	} else if err := json.Unmarshal(data, &tj); err != nil {
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
