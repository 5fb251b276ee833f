package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func scenarioCmd(t *testing.T, text string, flags ...string) (code int, stdout, stderr, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "s.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	code = run(append(append([]string{"scenario"}, flags...), path), &o, &e)
	return code, o.String(), e.String(), path
}

// scenarioHdr is a well-formed config, lines 1-3.
const scenarioHdr = "config tasks=3 revisions=seed\n----\n\n"

// TestScenarioBadInputExits2: malformed scenario input is exit 2 with one
// line on stderr naming the file and line ("cabacheck scenario: FILE:LINE:
// ..."), never a panic and never exit 1.
func TestScenarioBadInputExits2(t *testing.T) {
	for _, c := range []struct {
		name string
		text string
		line string // ":N: " after the path, or ": " for the whole file
		want string
	}{
		{"at only", "@x\n", ":1: ", "unknown revision"},
		{"at revision only", "@seed\n", ":1: ", "with no directive"},
		{"unknown directive", scenarioHdr + "frob 1\n", ":4: ", "unknown directive \"frob\""},
		{"unknown action", scenarioHdr + "step Warp(1)\n", ":4: ", "unknown action \"Warp\""},
		{"task 99", scenarioHdr + "step Fork(99)\n", ":4: ", "task 99 is outside"},
		{"task 300", scenarioHdr + "step Fork(300)\n", ":4: ", "bad task \"300\""},
		{"task over the bound", scenarioHdr + "run\nFork(1)\nFork(4)\n", ":6: ", "task 4 is outside the model's tasks 1..3"},
		{"negative parent", scenarioHdr + "parent -1\n", ":4: ", "bad task \"-1\""},
		{"unknown invariant", scenarioHdr + "check Nope\n", ":4: ", "unknown invariant \"Nope\""},
		{"step without argument", scenarioHdr + "step\n", ":4: ", "step takes one action"},
		{"second config", scenarioHdr + "config tasks=3\n", ":4: ", "a second config directive"},
		{"disabled 77", scenarioHdr + "disabled Fork(77)\n----\nFork(77) is disabled\n", ":4: ", "task 77 is outside"},
		{"disabled over the bound", scenarioHdr + "disabled Fork(5)\n----\nFork(5) is disabled\n", ":4: ", "task 5 is outside the model's tasks 1..3"},
		{"empty file", "", ": ", "no config directive"},
		{"comments only", "# nothing\n\n", ": ", "no config directive"},
		{"prose", "This is a poem,\nnot a scenario.\n", ":1: ", "the first directive must be 'config"},
		{"truncated config", "config tasks=", ":1: ", "is not a number"},
		{"truncated action", scenarioHdr + "step Fork(", ":4: ", "want Name(args)"},
		{"config without tasks", "config revisions=seed\n", ":1: ", "tasks=N is required"},
		{"huge tasks", "config tasks=99999999999999999999\n", ":1: ", "not a number in 2..14"},
		{"huge task", scenarioHdr + "caba 99999999999999999999\n", ":4: ", "bad task"},
		{"huge action task", scenarioHdr + "step Fork(99999999999999999999)\n", ":4: ", "bad task"},
		{"non-UTF8", scenarioHdr + "tree\n----\nprocess 1: \xff\n", ":6: ", "not valid UTF-8"},
		{"NUL bytes", "config tasks=3\n\x00\x00\n", ":2: ", "a NUL byte"},
		{"lone CR line ends", "config tasks=3\r----\r\rtree\r", ":1: ", "a carriage return inside a line"},
		{"very long line", scenarioHdr + "step " + strings.Repeat("Fork(1)", 1<<17) + "\n", ":4: ", "not an action"},
		{"very long directive", scenarioHdr + strings.Repeat("z", 1<<20) + "\n", ":4: ", "unknown directive"},
		{"separator first", "----\n", ":1: ", "a '----' separator with no directive"},
		{"expected without a step", scenarioHdr + "----\nFork(1) is disabled\n", ":4: ", "a '----' separator with no directive"},
		{"blank line before separator", scenarioHdr + "tree\n\n----\nprocess 1: 1* R caba=0\n", ":6: ", "a '----' separator with no directive"},
		{"second separator", scenarioHdr + "tree\n----\nprocess 1: 1* R caba=0\n----\n", ":7: ", "a second '----'"},
		{"config output", "config tasks=3\n----\nok\n", ":1: ", "config has no output"},
		{"directive with input lines", scenarioHdr + "tree\ncaba 1\n", ":5: ", "takes no input lines"},
		{"trailing comment", scenarioHdr + "step Fork(1)  # go\n", ":4: ", "a '#' comment after a directive"},
		{"bad @ list", scenarioHdr + "tree @seed,\n", ":4: ", "empty revision"},
	} {
		code, stdout, stderr, path := scenarioCmd(t, c.text)
		prefix := "cabacheck scenario: " + path + c.line
		if code != exitUsage {
			t.Errorf("%s: exit %d, want %d; stderr %q stdout %.200q", c.name, code, exitUsage, stderr, stdout)
			continue
		}
		if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") || len(stderr) > 600 {
			t.Errorf("%s: want one short line on stderr, got %q", c.name, stderr)
		}
		if !strings.HasPrefix(stderr, prefix) || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: stderr %q, want %q...%q", c.name, stderr, prefix, c.want)
		}
		if stdout != "" {
			t.Errorf("%s: stdout %.200q, want nothing", c.name, stdout)
		}
	}
}

