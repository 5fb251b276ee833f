package check

import (
	"fmt"
	"strings"

	"cabacheck/explorer"
	"cabacheck/spec"
)

// ActionCoverage is one action kind's line of a coverage report (TLC's
// -coverage): how many expanded states enabled it, how many successors it
// generated, and how many of those were new distinct states.
type ActionCoverage struct {
	Action  string `json:"action"`
	Enabled uint64 `json:"enabled"`
	Taken   uint64 `json:"taken"`
	New     uint64 `json:"new"`
}

// Coverage is the action coverage of a search, in the model's kind order.
type Coverage struct {
	Actions []ActionCoverage `json:"actions"`
	// Listed: the model lists its action kinds (spec.ActionKinds), so a kind
	// never enabled is in Actions with zero counts. Otherwise Actions holds
	// only the kinds seen, named by the model's FormatAction.
	Listed bool `json:"listed"`
}

// NeverEnabled returns the actions that no expanded state enabled: a wrong
// guard, or an action the bound cannot reach.
func (c *Coverage) NeverEnabled() []string {
	var out []string
	for _, a := range c.Actions {
		if a.Enabled == 0 {
			out = append(out, a.Action)
		}
	}
	return out
}

// coverageOf names the engine's per-kind counts after model's action kinds.
func coverageOf(model spec.Model, c *explorer.Coverage) *Coverage {
	if c == nil {
		return nil
	}
	line := func(k uint8, name string) ActionCoverage {
		return ActionCoverage{Action: name, Enabled: c.Enabled[k], Taken: c.Taken[k], New: c.New[k]}
	}
	out := &Coverage{}
	if ak, ok := model.(spec.ActionKinds); ok {
		out.Listed = true
		listed := make(map[uint8]bool)
		for _, k := range ak.ActionKinds() {
			listed[k.Kind] = true
			out.Actions = append(out.Actions, line(k.Kind, k.Name))
		}
		// A kind the model emits but does not list is still reported.
		for k := range explorer.NumKinds {
			if !listed[uint8(k)] && c.Taken[k] > 0 {
				out.Actions = append(out.Actions, line(uint8(k), kindName(model, uint8(k))))
			}
		}
		return out
	}
	for k := range explorer.NumKinds {
		if c.Taken[k] > 0 {
			out.Actions = append(out.Actions, line(uint8(k), kindName(model, uint8(k))))
		}
	}
	return out
}

// kindName names a kind by the model's rendering of one of its actions,
// without the parameters: "Fork(1)" gives "Fork".
func kindName(model spec.Model, k uint8) string {
	s := model.FormatAction(spec.MakeAction(k, 1, 0))
	if i := strings.IndexByte(s, '('); i > 0 {
		return s[:i]
	}
	if s == "" {
		return fmt.Sprintf("Kind%d", k)
	}
	return s
}
