package badgerstore

import "math/bits"

// bloom is a Bloom filter over fingerprints, 10 bits and 7 probes per
// element (about 1% false positives at capacity).
type bloom struct {
	words    []uint64
	n, limit uint64
}

const bloomBitsPerElement = 10

func newBloom(capacity uint64) *bloom {
	capacity = max(capacity, 1<<16)
	nbits := capacity * bloomBitsPerElement
	return &bloom{words: make([]uint64, (nbits+63)/64), limit: capacity}
}

func (b *bloom) probe(fp uint64, k int) uint64 {
	h := fp + uint64(k)*(bits.RotateLeft64(fp, 29)|1)
	hi, _ := bits.Mul64(h*0x9E3779B97F4A7C15, uint64(len(b.words))*64)
	return hi
}

func (b *bloom) add(fp uint64) {
	for k := 0; k < 7; k++ {
		i := b.probe(fp, k)
		b.words[i/64] |= 1 << (i % 64)
	}
	b.n++
}

func (b *bloom) mayContain(fp uint64) bool {
	for k := 0; k < 7; k++ {
		i := b.probe(fp, k)
		if b.words[i/64]&(1<<(i%64)) == 0 {
			return false
		}
	}
	return true
}

func (b *bloom) full() bool    { return b.n > b.limit }
func (b *bloom) bytes() uint64 { return uint64(len(b.words)) * 8 }
