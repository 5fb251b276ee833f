package simulate

import (
	"errors"
	"fmt"

	"cabacheck/spec"
)

// replayer replays candidate traces from the initial state.
type replayer struct {
	m        spec.Model
	ch       spec.Checker
	bit      uint64
	cur, nxt []byte
	replays  int
}

// fails replays c and reports whether every action is enabled up to a state
// violating the invariant, and the length of the prefix that reaches the
// first such state; the replay's last state is then in r.cur.
func (r *replayer) fails(c []spec.Action) (bool, int) {
	r.replays++
	copy(r.cur, r.m.InitialStates()[0])
	if r.ch.Check(r.cur)&r.bit != 0 {
		return true, 0
	}
	for i, a := range c {
		if !r.m.Apply(r.cur, a, r.nxt) {
			return false, 0
		}
		r.cur, r.nxt = r.nxt, r.cur
		if r.ch.Check(r.cur)&r.bit != 0 {
			return true, i + 1
		}
	}
	return false, 0
}

// Shrink shortens acts, a trace whose replay violates invariant bit of ch,
// in passes, each repeated until nothing more goes: delta debugging (Zeller
// and Hildebrandt's ddmin); removing a run of steps and renumbering the
// later ones (renumbered); removing a step with every later step naming one
// same parameter value (withoutNaming); removing single steps. Every
// candidate is replayed through the model and kept only when all its
// actions are enabled and a state of it violates the invariant (cut there).
// The result is 1-minimal: removing any one step loses the violation or
// disables a later action. It returns the shortened trace, its last state
// and the number of replays.
func Shrink(m spec.Model, ch spec.Checker, bit int, acts []spec.Action) ([]spec.Action, []byte, int, error) {
	if ch == nil || bit < 0 || bit >= 64 {
		return nil, nil, 0, errors.New("no invariant to shorten for")
	}
	r := &replayer{m: m, ch: ch, bit: 1 << bit, cur: make([]byte, m.StateSize()), nxt: make([]byte, m.StateSize())}
	ok, cut := r.fails(acts)
	if !ok {
		return nil, nil, r.replays, fmt.Errorf("the trace of %d steps does not replay to the violation", len(acts))
	}
	c := append([]spec.Action(nil), acts[:cut]...)
	// try replaces c by cand cut at its violation when cand fails.
	try := func(cand []spec.Action) bool {
		ok, cut := r.fails(cand)
		if ok {
			c = append(c[:0:0], cand[:cut]...)
		}
		return ok
	}
	n := 2
	for len(c) >= 2 {
		size := (len(c) + n - 1) / n
		reduced := false
		for lo := 0; lo < len(c) && !reduced; lo += size {
			if try(c[lo:min(lo+size, len(c))]) {
				n, reduced = 2, true
			}
		}
		for lo := 0; lo < len(c) && !reduced; lo += size {
			cand := append(append([]spec.Action(nil), c[:lo]...), c[min(lo+size, len(c)):]...)
			if try(cand) {
				n, reduced = max(n-1, 2), true
			}
		}
		if !reduced {
			if n >= len(c) {
				break
			}
			n = min(2*n, len(c))
		}
	}
	for changed := len(c) <= maxRenumber; changed; {
		changed = false
		for lo := 0; lo < len(c); lo++ {
			for hi := lo + 1; hi <= len(c) && !changed; hi++ {
				for v := uint8(2); !changed && v <= min(maxParam(c[hi:]), maxRenumberValue); v++ {
					for d := uint8(1); !changed && int(d) <= hi-lo && d < v; d++ {
						changed = try(renumbered(c, lo, hi, v, d))
					}
				}
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for i := 0; i < len(c); i++ {
			for v := 1; v < 256 && i < len(c); v++ {
				if cand, ok := withoutNaming(c, i, uint8(v)); ok && try(cand) {
					changed = true
				}
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for i := 0; i < len(c); i++ {
			cand := append(append([]spec.Action(nil), c[:i]...), c[i+1:]...)
			if try(cand) {
				changed = true
				i--
			}
		}
	}
	if ok, _ := r.fails(c); !ok {
		return nil, nil, r.replays, errors.New("the shortened trace does not replay to the violation")
	}
	return c, append([]byte(nil), r.cur...), r.replays, nil
}

// withoutNaming returns c without step i and every later step with a
// parameter equal to v, when step i is followed by at least one such step
// and is not the only step removed. ddmin removes contiguous runs only; a
// task's steps are spread over the trace (its creation, its exit, its
// reaping and release: Fork(1) ... ExitBegin(3) ... Release(3)), and none of
// them can go alone while the others stay.
func withoutNaming(c []spec.Action, i int, v uint8) ([]spec.Action, bool) {
	out := make([]spec.Action, 0, len(c))
	out = append(out, c[:i]...)
	for _, a := range c[i+1:] {
		if a.A() != v && a.B() != v {
			out = append(out, a)
		}
	}
	return out, len(out) < len(c)-1
}

// maxRenumber bounds the traces the renumbering passes try, and
// maxRenumberValue the values they renumber (task slots are small; a packed
// parameter such as Setpgid's pair is not one): they replay about
// n^3 * maxRenumberValue / 2 candidates of n steps.
const (
	maxRenumber      = 40
	maxRenumberValue = 16
)

// renumbered returns c without steps lo..hi-1, with every parameter value
// v or above in the later steps lowered by d. Removing the steps that
// create tasks frees their slots, and the model gives the later tasks the
// lowest free ones (pid allocation), so the rest of the trace names them d
// lower: without the renumbering no candidate that drops a task's creation
// replays (the v4 dangling caba at 14 tasks stayed at 17 steps instead of 8).
func renumbered(c []spec.Action, lo, hi int, v, d uint8) []spec.Action {
	out := make([]spec.Action, 0, len(c)-(hi-lo))
	out = append(out, c[:lo]...)
	shift := func(x uint8) uint8 {
		if x >= v {
			return x - d
		}
		return x
	}
	for _, a := range c[hi:] {
		out = append(out, spec.MakeAction(a.Kind(), shift(a.A()), shift(a.B())))
	}
	return out
}

// maxParam is the largest parameter value in c.
func maxParam(c []spec.Action) uint8 {
	var m uint8
	for _, a := range c {
		m = max(m, a.A(), a.B())
	}
	return m
}