// TestScenarioRevisionFlag: --revision must name a revision.
func TestScenarioRevisionFlag(t *testing.T) {
	for _, rev := range []string{"", "v9", "seed,v3", " seed"} {
		code, _, stderr, _ := scenarioCmd(t, scenarioHdr+"tree\n", "--revision", rev)
		if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "--revision") {
			t.Errorf("--revision %q: exit %d, stderr %q", rev, code, stderr)
		}
	}
	code, out, _, _ := scenarioCmd(t, scenarioHdr+"tree\n", "--revision=v3", "--quiet")
	if code != exitOK || !strings.Contains(out, "ok under 1 revision(s)") {
		t.Errorf("--revision=v3: exit %d %s", code, out)
	}
}

// TestScenarioExpectationFailsExit1: exit 1 is a well-formed scenario that
// fails: an output differs, or a step is not enabled.
func TestScenarioExpectationFailsExit1(t *testing.T) {
	for _, c := range []struct {
		name, text, where, want string
	}{
		{"mismatch", scenarioHdr + "step Fork(1)\n----\nwrong\n", "stdout", "FAIL "},
		{"enabled, expected disabled", scenarioHdr + "disabled Fork(1)\n----\nFork(1) is disabled\n", "stdout", "Fork(1) is enabled"},
		{"non-ASCII expectation", scenarioHdr + "tree\n----\nprocess 1: 1* R caba=0 \u00e9\n", "stdout", "output differs"},
		{"very long expectation", scenarioHdr + "tree\n----\n" + strings.Repeat("x", 1<<20) + "\n", "stdout", "output differs"},
		{"not enabled", scenarioHdr + "step Release(2)\n", "stderr", ":4: step Release(2) is not enabled (revision seed)"},
		{"not enabled in run", scenarioHdr + "run\nFork(1)\nExitNotify(2)\n", "stderr", ":6: step ExitNotify(2) is not enabled"},
	} {
		code, stdout, stderr, _ := scenarioCmd(t, c.text)
		got := stdout
		if c.where == "stderr" {
			got = stderr
		}
		if code != exitViolation || !strings.Contains(got, c.want) {
			t.Errorf("%s: exit %d, want %d with %q in %s; stdout %.300q stderr %q", c.name, code, exitViolation, c.want, c.where, stdout, stderr)
		}
	}
}

// TestScenarioLineEndings: a golden scenario with CRLF line ends, or a
// byte order mark, passes as it does with LF.
func TestScenarioLineEndings(t *testing.T) {
	b, err := os.ReadFile("../../testdata/scenarios/exec_from_thread.txt")
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"crlf": strings.ReplaceAll(string(b), "\n", "\r\n"),
		"bom":  "\uFEFF" + string(b),
	} {
		code, out, stderr, _ := scenarioCmd(t, text, "--quiet")
		if code != exitOK || !strings.Contains(out, "ok under") {
			t.Errorf("%s: exit %d: %s %s", name, code, out, stderr)
		}
	}
}

// TestScenarioRewrite: --rewrite fills in expectations, keeps those of
// directives that only run under other revisions, and leaves a passing
// golden file byte for byte unchanged.
func TestScenarioRewrite(t *testing.T) {
	golden := "../../testdata/concerns/autoreap_moves_at_release.txt"
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr, path := scenarioCmd(t, string(b), "--rewrite", "--quiet")
	if code != exitOK || !strings.Contains(out, "rewrote") {
		t.Fatalf("rewrite golden: exit %d %s %s", code, out, stderr)
	}
	if got, _ := os.ReadFile(path); string(got) != string(b) {
		t.Errorf("rewriting a passing golden file changed it:\n%s", got)
	}

	text := "config tasks=3 revisions=seed,v3\n\nrun\nFork(1)\n\ncaba 2 @v3\n----\n\ntree\n----\nwrong\n"
	code, out, stderr, path = scenarioCmd(t, text, "--rewrite", "--quiet")
	if code != exitOK {
		t.Fatalf("rewrite: exit %d %s %s", code, out, stderr)
	}
	got, _ := os.ReadFile(path)
	if !strings.Contains(string(got), "caba 2 @v3\n----\ncaba(2)=1\n") || strings.Contains(string(got), "wrong") {
		t.Errorf("rewritten:\n%s", got)
	}
	var o, e bytes.Buffer
	if code := run([]string{"scenario", "--quiet", path}, &o, &e); code != exitOK {
		t.Errorf("rewritten file: exit %d %s %s", code, o.String(), e.String())
	}

	// A step that is not enabled: nothing is rewritten, exit 1.
	bad := scenarioHdr + "step Release(2)\n----\n"
	code, _, _, path = scenarioCmd(t, bad, "--rewrite")
	if got, _ := os.ReadFile(path); code != exitViolation || string(got) != bad {
		t.Errorf("rewrite of a failing step: exit %d, file now %q", code, got)
	}
}
