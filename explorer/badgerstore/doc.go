// Package badgerstore is an explorer.Store kept in a Badger database
// (github.com/dgraph-io/badger/v4), for searches larger than memory and for
// resuming a search after Ctrl-C, SIGTERM, kill -9 or a budget.
//
// Keys (all integers big-endian, so keys sort by index or fingerprint):
//
//	"v" bucket(2) level(4)   the level's visited fingerprints whose top 12
//	                         bits are the bucket: sorted (fp(8), index(4)) entries
//	"i" first(4)             records of up to 4096 consecutive states from
//	                         index first: (parent(4), action(4), state) each
//
// A level is written as one sorted batch when the explorer commits it and
// the database is synced; then the checkpoint moves to it. The checkpoint
// is the store's own file CABACHECK (checkfile.go), next to Badger's: the
// format, the identity of the search, the checkpoint, and a record of
// Badger's files (the key registry's checksum, each table's size and index
// checksum, the checkpoint's part of each log), written atomically after
// every level and when the store is closed, with a CRC-32C of its own. A
// run killed during a level leaves keys of that level behind; their level
// is beyond the checkpoint's and their indices at or beyond its distinct
// count, so they are ignored and later overwritten.
//
// Open checks a store before Badger opens it, reading only, because
// Badger rewrites a directory as it opens it (it truncates logs, deletes
// the tables its MANIFEST does not list, creates files) and panics on some
// damaged tables: that the directory is a writable directory, that no live
// process holds its lock (a process that is exiting is waited for, a few
// seconds), what CABACHECK says it holds (identity, format, checkpoint),
// and, to resume, that Badger's files still hold the checkpoint
// (verifyFiles: the MANIFEST replays completely, every table it lists
// exists and passes every checksum, the recorded tables and logs are
// unchanged). A store that is refused is left byte for byte as it was;
// damage is reported as a *DamageError naming the file. Badger then
// verifies block checksums whenever it reads a table block, and Resume
// checks the visited set and the records against the checkpoint.
//
// In front of the disk sits an in-memory filter: an exact fingerprint set
// while it fits the memory budget, then a Bloom filter, so most new states
// are recognised without reading the disk.
//
// The store reports its disk space (DiskUsage, an explorer.DiskStore), so
// that the search stops cleanly before the disk fills up.
package badgerstore
