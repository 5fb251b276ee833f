package state

import (
	"math/rand/v2"
	"strings"
	"testing"

	"cabacheck/spec"
)

// randomState fills every field with values the encoding can hold.
func randomState(r *rand.Rand, n int) State {
	s := Initial(n)
	s.Corrupt = r.IntN(2) == 0
	for i := 1; i <= n; i++ {
		s.St[i] = Status(r.IntN(int(Released) + 1))
		s.Tg[i], s.Parent[i], s.Caba[i], s.Born[i], s.Leader[i] = uint8(r.IntN(n+1)), uint8(r.IntN(n+1)), uint8(r.IntN(n+1)), uint8(r.IntN(n+1)), uint8(r.IntN(n+1))
		s.CabdOf[i], s.Exec[i] = uint8(r.IntN(n+1)), None
		if r.IntN(3) == 0 {
			s.CabdOf[i] = None
		}
		if r.IntN(3) == 0 {
			s.Exec[i] = uint8(r.IntN(n + 1))
		}
		s.Sub[i], s.HasSub[i], s.Ign[i] = r.IntN(2) == 0, r.IntN(2) == 0, r.IntN(2) == 0
		s.Sid[i], s.Pgid[i], s.Execd[i] = uint8(r.IntN(n+1)), uint8(r.IntN(n+1)), r.IntN(2) == 0
	}
	return s
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 5, MaxTasks} {
		for k := 0; k < 2000; k++ {
			s := randomState(r, n)
			b := make([]byte, Size(n))
			s.Encode(b)
			if err := Validate(b, n); err != nil {
				t.Fatalf("n=%d: %v", n, err)
			}
			var d State
			d.Decode(b, n)
			if d != s {
				t.Fatalf("n=%d: round trip differs:\n%+v\n%+v", n, s, d)
			}
		}
	}
}

func TestValidateRejects(t *testing.T) {
	s := Initial(3)
	b := make([]byte, Size(3))
	s.Encode(b)
	if Validate(b[:4], 3) == nil {
		t.Error("short state accepted")
	}
	bad := append([]byte(nil), b...)
	bad[0] = 7 // status 7
	if Validate(bad, 3) == nil {
		t.Error("bad status accepted")
	}
	if Validate(b, 0) == nil || Validate(b, MaxTasks+1) == nil {
		t.Error("bad bound accepted")
	}
}

func TestCanonicalize(t *testing.T) {
	s := Initial(4)
	// Group 2 = {2, 3}; 3 released (a thread), 2 released (the founder): the group is gone.
	s.St[2], s.Tg[2], s.Parent[2], s.Caba[2], s.CabdOf[2], s.Born[2], s.Leader[2], s.Sub[2], s.Exec[2] = Released, 2, 1, 1, 1, 1, 2, true, 3
	s.St[3], s.Tg[3], s.Parent[3], s.Caba[3], s.Born[3] = Released, 2, 1, 2, 0
	s.Canonicalize()
	if s.Tg[2] != 2 || s.Born[2] != 1 || s.Parent[2] != 0 || s.Caba[2] != 0 || s.CabdOf[2] != None {
		t.Errorf("released founder: %+v", s)
	}
	if s.Tg[3] != 0 || s.Caba[3] != 0 || s.Parent[3] != 0 {
		t.Errorf("released thread keeps fields")
	}
	if s.Leader[2] != 0 || s.Sub[2] || s.Exec[2] != None {
		t.Errorf("a fully released group keeps its group fields")
	}
	// ... its session and process group ids too (but not another group's
	// ids that name it: an id stays in use after its group is gone).
	w := Initial(4)
	w.St[2], w.Tg[2], w.Born[2], w.Leader[2], w.Sid[2], w.Pgid[2], w.Execd[2] = Released, 2, 1, 2, 2, 2, true
	w.St[3], w.Tg[3], w.Parent[3], w.Born[3], w.Leader[3], w.Sid[3], w.Pgid[3] = Running, 3, 1, 2, 3, 2, 2
	w.Canonicalize()
	if w.Sid[2] != 0 || w.Pgid[2] != 0 || w.Execd[2] || w.Sid[3] != 2 || w.Pgid[3] != 2 {
		t.Errorf("ids after the release of their group: %+v", w)
	}
	// A group with a hashed task keeps its fields even if its founder is released (after an exec).
	u := Initial(4)
	u.St[2], u.Tg[2], u.Born[2] = Released, 2, 1
	u.St[3], u.Tg[3], u.Parent[3] = Running, 2, 1
	u.Leader[2], u.Sub[2] = 3, true
	u.Canonicalize()
	if u.Leader[2] != 3 || !u.Sub[2] {
		t.Errorf("live group lost its fields: leader %d sub %v", u.Leader[2], u.Sub[2])
	}
}

