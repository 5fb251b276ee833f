package linux

import (
	"cabacheck/spec"
	"cabacheck/state"
)

// NewGenerator returns a successor generator with its own buffers.
func (m *Model) NewGenerator() spec.Generator {
	return &generator{m: m, out: make([]byte, m.StateSize())}
}

type generator struct {
	m        *Model
	src, dst state.State
	out      []byte
	vals     valueBuf // second-parameter values of one kind
}

// Successors enumerates enabled actions task by task (ascending), and for each
// task in kind order; Reap(w, c) by ascending c, Setpgid(t, c, p) by
// ascending c, then p.
func (g *generator) Successors(b []byte, emit func(spec.Action, []byte)) {
	m := g.m
	src := &g.src
	src.Decode(b, m.opt.Tasks)
	if src.Corrupt {
		return
	}
	try := func(a spec.Action) {
		if m.Step(src, a, &g.dst) {
			g.dst.Encode(g.out)
			emit(a, g.out)
		}
	}
	for t := uint8(1); t <= src.N; t++ {
		for _, k := range m.kinds[src.St[t]] {
			def := &actionDefs[k]
			if def.values == nil {
				try(Act(k, t, 0))
				continue
			}
			for _, b := range g.vals[:def.values(src, t, &g.vals)] {
				try(Act(k, t, b))
			}
		}
	}
}

// kindsFor lists, per status of the acting task, the action kinds of the
// optional action sets in as that the generator tries, in kind order (an
// action of a set that is off is never enabled, so it is not tried).
func kindsFor(as ActionSet) (out [state.Released + 1][]uint8) {
	for k := uint8(1); k < numKinds; k++ {
		def := &actionDefs[k]
		if def.set != 0 && as&def.set == 0 {
			continue
		}
		out[def.actor] = append(out[def.actor], k)
	}
	return out
}
