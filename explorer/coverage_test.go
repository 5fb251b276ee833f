package explorer_test

import (
	"fmt"
	"testing"

	"cabacheck/explorer"
	"cabacheck/spec"
	"cabacheck/spec/linux"
)

// counter is a test model small enough to work its coverage out by hand: a
// counter 0..3 with Inc (n < 3), Reset (n > 0, back to 0), Stay (n == 3, a
// self-loop) and Dead, whose guard is never true.
type counter struct{}

const (
	kInc uint8 = 1 + iota
	kReset
	kStay
	kDead
)

var counterKinds = []spec.ActionKind{{Kind: kInc, Name: "Inc"}, {Kind: kReset, Name: "Reset"}, {Kind: kStay, Name: "Stay"}, {Kind: kDead, Name: "Dead"}}

func (counter) Name() string                   { return "counter" }
func (counter) StateSize() int                 { return 1 }
func (counter) InitialStates() [][]byte        { return [][]byte{{0}} }
func (counter) ActionKinds() []spec.ActionKind { return counterKinds }
func (counter) NewGenerator() spec.Generator   { return counterGen{} }
func (counter) FormatAction(a spec.Action) string {
	return fmt.Sprintf("%s(%d)", counterKinds[a.Kind()-1].Name, a.A())
}
func (counter) ParseAction(string) (spec.Action, error) { return 0, fmt.Errorf("not parsed") }
func (counter) Apply(s []byte, a spec.Action, out []byte) bool {
	n := s[0]
	switch a.Kind() {
	case kInc:
		out[0] = n + 1
		return n < 3
	case kReset:
		out[0] = 0
		return n > 0
	case kStay:
		out[0] = n
		return n == 3
	}
	return false // Dead
}

type counterGen struct{}

func (counterGen) Successors(s []byte, emit func(spec.Action, []byte)) {
	var out [1]byte
	for _, k := range counterKinds {
		a := spec.MakeAction(k.Kind, 1, 0)
		if (counter{}).Apply(s, a, out[:]) {
			emit(a, out[:])
		}
	}
}

// Worked by hand: level 1 is {1} (Inc from 0); level 2 {2} (Inc; Reset
// finds 0 again); level 3 {3}; then 3 only resets or stays. Inc is enabled
// in 0, 1, 2 and finds three new states; Reset is enabled in 1, 2, 3 and
// finds none; Stay is a self-loop in 3; Dead is never enabled.
func TestCoverageByHand(t *testing.T) {
	s, err := explorer.Run(counter{}, explorer.Config{Workers: 1, Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Result.Coverage
	if c == nil {
		t.Fatal("no coverage with Config.Coverage")
	}
	want := map[uint8][3]uint64{kInc: {3, 3, 3}, kReset: {3, 3, 0}, kStay: {1, 1, 0}, kDead: {0, 0, 0}}
	for k, w := range want {
		if got := [3]uint64{c.Enabled[k], c.Taken[k], c.New[k]}; got != w {
			t.Errorf("kind %d: enabled/taken/new %v, want %v", k, got, w)
		}
	}
	if s.Result.Generated != 7 || s.Result.Distinct != 4 {
		t.Errorf("generated %d, distinct %d, want 7 and 4", s.Result.Generated, s.Result.Distinct)
	}
}

// Off, nothing is counted.
func TestCoverageOff(t *testing.T) {
	s, err := explorer.Run(counter{}, explorer.Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if s.Result.Coverage != nil {
		t.Errorf("coverage %v without Config.Coverage", s.Result.Coverage)
	}
}

// The counts do not depend on the worker count, and they add up: taken to
// the states generated, new to the distinct states but the initial one.
func TestCoverageWorkers(t *testing.T) {
	for _, rev := range []linux.Revision{linux.Seed, linux.V3} {
		var ref *explorer.Coverage
		for _, w := range []int{1, 2, 3} {
			s, err := explorer.Run(model(t, 4, rev), explorer.Config{Workers: w, Coverage: true})
			if err != nil {
				t.Fatal(err)
			}
			c := s.Result.Coverage
			var taken, news uint64
			for k := range c.Taken {
				taken += c.Taken[k]
				news += c.New[k]
				if c.Enabled[k] > c.Taken[k] || c.New[k] > c.Taken[k] {
					t.Errorf("%s workers=%d kind %d: enabled %d, taken %d, new %d", rev, w, k, c.Enabled[k], c.Taken[k], c.New[k])
				}
			}
			if taken != s.Result.Generated || news != s.Result.Distinct-1 {
				t.Errorf("%s workers=%d: taken %d, new %d; generated %d, distinct %d", rev, w, taken, news, s.Result.Generated, s.Result.Distinct)
			}
			if ref == nil {
				ref = c
			} else if *c != *ref {
				t.Errorf("%s workers=%d: coverage differs from workers=1", rev, w)
			}
		}
	}
}

// A max-states cut keeps the new counts of the states kept.
func TestCoverageMaxStates(t *testing.T) {
	s, err := explorer.Run(model(t, 4, linux.V3), explorer.Config{Workers: 2, Coverage: true, MaxStates: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var news uint64
	for _, n := range s.Result.Coverage.New {
		news += n
	}
	if news != s.Result.Distinct-1 {
		t.Errorf("new %d, distinct %d", news, s.Result.Distinct)
	}
}
