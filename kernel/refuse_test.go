package kernel

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"cabacheck/spec/linux"
	"cabacheck/state"
)

// The refusals the walks sample, with the return the kernel must give, in
// hand-worked states.
func TestRefusalReturns(t *testing.T) {
	m, _ := HostModel(6, sessionActs)
	cases := []struct {
		walk string // leading to the state
		op   string
		ret  string
	}{
		{"Fork(1)", "Wait(1, 2)", "ok 0"},                              // a running child: WNOHANG returns 0
		{"Fork(1) Fork(2)", "Wait(1, 3)", "ECHILD"},                    // a grandchild
		{"Fork(1)", "Wait(2, 1)", "ECHILD"},                            // the parent
		{"Fork(1) Clone(2)", "Wait(1, 3)", "ECHILD"},                   // a thread's TID
		{"Fork(1) Clone(2) Exit(2)", "Wait(1, 2)", "ok 0"},             // a zombie leader with a live thread (delay_group_leader)
		{"Fork(1) Fork(2) Exit(3) Wait(2, 3)", "Wait(2, 3)", "ECHILD"}, // gone
		{"Fork(1)", "ForkParent(1)", "EINVAL"},                         // init's process: SIGNAL_UNKILLABLE
		{"Fork(1) Execve(2)", "Execve(2)", ""},                         // a second execve changes nothing
		{"Fork(1) SetSubreaper(2, on)", "SetSubreaper(2, on)", ""},
		{"Fork(1) IgnoreSigchld(2)", "IgnoreSigchld(2)", ""},
	}
	for _, c := range cases {
		fin, err := Finals(m, mustOps(t, c.walk))
		if err != nil {
			t.Fatalf("%s: %v", c.walk, err)
		}
		op := mustOps(t, c.op)[0]
		next, outs, err := Expand2(m, fin, op)
		if err != nil {
			t.Fatalf("%s then %s: %v", c.walk, c.op, err)
		}
		if len(next) != 1 || next[0] != fin[0] || !outs[0].Refused || outs[0].Ret != c.ret {
			t.Errorf("%s then %s: refused %v, return %q, state kept %v; want refused, %q, kept", c.walk, c.op, outs[0].Refused, outs[0].Ret, next[0] == fin[0], c.ret)
		}
		found := false
		for _, o := range RefusedOps(m, &fin[0]) {
			found = found || o == op
		}
		if !found {
			t.Errorf("%s: RefusedOps lacks %s", c.walk, c.op)
		}
	}
	// calls the model leaves out by choice are not refusals: threads, exec
	// and exit of init succeed in the kernel
	fin, _ := Finals(m, mustOps(t, "Fork(1)"))
	for _, o := range RefusedOps(m, &fin[0]) {
		if o.T == 1 && (o.Kind == OpClone || o.Kind == OpExec || o.Kind == OpExecve || o.Kind == OpExit) {
			t.Errorf("RefusedOps performs %s", o)
		}
	}
}

// Random walks are about one step in four a refusal, with every action set.
func TestWalksSampleRefusals(t *testing.T) {
	for _, acts := range []linux.ActionSet{linux.AllActions, sessionActs} {
		m, _ := HostModel(6, acts)
		ws, err := RandomWalks(m, 200, 1, 24, "w")
		if err != nil {
			t.Fatal(err)
		}
		steps, refused := 0, 0
		for _, w := range ws {
			cands := []state.State{m.Initial()}
			for _, op := range w.Ops {
				next, outs, err := Expand2(m, cands, op)
				if err != nil {
					t.Fatal(err)
				}
				steps++
				if outs[0].Refused {
					refused++
				}
				cands = next
			}
		}
		if share := float64(refused) / float64(steps); share < 0.2 || share > 0.35 {
			t.Errorf("%s: %d of %d steps refused (%.2f)", acts, refused, steps, share)
		}
	}
}

// A wrong refusal prediction is reported, by a fabricated kernel and by the
// host kernel: the kernel ran Wait(2, 3) (2 reaps its zombie child 3), the
// model is asked about Wait(1, 3), which it refuses (ECHILD: 3 is no child
// of 1) and which must change nothing; and the kernel ran ForkParent(2), the
// model is asked about ForkParent(1), refused with EINVAL.
func TestWrongRefusalReported(t *testing.T) {
	m, _ := HostModel(6, linux.AllActions)
	type pair struct{ ran, claimed, want string }
	pairs := []pair{
		{"Fork(1) Fork(2) Exit(3) Wait(2, 3)", "Fork(1) Fork(2) Exit(3) Wait(1, 3)", "return: model ECHILD, kernel ok 3"},
		{"Fork(1) Fork(2) ForkParent(2)", "Fork(1) Fork(2) ForkParent(1)", "task 4 state: model U, kernel R"},
	}
	check := func(name string, out *Output, p pair) {
		claimed := Walk{Name: "a", Ops: mustOps(t, p.claimed)}
		r := Compare(m, claimed, out, CabaNone)
		last := len(claimed.Ops)
		if r.OK() || r.FailStep != last || !r.Steps[last-1].Refused || !strings.Contains(r.Text(), p.want) {
			t.Errorf("%s: a wrong refusal prediction is not reported (want %q at step %d):\n%s", name, p.want, last, r.Text())
		}
		if v := Judge(&r, Prediction{}); v.Kind != VerdictDeparts || !strings.Contains(v.String(), "kernel departs at step") {
			t.Errorf("%s: verdict %s", name, v)
		}
	}
	for _, p := range pairs {
		ran := Walk{Name: "a", Ops: mustOps(t, p.ran)}
		check("fabricated", fakeOutput(t, m, "a", ran, CabaNone), p)
	}
	bin := needHost(t)
	for _, p := range pairs {
		ran := Walk{Name: "a", Ops: mustOps(t, p.ran)}
		var sc bytes.Buffer
		if err := WriteScript(&sc, m, []Walk{ran}, ScriptOptions{}); err != nil {
			t.Fatal(err)
		}
		out, raw, err := RunHarness(bin, sc.String(), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if r := Compare(m, ran, out, CabaNone); !r.OK() {
			t.Fatalf("the kernel disagrees with the walk it ran:\n%s\n%s", r.Text(), raw)
		}
		check("host", out, p)
	}
}
