// Package invariants is the named invariant library of the Linux task model:
// pure predicates over a decoded state, each able to explain which tasks
// break it. Names are part of the command-line interface.
package invariants
