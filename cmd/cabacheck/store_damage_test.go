package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"cabacheck/check"
	"cabacheck/explorer"
	"cabacheck/spec/toy"
)

// The store's reliability from the command line: damaged stores, refusals
// that name what is wrong, a full disk, signals and kill -9 with resume,
// and temporary stores left behind. Every refusal is exit 2 with one line
// on stderr, and leaves the store's directory byte for byte as it was.
//
// CABACHECK_STORE_SWEEP=N makes the long sweeps: every damage of the
// killed store resumed to the end, and N signal rounds of each kind on the
// larger toy model (MAXP=8) instead of one on MAXP=7.

const sweepEnv = "CABACHECK_STORE_SWEEP"

func sweepRounds() int {
	n, _ := strconv.Atoi(os.Getenv(sweepEnv))
	return n
}

// cli runs cabacheck in this process.
func cli(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// counts are what a search found, from check --json.
type counts struct {
	Distinct, Generated uint64
	Depth               int
	Complete            bool
	StopReason, Budget  string
}

func countsOf(t *testing.T, stdout string) counts {
	t.Helper()
	var rep check.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, stdout)
	}
	return counts{rep.DistinctStates, rep.StatesGen, rep.Depth, rep.Complete, rep.StopReason, rep.Budget}
}

func (c counts) same(o counts) bool {
	return c.Distinct == o.Distinct && c.Generated == o.Generated && c.Depth == o.Depth && c.Complete == o.Complete
}

// toyArgs checks the toy model of MAXP n, as JSON, without progress lines.
func toyArgs(n int, more ...string) []string {
	return append([]string{"check", "--model", "toy", "--tasks", strconv.Itoa(n), "--json", "--progress", "0"}, more...)
}

// reference is an uninterrupted search in memory.
func reference(t *testing.T, n int, more ...string) counts {
	t.Helper()
	code, out, errs := cli(toyArgs(n, more...)...)
	if code != exitOK {
		t.Fatalf("reference: exit %d %s", code, errs)
	}
	return countsOf(t, out)
}

// Files are compared by their data, read sparsely: Badger's logs are
// preallocated sparse files of up to 2GiB.
const (
	seekData = 3
	seekHole = 4
)

// dataRanges lists the data segments of f (all of it where the file
// system cannot tell).
func dataRanges(f *os.File, size int64) [][2]int64 {
	var rs [][2]int64
	for off := int64(0); off < size; {
		d, err := syscall.Seek(int(f.Fd()), off, seekData)
		if err != nil {
			if errors.Is(err, syscall.ENXIO) {
				break
			}
			return [][2]int64{{0, size}}
		}
		h, err := syscall.Seek(int(f.Fd()), d, seekHole)
		if err != nil {
			return [][2]int64{{0, size}}
		}
		rs = append(rs, [2]int64{d, h})
		off = h
	}
	return rs
}

// dirSums is the size and checksum of every file in dir.
func dirSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, e := range ents {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		h := sha256.New()
		for _, r := range dataRanges(f, st.Size()) {
			fmt.Fprintf(h, "@%d", r[0])
			if _, err := io.Copy(h, io.NewSectionReader(f, r[0], r[1]-r[0])); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
		sums[e.Name()] = fmt.Sprintf("%d:%x", st.Size(), h.Sum(nil)[:8])
	}
	return sums
}

// copyDir copies the files of src into dst (made), keeping holes.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		st, _ := in.Stat()
		out, err := os.OpenFile(filepath.Join(dst, e.Name()), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, st.Mode().Perm())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range dataRanges(in, st.Size()) {
			if _, err := io.Copy(io.NewOffsetWriter(out, r[0]), io.NewSectionReader(in, r[0], r[1]-r[0])); err != nil {
				t.Fatal(err)
			}
		}
		if err := out.Truncate(st.Size()); err != nil {
			t.Fatal(err)
		}
		in.Close()
		out.Close()
	}
}

// damages are what a hostile user does to one file of a store.
var damages = []string{"half", "4 bytes short", "empty", "scribble start", "scribble middle", "scribble end", "delete"}

