package simulate

import "math/rand/v2"

// splitmix64 is the SplitMix64 finaliser: it turns nearby inputs (a seed and
// consecutive walk indices) into unrelated 64-bit values.
func splitmix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}

// seedWalk reseeds src with walk i's stream: a function of seed and i only,
// so that a walk never depends on which worker runs it.
func seedWalk(src *rand.PCG, seed uint64, i int) {
	a := splitmix64(seed ^ splitmix64(uint64(i)<<1))
	b := splitmix64(seed ^ splitmix64(uint64(i)<<1|1))
	src.Seed(a, b)
}
