package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"cabacheck/findings"
)

// Past five tasks a complete exploration takes hundreds of millions of
// states; without a budget flag the matrix explores every revision to the
// depth of the longest shortest trace the issue asks for (the seed's
// NoDanglingCaba, 12 steps at 6 tasks) within a heap budget. These are the
// settings of the 6-task matrix recorded in docs/findings.json.
const (
	defaultLargeDepth  = 12
	defaultLargeMemory = 10 << 30
)

func runMatrix(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("matrix")
	mf := addModelFlags(fs, "all", "default")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the Markdown table")
	wf := addWorkersFlag(fs)
	bf := addBudgetFlags(fs, true)
	if c := parseCommand(fs, args, stdout, stderr, 0, mf, wf, bf); c >= 0 {
		return c
	}
	revs, actions, tasks := mf.revs, mf.opt.Actions, &mf.opt.Tasks
	budget := findings.Budget{MaxStates: bf.budget.MaxStates, MaxDepth: bf.maxDepth, MaxTime: bf.budget.MaxTime, MaxMemory: bf.budget.MaxMemory}
	if *tasks >= 6 && !bf.given() {
		budget.MaxDepth, budget.MaxMemory = defaultLargeDepth, defaultLargeMemory
		fmt.Fprintf(stderr, "cabacheck matrix: %d tasks and no budget flag: exploring each revision to depth %d within a 10GiB heap (give --max-depth, --max-states, --max-time or --max-memory to change it)\n", *tasks, defaultLargeDepth)
	}
	ctx, stop := stopContext()
	defer stop()
	// One line per revision as it starts and ends (and TLC-style lines
	// while it runs); on a terminal a bar over the revisions instead, its
	// text the running search, its ETA the time per revision so far, with
	// the line of each finished revision above it.
	bar := newPartsProgress(stderr, isTerminal(stderr), fmt.Sprintf("matrix, %d tasks: revisions", *tasks))
	progress := func(e *findings.Exploration) {
		var bad []string
		for _, v := range e.Verdicts {
			if v.Violated {
				bad = append(bad, fmt.Sprintf("%s (%d steps)", v.Check, v.Length))
			}
		}
		if len(bad) == 0 {
			bad = []string{"nothing"}
		}
		bar.line(fmt.Sprintf("%s: %s distinct states, depth %d, %s in %.1fs; violated: %s",
			e.Revision, commas(e.Distinct), e.Depth, e.StopReason, e.Seconds, strings.Join(bad, ", ")))
	}
	m, err := findings.RunMatrix(findings.MatrixConfig{Tasks: *tasks, Actions: actions, Revisions: revs, Budget: budget},
		findings.RunConfig{Workers: wf.n, Context: ctx, Progress: bar.update, ProgressEvery: bar.every()}, progress)
	bar.finish()
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck matrix: %v\n", err)
		return exitUsage
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(m); err != nil {
			fmt.Fprintf(stderr, "cabacheck matrix: %v\n", err)
			return exitUsage
		}
		return interruptedCode(ctx)
	}
	fmt.Fprint(stdout, m.Markdown())
	return interruptedCode(ctx)
}
