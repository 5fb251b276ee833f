package engine

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"cabacheck/spec"
)

// TestStateFileRoundTrip: parent indices past 2^32 survive a state file,
// and a partial read takes exactly the states asked for.
func TestStateFileRoundTrip(t *testing.T) {
	sf := &stateFile{size: 3,
		records: []record{{Parent: 1<<40 + 7, Action: spec.MakeAction(2, 1, 0)}, {Parent: 5, Action: spec.NoAction}},
		masks:   []uint64{1 << 63, 0},
		states:  []byte{1, 2, 3, 4, 5, 6},
	}
	b := encodeStateFile(sf)
	if len(b) != stateHeaderSize+2*(recordSize+8+3) {
		t.Fatalf("%d bytes", len(b))
	}
	got, err := decodeStateFile(b, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.records, sf.records) || !slices.Equal(got.masks, sf.masks) || string(got.states) != string(sf.states) {
		t.Fatalf("round trip: %+v", got)
	}
	if _, err := decodeStateFile(b, 4); err == nil {
		t.Fatal("a file of 3-byte states read as 4-byte ones")
	}
	if _, err := decodeStateFile(b[:len(b)-1], 3); err == nil {
		t.Fatal("a truncated file was accepted")
	}
	path := filepath.Join(t.TempDir(), "s.bin")
	ctx := context.Background()
	if err := writeFile(ctx, path, b); err != nil {
		t.Fatal(err)
	}
	part, err := readStateRange(ctx, path, 3, 2, 1, 2)
	if err != nil || string(part) != string([]byte{4, 5, 6}) {
		t.Fatalf("state 1: %v, %v", part, err)
	}
}

// TestItemOf: work items are index ranges in order, past 2^32 too.
func TestItemOf(t *testing.T) {
	const big = 1 << 33
	items := []WorkItem{{Base: big, Start: 0, End: 10}, {Base: big, Start: 10, End: 12}, {Base: big + 12, Start: 0, End: 5}}
	for idx, want := range map[uint64]int{big - 1: -1, big: 0, big + 9: 0, big + 10: 1, big + 11: 1, big + 12: 2, big + 16: 2, big + 17: -1} {
		if got := itemOf(items, idx); got != want {
			t.Errorf("itemOf(%d) = %d, want %d", idx, got, want)
		}
	}
}

// TestCut: --max-states keeps the first n states of a level, in order.
func TestCut(t *testing.T) {
	for n, want := range map[int][]int{0: nil, 3: {3}, 4: {4}, 5: {4, 1}, 9: {4, 5}} {
		m := &manifest{Files: []levelFile{{Name: "a", Count: 4}, {Name: "b", Count: 5}}}
		m.cut(n)
		var got []int
		for _, f := range m.Files {
			got = append(got, f.Count)
		}
		if !slices.Equal(got, want) || m.count() != n {
			t.Errorf("cut(%d): %v, want %v", n, got, want)
		}
	}
}
