package differential_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"cabacheck/spec/linux"
	"cabacheck/spec/reference"
	"cabacheck/spec/reference/differential"
)

// define registers a revision given by choice names, as a revision file
// would (through linux.Choices()).
func define(name string, choices map[string]string) linux.Revision {
	d := linux.RevisionDef{Name: name, Description: "differential test: " + name}
	for _, c := range linux.Choices() {
		v, ok := choices[c.Key]
		if !ok {
			panic("define " + name + ": no value for " + c.Key)
		}
		if err := c.Set(&d, v); err != nil {
			panic(err)
		}
	}
	return linux.Register(d)
}

// Two throwaway revisions that no posting made: each mixes the menu's values
// across the seed / v3 / fixed lines.
var (
	// A thread takes its creator as caba, de_thread copies the leader's,
	// and v3's forget rule runs at exit_notify time.
	mixForgetAtExit = define("test-forget-at-exit", map[string]string{
		"fork_caba": "current", "thread_caba": "current", "hand_off": "exit-notify", "new_caba": "forget",
		"de_thread": "leader-caba", "nscaba": "tid", "alive": "notified",
	})
	// The seed's find_new_caba, run at release_task time, with the fix's
	// thread rule and the seed's fork rule.
	mixChainAtRelease = define("test-chain-at-release", map[string]string{
		"fork_caba": "real-parent", "thread_caba": "leader-caba", "hand_off": "release", "new_caba": "alive-then-chain",
		"de_thread": "keep", "nscaba": "tgid", "alive": "hashed",
	})
)

// every registers each combination of the choices that shape the state
// space (nscaba and alive do not), named test-all-N.
var every = func() []linux.Revision {
	var revs []linux.Revision
	var rec func(i int, cur map[string]string)
	keys := []string{"fork_caba", "thread_caba", "hand_off", "new_caba", "de_thread"}
	rec = func(i int, cur map[string]string) {
		if i == len(keys) {
			c := map[string]string{"nscaba": "tid", "alive": "hashed"}
			for k, v := range cur {
				c[k] = v
			}
			revs = append(revs, define(fmt.Sprintf("test-all-%d", len(revs)), c))
			return
		}
		for _, v := range reference.ChoiceValues[keys[i]] {
			cur[keys[i]] = v
			rec(i+1, cur)
		}
		delete(cur, keys[i])
	}
	rec(0, map[string]string{})
	return revs
}()

func TestBuiltins(t *testing.T) {
	if err := differential.CheckBuiltins(); err != nil {
		t.Fatal(err)
	}
}

// A revision converted from the registry round-trips through the
// reference's description, nscaba and alive included.
func TestRevisionRoundTrip(t *testing.T) {
	for _, rev := range linux.Revisions() {
		r, err := differential.RevisionOf(rev)
		if err != nil {
			t.Fatal(err)
		}
		if r.Name != rev.String() {
			t.Errorf("%s: name %q", rev, r.Name)
		}
		back := linux.RevisionDef{Name: r.Name}
		choices := r.Choices()
		for _, c := range linux.Choices() {
			if err := c.Set(&back, choices[c.Key]); err != nil {
				t.Fatal(err)
			}
		}
		d := rev.Def()
		back.Description, back.Patch = d.Description, d.Patch
		if back != *d {
			t.Errorf("%s: round trip gives %+v, want %+v", rev, back, *d)
		}
	}
}

// The reference implements exactly the registry's menu: same keys, same
// value names.
func TestMenu(t *testing.T) {
	var keys []string
	for _, c := range linux.Choices() {
		keys = append(keys, c.Key)
		if got, want := strings.Join(reference.ChoiceValues[c.Key], ","), strings.Join(c.Values, ","); got != want {
			t.Errorf("%s: reference values %s, registry %s", c.Key, got, want)
		}
	}
	if got, want := strings.Join(reference.ChoiceKeys, ","), strings.Join(keys, ","); got != want {
		t.Errorf("reference keys %s, registry %s", got, want)
	}
}

// The two named mixes agree with the reference at 3 and 4 tasks: counts
// for several action sets (every action only at 3 tasks: 4 tasks with
// ignore-sigchld is 600,000 states, and with CABACHECK_LONG=1), and
// shortest violations of every invariant at 4 tasks.
func TestMixedRevisions(t *testing.T) {
	long := os.Getenv("CABACHECK_LONG") == "1"
	sets := []linux.ActionSet{linux.DefaultActions, linux.AllActions, linux.Threads | linux.Exec}
	for _, rev := range []linux.Revision{mixForgetAtExit, mixChainAtRelease} {
		for tasks := 3; tasks <= 4; tasks++ {
			for _, set := range sets {
				if tasks == 4 && set == linux.AllActions && !long {
					continue
				}
				t.Run(fmt.Sprintf("%s/%d/%s", rev, tasks, set), func(t *testing.T) {
					t.Parallel()
					if err := differential.Compare(tasks, rev, set); err != nil {
						t.Error(err)
					}
				})
			}
		}
		t.Run(fmt.Sprintf("%s/shortest", rev), func(t *testing.T) {
			t.Parallel()
			if err := differential.CompareShortest(4, rev, linux.DefaultActions); err != nil {
				t.Error(err)
			}
		})
	}
}

