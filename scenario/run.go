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

// ParseConfig reads the config directive and checks every directive's task
// numbers against its tasks. Malformed input is an *InputError.
func (f *File) ParseConfig() (Config, error) {
	c := Config{Tasks: 0, Revisions: linux.Revisions(), Actions: linux.AllActions}
	if len(f.Directives) == 0 || f.Directives[0].Cmd != "config" {
		return c, inputErr(f.Path, 0, "no config directive: not a scenario (it starts with 'config tasks=N ...')")
	}
	d := f.Directives[0]
	bad := func(format string, args ...any) error {
		return inputErr(f.Path, d.Line, "config: "+format, args...)
	}
	seen := map[string]bool{}
	for _, a := range d.Args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return c, bad("want key=value, got %s", quote(a))
		}
		if seen[k] {
			return c, bad("%s given twice", quote(k))
		}
		seen[k] = true
		switch k {
		case "tasks":
			n, err := strconv.Atoi(v)
			if err != nil || n < 2 || n > state.MaxTasks {
				return c, bad("tasks=%s is not a number in 2..%d (init plus at least one task)", quote(v), state.MaxTasks)
			}
			c.Tasks = n
		case "revisions", "revision":
			if seen["revisions"] && seen["revision"] {
				return c, bad("revision and revisions both given")
			}
			revs, err := linux.ParseRevisions(v)
			if err != nil {
				return c, bad("%v", err)
			}
			c.Revisions = revs
		case "actions":
			as, err := linux.ParseActions(v)
			if err != nil {
				return c, bad("%v", err)
			}
			c.Actions = as
		default:
			return c, bad("unknown key %s (want tasks, revisions, actions)", quote(k))
		}
	}
	if !seen["tasks"] {
		return c, bad("tasks=N is required (2..%d, init included)", state.MaxTasks)
	}
	if err := (linux.Options{Tasks: c.Tasks, Actions: c.Actions}).Validate(); err != nil {
		return c, bad("%v", err)
	}
	if err := f.checkBounds(c); err != nil {
		return c, err
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
	path  string
}

// Run executes the file under revision rev. The error, if any, is an
// *InputError (errors.Is ErrMalformed) for input ParseConfig would have
// refused, or (errors.Is ErrNotEnabled) a step that is not enabled: the
// scenario fails under rev. Expectation mismatches are Result.Failures.
func (f *File) Run(cfg Config, rev linux.Revision) (*Result, error) {
	if len(f.Directives) == 0 || f.Directives[0].Cmd != "config" {
		return nil, inputErr(f.Path, 0, "no config directive: not a scenario (it starts with 'config tasks=N ...')")
	}
	if cfg.Tasks < 2 || cfg.Tasks > state.MaxTasks {
		return nil, inputErr(f.Path, f.Directives[0].Line, "config: tasks=%d is not in 2..%d", cfg.Tasks, state.MaxTasks)
	}
	if err := f.checkBounds(cfg); err != nil {
		return nil, err
	}
	m, err := linux.New(linux.Options{Tasks: cfg.Tasks, Revision: rev, Actions: cfg.Actions})
	if err != nil {
		return nil, err
	}
	r := &Runner{m: m, cur: m.Initial(), path: f.Path}
	res := &Result{Revision: rev, Outputs: make([]string, len(f.Directives))}
	for i, d := range f.Directives {
		if i == 0 {
			continue
		}
		if !d.RunsUnder(rev) {
			continue
		}
		out, err := r.exec(d)
		if err != nil {
			return nil, err
		}
		res.Outputs[i] = out
		if d.HasExpect && out != d.Expected {
			res.Failures = append(res.Failures, fmt.Sprintf("%s:%d: %s (revision %s): output differs\n--- expected\n%s\n--- got\n%s", f.Path, d.Line, d.Cmd, rev, d.Expected, out))
		}
	}
	res.Trace, err = traces.Build(m, r.steps)
	if err != nil {
		return nil, fmt.Errorf("%s: building the trace: %w", f.Path, err)
	}
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

// apply takes action a, parsed from line.
func (r *Runner) apply(a spec.Action, line int) (string, error) {
	var next state.State
	if !r.m.Step(&r.cur, a, &next) {
		return "", &stepError{path: r.path, line: line, msg: fmt.Sprintf("step %s is not enabled (revision %s)%s", linux.FormatAction(a), r.m.Options().Revision, whyDisabled(&r.cur, a))}
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
	bad := func(format string, args ...any) error {
		return inputErr(r.path, d.Line, format, args...)
	}
	switch d.Cmd {
	case "step", "run":
		acts, lines, err := d.actions(r.path)
		if err != nil {
			return "", err
		}
		if d.Cmd == "step" && len(d.Input) > 0 {
			return "", bad("step takes no input lines")
		}
		var out []string
		for k, a := range acts {
			ev, err := r.apply(a, lines[k])
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
		if len(d.Args) == 0 {
			return "", bad("%s takes one or more task numbers", d.Cmd)
		}
		var out []string
		for _, a := range d.Args {
			n, err := parseTask(a)
			if err != nil || n > int(r.cur.N) {
				return "", bad("%s: bad task %s (want 1..%d)", d.Cmd, quote(a), r.cur.N)
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
		invs, err := invariants.Select(d.invariantList(), r.m.Options().Revision)
		if err != nil {
			return "", bad("check: %v", err)
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
		acts, _, err := d.actions(r.path)
		if err != nil {
			return "", err
		}
		a := acts[0]
		var next state.State
		if r.m.Step(&r.cur, a, &next) {
			return linux.FormatAction(a) + " is enabled", nil
		}
		return linux.FormatAction(a) + " is disabled", nil
	case "config":
		return "", bad("a second config directive (config must be the first directive, and only once)")
	}
	return "", bad("unknown directive %s (want one of %s)", quote(d.Cmd), strings.Join(directiveNames, ", "))
}
