package scenario

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// Directive is one command of a scenario file with its expected output.
type Directive struct {
	Line      int      // 1-based line of the command
	Cmd       string   // first word
	Args      []string // the rest of the command line
	Input     []string // lines between the command and "----"
	Expected  string   // the expected output (may be empty)
	HasExpect bool     // a "----" separator was present
	Only      []string // revisions this directive runs under (empty: all)
	Comments  []string // comment lines just before the directive
}

// File is a parsed scenario file.
type File struct {
	Path       string
	Directives []*Directive
}

// ParseFile reads and parses a scenario file.
func ParseFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(path, f)
}

// Parse parses a scenario.
func Parse(name string, r io.Reader) (*File, error) {
	sc := bufio.NewScanner(r)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	file := &File{Path: name}
	i := 0
	var comments []string
	for i < len(lines) {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			i++
			continue
		}
		if strings.HasPrefix(l, "#") {
			comments = append(comments, l)
			i++
			continue
		}
		d := &Directive{Line: i + 1, Comments: comments}
		comments = nil
		if at := strings.LastIndex(l, "@"); at >= 0 {
			d.Only = strings.Split(strings.TrimSpace(l[at+1:]), ",")
			l = strings.TrimSpace(l[:at])
		}
		fields := strings.Fields(l)
		d.Cmd, d.Args = fields[0], fields[1:]
		i++
		for i < len(lines) && strings.TrimSpace(lines[i]) != "----" && strings.TrimSpace(lines[i]) != "" {
			in := strings.TrimSpace(lines[i])
			if c := strings.Index(in, "#"); c >= 0 {
				in = strings.TrimSpace(in[:c])
			}
			if in != "" {
				d.Input = append(d.Input, in)
			}
			i++
		}
		if i < len(lines) && strings.TrimSpace(lines[i]) == "----" {
			d.HasExpect = true
			i++
			var exp []string
			for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
				exp = append(exp, strings.TrimRight(lines[i], " \t"))
				i++
			}
			d.Expected = strings.Join(exp, "\n")
		}
		file.Directives = append(file.Directives, d)
	}
	if len(file.Directives) == 0 || file.Directives[0].Cmd != "config" {
		return nil, fmt.Errorf("%s: the first directive must be 'config tasks=N ...'", name)
	}
	return file, nil
}

// Format writes the file back with the given outputs (for --rewrite).
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
		for _, in := range d.Input {
			b.WriteString(in + "\n")
		}
		if !d.HasExpect {
			continue
		}
		b.WriteString("----\n")
		if outputs[i] != "" {
			b.WriteString(outputs[i] + "\n")
		}
	}
	return b.String()
}
