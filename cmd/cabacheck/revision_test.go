package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cabacheck/check"
	"cabacheck/findings"
	"cabacheck/revfile"
	"cabacheck/spec/linux"
)

// figures are what a check must reproduce for a revision read from a file.
type figures struct {
	Revision  string
	Distinct  uint64
	Generated uint64
	Depth     int
	Complete  bool
	Violated  []string // invariant:length, in report order
}

func checkFigures(t *testing.T, args ...string) figures {
	t.Helper()
	args = append([]string{"check", "--json", "--progress", "0", "--continue", "--invariants", "all,derived"}, args...)
	code, out, stderr := runOut(t, args...)
	var rep check.Report
	if (code != exitOK && code != exitViolation) || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("%v: code %d %s", args, code, stderr)
	}
	f := figures{rep.Revision, rep.DistinctStates, rep.StatesGen, rep.Depth, rep.Complete, nil}
	for _, v := range rep.Violations {
		f.Violated = append(f.Violated, fmt.Sprintf("%s:%d", v.Invariant, v.Length))
	}
	return f
}

// showTo writes `revision show NAME` to dir/FILE, with the name line
// changed to rename when rename is not "".
func showTo(t *testing.T, dir, name, file, rename string) string {
	t.Helper()
	code, out, stderr := runOut(t, "revision", "show", name)
	if code != exitOK {
		t.Fatalf("revision show %s: code %d %s", name, code, stderr)
	}
	if rename != "" {
		line := fmt.Sprintf("name = %q\n", name)
		if !strings.Contains(out, line) {
			t.Fatalf("revision show %s has no line %q:\n%s", name, line, out)
		}
		out = strings.Replace(out, line, fmt.Sprintf("name = %q\n", rename), 1)
	}
	p := filepath.Join(dir, file)
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The issue's acceptance: `revision show R > R.toml` and `check
// --revision-file R.toml` give exactly the figures of `--revision R`, for
// every registered revision: read back unchanged the file is R itself, and
// under a new name (a new registration with the same choices) it explores
// the same states, to the same depth, with the same violations. 3 and 4
// tasks by default, 5 too with CABACHECK_LONG=1.
func TestRevisionFileSameFigures(t *testing.T) {
	tasks := []int{3, 4}
	if os.Getenv("CABACHECK_LONG") == "1" {
		tasks = append(tasks, 5)
	}
	dir := t.TempDir()
	var names []string
	for _, r := range linux.Revisions() {
		names = append(names, r.String())
	}
	for _, name := range names {
		same := showTo(t, dir, name, name+".toml", "")
		copied := showTo(t, dir, name, name+"-copy.toml", "file-"+name)
		for _, n := range tasks {
			nt := fmt.Sprint(n)
			want := checkFigures(t, "--tasks", nt, "--revision", name)
			if !want.Complete || want.Distinct == 0 {
				t.Fatalf("%s at %d tasks: %+v", name, n, want)
			}
			t.Logf("%s at %d tasks: %d distinct, %d generated, depth %d, violated %v", name, n, want.Distinct, want.Generated, want.Depth, want.Violated)
			// read back unchanged, the file is the revision itself: once is enough
			if n == tasks[0] {
				if got := checkFigures(t, "--tasks", nt, "--revision-file", same); !equalFigures(got, want) {
					t.Errorf("%s at %d tasks, from its shown file:\n got  %+v\n want %+v", name, n, got, want)
				}
			}
			got := checkFigures(t, "--tasks", nt, "--revision-file", copied)
			if got.Revision != "file-"+name {
				t.Errorf("%s copy checked as %s", name, got.Revision)
			}
			got.Revision = want.Revision
			if !equalFigures(got, want) {
				t.Errorf("%s at %d tasks, renamed copy from a file:\n got  %+v\n want %+v", name, n, got, want)
			}
		}
	}
}

func equalFigures(a, b figures) bool {
	return a.Revision == b.Revision && a.Distinct == b.Distinct && a.Generated == b.Generated &&
		a.Depth == b.Depth && a.Complete == b.Complete && slices.Equal(a.Violated, b.Violated)
}

// A file's revision joins the list commands and the registry's listings;
// loading the same file again (or in another command of the same process)
// is the same revision.
func TestRevisionFileInListCommands(t *testing.T) {
	dir := t.TempDir()
	mine := showTo(t, dir, "v3", "mine.toml", "listed-mine")

	code, out, stderr := runOut(t, "matrix", "--json", "--tasks", "3", "--revision", "v3", "--revision-file", mine, "--revision-file", mine)
	var m findings.Matrix
	if code != exitOK || json.Unmarshal([]byte(out), &m) != nil {
		t.Fatalf("matrix: code %d %s", code, stderr)
	}
	var rows []string
	for _, r := range m.Rows {
		rows = append(rows, r.Revision)
	}
	if strings.Join(rows, ",") != "v3,listed-mine" {
		t.Errorf("matrix --revision v3 --revision-file mine: rows %v", rows)
	}
	if len(m.Rows) == 2 {
		a, b := *m.Rows[0], *m.Rows[1]
		a.Revision, a.Seconds, b.Revision, b.Seconds = "", 0, "", 0
		if len(a.Verdicts) == 0 || fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) {
			t.Errorf("v3 and its copy differ in the matrix:\n%+v\n%+v", a, b)
		}
	}

	code, out, stderr = runOut(t, "revision", "list")
	if code != exitOK {
		t.Fatalf("revision list: %d %s", code, stderr)
	}
	for _, r := range linux.Revisions() {
		row := []string{r.String()}
		for _, c := range linux.Choices() {
			row = append(row, c.Value(r.Def()))
		}
		if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(row, " ")) {
			t.Errorf("revision list lacks the row %v:\n%s", row, out)
		}
	}

	// `check --revision NAME` may name the file's revision it registers
	if f := checkFigures(t, "--tasks", "3", "--revision", "listed-mine", "--revision-file", mine); f.Revision != "listed-mine" {
		t.Errorf("check --revision listed-mine --revision-file: checked %s", f.Revision)
	}
	// show prints a file's revision back with its choices
	code, out, _ = runOut(t, "revision", "show", "listed-mine")
	f, err := revfile.Parse("shown.toml", []byte(out))
	if code != exitOK || err != nil || f.Def.Thread != linux.V3.Def().Thread || f.Def.Name != "listed-mine" {
		t.Errorf("revision show listed-mine: code %d, %v\n%s", code, err, out)
	}
}

