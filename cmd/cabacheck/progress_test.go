package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"cabacheck/explorer"
	"cabacheck/spec/linux"
)

// Worked by hand: 1,000,000 states generated in 2 minutes is 500,000 a
// minute; a quarter of the predicted 4,000,000, so three times as long again.
func TestProgressLine(t *testing.T) {
	at := time.Date(2026, 12, 1, 13, 20, 1, 0, time.UTC)
	pr := explorer.Progress{Level: 12, Generated: 1_000_000, Distinct: 200_000, Queue: 5_000, Elapsed: 2 * time.Minute}
	base := "Progress(12) at 2026-12-01 13:20:01: 1,000,000 states generated (500,000 states/min), 200,000 distinct states found, 5,000 states left on queue"
	for _, c := range []struct {
		label string
		total float64
		want  string
	}{
		{"", 0, base + "."},
		{"", 4_000_000, base + "; about 25% of the predicted 4,000,000 states generated, ETA 6m0s."},
		{"tasks 5 v3", 900_000, "tasks 5 v3: " + base + "; more than the predicted 900,000 states generated, no ETA."},
	} {
		if got := progressLine(c.label, pr, c.total, at); got != c.want {
			t.Errorf("total %v:\n got %s\nwant %s", c.total, got, c.want)
		}
	}
}

// The prediction of a check's total comes from the smaller bounds: within a
// factor of two of the states a 5-task v3 check generates (22,912,652,
// README), and nothing below calibrationFrom.
func TestPredictCheck(t *testing.T) {
	mf := modelOptions(t, 5, "v3")
	got := predictCheck(t.Context(), mf, false, 2, 0)
	if got < 22_912_652/2 || got > 22_912_652*2 {
		t.Errorf("predicted %.0f states generated, want about 22,912,652", got)
	}
	if small := predictCheck(t.Context(), modelOptions(t, 4, "v3"), false, 2, 0); small != 0 {
		t.Errorf("4 tasks: predicted %.0f, want no prediction", small)
	}
}

// Off a terminal, check prints TLC-style lines, no bar.
func TestCheckProgressLines(t *testing.T) {
	code, _, stderr := runCmd("check", "--tasks", "5", "--revision", "v3", "--invariants", "sanity", "--max-depth", "8", "--progress", "1ms")
	if code != exitOK && code != exitBudget {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "states/min") || !strings.Contains(stderr, "% of the predicted") || strings.Contains(stderr, "\r") {
		t.Errorf("want TLC-style lines with a prediction and no bar, got:\n%s", stderr)
	}
}

// On a terminal (a pseudo-terminal here), check draws a bar: carriage
// returns, a percentage of the predicted total, and no TLC-style line.
func TestCheckProgressBarOnTerminal(t *testing.T) {
	out := underPTY(t, "check", "--tasks", "5", "--revision", "v3", "--invariants", "sanity", "--max-depth", "8", "--progress", "1ms")
	if !strings.Contains(out, "\r") || !strings.Contains(out, "%") || !strings.Contains(out, "states generated") || strings.Contains(out, "Progress(") {
		t.Errorf("want a progress bar, got %q", out)
	}
	// Without a prediction (the toy model) the bar is indeterminate: it
	// shows the rate, not a percentage.
	out = underPTY(t, "check", "--model", "toy", "--tasks", "6", "--progress", "1ms")
	if !strings.Contains(out, "\r") || !strings.Contains(out, "states/s") || strings.Contains(out, "Progress(") {
		t.Errorf("want an indeterminate bar, got %q", out)
	}
}

// The matrix draws a bar over the revisions on a terminal, with each
// revision's line above it.
func TestMatrixAndGrowthOnTerminal(t *testing.T) {
	out := underPTY(t, "matrix", "--tasks", "3")
	if !strings.Contains(out, "\r") || !strings.Contains(out, "revisions") || !strings.Contains(out, "seed: ") {
		t.Errorf("want a bar over the revisions and their lines, got %q", out)
	}
	if code, _, stderr := runCmd("matrix", "--tasks", "3"); code != exitOK || !strings.Contains(stderr, "seed: ") || strings.Contains(stderr, "\r") {
		t.Errorf("off a terminal: exit %d, want plain lines, got %q", code, stderr)
	}
	out = underPTY(t, "growth", "--tasks", "2..4", "--revision", "v3", "--out", t.TempDir())
	if !strings.Contains(out, "\r") || !strings.Contains(out, "tasks 4 v3: level") {
		t.Errorf("growth: want a bar per bound, got %q", out)
	}
}

// underPTY runs the command with its stderr on a pseudo-terminal and
// returns what the terminal received.
func underPTY(t *testing.T, args ...string) string {
	t.Helper()
	var code int
	out := onPTY(t, func(tty *os.File) {
		var stdout bytes.Buffer
		code = run(args, &stdout, tty)
	})
	if code != exitOK && code != exitBudget && code != exitViolation {
		t.Fatalf("%v: exit %d: %s", args, code, out)
	}
	return out
}

// onPTY calls f with the terminal end of a pseudo-terminal and returns
// what the terminal received.
func onPTY(t *testing.T, f func(tty *os.File)) string {
	t.Helper()
	ptm, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptm.Close()
	var got bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&got, ptm)
		close(done)
	}()
	f(tty)
	tty.Close()
	<-done
	return got.String()
}

func modelOptions(t *testing.T, tasks int, rev string) linux.Options {
	t.Helper()
	r, err := linux.ParseRevision(rev)
	if err != nil {
		t.Fatal(err)
	}
	return linux.Options{Tasks: tasks, Revision: r, Actions: linux.DefaultActions}
}
