package main

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"cabacheck/check"
	"cabacheck/explorer"
)

// checkCoverage runs check --coverage --json and returns the report.
func checkCoverage(t *testing.T, args ...string) check.Report {
	t.Helper()
	code, out, stderr := runCmd(append([]string{"check", "--coverage", "--json", "--progress", "0"}, args...)...)
	if code != exitOK {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	var rep check.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Coverage == nil {
		t.Fatalf("%v: no coverage in %s", args, out)
	}
	return rep
}

// The JSON coverage adds up to the states generated and the distinct
// states but the initial one, and does not depend on the worker count.
func TestCheckCoverageJSON(t *testing.T) {
	one := checkCoverage(t, "--tasks", "4", "--revision", "v3", "--invariants", "sanity", "--workers", "1")
	two := checkCoverage(t, "--tasks", "4", "--revision", "v3", "--invariants", "sanity", "--workers", "2")
	if !reflect.DeepEqual(one.Coverage, two.Coverage) {
		t.Errorf("coverage with 1 worker %+v, with 2 %+v", one.Coverage, two.Coverage)
	}
	var taken, news uint64
	for _, a := range one.Coverage.Actions {
		taken += a.Taken
		news += a.New
	}
	if taken != one.StatesGen || news != one.DistinctStates-1 {
		t.Errorf("taken %d, new %d; generated %d, distinct %d", taken, news, one.StatesGen, one.DistinctStates)
	}
}

// The text report lists every action kind of the default action sets with
// its counts. At 5 tasks (CABACHECK_LONG=1) every one is enabled; at 4
// tasks too.
func TestCheckCoverageText(t *testing.T) {
	tasks := "4"
	if os.Getenv("CABACHECK_LONG") != "" {
		tasks = "5"
	}
	code, out, stderr := runCmd("check", "--coverage", "--progress", "0", "--tasks", tasks, "--revision", "v3", "--invariants", "sanity")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, table, ok := strings.Cut(out, "Action coverage")
	if !ok {
		t.Fatalf("no coverage table in:\n%s", out)
	}
	for _, kind := range []string{"Fork", "ForkParent", "Clone", "SetSubreaper", "ExitBegin", "ExitNotify", "Reap", "Release", "ExecBegin", "ExecSwap"} {
		found := false
		for _, line := range strings.Split(table, "\n") {
			if f := strings.Fields(line); len(f) == 4 && f[0] == kind && f[1] != "0" && f[2] != "0" {
				found = true
			}
		}
		if !found {
			t.Errorf("no counts for %s in:\n%s", kind, table)
		}
	}
	if strings.Contains(stderr, "never enabled") {
		t.Errorf("a warning where every action is enabled: %s", stderr)
	}
}

// An action no state enabled is named in a warning at the end; one that a
// search stopped early did not reach is said to be so.
func TestCoverageWarnsOfDeadAction(t *testing.T) {
	cov := &check.Coverage{Listed: true, Actions: []check.ActionCoverage{{Action: "Set", Enabled: 1, Taken: 1, New: 1}, {Action: "Dead"}}}
	var out, warn bytes.Buffer
	printCoverage(&out, &warn, &check.Result{Result: explorer.Result{Complete: true}, ActionCoverage: cov})
	if want := "cabacheck check: warning: action Dead was never enabled: a wrong guard?\n"; warn.String() != want {
		t.Errorf("warning %q, want %q", warn.String(), want)
	}
	if !strings.Contains(out.String(), "  Dead          0      0    0") {
		t.Errorf("table:\n%s", out.String())
	}
	warn.Reset()
	printCoverage(&out, &warn, &check.Result{Result: explorer.Result{Depth: 3, StopReason: "max depth"}, ActionCoverage: cov})
	if !strings.Contains(warn.String(), "action Dead was never enabled in the 3 level(s) explored (the search stopped early: max depth)") {
		t.Errorf("early stop warning %q", warn.String())
	}
}
