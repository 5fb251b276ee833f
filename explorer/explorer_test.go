package explorer_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"cabacheck/explorer"
	"cabacheck/invariants"
	"cabacheck/spec/linux"
)

func model(t testing.TB, tasks int, rev linux.Revision) *linux.Model {
	m, err := linux.New(linux.Options{Tasks: tasks, Revision: rev, Actions: linux.DefaultActions})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func checker(t testing.TB, tasks int, list string) *invariants.Checker {
	invs, err := invariants.Select(list, linux.Seed)
	if err != nil {
		t.Fatal(err)
	}
	return invariants.NewChecker(tasks, invs)
}

func records(t testing.TB, s *explorer.Search) []explorer.Record {
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

// The worker count changes nothing: counts, numbering, parent records and
// the violations found.
func TestWorkersDeterministic(t *testing.T) {
	for _, rev := range []linux.Revision{linux.Seed, linux.V3, linux.V4} {
		var ref *explorer.Search
		for _, w := range []int{1, 2, 3, 4, 7} {
			s, err := explorer.Run(model(t, 4, rev), explorer.Config{Workers: w, Checker: checker(t, 4, "all"), Continue: true})
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref = s
				continue
			}
			a, b := ref.Result, s.Result
			if a.Distinct != b.Distinct || a.Generated != b.Generated || a.Depth != b.Depth {
				t.Errorf("%s workers=%d: %d/%d/%d, want %d/%d/%d", rev, w, b.Distinct, b.Generated, b.Depth, a.Distinct, a.Generated, a.Depth)
			}
			if !slices.Equal(records(t, ref), records(t, s)) {
				t.Errorf("%s workers=%d: parent records differ", rev, w)
			}
			if !slices.Equal(a.Violations, b.Violations) {
				t.Errorf("%s workers=%d: violations %v, want %v", rev, w, b.Violations, a.Violations)
			}
		}
	}
}

// BFS finds a shortest counterexample: examples.md 1 is 6 steps for v3.
func TestShortestCounterexample(t *testing.T) {
	s, err := explorer.Run(model(t, 5, linux.V3), explorer.Config{Workers: 2, Checker: checker(t, 5, "NoDanglingCaba")})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Result.Violations) != 1 {
		t.Fatalf("violations = %v", s.Result.Violations)
	}
	v := s.Result.Violations[0]
	_, path, err := s.Path(v.State)
	if err != nil {
		t.Fatal(err)
	}
	if v.Depth != 6 || len(path) != 6 {
		t.Errorf("shortest NoDanglingCaba trace for v3: depth %d, %d actions; want 6", v.Depth, len(path))
	}
	if s.Result.StopReason != "violation" || s.Result.Complete {
		t.Errorf("stop reason %q complete %v", s.Result.StopReason, s.Result.Complete)
	}
}

// Every state's path replays through the model to a state with the same fingerprint.
func TestPathsReplay(t *testing.T) {
	m := model(t, 3, linux.V4)
	s, err := explorer.Run(m, explorer.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Result.Complete || s.Result.Distinct != uint64(len(records(t, s))) {
		t.Fatalf("incomplete: %+v", s.Result)
	}
	seen := map[string]bool{}
	for i := range records(t, s) {
		_, acts, err := s.Path(uint32(i))
		if err != nil {
			t.Fatal(err)
		}
		cur := m.InitialStates()[0]
		next := make([]byte, len(cur))
		for _, a := range acts {
			if !m.Apply(cur, a, next) {
				t.Fatalf("state %d: %s not enabled on replay", i, m.FormatAction(a))
			}
			cur, next = next, cur
		}
		if seen[string(cur)] {
			t.Fatalf("state %d replays to a state seen before", i)
		}
		seen[string(cur)] = true
	}
}

func TestMaxStatesBudget(t *testing.T) {
	s, err := explorer.Run(model(t, 5, linux.Seed), explorer.Config{Workers: 2, MaxStates: 1000})
	if err != nil {
		t.Fatal(err)
	}
	r := s.Result
	if r.Budget != "max-states" || r.Complete || r.Distinct != 1000 {
		t.Errorf("budget %q complete %v distinct %d", r.Budget, r.Complete, r.Distinct)
	}
	if len(r.Levels) < 2 {
		t.Errorf("no partial statistics kept: %d levels", len(r.Levels))
	}
}

func TestMaxTimeBudget(t *testing.T) {
	s, err := explorer.Run(model(t, 6, linux.Seed), explorer.Config{Workers: 2, MaxTime: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if s.Result.Budget != "max-time" || s.Result.Elapsed > 5*time.Second {
		t.Errorf("budget %q after %v", s.Result.Budget, s.Result.Elapsed)
	}
}

func TestMaxMemoryBudget(t *testing.T) {
	s, err := explorer.Run(model(t, 6, linux.Seed), explorer.Config{Workers: 2, MaxMemory: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if s.Result.Budget != "max-memory" {
		t.Errorf("budget %q, distinct %d", s.Result.Budget, s.Result.Distinct)
	}
}

func TestFPSet(t *testing.T) {
	set := explorer.NewFPSet(0)
	for i := uint64(1); i <= 100000; i++ {
		fp := i * 0x9E3779B97F4A7C15
		if fp == 0 {
			continue
		}
		if !set.Insert(fp) {
			t.Fatalf("%d: reported present before insertion", i)
		}
		if set.Insert(fp) || !set.Contains(fp) {
			t.Fatalf("%d: not present after insertion", i)
		}
	}
	if set.Len() != 100000 {
		t.Errorf("len %d", set.Len())
	}
	n := 0
	set.Range(func(uint64) { n++ })
	if n != 100000 {
		t.Errorf("range saw %d", n)
	}
}

// The parallel collision estimate, shard by shard through the store,
// equals the sequential one over all the fingerprints sorted at once.
func TestCollisionEstimate(t *testing.T) {
	s, err := explorer.Run(model(t, 4, linux.Seed), explorer.Config{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	st := s.Store()
	var fps []uint64
	for sh := range st.Shards() {
		if fps, err = st.AppendShard(fps, sh); err != nil {
			t.Fatal(err)
		}
	}
	if uint64(len(fps)) != s.Result.Distinct {
		t.Fatalf("%d fingerprints for %d states", len(fps), s.Result.Distinct)
	}
	slices.Sort(fps)
	gap := uint64(math.MaxUint64)
	for i := 1; i < len(fps); i++ {
		gap = min(gap, fps[i]-fps[i-1])
	}
	if want := 1 / float64(gap); s.Result.CollisionActual != want || want == 0 {
		t.Errorf("parallel estimate %g, sequential %g", s.Result.CollisionActual, want)
	}
}
