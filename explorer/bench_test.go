package explorer_test

import (
	"syscall"
	"testing"
	"time"

	"cabacheck/explorer"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/spec/toy"
)

// benchRun runs whole searches and reports distinct states per second.
func benchRun(b *testing.B, m spec.Model, cfg explorer.Config) {
	b.ReportAllocs()
	var distinct uint64
	cpu0 := cpuTime()
	for b.Loop() {
		s, err := explorer.Run(m, cfg)
		if err != nil {
			b.Fatal(err)
		}
		distinct += s.Result.Distinct
	}
	b.ReportMetric(float64(distinct)/b.Elapsed().Seconds(), "states/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(distinct), "ns/state")
	// CPU time per state varies less than wall time on a shared machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(distinct), "cpu-ns/state")
}

// cpuTime is the process's CPU time (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkRunToy8Workers1(b *testing.B) {
	m, _ := toy.New(8)
	benchRun(b, m, explorer.Config{Workers: 1})
}

func BenchmarkRunToy8Workers2(b *testing.B) {
	m, _ := toy.New(8)
	benchRun(b, m, explorer.Config{Workers: 2})
}

// The main job's model with its invariants: v4, 5 tasks, every invariant.
func BenchmarkRunLinuxV4Tasks5(b *testing.B) {
	benchRun(b, model(b, 5, linux.V4), explorer.Config{Workers: 2, Checker: checker(b, 5, "all"), Continue: true})
}

// The Linux model as `check --tasks 5 --revision v3 --invariants sanity`
// runs it, with one and two workers: the pair issue 15 compares.
func BenchmarkRunLinuxV3Tasks5SanityWorkers1(b *testing.B) {
	benchRun(b, model(b, 5, linux.V3), explorer.Config{Workers: 1, Checker: checker(b, 5, "sanity")})
}

func BenchmarkRunLinuxV3Tasks5SanityWorkers2(b *testing.B) {
	benchRun(b, model(b, 5, linux.V3), explorer.Config{Workers: 2, Checker: checker(b, 5, "sanity")})
}

// With coverage on (Config.Coverage), to set against the runs above: off,
// the hot path is the same as without coverage.
func BenchmarkRunToy8Workers2Coverage(b *testing.B) {
	m, _ := toy.New(8)
	benchRun(b, m, explorer.Config{Workers: 2, Coverage: true})
}

func BenchmarkRunLinuxV4Tasks5Coverage(b *testing.B) {
	benchRun(b, model(b, 5, linux.V4), explorer.Config{Workers: 2, Checker: checker(b, 5, "all"), Continue: true, Coverage: true})
}

func BenchmarkRunToy8Workers1Coverage(b *testing.B) {
	m, _ := toy.New(8)
	benchRun(b, m, explorer.Config{Workers: 1, Coverage: true})
}
