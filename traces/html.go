package traces

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"strings"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// The HTML report: one self-contained page (inline CSS, script and SVG; no
// network) showing one or more runs, each a sequence of frames: the kernel
// event of a step and the process tree after it, laid out by layOut and
// drawn as inline SVG by report.html.tmpl, with what changed highlighted,
// then the verdict (the failing invariant clause, or a restore's outcome).
// A counterexample is one run; a restore plan is another (built by the
// command from the dump, the plan and its replay). The page's script
// navigates the frames with the keyboard (←/→, Home/End), buttons and a URL
// hash (#run=R&step=N, R from 1, N from 0 or "last"); without a script every
// frame is shown in order. html/template escapes every text.

//go:embed report.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// Report is the content of one HTML page.
type Report struct {
	Title string
	Runs  []Run
}

// Run is one counterexample or restore plan: blocks (text and pictures
// before the steps), the frames, and the verdict after the last.
type Run struct {
	Title   string // the selector's entry and the run's heading
	Meta    string // one line under the heading (revision, tasks, actions)
	Blocks  []Block
	Frames  []Frame
	Verdict Verdict
}

// Block is a section shown before a run's frames: preformatted text, and a
// state drawn when State is set.
type Block struct {
	Title string
	Text  string
	State *state.State
}

// Frame is one step: its label ("step 3: Clone(3)"), the kernel event, the
// state after it (nil for a model without a tree, whose Text is shown
// instead), the state before it (nil for the first frame) and the changed
// fields.
type Frame struct {
	Label   string
	Event   string
	State   *state.State
	Prev    *state.State
	Text    string
	Changed []string
}

// Verdict ends a run: a title ("Invariant NoDanglingCaba is violated (...)")
// and one line per offending task; Failed marks a violation or a failed
// restore.
type Verdict struct {
	Title  string
	Lines  []string
	Failed bool
}

// Run is the trace as a report run.
func (tr *Trace) Run() Run {
	o := tr.Options
	r := Run{Title: fmt.Sprintf("trace: %d steps", tr.Len()),
		Meta: fmt.Sprintf("revision %s, %d tasks, actions %s", o.Revision, o.Tasks, o.Actions)}
	if tr.Invariant != "" {
		r.Title = fmt.Sprintf("%s: %d steps", tr.Invariant, tr.Len())
	}
	for i := range tr.Steps {
		st := &tr.Steps[i]
		f := Frame{Label: "step 0: initial state", Event: "init (task 1) runs; init_task (0) is its real_parent and caba", State: &st.State}
		if i > 0 {
			f.Label = fmt.Sprintf("step %d: %s", i, linux.FormatAction(st.Action))
			f.Event, f.Prev = st.Event, &tr.Steps[i-1].State
			f.Changed = Diff(f.Prev, f.State)
		}
		r.Frames = append(r.Frames, f)
	}
	if tr.Invariant != "" {
		inv, _ := invariants.ByName(tr.Invariant, o.Revision)
		r.Verdict = Verdict{Title: fmt.Sprintf("Invariant %s is violated (%s):", tr.Invariant, inv.Description), Lines: tr.Failure, Failed: true}
	} else {
		r.Verdict = Verdict{Title: "End of the trace."}
	}
	return r
}

// Run is a trace of a model without a tree picture: its states as text.
func (p *Plain) Run() Run {
	r := Run{Title: fmt.Sprintf("%s trace: %d steps", p.Model.Name(), p.Len()), Meta: "model " + p.Model.Name()}
	for i, st := range p.Steps {
		f := Frame{Label: "step 0: initial state", Text: p.state(st.State)}
		if i > 0 {
			f.Label = fmt.Sprintf("step %d: %s", i, p.Model.FormatAction(st.Action))
		}
		r.Frames = append(r.Frames, f)
	}
	r.Verdict = Verdict{Title: "End of the trace.", Lines: p.Failure}
	if p.Invariant != "" {
		r.Verdict = Verdict{Title: "Invariant " + p.Invariant + " is violated:", Lines: p.Failure, Failed: true}
	}
	return r
}

// RunOf is v as a report run.
func RunOf(v View) Run {
	switch t := v.(type) {
	case *Trace:
		return t.Run()
	case *Plain:
		return t.Run()
	}
	return Run{Title: fmt.Sprintf("trace: %d steps", v.Len()), Frames: []Frame{{Label: "trace", Text: v.Text()}}}
}

// page is what the template renders.
type page struct {
	Title string
	Runs  []pageRun
}

type pageRun struct {
	Run
	N      int // 1-based
	Blocks []pageBlock
	Frames []pageFrame
}

type pageBlock struct {
	Block
	Fig *figure
}

type pageFrame struct {
	Frame
	N   int
	Fig *figure
}

// HTML renders the report as one page.
func (r Report) HTML() ([]byte, error) {
	p := page{Title: r.Title}
	for i, run := range r.Runs {
		pr := pageRun{Run: run, N: i + 1}
		for _, b := range run.Blocks {
			pb := pageBlock{Block: b}
			if b.State != nil {
				pb.Fig = layOut(b.State, nil)
			}
			pr.Blocks = append(pr.Blocks, pb)
		}
		for j, f := range run.Frames {
			pf := pageFrame{Frame: f, N: j}
			if f.State != nil {
				pf.Fig = layOut(f.State, f.Prev)
			}
			pr.Frames = append(pr.Frames, pf)
		}
		p.Runs = append(p.Runs, pr)
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, p); err != nil {
		return nil, fmt.Errorf("html report: %w", err)
	}
	return b.Bytes(), nil
}

// WriteHTML writes the report to w.
func (r Report) WriteHTML(w io.Writer) error {
	data, err := r.HTML()
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// WriteHTMLFile writes the report to path.
func (r Report) WriteHTMLFile(path string) error {
	data, err := r.HTML()
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// ReportOf is the page of one or more traces (check's counterexamples).
func ReportOf(title string, vs ...View) Report {
	r := Report{Title: title}
	for _, v := range vs {
		r.Runs = append(r.Runs, RunOf(v))
	}
	return r
}

// Template helpers: methods report.html.tmpl calls, so that it holds no
// arithmetic.

// MX is the horizontal centre of r.
func (r rect) MX() int { return r.X + r.W/2 }

// Halo is r grown by 3 on every side (the highlight of a changed task).
func (r rect) Halo() rect { return rect{r.X - 3, r.Y - 3, r.W + 6, r.H + 6} }

// Base1 and Base2 are the baselines of a cell's two lines and of a box's
// header lines.
func (c figCell) Base1() int { return c.Y + 15 }
func (c figCell) Base2() int { return c.Y + 29 }
func (b figBox) Base1() int  { return b.Y + layPad + 10 }
func (b figBox) Base2() int  { return b.Y + layPad + 23 }

// TX is the left text margin of a box.
func (b figBox) TX() int { return b.X + layPad }

// classes joins a base class and the changed mark (class chg).
func classes(base string, changed bool) string {
	if changed {
		return strings.TrimSpace(base + " chg")
	}
	return base
}

// C is the CSS class list of a cell, box or edge.
func (c figCell) C() string { return classes("task "+c.Class, c.Changed) }
func (b figBox) C() string  { return classes("proc", b.Changed) }
func (e figEdge) C() string { return classes(e.Class, e.Changed) }
