package toy

import (
	"math/bits"

	"cabacheck/spec"
)

// NewGenerator returns a successor generator.
func (m *Model) NewGenerator() spec.Generator {
	return &generator{n: m.slots, out: make([]byte, m.slots)}
}

type generator struct {
	n   int
	out []byte
}

// Successors emits, slot by slot, Fork, Exit and Wait of every Run slot; a
// no-op Fork or Wait emits the state itself, as TLC and SPIN count it.
func (g *generator) Successors(s []byte, emit func(spec.Action, []byte)) {
	n, out := g.n, g.out
	firstFree := -1
	var zombies uint64 // bit c: slot c is a zombie
	for c := 1; c < n; c++ {
		switch Status(s[c]) {
		case Free:
			if firstFree < 0 {
				firstFree = c
			}
		case Zombie:
			zombies |= 1 << c
		}
	}
	for me := 0; me < n; me++ {
		if Status(s[me]) != Run {
			continue
		}
		copy(out, s)
		if firstFree >= 0 {
			out[firstFree] = Run | uint8(me)<<2
		}
		emit(spec.MakeAction(KFork, uint8(me), 0), out)

		if me != 0 {
			copy(out, s)
			out[me] = Zombie | s[me]&^3
			for c := 1; c < n; c++ {
				if out[c]&3 != Free && int(out[c]>>2) == me {
					out[c] &= 3
				}
			}
			emit(spec.MakeAction(KExit, uint8(me), 0), out)
		}

		copy(out, s)
		for z := zombies; z != 0; z &= z - 1 {
			c := bits.TrailingZeros64(z)
			if int(s[c]>>2) == me {
				out[c] = Free
				break
			}
		}
		emit(spec.MakeAction(KWait, uint8(me), 0), out)
	}
}
