package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"cabacheck/check"
	"cabacheck/revfile"
	"cabacheck/spec/linux"
)

// A flagGroup is a set of flags several commands share; validate checks
// and converts its values once the flags are parsed.
type flagGroup interface {
	validate() error
}

// parseCommand parses args, allowing at most maxArgs positional arguments,
// and validates every group. On --help it prints the flags and returns
// exitOK, on an error a one-line message and exitUsage; otherwise -1.
func parseCommand(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer, maxArgs int, groups ...flagGroup) int {
	if c := parseFlags(fs, args, stdout, stderr); c >= 0 {
		return c
	}
	if fs.NArg() > maxArgs {
		return usageError(stderr, fs.Name(), fmt.Errorf("unexpected argument %q", fs.Arg(maxArgs)))
	}
	for _, g := range groups {
		if err := g.validate(); err != nil {
			return usageError(stderr, fs.Name(), err)
		}
	}
	return -1
}

// revisionHelp is the --revision help, derived from the registry.
func revisionHelp(list bool) string {
	if list {
		return "revisions, comma-separated, or all: " + linux.RevisionNames()
	}
	return "CABA revision: " + linux.RevisionNames()
}

// revisionFileHelp is the --revision-file help of a command taking one
// revision (list false) or a list.
func revisionFileHelp(list bool) string {
	if list {
		return "a revision file (TOML, docs/revisions.md) to register and add to --revision; repeatable"
	}
	return "a revision file (TOML, docs/revisions.md) to register and check instead of --revision"
}

// registerRevisionFiles loads and registers --revision-file paths (a
// registered name with the same definition is that revision; a different
// one is refused, as are bad files, with the file, line and key).
func registerRevisionFiles(paths []string) ([]linux.Revision, error) {
	revs, err := revfile.LoadAll(paths)
	if err != nil {
		return nil, fmt.Errorf("--revision-file %w", err)
	}
	return revs, nil
}

// withFiles is a revision list followed by the files' revisions not in it.
func withFiles(revs, files []linux.Revision) []linux.Revision {
	for _, r := range files {
		if !slices.Contains(revs, r) {
			revs = append(revs, r)
		}
	}
	return revs
}

// modelFlags choose Linux task model instances: --tasks, --revision (one,
// or with a list default a list), --revision-file, --actions.
type modelFlags struct {
	tasks    int
	revision string
	files    []string
	actions  string
	list     bool
	fs       *pflag.FlagSet
	opt      linux.Options    // set by validate (with a list: its first revision)
	revs     []linux.Revision // set by validate
}

// addModelFlags adds the flags with defaults revisions ("" for the seed,
// one revision; a list such as "all" makes --revision a list) and actions.
// --revision-file registers a revision file's revision before --revision is
// parsed (so --revision may name it): a one-revision command checks the
// file's revision (at most one file, and --revision, if given, must name
// it); a list command adds the files' revisions to the list.
func addModelFlags(fs *pflag.FlagSet, revisions, actions string) *modelFlags {
	f := &modelFlags{list: revisions != "", fs: fs}
	if revisions == "" {
		revisions = linux.Seed.String()
	}
	fs.IntVar(&f.tasks, "tasks", 5, "task budget, init included")
	fs.StringVar(&f.revision, "revision", revisions, revisionHelp(f.list))
	fs.StringArrayVar(&f.files, "revision-file", nil, revisionFileHelp(f.list))
	fs.StringVar(&f.actions, "actions", actions, "optional actions: "+linux.ActionNames()+" (or all, default, none)")
	return f
}

