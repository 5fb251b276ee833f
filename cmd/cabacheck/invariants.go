package main

import (
	"fmt"
	"io"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
)

func runInvariants(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("invariants")
	if c := parseCommand(fs, args, stdout, stderr, 0); c >= 0 {
		return c
	}
	list := invariants.List()
	width := 0
	for _, inv := range list {
		width = max(width, len(inv.Name))
	}
	fmt.Fprintf(stdout, "%-*s %-7s %s\n", width, "NAME", "GROUP", "DESCRIPTION")
	for _, inv := range list {
		fmt.Fprintf(stdout, "%-*s %-7s %s\n", width, inv.Name, inv.Group, inv.Description)
	}
	fmt.Fprintln(stdout, "\nGroups: sanity (kernel facts; a failure means the model is wrong), caba (the patch's claims),")
	fmt.Fprintln(stdout, "all (sanity and caba: every invariant of the model), derived (checks the findings use; some depend on the revision),")
	fmt.Fprintln(stdout, "restore (a dumpable state is restored by the criu or the caba planner: cabacheck restore).")
	fmt.Fprintln(stdout, "\nRevisions (the registry; 'alive' names the CabaClosest reading each was written for):")
	for _, r := range linux.Revisions() {
		d := r.Def()
		fmt.Fprintf(stdout, "  %-8s %s; intends %s\n", d.Name, d.Description, invariants.IntendedReading(r))
	}
	return exitOK
}
