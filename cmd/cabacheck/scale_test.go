package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"cabacheck/check"
)

func scaleCheckJSON(t *testing.T, args ...string) (check.Report, int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"check", "--json", "--progress", "0"}, args...), &out, &errb)
	var rep check.Report
	if code == exitOK || code == exitViolation || code == exitBudget {
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out.String())
		}
	}
	return rep, code, errb.String()
}

// The toy model, the Badger store and a resumed run agree on the counts.
func TestCheckToyStoreResume(t *testing.T) {
	ref, code, _ := scaleCheckJSON(t, "--model", "toy", "--tasks", "6")
	if code != exitOK || !ref.Complete || ref.DistinctStates == 0 {
		t.Fatalf("toy: code %d, %+v", code, ref)
	}
	dir := filepath.Join(t.TempDir(), "store")
	part, code, _ := scaleCheckJSON(t, "--model", "toy", "--tasks", "6", "--store", "badger", "--dir", dir, "--max-states", "2000")
	if code != exitBudget || part.Complete {
		t.Fatalf("budgeted run: code %d, %+v", code, part)
	}
	res, code, stderr := scaleCheckJSON(t, "--model", "toy", "--tasks", "6", "--store", "badger", "--dir", dir, "--resume")
	if code != exitOK || res.DistinctStates != ref.DistinctStates || res.StatesGen != ref.StatesGen || res.Depth != ref.Depth {
		t.Errorf("resumed: code %d %s, %d/%d/%d; memory: %d/%d/%d", code, stderr, res.DistinctStates, res.StatesGen, res.Depth,
			ref.DistinctStates, ref.StatesGen, ref.Depth)
	}
	_, code, stderr = scaleCheckJSON(t, "--model", "toy", "--tasks", "5", "--store", "badger", "--dir", dir, "--resume")
	if code != exitUsage || !strings.Contains(stderr, "made for toy/maxp=6") {
		t.Errorf("another bound over the store: code %d, %q", code, stderr)
	}
}

// With --symmetry the verdict and the counterexample length are unchanged,
// and the printed counterexample is a concrete run.
func TestCheckSymmetryTrace(t *testing.T) {
	base := []string{"--tasks", "4", "--revision", "v3", "--invariants", "NoDanglingCaba"}
	plain, code, _ := scaleCheckJSON(t, base...)
	if code != exitViolation || len(plain.Violations) != 1 {
		t.Fatalf("without symmetry: code %d, %+v", code, plain.Violations)
	}
	red, code, stderr := scaleCheckJSON(t, append(base, "--symmetry")...)
	if code != exitViolation || len(red.Violations) != 1 {
		t.Fatalf("with symmetry: code %d %s, %+v", code, stderr, red.Violations)
	}
	if red.Violations[0].Length != plain.Violations[0].Length {
		t.Errorf("counterexample of %d steps with symmetry, %d without", red.Violations[0].Length, plain.Violations[0].Length)
	}
}

func TestScaleFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--store", "badger"},
		{"--resume"},
		{"--model", "nope"},
		{"--model", "toy", "--symmetry"},
	} {
		if _, code, stderr := scaleCheckJSON(t, args...); code != exitUsage || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: code %d, %q", args, code, stderr)
		}
	}
}
