package reference

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// run applies labelled steps, failing the test on a disabled action; check
// (if non-nil) is called after each step with its 1-based number.
func run(t *testing.T, m *Model, labels []string, check func(step int, s State)) State {
	t.Helper()
	s := m.Initial()
	for i, l := range labels {
		var err error
		s, err = m.Step(s, l)
		if err != nil {
			t.Fatalf("%s step %d %s: %v\nstate:\n%s", m.Revision.Name, i+1, l, err, m.Format(s))
		}
		if check != nil {
			check(i+1, s)
		}
	}
	return s
}

type field struct {
	name      string
	slot      int
	got, want int
}

func expect(t *testing.T, ctx string, fs ...field) {
	t.Helper()
	for _, f := range fs {
		if f.got != f.want {
			t.Errorf("%s: %s[%d] = %d, want %d", ctx, f.name, f.slot, f.got, f.want)
		}
	}
}

func st(s State, i int) field     { return field{"st", i, int(s.St[i]), 0} }
func is(f field, want int) field  { f.want = want; return f }
func caba(s State, i int) field   { return field{"caba", i, int(s.Caba[i]), 0} }
func parent(s State, i int) field { return field{"parent", i, int(s.Parent[i]), 0} }
func cabd(s State, i int) field   { return field{"cabdOf", i, int(s.CabdOf[i]), 0} }
func born(s State, i int) field   { return field{"born", i, int(s.Born[i]), 0} }
func tg(s State, i int) field     { return field{"tg", i, int(s.Tg[i]), 0} }

func holds(t *testing.T, m *Model, ctx string, s State, inv string, want bool) {
	t.Helper()
	if got := m.Holds(&s, inv); got != want {
		t.Errorf("%s: %s holds = %v, want %v\n%s", ctx, inv, got, want, m.Format(s))
	}
}

// Example 1 of examples.md: v3, a thread's caba dangles in 6 steps.
func TestExample1V3ThreadCabaDangles(t *testing.T) {
	m := NewModel(4, "v3", DefaultActions)
	steps := []string{"Fork(1)", "Clone(2)", "Clone(3)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)"}
	run(t, m, steps, func(k int, s State) {
		ctx := fmt.Sprintf("step %d", k)
		switch k {
		case 1:
			expect(t, ctx, is(st(s, 2), int(Running)), is(tg(s, 2), 2), is(parent(s, 2), 1), is(caba(s, 2), 1), is(cabd(s, 2), 1), is(born(s, 2), 1))
		case 2:
			expect(t, ctx, is(tg(s, 3), 2), is(parent(s, 3), 1), is(caba(s, 3), 2), is(cabd(s, 3), int(None)), is(born(s, 3), 0))
		case 3:
			expect(t, ctx, is(tg(s, 4), 2), is(parent(s, 4), 1), is(caba(s, 4), 3))
		case 4:
			expect(t, ctx, is(st(s, 3), int(Exiting)))
		case 5:
			expect(t, ctx, is(st(s, 3), int(Dead)))
		case 6:
			expect(t, ctx, is(st(s, 3), int(Released)), is(tg(s, 3), 0), is(caba(s, 4), 3))
		}
		holds(t, m, ctx, s, "NoDanglingCaba", k < 6)
		holds(t, m, ctx, s, "NoUseAfterFree", true)
	})
	if v, n := Check(4, "v3", DefaultActions, "NoDanglingCaba"); !v || n != 6 {
		t.Errorf("v3 tasks 4: shortest NoDanglingCaba = %v,%d, want true,6", v, n)
	}
}

