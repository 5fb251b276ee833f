package linux

import (
	"cabacheck/spec"
	"cabacheck/state"
)

// StepAt is Step for a creating action (Fork, ForkParent, Clone) whose new
// task takes slot n instead of the lowest free one, as clone3(set_tid) forces
// a pid when a restorer rebuilds a tree. Slot order is creation order for
// the model (find_alive_thread); a restorer that forces pids out of order
// gets the model's reading of its tree, not the kernel's thread-list order,
// which Obs does not show. Other actions are refused: use Step.
func (m *Model) StepAt(src *state.State, a spec.Action, n uint8, dst *state.State) bool {
	if src.Corrupt {
		return false
	}
	t := a.A()
	if t == 0 || t > src.N {
		return false
	}
	var ok bool
	switch a.Kind() {
	case KFork:
		ok = m.forkAt(src, t, n, dst, false)
	case KForkParent:
		ok = m.opt.Actions&CloneParent != 0 && m.forkAt(src, t, n, dst, true)
	case KClone:
		ok = m.opt.Actions&Threads != 0 && m.cloneAt(src, t, n, dst)
	}
	if ok {
		dst.Canonicalize()
	}
	return ok
}
