package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"cabacheck/kernel"
)

// A kernel build draws a bar of its build steps on a terminal, with the
// step under way; off a terminal the kernel package prints lines instead.
func TestBuildProgressBarOnTerminal(t *testing.T) {
	out := onPTY(t, func(tty *os.File) {
		f := buildProgress(tty)
		if f == nil {
			t.Fatal("no bar on a terminal")
		}
		for i := 1; i <= 40; i++ {
			f(kernel.BuildProgress{Revision: "v4", Flavor: kernel.KASAN, Steps: i, Total: 100, Elapsed: time.Duration(i) * time.Second, Now: "CC      kernel/exit.o"})
			time.Sleep(barRefresh / 8)
		}
		f(kernel.BuildProgress{Revision: "v4", Flavor: kernel.KASAN, Steps: 100, Total: 100, Done: true})
	})
	if !strings.Contains(out, "\r") || !strings.Contains(out, "%") || !strings.Contains(out, "v4 kasan kernel: CC      kernel/exit.o") {
		t.Errorf("want a bar with the build step, got %q", out)
	}
	if f := buildProgress(&bytes.Buffer{}); f != nil {
		t.Error("a bar off a terminal")
	}
}
