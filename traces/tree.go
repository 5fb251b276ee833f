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

// Tree renders s as a process tree: one line per process (thread group) with
// a hashed task, indented under the process of its real_parent thread. Each
// line lists the process's hashed threads (leader first, marked *) with status
// and caba, then its flags. Released tasks are listed last.
func Tree(s *state.State) string {
	var b strings.Builder
	kids := map[uint8][]uint8{} // parent group -> child groups
	var roots []uint8
	for g := uint8(1); g <= s.N; g++ {
		if s.Tg[g] != g || !s.GroupHashed(g) {
			continue
		}
		p := s.Parent[s.Leader[g]]
		if p == 0 || !s.Hashed(p) {
			roots = append(roots, g)
			continue
		}
		pg := s.Tg[p]
		kids[pg] = append(kids[pg], g)
	}
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
	line := fmt.Sprintf("process %d: %s", g, strings.Join(ts, ", "))
	if len(flags) > 0 {
		line += "  [" + strings.Join(flags, " ") + "]"
	}
	return line
}

// Diff lists the fields that differ between two states, one per line, in the
// kernel's field names.
func Diff(a, b *state.State) []string {
	var out []string
	f := func(name string, i uint8, x, y string) {
		if x != y {
			out = append(out, fmt.Sprintf("%s[%d]: %s -> %s", name, i, x, y))
		}
	}
	for i := uint8(1); i <= a.N; i++ {
		f("state", i, StatusWord(a.St[i]), StatusWord(b.St[i]))
		if b.St[i] == state.Released && a.St[i] != state.Released {
			continue // the other fields of a released task are normalised away
		}
		f("tgid", i, fmt.Sprint(a.Tg[i]), fmt.Sprint(b.Tg[i]))
		f("real_parent", i, fmt.Sprint(a.Parent[i]), fmt.Sprint(b.Parent[i]))
		f("caba", i, fmt.Sprint(a.Caba[i]), fmt.Sprint(b.Caba[i]))
		f("cabd_on", i, ptr(a.CabdOf[i]), ptr(b.CabdOf[i]))
		f("born", i, fmt.Sprint(a.Born[i]), fmt.Sprint(b.Born[i]))
		f("group_leader", i, fmt.Sprint(a.Leader[i]), fmt.Sprint(b.Leader[i]))
		f("is_child_subreaper", i, fmt.Sprint(a.Sub[i]), fmt.Sprint(b.Sub[i]))
		f("has_child_subreaper", i, fmt.Sprint(a.HasSub[i]), fmt.Sprint(b.HasSub[i]))
		f("sigchld_ignored", i, fmt.Sprint(a.Ign[i]), fmt.Sprint(b.Ign[i]))
		f("group_exec_task", i, ptr(a.Exec[i]), ptr(b.Exec[i]))
	}
	if a.Corrupt != b.Corrupt {
		out = append(out, fmt.Sprintf("corrupt: %v -> %v", a.Corrupt, b.Corrupt))
	}
	return out
}
