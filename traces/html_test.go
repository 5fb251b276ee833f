package traces

import (
	"flag"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/spec/toy"
	"cabacheck/state"
)

var updateHTML = flag.Bool("update-html", false, "rewrite testdata/report_v3_step3.svg")

// v3Dangling is the v3 NoDanglingCaba counterexample (the thread-created
// thread whose creator is released), explained.
func v3Dangling(t *testing.T) *Trace {
	t.Helper()
	tr := build(t, linux.V3, "Fork(1)", "Clone(2)", "Clone(3)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)")
	inv, ok := invariants.ByName("NoDanglingCaba", linux.V3)
	if !ok {
		t.Fatal("no invariant NoDanglingCaba")
	}
	tr.Explain(inv)
	return tr
}

// stepSections splits a page into its step sections, by data-step.
func stepSections(t *testing.T, page string) []string {
	t.Helper()
	parts := strings.Split(page, `<section class="step"`)
	var out []string
	for _, p := range parts[1:] {
		end := strings.Index(p, "</section>")
		if end < 0 {
			t.Fatal("unterminated step section")
		}
		out = append(out, p[:end])
	}
	return out
}

func render(t *testing.T, r Report) string {
	t.Helper()
	data, err := r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestHTMLReportStructure(t *testing.T) {
	tr := v3Dangling(t)
	page := render(t, ReportOf("v3", tr))
	steps := stepSections(t, page)
	if len(steps) != tr.Len()+1 {
		t.Fatalf("%d step sections, want %d", len(steps), tr.Len()+1)
	}
	for i, s := range steps {
		if !strings.Contains(s, `data-step="`+strconv.Itoa(i)+`"`) {
			t.Errorf("section %d lacks its data-step", i)
		}
		if !strings.Contains(s, "<svg class=\"tree\"") {
			t.Errorf("step %d has no tree picture", i)
		}
	}
	// Step 1 (fork): process 2's caba is its real_parent 1, so no caba
	// arrow; the new task and the new process are highlighted.
	if strings.Contains(steps[1], `class="caba`) {
		t.Errorf("step 1 draws a caba arrow although caba = real_parent:\n%s", steps[1])
	}
	for _, want := range []string{`<g class="task running leader chg" data-task="2">`, `<g class="proc chg" data-process="2">`, `<path class="rp chg"`} {
		if !strings.Contains(steps[1], want) {
			t.Errorf("step 1 lacks %s", want)
		}
	}
	// Step 3: thread 4, created by thread 3, has caba 3 and real_parent 1:
	// a new caba arrow, highlighted; thread 3's caba 2 (its creator 2)
	// differs from real_parent 1 too, unchanged.
	if n := strings.Count(steps[3], `<path class="caba`); n != 2 {
		t.Errorf("step 3: %d caba arrows, want 2 (3->2, 4->3)", n)
	}
	for _, want := range []string{`<path class="caba chg"`, "caba of 4 is 3 (real_parent 1)", "caba of 3 is 2 (real_parent 1)",
		`<g class="task running chg" data-task="4">`, `<g class="task running" data-task="3">`, "clone(CLONE_THREAD) -&gt; thread 4 of 2"} {
		if !strings.Contains(steps[3], want) {
			t.Errorf("step 3 lacks %s", want)
		}
	}
	// Step 6: 3 is released, 4's caba dangles: a red arrow to the freed
	// task, the released cell highlighted.
	for _, want := range []string{`<path class="caba dangling"`, `<g class="task released chg" data-task="3">`, "state[3]: EXIT_DEAD -&gt; released"} {
		if !strings.Contains(steps[6], want) {
			t.Errorf("step 6 lacks %s", want)
		}
	}
	// The failing clause ends the run; one run, no selector.
	if !strings.Contains(page, `<section class="verdict failed">`) || !strings.Contains(page, "task 4 (Running): caba 3 is Released (freed task_struct)") {
		t.Error("the page lacks the failing invariant clause")
	}
	if strings.Contains(page, `<select id="run">`) {
		t.Error("a one-run page has a run selector")
	}
	// Self-contained: nothing is fetched.
	for _, bad := range []string{"http://", "https://", "<link", "src="} {
		if strings.Contains(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("the page refers to something outside it (%s)", bad)
		}
	}
}

// TestHTMLGoldenSVG keeps the drawing of step 3 of the v3 counterexample as
// a golden file: a change of layout or classes is a deliberate one
// (go test ./traces -run TestHTMLGoldenSVG -update-html).
func TestHTMLGoldenSVG(t *testing.T) {
	page := render(t, ReportOf("v3", v3Dangling(t)))
	s := stepSections(t, page)[3]
	got := s[strings.Index(s, "<svg"):]
	got = got[:strings.Index(got, "</svg>")+len("</svg>")] + "\n"
	const golden = "testdata/report_v3_step3.svg"
	if *updateHTML {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("step 3's SVG differs from %s (rerun with -update-html if deliberate):\n%s", golden, got)
	}
}

func TestHTMLSeveralRunsAndEscaping(t *testing.T) {
	a := v3Dangling(t)
	b := build(t, linux.Seed, "Fork(1)", "ForkParent(2)")
	inv, _ := invariants.ByName("CabaClosestHashed", linux.Seed)
	b.Explain(inv)
	r := ReportOf("two <runs> & more", a, b)
	r.Runs[1].Blocks = []Block{{Title: "a <b>block</b>", Text: "x < y"}}
	page := render(t, r)
	if !strings.Contains(page, `<select id="run">`) || strings.Count(page, "<option ") != 2 {
		t.Error("two runs want a selector with two options")
	}
	if strings.Count(page, `<div class="run"`) != 2 {
		t.Error("want two run divisions")
	}
	if strings.Contains(page, "<runs>") || strings.Contains(page, "<b>block") || !strings.Contains(page, "x &lt; y") {
		t.Error("text is not escaped")
	}
	// Seed's CLONE_PARENT: process 3's caba 1 is its real_parent 1 (the
	// grand-parent), so no caba arrow anywhere in that run.
	second := page[strings.Index(page, `id="run-2"`):]
	if strings.Contains(second, `<path class="caba`) {
		t.Error("the seed run draws a caba arrow where caba = real_parent")
	}
	if !strings.Contains(second, "is in process 1, but the closest born ancestor with a hashed task is process 2") {
		t.Error("the second run lacks its clause")
	}
}

// TestLayoutProperties lays out reachable states and checks the picture's
// geometry: boxes do not overlap, cells lie in their boxes, a child process
// is below its parent, the picture holds everything, and the same state
// gives the same picture.
func TestLayoutProperties(t *testing.T) {
	corpus := loadCorpus(t)
	step := max(1, len(corpus)/3000)
	inside := func(a, b rect) bool { return a.X >= b.X && a.Y >= b.Y && a.X+a.W <= b.X+b.W && a.Y+a.H <= b.Y+b.H }
	overlap := func(a, b rect) bool { return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H }
	for k := 0; k < len(corpus); k += step {
		s := &corpus[k].cur
		f := layOut(s, nil)
		all := rect{0, 0, f.W, f.H}
		boxOf := map[uint8]rect{}
		for i, b := range f.Boxes {
			boxOf[b.G] = b.rect
			if !inside(b.rect, all) {
				t.Fatalf("state %d: box %d outside the picture", k, b.G)
			}
			for _, c := range f.Boxes[i+1:] {
				if overlap(b.rect, c.rect) {
					t.Fatalf("state %d: boxes %d and %d overlap\n%s", k, b.G, c.G, Tree(s))
				}
			}
		}
		hashed := 0
		for i := uint8(1); i <= s.N; i++ {
			if s.Hashed(i) {
				hashed++
			}
		}
		if len(f.Cells) != hashed {
			t.Fatalf("state %d: %d cells for %d hashed tasks", k, len(f.Cells), hashed)
		}
		for _, c := range f.Cells {
			if !inside(c.rect, boxOf[s.Tg[c.T]]) {
				t.Fatalf("state %d: task %d outside its process box", k, c.T)
			}
		}
		for _, b := range f.Boxes {
			if p := s.Parent[s.Leader[b.G]]; p != 0 && s.Hashed(p) && boxOf[s.Tg[p]].Y >= b.Y {
				t.Fatalf("state %d: process %d is not below its parent's process", k, b.G)
			}
		}
		for _, c := range f.Released {
			if !inside(c.rect, all) {
				t.Fatalf("state %d: released %d outside the picture", k, c.T)
			}
		}
		if k%50 == 0 {
			g := layOut(s, nil)
			if len(g.Boxes) != len(f.Boxes) || g.W != f.W || g.H != f.H || len(g.Cabas) != len(f.Cabas) || (len(g.Cabas) > 0 && g.Cabas[0] != f.Cabas[0]) {
				t.Fatalf("state %d: two layouts differ", k)
			}
		}
	}
}

func TestDOTOneGraphPerStep(t *testing.T) {
	tr := v3Dangling(t)
	dot := tr.DOT()
	graphs := regexp.MustCompile(`(?m)^digraph step_(\d+) \{$`).FindAllStringSubmatch(dot, -1)
	if len(graphs) != tr.Len()+1 {
		t.Fatalf("%d graphs for %d steps, want %d", len(graphs), tr.Len(), tr.Len()+1)
	}
	for i, g := range graphs {
		if g[1] != strconv.Itoa(i) {
			t.Errorf("graph %d is named step_%s", i, g[1])
		}
	}
	parts := strings.Split(dot, "digraph step_")[1:]
	if strings.Count(dot, "\n}\n") != len(parts) {
		t.Error("graphs are not each closed")
	}
	// Step 3: the new thread 4 in orange, its caba edge to 3 in orange;
	// the last graph's label has the clause, and its caba edge to the
	// freed 3 is red.
	if !strings.Contains(parts[3], `t4 [label="4 running", color=orange, penwidth=2.5]`) || !strings.Contains(parts[3], `t4 -> t3 [style=dashed, color=orange, label="caba", penwidth=2.5]`) {
		t.Errorf("step 3's graph does not highlight thread 4:\n%s", parts[3])
	}
	if !strings.Contains(parts[3], `clone(CLONE_THREAD) -> thread 4 of 2`) {
		t.Error("step 3's graph lacks the kernel event")
	}
	if !strings.Contains(parts[6], `task 4 (Running): caba 3 is Released (freed task_struct)`) || !strings.Contains(parts[6], `t4 -> t3 [style=dashed, color=red`) {
		t.Errorf("the last graph lacks the clause or the dangling edge:\n%s", parts[6])
	}
	if strings.Contains(parts[0], "Invariant") {
		t.Error("the first graph has the clause")
	}
}

func TestChangesBetween(t *testing.T) {
	tr := v3Dangling(t)
	// ExitNotify(3) of a thread in v3: 3 becomes EXIT_DEAD; nothing else.
	c := changesBetween(&tr.Steps[4].State, &tr.Steps[5].State)
	for i := uint8(1); i < state.Slots; i++ {
		if c.task[i] != (i == 3) || c.group[i] || c.caba[i] || c.parent[i] {
			t.Errorf("slot %d: %+v", i, c)
		}
	}
}

// TestHTMLPlainTrace: a model without a tree picture (the toy model) gets
// one frame per step with its states as text, and no SVG.
func TestHTMLPlainTrace(t *testing.T) {
	m, err := toy.New(3)
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.ParseAction("Fork(0)")
	if err != nil {
		t.Fatal(err)
	}
	acts := []spec.Action{a}
	v, err := For(m, acts, "ParentNotFree", []string{"slot 2: parent is free"})
	if err != nil {
		t.Fatal(err)
	}
	page := render(t, ReportOf("toy", v))
	steps := stepSections(t, page)
	if len(steps) != 2 || strings.Contains(page, `<svg class="tree"`) || !strings.Contains(steps[1], "<pre>") ||
		!strings.Contains(steps[1], m.FormatAction(acts[0])) || !strings.Contains(page, "slot 2: parent is free") {
		t.Errorf("toy page:\n%s", strings.Join(steps, "\n----\n"))
	}
}
