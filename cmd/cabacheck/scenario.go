package main

import (
	"fmt"
	"io"
)

func runScenario(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "cabacheck scenario: not yet")
	return exitUsage
}
