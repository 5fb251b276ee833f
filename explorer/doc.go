// Package explorer is the search engine: a level-synchronous breadth-first
// search over a spec.Model, so that the first violation found is a shortest
// one, with a Store of visited fingerprints and a parent record (parent,
// action) per state from which any state's path is rebuilt.
//
// A level runs in rounds of frontier states, each in three phases. Generate:
// workers take contiguous slices of the round, compute successors, drop
// those equal to their parent and buffer the rest, routed by fingerprint
// shard. Insert: each shard is owned by one worker, which inserts its
// candidates worker by worker in generation order, so the first insertion of
// a state is its smallest (parent, action) pair, and each shard's table stays
// in cache. Collect: new states are appended in that global order. State
// numbering, counts, depths and counterexamples therefore do not depend on
// the worker count. After each level the store commits it; a durable store
// (package badgerstore) can resume from the last committed level.
//
// The explorer prints nothing; it reports through callbacks.
package explorer
