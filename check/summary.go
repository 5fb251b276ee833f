package check

import (
	"fmt"
	"io"
	"time"

	"github.com/dustin/go-humanize"
)

// Summary is what the end of a check's text report says, whichever engine
// made the search (the native explorer, or the Beam engine of beam/).
type Summary struct {
	Counterexamples []Counterexample
	Complete        bool
	StopReason      string
	Budget          string // the budget that stopped the search, "" if none
	// CollisionOptimistic is TLC's optimistic estimate; CollisionActual the
	// estimate from the actual fingerprints, negative when the engine keeps
	// none to compute it from.
	CollisionOptimistic, CollisionActual float64
	Generated, Distinct, Left            uint64 // Left: states left on queue
	Depth                                int
	Elapsed                              time.Duration
	// Tail ends the last line, after the rate: the time of day, or the
	// engine's own figures.
	Tail string
}

// Summary is the report's end for r.
func (r *Result) Summary() Summary {
	left := uint64(0)
	if !r.Complete && len(r.Levels) > 0 {
		left = r.Levels[len(r.Levels)-1].New
	}
	return Summary{Counterexamples: r.Counterexamples, Complete: r.Complete, StopReason: r.StopReason, Budget: r.Budget,
		CollisionOptimistic: r.CollisionOptimistic, CollisionActual: r.CollisionActual, Generated: r.Generated,
		Distinct: r.Distinct, Left: left, Depth: r.Depth, Elapsed: r.Elapsed, Tail: " at " + time.Now().Format("2006-01-02 15:04:05")}
}

// WriteReport prints the counterexamples and the TLC-style summary.
func WriteReport(w io.Writer, s Summary) {
	for _, ce := range s.Counterexamples {
		fmt.Fprintf(w, "\nError: Invariant %s is violated. Shortest trace: %d steps.\n", ce.Invariant, ce.Trace.Len())
		fmt.Fprint(w, ce.Trace.Text())
	}
	n := len(s.Counterexamples)
	switch {
	case n > 0 && s.Complete:
		fmt.Fprintf(w, "\nModel checking completed. %d invariant(s) violated.\n", n)
	case n > 0 && s.StopReason == "violation":
		fmt.Fprintf(w, "\nModel checking stopped at the first violation (use --continue to check on).\n")
	case n > 0 && s.Budget != "":
		fmt.Fprintf(w, "\nModel checking stopped by the --%s budget. %d invariant(s) violated so far; partial statistics are kept.\n", s.Budget, n)
	case n > 0:
		fmt.Fprintf(w, "\nModel checking stopped (%s). %d invariant(s) violated so far.\n", s.StopReason, n)
	case s.Complete:
		fmt.Fprintf(w, "\nModel checking completed. No error has been found.\n")
	case s.Budget != "":
		fmt.Fprintf(w, "\nModel checking stopped by the --%s budget. No error has been found so far; partial statistics are kept.\n", s.Budget)
	default:
		fmt.Fprintf(w, "\nModel checking stopped (%s). No error has been found so far.\n", s.StopReason)
	}
	if s.CollisionActual >= 0 {
		fmt.Fprintf(w, "  Estimates of the probability that cabacheck did not check all reachable states\n  because two distinct states had the same fingerprint:\n")
		fmt.Fprintf(w, "  calculated (optimistic):  val = %.2g\n  based on the actual fingerprints:  val = %.2g\n", s.CollisionOptimistic, s.CollisionActual)
	} else {
		fmt.Fprintf(w, "  Estimate of the probability that cabacheck did not check all reachable states\n  because two distinct states had the same fingerprint:\n")
		fmt.Fprintf(w, "  calculated (optimistic):  val = %.2g\n", s.CollisionOptimistic)
	}
	fmt.Fprintf(w, "%s states generated, %s distinct states found, %s states left on queue.\n", Commas(s.Generated), Commas(s.Distinct), Commas(s.Left))
	if s.Complete {
		fmt.Fprintf(w, "The depth of the complete state graph search is %d.\n", s.Depth)
	} else {
		fmt.Fprintf(w, "The search reached depth %d.\n", s.Depth)
	}
	fmt.Fprintf(w, "Finished in %s (%s distinct states/s)%s\n", s.Elapsed.Round(time.Millisecond), Commas(uint64(float64(s.Distinct)/s.Elapsed.Seconds())), s.Tail)
}

// Commas formats n with thousands separators, as TLC does.
func Commas(n uint64) string { return humanize.Comma(int64(n)) }
