package scenario

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse, ParseConfig and Run (every
// revision of the config) and asserts that nothing panics and that:
//   - a refusal by Parse or ParseConfig is an *InputError with a one-line
//     message starting with the file name;
//   - once ParseConfig accepts, Run never reports malformed input (only a
//     step that is not enabled, or mismatches);
//   - Format gives back a file that parses to the same directives, and the
//     file --rewrite would write passes under the revision it came from.
//
// Seeds: the golden scenarios and concern scenarios in testdata, and the
// bad inputs of TestBadInputs; crashers found so far are in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"../testdata/scenarios/*.txt", "../testdata/concerns/*.txt"} {
		files, err := filepath.Glob(glob)
		if err != nil || len(files) == 0 {
			f.Fatalf("no seed files %s: %v", glob, err)
		}
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	for _, c := range badInputs {
		if len(c.text) < 4096 {
			f.Add([]byte(c.text))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.txt", bytes.NewReader(data))
		if err != nil {
			wantInputError(t, "Parse", err)
			return
		}
		// Format round trip.
		again, err := Parse("fuzz.txt", strings.NewReader(file.Format(file.Merge(nil))))
		if err != nil {
			t.Fatalf("Format output does not parse: %v", err)
		}
		if !sameDirectives(file, again) {
			t.Fatalf("Format round trip changed the directives:\n%s", file.Format(file.Merge(nil)))
		}
		cfg, err := file.ParseConfig()
		if err != nil {
			wantInputError(t, "ParseConfig", err)
			return
		}
		var results []*Result
		for _, rev := range cfg.Revisions {
			res, err := file.Run(cfg, rev)
			if err != nil {
				if !errors.Is(err, ErrNotEnabled) || errors.Is(err, ErrMalformed) {
					t.Fatalf("Run %s after ParseConfig accepted: %v", rev, err)
				}
				oneLine(t, "Run", err)
				continue
			}
			if len(res.Outputs) != len(file.Directives) || res.Trace == nil {
				t.Fatalf("Run %s: %d outputs for %d directives, trace %v", rev, len(res.Outputs), len(file.Directives), res.Trace != nil)
			}
			results = append(results, res)
		}
		if len(results) == 0 {
			return
		}
		// What --rewrite writes parses, and passes under its first revision.
		rewritten := file.Format(file.Merge(results))
		rf, err := Parse("fuzz.txt", strings.NewReader(rewritten))
		if err != nil {
			t.Fatalf("rewritten file does not parse: %v\n%s", err, rewritten)
		}
		rcfg, err := rf.ParseConfig()
		if err != nil {
			t.Fatalf("rewritten file: %v", err)
		}
		res, err := rf.Run(rcfg, results[0].Revision)
		if err != nil {
			t.Fatalf("rewritten file under %s: %v", results[0].Revision, err)
		}
		if len(res.Failures) > 0 {
			t.Fatalf("rewritten file fails under %s: %s", results[0].Revision, res.Failures[0])
		}
	})
}

func wantInputError(t *testing.T, what string, err error) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) || !errors.Is(err, ErrMalformed) {
		t.Fatalf("%s: %T %v, want an *InputError", what, err, err)
	}
	if !strings.HasPrefix(err.Error(), "fuzz.txt:") {
		t.Fatalf("%s: %q does not name the file", what, err)
	}
	oneLine(t, what, err)
}

func oneLine(t *testing.T, what string, err error) {
	t.Helper()
	if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || len(msg) > 600 {
		t.Fatalf("%s: message is not one short line: %q", what, msg)
	}
}

// sameDirectives compares two parses, ignoring line numbers.
func sameDirectives(a, b *File) bool {
	if len(a.Directives) != len(b.Directives) || !reflect.DeepEqual(a.Trailing, b.Trailing) {
		return false
	}
	for i, x := range a.Directives {
		y := b.Directives[i]
		if x.Cmd != y.Cmd || !reflect.DeepEqual(x.Args, y.Args) || !reflect.DeepEqual(x.Input, y.Input) ||
			x.Expected != y.Expected || x.HasExpect != y.HasExpect || !reflect.DeepEqual(x.Only, y.Only) ||
			!reflect.DeepEqual(x.Comments, y.Comments) {
			return false
		}
	}
	return true
}
