// Package differential compares the model of spec/linux with spec/reference,
// the independent implementation of model.md, for any registered revision.
//
// It is the only place where the two meet: spec/reference imports nothing of
// the project, and a linux.RevisionDef reaches it only as its choice keys and
// value names (linux.Choices()), so a revision registered by a user or a
// test is compared like a built-in one.
package differential

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"cabacheck/explorer"
	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/spec/reference"
)

// Workers is the number of explorer goroutines used on the spec/linux side.
var Workers = 2

// RevisionOf converts a registered revision into the reference's choice
// description, through the choice keys and value names of linux.Choices().
// It fails when the registry has a key or value the reference does not
// implement.
func RevisionOf(rev linux.Revision) (reference.Revision, error) {
	d := rev.Def()
	if d == nil {
		return reference.Revision{}, fmt.Errorf("revision %d is not registered", uint8(rev))
	}
	choices := map[string]string{}
	for _, c := range linux.Choices() {
		choices[c.Key] = c.Value(d)
	}
	return reference.RevisionOf(d.Name, choices)
}

// Actions converts an action set into the reference's switch names.
func Actions(set linux.ActionSet) []string {
	if set == 0 {
		return nil
	}
	return strings.Split(set.String(), ",")
}

// CheckBuiltins checks that every revision of the reference's own table
// (seed, v3, v4, fixed, read from the patches) is registered in spec/linux
// with the same choices, and that every registered revision with a kernel
// patch has a reading in that table.
func CheckBuiltins() error {
	var errs []error
	for _, r := range linux.Revisions() {
		if d := r.Def(); d.Patch != "" {
			if _, ok := reference.Builtin(d.Name); !ok {
				errs = append(errs, fmt.Errorf("revision %s (kernel/patches/%s) has no independent reading in spec/reference's table", d.Name, d.Patch))
			}
		}
	}
	for _, want := range reference.Builtins() {
		r, err := linux.ParseRevision(want.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("built-in %s: %w", want.Name, err))
			continue
		}
		got, err := RevisionOf(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		g, w := got.Choices(), want.Choices()
		for _, k := range reference.ChoiceKeys {
			if g[k] != w[k] {
				errs = append(errs, fmt.Errorf("built-in %s: the registry has %s=%s, the reference's reading of the patch is %s=%s", want.Name, k, g[k], k, w[k]))
			}
		}
	}
	return errors.Join(errs...)
}

// models builds both models of one comparison.
func models(tasks int, rev linux.Revision, actions linux.ActionSet) (*linux.Model, *reference.Model, error) {
	lm, err := linux.New(linux.Options{Tasks: tasks, Revision: rev, Actions: actions})
	if err != nil {
		return nil, nil, err
	}
	rr, err := RevisionOf(rev)
	if err != nil {
		return nil, nil, err
	}
	if tasks > reference.MaxTasks {
		return nil, nil, fmt.Errorf("tasks %d: the reference holds at most %d", tasks, reference.MaxTasks)
	}
	return lm, reference.NewModelRev(tasks, rr, Actions(actions)), nil
}

// Compare explores the revision with both implementations and checks that
// they agree on distinct states, generated states and depth. The reference
// counts the initial state as generated (as TLC does), the explorer does
// not. On a disagreement the error also holds the first diverging trace
// (see Diff).
func Compare(tasks int, rev linux.Revision, actions linux.ActionSet) error {
	lm, rm, err := models(tasks, rev, actions)
	if err != nil {
		return err
	}
	s, err := explorer.Run(lm, explorer.Config{Workers: Workers})
	if err != nil {
		return err
	}
	got, ref := s.Result, rm.Explore()
	if got.Distinct == uint64(ref.Distinct) && got.Generated+1 == uint64(ref.Generated) && got.Depth == ref.Depth {
		return nil
	}
	msg := fmt.Sprintf("tasks %d %s actions %s: distinct/generated/depth %d/%d/%d, reference %d/%d/%d (its generated count includes the initial state)",
		tasks, rev, actions, got.Distinct, got.Generated, got.Depth, ref.Distinct, ref.Generated, ref.Depth)
	if d := diff(lm, rm, nil, false); d != "" {
		msg += "\n" + d
	}
	return errors.New(msg)
}

