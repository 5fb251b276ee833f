package kernel

import (
	"strings"
	"testing"
	"time"
)

func TestIsBuildStep(t *testing.T) {
	for l, want := range map[string]bool{
		"  CC      kernel/exit.o":                  true,
		"  HOSTCC  scripts/basic/fixdep":           true,
		"  LD [M]  fs/foo.ko":                      true,
		"  AR      kernel/built-in.a":              true,
		"make[1]: Entering directory '/x'":         false,
		"kernel/exit.c:12:3: warning: unused":      false,
		"  GEN     Makefile":                       true,
		"  In file included from kernel/exit.c:1:": false,
		"Kernel: arch/x86/boot/bzImage is ready":   false,
	} {
		if got := isBuildStep(l); got != want {
			t.Errorf("isBuildStep(%q) = %v, want %v", l, got, want)
		}
	}
}

func TestBuildProgressLine(t *testing.T) {
	p := BuildProgress{Revision: "v4", Flavor: KASAN, Steps: 250, Total: 1000, Elapsed: time.Minute, Now: "CC kernel/exit.o"}
	if got, want := p.Line(), "v4 kasan kernel: 25% (250 of about 1000 build steps), 1m0s, ETA 3m0s, now: CC kernel/exit.o"; got != want {
		t.Errorf("Line() = %q, want %q", got, want)
	}
	p.Steps = 1200 // more steps than the last build took
	if p.Percent() != 99 || p.ETA() != 0 {
		t.Errorf("past the total: %d%%, ETA %v; want 99%%, none", p.Percent(), p.ETA())
	}
	p.Total = 0
	if got := p.Line(); !strings.HasPrefix(got, "v4 kasan kernel: 1m0s, 1200 build steps") {
		t.Errorf("unknown total: %q", got)
	}
	p.Done = true
	if p.Percent() != 100 {
		t.Errorf("done: %d%%", p.Percent())
	}
}

func TestLineProgressThrottles(t *testing.T) {
	var b strings.Builder
	f := lineProgress(&b, time.Hour)
	for i := 1; i <= 5; i++ {
		f(BuildProgress{Revision: "seed", Flavor: Tiny, Steps: i, Total: 10})
	}
	if n := strings.Count(b.String(), "\n"); n != 1 {
		t.Errorf("%d lines within the interval, want 1:\n%s", n, b.String())
	}
}
