package kernel

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

func mustOps(t *testing.T, s string) []Op {
	t.Helper()
	ops, err := ParseOps(s)
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

// fakeOutput renders what a kernel that behaves exactly like the model of
// walk w would print, under the name name.
func fakeOutput(t *testing.T, m *linux.Model, name string, w Walk, caba CabaView) *Output {
	t.Helper()
	var b strings.Builder
	b.WriteString("@@ WALK " + name + "\n")
	cands := []state.State{m.Initial()}
	for k, op := range w.Ops {
		next, outs, err := Expand2(m, cands, op)
		if err != nil {
			t.Fatal(err)
		}
		cands = next
		if r := outs[0].Ret; r != "" {
			if r == RetAnyError {
				r = "EINVAL"
			}
			b.WriteString("@@ RET " + name + " " + itoa(k+1) + " " + r + "\n")
		}
		p := Predict(&cands[0], caba, m.Options().Actions)
		for i := range p {
			for f := range p[i] {
				if p[i][f] == Any {
					p[i][f] = "0"
				}
			}
		}
		b.WriteString("@@ OBS " + name + " " + itoa(k+1) + " match " + p.String() + " | 0ms\n")
	}
	b.WriteString("@@ ENDWALK " + name + "\n@@ DONE\n")
	out, err := ParseOutput(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestOpsRoundTrip(t *testing.T) {
	s := "Fork(1) ForkParent(2) Clone(2) SetSubreaper(2, on) IgnoreSigchld(3) Exit(4) ExitGroup(2) Wait(1, 2) Exec(3) Read() Setsid(2) Setpgid(2, 3, 2) Execve(3)"
	ops := mustOps(t, s)
	if got := FormatOps(ops); got != s {
		t.Fatalf("round trip: %q", got)
	}
}

func TestComparatorMatchesModel(t *testing.T) {
	m, _ := HostModel(6, linux.AllActions)
	w := Walk{Name: "a", Ops: mustOps(t, "Fork(1) Fork(2) Clone(2) Exit(2) Fork(4) Exec(4) Exit(4) Wait(1, 4)")}
	res := Compare(m, w, fakeOutput(t, m, "a", w, CabaNone), CabaNone)
	if !res.OK() || res.Compared != len(w.Ops) {
		t.Fatalf("a faithful kernel mismatches: %s", res.Text())
	}
}

// A deliberately wrong prediction must be reported: the kernel ran
// Fork(1) Fork(1), the model is asked about Fork(1) Fork(2).
func TestComparatorReportsWrongPrediction(t *testing.T) {
	m, _ := HostModel(6, linux.AllActions)
	ran := Walk{Name: "a", Ops: mustOps(t, "Fork(1) Fork(1)")}
	claimed := Walk{Name: "a", Ops: mustOps(t, "Fork(1) Fork(2)")}
	res := Compare(m, claimed, fakeOutput(t, m, "a", ran, CabaNone), CabaNone)
	if res.OK() || res.FailStep != 2 {
		t.Fatalf("wrong prediction not reported: %s", res.Text())
	}
	txt := res.Text()
	for _, want := range []string{"MISMATCH", "task 3 ppid: model 2, kernel 1", "task 3 real_parent: model 2, kernel 1"} {
		if !strings.Contains(txt, want) {
			t.Errorf("report lacks %q:\n%s", want, txt)
		}
	}
}

func TestDeterminedFields(t *testing.T) {
	a, _ := ParseSnapshot("R.1.c.c.-.1.1.0.0.0 R.2.1.1.-.1.1.0.0.0")
	b, _ := ParseSnapshot("R.1.c.c.-.1.1.0.0.0 R.2.1.3.-.1.1.0.0.0")
	d := Determined([]Snapshot{a, b})
	if d.String() != "R.1.c.c.-.1.1.0.0.0 R.2.1.*.-.1.1.0.0.0" {
		t.Fatalf("determined: %s", d)
	}
	if !Matches(d, b) || Matches(a, b) {
		t.Fatal("Matches")
	}
}

// The seed crash scenario of docs/examples.md 3, realised as syscalls.
func TestRealizeSeedExample(t *testing.T) {
	m := linux.MustNew(linux.Options{Tasks: 6, Revision: linux.Seed, Actions: linux.DefaultActions})
	var acts []spec.Action
	for _, s := range strings.Split("Fork(1) SetSubreaper(2,on) Fork(2) Fork(3) Fork(4) ExitBegin(4) ExitNotify(4) Clone(5) ExitBegin(2) ExitNotify(2) Reap(1,2) Release(2)", " ") {
		a, err := linux.ParseAction(s)
		if err != nil {
			t.Fatal(err)
		}
		acts = append(acts, a)
	}
	inv, _ := invariants.ByName("NoDanglingCaba", m.Options().Revision)
	ops, k, err := RealizeViolation(m, acts, inv)
	if err != nil {
		t.Fatal(err)
	}
	want := "Fork(1) SetSubreaper(2, on) Fork(2) Fork(3) Fork(4) Exit(4) Clone(5) Exit(2) Wait(1, 2)"
	if FormatOps(ops) != want || k != 9 {
		t.Fatalf("realised %q (violation at %d), want %q", FormatOps(ops), k, want)
	}
	var sc bytes.Buffer
	if err := WriteScript(&sc, m, []Walk{{Name: "ex3", Ops: ops}}, ScriptOptions{Caba: CabaTID, DelayMs: 50}); err != nil {
		t.Fatal(err)
	}
	// after Wait(1, 2), thread 6's caba is the released task 2: not determined
	if !strings.Contains(sc.String(), "EXPECT R.1.c.c.c.1.1.*.0.0 G.-.-.-.-.-.-.-.-.- R.3.1.1.1.1.1.*.0.0 Z.4.3.3.3.1.1.*.0.- R.5.1.1.3.1.1.*.0.0 R.5.1.-.*.1.1.-.0.0\nDELAY 50") {
		t.Fatalf("script:\n%s", sc.String())
	}
}

func needHost(t *testing.T) string {
	t.Helper()
	if err := CanRunHost(); err != nil {
		t.Skip("host kernel: ", err)
	}
	bin, err := BuildHarness()
	if err != nil {
		t.Skip("harness: ", err)
	}
	return bin
}

// The same wrong prediction against the real kernel.
func TestHostReportsWrongPrediction(t *testing.T) {
	bin := needHost(t)
	m, _ := HostModel(6, linux.AllActions)
	ran := Walk{Name: "a", Ops: mustOps(t, "Fork(1) Fork(1) Clone(2) Exit(2)")}
	var sc bytes.Buffer
	if err := WriteScript(&sc, m, []Walk{ran}, ScriptOptions{}); err != nil {
		t.Fatal(err)
	}
	out, _, err := RunHarness(bin, sc.String(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if r := Compare(m, ran, out, CabaNone); !r.OK() {
		t.Fatalf("the kernel disagrees with the walk it ran:\n%s", r.Text())
	}
	claimed := Walk{Name: "a", Ops: mustOps(t, "Fork(1) Fork(2) Clone(2) Exit(2)")}
	r := Compare(m, claimed, out, CabaNone)
	if r.OK() || r.FailStep != 2 || len(r.Steps[1].Mismatches) == 0 {
		t.Fatalf("wrong prediction not reported:\n%s", r.Text())
	}
}

// Random walks with every action set (sessions and execve included) on the
// host kernel: no mismatch, refused calls performed and checked (at least one
// compared step in five), and every compared step observes something.
func TestHostConformance(t *testing.T) {
	needHost(t)
	walks := 100
	if testing.Short() {
		walks = 20
	}
	res, err := RunHost(HostConfig{Walks: walks, Tasks: 6, Seed: 7, Actions: sessionActs, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Failed {
		t.Errorf("mismatch:\n%s", f.Text())
	}
	st := &res.Stats
	if !testing.Short() {
		if res.Steps < 1000 {
			t.Errorf("only %d steps compared", res.Steps)
		}
		for _, k := range []string{"Setpgid ESRCH", "Setpgid EPERM", "Setsid EPERM", "Wait ECHILD", "Wait ok 0", "ForkParent EINVAL", "SetSubreaper no-op"} {
			if st.RefusedBy[k] == 0 {
				t.Errorf("no refused %s case compared: %s", k, Counts(st.RefusedBy))
			}
		}
		if st.Ops["Execve"] == 0 || st.Ops["SetSubreaper"] == 0 || st.Ops["IgnoreSigchld"] == 0 {
			t.Errorf("ops: %s", Counts(st.Ops))
		}
	}
	if 5*st.Refused < res.Steps {
		t.Errorf("only %d of %d compared steps are refusals (want at least 20%%)", st.Refused, res.Steps)
	}
	if st.Observing != res.Steps {
		t.Errorf("%d of %d steps observe nothing: %s", res.Steps-st.Observing, res.Steps, Counts(st.Blind))
	}
	t.Logf("%d walks, %d steps compared, %d mismatches, %s; refused %d (%s)", res.Walks, res.Steps, res.Mismatches, res.Elapsed, st.Refused, Counts(st.RefusedBy))
}

// The harness on its own: sessions, process groups, execd, the SIGCHLD and
// subreaper flags and the returns of refused calls, as the kernel shows them.
func TestHarnessSessions(t *testing.T) {
	bin := needHost(t)
	script := `WALK a 4
STEP 1 fork 1 2
END
STEP 2 setsid 2
END
STEP 3 fork 2 3
END
STEP 4 setpgid 2 3 3
END
STEP 5 setsid 2
END
STEP 6 exec 3 3
END
STEP 7 setpgid 2 3 2
END
STEP 8 subreaper 2 1
END
STEP 9 ignchld 3
END
STEP 10 setpgid 3 2 2
END
STEP 11 clone 3 4
END
STEP 12 setsid 4
END
ENDWALK
`
	out, raw, err := RunHarness(bin, script, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]struct{ ret, snap string }{
		1:  {"", "R.1.c.c.-.1.1.0.0.0 R.2.1.1.-.1.1.0.0.0 U.-.-.-.-.-.-.-.-.- U.-.-.-.-.-.-.-.-.-"},
		2:  {"ok 2", "R.1.c.c.-.1.1.0.0.0 R.2.1.1.-.2.2.0.0.0 U.-.-.-.-.-.-.-.-.- U.-.-.-.-.-.-.-.-.-"},
		4:  {"ok 0", "R.1.c.c.-.1.1.0.0.0 R.2.1.1.-.2.2.0.0.0 R.3.2.2.-.2.3.0.0.0 U.-.-.-.-.-.-.-.-.-"},
		5:  {"EPERM", ""},
		6:  {"", "R.1.c.c.-.1.1.0.0.0 R.2.1.1.-.2.2.0.0.0 R.3.2.2.-.2.3.1.0.0 U.-.-.-.-.-.-.-.-.-"},
		7:  {"EACCES", ""},
		9:  {"", "R.1.c.c.-.1.1.0.0.0 R.2.1.1.-.2.2.0.0.1 R.3.2.2.-.2.3.1.1.0 U.-.-.-.-.-.-.-.-.-"},
		10: {"ESRCH", ""},
		12: {"EPERM", "R.1.c.c.-.1.1.0.0.0 R.2.1.1.-.2.2.0.0.1 R.3.2.2.-.2.3.1.1.0 R.3.2.-.-.2.3.-.1.0"},
	}
	for k, w := range want {
		o := out.Obs["a"][k]
		if o.Ret != w.ret || (w.snap != "" && o.Snap.String() != w.snap) {
			t.Errorf("step %d: returned %q, observed %s; want %q, %s\n%s", k, o.Ret, o.Snap, w.ret, w.snap, raw)
		}
	}
}

// The stored counterexamples replay in the model, violate their invariant,
// and realise as syscall walks that still do.
func TestKnownCounterexamples(t *testing.T) {
	for _, rev := range []linux.Revision{linux.Seed, linux.V3, linux.V4} {
		_, cs, err := KnownCounterexamples(rev, 7, []string{"NoDanglingCaba", "NoUseAfterFree"}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			t.Errorf("%s: no stored counterexample", rev)
		}
		for _, c := range cs {
			if len(c.Walk.Ops) == 0 || c.ViolStep == 0 {
				t.Errorf("%s %s: not realised: %s", rev, c.Invariant, c.Prediction)
			}
		}
	}
}

// The committed seed.patch is what PlaceSeed makes of the seed file (needs
// the unpacked linux-source-6.1 in the cache and the shared seed file).
func TestPlaceSeedReproducesPatch(t *testing.T) {
	seed, err := os.ReadFile("../../shared/seeds/000_c40c8a83501ce52b.txt")
	if err != nil {
		t.Skip("seed file: ", err)
	}
	src := filepath.Join(CacheDir(), "src", "linux-source-6.1")
	if _, err := os.Stat(filepath.Join(src, "kernel", "exit.c")); err != nil {
		t.Skip("linux-source-6.1 not unpacked in the cache")
	}
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("no diff")
	}
	patch, pls, err := PlaceSeed(string(seed), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(pls) != 14 {
		t.Fatalf("%d hunks, want 14", len(pls))
	}
	for _, p := range pls {
		if p.Error != "" || (p.Fuzz > 0 && p.File != "arch/ia64/kernel/mca.c") {
			t.Errorf("hunk %d: %+v", p.Hunk, p)
		}
	}
	want, _ := Patches.ReadFile("patches/seed.patch")
	if patch != string(want) {
		t.Errorf("PlaceSeed output differs from kernel/patches/seed.patch")
	}
}

func TestParseStrippedDiff(t *testing.T) {
	seed, err := os.ReadFile("../../shared/seeds/000_c40c8a83501ce52b.txt")
	if err != nil {
		t.Skip("seed file: ", err)
	}
	hs := ParseStrippedDiff(string(seed))
	if len(hs) != 14 {
		t.Fatalf("%d hunks", len(hs))
	}
	last := hs[len(hs)-1].Lines
	if !strings.Contains(last[len(last)-1], "attach_pid(p, PIDTYPE_PGID);") {
		t.Fatalf("last hunk runs into the commit message: %q", last[len(last)-1])
	}
}

// The counterexamples on already built kernels (KASAN preferred, else tiny):
// no mismatch before the model's violation step, a kernel report at it.
// Runs with CABACHECK_VM=1; skipped for revisions whose kernel is not in the cache (a build takes
// minutes) and without qemu.
func TestVMCounterexamples(t *testing.T) {
	if testing.Short() || os.Getenv("CABACHECK_VM") == "" {
		t.Skip("set CABACHECK_VM=1 to boot the cached kernels under qemu (about 20 s per revision)")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("no qemu")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc")
	}
	for _, rev := range []string{"seed", "v3", "v4"} {
		t.Run(rev, func(t *testing.T) {
			var fl []Flavor
			for _, f := range []Flavor{KASAN, Tiny} {
				if _, ok := CachedKernel(rev, f); ok {
					fl = append(fl, f)
					break
				}
			}
			if len(fl) == 0 {
				t.Skip("no " + rev + " kernel in the cache (cabacheck conform vm --revision " + rev + " builds one)")
			}
			res, err := RunVM(VMConfig{Revision: rev, Walks: 2, Tasks: 6, Seed: 3, Flavors: fl, NoInstall: true, Timeout: 5 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			fr := res.Flavors[0]
			if len(fr.Cex) == 0 {
				t.Fatal("no counterexample replayed")
			}
			for _, c := range fr.Cex {
				if c.Result.FirstReport == 0 {
					t.Fatalf("%s: no report; console tail:\n%s", c.Invariant, tail(fr.Console, 3000))
				}
				// NoUseAfterFree reproducers may crash a tiny kernel earlier (a dangling read)
				if c.Result.FirstReport != c.ViolStep && (fr.Kernel.Flavor == KASAN || c.Invariant == "NoDanglingCaba") {
					t.Errorf("%s: report at step %d, model violation at step %d:\n%s", c.Invariant, c.Result.FirstReport, c.ViolStep, c.Result.Text())
				}
				if c.Result.FailStep != 0 {
					t.Errorf("%s: mismatch before the report:\n%s", c.Invariant, c.Result.Text())
				}
				if want := fmt.Sprintf("REPRODUCED at step %d: ", c.ViolStep); fr.Kernel.Flavor == KASAN && !strings.HasPrefix(c.Verdict.String(), want) {
					t.Errorf("%s: verdict %s, want %s...", c.Invariant, c.Verdict, want)
				}
				t.Logf("%s %s: step %d, %q", fr.Kernel.Flavor, c.Invariant, c.Result.FirstReport, c.Result.Reports[0].Line)
			}
			if fr.Mismatches != 0 || fr.Unexpected != 0 {
				t.Errorf("%d mismatches, %d unexpected reports", fr.Mismatches, fr.Unexpected)
			}
		})
	}
}

// Every scenario file of the repository becomes a walk, and (as root) runs
// on the host kernel without a mismatch.
func TestScenarioFilesOnHost(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*/*.txt")
	if len(files) == 0 {
		t.Skip("no scenario files")
	}
	m, _ := HostModel(8, sessionActs|linux.Pidns) // every action set: some files use sessions, some pid namespaces
	var ws []Walk
	for _, f := range files {
		w, err := LoadWalk(m, f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		w.Name = strings.ReplaceAll(strings.TrimPrefix(f, "../testdata/"), "/", "-")
		ws = append(ws, w)
	}
	if CanRunHost() != nil {
		t.Skip("host kernel: ", CanRunHost())
	}
	res, err := RunHost(HostConfig{Tasks: 8, Actions: sessionActs | linux.Pidns, Extra: ws, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Failed {
		t.Errorf("mismatch:\n%s", f.Text())
	}
	t.Logf("%d scenario walks, %d steps compared", res.Walks, res.Steps)
}

// sessionActs is every action set, sessions and execve included.
const sessionActs = linux.AllActions | linux.Sessions | linux.Execve

// The model's guards of Setsid and Setpgid and Refusal's reading of
// kernel/sys.c agree in every settled state reachable at syscall level (4
// tasks): where the model does not enable a call, Refusal names an errno (or
// the setpgid changes nothing), and where it does, sys.c lets it through.
func TestRefusalAgreesWithModel(t *testing.T) {
	for _, acts := range []linux.ActionSet{linux.DefaultActions | linux.Sessions, sessionActs} {
		m, _ := HostModel(4, acts)
		seen := map[state.State]bool{}
		queue := []state.State{m.Initial()}
		seen[queue[0]] = true
		byRet := map[string]int{}
		for len(queue) > 0 && len(seen) < 20000 {
			s := queue[0]
			queue = queue[1:]
			var d state.State
			for u := uint8(1); u <= s.N; u++ {
				if s.St[u] != state.Running {
					continue
				}
				ops := []Op{{Kind: OpSetsid, T: u}}
				for c := uint8(1); c <= s.N; c++ {
					for p := uint8(1); p <= s.N; p++ {
						if groupName(&s, c) && groupName(&s, p) {
							ops = append(ops, Op{Kind: OpSetpgid, T: u, C: c, P: p})
						}
					}
				}
				for _, o := range ops {
					a, _ := firstAction(&s, o)
					on := m.Step(&s, a, &d)
					var e string
					if o.Kind == OpSetsid {
						e = setsidErrno(&s, u)
					} else {
						e = setpgidErrno(&s, u, o.C, o.P)
						if e == "" && s.Pgid[o.C] == o.P {
							e = RetOK
						}
					}
					if on != (e == "") {
						t.Fatalf("%s in %+v: model enabled %v, sys.c says %q", o, s, on, e)
					}
					if !on {
						byRet[opNames[o.Kind]+" "+e]++
					}
				}
			}
			for _, o := range EnabledOps(m, &s) {
				next, err := Expand(m, []state.State{s}, o)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range next {
					if !seen[n] {
						seen[n] = true
						queue = append(queue, n)
					}
				}
			}
		}
		t.Logf("%s: %d settled states, refusals %s", acts, len(seen), Counts(byRet))
		for _, want := range []string{"Setsid EPERM", "Setpgid ESRCH", "Setpgid EPERM", "Setpgid ok 0"} {
			if byRet[want] == 0 {
				t.Errorf("%s: no %s case reached", acts, want)
			}
		}
		if acts&linux.Execve != 0 && byRet["Setpgid EACCES"] == 0 {
			t.Errorf("%s: no EACCES case reached", acts)
		}
	}
}

// Refused calls: a faithful kernel matches; a kernel that lets a refused
// setsid through, or whose refusal changes something, is reported.
func TestComparatorChecksReturns(t *testing.T) {
	m, _ := HostModel(6, sessionActs)
	w := Walk{Name: "a", Ops: mustOps(t, "Fork(1) Setsid(2) Fork(2) Setsid(2) Setpgid(1, 2, 2) Setpgid(2, 3, 3) Execve(3) Setpgid(2, 3, 2) Setpgid(3, 2, 2)")}
	out := fakeOutput(t, m, "a", w, CabaNone)
	res := Compare(m, w, out, CabaNone)
	if !res.OK() || res.Compared != len(w.Ops) {
		t.Fatalf("a faithful kernel mismatches: %s", res.Text())
	}
	var rets []string
	for _, s := range res.Steps {
		rets = append(rets, s.ExpectRet)
		if s.Refused != isRefusal(s.ExpectRet) && s.ExpectRet != "ok 0" {
			t.Errorf("step %d: refused %v, return %q", s.Step, s.Refused, s.ExpectRet)
		}
	}
	if got := strings.Join(rets, ","); got != ",ok 2,,EPERM,EPERM,ok 0,,EACCES,ESRCH" {
		t.Fatalf("returns %s", got)
	}
	out.Obs["a"][4] = withRet(out.Obs["a"][4], "ok 2")
	r := Compare(m, w, out, CabaNone)
	if r.OK() || r.FailStep != 4 || !strings.Contains(r.Text(), "return: model EPERM, kernel ok 2") {
		t.Fatalf("a refused setsid let through is not reported:\n%s", r.Text())
	}
	out = fakeOutput(t, m, "a", w, CabaNone)
	o := out.Obs["a"][8]
	o.Snap = append(Snapshot(nil), o.Snap...)
	o.Snap[2][FPgid] = "2"
	out.Obs["a"][8] = o
	r = Compare(m, w, out, CabaNone)
	if r.OK() || r.FailStep != 8 || !strings.Contains(r.Text(), "task 3 pgid: model 3, kernel 2") {
		t.Fatalf("a refusal that changes the process group is not reported:\n%s", r.Text())
	}
}

func isRefusal(ret string) bool { return ret != "" && ret[0] == 'E' }

func withRet(o Observation, ret string) Observation {
	o.Ret = ret
	return o
}
