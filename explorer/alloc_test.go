package explorer_test

import (
	"testing"

	"cabacheck/explorer"
	"cabacheck/spec/linux"
)

// TestRunAllocatesPerLevelNotPerState keeps the hot path allocation-free
// (issue 15): a whole search with invariants checked allocates per level
// and per buffer growth, never per state; before the Checker reused its
// decoded state, this search made one allocation per distinct state. The
// sanity invariants hold on every state here: an invariant that fails
// builds its explanation's arguments even when none is asked for, which
// allocates per violating state (in invariants.go, not the explorer).
func TestRunAllocatesPerLevelNotPerState(t *testing.T) {
	m, ch := model(t, 4, linux.V3), checker(t, 4, "sanity")
	var distinct uint64
	allocs := testing.AllocsPerRun(1, func() {
		s, err := explorer.Run(m, explorer.Config{Workers: 2, Checker: ch, Continue: true})
		if err != nil {
			t.Fatal(err)
		}
		distinct = s.Result.Distinct
	})
	t.Logf("%d distinct states, %.0f allocations", distinct, allocs)
	if allocs > float64(distinct)/4 { // 4,400 at 52,288 states: buffer and table growth
		t.Errorf("%.0f allocations for %d distinct states: the search allocates per state", allocs, distinct)
	}
}
