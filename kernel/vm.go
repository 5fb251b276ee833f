package kernel

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"cabacheck/check"
	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/traces"
)

// cpioEntry is one file of a newc archive.
type cpioEntry struct {
	Name  string
	Mode  uint32 // with type bits
	Data  []byte
	Major uint32 // device numbers for character devices
	Minor uint32
}

// WriteCpio writes an uncompressed newc archive (the initramfs format).
func WriteCpio(w io.Writer, entries []cpioEntry) error {
	var b bytes.Buffer
	ino := uint32(1)
	pad := func() {
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	add := func(e cpioEntry) {
		name := e.Name + "\x00"
		fmt.Fprintf(&b, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			ino, e.Mode, 0, 0, 1, 0, len(e.Data), 0, 0, e.Major, e.Minor, len(name), 0)
		ino++
		b.WriteString(name)
		pad()
		b.Write(e.Data)
		pad()
	}
	for _, e := range entries {
		add(e)
	}
	add(cpioEntry{Name: "TRAILER!!!"})
	_, err := w.Write(b.Bytes())
	return err
}

// Initramfs builds an initramfs whose /init is the harness and whose
// /script.txt is script.
func Initramfs(path, harness, script string) error {
	bin, err := os.ReadFile(harness)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return WriteCpio(f, []cpioEntry{
		{Name: "dev", Mode: 0o40755},
		{Name: "dev/console", Mode: 0o20600, Major: 5, Minor: 1},
		{Name: "proc", Mode: 0o40555},
		{Name: "init", Mode: 0o100755, Data: bin},
		{Name: "script.txt", Mode: 0o100644, Data: []byte(script)},
	})
}

// QemuRun is one boot.
type QemuRun struct {
	Console  string
	Elapsed  time.Duration
	TimedOut bool
}

// lockedBuffer is a bytes.Buffer safe for one writer and polling readers.
type lockedBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	last time.Time
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last = time.Now()
	return l.b.Write(p)
}

func (l *lockedBuffer) idle() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Since(l.last)
}

// BootIdle is how long a guest may print nothing before it counts as hung.
var BootIdle = 60 * time.Second

// Boot runs kernel image with the initramfs under qemu (TCG) and returns the
// console output. The harness reboots when done; -no-reboot makes qemu exit.
// A guest silent for BootIdle (a kernel hung after an oops under a lock) or
// running past timeout is killed (TimedOut).
func Boot(image, initrd string, extraAppend string, timeout time.Duration) (*QemuRun, error) {
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		return nil, fmt.Errorf("qemu-system-x86_64 not found (apt-get install qemu-system-x86)")
	}
	args := []string{"-nographic", "-no-reboot", "-net", "none", "-m", "512M", "-smp", "1",
		"-kernel", image, "-initrd", initrd,
		// loglevel=4 keeps emerg..err (KASAN, BUG:, Oops, general protection
		// fault) and drops the warnings and notices that the kernel may print in
		// the middle of a harness line (tsc watchdog, crng); tsc=reliable stops
		// the TCG clocksource watchdog from firing at all.
		"-append", strings.TrimSpace("console=ttyS0 panic=-1 loglevel=4 tsc=reliable " + extraAppend)}
	cmd := exec.Command(qemu, args...)
	out := &lockedBuffer{last: time.Now()}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Stdin = nil
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	r := &QemuRun{}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-tick.C:
			if time.Since(start) > timeout || out.idle() > BootIdle {
				_ = cmd.Process.Kill()
				<-done
				r.TimedOut = true
				err = nil
				break wait
			}
		}
	}
	r.Elapsed = time.Since(start)
	out.mu.Lock()
	r.Console = out.b.String()
	out.mu.Unlock()
	return r, err
}

