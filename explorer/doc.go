// Package explorer is the search engine: a level-synchronous breadth-first
// search over a spec.Model, so that the first violation found is a shortest
// one, with a Store of visited fingerprints and a parent record (parent,
// action) per state from which any state's path is rebuilt (Search.Path).
//
// # Steps
//
// Run (run.go) is a sequence of named steps over a run, the search in
// progress:
//
//   - begin: initialStates and commitInitial build, check and commit level
//     0, or resume takes the search up at the store's last checkpoint;
//   - then, level after level: decide whether to go on; expand the frontier
//     into the next level; commitLevel: check the invariants on the new
//     states, record the level's statistics, commit it to the store, report
//     it (Config.Level, Config.Progress) and make it the frontier;
//   - finish: the stop reason, the memory held and the collision estimates.
//
// expand runs a level in rounds of frontier states (rounds.go), each in
// three parallel phases. Generate: workers claim chunks of the round's
// frontier states from a shared counter (chunkStates at a time, so a slow or
// descheduled worker holds the phase up by one chunk), compute successors,
// drop those equal to their parent and buffer the rest, routed by
// fingerprint shard. Insert: each shard is owned by one worker, which
// inserts its candidates chunk by chunk in frontier order, generation order
// within a chunk, so the first insertion of a state is its smallest
// (parent, action) pair, and each shard's table stays in cache. Collect:
// new states are numbered in that global order. State numbering, counts,
// depths and counterexamples therefore depend neither on the worker count
// nor on which worker took which chunk.
//
// # Stopping
//
// decide is the only place that decides to stop, and finish the only place
// that records why (Result.StopReason, Result.Budget, Result.Complete). It
// is asked at three moments:
//
//   - before a level: "done" when the frontier is empty (Complete), then
//     "violation" (without Config.Continue; with it the search runs to the
//     end even when every invariant is violated, as TLC's -continue), "max
//     depth", "interrupted" (Config.Context), and the budgets
//     "budget max-states" (MaxStates states found), "budget max-time" and
//     "budget max-memory" (from the monitor's flag, budget.go), and "budget
//     max-memory" again when the next level is predicted not to fit;
//   - after a round is generated: the monitor's time or memory budget, or a
//     cancellation, stops the search and drops the level, so the search
//     ends at the last committed level;
//   - after a round is inserted: ErrTooManyStates when indices would pass
//     2^32-1, and "budget max-states" when the new states exceed MaxStates:
//     the level keeps the states that fit, is committed as a partial level
//     (traces into it work, a resume redoes it) and the search stops.
//
// # Stores
//
// Config.Store picks the store; nil is a fresh MemStore (an FPSet and
// chunked parent records). A durable store (package badgerstore) makes each
// level permanent in Commit and can resume from the last committed level.
// The collision estimate "based on the actual fingerprints" reads any store
// through Visited.AppendShard, shard by shard in parallel.
//
// # Coverage
//
// With Config.Coverage, the search counts per action kind (spec.Action.Kind)
// the states that enabled it, the successors it generated and the new
// states it found (Result.Coverage, coverage.go): in worker-local arrays,
// merged after each round and committed with the level, so the counts do
// not depend on the worker count. Off, the generate phase runs exactly as
// without it. Naming the kinds is the caller's (spec.ActionKinds).
//
// The explorer prints nothing and reads no flags; it reports through
// callbacks and its Result.
package explorer
