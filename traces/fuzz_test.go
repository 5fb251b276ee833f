package traces

import (
	"encoding/json"
	"testing"

	"cabacheck/spec"
	"cabacheck/spec/linux"
)

// FuzzReadJSON: a trace file never makes ReadJSON panic, and a trace it
// accepts writes back to a file it reads as the same trace.
func FuzzReadJSON(f *testing.F) {
	for _, c := range []struct {
		rev  linux.Revision
		acts []string
	}{
		{linux.V3, []string{"Fork(1)", "Clone(2)", "Clone(3)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)"}},
		{linux.Seed, []string{"Fork(1)", "ForkParent(2)"}},
		{linux.Fixed, []string{"Fork(1)", "Clone(2)", "ExitBegin(2)", "ExitNotify(2)", "ExecBegin(3)", "ExecSwap(3)", "Release(2)"}},
	} {
		m := linux.MustNew(linux.Options{Tasks: 4, Revision: c.rev, Actions: linux.DefaultActions})
		var as []spec.Action
		for _, a := range c.acts {
			act, err := linux.ParseAction(a)
			if err != nil {
				f.Fatal(err)
			}
			as = append(as, act)
		}
		tr, err := Build(m, as)
		if err != nil {
			f.Fatal(err)
		}
		data, err := json.Marshal(tr.JSON())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[{"model":"linux"}]`))
	f.Add([]byte(`{"model":"linux","tasks":99,"revision":"seed","actions":"none","steps":[{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ReadJSON(data)
		if err != nil {
			return
		}
		again, err := json.Marshal(tr.JSON())
		if err != nil {
			t.Fatalf("an accepted trace does not marshal: %v", err)
		}
		tr2, err := ReadJSON(again)
		if err != nil {
			t.Fatalf("an accepted trace, written back, is refused: %v", err)
		}
		if tr2.Len() != tr.Len() || tr2.Summary() != tr.Summary() {
			t.Fatalf("round trip changed the trace: %q -> %q", tr.Summary(), tr2.Summary())
		}
	})
}
