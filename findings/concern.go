package findings

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"cabacheck/invariants"
	"cabacheck/scenario"
	"cabacheck/spec/linux"
	"cabacheck/traces"
)

// Expect is the expected verdict of a concern under one revision: the check
// is violated (with a shortest trace of Length steps when Length > 0), or
// holds (at the concern's bound).
type Expect struct {
	Revision linux.Revision
	Violated bool
	Length   int
}

// Concern is one review question with what decides it.
//
// A search concern explores the model at Tasks with Actions and checks Check
// (an invariant, a derived check, or OwnReading), stopping at the first
// violation: the verdict is the shortest trace, or "holds up to Tasks tasks"
// with the number of states. A scenario concern replays the scenario file
// testdata/concerns/Scenario (whose golden outputs must match) and evaluates
// Check on its final state.
type Concern struct {
	Name     string
	Question string
	Source   string // where the concern comes from (kernel-semantics.md items)
	Check    string
	Tasks    int             // search concerns
	Actions  linux.ActionSet // search concerns
	MaxDepth int             // search concerns: explore only this many steps (0: the whole space)
	Scenario string          // scenario concerns: file name in testdata/concerns
	Expect   []Expect
	Answer   string // the answer in words, as the verdicts are expected to show it
	Model    string // what the model needed for this concern (extensions), if anything
}

// IsScenario reports whether the concern replays a scenario.
func (c *Concern) IsScenario() bool { return c.Scenario != "" }

// Decider says what decides the concern, in one line.
func (c *Concern) Decider() string {
	if c.IsScenario() {
		return fmt.Sprintf("scenario %s, then %s on its final state", path.Join("testdata/concerns", c.Scenario), c.Check)
	}
	depth := ""
	if c.MaxDepth > 0 {
		depth = fmt.Sprintf(", to depth %d", c.MaxDepth)
	}
	return fmt.Sprintf("%s, breadth-first search at %d tasks, actions %s%s", c.Check, c.Tasks, c.Actions, depth)
}

// Revisions lists the revisions the concern is decided for.
func (c *Concern) Revisions() []linux.Revision {
	var r []linux.Revision
	for _, e := range c.Expect {
		r = append(r, e.Revision)
	}
	return r
}

// ExpectedText renders the expected verdicts, e.g. "v3: violated (6 steps); seed, v4, fixed: holds".
func (c *Concern) ExpectedText() string {
	var parts []string
	var holds []string
	for _, e := range c.Expect {
		switch {
		case !e.Violated:
			holds = append(holds, e.Revision.String())
		case e.Length > 0:
			parts = append(parts, fmt.Sprintf("%s: violated (%d steps)", e.Revision, e.Length))
		default:
			parts = append(parts, fmt.Sprintf("%s: violated", e.Revision))
		}
	}
	if len(holds) > 0 {
		parts = append(parts, strings.Join(holds, ", ")+": holds")
	}
	return strings.Join(parts, "; ")
}

// Outcome is a concern's verdict under one revision.
type Outcome struct {
	Revision    string       `json:"revision"`
	Check       string       `json:"check"` // the check actually evaluated (OwnReading resolved)
	Verdict     Verdict      `json:"verdict"`
	Exploration *Exploration `json:"exploration,omitempty"` // search concerns
	Expected    string       `json:"expected"`
	Reproduced  bool         `json:"reproduced"`
}

// Result is a concern's outcome under every revision it names.
type Result struct {
	Concern    *Concern  `json:"-"`
	Name       string    `json:"name"`
	Outcomes   []Outcome `json:"outcomes"`
	Reproduced bool      `json:"reproduced"`
}

