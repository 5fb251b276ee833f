package check_test

import (
	"fmt"
	"slices"
	"testing"

	"cabacheck/check"
	"cabacheck/spec"
	"cabacheck/spec/toy"
)

// deadModel is a test-only model with a deliberately dead action: a flag
// that Set turns on, Clear off, and Dead, whose guard is never true.
type deadModel struct{ listed bool }

var deadKinds = []spec.ActionKind{{Kind: 1, Name: "Set"}, {Kind: 2, Name: "Clear"}, {Kind: 3, Name: "Dead"}}

// listedDead lists its kinds (spec.ActionKinds); deadModel does not.
type listedDead struct{ deadModel }

func (listedDead) ActionKinds() []spec.ActionKind { return deadKinds }

func (deadModel) Name() string                 { return "dead" }
func (deadModel) StateSize() int               { return 1 }
func (deadModel) InitialStates() [][]byte      { return [][]byte{{0}} }
func (deadModel) NewGenerator() spec.Generator { return deadGen{} }
func (deadModel) FormatAction(a spec.Action) string {
	return fmt.Sprintf("%s(%d)", deadKinds[a.Kind()-1].Name, a.A())
}
func (deadModel) ParseAction(string) (spec.Action, error) { return 0, fmt.Errorf("not parsed") }
func (deadModel) Apply(s []byte, a spec.Action, out []byte) bool {
	switch a.Kind() {
	case 1:
		out[0] = 1
		return s[0] == 0
	case 2:
		out[0] = 0
		return s[0] == 1
	}
	return false
}

type deadGen struct{}

func (deadGen) Successors(s []byte, emit func(spec.Action, []byte)) {
	var out [1]byte
	for _, k := range deadKinds {
		if a := spec.MakeAction(k.Kind, 1, 0); (deadModel{}).Apply(s, a, out[:]) {
			emit(a, out[:])
		}
	}
}

func TestCoverageNamesAndDeadAction(t *testing.T) {
	res, err := check.Run(check.Request{Model: listedDead{}, Coverage: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := res.ActionCoverage
	want := []check.ActionCoverage{{Action: "Set", Enabled: 1, Taken: 1, New: 1}, {Action: "Clear", Enabled: 1, Taken: 1}, {Action: "Dead"}}
	if !c.Listed || !slices.Equal(c.Actions, want) {
		t.Errorf("coverage %+v, want listed %+v", c, want)
	}
	if got := c.NeverEnabled(); !slices.Equal(got, []string{"Dead"}) {
		t.Errorf("never enabled %v, want [Dead]", got)
	}
}

// A model that does not list its kinds gets the kinds it emitted, named
// by FormatAction; a dead one cannot be named.
func TestCoverageUnlisted(t *testing.T) {
	res, err := check.Run(check.Request{Model: deadModel{}, Coverage: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := res.ActionCoverage
	if c.Listed || len(c.Actions) != 2 || c.Actions[0].Action != "Set" || c.Actions[1].Action != "Clear" || len(c.NeverEnabled()) != 0 {
		t.Errorf("coverage %+v", c)
	}
	m, _ := toy.New(4)
	res, err = check.Run(check.Request{Model: m, Checker: toy.Checker{}, Coverage: true, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var taken uint64
	for _, a := range res.ActionCoverage.Actions {
		taken += a.Taken
	}
	if taken != res.Generated {
		t.Errorf("toy: taken %d, generated %d (%+v)", taken, res.Generated, res.ActionCoverage)
	}
}

func TestCoverageOff(t *testing.T) {
	res, err := check.Run(check.Request{Model: listedDead{}, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.ActionCoverage != nil {
		t.Errorf("coverage %+v without Request.Coverage", res.ActionCoverage)
	}
}