// mergeOutput adds the walks of b to a.
func mergeOutput(a, b *Output) {
	for k, v := range b.Obs {
		a.Obs[k] = v
	}
	for k, v := range b.Errors {
		a.Errors[k] = append(a.Errors[k], v...)
	}
	for k, v := range b.Reports {
		a.Reports[k] = append(a.Reports[k], v...)
	}
	for k, v := range b.Ended {
		a.Ended[k] = v
	}
	a.Walks = append(a.Walks, b.Walks...)
	a.Other = append(a.Other, b.Other...)
	a.Done = b.Done
	if a.Kernel == "" {
		a.Kernel = b.Kernel
	}
}

// scriptPart is the walks of one model in a VM script.
type scriptPart struct {
	m     *linux.Model
	walks []Walk
}

// bootAll boots until every walk ran: when the guest hangs or panics in a
// walk, that walk gets a report and the next boot starts after it.
func bootAll(k *Kernel, bin, initrd string, parts []scriptPart, so ScriptOptions, timeout time.Duration, log io.Writer) (*Output, *QemuRun, int, error) {
	all := &Output{Obs: map[string]map[int]Observation{}, Errors: map[string][]string{}, Reports: map[string][]Report{}, Ended: map[string]bool{}}
	total := &QemuRun{}
	boots := 0
	skip := map[string]bool{}
	for {
		var script bytes.Buffer
		left := 0
		for _, p := range parts {
			var ws []Walk
			for _, w := range p.walks {
				if !skip[w.Name] {
					ws = append(ws, w)
				}
			}
			left += len(ws)
			if err := WriteScript(&script, p.m, ws, so); err != nil {
				return nil, nil, boots, err
			}
		}
		if left == 0 {
			break
		}
		if err := Initramfs(initrd, bin, script.String()); err != nil {
			return nil, nil, boots, err
		}
		boot, err := Boot(k.Image, initrd, "kasan_multi_shot", timeout)
		boots++
		if err != nil {
			return nil, nil, boots, err
		}
		total.Elapsed += boot.Elapsed
		total.Console += boot.Console
		total.TimedOut = total.TimedOut || boot.TimedOut
		out, err := ParseOutput(strings.NewReader(boot.Console))
		if err != nil {
			return nil, nil, boots, err
		}
		mergeOutput(all, out)
		if out.Done {
			break
		}
		// the guest stopped inside the last walk it started
		if len(out.Walks) == 0 {
			return all, total, boots, fmt.Errorf("the guest ran no walk; console:\n%s", tail(boot.Console, 3000))
		}
		last := out.Walks[len(out.Walks)-1]
		why := "kernel panic or reboot"
		if boot.TimedOut {
			why = fmt.Sprintf("guest hung (no console output for %s)", BootIdle)
		}
		steps := 0
		for s := range out.Obs[last] {
			if s > steps {
				steps = s
			}
		}
		all.Reports[last] = append(all.Reports[last], Report{Walk: last, Step: steps + 1, Line: why})
		fmt.Fprintf(log, "  %s: %s in walk %s at step %d; booting again for the rest\n", k.Revision, why, last, steps+1)
		for _, w := range out.Walks {
			skip[w] = true
		}
	}
	all.Done = true
	return all, total, boots, nil
}

// VMConfig is a VM conformance run of one revision.
type VMConfig struct {
	Revision string
	Walks    int   // random walks
	Tasks    int   // task budget of the random walks
	Seed     int64 // of the random walks
	MaxLen   int
	Jobs     int // make -j
	Flavors  []Flavor
	Log      io.Writer
	OutDir   string // console logs and reproducers
	// CexTasks is the task budget for the counterexample search.
	CexTasks int
	// Timeout per boot.
	Timeout time.Duration
	// NoInstall: do not run apt-get.
	NoInstall bool
	// TraceFiles are replayed too (see LoadWalk), with the counterexamples.
	TraceFiles []string
	// SearchCex: search counterexamples with the explorer instead of using
	// the stored ones (kernel/cex).
	SearchCex bool
	// Actions of the random walks (0: linux.AllActions). With pidns the
	// harness reads NSpid and NScaba through every namespace's own proc
	// instance, and NScaba is compared per reader namespace.
	Actions linux.ActionSet
	// BuildProgress sees every step of a kernel build (nil: a line to Log
	// every 15 s).
	BuildProgress func(BuildProgress)
}

