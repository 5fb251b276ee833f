package simulate

import (
	"math"
	"testing"

	"cabacheck/spec"
	"cabacheck/spec/linux"
)

func parseAll(t *testing.T, m spec.Model, names ...string) []spec.Action {
	t.Helper()
	var acts []spec.Action
	for _, n := range names {
		a, err := m.ParseAction(n)
		if err != nil {
			t.Fatal(err)
		}
		acts = append(acts, a)
	}
	return acts
}

// README's 6-step v3 trace (a thread-created thread whose creator is
// released), padded with steps that do not matter, shrinks back to it.
func TestShrinkHandWorked(t *testing.T) {
	m, ch := linuxTarget(t, 5, linux.V3, "NoDanglingCaba")
	want := []string{"Fork(1)", "Clone(2)", "Clone(3)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)"}
	padded := parseAll(t, m, "SetSubreaper(1, on)", "Fork(1)", "SetSubreaper(2, on)", "Clone(2)", "SetSubreaper(2, off)",
		"Clone(3)", "SetSubreaper(1, off)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)")
	if !replayViolates(t, m, ch, 0, padded) {
		t.Fatal("the padded trace does not violate")
	}
	got, final, replays, err := Shrink(m, ch, 0, padded)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range got {
		names = append(names, m.FormatAction(a))
	}
	if len(names) != len(want) {
		t.Fatalf("shrunk to %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("shrunk to %v, want %v", names, want)
		}
	}
	if ch.Check(final)&1 == 0 || replays == 0 {
		t.Fatalf("final state passes, or %d replays", replays)
	}
	// 1-minimal: without any one step the trace is disabled or holds.
	for i := range got {
		cand := append(append([]spec.Action(nil), got[:i]...), got[i+1:]...)
		r := &replayer{m: m, ch: ch, bit: 1, cur: make([]byte, m.StateSize()), nxt: make([]byte, m.StateSize())}
		if ok, _ := r.fails(cand); ok {
			t.Fatalf("still violates without step %d", i+1)
		}
	}
	// A trace that does not violate is an error, not a result.
	if _, _, _, err := Shrink(m, ch, 0, padded[:3]); err == nil {
		t.Fatal("a passing trace shrank")
	}
}

// HyperLogLog: within 3% of the true count from tens to a million distinct
// fingerprints, duplicates ignored, and merging is the union.
func TestSketch(t *testing.T) {
	var b [8]byte
	fp := func(i int) uint64 {
		for j := range b {
			b[j] = byte(i >> (8 * j))
		}
		return spec.Fingerprint(b[:])
	}
	for _, n := range []int{50, 1000, 20000, 40000, 45000, 80000, 300000, 1000000} {
		var s, lo, hi sketch
		for i := 0; i < n; i++ {
			s.add(fp(i))
			s.add(fp(i))
			if i%2 == 0 {
				lo.add(fp(i))
			} else {
				hi.add(fp(i))
			}
		}
		lo.merge(&hi)
		if lo != s {
			t.Fatalf("%d: merged halves differ from the whole", n)
		}
		if e := float64(s.estimate()); math.Abs(e-float64(n)) > 0.03*float64(n) {
			t.Fatalf("%d distinct: estimate %v", n, e)
		}
	}
	var empty sketch
	if empty.estimate() != 0 {
		t.Fatal("empty sketch is not 0")
	}
}

func TestSeenSet(t *testing.T) {
	s := newSeenSet(3) // 16 slots, 8 entries at most
	s.reset()
	for fp := uint64(1); fp <= 5; fp++ {
		s.add(fp * 16) // all in slot 0's probe chain
	}
	for fp := uint64(1); fp <= 5; fp++ {
		if !s.has(fp * 16) {
			t.Fatalf("%d missing", fp*16)
		}
	}
	if s.has(7) || s.has(6*16) {
		t.Fatal("has what was not added")
	}
	s.reset()
	if s.has(16) {
		t.Fatal("a new walk remembers the last one")
	}
	for fp := uint64(1); fp <= 20; fp++ {
		s.add(fp)
	}
	if s.n != s.max || !s.has(8) || s.has(9) {
		t.Fatalf("past max: n %d, max %d", s.n, s.max)
	}
}

// Two unrelated processes created first push the violating tasks two slots
// up; no removal alone replays (Clone(4) needs task 4), so shortening needs
// the renumbering pass to get back to README's 6 steps.
func TestShrinkRenumbers(t *testing.T) {
	m, ch := linuxTarget(t, 7, linux.V3, "NoDanglingCaba")
	padded := parseAll(t, m, "Fork(1)", "Fork(1)", "Fork(1)", "Clone(4)", "Clone(5)", "ExitBegin(5)", "ExitNotify(5)", "Release(5)")
	if !replayViolates(t, m, ch, 0, padded) {
		t.Fatal("the padded trace does not violate")
	}
	got, _, _, err := Shrink(m, ch, 0, padded)
	if err != nil {
		t.Fatal(err)
	}
	want := parseAll(t, m, "Fork(1)", "Clone(2)", "Clone(3)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)")
	if len(got) != len(want) {
		t.Fatalf("shrunk to %d steps %v, want %v", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("step %d: %s, want %s", i+1, m.FormatAction(got[i]), m.FormatAction(want[i]))
		}
	}
}
