package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"cabacheck/findings"
	"cabacheck/spec/linux"
)

func runFindings(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("findings")
	out := fs.String("out", "docs/findings.md", "the document to write")
	recPath := fs.String("record", "", "the record of long explorations (default: findings.json beside --out)")
	check := fs.Bool("check", false, "do not write: exit 1 if --out differs from a regeneration")
	refresh := fs.Bool("refresh", false, "rerun the long explorations (minutes to hours) and rewrite the record first")
	addMatrix := fs.StringArray("add-matrix", nil, "with --refresh: take the matrix of this bound from FILE (output of 'cabacheck matrix --json') instead of running it")
	matrixTasks := fs.String("matrix-tasks", "5,6", "with --refresh: bounds of the revision matrices")
	fixedTasks := fs.String("fixed-tasks", "2,3,4,5,6", "with --refresh: bounds of the fixed-revision verification")
	completeUpTo := fs.Int("complete-up-to", 5, "with --refresh: explore bounds up to this completely; larger ones within the budget below")
	largeDepth := fs.Int("large-max-depth", 12, "with --refresh: BFS depth budget above --complete-up-to")
	largeMem := fs.String("large-max-memory", "10GiB", "with --refresh: heap budget above --complete-up-to")
	fixedSymFrom := fs.Int("fixed-symmetry-from", 0, "with --refresh: verify the fixed revision with --symmetry at this bound and above (0: never)")
	keepMatrices := fs.Bool("keep-matrices", false, "with --refresh: keep the revision matrices of the existing record, rerun only the fixed verification")
	refreshRestore := fs.Bool("refresh-restore", false, "rerun only the restorability explorations (matrix with sessions and the planners' summary) and update the record")
	restoreTasks := fs.Int("restore-tasks", 4, "with --refresh or --refresh-restore: the bound of the restorability explorations (0: none)")
	restoreActions := fs.String("restore-actions", "default,sessions", "with --refresh or --refresh-restore: the actions of the restorability explorations (sessions must be on)")
	addRuns := fs.StringArray("add-run", nil, "add to the record the complete run REPORT.json (output of 'cabacheck check --json --continue'; with pidns it goes to the pid namespace section, else beside the revision matrix), or REPORT.json:TIME.txt with the output of /usr/bin/time -v around it, in place of the run of the same revision, bound, actions and symmetry")
	dir := fs.String("dir", "", "directory of the concern scenarios (default: testdata/concerns of the repository)")
	wf := addWorkersFlag(fs)
	if c := parseCommand(fs, args, stdout, stderr, 0, wf); c >= 0 {
		return c
	}
	if *recPath == "" {
		*recPath = filepath.Join(filepath.Dir(*out), "findings.json")
	}
	if *dir == "" {
		d, err := findings.LocateConcernDir()
		if err != nil {
			return usageError(stderr, "findings", err)
		}
		*dir = d
	}
	ctx, stop := stopContext()
	defer stop()
	rc := findings.RunConfig{Workers: wf.n, Context: ctx}
	restoreSet, err := linux.ParseActions(*restoreActions)
	if err != nil {
		return usageError(stderr, "findings", fmt.Errorf("--restore-actions: %w", err))
	}
	if restoreSet&linux.Sessions == 0 {
		return usageError(stderr, "findings", fmt.Errorf("--restore-actions %s: restorability needs sessions on", *restoreActions))
	}
	if *restoreTasks < 0 {
		return usageError(stderr, "findings", fmt.Errorf("--restore-tasks %d: must not be negative", *restoreTasks))
	}
	runRestore := func(rec *findings.Record) error {
		if *restoreTasks == 0 {
			rec.Restore = nil
			return nil
		}
		rr, err := findings.RefreshRestore(*restoreTasks, restoreSet, rc, func(s string) { fmt.Fprintln(stderr, s) })
		if err != nil {
			return err
		}
		rec.Restore = rr
		return nil
	}
	// save runs the restorability explorations into rec and writes it.
	save := func(rec *findings.Record) bool {
		err := runRestore(rec)
		if err == nil {
			err = rec.Write(*recPath)
		}
		if err != nil {
			fmt.Fprintf(stderr, "cabacheck findings: %v\n", err)
			return false
		}
		fmt.Fprintf(stdout, "wrote %s\n", *recPath)
		return true
	}
	if len(*addRuns) > 0 {
		rec, err := findings.ReadRecord(*recPath)
		if err != nil {
			return usageError(stderr, "findings", fmt.Errorf("--add-run: %w", err))
		}
		for _, arg := range *addRuns {
			run, err := readRun(arg)
			if err != nil {
				return usageError(stderr, "findings", fmt.Errorf("--add-run %s: %w", arg, err))
			}
			rec.AddRun(run)
		}
		if err := rec.Write(*recPath); err != nil {
			return usageError(stderr, "findings", err)
		}
		fmt.Fprintf(stdout, "wrote %s\n", *recPath)
	}
	if *refreshRestore && !*refresh {
		rec, err := findings.ReadRecord(*recPath)
		if err != nil {
			return usageError(stderr, "findings", fmt.Errorf("--refresh-restore: %w", err))
		}
		if !save(rec) {
			return exitUsage
		}
	}
	if *refresh {
		cfg := findings.RefreshConfig{CompleteUpTo: *completeUpTo, Large: findings.Budget{MaxDepth: *largeDepth}, FixedSymmetryFrom: *fixedSymFrom}
		var err error
		if cfg.MatrixTasks, err = parseTaskList(*matrixTasks); err != nil {
			return usageError(stderr, "findings", fmt.Errorf("--matrix-tasks: %w", err))
		}
		if cfg.FixedTasks, err = parseTaskList(*fixedTasks); err != nil {
			return usageError(stderr, "findings", fmt.Errorf("--fixed-tasks: %w", err))
		}
		if cfg.Large.MaxMemory, err = parseBytes(*largeMem); err != nil {
			return usageError(stderr, "findings", fmt.Errorf("--large-max-memory: %w", err))
		}
		given := map[int]*findings.Matrix{}
		if *keepMatrices {
			old, err := findings.ReadRecord(*recPath)
			if err != nil {
				return usageError(stderr, "findings", fmt.Errorf("--keep-matrices: %w", err))
			}
			cfg.MatrixTasks = nil
			for _, m := range old.Matrices {
				given[m.Tasks] = m
				cfg.MatrixTasks = append(cfg.MatrixTasks, m.Tasks)
			}
		}
		for _, p := range *addMatrix {
			m, err := readMatrix(p)
			if err != nil {
				return usageError(stderr, "findings", fmt.Errorf("--add-matrix: %w", err))
			}
			given[m.Tasks] = m
		}
		var run []int
		for _, n := range cfg.MatrixTasks {
			if given[n] == nil {
				run = append(run, n)
			}
		}
		all := cfg.MatrixTasks
		cfg.MatrixTasks = run
		rec, err := findings.Refresh(cfg, rc, func(s string) { fmt.Fprintln(stderr, s) })
		if err != nil {
			fmt.Fprintf(stderr, "cabacheck findings: %v\n", err)
			return exitUsage
		}
		ran := rec.Matrices
		rec.Matrices = nil
		for _, n := range all {
			if m := given[n]; m != nil {
				rec.Matrices = append(rec.Matrices, m)
				continue
			}
			rec.Matrices = append(rec.Matrices, ran[0])
			ran = ran[1:]
		}
		rec.Settings.MatrixTasks = all
		if old, err := findings.ReadRecord(*recPath); err == nil {
			rec.Pidns, rec.Large = old.Pidns, old.Large // made by check runs, not by --refresh
		}
		if !save(rec) {
			return exitUsage
		}
	}
	rec, err := findings.ReadRecord(*recPath)
	if err != nil {
		return usageError(stderr, "findings", fmt.Errorf("%v (make it with --refresh)", err))
	}
	bar := newPartsProgress(stderr, isTerminal(stderr), "findings: parts")
	rc.Progress, rc.ProgressEvery = bar.update, bar.every()
	doc, err := findings.Generate(rec, *dir, rc)
	bar.finish()
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck findings: %v\n", err)
		return exitUsage
	}
	if *check {
		old, err := os.ReadFile(*out)
		if err != nil {
			return usageError(stderr, "findings", err)
		}
		if string(old) != doc {
			fmt.Fprintf(stdout, "%s differs from a regeneration (run '%s')\n", *out, findings.GenerateCommand)
			return exitViolation
		}
		fmt.Fprintf(stdout, "%s is up to date\n", *out)
		return exitOK
	}
	if err := os.WriteFile(*out, []byte(doc), 0o644); err != nil {
		fmt.Fprintf(stderr, "cabacheck findings: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return exitOK
}

func readMatrix(path string) (*findings.Matrix, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m findings.Matrix
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// readRun reads the argument of --add-run: REPORT.json or
// REPORT.json:TIME.txt.
func readRun(arg string) (*findings.CheckRun, error) {
	reportPath, timePath, _ := strings.Cut(arg, ":")
	report, err := os.ReadFile(reportPath)
	if err != nil {
		return nil, err
	}
	var timeV []byte
	if timePath != "" {
		if timeV, err = os.ReadFile(timePath); err != nil {
			return nil, err
		}
	}
	return findings.ImportRun(report, timeV)
}
