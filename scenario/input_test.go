package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// hdr is a well-formed config, lines 1-3.
const hdr = "config tasks=3 revisions=seed\n----\n\n"

// badInputs are malformed scenarios: each must be refused by Parse or
// ParseConfig as an *InputError naming line (0: the whole file) and
// containing want, in one line.
var badInputs = []struct {
	name string
	text string
	line int
	want string
}{
	{"at only", "@x\n", 1, "unknown revision \"x\""},
	{"at revision only", "@seed\n", 1, "'@seed' with no directive"},
	{"at empty list", hdr + "tree @\n", 4, "empty revision in the '@' list"},
	{"at double comma", hdr + "tree @seed,,v3\n", 4, "empty revision"},
	{"at unknown revision", hdr + "tree @v9\n", 4, "unknown revision \"v9\""},
	{"at on config", "config tasks=3 @seed\n", 1, "'@' does not go on it"},
	{"unknown directive", hdr + "frob 1\n", 4, "unknown directive \"frob\""},
	{"unknown action", hdr + "step Warp(1)\n", 4, "unknown action \"Warp\""},
	{"task 99", hdr + "step Fork(99)\n", 4, "task 99 is outside 1..14"},
	{"task 300", hdr + "step Fork(300)\n", 4, "bad task \"300\""},
	{"task 0", hdr + "step Fork(0)\n", 4, "task 0 is outside"},
	{"reap child 0", hdr + "step Reap(1, 0)\n", 4, "task 0 is outside"},
	{"task over the bound", hdr + "step Fork(4)\n", 4, "task 4 is outside the model's tasks 1..3"},
	{"run line over the bound", hdr + "run\nFork(1)\nFork(7)\n", 6, "task 7 is outside the model's tasks 1..3"},
	{"disabled 77", hdr + "disabled Fork(77)\n----\nFork(77) is disabled\n", 4, "task 77 is outside"},
	{"disabled over the bound", hdr + "disabled Fork(5)\n----\nFork(5) is disabled\n", 4, "task 5 is outside the model's tasks 1..3"},
	{"disabled without action", hdr + "disabled\n", 4, "disabled takes one action"},
	{"negative parent", hdr + "parent -1\n", 4, "bad task \"-1\""},
	{"caba over the bound", hdr + "caba 2 4\n", 4, "caba: task 4 is outside the model's tasks 1..3"},
	{"caba huge", hdr + "caba 99999999999999999999\n", 4, "bad task"},
	{"caba no task", hdr + "caba\n", 4, "takes one or more task numbers"},
	{"status word", hdr + "status two\n", 4, "bad task \"two\""},
	{"unknown invariant", hdr + "check Nope\n", 4, "unknown invariant \"Nope\""},
	{"empty invariant list", hdr + "check ,\n", 4, "no invariants selected"},
	{"step without action", hdr + "step\n", 4, "step takes one action"},
	{"step truncated", hdr + "step Fork(\n", 4, "want Name(args)"},
	{"step two actions", hdr + "step Fork(1) Fork(2)\n", 4, "bad task"},
	{"step with input lines", hdr + "step Fork(1)\nstep Fork(2)\n----\n", 5, "takes no input lines"},
	{"run without action", hdr + "run\n----\n", 4, "run takes at least one action"},
	{"run truncated", hdr + "run\nFork(1\n", 5, "want Name(args)"},
	{"run directive as input", hdr + "run\nFork(1)\ncaba 2\n----\n", 6, "want Name(args)"},
	{"tree with argument", hdr + "tree 1\n", 4, "tree takes no arguments"},
	{"second config", hdr + "config tasks=3\n", 4, "a second config directive (the first is at line 1)"},
	{"empty file", "", 0, "no config directive"},
	{"blank lines", "\n\n  \n", 0, "no config directive"},
	{"comments only", "# just a comment\n", 0, "no config directive"},
	{"prose", "Hello, this is not a scenario.\nIt has two lines.\n", 1, "the first directive must be 'config tasks=N ...', got \"Hello,\""},
	{"step first", "step Fork(1)\n----\n", 1, "the first directive must be"},
	{"config bare", "config\n", 1, "tasks=N is required"},
	{"config truncated", "config tasks=\n", 1, "tasks=\"\" is not a number"},
	{"config revisions truncated", "config tasks=3 revisions=\n", 1, "no revision given"},
	{"config no key", "config 3\n", 1, "want key=value"},
	{"config key twice", "config tasks=3 tasks=4\n", 1, "\"tasks\" given twice"},
	{"config revision and revisions", "config tasks=3 revision=seed revisions=v3\n", 1, "both given"},
	{"config tasks 1", "config tasks=1\n", 1, "not a number in 2..14"},
	{"config tasks 15", "config tasks=15\n", 1, "not a number in 2..14"},
	{"config tasks huge", "config tasks=99999999999999999999999\n", 1, "not a number in 2..14"},
	{"config tasks negative", "config tasks=-3\n", 1, "not a number in 2..14"},
	{"config unknown revision", "config tasks=3 revisions=v9\n", 1, "unknown revision \"v9\""},
	{"config unknown actions", "config tasks=3 actions=warp\n", 1, "unknown action \"warp\""},
	{"config unknown key", "config tasks=3 color=red\n", 1, "unknown key \"color\""},
	{"config with output", "config tasks=3\n----\nsomething\n", 1, "config has no output"},
	{"config with input", "config tasks=3\nFork(1)\n----\n", 2, "config (line 1) takes no input lines"},
	{"separator first", "----\nconfig tasks=3\n", 1, "a '----' separator with no directive"},
	{"expected without directive", hdr + "----\nFork(1) is disabled\n", 4, "a '----' separator with no directive"},
	{"expected after blank", hdr + "step Fork(1)\n\n----\nx\n", 6, "a '----' separator with no directive"},
	{"second separator", hdr + "tree\n----\nprocess 1: 1* R caba=0\n----\nmore\n", 7, "a second '----' in the expected output of tree (line 4)"},
	{"non-UTF8 directive", hdr + "step Fork(1)\xff\n", 4, "not valid UTF-8 (byte 0xff at column 13)"},
	{"non-UTF8 expected", hdr + "tree\n----\nprocess 1: \xc3\x28\n", 6, "not valid UTF-8"},
	{"latin-1 file", "# caf\xe9\nconfig tasks=3\n", 1, "not valid UTF-8"},
	{"NUL byte", "config tasks=3\x00\n", 1, "a NUL byte at column 15"},
	{"NUL file", "\x00\x00\x00\x00", 1, "a NUL byte"},
	{"escape sequence", hdr + "tree\x1b[31m\n", 4, "control character U+001B"},
	{"lone carriage returns", "config tasks=3\r----\r\rtree\r", 1, "a carriage return inside a line"},
	{"CRLF with a stray CR", "config tasks=3\r\n----\r\n\r\ntree\r\r\n", 4, "a carriage return inside a line"},
	{"very long directive", hdr + "step " + strings.Repeat("Fork", 1<<18) + "\n", 4, "not an action"},
	{"very long word", hdr + strings.Repeat("x", 1<<20) + "\n", 4, "unknown directive \"xxxx"},
	{"very long invariant", hdr + "check " + strings.Repeat("N", 1<<20) + "\n", 4, "unknown invariant"},
	{"huge action number", hdr + "step Fork(18446744073709551617)\n", 4, "bad task"},
	{"subreaper maybe", "config tasks=3 actions=all\n\nstep SetSubreaper(1, maybe)\n", 3, "wants on or off"},
	{"step outside the config's actions", "config tasks=3 actions=default\n\nrun\nFork(1)\nIgnoreSigchld(1)\n", 5, "IgnoreSigchld(1) needs actions=ignore-sigchld, which the config leaves out (config actions: clone-parent,exec,subreaper,threads)"},
	{"step with actions none", "config tasks=3 actions=none\n\nstep Clone(1)\n", 3, "Clone(1) needs actions=threads"},
	{"directive comment", hdr + "step Fork(1) # the first fork\n", 4, "a '#' comment after a directive at column 14"},
	{"directive comment after @", hdr + "tree @seed # x\n", 4, "a '#' comment after a directive"},
}

