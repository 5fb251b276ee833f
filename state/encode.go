package state

import "fmt"

// BytesPerTask is the encoded size of one task slot.
const BytesPerTask = 5

// Size returns the encoded size of a state with n tasks.
func Size(n int) int { return BytesPerTask * n }

// Encode writes the compact encoding of s into b, which must hold Size(N) bytes.
// Layout per slot i (1..N), five bytes:
//
//	[st | sub<<3 | hasSub<<4 | ign<<5 | corrupt<<6 (slot 1 only)]
//	[tg<<4 | parent] [caba<<4 | cabdOf] [born<<4 | leader] [exec<<4]
func (s *State) Encode(b []byte) {
	_ = b[BytesPerTask*int(s.N)-1]
	for i := uint8(1); i <= s.N; i++ {
		o := int(i-1) * BytesPerTask
		f := uint8(s.St[i])
		if s.Sub[i] {
			f |= 1 << 3
		}
		if s.HasSub[i] {
			f |= 1 << 4
		}
		if s.Ign[i] {
			f |= 1 << 5
		}
		if i == 1 && s.Corrupt {
			f |= 1 << 6
		}
		b[o] = f
		b[o+1] = s.Tg[i]<<4 | s.Parent[i]
		b[o+2] = s.Caba[i]<<4 | s.CabdOf[i]
		b[o+3] = s.Born[i]<<4 | s.Leader[i]
		b[o+4] = s.Exec[i] << 4
	}
}

// Decode reads an encoded state of n tasks from b into s.
func (s *State) Decode(b []byte, n int) {
	_ = b[BytesPerTask*n-1]
	s.N = uint8(n)
	s.Corrupt = b[0]&(1<<6) != 0
	s.St[0], s.Tg[0], s.Parent[0], s.Caba[0], s.CabdOf[0], s.Born[0] = Unborn, 0, 0, 0, None, 0
	s.Leader[0], s.Sub[0], s.HasSub[0], s.Ign[0], s.Exec[0] = 0, false, false, false, None
	for i := 1; i <= n; i++ {
		o := (i - 1) * BytesPerTask
		f := b[o]
		s.St[i] = Status(f & 7)
		s.Sub[i] = f&(1<<3) != 0
		s.HasSub[i] = f&(1<<4) != 0
		s.Ign[i] = f&(1<<5) != 0
		s.Tg[i], s.Parent[i] = b[o+1]>>4, b[o+1]&15
		s.Caba[i], s.CabdOf[i] = b[o+2]>>4, b[o+2]&15
		s.Born[i], s.Leader[i] = b[o+3]>>4, b[o+3]&15
		s.Exec[i] = b[o+4] >> 4
	}
	for i := n + 1; i < Slots; i++ {
		s.St[i], s.Tg[i], s.Parent[i], s.Caba[i], s.CabdOf[i], s.Born[i] = Unborn, 0, 0, 0, None, 0
		s.Leader[i], s.Sub[i], s.HasSub[i], s.Ign[i], s.Exec[i] = 0, false, false, false, None
	}
}

// Validate checks that b is a well-formed encoding of a state with n tasks
// (used for states read back from trace files or stores).
func Validate(b []byte, n int) error {
	if n < 1 || n > MaxTasks {
		return fmt.Errorf("task budget %d outside 1..%d", n, MaxTasks)
	}
	if len(b) != Size(n) {
		return fmt.Errorf("encoded state has %d bytes, want %d for %d tasks", len(b), Size(n), n)
	}
	for i := 0; i < n; i++ {
		f := b[i*BytesPerTask]
		if Status(f&7) > Released {
			return fmt.Errorf("slot %d: bad status %d", i+1, f&7)
		}
		if f&(1<<7) != 0 || (i > 0 && f&(1<<6) != 0) || b[i*BytesPerTask+4]&15 != 0 {
			return fmt.Errorf("slot %d: reserved bits set", i+1)
		}
	}
	return nil
}
