// Package tla checks the TLA+ specification of the Linux task model
// (Linux.tla, written from ../shared/docs/model.md independently of
// spec/linux) against the Go checker with TLC: the state spaces must agree
// exactly, and every counterexample the Go checker prints must be a
// behaviour of the spec (TraceLinux.tla). See docs/tla.md.
package tla

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"cabacheck/check"
	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
	"cabacheck/traces"
)

// tlaChoices are the keys of linux.Choices() the spec takes as CONSTANTS;
// the others (nscaba, alive) do not change the state space.
var tlaChoices = []string{"fork_caba", "thread_caba", "hand_off", "new_caba", "de_thread"}

// tlaActionSets are the optional action sets the spec models.
var tlaActionSets = map[linux.ActionSet]string{
	linux.Threads: "threads", linux.CloneParent: "clone-parent", linux.Exec: "exec",
	linux.Subreaper: "subreaper", linux.IgnoreSigchld: "ignore-sigchld",
}

// tlc locates java and the TLA+ tools, or skips the test.
func tlc(t *testing.T) (java, jar string) {
	t.Helper()
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java is not installed (Debian: apt-get install -y default-jre-headless); CI has it")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s has no go.mod", root)
	}
	jar = filepath.Join(root, "..", "shared", "tools", "tla2tools.jar")
	if _, err := os.Stat(jar); err != nil {
		t.Skipf("the TLA+ tools are not at %s (see ../shared/tools/README.md); CI has them", jar)
	}
	return java, jar
}

