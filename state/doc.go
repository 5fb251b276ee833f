// Package state holds the Linux task model's state: a fixed-size struct used
// while computing successors, its compact byte encoding (what the explorer
// stores and hashes), the canonical form that decides when two states are the
// same, and 64-bit fingerprints.
//
// The encoding packs each task slot into five bytes, so a state of the model
// with N tasks is 5*N bytes. Slot pointers are nibbles: 0..14 name slots (0 is
// init_task) and 15 means "none", which bounds the model at MaxTasks tasks.
package state
