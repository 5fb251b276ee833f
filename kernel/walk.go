package kernel

import (
	"fmt"
	"math/rand"

	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// Walk is a named sequence of syscall-level steps, replayed from the model's
// initial state.
type Walk struct {
	Name string
	Ops  []Op
	// Origin says where the walk comes from (a random walk's seed, the
	// invariant of a counterexample, a scenario file).
	Origin string
	// Model is the model action sequence the walk realises, when it comes
	// from a trace.
	Model string
	// Expect is what the model says the kernel does (for reports).
	Expect string
	// Revision is the revision a trace was recorded under ("" unknown: a
	// random walk, a steps file); Invariant the invariant it violates there
	// and ViolStep the syscall-level step after which it does (0: none).
	Revision  string
	Invariant string
	ViolStep  int
	// AvoidDangling: do not read /proc for tasks whose caba dangles in the
	// model (such a read is itself a use-after-free), so that a reproducer
	// reaches the kernel-internal use-after-free it is about.
	AvoidDangling bool
}

// RandomWalk draws a walk of at most maxLen steps from the model, choosing
// uniformly (with creation and exit steps weighted up) among the enabled steps.
// With the sessions set, the setpgid calls of one thread share one weight.
// The calls the model refuses (RefusedOps: the kernel must return an error,
// or 0 for a setpgid into the current group or a waitpid of a child that is
// not reapable, and change nothing) share a quarter of the total weight, so
// that about one step in four checks a refusal.
func RandomWalk(m *linux.Model, rng *rand.Rand, name string, maxLen int) (Walk, error) {
	w := Walk{Name: name}
	cands := []state.State{m.Initial()}
	type choice struct {
		w   int
		ops []Op
	}
	for len(w.Ops) < maxLen {
		ops := EnabledOps(m, &cands[0])
		if cands[0].NextFree() == state.None {
			// no task can be created any more: flag toggles alone would
			// only repeat states, so they go, and the walk ends with them
			var keep []Op
			for _, o := range ops {
				if o.Kind != OpSubreaper && o.Kind != OpIgnChld {
					keep = append(keep, o)
				}
			}
			ops = keep
		}
		ops = withoutZapHangs(m, cands, ops)
		if len(ops) == 0 {
			break
		}
		var choices []choice
		family := map[uint8]int{} // acting thread -> its setpgid choice
		for _, o := range ops {
			wt := 2
			switch o.Kind {
			case OpFork, OpForkParent, OpClone:
				wt = 4
			case OpSubreaper, OpIgnChld, OpSetsid, OpExecve:
				wt = 1
			case OpSetpgid:
				if i, ok := family[o.T]; ok {
					choices[i].ops = append(choices[i].ops, o)
					continue
				}
				family[o.T] = len(choices)
			}
			choices = append(choices, choice{wt, []Op{o}})
		}
		total := 0
		for _, c := range choices {
			total += c.w
		}
		if ref := RefusedOps(m, &cands[0]); len(ref) > 0 {
			// a quarter of the weight: about one step in four is a refusal
			rw := max(3, total/3)
			choices = append(choices, choice{rw, ref})
			total += rw
		}
		r := rng.Intn(total)
		var op Op
		for _, c := range choices {
			if r < c.w {
				op = c.ops[0]
				if len(c.ops) > 1 {
					op = c.ops[rng.Intn(len(c.ops))]
				}
				break
			}
			r -= c.w
		}
		next, err := Expand(m, cands, op)
		if err != nil {
			return w, err
		}
		w.Ops = append(w.Ops, op)
		cands = next
	}
	return w, nil
}

// Realize maps a model trace onto syscall-level steps: ExitBegin(t) becomes
// Exit(t) (exit_notify and the auto-releases follow at once), Reap(w, c)
// becomes Wait(w, c), ExecBegin(t) becomes Exec(t); ExitNotify, Release and
// ExecSwap are then part of an earlier step, and so is the ExitBegin of a
// thread killed by an exec. With late set, an exit happens at the position
// of its ExitNotify instead (for traces that act while a task is Exiting).
func Realize(m *linux.Model, acts []spec.Action, late bool) ([]Op, error) {
	cands := []state.State{m.Initial()}
	var ops []Op
	pendingExit := map[uint8]bool{}
	for i, a := range acts {
		t := a.A()
		var op Op
		switch a.Kind() {
		case linux.KFork:
			op = Op{Kind: OpFork, T: t}
		case linux.KForkParent:
			op = Op{Kind: OpForkParent, T: t}
		case linux.KClone:
			op = Op{Kind: OpClone, T: t}
		case linux.KSetSubreaper:
			op = Op{Kind: OpSubreaper, T: t, On: a.B() != 0}
		case linux.KIgnoreSigchld:
			op = Op{Kind: OpIgnChld, T: t}
		case linux.KExitBegin:
			if cands[0].St[t] != state.Running {
				continue // killed by an exec or exit_group already realised
			}
			if late {
				pendingExit[t] = true
				continue
			}
			op = Op{Kind: OpExit, T: t}
		case linux.KExitNotify:
			if !pendingExit[t] {
				continue
			}
			delete(pendingExit, t)
			if cands[0].St[t] != state.Running {
				continue
			}
			op = Op{Kind: OpExit, T: t}
		case linux.KReap:
			op = Op{Kind: OpWait, T: t, C: a.B()}
		case linux.KExecBegin:
			op = Op{Kind: OpExec, T: t}
		case linux.KSetsid:
			op = Op{Kind: OpSetsid, T: t}
		case linux.KSetpgid:
			op = Op{Kind: OpSetpgid, T: t, C: a.B() >> 4, P: a.B() & 15}
		case linux.KExecve:
			op = Op{Kind: OpExecve, T: t}
		case linux.KForkNewpid:
			op = Op{Kind: OpForkNewpid, T: t}
		case linux.KRelease, linux.KExecSwap, linux.KZapBegin, linux.KZapReap:
			continue // inside the exit of a namespace init (the zap runs in its exit syscall)
		default:
			return nil, fmt.Errorf("step %d: %s has no syscall", i+1, linux.FormatAction(a))
		}
		next, err := Expand(m, cands, op)
		if err != nil {
			return nil, fmt.Errorf("step %d (%s): %w", i+1, linux.FormatAction(a), err)
		}
		ops = append(ops, op)
		cands = next
	}
	for t := uint8(1); t <= cands[0].N; t++ {
		if !pendingExit[t] || cands[0].St[t] != state.Running {
			continue
		}
		op := Op{Kind: OpExit, T: t}
		next, err := Expand(m, cands, op)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
		cands = next
	}
	return ops, nil
}

// Finals replays ops and returns the settled states after the last one.
func Finals(m *linux.Model, ops []Op) ([]state.State, error) {
	cands := []state.State{m.Initial()}
	for i, op := range ops {
		next, err := Expand(m, cands, op)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", i+1, err)
		}
		cands = next
	}
	return cands, nil
}