// constants renders the CONSTANTS section for a bound, revision and action set.
func constants(t *testing.T, n int, rev linux.Revision, acts linux.ActionSet) string {
	t.Helper()
	def := rev.Def()
	vals := map[string]string{}
	for _, c := range linux.Choices() {
		vals[c.Key] = c.Value(def)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CONSTANTS\n  N = %d\n", n)
	for _, k := range tlaChoices {
		v, ok := vals[k]
		if !ok {
			t.Fatalf("linux.Choices() has no %s", k)
		}
		fmt.Fprintf(&b, "  %s = %q\n", k, v)
	}
	var names []string
	rest := acts
	for _, bit := range []linux.ActionSet{linux.Threads, linux.CloneParent, linux.Exec, linux.Subreaper, linux.IgnoreSigchld} {
		if acts&bit != 0 {
			names = append(names, strconv.Quote(tlaActionSets[bit]))
			rest &^= bit
		}
	}
	if rest != 0 {
		t.Fatalf("action sets %s are not in the TLA+ spec", rest)
	}
	fmt.Fprintf(&b, "  Actions = {%s}\n", strings.Join(names, ", "))
	return b.String()
}

// tlcResult is what TLC printed.
type tlcResult struct {
	generated, distinct uint64
	depth               int
	violated            []string // invariants TLC reports violated
	out                 string
	elapsed             time.Duration
}

var (
	reCounts   = regexp.MustCompile(`([\d,]+) states generated, ([\d,]+) distinct states found, ([\d,]+) states left on queue`)
	reDepth    = regexp.MustCompile(`The depth of the complete state graph search is ([\d,]+)`)
	reViolated = regexp.MustCompile(`Invariant (\w+) is violated`)
)

func num(s string) uint64 {
	v, _ := strconv.ParseUint(strings.ReplaceAll(s, ",", ""), 10, 64)
	return v
}

// runTLC copies the spec into a fresh directory, writes module (when not
// empty) and cfg, and runs TLC on module name.
func runTLC(t *testing.T, name, module, cfg string) tlcResult {
	t.Helper()
	java, jar := tlc(t)
	dir := t.TempDir()
	for _, f := range []string{"Linux.tla", "TraceLinux.tla"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if module != "" {
		if err := os.WriteFile(filepath.Join(dir, name+".tla"), []byte(module), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, name+".cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(java, "-XX:+UseParallelGC", "-cp", jar, "tlc2.TLC", "-workers", "2", "-deadlock",
		"-metadir", filepath.Join(dir, "states"), "-config", name+".cfg", name+".tla")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	r := tlcResult{out: out.String(), elapsed: time.Since(t0)}
	for _, m := range reViolated.FindAllStringSubmatch(r.out, -1) {
		r.violated = append(r.violated, m[1])
	}
	if err != nil && len(r.violated) == 0 {
		t.Fatalf("TLC on %s: %v\n%s", name, err, r.out)
	}
	if m := reCounts.FindStringSubmatch(r.out); m != nil {
		r.generated, r.distinct = num(m[1]), num(m[2])
	}
	if m := reDepth.FindStringSubmatch(r.out); m != nil {
		r.depth = int(num(m[1]))
	}
	return r
}

// TestTLCStateSpace compares TLC's state space of Linux.tla with the Go
// checker's for every registered revision at 3 and 4 tasks with the default
// actions (5 tasks for v3 with CABACHECK_LONG=1): distinct states equal;
// TLC's generated states and depth count the initial state, ours do not.
func TestTLCStateSpace(t *testing.T) {
	tlc(t)
	type bound struct {
		n    int
		revs []linux.Revision
	}
	// The default run (go test ./...) compares 3 tasks; the full suite,
	// CABACHECK_TLC=1, also 4 tasks (minutes), and CABACHECK_LONG=1 5 tasks
	// for v3 (an hour or more).
	bounds := []bound{{3, linux.Revisions()}}
	if full() {
		bounds = append(bounds, bound{4, linux.Revisions()})
	}
	if os.Getenv("CABACHECK_LONG") == "1" {
		bounds = append(bounds, bound{5, []linux.Revision{linux.V3}})
	}
	for _, b := range bounds {
		for _, rev := range b.revs {
			t.Run(fmt.Sprintf("%s/tasks=%d", rev, b.n), func(t *testing.T) {
				opt := linux.Options{Tasks: b.n, Revision: rev, Actions: linux.DefaultActions}
				res, err := check.Run(check.Request{Model: linux.MustNew(opt), Workers: 2})
				if err != nil {
					t.Fatal(err)
				}
				cfg := "INIT Init\nNEXT Next\n" + constants(t, b.n, rev, opt.Actions) +
					"INVARIANT TypeOK ParentHashed ThreadsShareParent OneLeaderPerGroup ExitedHaveNoChildren\n"
				r := runTLC(t, "Linux", "", cfg)
				if len(r.violated) > 0 {
					t.Fatalf("TLC: sanity invariant(s) %v violated\n%s", r.violated, r.out)
				}
				t.Logf("TLC %d generated, %d distinct, depth %d in %v; Go %d generated, %d distinct, depth %d",
					r.generated, r.distinct, r.depth, r.elapsed.Round(time.Second), res.Generated, res.Distinct, res.Depth)
				if r.distinct != res.Distinct || r.generated != res.Generated+1 || r.depth != res.Depth+1 {
					t.Errorf("TLC: %d distinct, %d generated, depth %d; Go: %d distinct, %d generated (+1 for TLC's initial state), depth %d (+1)\n%s",
						r.distinct, r.generated, r.depth, res.Distinct, res.Generated, res.Depth, lastLines(r.out, 15))
				}
			})
		}
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// TestTLCTraces checks that every counterexample the Go checker finds for
// the invariants of groups sanity and caba, for every revision at 4 tasks
// (and at 5 with CABACHECK_LONG=1), is a behaviour of Linux.tla that ends
// in a state violating the same invariant, state for state.
func TestTLCTraces(t *testing.T) {
	tlc(t)
	bounds := []int{4}
	if os.Getenv("CABACHECK_LONG") == "1" {
		bounds = append(bounds, 5)
	}
	revs := linux.Revisions()
	if !full() {
		revs = []linux.Revision{linux.V3} // the default run: one revision's traces
	}
	for _, n := range bounds {
		for _, rev := range revs {
			t.Run(fmt.Sprintf("%s/tasks=%d", rev, n), func(t *testing.T) {
				opt := linux.Options{Tasks: n, Revision: rev, Actions: linux.DefaultActions}
				invs := invariants.All()
				res, err := check.Run(check.Request{Model: linux.MustNew(opt), Workers: 2, Continue: true,
					Checker: invariants.NewChecker(n, invs)})
				if err != nil {
					t.Fatal(err)
				}
				for _, ce := range res.Counterexamples {
					tr, ok := ce.Trace.(*traces.Trace)
					if !ok {
						t.Fatalf("%s: not a linux trace", ce.Invariant)
					}
					t.Run(ce.Invariant, func(t *testing.T) { checkTrace(t, tr, ce.Invariant) })
				}
			})
		}
	}
}

// checkTrace runs TLC on TraceLinux.tla constrained to tr.
func checkTrace(t *testing.T, tr *traces.Trace, inv string) {
	t.Helper()
	module := "---- MODULE MCTrace ----\nEXTENDS TraceLinux\n\\* " + tr.Summary() + "\nTraceData == " + traceValue(tr) + "\n====\n"
	cfg := "INIT TraceInit\nNEXT TraceNext\n" + constants(t, tr.Options.Tasks, tr.Options.Revision, tr.Options.Actions) +
		"  Trace <- TraceData\n  Target = " + strconv.Quote(inv) + "\nINVARIANT TraceNotReproduced TargetHoldsBefore\n"
	r := runTLC(t, "MCTrace", module, cfg)
	switch {
	case len(r.violated) == 1 && r.violated[0] == "TraceNotReproduced":
		t.Logf("%d steps reproduced by TLC in %v: %s", tr.Len(), r.elapsed.Round(time.Millisecond), tr.Summary())
	case len(r.violated) > 0:
		t.Errorf("TLC: %v violated on the %s trace %s\n%s", r.violated, inv, tr.Summary(), lastLines(r.out, 40))
	default:
		t.Errorf("the %s trace %s is not a behaviour of Linux.tla: TLC got to step %d of %d\n%s",
			inv, tr.Summary(), r.depth-1, tr.Len(), lastLines(r.out, 20))
	}
}

// traceValue renders a trace as the TLA+ value TraceLinux.tla takes: a
// sequence of records, the action and every state variable of Linux.tla.
func traceValue(tr *traces.Trace) string {
	var steps []string
	for i, st := range tr.Steps {
		name, a, b := "Init", uint8(0), uint8(0)
		if i > 0 {
			name, a, b = linux.KindName(st.Action.Kind()), st.Action.A(), st.Action.B()
		}
		steps = append(steps, fmt.Sprintf("[action |-> %q, t |-> %d, b |-> %d, %s]", name, a, b, stateValue(&st.State)))
	}
	return "<<\n  " + strings.Join(steps, ",\n  ") + "\n>>"
}

// stateValue renders the state variables of Linux.tla as record fields.
func stateValue(s *state.State) string {
	n := int(s.N)
	seq := func(f func(i int) string) string {
		v := make([]string, n)
		for i := range v {
			v[i] = f(i + 1)
		}
		return "<<" + strings.Join(v, ", ") + ">>"
	}
	slot := func(a *[state.Slots]uint8) string {
		return seq(func(i int) string { return strconv.Itoa(int(a[i])) })
	}
	slotOrNone := func(a *[state.Slots]uint8) string {
		return seq(func(i int) string {
			if a[i] == state.None {
				return "-1"
			}
			return strconv.Itoa(int(a[i]))
		})
	}
	flag := func(a *[state.Slots]bool) string {
		return seq(func(i int) string { return strings.ToUpper(strconv.FormatBool(a[i])) })
	}
	sts := seq(func(i int) string { return strconv.Quote(s.St[i].String()) })
	return fmt.Sprintf("st |-> %s, tg |-> %s, parent |-> %s, caba |-> %s, cabdOf |-> %s, born |-> %s, "+
		"leader |-> %s, sub |-> %s, hasSub |-> %s, ign |-> %s, exec |-> %s, corrupt |-> %s",
		sts, slot(&s.Tg), slot(&s.Parent), slot(&s.Caba), slotOrNone(&s.CabdOf), slot(&s.Born),
		slot(&s.Leader), flag(&s.Sub), flag(&s.HasSub), flag(&s.Ign), slotOrNone(&s.Exec),
		strings.ToUpper(strconv.FormatBool(s.Corrupt)))
}

// TestTLCTraceRejectsEdited is the negative control of TestTLCTraces: the
// v3 NoDanglingCaba counterexample with one value of its last state edited
// is not a behaviour of the spec.
func TestTLCTraceRejectsEdited(t *testing.T) {
	tlc(t)
	m := linux.MustNew(linux.Options{Tasks: 4, Revision: linux.V3, Actions: linux.DefaultActions})
	var acts []spec.Action
	for _, s := range strings.Fields("Fork(1) Clone(2) Clone(3) ExitBegin(3) ExitNotify(3) Release(3)") {
		a, err := linux.ParseAction(s)
		if err != nil {
			t.Fatal(err)
		}
		acts = append(acts, a)
	}
	tr, err := traces.Build(m, acts)
	if err != nil {
		t.Fatal(err)
	}
	last := &tr.Steps[len(tr.Steps)-1].State
	if last.Caba[4] != 3 {
		t.Fatalf("caba[4] = %d after %s, want 3", last.Caba[4], tr.Summary())
	}
	last.Caba[4] = 2
	module := "---- MODULE MCTrace ----\nEXTENDS TraceLinux\nTraceData == " + traceValue(tr) + "\n====\n"
	cfg := "INIT TraceInit\nNEXT TraceNext\n" + constants(t, 4, linux.V3, linux.DefaultActions) +
		"  Trace <- TraceData\n  Target = \"NoDanglingCaba\"\nINVARIANT TraceNotReproduced TargetHoldsBefore\n"
	r := runTLC(t, "MCTrace", module, cfg)
	if len(r.violated) > 0 || r.depth != tr.Len() {
		t.Errorf("the edited trace: TLC reports %v violated, depth %d; want none, depth %d (steps 0..%d reproduced)\n%s",
			r.violated, r.depth, tr.Len(), tr.Len()-1, lastLines(r.out, 20))
	}
}

// full reports whether the full TLC suite runs (CABACHECK_TLC=1, or the
// long suite).
func full() bool { return os.Getenv("CABACHECK_TLC") == "1" || os.Getenv("CABACHECK_LONG") == "1" }
