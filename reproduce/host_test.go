package reproduce

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"cabacheck/kernel"
)

// allPrograms generates the reproducer of every stored counterexample
// (kernel/cex) and of every trace in testdata/ (check --trace-out output).
func allPrograms(t *testing.T) []*Program {
	t.Helper()
	var out []*Program
	for _, c := range storedCounterexamples(t) {
		out = append(out, generate(t, c.tr))
	}
	for _, c := range testdataTraces(t) {
		out = append(out, generate(t, c.tr))
	}
	return out
}

// build writes p into a new directory and compiles it as the brief of the
// selftest asks: gcc -static -Wall -Werror, outside a kernel tree.
func build(t *testing.T, p *Program) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	dir := t.TempDir()
	if _, err := WriteDir(dir, p); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, p.Name)
	// -O2 finds more (format truncation) but compiles 3 times slower
	opt := "-O0"
	if os.Getenv("CABACHECK_LONG") != "" {
		opt = "-O2"
	}
	cmd := exec.Command(gcc, "-static", "-Wall", "-Werror", opt, "-o", bin, p.Name+".c")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: gcc: %v\n%s", p.Name, err, out)
	}
	return bin
}

// canRun says why the programs cannot run here ("" when they can).
func canRun() string {
	if os.Geteuid() != 0 {
		return "not root (the program needs clone(CLONE_NEWPID))"
	}
	if data, err := os.ReadFile("/proc/self/status"); err != nil {
		return "no /proc"
	} else if bytes.Contains(data, []byte("NScaba:")) {
		return "the host kernel has the CABA patch: its NScaba tests do not SKIP"
	}
	return ""
}

// run runs a built program and returns its output and exit code.
func run(t *testing.T, bin string, env ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("%s did not finish:\n%s", bin, out.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

var tapLine = regexp.MustCompile(`(?m)^(ok|not ok) (\d+) (# SKIP )?- step (\d+): (.*)$`)

// On this host (a stock kernel, root): every step of every reproducer
// passes its base test, every NScaba test and the violation test SKIP, and
// the program exits with KSFT_SKIP (4).
func TestReproducersOnHost(t *testing.T) {
	why := canRun()
	for _, p := range allPrograms(t) {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			bin := build(t, p)
			if why != "" {
				t.Skip(why)
			}
			// a loaded machine (parallel subtests, other jobs) may take seconds to settle
			out, code := run(t, bin, "CABA_REPRO_TIMEOUT_MS=20000")
			if !strings.Contains(out, fmt.Sprintf("\n1..%d\n", 2*len(p.Steps)+1)) {
				t.Fatalf("no plan of %d tests:\n%s", 2*len(p.Steps)+1, out)
			}
			base, skips := 0, 0
			for _, m := range tapLine.FindAllStringSubmatch(out, -1) {
				switch {
				case m[1] != "ok":
					t.Errorf("%s %s - step %s: %s", m[1], m[2], m[4], m[5])
				case m[3] == "":
					base++
				default:
					skips++
				}
			}
			if base != len(p.Steps) || skips != len(p.Steps)+1 {
				t.Errorf("%d base tests ok, %d skipped; want %d and %d", base, skips, len(p.Steps), len(p.Steps)+1)
			}
			if code != 4 {
				t.Errorf("exit %d, want 4 (KSFT_SKIP)", code)
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}

// A reproducer whose expectation of one step is edited (task 2's PPid after
// Clone(2) said to be 3) fails exactly that step, with the field, and exits
// with KSFT_FAIL; the steps around it still pass.
func TestEditedExpectationFails(t *testing.T) {
	var p *Program
	for _, c := range storedCounterexamples(t) {
		if c.String() == "v3_NoDanglingCaba" {
			p = generate(t, c.tr)
		}
	}
	for i := range p.Steps[1].Patterns {
		if got := p.Steps[1].Patterns[i].Snap[1][kernel.FPPid]; got != "1" {
			t.Fatalf("step 2 predicts task 2's PPid %s, the test expects 1", got)
		}
		p.Steps[1].Patterns[i].Snap[1][kernel.FPPid] = "3"
	}
	bin := build(t, p)
	if why := canRun(); why != "" {
		t.Skip(why)
	}
	out, code := run(t, bin, "CABA_REPRO_TIMEOUT_MS=1000")
	want := "not ok 3 - step 2: Clone(2): task 2 ppid expected 3 got 1"
	if !strings.Contains(out, want+"\n") {
		t.Errorf("want %q in:\n%s", want, out)
	}
	for _, ok := range []string{"ok 1 - step 1: Fork(1)\n", "ok 5 - step 3: Clone(3)\n", "ok 7 - step 4: Exit(3)\n"} {
		if !strings.Contains(out, ok) {
			t.Errorf("want %q in:\n%s", ok, out)
		}
	}
	if n := strings.Count(out, "not ok"); n != 1 {
		t.Errorf("%d failures, want 1:\n%s", n, out)
	}
	if code != 1 {
		t.Errorf("exit %d, want 1 (KSFT_FAIL)", code)
	}
}

// A trace that violates nothing (here a counterexample with its invariant
// taken away) is performed and compared step by step, with no violation
// test: 2 tests per step, KSFT_SKIP on a kernel without NScaba.
func TestTraceWithoutViolationOnHost(t *testing.T) {
	tr := traceNamed(t, "v4_CabdListMatchesCaba")
	tr.Invariant, tr.Failure = "", nil
	p := generate(t, tr)
	if p.ViolStep != 0 || p.KASAN != "" || p.Name != "caba_repro_v4" {
		t.Fatalf("violation step %d, KASAN %q, name %q", p.ViolStep, p.KASAN, p.Name)
	}
	bin := build(t, p)
	if why := canRun(); why != "" {
		t.Skip(why)
	}
	out, code := run(t, bin, "CABA_REPRO_TIMEOUT_MS=20000")
	if !strings.Contains(out, fmt.Sprintf("\n1..%d\n", 2*len(p.Steps))) || strings.Contains(out, "not ok") || code != 4 {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
