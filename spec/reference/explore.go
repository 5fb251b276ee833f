package reference

// Result of a full exploration.
type Result struct {
	Distinct  int // distinct canonical states reached (initial state included)
	Generated int // 1 (initial state) + one per enabled action instance of every expanded state (TLC convention)
	Depth     int // BFS levels below the initial state (longest shortest path)
	Corrupt   int // distinct states with the corrupt flag (they have no successors)
}

// Packed is a State packed into 7 words (55 bits per slot), used only to
// keep the BFS's seen-set and queue small. pack/unpack are exact inverses on
// canonical states.
type Packed [7]uint64

// slotBits is the width of one packed slot.
const slotBits = 3 + 4*6 + 3 + 4 + 4 + 4 + 1 + 3*4

type packer struct {
	w   Packed
	pos uint
}

func (p *packer) put(v int, bits uint) {
	p.w[p.pos/64] |= uint64(v) << (p.pos % 64)
	if p.pos%64+bits > 64 {
		p.w[p.pos/64+1] |= uint64(v) >> (64 - p.pos%64)
	}
	p.pos += bits
}

func (p *packer) get(bits uint) int {
	v := p.w[p.pos/64] >> (p.pos % 64)
	if p.pos%64+bits > 64 {
		v |= p.w[p.pos/64+1] << (64 - p.pos%64)
	}
	p.pos += bits
	return int(v & (1<<bits - 1))
}

// Pack encodes s.
func Pack(s *State) Packed {
	var p packer
	// Unborn slots are a suffix (slots are taken in order) and pack to
	// zero bits, so they are skipped; the corrupt bit has a fixed place.
	for i := 1; i <= MaxTasks && s.St[i] != Unborn; i++ {
		p.put(int(s.St[i]), 3)
		p.put(int(s.Tg[i]), 4)
		p.put(int(s.Parent[i]), 4)
		p.put(int(s.Caba[i]), 4)
		p.put(int(s.CabdOf[i])+1, 4)
		p.put(int(s.Born[i]), 4)
		p.put(int(s.Leader[i]), 4)
		p.put(b2i(s.Sub[i]), 1)
		p.put(b2i(s.HasSub[i]), 1)
		p.put(b2i(s.Ign[i]), 1)
		p.put(int(s.Exec[i]), 4)
		p.put(int(s.Sid[i]), 4)
		p.put(int(s.Pgid[i]), 4)
		p.put(b2i(s.Execd[i]), 1)
		p.put(int(s.Pidns[i]), 4)
		p.put(int(s.ChildReaper[i]), 4)
		p.put(int(s.Zap[i]), 4)
	}
	p.pos = slotBits * MaxTasks
	p.put(b2i(s.Corrupt), 1)
	return p.w
}

// Unpack decodes a Packed state.
func Unpack(w Packed) State {
	p := packer{w: w}
	var s State
	s.CabdOf[0] = None
	for i := 1; i <= MaxTasks; i++ {
		s.St[i] = Status(p.get(3))
		s.Tg[i] = int8(p.get(4))
		s.Parent[i] = int8(p.get(4))
		s.Caba[i] = int8(p.get(4))
		s.CabdOf[i] = int8(p.get(4) - 1)
		s.Born[i] = int8(p.get(4))
		s.Leader[i] = int8(p.get(4))
		s.Sub[i] = p.get(1) == 1
		s.HasSub[i] = p.get(1) == 1
		s.Ign[i] = p.get(1) == 1
		s.Exec[i] = int8(p.get(4))
		s.Sid[i] = int8(p.get(4))
		s.Pgid[i] = int8(p.get(4))
		s.Execd[i] = p.get(1) == 1
		s.Pidns[i] = int8(p.get(4))
		s.ChildReaper[i] = int8(p.get(4))
		s.Zap[i] = int8(p.get(4))
	}
	s.Corrupt = p.get(1) == 1
	return s
}

// bfs explores the canonical state space breadth first from the initial
// state. visit is called once per new distinct state with its index; if it
// returns true the search stops. With keepTrace, parents[i] and acts[i] give
// the step that first reached state i.
type bfs struct {
	m       *Model
	states  []Packed
	depth   []int16
	parents []int32
	acts    []Action
	seen    map[Packed]struct{}
	gen     int
}