// Every combination of the menu, state by state at 3 tasks (every action):
// the same transition system and the same invariant verdicts in every
// state. CABACHECK_LONG=1 adds counts and shortest violations at 4 tasks.
func TestEveryCombination(t *testing.T) {
	long := os.Getenv("CABACHECK_LONG") == "1"
	for _, rev := range every {
		t.Run(rev.String()+"="+describe(rev), func(t *testing.T) {
			t.Parallel()
			d, err := differential.Diff(3, rev, linux.AllActions)
			if err != nil {
				t.Fatal(err)
			}
			if d != "" {
				t.Error(d)
			}
			if !long {
				return
			}
			if err := differential.Compare(4, rev, linux.AllActions); err != nil {
				t.Error(err)
			}
			if err := differential.CompareShortest(4, rev, linux.DefaultActions); err != nil {
				t.Error(err)
			}
		})
	}
}

func describe(rev linux.Revision) string {
	var v []string
	for _, c := range linux.Choices()[:5] {
		v = append(v, c.Value(rev.Def()))
	}
	return strings.Join(v, ",")
}

// Diff finds a disagreement when there is one: the registry's v3 against
// the reference's reading of v4 first differs after Fork(1) Clone(2), where
// the thread's caba (2 in v3, 1 in v4) decides ThreadsAgreeOnCaba.
func TestDiffFindsDisagreement(t *testing.T) {
	v4, _ := reference.Builtin("v4")
	d, err := differential.DiffWith(3, linux.V3, v4, linux.Threads)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d, "Clone(2)") {
		t.Errorf("v3 against the reference's v4: %q, want a disagreement after Clone(2)", d)
	}
	t.Log(d)
}

// The built-in revisions are the same transition system in both, with the
// same invariant verdicts in every state, at 3 tasks.
func TestDiffBuiltins(t *testing.T) {
	for _, name := range reference.BuiltinNames() {
		rev, err := linux.ParseRevision(name)
		if err != nil {
			t.Fatal(err)
		}
		d, err := differential.Diff(3, rev, linux.AllActions)
		if err != nil {
			t.Fatal(err)
		}
		if d != "" {
			t.Errorf("%s: %s", rev, d)
		}
	}
}

// The sessions sets (model.md "Optional: sessions and process groups"),
// state by state at 3 tasks, for the built-in revisions and the two mixes:
// the default actions with sessions and execve, and execve without
// sessions; every action with sessions and execve with CABACHECK_LONG=1
// (300,000 states each, over a minute in all).
func TestDiffSessions(t *testing.T) {
	sets := []string{"default,sessions,execve", "default,execve"}
	if os.Getenv("CABACHECK_LONG") == "1" {
		sets = append(sets, "all,sessions,execve")
	}
	var revs []linux.Revision
	for _, name := range reference.BuiltinNames() {
		rev, err := linux.ParseRevision(name)
		if err != nil {
			t.Fatal(err)
		}
		revs = append(revs, rev)
	}
	revs = append(revs, mixForgetAtExit, mixChainAtRelease)
	for _, rev := range revs {
		for _, names := range sets {
			set, err := linux.ParseActions(names)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(fmt.Sprintf("%s/%s", rev, names), func(t *testing.T) {
				t.Parallel()
				d, err := differential.Diff(3, rev, set)
				if err != nil {
					t.Fatal(err)
				}
				if d != "" {
					t.Error(d)
				}
			})
		}
	}
}

// Every combination of the menu with sessions, state by state at 3 tasks
// (default actions and sessions), with CABACHECK_LONG=1 (half a minute:
// sessions and process groups do not touch the CABA overlay, which the
// built-ins and the two mixes cover by default).
func TestEveryCombinationSessions(t *testing.T) {
	if os.Getenv("CABACHECK_LONG") != "1" {
		t.Skip("set CABACHECK_LONG=1")
	}
	set, err := linux.ParseActions("default,sessions")
	if err != nil {
		t.Fatal(err)
	}
	for _, rev := range every {
		t.Run(rev.String()+"="+describe(rev), func(t *testing.T) {
			t.Parallel()
			d, err := differential.Diff(3, rev, set)
			if err != nil {
				t.Fatal(err)
			}
			if d != "" {
				t.Error(d)
			}
		})
	}
}

