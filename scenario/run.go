package scenario

import (
	"fmt"
	"strconv"
	"strings"

	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
	"cabacheck/traces"
)

// Config is a scenario's config directive.
type Config struct {
	Tasks     int
	Revisions []linux.Revision
	Actions   linux.ActionSet
}

// ParseConfig reads the config directive.
func (f *File) ParseConfig() (Config, error) {
	d := f.Directives[0]
	c := Config{Tasks: 0, Revisions: linux.Revisions(), Actions: linux.AllActions}
	for _, a := range d.Args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return c, fmt.Errorf("%s:%d: config: want key=value, got %q", f.Path, d.Line, a)
		}
		switch k {
		case "tasks":
			n, err := strconv.Atoi(v)
			if err != nil {
				return c, fmt.Errorf("%s:%d: config: tasks=%q is not a number", f.Path, d.Line, v)
			}
			c.Tasks = n
		case "revisions", "revision":
			revs, err := linux.ParseRevisions(v)
			if err != nil {
				return c, fmt.Errorf("%s:%d: config: %w", f.Path, d.Line, err)
			}
			c.Revisions = revs
		case "actions":
			as, err := linux.ParseActions(v)
			if err != nil {
				return c, fmt.Errorf("%s:%d: config: %w", f.Path, d.Line, err)
			}
			c.Actions = as
		default:
			return c, fmt.Errorf("%s:%d: config: unknown key %q (want tasks, revisions, actions)", f.Path, d.Line, k)
		}
	}
	if err := (linux.Options{Tasks: c.Tasks, Actions: c.Actions}).Validate(); err != nil {
		return c, fmt.Errorf("%s:%d: config: %w", f.Path, d.Line, err)
	}
	return c, nil
}

// Result is the outcome of running a file under one revision.
type Result struct {
	Revision linux.Revision
	Outputs  []string // per directive (empty for skipped ones)
	Failures []string // expectation mismatches and errors, with file:line
	Trace    *traces.Trace
}

// Runner executes a scenario under one revision.
type Runner struct {
	m     *linux.Model
	cur   state.State
	steps []spec.Action
}

// Run executes the file under revision rev.
func (f *File) Run(cfg Config, rev linux.Revision) (*Result, error) {
	m, err := linux.New(linux.Options{Tasks: cfg.Tasks, Revision: rev, Actions: cfg.Actions})
	if err != nil {
		return nil, err
	}
	r := &Runner{m: m, cur: m.Initial()}
	res := &Result{Revision: rev, Outputs: make([]string, len(f.Directives))}
	for i, d := range f.Directives {
		if i == 0 {
			continue
		}
		if len(d.Only) > 0 && !contains(d.Only, rev.String()) {
			continue
		}
		out, err := r.exec(d)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", f.Path, d.Line, err)
		}
		res.Outputs[i] = out
		if d.HasExpect && out != d.Expected {
			res.Failures = append(res.Failures, fmt.Sprintf("%s:%d: %s (revision %s): output differs\n--- expected\n%s\n--- got\n%s", f.Path, d.Line, d.Cmd, rev, d.Expected, out))
		}
	}
	res.Trace, _ = traces.Build(m, r.steps)
	return res, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}

func (r *Runner) apply(text string) (string, error) {
	a, err := linux.ParseAction(text)
	if err != nil {
		return "", err
	}
	var next state.State
	if !r.m.Step(&r.cur, a, &next) {
		return "", fmt.Errorf("step %s is not enabled (revision %s)%s", linux.FormatAction(a), r.m.Options().Revision, whyDisabled(&r.cur, a))
	}
	ev := traces.Describe(r.m.Options().Revision, &r.cur, &next, a)
	r.cur = next
	r.steps = append(r.steps, a)
	return ev, nil
}

// whyDisabled gives a hint for the commonest reasons an action is refused.
func whyDisabled(s *state.State, a spec.Action) string {
	t := a.A()
	if t == 0 || t > s.N {
		return fmt.Sprintf(": no task %d within the budget of %d", t, s.N)
	}
	if s.Corrupt {
		return ": the state is corrupt (a use-after-free happened)"
	}
	return fmt.Sprintf(": task %d is %s", t, traces.StatusWord(s.St[t]))
}

func (r *Runner) exec(d *Directive) (string, error) {
	switch d.Cmd {
	case "step":
		if len(d.Args) == 0 {
			return "", fmt.Errorf("step takes one action, e.g. 'step Fork(1)'")
		}
		ev, err := r.apply(strings.Join(d.Args, ""))
		if err != nil {
			return "", err
		}
		return ev + "\n" + strings.TrimRight(traces.Tree(&r.cur), "\n"), nil
	case "run":
		var out []string
		acts := d.Input
		if len(d.Args) > 0 {
			acts = append([]string{strings.Join(d.Args, "")}, d.Input...)
		}
		for _, in := range acts {
			ev, err := r.apply(in)
			if err != nil {
				return "", err
			}
			out = append(out, ev)
		}
		out = append(out, strings.TrimRight(traces.Tree(&r.cur), "\n"))
		return strings.Join(out, "\n"), nil
	case "tree":
		return strings.TrimRight(traces.Tree(&r.cur), "\n"), nil
	case "caba", "parent", "status":
		var out []string
		for _, a := range d.Args {
			n, err := strconv.Atoi(a)
			if err != nil || n < 1 || n > int(r.cur.N) {
				return "", fmt.Errorf("%s: bad task %q", d.Cmd, a)
			}
			t := uint8(n)
			switch d.Cmd {
			case "caba":
				out = append(out, fmt.Sprintf("caba(%d)=%d", t, r.cur.Caba[t]))
			case "parent":
				out = append(out, fmt.Sprintf("parent(%d)=%d", t, r.cur.Parent[t]))
			case "status":
				out = append(out, fmt.Sprintf("status(%d)=%s", t, r.cur.St[t]))
			}
		}
		return strings.Join(out, " "), nil
	case "check":
		list := "all"
		if len(d.Args) > 0 {
			list = strings.Join(d.Args, ",")
		}
		invs, err := invariants.Select(list, r.m.Options().Revision)
		if err != nil {
			return "", err
		}
		var out []string
		for _, inv := range invs {
			why := inv.Explain(&r.cur)
			if why == nil {
				out = append(out, inv.Name+": holds")
			} else {
				out = append(out, inv.Name+": violated: "+strings.Join(why, "; "))
			}
		}
		return strings.Join(out, "\n"), nil
	case "disabled":
		a, err := linux.ParseAction(strings.Join(d.Args, ""))
		if err != nil {
			return "", err
		}
		var next state.State
		if r.m.Step(&r.cur, a, &next) {
			return linux.FormatAction(a) + " is enabled", nil
		}
		return linux.FormatAction(a) + " is disabled", nil
	case "config":
		return "", fmt.Errorf("config must be the first directive, and only once")
	}
	return "", fmt.Errorf("unknown directive %q (want step, run, tree, caba, parent, status, check, disabled)", d.Cmd)
}
