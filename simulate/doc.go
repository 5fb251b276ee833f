// Package simulate is the random-walk engine: TLC's -simulate with SPIN's
// swarm, for bounds no exhaustive search reaches. It knows models only
// through spec, as explorer does, prints nothing and knows no flags.
//
// # Walks
//
// Walk i starts at the model's initial state and, step after step,
// computes every successor (Generator.Successors), checks the invariants on
// each of them, and moves to one drawn at random among those it has not
// been in yet (seen.go: going back checks nothing new, and without it walks
// of the Linux model spend most steps flipping SetSubreaper once every task
// slot is used), until Config.Depth steps or a state with no such successor
// (a dead end). Its random numbers come from
// its own stream, derived from Config.Seed and i alone (stream.go), so walk
// i is the same whichever worker runs it and however many there are.
//
// # Swarm
//
// With Config.Swarm each walk first draws a weight per action kind (Kinds:
// the kinds of the model's own action table, found through its
// FormatAction/ParseAction), and picks among the enabled actions with
// probability proportional to their kind's weight; a weight may be 0, which
// leaves the kind out of the walk unless nothing else is enabled. As in
// swarm testing, walks that rarely or never take some kind reach states
// uniform walks almost never see. Without Swarm every weight is 1.
//
// # Batches and determinism
//
// Walks run in batches of BatchSize consecutive indices; every walk of a
// batch runs to its end, and the run stops only between batches (at the
// first violation, the walk count, Config.MaxTime or the context). The
// invariants reported are those of the lowest-numbered violating walk,
// each with the shortest shortened trace among the batch's walks, and every
// count (walks, steps, states, the per-kind table, the distinct-state
// estimate, merged from per-worker HyperLogLog sketches) is a sum or a
// maximum over whole batches: the Result does not depend on the worker
// count, only Elapsed does.
//
// # Shortening
//
// A violating walk is shortened (shrink.go) by delta debugging (ddmin) on
// its action list, then passes that remove a run of steps and renumber the
// later steps' parameters (the model reuses the lowest free task slot),
// passes that remove a step with every later step naming one same value, and
// passes removing single steps until none can go: a candidate is kept when
// every action is enabled from the initial state on (replayed with
// Model.Apply) and some state of the replay violates the same invariant,
// where the candidate is then cut. The shortest of the stopping batch's
// shortened walks is reported.
package simulate
