package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every bad command line, file or value gets exit 2 and one line on stderr
// naming what is wrong: no panic, no runtime trace, no usage dump.
func TestBadInputEveryCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.txt", "")
	prose := write("prose.txt", "Hello, this is not a list of steps.\n")
	emptyObj := write("obj.json", "{}")
	null := write("null.json", "null")
	list := write("list.json", "[1, 2, 3]")
	garbage := write("garbage.json", "\x00\x01\x02{")
	aFile := write("plain", "x")
	cases := [][]string{
		{"nope"},
		{"check", "--tasks", "0"},
		{"check", "--tasks", "99"},
		{"check", "--revision", "v9"},
		{"check", "--revision", ""},
		{"check", "--invariants", "Nope"},
		{"check", "--invariants", ""},
		{"check", "--actions", "warp"},
		{"check", "--workers", "0"},
		{"check", "--workers", "-3"},
		{"check", "--workers", "20000"},
		{"check", "--max-depth", "-1"},
		{"check", "--max-time", "-1s"},
		{"check", "--max-memory", "1K"},
		{"check", "--max-memory", "lots"},
		{"check", "--progress", "-1s"},
		{"check", "--mem-budget", "lots"},
		{"check", "--model", "nope"},
		{"check", "--model", "toy", "--revision", "v3"},
		{"check", "--model", "toy", "--invariants", "Nope"},
		{"check", "--model", "toy", "--actions", "warp"},
		{"check", "--model", "toy", "--workers", "20000"},
		{"check", "--model", "toy", "--workers", "0"},
		{"check", "--model", "toy", "--max-depth", "-1"},
		{"check", "--model", "toy", "--tasks", "0"},
		{"check", "--model", "toy", "--symmetry"},
		{"check", "--store", "badger"},
		{"check", "--store", "floppy", "--dir", dir},
		{"check", "--resume"},
		{"check", "--trace-out", filepath.Join(dir, "missing", "t.json")},
		{"check", "--trace-out", "/proc/t.json"},
		{"check", "--stats-out", filepath.Join(dir, "missing", "s.jsonl")},
		{"check", "extra"},
		{"check", "--no-such-flag"},
		{"matrix", "--tasks", "1"},
		{"matrix", "--revision", "v9"},
		{"matrix", "--actions", "warp"},
		{"matrix", "--workers", "0"},
		{"matrix", "--max-depth", "-2"},
		{"matrix", "extra"},
		{"growth"},
		{"growth", "--tasks", "x"},
		{"growth", "--tasks", "3..2"},
		{"growth", "--tasks", "3", "--revision", "v9"},
		{"growth", "--tasks", "3", "--workers", "0"},
		{"growth", "--tasks", "3", "--out", aFile},
		{"growth", "--replot", filepath.Join(dir, "missing.json")},
		{"growth", "--replot", emptyObj},
		{"growth", "--replot", null},
		{"growth", "--replot", list},
		{"growth", "--replot", garbage},
		{"growth", "extra"},
		{"findings", "--record", emptyObj, "--check"},
		{"findings", "--record", null, "--check"},
		{"findings", "--record", garbage, "--check"},
		{"findings", "--workers", "0"},
		{"findings", "extra"},
		{"invariants", "extra"},
		{"scenario"},
		{"scenario", filepath.Join(dir, "missing.txt")},
		{"scenario", empty},
		{"scenario", prose},
		{"scenario", "--revision", "", empty},
		{"concern"},
		{"concern", "no-such-concern"},
		{"concern", "--workers", "0", "list"},
		{"conform", "nope"},
		{"conform", "host", "extra"},
		{"conform", "host", "--walks", "-1"},
		{"conform", "host", "--actions", "warp"},
		{"conform", "replay"},
		{"conform", "replay", empty},
		{"conform", "replay", prose},
		{"conform", "replay", emptyObj},
		{"conform", "replay", aFile, aFile},
		{"conform", "vm", "--revision", "v9"},
		{"conform", "vm", "--kernels", "huge"},
		{"conform", "vm", "extra"},
		{"bench", "extra"},
		{"bench", "--tasks", "99"},
		{"bench", "--toy-maxp", "0"},
		{"bench", "--symmetry-tasks", "1"},
		{"bench", "--runs", "0"},
	}
	for _, args := range cases {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		msg := errb.String()
		if code != exitUsage || strings.Count(msg, "\n") != 1 || strings.Contains(msg, "goroutine") || strings.Contains(msg, "panic") {
			t.Errorf("%q: exit %d, stderr %q (want exit 2 and one line)", args, code, msg)
		}
	}
}
