package kernel

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"cabacheck/spec/linux"
	"cabacheck/state"
)

// ScriptOptions tune the harness script.
type ScriptOptions struct {
	Caba      CabaView // how the kernel prints caba
	DelayMs   int      // sleep before the snapshot of a step whose model state has a dangling caba (lets RCU free it)
	TimeoutMs int      // settle timeout per step (0: the harness default, 3000)
	// StopOnTimeout: a step that does not settle into a state the model
	// allows (a mismatch) ends its walk in the harness, instead of every
	// later step waiting out its timeout too (host runs; under qemu the walk
	// goes on, so that a kernel report after it is still attributed).
	StopOnTimeout bool
}

// harnessLine renders op as a STEP line; creating steps name the new slot,
// exec names the old leader (whose TID the exec'ing thread takes).
func harnessLine(k int, s *state.State, op Op) (string, error) {
	name := harnessNames[op.Kind]
	switch op.Kind {
	case OpFork, OpForkParent, OpClone, OpForkNewpid:
		n := NewSlot(s, op)
		if n == 0 {
			return "", fmt.Errorf("%s: no free slot", op)
		}
		return fmt.Sprintf("STEP %d %s %d %d", k, name, op.T, n), nil
	case OpSubreaper:
		on := 0
		if op.On {
			on = 1
		}
		return fmt.Sprintf("STEP %d %s %d %d", k, name, op.T, on), nil
	case OpWait:
		return fmt.Sprintf("STEP %d %s %d %d", k, name, op.T, op.C), nil
	case OpExec:
		return fmt.Sprintf("STEP %d %s %d %d", k, name, op.T, s.Leader[s.Tg[op.T]]), nil
	case OpExecve:
		return fmt.Sprintf("STEP %d %s %d %d", k, name, op.T, op.T), nil
	case OpSetpgid:
		return fmt.Sprintf("STEP %d %s %d %d %d", k, name, op.T, op.C, op.P), nil
	case OpRead:
		return fmt.Sprintf("STEP %d read 0 0", k), nil
	}
	return fmt.Sprintf("STEP %d %s %d 0", k, name, op.T), nil
}

// barrierSlots is the completion barrier of an exit: the threads that the
// step makes exit (the caller for exit and exit_group, the threads killed by
// exit_group or exec, the old leader an exec replaces). The harness accepts
// no snapshot until each of them is a zombie or gone from /proc (read from
// /proc/TID/stat, which is safe for a task whose caba dangles), so that a
// snapshot taken before the exit completed, possibly equal to the state
// before the step, is never accepted; a barrier that does not complete
// within the timeout is reported as "unsettled", a mismatch.
func barrierSlots(m *linux.Model, cands []state.State, op Op) uint32 {
	if op.Kind != OpExit && op.Kind != OpExitGroup && op.Kind != OpExec {
		return 0
	}
	var mask uint32
	var d state.State
	for i := range cands {
		s := &cands[i]
		a, ok := firstAction(s, op)
		if !ok || !m.Step(s, a, &d) {
			continue
		}
		mask |= killSet(s, op)
		if op.Kind == OpExec {
			if l := s.Leader[s.Tg[op.T]]; l != op.T {
				mask |= 1 << l
			}
		} else {
			mask |= 1 << op.T
		}
	}
	return mask
}

