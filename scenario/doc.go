// Package scenario runs scripted scenarios of the Linux task model: a small
// datadriven-style text format in which each directive (a step, a query, an
// invariant check) is followed by "----" and its expected output. Scenario
// files are golden tests (testdata/scenarios) and what `cabacheck scenario`
// runs.
//
// Format:
//
//	# comment
//	config tasks=7 revisions=seed,v3,v4 actions=default
//	----
//
//	step Fork(1)
//	----
//	task 1: fork() -> process 2 (real_parent 1, caba 1)
//	process 1: 1* R caba=0
//	└─ process 2: 2* R caba=1  [born=1]
//
//	run
//	Fork(2)
//	Fork(3)
//	----
//	...
//
// Directives: config (first; tasks, revisions, actions), step ACTION (the
// event and the tree after it), run (one action per input line; the event of
// each and the final tree), tree, caba T..., parent T..., status T...,
// check [INVARIANTS] (default all), disabled ACTION (asserts the action is
// not enabled). A directive ending in "@rev1,rev2" runs only under those
// revisions. The file runs once per listed revision, against the same
// expectations.
//
// Input rules: lines end in \n or \r\n (a leading byte order mark is
// skipped); the file is UTF-8 with no control characters but tab. A
// directive's input lines (run only) and its "----" follow it with no blank
// line between; its expected output ends at the next blank line. Comments
// are lines of their own starting with "#" (or the end of a run input line).
// Every task a directive names must be within the config's tasks, and a
// step or run action must be in the config's actions.
//
// Errors: input that breaks these rules, or names an unknown directive,
// action, invariant or revision, is an *InputError (errors.Is ErrMalformed)
// with file:line, from Parse or ParseConfig, before anything runs; the
// command exits 2. A well-formed scenario fails (exit 1) when an output
// differs from its expectation (Result.Failures) or a step is not enabled
// in the state reached (an error matching ErrNotEnabled from Run).
package scenario
