package state

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"testing"
)

// corpusPair is one state of testdata/reachable.bin.gz and its predecessor
// (nil for an initial state).
type corpusPair struct {
	n         int
	pred, cur []byte
}

// loadCorpus reads testdata/reachable.bin.gz (see corpus_gen_test.go).
func loadCorpus(t testing.TB) []corpusPair {
	t.Helper()
	f, err := os.Open("testdata/reachable.bin.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(raw)
	var out []corpusPair
	for r.Len() > 0 {
		var h struct {
			N, Kind uint8
			Count   uint32
		}
		if err := binary.Read(r, binary.LittleEndian, &h); err != nil {
			t.Fatal(err)
		}
		size := Size(int(h.N))
		read := func() []byte {
			b := make([]byte, size)
			if _, err := io.ReadFull(r, b); err != nil {
				t.Fatal(err)
			}
			return b
		}
		base := len(out)
		for k := 0; k < int(h.Count); k++ {
			p := corpusPair{n: int(h.N)}
			if h.Kind == 0 {
				d, err := binary.ReadUvarint(r)
				if err != nil {
					t.Fatal(err)
				}
				if d > 0 {
					p.pred = out[base+k-int(d)].cur
				}
			} else {
				p.pred = read()
			}
			p.cur = read()
			out = append(out, p)
		}
	}
	return out
}

// goldenState is the digest of everything the state package computes on the
// corpus and on seeded random states: encodings, decodings, validation,
// symmetry representatives, permutations and refinement colours, canonical
// forms; the encoding and the colours must not change. It was recorded with
// the code before the field table (state/fields.go), and re-recorded when
// the sessions fields (sid, pgid, execd) made a slot 6 bytes, with a
// corpus rewritten in that layout, after checking on the old corpus that the
// representatives, permutations, refinement colours and canonical forms of
// every corpus state are those of the code before, field for field. It was
// re-recorded again when the pid namespace fields (pidns, child_reaper,
// pidns_zap) made a slot 7 bytes, with the corpus rewritten in that layout
// plus pidns sections, after checking the same way that every state the
// model without pidns reaches (the base sections and the sessions
// breadth-first search; the sessions walks diverge where de_thread's execd
// changed before) has the old fields, representative and canonical form of
// the code before.
//
// Re-recorded when symmetry started keeping the slot order of each pid
// namespace block: every checked state without a namespace below the root
// kept its representative and permutation (62,092 states checked).
const goldenState = "4e82f99da864bcf06d053f57d6a45074dba5d3651543b3fa6895736690ec4106"

func TestGoldenState(t *testing.T) {
	corpus := loadCorpus(t)
	h := sha256.New()
	ties := 0
	for _, p := range corpus {
		ties += digestState(t, h, p.cur, p.n)
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 2, 3, 5, 6, MaxTasks} {
		for k := 0; k < 500; k++ {
			s := randomState(r, n)
			b := make([]byte, Size(n))
			s.Encode(b)
			h.Write(b)
			var perm [Slots]uint8
			for i := range perm {
				perm[i] = uint8(i)
			}
			for i := n; i > 2; i-- { // a random permutation of slots 2..n
				j := 2 + r.IntN(i-1)
				perm[i], perm[j] = perm[j], perm[i]
			}
			q := s.Permute(&perm)
			q.Encode(b)
			h.Write(b)
			c := s
			c.Canonicalize()
			c.Encode(b)
			h.Write(b)
			if n <= 6 {
				rep, rp := s.SymmetryCanonicalPerm()
				rep.Encode(b)
				h.Write(b)
				h.Write(rp[:])
			}
			// Arbitrary bytes: what Validate says, and what Decode makes of them.
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			if r.IntN(2) == 0 {
				for i := 0; i < n; i++ {
					b[i*BytesPerTask] &= 0xBF
					b[i*BytesPerTask+5] &= 0xF0
				}
			}
			fmt.Fprintf(h, "%v\n", Validate(b, n))
			var d State
			d.Decode(b, n)
			fmt.Fprintf(h, "%+v\n", d)
		}
	}
	for n := 1; n <= MaxTasks; n++ {
		s := Initial(n)
		fmt.Fprintf(h, "%+v\n", s)
	}
	got := hex.EncodeToString(h.Sum(nil))
	t.Logf("%d corpus states, %d with ties", len(corpus), ties)
	if got != goldenState {
		t.Errorf("state digest %s, want %s", got, goldenState)
	}
}

// digestState hashes what the package computes on one reachable state and
// reports whether its symmetry class needed tie-breaking.
func digestState(t *testing.T, h hash.Hash, enc []byte, n int) int {
	if err := Validate(enc, n); err != nil {
		t.Fatalf("corpus state %x: %v", enc, err)
	}
	var s State
	s.Decode(enc, n)
	b := make([]byte, Size(n))
	s.Encode(b)
	if !bytes.Equal(b, enc) {
		t.Fatalf("decode/encode changed %x to %x", enc, b)
	}
	h.Write(enc)
	fmt.Fprintf(h, "%+v\n", s)
	rep, perm := s.SymmetryCanonicalPerm()
	rep.Encode(b)
	h.Write(b)
	h.Write(perm[:])
	var mov []uint8
	for i := 2; i <= n; i++ {
		if s.St[i] != Unborn {
			mov = append(mov, uint8(i))
		}
	}
	ties := 0
	if len(mov) > 1 {
		color := s.refine(mov)
		seen := map[uint64]bool{}
		for _, i := range mov {
			binary.Write(h, binary.LittleEndian, color[i])
			seen[color[i]] = true
		}
		if len(seen) < len(mov) {
			ties = 1
		}
		// Reverse the movable slots.
		var rev [Slots]uint8
		for i := range rev {
			rev[i] = uint8(i)
		}
		for k, i := range mov {
			rev[i] = mov[len(mov)-1-k]
		}
		q := s.Permute(&rev)
		q.Encode(b)
		h.Write(b)
	}
	c := s
	c.Canonicalize()
	c.Encode(b)
	if !bytes.Equal(b, enc) {
		t.Fatalf("corpus state %x is not canonical", enc)
	}
	// Release each hashed task in turn: what the canonical form keeps.
	for i := uint8(1); i <= uint8(n); i++ {
		if s.Hashed(i) {
			c := s
			c.St[i] = Released
			c.Canonicalize()
			c.Encode(b)
			h.Write(b)
		}
	}
	return ties
}