func parseAndConfig(name, text string) error {
	f, err := Parse(name, strings.NewReader(text))
	if err != nil {
		return err
	}
	_, err = f.ParseConfig()
	return err
}

func TestBadInputs(t *testing.T) {
	for _, c := range badInputs {
		err := parseAndConfig("bad.txt", c.text)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		var ie *InputError
		if !errors.As(err, &ie) || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %T %v, want an *InputError", c.name, err, err)
			continue
		}
		msg := err.Error()
		prefix := "bad.txt: "
		if c.line > 0 {
			prefix = "bad.txt:" + strconv.Itoa(c.line) + ": "
		}
		if ie.Line != c.line || !strings.HasPrefix(msg, prefix) {
			t.Errorf("%s: %q, want line %d", c.name, msg, c.line)
		}
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: %q, want it to contain %q", c.name, msg, c.want)
		}
		if strings.ContainsAny(msg, "\n\r") || len(msg) > 500 {
			t.Errorf("%s: message not one short line: %q", c.name, msg)
		}
	}
}

// TestTooLarge refuses a file over MaxFileSize without reading all of it.
func TestTooLarge(t *testing.T) {
	big := hdr + strings.Repeat("# padding\n", MaxFileSize/10+1)
	err := parseAndConfig("big.txt", big)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "larger than 16 MiB") {
		t.Errorf("got %v", err)
	}
}

