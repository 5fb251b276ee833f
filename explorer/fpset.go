package explorer

import "math/bits"

// Visited is the set of fingerprints of states seen so far. It is sharded by
// the fingerprint's top bits. Contains may be called concurrently while no
// Insert runs; Insert may run concurrently on different shards.
type Visited interface {
	Contains(fp uint64) bool
	// Insert adds fp and reports whether it was new.
	Insert(fp uint64) bool
	// Shards is the number of shards; ShardOf(fp) is in [0, Shards()).
	Shards() int
	ShardOf(fp uint64) int
	Len() uint64
	// Range calls fn for every fingerprint, in no particular order.
	Range(fn func(fp uint64))
	// Bytes is the memory held by the set.
	Bytes() uint64
}

const shardBits = 8

// FPSet is an in-memory Visited: open addressing with linear probing over
// uint64 fingerprints (0 marks an empty slot), one table per shard.
type FPSet struct {
	shards [1 << shardBits]fpShard
}

type fpShard struct {
	slots []uint64
	mask  uint64
	n     uint64
	_     [40]byte // keep shards on separate cache lines
}

// NewFPSet returns an empty set sized for about expect fingerprints.
func NewFPSet(expect uint64) *FPSet {
	per := expect / (1 << shardBits) * 2
	size := uint64(64)
	for size < per {
		size <<= 1
	}
	s := &FPSet{}
	for i := range s.shards {
		s.shards[i].slots = make([]uint64, size)
		s.shards[i].mask = size - 1
	}
	return s
}

func (s *FPSet) Shards() int             { return 1 << shardBits }
func (s *FPSet) ShardOf(fp uint64) int   { return int(fp >> (64 - shardBits)) }
func (s *FPSet) Contains(fp uint64) bool { return s.shards[fp>>(64-shardBits)].contains(fp) }
func (s *FPSet) Insert(fp uint64) bool   { return s.shards[fp>>(64-shardBits)].insert(fp) }

func (s *FPSet) Len() uint64 {
	var n uint64
	for i := range s.shards {
		n += s.shards[i].n
	}
	return n
}

func (s *FPSet) Bytes() uint64 {
	var n uint64
	for i := range s.shards {
		n += uint64(len(s.shards[i].slots)) * 8
	}
	return n
}

func (s *FPSet) Range(fn func(uint64)) {
	for i := range s.shards {
		for _, fp := range s.shards[i].slots {
			if fp != 0 {
				fn(fp)
			}
		}
	}
}

func home(fp, mask uint64) uint64 {
	// The top bits chose the shard; mix the rest for the slot.
	return bits.RotateLeft64(fp*0x9E3779B97F4A7C15, 32) & mask
}

func (t *fpShard) contains(fp uint64) bool {
	for i := home(fp, t.mask); ; i = (i + 1) & t.mask {
		v := t.slots[i]
		if v == fp {
			return true
		}
		if v == 0 {
			return false
		}
	}
}

func (t *fpShard) insert(fp uint64) bool {
	for i := home(fp, t.mask); ; i = (i + 1) & t.mask {
		v := t.slots[i]
		if v == fp {
			return false
		}
		if v == 0 {
			t.slots[i] = fp
			t.n++
			if t.n*4 > uint64(len(t.slots))*3 {
				t.grow()
			}
			return true
		}
	}
}

func (t *fpShard) grow() {
	old := t.slots
	t.slots = make([]uint64, len(old)*2)
	t.mask = uint64(len(t.slots) - 1)
	for _, fp := range old {
		if fp == 0 {
			continue
		}
		for i := home(fp, t.mask); ; i = (i + 1) & t.mask {
			if t.slots[i] == 0 {
				t.slots[i] = fp
				break
			}
		}
	}
}
