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

// sessionJobs are the bounds and action sets with sessions and process
// groups (and execve) the differential tests explore, by the names of
// model.md's section "Optional: sessions and process groups". The long
// ones run with CABACHECK_LONG=1 (default,sessions at 4 tasks is 3.5
// million states, a minute in the reference; clone-parent,subreaper,
// sessions at 4 tasks two minutes per revision on two cores).
type sessionJob struct {
	tasks int
	names string
	long  bool
}

var sessionCounts = []sessionJob{
	{3, "sessions", false},
	{3, "threads,sessions", false},
	{3, "clone-parent,subreaper,sessions", false},
	{3, "default,sessions", false},
	{3, "default,sessions,execve", false},
	{3, "default,execve", false}, // execve without sessions: execd set by Execve only
	{3, "all,sessions,execve", true},
	{4, "sessions", false},
	{4, "threads,sessions", false},
	{4, "exec,threads,sessions,execve", true},
	{4, "clone-parent,subreaper,sessions", true},
	{4, "default,sessions", true},
}

var sessionShortest = []sessionJob{
	{3, "default,sessions,execve", false},
	{4, "threads,sessions", false},
	{3, "all,sessions,execve", true},
	{4, "exec,threads,sessions,execve", true},
	{4, "default,sessions", true},
}

// runSessionJobs runs f for every registered revision and every job of the
// table (the long ones only with CABACHECK_LONG=1), in parallel subtests.
func runSessionJobs(t *testing.T, jobs []sessionJob, f func(tasks int, rev linux.Revision, set linux.ActionSet) error) {
	long := os.Getenv("CABACHECK_LONG") == "1"
	for _, rev := range linux.Revisions() {
		for _, j := range jobs {
			if j.long && !long {
				continue
			}
			set, err := linux.ParseActions(j.names)
			if err != nil {
				t.Fatalf("action set %s: %v", j.names, err)
			}
			t.Run(fmt.Sprintf("%s/%d/%s", rev, j.tasks, j.names), func(t *testing.T) {
				t.Parallel()
				if err := f(j.tasks, rev, set); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// pidnsCounts and pidnsShortest are the jobs with pid namespaces (model.md's
// section "Optional: pid namespaces" in docs/model.md); at 4 tasks
// default,pidns is 235,000 states per revision, half a minute in the
// reference for all four.
var pidnsCounts = []sessionJob{
	{3, "default,pidns", false},
	{3, "all,pidns", false},
	{3, "default,sessions,pidns", false},
	{4, "sessions,pidns", false}, // setpgid names ids of the caller's namespace only
	{4, "default,pidns", true},
}

var pidnsShortest = []sessionJob{
	{3, "default,pidns", false},
	{4, "default,pidns", true},
}

// The model agrees with spec/reference with pid namespaces on, for every
// registered revision: same distinct states, transitions and depth, and the
// same shortest violations.
func TestDifferentialPidns(t *testing.T) {
	runSessionJobs(t, pidnsCounts, differential.Compare)
	runSessionJobs(t, pidnsShortest, differential.CompareShortest)
}

// The model agrees with spec/reference on the sessions sets, for every
// registered revision: same distinct states, transitions and depth.
func TestDifferentialSessionsCounts(t *testing.T) {
	runSessionJobs(t, sessionCounts, differential.Compare)
}

// Shortest violations with the sessions sets: both agree for every
// invariant, and the sanity invariants (those of the set included:
// PgrpInOneSession, SessionLeaderLeadsPgrp) hold in both.
func TestDifferentialSessionsShortest(t *testing.T) {
	runSessionJobs(t, sessionShortest, differential.CompareShortest)
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
