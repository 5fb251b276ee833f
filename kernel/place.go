package kernel

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// SeedFiles are the files the seed diff touches (from its diffstat).
var SeedFiles = []string{"arch/ia64/kernel/mca.c", "fs/exec.c", "fs/proc/array.c", "include/linux/sched.h", "init/init_task.c", "kernel/exit.c", "kernel/fork.c"}

// Hunk is one hunk of a diff that lost its file headers, indentation and
// blank context lines.
type Hunk struct {
	OldLine int    // from the @@ header
	Header  string // the @@ line
	Lines   []string
}

var hunkRe = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@`)

// ParseStrippedDiff splits the seed text into hunks. A hunk ends at the next
// @@ line or when its header's line counts are used up (the commit message
// follows the last hunk).
func ParseStrippedDiff(text string) []Hunk {
	var hs []Hunk
	var cur *Hunk
	oldLeft, newLeft := 0, 0
	for _, l := range strings.Split(text, "\n") {
		if m := hunkRe.FindStringSubmatch(l); m != nil {
			hs = append(hs, Hunk{Header: l})
			cur = &hs[len(hs)-1]
			cur.OldLine, _ = strconv.Atoi(m[1])
			oldLeft, newLeft = atoiDef(m[2], 1), atoiDef(m[4], 1)
			continue
		}
		if cur == nil || (oldLeft <= 0 && newLeft <= 0) {
			continue
		}
		cur.Lines = append(cur.Lines, l)
		switch {
		case strings.HasPrefix(l, "+"):
			newLeft--
		case strings.HasPrefix(l, "-"):
			oldLeft--
		default:
			oldLeft--
			newLeft--
		}
	}
	return hs
}

func atoiDef(s string, d int) int {
	if s == "" {
		return d
	}
	n, _ := strconv.Atoi(s)
	return n
}

func norm(s string) string { return strings.Join(strings.Fields(s), " ") }

// Placement is where a hunk landed.
type Placement struct {
	Hunk  int
	File  string
	Line  int // 1-based first line of the matched region
	Fuzz  int // context lines dropped at either end to place it
	Error string
}

type oldLine struct {
	text   string // normalised
	remove bool
}

// placeHunk finds the hunk's old side (context and removed lines, blank lines
// ignored) in lines; it returns the indices of the matched file lines.
func placeHunk(h Hunk, lines []string, fuzz int) (match []int, ok bool) {
	var old []oldLine
	for _, l := range h.Lines {
		if strings.HasPrefix(l, "+") {
			continue
		}
		t := l
		if strings.HasPrefix(l, "-") {
			t = l[1:]
		}
		if norm(t) == "" {
			continue
		}
		old = append(old, oldLine{norm(t), strings.HasPrefix(l, "-")})
	}
	// drop up to fuzz context lines at each end
	lo, hi := 0, len(old)
	for f := 0; f < fuzz && lo < hi && !old[lo].remove; f++ {
		lo++
	}
	for f := 0; f < fuzz && hi > lo && !old[hi-1].remove; f++ {
		hi--
	}
	want := old[lo:hi]
	if len(want) == 0 {
		return nil, false
	}
	var nonblank []int
	for i, l := range lines {
		if norm(l) != "" {
			nonblank = append(nonblank, i)
		}
	}
	best, bestDist := -1, 0
	for s := 0; s+len(want) <= len(nonblank); s++ {
		okk := true
		for j := range want {
			if norm(lines[nonblank[s+j]]) != want[j].text {
				okk = false
				break
			}
		}
		if okk {
			d := nonblank[s] + 1 - h.OldLine
			if d < 0 {
				d = -d
			}
			if best < 0 || d < bestDist {
				best, bestDist = s, d
			}
		}
	}
	if best < 0 {
		return nil, false
	}
	return nonblank[best : best+len(want)], true
}

func indentOf(s string) string {
	return s[:len(s)-len(strings.TrimLeft(s, " \t"))]
}

// applyHunk rewrites lines with h placed at match: removed lines go, added
// lines are inserted with indentation rebuilt from the neighbouring file
// line and the braces of the added code.
func applyHunk(h Hunk, lines []string, match []int) []string {
	// map each non-blank old-side hunk line to a file line
	fileOf := map[int]int{} // hunk line index -> file line index
	var oldIdx []int
	for i, l := range h.Lines {
		if strings.HasPrefix(l, "+") {
			continue
		}
		t := l
		if strings.HasPrefix(l, "-") {
			t = l[1:]
		}
		if norm(t) == "" {
			continue
		}
		oldIdx = append(oldIdx, i)
	}
	// align: match holds the file lines of a contiguous sub-run of oldIdx
	// (fuzz may have dropped some at the ends); find its offset
	off := 0
	for o := 0; o+len(match) <= len(oldIdx); o++ {
		okk := true
		for j := range match {
			t := h.Lines[oldIdx[o+j]]
			if strings.HasPrefix(t, "-") {
				t = t[1:]
			}
			if norm(t) != norm(lines[match[j]]) {
				okk = false
				break
			}
		}
		if okk {
			off = o
			break
		}
	}
	for j := range match {
		fileOf[oldIdx[off+j]] = match[j]
	}
	remove := map[int]bool{}
	insertAfter := map[int][]string{} // file line index -> added lines after it (-1: before the first)
	lastFile := -1
	if len(match) > 0 {
		lastFile = match[0] - 1
	}
	var block []string
	flush := func() {
		if len(block) == 0 {
			return
		}
		at := lastFile
		// a block ending in a blank line was preceded by a blank context
		// line the seed lost: put it after the file's blank lines
		if block[len(block)-1] == "" {
			for at+1 < len(lines) && strings.TrimSpace(lines[at+1]) == "" {
				at++
			}
		}
		insertAfter[at] = append(insertAfter[at], indentBlock(block, lines, lastFile, remove[lastFile])...)
		block = nil
	}
	for i, l := range h.Lines {
		if f, ok := fileOf[i]; ok {
			flush()
			if strings.HasPrefix(l, "-") {
				remove[f] = true
			}
			lastFile = f
			continue
		}
		if !strings.HasPrefix(l, "+") || (len(match) > 0 && i < oldIdx[off]) {
			continue
		}
		block = append(block, strings.TrimSpace(l[1:]))
	}
	flush()
	var out []string
	if b, ok := insertAfter[-1]; ok {
		out = append(out, b...)
	}
	for i, l := range lines {
		if !remove[i] {
			out = append(out, l)
		}
		if b, ok := insertAfter[i]; ok {
			out = append(out, b...)
		}
	}
	return out
}

// indentBlock rebuilds the indentation of added lines: the base is the
// indentation of the next code line in the file after the insertion point
// (one level deeper when that line closes a brace), then braces, one-line
// if/for bodies, labels, preprocessor lines and continuation lines of
// unbalanced parentheses are laid out in kernel style.
func indentBlock(block []string, lines []string, after int, replaces bool) []string {
	base := ""
	prevLine := ""
	if after >= 0 && after < len(lines) {
		prevLine = lines[after]
	}
	for j := after + 1; j < len(lines); j++ {
		t := strings.TrimSpace(lines[j])
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		base = indentOf(lines[j])
		if strings.HasPrefix(t, "}") {
			base += "\t"
		}
		break
	}
	if replaces {
		base = indentOf(prevLine)
	}
	var out []string
	depth, one := 0, false
	prev := strings.TrimSpace(prevLine)
	if replaces {
		// the block replaces removed lines: continue from the line before them
		for j := after; j >= 0; j-- {
			if strings.TrimSpace(lines[j]) == "" {
				continue
			}
			if strings.HasPrefix(strings.TrimSpace(lines[j]), "-") {
				continue
			}
			break
		}
		prev = ""
	}
	lastOut := prevLine
	for _, b := range block {
		switch {
		case b == "":
			out = append(out, "")
			continue
		case strings.HasPrefix(b, "#"):
			out = append(out, b)
			continue
		case labelRe.MatchString(b):
			out = append(out, b)
			continue
		}
		if strings.HasPrefix(b, "}") {
			depth--
		}
		d := depth
		if d < 0 {
			d = 0
		}
		ind := base + strings.Repeat("\t", d)
		if open := strings.Count(prev, "(") - strings.Count(prev, ")"); open > 0 && prev != "" {
			// continuation: align after the unmatched parenthesis
			col := visualCol(lastOut, strings.LastIndex(lastOut, "(")+1)
			ind = strings.Repeat("\t", col/8) + strings.Repeat(" ", col%8)
		} else if one && !strings.HasPrefix(b, "{") {
			ind += "\t"
		}
		one = false
		out = append(out, ind+b)
		lastOut = ind + b
		switch {
		case strings.HasSuffix(b, "{"):
			depth++
		case strings.HasSuffix(b, ")") && strings.Count(b, "(") == strings.Count(b, ")"):
			one = true
		}
		prev = b
	}
	return out
}

var labelRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*:$`)

