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
	prob := func(w *[256]uint32) float64 {
		p := 1.0
		for i, en := range enabled {
			var total uint64
			for _, b := range en {
				total += uint64(w[b.Kind()])
			}
			if total == 0 { // pick chooses uniformly then
				p /= float64(len(en))
				continue
			}
			p *= float64(w[trace[i].Kind()]) / float64(total)
		}
		return p
	}
	var uniform [256]uint32
	for k := range uniform {
		uniform[k] = 1
	}
	pUniform := prob(&uniform)
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := Kinds(m)
	const draws = 200_000
	var sum float64
	for range draws {
		w := uniform
		for _, k := range kinds {
			w[k] = swarmWeight(rng)
		}
		sum += prob(&w)
	}
	pSwarm := sum / draws
	t.Logf("P(the known order) = 1/%.3g uniform, 1/%.3g with the swarm's weights (%.1fx)", 1/pUniform, 1/pSwarm, pSwarm/pUniform)
	if 1/pUniform < 1e12 || pSwarm/pUniform > 20 {
		t.Errorf("uniform 1/%.3g, swarm gain %.1f: docs/simulate.md's figures no longer hold", 1/pUniform, pSwarm/pUniform)
	}
}
