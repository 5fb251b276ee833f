package simulate

import (
	"math/rand/v2"
	"testing"

	"cabacheck/spec"
	"cabacheck/spec/linux"
)

// How likely is one walk to take the seed's 12-step dangling thread caba at
// 6 tasks (examples.md 3) in the known order, with uniform choice and with
// the swarm's per-walk kind weights (swarmWeight, the pick rule of
// worker.pick)? The product of the chosen action's share of the enabled
// actions' weight along the trace, averaged over weight draws. It is the
// figure behind docs/simulate.md's "not met": a per-walk bias buys a factor
// of a few, and the walks would need about 10^6.
func TestSwarmReachOfNarrowBug(t *testing.T) {
	m := linux.MustNew(linux.Options{Tasks: 6, Revision: linux.Seed, Actions: linux.DefaultActions})
	trace := parseAll(t, m, "Fork(1)", "SetSubreaper(2, on)", "Fork(2)", "Fork(3)", "Fork(4)", "ExitBegin(4)",
		"ExitNotify(4)", "Clone(5)", "ExitBegin(2)", "ExitNotify(2)", "Reap(1, 2)", "Release(2)")
	gen := m.NewGenerator()
	cur := append([]byte(nil), m.InitialStates()[0]...)
	next := make([]byte, len(cur))
	var enabled [][]spec.Action
	for i, a := range trace {
		var en []spec.Action
		gen.Successors(cur, func(b spec.Action, _ []byte) { en = append(en, b) })
		enabled = append(enabled, en)
		if !m.Apply(cur, a, next) {
			t.Fatalf("step %d %s is not enabled", i+1, m.FormatAction(a))
		}
		cur, next = next, cur
	}
	// prob is the chance of the known order under the action weights w.
	prob := func(w func(spec.Action) uint32) float64 {
		p := 1.0
		for i, en := range enabled {
			var total uint64
			for _, b := range en {
				total += uint64(w(b))
			}
			if total == 0 { // pick chooses uniformly then
				p /= float64(len(en))
				continue
			}
			p *= float64(w(trace[i])) / float64(total)
		}
		return p
	}
	pUniform := prob(func(spec.Action) uint32 { return 1 })
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := Kinds(m)
	const draws = 200_000
	// mean averages prob over draws of per-kind-and-slot weights from draw;
	// perSlot false gives every slot of a kind the same weight.
	mean := func(draw func() uint32, perSlot bool) float64 {
		var sum float64
		var w [256][16]uint32
		for range draws {
			for _, k := range kinds {
				w[k][0] = draw()
				for a := 1; a < 16 && perSlot; a++ { // the task slots
					w[k][a] = draw()
				}
			}
			sum += prob(func(a spec.Action) uint32 {
				if perSlot {
					return w[a.Kind()][a.A()&15]
				}
				return w[a.Kind()][0]
			})
		}
		return sum / draws
	}
	swarm := func() uint32 { return swarmWeight(rng) }
	classic := func() uint32 { return uint32(rng.IntN(2)) } // swarm testing: each kind left out with probability 1/2
	pSwarm := mean(swarm, false)
	t.Logf("P(the known order) = 1/%.3g uniform, 1/%.3g with the swarm's weights (%.1fx)", 1/pUniform, 1/pSwarm, pSwarm/pUniform)
	if testing.Verbose() {
		pClassic, pSlot := mean(classic, false), mean(swarm, true)
		t.Logf("other biases: classic swarm 1/%.3g (%.1fx), the swarm's weights per kind and task slot 1/%.3g (%.1fx)",
			1/pClassic, pClassic/pUniform, 1/pSlot, pSlot/pUniform)
	}
	if 1/pUniform < 1e12 || pSwarm/pUniform > 20 {
		t.Errorf("uniform 1/%.3g, swarm gain %.1f: docs/simulate.md's figures no longer hold", 1/pUniform, pSwarm/pUniform)
	}
}
