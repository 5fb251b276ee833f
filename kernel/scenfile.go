package kernel

import (
	"fmt"
	"slices"
	"strings"

	"cabacheck/scenario"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// A scenario file replayed on a kernel keeps what it says: its expected
// outputs are first checked against the model (scenario.Run), and then every
// directive is placed on the syscall-level walk. A directive that leaves the
// model in a settled state is compared with the kernel there (the kernel
// must show the file's state, or another interleaving the model allows, which
// is said); one that leaves it mid-syscall (a task PF_EXITING or EXIT_DEAD, an
// exec under way) names an interleaving the kernel cannot be forced into:
// the kernel runs through it inside one syscall, and only the next settled
// point is compared. A `disabled` directive at a settled point whose action
// is a call the harness performs as a refusal becomes a refusal step.

// ScenarioPoint is one directive of a scenario on the walk.
type ScenarioPoint struct {
	Line      int
	Directive string // "step Fork(1)", "run Fork(1) ... (3 actions)", "disabled Reap(1, 2)", "check ..."
	// Step is the walk's step after which the directive's state is the
	// kernel's (0: before the first step, or none).
	Step int
	// State is the scenario's model state after the directive; Settled
	// whether the kernel can be observed in it.
	State   state.State
	Settled bool
	// Unforced says why the kernel cannot be forced into this point ("" it
	// can); Refusal: a disabled directive performed as step Step.
	Unforced string
	Refusal  bool
	HasCheck bool // the directive has an expected output
}

// ScenarioReplay is a scenario file as a walk, with its expectations.
type ScenarioReplay struct {
	Walk     Walk
	Revision linux.Revision // the revision whose expectations are replayed
	// Expectations is the number of directives with an expected output under
	// Revision; Failures those the model does not meet (scenario.Run).
	Expectations int
	Failures     []string
	Points       []ScenarioPoint
	Note         string // why Revision was chosen, when the file has several
	// Actions are the file's action sets: the fields its states track (a
	// file without sessions and execve does not track execd).
	Actions linux.ActionSet
}

// LoadScenario reads a scenario file and places it on a walk for the
// compared model m. The expectations are those of m's revision when the file
// runs under it, else of the file's first revision.
func LoadScenario(m *linux.Model, path string) (*ScenarioReplay, error) {
	f, err := scenario.ParseFile(path)
	if err != nil {
		return nil, err
	}
	cfg, err := f.ParseConfig()
	if err != nil {
		return nil, err
	}
	if cfg.Tasks > m.Options().Tasks {
		return nil, fmt.Errorf("%s: the scenario has %d tasks, the model %d (--tasks)", path, cfg.Tasks, m.Options().Tasks)
	}
	sr := &ScenarioReplay{Revision: cfg.Revisions[0], Actions: cfg.Actions}
	if want := m.Options().Revision; slices.Contains(cfg.Revisions, want) {
		sr.Revision = want
	} else if len(cfg.Revisions) > 1 {
		sr.Note = fmt.Sprintf("the file's expectations are for %s; those of %s are replayed", revList(cfg.Revisions), sr.Revision)
	}
	res, err := f.Run(cfg, sr.Revision)
	if err != nil {
		return nil, err
	}
	sr.Failures = res.Failures
	sm, err := linux.New(linux.Options{Tasks: cfg.Tasks, Revision: sr.Revision, Actions: cfg.Actions})
	if err != nil {
		return nil, err
	}
	cur := sm.Initial()
	var acts []spec.Action // the file's actions so far
	var refusals []Op      // refusal steps, inserted after realised step at[i]
	var at []int
	realised := 0 // steps realised from acts
	var next state.State
	for _, d := range f.Directives[1:] {
		if !d.RunsUnder(sr.Revision) {
			continue
		}
		if d.HasExpect {
			sr.Expectations++
		}
		p := ScenarioPoint{Line: d.Line, HasCheck: d.HasExpect}
		switch d.Cmd {
		case "step", "run":
			texts := d.Input
			if len(d.Args) > 0 {
				texts = append([]string{strings.Join(d.Args, "")}, texts...)
			}
			var names []string
			for _, t := range texts {
				if strings.TrimSpace(t) == "" {
					continue
				}
				a, err := linux.ParseAction(t)
				if err != nil {
					return nil, fmt.Errorf("%s:%d: %w", path, d.Line, err)
				}
				if !sm.Step(&cur, a, &next) {
					return nil, fmt.Errorf("%s:%d: %s is not enabled under %s", path, d.Line, linux.FormatAction(a), sr.Revision)
				}
				cur = next
				acts = append(acts, a)
				names = append(names, linux.FormatAction(a))
			}
			p.Directive = d.Cmd + " " + strings.Join(names, " ")
			ops, err := Realize(m, acts, false)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, d.Line, err)
			}
			realised = len(ops)
		case "disabled":
			a, err := linux.ParseAction(strings.Join(d.Args, ""))
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, d.Line, err)
			}
			p.Directive = "disabled " + linux.FormatAction(a)
		default:
			p.Directive = strings.TrimSpace(d.Cmd + " " + strings.Join(append(append([]string(nil), d.Args...), d.Input...), " "))
		}
		p.State = cur
		p.Settled = settled(&cur)
		p.Step = realised + len(refusals)
		if !p.Settled {
			p.Unforced = "mid-syscall in the model (" + unsettledWhy(&cur) + "): the kernel runs through it inside one syscall; the next settled point is compared"
		}
		if d.Cmd == "disabled" && p.Settled {
			a, _ := linux.ParseAction(strings.Join(d.Args, ""))
			op, ok := opOfAction(&cur, a)
			if ok {
				ops, err := Realize(m, acts, false)
				if err != nil {
					return nil, err
				}
				ops = withRefusals(ops, refusals, at)
				cands, err := Finals(m, ops)
				if err != nil {
					return nil, err
				}
				_, outs, err := Expand2(m, cands, op)
				refused := err == nil
				for _, o := range outs {
					refused = refused && o.Refused
				}
				if refused {
					refusals = append(refusals, op)
					at = append(at, realised)
					p.Step = realised + len(refusals)
					p.Refusal = true
					if op.String() != linux.FormatAction(a) {
						p.Directive += " as " + op.String()
					}
				} else {
					p.Unforced = "not a call the harness performs as a refusal in this state (it names no process of the walk, or the model leaves it out by choice)"
				}
			} else {
				p.Unforced = "the action is no syscall of its own (the kernel runs it inside another)"
			}
		}
		sr.Points = append(sr.Points, p)
	}
	ops, err := Realize(m, acts, false)
	if err != nil {
		return nil, err
	}
	if len(ops)+len(refusals) == 0 {
		return nil, fmt.Errorf("%s: no steps to replay", path)
	}
	var sum []string
	for _, a := range acts {
		sum = append(sum, linux.FormatAction(a))
	}
	sr.Walk = Walk{Name: strings.TrimSuffix(baseName(path), ".txt"), Ops: withRefusals(ops, refusals, at), Origin: path, Model: strings.Join(sum, " ")}
	return sr, nil
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func revList(revs []linux.Revision) string {
	var n []string
	for _, r := range revs {
		n = append(n, r.String())
	}
	return strings.Join(n, ", ")
}

