package explorer_test

import (
	"testing"

	"cabacheck/explorer"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/spec/toy"
)

// benchRun runs whole searches and reports distinct states per second.
func benchRun(b *testing.B, m spec.Model, cfg explorer.Config) {
	var distinct uint64
	for b.Loop() {
		s, err := explorer.Run(m, cfg)
		if err != nil {
			b.Fatal(err)
		}
		distinct += s.Result.Distinct
	}
	b.ReportMetric(float64(distinct)/b.Elapsed().Seconds(), "states/s")
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