// WriteScript writes the harness script of walks for model m. For every step
// it lists the snapshots the model allows (without pruning by earlier
// observations: the harness only uses them to know when the kernel settled).
func WriteScript(w io.Writer, m *linux.Model, walks []Walk, so ScriptOptions) error {
	bw := bufio.NewWriter(w)
	if so.TimeoutMs > 0 {
		fmt.Fprintf(bw, "TIMEOUT %d\n", so.TimeoutMs)
	}
	if so.StopOnTimeout {
		fmt.Fprintln(bw, "STOPONTIMEOUT")
	}
	for _, wk := range walks {
		if m.Options().Actions&linux.Pidns != 0 {
			fmt.Fprintf(bw, "WALK %s %d PIDNS\n", wk.Name, m.Options().Tasks)
		} else {
			fmt.Fprintf(bw, "WALK %s %d\n", wk.Name, m.Options().Tasks)
		}
		cands := []state.State{m.Initial()}
		for k, op := range wk.Ops {
			line, err := harnessLine(k+1, &cands[0], op)
			if err != nil {
				return fmt.Errorf("walk %s step %d: %w", wk.Name, k+1, err)
			}
			bar := barrierSlots(m, cands, op)
			next, err := Expand(m, cands, op)
			if err != nil {
				return fmt.Errorf("walk %s step %d: %w", wk.Name, k+1, err)
			}
			if zapHangs(&cands[0], &next[0]) {
				return fmt.Errorf("walk %s step %d (%s): not run: the kernel's zap_pid_ns_processes would wait on a pid of the namespace kept as a process group or session id, where the model lets the exit complete (kernel/README.md, pid namespaces)", wk.Name, k+1, op)
			}
			cands = next
			fmt.Fprintln(bw, line)
			seen := map[string]bool{}
			dang := false
			preds, skip := predictAll(cands, so.Caba, m.Options().Actions, wk.AvoidDangling)
			for i := range cands {
				p := preds[i].String()
				if !seen[p] {
					seen[p] = true
					fmt.Fprintf(bw, "EXPECT %s\n", p)
				}
				dang = dang || cands[i].DanglingCabas() != 0
			}
			for i := 1; i < 32; i++ {
				if skip&(1<<i) != 0 {
					fmt.Fprintf(bw, "SKIP %d\n", i)
				}
			}
			if bar != 0 {
				var b strings.Builder
				b.WriteString("BARRIER")
				for i := 1; i < 32; i++ {
					if bar&(1<<i) != 0 {
						fmt.Fprintf(&b, " %d", i)
					}
				}
				fmt.Fprintln(bw, b.String())
			}
			if dang && so.DelayMs > 0 {
				fmt.Fprintf(bw, "DELAY %d\n", so.DelayMs)
			}
			fmt.Fprintln(bw, "END")
		}
		fmt.Fprintln(bw, "ENDWALK")
	}
	return bw.Flush()
}

// Observation is one OBS line of the harness.
type Observation struct {
	Walk   string
	Step   int
	Status string // match, timeout, unsettled (the exit barrier did not complete), noexpect
	Snap   Snapshot
	Ms     int
	Raw    string
	Ret    string // what setsid or setpgid returned ("ok V" or an errno name), "" for other steps
}

// Output is the parsed output of one harness run (or console log).
type Output struct {
	Obs     map[string]map[int]Observation
	Rets    map[string]map[int]string // RET lines per walk and step
	Errors  map[string][]string       // per walk
	Reports map[string][]Report       // kernel reports per walk
	Ended   map[string]bool
	Walks   []string // in order of appearance
	Done    bool
	Kernel  string
	Other   []string // ERR lines outside any walk
}

// Report is a console line that signals a kernel bug, with the step that was
// running when it appeared.
type Report struct {
	Walk string
	Step int // the step being executed or observed (the one after the last OBS)
	Line string
}

var obsRe = regexp.MustCompile(`^OBS (\S+) (\d+) (\S+) (.*) \| (\d+)ms$`)

// badConsole matches the console lines that are failures.
var badConsole = regexp.MustCompile(`BUG:|KASAN|general protection fault|Oops|Kernel panic|WARNING:`)

// ParseOutput parses harness output; lines without the "@@ " prefix are
// kernel console lines (under qemu) and are scanned for bug reports.
func ParseOutput(r io.Reader) (*Output, error) {
	o := &Output{Obs: map[string]map[int]Observation{}, Rets: map[string]map[int]string{}, Errors: map[string][]string{}, Reports: map[string][]Report{}, Ended: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	cur, last := "", 0
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		idx := strings.Index(line, "@@ ")
		if idx < 0 {
			if badConsole.MatchString(line) {
				o.Reports[cur] = append(o.Reports[cur], Report{Walk: cur, Step: last + 1, Line: strings.TrimSpace(line)})
			}
			continue
		}
		if idx > 0 && badConsole.MatchString(line[:idx]) {
			o.Reports[cur] = append(o.Reports[cur], Report{Walk: cur, Step: last + 1, Line: strings.TrimSpace(line[:idx])})
		}
		msg := line[idx+3:]
		switch {
		case strings.HasPrefix(msg, "WALK "):
			cur, last = strings.TrimSpace(msg[5:]), 0
			o.Walks = append(o.Walks, cur)
			o.Obs[cur] = map[int]Observation{}
		case strings.HasPrefix(msg, "ENDWALK "):
			o.Ended[strings.TrimSpace(msg[8:])] = true
		case strings.HasPrefix(msg, "OBS "):
			mm := obsRe.FindStringSubmatch(msg)
			if mm == nil {
				return o, fmt.Errorf("bad harness line %q", line)
			}
			k, _ := strconv.Atoi(mm[2])
			ms, _ := strconv.Atoi(mm[5])
			snap, err := ParseSnapshot(mm[4])
			if err != nil {
				return o, err
			}
			if o.Obs[mm[1]] == nil {
				o.Obs[mm[1]] = map[int]Observation{}
			}
			o.Obs[mm[1]][k] = Observation{Walk: mm[1], Step: k, Status: mm[3], Snap: snap, Ms: ms, Raw: msg, Ret: o.Rets[mm[1]][k]}
			last = k
		case strings.HasPrefix(msg, "RET "):
			f := strings.SplitN(msg, " ", 4)
			if len(f) != 4 {
				return o, fmt.Errorf("bad harness line %q", line)
			}
			k, err := strconv.Atoi(f[2])
			if err != nil {
				return o, fmt.Errorf("bad harness line %q", line)
			}
			if o.Rets[f[1]] == nil {
				o.Rets[f[1]] = map[int]string{}
			}
			o.Rets[f[1]][k] = f[3]
		case strings.HasPrefix(msg, "ERR "):
			f := strings.Fields(msg)
			if len(f) > 1 && o.Obs[f[1]] != nil {
				o.Errors[f[1]] = append(o.Errors[f[1]], msg)
			} else {
				o.Other = append(o.Other, msg)
			}
		case strings.HasPrefix(msg, "CRASH "):
			o.Reports[cur] = append(o.Reports[cur], Report{Walk: cur, Step: last + 1, Line: "harness: " + msg})
		case msg == "DONE":
			o.Done = true
		case strings.HasPrefix(msg, "KERNEL "):
			o.Kernel = msg[7:]
		}
	}
	return o, sc.Err()
}

