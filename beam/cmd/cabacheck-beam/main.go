package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/spf13/pflag"

	"cabacheck/beam/engine"
	"cabacheck/check"
	"cabacheck/spec/linux"
)

func main() {
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "-") && os.Args[1] != "-h" && os.Args[1] != "--help" {
		// Started by a runner as a worker: Beam's harness takes over.
		flag.Parse()
		beam.Init()
		return
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(stdout, "usage: cabacheck-beam check [flags]   (cabacheck-beam check --help for the flags)\n")
		if len(args) == 0 {
			return check.ExitUsage
		}
		return check.ExitOK
	}
	if args[0] != "check" {
		fmt.Fprintf(stderr, "cabacheck-beam: unknown command %q (want check)\n", args[0])
		return check.ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runCheck(ctx, args[1:], stdout, stderr)
}

// beamFlags are the Beam SDK's own flags this command passes on, by name.
var beamFlags = []struct{ name, help string }{
	{"endpoint", "job service endpoint of a portable runner (flink, spark: HOST:PORT of its job server)"},
	{"environment_type", "worker environment: DOCKER (default on a cluster), PROCESS, LOOPBACK, EXTERNAL"},
	{"environment_config", "the environment's configuration (a container image, a process command, or an address)"},
	{"job_name", "job name (optional)"},
	{"worker_binary", "the worker binary a cluster runs (linux/amd64 build of this command; default: the SDK builds one)"},
	{"project", "Google Cloud project (dataflow)"},
	{"region", "Google Cloud region (dataflow)"},
	{"staging_location", "gs:// staging location (dataflow)"},
	{"temp_location", "gs:// temporary location (dataflow)"},
	{"worker_machine_type", "worker machine type (dataflow)"},
	{"num_workers", "number of workers (dataflow)"},
	{"max_num_workers", "maximum number of workers (dataflow)"},
}

var runners = []string{"prism", "flink", "spark", "dataflow"}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("check", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	model := fs.String("model", "linux", "model: linux (the Linux task model) or toy (the standard benchmark; --tasks is its MAXP)")
	tasks := fs.Int("tasks", 5, "task budget, init included (toy: MAXP)")
	revision := fs.String("revision", linux.Seed.String(), "CABA revision: "+linux.RevisionNames())
	actions := fs.String("actions", "threads,clone-parent,exec,subreaper", "optional actions: "+linux.ActionNames()+" (or all, default, none)")
	invs := fs.String("invariants", "all", "invariants to check: names or groups, comma-separated")
	cont := fs.Bool("continue", false, "record the first violation of each invariant and keep exploring")
	asJSON := fs.Bool("json", false, "print one JSON object on stdout instead of the text report")
	maxDepth := fs.Int("max-depth", 0, "stop after this many levels (0: no limit)")
	maxStates := fs.Uint64("max-states", 0, "stop once this many distinct states are found (0: no limit)")
	maxTime := fs.Duration("max-time", 0, "stop before a level once this much time has passed (0: no limit)")
	work := fs.String("work", "", "work directory: frontier, visited partitions, parent records, checkpoints (a local path, or gs://... on Dataflow; default: a temporary directory, removed at the end)")
	resume := fs.Bool("resume", false, "continue the search checkpointed in --work")
	partitions := fs.Int("partitions", 16, "fingerprint partitions of the visited set (a power of two, 1..4096)")
	itemStates := fs.Int("item-states", 4096, "frontier states per expand element")
	runner := fs.String("runner", "prism", "Beam runner: "+strings.Join(runners, ", "))
	logLevel := fs.String("log-level", "warn", "the Beam SDK's and Prism's log level: debug, info, warn, error")
	beamValues := make(map[string]*string, len(beamFlags))
	for _, bf := range beamFlags {
		beamValues[bf.name] = fs.String(bf.name, "", bf.help)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage of cabacheck-beam check:\n%s", fs.FlagUsages())
			return check.ExitOK
		}
		return usageError(stderr, err)
	}
	if fs.NArg() > 0 {
		return usageError(stderr, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if _, err := engine.PartitionBits(*partitions); err != nil {
		return usageError(stderr, fmt.Errorf("--partitions: %w", err))
	}
	if *itemStates < 1 {
		return usageError(stderr, fmt.Errorf("--item-states %d must be at least 1", *itemStates))
	}
	if *maxDepth < 0 || *maxTime < 0 {
		return usageError(stderr, errors.New("--max-depth and --max-time must not be negative"))
	}
	if *model == "toy" {
		for _, n := range []string{"revision", "actions", "invariants"} {
			if fs.Changed(n) {
				return usageError(stderr, fmt.Errorf("--%s applies to the linux model only", n))
			}
		}
	}
	switch *logLevel {
	case "debug", "info", "warn", "error":
	default:
		return usageError(stderr, fmt.Errorf("--log-level %q: want debug, info, warn or error", *logLevel))
	}
	if err := checkBeamFlags(*runner, fs.Changed); err != nil {
		return usageError(stderr, err)
	}
	if *resume && *work == "" {
		return usageError(stderr, errors.New("--resume needs the --work directory of the interrupted search"))
	}
	if *runner != "prism" && *work == "" {
		return usageError(stderr, fmt.Errorf("--runner %s needs a --work directory every worker reaches", *runner))
	}
	ms := engine.ModelSpec{Kind: *model, Tasks: *tasks, Revision: *revision, Actions: *actions, Invariants: *invs}
	m, ch, err := ms.Build()
	if err != nil {
		return usageError(stderr, err)
	}
	dir := *work
	if dir == "" {
		if dir, err = os.MkdirTemp("", "cabacheck-beam-"); err != nil {
			return usageError(stderr, fmt.Errorf("temporary work directory: %w", err))
		}
		defer os.RemoveAll(dir)
	}
	// Beam's flags are process globals: they are set only once every flag
	// has been checked, just before the search.
	if err := setBeamFlags(*runner, beamValues, fs.Changed); err != nil {
		return usageError(stderr, err)
	}
	beamlog.LogLevel = *logLevel
	beam.Init()
	if !*asJSON {
		fmt.Fprintf(stdout, "cabacheck-beam: %s\n", engine.Describe(m))
		names := ch.Names()
		fmt.Fprintf(stdout, "Checking %d invariant(s): %s; runner %s, %d partition(s), work %s.\n", len(names), strings.Join(names, ", "), *runner, *partitions, dir)
	}
	res, err := engine.Run(engine.Config{
		Spec: ms, Work: dir, Resume: *resume, Continue: *cont, MaxDepth: *maxDepth, MaxStates: *maxStates, MaxTime: *maxTime,
		Partitions: *partitions, ItemStates: *itemStates, Context: ctx,
	})
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck-beam check: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return check.ExitUsage
	}
	code := exitCodeFor(res)
	if *asJSON {
		if err := printJSON(stdout, ms, res); err != nil {
			fmt.Fprintf(stderr, "cabacheck-beam check: %v\n", err)
			return check.ExitUsage
		}
		return code
	}
	printReport(stdout, res)
	return code
}