func visualCol(s string, idx int) int {
	col := 0
	for i := 0; i < idx && i < len(s); i++ {
		if s[i] == '\t' {
			col = (col/8 + 1) * 8
		} else {
			col++
		}
	}
	return col
}

// PlaceSeed places the hunks of the stripped seed diff onto the kernel tree
// at src and returns a unified diff (a/ b/ paths) and where each hunk went.
// Hunks that cannot be placed (the ia64 one lands only with fuzz) are
// reported; placement in a file goes bottom-up so line numbers stay valid.
func PlaceSeed(seed string, src string) (string, []Placement, error) {
	hunks := ParseStrippedDiff(seed)
	if len(hunks) == 0 {
		return "", nil, fmt.Errorf("no hunks in the seed")
	}
	files := map[string][]string{}
	for _, f := range SeedFiles {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return "", nil, err
		}
		files[f] = strings.Split(string(b), "\n")
	}
	type landed struct {
		h     int
		file  string
		match []int
	}
	var ls []landed
	var pls []Placement
	for i, h := range hunks {
		pl := Placement{Hunk: i + 1}
		found := false
		for fuzz := 0; fuzz <= 2 && !found; fuzz++ {
			for _, f := range SeedFiles {
				if m, ok := placeHunk(h, files[f], fuzz); ok {
					pl.File, pl.Line, pl.Fuzz = f, m[0]+1, fuzz
					ls = append(ls, landed{i, f, m})
					found = true
					break
				}
			}
		}
		if !found {
			pl.Error = "no place found"
		}
		pls = append(pls, pl)
	}
	// apply bottom-up per file
	sort.Slice(ls, func(a, b int) bool {
		if ls[a].file != ls[b].file {
			return ls[a].file < ls[b].file
		}
		return ls[a].match[0] > ls[b].match[0]
	})
	newFiles := map[string][]string{}
	for f, l := range files {
		newFiles[f] = append([]string(nil), l...)
	}
	for _, l := range ls {
		newFiles[l.file] = applyHunk(hunks[l.h], newFiles[l.file], l.match)
	}
	tmp, err := os.MkdirTemp("", "cabacheck-place")
	if err != nil {
		return "", pls, err
	}
	defer os.RemoveAll(tmp)
	var patch bytes.Buffer
	for _, f := range SeedFiles {
		a := filepath.Join(tmp, "a", f)
		b := filepath.Join(tmp, "b", f)
		os.MkdirAll(filepath.Dir(a), 0o755)
		os.MkdirAll(filepath.Dir(b), 0o755)
		os.WriteFile(a, []byte(strings.Join(files[f], "\n")), 0o644)
		os.WriteFile(b, []byte(strings.Join(newFiles[f], "\n")), 0o644)
		cmd := exec.Command("diff", "-u", "-p", "--label", "a/"+f, "--label", "b/"+f, a, b)
		out, err := cmd.Output()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				return "", pls, fmt.Errorf("diff %s: %v", f, err)
			}
		}
		patch.Write(out)
	}
	return patch.String(), pls, nil
}
