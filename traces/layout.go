package traces

import (
	"fmt"
	"math"
	"strings"

	"cabacheck/state"
)

// The drawing of one state, laid out here in Go so that the HTML report
// needs no layout engine in the browser and the same state always gives the
// same picture. The process tree is laid out as a tidy tree: each process is
// a box holding its hashed threads (leader first), children are placed side
// by side under the thread that is their real_parent, and a parent is
// centred over the block of its subtree. init_task sits above the roots and
// released tasks in a row below the tree.

// Layout sizes, in SVG user units (pixels at 100%).
const (
	layMargin  = 16
	layCellW   = 70
	layCellH   = 36
	layCellGap = 6
	layPad     = 8  // box padding left, right and top
	layPadBot  = 18 // below the cells: room for a caba arrow between threads of one box
	layHeadH   = 28 // the box's two header lines
	layHGap    = 24 // between sibling subtrees
	layVGap    = 54 // between levels: the real_parent edges
	layInitW   = 110
	layInitH   = 26
	layCharW   = 6.7 // width of one character of the 11px monospace font
	layCharW10 = 6.1 // of the 10px one
)

// figure is a laid-out state.
type figure struct {
	W, H     int
	Init     rect
	Boxes    []figBox
	Cells    []figCell
	Released []figCell
	RelY     int // the released row's label baseline (0: no row)
	Parents  []figEdge
	Cabas    []figEdge
	Corrupt  bool
	Changed  bool // this step changed a task (a previous state was given)
}

type rect struct{ X, Y, W, H int }

func (r rect) cx() float64 { return float64(r.X) + float64(r.W)/2 }
func (r rect) cy() float64 { return float64(r.Y) + float64(r.H)/2 }

// figBox is a process.
type figBox struct {
	rect
	G       uint8
	Label   string // "process 2"
	Flags   string // "born=1 subreaper sid=2 pgid=2"
	Changed bool   // a per-process field moved (or the process is new)
	Title   string
}

// figCell is a task.
type figCell struct {
	rect
	T       uint8
	Line1   string // "4* R"
	Line2   string // "caba 3"
	Class   string // status (running, exiting, zombie, dead, released), leader
	Changed bool
	Title   string
}

// figEdge is a real_parent edge or a caba arrow: an SVG path.
type figEdge struct {
	D       string
	Class   string
	Changed bool
	Title   string
}

// stepChanges is what moved between two states, per task and per process.
type stepChanges struct {
	task, group, parent, caba [state.Slots]bool
}

// changesBetween compares two states field by field (state.Fields), as Diff
// does, but keeps the answer per slot for highlighting.
func changesBetween(a, b *state.State) stepChanges {
	var c stepChanges
	for i := uint8(1); i <= b.N && i < state.Slots; i++ {
		for id, f := range state.Fields {
			if f.Scope == state.ScopeGlobal {
				continue
			}
			u, v := a.Get(state.FieldID(id), i), b.Get(state.FieldID(id), i)
			if u == v || f.ID && u <= 1 && v <= 1 {
				continue
			}
			if f.Scope == state.ScopeGroup {
				c.group[i] = true
				continue
			}
			c.task[i] = true
			switch state.FieldID(id) {
			case state.FieldParent:
				c.parent[i] = true
			case state.FieldCaba:
				c.caba[i] = true
			}
		}
	}
	return c
}

// statusClass is the CSS class of a task status.
func statusClass(s state.Status) string {
	switch s {
	case state.Running:
		return "running"
	case state.Exiting:
		return "exiting"
	case state.Zombie:
		return "zombie"
	case state.Dead:
		return "dead"
	case state.Released:
		return "released"
	}
	return "unborn"
}

// processHeader splits the tree's line for process g (processLine, the one
// place that knows which marks a process carries) into what the box shows:
// the session and process group and the bracketed marks.
func processHeader(s *state.State, g uint8) string {
	line := processLine(s, g)
	var flags []string
	if i := strings.Index(line, "  ["); i >= 0 && strings.HasSuffix(line, "]") {
		flags = append(flags, line[i+3:len(line)-1])
		line = line[:i]
	}
	if i := strings.Index(line, " sid="); i >= 0 {
		flags = append(flags, line[i+1:])
	}
	return strings.Join(flags, " ")
}