// FirstViolation replays ops and returns the first step (1-based) after which
// some settled state violates inv, or 0.
func FirstViolation(m *linux.Model, ops []Op, inv invariants.Invariant) (int, error) {
	cands := []state.State{m.Initial()}
	for i, op := range ops {
		next, err := Expand(m, cands, op)
		if err != nil {
			return 0, fmt.Errorf("step %d: %w", i+1, err)
		}
		cands = next
		for k := range cands {
			if !inv.Holds(&cands[k]) {
				return i + 1, nil
			}
		}
	}
	return 0, nil
}

// RealizeViolation realises a counterexample trace of inv so that the
// syscall-level walk still reaches a violation of inv (trying exits at
// ExitBegin, then at ExitNotify).
func RealizeViolation(m *linux.Model, acts []spec.Action, inv invariants.Invariant) ([]Op, int, error) {
	var lastErr error
	for _, late := range []bool{false, true} {
		ops, err := Realize(m, acts, late)
		if err != nil {
			lastErr = err
			continue
		}
		k, err := FirstViolation(m, ops, inv)
		if err != nil {
			lastErr = err
			continue
		}
		if k > 0 {
			return ops[:k], k, nil
		}
		lastErr = fmt.Errorf("the syscall-level walk %s does not violate %s", FormatOps(ops), inv.Name)
	}
	return nil, 0, lastErr
}