// withRefusals inserts refusal step i after realised step at[i].
func withRefusals(ops, refusals []Op, at []int) []Op {
	var out []Op
	j := 0
	for i := 0; i <= len(ops); i++ {
		for j < len(refusals) && at[j] == i {
			out = append(out, refusals[j])
			j++
		}
		if i < len(ops) {
			out = append(out, ops[i])
		}
	}
	return out
}

// settled reports whether s is a state the kernel can be observed in: no
// task PF_EXITING or EXIT_DEAD, no exec under way.
func settled(s *state.State) bool { return unsettledWhy(s) == "" }

func unsettledWhy(s *state.State) string {
	var why []string
	for i := uint8(1); i <= s.N; i++ {
		switch s.St[i] {
		case state.Exiting:
			why = append(why, fmt.Sprintf("task %d PF_EXITING", i))
		case state.Dead:
			why = append(why, fmt.Sprintf("task %d EXIT_DEAD", i))
		}
		if s.Tg[i] == i && s.St[i] != state.Unborn && s.Exec[i] != state.None {
			why = append(why, fmt.Sprintf("exec by %d under way in process %d", s.Exec[i], i))
		}
		if s.Pidns[i] == i && i != 1 && s.PidnsZap[i] != 0 {
			why = append(why, fmt.Sprintf("zap_pid_ns_processes of namespace %d under way", i))
		}
		if s.St[i] == state.Running && s.Killed(i) {
			why = append(why, fmt.Sprintf("task %d killed by the zap", i))
		}
	}
	return strings.Join(why, ", ")
}

