package explorer

import "cabacheck/spec"

// Action coverage (Config.Coverage), like TLC's -coverage: per action kind
// (spec.Action.Kind), how often the kind was enabled, taken and led to a new
// state. The engine knows kinds only as numbers; naming them, and saying
// which kinds a model has, is the caller's business (spec.ActionKinds).
//
// Counting costs nothing when coverage is off: the generate phase then
// calls the model with the same emit function as without this file, and
// collect skips the tally. When it is on, each worker counts into its own
// fixed arrays (no allocation, no atomic), and the counts of a round are
// added to the level's once the round is collected; a level's counts join
// the result when the level is committed, so a dropped level counts for
// nothing, as it does for Result.Generated. The counts follow the global
// generation order, so they do not depend on the worker count.

// NumKinds is the number of distinct action kinds (spec.Action.Kind is a byte).
const NumKinds = 256

// Coverage holds per action kind counts, indexed by spec.Action.Kind.
type Coverage struct {
	// Enabled[k]: the expanded states in which at least one action of kind
	// k was enabled.
	Enabled [NumKinds]uint64
	// Taken[k]: the successors actions of kind k generated (each enabled
	// action generates one; a successor equal to its parent included).
	Taken [NumKinds]uint64
	// New[k]: the successors of kind k that were new distinct states, the
	// first (in generation order) to reach them. Their sum is the distinct
	// states minus the initial ones.
	New [NumKinds]uint64
}

// add adds o's counts to c.
func (c *Coverage) add(o *Coverage) {
	for k := range c.Taken {
		c.Enabled[k] += o.Enabled[k]
		c.Taken[k] += o.Taken[k]
		c.New[k] += o.New[k]
	}
}

// workerCoverage is one worker's counting: its counts of the round and, per
// kind, the last state (its index plus one) the kind was enabled in, so that
// Enabled counts states, not actions.
type workerCoverage struct {
	Coverage
	lastState [NumKinds]uint32
}

// counting wraps emit so that it counts every successor by kind for the
// state of index *parent (read at each call).
func (wc *workerCoverage) counting(parent *uint32, emit func(spec.Action, []byte)) func(spec.Action, []byte) {
	return func(a spec.Action, next []byte) {
		k := a.Kind()
		wc.Taken[k]++
		if cur := *parent + 1; wc.lastState[k] != cur {
			wc.lastState[k] = cur
			wc.Enabled[k]++
		}
		emit(a, next)
	}
}

// reset clears the round's counts; lastState holds state indices, which
// never repeat, and needs no clearing.
func (wc *workerCoverage) reset() { wc.Coverage = Coverage{} }
