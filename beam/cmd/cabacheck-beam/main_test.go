package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"

	"cabacheck/beam/engine"
	"cabacheck/check"
)

func TestMain(m *testing.M) {
	beamlog.LogLevel = "warn"
	os.Exit(m.Run())
}

func runArgs(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestBadInput: every bad flag is one line on stderr and exit 2, before
// any pipeline runs.
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--tasks", "99"}, "tasks"},
		{[]string{"check", "--revision", "v9"}, "--revision"},
		{[]string{"check", "--actions", "teleport"}, "--actions"},
		{[]string{"check", "--invariants", "Nonsense"}, "--invariants"},
		{[]string{"check", "--model", "petri"}, "--model"},
		{[]string{"check", "--model", "toy", "--revision", "v3"}, "linux model only"},
		{[]string{"check", "--partitions", "3"}, "--partitions"},
		{[]string{"check", "--item-states", "0"}, "--item-states"},
		{[]string{"check", "--runner", "storm"}, "--runner"},
		{[]string{"check", "--runner", "flink", "--work", "/tmp/x"}, "--endpoint"},
		{[]string{"check", "--runner", "spark", "--work", "/tmp/x"}, "--endpoint"},
		{[]string{"check", "--runner", "dataflow", "--project", "p", "--work", "gs://b/w"}, "--region"},
		{[]string{"check", "--runner", "flink", "--endpoint", "localhost:8099"}, "--work"},
		{[]string{"check", "--resume"}, "--resume"},
		{[]string{"check", "--log-level", "loud"}, "--log-level"},
		{[]string{"check", "--max-depth", "-1"}, "--max-depth"},
		{[]string{"check", "--bogus"}, "bogus"},
		{[]string{"check", "extra"}, "extra"},
		{[]string{"verify"}, "unknown command"},
		{[]string{"check", "--resume", "--work", "/nonexistent/cabacheck-beam"}, "no search to resume"},
	} {
		code, _, stderr := runArgs(tc.args...)
		if code != check.ExitUsage || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "cabacheck-beam") || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestBeamFlagsReachBeam: --runner and the Beam flags given are set in the
// Beam SDK's flag globals, which its runners read.
func TestBeamFlagsReachBeam(t *testing.T) {
	names := []string{"runner", "project", "region", "staging_location", "endpoint"}
	old := map[string]string{}
	for _, n := range names {
		old[n] = flag.Lookup(n).Value.String()
	}
	t.Cleanup(func() {
		for n, v := range old {
			flag.Set(n, v)
		}
	})
	vals := map[string]*string{}
	for _, bf := range beamFlags {
		v := ""
		vals[bf.name] = &v
	}
	*vals["project"], *vals["region"], *vals["staging_location"] = "proj", "europe-west1", "gs://bucket/staging"
	changed := func(n string) bool { return n == "project" || n == "region" || n == "staging_location" }
	if err := checkBeamFlags("dataflow", changed); err != nil {
		t.Fatal(err)
	}
	if err := setBeamFlags("dataflow", vals, changed); err != nil {
		t.Fatal(err)
	}
	for n, want := range map[string]string{"runner": "dataflow", "project": "proj", "region": "europe-west1", "staging_location": "gs://bucket/staging", "endpoint": old["endpoint"]} {
		if got := flag.Lookup(n).Value.String(); got != want {
			t.Errorf("Beam's --%s is %q, want %q", n, got, want)
		}
	}
}

// TestCheckMatchesNative: the report of a Prism run has the native
// explorer's counts and traces.
func TestCheckMatchesNative(t *testing.T) {
	ms := engine.ModelSpec{Kind: "linux", Tasks: 3, Revision: "v3", Actions: "default", Invariants: "CabdListMatchesCaba"}
	m, ch, err := ms.Build()
	if err != nil {
		t.Fatal(err)
	}
	want, err := check.Run(check.Request{Model: m, Checker: ch})
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Counterexamples) != 1 {
		t.Fatalf("native: %d counterexamples, want 1", len(want.Counterexamples))
	}
	code, out, stderr := runArgs("check", "--tasks", "3", "--revision", "v3", "--actions", "default", "--invariants", "CabdListMatchesCaba", "--work", t.TempDir())
	if code != check.ExitViolation {
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
	}
	ce := want.Counterexamples[0]
	for _, line := range []string{
		fmt.Sprintf("Error: Invariant CabdListMatchesCaba is violated. Shortest trace: %d steps.\n", ce.Trace.Len()),
		ce.Trace.Text(),
		"Model checking stopped at the first violation (use --continue to check on).\n",
		fmt.Sprintf("%s states generated, %s distinct states found, %s states left on queue.\n", check.Commas(want.Generated), check.Commas(want.Distinct), check.Commas(want.Levels[len(want.Levels)-1].New)),
		fmt.Sprintf("The search reached depth %d.\n", want.Depth),
	} {
		if !strings.Contains(out, line) {
			t.Errorf("the report lacks %q:\n%s", line, out)
		}
	}
}

// TestCheckResumeJSON: a search stopped by --max-depth resumes from its
// work directory to the complete search's counts, in JSON.
func TestCheckResumeJSON(t *testing.T) {
	work := t.TempDir()
	if code, _, stderr := runArgs("check", "--model", "toy", "--tasks", "5", "--max-depth", "4", "--work", work, "--json"); code != check.ExitOK {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	code, out, stderr := runArgs("check", "--model", "toy", "--tasks", "5", "--work", work, "--resume", "--json")
	if code != check.ExitOK {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	var rep check.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	// The toy model at MAXP=5, as `cabacheck check --model toy --tasks 5`.
	if rep.DistinctStates != 857 || rep.StatesGen != 8146 || rep.Depth != 16 || !rep.Complete || rep.Pipelines != 13 {
		t.Fatalf("resumed: %+v", rep)
	}
}

func TestCommas(t *testing.T) {
	for n, want := range map[uint64]string{0: "0", 999: "999", 1000: "1,000", 4179710: "4,179,710", 22912652: "22,912,652"} {
		if got := check.Commas(n); got != want {
			t.Errorf("check.Commas(%d) = %q, want %q", n, got, want)
		}
	}
}
