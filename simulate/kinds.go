package simulate

import (
	"strings"

	"cabacheck/spec"
)

// Kinds returns the action kinds of m, ascending: the kinds k for which
// m.FormatAction(k, 1, 0) parses back (m.ParseAction) to an action of kind
// k. A model's format and parse follow its own action table (spec/linux's
// actionDefs), so the list is derived from that table and written nowhere
// else; a kind outside it formats as something ParseAction refuses.
func Kinds(m spec.Model) []uint8 {
	var ks []uint8
	for k := 0; k < 256; k++ {
		a := spec.MakeAction(uint8(k), 1, 0)
		if b, err := m.ParseAction(m.FormatAction(a)); err == nil && b.Kind() == uint8(k) {
			ks = append(ks, uint8(k))
		}
	}
	return ks
}

// KindName is the name of kind k in m's vocabulary: what FormatAction
// prints before the parenthesis.
func KindName(m spec.Model, k uint8) string {
	s := m.FormatAction(spec.MakeAction(k, 1, 0))
	if i := strings.IndexByte(s, '('); i >= 0 {
		return s[:i]
	}
	return s
}
