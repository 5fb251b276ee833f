package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cabacheck/findings"
	"cabacheck/spec/linux"
)

// A findings run's parts, reported through partsProgress: on a terminal a
// bar over the parts (carriage returns, the count, the running part), and
// no plain line; elsewhere one line per part, in order, and no bar.
func TestPartsProgress(t *testing.T) {
	cfg := findings.MatrixConfig{Tasks: 3, Actions: linux.DefaultActions | linux.Pidns, Revisions: []linux.Revision{linux.Seed, linux.V3, linux.V4, linux.Fixed}}
	runWith := func(p *partsProgress) {
		t.Helper()
		rc := findings.RunConfig{Workers: 2, Progress: p.update, ProgressEvery: p.every()}
		if _, err := findings.RunMatrix(cfg, rc, func(e *findings.Exploration) { p.line(e.Revision + ": done") }); err != nil {
			t.Fatal(err)
		}
		p.finish()
	}
	out := onPTY(t, func(tty *os.File) { runWith(newPartsProgress(tty, true, "matrix: revisions")) })
	for _, want := range []string{"\r", "[4/4] matrix tasks 3 default,pidns fixed", "4/4", "seed: done"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal lacks %q: %q", want, out)
		}
	}
	if strings.Contains(out, "matrix: revisions: [") {
		t.Errorf("terminal got plain lines: %q", out)
	}
	var plain bytes.Buffer
	runWith(newPartsProgress(&plain, false, "matrix: revisions"))
	s := plain.String()
	if strings.Contains(s, "\r") {
		t.Errorf("plain output has a bar: %q", s)
	}
	last := -1
	for i, rev := range cfg.Revisions {
		line := "matrix: revisions: " + partLabel(findings.Progress{Index: i + 1, Total: len(cfg.Revisions), Part: findings.MatrixPart(cfg, rev)}) + " ("
		at := strings.Index(s, line)
		if at <= last {
			t.Errorf("plain output lacks %q after the line of the previous part:\n%s", line, s)
		}
		last = at
	}
}

// Off a terminal, a search that runs longer than the interval prints
// TLC-style lines under its part's label.
func TestPartsProgressSearchLines(t *testing.T) {
	var plain bytes.Buffer
	p := newPartsProgress(&plain, false, "matrix: revisions")
	cfg := findings.MatrixConfig{Tasks: 4, Actions: linux.DefaultActions, Revisions: []linux.Revision{linux.V3}}
	if _, err := findings.RunMatrix(cfg, findings.RunConfig{Workers: 2, Progress: p.update, ProgressEvery: 1}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plain.String(), "[1/1] matrix tasks 4 default v3: Progress(") || !strings.Contains(plain.String(), "states/min") {
		t.Errorf("no progress line of the search:\n%s", plain.String())
	}
}

// matrix with pidns shows the pid namespace rows (and, on a terminal, its bar).
func TestMatrixPidnsRows(t *testing.T) {
	code, out, stderr := runCmd("matrix", "--tasks", "3", "--actions", "default,pidns", "--revision", "seed,fixed")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"| NScabaNamesVisibleTask |", "| CabaNsMatchesParent |", "| CabaClosestHashedNS |", "| CabaClosestNotifiedNS |", "| CabaClosestHashedNS | holds (2,964 states) (other reading) |"} {
		if !strings.Contains(out, want) {
			t.Errorf("matrix lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "[1/2] matrix tasks 3 default,pidns seed") {
		t.Errorf("stderr lacks the part line: %q", stderr)
	}
}

// findings --check draws a bar on a terminal and plain lines elsewhere
// (the whole document: about a minute each; CABACHECK_LONG=1).
func TestFindingsCheckProgress(t *testing.T) {
	if os.Getenv("CABACHECK_LONG") == "" {
		t.Skip("CABACHECK_LONG=1: regenerates docs/findings.md twice")
	}
	args := []string{"findings", "--check", "--out", "../../docs/findings.md", "--dir", "../../testdata/concerns"}
	out := underPTY(t, args...)
	n := len(findings.GenerateParts())
	if !strings.Contains(out, "\r") || !strings.Contains(out, "findings: parts [1/") || strings.Contains(out, "findings: parts: [") {
		t.Errorf("want a bar over the %d parts, got %q", n, out)
	}
	// The test binary registers a revision of its own (registry_test.go),
	// which the document's revision lists then include: up to date or not,
	// the check runs every part.
	code, stdout, stderr := runCmd(args...)
	if code != exitOK && code != exitViolation || !strings.Contains(stdout, "findings.md") {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "\r") || strings.Count(stderr, "findings: parts: [") != n {
		t.Errorf("want %d part lines and no bar, got %q", n, stderr)
	}
}

func TestAddRunBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"model":"linux","revision":"v3","actions":"default"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{filepath.Join(dir, "missing.json"), bad, bad + ":" + filepath.Join(dir, "missing.txt")} {
		code, _, errs := runCmd("findings", "--add-run", arg, "--out", "../../docs/findings.md", "--record", "../../docs/findings.json", "--dir", "../../testdata/concerns")
		if code != exitUsage || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.HasPrefix(errs, "cabacheck findings: --add-run") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line", arg, code, errs)
		}
	}
}