func (f *modelFlags) validate() error {
	files, err := registerRevisionFiles(f.files)
	if err != nil {
		return err
	}
	switch {
	case f.list:
		f.revs, err = linux.ParseRevisions(f.revision)
		f.revs = withFiles(f.revs, files)
	case len(files) > 1:
		return fmt.Errorf("--revision-file: %s checks one revision, not %d", f.fs.Name(), len(files))
	case len(files) == 1:
		if f.fs.Changed("revision") && f.revision != files[0].String() {
			return fmt.Errorf("--revision %s and --revision-file %s (revision %s): give one", f.revision, f.files[0], files[0])
		}
		f.revs = files
	default:
		var r linux.Revision
		r, err = linux.ParseRevision(f.revision)
		f.revs = []linux.Revision{r}
	}
	if err != nil {
		return fmt.Errorf("--revision: %w", err)
	}
	acts, err := linux.ParseActions(f.actions)
	if err != nil {
		return fmt.Errorf("--actions: %w", err)
	}
	f.opt = linux.Options{Tasks: f.tasks, Revision: f.revs[0], Actions: acts}
	return f.opt.Validate()
}

// revisionsFlag is --revision as a list alone (growth, whose bounds and
// actions are lists of their own), with --revision-file as for a list
// command's modelFlags.
type revisionsFlag struct {
	list  string
	files []string
	revs  []linux.Revision // set by validate
}

func addRevisionsFlag(fs *pflag.FlagSet, def string) *revisionsFlag {
	f := &revisionsFlag{}
	fs.StringVar(&f.list, "revision", def, revisionHelp(true))
	fs.StringArrayVar(&f.files, "revision-file", nil, revisionFileHelp(true))
	return f
}

func (f *revisionsFlag) validate() error {
	files, err := registerRevisionFiles(f.files)
	if err != nil {
		return err
	}
	if f.revs, err = linux.ParseRevisions(f.list); err != nil {
		return fmt.Errorf("--revision: %w", err)
	}
	f.revs = withFiles(f.revs, files)
	return nil
}

// workersFlag is --workers.
type workersFlag struct{ n int }

const maxWorkers = 256

func addWorkersFlag(fs *pflag.FlagSet) *workersFlag {
	f := &workersFlag{}
	fs.IntVar(&f.n, "workers", runtime.NumCPU(), "worker goroutines (results do not depend on it)")
	return f
}

func (f *workersFlag) validate() error {
	if f.n < 1 || f.n > maxWorkers {
		return fmt.Errorf("--workers %d is outside 1..%d", f.n, maxWorkers)
	}
	return nil
}

// budgetFlags are --max-states, --max-time, --max-memory and, where a
// command has it, --max-depth.
type budgetFlags struct {
	maxStates uint64
	maxTime   time.Duration
	maxMemory string
	maxDepth  int
	fs        *pflag.FlagSet
	budget    check.Budget // set by validate
}

func addBudgetFlags(fs *pflag.FlagSet, depth bool) *budgetFlags {
	b := &budgetFlags{fs: fs}
	fs.Uint64Var(&b.maxStates, "max-states", 0, "stop cleanly after this many distinct states (0: no limit)")
	fs.DurationVar(&b.maxTime, "max-time", 0, "stop cleanly after this much time, e.g. 10m (0: no limit)")
	fs.StringVar(&b.maxMemory, "max-memory", "", "stop cleanly before the heap exceeds this, e.g. 8GiB (default and 0: no limit)")
	if depth {
		fs.IntVar(&b.maxDepth, "max-depth", 0, "stop after this many BFS levels (0: no limit)")
	}
	return b
}

func (b *budgetFlags) validate() error {
	if b.maxTime < 0 {
		return errors.New("--max-time must not be negative")
	}
	if b.maxDepth < 0 {
		return errors.New("--max-depth must not be negative")
	}
	b.budget = check.Budget{MaxStates: b.maxStates, MaxTime: b.maxTime}
	if b.maxMemory != "" {
		n, err := parseBytes(b.maxMemory)
		if err != nil {
			return fmt.Errorf("--max-memory: %w", err)
		}
		if n > 0 && n < 16<<20 {
			return fmt.Errorf("--max-memory %s is below the 16MiB minimum", b.maxMemory)
		}
		b.budget.MaxMemory = n
	}
	return nil
}

