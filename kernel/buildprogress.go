package kernel

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// BuildProgress is the state of a kernel build, taken from make's own
// output: kbuild prints one line per build step ("  CC      kernel/exit.o").
// Total is the number of steps the last completed build of the same flavor
// took (the configuration is fixed, so a patch changes it by a few), or 0
// when no build was completed before.
type BuildProgress struct {
	Revision string
	Flavor   Flavor
	Steps    int // build steps done
	Total    int // expected steps; 0: unknown
	Elapsed  time.Duration
	Now      string // the step just done
	Done     bool
}

// stepsFile records, in a completed build's directory, how many steps it took.
const stepsFile = ".build-steps"

// isBuildStep reports whether l is one of kbuild's quiet-mode step lines:
// two spaces, an upper-case tag (CC, AS, LD, AR, HOSTCC, GEN, ...), spaces.
func isBuildStep(l string) bool {
	if !strings.HasPrefix(l, "  ") || len(l) < 4 {
		return false
	}
	tag, _, ok := strings.Cut(l[2:], " ")
	if !ok || tag == "" {
		return false
	}
	for _, c := range tag {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// expectedSteps is the step count of the newest completed build of flavor f;
// for a build made before steps were counted, the number of its kbuild
// command files (one per target built), or 0.
func expectedSteps(f Flavor) int {
	if n := recordedSteps(f); n > 0 {
		return n
	}
	dirs, _ := filepath.Glob(filepath.Join(CacheDir(), "kernels", "*-"+string(f)+"-*"))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, ".built")); err != nil {
			continue
		}
		n := 0
		filepath.WalkDir(d, func(path string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() && strings.HasPrefix(e.Name(), ".") && strings.HasSuffix(e.Name(), ".cmd") {
				n++
			}
			return nil
		})
		if n > 0 {
			return n
		}
	}
	return 0
}

// recordedSteps is the step count of the newest completed build of flavor f.
func recordedSteps(f Flavor) int {
	dirs, _ := filepath.Glob(filepath.Join(CacheDir(), "kernels", "*-"+string(f)+"-*"))
	best, newest := 0, time.Time{}
	for _, d := range dirs {
		st, err := os.Stat(filepath.Join(d, stepsFile))
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, stepsFile))
		if err != nil {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err == nil && n > 0 && st.ModTime().After(newest) {
			best, newest = n, st.ModTime()
		}
	}
	return best
}

// Percent is the share of the expected steps done, below 100 until the
// build ends (a patched build may take a few more steps than the last).
func (p BuildProgress) Percent() int {
	if p.Done {
		return 100
	}
	if p.Total <= 0 {
		return -1
	}
	return min(99, 100*p.Steps/p.Total)
}

// ETA is the time left at the rate so far, or 0 when unknown.
func (p BuildProgress) ETA() time.Duration {
	if p.Done || p.Total <= 0 || p.Steps == 0 || p.Steps >= p.Total {
		return 0
	}
	return time.Duration(float64(p.Elapsed) * float64(p.Total-p.Steps) / float64(p.Steps)).Round(time.Second)
}

// Line is the progress as one line of text.
func (p BuildProgress) Line() string {
	s := fmt.Sprintf("%s %s kernel: %s, %d build steps", p.Revision, p.Flavor, p.Elapsed.Round(time.Second), p.Steps)
	if pc := p.Percent(); pc >= 0 {
		s = fmt.Sprintf("%s %s kernel: %d%% (%d of about %d build steps), %s", p.Revision, p.Flavor, pc, p.Steps, p.Total, p.Elapsed.Round(time.Second))
		if eta := p.ETA(); eta > 0 {
			s += ", ETA " + eta.String()
		}
	}
	if p.Now != "" {
		s += ", now: " + p.Now
	}
	return s
}

// lineProgress prints a progress line to log at most every interval.
func lineProgress(log io.Writer, interval time.Duration) func(BuildProgress) {
	var last time.Time
	return func(p BuildProgress) {
		if p.Done || time.Since(last) < interval {
			return
		}
		last = time.Now()
		fmt.Fprintf(log, "  %s\n", p.Line())
	}
}
