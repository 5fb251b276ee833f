// Package explorer is the search engine: a level-synchronous breadth-first
// search over a spec.Model, so that the first violation found is a shortest
// one, with a fingerprint store of visited states and a parent record
// (parent, action) per state from which any state's path is rebuilt.
//
// Each level runs in three phases. Generate: workers take contiguous slices
// of the frontier, compute successors, drop those already visited in earlier
// levels and route the rest by fingerprint shard. Insert: each shard is owned
// by one worker, which inserts candidates in (parent, action) order, so the
// first insertion of a state is its smallest (parent, action) pair. Collect:
// new states are appended in that same global order. State numbering, counts,
// depths and counterexamples therefore do not depend on the worker count.
//
// The explorer prints nothing; it reports through callbacks.
package explorer
