package reproduce

import (
	"fmt"
	"regexp"
	"strings"

	"cabacheck/invariants"
	"cabacheck/kernel"
	"cabacheck/spec/linux"
	"cabacheck/state"
	"cabacheck/traces"
)

// Config tunes Generate.
type Config struct {
	// Name of the program (the file is Name.c); "" derives
	// caba_repro_REV_INVARIANT from the trace.
	Name string
	// Origin says where the trace comes from (printed in the program).
	Origin string
	// Revisions whose states are embedded besides the trace's own (which is
	// always first); nil means every registered revision.
	Revisions []linux.Revision
}

// Program is a generated reproducer: what Render writes as C.
type Program struct {
	Name       string
	Origin     string
	Revision   string // the trace's revision
	Tasks      int
	Actions    string
	ModelTrace string // the model's actions
	Ops        []kernel.Op
	Invariant  string   // "" when the trace violates nothing
	Failure    []string // why the model's last state violates it
	ViolStep   int      // the syscall step after which the model violates it (1-based), 0 for none
	KASAN      string   // what a KASAN kernel of the trace's revision reports at ViolStep
	Revisions  []string // bit r of a pattern is Revisions[r]; [0] is the trace's
	Dropped    []string // revisions left out, with why (the trace cannot be performed in them)
	Steps      []Step
}

// Step is one syscall-level step and the states the model allows after it.
type Step struct {
	Op       kernel.Op
	COp      string // the C runtime's op constant
	A, B, C  int    // its arguments (see struct step in the template)
	What     string
	Ret      string // setsid/setpgid: the return all states agree on, else ""
	Skip     uint32 // slots not read (their caba is released in some state)
	Probe    uint32 // violation step: slots whose status a child reads
	Pat0     int    // index of the first pattern in the program's table
	Patterns []Pattern
}

// Pattern is one settled state in the harness's snapshot notation, with the
// revisions that allow it and those of them in which it violates the
// invariant.
type Pattern struct {
	Revs, Viol uint32
	Snap       kernel.Snapshot
}

// ThreadsInvariant: the invariant is visible in NScaba alone.
func (p *Program) ThreadsInvariant() bool { return p.Invariant == "ThreadsAgreeOnCaba" }

// OpsLine renders the syscall-level steps on one line.
func (p *Program) OpsLine() string { return kernel.FormatOps(p.Ops) }

// RevisionList names the embedded revisions.
func (p *Program) RevisionList() string {
	s := strings.Join(p.Revisions, ", ")
	if len(p.Dropped) > 0 {
		s += " (not: " + strings.Join(p.Dropped, "; ") + ")"
	}
	return s
}

// FailureLine is the model's explanation on one line.
func (p *Program) FailureLine() string { return strings.Join(p.Failure, "; ") }

var badName = regexp.MustCompile(`[^A-Za-z0-9_]`)

// revModel is one embedded revision while the steps are expanded.
type revModel struct {
	m     *linux.Model
	view  kernel.CabaView
	cands []state.State
}

// Generate builds the reproducer of trace tr.
func Generate(tr *traces.Trace, cfg Config) (*Program, error) {
	if tr == nil || len(tr.Steps) < 2 {
		return nil, fmt.Errorf("the trace has no steps")
	}
	opts := tr.Options
	own, err := linux.New(opts)
	if err != nil {
		return nil, fmt.Errorf("trace options: %w", err)
	}
	p := &Program{Name: cfg.Name, Origin: cfg.Origin, Revision: opts.Revision.String(), Tasks: opts.Tasks,
		Actions: opts.Actions.String(), ModelTrace: tr.Summary(), Invariant: tr.Invariant, Failure: tr.Failure}
	if p.Name == "" {
		p.Name = "caba_repro_" + p.Revision
		if p.Invariant != "" {
			p.Name += "_" + p.Invariant
		}
	}
	p.Name = badName.ReplaceAllString(p.Name, "_")
	if p.Origin == "" {
		p.Origin = "a " + p.Revision + " trace"
	}
	if opts.Tasks > 15 {
		return nil, fmt.Errorf("%d tasks: the reproducer handles at most 15", opts.Tasks)
	}
	var inv invariants.Invariant
	if tr.Invariant != "" {
		var ok bool
		inv, ok = invariants.ByName(tr.Invariant, opts.Revision)
		if !ok {
			return nil, fmt.Errorf("unknown invariant %s", tr.Invariant)
		}
		ops, k, err := kernel.RealizeViolation(own, tr.Actions(), inv)
		if err != nil {
			return nil, fmt.Errorf("realising the trace as syscalls: %w", err)
		}
		p.Ops, p.ViolStep = ops, k
		p.KASAN = kasanPrediction(tr, inv)
	} else {
		p.Ops, err = kernel.Realize(own, tr.Actions(), false)
		if err != nil {
			return nil, fmt.Errorf("realising the trace as syscalls: %w", err)
		}
	}
	revs := []revModel{{m: own, view: kernel.ViewFor(opts.Revision)}}
	p.Revisions = []string{p.Revision}
	others := cfg.Revisions
	if others == nil {
		others = linux.Revisions()
	}
	for _, r := range others {
		if r == opts.Revision {
			continue
		}
		o := opts
		o.Revision = r
		m, err := linux.New(o)
		if err != nil {
			p.Dropped = append(p.Dropped, fmt.Sprintf("%s: %v", r, err))
			continue
		}
		if _, err := kernel.Finals(m, p.Ops); err != nil {
			p.Dropped = append(p.Dropped, fmt.Sprintf("%s: %v", r, err))
			continue
		}
		revs = append(revs, revModel{m: m, view: kernel.ViewFor(r)})
		p.Revisions = append(p.Revisions, r.String())
	}
	if len(revs) > 31 {
		return nil, fmt.Errorf("%d revisions: the reproducer handles at most 31", len(revs))
	}
	for i := range revs {
		revs[i].cands = []state.State{revs[i].m.Initial()}
	}
	for k, op := range p.Ops {
		st, err := cStep(&revs[0].cands[0], op)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", k+1, err)
		}
		var outs []kernel.Outcome
		for i := range revs {
			next, o, err := kernel.Expand2(revs[i].m, revs[i].cands, op)
			if err != nil {
				return nil, fmt.Errorf("step %d (%s) under %s: %w", k+1, op, p.Revisions[i], err)
			}
			revs[i].cands = next
			if i == 0 {
				outs = o
			}
			for c := range next {
				st.Skip |= next[c].DanglingCabas()
			}
		}
		if op.Kind == kernel.OpSetsid || op.Kind == kernel.OpSetpgid {
			st.Ret = agreedRet(outs)
		}
		if k+1 == p.ViolStep {
			for c := range revs[0].cands {
				st.Probe |= revs[0].cands[c].DanglingCabas()
			}
		}
		st.Patterns = patterns(revs, st.Skip, inv, p.Invariant != "")
		p.Steps = append(p.Steps, st)
	}
	p.number()
	return p, nil
}

