package badgerstore_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"cabacheck/explorer"
	"cabacheck/explorer/badgerstore"
	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/spec/toy"
)

func open(t testing.TB, dir, identity string, resume bool, budget uint64) *badgerstore.Store {
	t.Helper()
	s, err := badgerstore.Open(badgerstore.Options{Dir: dir, Identity: identity, Resume: resume, MemBudget: budget})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func records(t testing.TB, s *explorer.Search) []explorer.Record {
	t.Helper()
	var rs []explorer.Record
	for i := uint32(0); uint64(i) < s.Result.Distinct; i++ {
		r, err := s.Record(i)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	return rs
}

func linuxModel(tasks int, rev linux.Revision) *linux.Model {
	return linux.MustNew(linux.Options{Tasks: tasks, Revision: rev, Actions: linux.DefaultActions})
}

func symmetric(tasks int, rev linux.Revision) spec.Model {
	m, _ := linux.NewSymmetric(linux.Options{Tasks: tasks, Revision: rev, Actions: linux.AllActions})
	return m
}

func linuxChecker(tasks int) spec.Checker {
	invs, _ := invariants.Select("all", linux.Seed)
	return invariants.NewChecker(tasks, invs)
}

func same(t *testing.T, what string, a, b *explorer.Search) {
	t.Helper()
	ra, rb := a.Result, b.Result
	if ra.Distinct != rb.Distinct || ra.Generated != rb.Generated || ra.Depth != rb.Depth || ra.Complete != rb.Complete {
		t.Errorf("%s: %d/%d/%d complete %v, memory store %d/%d/%d complete %v", what,
			rb.Distinct, rb.Generated, rb.Depth, rb.Complete, ra.Distinct, ra.Generated, ra.Depth, ra.Complete)
	}
	if !slices.Equal(ra.Violations, rb.Violations) {
		t.Errorf("%s: violations %v, memory store %v", what, rb.Violations, ra.Violations)
	}
	if !slices.Equal(records(t, a), records(t, b)) {
		t.Errorf("%s: parent records differ from the memory store's", what)
	}
}

// The Badger store, with an exact filter or a Bloom filter, finds exactly
// what the memory store finds, for any worker count.
func TestSameAsMemory(t *testing.T) {
	tm, _ := toy.New(6)
	cases := []struct {
		m  spec.Model
		ch spec.Checker
	}{
		{tm, toy.Checker{}},
		{linuxModel(4, linux.V3), linuxChecker(4)},
		{symmetric(3, linux.V4), linuxChecker(3)},
	}
	for _, c := range cases {
		ref, err := explorer.Run(c.m, explorer.Config{Workers: 2, Checker: c.ch, Continue: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, budget := range []uint64{0, 1} {
			for _, w := range []int{1, 2, 4} {
				st := open(t, t.TempDir(), c.m.Name(), false, budget)
				s, err := explorer.Run(c.m, explorer.Config{Workers: w, Checker: c.ch, Continue: true, Store: st})
				if err != nil {
					t.Fatal(err)
				}
				same(t, fmt.Sprintf("%s budget %d workers %d", c.m.Name(), budget, w), ref, s)
				st.Close()
			}
		}
	}
}

// The collision estimate from the Badger store's fingerprints (in memory,
// then from disk past the budget) equals the memory store's.
func TestCollisionEstimate(t *testing.T) {
	m := linuxModel(4, linux.V3)
	ref, err := explorer.Run(m, explorer.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if ref.Result.CollisionActual == 0 {
		t.Fatal("no estimate from the memory store")
	}
	for _, budget := range []uint64{0, 1} {
		st := open(t, t.TempDir(), m.Name(), false, budget)
		s, err := explorer.Run(m, explorer.Config{Workers: 3, Store: st})
		if err != nil {
			t.Fatal(err)
		}
		if s.Result.CollisionActual != ref.Result.CollisionActual {
			t.Errorf("budget %d: estimate %g, memory store %g", budget, s.Result.CollisionActual, ref.Result.CollisionActual)
		}
		st.Close()
	}
}

// A search stopped after some levels and resumed ends with the counts of an
// uninterrupted one.
func TestResume(t *testing.T) {
	m := linuxModel(4, linux.Seed)
	ref, err := explorer.Run(m, explorer.Config{Workers: 2, Checker: linuxChecker(4), Continue: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, budget := range []uint64{0, 1} {
		dir := t.TempDir()
		st := open(t, dir, m.Name(), false, budget)
		part, err := explorer.Run(m, explorer.Config{Workers: 2, Checker: linuxChecker(4), Continue: true, Store: st, MaxDepth: 5})
		if err != nil {
			t.Fatal(err)
		}
		if part.Result.Complete {
			t.Fatal("the partial run completed")
		}
		st.Close()
		st = open(t, dir, m.Name(), true, budget)
		s, err := explorer.Run(m, explorer.Config{Workers: 3, Checker: linuxChecker(4), Continue: true, Store: st, Resume: true})
		if err != nil {
			t.Fatal(err)
		}
		same(t, fmt.Sprintf("resumed, budget %d", budget), ref, s)
		st.Close()
	}
}

func TestRefusals(t *testing.T) {
	m := linuxModel(3, linux.V4)
	dir := t.TempDir()
	st := open(t, dir, m.Name(), false, 0)
	if _, err := explorer.Run(m, explorer.Config{Workers: 1, Store: st}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	other := linuxModel(3, linux.V3).Name()
	if _, err := badgerstore.Open(badgerstore.Options{Dir: dir, Identity: other, Resume: true}); err == nil || !strings.Contains(err.Error(), "made for") {
		t.Errorf("a store for another model was not refused: %v", err)
	}
	if _, err := badgerstore.Open(badgerstore.Options{Dir: dir, Identity: m.Name()}); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("a fresh run over an existing store was not refused: %v", err)
	}
	if _, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir(), Identity: m.Name(), Resume: true}); err == nil {
		t.Error("resuming an empty directory was accepted")
	}

	// Damage: each of these must be reported, never silently reused.
	damages := map[string]func(dir string){
		"MANIFEST overwritten": func(dir string) {
			os.WriteFile(filepath.Join(dir, "MANIFEST"), []byte("not a manifest, not at all"), 0o644)
		},
		"table files deleted": func(dir string) {
			files, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
			for _, f := range files {
				os.Remove(f)
			}
		},
	}
	for name, damage := range damages {
		d := t.TempDir()
		st := open(t, d, m.Name(), false, 0)
		if _, err := explorer.Run(m, explorer.Config{Workers: 1, Store: st}); err != nil {
			t.Fatal(err)
		}
		st.Close()
		damage(d)
		s, err := badgerstore.Open(badgerstore.Options{Dir: d, Identity: m.Name(), Resume: true})
		if err == nil {
			_, err = explorer.Run(m, explorer.Config{Workers: 1, Store: s, Resume: true})
			s.Close()
		}
		if err == nil {
			t.Errorf("%s: the damaged store was reused without an error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

const killChildEnv = "CABACHECK_KILL_CHILD_DIR"

// killModel is big enough (3.9M states, 31 levels) that the child is killed
// in the middle of a level or of a commit.
func killModel() spec.Model {
	m, _ := toy.New(8)
	return m
}

// TestKillChild is the child of TestKill: it runs a Badger-backed search and
// prints each committed level.
func TestKillChild(t *testing.T) {
	dir := os.Getenv(killChildEnv)
	if dir == "" {
		t.Skip("run by TestKill")
	}
	m := killModel()
	st := open(t, dir, m.Name(), false, 0)
	explorer.Run(m, explorer.Config{Workers: 2, Store: st, Level: func(ls explorer.LevelStats) {
		fmt.Printf("level %d\n", ls.Level)
	}})
}

// A search killed with SIGKILL in the middle of a level resumes from the
// last completed level and ends with the counts of an uninterrupted search.
func TestKill(t *testing.T) {
	if testing.Short() {
		t.Skip("explores 4M states twice")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestKillChild$", "-test.v")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	killedAfter := -1
	// A different moment each run: after a level from 8 to 20, 0-79 ms into the next.
	at, delay := 8+rand.IntN(13), time.Duration(rand.IntN(80))*time.Millisecond
	for sc.Scan() {
		if l, ok := strings.CutPrefix(sc.Text(), "level "); ok {
			if n, _ := strconv.Atoi(l); n >= at {
				killedAfter = n
				time.Sleep(delay)
				cmd.Process.Kill()
				break
			}
		}
	}
	cmd.Wait()
	t.Logf("killed %v after level %d was committed", delay, killedAfter)
	if killedAfter < 0 {
		t.Fatalf("the child finished or died before level %d", at)
	}
	m := killModel()
	st := open(t, dir, m.Name(), true, 0)
	defer st.Close()
	s, err := explorer.Run(m, explorer.Config{Workers: 2, Store: st, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := explorer.Run(m, explorer.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	r, want := s.Result, ref.Result
	if r.Distinct != want.Distinct || r.Generated != want.Generated || r.Depth != want.Depth || !r.Complete {
		t.Errorf("killed after level %d and resumed: %d distinct, %d generated, depth %d; uninterrupted: %d, %d, %d",
			killedAfter, r.Distinct, r.Generated, r.Depth, want.Distinct, want.Generated, want.Depth)
	}
}
