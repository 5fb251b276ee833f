// Package findings answers, for each CABA patch revision, what it gets wrong
// and whether the proposed fix is right: the revision × invariant matrix
// (matrix.go), the catalogue of review concerns, each a question with what
// decides it and the expected verdict (catalogue.go, concern.go, with the
// scenario files of testdata/concerns), the verification of the fixed
// revision, the pid namespace section (pidns.go: a matrix generated with the
// document, the recorded 5-task checks imported from `cabacheck check --json`
// by pidns_import.go, and the questions a container raises), and the
// generator of docs/findings.md (report.go). A run of several parts
// (Generate, RunMatrix) reports each part and its search to
// RunConfig.Progress (progress.go), which the command draws as a bar or
// prints as lines.
//
// The long explorations the document reports are kept in a record
// (docs/findings.json, record.go, refresh.go) made by `cabacheck findings
// --refresh`; rendering replays every recorded trace and reruns the
// concerns, so the document can be regenerated in about a minute and a test
// can fail on any difference.
//
// The checks come from the invariant library (checks.go resolves them);
// the two the pid namespace section asks and the library answers only
// together with others (a freed caba read from inside a container, a caba
// dangling while a namespace's init exits) are library invariants
// restricted in checks.go rather than added to the model.
package findings
