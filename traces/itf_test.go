package traces_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"cabacheck/check"
	"cabacheck/invariants"
	"cabacheck/spec/linux"
	"cabacheck/traces"
)

var updateITF = flag.Bool("update-itf", false, "rewrite testdata/itf_v3_NoDanglingCaba.itf.json")

const itfGolden = "testdata/itf_v3_NoDanglingCaba.itf.json"

// v3DanglingCaba is the shortest NoDanglingCaba counterexample of v3 at 5
// tasks, as the checker finds it.
func v3DanglingCaba(t *testing.T) *traces.Trace {
	t.Helper()
	inv, ok := invariants.ByName("NoDanglingCaba", linux.V3)
	if !ok {
		t.Fatal("no invariant NoDanglingCaba")
	}
	m := linux.MustNew(linux.Options{Tasks: 5, Revision: linux.V3, Actions: linux.DefaultActions})
	res, err := check.Run(check.Request{Model: m, Checker: invariants.NewChecker(5, []invariants.Invariant{inv})})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Counterexamples) != 1 {
		t.Fatalf("%d counterexamples, want 1", len(res.Counterexamples))
	}
	tr, ok := res.Counterexamples[0].Trace.(*traces.Trace)
	if !ok {
		t.Fatal("not a linux trace")
	}
	const want = "Fork(1) Clone(2) Clone(3) ExitBegin(3) ExitNotify(3) Release(3)"
	if got := tr.Summary(); got != want {
		t.Fatalf("v3 NoDanglingCaba counterexample %s, want %s", got, want)
	}
	return tr
}

func itfSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	sch, err := jsonschema.NewCompiler().Compile(filepath.Join("testdata", "itf.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validate(sch *jsonschema.Schema, doc []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// TestITF writes the v3 NoDanglingCaba counterexample as ITF, validates it
// against the ITF schema of ADR-015, compares it with the golden file, and
// reads it back through the model.
func TestITF(t *testing.T) {
	tr := v3DanglingCaba(t)
	doc, err := tr.ITF()
	if err != nil {
		t.Fatal(err)
	}
	sch := itfSchema(t)
	if err := validate(sch, doc); err != nil {
		t.Fatalf("the ITF trace does not validate against the ITF schema: %v", err)
	}

	// Every state sets every variable; the initial state every parameter.
	var top struct {
		Params []string
		Vars   []string
		States []map[string]json.RawMessage
	}
	if err := json.Unmarshal(doc, &top); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(top.Vars, traces.ITFVars) || len(top.States) != tr.Len()+1 {
		t.Fatalf("vars %v and %d states; want %v and %d", top.Vars, len(top.States), traces.ITFVars, tr.Len()+1)
	}
	for i, s := range top.States {
		names := top.Vars
		if i == 0 {
			names = append(slices.Clone(names), top.Params...)
		}
		for _, v := range names {
			if _, ok := s[v]; !ok {
				t.Errorf("state %d does not set %s", i, v)
			}
		}
	}

	if *updateITF {
		if err := os.WriteFile(itfGolden, doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(itfGolden)
	if err != nil {
		t.Fatalf("%v (run go test ./traces -run TestITF -update-itf)", err)
	}
	if !bytes.Equal(golden, doc) {
		t.Errorf("ITF output differs from %s (run go test ./traces -run TestITF -update-itf to accept)", itfGolden)
	}

	out := filepath.Join(t.TempDir(), "cex.itf.json")
	if err := traces.WriteITF(out, tr); err != nil {
		t.Fatal(err)
	}
	if written, err := os.ReadFile(out); err != nil || !bytes.Equal(written, doc) {
		t.Errorf("WriteITF wrote something else than ITF returns (%v)", err)
	}

	back, err := traces.ReadITF(doc)
	if err != nil {
		t.Fatal(err)
	}
	if back.Options != tr.Options || back.Summary() != tr.Summary() || back.Invariant != tr.Invariant ||
		!slices.Equal(back.Failure, tr.Failure) || len(back.Steps) != len(tr.Steps) {
		t.Fatalf("round trip: %+v %s %s %v; want %+v %s %s %v", back.Options, back.Summary(), back.Invariant, back.Failure,
			tr.Options, tr.Summary(), tr.Invariant, tr.Failure)
	}
	for i := range tr.Steps {
		if back.Steps[i].State != tr.Steps[i].State {
			t.Errorf("round trip: state %d differs: %v", i, traces.Diff(&tr.Steps[i].State, &back.Steps[i].State))
		}
	}
	if again, err := back.ITF(); err != nil || !bytes.Equal(again, doc) {
		t.Errorf("round trip: ITF of the read trace differs (%v)", err)
	}
}

// edit decodes doc, applies f, and encodes it again.
func edit(t *testing.T, doc []byte, f func(top map[string]any)) []byte {
	t.Helper()
	var top map[string]any
	if err := json.Unmarshal(doc, &top); err != nil {
		t.Fatal(err)
	}
	f(top)
	out, err := json.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func states(top map[string]any) []any { return top["states"].([]any) }

func stateAt(top map[string]any, i int) map[string]any { return states(top)[i].(map[string]any) }

// TestITFReadChecks reads traces as another tool would write them (no
// action names, no #meta beyond the model instance) and rejects edited ones.
func TestITFReadChecks(t *testing.T) {
	tr := v3DanglingCaba(t)
	doc, err := tr.ITF()
	if err != nil {
		t.Fatal(err)
	}
	sch := itfSchema(t)

	// Without the actions, the reader finds them from the states.
	bare := edit(t, doc, func(top map[string]any) {
		for i := range states(top) {
			delete(stateAt(top, i), "#meta")
		}
	})
	if err := validate(sch, bare); err != nil {
		t.Fatal(err)
	}
	back, err := traces.ReadITF(bare)
	if err != nil {
		t.Fatal(err)
	}
	if back.Summary() != tr.Summary() {
		t.Errorf("actions found from the states: %s, want %s", back.Summary(), tr.Summary())
	}

	// A state the model does not reach is rejected.
	bad := edit(t, doc, func(top map[string]any) {
		caba := stateAt(top, 6)["caba"].(map[string]any)["#map"].([]any)
		caba[3].([]any)[1] = map[string]any{"#bigint": "2"} // caba[4]: 3 -> 2
	})
	if err := validate(sch, bad); err != nil {
		t.Fatal(err)
	}
	if _, err := traces.ReadITF(bad); err == nil || !strings.Contains(err.Error(), "state 6") {
		t.Errorf("an edited state 6 is read without error (%v)", err)
	}

	// A parameter that contradicts the revision is rejected.
	wrong := edit(t, doc, func(top map[string]any) { stateAt(top, 0)["thread_caba"] = "real-parent" })
	if _, err := traces.ReadITF(wrong); err == nil || !strings.Contains(err.Error(), "thread_caba") {
		t.Errorf("a wrong thread_caba is read without error (%v)", err)
	}

	// The schema is not vacuous: a JSON number where ITF wants
	// {"#bigint": ...}, and a key starting with # in a state, fail it.
	for name, f := range map[string]func(map[string]any){
		"number": func(top map[string]any) { stateAt(top, 0)["N"] = 5 },
		"#key":   func(top map[string]any) { stateAt(top, 1)["#st"] = "x" },
		"vars":   func(top map[string]any) { delete(top, "vars") },
	} {
		if err := validate(sch, edit(t, doc, f)); err == nil {
			t.Errorf("%s: an invalid ITF trace validates", name)
		}
	}
}
