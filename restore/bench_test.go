package restore

import (
	"testing"

	"cabacheck/spec/linux"
)

// The cost of one restore check without the memo: dump, plan, replay.
func BenchmarkRestoreSelftest(b *testing.B) {
	s := build(b, linux.V3, 7, Selftest...)
	for _, name := range PlannerNames {
		p, _ := PlannerFor(name, linux.V3)
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				Restore(linux.V3, &s, p, false)
			}
		})
	}
}

// The cost of a memo hit: dumpability, dump, key, lookup.
func BenchmarkCheckerMemoHit(b *testing.B) {
	s := build(b, linux.V3, 7, Selftest...)
	c := CheckerOf(linux.V3, CABA(linux.V3))
	c.Outcome(&s)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Outcome(&s)
	}
}
