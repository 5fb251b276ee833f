package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"cabacheck/findings"
	"cabacheck/spec/linux"
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
	tasks := fs.Int("tasks", 5, "task budget, init included")
	revList := fs.String("revision", "seed,v3,v4,fixed", "revisions to check, comma-separated")
	acts := fs.String("actions", "default", "optional actions: "+linux.ActionNames()+" (or all, default, none)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the Markdown table")
	workers := fs.Int("workers", defaultWorkers(), "worker goroutines (results do not depend on it)")
	maxDepth := fs.Int("max-depth", 0, "stop each exploration after this many BFS levels (0: no limit)")
	bf := addBudgetFlags(fs)
	if c := parseFlags(fs, args, stdout, stderr); c >= 0 {
		return c
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "matrix", fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	revs, err := linux.ParseRevisions(*revList)
	if err != nil {
		return usageError(stderr, "matrix", err)
	}
	actions, err := linux.ParseActions(*acts)
	if err != nil {
		return usageError(stderr, "matrix", fmt.Errorf("--actions: %w", err))
	}
	if err := (linux.Options{Tasks: *tasks, Actions: actions}).Validate(); err != nil {
		return usageError(stderr, "matrix", err)
	}
	if *workers < 1 || *workers > 256 {
		return usageError(stderr, "matrix", fmt.Errorf("--workers %d is outside 1..256", *workers))
	}
	if *maxDepth < 0 {
		return usageError(stderr, "matrix", fmt.Errorf("--max-depth must not be negative"))
	}
	bud, err := bf.parse()
	if err != nil {
		return usageError(stderr, "matrix", err)
	}
	budget := findings.Budget{MaxStates: bud.maxStates, MaxDepth: *maxDepth, MaxTime: bud.maxTime, MaxMemory: bud.maxMemory}
	if *tasks >= 6 && !fs.Changed("max-states") && !fs.Changed("max-time") && !fs.Changed("max-memory") && !fs.Changed("max-depth") {
		budget.MaxDepth, budget.MaxMemory = defaultLargeDepth, defaultLargeMemory
		fmt.Fprintf(stderr, "cabacheck matrix: %d tasks and no budget flag: exploring each revision to depth %d within a 10GiB heap (give --max-depth, --max-states, --max-time or --max-memory to change it)\n", *tasks, defaultLargeDepth)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
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
		fmt.Fprintf(stderr, "%s: %s distinct states, depth %d, %s in %.1fs; violated: %s\n",
			e.Revision, commas(e.Distinct), e.Depth, e.StopReason, e.Seconds, strings.Join(bad, ", "))
	}
	m, err := findings.RunMatrix(findings.MatrixConfig{Tasks: *tasks, Actions: actions, Revisions: revs, Budget: budget},
		findings.RunConfig{Workers: *workers, Context: ctx}, progress)
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
		return exitOK
	}
	fmt.Fprint(stdout, m.Markdown())
	return exitOK
}