// Bad revision files and flag combinations: exit 2, one line naming the
// file, the line and the key.
func TestRevisionFileBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	_, v4, _ := runOut(t, "revision", "show", "v4")
	edit := func(name, old, new string) string {
		if !strings.Contains(v4, old) {
			t.Fatalf("%q not in revision show v4", old)
		}
		return write(name, strings.Replace(v4, old, new, 1))
	}
	lineOf := func(key string) int {
		for i, l := range strings.Split(v4, "\n") {
			if strings.HasPrefix(l, key+" = ") || strings.HasPrefix(l, "# "+key+" = ") {
				return i + 1
			}
		}
		t.Fatalf("no key %s in revision show v4", key)
		return 0
	}
	good := edit("good.toml", `name = "v4"`, `name = "bad-input-good"`)
	clash := edit("clash.toml", `thread_caba = "real-parent"`, `thread_caba = "current"`)
	unknown := edit("unknown.toml", `hand_off =`, `handoff =`)
	value := edit("value.toml", `de_thread = "keep"`, `de_thread = "kept"`)
	missing := edit("missing.toml", `nscaba = "tid"`, ``)
	typed := edit("typed.toml", `alive = "hashed"`, `alive = true`)
	patch := edit("patch.toml", `# patch = "kernel/patches/v4.patch"`, `patch = "v4.patch"`)
	syntax := write("syntax.toml", "name = \"x\"\nfork_caba = current\n")
	at := func(f string, line int, key string) string { return fmt.Sprintf("%s:%d: key %s: ", f, line, key) }
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"check", "--revision-file", clash}, at(clash, lineOf("name"), "name") + "name v4 is taken by a registered revision, which differs from this file in thread_caba (v4 has real-parent, this file current)"},
		{[]string{"check", "--revision-file", unknown}, at(unknown, lineOf("hand_off"), "handoff") + "unknown key"},
		{[]string{"check", "--revision-file", value}, at(value, lineOf("de_thread"), "de_thread") + `unknown value "kept" (want one of keep, leader-caba)`},
		{[]string{"check", "--revision-file", missing}, missing + ": key nscaba: missing (what /proc/PID/status prints as NScaba: one of tid, tgid)"},
		{[]string{"check", "--revision-file", typed}, at(typed, lineOf("alive"), "alive") + "want a string"},
		{[]string{"check", "--revision-file", patch}, at(patch, lineOf("patch"), "patch") + "patch " + filepath.Join(dir, "v4.patch") + ": no such file or directory"},
		{[]string{"check", "--revision-file", syntax}, at(syntax, 2, "fork_caba") + "TOML syntax:"},
		{[]string{"check", "--revision-file", filepath.Join(dir, "none.toml")}, filepath.Join(dir, "none.toml") + ": no such file or directory"},
		{[]string{"check", "--revision-file", dir}, dir + ": is a directory"},
		{[]string{"check", "--revision-file", good, "--revision", "v3"}, "--revision v3 and --revision-file " + good + " (revision bad-input-good): give one"},
		{[]string{"check", "--revision-file", good, "--revision-file", edit("good2.toml", `name = "v4"`, `name = "bad-input-good2"`)}, "check checks one revision, not 2"},
		{[]string{"check", "--revision-file"}, "flag needs an argument"},
		{[]string{"matrix", "--revision-file", value}, at(value, lineOf("de_thread"), "de_thread")},
		{[]string{"growth", "--tasks", "3", "--revision-file", value}, at(value, lineOf("de_thread"), "de_thread")},
		{[]string{"restore", "--summary", "--revision-file", value}, at(value, lineOf("de_thread"), "de_thread")},
		{[]string{"conform", "replay", "--revision-file", value, good}, at(value, lineOf("de_thread"), "de_thread")},
		{[]string{"revision", "show", "v4", "--revision-file", value}, at(value, lineOf("de_thread"), "de_thread")},
		{[]string{"revision", "show", "nope"}, `unknown revision "nope"`},
		{[]string{"revision", "show"}, "want 'list' or 'show NAME'"},
		{[]string{"revision"}, "want 'list' or 'show NAME'"},
		{[]string{"revision", "list", "extra"}, "want 'list' or 'show NAME'"},
		{[]string{"revision", "show", "v3", "v4"}, `unexpected argument "v4"`},
	}
	for _, c := range cases {
		code, out, stderr := runOut(t, c.args...)
		cmd := c.args[0]
		if cmd == "conform" {
			cmd = "conform replay"
		}
		if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "cabacheck "+cmd+": ") || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: code %d, stdout %q\nstderr %q\nwant exit 2 and one line containing %q", c.args, code, out, stderr, c.want)
		}
	}
}

