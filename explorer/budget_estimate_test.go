package explorer

import "testing"

// The next level's estimate counts only what the reused buffers cannot
// hold: a 6-task v3 search was stopped by --max-memory before its level 19
// although its frontier then fitted in the buffer the level before had left.
func TestLevelEstimateReusesBuffers(t *testing.T) {
	levels := []LevelStats{{Frontier: 1000, Generated: 8000, New: 900}}
	const size = 42
	none := levelEstimate(levels, 1000, size, 2, reusable{})
	if none == 0 {
		t.Fatal("no estimate without reusable buffers")
	}
	// 1000 frontier states of degree 8 and growth 1 (0.9, clamped):
	// 8000 candidates of 8+42+8+4+1 bytes and 1000 states of 42+16.
	if want := uint64((8000*63 + 1000*58) * 1.2); none != want {
		t.Errorf("estimate %d, want %d", none, want)
	}
	all := levelEstimate(levels, 1000, size, 2, reusable{round: 8000 * 63, level: 1000 * 58})
	if all != 0 {
		t.Errorf("estimate %d with buffers that hold the whole level, want 0", all)
	}
	half := levelEstimate(levels, 1000, size, 2, reusable{level: 1000 * 58})
	if want := uint64(8000 * 63 * 1.2); half != want {
		t.Errorf("estimate %d with the level buffers held, want %d", half, want)
	}
}

// reusable counts the capacity the search's buffers hold.
func TestReusableCountsCapacity(t *testing.T) {
	r := &run{next: make([]byte, 0, 100), nextRecs: make([]Record, 0, 10), nextFPs: make([]uint64, 0, 10),
		workers: []*worker{{records: make([]Record, 0, 4), states: make([]byte, 0, 40), isNew: make([]bool, 0, 4),
			shardFPs: [][]uint64{make([]uint64, 0, 2)}, shardIdx: [][]uint32{make([]uint32, 0, 2)}}}}
	h := r.reusable()
	if h.level != 100+10*8+10*8 || h.round != 4*8+40+4+2*8+2*4 {
		t.Errorf("reusable %+v", h)
	}
}
