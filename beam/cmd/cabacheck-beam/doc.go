// Command cabacheck-beam runs cabacheck's breadth-first search as Apache
// Beam pipelines, one per level (package cabacheck/beam/engine):
//
//	cabacheck-beam check --tasks 4 --revision v3 --work /tmp/w          # Prism, in-process
//	cabacheck-beam check --tasks 4 --revision v3 --work /tmp/w --resume # after a kill
//	cabacheck-beam check --runner flink --endpoint HOST:8099 --work /shared/w ...
//	cabacheck-beam check --runner dataflow --project P --region R \
//	    --staging_location gs://B/staging --work gs://B/w ...
//
// Its report has check's shape: the counterexamples rendered as check
// renders them, then the TLC-style summary. Exit codes are check's: 0
// nothing violated, 1 violated, 2 bad usage or input, 3 a budget, 4
// interrupted (the work directory resumes with --resume).
//
// The Beam flags (--runner, --endpoint, --project, ...) are Go flag-package
// globals of the Beam SDK: the command parses its own flags with pflag and
// hands Beam's over with flag.Set. A binary started by a runner as a worker
// (its first argument a flag such as --worker) is handed to Beam's worker
// harness (beam.Init).
package main
