package scenario

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrMalformed matches (errors.Is) every error about malformed scenario
// input: a file that is not a well-formed scenario for its own config. The
// command maps it to exit 2; a well-formed scenario whose expectations fail
// is reported as Result.Failures or ErrNotEnabled instead (exit 1).
var ErrMalformed = errors.New("malformed scenario")

// ErrNotEnabled matches the error Run returns when a step or run action of a
// well-formed scenario is not enabled in the state the scenario reached: the
// scenario fails under that revision (it cannot go on), its input is fine.
var ErrNotEnabled = errors.New("step not enabled")

// InputError is a malformed scenario input, with where it is. Its message is
// one line: "path:line: what is wrong".
type InputError struct {
	Path string
	Line int // 1-based; 0 when it concerns the whole file
	Msg  string
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// Is makes errors.Is(err, ErrMalformed) hold for every *InputError.
func (e *InputError) Is(target error) bool { return target == ErrMalformed }

func inputErr(path string, line int, format string, args ...any) *InputError {
	msg := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(fmt.Sprintf(format, args...))
	if len(msg) > maxMsg {
		cut := maxMsg
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "..."
	}
	return &InputError{Path: path, Line: line, Msg: msg}
}

// stepError is ErrNotEnabled with its place and reason.
type stepError struct {
	path string
	line int
	msg  string
}

func (e *stepError) Error() string        { return fmt.Sprintf("%s:%d: %s", e.path, e.line, e.msg) }
func (e *stepError) Is(target error) bool { return target == ErrNotEnabled }

// maxMsg bounds the length of an InputError message (a quoted piece of a
// very long line stays readable).
const maxMsg = 400

// maxQuote bounds how much of an offending piece of input a message quotes.
const maxQuote = 60

// quote renders s for a message: Go-quoted (so control bytes and invalid
// UTF-8 stay on one line) and cut to about maxQuote bytes.
func quote(s string) string {
	if len(s) <= maxQuote {
		return fmt.Sprintf("%q", s)
	}
	cut := maxQuote
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q...", s[:cut])
}