// CompareShortest checks every invariant of invariants.All(): both
// implementations must agree on whether it is violated and on the length of
// a shortest violating trace, and each one's shortest trace must replay in
// the other and end in a state that violates the invariant there too.
// The kernel-sanity invariants (reference.SanityNames, those of the
// sessions set included) must be in invariants.All() and must hold: a
// violation, in either implementation, is an error even when both agree
// (model.md: if one fails, the model is wrong).
func CompareShortest(tasks int, rev linux.Revision, actions linux.ActionSet) error {
	lm, rm, err := models(tasks, rev, actions)
	if err != nil {
		return err
	}
	invs, err := compared(rev, actions)
	if err != nil {
		return err
	}
	names := make([]string, len(invs))
	for i, inv := range invs {
		names[i] = inv.Name
	}
	for _, inv := range reference.SanityNames {
		if !slices.Contains(names, inv) {
			return fmt.Errorf("sanity invariant %s of model.md is not in invariants.All()", inv)
		}
	}
	checker := invariants.NewChecker(tasks, invs)
	s, err := explorer.Run(lm, explorer.Config{Workers: Workers, Checker: checker, Continue: true})
	if err != nil {
		return err
	}
	got := map[string][]string{}
	for _, v := range s.Result.Violations {
		_, acts, err := s.Path(v.State)
		if err != nil {
			return err
		}
		labels := make([]string, len(acts))
		for i, a := range acts {
			labels[i] = lm.FormatAction(a)
		}
		if len(labels) != v.Depth {
			return fmt.Errorf("%s %s: the explorer's trace has %d steps, its depth is %d", rev, v.Invariant, len(labels), v.Depth)
		}
		got[v.Invariant] = labels
	}
	ref := rm.Shortest(names)
	var errs []error
	ctx := fmt.Sprintf("tasks %d %s actions %s", tasks, rev, actions)
	for bit, inv := range names {
		mine, ok := got[inv]
		theirs, rok := ref[inv]
		if ok != rok || len(mine) != len(theirs) {
			errs = append(errs, fmt.Errorf("%s %s: checker violated=%v length=%d trace %s; reference violated=%v length=%d trace %s",
				ctx, inv, ok, lenOr(mine, ok), strings.Join(mine, " "), rok, lenOr(theirs, rok), strings.Join(theirs, " ")))
			continue
		}
		if !ok {
			continue
		}
		if slices.Contains(reference.SanityNames, inv) {
			errs = append(errs, fmt.Errorf("%s %s: a kernel-sanity invariant is violated (both agree; a finding about the model): checker trace %s; reference trace %s",
				ctx, inv, strings.Join(mine, " "), strings.Join(theirs, " ")))
		}
		// The model's trace in the reference.
		end, err := rm.Run(mine...)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: the checker's trace %s does not replay in the reference: %v", ctx, inv, strings.Join(mine, " "), err))
		} else if rm.Holds(&end, inv) {
			errs = append(errs, fmt.Errorf("%s %s: the checker's trace %s ends in a state where the reference holds it:\n%s", ctx, inv, strings.Join(mine, " "), rm.Format(end)))
		}
		// The reference's trace in the model.
		b, err := replay(lm, theirs)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: the reference's trace %s does not replay in the model: %v", ctx, inv, strings.Join(theirs, " "), err))
		} else if checker.Check(b)&(1<<bit) == 0 {
			errs = append(errs, fmt.Errorf("%s %s: the reference's trace %s ends in a state where the model holds it", ctx, inv, strings.Join(theirs, " ")))
		}
	}
	return errors.Join(errs...)
}

func lenOr(tr []string, ok bool) int {
	if !ok {
		return -1
	}
	return len(tr)
}

// norm makes action labels of the two implementations comparable
// ("Reap(1, 2)" and "Reap(1,2)").
func norm(label string) string { return strings.ReplaceAll(label, " ", "") }

// replay applies labelled steps to the model's initial state, choosing each
// step among the enabled successors by label.
func replay(lm *linux.Model, labels []string) ([]byte, error) {
	init := lm.InitialStates()
	if len(init) != 1 {
		return nil, fmt.Errorf("the model has %d initial states", len(init))
	}
	cur := slices.Clone(init[0])
	gen := lm.NewGenerator()
	for i, l := range labels {
		var next []byte
		var enabled []string
		gen.Successors(cur, func(a spec.Action, n []byte) {
			fl := lm.FormatAction(a)
			enabled = append(enabled, fl)
			if norm(fl) == norm(l) && next == nil {
				next = slices.Clone(n)
			}
		})
		if next == nil {
			return nil, fmt.Errorf("step %d %s not enabled; enabled: %s", i+1, l, strings.Join(enabled, " "))
		}
		cur = next
	}
	return cur, nil
}

// Diff walks both implementations in lockstep, breadth first, pairing
// states reached by the same trace, and describes the first disagreement:
// a trace after which the enabled actions differ, two traces that reach one
// state in one implementation and two in the other (a difference in what
// is recorded or normalised), or a state where an invariant of
// invariants.All() holds in one and fails in the other. "" means they are
// the same transition system (up to state names) with the same invariant
// verdicts. It keeps every state of both in memory: for small bounds.
func Diff(tasks int, rev linux.Revision, actions linux.ActionSet) (string, error) {
	ref, err := RevisionOf(rev)
	if err != nil {
		return "", err
	}
	return DiffWith(tasks, rev, ref, actions)
}

