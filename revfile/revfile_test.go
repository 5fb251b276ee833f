package revfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cabacheck/spec/linux"
)

// v4File is v4 as a user would write it by hand, under a name of its own.
const v4File = `# my copy of v4
name = "mine"
description = "v4, typed by hand"

fork_caba = "current"
thread_caba = "real-parent"
hand_off = "release"
new_caba = "forget"
de_thread = "keep"
nscaba = "tid"
alive = "hashed"
`

func TestParseHandWritten(t *testing.T) {
	f, err := Parse("mine.toml", []byte(v4File))
	if err != nil {
		t.Fatal(err)
	}
	want := *linux.V4.Def()
	want.Name, want.Description, want.Patch = "mine", "v4, typed by hand", ""
	if f.Def != want {
		t.Errorf("parsed %+v\nwant   %+v", f.Def, want)
	}
	if f.lines[KeyName] != 2 || f.lines["alive"] != 11 {
		t.Errorf("lines %v: want name on 2, alive on 11", f.lines)
	}
}

// Every registered revision, formatted and parsed back, is itself: the
// format covers every choice, and the comments parse as comments.
func TestFormatRoundTrip(t *testing.T) {
	for _, r := range linux.Revisions() {
		var b bytes.Buffer
		if err := Format(&b, r.Def()); err != nil {
			t.Fatal(err)
		}
		f, err := Parse(r.String()+".toml", b.Bytes())
		if err != nil {
			t.Fatalf("%s: %v\n%s", r, err, b.String())
		}
		want := *r.Def()
		want.Patch = "" // a built-in's patch is written as a comment
		if f.Def != want {
			t.Errorf("%s: read back %+v, want %+v", r, f.Def, want)
		}
		for _, c := range linux.Choices() {
			for _, v := range c.Values {
				if !strings.Contains(b.String(), "#   "+v) {
					t.Errorf("%s: the comment of %s does not list %s", r, c.Key, v)
				}
			}
		}
	}
}

// Each mistake is reported at its line and key, with what is wrong.
func TestParseErrors(t *testing.T) {
	dir := t.TempDir()
	patch := filepath.Join(dir, "p.patch")
	if err := os.WriteFile(patch, []byte("diff\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) string {
		if !strings.Contains(v4File, old) {
			t.Fatalf("%q not in the file", old)
		}
		return strings.Replace(v4File, old, new, 1)
	}
	cases := []struct {
		name, text string
		line       int
		key, msg   string
	}{
		{"unknown key", edit("alive", "aliv"), 11, "aliv", "unknown key (want name, description, patch, fork_caba,"},
		{"bad value", edit(`"real-parent"`, `"currnt"`), 6, "thread_caba", `unknown value "currnt" (want one of real-parent, current, leader-caba)`},
		{"not a string", edit(`hand_off = "release"`, `hand_off = 1`), 7, "hand_off", "want a string (when an exiting task's CABDs are handed on: one of exit-notify, release), not an integer"},
		{"a table", v4File + "[extra]\nx = 1\n", 12, "extra", "unknown key"},
		{"missing choice", edit("de_thread = \"keep\"\n", ""), 0, "de_thread", "missing (the caba of the thread that becomes leader in de_thread: one of keep, leader-caba)"},
		{"missing several", edit("nscaba = \"tid\"\nalive = \"hashed\"\n", ""), 0, "nscaba", "missing, and so are alive"},
		{"missing name", edit(`name = "mine"`, ""), 0, "name", "missing"},
		{"reserved name", edit(`"mine"`, `"all"`), 2, "name", `want a non-empty word other than "all"`},
		{"name with a comma", edit(`"mine"`, `"a,b"`), 2, "name", "want a non-empty word"},
		{"two-line description", edit(`"v4, typed by hand"`, `"""one
two"""`), 4, "description", "want one non-empty line"},
		{"duplicate key", v4File + "alive = \"hashed\"\n", 12, "alive", "TOML syntax: Key 'alive' has already been defined"},
		{"syntax", edit(`nscaba = "tid"`, `nscaba = "tid`), 10, "nscaba", "TOML syntax: strings cannot contain newlines"},
		{"missing patch", edit("# my copy", "patch = \"nowhere.patch\"\n#"), 1, "patch", "nowhere.patch: no such file or directory"},
		{"empty patch", edit("# my copy", "patch = \"\"\n#"), 1, "patch", "want a path"},
		{"patch is a directory", edit("# my copy", "patch = \".\"\n#"), 1, "patch", "is not a regular file"},
	}
	for _, c := range cases {
		_, err := Parse(filepath.Join(dir, "bad.toml"), []byte(c.text))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: got %v, want an *Error", c.name, err)
			continue
		}
		if e.Line != c.line || e.Key != c.key || !strings.Contains(e.Msg, c.msg) || e.File != filepath.Join(dir, "bad.toml") {
			t.Errorf("%s: got line %d key %q %q\nwant line %d key %q containing %q", c.name, e.Line, e.Key, e.Msg, c.line, c.key, c.msg)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: message of several lines: %q", c.name, err)
		}
	}
	f, err := Parse(filepath.Join(dir, "ok.toml"), []byte(edit("# my copy", "patch = \"p.patch\"\n#")))
	if err != nil || f.Def.Patch != patch {
		t.Errorf("a patch beside the file: %v, Patch %q, want %q", err, f.Def.Patch, patch)
	}
}

