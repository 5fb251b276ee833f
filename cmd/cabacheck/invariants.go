package main

import (
	"fmt"
	"io"

	"cabacheck/invariants"
)

func runInvariants(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("invariants")
	if c := parseFlags(fs, args, stdout, stderr); c >= 0 {
		return c
	}
	fmt.Fprintf(stdout, "%-22s %-7s %s\n", "NAME", "GROUP", "DESCRIPTION")
	for _, inv := range invariants.All() {
		fmt.Fprintf(stdout, "%-22s %-7s %s\n", inv.Name, inv.Group, inv.Description)
	}
	fmt.Fprintln(stdout, "\nGroups: sanity (kernel facts; a failure means the model is wrong), caba (the patch's claims), all.")
	return exitOK
}
