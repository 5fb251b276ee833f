//go:build corpusgen

package state_test

// TestWriteCorpus writes testdata/reachable.bin.gz, the states the golden
// tests (golden_test.go here, traces/golden_test.go) pin down. It is run
// when the encoding changes, with the code the golden digests are recorded
// from:
//
//	go test -tags corpusgen -run TestWriteCorpus ./state/
//
// Otherwise the file is kept, not regenerated: it is input, independent of
// later changes to the model. It was first written with the 5-byte layout;
// it was rewritten for the 6-byte one (sessions and process groups), after
// checking that its first six sections (the model without the sessions
// sets) hold the same states as before, field for field. Format (gzip):
// sections of [n uint8][kind uint8][count uint32 LE], then count records:
// kind 0 (a breadth-first search) uvarint(k - predecessor index, 0 for the
// root) and the state; kind 1 (random walks) the predecessor, then the
// state. The sections: every reachable state at 3 tasks with all actions
// (seed, v3); random walks at 4 to 6 tasks with all actions; then, with the
// sessions sets on, every reachable state at 3 tasks (seed, clone-parent,
// sessions, execve) and random walks at 4 to 6 tasks (all, sessions,
// execve); then random walks at 4 to 6 tasks with all and pidns. It was
// rewritten for the 7-byte layout (pid namespaces) after checking that the
// sections before the pidns ones hold the same states as before, field for
// field, with the same symmetry representatives (pidns 1 for every born
// task, child_reaper 1 for init).

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
	const sessions = linux.Sessions | linux.Execve
	// Every reachable state at 3 tasks, all actions, seed and v3.
	for _, c := range []struct {
		rev     linux.Revision
		actions linux.ActionSet
	}{{linux.Seed, linux.AllActions}, {linux.V3, linux.AllActions}} {
		bfs(t, header, &out, c.rev, c.actions)
	}
	// Random walks at 4, 5 and 6 tasks (deep states, more symmetric slots).
	r := rand.New(rand.NewPCG(2026, 12))
	walks := []walk{{4, 3000, linux.Seed}, {4, 3000, linux.V3}, {5, 2000, linux.V4}, {6, 2000, linux.Fixed}}
	randomWalks(t, header, &out, r, walks, linux.AllActions)
	// The same with the sessions sets on (a smaller action set for the
	// breadth-first search: with all of them it has 305,716 states).
	bfs(t, header, &out, linux.Seed, linux.CloneParent|sessions)
	r = rand.New(rand.NewPCG(2026, 13))
	randomWalks(t, header, &out, r, []walk{{4, 2000, linux.V3}, {5, 2000, linux.V4}, {6, 2000, linux.Fixed}}, linux.AllActions|sessions)
	// With pid namespaces (namespaces, their reapers, zaps).
	r = rand.New(rand.NewPCG(2026, 14))
	randomWalks(t, header, &out, r, []walk{{4, 2000, linux.Seed}, {5, 2000, linux.V3}, {6, 2000, linux.Fixed}}, linux.AllActions|linux.Pidns)
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

type walk struct {
	n, count int
	rev      linux.Revision
}

// bfs writes a section of every reachable state, in breadth-first order.
func bfs(t *testing.T, header func(n, kind, count int), out *bytes.Buffer, rev linux.Revision, actions linux.ActionSet) {
	m := linux.MustNew(linux.Options{Tasks: 3, Revision: rev, Actions: actions})
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
	t.Logf("bfs n=3 %s %s: %d states", rev, actions, len(states))
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

// randomWalks writes a section of random-walk pairs per walk.
func randomWalks(t *testing.T, header func(n, kind, count int), out *bytes.Buffer, r *rand.Rand, walks []walk, actions linux.ActionSet) {
	for _, c := range walks {
		m := linux.MustNew(linux.Options{Tasks: c.n, Revision: c.rev, Actions: actions})
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
		t.Logf("walks n=%d %s %s: %d pairs", c.n, c.rev, actions, len(pairs))
		header(c.n, 1, len(pairs))
		for _, p := range pairs {
			out.Write(p[0])
			out.Write(p[1])
		}
	}
}
