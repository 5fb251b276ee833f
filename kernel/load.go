package kernel

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"cabacheck/invariants"
	"cabacheck/scenario"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/traces"
)

// LoadWalk reads a trace from a file and turns it into a walk for model m:
//   - a JSON trace (cabacheck check --trace-out X.json): its actions are
//     realised; when it records a violated invariant, the walk is cut at
//     the syscall step that violates it;
//   - a scenario file (cabacheck scenario format): the actions of its step
//     and run directives;
//   - a text file of model actions (Fork(1) ExitBegin(2) Reap(1, 2) ...)
//     or of syscall-level steps (Fork(1) Exit(2) Wait(1, 2) ...).
//
// '#' starts a comment in text files.
func LoadWalk(m *linux.Model, path string) (Walk, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Walk{}, err
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	w := Walk{Name: name, Origin: path}
	var acts []spec.Action
	inv := ""
	text := string(data)
	switch {
	case strings.HasSuffix(path, ".json"):
		tr, err := traces.ReadJSON(data)
		if err != nil {
			return w, err
		}
		acts, inv = tr.Actions(), tr.Invariant
		if inv != "" {
			own, err := linux.New(tr.Options)
			if err != nil {
				return w, err
			}
			iv, ok := invariants.ByName(inv, tr.Options.Revision)
			if !ok {
				return w, fmt.Errorf("%s: unknown invariant %s", path, inv)
			}
			ops, k, err := RealizeViolation(own, acts, iv)
			if err != nil {
				return w, err
			}
			w.Ops = append(ops, Op{Kind: OpRead})
			w.Expect = fmt.Sprintf("%s violated under %s", inv, tr.Options.Revision)
			w.Revision, w.Invariant, w.ViolStep = tr.Options.Revision.String(), inv, k
			w.Model = tr.Summary()
			_, err = Finals(m, w.Ops)
			return w, err
		}
	case strings.Contains(text, "\n----"):
		acts, err = scenarioActions(text)
		if err != nil {
			return w, err
		}
	default:
		text = stripHash(text)
		if a, err := parseModelActions(text); err == nil {
			acts = a
		} else {
			ops, err2 := ParseOps(text)
			if err2 != nil {
				return w, fmt.Errorf("%s: neither model actions (%v) nor syscall steps (%v)", path, err, err2)
			}
			if len(ops) == 0 {
				return w, fmt.Errorf("%s: no steps to replay", path)
			}
			w.Ops = ops
			_, err := Finals(m, ops)
			return w, err
		}
	}
	var sum []string
	for _, a := range acts {
		sum = append(sum, linux.FormatAction(a))
	}
	w.Model = strings.Join(sum, " ")
	if inv != "" {
		iv, ok := invariants.ByName(inv, m.Options().Revision)
		if !ok {
			return w, fmt.Errorf("%s: unknown invariant %s", path, inv)
		}
		ops, _, err := RealizeViolation(m, acts, iv)
		if err != nil {
			return w, err
		}
		w.Ops = append(ops, Op{Kind: OpRead})
		w.Expect = inv + " violated"
		return w, nil
	}
	if len(acts) == 0 {
		return w, fmt.Errorf("%s: no steps to replay", path)
	}
	w.Ops, err = Realize(m, acts, false)
	return w, err
}

func stripHash(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if i := strings.Index(l, "#"); i >= 0 {
			l = l[:i]
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func parseModelActions(s string) ([]spec.Action, error) {
	var acts []spec.Action
	for _, f := range splitOps(s) {
		a, err := linux.ParseAction(f)
		if err != nil {
			return nil, err
		}
		acts = append(acts, a)
	}
	if len(acts) == 0 {
		return nil, fmt.Errorf("no actions")
	}
	return acts, nil
}

// scenarioActions collects the actions of the step and run directives of a
// scenario file.
func scenarioActions(text string) ([]spec.Action, error) {
	f, err := scenario.Parse("scenario", strings.NewReader(text))
	if err != nil {
		return nil, err
	}
	var acts []spec.Action
	for _, d := range f.Directives {
		var lines []string
		switch d.Cmd {
		case "step":
			lines = []string{strings.Join(d.Args, " ")}
		case "run":
			lines = d.Input
		default:
			continue
		}
		for _, l := range lines {
			if strings.TrimSpace(l) == "" {
				continue
			}
			a, err := linux.ParseAction(l)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", d.Line, err)
			}
			acts = append(acts, a)
		}
	}
	return acts, nil
}
