package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"cabacheck/check"
	"cabacheck/explorer"
	"cabacheck/growth"
	"cabacheck/spec/linux"
)

// defaultGrowthTime is the time budget of each run of a sweep unless
// --max-time says otherwise: a sweep predicts large bounds rather than
// exploring them, and their first levels are enough to check a prediction.
const defaultGrowthTime = 3 * time.Minute

func runGrowth(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("growth")
	tasksFlag := fs.String("tasks", "", "bounds to sweep: a range like 3..8, or a list like 3,4,6 (required)")
	rf := addRevisionsFlag(fs, linux.Seed.String())
	actFlag := fs.StringArray("actions", []string{"default"}, "optional action set of a series (repeat the flag for several series): "+linux.ActionNames()+", all, default, none")
	eachAction := fs.Bool("each-action", false, "also run each action set with each of its actions removed, to measure what enabling each action costs")
	symmetry := fs.Bool("symmetry", false, "explore with symmetry reduction")
	wf := addWorkersFlag(fs)
	outDir := fs.String("out", ".", "directory for growth.csv, growth-levels.csv, growth.json, growth.md (a Markdown table) and the plots")
	progress := fs.Duration("progress", 5*time.Second, "interval between progress lines when stderr is not a terminal (0: none)")
	replot := fs.String("replot", "", "make the tables and plots again from a growth.json, without exploring")
	bf := addBudgetFlags(fs, false)
	fs.Lookup("max-time").Usage = "stop each run cleanly after this much time, e.g. 10m (default for growth: 3m, enough to compare a large bound's first levels with its prediction; 0: no limit)"
	fs.Lookup("max-memory").Usage = "stop each run cleanly before the heap exceeds this, e.g. 8GiB (default: half the machine's memory, at most 70% of what is available; 0: no limit)"
	if c := parseCommand(fs, args, stdout, stderr, 0, rf, wf, bf); c >= 0 {
		return c
	}
	if *replot != "" {
		return replotGrowth(*replot, *outDir, stdout, stderr)
	}
	if *tasksFlag == "" {
		return usageError(stderr, "growth", fmt.Errorf("--tasks is required, e.g. --tasks 3..6"))
	}
	tasks, err := parseTaskList(*tasksFlag)
	if err != nil {
		return usageError(stderr, "growth", fmt.Errorf("--tasks: %w", err))
	}
	series, err := parseSeries(rf.revs, *actFlag, *eachAction, *symmetry)
	if err != nil {
		return usageError(stderr, "growth", err)
	}
	budget := bf.budget
	if !fs.Changed("max-time") {
		budget.MaxTime = defaultGrowthTime
	}
	if !fs.Changed("max-memory") {
		budget.MaxMemory = defaultMemoryBudget()
	}
	if err := makeOutDir(*outDir); err != nil {
		return usageError(stderr, "growth", err)
	}
	for _, s := range series {
		if err := (linux.Options{Tasks: tasks[0], Revision: s.Revision, Actions: s.Actions}).Validate(); err != nil {
			return usageError(stderr, "growth", err)
		}
	}

	ctx, stop := stopContext()
	defer stop()
	interactive := isTerminal(stderr)
	var labels []string
	for _, s := range series {
		labels = append(labels, s.Label())
	}
	fmt.Fprintf(stdout, "cabacheck growth: tasks %s; series %s; %d worker(s); budget per run: %s\n",
		joinInts(tasks), strings.Join(labels, ", "), wf.n, describeBudget(budget, 0))

	// One bar (or TLC-style lines) per bound, whose total is the bound's
	// predicted states generated; the sweep reports at the end of levels.
	var bar *searchProgress
	var lastLine time.Time
	var generated uint64
	var skipped []string
	sw := growth.Sweep{
		Tasks: tasks, Series: series, Workers: wf.n, Context: ctx,
		Budget: budget,
		Before: func(s growth.Series, n int, p *growth.Prediction) {
			fmt.Fprintln(stdout, describePrediction(s, n, p, budget))
			lastLine, generated = time.Now(), 0
			total := 0.0
			if p != nil {
				total = p.Generated
			}
			if interactive || *progress > 0 {
				bar = newSearchProgress(stderr, interactive, fmt.Sprintf("tasks %d %s", n, s.Label()), total)
			}
		},
		Level: func(s growth.Series, n int, ls explorer.LevelStats) {
			generated += ls.Generated
			if bar == nil || (!interactive && time.Since(lastLine) < *progress) {
				return
			}
			lastLine = time.Now()
			bar.update(explorer.Progress{Level: ls.Level, Distinct: ls.Distinct, Generated: generated, Queue: ls.New, Elapsed: ls.Elapsed})
		},
		After: func(r *growth.Run) {
			if bar != nil {
				bar.finish()
				bar = nil
			}
			fmt.Fprintln(stdout, describeRun(r))
		},
		Skip: func(s growth.Series, n int, why string) {
			msg := fmt.Sprintf("tasks %d %s: skipped, %s", n, s.Label(), why)
			skipped = append(skipped, msg)
			fmt.Fprintln(stdout, msg)
		},
	}
	res, err := sw.Run()
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck growth: %v\n", err)
		return exitUsage
	}
	fmt.Fprintln(stdout)
	printTable(stdout, res)
	rep := growth.NewReport("cabacheck growth "+strings.Join(args, " "), sw, res, skipped)
	printFits(stdout, rep)
	files, err := writeGrowthFiles(*outDir, rep, res)
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck growth: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "\nWrote %s\n", strings.Join(files, ", "))
	switch {
	case res.Interrupted:
		fmt.Fprintln(stdout, "Interrupted: the files hold the runs made so far.")
		return exitStopped
	case slices.ContainsFunc(res.Runs, func(r *growth.Run) bool { return r.Budget != "" }):
		return exitBudget
	}
	return exitOK
}

