package reproduce

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/traces"
)

// storedCex is one counterexample as a JSON trace that went through the
// file format (check --trace-out writes the same).
type storedCex struct {
	name string // REV_INVARIANT
	tr   *traces.Trace
}

func (c storedCex) String() string { return c.name }

// throughJSON writes tr as JSON and reads it back, as the command reads a
// --trace file.
func throughJSON(t *testing.T, tr *traces.Trace) storedCex {
	t.Helper()
	data, err := json.MarshalIndent(tr.JSON(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	back, err := traces.ReadJSON(data)
	if err != nil {
		t.Fatalf("%s %s: reading the JSON trace back: %v", tr.Options.Revision, tr.Invariant, err)
	}
	return storedCex{tr.Options.Revision.String() + "_" + tr.Invariant, back}
}

// storedCounterexamples is every counterexample stored in kernel/cex.
func storedCounterexamples(t *testing.T) []storedCex {
	t.Helper()
	trs, err := StoredTraces(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(trs) == 0 {
		t.Fatal("no stored counterexamples in kernel/cex")
	}
	var out []storedCex
	for _, tr := range trs {
		out = append(out, throughJSON(t, tr))
	}
	return out
}

// testdataTraces is every trace of testdata/traces.txt.
func testdataTraces(t *testing.T) []storedCex {
	t.Helper()
	data, err := os.ReadFile("testdata/traces.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []storedCex
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		head, list, _ := strings.Cut(l, ":")
		f := strings.Fields(head)
		if len(f) != 3 {
			t.Fatalf("testdata/traces.txt: bad line %q", l)
		}
		rev, err := linux.ParseRevision(f[0])
		if err != nil {
			t.Fatal(err)
		}
		tasks, _ := strconv.Atoi(f[1])
		m, err := linux.New(linux.Options{Tasks: tasks, Revision: rev, Actions: linux.DefaultActions})
		if err != nil {
			t.Fatal(err)
		}
		var acts []spec.Action
		for _, a := range strings.Fields(list) {
			x, err := linux.ParseAction(a)
			if err != nil {
				t.Fatal(err)
			}
			acts = append(acts, x)
		}
		tr, err := traces.Build(m, acts)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		inv, ok := invariants.ByName(f[2], rev)
		if !ok {
			t.Fatalf("unknown invariant %s", f[2])
		}
		tr.Explain(inv)
		out = append(out, throughJSON(t, tr))
	}
	return out
}

// traceNamed is the stored or testdata trace REV_INVARIANT.
func traceNamed(t *testing.T, name string) *traces.Trace {
	t.Helper()
	for _, c := range append(storedCounterexamples(t), testdataTraces(t)...) {
		if c.name == name {
			return c.tr
		}
	}
	t.Fatalf("no trace %s", name)
	return nil
}
