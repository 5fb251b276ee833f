package toy

import (
	"fmt"
	"strconv"
	"strings"

	"cabacheck/spec"
)

// MaxSlots is the largest MAXP: a parent must fit in the six high bits of a slot byte.
const MaxSlots = 64

// Slot statuses, the two low bits of a slot byte; the parent is in the six high bits.
const (
	Free   uint8 = 0
	Run    uint8 = 1
	Zombie uint8 = 2
)

// Action kinds.
const (
	KFork uint8 = 1 + iota
	KExit
	KWait
)

var kindNames = [...]string{KFork: "Fork", KExit: "Exit", KWait: "Wait"}

// Model is the benchmark model with MAXP slots. A state is MAXP bytes, one
// per slot: status | parent<<2.
type Model struct {
	slots int
}

var _ spec.Model = (*Model)(nil)

// New returns the model with maxp slots.
func New(maxp int) (*Model, error) {
	if maxp < 2 || maxp > MaxSlots {
		return nil, fmt.Errorf("--tasks %d is outside 2..%d for the toy model (MAXP: init plus at least one slot)", maxp, MaxSlots)
	}
	return &Model{slots: maxp}, nil
}

// Slots returns MAXP.
func (m *Model) Slots() int { return m.slots }

func (m *Model) Name() string   { return fmt.Sprintf("toy/maxp=%d", m.slots) }
func (m *Model) StateSize() int { return m.slots }

// InitialStates returns the one initial state: slot 0 running, the rest free.
func (m *Model) InitialStates() [][]byte {
	b := make([]byte, m.slots)
	b[0] = Run
	return [][]byte{b}
}

// Status and Parent decode one slot.
func Status(b byte) uint8 { return b & 3 }
func Parent(b byte) uint8 { return b >> 2 }

// Apply computes the successor of s under a into out.
func (m *Model) Apply(s []byte, a spec.Action, out []byte) bool {
	me := int(a.A())
	if me >= m.slots || a.B() != 0 || Status(s[me]) != Run {
		return false
	}
	copy(out, s)
	switch a.Kind() {
	case KFork:
		for c := 1; c < m.slots; c++ {
			if Status(s[c]) == Free {
				out[c] = Run | uint8(me)<<2
				break
			}
		}
	case KExit:
		if me == 0 {
			return false
		}
		out[me] = Zombie | s[me]&^3
		for c := 1; c < m.slots; c++ {
			if Status(out[c]) != Free && int(Parent(out[c])) == me {
				out[c] &= 3
			}
		}
	case KWait:
		for c := 1; c < m.slots; c++ {
			if Status(s[c]) == Zombie && int(Parent(s[c])) == me {
				out[c] = Free
				break
			}
		}
	default:
		return false
	}
	return true
}

// FormatAction renders Fork(2), Exit(3), Wait(0).
func (m *Model) FormatAction(a spec.Action) string {
	if k := a.Kind(); k >= KFork && k <= KWait {
		return fmt.Sprintf("%s(%d)", kindNames[k], a.A())
	}
	return fmt.Sprintf("Kind%d(%d)", a.Kind(), a.A())
}

// ParseAction is the inverse of FormatAction.
func (m *Model) ParseAction(s string) (spec.Action, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	open := strings.IndexByte(t, '(')
	if open < 0 || !strings.HasSuffix(t, ")") {
		return 0, fmt.Errorf("action %q: want Name(slot)", s)
	}
	for k := KFork; k <= KWait; k++ {
		if strings.EqualFold(kindNames[k], t[:open]) {
			n, err := strconv.Atoi(t[open+1 : len(t)-1])
			if err != nil || n < 0 || n >= m.slots {
				return 0, fmt.Errorf("action %q: slot outside 0..%d", s, m.slots-1)
			}
			return spec.MakeAction(k, uint8(n), 0), nil
		}
	}
	return 0, fmt.Errorf("action %q: unknown action (want Fork, Exit or Wait)", s)
}

// FormatState renders a state as "0:R 1:R<0 2:Z<1 3:-", one entry per slot.
func (m *Model) FormatState(s []byte) string {
	var b strings.Builder
	for i, v := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch Status(v) {
		case Free:
			fmt.Fprintf(&b, "%d:-", i)
		case Run:
			fmt.Fprintf(&b, "%d:R<%d", i, Parent(v))
		default:
			fmt.Fprintf(&b, "%d:Z<%d", i, Parent(v))
		}
	}
	return b.String()
}

// Describe is the model's one-line description for report headers.
func (m *Model) Describe() string { return fmt.Sprintf("standard benchmark model, MAXP=%d", m.slots) }
