package traces

import (
	"encoding/json"
	"strings"
	"testing"

	"cabacheck/spec"
	"cabacheck/spec/linux"
)

func build(t *testing.T, rev linux.Revision, acts ...string) *Trace {
	t.Helper()
	m := linux.MustNew(linux.Options{Tasks: 5, Revision: rev, Actions: linux.DefaultActions})
	var as []spec.Action
	for _, s := range acts {
		a, err := linux.ParseAction(s)
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, a)
	}
	tr, err := Build(m, as)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTextReadsAsKernelEvents(t *testing.T) {
	tr := build(t, linux.V3, "Fork(1)", "Clone(2)", "Clone(3)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)")
	text := tr.Text()
	for _, want := range []string{
		"task 1: fork() -> process 2 (real_parent 1, caba 1)",
		"task 3 (thread of 2): clone(CLONE_THREAD) -> thread 4 of 2 (real_parent 1, caba 3)",
		"exit_signals sets PF_EXITING",
		"3 becomes EXIT_DEAD",
		"process 2: 2* R caba=1, 4 R caba=3",
		"released: 3",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

func TestExitNotifyEvent(t *testing.T) {
	tr := build(t, linux.Seed, "Fork(1)", "SetSubreaper(2, on)", "Fork(2)", "Fork(3)", "Fork(4)", "ExitBegin(4)", "ExitNotify(4)")
	ev := tr.Steps[7].Event
	if ev != "task 4: exit_notify; children of 5 -> 2; caba of 5 -> 3; 4 becomes EXIT_ZOMBIE" {
		t.Errorf("event %q", ev)
	}
}

func TestJSONRoundTripAndTamper(t *testing.T) {
	tr := build(t, linux.V4, "Fork(1)", "Fork(2)", "ExitBegin(2)", "ForkParent(3)", "Clone(4)")
	data, err := json.Marshal(tr.JSON())
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.Len() != tr.Len() || back.Steps[5].State != tr.Steps[5].State {
		t.Error("round trip changed the trace")
	}
	tampered := strings.Replace(string(data), `"caba":3`, `"caba":2`, 1)
	if _, err := ReadJSON([]byte(tampered)); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Errorf("a tampered state was accepted: %v", err)
	}
	for _, bad := range []string{`{`, `{"model":"toy"}`, `{"model":"linux","revision":"v9","tasks":5}`, `{"model":"linux","revision":"v3","tasks":99,"actions":"default"}`} {
		if _, err := ReadJSON([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestDOT(t *testing.T) {
	tr := build(t, linux.V3, "Fork(1)", "Clone(2)", "Clone(3)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)")
	dot := tr.DOT()
	if !strings.HasPrefix(dot, "digraph") || !strings.Contains(dot, "t4 -> t3 [style=dashed, color=red") {
		t.Errorf("DOT lacks the dangling caba edge:\n%s", dot)
	}
}