// docs/revisions.md's example is `revision show v4` with its name,
// description and thread_caba edited, and reads as v4 with fixed's thread
// rule: the page cannot drift from the format. (The lists of revisions
// using each value are left out: this test binary registers more.)
func TestRevisionDocExample(t *testing.T) {
	page, err := os.ReadFile("../../docs/revisions.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(page), "```toml\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("docs/revisions.md has no ```toml block")
	}
	f, err := revfile.Parse("docs/revisions.md", []byte(block))
	if err != nil {
		t.Fatal(err)
	}
	want := *linux.V4.Def()
	want.Name, want.Description, want.Thread, want.Patch = "v4-leader", "v4, with a new thread taking its group leader's caba", linux.ThreadCabaLeaderCaba, ""
	if f.Def != want {
		t.Errorf("the example reads as %+v, want %+v", f.Def, want)
	}
	_, shown, _ := runOut(t, "revision", "show", "v4")
	for _, e := range [][2]string{
		{`name = "v4"`, `name = "v4-leader"`},
		{`description = "as v3, but a new thread's caba is current->real_parent"`, `description = "v4, with a new thread taking its group leader's caba"`},
		{`thread_caba = "real-parent"`, `thread_caba = "leader-caba"`},
	} {
		shown = strings.Replace(shown, e[0], e[1], 1)
	}
	keep := func(s string) []string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(l, "#   ") {
				out = append(out, l)
			}
		}
		return out
	}
	if got, want := keep(block), keep(shown); !slices.Equal(got, want) {
		t.Errorf("the example is not revision show v4, edited:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
