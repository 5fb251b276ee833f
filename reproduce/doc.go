// Package reproduce turns a model trace (a counterexample of cabacheck check,
// as JSON) into a standalone C program in the style of the kernel's
// selftests (tools/testing/selftests: TAP output through kselftest.h,
// KSFT_PASS/FAIL/SKIP exit codes, a Makefile with TEST_GEN_PROGS and
// ../lib.mk in the tree, a fallback that builds alone).
//
// The program needs no cabacheck at run time: the trace's syscall-level
// steps (kernel.Realize / kernel.RealizeViolation: the same mapping from
// model actions to syscalls as the conformance harness) and, for every step,
// the settled states the model allows (kernel.Expand, rendered with
// kernel.Predict) are compiled into it, one table row per step and per
// state. Every registered revision contributes its states (tagged with a
// bit), so the program can tell which revision's NScaba the kernel follows:
// on the revision whose counterexample it is, it fails at the violation
// step; on a kernel that fixes the bug it passes.
//
// The C runtime (templates/repro.c.tmpl) is a specialised copy of the
// controller and actors of kernel/harness/harness.c: one walk, steps from
// the table instead of a script, TAP instead of OBS lines, and the
// violation check (kernel reports from /dev/kmsg, a reader that reads the
// freed caba in a child, threads that disagree on NScaba, or the revision
// NScaba follows). The harness stays the conformance tool; this program is
// what a kernel developer runs without the checker.
package reproduce
