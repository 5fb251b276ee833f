package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"cabacheck/check"
	"cabacheck/spec/linux"
	"cabacheck/spec/toy"
)

// benchRow is one measured configuration: one child `cabacheck check` process.
type benchRow struct {
	label    string
	args     []string
	distinct uint64
	depth    int
	seconds  float64 // the search's own time
	wall     float64 // the whole child process's wall-clock time
	cpu      float64 // user+system seconds of the child
	bps      float64 // bytes per distinct state held by the visited set and records
	rssMiB   float64 // peak resident set of the child

	// repeat rows enter the worker and SPIN ratios and run --runs times;
	// runs holds each run's times, and the fields above become their
	// medians (the peak RSS their maximum).
	repeat bool
	runs   []benchRun
}

// benchRun is one run's times of a repeated row.
type benchRun struct{ seconds, wall, cpu, rssMiB float64 }

// keep records the run just measured into r.runs.
func (r *benchRow) keep() {
	r.runs = append(r.runs, benchRun{r.seconds, r.wall, r.cpu, r.rssMiB})
}

// settle sets r's times to the medians of its runs and its peak RSS to
// their maximum.
func (r *benchRow) settle() {
	med := func(f func(benchRun) float64) float64 {
		v := make([]float64, len(r.runs))
		for i, x := range r.runs {
			v[i] = f(x)
		}
		return median(v)
	}
	r.seconds = med(func(x benchRun) float64 { return x.seconds })
	r.wall = med(func(x benchRun) float64 { return x.wall })
	r.cpu = med(func(x benchRun) float64 { return x.cpu })
	for _, x := range r.runs {
		r.rssMiB = max(r.rssMiB, x.rssMiB)
	}
}