// StepResult is the comparison of one step.
type StepResult struct {
	Step       int
	Op         Op
	Observed   Snapshot
	Expected   Snapshot // what all the model's settled states agree on
	Candidates int      // settled states the model allows at this step
	Mismatches []Mismatch
	Missing    bool // the harness printed nothing for this step
	Dangling   bool // the model has a dangling caba after this step
	Corrupt    bool // the model's state is corrupt (use-after-free) after this step
	Reports    []string
	// Ret is what the kernel returned (setsid, setpgid), ExpectRet what the
	// model's candidates agree on (Any when they differ, "" not checked).
	Ret, ExpectRet string
	// Refused: the model does not enable the call in any candidate; the
	// kernel must return ExpectRet and change nothing.
	Refused bool
	// Changed: the observation differs from the one before the step (the
	// step shows something in the snapshot); ChangedBase: in the fields the
	// harness had before sessions, flags and execd (NBaseFields).
	Changed, ChangedBase bool
	// ZapKilled: the tasks the step's zap_pid_ns_processes killed (pidns:
	// the exit of a namespace init with other tasks in its namespace).
	ZapKilled int
}

// Observes reports whether the step's comparison checks something the step
// did: a changed snapshot, a return value, or, for a call the model refuses,
// that the kernel changed nothing.
func (s *StepResult) Observes() bool { return s.Changed || s.ExpectRet != "" || s.Refused }

// WalkResult is the comparison of one walk.
type WalkResult struct {
	Walk     Walk
	Steps    []StepResult
	Compared int // steps compared
	FailStep int // first mismatching step, 0 if none
	Errors   []string
	// FirstReport is the step of the first kernel report, 0 if none.
	FirstReport int
	Reports     []Report
}

// OK reports whether the walk matched the model everywhere (kernel reports
// are judged by the caller).
func (r *WalkResult) OK() bool { return r.FailStep == 0 && len(r.Errors) == 0 }

// differs reports whether two observations differ in their first n fields
// of some task.
func differs(a, b Snapshot, n int) bool {
	if len(a) != len(b) {
		return true
	}
	for i := range a {
		for k := 0; k < n; k++ {
			if a[i][k] != b[i][k] {
				return true
			}
		}
	}
	return false
}

