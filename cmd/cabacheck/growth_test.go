package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestGrowthWritesFilesAndCountsEqualCheck(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := runCmd("growth", "--tasks", "2..4", "--revision", "seed,v3", "--out", dir, "--progress", "0")
	if code != exitOK {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
	for _, want := range []string{"tasks 4 seed: predicted", "prediction:", "Growth per added task", "distinct states"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The prediction is printed before the run it predicts.
	if p, r := strings.Index(out, "tasks 4 seed: predicted"), strings.Index(out, "tasks 4 seed: 50,492"); p < 0 || r < 0 || p > r {
		t.Errorf("the tasks 4 prediction is not printed before its result:\n%s", out)
	}
	for _, f := range []string{"growth.csv", "growth-levels.csv", "growth.json", "growth.md", "states-by-tasks.svg", "states-by-tasks.png", "states-per-level.svg", "states-per-level.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	again := t.TempDir()
	if code, out, stderr := runCmd("growth", "--replot", filepath.Join(dir, "growth.json"), "--out", again); code != exitOK || !strings.Contains(out, "50,492") {
		t.Errorf("--replot: exit %d: %s%s", code, out, stderr)
	}
	for _, f := range []string{"growth.csv", "growth.md", "states-per-level.png"} {
		a, _ := os.ReadFile(filepath.Join(dir, f))
		b, err := os.ReadFile(filepath.Join(again, f))
		if err != nil || (f != "states-per-level.png" && string(a) != string(b)) {
			t.Errorf("--replot wrote a different %s: %v", f, err)
		}
	}
	fh, err := os.Open(filepath.Join(dir, "growth.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 {
		t.Fatalf("%d CSV rows, want a header and 6 runs", len(rows))
	}
	for _, row := range rows[1:] {
		rev, tasks := row[0], row[3]
		_, rep := checkJSON(t, "--tasks", tasks, "--revision", rev, "--invariants", "sanity")
		if row[4] != strconv.FormatUint(rep.Distinct, 10) || row[5] != strconv.FormatUint(rep.Generated, 10) || row[6] != strconv.Itoa(rep.Depth) {
			t.Errorf("tasks %s %s: growth %s states, %s generated, depth %s; check %d, %d, %d", tasks, rev, row[4], row[5], row[6], rep.Distinct, rep.Generated, rep.Depth)
		}
	}
}

func TestGrowthBudgetStopsWithExitCode(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := runCmd("growth", "--tasks", "3..5", "--max-states", "1000", "--out", dir, "--progress", "0")
	if code != exitBudget {
		t.Fatalf("exit %d, want %d:\n%s", code, exitBudget, out)
	}
	for _, want := range []string{"PARTIAL: stopped by --max-states", "tasks 5 seed: skipped", "(partial)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "growth.csv"))
	if err != nil || !strings.Contains(string(data), "budget max-states") {
		t.Errorf("growth.csv does not keep the partial run: %v\n%s", err, data)
	}
}

func TestGrowthBadUsageExits2(t *testing.T) {
	for _, args := range [][]string{
		{"growth"},
		{"growth", "--tasks", "5..3"},
		{"growth", "--tasks", "1..3"},
		{"growth", "--tasks", "x"},
		{"growth", "--tasks", "3", "--revision", "v9"},
		{"growth", "--tasks", "3", "--actions", "teleport"},
		{"growth", "--tasks", "3", "--out", "/proc/version"},
		{"growth", "--tasks", "3", "--workers", "0"},
		{"growth", "--tasks", "3", "--max-memory", "1KiB"},
		{"growth", "--replot", "/nonexistent.json"},
	} {
		code, _, stderr := runCmd(args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if lines := strings.Count(strings.TrimSpace(stderr), "\n"); stderr == "" || lines != 0 {
			t.Errorf("%v: want a one-line message, got %q", args, stderr)
		}
	}
}

func TestParseTaskList(t *testing.T) {
	for in, want := range map[string]string{"3..6": "3,4,5,6", "4": "4", "2,5..6,3": "2,3,5,6", "3..3": "3"} {
		got, err := parseTaskList(in)
		if err != nil || joinInts(got) != want {
			t.Errorf("parseTaskList(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
}

// --out names a directory that growth creates if it is not there.
func TestGrowthCreatesOutDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "sub")
	code, _, stderr := runCmd("growth", "--tasks", "2..3", "--progress", "0", "--out", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "growth.json")); err != nil {
		t.Errorf("growth.json not written in the new directory: %v", err)
	}
}
