package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"cabacheck/revfile"
	"cabacheck/spec/linux"
)

// runRevision is `revision list` (the registry: every revision's choices)
// and `revision show NAME` (one revision as a revision file, the starting
// point of a user's own: docs/revisions.md). --revision-file registers
// files first, so that both also show a file's revision as it was read.
func runRevision(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("revision")
	rf := &revisionsFlag{list: "all"}
	fs.StringArrayVar(&rf.files, "revision-file", nil, "a revision file (TOML, docs/revisions.md) to register first; repeatable")
	if c := parseCommand(fs, args, stdout, stderr, 2, rf); c >= 0 {
		return c
	}
	switch {
	case fs.NArg() == 1 && fs.Arg(0) == "list":
		if err := listRevisions(stdout); err != nil {
			fmt.Fprintf(stderr, "cabacheck revision: %v\n", err)
			return exitUsage
		}
		return exitOK
	case fs.NArg() == 2 && fs.Arg(0) == "show":
		r, err := linux.ParseRevision(fs.Arg(1))
		if err != nil {
			return usageError(stderr, "revision", err)
		}
		if err := revfile.Format(stdout, r.Def()); err != nil {
			fmt.Fprintf(stderr, "cabacheck revision: %v\n", err)
			return exitUsage
		}
		return exitOK
	}
	return usageError(stderr, "revision", fmt.Errorf("want 'list' or 'show NAME' (NAME one of %s)", linux.RevisionNames()))
}

// listRevisions prints the registry: a column per choice, then each
// revision's description.
func listRevisions(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"NAME"}
	for _, c := range linux.Choices() {
		head = append(head, c.Key)
	}
	fmt.Fprintln(tw, strings.Join(append(head, revfile.KeyPatch), "\t"))
	for _, r := range linux.Revisions() {
		d := r.Def()
		row := []string{d.Name}
		for _, c := range linux.Choices() {
			row = append(row, c.Value(d))
		}
		patch := d.Patch
		if patch == "" {
			patch = "-"
		}
		fmt.Fprintln(tw, strings.Join(append(row, patch), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, r := range linux.Revisions() {
		fmt.Fprintf(w, "%-8s %s\n", r, r.Def().Description)
	}
	fmt.Fprintln(w, "\n'cabacheck revision show NAME' prints one as a revision file; docs/revisions.md says how to check your own.")
	return nil
}