// pairRatios are the run-by-run ratios slow.wall/fast.wall of two repeated
// rows run in turn: their median and range.
func pairRatios(slow, fast *benchRow) (med, lo, hi float64) {
	var v []float64
	for i := range min(len(slow.runs), len(fast.runs)) {
		v = append(v, slow.runs[i].wall/fast.runs[i].wall)
	}
	return median(v), slices.Min(v), slices.Max(v)
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

func (r *benchRow) rate() float64    { return float64(r.distinct) / r.seconds }
func (r *benchRow) cpuRate() float64 { return float64(r.distinct) / r.cpu }

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench")
	toyMaxp := fs.Int("toy-maxp", 8, "MAXP of the standard benchmark model")
	tasks := fs.Int("tasks", 5, "task bound of the Linux model runs")
	symTasks := fs.Int("symmetry-tasks", 5, "task bound of the symmetry reduction runs (6 takes minutes and several GiB)")
	quick := fs.Bool("quick", false, "small bounds (MAXP 7, 4 tasks, one run) for a smoke test")
	runs := fs.Int("runs", 5, "runs of each configuration that enters a ratio (1 and 2 workers, SPIN), in turn; the table gives their medians")
	if c := parseCommand(fs, args, stdout, stderr, 0); c >= 0 {
		return c
	}
	if *quick {
		*toyMaxp, *tasks, *symTasks = 7, 4, 4
		if !fs.Changed("runs") {
			*runs = 1
		}
	}
	if *runs < 1 || *runs > 100 {
		return usageError(stderr, "bench", fmt.Errorf("--runs %d: want 1 to 100", *runs))
	}
	// Every configuration is checked before the first (long) run.
	if _, err := toy.New(*toyMaxp); err != nil {
		return usageError(stderr, "bench", fmt.Errorf("--toy-maxp: %w", err))
	}
	for flag, n := range map[string]int{"--tasks": *tasks, "--symmetry-tasks": *symTasks} {
		if err := (linux.Options{Tasks: n, Revision: linux.Seed}).Validate(); err != nil {
			return usageError(stderr, "bench", fmt.Errorf("%s: %w", flag, err))
		}
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck bench: %v\n", err)
		return exitUsage
	}
	tmp, err := os.MkdirTemp("", "cabacheck-bench-")
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck bench: %v\n", err)
		return exitUsage
	}
	defer os.RemoveAll(tmp)

	toyArgs := []string{"--model", "toy", "--tasks", strconv.Itoa(*toyMaxp)}
	linuxArgs := func(rev string, t int) []string {
		return []string{"--model", "linux", "--tasks", strconv.Itoa(t), "--revision", rev, "--continue"}
	}
	badger := func(name string) []string { return []string{"--store", "badger", "--dir", filepath.Join(tmp, name)} }
	w := func(n int) []string { return []string{"--workers", strconv.Itoa(n)} }
	cat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	toyName := fmt.Sprintf("toy MAXP=%d", *toyMaxp)
	linName := func(rev string, t int) string { return fmt.Sprintf("linux %s --tasks %d", rev, t) }
	toy1 := &benchRow{label: toyName + ", memory, 1 worker", args: cat(toyArgs, w(1)), repeat: true}
	toy2 := &benchRow{label: toyName + ", memory, 2 workers", args: cat(toyArgs, w(2)), repeat: true}
	toyDisk := &benchRow{label: toyName + ", badger, 2 workers", args: cat(toyArgs, w(2), badger("toy"))}
	rows := []*benchRow{toy1, toy2, toyDisk}
	var v4w2 *benchRow
	for _, rev := range linux.Revisions() {
		r := &benchRow{label: linName(rev.String(), *tasks) + ", memory, 2 workers", args: cat(linuxArgs(rev.String(), *tasks), w(2))}
		rows = append(rows, r)
		if rev == linux.V4 {
			v4w2, r.repeat = r, true
		}
	}
	v4 := linux.V4.String()
	v4w1 := &benchRow{label: linName(v4, *tasks) + ", memory, 1 worker", args: cat(linuxArgs(v4, *tasks), w(1)), repeat: true}
	v4Disk := &benchRow{label: linName(v4, *tasks) + ", badger, 2 workers", args: cat(linuxArgs(v4, *tasks), w(2), badger("linux"))}
	v3 := linux.V3.String()
	symOff := &benchRow{label: linName(v3, *symTasks) + ", symmetry off", args: cat(linuxArgs(v3, *symTasks), w(2))}
	symOn := &benchRow{label: linName(v3, *symTasks) + ", symmetry on", args: cat(linuxArgs(v3, *symTasks), w(2), []string{"--symmetry"})}
	rows = append(rows, v4w1, v4Disk, symOff, symOn)
	var spin1, spin2 *benchRow
	if spinAvailable() {
		spin1 = &benchRow{label: toyName + ", SPIN pan -DBFS, 1 core", repeat: true}
		spin2 = &benchRow{label: toyName + ", SPIN pan -DBFS_PAR -u2, 2 cores", repeat: true}
		// interleaved with cabacheck's toy rows, so both see the same load
		rows = append([]*benchRow{toy1, spin1, toy2, spin2}, rows[2:]...)
	} else {
		fmt.Fprintf(stderr, "cabacheck bench: spin or gcc is not installed: no SPIN rows (apt-get install spin)\n")
	}
	// The first round runs every row; the later ones only the repeated rows,
	// in the same order, so that the rows of one ratio run in turn.
	order := slices.Clone(rows)
	for range *runs - 1 {
		for _, r := range rows {
			if r.repeat {
				order = append(order, r)
			}
		}
	}
	fmt.Fprintf(stdout, "cabacheck bench: %d configurations, each a separate `cabacheck check` process; the %d that enter a ratio run %d times in turn (medians below), %s\n\n",
		len(rows), countRepeated(rows), *runs, time.Now().Format("2006-01-02 15:04"))
	pans := map[*benchRow]string{}
	for i, r := range order {
		fmt.Fprintf(stderr, "bench %d/%d: %s\n", i+1, len(order), r.label)
		if r == spin1 || r == spin2 {
			pan, err := pans[r], error(nil)
			if pan == "" {
				pan, err = buildPan(filepath.Join(tmp, fmt.Sprintf("spin%d", i)), *toyMaxp, r == spin2)
				pans[r] = pan
			}
			if err == nil {
				err = measureSpin(pan, map[bool]int{false: 1, true: 2}[r == spin2], r)
			}
			if err != nil {
				fmt.Fprintf(stderr, "cabacheck bench: %s: %v\n", r.label, err)
				return exitUsage
			}
			r.keep()
			continue
		}
		if err := measure(exe, r, filepath.Join(tmp, fmt.Sprintf("stats%d.jsonl", i))); err != nil {
			fmt.Fprintf(stderr, "cabacheck bench: %s: %v\n", r.label, err)
			return exitUsage
		}
		r.keep()
	}
	for _, r := range rows {
		r.settle()
	}
	fmt.Fprintf(stdout, "| configuration | distinct states | depth | seconds | process seconds | distinct states/s | states/CPU-second | bytes/state | peak RSS MiB |\n")
	fmt.Fprintf(stdout, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range rows {
		bps := "n/a"
		if r.bps > 0 {
			bps = fmt.Sprintf("%.1f", r.bps)
		}
		fmt.Fprintf(stdout, "| %s | %s | %d | %.2f | %.2f | %s | %s | %s | %.0f |\n", r.label, commas(r.distinct), r.depth, r.seconds, r.wall,
			commas(uint64(r.rate())), commas(uint64(r.cpuRate())), bps, r.rssMiB)
	}
	fmt.Fprintf(stdout, "\nRatios within this run:\n")
	fmt.Fprintf(stdout, "  %s: 2 workers / 1 worker = %.2f (search), %s\n", toyName, toy2.rate()/toy1.rate(), wallRatio(toy1, toy2))
	fmt.Fprintf(stdout, "  %s: badger / memory (2 workers) = %.2f\n", toyName, toyDisk.rate()/toy2.rate())
	if spin1 != nil {
		if spin1.distinct != toy1.distinct || spin2.distinct != toy1.distinct {
			fmt.Fprintf(stderr, "cabacheck bench: SPIN stored %s and %s states of the toy model, cabacheck %s: not the same model\n", commas(spin1.distinct), commas(spin2.distinct), commas(toy1.distinct))
			return exitUsage
		}
		fmt.Fprintf(stdout, "  %s: SPIN pan -u2 / cabacheck 2 workers = %s (cabacheck is that many times faster)\n", toyName, wallRatio(spin2, toy2))
		fmt.Fprintf(stdout, "  %s: SPIN pan -DBFS / cabacheck 1 worker = %s\n", toyName, wallRatio(spin1, toy1))
		fmt.Fprintf(stdout, "  %s: SPIN / cabacheck CPU seconds, 2 cores = %.2f, 1 core = %.2f\n", toyName, spin2.cpu/toy2.cpu, spin1.cpu/toy1.cpu)
	}
	fmt.Fprintf(stdout, "  %s: 2 workers / 1 worker = %.2f (search), %s\n", linName(v4, *tasks), v4w2.rate()/v4w1.rate(), wallRatio(v4w1, v4w2))
	fmt.Fprintf(stdout, "  %s: badger / memory (2 workers) = %.2f\n", linName(v4, *tasks), v4Disk.rate()/v4w2.rate())
	fmt.Fprintf(stdout, "  %s: symmetry reduction factor = %.2f (%s -> %s states)\n", linName(v3, *symTasks),
		float64(symOff.distinct)/float64(symOn.distinct), commas(symOff.distinct), commas(symOn.distinct))
	fmt.Fprintf(stdout, "  load average at the end: %s\n", loadAverage())
	return exitOK
}

