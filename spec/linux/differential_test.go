package linux_test

import (
	"fmt"
	"os"
	"testing"

	"cabacheck/spec/linux"
	"cabacheck/spec/reference/differential"
)

// diffSets are the action sets the differential tests explore.
var diffSets = []struct {
	name string
	set  linux.ActionSet
}{
	{"default", linux.DefaultActions}, {"all", linux.AllActions}, {"none", 0},
	{"threads", linux.Threads}, {"exec", linux.Threads | linux.Exec},
	{"clone-parent,subreaper", linux.CloneParent | linux.Subreaper},
}

// The registry's built-in revisions are the reference's own reading of the
// patches (seed, v3, v4, fixed).
func TestDifferentialBuiltins(t *testing.T) {
	if err := differential.CheckBuiltins(); err != nil {
		t.Fatal(err)
	}
}

// The model agrees with spec/reference, an independent implementation of
// model.md written from the page alone: same distinct states, same
// transitions, same depth, for every registered revision and action set at
// small bounds (tasks 5 with CABACHECK_LONG=1).
func TestDifferentialCounts(t *testing.T) {
	maxTasks := 4
	if os.Getenv("CABACHECK_LONG") == "1" {
		maxTasks = 5
	}
	for _, rev := range linux.Revisions() {
		for tasks := 2; tasks <= maxTasks; tasks++ {
			for _, set := range diffSets {
				if tasks == 5 && set.name == "all" {
					continue
				}
				t.Run(fmt.Sprintf("%s/%d/%s", rev, tasks, set.name), func(t *testing.T) {
					t.Parallel()
					if err := differential.Compare(tasks, rev, set.set); err != nil {
						t.Error(err)
					}
				})
			}
		}
	}
}

// Shortest violation lengths agree with the reference for every invariant,
// and each side's shortest trace violates it in the other.
func TestDifferentialShortestViolations(t *testing.T) {
	const tasks = 4
	for _, rev := range linux.Revisions() {
		t.Run(rev.String(), func(t *testing.T) {
			t.Parallel()
			if err := differential.CompareShortest(tasks, rev, linux.DefaultActions); err != nil {
				t.Error(err)
			}
		})
	}
}