// Run decides concern c. dir is the directory holding the concern scenario
// files (testdata/concerns).
func (c *Concern) Run(dir string, rc RunConfig) (*Result, error) {
	res := &Result{Concern: c, Name: c.Name, Reproduced: true}
	var file *scenario.File
	var cfg scenario.Config
	if c.IsScenario() {
		var err error
		if file, err = scenario.ParseFile(filepath.Join(dir, c.Scenario)); err != nil {
			return nil, fmt.Errorf("concern %s: %w", c.Name, err)
		}
		if cfg, err = file.ParseConfig(); err != nil {
			return nil, fmt.Errorf("concern %s: %w", c.Name, err)
		}
	}
	for _, e := range c.Expect {
		inv, err := Resolve(c.Check, e.Revision)
		if err != nil {
			return nil, fmt.Errorf("concern %s: %w", c.Name, err)
		}
		out := Outcome{Revision: e.Revision.String(), Check: inv.Name, Expected: expectWord(e)}
		if c.IsScenario() {
			v, err := runScenario(file, cfg, e.Revision, inv)
			if err != nil {
				return nil, fmt.Errorf("concern %s: %w", c.Name, err)
			}
			out.Verdict = v
		} else {
			opt := linux.Options{Tasks: c.Tasks, Revision: e.Revision, Actions: c.Actions}
			x, err := Explore(opt, []invariants.Invariant{inv}, false, Budget{MaxDepth: c.MaxDepth}, rc)
			if err != nil {
				return nil, fmt.Errorf("concern %s: %w", c.Name, err)
			}
			out.Exploration = x
			out.Verdict = x.Verdicts[0]
		}
		out.Reproduced = out.Verdict.Violated == e.Violated && (!e.Violated || e.Length == 0 || e.Length == out.Verdict.Length)
		res.Reproduced = res.Reproduced && out.Reproduced
		res.Outcomes = append(res.Outcomes, out)
	}
	return res, nil
}

func expectWord(e Expect) string {
	switch {
	case !e.Violated:
		return "holds"
	case e.Length > 0:
		return fmt.Sprintf("violated (%d steps)", e.Length)
	}
	return "violated"
}

// runScenario replays a concern scenario under rev, failing when its golden
// outputs differ, and evaluates inv on the final state.
func runScenario(f *scenario.File, cfg scenario.Config, rev linux.Revision, inv invariants.Invariant) (Verdict, error) {
	known := false
	for _, r := range cfg.Revisions {
		known = known || r == rev
	}
	if !known {
		return Verdict{}, fmt.Errorf("%s does not run under revision %s", f.Path, rev)
	}
	r, err := f.Run(cfg, rev)
	if err != nil {
		return Verdict{}, err
	}
	if len(r.Failures) > 0 {
		return Verdict{}, fmt.Errorf("%s: %d golden output(s) differ under %s; first: %s", f.Path, len(r.Failures), rev, r.Failures[0])
	}
	last := &r.Trace.Steps[len(r.Trace.Steps)-1].State
	if inv.Holds(last) {
		return Verdict{Check: inv.Name}, nil
	}
	return violation(inv, r.Trace), nil
}

// Find returns the concern called name.
func Find(name string) (*Concern, bool) {
	for _, c := range Catalogue() {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// LocateConcernDir finds testdata/concerns from the working directory or
// one of its parents (the repository root).
func LocateConcernDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "testdata", "concerns")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("testdata/concerns not found in the working directory or its parents (run from the repository, or pass --dir)")
		}
		dir = parent
	}
}

// TraceText renders a verdict's trace compactly: one line per step with the
// kernel event, then why the final state fails the check.
func TraceText(v Verdict) string {
	if !v.Violated || v.Trace == nil {
		return ""
	}
	var b strings.Builder
	for i, st := range v.Trace.Steps[1:] {
		fmt.Fprintf(&b, "  %2d. %-18s %s\n", i+1, linux.FormatAction(st.Action), st.Event)
	}
	for _, w := range v.Failure {
		fmt.Fprintf(&b, "  => %s\n", w)
	}
	return b.String()
}

// FullTrace renders a verdict's trace with the tree after every step.
func FullTrace(v Verdict) string {
	if !v.Violated || v.Trace == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(v.Trace.Text())
	fmt.Fprintf(&b, "\n%s is violated (%s):\n", v.Check, Describe(v.Check))
	for _, w := range v.Failure {
		b.WriteString("  " + w + "\n")
	}
	return b.String()
}

var _ = traces.Build