// CexReport is one counterexample replayed on a kernel.
type CexReport struct {
	Invariant  string
	ModelTrace string // the model's actions
	Walk       Walk
	ViolStep   int    // the syscall-level step after which the model violates the invariant
	Prediction string // what the model says goes wrong there
	Result     WalkResult
	// Verdict judges Result against the prediction of the kernel's own
	// revision (PredictFor); Note says when the walk's revision differs.
	Verdict Verdict
	Note    string
}

// VMFlavorResult is the outcome on one kernel flavor.
type VMFlavorResult struct {
	Kernel     *Kernel
	Boot       *QemuRun
	Cex        []CexReport
	Walks      []WalkResult
	Steps      int // steps compared
	Mismatches int // walks with an NScaba/tree mismatch before any report
	Reports    int // kernel reports (all walks)
	Unexpected int // reports in walks where the model predicts no dangling caba/use-after-free
	Console    string
	ConsoleLog string // path of the saved console log
	Boots      int    // qemu boots (one more after each hang or panic)
	Failed     int    // counterexamples and traces whose verdict is a failed prediction
}

// cexStages are the model instances searched for counterexamples, smallest
// first: a violation found with fewer tasks or fewer optional actions is also
// a behaviour of the full model, and these searches finish in seconds.
var cexStages = []struct {
	tasks int
	acts  linux.ActionSet
}{
	{4, linux.Threads}, {4, linux.Threads | linux.Exec}, {4, linux.DefaultActions},
	{5, linux.Threads}, {5, linux.Threads | linux.Exec}, {5, linux.Threads | linux.Subreaper}, {5, linux.Threads | linux.CloneParent},
	{6, linux.Threads | linux.Subreaper}, {6, linux.Threads | linux.CloneParent},
}

// Counterexamples finds a short counterexample of each invariant for the
// revision (searching the stages of cexStages up to maxTasks, each for at
// most budget) and realises it as a syscall-level walk that still violates
// it. The walk's model has maxTasks tasks and every default action.
func Counterexamples(rev linux.Revision, maxTasks int, names []string, budget time.Duration, log io.Writer) (*linux.Model, []CexReport, error) {
	full, err := linux.New(linux.Options{Tasks: maxTasks, Revision: rev, Actions: linux.DefaultActions})
	if err != nil {
		return nil, nil, err
	}
	var out []CexReport
	for _, name := range names {
		inv, ok := invariants.ByName(name, rev)
		if !ok {
			return nil, nil, fmt.Errorf("unknown invariant %s", name)
		}
		var acts []spec.Action
		var where string
		for _, st := range cexStages {
			if st.tasks > maxTasks {
				continue
			}
			m, err := linux.New(linux.Options{Tasks: st.tasks, Revision: rev, Actions: st.acts})
			if err != nil {
				return nil, nil, err
			}
			start := time.Now()
			res, err := check.Run(check.Request{Model: m, Checker: invariants.NewChecker(st.tasks, []invariants.Invariant{inv}), Budget: check.Budget{MaxTime: budget}})
			if err != nil {
				return nil, nil, err
			}
			if len(res.Counterexamples) > 0 {
				acts = res.Counterexamples[0].Trace.Actions()
				where = fmt.Sprintf("%d tasks, actions %s, %d states, %s", st.tasks, st.acts, res.Distinct, time.Since(start).Round(time.Millisecond))
				break
			}
		}
		if acts == nil {
			fmt.Fprintf(log, "%s: no %s counterexample found up to %d tasks\n", rev, name, maxTasks)
			continue
		}
		c, err := cexReport(full, name, acts, where, log)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, c)
	}
	return full, out, nil
}

