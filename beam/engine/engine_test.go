package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cabacheck/check"
	"cabacheck/explorer"
	"cabacheck/spec/linux"
)

// native runs the native explorer (through check.Run, as `cabacheck check`
// does) on the model and invariants of ms.
func native(t *testing.T, ms ModelSpec, cont bool, maxDepth int) *check.Result {
	t.Helper()
	m, ch, err := ms.Build()
	if err != nil {
		t.Fatal(err)
	}
	res, err := check.Run(check.Request{Model: m, Checker: ch, Continue: cont, MaxDepth: maxDepth, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// onBeam runs the Beam engine on Prism in a fresh work directory.
func onBeam(t *testing.T, cfg Config) *Result {
	t.Helper()
	if cfg.Work == "" {
		cfg.Work = t.TempDir()
	}
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sameAsNative compares everything the two engines report that does not
// depend on time: counts, depth, completeness, the stop reason, every
// level's new states, every violation (invariant, state index, depth) and
// every counterexample's actions.
func sameAsNative(t *testing.T, got *Result, want *check.Result) {
	t.Helper()
	g, w := got, want.Result
	if g.Distinct != w.Distinct || g.Generated != w.Generated || g.Depth != w.Depth || g.Complete != w.Complete || g.StopReason != w.StopReason {
		t.Fatalf("beam: %d distinct, %d generated, depth %d, complete %v, %q; native: %d, %d, %d, %v, %q",
			g.Distinct, g.Generated, g.Depth, g.Complete, g.StopReason, w.Distinct, w.Generated, w.Depth, w.Complete, w.StopReason)
	}
	if len(g.Levels) != len(w.Levels) {
		t.Fatalf("beam: %d levels, native %d", len(g.Levels), len(w.Levels))
	}
	for i := range g.Levels {
		gl, wl := g.Levels[i], w.Levels[i]
		if gl.New != wl.New || gl.Generated != wl.Generated || gl.Frontier != wl.Frontier || gl.Candidates != wl.Candidates || gl.Duplicates != wl.Duplicates {
			t.Errorf("level %d: beam %+v, native %+v", i, gl, wl)
		}
	}
	var wv []Violation
	for _, v := range w.Violations {
		wv = append(wv, Violation{Invariant: v.Invariant, State: uint64(v.State), Depth: v.Depth})
	}
	if !slices.Equal(g.Violations, wv) {
		t.Fatalf("violations: beam %v, native %v", g.Violations, wv)
	}
	if len(got.Counterexamples) != len(want.Counterexamples) {
		t.Fatalf("beam: %d counterexamples, native %d", len(got.Counterexamples), len(want.Counterexamples))
	}
	for i, ce := range got.Counterexamples {
		wce := want.Counterexamples[i]
		if ce.Invariant != wce.Invariant || !slices.Equal(ce.Trace.Actions(), wce.Trace.Actions()) || ce.Trace.Text() != wce.Trace.Text() {
			t.Errorf("%s: beam trace %v, native %s %v", ce.Invariant, ce.Trace.Actions(), wce.Invariant, wce.Trace.Actions())
		}
	}
}

// TestMatchesNativeLinux: every registered revision at 3 and 4 tasks, every
// invariant, the whole space (--continue), with the default partitions and
// with small work items and one partition (other groupings, same result).
func TestMatchesNativeLinux(t *testing.T) {
	for _, rev := range linux.Revisions() {
		for _, tasks := range []int{3, 4} {
			ms := ModelSpec{Kind: "linux", Tasks: tasks, Revision: rev.String(), Actions: "default", Invariants: "all"}
			t.Run(fmt.Sprintf("%s/%d", rev, tasks), func(t *testing.T) {
				want := native(t, ms, true, 0)
				sameAsNative(t, onBeam(t, Config{Spec: ms, Continue: true}), want)
				if tasks == 3 {
					sameAsNative(t, onBeam(t, Config{Spec: ms, Continue: true, Partitions: 1, ItemStates: 7}), want)
				}
			})
		}
	}
}

// TestMatchesNativeToy: the toy model at MAXP=6, as `check --model toy
// --tasks 6` builds it.
func TestMatchesNativeToy(t *testing.T) {
	ms := ModelSpec{Kind: "toy", Tasks: 6}
	want := native(t, ms, true, 0)
	if want.Distinct < 1000 {
		t.Fatalf("the toy model at MAXP=6 has only %d states", want.Distinct)
	}
	sameAsNative(t, onBeam(t, Config{Spec: ms, Continue: true, Partitions: 8, ItemStates: 1000}), want)
}

// TestStopsLikeNative: without --continue the search stops at the level
// of the first violation, as the native one; --max-depth likewise.
func TestStopsLikeNative(t *testing.T) {
	ms := ModelSpec{Kind: "linux", Tasks: 4, Revision: "v3", Actions: "default", Invariants: "all"}
	sameAsNative(t, onBeam(t, Config{Spec: ms}), native(t, ms, false, 0))
	sameAsNative(t, onBeam(t, Config{Spec: ms, Continue: true, MaxDepth: 5}), native(t, ms, true, 5))
	one := ModelSpec{Kind: "linux", Tasks: 4, Revision: "v3", Actions: "default", Invariants: "NoDanglingCaba"}
	got := onBeam(t, Config{Spec: one})
	sameAsNative(t, got, native(t, one, false, 0))
	if len(got.Counterexamples) != 1 || got.Counterexamples[0].Trace.Len() != 6 {
		t.Fatalf("v3 NoDanglingCaba at 4 tasks: want one 6-step trace, got %d counterexamples", len(got.Counterexamples))
	}
}

// TestMaxStates: the budget cuts the level to the states that fit, in
// index order, as the native explorer does.
func TestMaxStates(t *testing.T) {
	ms := ModelSpec{Kind: "toy", Tasks: 6}
	got := onBeam(t, Config{Spec: ms, MaxStates: 500})
	m, ch, _ := ms.Build()
	want, err := check.Run(check.Request{Model: m, Checker: ch, Budget: check.Budget{MaxStates: 500}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got.Distinct != 500 || want.Distinct != 500 || got.Budget != "max-states" || got.Depth != want.Depth {
		t.Fatalf("beam: %d states, depth %d, budget %q; native %d, depth %d", got.Distinct, got.Depth, got.Budget, want.Distinct, want.Depth)
	}
}

// TestResumeAfterCancel stops the driver after level k (its context is
// cancelled from the level callback), resumes from the checkpoint, and
// compares with an uninterrupted run.
func TestResumeAfterCancel(t *testing.T) {
	ms := ModelSpec{Kind: "linux", Tasks: 4, Revision: "v4", Actions: "default", Invariants: "all"}
	want := onBeam(t, Config{Spec: ms, Continue: true})
	for _, k := range []int{0, 7} {
		work := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		first := onBeam(t, Config{Spec: ms, Continue: true, Work: work, Context: ctx, Level: func(ls explorer.LevelStats) {
			if ls.Level == k {
				cancel()
			}
		}})
		cancel()
		if first.StopReason != "interrupted" || first.Depth != k {
			t.Fatalf("stopped after level %d: %q at depth %d", k, first.StopReason, first.Depth)
		}
		if _, err := Run(Config{Spec: ms, Continue: true, Work: work}); !errors.Is(err, ErrWorkInUse) {
			t.Fatalf("a fresh search in a used work directory: %v, want ErrWorkInUse", err)
		}
		got := onBeam(t, Config{Spec: ms, Continue: true, Work: work, Resume: true})
		sameResult(t, got, want)
	}
}

// sameResult compares two Beam searches, as sameAsNative does.
func sameResult(t *testing.T, got, want *Result) {
	t.Helper()
	g, w := got, want
	if g.Distinct != w.Distinct || g.Generated != w.Generated || g.Depth != w.Depth || g.Complete != w.Complete || !slices.Equal(g.Violations, w.Violations) {
		t.Fatalf("resumed: %d distinct, %d generated, depth %d, complete %v, %v; uninterrupted: %d, %d, %d, %v, %v",
			g.Distinct, g.Generated, g.Depth, g.Complete, g.Violations, w.Distinct, w.Generated, w.Depth, w.Complete, w.Violations)
	}
	for i, ce := range got.Counterexamples {
		if ce.Trace.Text() != want.Counterexamples[i].Trace.Text() {
			t.Errorf("%s: the resumed trace differs", ce.Invariant)
		}
	}
}

// TestResumeRefusals: a resume needs a checkpoint of the same search.
func TestResumeRefusals(t *testing.T) {
	work := t.TempDir()
	ms := ModelSpec{Kind: "toy", Tasks: 4}
	if _, err := Run(Config{Spec: ms, Work: work, Resume: true}); err == nil || !strings.Contains(err.Error(), "no search to resume") {
		t.Fatalf("resume of an empty directory: %v", err)
	}
	onBeam(t, Config{Spec: ms, Work: work, MaxDepth: 2})
	other := ModelSpec{Kind: "toy", Tasks: 5}
	if _, err := Run(Config{Spec: other, Work: work, Resume: true}); err == nil || !strings.Contains(err.Error(), "holds a search of") {
		t.Fatalf("resume with another model: %v", err)
	}
	if _, err := Run(Config{Spec: ms, Work: work, Resume: true, Partitions: 4}); err == nil || !strings.Contains(err.Error(), "beam-partitions=16") {
		t.Fatalf("resume with other partitions: %v", err)
	}
	got := onBeam(t, Config{Spec: ms, Work: work, Resume: true})
	want := native(t, ms, false, 0)
	if got.Distinct != want.Distinct || got.Generated != want.Generated || !got.Complete {
		t.Fatalf("resumed after max depth: %d/%d, want %d/%d", got.Distinct, got.Generated, want.Distinct, want.Generated)
	}
}

// childEnv names the work directory of TestKillAndResume's child process.
const childEnv = "CABACHECK_BEAM_CHILD_WORK"

var childSpec = ModelSpec{Kind: "linux", Tasks: 4, Revision: "seed", Actions: "default", Invariants: "all"}

// runChild is the search TestKillAndResume kills, in small work items
// so that its level 7 pipeline writes files for a while.
func runChild(work string) error {
	_, err := Run(Config{Spec: childSpec, Continue: true, Work: work, ItemStates: 16})
	return err
}

// TestKillAndResume kills a driver process with SIGKILL while its level 7
// pipeline runs (once the first work item of level 7 has written its
// file), resumes in this process and compares the result with the native
// explorer's.
func TestKillAndResume(t *testing.T) {
	work := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+work)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	level7 := filepath.Join(work, "level-0007")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if gens, _ := filepath.Glob(filepath.Join(level7, "gen-*.json")); len(gens) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child did not reach level 7")
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	var cp checkpoint
	if err := readJSON(context.Background(), filepath.Join(work, "checkpoint.json"), &cp); err != nil {
		t.Fatal(err)
	}
	_, err := os.Stat(filepath.Join(level7, "manifest.json"))
	t.Logf("killed with level %d checkpointed; level 7 complete: %v", cp.Level, err == nil)
	got := onBeam(t, Config{Spec: childSpec, Continue: true, Work: work, Resume: true})
	if want := got.Depth + 1 - cp.Level; got.Pipelines != want {
		t.Fatalf("the resumed search ran %d pipelines, want %d (levels %d..%d)", got.Pipelines, want, cp.Level+1, got.Depth+1)
	}
	sameAsNative(t, got, native(t, childSpec, true, 0))
}
