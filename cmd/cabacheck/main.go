// Command cabacheck is an exhaustive explicit-state model checker for the
// Linux process tree and the CABA patch revisions.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"cabacheck/check"
	"cabacheck/explorer"
)

// Exit codes: check's table (exitViolation also means a scenario
// expectation failed).
const (
	exitOK        = check.ExitOK
	exitViolation = check.ExitViolation
	exitUsage     = check.ExitUsage
	exitBudget    = check.ExitBudget
	exitStopped   = check.ExitStopped
)

// exitCodeFor is a search's exit code.
func exitCodeFor(res explorer.Result) int {
	return check.ExitCode(len(res.Violations), res.Budget, res.StopReason)
}

// command is one subcommand. run returns the exit code.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{
	"check":      {"explore the model and check invariants", runCheck},
	"bench":      {"measure throughput, memory and symmetry reduction on the standard and Linux models", runBench},
	"growth":     {"sweep bounds, measure and predict the state-space growth, plot it", runGrowth},
	"scenario":   {"run a scripted scenario file and print the tree after each step", runScenario},
	"invariants": {"list the named invariants and groups", runInvariants},
	"matrix":     {"check every revision against every CABA invariant (Markdown table or --json)", runMatrix},
	"concern":    {"list the review concerns, or reproduce one (shortest trace or holds-up-to-N)", runConcern},
	"findings":   {"regenerate docs/findings.md (matrix, concerns, fix verification)", runFindings},
	"conform":    {"replay model walks on the host kernel or a patched kernel under qemu", runConform},
	"restore":    {"dump a trace's last state, plan its restore (criu or caba planner) and replay it", runRestore},
	"simulate":   {"random walks with swarm action biases at bounds no exhaustive search reaches", runSimulate},
	"reproduce":  {"write a kselftest-style C reproducer of a trace (TAP, KSFT exit codes, Makefile) for a real kernel", runReproduce},
	"revision":   {"list the revisions, or show one as a revision file (docs/revisions.md)", runRevision},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "cabacheck: unknown command %q (run 'cabacheck help')\n", args[0])
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "cabacheck: an exhaustive model checker for the Linux process tree and the CABA patch")
	fmt.Fprintln(w, "\nUsage: cabacheck COMMAND [flags]\n\nCommands:")
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'cabacheck COMMAND --help' for a command's flags.")
}

// newFlags returns a flag set that reports errors in one line.
func newFlags(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	return fs
}

// parseFlags parses args; on --help it prints the flags and returns exitOK,
// on an error a one-line message and exitUsage; otherwise -1.
func parseFlags(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) int {
	err := fs.Parse(args)
	if errors.Is(err, pflag.ErrHelp) {
		fmt.Fprintf(stdout, "Usage of cabacheck %s:\n%s", fs.Name(), fs.FlagUsages())
		return exitOK
	}
	if err != nil {
		return usageError(stderr, fs.Name(), err)
	}
	return -1
}

func usageError(stderr io.Writer, cmd string, err error) int {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(stderr, "cabacheck %s: %s\n", cmd, msg)
	return exitUsage
}

// interruptedCode is exitStopped when ctx was cancelled by a signal, else exitOK.
func interruptedCode(ctx context.Context) int {
	if ctx.Err() != nil {
		return exitStopped
	}
	return exitOK
}

// stopContext is the one signal path: SIGINT and SIGTERM cancel the
// returned context, and the running search stops cleanly at its last
// committed level, prints its partial report and exits with exitStopped.
func stopContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
