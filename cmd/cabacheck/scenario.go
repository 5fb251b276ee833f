package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"cabacheck/scenario"
	"cabacheck/spec/linux"
)

func runScenario(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("scenario")
	revision := fs.String("revision", "", "run only under this revision (default: the file's revisions)")
	rewrite := fs.Bool("rewrite", false, "write the actual outputs back into FILE as the expected ones")
	quiet := fs.Bool("quiet", false, "print only failures and the verdict")
	if c := parseFlags(fs, args, stdout, stderr); c >= 0 {
		return c
	}
	if fs.NArg() != 1 {
		return usageError(stderr, "scenario", fmt.Errorf("want exactly one scenario FILE"))
	}
	// Malformed input (scenario.ErrMalformed) and a file that cannot be
	// read are exit 2 with one line; exit 1 is only for a well-formed
	// scenario that fails: an expectation differs or a step is not enabled.
	path := fs.Arg(0)
	file, err := scenario.ParseFile(path)
	if err != nil {
		return usageError(stderr, "scenario", err)
	}
	cfg, err := file.ParseConfig()
	if err != nil {
		return usageError(stderr, "scenario", err)
	}
	revs := cfg.Revisions
	if fs.Changed("revision") {
		r, err := linux.ParseRevision(*revision)
		if err != nil {
			return usageError(stderr, "scenario", fmt.Errorf("--revision: %w", err))
		}
		revs = []linux.Revision{r}
	}
	failed, stopped := 0, 0
	var results []*scenario.Result
	for _, rev := range revs {
		res, err := file.Run(cfg, rev)
		switch {
		case errors.Is(err, scenario.ErrNotEnabled):
			fmt.Fprintf(stderr, "cabacheck scenario: %v\n", err)
			stopped++
			continue
		case err != nil:
			return usageError(stderr, "scenario", err)
		}
		results = append(results, res)
		if !*quiet {
			fmt.Fprintf(stdout, "== %s: revision %s, %d tasks, actions %s\n", path, rev, cfg.Tasks, cfg.Actions)
			for i, d := range file.Directives {
				if i == 0 || !d.RunsUnder(rev) {
					continue
				}
				fmt.Fprintf(stdout, "\n> %s %s\n", d.Cmd, strings.Join(d.Args, " "))
				for _, in := range d.Input {
					fmt.Fprintf(stdout, ">   %s\n", in)
				}
				if res.Outputs[i] != "" {
					fmt.Fprintln(stdout, res.Outputs[i])
				}
			}
			fmt.Fprintln(stdout)
		}
		for _, f := range res.Failures {
			fmt.Fprintln(stdout, "FAIL "+f)
			failed++
		}
	}
	if stopped > 0 {
		fmt.Fprintf(stdout, "scenario %s: stopped at a step that is not enabled under %d of %d revision(s)", path, stopped, len(revs))
		if failed > 0 {
			fmt.Fprintf(stdout, ", %d expectation(s) failed", failed)
		}
		if *rewrite {
			fmt.Fprintf(stdout, "; not rewritten")
		}
		fmt.Fprintln(stdout)
		return exitViolation
	}
	if *rewrite {
		if err := os.WriteFile(path, []byte(file.Format(file.Merge(results))), 0o644); err != nil {
			fmt.Fprintf(stderr, "cabacheck scenario: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(stdout, "rewrote %s\n", path)
		return exitOK
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "scenario %s: %d expectation(s) failed\n", path, failed)
		return exitViolation
	}
	fmt.Fprintf(stdout, "scenario %s: ok under %d revision(s)\n", path, len(revs))
	return exitOK
}