// cexReport realises the model trace acts of a violation of invariant name.
func cexReport(full *linux.Model, name string, acts []spec.Action, where string, log io.Writer) (CexReport, error) {
	rev := full.Options().Revision
	inv, ok := invariants.ByName(name, rev)
	if !ok {
		return CexReport{}, fmt.Errorf("unknown invariant %s", name)
	}
	tr, err := traces.Build(full, acts)
	if err != nil {
		return CexReport{}, err
	}
	tr.Explain(inv)
	ops, k, err := RealizeViolation(full, acts, inv)
	c := CexReport{Invariant: name, ModelTrace: tr.Summary(), ViolStep: k}
	c.Prediction = strings.Join(tr.Failure, "; ")
	if tr.Steps[len(tr.Steps)-1].State.Corrupt {
		c.Prediction = "use-after-free in the kernel (the model's state is corrupt) " + c.Prediction
	}
	if err != nil {
		c.Prediction += " (not realisable at syscall level: " + err.Error() + ")"
		return c, nil
	}
	ops = append(ops, Op{Kind: OpRead})
	c.Walk = Walk{Name: fmt.Sprintf("cex-%s-%s", rev, name), Ops: ops,
		Origin: fmt.Sprintf("%s counterexample (%d model steps; %s)", name, len(acts), where), Model: tr.Summary(), Expect: c.Prediction,
		AvoidDangling: name == "NoUseAfterFree", Revision: rev.String(), Invariant: name, ViolStep: k}
	fmt.Fprintf(log, "%s: %s counterexample (%s), %d model steps -> %d syscall steps: %s\n", rev, name, where, len(acts), len(ops), FormatOps(ops))
	return c, nil
}

// KnownCex holds counterexamples found earlier by Counterexamples
// (kernel/cex/REV.txt: "INVARIANT: model actions" per line), so a VM run does
// not have to search again.
//
//go:embed cex
var KnownCex embed.FS

// KnownCounterexamples returns the stored counterexamples of rev for names.
func KnownCounterexamples(rev linux.Revision, maxTasks int, names []string, log io.Writer) (*linux.Model, []CexReport, error) {
	full, err := linux.New(linux.Options{Tasks: maxTasks, Revision: rev, Actions: linux.DefaultActions})
	if err != nil {
		return nil, nil, err
	}
	data, err := KnownCex.ReadFile("cex/" + rev.String() + ".txt")
	if err != nil {
		return full, nil, nil
	}
	stored := map[string][]spec.Action{}
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.Index(l, ":")
		if i < 0 {
			return nil, nil, fmt.Errorf("cex/%s.txt: bad line %q", rev, l)
		}
		var acts []spec.Action
		for _, f := range splitOps(l[i+1:]) {
			a, err := linux.ParseAction(f)
			if err != nil {
				return nil, nil, fmt.Errorf("cex/%s.txt: %v", rev, err)
			}
			acts = append(acts, a)
		}
		stored[strings.TrimSpace(l[:i])] = acts
	}
	var out []CexReport
	for _, name := range names {
		acts, ok := stored[name]
		if !ok {
			fmt.Fprintf(log, "%s: no stored %s counterexample (search with --search-cex)\n", rev, name)
			continue
		}
		c, err := cexReport(full, name, acts, "stored in kernel/cex", log)
		if err != nil {
			return nil, nil, fmt.Errorf("cex/%s.txt %s: %v", rev, name, err)
		}
		out = append(out, c)
	}
	return full, out, nil
}

// VMResult is a VM run of one revision.
type VMResult struct {
	Revision string
	Flavors  []*VMFlavorResult
}

