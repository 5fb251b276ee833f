package kernel

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"cabacheck/spec/linux"
)

// pidnsWalk is the hand-worked walk of the pidns tests (6 slots): namespace
// 2 (level 1) under the walk's root namespace 1, namespace 4 (level 2)
// inside it, then the exit of 2, which zaps both, and init reaping it.
const pidnsWalk = "ForkNewpid(1) ForkParent(2) Fork(2) ForkNewpid(3) Fork(4) Fork(3) Exit(2) Wait(1, 2)"

// pidnsWant are the pidns fields (NSpid from the root, NSpid read inside
// every namespace on the chain) of each slot after each step, derived by
// hand from the numbering rule (a namespace numbers its tasks in creation
// order): namespace 2 holds 2, 3, 4, 5, 6 as 1..5, namespace 4 holds 4, 5
// as 1, 2, the root numbers every slot as itself. "" is a slot without
// them (unborn or gone). ForkParent(2) is refused (EINVAL: 2 is a
// namespace init) and changes nothing; Exit(2) runs zap_pid_ns_processes:
// every task with a pid in 2 (4 and 5 in the nested one too) is killed and
// reaped inside the kernel, and 2 stays a zombie child of 1 that reads
// pid 1 in its own namespace. (Trailing unborn or gone slots are left out.)
var pidnsWant = [][]string{
	1: {"1.1_1", "2:1.1_2:1/2_1"},
	2: {"1.1_1", "2:1.1_2:1/2_1"},
	3: {"1.1_1", "2:1.1_2:1/2_1", "3:2.1_3:2/2_2"},
	4: {"1.1_1", "2:1.1_2:1/2_1", "3:2.1_3:2/2_2", "4:3:1.1_4:3:1/2_3:1/4_1"},
	5: {"1.1_1", "2:1.1_2:1/2_1", "3:2.1_3:2/2_2", "4:3:1.1_4:3:1/2_3:1/4_1", "5:4:2.1_5:4:2/2_4:2/4_2"},
	6: {"1.1_1", "2:1.1_2:1/2_1", "3:2.1_3:2/2_2", "4:3:1.1_4:3:1/2_3:1/4_1", "5:4:2.1_5:4:2/2_4:2/4_2", "6:5.1_6:5/2_5"},
	7: {"1.1_1", "2:1.1_2:1/2_1"},
	8: {"1.1_1"},
}

