package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cabacheck/kernel"
)

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestConformUsage(t *testing.T) {
	if code, _, _ := runCLI("conform"); code != exitUsage {
		t.Errorf("conform without target: exit %d", code)
	}
	if code, _, errs := runCLI("conform", "nowhere"); code != exitUsage || !strings.Contains(errs, "unknown target") {
		t.Errorf("unknown target: %d %q", code, errs)
	}
	if code, _, errs := runCLI("conform", "vm", "--kernels", "huge"); code != exitUsage || !strings.Contains(errs, "unknown kernel") {
		t.Errorf("bad --kernels: %d %q", code, errs)
	}
	if code, _, errs := runCLI("conform", "vm", "--revision", "v9"); code != exitUsage || !strings.Contains(errs, "v9") {
		t.Errorf("bad --revision: %d %q", code, errs)
	}
	if code, _, errs := runCLI("conform", "host", "--tasks", "99"); code != exitUsage || !strings.Contains(errs, "--tasks") {
		t.Errorf("bad --tasks: %d %q", code, errs)
	}
	if code, out, _ := runCLI("conform", "host", "--help"); code != exitOK || !strings.Contains(out, "--walks") {
		t.Errorf("--help: %d %q", code, out)
	}
}

func TestConformHostCLI(t *testing.T) {
	if err := kernel.CanRunHost(); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	code, out, errs := runCLI("conform", "host", "--walks", "10", "--tasks", "6", "--seed", "4", "--out", dir)
	if code != exitOK || !strings.Contains(out, "0 mismatches") || !strings.Contains(out, "steps compared") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "steps that observe nothing: 0 (none)") || !strings.Contains(out, "verdicts: AGREE 10") {
		t.Errorf("base actions: some steps observe nothing, or not every verdict agrees:\n%s", out)
	}
	code, out, errs = runCLI("conform", "host", "--walks", "10", "--seed", "2", "--actions", "all,sessions,execve", "--out", dir)
	if code != exitOK || !strings.Contains(out, "0 mismatches") || !strings.Contains(out, "refused by the model, performed anyway: ") ||
		!strings.Contains(out, "steps that observe nothing: 0 (none)") {
		t.Fatalf("sessions: exit %d\n%s%s", code, out, errs)
	}
	steps := filepath.Join(dir, "a.steps")
	os.WriteFile(steps, []byte("# a reproducer\nFork(1) Fork(2) Clone(3) Exit(3) Exec(4)\n"), 0o644)
	code, out, errs = runCLI("conform", "replay", steps)
	if code != exitOK || !strings.Contains(out, "0 mismatches") {
		t.Fatalf("replay: exit %d\n%s%s", code, out, errs)
	}
	// a reproducer with sessions, refused calls included
	os.WriteFile(steps, []byte("Fork(1) Setsid(2) Fork(2) Setsid(2) Setpgid(2, 3, 3) Execve(3) Setpgid(2, 3, 2) Setpgid(3, 2, 2)\n"), 0o644)
	code, out, errs = runCLI("conform", "replay", "--actions", "all,sessions,execve", steps)
	if code != exitOK || !strings.Contains(out, "8 steps compared, 0 mismatches") || !strings.Contains(out, "refused by the model, performed anyway: 3") {
		t.Fatalf("replay with sessions: exit %d\n%s%s", code, out, errs)
	}
}

// conform replay judges by the revision it is given: a kernel without the
// CABA patch refuses --revision (exit 2) instead of claiming caba; a v3
// counterexample replayed on it says the revisions differ and that it is not
// reproduced; a scenario keeps its expectations and says which of its
// interleavings the kernel cannot be forced into; every replay ends in one
// verdict line.
func TestConformReplayVerdicts(t *testing.T) {
	if err := kernel.CanRunHost(); err != nil {
		t.Skip(err)
	}
	if has, _ := kernel.HasCaba(); has {
		t.Skip("the host kernel has the CABA patch")
	}
	dir := t.TempDir()
	trace := filepath.Join(dir, "v3.json")
	if code, out, errs := runCLI("check", "--tasks", "4", "--revision", "v3", "--actions", "threads", "--invariants", "NoDanglingCaba", "--trace-out", trace); code != exitViolation {
		t.Fatalf("check: exit %d\n%s%s", code, out, errs)
	}
	code, _, errs := runCLI("conform", "replay", "--revision", "v3", trace)
	if code != exitUsage || !strings.Contains(errs, "the kernel has no CABA patch; --revision v3 cannot be checked") {
		t.Errorf("--revision on a stock kernel: exit %d %q", code, errs)
	}
	code, out, errs := runCLI("conform", "replay", trace)
	for _, want := range []string{"caba not compared: the kernel has no CABA patch", "revisions differ: the trace is a v3 counterexample of NoDanglingCaba",
		"verdict: NOT REPRODUCED: the kernel has no CABA patch"} {
		if !strings.Contains(out, want) {
			t.Errorf("v3 trace on the host lacks %q: exit %d\n%s%s", want, code, out, errs)
		}
	}
	if code != exitOK || strings.Contains(out, "verdict: AGREE") {
		t.Errorf("v3 trace on the host: exit %d\n%s", code, out)
	}
	steps := filepath.Join(dir, "a.steps")
	os.WriteFile(steps, []byte("Fork(1) Fork(2) Exit(3) Wait(1, 3) Wait(2, 3) ForkParent(1)\n"), 0o644)
	code, out, errs = runCLI("conform", "replay", steps)
	if code != exitOK || !strings.Contains(out, "verdict: AGREE: kernel and model agree (6 steps compared") ||
		!strings.Contains(out, "Wait ECHILD 1") || !strings.Contains(out, "ForkParent EINVAL 1") {
		t.Errorf("steps with refusals: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI("conform", "replay", "../../testdata/scenarios/exec_from_thread.txt")
	for _, want := range []string{"expectations: 12 directives with an expected output under seed; the model meets 12 of them",
		"line 21 step ExecBegin(4): cannot be forced: mid-syscall in the model (exec by 4 under way in process 2)",
		"line 80 step Release(2): step 5: the kernel shows the file's state",
		"interleavings the kernel cannot be forced into: lines 21, 28, 32, 36, 40, 50, 60, 64, 72", "verdict: AGREE"} {
		if !strings.Contains(out, want) {
			t.Errorf("scenario lacks %q: exit %d\n%s%s", want, code, out, errs)
		}
	}
	code, out, errs = runCLI("conform", "replay", "../../testdata/scenarios/sessions.txt")
	if code != exitOK || !strings.Contains(out, "line 69 disabled Setpgid(2, 4, 2): step 12: the kernel refused it (returned EACCES) and changed nothing, as the file says") {
		t.Errorf("sessions scenario: exit %d\n%s%s", code, out, errs)
	}
}
