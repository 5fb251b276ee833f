package reproduce

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"cabacheck/kernel"
)

// With CABACHECK_VM=1, every reproducer (stored counterexamples and
// testdata traces) runs as /init of a qemu guest on every revision whose
// KASAN kernel is already in the cache (kernel.BuildKernel builds one in
// about 10 minutes; this test never builds). Where the model of the
// kernel's revision violates the invariant at the program's violation step
// (its own counterexamples), every step before it passes, NScaba included,
// and the violation test fails with the kernel's KASAN report; where it does
// not (another revision's counterexample that this revision does not have),
// every test passes and the exit is KSFT_PASS, the program having followed
// this revision's NScaba.
func TestReproducersInVM(t *testing.T) {
	if os.Getenv("CABACHECK_VM") == "" {
		t.Skip("set CABACHECK_VM=1 to boot the cached kernels")
	}
	progs := allPrograms(t)
	ran := 0
	for _, rev := range progs[0].Revisions {
		k, ok := kernel.CachedKernel(rev, kernel.KASAN)
		if !ok {
			t.Logf("no cached KASAN kernel of %s (cabacheck conform vm --revision %s builds it)", rev, rev)
			continue
		}
		for _, p := range progs {
			ran++
			t.Run(rev+"/"+p.Name, func(t *testing.T) {
				bin := build(t, p)
				initrd := filepath.Join(t.TempDir(), "initrd.cpio")
				if err := kernel.Initramfs(initrd, bin, ""); err != nil {
					t.Fatal(err)
				}
				r, err := kernel.Boot(k.Image, initrd, "kasan_multi_shot "+vmTimeout, 10*time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				console := strings.ReplaceAll(r.Console, "\r", "")
				t.Logf("%s on %s: %s", p.Name, k.Image, r.Elapsed.Round(time.Second))
				if violates(p, rev) {
					checkVM(t, p, rev, console, r.TimedOut)
				} else {
					checkClean(t, p, rev, console)
				}
				if t.Failed() {
					t.Logf("console:\n%s", console)
				}
			})
		}
	}
	if ran == 0 {
		t.Skip("no cached KASAN kernel")
	}
}

// violates: some state of revision rev after the program's violation step
// violates the invariant.
func violates(p *Program, rev string) bool {
	if p.ViolStep == 0 {
		return false
	}
	for r, name := range p.Revisions {
		if name != rev {
			continue
		}
		for _, pat := range p.Steps[p.ViolStep-1].Patterns {
			if pat.Viol&(1<<r) != 0 {
				return true
			}
		}
	}
	return false
}

// checkClean: every test passes (none skipped), the violation test says it
// is not reproduced and that NScaba followed rev, the exit is KSFT_PASS.
func checkClean(t *testing.T, p *Program, rev, console string) {
	t.Helper()
	n := 0
	for _, m := range tapLine.FindAllStringSubmatch(console, -1) {
		n++
		if m[1] != "ok" || m[3] != "" {
			t.Errorf("on %s: %s", rev, m[0])
		}
	}
	want := 2 * len(p.Steps)
	if p.ViolStep == 0 {
		if n != want {
			t.Errorf("%d tests ran, want %d", n, want)
		}
		return
	}
	if n != want+1 {
		t.Errorf("%d tests ran, want %d", n, want+1)
	}
	viol := regexp.MustCompile(`(?m)^ok \d+ - step ` + strconv.Itoa(p.ViolStep) + `: .*: ` + p.Invariant + ` not reproduced \(NScaba follows [^)]*\b` + rev + `\b.*`)
	if m := viol.FindString(console); m == "" {
		t.Errorf("no passing violation test naming %s", rev)
	} else {
		t.Log(m)
	}
	if !strings.Contains(console, "# "+p.Name+" exit 0\n") {
		t.Error("the program did not exit with KSFT_PASS")
	}
}

// checkVM: steps before the violation pass (base and NScaba) and the
// violation test fails at the model's step ("reproduced"); when the model
// predicts a KASAN report there (the kernel is of the trace's own revision
// and its state is corrupt or has a dangling caba), the reason is that
// report and the exit is KSFT_FAIL. hung: the guest went silent after an
// oops under tasklist_lock (kernel/README.md records it for the seed's
// hand-off); then the report must be the last thing after step ViolStep-1.
func checkVM(t *testing.T, p *Program, rev, console string, hung bool) {
	t.Helper()
	lastBefore := -1
	for _, m := range tapLine.FindAllStringSubmatchIndex(console, -1) {
		line := console[m[0]:m[1]]
		step, _ := strconv.Atoi(console[m[8]:m[9]])
		if m[6] >= 0 {
			t.Errorf("skipped on a patched kernel: %s", line)
		}
		if console[m[2]:m[3]] != "ok" && step != p.ViolStep {
			t.Errorf("fails before the violation step %d: %s", p.ViolStep, line)
		}
		if step < p.ViolStep {
			lastBefore = m[1]
		}
	}
	if lastBefore < 0 {
		t.Fatal("no step ran")
	}
	if strings.Contains(console[:lastBefore], "BUG: KASAN") {
		t.Errorf("a KASAN report before step %d", p.ViolStep)
	}
	kasan := rev == p.Revision && strings.HasPrefix(p.KASAN, "BUG: KASAN")
	why := ".*"
	if kasan {
		why = ".*KASAN: use-after-free.*"
	}
	viol := regexp.MustCompile(`(?m)^not ok \d+ - step ` + strconv.Itoa(p.ViolStep) + `: .*: ` + p.Invariant + ` reproduced: ` + why)
	switch {
	case viol.MatchString(console):
		t.Log(viol.FindString(console))
		if !strings.Contains(console, "# "+p.Name+" exit 1\n") {
			t.Error("the program did not exit with KSFT_FAIL")
		}
	case hung && kasan && strings.Contains(console[lastBefore:], "BUG: KASAN: use-after-free"):
		t.Logf("the kernel hung after its report at step %d (counted as reproduced)", p.ViolStep)
	default:
		t.Errorf("no failing violation test at step %d (KASAN report expected: %v)", p.ViolStep, kasan)
	}
}

// vmTimeout reaches the program as an environment variable of /init (the
// kernel passes unknown name=value parameters to init): KASAN under TCG on a
// loaded machine takes seconds per step.
const vmTimeout = "CABA_REPRO_TIMEOUT_MS=30000"