// pidnsFields renders the NSpid fields of a snapshot as pidnsWant does.
func pidnsFields(s Snapshot) []string {
	var out []string
	for _, t := range s {
		if t[FNSpid] == "-" {
			out = append(out, "")
			continue
		}
		out = append(out, t[FNSpid]+"."+t[FNSpidIn])
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// The model's prediction of the hand-worked walk: the pid numbers, the
// zap's end state (2 a zombie with SIGCHLD ignored, every other task of
// its namespaces gone) and the refused ForkParent.
func TestPidnsPrediction(t *testing.T) {
	m, err := HostModel(6, linux.DefaultActions|linux.Pidns)
	if err != nil {
		t.Fatal(err)
	}
	w := Walk{Name: "ns", Ops: mustOps(t, pidnsWalk)}
	out := fakeOutput(t, m, "ns", w, CabaNone)
	for k := 1; k < len(pidnsWant); k++ {
		o := out.Obs["ns"][k]
		if got := pidnsFields(o.Snap); strings.Join(got, " ") != strings.Join(pidnsWant[k], " ") {
			t.Errorf("step %d (%s): model %q, want %q", k, w.Ops[k-1], got, pidnsWant[k])
		}
	}
	if s := out.Obs["ns"][7].Snap.String(); !strings.HasPrefix(s, "R.1.c.c.-.1.1.0.0.0.1.1_1.- Z.2.1.1.-.1.1.0.1.-.2:1.1_2:1/2_1.- G.") {
		t.Errorf("after Exit(2): %s", s)
	}
	if r := out.Rets["ns"][2]; r != "EINVAL" {
		t.Errorf("ForkParent(2) by a namespace init: model %q, want EINVAL", r)
	}
	r := Compare(m, w, out, CabaNone)
	if !r.OK() {
		t.Fatalf("the model disagrees with its own prediction:\n%s", r.Text())
	}
	for i, s := range r.Steps {
		if want := map[int]int{7: 4}[i+1]; s.ZapKilled != want {
			t.Errorf("step %d (%s): %d tasks killed by a zap, want %d", i+1, s.Op, s.ZapKilled, want)
		}
	}
}

// The same walk on the host kernel: the harness's readings (from the
// controller and through each namespace's own proc instance) equal the
// hand-worked numbers, the kernel refuses ForkParent(2) with EINVAL, and the
// comparator finds no mismatch; a model told that the nested namespace's
// fork went elsewhere is reported.
func TestPidnsOnHost(t *testing.T) {
	bin := needHost(t)
	m, err := HostModel(6, linux.DefaultActions|linux.Pidns)
	if err != nil {
		t.Fatal(err)
	}
	w := Walk{Name: "ns", Ops: mustOps(t, pidnsWalk)}
	var sc bytes.Buffer
	if err := WriteScript(&sc, m, []Walk{w}, ScriptOptions{}); err != nil {
		t.Fatal(err)
	}
	out, raw, err := RunHarness(bin, sc.String(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for k := 1; k < len(pidnsWant); k++ {
		o := out.Obs["ns"][k]
		if got := pidnsFields(o.Snap); strings.Join(got, " ") != strings.Join(pidnsWant[k], " ") {
			t.Errorf("step %d (%s): kernel %q, want %q\n%s", k, w.Ops[k-1], got, pidnsWant[k], raw)
		}
	}
	if r := out.Rets["ns"][2]; r != "EINVAL" {
		t.Errorf("ForkParent(2): kernel returned %q, want EINVAL", r)
	}
	if r := Compare(m, w, out, CabaNone); !r.OK() {
		t.Fatalf("kernel and model disagree:\n%s\n%s", r.Text(), raw)
	}
	claimed := Walk{Name: "ns", Ops: mustOps(t, "ForkNewpid(1) ForkParent(2) Fork(2) ForkNewpid(3) Fork(3) Fork(3) Exit(2) Wait(1, 2)")}
	if r := Compare(m, claimed, out, CabaNone); r.OK() || r.FailStep != 5 {
		t.Fatalf("wrong prediction not reported at step 5:\n%s", r.Text())
	}
}

// The kernel's zap waits for every struct pid of the namespace, a process
// group's included: namespace init 2 in the process group of its released
// child 3 never finishes its exit on the host (found by conform host with
// sessions and pidns: the harness hung), where the model lets it complete.
// zapHangs names that step, and random walks leave it out.
func TestZapWaitsOnProcessGroup(t *testing.T) {
	m, err := HostModel(4, linux.DefaultActions|linux.Sessions|linux.Execve|linux.Pidns)
	if err != nil {
		t.Fatal(err)
	}
	fin, err := Finals(m, mustOps(t, "ForkNewpid(1) Fork(2) Setpgid(3, 3, 3) Setpgid(2, 2, 3) Exit(3) Wait(2, 3)"))
	if err != nil {
		t.Fatal(err)
	}
	exit := Op{Kind: OpExit, T: 2}
	next, err := Expand(m, fin, exit)
	if err != nil {
		t.Fatal(err)
	}
	if !zapHangs(&fin[0], &next[0]) {
		t.Errorf("Exit(2) with 2 in process group 3: the zap's wait on pid 3 not seen")
	}
	for _, o := range withoutZapHangs(m, fin, EnabledOps(m, &fin[0])) {
		if o == exit {
			t.Errorf("random walks would still perform %s", o)
		}
	}
	// the same exit with 2 back in its own group completes in the kernel
	fin, err = Finals(m, mustOps(t, "ForkNewpid(1) Fork(2) Setpgid(3, 3, 3) Exit(3) Wait(2, 3)"))
	if err != nil {
		t.Fatal(err)
	}
	if next, err = Expand(m, fin, exit); err != nil || zapHangs(&fin[0], &next[0]) {
		t.Errorf("Exit(2) in its own process group: zapHangs true (err %v)", err)
	}
}