func TestFingerprint(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	seen := map[uint64]string{}
	for k := 0; k < 50000; k++ {
		s := randomState(r, 5)
		b := make([]byte, Size(5))
		s.Encode(b)
		fp := spec.Fingerprint(b)
		if fp == 0 {
			t.Fatal("zero fingerprint")
		}
		if prev, ok := seen[fp]; ok && prev != string(b) {
			t.Fatalf("collision between distinct states")
		}
		seen[fp] = string(b)
		// One flipped bit changes the fingerprint.
		b[r.IntN(len(b))] ^= 1 << r.IntN(8)
		if spec.Fingerprint(b) == fp {
			t.Fatal("a one-bit change kept the fingerprint")
		}
	}
}

func TestHelpers(t *testing.T) {
	s := Initial(5)
	s.St[2], s.Tg[2], s.Leader[2], s.Parent[2] = Zombie, 2, 2, 1
	s.St[3], s.Tg[3], s.Parent[3] = Exiting, 2, 1
	s.St[4], s.Tg[4], s.Parent[4] = Running, 2, 1
	if s.FindAlive(2, None) != 4 || s.FindAlive(2, 4) != None {
		t.Error("FindAlive")
	}
	if s.GroupEmpty(2) || !s.GroupHashed(2) || !s.GroupNotified(2) {
		t.Error("group predicates")
	}
	if !s.IsChild(2, 1) || s.IsChild(3, 1) {
		t.Error("IsChild: only leaders are children")
	}
	if s.NextFree() != 5 {
		t.Error("NextFree")
	}
}

func TestGetSet(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for k := 0; k < 200; k++ {
		s := randomState(r, 5)
		c := Blank(5)
		for id, f := range Fields {
			for i := uint8(0); i < Slots; i++ {
				c.Set(FieldID(id), i, s.Get(FieldID(id), i))
				if f.Scope == ScopeGlobal {
					break
				}
			}
		}
		if c != s {
			t.Fatalf("Set(Get) does not rebuild the state:\n%+v\n%+v", s, c)
		}
	}
	s := Blank(3)
	s.Set(FieldCabdOf, 2, 3)
	s.Set(FieldIgn, 2, 1)
	s.Set(FieldSt, 2, uint8(Zombie))
	if s.CabdOf[2] != 3 || !s.Ign[2] || s.St[2] != Zombie || s.Get(FieldExec, 2) != None || s.Get(FieldIgn, 2) != 1 {
		t.Errorf("Get/Set: %+v", s)
	}
}

// TestFieldTable pins the table's names (the changed: lines and JSON keys
// are the kernel's) and what the generated code derives from it.
func TestFieldTable(t *testing.T) {
	var names []string
	for _, f := range Fields {
		names = append(names, f.Name)
	}
	want := "corrupt state tgid real_parent caba cabd_on born group_leader is_child_subreaper has_child_subreaper sigchld_ignored group_exec_task sid pgid execd pidns child_reaper pidns_zap"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("field names %q, want %q", got, want)
	}
	if BytesPerTask != 7 || pointerFields != 12 || idPointers != 1<<7|1<<8|1<<9|1<<10|1<<11 {
		t.Errorf("BytesPerTask %d, pointerFields %d, idPointers %#x", BytesPerTask, pointerFields, idPointers)
	}
	b := Blank(4)
	if b.N != 4 {
		t.Errorf("Blank: %+v", b)
	}
	for id, f := range Fields {
		for i := uint8(0); i < Slots; i++ {
			if v := b.Get(FieldID(id), i); v != f.Kind.Zero() {
				t.Errorf("Blank: %s[%d] = %d, want the zero %d", f.Name, i, v, f.Kind.Zero())
			}
		}
	}
}
