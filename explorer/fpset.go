package explorer

import "math/bits"

// Visited is the visited-set part of a Store: the fingerprints of the states
// seen so far. It is sharded by the fingerprint's top bits: every
// fingerprint of shard i is below every fingerprint of shard i+1. Contains
// and AppendShard may be called concurrently while no Insert runs; Insert
// may run concurrently on different shards.
type Visited interface {
	Contains(fp uint64) bool
	// Insert adds fp and reports whether it was new.
	Insert(fp uint64) bool
	// Shards is the number of shards; ShardOf(fp) is in [0, Shards()).
	Shards() int
	ShardOf(fp uint64) int
	Len() uint64
	// AppendShard appends the fingerprints of shard sh to dst, in no
	// particular order. The explorer's collision estimate ("based on the
	// actual fingerprints") reads the set through it, shard by shard.
	AppendShard(dst []uint64, sh int) ([]uint64, error)
	// Bytes is the memory held by the set.
	Bytes() uint64
}

// shardBits chooses 1024 shards: at a few million states each shard's table
// is a few tens of KiB, so the insert phase, which visits one shard at a
// time, works in cache.
const shardBits = 10

// FPSet is an in-memory fingerprint set, the visited set of a MemStore (and
// the exact filter of the Badger store): open addressing with linear probing over
// uint64 fingerprints (0 marks an empty slot), one table per shard. A table
// of any size maps a fingerprint to its home slot by multiplying (so homes
// follow fingerprint order) and grows by half when 80% full, which keeps it
// between 53% and 80% full: at most 15 bytes per fingerprint.
type FPSet struct {
	shards [1 << shardBits]fpShard
}

type fpShard struct {
	slots []uint64
	n     uint64
	limit uint64 // grow when n exceeds this
	_     [24]byte
}

const minShardSlots = 16

// NewFPSet returns an empty set sized for about expect fingerprints.
func NewFPSet(expect uint64) *FPSet {
	per := max(expect/(1<<shardBits)*5/4, minShardSlots)
	s := &FPSet{}
	for i := range s.shards {
		s.shards[i].resize(per)
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

// AppendShard appends the fingerprints of shard sh to dst, in table order.
func (s *FPSet) AppendShard(dst []uint64, sh int) []uint64 {
	for _, fp := range s.shards[sh].slots {
		if fp != 0 {
			dst = append(dst, fp)
		}
	}
	return dst
}

// Reset empties the set, keeping its tables.
func (s *FPSet) Reset() {
	for i := range s.shards {
		t := &s.shards[i]
		clear(t.slots)
		t.n = 0
	}
}

// home is the fingerprint's slot in a table of size slots: the bits below
// the shard bits scaled to the table.
func home(fp uint64, size int) int {
	hi, _ := bits.Mul64(fp<<shardBits, uint64(size))
	return int(hi)
}

func (t *fpShard) contains(fp uint64) bool {
	slots := t.slots
	for i := home(fp, len(slots)); ; {
		v := slots[i]
		if v == fp {
			return true
		}
		if v == 0 {
			return false
		}
		if i++; i == len(slots) {
			i = 0
		}
	}
}

func (t *fpShard) insert(fp uint64) bool {
	slots := t.slots
	for i := home(fp, len(slots)); ; {
		v := slots[i]
		if v == fp {
			return false
		}
		if v == 0 {
			slots[i] = fp
			t.n++
			if t.n > t.limit {
				t.resize(uint64(len(slots)) * 3 / 2)
			}
			return true
		}
		if i++; i == len(slots) {
			i = 0
		}
	}
}

func (t *fpShard) resize(size uint64) {
	old := t.slots
	t.slots = make([]uint64, size)
	t.limit = size * 4 / 5
	for _, fp := range old {
		if fp == 0 {
			continue
		}
		for i := home(fp, len(t.slots)); ; {
			if t.slots[i] == 0 {
				t.slots[i] = fp
				break
			}
			if i++; i == len(t.slots) {
				i = 0
			}
		}
	}
}
