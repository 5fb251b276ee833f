package simulate

import (
	"fmt"
	"math/bits"
	"reflect"
	"slices"
	"testing"

	"cabacheck/check"
	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/spec/toy"
)

func linuxTarget(t *testing.T, tasks int, rev linux.Revision, inv string) (*linux.Model, *invariants.Checker) {
	t.Helper()
	opt := linux.Options{Tasks: tasks, Revision: rev, Actions: linux.DefaultActions}
	invs, err := invariants.SelectFor(inv, rev, opt.Actions)
	if err != nil {
		t.Fatal(err)
	}
	return linux.MustNew(opt), invariants.NewChecker(tasks, invs)
}

func run(t *testing.T, m spec.Model, cfg Config) *Result {
	t.Helper()
	res, err := Run(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// timeless drops the fields that may depend on the machine.
func timeless(r *Result) Result {
	c := *r
	c.Elapsed, c.Shrinking = 0, 0
	return c
}

// The same seed gives the same walks and the same Result, shortened traces
// included, with 1, 2 and 3 workers; walk i is the same run alone.
func TestDeterministicAcrossWorkers(t *testing.T) {
	cases := []struct {
		name  string
		tasks int
		rev   linux.Revision
		inv   string
		walks int
	}{
		{"no violation", 6, linux.V3, "sanity", 150},
		{"violation", 5, linux.V3, "NoDanglingCaba", 1000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, ch := linuxTarget(t, c.tasks, c.rev, c.inv)
			cfg := Config{Seed: 7, Walks: c.walks, Depth: 60, Swarm: true, Checker: ch}
			var first Result
			for _, w := range []int{1, 2, 3} {
				cfg.Workers = w
				got := timeless(run(t, m, cfg))
				if w == 1 {
					first = got
					continue
				}
				if !reflect.DeepEqual(got, first) {
					t.Fatalf("%d workers: %+v\n1 worker: %+v", w, got, first)
				}
			}
			if c.name == "violation" {
				if len(first.Violations) == 0 {
					t.Fatal("no violation found")
				}
				v := first.Violations[0]
				acts, err := WalkActions(m, cfg, v.Walk)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(acts, v.Found) {
					t.Fatalf("walk %d alone: %v, in the run: %v", v.Walk, acts, v.Found)
				}
			} else if first.StopReason != "walks" || first.Walks != c.walks {
				t.Fatalf("stop %q after %d walks, want all %d", first.StopReason, first.Walks, c.walks)
			}
			// A different seed gives different walks.
			cfg.Seed++
			if other := timeless(run(t, m, cfg)); other.Steps == first.Steps && reflect.DeepEqual(other.Fired, first.Fired) {
				t.Fatalf("seed %d and %d walked alike", cfg.Seed-1, cfg.Seed)
			}
		})
	}
}

// replayViolates replays acts through the model alone, requiring every
// action to be enabled, and reports whether the last state violates bit
// (and no earlier one does: the trace is cut at its violation).
func replayViolates(t *testing.T, m spec.Model, ch spec.Checker, bit int, acts []spec.Action) bool {
	t.Helper()
	cur := append([]byte(nil), m.InitialStates()[0]...)
	next := make([]byte, len(cur))
	for i, a := range acts {
		if ch.Check(cur)&(1<<bit) != 0 {
			t.Fatalf("state %d already violates, before %s", i, m.FormatAction(a))
		}
		if !m.Apply(cur, a, next) {
			t.Fatalf("step %d %s is not enabled", i+1, m.FormatAction(a))
		}
		cur, next = next, cur
	}
	return ch.Check(cur)&(1<<bit) != 0
}

// v3's dangling caba (README: 6 steps at 4 and 5 tasks) is found within a
// few walks and shortened to a trace that still violates, every step
// enabled, no longer than BFS's shortest plus one.
func TestKnownViolationShortened(t *testing.T) {
	for _, tasks := range []int{4, 5} {
		m, ch := linuxTarget(t, tasks, linux.V3, "NoDanglingCaba")
		bfs, err := check.Run(check.Request{Model: m, Checker: ch, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(bfs.Counterexamples) != 1 {
			t.Fatalf("%d tasks: BFS found %d counterexamples", tasks, len(bfs.Counterexamples))
		}
		shortest := bfs.Counterexamples[0].Trace.Len()
		for seed := uint64(1); seed <= 5; seed++ {
			for _, swarm := range []bool{true, false} {
				res := run(t, m, Config{Seed: seed, Walks: 4 * BatchSize, Depth: 100, Workers: 2, Swarm: swarm, Checker: ch})
				if len(res.Violations) != 1 {
					t.Fatalf("%d tasks seed %d swarm %v: %d violations in %d walks", tasks, seed, swarm, len(res.Violations), res.Walks)
				}
				v := res.Violations[0]
				t.Logf("%d tasks seed %d swarm %v: walk %d, found in %d steps, shortened to %d (BFS shortest %d), %d replays",
					tasks, seed, swarm, v.Walk, len(v.Found), len(v.Shortened), shortest, v.Replays)
				if v.Invariant != "NoDanglingCaba" || !replayViolates(t, m, ch, v.Bit, v.Shortened) {
					t.Fatalf("shortened trace %v does not violate", v.Shortened)
				}
				if !replayViolates(t, m, ch, v.Bit, v.Found) {
					t.Fatalf("found trace %v does not violate", v.Found)
				}
				if len(v.Shortened) < shortest || len(v.Shortened) > shortest+1 {
					t.Fatalf("shortened to %d steps; BFS's shortest is %d", len(v.Shortened), shortest)
				}
				for i, w := range v.Weights {
					if swarm && w.Count != 0 && bits.OnesCount64(w.Count) != 1 || w.Count > 64 || !swarm && w.Count != 1 {
						t.Fatalf("weight %d of %s: %d", i, w.Name, w.Count)
					}
				}
			}
		}
	}
}

// The action table: one row per kind of the model's own table, in kind
// order, summing to the steps taken; the kinds are found through the
// model's format and parse.
func TestFiredTable(t *testing.T) {
	m, ch := linuxTarget(t, 6, linux.Fixed, "sanity")
	res := run(t, m, Config{Seed: 3, Walks: 200, Depth: 80, Workers: 2, Swarm: true, Checker: ch})
	var sum uint64
	for i, k := range res.Fired {
		sum += k.Count
		if k.Name != linux.KindName(k.Kind) || i > 0 && k.Kind <= res.Fired[i-1].Kind {
			t.Fatalf("row %d: %+v", i, k)
		}
	}
	if sum != res.Steps || res.Steps == 0 {
		t.Fatalf("fired sums to %d, steps %d", sum, res.Steps)
	}
	// Every kind of the table, and nothing else: the kinds KindName knows
	// (it names any other "Kind<k>").
	var want []uint8
	for k := 0; k < 256; k++ {
		if linux.KindName(uint8(k)) != fmt.Sprintf("Kind%d", k) {
			want = append(want, uint8(k))
		}
	}
	if want[0] != linux.KFork || !slices.Contains(want, linux.KExecve) {
		t.Fatalf("kinds %v", want)
	}
	if got := Kinds(m); !reflect.DeepEqual(got, want) {
		t.Fatalf("kinds %v, want %v", got, want)
	}
	if res.States < res.Steps || res.Distinct == 0 || res.Distinct > res.States {
		t.Fatalf("states %d, distinct %d, steps %d", res.States, res.Distinct, res.Steps)
	}
	tm, _ := toy.New(4)
	if got := Kinds(tm); !reflect.DeepEqual(got, []uint8{toy.KFork, toy.KExit, toy.KWait}) {
		t.Fatalf("toy kinds %v", got)
	}
}

// A walk of the toy model (no checker) allocates nothing once its buffers
// have grown.
func TestWalkAllocatesNothing(t *testing.T) {
	m, _ := toy.New(8)
	cfg := Config{Seed: 1, Walks: 1, Depth: 200, Workers: 1, Swarm: true}
	w := newWorker(m, &cfg, Kinds(m))
	for i := 0; i < 50; i++ {
		w.walk(i, nil)
	}
	if n := testing.AllocsPerRun(50, func() { w.walk(3, nil) }); n != 0 {
		t.Fatalf("%v allocations per walk", n)
	}
}

func TestConfigErrors(t *testing.T) {
	m, _ := toy.New(4)
	for _, cfg := range []Config{{Walks: 0, Depth: 1}, {Walks: 1, Depth: 0}, {Walks: 1, Depth: 1, Workers: -1}} {
		if _, err := Run(m, cfg); err == nil {
			t.Fatalf("%+v: no error", cfg)
		}
	}
	if _, err := Run(nil, Config{Walks: 1, Depth: 1}); err == nil {
		t.Fatal("nil model: no error")
	}
}
