package state

import "testing"

// benchStates returns the corpus states with n tasks, decoded and encoded.
func benchStates(b *testing.B, n int) ([]State, [][]byte) {
	var ss []State
	var bs [][]byte
	for _, p := range loadCorpus(b) {
		if p.n == n {
			var s State
			s.Decode(p.cur, n)
			ss = append(ss, s)
			bs = append(bs, p.cur)
		}
	}
	if len(ss) == 0 {
		b.Fatalf("no corpus states with %d tasks", n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	return ss, bs
}

func BenchmarkEncode(b *testing.B) {
	ss, _ := benchStates(b, 5)
	out := make([]byte, Size(5))
	for i := 0; i < b.N; i++ {
		ss[i%len(ss)].Encode(out)
	}
}

func BenchmarkDecode(b *testing.B) {
	_, bs := benchStates(b, 5)
	var s State
	for i := 0; i < b.N; i++ {
		s.Decode(bs[i%len(bs)], 5)
	}
}

func BenchmarkPermute(b *testing.B) {
	ss, _ := benchStates(b, 5)
	perm := [Slots]uint8{0, 1, 5, 4, 3, 2, 6, 7, 8, 9, 10, 11, 12, 13, 14}
	var sink State
	for i := 0; i < b.N; i++ {
		sink = ss[i%len(ss)].Permute(&perm)
	}
	_ = sink
}

func BenchmarkCanonicalize(b *testing.B) {
	ss, _ := benchStates(b, 5)
	var s State
	for i := 0; i < b.N; i++ {
		s = ss[i%len(ss)]
		s.St[2] = Released
		s.Canonicalize()
	}
}

func BenchmarkSymmetryCanonical(b *testing.B) {
	ss, _ := benchStates(b, 5)
	var sink State
	for i := 0; i < b.N; i++ {
		sink = ss[i%len(ss)].SymmetryCanonical()
	}
	_ = sink
}

func BenchmarkSymmetryCanonical6(b *testing.B) {
	ss, _ := benchStates(b, 6)
	var sink State
	for i := 0; i < b.N; i++ {
		sink = ss[i%len(ss)].SymmetryCanonical()
	}
	_ = sink
}
