package state

import "testing"

// nestedState is a hand-built state with pid namespaces: 1 forked 2 with
// CLONE_NEWPID (namespace 2) and the root process 3; 2 forked 4; 4 forked 5
// with CLONE_NEWPID (namespace 5, nested in 2), 5 forked 6. All Running,
// each a process whose parent is its creator.
func nestedState() State {
	s := Initial(6)
	for i, c := range []struct{ born, pidns uint8 }{2: {1, 2}, 3: {1, 1}, 4: {2, 2}, 5: {4, 5}, 6: {5, 5}} {
		if i < 2 {
			continue
		}
		u := uint8(i)
		s.St[u], s.Tg[u], s.Leader[u], s.Parent[u], s.Born[u] = Running, u, u, c.born, c.born
		s.Pidns[u], s.Sid[u], s.Pgid[u] = c.pidns, 1, 1
		if c.pidns == u {
			s.ChildReaper[u] = u
		}
	}
	return s
}

// Every slot of a namespace below the root belongs to the block of the
// level-1 namespace on its chain, ranked by slot; root slots to none.
func TestNsBlocks(t *testing.T) {
	s := nestedState()
	mov := []uint8{2, 3, 4, 5, 6}
	var blk [Slots]uint8
	if !s.nsBlocks(mov, &blk) {
		t.Fatal("no block found")
	}
	want := [Slots]uint8{2: 2, 3: 0, 4: 2, 5: 2, 6: 2}
	if blk != want {
		t.Errorf("blocks %v, want %v", blk[:7], want[:7])
	}
	for i, r := range map[uint8]int{2: 0, 4: 1, 5: 2, 6: 3} {
		if got := blockRank(mov, &blk, i); got != r {
			t.Errorf("rank of %d: %d, want %d", i, got, r)
		}
	}
	// A namespace no valid state has (None) counts as the root rather than
	// indexing past the slots.
	bad := nestedState()
	bad.Pidns[6] = None
	blk = [Slots]uint8{}
	if bad.nsBlocks(mov, &blk); blk[6] != 0 || blk[5] != 2 {
		t.Errorf("blocks with a bad namespace: %v", blk[:7])
	}
	_ = bad.SymmetryCanonical()
	root := Initial(4)
	root.St[2], root.Tg[2], root.Pidns[2] = Running, 2, 1
	if root.nsBlocks([]uint8{2}, &blk) {
		t.Error("a block without namespaces")
	}
}

// The representative keeps the order of the block (and so every pid number
// below the root), whatever the order of the slots it starts from; the
// root process may move anywhere around it.
func TestSymmetryKeepsBlockOrder(t *testing.T) {
	s := nestedState()
	want := s.SymmetryCanonical()
	for _, p := range [][Slots]uint8{
		{0, 1, 2, 6, 3, 4, 5}, // the root process last
		{0, 1, 3, 2, 4, 5, 6}, // the root process first
	} {
		for i := 7; i < Slots; i++ {
			p[i] = uint8(i)
		}
		q := s.Permute(&p)
		rep, perm := q.SymmetryCanonicalPerm()
		if rep != want {
			t.Errorf("permutation %v: another representative", p[:7])
		}
		// The block's slots of q in slot order: those of 2, 4, 5, 6 in s.
		b := [4]uint8{perm[p[2]], perm[p[4]], perm[p[5]], perm[p[6]]}
		if b[0] > b[1] || b[1] > b[2] || b[2] > b[3] {
			t.Errorf("permutation %v: the block is at %v in the representative", p[:7], b)
		}
		for k, v := range map[uint8]uint8{2: 1, 4: 2, 5: 3, 6: 4} {
			if got := rep.PidNr(perm[p[2]], perm[p[k]]); got != v {
				t.Errorf("permutation %v: pid of %d in namespace 2 is %d in the representative, want %d", p[:7], k, got, v)
			}
		}
	}
}

// BenchmarkSymmetryCanonicalPidns is BenchmarkSymmetryCanonical over the
// corpus states at 5 tasks that have a namespace below the root.
func BenchmarkSymmetryCanonicalPidns(b *testing.B) {
	ss, _ := benchStates(b, 5)
	var nested []State
	for _, s := range ss {
		for i := uint8(2); i <= s.N; i++ {
			if s.St[i] != Unborn && s.Pidns[i] > 1 {
				nested = append(nested, s)
				break
			}
		}
	}
	if len(nested) == 0 {
		b.Fatal("no corpus state with a namespace")
	}
	b.ResetTimer()
	var sink State
	for i := 0; i < b.N; i++ {
		sink = nested[i%len(nested)].SymmetryCanonical()
	}
	_ = sink
}
