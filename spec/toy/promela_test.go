package toy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"cabacheck/explorer"
	"cabacheck/spec/toy"
)

// SPIN explores the Promela twin to the same state space: one state more
// (its all-Free vector before slot 0 starts) and one level deeper, and no
// assertion (ParentNotFree) fails.
func TestPromelaTwinMatchesSPIN(t *testing.T) {
	if _, err := exec.LookPath("spin"); err != nil {
		t.Skip("spin is not installed (apt-get install spin)")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc")
	}
	for _, maxp := range []int{4, 5, 6} {
		m, err := toy.New(maxp)
		if err != nil {
			t.Fatal(err)
		}
		s, err := explorer.Run(m, explorer.Config{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "toy.pml"), []byte(toy.Promela(maxp)), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, c := range [][]string{{"spin", "-a", "toy.pml"}, {"gcc", "-O1", "-DBFS", "-DSAFETY", "-DNOREDUCE", "-o", "pan", "pan.c"}, {"./pan"}} {
			cmd := exec.Command(c[0], c[1:]...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("MAXP=%d: %v: %v\n%s", maxp, c, err, out)
			}
			if c[0] != "./pan" {
				continue
			}
			num := func(re string) int {
				m := regexp.MustCompile(re).FindSubmatch(out)
				if m == nil {
					t.Fatalf("MAXP=%d: pan printed no %q:\n%s", maxp, re, out)
				}
				n, _ := strconv.Atoi(string(m[1]))
				return n
			}
			if got, want := num(`(\d+) states, stored`), int(s.Result.Distinct)+1; got != want {
				t.Errorf("MAXP=%d: SPIN stored %d states, want %d (the model's and SPIN's pre-initial one)", maxp, got, want)
			}
			if got, want := num(`depth reached (\d+)`), s.Result.Depth+1; got != want {
				t.Errorf("MAXP=%d: SPIN depth %d, want %d", maxp, got, want)
			}
			if num(`errors: (\d+)`) != 0 {
				t.Errorf("MAXP=%d: SPIN found an assertion violation:\n%s", maxp, out)
			}
		}
	}
}
