package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTraceOutFormats writes the v3 NoDanglingCaba counterexample (6 steps)
// as HTML and DOT, and several counterexamples (--continue) as one page.
func TestTraceOutFormats(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	code, _, stderr := runCmd("check", "--tasks", "5", "--revision", "v3", "--invariants", "NoDanglingCaba", "--progress", "0", "--trace-out", page)
	if code != exitViolation || !strings.Contains(stderr, "wrote 1 counterexample(s) to "+page) {
		t.Fatalf("check exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(data)
	if n := strings.Count(html, `<section class="step"`); n != 7 {
		t.Errorf("%d step sections, want 7", n)
	}
	for _, want := range []string{"<!doctype html>", "Release(3)", "task 4 (Running): caba 3 is Released (freed task_struct)", `<path class="caba dangling"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %s", want)
		}
	}

	dot := filepath.Join(dir, "x.dot")
	if code, _, stderr := runCmd("check", "--tasks", "5", "--revision", "v3", "--invariants", "NoDanglingCaba", "--progress", "0", "--trace-out", dot); code != exitViolation {
		t.Fatalf("check exit %d: %s", code, stderr)
	}
	data, err = os.ReadFile(dot)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "digraph step_"); n != 7 {
		t.Errorf("%d graphs in the DOT file, want 7", n)
	}

	many := filepath.Join(dir, "many.html")
	code, _, stderr = runCmd("check", "--tasks", "4", "--revision", "seed", "--continue", "--progress", "0", "--trace-out", many)
	if code != exitViolation {
		t.Fatalf("check --continue exit %d: %s", code, stderr)
	}
	data, err = os.ReadFile(many)
	if err != nil {
		t.Fatal(err)
	}
	runs := strings.Count(string(data), `<div class="run"`)
	if runs < 2 || strings.Count(string(data), "<option ") != runs || !strings.Contains(stderr, "wrote "+strconv.Itoa(runs)+" counterexample(s)") {
		t.Errorf("--continue: %d runs, %d options; %s", runs, strings.Count(string(data), "<option "), stderr)
	}
}

// TestRestoreHTML writes a restore as a page: the dump, the plan and one
// frame per replayed syscall (plus the initial state), ending with the
// verdict.
func TestRestoreHTML(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "restore.html")
	selftest := filepath.Join(restoreDir, "selftest.txt")
	code, stdout, stderr := runCmd("restore", "--trace", selftest, "--planner", "caba", "--html", page)
	if code != exitOK || !strings.Contains(stderr, "wrote "+page) {
		t.Fatalf("restore exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(data)
	// The text report says how many syscalls the plan has.
	i := strings.Index(stdout, "Plan (caba planner): ")
	if i < 0 {
		t.Fatalf("no plan in the text report:\n%s", stdout)
	}
	var n int
	for _, c := range stdout[i+len("Plan (caba planner): "):] {
		if c < '0' || c > '9' {
			break
		}
		n = 10*n + int(c-'0')
	}
	if got := strings.Count(html, `<section class="step"`); got != n+1 || n == 0 {
		t.Errorf("%d frames for a plan of %d syscalls, want %d", got, n, n+1)
	}
	for _, want := range []string{"State dumped (after step", "Dump (what CRIU reads", "clone3(set_tid=2) = 2", "task 1: fork() -&gt; process 2", "tree and CABA: restored", `<section class="verdict">`} {
		if !strings.Contains(html, want) {
			t.Errorf("the restore page lacks %s", want)
		}
	}
	if code, _, stderr := runCmd("restore", "--summary", "--tasks", "3", "--html", page); code != exitUsage || !strings.Contains(stderr, "apply to --trace only") {
		t.Errorf("--summary --html: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runCmd("restore", "--trace", selftest, "--html", filepath.Join(dir, "no", "such", "dir.html")); code != exitUsage || strings.Count(stderr, "\n") != 1 {
		t.Errorf("unwritable --html: exit %d, %s", code, stderr)
	}
}
