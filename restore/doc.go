// Package restore asks whether CABA does its job: can a restorer that sees
// only what CRIU reads from /proc rebuild a process tree, sessions and
// process groups included, and (with the patch) the CABA values too?
// "Some creation sequence rebuilds the tree" is always true (the history
// that made it is one), so the question is about planners that see only an
// observation of the tree (../shared/docs/restore.md):
//
//   - Obs (obs.go) is what a dump records per hashed task: pid, tgid, ppid,
//     pgid, sid, running or zombie, the threads, the subreaper flag, and the
//     caba as the revision's NScaba prints it.
//   - Dumpable (dump.go) says which states CRIU can dump at all (it freezes
//     tasks: an exiting task, an exec under way or a dead-but-unreleased task
//     is never dumped as such; a zombie leader with live threads is refused).
//   - A planner maps an Obs to a plan (plan.go): a list of syscalls, each
//     naming the pid it creates (clone3 set_tid); helpers take pids that are
//     not in the image. CRIU is today's prepare_pstree_ids and restore order
//     (criu.go); CABA uses the caba tree to decide who creates whom and where
//     helpers go (caba.go).
//   - Replay (replay.go) runs a plan through the model from a fresh initial
//     state, step by step, and compares the final Obs with the original:
//     "tree restored", and "tree and CABA restored" (a re-dump shows the same
//     caba values).
//   - Check (check.go) is the pure predicate the invariants RestorableCRIU
//     and RestorableCABA evaluate on every state, memoised by Obs.
//
// The package knows the model (spec/linux, state) and nothing of the engine
// or the invariant library, so the invariants, the findings and the restore
// command can all use it.
package restore
