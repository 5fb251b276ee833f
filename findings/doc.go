// Package findings answers, for each CABA patch revision, what it gets wrong
// and whether the proposed fix is right: the revision × invariant matrix, the
// catalogue of review concerns (each a question with what decides it and the
// expected verdict), and the generator of docs/findings.md.
//
// Everything here is computed with the explorer and the invariant library;
// the few checks the library lacks (what NScaba prints, the TID swap of
// de_thread) are derived from the model's state in checks.go rather than
// added to the model.
package findings
