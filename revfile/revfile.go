package revfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"cabacheck/spec/linux"
)

// The keys a revision file has besides the registry's choices.
const (
	KeyName        = "name"
	KeyDescription = "description"
	KeyPatch       = "patch"
)

// Error is a mistake in a revision file: where it is and what is wrong.
type Error struct {
	File string // the path as given
	Line int    // 1-based; 0 when the mistake has no line (a missing key, an unreadable file)
	Key  string // the key at fault ("" for a syntax error before any key)
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": key %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// File is a parsed revision file.
type File struct {
	Path string // as given to Parse or Load
	// Def is the revision. Def.Patch, when the file names a patch, is the
	// patch's absolute path (the file gives it relative to itself); the
	// built-in revisions' Patch is a file name under kernel/patches.
	Def   linux.RevisionDef
	lines map[string]int // key → line, for errors found after parsing
}

// Load reads and parses the revision file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: readError(err)}
	}
	return Parse(path, data)
}

// readError is the reason a file cannot be read, without repeating its path.
func readError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// field is how one key's value is checked and stored.
type field struct {
	doc string // for the "unknown key" and "missing key" messages
	set func(f *File, s string) error
}

// fields are the keys of the format: name, description, patch, then every
// choice of the registry.
func fields() (keys []string, byKey map[string]field) {
	byKey = map[string]field{
		KeyName: {"the revision's name", func(f *File, s string) error {
			f.Def.Name = s
			d := linux.RevisionDef{Name: s}
			return d.Validate()
		}},
		KeyDescription: {"one line", func(f *File, s string) error {
			if strings.TrimSpace(s) == "" || strings.ContainsAny(s, "\r\n") {
				return errors.New("want one non-empty line")
			}
			f.Def.Description = s
			return nil
		}},
		KeyPatch: {"the kernel patch, relative to this file (optional)", func(f *File, s string) error {
			if s == "" {
				return errors.New("want a path (leave the key out for no patch)")
			}
			p := s
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(f.Path), p)
			}
			abs, err := filepath.Abs(p)
			if err != nil {
				return err
			}
			st, err := os.Stat(abs)
			if err != nil {
				return fmt.Errorf("patch %s: %s", abs, readError(err))
			}
			if !st.Mode().IsRegular() {
				return fmt.Errorf("patch %s is not a regular file", abs)
			}
			f.Def.Patch = abs
			return nil
		}},
	}
	keys = []string{KeyName, KeyDescription, KeyPatch}
	for _, c := range linux.Choices() {
		byKey[c.Key] = field{c.Doc + ": one of " + strings.Join(c.Values, ", "), func(f *File, s string) error {
			if err := c.Set(&f.Def, s); err != nil {
				// Set's message starts with the key, which Error names already
				return errors.New(strings.TrimPrefix(err.Error(), c.Key+": "))
			}
			return nil
		}}
		keys = append(keys, c.Key)
	}
	return keys, byKey
}

// value decodes one top-level value through the TOML decoder, so that an
// error it returns comes back as a toml.ParseError carrying the key's line.
type value struct{ check func(data any) error }

func (v *value) UnmarshalTOML(data any) error { return v.check(data) }

// tomlType names a decoded TOML value's type for error messages.
func tomlType(data any) string {
	switch data.(type) {
	case map[string]any:
		return "a table"
	case []map[string]any, []any:
		return "an array"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	}
	return "a date or time"
}