func usageError(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "cabacheck-beam check: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
	return check.ExitUsage
}

// checkBeamFlags checks --runner and that the runner has the flags it
// needs.
func checkBeamFlags(runner string, changed func(string) bool) error {
	if !slices.Contains(runners, runner) {
		return fmt.Errorf("--runner %q: want one of %s", runner, strings.Join(runners, ", "))
	}
	switch {
	case (runner == "flink" || runner == "spark") && !changed("endpoint"):
		return fmt.Errorf("--runner %s needs --endpoint HOST:PORT of its job server", runner)
	case runner == "dataflow":
		for _, n := range []string{"project", "region", "staging_location"} {
			if !changed(n) {
				return fmt.Errorf("--runner dataflow needs --%s", n)
			}
		}
	}
	return nil
}

// setBeamFlags hands --runner and the Beam flags given to the Beam SDK's
// flag globals, which beamx.Run and the runners read.
func setBeamFlags(runner string, values map[string]*string, changed func(string) bool) error {
	if err := flag.Set("runner", runner); err != nil {
		return fmt.Errorf("--runner: %w", err)
	}
	for _, bf := range beamFlags {
		if !changed(bf.name) {
			continue
		}
		if err := flag.Set(bf.name, *values[bf.name]); err != nil {
			return fmt.Errorf("--%s: %w", bf.name, err)
		}
	}
	return nil
}

func exitCodeFor(res *engine.Result) int {
	return check.ExitCode(len(res.Violations), res.Budget, res.StopReason)
}

// printReport prints the counterexamples and the TLC-style summary, as
// `cabacheck check` does, with the engine's pipeline figures at the end.
func printReport(w io.Writer, res *engine.Result) {
	left := uint64(0)
	if !res.Complete && len(res.Levels) > 0 {
		left = res.Levels[len(res.Levels)-1].New
	}
	check.WriteReport(w, check.Summary{Counterexamples: res.Counterexamples, Complete: res.Complete, StopReason: res.StopReason,
		Budget: res.Budget, CollisionOptimistic: res.CollisionOptimistic, CollisionActual: -1, Generated: res.Generated,
		Distinct: res.Distinct, Left: left, Depth: res.Depth, Elapsed: res.Elapsed,
		Tail: fmt.Sprintf("; %d pipeline(s) in this run, %s in them.", res.Pipelines, res.PipelineTime.Round(time.Millisecond))})
}

func printJSON(w io.Writer, ms engine.ModelSpec, res *engine.Result) error {
	rep := check.Report{
		Model: ms.Kind, Tasks: ms.Tasks, Invariants: res.Checker.Names(),
		DistinctStates: res.Distinct, StatesGen: res.Generated, Depth: res.Depth, Complete: res.Complete,
		StopReason: res.StopReason, Budget: res.Budget, ElapsedSeconds: res.Elapsed.Seconds(), Pipelines: res.Pipelines,
		Violations: []check.ReportViolation{},
	}
	if ms.Kind != "toy" {
		rep.Revision, rep.Actions = ms.Revision, ms.Actions
	}
	for _, ce := range res.Counterexamples {
		rep.Violations = append(rep.Violations, check.ViolationOf(ce))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
