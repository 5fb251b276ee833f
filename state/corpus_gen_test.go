//go:build corpusgen

package state_test

// TestWriteCorpus writes testdata/reachable.bin.gz, the states the golden
// tests (golden_test.go here, traces/golden_test.go) pin down. It was run
// once, with the code the golden digests were recorded from:
//
//	go test -tags corpusgen -run TestWriteCorpus ./state/
//
// The file is kept, not regenerated: it is input, independent of later
// changes to the model. Format (gzip): sections of
// [n uint8][kind uint8][count uint32 LE], then count records: kind 0 (a
// breadth-first search) uvarint(k - predecessor index, 0 for the root) and
// the state; kind 1 (random walks) the predecessor, then the state.

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"testing"

	"cabacheck/spec"
	"cabacheck/spec/linux"
)

func TestWriteCorpus(t *testing.T) {
	var out bytes.Buffer
	header := func(n, kind, count int) {
		out.WriteByte(byte(n))
		out.WriteByte(byte(kind))
		binary.Write(&out, binary.LittleEndian, uint32(count))
	}
	// Every reachable state at 3 tasks, all actions, seed and v3.
	for _, rev := range []linux.Revision{linux.Seed, linux.V3} {
		m := linux.MustNew(linux.Options{Tasks: 3, Revision: rev, Actions: linux.AllActions})
		init := m.InitialStates()[0]
		seen := map[string]bool{string(init): true}
		states := [][]byte{init}
		pred := []int{-1}
		gen := m.NewGenerator()
		for k := 0; k < len(states); k++ {
			gen.Successors(states[k], func(_ spec.Action, next []byte) {
				if !seen[string(next)] {
					seen[string(next)] = true
					states = append(states, append([]byte(nil), next...))
					pred = append(pred, k)
				}
			})
		}
		t.Logf("bfs n=3 %s: %d states", rev, len(states))
		header(3, 0, len(states))
		for k, s := range states {
			d := uint64(0)
			if pred[k] >= 0 {
				d = uint64(k - pred[k])
			}
			out.Write(binary.AppendUvarint(nil, d))
			out.Write(s)
		}
	}
	// Random walks at 4, 5 and 6 tasks (deep states, more symmetric slots).
	r := rand.New(rand.NewPCG(2026, 12))
	for _, c := range []struct {
		n, count int
		rev      linux.Revision
	}{{4, 3000, linux.Seed}, {4, 3000, linux.V3}, {5, 2000, linux.V4}, {6, 2000, linux.Fixed}} {
		m := linux.MustNew(linux.Options{Tasks: c.n, Revision: c.rev, Actions: linux.AllActions})
		gen := m.NewGenerator()
		seen := map[string]bool{}
		var pairs [][2][]byte
		for len(pairs) < c.count {
			cur := m.InitialStates()[0]
			for depth := 0; depth < 40 && len(pairs) < c.count; depth++ {
				var succ [][]byte
				gen.Successors(cur, func(_ spec.Action, next []byte) { succ = append(succ, append([]byte(nil), next...)) })
				if len(succ) == 0 {
					break
				}
				next := succ[r.IntN(len(succ))]
				if !seen[string(next)] {
					seen[string(next)] = true
					pairs = append(pairs, [2][]byte{cur, next})
				}
				cur = next
			}
		}
		t.Logf("walks n=%d %s: %d pairs", c.n, c.rev, len(pairs))
		header(c.n, 1, len(pairs))
		for _, p := range pairs {
			out.Write(p[0])
			out.Write(p[1])
		}
	}
	f, err := os.Create("testdata/reachable.bin.gz")
	if err != nil {
		t.Fatal(err)
	}
	z, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	z.Write(out.Bytes())
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bytes raw", out.Len())
}
