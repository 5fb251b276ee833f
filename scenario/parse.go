package scenario

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"cabacheck/invariants"
	"cabacheck/spec"
	"cabacheck/spec/linux"
	"cabacheck/state"
)

// Directive is one command of a scenario file with its expected output.
type Directive struct {
	Line      int      // 1-based line of the command
	Cmd       string   // first word
	Args      []string // the rest of the command line
	Input     []string // lines between the command and "----"
	InputLine []int    // 1-based line of each Input
	Expected  string   // the expected output (may be empty)
	HasExpect bool     // a "----" separator was present
	Only      []string // revisions this directive runs under (empty: all)
	Comments  []string // comment lines just before the directive

	raw []string // the input lines as read (comments kept), for Format
}

// File is a parsed scenario file.
type File struct {
	Path       string
	Directives []*Directive
	Trailing   []string // comment lines after the last directive
}

// MaxFileSize is the largest scenario file Parse reads.
const MaxFileSize = 16 << 20

// directiveNames are the known directives, config first.
var directiveNames = []string{"config", "step", "run", "tree", "caba", "parent", "status", "check", "disabled"}

// ParseFile reads and parses a scenario file.
func ParseFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(path, f)
}

// Parse parses a scenario. Lines may end in "\n" or "\r\n"; a leading UTF-8
// byte order mark is skipped. Every directive is checked for what can be
// checked without the config (known directive, arguments, actions, task
// numbers within the encoding, invariant names, '@' revisions); ParseConfig
// checks the rest. Malformed input is an *InputError (errors.Is
// ErrMalformed) naming the file and line; any other error is a read error.
func Parse(name string, r io.Reader) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, inputErr(name, 0, "larger than %d MiB, not a scenario", MaxFileSize>>20)
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	lines := strings.Split(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		if err := checkLine(name, i+1, l); err != nil {
			return nil, err
		}
		lines[i] = l
	}
	file := &File{Path: name}
	i := 0
	var comments []string
	for i < len(lines) {
		l := strings.TrimSpace(lines[i])
		switch {
		case l == "":
			i++
			continue
		case strings.HasPrefix(l, "#"):
			comments = append(comments, l)
			i++
			continue
		case l == "----":
			return nil, inputErr(name, i+1, "a '----' separator with no directive before it (a directive's '----' follows it with no blank line between)")
		}
		d := &Directive{Line: i + 1, Comments: comments}
		comments = nil
		if strings.Contains(l, "#") {
			return nil, inputErr(name, d.Line, "a '#' comment after a directive at column %d (comments go on lines of their own)", strings.Index(lines[i], "#")+1)
		}
		if at := strings.LastIndex(l, "@"); at >= 0 {
			for _, rev := range strings.Split(l[at+1:], ",") {
				rev = strings.TrimSpace(rev)
				if rev == "" {
					return nil, inputErr(name, d.Line, "empty revision in the '@' list %s (want '@rev1,rev2')", quote(l[at:]))
				}
				if _, err := linux.ParseRevision(rev); err != nil {
					return nil, inputErr(name, d.Line, "'@' list: %v", err)
				}
				d.Only = append(d.Only, rev)
			}
			l = strings.TrimSpace(l[:at])
		}
		fields := strings.Fields(l)
		if len(fields) == 0 {
			return nil, inputErr(name, d.Line, "'@%s' with no directive before it", strings.Join(d.Only, ","))
		}
		d.Cmd, d.Args = fields[0], fields[1:]
		i++
		for i < len(lines) && strings.TrimSpace(lines[i]) != "----" && strings.TrimSpace(lines[i]) != "" {
			d.raw = append(d.raw, strings.TrimSpace(lines[i]))
			in := stripComment(lines[i])
			if in != "" {
				d.Input = append(d.Input, in)
				d.InputLine = append(d.InputLine, i+1)
			}
			i++
		}
		if i < len(lines) && strings.TrimSpace(lines[i]) == "----" {
			d.HasExpect = true
			i++
			var exp []string
			for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
				if strings.TrimSpace(lines[i]) == "----" {
					return nil, inputErr(name, i+1, "a second '----' in the expected output of %s (line %d); end the expected output with a blank line", d.Cmd, d.Line)
				}
				exp = append(exp, strings.TrimRight(lines[i], " \t"))
				i++
			}
			d.Expected = strings.Join(exp, "\n")
		}
		switch {
		case len(file.Directives) == 0 && d.Cmd != "config":
			return nil, inputErr(name, d.Line, "the first directive must be 'config tasks=N ...', got %s", quote(d.Cmd))
		case len(file.Directives) > 0 && d.Cmd == "config":
			return nil, inputErr(name, d.Line, "a second config directive (the first is at line %d)", file.Directives[0].Line)
		}
		if err := d.check(name); err != nil {
			return nil, err
		}
		file.Directives = append(file.Directives, d)
	}
	file.Trailing = comments
	if len(file.Directives) == 0 {
		return nil, inputErr(name, 0, "no config directive: not a scenario (it starts with 'config tasks=N ...')")
	}
	return file, nil
}

