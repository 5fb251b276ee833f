package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"cabacheck/findings"
)

func runConcern(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("concern")
	dir := fs.String("dir", "", "directory of the concern scenarios (default: testdata/concerns of the repository holding the working directory)")
	asJSON := fs.Bool("json", false, "print the outcome as JSON")
	trees := fs.Bool("trees", false, "print the process tree after every step of a trace")
	wf := addWorkersFlag(fs)
	if c := parseCommand(fs, args, stdout, stderr, 1, wf); c >= 0 {
		return c
	}
	if fs.NArg() != 1 {
		return usageError(stderr, "concern", fmt.Errorf("want 'list' or a concern NAME (see 'cabacheck concern list')"))
	}
	name := fs.Arg(0)
	if name == "list" {
		for _, c := range findings.Catalogue() {
			fmt.Fprintf(stdout, "%-32s %s\n", c.Name, c.Question)
			fmt.Fprintf(stdout, "%-32s   decided by: %s\n", "", c.Decider())
			fmt.Fprintf(stdout, "%-32s   expected:   %s\n", "", c.ExpectedText())
		}
		return exitOK
	}
	c, ok := findings.Find(name)
	if !ok {
		return usageError(stderr, "concern", fmt.Errorf("unknown concern %q (see 'cabacheck concern list')", name))
	}
	if *dir == "" && c.IsScenario() {
		d, err := findings.LocateConcernDir()
		if err != nil {
			return usageError(stderr, "concern", err)
		}
		*dir = d
	}
	ctx, stop := stopContext()
	defer stop()
	res, err := c.Run(*dir, findings.RunConfig{Workers: wf.n, Context: ctx})
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck concern: %v\n", err)
		return exitUsage
	}
	code := exitOK
	if !res.Reproduced {
		code = exitViolation
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "cabacheck concern: %v\n", err)
			return exitUsage
		}
		return code
	}
	fmt.Fprintf(stdout, "%s: %s\n  source:     %s\n  decided by: %s\n", c.Name, c.Question, c.Source, c.Decider())
	if c.Model != "" {
		fmt.Fprintf(stdout, "  model:      %s\n", c.Model)
	}
	for _, o := range res.Outcomes {
		fmt.Fprintf(stdout, "\n%s: %s: %s (expected %s)%s\n", o.Revision, o.Check, outcomeWord(c, o), o.Expected, mark(o.Reproduced))
		if *trees {
			fmt.Fprint(stdout, indent(findings.FullTrace(o.Verdict)))
		} else {
			fmt.Fprint(stdout, findings.TraceText(o.Verdict))
		}
	}
	fmt.Fprintf(stdout, "\nAnswer: %s\n", c.Answer)
	if res.Reproduced {
		fmt.Fprintf(stdout, "Expected verdict reproduced under %d revision(s).\n", len(res.Outcomes))
	} else {
		fmt.Fprintf(stdout, "Expected verdict NOT reproduced.\n")
	}
	return code
}

// outcomeWord renders a verdict: the trace length, or how far "holds" reaches.
func outcomeWord(c *findings.Concern, o findings.Outcome) string {
	v := o.Verdict
	switch {
	case v.Violated && c.IsScenario():
		return fmt.Sprintf("violated at the end of the %d-step scenario", v.Length)
	case v.Violated:
		return fmt.Sprintf("violated, shortest trace %d steps", v.Length)
	case c.IsScenario():
		return "holds at the end of the scenario"
	}
	return o.Exploration.Scope()
}

func mark(ok bool) string {
	if ok {
		return ""
	}
	return "  <-- NOT AS EXPECTED"
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") + "\n"
}