// Example 2: seed, CLONE_PARENT loses the creator.
func TestExample2SeedCloneParent(t *testing.T) {
	for _, rev := range BuiltinNames() {
		m := NewModel(3, rev, DefaultActions)
		s := run(t, m, []string{"Fork(1)", "ForkParent(2)"}, nil)
		wantCaba := 2
		if rev == "seed" {
			wantCaba = 1
		}
		expect(t, rev, is(parent(s, 2), 1), is(caba(s, 2), 1), is(born(s, 2), 1),
			is(parent(s, 3), 1), is(caba(s, 3), wantCaba), is(born(s, 3), 2), is(cabd(s, 3), wantCaba))
		holds(t, m, rev, s, "CabaClosestHashed", rev != "seed")
		holds(t, m, rev, s, "CabaClosestNotified", rev != "seed")
	}
	if v, n := Check(3, "seed", DefaultActions, "CabaClosestHashed"); !v || n != 2 {
		t.Errorf("seed: shortest CabaClosestHashed = %v,%d, want true,2", v, n)
	}
}

// Example 3: seed and v4, the thread of a reparented process (12 steps).
func TestExample3ReparentedThread(t *testing.T) {
	steps := []string{"Fork(1)", "SetSubreaper(2,on)", "Fork(2)", "Fork(3)", "Fork(4)", "ExitBegin(4)",
		"ExitNotify(4)", "Clone(5)", "ExitBegin(2)", "ExitNotify(2)", "Reap(1,2)", "Release(2)"}
	for _, rev := range []string{"seed", "v4"} {
		m := NewModel(6, rev, DefaultActions)
		run(t, m, steps, func(k int, s State) {
			ctx := fmt.Sprintf("%s step %d", rev, k)
			switch k {
			case 3:
				if !s.HasSub[3] {
					t.Errorf("%s: hasSub[3] false", ctx)
				}
			case 7:
				want := 3
				if rev == "v4" {
					want = 4
				}
				expect(t, ctx, is(parent(s, 5), 2), is(caba(s, 5), want), is(cabd(s, 5), want), is(st(s, 4), int(Zombie)))
			case 8:
				expect(t, ctx, is(tg(s, 6), 5), is(parent(s, 6), 2), is(caba(s, 6), 2))
			case 10:
				expect(t, ctx, is(parent(s, 3), 1), is(parent(s, 5), 1), is(parent(s, 6), 1), is(st(s, 2), int(Zombie)))
			case 11:
				expect(t, ctx, is(st(s, 2), int(Dead)))
			case 12:
				expect(t, ctx, is(st(s, 2), int(Released)), is(caba(s, 6), 2), is(caba(s, 3), 1), is(cabd(s, 3), 1))
			}
			holds(t, m, ctx, s, "ThreadsAgreeOnCaba", k < 8)
			holds(t, m, ctx, s, "NoDanglingCaba", k < 12)
			holds(t, m, ctx, s, "NoUseAfterFree", true)
		})
	}
}

// Example 4: the selftest of the v3 posting.
func TestExample4Selftest(t *testing.T) {
	steps := []string{"Fork(1)", "Fork(2)", "Fork(3)", "Fork(4)", "Fork(4)", "Fork(6)",
		"SetSubreaper(2,on)", "ExitBegin(6)", "ExitNotify(6)", "Reap(4,6)", "Release(6)",
		"SetSubreaper(2,off)", "ExitBegin(3)", "ExitNotify(3)", "Reap(2,3)", "Release(3)"}
	for _, rev := range BuiltinNames() {
		m := NewModel(7, rev, DefaultActions)
		s := run(t, m, steps, nil)
		expect(t, rev, is(caba(s, 2), 1), is(caba(s, 4), 2), is(caba(s, 5), 4), is(caba(s, 7), 4),
			is(parent(s, 4), 1), is(parent(s, 7), 2))
		if v := m.Violated(&s); len(v) > 0 {
			t.Errorf("%s: selftest end state violates %v", rev, v)
		}
	}
}

