package kernel

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"cabacheck/spec/linux"
)

// HostConfig is a host conformance run.
type HostConfig struct {
	Walks   int
	Tasks   int
	Seed    int64
	MaxLen  int             // steps per walk (default 24)
	Actions linux.ActionSet // optional actions (default all)
	OutDir  string          // where reproducers of mismatches are saved ("" = none)
	Log     io.Writer       // progress (may be nil)
	Extra   []Walk          // walks to run besides the random ones
	Timeout time.Duration   // whole run (default 10 min)
	// Model, if set, is the model compared with (conform replay --revision
	// on a CABA kernel), and Caba how the kernel prints caba; by default the
	// base semantics (HostModel) and CabaNone.
	Model *linux.Model
	Caba  CabaView
}

// HostResult summarises a host run.
type HostResult struct {
	Walks      int
	Steps      int // steps compared
	Mismatches int // walks with a mismatch
	Failed     []WalkResult
	Results    []WalkResult // every walk, in order (random walks, then Extra)
	Elapsed    time.Duration
	Kernel     string
	Stats      StepStats
}

// StepStats counts what the compared steps checked.
type StepStats struct {
	// Observing: steps whose snapshot changed or whose return was checked;
	// ObservingBase: steps whose snapshot changed in the fields the harness
	// had before (state, tgid, ppid, real_parent, caba), the figure of the
	// same walks without this comparison's new fields and returns.
	Observing, ObservingBase int
	// Refused: steps the model does not enable that the kernel had to
	// refuse (an errno) or let through without a change (NoOp: a setpgid
	// into the current group or a waitpid of a child not reapable, which
	// return 0, and the calls that succeed without a change, "no-op");
	// RefusedBy counts them by op and expected return ("Setsid EPERM",
	// "Setpgid ok 0", "Wait ECHILD", "Execve no-op").
	Refused, NoOp int
	RefusedBy     map[string]int
	// Ops counts the compared steps by op name; Blind the ones that observe
	// nothing, by op name.
	Ops, Blind map[string]int
	// Zaps: steps whose exit of a namespace init killed other tasks
	// (zap_pid_ns_processes), and ZapKilled the tasks they killed.
	Zaps, ZapKilled int
}

// Add counts the compared steps of a walk.
func (st *StepStats) Add(r *WalkResult) {
	if st.Ops == nil {
		st.Ops, st.Blind, st.RefusedBy = map[string]int{}, map[string]int{}, map[string]int{}
	}
	for i := range r.Steps {
		s := &r.Steps[i]
		if s.Observed == nil {
			continue
		}
		name := opNames[s.Op.Kind]
		st.Ops[name]++
		if s.Observes() {
			st.Observing++
		} else {
			st.Blind[name]++
		}
		if s.ChangedBase {
			st.ObservingBase++
		}
		if s.ZapKilled > 0 {
			st.Zaps++
			st.ZapKilled += s.ZapKilled
		}
		if s.Refused {
			st.Refused++
			ret := s.ExpectRet
			if ret == "" {
				ret = "no-op"
			}
			if ret[0] != 'E' {
				st.NoOp++
			}
			st.RefusedBy[name+" "+ret]++
		}
	}
}

// Counts renders a count map as "k1 n1, k2 n2" in key order.
func Counts(m map[string]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b []string
	for _, k := range keys {
		b = append(b, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(b) == 0 {
		return "none"
	}
	return strings.Join(b, ", ")
}

// HasCaba reports whether the running kernel prints an NScaba line in
// /proc/PID/status (it carries a CABA patch).
func HasCaba() (bool, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false, fmt.Errorf("reading /proc/self/status: %w", err)
	}
	return bytes.Contains(b, []byte("\nNScaba:")), nil
}

// CanRunHost reports why the host kernel cannot be driven here, or nil.
func CanRunHost() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("needs root (each walk runs in its own pid namespace)")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		return fmt.Errorf("needs gcc to build the harness")
	}
	if _, err := os.Stat("/proc/self/task"); err != nil {
		return fmt.Errorf("needs /proc")
	}
	return nil
}

// HostModel is the model the host is compared with: base semantics (the
// revision does not matter, the stock kernel has no caba).
func HostModel(tasks int, acts linux.ActionSet) (*linux.Model, error) {
	return linux.New(linux.Options{Tasks: tasks, Revision: linux.Fixed, Actions: acts})
}

