package revfile

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"

	"cabacheck/spec/linux"
)

// Format writes d as a revision file, each choice preceded by comments
// that say what it decides and list its values with the registered
// revisions that use each one. A built-in's patch (a file name under
// kernel/patches) is written as a comment, since the file may be saved
// anywhere; a patch given by an absolute path (a file's) is written as it is.
func Format(w io.Writer, d *linux.RevisionDef) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# CABA patch revision %s, in the format of docs/revisions.md.\n", d.Name)
	fmt.Fprintf(&b, "# To check a variant: change the values below, give it a name of its own, and run\n")
	fmt.Fprintf(&b, "#   cabacheck check --revision-file FILE\n")
	fmt.Fprintf(&b, "# Every key is required except %s.\n\n", KeyPatch)
	if err := keyval(&b, KeyName, d.Name); err != nil {
		return err
	}
	if err := keyval(&b, KeyDescription, d.Description); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\n# %s: the kernel patch against linux-source-6.1, relative to this file (optional;\n", KeyPatch)
	fmt.Fprintf(&b, "# cabacheck conform vm builds and boots it).\n")
	switch {
	case d.Patch == "":
	case filepath.IsAbs(d.Patch):
		if err := keyval(&b, KeyPatch, d.Patch); err != nil {
			return err
		}
	default:
		fmt.Fprintf(&b, "# %s's own is kernel/patches/%s in the cabacheck source tree:\n# ", d.Name, d.Patch)
		if err := keyval(&b, KeyPatch, "kernel/patches/"+d.Patch); err != nil {
			return err
		}
	}
	for _, c := range linux.Choices() {
		fmt.Fprintf(&b, "\n# %s: %s.\n", c.Key, c.Doc)
		users := usersOf(c)
		width := 0
		for _, v := range c.Values {
			width = max(width, len(v))
		}
		for i, v := range c.Values {
			fmt.Fprintf(&b, "#   %-*s  %s\n", width, v, users[i])
		}
		if err := keyval(&b, c.Key, c.Value(d)); err != nil {
			return err
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// usersOf says, for each value of c, which registered revisions pick it.
func usersOf(c linux.Choice) []string {
	names := make([][]string, len(c.Values))
	for _, r := range linux.Revisions() {
		d := r.Def()
		for i, v := range c.Values {
			if c.Value(d) == v {
				names[i] = append(names[i], d.Name)
			}
		}
	}
	out := make([]string, len(c.Values))
	for i, n := range names {
		if len(n) == 0 {
			out[i] = "(no registered revision)"
		} else {
			out[i] = "(" + strings.Join(n, ", ") + ")"
		}
	}
	return out
}

// keyval writes one `key = "value"` line, quoted by the TOML encoder.
func keyval(b *bytes.Buffer, key, val string) error {
	if err := toml.NewEncoder(b).Encode(map[string]string{key: val}); err != nil {
		return fmt.Errorf("revision file: %s: %w", key, err)
	}
	return nil
}
