// Package findings answers, for each CABA patch revision, what it gets wrong
// and whether the proposed fix is right: the revision × invariant matrix
// (matrix.go), the catalogue of review concerns, each a question with what
// decides it and the expected verdict (catalogue.go, concern.go, with the
// scenario files of testdata/concerns), the verification of the fixed
// revision, and the generator of docs/findings.md (report.go).
//
// The long explorations the document reports are kept in a record
// (docs/findings.json, record.go, refresh.go) made by `cabacheck findings
// --refresh`; rendering replays every recorded trace and reruns the
// concerns, so the document can be regenerated in about a minute and a test
// can fail on any difference.
//
// The few checks the invariant library lacks (what NScaba prints, the TID
// swap of de_thread, NoDanglingCaba for leaders only) are derived from the
// model's state in checks.go rather than added to the model.
package findings
