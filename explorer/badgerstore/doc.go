// Package badgerstore is an explorer.Store kept in a Badger database
// (github.com/dgraph-io/badger/v4), for searches larger than memory and for
// resuming a search after Ctrl-C or kill -9.
//
// Keys (all integers big-endian, so keys sort by index or fingerprint):
//
//	"m"                      meta: format, identity of the search, state size,
//	                         last checkpoint (JSON)
//	"v" bucket(2) level(4)   the level's visited fingerprints whose top 12
//	                         bits are the bucket: sorted (fp(8), index(4)) entries
//	"i" first(4)             records of up to 4096 consecutive states from
//	                         index first: (parent(4), action(4), state) each
//
// A level is written as one sorted batch when the explorer commits it, then
// the meta key moves the checkpoint to it and the database is synced. A run
// killed during a level leaves keys of that level behind; their level is
// beyond the checkpoint's and their indices at or beyond its distinct count,
// so they are ignored and later overwritten. In front of the disk sits an in-memory filter: an
// exact fingerprint set while it fits the memory budget, then a Bloom
// filter, so most new states are recognised without reading the disk.
package badgerstore