func (m *Model) search(keepTrace bool, visit func(s *State, idx int) bool) *bfs {
	b := &bfs{m: m, seen: make(map[Packed]struct{})}
	push := func(s *State, d int16, parent int32, a Action) bool {
		k := Pack(s)
		if _, ok := b.seen[k]; ok {
			return false
		}
		idx := len(b.states)
		b.seen[k] = struct{}{}
		b.states = append(b.states, k)
		b.depth = append(b.depth, d)
		if keepTrace {
			b.parents = append(b.parents, parent)
			b.acts = append(b.acts, a)
		}
		return visit(s, idx)
	}
	b.gen = 1
	init := m.Initial()
	if push(&init, 0, -1, Action{}) {
		return b
	}
	for head := 0; head < len(b.states); head++ {
		s := Unpack(b.states[head])
		for _, tr := range m.Successors(s) {
			b.gen++
			if push(&tr.Next, b.depth[head]+1, int32(head), tr.Act) {
				return b
			}
		}
	}
	return b
}

func (b *bfs) trace(idx int) []string {
	var t []string
	for i := idx; b.parents[i] >= 0; i = int(b.parents[i]) {
		t = append([]string{b.acts[i].Label()}, t...)
	}
	return t
}

// Explore runs a full BFS and returns its counts, for a revision of the
// built-in table.
func Explore(tasks int, revision string, actions []string) Result {
	return NewModel(tasks, revision, actions).Explore()
}

// ExploreRev is Explore for a revision given by its choices.
func ExploreRev(tasks int, rev Revision, actions []string) Result {
	return NewModelRev(tasks, rev, actions).Explore()
}

// Explore runs a full BFS and returns its counts.
func (m *Model) Explore() Result {
	var r Result
	b := m.search(false, func(s *State, idx int) bool {
		if s.Corrupt {
			r.Corrupt++
		}
		return false
	})
	r.Distinct = len(b.states)
	r.Generated = b.gen
	for _, d := range b.depth {
		if int(d) > r.Depth {
			r.Depth = int(d)
		}
	}
	return r
}

// Check returns whether some reachable state violates the named invariant
// and, if so, the number of steps of a shortest trace to such a state
// (-1 when not violated).
func Check(tasks int, revision string, actions []string, invariant string) (violated bool, length int) {
	v, tr := CheckTrace(tasks, revision, actions, invariant)
	if !v {
		return false, -1
	}
	return true, len(tr)
}

// CheckTrace is Check returning the action labels of a shortest violating
// trace (the first one found in the fixed successor order).
func CheckTrace(tasks int, revision string, actions []string, invariant string) (violated bool, trace []string) {
	return NewModel(tasks, revision, actions).CheckTrace(invariant)
}

// CheckTraceRev is CheckTrace for a revision given by its choices.
func CheckTraceRev(tasks int, rev Revision, actions []string, invariant string) (violated bool, trace []string) {
	return NewModelRev(tasks, rev, actions).CheckTrace(invariant)
}

// CheckTrace returns whether some reachable state violates the named
// invariant and the action labels of a shortest trace to the first such
// state found in the fixed successor order.
func (m *Model) CheckTrace(invariant string) (violated bool, trace []string) {
	found := -1
	b := m.search(true, func(s *State, idx int) bool {
		if !m.Holds(s, invariant) {
			found = idx
			return true
		}
		return false
	})
	if found < 0 {
		return false, nil
	}
	return true, b.trace(found)
}

// Shortest explores the whole state space once and returns, for each of the
// named invariants that some reachable state violates, a shortest trace to
// the first violating state found (the same trace CheckTrace returns:
// states are visited in BFS order). Invariants that hold are absent.
func (m *Model) Shortest(invariants []string) map[string][]string {
	first := map[string]int{}
	b := m.search(true, func(s *State, idx int) bool {
		for _, inv := range invariants {
			if _, ok := first[inv]; !ok && !m.Holds(s, inv) {
				first[inv] = idx
			}
		}
		return false
	})
	out := make(map[string][]string, len(first))
	for inv, idx := range first {
		out[inv] = b.trace(idx)
	}
	return out
}
