package findings

import (
	"strings"
	"testing"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
)

// At 3 tasks with sessions: the counts are consistent, the fix's caba
// planner restores every dumpable state, CRIU hangs on a group whose
// leader left it, and v3's only CABA failure is the caba left dangling by
// an exec from a thread (a flaw of the patch).
func TestRestoreSummarySmall(t *testing.T) {
	rows, err := RestoreSummary(RestoreConfig{Tasks: 3, Actions: linux.DefaultActions | linux.Sessions, Revisions: []linux.Revision{linux.V3, linux.Fixed}}, RunConfig{Workers: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if !r.Complete || r.Dumpable == 0 || r.Dumpable > r.Distinct || r.CRIUCaba > r.CRIUTree || r.CRIUTree > r.Dumpable || r.CABACaba > r.CABATree || r.CABATree > r.Dumpable {
			t.Errorf("%s: inconsistent counts %+v", r.Revision, r)
		}
		switch r.Revision {
		case "fixed":
			if r.CABACaba != r.Dumpable || len(r.CABAFails) != 0 {
				t.Errorf("fixed: the CABA planner fails at 3 tasks: %+v", r.CABAFails)
			}
		case "v3":
			if len(r.CABAFails) != 1 || r.CABAFails[0].Class != "dangling-caba" || !r.CABAFails[0].Flaw() {
				t.Errorf("v3: CABA failures %+v", r.CABAFails)
			}
		}
		found := false
		for _, e := range r.CRIUOnly {
			found = found || (e.Class == "pgrp-hang" && e.Length == 4)
		}
		if !found {
			t.Errorf("%s: no 4-step pgrp-hang among %+v", r.Revision, r.CRIUOnly)
		}
	}
	md := RestoreMarkdown(rows)
	for _, s := range []string{"## Restorability", "| v3 |", "| fixed |", "pgrp-hang", "The CABA planner restores every dumpable state"} {
		if !strings.Contains(md, s) {
			t.Errorf("markdown lacks %q:\n%s", s, md)
		}
	}
}

// The restore invariants are in the library, in group restore and not in
// "all", and agree with the summary on v3's dangling thread caba.
func TestRestoreInvariants(t *testing.T) {
	for _, name := range []string{invariants.RestorableCRIU, invariants.RestorableCABA} {
		inv, ok := invariants.ByName(name, linux.V3)
		if !ok || inv.Group != "restore" || inv.Eval == nil {
			t.Fatalf("%s: %+v", name, inv)
		}
		for _, a := range invariants.All() {
			if a.Name == name {
				t.Errorf("%s is in all", name)
			}
		}
	}
	sel, err := invariants.Select("restore", linux.V3)
	if err != nil || len(sel) != 2 {
		t.Fatalf("select restore: %v %v", sel, err)
	}
	e, err := Explore(linux.Options{Tasks: 4, Revision: linux.V3, Actions: linux.DefaultActions}, sel, true, Budget{}, RunConfig{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	criu, _ := e.Verdict(invariants.RestorableCRIU)
	caba, _ := e.Verdict(invariants.RestorableCABA)
	if criu.Violated || !caba.Violated || caba.Length != 6 || !strings.Contains(strings.Join(caba.Failure, " "), "released task_struct") {
		t.Errorf("v3 at 4 tasks without sessions: criu %+v, caba %+v", criu, caba)
	}
}
