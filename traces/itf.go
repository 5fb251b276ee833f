package traces

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// The Informal Trace Format (ITF) of Apalache and Quint, ADR-015
// (https://apalache-mc.org/docs/adr/015adr-trace.html, revision of
// 2023-09-14): {"#meta", "params", "vars", "states"}, each state an object
// from the variable names to values. The variables are those of the TLA+
// specification spec/tla/Linux.tla, under its names: st, tg, parent, caba,
// cabdOf, born (per task slot), leader, sub, hasSub, ign, exec (per group,
// indexed by founding slot) and corrupt. A per-slot variable is a TLA+
// function on 1..N, written as {"#map": [[key, value], ...]}; every integer
// is {"#bigint": "..."} (the ADR no longer allows JSON numbers); an absent
// pointer (None) is -1, as in the spec; a status is its name ("Running").
// The params (N and the revision's choices as the spec's CONSTANTS, and the
// action sets as the set Actions) are set in the initial state. The trace's
// #meta carries what the JSON trace carries (tasks, revision, actions,
// invariant, failure), a state's #meta its index and the action taken.

// ITFVars are the state variables of spec/tla/Linux.tla, in its order.
var ITFVars = []string{"st", "tg", "parent", "caba", "cabdOf", "born", "leader", "sub", "hasSub", "ign", "exec", "corrupt"}

// itfParams are the spec's CONSTANTS: N, the revision's choices that shape
// the state space (linux.Choices() keys), and the optional action sets.
var itfParams = []string{"N", "fork_caba", "thread_caba", "hand_off", "new_caba", "de_thread", "Actions"}

// itfActionSets are the optional action sets the spec models, by name.
var itfActionSets = []struct {
	name string
	bit  linux.ActionSet
}{
	{"threads", linux.Threads}, {"clone-parent", linux.CloneParent}, {"exec", linux.Exec},
	{"subreaper", linux.Subreaper}, {"ignore-sigchld", linux.IgnoreSigchld},
}

// ITFFormatDescription is the ADR the output follows.
const ITFFormatDescription = "https://apalache-mc.org/docs/adr/015adr-trace.html"

// itfObject is a JSON object with its keys in a fixed order.
type itfObject struct {
	keys []string
	vals []any
}

func (o *itfObject) add(k string, v any) { o.keys = append(o.keys, k); o.vals = append(o.vals, v) }

