package findings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A complete run without pidns goes beside the revision matrix; the
// symmetry-reduced run of the same bound is compared with it, verdict by
// verdict, when the record is rendered.
func TestLargeRuns(t *testing.T) {
	var rec Record
	for _, f := range []string{"check-3-v3.json", "check-3-v3-symmetry.json", "check-3-v3.json"} {
		report, err := os.ReadFile(filepath.Join("..", "testdata", "findings", f))
		if err != nil {
			t.Fatal(err)
		}
		run, err := ImportRun(report, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if run.Pidns() {
			t.Fatalf("%s: seen as a pidns run", f)
		}
		rec.AddRun(run) // the second plain run replaces the first
	}
	if len(rec.Large) != 2 || len(rec.Pidns) != 0 || rec.Large[0].Exploration.Symmetry || !rec.Large[1].Exploration.Symmetry {
		t.Fatalf("large runs: %d (pidns %d), want the plain run then the reduced one", len(rec.Large), len(rec.Pidns))
	}
	if !strings.Contains(rec.Large[1].Command, "--symmetry") {
		t.Errorf("reduced run's command: %s", rec.Large[1].Command)
	}
	if err := rec.Replay(); err != nil {
		t.Fatal(err)
	}
	md := largeMarkdown(rec.Large)
	for _, want := range []string{"### 3 tasks, complete, without symmetry (recorded)", "| v3 | 930 | 822 | 1.13 | yes |", "NoDanglingCaba | **violated**"} {
		if !strings.Contains(md, want) {
			t.Errorf("rendered runs lack %q:\n%s", want, md)
		}
	}
	// A reduced run that disagrees is reported, not hidden.
	e := rec.Large[1].Exploration
	for i := range e.Verdicts {
		if e.Verdicts[i].Check == "NoDanglingCaba" {
			e.Verdicts[i].Length++
		}
	}
	if md := largeMarkdown(rec.Large); !strings.Contains(md, "**no**: NoDanglingCaba (7 steps against 8 steps)") {
		t.Errorf("a disagreement is not reported:\n%s", md)
	}
	// A run cut short is not a complete run.
	report, _ := os.ReadFile(filepath.Join("..", "testdata", "findings", "check-3-v3.json"))
	cut := strings.Replace(string(report), `"complete": true`, `"complete": false`, 1)
	if _, err := ImportRun([]byte(cut), nil); err == nil {
		t.Error("an incomplete run was imported")
	}
}
