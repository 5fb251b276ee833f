package spec

import (
	"encoding/binary"
	"math/bits"
)

// Fingerprint returns a 64-bit hash of an encoded state. It is never 0, so
// fingerprint tables can use 0 as the empty marker.
func Fingerprint(b []byte) uint64 {
	const (
		p1 = 0x9E3779B185EBCA87
		p2 = 0xC2B2AE3D27D4EB4F
	)
	h := uint64(len(b))*p1 ^ 0x27D4EB2F165667C5
	for len(b) >= 8 {
		k := binary.LittleEndian.Uint64(b)
		hi, lo := bits.Mul64(h^k, p2)
		h = hi ^ lo
		b = b[8:]
	}
	if len(b) > 0 {
		var t [8]byte
		copy(t[:], b)
		hi, lo := bits.Mul64(h^binary.LittleEndian.Uint64(t[:])^uint64(len(b))<<59, p1)
		h = hi ^ lo
	}
	h ^= h >> 33
	h *= 0xFF51AFD7ED558CCD
	h ^= h >> 33
	h *= 0xC4CEB9FE1A85EC53
	h ^= h >> 33
	if h == 0 {
		h = 1
	}
	return h
}
