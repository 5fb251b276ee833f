package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"cabacheck/spec/toy"
)

// SPIN on the standard model, in the same run as cabacheck: its Promela
// twin (toy.Promela) is compiled into pan with breadth-first search, on one
// core (-DBFS) or on several (-DBFS_PAR, pan -uN). SPIN stores one state
// more than the model has (its all-Free vector before init starts) and so
// reaches one level deeper; the rows report the model's figures.

// spinAvailable reports whether spin and gcc are on PATH.
func spinAvailable() bool {
	_, errSpin := exec.LookPath("spin")
	_, errGcc := exec.LookPath("gcc")
	return errSpin == nil && errGcc == nil
}

// buildPan writes the toy model at maxp into dir and compiles SPIN's
// verifier for it, parallel or not; it returns the verifier's path.
func buildPan(dir string, maxp int, parallel bool) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "toy.pml"), []byte(toy.Promela(maxp)), 0o644); err != nil {
		return "", err
	}
	if out, err := runIn(dir, "spin", "-a", "toy.pml"); err != nil {
		return "", fmt.Errorf("spin -a: %v: %s", err, out)
	}
	mode := "-DBFS"
	if parallel {
		mode = "-DBFS_PAR"
	}
	if out, err := runIn(dir, "gcc", "-O2", mode, "-DSAFETY", "-DNOREDUCE", "-DMEMLIM=8192", "-o", "pan", "pan.c"); err != nil {
		return "", fmt.Errorf("gcc pan.c: %v: %s", err, out)
	}
	return filepath.Join(dir, "pan"), nil
}

func runIn(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}

var (
	panStored  = regexp.MustCompile(`(\d+) states, stored`)
	panDepth   = regexp.MustCompile(`depth reached (\d+)`)
	panElapsed = regexp.MustCompile(`elapsed time ([0-9.e+]+) seconds`)
	panErrors  = regexp.MustCompile(`errors: (\d+)`)
)

// measureSpin runs pan (with -uN for N cores when cores > 1) and fills r
// with the model's figures: distinct states, depth, pan's own search time,
// the whole process's wall and CPU time and peak memory.
func measureSpin(pan string, cores int, r *benchRow) error {
	var args []string
	if cores > 1 {
		args = append(args, "-u"+strconv.Itoa(cores))
	}
	cmd := exec.Command(pan, args...)
	cmd.Dir = filepath.Dir(pan)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	r.wall = time.Since(start).Seconds()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", pan, err, tail(out.String(), 400))
	}
	num := func(re *regexp.Regexp) (float64, error) {
		m := re.FindStringSubmatch(out.String())
		if m == nil {
			return 0, fmt.Errorf("pan printed no %q: %s", re, tail(out.String(), 400))
		}
		return strconv.ParseFloat(m[1], 64)
	}
	stored, err := num(panStored)
	if err != nil {
		return err
	}
	depth, err := num(panDepth)
	if err != nil {
		return err
	}
	if r.seconds, err = num(panElapsed); err != nil {
		return err
	}
	if e, err := num(panErrors); err != nil || e != 0 {
		return fmt.Errorf("pan found %v errors in the toy model (ParentNotFree holds there): %s", e, tail(out.String(), 400))
	}
	r.distinct, r.depth = uint64(stored)-1, int(depth)-1
	if r.seconds <= 0 {
		r.seconds = r.wall
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rssMiB = float64(ru.Maxrss) / 1024
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
