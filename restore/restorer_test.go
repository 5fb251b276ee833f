package restore

import (
	"errors"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// The generated program for the selftest's tree: C that compiles cleanly,
// with every step of the plan and every task of the image in it.
func TestRestorerSource(t *testing.T) {
	o, plan, src := selftestRestorer(t)
	text := string(src)
	for _, st := range plan.Steps {
		if !strings.Contains(text, `"`+st.Syscall()+`"`) {
			t.Errorf("step %q missing from the program", st.Syscall())
		}
	}
	for _, tid := range o.TIDs() {
		x := o.T[tid]
		if !strings.Contains(text, strings.Join([]string{"{ ", itoa(tid), ", ", itoa(x.Tgid), ", ", itoa(x.PPid), ", "}, "")) {
			t.Errorf("task %d missing from the image table", tid)
		}
	}
	if _, err := Restorer("empty", &o, &Plan{Planner: "caba"}, true); err == nil {
		t.Error("an empty plan was accepted")
	}
	compile(t, src)
}

func itoa(v uint8) string { return strconv.Itoa(int(v)) }

// selftestRestorer is the CABA planner's restorer of the selftest's tree
// under v3: the dump, the plan and the program.
func selftestRestorer(t *testing.T) (Obs, *Plan, []byte) {
	t.Helper()
	s := build(t, linux.V3, 7, Selftest...)
	o := Observe(linux.V3, &s)
	plan, r := CABA(linux.V3).Plan(&o)
	if r != nil {
		t.Fatal(r)
	}
	src, err := Restorer("selftest", &o, plan, true)
	if err != nil {
		t.Fatal(err)
	}
	return o, plan, src
}

// compile builds src with gcc -static -Wall -Werror and returns the binary.
func compile(t *testing.T, src []byte) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	dir := t.TempDir()
	c := filepath.Join(dir, "restore.c")
	if err := os.WriteFile(c, src, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "restore")
	if out, err := exec.Command(gcc, "-O1", "-static", "-Wall", "-Wextra", "-Werror", "-o", bin, c).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// run executes a restorer; it skips the test where the host cannot (not
// root, no clone3 set_tid) and returns the TAP output and whether it passed.
func run(t *testing.T, bin string) (string, bool) {
	t.Helper()
	out, err := exec.Command(bin).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), true
	case errors.As(err, &ee) && ee.ExitCode() == 4:
		t.Skipf("the restorer skipped: %s", strings.TrimSpace(string(out)))
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return string(out), false
	}
	t.Fatalf("restorer: %v\n%s", err, out)
	return "", false
}

// The selftest's tree restored on the host kernel by the CABA planner's
// plan: every syscall returns as planned and /proc equals the image.
func TestRestorerSelftestOnHost(t *testing.T) {
	o, plan, src := selftestRestorer(t)
	out, ok := run(t, compile(t, src))
	if !ok || strings.Count(out, "\nok ") != len(o.TIDs())+1 {
		t.Fatalf("not restored:\n%s", out)
	}
	// A wrong image is seen: the program must fail when the image says 5's
	// session is 4.
	bad := o
	bad.T[5].Sid = 4
	src, err := Restorer("selftest-wrong", &bad, plan, true)
	if err != nil {
		t.Fatal(err)
	}
	out, ok = run(t, compile(t, src))
	if ok || !strings.Contains(out, "not ok") || !strings.Contains(out, "task 5: sid 2, want 4") {
		t.Fatalf("a wrong image passed:\n%s", out)
	}
}

// Restores of random walks on the real kernel: states reached by seeded
// random walks of the model (default actions and sessions, 5 tasks) that
// are dumpable and that the CABA planner restores in the model are restored
// by the generated program on the host, and /proc equals the dump. The
// kernel, not the model, checks the plans here. CABACHECK_LONG=1 runs more.
func TestRestorerRandomWalksOnHost(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc")
	}
	walks := 6
	if os.Getenv("CABACHECK_LONG") != "" {
		walks = 60
	}
	rev := linux.V4
	m := linux.MustNew(linux.Options{Tasks: 5, Revision: rev, Actions: linux.DefaultActions | linux.Sessions})
	rng := rand.New(rand.NewSource(1))
	g := m.NewGenerator()
	restored, threads := 0, 0
	for attempt := 0; restored < walks && attempt < 50*walks; attempt++ {
		cur := m.InitialStates()[0]
		depth := 4 + rng.Intn(14)
		for d := 0; d < depth; d++ {
			var next [][]byte
			g.Successors(cur, func(_ spec.Action, b []byte) { next = append(next, append([]byte(nil), b...)) })
			if len(next) == 0 {
				break
			}
			cur = next[rng.Intn(len(next))]
		}
		var s state.State
		s.Decode(cur, 5)
		v := Restore(rev, &s, CABA(rev), false)
		if !v.Dumpable() || !v.CabaRestored() || len(v.Result.Plan.Steps) == 0 {
			continue // not dumpable, not restorable in the model, or init alone
		}
		o := Observe(rev, &s)
		src, err := Restorer("walk", &o, v.Result.Plan, true)
		if err != nil {
			t.Fatal(err)
		}
		out, ok := run(t, compile(t, src))
		if !ok {
			t.Fatalf("the kernel did not restore a state the model restores:\n%s\nplan:\n%s\n%s", o.String(), v.Result.Plan.String(), out)
		}
		for _, st := range v.Result.Plan.Steps {
			if st.Op == OpThread {
				threads++
				break
			}
		}
		restored++
	}
	if restored < walks {
		t.Fatalf("only %d of %d walks gave a restorable state", restored, walks)
	}
	t.Logf("%d states restored on the host kernel, %d of them with threads", restored, threads)
}
