package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"cabacheck/check"
	"cabacheck/findings"
	"cabacheck/spec/linux"
	"cabacheck/spec/reference/differential"
)

// throwaway is registered from this file alone: nothing else in the tree
// names it, yet every command that lists or takes revisions knows it.
var throwaway = linux.Register(linux.RevisionDef{
	Name:        "throwaway",
	Description: "a test revision: v3's fork and thread rules with v1/v2's hand-off time and the fix's de_thread",
	Fork:        linux.ForkCabaCurrent,
	Thread:      linux.ThreadCabaCurrent,
	HandOff:     linux.HandOffAtExitNotify,
	NewCaba:     linux.NewCabaForget,
	DeThread:    linux.DeThreadLeaderCaba,
	NScaba:      linux.NScabaTGID,
	Alive:       linux.AliveHashed,
})

func runOut(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestThrowawayRevisionEverywhere(t *testing.T) {
	code, out, stderr := runOut(t, "check", "--json", "--progress", "0", "--tasks", "4", "--revision", "throwaway", "--invariants", "sanity")
	var rep check.Report
	if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil || rep.Revision != "throwaway" || !rep.Complete || rep.DistinctStates == 0 {
		t.Fatalf("check --revision throwaway: code %d %s\n%s", code, stderr, out)
	}

	code, out, stderr = runOut(t, "matrix", "--json", "--tasks", "3")
	var m findings.Matrix
	if code != exitOK || json.Unmarshal([]byte(out), &m) != nil {
		t.Fatalf("matrix: code %d %s", code, stderr)
	}
	var revs []string
	for _, r := range m.Rows {
		revs = append(revs, r.Revision)
	}
	if strings.Join(revs, ", ") != linux.RevisionNames() || !strings.Contains(linux.RevisionNames(), "throwaway") {
		t.Errorf("matrix rows %v, want every registered revision (%s)", revs, linux.RevisionNames())
	}

	for _, args := range [][]string{{"invariants"}, {"check", "--help"}, {"matrix", "--help"}, {"growth", "--help"}, {"conform", "vm", "--help"}} {
		if _, out, _ := runOut(t, args...); !strings.Contains(out, "throwaway") {
			t.Errorf("%v does not name the throwaway revision:\n%s", args, out)
		}
	}

	if err := differential.Compare(4, throwaway, linux.DefaultActions); err != nil {
		t.Errorf("reference comparison: %v", err)
	}
	if err := differential.CompareShortest(4, throwaway, linux.DefaultActions); err != nil {
		t.Errorf("reference comparison of shortest violations: %v", err)
	}
}
