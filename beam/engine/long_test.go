package engine

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// cpuTime is this process's user and system time.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestLongV3FiveTasks (CABACHECK_LONG=1): v3 at 5 tasks, every invariant,
// the whole space, on Prism against the native explorer; it logs both
// engines' wall and CPU time, the figures docs/distributed.md quotes.
func TestLongV3FiveTasks(t *testing.T) {
	if os.Getenv("CABACHECK_LONG") != "1" {
		t.Skip("CABACHECK_LONG=1 runs v3 at 5 tasks on Prism (a few minutes)")
	}
	ms := ModelSpec{Kind: "linux", Tasks: 5, Revision: "v3", Actions: "default", Invariants: "all"}
	c0, w0 := cpuTime(t), time.Now()
	want := native(t, ms, true, 0)
	c1, w1 := cpuTime(t), time.Now()
	got := onBeam(t, Config{Spec: ms, Continue: true})
	c2, w2 := cpuTime(t), time.Now()
	sameAsNative(t, got, want)
	n := float64(got.Distinct)
	t.Logf("native: %d states, %.1fs wall, %.1f CPU-s (%.0f states/CPU-s)", want.Distinct, w1.Sub(w0).Seconds(), (c1 - c0).Seconds(), n/(c1-c0).Seconds())
	t.Logf("beam on prism: %d states, %d pipelines, %.1fs wall, %.1f CPU-s (%.0f states/CPU-s); CPU ratio beam/native %.2f",
		got.Distinct, got.Pipelines, w2.Sub(w1).Seconds(), (c2 - c1).Seconds(), n/(c2-c1).Seconds(), float64(c2-c1)/float64(c1-c0))
}
