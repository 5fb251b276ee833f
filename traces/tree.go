package traces

import (
	"fmt"
	"sort"
	"strings"

	"cabacheck/state"
)

var shortStatus = map[state.Status]string{
	state.Running: "R", state.Exiting: "X", state.Zombie: "Z", state.Dead: "D", state.Released: "-",
}

// StatusWord is the kernel's name for a status.
func StatusWord(s state.Status) string {
	switch s {
	case state.Running:
		return "running"
	case state.Exiting:
		return "PF_EXITING"
	case state.Zombie:
		return "EXIT_ZOMBIE"
	case state.Dead:
		return "EXIT_DEAD"
	case state.Released:
		return "released"
	}
	return "unborn"
}

func ptr(v uint8) string {
	if v == state.None {
		return "-"
	}
	return fmt.Sprint(v)
}

// processForest returns the processes with a hashed task as a forest by
// real_parent: the roots (init, and any process whose parent is gone) and,
// per process, its child processes in slot order.
func processForest(s *state.State) (roots []uint8, kids map[uint8][]uint8) {
	kids = map[uint8][]uint8{}
	for g := uint8(1); g <= s.N; g++ {
		if s.Tg[g] != g || !s.GroupHashed(g) {
			continue
		}
		p := s.Parent[s.Leader[g]]
		if p == 0 || !s.Hashed(p) {
			roots = append(roots, g)
			continue
		}
		kids[s.Tg[p]] = append(kids[s.Tg[p]], g)
	}
	return roots, kids
}

// Tree renders s as a process tree: one line per process (thread group) with
// a hashed task, indented under the process of its real_parent thread. Each
// line lists the process's hashed threads (leader first, marked *) with status
// and caba, then its flags. Released tasks are listed last.
func Tree(s *state.State) string {
	var b strings.Builder
	roots, kids := processForest(s)
	var walk func(g uint8, prefix string, last, root bool)
	walk = func(g uint8, prefix string, last, root bool) {
		line, next := prefix, prefix
		if !root {
			if last {
				line += "└─ "
				next += "   "
			} else {
				line += "├─ "
				next += "│  "
			}
		}
		b.WriteString(line + processLine(s, g) + "\n")
		ks := kids[g]
		sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
		for i, k := range ks {
			walk(k, next, i == len(ks)-1, false)
		}
	}
	for _, r := range roots {
		walk(r, "", true, true)
	}
	var rel []string
	for i := uint8(1); i <= s.N; i++ {
		if s.St[i] == state.Released {
			rel = append(rel, fmt.Sprint(i))
		}
	}
	if len(rel) > 0 {
		b.WriteString("released: " + strings.Join(rel, " ") + "\n")
	}
	if s.Corrupt {
		b.WriteString("CORRUPT: a released task_struct was used\n")
	}
	return b.String()
}

func processLine(s *state.State, g uint8) string {
	l := s.Leader[g]
	var ts []string
	add := func(i uint8) {
		mark := ""
		if i == l {
			mark = "*"
		}
		ts = append(ts, fmt.Sprintf("%d%s %s caba=%d", i, mark, shortStatus[s.St[i]], s.Caba[i]))
	}
	add(l)
	for i := uint8(1); i <= s.N; i++ {
		if i != l && s.Tg[i] == g && s.Hashed(i) {
			add(i)
		}
	}
	var flags []string
	if p := s.Parent[l]; p != 0 && s.Hashed(p) && s.Leader[s.Tg[p]] != p {
		flags = append(flags, fmt.Sprintf("real_parent=%d", p))
	}
	if g != 1 {
		flags = append(flags, fmt.Sprintf("born=%d", s.Born[g]))
	}
	if s.CabdOf[l] != s.Caba[l] {
		flags = append(flags, "cabd_on="+ptr(s.CabdOf[l]))
	}
	if s.Sub[g] {
		flags = append(flags, "subreaper")
	}
	if s.HasSub[g] {
		flags = append(flags, "has_child_subreaper")
	}
	if s.Ign[g] {
		flags = append(flags, "SIGCHLD=SIG_IGN")
	}
	if s.Exec[g] != state.None {
		flags = append(flags, fmt.Sprintf("exec_by=%d", s.Exec[g]))
	}
	if s.Execd[g] {
		flags = append(flags, "execd")
	}
	ns := s.Pidns[g]
	if ns > 1 && ns == g {
		if r := s.ChildReaper[g]; r != l {
			flags = append(flags, fmt.Sprintf("child_reaper=%d", r))
		}
		if s.PidnsZap[g] != 0 {
			flags = append(flags, fmt.Sprintf("zapping=%d", s.PidnsZap[g]))
		}
	}
	line := fmt.Sprintf("process %d: %s", g, strings.Join(ts, ", "))
	if ns > 1 {
		// Outside the root pid namespace: the namespace and the process's
		// number there (pid 1: the namespace's init). Never with pidns off.
		line += fmt.Sprintf(" [ns %d, pid %d]", ns, s.PidNr(ns, g))
	}
	if s.Sid[g] != 1 || s.Pgid[g] != 1 {
		// Session and process group, unless both are init's (the only ids
		// with the sessions sets off).
		line += fmt.Sprintf(" sid=%d pgid=%d", s.Sid[g], s.Pgid[g])
	}
	if len(flags) > 0 {
		line += "  [" + strings.Join(flags, " ") + "]"
	}
	return line
}

// Diff lists the fields that differ between two states, one per line, in the
// kernel's field names (state.Fields), slot by slot in table order, then the
// global fields: "caba[3]: 1 -> 2", "corrupt: false -> true". Of a task that
// has just been released only the status is listed: its other fields are
// normalised away. An id field (sid, pgid) that changes between 0 (no group)
// and 1 (init's session and process group, every group's with the sessions
// sets off) is not listed: a process born into or gone from init's session
// is already told by its state and tgid lines.
func Diff(a, b *state.State) []string {
	var out []string
	for i := uint8(1); i <= a.N; i++ {
		released := b.St[i] == state.Released && a.St[i] != state.Released
		for id, f := range state.Fields {
			if f.Scope == state.ScopeGlobal || released && f.Kind != state.KindStatus {
				continue
			}
			u, v := a.Get(state.FieldID(id), i), b.Get(state.FieldID(id), i)
			if f.ID && u <= 1 && v <= 1 {
				continue
			}
			x, y := diffValue(f.Kind, u), diffValue(f.Kind, v)
			if x != y {
				out = append(out, fmt.Sprintf("%s[%d]: %s -> %s", f.Name, i, x, y))
			}
		}
	}
	for id, f := range state.Fields {
		if f.Scope != state.ScopeGlobal {
			continue
		}
		x, y := diffValue(f.Kind, a.Get(state.FieldID(id), 0)), diffValue(f.Kind, b.Get(state.FieldID(id), 0))
		if x != y {
			out = append(out, fmt.Sprintf("%s: %s -> %s", f.Name, x, y))
		}
	}
	return out
}

// diffValue renders a field's value (state.State.Get) in a changed: line.
func diffValue(k state.Kind, v uint8) string {
	switch k {
	case state.KindStatus:
		return StatusWord(state.Status(v))
	case state.KindSlotOrNone:
		return ptr(v)
	case state.KindFlag:
		return fmt.Sprint(v != 0)
	}
	return fmt.Sprint(v)
}