func replotGrowth(path, outDir string, stdout, stderr io.Writer) int {
	f, err := os.Open(path)
	if err != nil {
		return usageError(stderr, "growth", fmt.Errorf("--replot: %w", err))
	}
	rep, res, err := growth.ReadJSON(f)
	f.Close()
	if err != nil {
		return usageError(stderr, "growth", fmt.Errorf("--replot %s: %w", path, err))
	}
	if err := makeOutDir(outDir); err != nil {
		return usageError(stderr, "growth", err)
	}
	fmt.Fprintf(stdout, "Runs of: %s\n\n", rep.Command)
	printTable(stdout, res)
	printFits(stdout, rep)
	files, err := writeGrowthFiles(outDir, rep, res)
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck growth: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "\nWrote %s\n", strings.Join(files, ", "))
	return exitOK
}

// parseTaskList reads "3..8", "3,4,6" or a mix like "3..5,7".
func parseTaskList(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "..")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("%q is not a bound or a range like 3..8", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a {
				return nil, fmt.Errorf("%q is not a range like 3..8", part)
			}
		}
		for n := a; n <= b; n++ {
			if err := (linux.Options{Tasks: n}).Validate(); err != nil {
				return nil, err
			}
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func parseSeries(revisions []linux.Revision, actions []string, eachAction, symmetry bool) ([]growth.Series, error) {
	var out []growth.Series
	add := func(s growth.Series) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, rev := range revisions {
		for _, a := range actions {
			set, err := linux.ParseActions(a)
			if err != nil {
				return nil, fmt.Errorf("--actions: %w", err)
			}
			s := growth.Series{Revision: rev, Actions: set, Symmetry: symmetry}
			add(s)
			if eachAction {
				for _, t := range growth.WithoutEach(s) {
					add(t)
				}
			}
		}
	}
	return out, nil
}

func describePrediction(s growth.Series, n int, p *growth.Prediction, b check.Budget) string {
	head := fmt.Sprintf("tasks %d %s:", n, s.Label())
	if p == nil {
		return head + " no prediction (needs two complete smaller bounds)"
	}
	line := fmt.Sprintf("%s predicted %s states, depth %d, %s (CPU %s), peak heap %s (from tasks %s)", head,
		approx(p.Distinct), p.Depth, seconds(p.Seconds), seconds(p.CPUSeconds), bytesString(p.PeakHeapBytes), joinInts(p.From))
	var over []string
	if b.MaxStates > 0 && p.Distinct > float64(b.MaxStates) {
		over = append(over, "--max-states")
	}
	if b.MaxTime > 0 && p.Seconds > b.MaxTime.Seconds() {
		over = append(over, "--max-time")
	}
	if b.MaxMemory > 0 && p.PeakHeapBytes > float64(b.MaxMemory) {
		over = append(over, "--max-memory")
	}
	if len(over) > 0 {
		line += fmt.Sprintf("\n  predicted to exceed %s: the run will stop there and be compared with the prediction through its last complete level", strings.Join(over, " and "))
	}
	return line
}

func describeRun(r *growth.Run) string {
	s := r.Series()
	line := fmt.Sprintf("tasks %d %s: %s distinct states, %s generated, depth %d, %s (CPU %s), peak heap %s",
		r.Tasks, s.Label(), commas(r.Distinct), commas(r.Generated), r.Depth, seconds(r.ElapsedSeconds), seconds(r.CPUSeconds), bytesString(float64(r.PeakHeapBytes)))
	if !r.Complete {
		if r.Budget != "" {
			line += fmt.Sprintf("; PARTIAL: stopped by --%s after level %d", r.Budget, r.Depth)
		} else {
			line += "; PARTIAL: " + r.StopReason
		}
	}
	if c := r.Check; c != nil {
		what := "prediction"
		if c.Partial {
			what = fmt.Sprintf("prediction through level %d", c.ThroughLevel)
		}
		line += fmt.Sprintf("\n  %s: %s states (actual x%.2f), %s (actual x%.2f), CPU %s (actual x%.2f), peak heap %s (actual x%.2f)",
			what, approx(c.PredictedStates), c.StatesRatio, seconds(c.PredictedSeconds), c.TimeRatio,
			seconds(c.PredictedCPU), c.CPURatio, bytesString(c.PredictedHeap), c.HeapRatio)
	}
	return line
}

func printTable(w io.Writer, res *growth.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "series\ttasks\tdistinct states\tdepth\ttime\tpeak heap\tpredicted states\tactual/pred\tpredicted time\tactual/pred\tCPU actual/pred\t")
	for _, r := range res.Runs {
		states := commas(r.Distinct)
		if !r.Complete {
			states = "≥" + states + " (partial)"
		}
		ps, sr, pt, tr, cr := "-", "-", "-", "-", "-"
		if c := r.Check; c != nil {
			ps, sr, pt, tr = approx(c.PredictedStates), fmt.Sprintf("%.2f", c.StatesRatio), seconds(c.PredictedSeconds), fmt.Sprintf("%.2f", c.TimeRatio)
			cr = fmt.Sprintf("%.2f", c.CPURatio)
			if c.Partial {
				ps += fmt.Sprintf(" @L%d", c.ThroughLevel)
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Series().Label(), r.Tasks, states, r.Depth,
			seconds(r.ElapsedSeconds), bytesString(float64(r.PeakHeapBytes)), ps, sr, pt, tr, cr)
	}
	tw.Flush()
}

func printFits(w io.Writer, rep growth.Report) {
	if len(rep.TaskFits) > 0 {
		fmt.Fprintln(w, "\nGrowth per added task (distinct states):")
	}
	for _, f := range rep.TaskFits {
		var steps []string
		for i := 1; i < len(f.Tasks); i++ {
			steps = append(steps, fmt.Sprintf("%d->%d x%.1f", f.Tasks[i-1], f.Tasks[i], f.PerTask[i]))
		}
		line := fmt.Sprintf("  %s: %s", f.Series, strings.Join(steps, ", "))
		if len(steps) == 0 {
			line += "fewer than two complete bounds"
		}
		if f.Acceleration > 0 {
			line += fmt.Sprintf("; the factor grows x%.2f per task", f.Acceleration)
		}
		if f.NextFactor > 0 {
			line += fmt.Sprintf("; next bound (%d) extrapolated x%.0f", f.Tasks[len(f.Tasks)-1]+1, f.NextFactor)
		}
		fmt.Fprintln(w, line)
	}
	if len(rep.ActionFits) > 0 {
		fmt.Fprintln(w, "Growth per enabled action (states with / without):")
	}
	for _, f := range rep.ActionFits {
		var steps []string
		for i, n := range f.Tasks {
			steps = append(steps, fmt.Sprintf("tasks %d x%.2f", n, f.Factors[i]))
		}
		line := fmt.Sprintf("  %s, +%s on [%s]: %s", f.Revision, f.Action, f.Without, strings.Join(steps, ", "))
		if f.PerTask > 0 {
			line += fmt.Sprintf("; the factor grows x%.2f per task", f.PerTask)
		}
		fmt.Fprintln(w, line)
	}
}

func writeGrowthFiles(dir string, rep growth.Report, res *growth.Result) ([]string, error) {
	var files []string
	for _, out := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"growth.csv", func(w io.Writer) error { return growth.WriteCSV(w, res) }},
		{"growth-levels.csv", func(w io.Writer) error { return growth.WriteLevelsCSV(w, res) }},
		{"growth.json", func(w io.Writer) error { return growth.WriteJSON(w, rep) }},
		{"growth.md", func(w io.Writer) error { return growth.WriteMarkdown(w, res) }},
	} {
		path := filepath.Join(dir, out.name)
		if err := writeFile(path, out.write); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	plots, err := growth.WritePlots(dir, res)
	return append(files, plots...), err
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := write(w); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// defaultMemoryBudget is half the machine's memory but at most 70% of the
// memory available now (the machine may be shared), from /proc/meminfo; 0
// (no limit) when it cannot be read.
func defaultMemoryBudget() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	kb := map[string]uint64{}
	for _, line := range strings.Split(string(data), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64); err == nil {
			kb[name] = n
		}
	}
	total, avail := kb["MemTotal"], kb["MemAvailable"]
	if total == 0 {
		return 0
	}
	limit := total / 2
	if avail > 0 {
		limit = min(limit, avail*7/10)
	}
	return limit * 1024
}

func joinInts(xs []int) string {
	var s []string
	for _, x := range xs {
		s = append(s, strconv.Itoa(x))
	}
	return strings.Join(s, ",")
}

// approx renders a predicted count with three significant digits.
func approx(x float64) string {
	switch {
	case x >= 1e9:
		return fmt.Sprintf("%.3gG", x/1e9)
	case x >= 1e6:
		return fmt.Sprintf("%.3gM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.3gk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

func seconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func bytesString(b float64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1fGiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.0fMiB", b/(1<<20))
	}
	return fmt.Sprintf("%.0fKiB", b/(1<<10))
}

// makeOutDir creates the --out directory (and its parents) if needed.
func makeOutDir(dir string) error {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fmt.Errorf("--out: %s is not a directory", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}
