package linux

import "cabacheck/spec"

// ActionKinds lists the action kinds the generator tries under the model's
// action sets, for coverage reports (spec.ActionKinds): an action whose set
// is on but that is never enabled shows up there as a warning.
func (m *Model) ActionKinds() []spec.ActionKind {
	var out []spec.ActionKind
	for k := uint8(1); k < numKinds; k++ {
		if def := &actionDefs[k]; def.set == 0 || m.opt.Actions&def.set != 0 {
			out = append(out, spec.ActionKind{Kind: k, Name: def.name})
		}
	}
	return out
}
