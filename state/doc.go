// Package state holds the Linux task model's state: a fixed-size struct used
// while computing successors, its compact byte encoding (what the explorer
// stores and hashes), the canonical form that decides when two states are the
// same, and the symmetry reduction's representatives (fingerprints of
// encodings are spec.Fingerprint).
//
// The encoding packs each task slot into BytesPerTask (six) bytes, so a
// state of the model with N tasks is 6*N bytes (five before the session and
// process group ids; linux.Model.Name records the size, so that a store of
// another layout is refused). Slot pointers are nibbles:
// 0..14 name slots (0 is init_task) and 15 means "none", which bounds the
// model at MaxTasks tasks.
//
// # The field table
//
// Fields (fields.go) is the one place the state's fields are described: for
// each, its kernel name, scope (per task, per thread group, global), kind
// (status, slot pointer, slot pointer or none, flag), bits in the encoding
// and what a released task keeps. The State struct, Blank, Encode, Decode,
// Validate, Permute, the clearing done by Canonicalize, the pointers and
// flag colour of symmetry refinement, and Get/Set are generated from it into
// zz_fields_gen.go (straight-line code: these are on the successor path);
// traces.Diff and the JSON form of a state (traces.EncodeState, DecodeState)
// walk it at run time.
//
// # Adding a state field
//
// A pid namespace, ... (the session and process group ids, sid, pgid and
// execd, were added this way):
//
//  1. state/fields.go: one entry in Fields (name, Go name, scope, kind, free
//     bits; per-task fields also what a Released task keeps; ID for a slot
//     field that names a group as an id, not as a pointer the lifecycle
//     keeps up).
//  2. go generate ./state/ rewrites zz_fields_gen.go (go test ./state/ fails
//     while it is stale).
//  3. spec/linux: the actions that set or read the field (and Initial in
//     state/task.go if init starts with a non-zero value); invariants and
//     traces/tree.go only where they mean to show or check it.
//  4. Re-record the golden digests in state/golden_test.go and
//     traces/golden_test.go: a new field changes the encoding, hence every
//     fingerprint, store and numbering. When the slot grows a byte, the
//     corpus testdata/reachable.bin.gz is in the old layout: rewrite it
//     (corpus_gen_test.go), after checking that the model without the new
//     field's actions reaches the same states.
package state
