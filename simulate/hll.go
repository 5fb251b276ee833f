package simulate

import (
	"math"
	"math/bits"
)

// hllP is the HyperLogLog precision: 2^14 one-byte registers (16 KiB per
// worker), a standard error of 1.04/sqrt(2^14), about 0.8%.
const hllP = 14

// sketch is a HyperLogLog sketch of state fingerprints: the distinct-state
// count of a simulation without storing the states. Merging takes the
// register maximum, so the merged sketch is the same however the states
// were split among workers.
type sketch [1 << hllP]uint8

// add records a 64-bit fingerprint (already a good hash).
func (s *sketch) add(fp uint64) {
	i := fp >> (64 - hllP)
	rho := uint8(bits.LeadingZeros64(fp<<hllP|1<<(hllP-1))) + 1
	if rho > s[i] {
		s[i] = rho
	}
}

// merge folds o into s.
func (s *sketch) merge(o *sketch) {
	for i, v := range o {
		if v > s[i] {
			s[i] = v
		}
	}
}

// estimate is the HyperLogLog cardinality estimate, with linear counting
// below 2.5 times the register count, where the raw estimate is biased
// (Flajolet et al. 2007).
func (s *sketch) estimate() uint64 {
	const m = float64(len(s))
	sum, zeros := 0.0, 0
	for _, v := range s {
		sum += math.Ldexp(1, -int(v))
		if v == 0 {
			zeros++
		}
	}
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return uint64(math.Round(e))
}
