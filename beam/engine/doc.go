// Package engine is cabacheck's breadth-first search on Apache Beam: the
// native explorer's search (package explorer) rebuilt as one Beam pipeline
// per BFS level, driven from Go, so that a bound too big for one machine
// runs on a Beam runner (Flink, Spark, Dataflow) and, in-process, on Prism.
//
// The driver (driver.go) commits level 0, then for each level decides
// whether to go on (the native explorer's stop reasons, in its order),
// launches the level's pipeline (pipeline.go: expand, group by fingerprint
// partition, deduplicate against the visited files, group by parent work
// item, write), reads the summaries the pipeline wrote, numbers the new
// states, records the violations and writes the checkpoint. Everything
// lives in the work directory (files.go), so a killed driver resumes from
// the last checkpoint and redoes only the level it was in.
//
// The model, the invariants, the fingerprint (spec.Fingerprint) and the
// tie-break between successors reaching one state are the native
// explorer's, so counts, depths, state numbers and counterexamples are the
// same; traces are rebuilt from the parent records and rendered by
// check.NewCounterexample.
package engine