// layOut draws s; prev, when not nil, is the state before the step, and
// what differs is marked changed.
func layOut(s, prev *state.State) *figure {
	f := &figure{Corrupt: s.Corrupt}
	var ch stepChanges
	if prev != nil {
		ch = changesBetween(prev, s)
	}
	roots, kids := processForest(s) // the forest Tree draws
	threads := func(g uint8) []uint8 {
		ts := []uint8{s.Leader[g]}
		for i := uint8(1); i <= s.N; i++ {
			if i != s.Leader[g] && s.Tg[i] == g && s.Hashed(i) {
				ts = append(ts, i)
			}
		}
		return ts
	}
	boxW := func(g uint8) int {
		n := len(threads(g))
		w := n*layCellW + (n-1)*layCellGap + 2*layPad
		label := fmt.Sprintf("process %d", g)
		w = max(w, int(math.Ceil(float64(len(label))*layCharW))+2*layPad)
		w = max(w, int(math.Ceil(float64(len(processHeader(s, g)))*layCharW10))+2*layPad)
		return w
	}
	boxH := layPad + layHeadH + layCellH + layPadBot
	// Subtree widths, post-order (children are in ascending order already).
	width := map[uint8]int{}
	var measure func(g uint8) int
	measure = func(g uint8) int {
		sum := 0
		for i, k := range kids[g] {
			if i > 0 {
				sum += layHGap
			}
			sum += measure(k)
		}
		width[g] = max(boxW(g), sum)
		return width[g]
	}
	total := 0
	for i, r := range roots {
		if i > 0 {
			total += layHGap
		}
		total += measure(r)
	}
	total = max(total, layInitW)
	f.Init = rect{X: layMargin + (total-layInitW)/2, Y: layMargin, W: layInitW, H: layInitH}
	cellOf := map[uint8]rect{}
	boxOf := map[uint8]rect{}
	depthMax := -1
	var place func(g uint8, x0, depth int)
	place = func(g uint8, x0, depth int) {
		depthMax = max(depthMax, depth)
		w := boxW(g)
		y := layMargin + layInitH + layVGap + depth*(boxH+layVGap)
		b := rect{X: x0 + (width[g]-w)/2, Y: y, W: w, H: boxH}
		boxOf[g] = b
		fb := figBox{rect: b, G: g, Label: fmt.Sprintf("process %d", g), Flags: processHeader(s, g),
			Changed: ch.group[g] || prev != nil && !prev.GroupHashed(g)}
		fb.Title = processLine(s, g)
		f.Boxes = append(f.Boxes, fb)
		ts := threads(g)
		cw := len(ts)*layCellW + (len(ts)-1)*layCellGap
		cx := b.X + (w-cw)/2
		for _, t := range ts {
			r := rect{X: cx, Y: y + layPad + layHeadH, W: layCellW, H: layCellH}
			cellOf[t] = r
			f.Cells = append(f.Cells, taskCell(s, t, r, ch.task[t]))
			cx += layCellW + layCellGap
		}
		sum := 0
		for i, k := range kids[g] {
			if i > 0 {
				sum += layHGap
			}
			sum += width[k]
		}
		kx := x0 + (width[g]-sum)/2
		for _, k := range kids[g] {
			place(k, kx, depth+1)
			kx += width[k] + layHGap
		}
	}
	rootSum := 0
	for i, r := range roots {
		if i > 0 {
			rootSum += layHGap
		}
		rootSum += width[r]
	}
	x := layMargin + (total-rootSum)/2
	for _, r := range roots {
		place(r, x, 0)
		x += width[r] + layHGap
	}
	bottom := layMargin + layInitH
	if depthMax >= 0 {
		bottom = layMargin + layInitH + layVGap + (depthMax+1)*(boxH+layVGap) - layVGap
	}
	// Released tasks, in a row below.
	relW := 0
	var rel []uint8
	for i := uint8(1); i <= s.N; i++ {
		if s.St[i] == state.Released {
			rel = append(rel, i)
		}
	}
	if len(rel) > 0 {
		f.RelY = bottom + 30
		rx := layMargin
		for _, t := range rel {
			r := rect{X: rx, Y: bottom + 36, W: layCellW, H: layCellH}
			cellOf[t] = r
			f.Released = append(f.Released, taskCell(s, t, r, ch.task[t]))
			rx += layCellW + layCellGap
		}
		relW = rx - layMargin
		bottom += 36 + layCellH
	}
	f.W = max(total, relW) + 2*layMargin
	f.H = bottom + layMargin
	if f.Corrupt {
		f.H += 18
		f.W = max(f.W, int(math.Ceil(float64(len(corruptNote))*layCharW*1.1))+2*layMargin)
	}
	// real_parent: from each process's box up to the thread that is its
	// leader's real_parent (init_task for the roots).
	for _, fb := range f.Boxes {
		l := s.Leader[fb.G]
		p := s.Parent[l]
		to, ok := cellOf[p]
		if p == 0 {
			to, ok = f.Init, true
		}
		if !ok {
			continue
		}
		class := "rp"
		if p != 0 && !s.Hashed(p) {
			class += " dangling"
		}
		x1, y1 := fb.cx(), float64(fb.Y)
		x2, y2 := to.cx(), float64(to.Y+to.H)
		d := fmt.Sprintf("M%.0f %.0f C%.0f %.0f %.0f %.0f %.0f %.0f", x1, y1, x1, y1-layVGap/2, x2, y2+layVGap/2, x2, y2)
		f.Parents = append(f.Parents, figEdge{D: d, Class: class, Changed: ch.parent[l],
			Title: fmt.Sprintf("real_parent of %d is %s", l, taskName(p))})
	}
	// caba: an arrow from every hashed task whose caba is not its
	// real_parent (where they agree, the real_parent edge says it).
	for i := uint8(1); i <= s.N; i++ {
		if !s.Hashed(i) || s.Caba[i] == s.Parent[i] {
			continue
		}
		c := s.Caba[i]
		from := cellOf[i]
		to, ok := cellOf[c]
		if c == 0 {
			to, ok = f.Init, true
		}
		if !ok {
			continue
		}
		class := "caba"
		if c != 0 && !s.Hashed(c) {
			class += " dangling"
		}
		f.Cabas = append(f.Cabas, figEdge{D: cabaPath(from, to), Class: class, Changed: ch.caba[i],
			Title: fmt.Sprintf("caba of %d is %s (real_parent %s)", i, taskName(c), taskName(s.Parent[i]))})
	}
	for _, c := range append(append([]figCell(nil), f.Cells...), f.Released...) {
		f.Changed = f.Changed || c.Changed
	}
	return f
}