func damageFile(t *testing.T, path, how string, rng *rand.Rand) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	size := st.Size()
	scribble := func(off, n int64) {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	switch how {
	case "half":
		err = os.Truncate(path, size/2)
	case "4 bytes short":
		err = os.Truncate(path, max(0, size-4))
	case "empty":
		err = os.Truncate(path, 0)
	case "scribble start":
		scribble(0, min(size, 4096))
	case "scribble middle":
		scribble(size/2, min(size-size/2, 4096))
	case "scribble end":
		scribble(size-min(size, 4096), min(size, 4096))
	case "delete":
		err = os.Remove(path)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// refused asserts a refusal: exit 2, one line on stderr, no trace.
func refused(t *testing.T, what string, code int, stderr string) bool {
	t.Helper()
	if code != exitUsage || strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "goroutine") {
		t.Errorf("%s: exit %d, stderr %q", what, code, stderr)
		return false
	}
	return true
}

// finishedStore makes a complete store of toy MAXP=n in dir.
func finishedStore(t *testing.T, dir string, n int) {
	t.Helper()
	if code, _, errs := cli(toyArgs(n, "--store", "badger", "--dir", dir)...); code != exitOK {
		t.Fatalf("making the store: exit %d %s", code, errs)
	}
}

// killedStore makes in dir the store of a run of toy MAXP=n killed after
// level: a copy of the store's files taken after that level was
// committed, while Badger has them open (memtable logs, preallocated
// logs, a stale LOCK), as kill -9 leaves them.
func killedStore(t *testing.T, dir string, n, level int) {
	t.Helper()
	m, err := toy.New(n)
	if err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(t.TempDir(), "live")
	copied := false
	_, err = check.Run(check.Request{Model: m, Checker: toy.Checker{}, Workers: 2, MaxDepth: level + 2,
		Store: check.Store{Disk: true, Dir: live},
		Level: func(ls explorer.LevelStats) {
			if ls.Level == level {
				copyDir(t, live, dir)
				copied = true
			}
		}})
	if err != nil || !copied {
		t.Fatalf("making the killed store: %v (copied %v)", err, copied)
	}
}

// Every damage to every file of a finished store is refused (exit 2, one
// line naming the file, the directory unchanged), except to the files that
// hold no data (DISCARD, LOCK): those stores resume to the right counts.
// The same damages to a store killed during a run are refused, or resumed
// to the counts of an uninterrupted search when they hit only what Badger
// repairs (a log past the checkpoint's part).
func TestStoreDamage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 6
	finished := filepath.Join(t.TempDir(), "finished")
	finishedStore(t, finished, n)
	full := reference(t, n)

	const kn, klevel, depth = 7, 12, 16
	killed := filepath.Join(t.TempDir(), "killed")
	killedStore(t, killed, kn, klevel)
	if !slices.ContainsFunc(slices.Collect(maps.Keys(dirSums(t, killed))), func(f string) bool { return strings.HasSuffix(f, ".mem") }) {
		t.Fatalf("the killed store has no memtable log: %v", dirSums(t, killed))
	}
	long := sweepRounds() > 0
	killedRef := reference(t, kn, "--max-depth", strconv.Itoa(depth))
	if long {
		killedRef = reference(t, kn)
	}

	type base struct {
		name, dir string
		tasks     int
		ref       counts
		resume    []string
	}
	bases := []base{
		{"finished", finished, n, full, nil},
		{"killed", killed, kn, killedRef, []string{"--max-depth", strconv.Itoa(depth)}},
	}
	if long {
		// Killed late in a larger search: its MANIFEST lists tables.
		late := filepath.Join(t.TempDir(), "late")
		killedStore(t, late, 8, 28)
		bases[1].resume = nil
		bases = append(bases, base{"killed late", late, 8, reference(t, 8), nil})
	}
	harmless := func(file string) bool { return file == "DISCARD" || file == "LOCK" }
	var refusedN, resumedN int
	for _, base := range bases {
		files := slices.Sorted(maps.Keys(dirSums(t, base.dir)))
		for _, file := range files {
			for _, how := range damages {
				what := fmt.Sprintf("%s store, %s %s", base.name, file, how)
				dir := filepath.Join(t.TempDir(), "s")
				copyDir(t, base.dir, dir)
				damageFile(t, filepath.Join(dir, file), how, rng)
				before := dirSums(t, dir)
				code, out, errs := cli(toyArgs(base.tasks, append([]string{"--store", "badger", "--dir", dir, "--resume"}, base.resume...)...)...)
				if code == exitUsage {
					refusedN++
					if refused(t, what, code, errs) {
						t.Logf("%s: %s", what, strings.TrimSpace(errs))
					}
					if !strings.Contains(errs, "damaged: "+file) {
						t.Errorf("%s: the message does not name %s: %q", what, file, errs)
					}
					if after := dirSums(t, dir); !maps.Equal(before, after) {
						t.Errorf("%s: the refused store changed:\n%v\n%v", what, before, after)
					}
					continue
				}
				resumedN++
				// A killed store's logs are preallocated past their data, and
				// its MANIFEST lists no table yet: damage past the
				// checkpoint's part is Badger's to repair.
				mayResume := harmless(file) || strings.HasPrefix(base.name, "killed") &&
					(strings.HasSuffix(file, ".mem") || strings.HasSuffix(file, ".vlog") || file == "MANIFEST") &&
					(how == "half" || how == "4 bytes short" || how == "scribble middle" || how == "scribble end")
				if !mayResume {
					t.Errorf("%s: resumed (exit %d) instead of refused: %s", what, code, errs)
					continue
				}
				if code != exitOK || !countsOf(t, out).same(base.ref) {
					t.Errorf("%s: resumed with exit %d, %+v; uninterrupted: %+v (%s)", what, code, countsOf(t, out), base.ref, errs)
				}
			}
		}
	}
	t.Logf("%d damaged stores: %d refused, %d resumed to the right counts", refusedN+resumedN, refusedN, resumedN)
}