// RandomWalks draws n seeded random walks.
func RandomWalks(m *linux.Model, n int, seed int64, maxLen int, prefix string) ([]Walk, error) {
	rng := rand.New(rand.NewSource(seed))
	var ws []Walk
	for i := 0; i < n; i++ {
		w, err := RandomWalk(m, rng, fmt.Sprintf("%s%d", prefix, i+1), maxLen)
		if err != nil {
			return nil, err
		}
		w.Origin = fmt.Sprintf("random walk %d of seed %d", i+1, seed)
		ws = append(ws, w)
	}
	return ws, nil
}

// RunHarness runs the harness on script text and parses its output.
func RunHarness(bin, script string, timeout time.Duration) (*Output, string, error) {
	cmd := exec.Command(bin, "run", "-")
	cmd.Stdin = strings.NewReader(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		err = fmt.Errorf("harness timed out after %s", timeout)
	}
	out, perr := ParseOutput(bytes.NewReader(stdout.Bytes()))
	if err == nil {
		err = perr
	}
	if err == nil && !out.Done {
		err = fmt.Errorf("harness stopped early: %s", strings.TrimSpace(stderr.String()))
	}
	return out, stdout.String(), err
}

// RunHost replays random walks (and cfg.Extra) on the running kernel.
func RunHost(cfg HostConfig) (*HostResult, error) {
	if cfg.MaxLen == 0 {
		cfg.MaxLen = 24
	}
	if cfg.Actions == 0 {
		cfg.Actions = linux.AllActions
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	start := time.Now()
	m := cfg.Model
	if m == nil {
		var err error
		if m, err = HostModel(cfg.Tasks, cfg.Actions); err != nil {
			return nil, err
		}
	}
	walks, err := RandomWalks(m, cfg.Walks, cfg.Seed, cfg.MaxLen, "w")
	if err != nil {
		return nil, err
	}
	walks = append(walks, cfg.Extra...)
	bin, err := BuildHarness()
	if err != nil {
		return nil, err
	}
	var script bytes.Buffer
	if err := WriteScript(&script, m, walks, ScriptOptions{Caba: cfg.Caba, StopOnTimeout: true}); err != nil {
		return nil, err
	}
	out, _, err := RunHarness(bin, script.String(), cfg.Timeout)
	if err != nil {
		return nil, err
	}
	res := &HostResult{Walks: len(walks), Results: make([]WalkResult, 0, len(walks))}
	for _, w := range walks {
		r := Compare(m, w, out, cfg.Caba)
		res.Steps += r.Compared
		res.Stats.Add(&r)
		res.Results = append(res.Results, r)
		if !r.OK() {
			res.Mismatches++
			res.Failed = append(res.Failed, r)
			if cfg.OutDir != "" {
				if err := SaveReproducer(cfg.OutDir, m, w, ScriptOptions{Caba: cfg.Caba}, r.Text()); err != nil {
					return res, err
				}
			}
		}
	}
	res.Elapsed = time.Since(start)
	if b, err := os.ReadFile("/proc/version"); err == nil {
		res.Kernel = strings.TrimSpace(string(b))
	}
	return res, nil
}

// SaveReproducer writes the walk's harness script, its steps and a note.
func SaveReproducer(dir string, m *linux.Model, w Walk, so ScriptOptions, note string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var script bytes.Buffer
	if err := WriteScript(&script, m, []Walk{w}, so); err != nil {
		return err
	}
	base := filepath.Join(dir, w.Name)
	o := m.Options()
	model, rev := "base semantics", ""
	if so.Caba != CabaNone {
		// caba compared: replaying needs a kernel with this revision's patch
		model, rev = "revision "+o.Revision.String(), " --revision "+o.Revision.String()
	}
	steps := fmt.Sprintf("# cabacheck reproducer: %s\n# model: tasks %d, %s, actions %s\n# replay: cabacheck conform replay --tasks %d%s --actions %s %s.steps\n%s\n",
		w.Origin, o.Tasks, model, o.Actions, o.Tasks, rev, o.Actions, base, FormatOps(w.Ops))
	if err := os.WriteFile(base+".steps", []byte(steps), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(base+".script", script.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(base+".txt", []byte(note), 0o644)
}