// pidnsSets are the action sets with pid namespaces (docs/model.md
// "Optional: pid namespaces") the two implementations are compared on.
var pidnsSets = []string{"pidns", "default,pidns", "clone-parent,subreaper,pidns"}

// pidnsRevisions are the built-in revisions and the two mixes.
func pidnsRevisions(t *testing.T) []linux.Revision {
	var revs []linux.Revision
	for _, name := range reference.BuiltinNames() {
		rev, err := linux.ParseRevision(name)
		if err != nil {
			t.Fatal(err)
		}
		revs = append(revs, rev)
	}
	return append(revs, mixForgetAtExit, mixChainAtRelease)
}

// comparePidns runs every comparison of one bound: counts (distinct,
// generated, depth), shortest violations of invariants.All() and of the
// pid namespace invariants (replayed in both directions), and the
// transition systems state by state with every invariant's verdict.
func comparePidns(t *testing.T, tasks int, rev linux.Revision, set linux.ActionSet) {
	t.Helper()
	if err := differential.Compare(tasks, rev, set); err != nil {
		t.Error(err)
	}
	if err := differential.CompareShortest(tasks, rev, set); err != nil {
		t.Error(err)
	}
	d, err := differential.Diff(tasks, rev, set)
	if err != nil {
		t.Fatal(err)
	}
	if d != "" {
		t.Error(d)
	}
}

// The pid namespace sets at 3 tasks for every built-in revision and the
// two mixes, and pidns alone at 4 tasks (5,000 states); default,pidns at 4
// tasks (230,000 states, about two minutes for the four revisions) with
// CABACHECK_LONG=1.
func TestComparePidns(t *testing.T) {
	long := os.Getenv("CABACHECK_LONG") == "1"
	type bound struct {
		tasks int
		set   string
	}
	var bounds []bound
	for _, names := range pidnsSets {
		bounds = append(bounds, bound{3, names})
	}
	bounds = append(bounds, bound{4, "pidns"})
	if long {
		bounds = append(bounds, bound{4, "default,pidns"})
	}
	for _, rev := range pidnsRevisions(t) {
		for _, b := range bounds {
			if b.tasks == 4 && (rev == mixForgetAtExit || rev == mixChainAtRelease) {
				continue
			}
			set, err := linux.ParseActions(b.set)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(fmt.Sprintf("%s/%d/%s", rev, b.tasks, b.set), func(t *testing.T) {
				t.Parallel()
				comparePidns(t, b.tasks, rev, set)
			})
		}
	}
}

// What /proc shows readers in every namespace, state by state at 3 tasks
// (NSpid and NScaba of every visible task read in every alive namespace,
// the alive namespaces, the killed tasks), for the pid namespace sets and
// the default one (every task in the root: the base model's TID and
// NScaba); at 4 tasks with CABACHECK_LONG=1 (pidns, default,pidns).
func TestDiffPidnsViews(t *testing.T) {
	type bound struct {
		tasks int
		set   string
	}
	bounds := []bound{{3, "default"}}
	for _, names := range pidnsSets {
		bounds = append(bounds, bound{3, names})
	}
	if os.Getenv("CABACHECK_LONG") == "1" {
		bounds = append(bounds, bound{4, "pidns"}, bound{4, "default,pidns"})
	}
	for _, rev := range pidnsRevisions(t) {
		for _, b := range bounds {
			set, err := linux.ParseActions(b.set)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(fmt.Sprintf("%s/%d/%s", rev, b.tasks, b.set), func(t *testing.T) {
				t.Parallel()
				d, err := differential.DiffViews(b.tasks, rev, set)
				if err != nil {
					t.Fatal(err)
				}
				if d != "" {
					t.Error(d)
				}
			})
		}
	}
}

// DiffViews finds a disagreement in what /proc prints when there is one:
// the registry's v3 (NScaba prints the caba's TID) against the reference's
// v3 read with PIDTYPE_TGID: process 4 forked by thread 3 of process 2 has
// caba 3, printed 3 (TID) or 2 (TGID) from the root.
func TestDiffViewsFindsDisagreement(t *testing.T) {
	tgid, _ := reference.Builtin("v3")
	tgid.NScaba = reference.TGID
	set, err := linux.ParseActions("threads,pidns")
	if err != nil {
		t.Fatal(err)
	}
	d, err := differential.DiffViewsWith(4, linux.V3, tgid, set)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d, "NScaba of 4") || !strings.Contains(d, "Clone(2)") {
		t.Errorf("v3 against its tgid reading: %q, want an NScaba disagreement for 4 after a Clone(2)", d)
	}
	t.Log(d)
}
