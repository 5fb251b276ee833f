// Package traces turns a path of the Linux task model (a counterexample, a
// scenario, a random walk) into something a kernel developer reads: each step
// as the kernel event it is, the process tree after it (pstree-like, with the
// caba arrows), what changed, and which invariant clause fails on which tasks.
// The same trace is available as JSON (replayable through the model) and DOT.
package traces