// RunVM builds the revision's kernels, boots them under qemu with the
// counterexamples and random walks, and compares.
func RunVM(cfg VMConfig) (*VMResult, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Jobs == 0 {
		cfg.Jobs = runtime.NumCPU()
	}
	if len(cfg.Flavors) == 0 {
		cfg.Flavors = []Flavor{KASAN}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 20 * time.Minute
	}
	if cfg.MaxLen == 0 {
		cfg.MaxLen = 24
	}
	if cfg.CexTasks == 0 {
		cfg.CexTasks = 7
	}
	rev, err := linux.ParseRevision(cfg.Revision)
	if err != nil {
		return nil, err
	}
	if _, err := PatchFor(cfg.Revision); err != nil {
		return nil, err
	}
	if !cfg.NoInstall {
		if err := EnsurePackages(cfg.Log); err != nil {
			return nil, err
		}
	}
	bin, err := BuildHarness()
	if err != nil {
		return nil, err
	}
	names := []string{"NoDanglingCaba", "NoUseAfterFree"}
	var cexModel *linux.Model
	var cexs []CexReport
	if cfg.SearchCex {
		cexModel, cexs, err = Counterexamples(rev, cfg.CexTasks, names, 60*time.Second, cfg.Log)
	} else {
		cexModel, cexs, err = KnownCounterexamples(rev, cfg.CexTasks, names, cfg.Log)
	}
	if err == nil && len(cexs) == 0 {
		// no counterexample of its own (fixed): replay the other revisions'
		// reproducers, which must now run clean
		for _, other := range linux.Revisions() {
			if other == rev || other.Def().Patch == "" {
				continue
			}
			_, oc, err2 := KnownCounterexamples(other, cfg.CexTasks, names, io.Discard)
			if err2 != nil {
				return nil, err2
			}
			for _, c := range oc {
				if len(c.Walk.Ops) == 0 {
					continue
				}
				if _, err := Finals(cexModel, c.Walk.Ops); err != nil {
					continue
				}
				w := c.Walk
				w.Name += "-on-" + rev.String()
				w.Origin = fmt.Sprintf("%s reproducer of %s, replayed on %s", other, c.Invariant, rev)
				fin, _ := Finals(cexModel, w.Ops)
				inv, _ := invariants.ByName(c.Invariant, rev)
				pred := "holds"
				for i := range fin {
					if !inv.Holds(&fin[i]) {
						pred = "violated"
					}
				}
				cexs = append(cexs, CexReport{Invariant: c.Invariant, ModelTrace: c.ModelTrace + " (" + other.String() + ")",
					Walk: w, ViolStep: 0, Prediction: fmt.Sprintf("%s: %s %s after the last step (no report expected)", rev, c.Invariant, pred)})
				fmt.Fprintf(cfg.Log, "%s: replaying the %s %s reproducer: %s\n", rev, other, c.Invariant, FormatOps(w.Ops))
			}
		}
	}
	if err != nil {
		return nil, err
	}
	for _, p := range cfg.TraceFiles {
		w, err := LoadWalk(cexModel, p)
		if err != nil {
			return nil, err
		}
		cexs = append(cexs, CexReport{Invariant: "trace", ModelTrace: w.Model, Walk: w, Prediction: w.Expect})
	}
	walkActs := cfg.Actions
	if walkActs == 0 {
		walkActs = linux.AllActions
	}
	walkModel, err := linux.New(linux.Options{Tasks: cfg.Tasks, Revision: rev, Actions: walkActs})
	if err != nil {
		return nil, err
	}
	walks, err := RandomWalks(walkModel, cfg.Walks, cfg.Seed, cfg.MaxLen, "w")
	if err != nil {
		return nil, err
	}
	so := ScriptOptions{Caba: ViewFor(rev), DelayMs: 40, TimeoutMs: 4000}
	var script bytes.Buffer
	var cexWalks []Walk
	for _, c := range cexs {
		if len(c.Walk.Ops) > 0 {
			cexWalks = append(cexWalks, c.Walk)
		}
	}
	if err := WriteScript(&script, cexModel, cexWalks, so); err != nil {
		return nil, err
	}
	if err := WriteScript(&script, walkModel, walks, so); err != nil {
		return nil, err
	}
	if cfg.OutDir != "" {
		os.MkdirAll(cfg.OutDir, 0o755)
		for _, w := range cexWalks {
			if err := SaveReproducer(cfg.OutDir, cexModel, w, so, w.Origin+"\nmodel: "+w.Model+"\nexpect: "+w.Expect+"\n"); err != nil {
				return nil, err
			}
		}
	}
	res := &VMResult{Revision: cfg.Revision}
	for _, f := range cfg.Flavors {
		k, err := BuildKernel(cfg.Revision, f, cfg.Jobs, cfg.Log, cfg.BuildProgress)
		if err != nil {
			return res, err
		}
		if k.Cached {
			fmt.Fprintf(cfg.Log, "%s %s kernel: cached %s\n", cfg.Revision, f, k.Image)
		}
		initrd := filepath.Join(CacheDir(), "initrd-"+cfg.Revision+"-"+string(f)+".cpio")
		fmt.Fprintf(cfg.Log, "booting %s %s kernel under qemu (TCG): %d counterexample(s), %d random walks\n", cfg.Revision, f, len(cexWalks), len(walks))
		out, boot, boots, err := bootAll(k, bin, initrd, []scriptPart{{cexModel, cexWalks}, {walkModel, walks}}, so, cfg.Timeout, cfg.Log)
		if err != nil {
			return res, err
		}
		fr := &VMFlavorResult{Kernel: k, Boot: boot, Console: boot.Console, Boots: boots}
		if cfg.OutDir != "" {
			fr.ConsoleLog = filepath.Join(cfg.OutDir, fmt.Sprintf("console-%s-%s.log", cfg.Revision, f))
			os.WriteFile(fr.ConsoleLog, []byte(boot.Console), 0o644)
		}
		judge := func(m *linux.Model, w Walk) WalkResult {
			r := Compare(m, w, out, ViewFor(rev))
			// a mismatch after the first kernel report does not count
			if r.FirstReport > 0 && r.FailStep >= r.FirstReport {
				r.FailStep = 0
			}
			fr.Steps += r.Compared
			if r.FailStep > 0 {
				fr.Mismatches++
			}
			fr.Reports += len(r.Reports)
			if r.FirstReport > 0 && !predictsBug(r, r.FirstReport) {
				fr.Unexpected++
			}
			return r
		}
		for _, c := range cexs {
			if len(c.Walk.Ops) > 0 {
				c.Result = judge(cexModel, c.Walk)
				p, note, err := PredictFor(cexModel, c.Walk, ViewFor(rev))
				if err != nil {
					return res, fmt.Errorf("%s: %w", c.Walk.Name, err)
				}
				c.Verdict, c.Note = Judge(&c.Result, p), note
				if c.Verdict.Failed() {
					fr.Failed++
				}
			} else {
				c.Verdict = Verdict{Kind: VerdictNotReproduced, Detail: "not realisable at syscall level: " + c.Prediction}
			}
			fr.Cex = append(fr.Cex, c)
		}
		for _, w := range walks {
			fr.Walks = append(fr.Walks, judge(walkModel, w))
		}
		fmt.Fprintf(cfg.Log, "%s %s: boot+run %s%s\n", cfg.Revision, f, boot.Elapsed.Round(100*time.Millisecond), map[bool]string{true: " (timed out)", false: ""}[boot.TimedOut])
		res.Flavors = append(res.Flavors, fr)
	}
	return res, nil
}

// predictsBug reports whether the model has a dangling caba or a corrupt
// state at step k or before (so a kernel report there is the predicted bug).
func predictsBug(r WalkResult, k int) bool {
	for _, s := range r.Steps {
		if s.Step <= k && (s.Dangling || s.Corrupt) {
			return true
		}
	}
	// steps after the last compared one: the model state there is unknown
	return len(r.Steps) > 0 && k > r.Steps[len(r.Steps)-1].Step && (r.Steps[len(r.Steps)-1].Dangling || r.Steps[len(r.Steps)-1].Corrupt)
}