// stripComment trims an input line and drops its '#' comment.
func stripComment(l string) string {
	if c := strings.Index(l, "#"); c >= 0 {
		l = l[:c]
	}
	return strings.TrimSpace(l)
}

// inputLines are the lines Format writes between a directive and its
// '----': as read, comments included, unless Input was changed since.
func (d *Directive) inputLines() []string {
	var in []string
	for _, l := range d.raw {
		if l := stripComment(l); l != "" {
			in = append(in, l)
		}
	}
	if slices.Equal(in, d.Input) {
		return d.raw
	}
	return d.Input
}

// checkLine refuses what no scenario line holds: invalid UTF-8, NUL and
// other control characters (tab excepted), a carriage return not ending
// the line.
func checkLine(name string, n int, l string) error {
	if !utf8.ValidString(l) {
		for off := 0; off < len(l); {
			r, size := utf8.DecodeRuneInString(l[off:])
			if r == utf8.RuneError && size <= 1 {
				return inputErr(name, n, "not valid UTF-8 (byte %#02x at column %d)", l[off], off+1)
			}
			off += size
		}
	}
	col := 0
	for _, r := range l {
		col++
		switch {
		case r == '\t':
		case r == '\r':
			return inputErr(name, n, "a carriage return inside a line at column %d (line ends must be \\n or \\r\\n)", col)
		case r == 0:
			return inputErr(name, n, "a NUL byte at column %d: not a text file", col)
		case unicode.IsControl(r):
			return inputErr(name, n, "control character %U at column %d", r, col)
		}
	}
	return nil
}

// check validates d on its own (config values are ParseConfig's).
func (d *Directive) check(path string) error {
	bad := func(format string, args ...any) error {
		return inputErr(path, d.Line, format, args...)
	}
	if d.Cmd != "run" && len(d.Input) > 0 {
		return inputErr(path, d.InputLine[0], "%s (line %d) takes no input lines, got %s (separate directives with a blank line)", d.Cmd, d.Line, quote(d.Input[0]))
	}
	switch d.Cmd {
	case "config":
		if len(d.Only) > 0 {
			return bad("config applies to every revision; '@' does not go on it")
		}
		if d.Expected != "" {
			return bad("config has no output: nothing may follow its '----' before a blank line")
		}
	case "step", "disabled":
		if len(d.Args) == 0 {
			return bad("%s takes one action, e.g. '%s Fork(1)'", d.Cmd, d.Cmd)
		}
		if _, err := parseAction(path, d.Line, strings.Join(d.Args, "")); err != nil {
			return err
		}
	case "run":
		if _, _, err := d.actions(path); err != nil {
			return err
		}
	case "tree":
		if len(d.Args) > 0 {
			return bad("tree takes no arguments, got %s", quote(strings.Join(d.Args, " ")))
		}
	case "caba", "parent", "status":
		if len(d.Args) == 0 {
			return bad("%s takes one or more task numbers, e.g. '%s 2 3'", d.Cmd, d.Cmd)
		}
		for _, a := range d.Args {
			if _, err := parseTask(a); err != nil {
				return bad("%s: %v", d.Cmd, err)
			}
		}
	case "check":
		if _, err := invariants.Select(d.invariantList(), linux.Revisions()[0]); err != nil {
			return bad("check: %v", err)
		}
	default:
		return bad("unknown directive %s (want one of %s)", quote(d.Cmd), strings.Join(directiveNames, ", "))
	}
	return nil
}

// invariantList is a check directive's comma-separated invariant list.
func (d *Directive) invariantList() string {
	if len(d.Args) == 0 {
		return "all"
	}
	return strings.Join(d.Args, ",")
}

// actions parses the actions of a step, run or disabled directive, with the
// line of each.
func (d *Directive) actions(path string) ([]spec.Action, []int, error) {
	var texts []string
	var lines []int
	switch d.Cmd {
	case "step", "disabled":
		if len(d.Args) == 0 {
			return nil, nil, inputErr(path, d.Line, "%s takes one action, e.g. '%s Fork(1)'", d.Cmd, d.Cmd)
		}
		texts, lines = []string{strings.Join(d.Args, "")}, []int{d.Line}
	case "run":
		if len(d.Args) > 0 {
			texts, lines = []string{strings.Join(d.Args, "")}, []int{d.Line}
		}
		texts = append(texts, d.Input...)
		for k := range d.Input {
			line := d.Line
			if k < len(d.InputLine) {
				line = d.InputLine[k]
			}
			lines = append(lines, line)
		}
		if len(texts) == 0 {
			return nil, nil, inputErr(path, d.Line, "run takes at least one action (after 'run' or one per line below it)")
		}
	}
	acts := make([]spec.Action, len(texts))
	for k, t := range texts {
		a, err := parseAction(path, lines[k], t)
		if err != nil {
			return nil, nil, err
		}
		acts[k] = a
	}
	return acts, lines, nil
}