func (o *itfObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

type itfBigint struct {
	V string `json:"#bigint"`
}

type itfMap struct {
	M [][2]any `json:"#map"`
}

type itfSet struct {
	S []any `json:"#set"`
}

func bigint(v int) itfBigint { return itfBigint{strconv.Itoa(v)} }

// slotValue is a slot pointer as the spec has it: None is -1.
func slotValue(v uint8) itfBigint {
	if v == state.None {
		return bigint(-1)
	}
	return bigint(int(v))
}

// itfValue returns variable name of s as an ITF value.
func itfValue(s *state.State, name string) any {
	perSlot := func(f func(i uint8) any) itfMap {
		m := itfMap{M: [][2]any{}}
		for i := uint8(1); i <= s.N; i++ {
			m.M = append(m.M, [2]any{bigint(int(i)), f(i)})
		}
		return m
	}
	slots := func(a *[state.Slots]uint8) itfMap {
		return perSlot(func(i uint8) any { return slotValue(a[i]) })
	}
	flags := func(a *[state.Slots]bool) itfMap {
		return perSlot(func(i uint8) any { return a[i] })
	}
	switch name {
	case "st":
		return perSlot(func(i uint8) any { return s.St[i].String() })
	case "tg":
		return slots(&s.Tg)
	case "parent":
		return slots(&s.Parent)
	case "caba":
		return slots(&s.Caba)
	case "cabdOf":
		return slots(&s.CabdOf)
	case "born":
		return slots(&s.Born)
	case "leader":
		return slots(&s.Leader)
	case "sub":
		return flags(&s.Sub)
	case "hasSub":
		return flags(&s.HasSub)
	case "ign":
		return flags(&s.Ign)
	case "exec":
		return slots(&s.Exec)
	case "corrupt":
		return s.Corrupt
	}
	panic("traces: unknown ITF variable " + name)
}

// itfSupported reports whether the spec models the trace's action sets.
func itfSupported(acts linux.ActionSet) error {
	rest := acts
	for _, a := range itfActionSets {
		rest &^= a.bit
	}
	if rest != 0 {
		return fmt.Errorf("ITF: action set(s) %s are not in spec/tla/Linux.tla", rest)
	}
	return nil
}

// ITF returns the trace in the Informal Trace Format (see ITFVars).
func (tr *Trace) ITF() ([]byte, error) {
	o := tr.Options
	if err := itfSupported(o.Actions); err != nil {
		return nil, err
	}
	def := o.Revision.Def()
	if def == nil {
		return nil, fmt.Errorf("ITF: revision %d is not registered", o.Revision)
	}
	meta := &itfObject{}
	meta.add("format", "ITF")
	meta.add("format-description", ITFFormatDescription)
	meta.add("source", "spec/tla/Linux.tla")
	desc := fmt.Sprintf("cabacheck trace: %d steps, revision %s, %d tasks, actions %s", tr.Len(), o.Revision, o.Tasks, o.Actions)
	if tr.Invariant != "" {
		desc += ", violates " + tr.Invariant
	}
	meta.add("description", desc)
	meta.add("model", "linux")
	meta.add("tasks", o.Tasks)
	meta.add("revision", o.Revision.String())
	meta.add("actions", o.Actions.String())
	if tr.Invariant != "" {
		meta.add("invariant", tr.Invariant)
		meta.add("failure", append([]string{}, tr.Failure...))
	}
	meta.add("length", tr.Len())

	params := &itfObject{}
	params.add("N", bigint(o.Tasks))
	choices := map[string]string{}
	for _, c := range linux.Choices() {
		choices[c.Key] = c.Value(def)
	}
	for _, p := range itfParams[1 : len(itfParams)-1] {
		params.add(p, choices[p])
	}
	sets := itfSet{S: []any{}}
	for _, a := range itfActionSets {
		if o.Actions&a.bit != 0 {
			sets.S = append(sets.S, a.name)
		}
	}
	params.add("Actions", sets)

	var states []any
	for i := range tr.Steps {
		st := &tr.Steps[i]
		sm := &itfObject{}
		action := "Init"
		if i > 0 {
			action = linux.FormatAction(st.Action)
		}
		sm.add("index", i)
		sm.add("action", action)
		obj := &itfObject{}
		obj.add("#meta", sm)
		if i == 0 {
			for k, p := range params.keys {
				obj.add(p, params.vals[k])
			}
		}
		for _, v := range ITFVars {
			obj.add(v, itfValue(&st.State, v))
		}
		states = append(states, obj)
	}
	top := &itfObject{}
	top.add("#meta", meta)
	top.add("params", itfParams)
	top.add("vars", ITFVars)
	top.add("states", states)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", " ")
	if err := enc.Encode(top); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ReadITF parses an ITF trace written by ITF, replays it through the model
// and checks that every recorded state is the one the model computes. The
// model instance comes from the trace's #meta (tasks, revision, actions),
// checked against the params of the initial state when they are present. A
// state whose #meta names no action is reached by the first enabled action,
// in the generator's order, whose successor is that state. Integers are
// read as {"#bigint": "..."} or, as the ADR's first revision allowed, as
// JSON integers.
func ReadITF(data []byte) (*Trace, error) {
	var top struct {
		Meta   map[string]json.RawMessage   `json:"#meta"`
		Params []string                     `json:"params"`
		Vars   []string                     `json:"vars"`
		States []map[string]json.RawMessage `json:"states"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("ITF: %w", err)
	}
	for _, v := range ITFVars {
		if !containsString(top.Vars, v) {
			return nil, fmt.Errorf("ITF: vars lack %q (want the variables of spec/tla/Linux.tla: %s)", v, strings.Join(ITFVars, ", "))
		}
	}
	if len(top.States) == 0 {
		return nil, fmt.Errorf("ITF: no states")
	}
	var meta struct {
		Model     string   `json:"model"`
		Tasks     int      `json:"tasks"`
		Revision  string   `json:"revision"`
		Actions   string   `json:"actions"`
		Invariant string   `json:"invariant"`
		Failure   []string `json:"failure"`
	}
	if raw, err := json.Marshal(top.Meta); err != nil {
		return nil, fmt.Errorf("ITF: #meta: %w", err)
	} else if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("ITF: #meta: %w", err)
	}
	if meta.Model != "" && meta.Model != "linux" {
		return nil, fmt.Errorf("ITF: model %q is not the linux task model", meta.Model)
	}
	first := top.States[0]
	if meta.Tasks == 0 {
		n, err := itfInt(first["N"])
		if err != nil {
			return nil, fmt.Errorf("ITF: neither #meta tasks nor param N: %w", err)
		}
		meta.Tasks = n
	}
	if meta.Revision == "" {
		return nil, fmt.Errorf("ITF: #meta names no revision")
	}
	rev, err := linux.ParseRevision(meta.Revision)
	if err != nil {
		return nil, fmt.Errorf("ITF: %w", err)
	}
	acts := linux.DefaultActions
	if meta.Actions != "" {
		if acts, err = linux.ParseActions(meta.Actions); err != nil {
			return nil, fmt.Errorf("ITF: %w", err)
		}
	}
	if err := itfSupported(acts); err != nil {
		return nil, err
	}
	m, err := linux.New(linux.Options{Tasks: meta.Tasks, Revision: rev, Actions: acts})
	if err != nil {
		return nil, fmt.Errorf("ITF: %w", err)
	}
	if err := checkITFParams(first, meta.Tasks, rev, acts); err != nil {
		return nil, err
	}

	want := make([]state.State, len(top.States))
	for i, so := range top.States {
		if want[i], err = itfState(so, meta.Tasks); err != nil {
			return nil, fmt.Errorf("ITF: state %d: %w", i, err)
		}
	}
	if s0 := m.Initial(); !itfEqual(&s0, &want[0]) {
		return nil, fmt.Errorf("ITF: state 0 is not the initial state: %v", itfDiff(&s0, &want[0]))
	}
	var as []spec.Action
	cur := m.Initial()
	for i := 1; i < len(want); i++ {
		var a spec.Action
		var next state.State
		name := itfStateAction(top.States[i])
		if name != "" {
			if a, err = linux.ParseAction(name); err != nil {
				return nil, fmt.Errorf("ITF: state %d: %w", i, err)
			}
			if !m.Step(&cur, a, &next) {
				return nil, fmt.Errorf("ITF: state %d: %s is not enabled", i, name)
			}
			if !itfEqual(&next, &want[i]) {
				return nil, fmt.Errorf("ITF: state %d: recorded state differs from the model's after %s: %v", i, name, itfDiff(&next, &want[i]))
			}
		} else if a, next, err = findStep(m, &cur, &want[i]); err != nil {
			return nil, fmt.Errorf("ITF: state %d: %w", i, err)
		}
		as = append(as, a)
		cur = next
	}
	tr, err := Build(m, as)
	if err != nil {
		return nil, fmt.Errorf("ITF: %w", err)
	}
	tr.Invariant, tr.Failure = meta.Invariant, meta.Failure
	return tr, nil
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// checkITFParams checks the params of the initial state, where present,
// against the model instance.
func checkITFParams(first map[string]json.RawMessage, n int, rev linux.Revision, acts linux.ActionSet) error {
	if raw, ok := first["N"]; ok {
		v, err := itfInt(raw)
		if err != nil {
			return fmt.Errorf("ITF: param N: %w", err)
		}
		if v != n {
			return fmt.Errorf("ITF: param N is %d, #meta tasks %d", v, n)
		}
	}
	def := rev.Def()
	for _, c := range linux.Choices() {
		raw, ok := first[c.Key]
		if !ok {
			continue
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("ITF: param %s: %w", c.Key, err)
		}
		if v != c.Value(def) {
			return fmt.Errorf("ITF: param %s is %q, revision %s has %q", c.Key, v, rev, c.Value(def))
		}
	}
	if raw, ok := first["Actions"]; ok {
		var set struct {
			S []string `json:"#set"`
		}
		if err := json.Unmarshal(raw, &set); err != nil {
			return fmt.Errorf("ITF: param Actions: %w", err)
		}
		var got linux.ActionSet
		for _, name := range set.S {
			found := false
			for _, a := range itfActionSets {
				if a.name == name {
					got |= a.bit
					found = true
				}
			}
			if !found {
				return fmt.Errorf("ITF: param Actions: unknown action set %q", name)
			}
		}
		if got != acts {
			return fmt.Errorf("ITF: param Actions is %s, #meta actions %s", got, acts)
		}
	}
	return nil
}

// itfStateAction returns the action a state's #meta names ("" for none or Init).
func itfStateAction(so map[string]json.RawMessage) string {
	var sm struct {
		Action string `json:"action"`
	}
	if raw, ok := so["#meta"]; ok {
		_ = json.Unmarshal(raw, &sm)
	}
	if sm.Action == "Init" {
		return ""
	}
	return sm.Action
}

// findStep returns the first enabled action, in the generator's order, that
// leads from cur to a state equal to want on the ITF variables.
func findStep(m *linux.Model, cur, want *state.State) (spec.Action, state.State, error) {
	b := make([]byte, m.StateSize())
	cur.Encode(b)
	var found spec.Action
	ok := false
	m.NewGenerator().Successors(b, func(a spec.Action, _ []byte) {
		if ok {
			return
		}
		var next state.State
		if m.Step(cur, a, &next) && itfEqual(&next, want) {
			found, ok = a, true
		}
	})
	if !ok {
		return 0, state.State{}, fmt.Errorf("no enabled action leads to the recorded state")
	}
	var next state.State
	m.Step(cur, found, &next)
	return found, next, nil
}

// itfEqual compares two states on the ITF variables (the fields the spec
// has; sid, pgid and execd are constant with the sessions sets off).
func itfEqual(a, b *state.State) bool { return len(itfDiff(a, b)) == 0 }

func itfDiff(a, b *state.State) []string {
	var d []string
	if a.N != b.N {
		return []string{fmt.Sprintf("N %d != %d", a.N, b.N)}
	}
	for _, v := range ITFVars {
		x, _ := json.Marshal(itfValue(a, v))
		y, _ := json.Marshal(itfValue(b, v))
		if !bytes.Equal(x, y) {
			d = append(d, fmt.Sprintf("%s: model %s, recorded %s", v, x, y))
		}
	}
	return d
}

// itfInt reads an ITF integer: {"#bigint": "-12"} or a JSON integer.
func itfInt(raw json.RawMessage) (int, error) {
	if raw == nil {
		return 0, fmt.Errorf("missing")
	}
	var big struct {
		V *string `json:"#bigint"`
	}
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		if err := json.Unmarshal(raw, &big); err != nil {
			return 0, err
		}
		if big.V == nil {
			return 0, fmt.Errorf("%s is not an integer", raw)
		}
		return strconv.Atoi(*big.V)
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, fmt.Errorf("%s is not an integer", raw)
	}
	v, err := n.Int64()
	return int(v), err
}

// itfFunction reads a per-slot variable: {"#map": [[k, v], ...]} with the
// keys exactly 1..n (a JSON list, a TLA+ sequence, is accepted too).
func itfFunction(raw json.RawMessage, n int) ([]json.RawMessage, error) {
	if raw == nil {
		return nil, fmt.Errorf("missing")
	}
	out := make([]json.RawMessage, n+1)
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		if len(list) != n {
			return nil, fmt.Errorf("a list of %d values, want %d", len(list), n)
		}
		copy(out[1:], list)
		return out, nil
	}
	var m struct {
		M *[][]json.RawMessage `json:"#map"`
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.M == nil {
		return nil, fmt.Errorf("not a #map")
	}
	if len(*m.M) != n {
		return nil, fmt.Errorf("a #map of %d pairs, want %d (slots 1..%d)", len(*m.M), n, n)
	}
	for _, p := range *m.M {
		if len(p) != 2 {
			return nil, fmt.Errorf("a #map entry of %d elements", len(p))
		}
		k, err := itfInt(p[0])
		if err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
		if k < 1 || k > n || out[k] != nil {
			return nil, fmt.Errorf("key %d outside 1..%d or repeated", k, n)
		}
		out[k] = p[1]
	}
	return out, nil
}

// itfState reads the ITF variables of a state with n tasks (the fields
// the spec has; sid, pgid and execd stay at their zero: states are compared
// on the ITF variables only, itfEqual).
func itfState(so map[string]json.RawMessage, n int) (state.State, error) {
	s := state.Blank(n)
	for _, v := range ITFVars {
		raw, ok := so[v]
		if !ok {
			return s, fmt.Errorf("variable %s is not set", v)
		}
		if v == "corrupt" {
			if err := json.Unmarshal(raw, &s.Corrupt); err != nil {
				return s, fmt.Errorf("corrupt: %w", err)
			}
			continue
		}
		vals, err := itfFunction(raw, n)
		if err != nil {
			return s, fmt.Errorf("%s: %w", v, err)
		}
		for i := 1; i <= n; i++ {
			if err := setITF(&s, v, uint8(i), vals[i], n); err != nil {
				return s, fmt.Errorf("%s[%d]: %w", v, i, err)
			}
		}
	}
	return s, nil
}

func setITF(s *state.State, v string, i uint8, raw json.RawMessage, n int) error {
	switch v {
	case "st":
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			return err
		}
		for st := state.Unborn; st <= state.Released; st++ {
			if st.String() == name {
				s.St[i] = st
				return nil
			}
		}
		return fmt.Errorf("unknown status %q", name)
	case "sub", "hasSub", "ign":
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return err
		}
		map[string]*[state.Slots]bool{"sub": &s.Sub, "hasSub": &s.HasSub, "ign": &s.Ign}[v][i] = b
		return nil
	}
	k, err := itfInt(raw)
	if err != nil {
		return err
	}
	none := v == "cabdOf" || v == "exec"
	switch {
	case none && k == -1:
		k = int(state.None)
	case k < 0 || k > n:
		return fmt.Errorf("%d is not a slot (0..%d)", k, n)
	}
	dst := map[string]*[state.Slots]uint8{"tg": &s.Tg, "parent": &s.Parent, "caba": &s.Caba,
		"cabdOf": &s.CabdOf, "born": &s.Born, "leader": &s.Leader, "exec": &s.Exec}[v]
	if dst == nil {
		return fmt.Errorf("unknown variable")
	}
	dst[i] = uint8(k)
	return nil
}

// WriteITF writes the ITF form of each Linux trace in vs: to path when
// there is one; with several (an ITF file holds one trace), to path with
// the trace's invariant inserted before ".itf.json" (x.itf.json:
// x.NoDanglingCaba.itf.json, or x.2.itf.json when the trace names none).
func WriteITF(path string, vs ...View) error {
	for i, v := range vs {
		tr, ok := v.(*Trace)
		if !ok {
			return fmt.Errorf("ITF: only traces of the linux task model have an ITF form")
		}
		data, err := tr.ITF()
		if err != nil {
			return err
		}
		p := path
		if len(vs) > 1 {
			tag := tr.Invariant
			if tag == "" {
				tag = strconv.Itoa(i + 1)
			}
			stem, ext := path, ""
			if k := strings.LastIndex(strings.ToLower(path), ".itf.json"); k >= 0 {
				stem, ext = path[:k], path[k:]
			}
			p = stem + "." + tag + ext
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