// Refusals that are not damage say what is wrong, and change nothing.
func TestStoreRefusals(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store")
	finishedStore(t, store, 5)
	before := dirSums(t, store)
	aFile := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(aFile, []byte("x"), 0o644)
	junk := t.TempDir()
	os.WriteFile(filepath.Join(junk, "notes.txt"), []byte("mine"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{toyArgs(4, "--store", "badger", "--dir", store, "--resume"), "made for toy/maxp=5"},
		{toyArgs(5, "--store", "badger", "--dir", store), "already holds a store"},
		{toyArgs(5, "--store", "badger", "--dir", aFile, "--resume"), "is a file, not a directory"},
		{toyArgs(5, "--store", "badger", "--dir", aFile), "is a file, not a directory"},
		{toyArgs(5, "--store", "badger", "--dir", filepath.Join(aFile, "s")), "a directory on its path is a file"},
		{toyArgs(5, "--store", "badger", "--dir", junk), "not empty and holds no store"},
		{toyArgs(5, "--store", "badger", "--dir", junk, "--resume"), "holds no store to resume"},
		{toyArgs(5, "--store", "badger", "--dir", filepath.Join(junk, "none"), "--resume"), "does not exist"},
		{toyArgs(5, "--max-disk", "1GiB"), "--max-disk applies to a disk store"},
		{toyArgs(5, "--store", "badger", "--dir", store, "--max-disk", "lots"), "--max-disk"},
		{toyArgs(5, "--store", "badger", "--dir", store, "--max-disk", "1MiB"), "below the 16MiB minimum"},
	}
	for _, c := range cases {
		code, _, errs := cli(c.args...)
		if refused(t, strings.Join(c.args, " "), code, errs) && !strings.Contains(errs, c.want) {
			t.Errorf("%v: %q, want %q", c.args, errs, c.want)
		}
	}
	if after := dirSums(t, store); !maps.Equal(before, after) {
		t.Errorf("the refused store changed")
	}
	if ents, _ := os.ReadDir(junk); len(ents) != 1 {
		t.Errorf("a directory that holds no store was written to: %d files", len(ents))
	}

	// A store a live process holds: this one.
	m, _ := toy.New(5)
	var held bool
	busy := filepath.Join(t.TempDir(), "busy")
	_, err := check.Run(check.Request{Model: m, Checker: toy.Checker{}, Workers: 1,
		Store: check.Store{Disk: true, Dir: busy},
		Level: func(explorer.LevelStats) {
			if held {
				return
			}
			held = true
			code, _, errs := cli(toyArgs(5, "--store", "badger", "--dir", busy, "--resume")...)
			if refused(t, "held store", code, errs) && !strings.Contains(errs, "in use by this process") {
				t.Errorf("a store held by a live process: %q", errs)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
}

// mountTmpfs mounts a tmpfs of size at a new directory, or skips.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// A store on a read-only file system is refused as such.
func TestStoreReadOnly(t *testing.T) {
	mnt := mountTmpfs(t, "64m")
	store := filepath.Join(mnt, "store")
	made := filepath.Join(t.TempDir(), "store")
	finishedStore(t, made, 5)
	copyDir(t, made, store)
	if out, err := exec.Command("mount", "-o", "remount,ro", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot remount read-only: %v %s", err, out)
	}
	before := dirSums(t, store)
	code, _, errs := cli(toyArgs(5, "--store", "badger", "--dir", store, "--resume")...)
	if refused(t, "read-only store", code, errs) && !strings.Contains(errs, "read-only file system") {
		t.Errorf("a store on a read-only file system: %q", errs)
	}
	code, _, errs = cli(toyArgs(5, "--store", "badger", "--dir", filepath.Join(mnt, "new"))...)
	if refused(t, "new store on a read-only file system", code, errs) && !strings.Contains(errs, "read-only file system") {
		t.Errorf("a new store on a read-only file system: %q", errs)
	}
	if after := dirSums(t, store); !maps.Equal(before, after) {
		t.Errorf("the read-only store changed")
	}
}

// A full disk stops the search cleanly (exit 3, budget max-disk, the
// store resumable), whether the free space falls below the default reserve
// or the store would pass --max-disk; resumed with room, in a larger
// directory or after space is freed, the counts are those of an
// uninterrupted search.
func TestStoreDiskFull(t *testing.T) {
	mnt := mountTmpfs(t, "40m")
	full := reference(t, 7)

	// The default reserve (256MiB) is more than the disk: the search stops
	// after level 0, and goes on elsewhere.
	store := filepath.Join(mnt, "reserve")
	code, out, errs := cli(toyArgs(7, "--store", "badger", "--dir", store)...)
	if c := countsOf(t, out); code != exitBudget || c.Budget != "max-disk" || c.Complete {
		t.Fatalf("below the reserve: exit %d, %+v %s", code, c, errs)
	}
	larger := filepath.Join(t.TempDir(), "larger")
	copyDir(t, store, larger)
	code, out, errs = cli(toyArgs(7, "--store", "badger", "--dir", larger, "--resume")...)
	if c := countsOf(t, out); code != exitOK || !c.same(full) {
		t.Errorf("resumed in a larger directory: exit %d, %+v; uninterrupted %+v %s", code, c, full, errs)
	}

	// --max-disk lets the search fill most of the disk, then stops it.
	store = filepath.Join(mnt, "max")
	code, out, errs = cli(toyArgs(7, "--store", "badger", "--dir", store, "--max-disk", "16MiB")...)
	part := countsOf(t, out)
	if code != exitBudget || part.Budget != "max-disk" || part.Depth < 3 {
		t.Fatalf("--max-disk 16MiB on a 40MB disk: exit %d, %+v %s", code, part, errs)
	}
	t.Logf("stopped by --max-disk 16MiB at depth %d, %d states", part.Depth, part.Distinct)
	// Space is freed (the file system grows), and the search resumes.
	if out, err := exec.Command("mount", "-o", "remount,size=400m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
	code, out, errs = cli(toyArgs(7, "--store", "badger", "--dir", store, "--resume", "--max-disk", "300MiB")...)
	if c := countsOf(t, out); code != exitOK || !c.same(full) {
		t.Errorf("resumed after space was freed: exit %d, %+v; uninterrupted %+v %s", code, c, full, errs)
	}
}

const childEnv = "CABACHECK_STORE_CHILD"

// TestStoreChild is the child process of the tests below: it runs the
// cabacheck command line in $CABACHECK_STORE_CHILD (JSON) and exits with
// its code.
func TestStoreChild(t *testing.T) {
	args := os.Getenv(childEnv)
	if args == "" {
		t.Skip("run by the store tests")
	}
	var a []string
	if err := json.Unmarshal([]byte(args), &a); err != nil {
		t.Fatal(err)
	}
	os.Exit(run(a, os.Stdout, os.Stderr))
}

// child starts cabacheck with args in a child process.
func child(t *testing.T, env []string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	a, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run", "^TestStoreChild$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+string(a)), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out, &errb
}

// waitLevels waits until the --stats-out file holds n levels, or the child
// ends; it reports whether the level was reached.
func waitLevels(path string, n int, cmd *exec.Cmd, done <-chan struct{}) bool {
	for {
		select {
		case <-done:
			return false
		case <-time.After(2 * time.Millisecond):
		}
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		lines := 0
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			lines++
		}
		f.Close()
		if lines >= n {
			return true
		}
	}
}

// SIGINT and SIGTERM at random moments of a search on a Badger store stop
// it cleanly (exit 4, the partial report printed), and kill -9 kills it;
// resumed (at once, for kill -9), it ends with the counts of an
// uninterrupted search.
func TestStoreSignals(t *testing.T) {
	n, rounds := 7, 1
	if r := sweepRounds(); r > 0 {
		n, rounds = 8, r
	}
	full := reference(t, n)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	tally := map[string]int{}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		for round := 0; round < rounds; round++ {
			dir := t.TempDir()
			store, stats := filepath.Join(dir, "store"), filepath.Join(dir, "levels.jsonl")
			cmd, out, errb := child(t, nil, toyArgs(n, "--store", "badger", "--dir", store, "--stats-out", stats)...)
			done := make(chan struct{})
			var waitErr error
			go func() { waitErr = cmd.Wait(); close(done) }()
			at, delay := 1+rng.IntN(24), time.Duration(rng.IntN(40))*time.Millisecond
			if waitLevels(stats, at, cmd, done) {
				time.Sleep(delay)
				cmd.Process.Signal(sig)
			}
			what := fmt.Sprintf("%v after level %d + %v", sig, at, delay)
			if sig == syscall.SIGKILL {
				// Resume at once: the killed process may still hold its lock.
				code, rout, errs := cli(toyArgs(n, "--store", "badger", "--dir", store, "--resume")...)
				<-done
				if code != exitOK || !countsOf(t, rout).same(full) {
					t.Errorf("%s, resumed at once: exit %d, %s", what, code, errs)
				}
				tally["killed, resumed"]++
				continue
			}
			<-done
			code := 0
			var ee *exec.ExitError
			if errors.As(waitErr, &ee) {
				code = ee.ExitCode()
			}
			switch {
			case code == exitStopped:
				c := countsOf(t, out.String())
				if c.StopReason != "interrupted" || c.Complete {
					t.Errorf("%s: exit 4 with %+v", what, c)
				}
				tally["interrupted"]++
			case code == exitOK:
				tally["finished before the signal"]++
			default:
				t.Errorf("%s: exit %d, %s", what, code, errb)
				continue
			}
			code, rout, errs := cli(toyArgs(n, "--store", "badger", "--dir", store, "--resume")...)
			if c := countsOf(t, rout); code != exitOK || !c.same(full) {
				t.Errorf("%s, resumed: exit %d, %+v; uninterrupted %+v %s", what, code, c, full, errs)
			}
		}
	}
	t.Logf("signal rounds: %v", tally)
}

// Temporary stores (--mem-budget without --dir) that a killed run left
// behind are removed by the next run that makes one, unless their owner
// lives.
func TestTempStoreCleanup(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	mk := func(name, owner string, age time.Duration) string {
		d := filepath.Join(tmp, "cabacheck-store-"+name)
		os.MkdirAll(filepath.Join(d, "store"), 0o755)
		if owner != "" {
			os.WriteFile(filepath.Join(d, "OWNER"), []byte(owner), 0o644)
		}
		old := time.Now().Add(-age)
		os.Chtimes(d, old, old)
		return d
	}
	// A run on a temporary store killed with SIGKILL leaves it behind.
	stats := filepath.Join(tmp, "levels.jsonl")
	cmd, _, _ := child(t, []string{"TMPDIR=" + tmp}, toyArgs(8, "--mem-budget", "1MiB", "--stats-out", stats)...)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	if waitLevels(stats, 5, cmd, done) {
		cmd.Process.Kill()
	}
	<-done
	killed, _ := filepath.Glob(filepath.Join(tmp, "cabacheck-store-*"))
	if len(killed) != 1 {
		t.Fatalf("after kill -9: %v", killed)
	}

	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	dead := mk("dead", fmt.Sprintf("%d x\n", gone.Process.Pid), 0)
	live := mk("live", fmt.Sprintf("%d\n", os.Getpid()), 0)
	orphanOld := mk("old", "", 2*time.Hour)
	orphanNew := mk("new", "", 0)

	code, _, errs := cli(toyArgs(5, "--mem-budget", "1MiB")...)
	if code != exitOK {
		t.Fatalf("exit %d %s", code, errs)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "cabacheck-store-*"))
	slices.Sort(left)
	want := []string{live, orphanNew}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Errorf("left behind: %v; want %v (the killed run's %s, dead %s, old %s removed)", left, want, killed[0], dead, orphanOld)
	}
}