// given reports whether any budget flag was set on the command line.
func (b *budgetFlags) given() bool {
	for _, n := range []string{"max-states", "max-time", "max-memory", "max-depth"} {
		if b.fs.Changed(n) {
			return true
		}
	}
	return false
}

// describeBudget renders a budget for a report header.
func describeBudget(b check.Budget, maxDepth int) string {
	var parts []string
	if b.MaxStates > 0 {
		parts = append(parts, "max-states "+commas(b.MaxStates))
	}
	if b.MaxTime > 0 {
		parts = append(parts, "max-time "+b.MaxTime.String())
	}
	if b.MaxMemory > 0 {
		parts = append(parts, "max-memory "+bytesString(float64(b.MaxMemory)))
	}
	if maxDepth > 0 {
		parts = append(parts, fmt.Sprintf("max-depth %d", maxDepth))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// scaleFlags choose the model family, symmetry reduction and the state store.
type scaleFlags struct {
	model     string
	store     string
	dir       string
	resume    bool
	symmetry  bool
	memBudget string
	maxDisk   string
	spec      check.Store // set by validate
}

func addScaleFlags(fs *pflag.FlagSet) *scaleFlags {
	f := &scaleFlags{}
	fs.StringVar(&f.model, "model", "linux", "model: linux (the task model) or toy (the standard benchmark model; --tasks is MAXP)")
	fs.StringVar(&f.store, "store", "memory", "state store: memory, or badger (on disk in --dir; larger than memory, resumable)")
	fs.StringVar(&f.dir, "dir", "", "directory of the badger store")
	fs.BoolVar(&f.resume, "resume", false, "continue the interrupted search saved in --dir (same parameters)")
	fs.BoolVar(&f.symmetry, "symmetry", false, "exact symmetry reduction: explore one state per class of interchangeable tasks (docs/scale.md)")
	fs.StringVar(&f.memBudget, "mem-budget", "", "memory for the in-memory visited set, e.g. 4GiB; past it the search goes on from disk through Badger (in --dir or a temporary directory)")
	fs.StringVar(&f.maxDisk, "max-disk", "", "stop cleanly (resumable) before the disk store would use more than this, e.g. 50GiB (default: no limit, but stop before its file system has less than 256MiB, or twice a level's growth, free)")
	return f
}

func (f *scaleFlags) validate() error {
	switch f.model {
	case "linux", "toy":
	default:
		return fmt.Errorf("--model %q: want linux or toy", f.model)
	}
	switch f.store {
	case "memory", "badger":
	default:
		return fmt.Errorf("--store %q: want memory or badger", f.store)
	}
	if f.store == "badger" && f.dir == "" {
		return errors.New("--store badger needs --dir DIR")
	}
	if f.resume && f.dir == "" {
		return errors.New("--resume needs --dir DIR (the store of the interrupted search)")
	}
	if f.symmetry && f.model == "toy" {
		return errors.New("--symmetry is implemented for the linux model only")
	}
	f.spec = check.Store{Disk: f.store == "badger", Dir: f.dir, Resume: f.resume}
	if f.memBudget != "" {
		n, err := parseBytes(f.memBudget)
		if err != nil {
			return fmt.Errorf("--mem-budget: %w", err)
		}
		f.spec.MemBudget = n
	}
	if f.maxDisk != "" {
		n, err := parseBytes(f.maxDisk)
		if err != nil {
			return fmt.Errorf("--max-disk: %w", err)
		}
		if n > 0 && f.store != "badger" && f.memBudget == "" && !f.resume {
			return errors.New("--max-disk applies to a disk store (--store badger, or --mem-budget)")
		}
		if n > 0 && n < 16<<20 {
			return fmt.Errorf("--max-disk %s is below the 16MiB minimum", f.maxDisk)
		}
		f.spec.MaxDisk = n
	}
	return nil
}
