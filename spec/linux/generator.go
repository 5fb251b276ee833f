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
}

// Successors enumerates enabled actions task by task (ascending), and for each
// task in kind order; Reap(w, c) by ascending c.
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
	n := src.N
	for t := uint8(1); t <= n; t++ {
		switch src.St[t] {
		case state.Running:
			try(Act(KFork, t, 0))
			try(Act(KForkParent, t, 0))
			try(Act(KClone, t, 0))
			on := uint8(1)
			if src.Sub[src.Tg[t]] {
				on = 0
			}
			try(Act(KSetSubreaper, t, on))
			try(Act(KIgnoreSigchld, t, 0))
			try(Act(KExitBegin, t, 0))
			if src.Exec[src.Tg[t]] == state.None {
				for c := uint8(1); c <= n; c++ {
					if src.St[c] == state.Zombie {
						try(Act(KReap, t, c))
					}
				}
			}
			try(Act(KExecBegin, t, 0))
			try(Act(KExecSwap, t, 0))
		case state.Exiting:
			try(Act(KExitNotify, t, 0))
		case state.Dead:
			try(Act(KRelease, t, 0))
		}
	}
}