// Parse parses a revision file's contents; name is the file's path (the
// patch key is resolved relative to it).
func Parse(name string, data []byte) (*File, error) {
	var raw map[string]toml.Primitive
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw)
	if err != nil {
		return nil, positioned(name, "TOML syntax: ", err)
	}
	keys, byKey := fields()
	f := &File{Path: name, lines: map[string]int{}}
	seen := map[string]bool{}
	for _, k := range md.Keys() {
		if len(k) != 1 {
			continue // inside a table: the table's own key is reported
		}
		key := k[0]
		fd, known := byKey[key]
		err := md.PrimitiveDecode(raw[key], &value{func(data any) error {
			if !known {
				return fmt.Errorf("unknown key (want %s)", strings.Join(keys, ", "))
			}
			s, ok := data.(string)
			if !ok {
				return fmt.Errorf("want a string (%s), not %s", fd.doc, tomlType(data))
			}
			return fd.set(f, s)
		}})
		if err != nil {
			return nil, positioned(name, "", err)
		}
		seen[key] = true
		f.lines[key] = locate(&md, raw[key])
	}
	var missing []string
	for _, k := range keys {
		if !seen[k] && k != KeyPatch {
			missing = append(missing, k)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		return nil, &Error{File: name, Key: missing[0], Msg: "missing (" + byKey[missing[0]].doc + ")"}
	default:
		return nil, &Error{File: name, Key: missing[0], Msg: fmt.Sprintf("missing, and so are %s: every choice needs a value (cabacheck revision show NAME prints a complete file)", strings.Join(missing[1:], ", "))}
	}
	if err := f.Def.Validate(); err != nil {
		return nil, f.errorAt(KeyName, "%v", err)
	}
	return f, nil
}

// errLocate is what locate's hook returns to learn a key's line.
var errLocate = errors.New("revfile: locate")

// locate returns the line of a top-level key. The decoder tells a key's
// position only in the error of a decoding hook, so the hook fails on
// purpose; 0 if the decoder ever stops reporting it.
func locate(md *toml.MetaData, p toml.Primitive) int {
	err := md.PrimitiveDecode(p, &value{func(any) error { return errLocate }})
	var pe toml.ParseError
	if errors.As(err, &pe) && pe.Message == errLocate.Error() {
		return pe.Position.Line
	}
	return 0
}

// positioned turns the decoder's error into an *Error with its line (for a
// value over several lines, the decoder gives its last) and key.
func positioned(name, prefix string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &Error{File: name, Line: pe.Position.Line, Key: pe.LastKey, Msg: prefix + pe.Message}
	}
	return &Error{File: name, Msg: prefix + err.Error()}
}

// errorAt is a mistake found after decoding, at the line of key.
func (f *File) errorAt(key, format string, args ...any) error {
	return &Error{File: f.Path, Line: f.lines[key], Key: key, Msg: fmt.Sprintf(format, args...)}
}

// Differences lists what differs between a registered definition and a
// file's: the description, the patch when the file names one, and every
// choice, with both values.
func Differences(have, want *linux.RevisionDef) []string {
	var d []string
	if have.Description != want.Description {
		d = append(d, KeyDescription)
	}
	if want.Patch != "" && have.Patch != want.Patch {
		d = append(d, KeyPatch)
	}
	for _, c := range linux.Choices() {
		if c.Value(have) != c.Value(want) {
			d = append(d, fmt.Sprintf("%s (%s has %s, this file %s)", c.Key, have.Name, c.Value(have), c.Value(want)))
		}
	}
	return d
}

// maxRevisions is the registry's capacity (a Revision is a uint8 and
// linux.Register refuses the 256th).
const maxRevisions = 255

// Register adds the file's revision to the registry and returns its handle.
// A revision of that name already registered with the same definition (the
// same choices and description; the same patch, or none given in the file)
// is returned as it is: registering is idempotent. One that differs is an
// error at the file's name key.
func Register(f *File) (linux.Revision, error) {
	if r, err := linux.ParseRevision(f.Def.Name); err == nil {
		if d := Differences(r.Def(), &f.Def); len(d) > 0 {
			return 0, f.errorAt(KeyName, "name %s is taken by a registered revision, which differs from this file in %s: give yours a name of its own",
				f.Def.Name, strings.Join(d, ", "))
		}
		return r, nil
	}
	if len(linux.Revisions()) >= maxRevisions {
		return 0, f.errorAt(KeyName, "the registry is full (%d revisions)", maxRevisions)
	}
	return linux.Register(f.Def), nil
}

// LoadAll loads and registers revision files in order, returning their
// revisions with duplicates dropped.
func LoadAll(paths []string) ([]linux.Revision, error) {
	var revs []linux.Revision
	for _, p := range paths {
		f, err := Load(p)
		if err != nil {
			return nil, err
		}
		r, err := Register(f)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(revs, r) {
			revs = append(revs, r)
		}
	}
	return revs, nil
}
