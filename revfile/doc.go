// Package revfile reads and writes revision files: a CABA patch revision
// written by a user, without touching the checker, as a small TOML file
// that picks one known behaviour for every choice point of spec/linux's
// revision registry, plus a name, a description and an optional kernel
// patch (docs/revisions.md).
//
// The format is derived from the registry: its keys are name, description,
// patch and the Key of every linux.Choices() entry, and the values of a
// choice are that entry's Values. Adding a choice or a value to the
// registry changes the format, the output of Format and the errors of
// Parse with no edit here.
//
// Parse reports every mistake as an *Error naming the file, the line and
// the key (the TOML decoder's position metadata gives the line). Register
// adds a parsed revision to the process-wide registry; registering an
// identical definition again returns the same handle, a different one
// under a registered name is an error, so that loading a file twice (or a
// built-in shown and read back unchanged) is harmless and a clash is never
// silent.
package revfile
