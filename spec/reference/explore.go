package reference

// Result of a full exploration.
type Result struct {
	Distinct  int // distinct canonical states reached (initial state included)
	Generated int // initial state + one per enabled action instance of every expanded state (TLC convention)
	Depth     int // BFS levels below the initial state (longest shortest path)
	Corrupt   int // distinct states with the corrupt flag (they have no successors)
}

// bfs explores the canonical state space breadth first. visit is called once
// per new distinct state with its BFS depth and index; if it returns true the
// search stops. parents[i] and labels[i] give the trace to state i.
type bfs struct {
	m       *Model
	states  []State
	depth   []int32
	parents []int32
	labels  []string
	seen    map[State]int32
	gen     int
}

func (m *Model) search(keepTrace bool, visit func(s *State, idx int) bool) *bfs {
	b := &bfs{m: m, seen: make(map[State]int32)}
	push := func(s State, d int32, parent int32, label string) bool {
		if _, ok := b.seen[s]; ok {
			return false
		}
		idx := int32(len(b.states))
		b.seen[s] = idx
		b.states = append(b.states, s)
		b.depth = append(b.depth, d)
		if keepTrace {
			b.parents = append(b.parents, parent)
			b.labels = append(b.labels, label)
		}
		return visit(&b.states[idx], int(idx))
	}
	b.gen = 1
	if push(m.Initial(), 0, -1, "") {
		return b
	}
	for head := 0; head < len(b.states); head++ {
		s := b.states[head]
		for _, tr := range m.Successors(s) {
			b.gen++
			if push(tr.Next, b.depth[head]+1, int32(head), tr.Label) {
				return b
			}
		}
	}
	return b
}

func (b *bfs) trace(idx int) []string {
	var t []string
	for i := idx; b.parents[i] >= 0; i = int(b.parents[i]) {
		t = append([]string{b.labels[i]}, t...)
	}
	return t
}

// Explore runs a full BFS and returns its counts.
func Explore(tasks int, revision string, actions []string) Result {
	m := NewModel(tasks, revision, actions)
	var r Result
	b := m.search(false, func(*State, int) bool { return false })
	r.Distinct = len(b.states)
	r.Generated = b.gen
	for i, s := range b.states {
		if int(b.depth[i]) > r.Depth {
			r.Depth = int(b.depth[i])
		}
		if s.Corrupt {
			r.Corrupt++
		}
	}
	return r
}

// Check returns whether some reachable state violates the named invariant
// and, if so, the number of steps of a shortest trace to such a state
// (-1 when not violated).
func Check(tasks int, revision string, actions []string, invariant string) (violated bool, length int) {
	ok, tr := CheckTrace(tasks, revision, actions, invariant)
	if !ok {
		return false, -1
	}
	return true, len(tr)
}

// CheckTrace is Check returning the action labels of a shortest violating
// trace (the first one found in the fixed successor order).
func CheckTrace(tasks int, revision string, actions []string, invariant string) (violated bool, trace []string) {
	m := NewModel(tasks, revision, actions)
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
