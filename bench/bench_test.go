package bench

import (
	"testing"

	"cabacheck/explorer"
	"cabacheck/explorer/badgerstore"
	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/spec/toy"
	"cabacheck/state"
)

// sample returns up to n reachable states of m, spread over the search.
func sample(b *testing.B, m spec.Model, n int) [][]byte {
	b.Helper()
	s, err := explorer.Run(m, explorer.Config{Workers: 2, MaxStates: 200000})
	if err != nil {
		b.Fatal(err)
	}
	var out [][]byte
	step := max(1, int(s.Result.Distinct)/n)
	for i := 0; i < int(s.Result.Distinct) && len(out) < n; i += step {
		_, acts, err := s.Path(uint32(i))
		if err != nil {
			b.Fatal(err)
		}
		cur := m.InitialStates()[0]
		next := make([]byte, len(cur))
		for _, a := range acts {
			m.Apply(cur, a, next)
			cur, next = next, cur
		}
		out = append(out, cur)
	}
	return out
}

func linuxModel() *linux.Model {
	return linux.MustNew(linux.Options{Tasks: 5, Revision: linux.V4, Actions: linux.DefaultActions})
}

func benchSuccessors(b *testing.B, m spec.Model) {
	states := sample(b, m, 4096)
	gen := m.NewGenerator()
	n := 0
	emit := func(spec.Action, []byte) { n++ }
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		gen.Successors(states[i%len(states)], emit)
	}
	b.ReportMetric(float64(n)/float64(b.N), "succ/op")
}

func BenchmarkSuccessorsToy(b *testing.B) {
	m, _ := toy.New(8)
	benchSuccessors(b, m)
}

func BenchmarkSuccessorsLinux(b *testing.B) { benchSuccessors(b, linuxModel()) }

func BenchmarkSuccessorsLinuxSymmetry(b *testing.B) {
	m, _ := linux.NewSymmetric(linux.Options{Tasks: 5, Revision: linux.V4, Actions: linux.DefaultActions})
	benchSuccessors(b, m)
}

func BenchmarkDecodeEncodeLinux(b *testing.B) {
	states := sample(b, linuxModel(), 4096)
	var s state.State
	out := make([]byte, len(states[0]))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Decode(states[i%len(states)], 5)
		s.Encode(out)
	}
}

func BenchmarkSymmetryCanonical(b *testing.B) {
	states := sample(b, linuxModel(), 4096)
	ss := make([]state.State, len(states))
	for i := range states {
		ss[i].Decode(states[i], 5)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = ss[i%len(ss)].SymmetryCanonical()
	}
}

func BenchmarkFingerprint(b *testing.B) {
	states := sample(b, linuxModel(), 4096)
	var x uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x ^= spec.Fingerprint(states[i%len(states)])
	}
	if x == 0 {
		b.Log(x)
	}
}

// benchCheck evaluates the invariants of group on reachable states, as the
// explorer's level check does once per distinct state; it must not
// allocate (issue 15).
func benchCheck(b *testing.B, group string) {
	states := sample(b, linuxModel(), 4096)
	invs, err := invariants.Select(group, linux.V4)
	if err != nil {
		b.Fatal(err)
	}
	ch := invariants.NewChecker(5, invs)
	var x uint64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x |= ch.Check(states[i%len(states)])
	}
	if x != 0 {
		b.Logf("violations %#x", x)
	}
}

func BenchmarkCheckSanity(b *testing.B) { benchCheck(b, "sanity") }
func BenchmarkCheckAll(b *testing.B)    { benchCheck(b, "all") }

// BenchmarkFPSetInsert inserts fresh fingerprints into a set of 4M.
func BenchmarkFPSetInsert(b *testing.B) {
	set := explorer.NewFPSet(0)
	for i := uint64(1); i <= 1<<22; i++ {
		set.Insert(i * 0x9E3779B97F4A7C15)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		set.Insert(uint64(i+1<<22+1) * 0x9E3779B97F4A7C15)
	}
}

// BenchmarkFPSetLookupHit looks up present fingerprints (duplicates).
func BenchmarkFPSetLookupHit(b *testing.B) {
	set := explorer.NewFPSet(0)
	for i := uint64(1); i <= 1<<22; i++ {
		set.Insert(i * 0x9E3779B97F4A7C15)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		set.Insert(uint64(i&(1<<22-1)+1) * 0x9E3779B97F4A7C15)
	}
}

func benchExplore(b *testing.B, m spec.Model, workers int, badger bool) {
	var distinct uint64
	for i := 0; i < b.N; i++ {
		cfg := explorer.Config{Workers: workers}
		if badger {
			st, err := badgerstore.Open(badgerstore.Options{Dir: b.TempDir(), Identity: m.Name()})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			cfg.Store = st
		}
		s, err := explorer.Run(m, cfg)
		if err != nil {
			b.Fatal(err)
		}
		distinct += s.Result.Distinct
	}
	b.ReportMetric(float64(distinct)/b.Elapsed().Seconds(), "states/s")
}

func toy7() spec.Model {
	m, _ := toy.New(7)
	return m
}

func BenchmarkExploreToy7Workers1(b *testing.B) { benchExplore(b, toy7(), 1, false) }
func BenchmarkExploreToy7Workers2(b *testing.B) { benchExplore(b, toy7(), 2, false) }
func BenchmarkExploreToy7Badger(b *testing.B)   { benchExplore(b, toy7(), 2, true) }
