package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// reproduce --cex all writes one program per stored counterexample (kernel/cex)
// plus the Makefile, the fallback kselftest header and the selftest config,
// and says the step each one violates at.
func TestReproduceStoredCounterexamples(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"reproduce", "--cex", "all", "--out", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{
		filepath.Join(dir, "caba_repro_v3_NoDanglingCaba.c") + ": 4 steps (Fork(1) Clone(2) Clone(3) Exit(3)), NoDanglingCaba violated at step 4 under v3; expected states of v3, ",
		filepath.Join(dir, "caba_repro_seed_NoDanglingCaba.c") + ": 9 steps",
		"a KASAN kernel reports: BUG: KASAN: use-after-free in release_task",
		"build: make -C " + dir,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, f := range []string{"Makefile", "kselftest_compat.h", "config", "caba_repro_v4_NoDanglingCaba.c", "caba_repro_seed_NoUseAfterFree.c", "caba_repro_v3_NoUseAfterFree.c"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// A JSON list of traces (check --trace-out with --continue) gives one program
// per trace; names that collide get a suffix.
func TestReproduceTraceList(t *testing.T) {
	dir := t.TempDir()
	one := checkTrace(t, dir, "v3", "ThreadsAgreeOnCaba")
	body := strings.TrimSpace(string(one))
	body = strings.TrimSuffix(strings.TrimPrefix(body, "["), "]")
	list := filepath.Join(dir, "two.json")
	if err := os.WriteFile(list, []byte("["+body+","+body+"]"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"reproduce", "--trace", list, "--out", dir, "--revisions", "fixed"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"caba_repro_v3_ThreadsAgreeOnCaba.c: 2 steps (Fork(1) Clone(2)), ThreadsAgreeOnCaba violated at step 2 under v3; expected states of v3, fixed\n",
		"caba_repro_v3_ThreadsAgreeOnCaba_2.c: 2 steps"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestReproduceBadInput(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "g.json")
	if err := os.WriteFile(garbage, []byte("{\"model\": 3"), 0o644); err != nil {
		t.Fatal(err)
	}
	trace := filepath.Join(dir, "t.json")
	if err := os.WriteFile(trace, checkTrace(t, dir, "v4", "ThreadsAgreeOnCaba"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"want --out":          {"reproduce", "--trace", trace},
		"one of them":         {"reproduce", "--out", dir},
		"(one of them)":       {"reproduce", "--out", dir, "--trace", trace, "--cex", "v3"},
		"no such file":        {"reproduce", "--out", dir, "--trace", filepath.Join(dir, "none.json")},
		"g.json":              {"reproduce", "--out", dir, "--trace", garbage},
		"unknown revision":    {"reproduce", "--out", dir, "--cex", "v9"},
		"--revisions":         {"reproduce", "--out", dir, "--trace", trace, "--revisions", "nope"},
		"no stored":           {"reproduce", "--out", dir, "--cex", "fixed"},
		"traces, want one":    {"reproduce", "--out", dir, "--cex", "all", "--name", "x"},
		"unexpected argument": {"reproduce", "--out", dir, "--trace", trace, "extra"},
	}
	for want, args := range cases {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		msg := errb.String()
		if code != 2 || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "cabacheck reproduce: ") || !strings.Contains(msg, want) {
			t.Errorf("%q: exit %d, stderr %q (want exit 2 and one line with %q)", args, code, msg, want)
		}
	}
}

// checkTrace is the JSON that check --trace-out writes for the shortest
// counterexample of inv under rev at 4 tasks.
func checkTrace(t *testing.T, dir, rev, inv string) []byte {
	t.Helper()
	f := filepath.Join(dir, rev+inv+".json")
	var out, errb bytes.Buffer
	if code := run([]string{"check", "--tasks", "4", "--revision", rev, "--invariants", inv, "--trace-out", f}, &out, &errb); code != 1 {
		t.Fatalf("check: exit %d: %s", code, errb.String())
	}
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
