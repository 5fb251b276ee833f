package traces

import (
	"fmt"
	"strings"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// dotStep writes step i of tr as one Graphviz digraph (named step_i) to b.
// A file of several digraphs is what Graphviz calls a multi-graph file:
// `dot -Tsvg -O x.dot` writes one picture per graph (x.dot.svg,
// x.dot.2.svg, ...), `dot -Tsvg x.dot > x.svg` concatenates them into one
// stream. The tree is the same as Tree's and the HTML report's (clusters are
// processes, real_parent edges point from a process's leader to its
// real_parent thread); what the step changed is drawn in orange.
func dotStep(b *strings.Builder, tr *Trace, i int) {
	st := &tr.Steps[i]
	s := &st.State
	var ch stepChanges
	if i > 0 {
		ch = changesBetween(&tr.Steps[i-1].State, s)
	}
	label := []string{"step 0: initial state"}
	if i > 0 {
		label = []string{fmt.Sprintf("step %d: %s", i, linux.FormatAction(st.Action))}
		label = append(label, strings.Split(st.Event, "; ")...)
	}
	if i == len(tr.Steps)-1 && tr.Invariant != "" {
		inv, _ := invariants.ByName(tr.Invariant, tr.Options.Revision)
		label = append(label, "", fmt.Sprintf("Invariant %s is violated (%s):", tr.Invariant, inv.Description))
		label = append(label, tr.Failure...)
	}
	fmt.Fprintf(b, "digraph step_%d {\n  rankdir=BT;\n  labelloc=t;\n  labeljust=l;\n  fontname=monospace;\n  label=%s;\n", i, dotLabel(label))
	b.WriteString("  node [shape=box, fontname=monospace];\n  edge [fontname=monospace, fontsize=10];\n  t0 [label=\"init_task 0\", style=dashed];\n")
	hi := func(changed bool) string {
		if changed {
			return ", color=orange, penwidth=2.5"
		}
		return ""
	}
	for g := uint8(1); g <= s.N; g++ {
		if s.Tg[g] != g || !s.GroupHashed(g) {
			continue
		}
		fmt.Fprintf(b, "  subgraph cluster_%d {\n    label=%s;\n", g, dotLabel([]string{fmt.Sprintf("process %d", g), processHeader(s, g)}))
		if ch.group[g] || i > 0 && !tr.Steps[i-1].State.GroupHashed(g) {
			b.WriteString("    color=orange;\n    penwidth=2;\n")
		}
		for t := uint8(1); t <= s.N; t++ {
			if s.Tg[t] == g && s.Hashed(t) {
				attrs := ""
				if s.Leader[g] == t {
					attrs = ", penwidth=2"
				}
				if s.St[t] == state.Zombie || s.St[t] == state.Dead {
					attrs += ", style=filled, fillcolor=lightgray"
				}
				fmt.Fprintf(b, "    t%d [label=\"%d %s\"%s%s];\n", t, t, StatusWord(s.St[t]), attrs, hi(ch.task[t]))
			}
		}
		b.WriteString("  }\n")
	}
	for t := uint8(1); t <= s.N; t++ {
		if s.St[t] == state.Released {
			fmt.Fprintf(b, "  t%d [label=\"%d released\", style=dotted%s];\n", t, t, hi(ch.task[t]))
		}
	}
	for t := uint8(1); t <= s.N; t++ {
		if !s.Hashed(t) {
			continue
		}
		if s.IsLeader(t) {
			fmt.Fprintf(b, "  t%d -> t%d [label=\"real_parent\"%s];\n", t, s.Parent[t], hi(ch.parent[t]))
		}
		color := "blue"
		if c := s.Caba[t]; c != 0 && !s.Hashed(c) {
			color = "red"
		} else if ch.caba[t] {
			color = "orange"
		}
		width := ""
		if ch.caba[t] {
			width = ", penwidth=2.5"
		}
		fmt.Fprintf(b, "  t%d -> t%d [style=dashed, color=%s, label=\"caba\"%s];\n", t, s.Caba[t], color, width)
	}
	b.WriteString("}\n")
}

// dotLabel quotes lines as one left-justified Graphviz label.
func dotLabel(lines []string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, l := range lines {
		l = strings.ReplaceAll(l, `\`, `\\`)
		l = strings.ReplaceAll(l, `"`, `\"`)
		b.WriteString(l + `\l`)
	}
	b.WriteByte('"')
	return b.String()
}