// opOfAction is the syscall a model action starts, for a disabled directive.
func opOfAction(s *state.State, a spec.Action) (Op, bool) {
	t := a.A()
	switch a.Kind() {
	case linux.KFork:
		return Op{Kind: OpFork, T: t}, true
	case linux.KForkParent:
		return Op{Kind: OpForkParent, T: t}, true
	case linux.KClone:
		return Op{Kind: OpClone, T: t}, true
	case linux.KSetSubreaper:
		return Op{Kind: OpSubreaper, T: t, On: a.B() != 0}, true
	case linux.KIgnoreSigchld:
		return Op{Kind: OpIgnChld, T: t}, true
	case linux.KReap:
		return Op{Kind: OpWait, T: t, C: a.B()}, true
	case linux.KSetsid:
		return Op{Kind: OpSetsid, T: t}, true
	case linux.KSetpgid:
		return Op{Kind: OpSetpgid, T: t, C: a.B() >> 4, P: a.B() & 15}, true
	case linux.KExecve:
		return Op{Kind: OpExecve, T: t}, true
	case linux.KForkNewpid:
		return Op{Kind: OpForkNewpid, T: t}, true
	}
	return Op{}, false
}

// Judge says, for every directive, what the kernel showed there: the
// file's state, another interleaving the model allows, a refusal as the file
// says, or why the kernel cannot be forced into it; and the expectations the
// model itself no longer meets. r is the comparison of sr.Walk.
func (sr *ScenarioReplay) Judge(r *WalkResult, caba CabaView) []string {
	var out []string
	if sr.Note != "" {
		out = append(out, sr.Note)
	}
	out = append(out, fmt.Sprintf("expectations: %d directives with an expected output under %s; the model meets %d of them (scenario.Run)",
		sr.Expectations, sr.Revision, sr.Expectations-len(sr.Failures)))
	for _, f := range sr.Failures {
		out = append(out, "  the model departs from the file: "+strings.SplitN(f, "\n", 2)[0])
	}
	var unforced []string
	kernelSame, kernelOther, notReached := 0, 0, 0
	for _, p := range sr.Points {
		var what string
		switch {
		case p.Unforced != "":
			what = "cannot be forced: " + p.Unforced
			unforced = append(unforced, fmt.Sprint(p.Line))
		case p.Step == 0:
			what = "before the first step (the initial state)"
		case p.Step > len(r.Steps) || r.Steps[p.Step-1].Observed == nil || len(r.Steps[p.Step-1].Mismatches) > 0:
			what = fmt.Sprintf("not reached: the comparison stopped at or before step %d", p.Step)
			notReached++
		default:
			st := r.Steps[p.Step-1]
			if p.Refusal {
				what = fmt.Sprintf("step %d: the kernel refused it (returned %s) and changed nothing, as the file says", p.Step, retName(st.Ret))
				kernelSame++
				break
			}
			if matchesFewer(Predict(&p.State, caba, sr.Actions), st.Observed) {
				what = fmt.Sprintf("step %d: the kernel shows the file's state", p.Step)
				kernelSame++
			} else {
				what = fmt.Sprintf("step %d: the kernel took another interleaving than the file's (one of the %d settled states the model allows): the file's cannot be forced", p.Step, st.Candidates)
				kernelOther++
				unforced = append(unforced, fmt.Sprint(p.Line))
			}
		}
		out = append(out, fmt.Sprintf("  line %d %s: %s", p.Line, p.Directive, what))
	}
	sum := fmt.Sprintf("directives: %d placed on the kernel as the file has them, %d in another interleaving, %d not reached", kernelSame, kernelOther, notReached)
	if len(unforced) > 0 {
		sum += "; interleavings the kernel cannot be forced into: lines " + strings.Join(unforced, ", ")
	}
	return append(out, sum)
}

// matchesFewer is Matches for a prediction of a scenario with fewer tasks
// than the compared model: the kernel's extra slots must be unborn.
func matchesFewer(p, o Snapshot) bool {
	if len(p) > len(o) {
		return false
	}
	for _, t := range o[len(p):] {
		if t[FState] != "U" {
			return false
		}
	}
	return Matches(p, o[:len(p)])
}

// ScenarioConfig returns the tasks and action sets of a scenario file, and
// false when path is not a scenario (a command replaying it takes them as
// its defaults).
func ScenarioConfig(path string) (int, linux.ActionSet, bool) {
	f, err := scenario.ParseFile(path)
	if err != nil {
		return 0, 0, false
	}
	cfg, err := f.ParseConfig()
	if err != nil {
		return 0, 0, false
	}
	return cfg.Tasks, cfg.Actions, true
}
