package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cabacheck/traces"
)

// Every bad simulate flag: exit 2 and one line naming it.
func TestSimulateBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--walks", "0"},
		{"--walks", "-5"},
		{"--depth", "0"},
		{"--seed", "x"},
		{"--seed", "-1"},
		{"--tasks", "1"},
		{"--tasks", "15"},
		{"--revision", "v9"},
		{"--actions", "warp"},
		{"--invariants", "Nope"},
		{"--workers", "0"},
		{"--max-time", "-1s"},
		{"--swarm=maybe"},
		{"--trace-out", filepath.Join(dir, "missing", "t.json")},
		{"--model", "toy"},
		{"extra"},
	} {
		code, stdout, stderr := runCmd(append([]string{"simulate"}, args...)...)
		if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, "cabacheck simulate: ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

// v3's dangling caba: exit 1, the shortened trace printed as check prints
// traces, the rates and the action table; the --trace-out file replays.
func TestSimulateFindsAndShortens(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cex.json")
	code, stdout, stderr := runCmd("simulate", "--tasks", "5", "--revision", "v3", "--invariants", "NoDanglingCaba",
		"--walks", "500", "--seed", "4", "--workers", "2", "--trace-out", out)
	if code != exitViolation {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	for _, want := range []string{
		"Simulating 500 walk(s) of up to 100 steps, seed 4, swarm choice",
		"Error: Invariant NoDanglingCaba is violated. Found by walk ",
		"shortened to 6 steps",
		"Trace: 6 steps, revision v3, 5 tasks",
		"Invariant NoDanglingCaba is violated (every hashed task's caba is hashed or init_task):",
		"Simulation stopped at the first violation, after walks 0..63.",
		"walks/s", "states/s", "Actions taken:", "   Release  ", "total",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in:\n%s", want, stdout)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := traces.ReadJSON(data)
	if err != nil {
		t.Fatalf("the --trace-out file does not replay: %v", err)
	}
	if tr.Len() != 6 {
		t.Fatalf("--trace-out trace has %d steps", tr.Len())
	}
}

// --json: the action table sums to the steps, the violation has check's
// fields, and nothing but the timing and the worker count depends on
// --workers.
func TestSimulateJSONWorkers(t *testing.T) {
	var reps []map[string]any
	for _, w := range []string{"1", "2"} {
		code, stdout, stderr := runCmd("simulate", "--tasks", "6", "--revision", "fixed", "--invariants", "sanity",
			"--walks", "100", "--depth", "50", "--seed", "9", "--workers", w, "--json")
		if code != exitOK {
			t.Fatalf("exit %d; stderr %s", code, stderr)
		}
		var rep map[string]any
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, n := range rep["fired"].(map[string]any) {
			sum += n.(float64)
		}
		if sum != rep["steps"].(float64) || sum == 0 || rep["walks"].(float64) != 100 || rep["stop_reason"] != "walks" {
			t.Fatalf("fired sums to %v, steps %v, walks %v, stop %v", sum, rep["steps"], rep["walks"], rep["stop_reason"])
		}
		for _, k := range []string{"elapsed_seconds", "shrink_seconds", "walks_per_second", "states_per_second", "workers"} {
			delete(rep, k)
		}
		reps = append(reps, rep)
	}
	a, _ := json.Marshal(reps[0])
	b, _ := json.Marshal(reps[1])
	if string(a) != string(b) {
		t.Fatalf("1 worker:\n%s\n2 workers:\n%s", a, b)
	}
	code, stdout, _ := runCmd("simulate", "--tasks", "5", "--revision", "v3", "--invariants", "NoDanglingCaba",
		"--walks", "200", "--json", "--swarm=false")
	var rep simulateReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != exitViolation {
		t.Fatalf("exit %d, %v", code, err)
	}
	v := rep.Violations[0]
	if v.Invariant != "NoDanglingCaba" || v.Length < 6 || v.Length > v.FoundLength || v.Trace == nil || v.Weights["Fork"] != 1 {
		t.Fatalf("violation %+v", v)
	}
}