// parseAction parses one action and checks its task numbers against the
// encoding (ParseConfig checks them against the config's tasks).
func parseAction(path string, line int, text string) (spec.Action, error) {
	if len(text) > 2*maxQuote {
		return 0, inputErr(path, line, "action %s: not an action (want Name(args), e.g. Fork(1))", quote(text))
	}
	a, err := linux.ParseAction(text)
	if err != nil {
		return 0, inputErr(path, line, "%v", err)
	}
	for _, t := range actionTasks(a) {
		if t < 1 || t > state.MaxTasks {
			return 0, inputErr(path, line, "%s: task %d is outside 1..%d (no model holds more tasks)", linux.FormatAction(a), t, state.MaxTasks)
		}
	}
	return a, nil
}

// actionTasks are the task numbers an action names.
func actionTasks(a spec.Action) []int {
	if a.Kind() == linux.KReap {
		return []int{int(a.A()), int(a.B())}
	}
	return []int{int(a.A())}
}

// actionNeeds is the optional action set a's kind belongs to (0: always
// on), from the model's action table. A step outside the config's actions
// can never be enabled; disabled may still say so.
func actionNeeds(a spec.Action) linux.ActionSet { return linux.KindSet(a.Kind()) }

// parseTask parses a task number of caba, parent or status.
func parseTask(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > state.MaxTasks {
		return 0, fmt.Errorf("bad task %s (want a task number 1..%d)", quote(s), state.MaxTasks)
	}
	return n, nil
}

// checkBounds checks every task a directive names against cfg.Tasks.
func (f *File) checkBounds(cfg Config) error {
	outside := func(line int, what string, t int) error {
		return inputErr(f.Path, line, "%s: task %d is outside the model's tasks 1..%d (config tasks=%d)", what, t, cfg.Tasks, cfg.Tasks)
	}
	for _, d := range f.Directives {
		switch d.Cmd {
		case "step", "run", "disabled":
			acts, lines, err := d.actions(f.Path)
			if err != nil {
				return err
			}
			for k, a := range acts {
				for _, t := range actionTasks(a) {
					if t > cfg.Tasks {
						return outside(lines[k], linux.FormatAction(a), t)
					}
				}
				if need := actionNeeds(a); d.Cmd != "disabled" && need != 0 && cfg.Actions&need == 0 {
					return inputErr(f.Path, lines[k], "%s needs actions=%s, which the config leaves out (config actions: %s)", linux.FormatAction(a), need, cfg.Actions)
				}
			}
		case "caba", "parent", "status":
			for _, a := range d.Args {
				t, err := parseTask(a)
				if err != nil {
					return inputErr(f.Path, d.Line, "%s: %v", d.Cmd, err)
				}
				if t > cfg.Tasks {
					return outside(d.Line, d.Cmd, t)
				}
			}
		}
	}
	return nil
}

// Format writes the file back with the given outputs (for --rewrite): a
// directive with an expectation gets outputs[i] (see Merge).
func (f *File) Format(outputs []string) string {
	var b strings.Builder
	for i, d := range f.Directives {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, c := range d.Comments {
			b.WriteString(c + "\n")
		}
		b.WriteString(d.Cmd)
		for _, a := range d.Args {
			b.WriteString(" " + a)
		}
		if len(d.Only) > 0 {
			b.WriteString(" @" + strings.Join(d.Only, ","))
		}
		b.WriteString("\n")
		for _, in := range d.inputLines() {
			b.WriteString(in + "\n")
		}
		if !d.HasExpect {
			continue
		}
		b.WriteString("----\n")
		if i < len(outputs) && outputs[i] != "" {
			b.WriteString(outputs[i] + "\n")
		}
	}
	if len(f.Trailing) > 0 {
		b.WriteString("\n")
		for _, c := range f.Trailing {
			b.WriteString(c + "\n")
		}
	}
	return b.String()
}

// Merge combines the outputs of runs under several revisions for Format:
// each directive takes its output from the first result whose revision ran
// it; a directive no result ran (an '@' list naming none of them) keeps its
// expected output.
func (f *File) Merge(results []*Result) []string {
	out := make([]string, len(f.Directives))
	for i, d := range f.Directives {
		out[i] = d.Expected
		for _, r := range results {
			if r != nil && d.RunsUnder(r.Revision) && i < len(r.Outputs) {
				out[i] = r.Outputs[i]
				break
			}
		}
	}
	return out
}

// RunsUnder reports whether d runs under revision rev (its '@' list, if
// any, names rev).
func (d *Directive) RunsUnder(rev linux.Revision) bool {
	return len(d.Only) == 0 || contains(d.Only, rev.String())
}