// DiffViews is Diff that also compares, in every pair of states, what
// /proc shows a reader in each namespace (see procfs): which namespaces
// are alive, which tasks are killed by a zap, and every visible task's
// NSpid and NScaba lines. With pidns off every task is in the root and the
// lines are the root's (the TID and NScaba of the base model).
func DiffViews(tasks int, rev linux.Revision, actions linux.ActionSet) (string, error) {
	ref, err := RevisionOf(rev)
	if err != nil {
		return "", err
	}
	return DiffViewsWith(tasks, rev, ref, actions)
}

// DiffViewsWith is DiffViews against a reference revision given explicitly.
func DiffViewsWith(tasks int, rev linux.Revision, ref reference.Revision, actions linux.ActionSet) (string, error) {
	lm, rm, invs, err := diffModels(tasks, rev, ref, actions)
	if err != nil {
		return "", err
	}
	return diff(lm, rm, invs, true), nil
}

// DiffWith is Diff against a reference revision given explicitly (to see
// how two readings of a revision differ).
func DiffWith(tasks int, rev linux.Revision, ref reference.Revision, actions linux.ActionSet) (string, error) {
	lm, rm, invs, err := diffModels(tasks, rev, ref, actions)
	if err != nil {
		return "", err
	}
	return diff(lm, rm, invs, false), nil
}

func diffModels(tasks int, rev linux.Revision, ref reference.Revision, actions linux.ActionSet) (*linux.Model, *reference.Model, []invariants.Invariant, error) {
	lm, _, err := models(tasks, rev, actions)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := ref.Validate(); err != nil {
		return nil, nil, nil, err
	}
	invs, err := compared(rev, actions)
	if err != nil {
		return nil, nil, nil, err
	}
	return lm, reference.NewModelRev(tasks, ref, Actions(actions)), invs, nil
}

// compared lists the invariants both implementations are compared on:
// invariants.All(), and with the pidns set on the pid namespace invariants
// of docs/model.md (group derived: they read the procfs views) that the
// library has (reference.PidnsInvariantNames). Each must be implemented by
// the reference.
func compared(rev linux.Revision, actions linux.ActionSet) ([]invariants.Invariant, error) {
	invs := invariants.All()
	if actions&linux.Pidns != 0 {
		for _, name := range reference.PidnsInvariantNames {
			if inv, ok := invariants.ByName(name, rev); ok {
				invs = append(invs, inv)
			}
		}
	}
	for _, inv := range invs {
		if !slices.Contains(reference.InvariantNames, inv.Name) && !slices.Contains(reference.PidnsInvariantNames, inv.Name) {
			return nil, fmt.Errorf("invariant %s is not implemented by the reference", inv.Name)
		}
	}
	return invs, nil
}

type pair struct {
	ref    reference.Packed
	lin    string
	parent int32
	label  string
}