// TestLineEndings accepts every golden file with CRLF line ends and with a
// byte order mark, and its expectations still hold.
func TestLineEndings(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*/*.txt")
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for variant, text := range map[string]string{
			"crlf":             strings.ReplaceAll(string(b), "\n", "\r\n"),
			"bom":              "\uFEFF" + string(b),
			"bom+crlf":         "\uFEFF" + strings.ReplaceAll(string(b), "\n", "\r\n"),
			"no final newline": strings.TrimRight(string(b), "\n"),
		} {
			f, err := Parse(path, strings.NewReader(text))
			if err != nil {
				t.Fatalf("%s %s: %v", path, variant, err)
			}
			cfg, err := f.ParseConfig()
			if err != nil {
				t.Fatalf("%s %s: %v", path, variant, err)
			}
			for _, rev := range cfg.Revisions {
				res, err := f.Run(cfg, rev)
				if err != nil {
					t.Fatalf("%s %s %s: %v", path, variant, rev, err)
				}
				for _, fail := range res.Failures {
					t.Errorf("%s %s: %s", path, variant, fail)
				}
			}
		}
	}
}

// TestFormatRoundTrip: every golden file is exactly what Format writes back
// from its own expectations (so --rewrite of a passing file is a no-op).
func TestFormatRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*/*.txt")
	for _, path := range files {
		b, _ := os.ReadFile(path)
		f, err := ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Format(f.Merge(nil)); got != string(b) {
			t.Errorf("%s: Format does not give the file back", path)
		}
	}
}

// TestMergeKeepsOtherRevisions: rewriting from the first revision keeps the
// expectations of directives that only run under others.
func TestMergeKeepsOtherRevisions(t *testing.T) {
	text := "config tasks=3 revisions=seed,v3\n\nrun\nFork(1)\n\ncaba 2 @v3\n----\ncaba(2)=1\n\ncaba 2\n----\nwrong\n"
	f, err := Parse("m.txt", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.ParseConfig()
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.Run(cfg, cfg.Revisions[0])
	if err != nil {
		t.Fatal(err)
	}
	got := f.Format(f.Merge([]*Result{res}))
	want := strings.Replace(text, "wrong", "caba(2)=1", 1)
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestWellFormedFailures: a well-formed scenario that fails is not
// ErrMalformed: a mismatch is a Failure, a step not enabled ErrNotEnabled.
func TestWellFormedFailures(t *testing.T) {
	run := func(text string) (*Result, error) {
		f, err := Parse("w.txt", strings.NewReader(text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		cfg, err := f.ParseConfig()
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		return f.Run(cfg, cfg.Revisions[0])
	}
	_, err := run(hdr + "step Release(2)\n----\n")
	if !errors.Is(err, ErrNotEnabled) || errors.Is(err, ErrMalformed) || !strings.HasPrefix(err.Error(), "w.txt:4: step Release(2) is not enabled") {
		t.Errorf("not enabled: %v", err)
	}
	_, err = run(hdr + "run\nFork(1)\nRelease(3)\n")
	if !errors.Is(err, ErrNotEnabled) || !strings.HasPrefix(err.Error(), "w.txt:6: ") {
		t.Errorf("not enabled in run: %v", err)
	}
	for _, text := range []string{
		hdr + "disabled Fork(1)\n----\nFork(1) is disabled\n",
		hdr + "step Fork(1)\n----\n" + strings.Repeat("long ", 1<<16) + "\n",
		hdr + "tree\n----\n\u00e9t\u00e9\n",
	} {
		res, err := run(text)
		if err != nil {
			t.Errorf("%.60q: %v, want one failure", text, err)
		} else if len(res.Failures) != 1 {
			t.Errorf("%.60q: failures %v, want one", text, res.Failures)
		}
	}
}

// TestFormatKeepsInputComments: --rewrite keeps the comments inside a run
// block and after the last directive.
func TestFormatKeepsInputComments(t *testing.T) {
	text := "config tasks=3 revisions=seed actions=none\n\nrun\n# the first fork\nFork(1)  # parent 1\nFork(2)\n----\nstale\n\ndisabled Clone(1)\n----\nClone(1) is disabled\n\n# the end\n"
	f, err := Parse("k.txt", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.ParseConfig()
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.Run(cfg, cfg.Revisions[0])
	if err != nil {
		t.Fatal(err)
	}
	got := f.Format(f.Merge([]*Result{res}))
	want := strings.Replace(text, "stale", res.Outputs[1], 1)
	if got != want || len(res.Failures) != 1 {
		t.Errorf("got\n%s\nwant\n%s\nfailures %v", got, want, res.Failures)
	}
}
