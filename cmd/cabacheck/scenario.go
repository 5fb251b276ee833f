package main

import (
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
	if *revision != "" {
		r, err := linux.ParseRevision(*revision)
		if err != nil {
			return usageError(stderr, "scenario", fmt.Errorf("--revision: %w", err))
		}
		revs = []linux.Revision{r}
	}
	failed := 0
	var first *scenario.Result
	for _, rev := range revs {
		res, err := file.Run(cfg, rev)
		if err != nil {
			fmt.Fprintf(stderr, "cabacheck scenario: %v\n", err)
			return exitViolation
		}
		if first == nil {
			first = res
		}
		if !*quiet {
			fmt.Fprintf(stdout, "== %s: revision %s, %d tasks, actions %s\n", path, rev, cfg.Tasks, cfg.Actions)
			for i, d := range file.Directives {
				if i == 0 || res.Outputs[i] == "" && len(d.Only) > 0 {
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
	if *rewrite {
		if err := os.WriteFile(path, []byte(file.Format(first.Outputs)), 0o644); err != nil {
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
