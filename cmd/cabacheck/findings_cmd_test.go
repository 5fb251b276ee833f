package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func runFindingsCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestMatrixCommand(t *testing.T) {
	code, out, _ := runFindingsCmd("matrix", "--tasks", "3", "--revision", "v3,fixed", "--workers", "2")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"| invariant | v3 | fixed |", "| NoDanglingCaba | **violated**, 7 steps | holds (930 states) |", "Shortest traces"} {
		if !strings.Contains(out, want) {
			t.Errorf("matrix output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runFindingsCmd("matrix", "--tasks", "3", "--revision", "seed", "--json")
	var m struct {
		Rows []struct {
			Revision string `json:"revision"`
			Verdicts []struct {
				Check    string `json:"check"`
				Violated bool   `json:"violated"`
				Length   int    `json:"length"`
			} `json:"verdicts"`
		} `json:"rows"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &m) != nil || len(m.Rows) != 1 || m.Rows[0].Revision != "seed" {
		t.Fatalf("matrix --json: exit %d, %s", code, out)
	}
}

func TestMatrixBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"matrix", "--revision", "v9"},
		{"matrix", "--tasks", "1"},
		{"matrix", "--actions", "teleport"},
		{"matrix", "extra"},
	} {
		code, _, errs := runFindingsCmd(args...)
		if code != exitUsage || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, code, errs)
		}
	}
}

func TestConcernCommand(t *testing.T) {
	code, out, _ := runFindingsCmd("concern", "list")
	if code != exitOK || strings.Count(out, "decided by:") < 10 {
		t.Fatalf("concern list: exit %d, %d concerns", code, strings.Count(out, "decided by:"))
	}
	code, out, _ = runFindingsCmd("concern", "v3-thread-created-thread")
	if code != exitOK || !strings.Contains(out, "v3: NoDanglingCaba: violated, shortest trace 6 steps") || !strings.Contains(out, "Expected verdict reproduced") {
		t.Fatalf("concern v3-thread-created-thread: exit %d\n%s", code, out)
	}
	code, out, _ = runFindingsCmd("concern", "--dir", "../../testdata/concerns", "seed-handoff-from-thread-caba")
	if code != exitOK || !strings.Contains(out, "violated at the end of the 11-step scenario") {
		t.Fatalf("scenario concern: exit %d\n%s", code, out)
	}
	if code, _, _ := runFindingsCmd("concern", "no-such-concern"); code != exitUsage {
		t.Errorf("unknown concern: exit %d, want 2", code)
	}
	if code, _, _ := runFindingsCmd("concern"); code != exitUsage {
		t.Errorf("no argument: exit %d, want 2", code)
	}
}

func TestFindingsBadInput(t *testing.T) {
	code, _, errs := runFindingsCmd("findings", "--out", "/nonexistent-dir/findings.md", "--dir", "../../testdata/concerns")
	if code != exitUsage || !strings.Contains(errs, "--refresh") {
		t.Errorf("missing record: exit %d, stderr %q", code, errs)
	}
}
