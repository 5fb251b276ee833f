package simulate

import (
	"math/rand/v2"

	"cabacheck/spec"
)

// worker runs walks with its own generator and buffers; nothing on the
// path of one step allocates once the buffers have grown to the model's
// largest successor count.
type worker struct {
	m     spec.Model
	cfg   *Config
	kinds []uint8
	gen   spec.Generator
	init  []byte
	size  int

	src     rand.PCG
	rng     *rand.Rand
	weights [256]uint32 // the walk's weight per kind; kinds outside Kinds keep 1

	cur        []byte
	succActs   []spec.Action
	succStates []byte // len(succActs) states of size bytes, back to back
	succNew    []bool // whether each successor is off the walk so far
	seen       seenSet
	emit       func(spec.Action, []byte)
	vmask      uint64 // the first violating successor's mask in this step, 0: none
	vindex     int    // and its index in succActs
	path       []spec.Action

	batch  walkStats
	found  []*walkViolation // the batch's violating walks this worker ran
	sketch sketch
}

// walkViolation is a violating walk before shortening.
type walkViolation struct {
	walk    int
	mask    uint64
	actions []spec.Action
	weights []uint32 // in Kinds order
}

func newWorker(m spec.Model, cfg *Config, kinds []uint8) *worker {
	w := &worker{m: m, cfg: cfg, kinds: kinds, gen: m.NewGenerator(), init: m.InitialStates()[0], size: m.StateSize()}
	w.rng = rand.New(&w.src)
	for k := range w.weights {
		w.weights[k] = 1
	}
	w.cur = make([]byte, w.size)
	w.seen = newSeenSet(cfg.Depth)
	w.emit = w.collect
	return w
}

// collect is the Generator's emit: it keeps the successor, counts it into
// the sketch and checks it.
func (w *worker) collect(a spec.Action, next []byte) {
	w.succActs = append(w.succActs, a)
	w.succStates = append(w.succStates, next...)
	w.batch.states++
	fp := spec.Fingerprint(next)
	w.sketch.add(fp)
	w.succNew = append(w.succNew, !w.seen.has(fp))
	if w.cfg.Checker != nil && w.vmask == 0 {
		if mask := w.cfg.Checker.Check(next); mask != 0 {
			w.vmask, w.vindex = mask, len(w.succActs)-1
		}
	}
}

// swarmWeight draws one kind's weight for a walk: 0 (the kind is left out
// unless nothing else is enabled) with probability 1/8, else a power of two
// from 1 to 64, so that within a walk some kinds are far more frequent than
// others.
func swarmWeight(r *rand.Rand) uint32 {
	if r.IntN(8) == 0 {
		return 0
	}
	return 1 << r.IntN(7)
}

// walk runs walk i, adding its counts to w.batch, and returns its
// violation or nil; with record, the walk's actions are copied there.
func (w *worker) walk(i int, record *[]spec.Action) *walkViolation {
	seedWalk(&w.src, w.cfg.Seed, i)
	if w.cfg.Swarm {
		for _, k := range w.kinds {
			w.weights[k] = swarmWeight(w.rng)
		}
	}
	st := &w.batch
	st.walks++
	copy(w.cur, w.init)
	w.path = w.path[:0]
	w.seen.reset()
	st.states++
	fp := spec.Fingerprint(w.cur)
	w.sketch.add(fp)
	w.seen.add(fp)
	var v *walkViolation
	if w.cfg.Checker != nil {
		if mask := w.cfg.Checker.Check(w.cur); mask != 0 {
			v = w.violation(i, mask)
		}
	}
	for step := 0; v == nil && step < w.cfg.Depth; step++ {
		w.succActs, w.succStates, w.succNew, w.vmask = w.succActs[:0], w.succStates[:0], w.succNew[:0], 0
		w.gen.Successors(w.cur, w.emit)
		if w.vmask != 0 {
			w.path = append(w.path, w.succActs[w.vindex])
			v = w.violation(i, w.vmask)
			break
		}
		j := w.pick()
		if j < 0 {
			st.deadEnds++
			break
		}
		a := w.succActs[j]
		w.path = append(w.path, a)
		st.fired[a.Kind()]++
		st.steps++
		copy(w.cur, w.succStates[j*w.size:(j+1)*w.size])
		w.seen.add(spec.Fingerprint(w.cur))
	}
	st.maxDepth = max(st.maxDepth, len(w.path))
	if record != nil {
		*record = append((*record)[:0], w.path...)
	}
	return v
}

// pick draws one of the collected successors that is not on the walk yet,
// with probability proportional to its kind's weight (uniformly among them
// when their weights are all 0); -1 when there is none: the walk is at a
// dead end, or can only go back to where it has been.
func (w *worker) pick() int {
	var total uint64
	fresh := 0
	for j, a := range w.succActs {
		if w.succNew[j] {
			total += uint64(w.weights[a.Kind()])
			fresh++
		}
	}
	if fresh == 0 {
		return -1
	}
	if total == 0 {
		r := w.rng.IntN(fresh)
		for j := range w.succActs {
			if w.succNew[j] {
				if r == 0 {
					return j
				}
				r--
			}
		}
	}
	r := w.rng.Uint64N(total)
	for j, a := range w.succActs {
		if !w.succNew[j] {
			continue
		}
		wt := uint64(w.weights[a.Kind()])
		if r < wt {
			return j
		}
		r -= wt
	}
	return -1 // unreachable: r < total
}

func (w *worker) violation(i int, mask uint64) *walkViolation {
	v := &walkViolation{walk: i, mask: mask, actions: append([]spec.Action(nil), w.path...)}
	for _, k := range w.kinds {
		v.weights = append(v.weights, w.weights[k])
	}
	return v
}