// number sets every step's first pattern index (after edits too).
func (p *Program) number() {
	n := 0
	for i := range p.Steps {
		p.Steps[i].Pat0 = n
		n += len(p.Steps[i].Patterns)
	}
}

// agreedRet is the return every outcome agrees on, or "".
func agreedRet(outs []kernel.Outcome) string {
	if len(outs) == 0 {
		return ""
	}
	r := outs[0].Ret
	for _, o := range outs[1:] {
		if o.Ret != r {
			return ""
		}
	}
	if r == kernel.RetAnyError {
		return ""
	}
	return r
}

// patterns renders every revision's settled states, merging equal ones.
func patterns(revs []revModel, skip uint32, inv invariants.Invariant, haveInv bool) []Pattern {
	var out []Pattern
	index := map[string]int{}
	for r := range revs {
		acts := revs[r].m.Options().Actions
		for c := range revs[r].cands {
			s := &revs[r].cands[c]
			snap := kernel.Predict(s, revs[r].view, acts)
			for k := range snap {
				// after a use-after-free the caba values are whatever the
				// kernel read from freed memory: not predicted
				if s.Corrupt && snap[k][kernel.FCaba] != "-" {
					snap[k][kernel.FCaba] = kernel.Any
				}
				if skip&(1<<(k+1)) != 0 {
					for f := range snap[k] {
						snap[k][f] = kernel.Any
					}
				}
				// a child of an unread thread is found in no children list read
				if par := s.Parent[k+1]; par != 0 && skip&(1<<par) != 0 && snap[k][kernel.FParent] != "-" {
					snap[k][kernel.FParent] = kernel.Any
				}
			}
			key := snap.String()
			i, ok := index[key]
			if !ok {
				i = len(out)
				index[key] = i
				out = append(out, Pattern{Snap: snap})
			}
			out[i].Revs |= 1 << r
			if haveInv && !inv.Holds(s) {
				out[i].Viol |= 1 << r
			}
		}
	}
	return out
}

// cStep maps op, performed in the settled state s, onto the C runtime's
// step (the same arguments as the harness's STEP lines).
func cStep(s *state.State, op kernel.Op) (Step, error) {
	st := Step{Op: op, A: int(op.T), What: op.String()}
	switch op.Kind {
	case kernel.OpFork, kernel.OpForkParent, kernel.OpClone:
		n := kernel.NewSlot(s, op)
		if n == 0 {
			return st, fmt.Errorf("%s: no free slot", op)
		}
		st.B = int(n)
		st.COp = map[kernel.OpKind]string{kernel.OpFork: "OP_FORK", kernel.OpForkParent: "OP_FORKPARENT", kernel.OpClone: "OP_CLONE"}[op.Kind]
	case kernel.OpSubreaper:
		st.COp = "OP_SUBREAPER"
		if op.On {
			st.B = 1
		}
	case kernel.OpIgnChld:
		st.COp = "OP_IGNCHLD"
	case kernel.OpExit:
		st.COp = "OP_EXIT"
	case kernel.OpExitGroup:
		st.COp = "OP_EXITGROUP"
	case kernel.OpWait:
		st.COp, st.B = "OP_WAIT", int(op.C)
	case kernel.OpExec:
		st.COp, st.B = "OP_EXEC", int(s.Leader[s.Tg[op.T]])
	case kernel.OpExecve:
		st.COp, st.B = "OP_EXEC", int(op.T)
	case kernel.OpSetsid:
		st.COp = "OP_SETSID"
	case kernel.OpSetpgid:
		st.COp, st.B, st.C = "OP_SETPGID", int(op.C), int(op.P)
	default:
		return st, fmt.Errorf("%s has no syscall in the reproducer", op)
	}
	return st, nil
}