// corruptNote is the picture's line for a state in which a released
// task_struct was used.
const corruptNote = "CORRUPT: a released task_struct was used"

func taskName(t uint8) string {
	if t == 0 {
		return "init_task"
	}
	return fmt.Sprint(t)
}

// taskCell draws task t in r.
func taskCell(s *state.State, t uint8, r rect, changed bool) figCell {
	c := figCell{rect: r, T: t, Class: statusClass(s.St[t]), Changed: changed}
	mark := ""
	if s.St[t] != state.Released && s.IsLeader(t) {
		mark = "*"
		c.Class += " leader"
	}
	c.Line1 = fmt.Sprintf("%d%s %s", t, mark, shortStatus[s.St[t]])
	if s.St[t] == state.Released {
		c.Line1 = fmt.Sprintf("%d freed", t)
		c.Title = fmt.Sprintf("task %d: released (its task_struct is freed)", t)
		return c
	}
	c.Line2 = fmt.Sprintf("caba %d", s.Caba[t])
	c.Title = fmt.Sprintf("%s: %s, real_parent %s, caba %s", Who(s, t), StatusWord(s.St[t]), taskName(s.Parent[t]), taskName(s.Caba[t]))
	return c
}

// cabaPath is a quadratic curve from a's border to b's, bent to one side
// (downward, or rightward for a vertical arrow) so that it does not run
// along a real_parent edge.
func cabaPath(a, b rect) string {
	sx, sy, tx, ty := a.cx(), a.cy(), b.cx(), b.cy()
	dx, dy := tx-sx, ty-sy
	l := math.Hypot(dx, dy)
	if l == 0 {
		l = 1
	}
	nx, ny := -dy/l, dx/l
	if ny < 0 || ny == 0 && nx < 0 {
		nx, ny = -nx, -ny
	}
	k := 0.3*l + 30
	qx, qy := (sx+tx)/2+nx*k, (sy+ty)/2+ny*k
	x1, y1 := borderPoint(a, qx, qy)
	x2, y2 := borderPoint(b, qx, qy)
	return fmt.Sprintf("M%.0f %.0f Q%.0f %.0f %.0f %.0f", x1, y1, qx, qy, x2, y2)
}

// borderPoint is where the ray from r's centre towards (x, y) leaves r.
func borderPoint(r rect, x, y float64) (float64, float64) {
	cx, cy := r.cx(), r.cy()
	vx, vy := x-cx, y-cy
	t := math.Inf(1)
	if vx != 0 {
		t = math.Min(t, float64(r.W)/2/math.Abs(vx))
	}
	if vy != 0 {
		t = math.Min(t, float64(r.H)/2/math.Abs(vy))
	}
	if math.IsInf(t, 1) {
		return cx, cy
	}
	return cx + vx*t, cy + vy*t
}

// CorruptNote is corruptNote, for the template.
func (f *figure) CorruptNote() string { return corruptNote }