func diff(lm *linux.Model, rm *reference.Model, invs []invariants.Invariant, views bool) string {
	var checker *invariants.Checker
	if len(invs) > 0 {
		checker = invariants.NewChecker(rm.N, invs)
	}
	init := lm.InitialStates()
	if len(init) != 1 {
		return fmt.Sprintf("the model has %d initial states, the reference 1", len(init))
	}
	rInit := rm.Initial()
	nodes := []pair{{ref: reference.Pack(&rInit), lin: string(init[0]), parent: -1}}
	byRef := map[reference.Packed]int{nodes[0].ref: 0}
	byLin := map[string]int{nodes[0].lin: 0}
	trace := func(i int, more ...string) string {
		var t []string
		for ; nodes[i].parent >= 0; i = int(nodes[i].parent) {
			t = append(t, nodes[i].label)
		}
		slices.Reverse(t)
		t = append(t, more...)
		if len(t) == 0 {
			return "(the initial state)"
		}
		return strings.Join(t, " ")
	}
	gen := lm.NewGenerator()
	for head := 0; head < len(nodes); head++ {
		n := nodes[head]
		rs := reference.Unpack(n.ref)
		if checker != nil {
			mask := checker.Check([]byte(n.lin))
			for bit, inv := range invs {
				if (mask&(1<<bit) != 0) != !rm.Holds(&rs, inv.Name) {
					return fmt.Sprintf("after %s: %s violated in the model: %v, in the reference: %v; reference state:\n%s",
						trace(head), inv.Name, mask&(1<<bit) != 0, !rm.Holds(&rs, inv.Name), rm.Format(rs))
				}
			}
		}
		if views {
			if d := procfs(lm, rm, []byte(n.lin), &rs); d != "" {
				return fmt.Sprintf("after %s: %s; reference state:\n%s", trace(head), d, rm.Format(rs))
			}
		}
		lsucc := map[string]string{}
		var dup []string
		gen.Successors([]byte(n.lin), func(a spec.Action, next []byte) {
			l := norm(lm.FormatAction(a))
			if _, ok := lsucc[l]; ok {
				dup = append(dup, l)
			}
			lsucc[l] = string(next)
		})
		if len(dup) > 0 {
			return fmt.Sprintf("after %s: the model enables %s more than once", trace(head), strings.Join(dup, " "))
		}
		rsucc := rm.Successors(rs)
		var onlyRef, onlyLin []string
		rl := map[string]bool{}
		for _, tr := range rsucc {
			l := norm(tr.Act.Label())
			rl[l] = true
			if _, ok := lsucc[l]; !ok {
				onlyRef = append(onlyRef, l)
			}
		}
		for l := range lsucc {
			if !rl[l] {
				onlyLin = append(onlyLin, l)
			}
		}
		if len(onlyRef)+len(onlyLin) > 0 || len(rl) != len(rsucc) {
			slices.Sort(onlyLin)
			return fmt.Sprintf("after %s: enabled only in the reference: %s; only in the model: %s; reference state:\n%s",
				trace(head), strings.Join(onlyRef, " "), strings.Join(onlyLin, " "), rm.Format(rs))
		}
		for _, tr := range rsucc {
			l := norm(tr.Act.Label())
			rk, lk := reference.Pack(&tr.Next), lsucc[l]
			ri, rseen := byRef[rk]
			li, lseen := byLin[lk]
			switch {
			case rseen && lseen && ri == li:
				continue
			case rseen && (!lseen || ri != li):
				return fmt.Sprintf("%s and %s reach one state in the reference but two in the model; reference state:\n%s",
					trace(ri), trace(head, l), rm.Format(tr.Next))
			case lseen:
				return fmt.Sprintf("%s and %s reach one state in the model but two in the reference; reference states:\n%s---\n%s",
					trace(li), trace(head, l), rm.Format(reference.Unpack(nodes[li].ref)), rm.Format(tr.Next))
			}
			idx := len(nodes)
			nodes = append(nodes, pair{ref: rk, lin: lk, parent: int32(head), label: l})
			byRef[rk] = idx
			byLin[lk] = idx
		}
	}
	return ""
}

// procfs compares what a reader in every namespace sees of one state (the
// same state in both implementations, reached by the same trace): which
// namespaces are alive, which tasks are killed by a zap, and for every
// alive namespace r and every hashed task u with a pid in r, u's NSpid and
// NScaba lines (and whether the NScaba read is the use-after-free), as
// spec/linux's procfs views (linux.NSpid, linux.Revision.NScabaIn, the
// state's NsAlive and Killed) and the reference's print them.
func procfs(lm *linux.Model, rm *reference.Model, lin []byte, rs *reference.State) string {
	ls := lm.Initial() // a state.State, decoded in place
	ls.Decode(lin, rm.N)
	rev := lm.Options().Revision
	alive := rm.AliveNamespaces(rs)
	for r := 1; r <= rm.N; r++ {
		rAlive := slices.Contains(alive, r)
		if la := ls.NsAlive(uint8(r)); la != rAlive {
			return fmt.Sprintf("namespace %d alive: model %v, reference %v", r, la, rAlive)
		}
		if rs.St[r] != reference.Unborn && rs.St[r] != reference.Released {
			if lk, rk := ls.Killed(uint8(r)), rm.Killed(rs, r); lk != rk {
				return fmt.Sprintf("task %d killed: model %v, reference %v", r, lk, rk)
			}
		}
		for u := 1; u <= rm.N; u++ {
			if rs.St[u] == reference.Unborn || rs.St[u] == reference.Released {
				continue
			}
			lpid, lvis := linux.NSpid(&ls, uint8(u), uint8(r))
			rpid, rvis := rm.NSpid(rs, u, r)
			if lvis != rvis {
				return fmt.Sprintf("task %d has a pid in namespace %d: model %v, reference %v", u, r, lvis, rvis)
			}
			if !lvis || !rAlive {
				continue
			}
			if got := ints(lpid.Numbers()); !slices.Equal(got, rpid) {
				return fmt.Sprintf("NSpid of %d read in namespace %d: model %v, reference %v", u, r, got, rpid)
			}
			lline, lfreed := rev.NScabaIn(&ls, uint8(u), uint8(r))
			rline, rfreed := rm.NScabaIn(rs, u, r)
			if lfreed != rfreed || (!rfreed && !slices.Equal(ints(lline.Numbers()), rline)) {
				return fmt.Sprintf("NScaba of %d read in namespace %d: model %v (freed %v), reference %v (freed %v)",
					u, r, ints(lline.Numbers()), lfreed, rline, rfreed)
			}
		}
	}
	return ""
}

func ints(b []uint8) []int {
	out := make([]int, len(b))
	for i, v := range b {
		out[i] = int(v)
	}
	return out
}
