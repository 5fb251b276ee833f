package scenario

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected outputs of testdata/scenarios")

// TestGolden runs every scenario file under each of its revisions and
// compares every directive's output with the expectation in the file.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("../testdata/scenarios/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := f.ParseConfig()
			if err != nil {
				t.Fatal(err)
			}
			var results []*Result
			for _, rev := range cfg.Revisions {
				res, err := f.Run(cfg, rev)
				if err != nil {
					t.Fatal(err)
				}
				results = append(results, res)
				if *rewrite {
					continue
				}
				for _, fail := range res.Failures {
					t.Error(fail)
				}
			}
			if *rewrite {
				if err := os.WriteFile(path, []byte(f.Format(f.Merge(results))), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{
		"step Fork(1)\n----\n",                // no config
		"config tasks=x\n----\n",              // bad number
		"config tasks=3 revisions=v9\n----\n", // bad revision
		"config tasks=3 actions=warp\n----\n", // bad action
		"config tasks=99\n----\n",             // bound
		"config tasks=3 color=red\n----\n",    // unknown key
	} {
		f, err := Parse("bad", strings.NewReader(bad))
		if err == nil {
			_, err = f.ParseConfig()
		}
		if err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestStepNotEnabled(t *testing.T) {
	f, err := Parse("x", strings.NewReader("config tasks=3 revisions=seed\n----\n\nstep ExitBegin(1)\n----\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := f.ParseConfig()
	_, err = f.Run(cfg, cfg.Revisions[0])
	if err == nil || !strings.Contains(err.Error(), "ExitBegin(1) is not enabled") {
		t.Errorf("got %v, want a not-enabled error", err)
	}
}

func TestMismatchReported(t *testing.T) {
	f, err := Parse("x", strings.NewReader("config tasks=3 revisions=seed\n----\n\nrun\nFork(1)\n\ncaba 2\n----\ncaba(2)=0\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := f.ParseConfig()
	res, err := f.Run(cfg, cfg.Revisions[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 1 {
		t.Errorf("failures = %v, want one mismatch", res.Failures)
	}
}