// The kernel-sanity invariants must hold everywhere (full exploration at 4
// tasks: all actions, or the default ones with -short).
func TestKernelSanity(t *testing.T) {
	acts := AllActions
	if testing.Short() {
		acts = DefaultActions
	}
	sanity := []string{"ParentHashed", "ThreadsShareParent", "OneLeaderPerGroup", "ExitedHaveNoChildren"}
	for _, rev := range BuiltinNames() {
		m := NewModel(4, rev, acts)
		m.search(false, func(s *State, idx int) bool {
			for _, inv := range sanity {
				if !m.Holds(s, inv) {
					t.Errorf("%s: %s violated in\n%s", rev, inv, m.Format(*s))
					return true
				}
			}
			return false
		})
	}
}

// TestCountsTable prints Explore counts for tasks 2..5 (tasks 5 with all
// actions only when REFERENCE_ALL5=1 is set).
func TestCountsTable(t *testing.T) {
	if os.Getenv("CABACHECK_LONG") != "1" {
		t.Skip("logs a table only; set CABACHECK_LONG=1 (minutes)")
	}
	sets := []struct {
		name string
		acts []string
	}{{"default", DefaultActions}, {"all", AllActions}}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-5s %-5s %-8s %10s %11s %5s %8s %6s\n", "tasks", "rev", "actions", "distinct", "generated", "depth", "corrupt", "secs")
	for tasks := 2; tasks <= 5; tasks++ {
		for _, rev := range BuiltinNames() {
			for _, set := range sets {
				if tasks == 5 && set.name == "all" && os.Getenv("REFERENCE_ALL5") != "1" {
					continue // tens of millions of states: minutes and >10 GiB
				}
				start := time.Now()
				r := Explore(tasks, rev, set.acts)
				fmt.Fprintf(&b, "%-5d %-5s %-8s %10d %11d %5d %8d %6.1f\n", tasks, rev, set.name, r.Distinct, r.Generated, r.Depth, r.Corrupt, time.Since(start).Seconds())
			}
		}
	}
	t.Log(b.String())
}

// TestShortestViolations prints the shortest violating trace of every
// invariant at 4 tasks (default actions), and of NoDanglingCaba at 5 tasks
// (and 6 tasks when REFERENCE_TASKS6=1 is set: slow).
func TestShortestViolations(t *testing.T) {
	if os.Getenv("CABACHECK_LONG") != "1" {
		t.Skip("logs a table only; set CABACHECK_LONG=1 (minutes)")
	}
	type job struct {
		tasks int
		inv   string
	}
	var jobs []job
	for _, inv := range InvariantNames {
		jobs = append(jobs, job{4, inv})
	}
	jobs = append(jobs, job{5, "NoDanglingCaba"})
	if os.Getenv("REFERENCE_TASKS6") == "1" {
		jobs = append(jobs, job{6, "NoDanglingCaba"})
	}
	var b strings.Builder
	b.WriteString("\n")
	for _, j := range jobs {
		for _, rev := range BuiltinNames() {
			start := time.Now()
			v, tr := CheckTrace(j.tasks, rev, DefaultActions, j.inv)
			if v {
				fmt.Fprintf(&b, "tasks %d %-4s %-22s %2d  (%.1fs) %s\n", j.tasks, rev, j.inv, len(tr), time.Since(start).Seconds(), strings.Join(tr, " "))
			} else {
				fmt.Fprintf(&b, "tasks %d %-4s %-22s holds (%.1fs)\n", j.tasks, rev, j.inv, time.Since(start).Seconds())
			}
		}
	}
	t.Log(b.String())
}

// Pack/Unpack round trip on every state of a small exploration.
func TestPackRoundTrip(t *testing.T) {
	m := NewModel(4, "v3", AllActions)
	n := 0
	m.search(false, func(s *State, idx int) bool {
		if u := Unpack(Pack(s)); u != *s {
			t.Fatalf("round trip differs:\n%s\n%s", m.Format(*s), m.Format(u))
		}
		n++
		return n > 200000
	})
}

// BenchmarkExplore4All is the largest exploration of the differential
// test's default bounds.
func BenchmarkExplore4All(b *testing.B) {
	for b.Loop() {
		Explore(4, "fixed", AllActions)
	}
}