// Compare replays walk w through the model and compares every observed step.
// Candidates are pruned by what the kernel showed: the kernel must match one
// of the settled states the model allows, and return what that state's
// outcome says (setsid, setpgid). Comparison stops at the first mismatch,
// and at a step where the model's state is corrupt.
func Compare(m *linux.Model, w Walk, out *Output, caba CabaView) WalkResult {
	res := WalkResult{Walk: w, Errors: out.Errors[w.Name], Reports: out.Reports[w.Name]}
	obs := out.Obs[w.Name]
	if obs == nil {
		res.Errors = append(res.Errors, "the harness did not run this walk")
	}
	for _, r := range res.Reports {
		if res.FirstReport == 0 || r.Step < res.FirstReport {
			res.FirstReport = r.Step
		}
	}
	acts := m.Options().Actions
	cands := []state.State{m.Initial()}
	prev := Predict(&cands[0], caba, acts)
	for k, op := range w.Ops {
		sr := StepResult{Step: k + 1, Op: op}
		for _, r := range res.Reports {
			if r.Step == k+1 {
				sr.Reports = append(sr.Reports, r.Line)
			}
		}
		next, outs, err := Expand2(m, cands, op)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("step %d: model: %v", k+1, err))
			res.Steps = append(res.Steps, sr)
			break
		}
		sr.ZapKilled = zapKilled(&cands[0], &next[0])
		cands = next
		preds, _ := predictAll(cands, caba, acts, w.AvoidDangling)
		sr.Refused = true
		for i := range cands {
			sr.Dangling = sr.Dangling || cands[i].DanglingCabas() != 0
			sr.Corrupt = sr.Corrupt || cands[i].Corrupt
			sr.Refused = sr.Refused && outs[i].Refused
			if i == 0 {
				sr.ExpectRet = outs[i].Ret
			} else if sr.ExpectRet != outs[i].Ret {
				sr.ExpectRet = Any
			}
		}
		sr.Expected = Determined(preds)
		sr.Candidates = len(cands)
		o, ok := obs[k+1]
		if !ok {
			sr.Missing = true
			res.Steps = append(res.Steps, sr)
			if res.FailStep == 0 && obs != nil {
				res.FailStep = k + 1
				res.Errors = append(res.Errors, fmt.Sprintf("step %d: no observation (the harness stopped)", k+1))
			}
			break
		}
		sr.Observed = o.Snap
		sr.Ret = o.Ret
		sr.Changed = differs(prev, o.Snap, NFields)
		sr.ChangedBase = differs(prev, o.Snap, NBaseFields)
		prev = o.Snap
		var keep []state.State
		retOK := false
		for i := range cands {
			if retMatches(outs[i].Ret, o.Ret) {
				retOK = true
				if Matches(preds[i], o.Snap) {
					keep = append(keep, cands[i])
				}
			}
		}
		res.Compared++
		if o.Status == "unsettled" {
			// the exit did not complete: whatever the snapshot shows, it is
			// not the state after the step
			sr.Mismatches = append(sr.Mismatches, Mismatch{Field: "exit", Expected: "complete (every exiting thread a zombie or gone)", Observed: "not complete after the settle timeout"})
			sr.Mismatches = append(sr.Mismatches, Diff(sr.Expected, o.Snap)...)
			res.Steps = append(res.Steps, sr)
			res.FailStep = k + 1
			break
		}
		if len(keep) == 0 {
			if !retOK {
				sr.Mismatches = append(sr.Mismatches, Mismatch{Field: "return", Expected: sr.ExpectRet, Observed: retName(o.Ret)})
			}
			sr.Mismatches = append(sr.Mismatches, Diff(sr.Expected, o.Snap)...)
			if len(sr.Mismatches) == 0 {
				sr.Mismatches = []Mismatch{{Field: "combination", Expected: fmt.Sprintf("one of %d settled states", len(cands)), Observed: o.Snap.String()}}
			}
			res.Steps = append(res.Steps, sr)
			res.FailStep = k + 1
			break
		}
		cands = keep
		res.Steps = append(res.Steps, sr)
		if sr.Corrupt {
			break
		}
	}
	return res
}

func retName(r string) string {
	if r == "" {
		return "(none)"
	}
	return r
}

// Text renders a walk result for people.
func (r *WalkResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "walk %s (%s): %s\n", r.Walk.Name, r.Walk.Origin, FormatOps(r.Walk.Ops))
	if r.Walk.Model != "" {
		fmt.Fprintf(&b, "  model trace: %s\n", r.Walk.Model)
	}
	for _, s := range r.Steps {
		tag := "ok"
		switch {
		case s.Missing:
			tag = "NOT OBSERVED"
		case len(s.Mismatches) > 0:
			tag = "MISMATCH"
		}
		switch {
		case s.ExpectRet != "" && s.Refused:
			tag += fmt.Sprintf(" (returned %s, refused by the model)", retName(s.Ret))
		case s.ExpectRet != "":
			tag += fmt.Sprintf(" (returned %s)", retName(s.Ret))
		case s.Refused:
			tag += " (a no-op in the model: must change nothing)"
		}
		fmt.Fprintf(&b, "  step %d %-22s %s\n", s.Step, s.Op.String(), tag)
		if len(s.Mismatches) > 0 || r.FailStep == s.Step {
			fmt.Fprintf(&b, "    expected: %s  (%d settled state(s))\n    observed: %s\n", s.Expected, s.Candidates, s.Observed)
			for _, mm := range s.Mismatches {
				fmt.Fprintf(&b, "    %s\n", mm)
			}
		}
		for _, l := range s.Reports {
			fmt.Fprintf(&b, "    kernel: %s\n", l)
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "  error: %s\n", e)
	}
	return b.String()
}
