package invariants_test

import (
	"strings"
	"testing"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// afterNs is after with the default actions and pid namespaces.
func afterNs(t *testing.T, rev linux.Revision, tasks int, acts string) state.State {
	t.Helper()
	return afterWith(t, rev, linux.DefaultActions|linux.Pidns, tasks, acts)
}

func verdicts(t *testing.T, rev linux.Revision, s *state.State, want map[string]string) {
	t.Helper()
	for name, w := range want {
		inv, ok := invariants.ByName(name, rev)
		if !ok {
			t.Fatalf("no invariant %s", name)
		}
		why := strings.Join(inv.Explain(s), "; ")
		switch {
		case w == "" && why != "":
			t.Errorf("%s %s: violated (%s), want it to hold", rev, name, why)
		case w != "" && !strings.Contains(why, w):
			t.Errorf("%s %s: %q, want a violation mentioning %q", rev, name, why, w)
		}
	}
}

// The seed's hand-off walks past an exiting namespace init to init: the caba
// of 4 escapes namespace 2 (its parent stays inside). v3 keeps it inside.
func TestPidnsInvariantsEscape(t *testing.T) {
	steps := "ForkNewpid(1);Fork(2);Fork(3);ExitBegin(2);ExitBegin(3);ExitNotify(3)"
	s := afterNs(t, linux.Seed, 4, steps)
	verdicts(t, linux.Seed, &s, map[string]string{
		invariants.CabaNsMatchesParent:    "leader 4 (namespace 2): caba 1 is in namespace 1, its real_parent 2 in namespace 2",
		invariants.ClosestNotifiedNS:      "namespace 2: leader 4's caba 1 (process 1) is not visible",
		invariants.NScabaNamesVisibleTask: "",
	})
	v := afterNs(t, linux.V3, 4, steps+";ZapBegin(2);ZapReap(2, 3);Release(3)")
	verdicts(t, linux.V3, &v, map[string]string{
		invariants.CabaNsMatchesParent: "", invariants.ClosestHashedNS: "", invariants.NScabaNamesVisibleTask: "",
	})
}

// A freed caba is read from every namespace that sees the task; a caba in a
// sibling namespace (made by hand: no revision creates one) prints numbers
// of namespaces the reader is not in.
func TestNScabaNamesVisibleTask(t *testing.T) {
	s := afterNs(t, linux.V3, 5, "ForkNewpid(1);Clone(2);Clone(3);ExitBegin(3);ExitNotify(3);Release(3)")
	verdicts(t, linux.V3, &s, map[string]string{invariants.NScabaNamesVisibleTask: "task 4 read in namespace 2: NScaba reads its caba 3, which is Released"})
	s = afterNs(t, linux.V3, 5, "ForkNewpid(1);ForkNewpid(1);Fork(3)")
	verdicts(t, linux.V3, &s, map[string]string{invariants.NScabaNamesVisibleTask: ""})
	s.Caba[4], s.CabdOf[4] = 2, 2 // 4 (namespace 3) with caba 2, the init of sibling namespace 2
	if l, _ := linux.V3.NScabaIn(&s, 4, 3); len(l.Numbers()) != 1 || l.Numbers()[0] != 1 {
		t.Fatalf("sibling caba read in 3: %v, want [1] (2's number in its own namespace)", l.Numbers())
	}
	verdicts(t, linux.V3, &s, map[string]string{invariants.NScabaNamesVisibleTask: "task 4 read in namespace 3: NScaba prints [1], the numbers of caba 2 in namespaces the reader is not in"})
}

// v3's thread-created leader: after de_thread in a namespace init's process
// the new leader keeps its own caba, a thread inside the namespace, while
// its parent is outside.
func TestCabaNsMatchesParentDeThread(t *testing.T) {
	steps := "ForkNewpid(1);Clone(2);ExitBegin(2);ExitNotify(2);ExecBegin(3);ExecSwap(3)"
	s := afterNs(t, linux.V3, 4, steps)
	verdicts(t, linux.V3, &s, map[string]string{invariants.CabaNsMatchesParent: "leader 3 (namespace 2): caba 2 is in namespace 2, its real_parent 1 in namespace 1"})
	f := afterNs(t, linux.Fixed, 4, steps)
	verdicts(t, linux.Fixed, &f, map[string]string{invariants.CabaNsMatchesParent: ""})
}

// Without pidns the derived group leaves them out; by name they hold.
func TestPidnsInvariantsNeedPidns(t *testing.T) {
	invs, err := invariants.SelectFor("derived", linux.V3, linux.DefaultActions)
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invs {
		if strings.HasSuffix(inv.Name, "NS") || inv.Name == invariants.CabaNsMatchesParent || inv.Name == invariants.NScabaNamesVisibleTask {
			t.Errorf("%s selected without pidns", inv.Name)
		}
	}
	with, err := invariants.SelectFor("derived", linux.V3, linux.DefaultActions|linux.Pidns)
	if err != nil || len(with) != len(invs)+4 {
		t.Errorf("with pidns: %d invariants (%v), want %d", len(with), err, len(invs)+4)
	}
	s := after(t, linux.V3, 4, "Fork(1);Fork(2);ExitBegin(2);ExitNotify(2)")
	verdicts(t, linux.V3, &s, map[string]string{invariants.CabaNsMatchesParent: "", invariants.NScabaNamesVisibleTask: "", invariants.ClosestHashedNS: ""})
}

// The intended per-namespace reading follows the revision's reading.
func TestClosestIntendedNS(t *testing.T) {
	for rev, want := range map[linux.Revision]string{linux.Seed: invariants.ClosestNotifiedNS, linux.V3: invariants.ClosestHashedNS, linux.Fixed: invariants.ClosestHashedNS} {
		if inv, ok := invariants.ByName(invariants.ClosestIntendedNS, rev); !ok || inv.Name != want {
			t.Errorf("%s: %s is %q, want %s", rev, invariants.ClosestIntendedNS, inv.Name, want)
		}
	}
}
