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
	if !strings.Contains(out, "steps that observe nothing: 0 (none)") {
		t.Errorf("base actions: some steps observe nothing:\n%s", out)
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
