package badgerstore_test

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
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
		before := dirSums(t, d)
		s, err := badgerstore.Open(badgerstore.Options{Dir: d, Identity: m.Name(), Resume: true})
		if err == nil {
			_, err = explorer.Run(m, explorer.Config{Workers: 1, Store: s, Resume: true})
			s.Close()
		}
		switch {
		case err == nil:
			t.Errorf("%s: the damaged store was reused without an error", name)
		case !errors.Is(err, badgerstore.ErrDamaged):
			t.Errorf("%s: %v, not reported as damage", name, err)
		default:
			t.Logf("%s: %v", name, err)
		}
		if after := dirSums(t, d); !maps.Equal(before, after) {
			t.Errorf("%s: the refused store changed: %v, then %v", name, before, after)
		}
	}
}

// dirSums is the checksum of every file in dir.
func dirSums(t testing.TB, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sums[e.Name()] = fmt.Sprintf("%d:%08x", len(b), crc32.ChecksumIEEE(b))
	}
	return sums
}

// A store that a live process holds is refused at once, naming it.
func TestLiveLock(t *testing.T) {
	dir := t.TempDir()
	m := linuxModel(3, linux.V4)
	st := open(t, dir, m.Name(), false, 0)
	defer st.Close()
	if _, err := explorer.Run(m, explorer.Config{Workers: 1, Store: st, MaxDepth: 3}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := badgerstore.Open(badgerstore.Options{Dir: dir, Identity: m.Name(), Resume: true})
	if err == nil || !strings.Contains(err.Error(), "in use by this process") {
		t.Errorf("a store held by this process: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refused after %v: a live holder is not waited for", d)
	}
}

// diskMem is a memory store that reports the disk space of a store that
// takes 40 bytes a state on a file system of `size` bytes.
type diskMem struct {
	*explorer.MemStore
	size uint64
}

func (d *diskMem) DiskUsage() (explorer.DiskUsage, error) {
	used := d.Len() * 40
	return explorer.DiskUsage{Used: used, Free: d.size - min(used, d.size)}, nil
}

// The disk budget: without MaxDisk the search stops before the file system
// has less than the reserve free, with it before the store passes MaxDisk.
func TestDiskBudget(t *testing.T) {
	m := killModel()
	for _, c := range []struct {
		size, maxDisk uint64
	}{
		{explorer.DefaultDiskReserve + 40<<20, 0},
		{1 << 40, 30 << 20},
	} {
		st := &diskMem{MemStore: explorer.NewMemStore(1 << 16), size: c.size}
		s, err := explorer.Run(m, explorer.Config{Workers: 2, Store: st, MaxDisk: c.maxDisk})
		if err != nil {
			t.Fatal(err)
		}
		r := s.Result
		used := r.Distinct * 40
		if r.Budget != "max-disk" || r.StopReason != "budget max-disk" || r.Complete {
			t.Errorf("size %d, max-disk %d: stopped by %q (%q), complete %v", c.size, c.maxDisk, r.Budget, r.StopReason, r.Complete)
		}
		if c.maxDisk > 0 && used > c.maxDisk || c.maxDisk == 0 && c.size-used < explorer.DefaultDiskReserve {
			t.Errorf("size %d, max-disk %d: %d states (%d bytes) were let through", c.size, c.maxDisk, r.Distinct, used)
		}
		if used < 4<<20 {
			t.Errorf("size %d, max-disk %d: stopped at %d states already", c.size, c.maxDisk, r.Distinct)
		}
	}

	// A Badger store stopped by MaxDisk resumes to the counts of an
	// uninterrupted search.
	tm, _ := toy.New(7)
	ref, err := explorer.Run(tm, explorer.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st := open(t, dir, tm.Name(), false, 0)
	part, err := explorer.Run(tm, explorer.Config{Workers: 2, Store: st, MaxDisk: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if part.Result.Budget != "max-disk" || part.Result.Depth < 3 {
		t.Fatalf("max-disk 16MiB: stopped by %q at depth %d", part.Result.Budget, part.Result.Depth)
	}
	st = open(t, dir, tm.Name(), true, 0)
	defer st.Close()
	s, err := explorer.Run(tm, explorer.Config{Workers: 2, Store: st, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	r, want := s.Result, ref.Result
	if r.Distinct != want.Distinct || r.Generated != want.Generated || r.Depth != want.Depth || !r.Complete {
		t.Errorf("stopped at depth %d by the disk budget and resumed: %d/%d/%d, uninterrupted %d/%d/%d", part.Result.Depth,
			r.Distinct, r.Generated, r.Depth, want.Distinct, want.Generated, want.Depth)
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
	t.Logf("killed %v after level %d was committed", delay, killedAfter)
	if killedAfter < 0 {
		cmd.Wait()
		t.Fatalf("the child finished or died before level %d", at)
	}
	// Resumed at once, before the child is reaped: its lock may still be
	// held for a moment while it is torn down, and Open waits for it.
	m := killModel()
	t0 := time.Now()
	st := open(t, dir, m.Name(), true, 0)
	t.Logf("opened %v after the kill", time.Since(t0))
	cmd.Wait()
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