func TestErrorText(t *testing.T) {
	for _, c := range []struct {
		e    Error
		want string
	}{
		{Error{File: "a.toml", Line: 3, Key: "alive", Msg: "bad"}, "a.toml:3: key alive: bad"},
		{Error{File: "a.toml", Key: "alive", Msg: "missing"}, "a.toml: key alive: missing"},
		{Error{File: "a.toml", Msg: "no such file or directory"}, "a.toml: no such file or directory"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	_, err := Load(filepath.Join(t.TempDir(), "none.toml"))
	if err == nil || !strings.HasSuffix(err.Error(), "none.toml: no such file or directory") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

// Registering is idempotent for the same definition and an error for a
// different one under a registered name, at the line of the name key.
func TestRegister(t *testing.T) {
	parse := func(text string) *File {
		t.Helper()
		f, err := Parse("r.toml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	text := strings.Replace(v4File, `"mine"`, `"revfile-test"`, 1)
	r1, err := Register(parse(text))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Register(parse(text))
	if err != nil || r2 != r1 {
		t.Fatalf("second registration: %v, %v (want %v)", r2, err, r1)
	}
	if r1.Def().Thread != linux.ThreadCabaRealParent || r1.String() != "revfile-test" {
		t.Errorf("registered %+v", *r1.Def())
	}

	var b bytes.Buffer
	if err := Format(&b, linux.V3.Def()); err != nil {
		t.Fatal(err)
	}
	r, err := Register(parse(b.String()))
	if err != nil || r != linux.V3 {
		t.Errorf("v3 shown and read back: %v, %v, want the built-in", r, err)
	}

	conflict := strings.Replace(b.String(), `thread_caba = "current"`, `thread_caba = "real-parent"`, 1)
	_, err = Register(parse(conflict))
	var e *Error
	if !errors.As(err, &e) || e.Key != KeyName || e.Line != 6 || !strings.Contains(e.Msg, "thread_caba (v3 has current, this file real-parent)") {
		t.Errorf("v3 with another thread choice: %v", err)
	}
	n := len(linux.Revisions())
	if _, err := Register(parse(strings.Replace(text, "typed by hand", "changed", 1))); err == nil || !strings.Contains(err.Error(), "differs from this file in description") {
		t.Errorf("a changed description under a registered name: %v", err)
	}
	if len(linux.Revisions()) != n {
		t.Errorf("a refused registration changed the registry")
	}
}
