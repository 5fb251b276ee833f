package simulate

// seenSet is the set of fingerprints of the states on the current walk, so
// that a walk steps only to states it has not been in (a walk that goes
// back to a state it has seen, such as SetSubreaper on and off again,
// checks nothing new). Entries carry the walk's stamp, so starting a walk
// clears nothing.
type seenSet struct {
	fps    []uint64
	stamps []uint32
	stamp  uint32
	n, max int // entries this walk; past max the set stops growing
}

// maxSeen bounds a set's slots (16 MiB of fingerprints and stamps per
// worker): walks longer than half of it stop avoiding their older states.
const maxSeen = 1 << 20

func newSeenSet(depth int) seenSet {
	size := 16
	for size < 2*(depth+1) && size < maxSeen {
		size *= 2
	}
	return seenSet{fps: make([]uint64, size), stamps: make([]uint32, size), max: size / 2}
}

// reset starts a new walk.
func (s *seenSet) reset() {
	s.stamp++
	s.n = 0
	if s.stamp == 0 { // wrapped: stale stamps could match again
		clear(s.stamps)
		s.stamp = 1
	}
}

// has reports whether fp is on the walk.
func (s *seenSet) has(fp uint64) bool {
	mask := uint64(len(s.fps) - 1)
	for i := fp & mask; s.stamps[i] == s.stamp; i = (i + 1) & mask {
		if s.fps[i] == fp {
			return true
		}
	}
	return false
}

// add puts fp on the walk.
func (s *seenSet) add(fp uint64) {
	if s.n >= s.max {
		return
	}
	mask := uint64(len(s.fps) - 1)
	i := fp & mask
	for ; s.stamps[i] == s.stamp; i = (i + 1) & mask {
		if s.fps[i] == fp {
			return
		}
	}
	s.fps[i], s.stamps[i] = fp, s.stamp
	s.n++
}
