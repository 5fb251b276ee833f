package kernel

import (
	"strings"
	"testing"
)

// A scenario placed on a walk: the points the kernel cannot be forced into
// are those the model leaves mid-syscall; a disabled setpgid at a settled
// point becomes a refusal step; a faithful kernel shows the file's state at
// every other point.
func TestLoadScenario(t *testing.T) {
	m, _ := HostModel(6, sessionActs)
	sr, err := LoadScenario(m, "../testdata/scenarios/exec_from_thread.txt")
	if err != nil {
		t.Fatal(err)
	}
	var unforced []string
	for _, p := range sr.Points {
		if p.Unforced != "" {
			unforced = append(unforced, itoa(p.Line))
		}
	}
	if got := strings.Join(unforced, ","); got != "21,28,32,36,40,50,60,64,72" || sr.Expectations != 12 || len(sr.Failures) != 0 {
		t.Fatalf("unforced lines %s, %d expectations, failures %v", got, sr.Expectations, sr.Failures)
	}
	if FormatOps(sr.Walk.Ops) != "Fork(1) Clone(2) Clone(2) Fork(3) Exec(4)" {
		t.Fatalf("walk %s", FormatOps(sr.Walk.Ops))
	}
	r := Compare(m, sr.Walk, fakeOutput(t, m, sr.Walk.Name, sr.Walk, CabaNone), CabaNone)
	lines := strings.Join(sr.Judge(&r, CabaNone), "\n")
	if !strings.Contains(lines, "line 80 step Release(2): step 5: the kernel shows the file's state") ||
		!strings.Contains(lines, "directives: 3 placed on the kernel as the file has them, 0 in another interleaving, 0 not reached") {
		t.Fatalf("judge:\n%s", lines)
	}
	sr, err = LoadScenario(m, "../testdata/scenarios/sessions.txt")
	if err != nil {
		t.Fatal(err)
	}
	refusals := 0
	for _, p := range sr.Points {
		if p.Refusal {
			refusals++
			if op := sr.Walk.Ops[p.Step-1]; !strings.Contains(p.Directive, op.String()) {
				t.Errorf("line %d %s placed as step %d %s", p.Line, p.Directive, p.Step, op)
			}
		}
	}
	if refusals != 10 {
		t.Errorf("%d disabled directives performed as refusals, want 10", refusals)
	}
}