func countRepeated(rows []*benchRow) int {
	n := 0
	for _, r := range rows {
		if r.repeat {
			n++
		}
	}
	return n
}

// wallRatio words the whole-process wall-time ratio slow/fast of two
// repeated rows: the median of the run-by-run ratios and their range.
func wallRatio(slow, fast *benchRow) string {
	med, lo, hi := pairRatios(slow, fast)
	if len(slow.runs) == 1 {
		return fmt.Sprintf("%.2f (whole process, one run)", med)
	}
	return fmt.Sprintf("%.2f (whole process, median of %d runs in turn, range %.2f-%.2f)", med, len(slow.runs), lo, hi)
}

// measure runs one configuration as a child process and fills r.
func measure(exe string, r *benchRow, statsPath string) error {
	args := append([]string{"check"}, r.args...)
	args = append(args, "--json", "--progress", "0", "--stats-out", statsPath)
	cmd := exec.Command(exe, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r.wall = time.Since(start).Seconds()
	if cmd.ProcessState == nil || (err != nil && cmd.ProcessState.ExitCode() != exitViolation) {
		return fmt.Errorf("cabacheck %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	var rep check.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return fmt.Errorf("reading the report: %w", err)
	}
	if !rep.Complete {
		return fmt.Errorf("the search did not complete: %s", rep.StopReason)
	}
	r.distinct, r.depth, r.seconds = rep.DistinctStates, rep.Depth, rep.ElapsedSeconds
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rssMiB = float64(ru.Maxrss) / 1024
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	f, err := os.Open(statsPath)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var lr levelRecord
		if json.Unmarshal(sc.Bytes(), &lr) == nil && lr.BytesPerState > 0 {
			r.bps = lr.BytesPerState
		}
	}
	return nil
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
