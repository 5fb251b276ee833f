package toy_test

import (
	"testing"

	"cabacheck/explorer"
	"cabacheck/spec"
	"cabacheck/spec/toy"
)

// naiveBFS explores with Apply and a map, independently of the generator
// and the explorer.
func naiveBFS(m *toy.Model) (distinct, depth int) {
	seen := map[string]bool{}
	frontier := m.InitialStates()
	seen[string(frontier[0])] = true
	for level := 0; ; level++ {
		var next [][]byte
		for _, s := range frontier {
			for me := 0; me < m.Slots(); me++ {
				for k := toy.KFork; k <= toy.KWait; k++ {
					out := make([]byte, len(s))
					if m.Apply(s, spec.MakeAction(k, uint8(me), 0), out) && !seen[string(out)] {
						seen[string(out)] = true
						next = append(next, out)
					}
				}
			}
		}
		if len(next) == 0 {
			return len(seen), level
		}
		frontier = next
	}
}

func TestGeneratorMatchesApply(t *testing.T) {
	m, _ := toy.New(5)
	s, err := explorer.Run(m, explorer.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	gen := m.NewGenerator()
	cur := m.InitialStates()[0]
	out := make([]byte, m.StateSize())
	for i := uint32(0); i < uint32(s.Result.Distinct); i += 7 {
		_, acts, err := s.Path(i)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range acts {
			if !m.Apply(cur, a, out) {
				t.Fatalf("state %d: %s not enabled", i, m.FormatAction(a))
			}
			cur = append(cur[:0], out...)
		}
		var want [][]byte
		for me := 0; me < m.Slots(); me++ {
			for k := toy.KFork; k <= toy.KWait; k++ {
				if m.Apply(cur, spec.MakeAction(k, uint8(me), 0), out) {
					want = append(want, append([]byte(nil), out...))
				}
			}
		}
		var got [][]byte
		gen.Successors(cur, func(_ spec.Action, next []byte) { got = append(got, append([]byte(nil), next...)) })
		if len(got) != len(want) {
			t.Fatalf("%s: %d successors, want %d", m.FormatState(cur), len(got), len(want))
		}
		for j := range got {
			if string(got[j]) != string(want[j]) {
				t.Fatalf("%s: successor %d is %s, want %s", m.FormatState(cur), j, m.FormatState(got[j]), m.FormatState(want[j]))
			}
		}
		cur = m.InitialStates()[0]
	}
}

func TestExplorerMatchesNaiveBFS(t *testing.T) {
	for maxp := 2; maxp <= 6; maxp++ {
		m, _ := toy.New(maxp)
		wantN, wantD := naiveBFS(m)
		s, err := explorer.Run(m, explorer.Config{Workers: 2, Checker: toy.Checker{}})
		if err != nil {
			t.Fatal(err)
		}
		r := s.Result
		if int(r.Distinct) != wantN || r.Depth != wantD || !r.Complete || len(r.Violations) != 0 {
			t.Errorf("MAXP=%d: %d states depth %d complete %v violations %v; naive BFS %d depth %d",
				maxp, r.Distinct, r.Depth, r.Complete, r.Violations, wantN, wantD)
		}
	}
}

// The figures other checkers (TLC, SPIN, a plain Go BFS) report for MAXP=8.
func TestStandardFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("3.9M states")
	}
	m, _ := toy.New(8)
	s, err := explorer.Run(m, explorer.Config{Workers: 2, Checker: toy.Checker{}})
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Result; r.Distinct != 3901663 || r.Depth != 31 || len(r.Violations) != 0 {
		t.Errorf("MAXP=8: %d distinct states, depth %d, violations %v; other checkers report 3,901,663 and 31", r.Distinct, r.Depth, r.Violations)
	}
}

func TestCheckerFlagsFreeParent(t *testing.T) {
	m, _ := toy.New(3)
	s := m.InitialStates()[0]
	if (toy.Checker{}).Check(s) != 0 {
		t.Fatal("initial state flagged")
	}
	s[2] = toy.Run | 1<<2 // slot 2 runs with parent 1, which is free
	if (toy.Checker{}).Check(s) != 1 || len(toy.Explain(s)) != 1 {
		t.Errorf("free parent not flagged: %s", m.FormatState(s))
	}
}

func TestParseFormat(t *testing.T) {
	m, _ := toy.New(4)
	for _, a := range []spec.Action{spec.MakeAction(toy.KFork, 0, 0), spec.MakeAction(toy.KExit, 3, 0), spec.MakeAction(toy.KWait, 2, 0)} {
		b, err := m.ParseAction(m.FormatAction(a))
		if err != nil || b != a {
			t.Errorf("%s: parsed %v, %v", m.FormatAction(a), b, err)
		}
	}
	if _, err := m.ParseAction("Fork(4)"); err == nil {
		t.Error("Fork(4) accepted with MAXP=4")
	}
}
