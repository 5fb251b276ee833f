package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"cabacheck/reproduce"
	"cabacheck/spec/linux"
	"cabacheck/traces"
)

// runReproduce is "cabacheck reproduce": a kselftest-style C program per
// trace that performs it on a real kernel and says where the kernel departs
// from the model (reproduce/, docs/reproduce.md).
func runReproduce(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("reproduce")
	trace := fs.String("trace", "", "a JSON trace (check --trace-out x.json); a list gives one program per trace")
	cex := fs.String("cex", "", "instead of --trace: the counterexamples stored in kernel/cex of these revisions ("+linux.RevisionNames()+", or all)")
	out := fs.String("out", "", "directory for the programs, the Makefile, kselftest_compat.h and config (e.g. tools/testing/selftests/caba of a patched tree)")
	name := fs.String("name", "", "program name (one trace only; default caba_repro_REVISION_INVARIANT)")
	revs := fs.String("revisions", "all", "revisions whose expected states are embedded besides the trace's own, so the program can tell which one the kernel follows (or none)")
	if c := parseCommand(fs, args, stdout, stderr, 0); c >= 0 {
		return c
	}
	if *out == "" {
		return usageError(stderr, "reproduce", errors.New("want --out DIR"))
	}
	if (*trace == "") == (*cex == "") {
		return usageError(stderr, "reproduce", errors.New("want --trace FILE or --cex REVISIONS (one of them)"))
	}
	embed, err := parseRevisionList(*revs)
	if err != nil {
		return usageError(stderr, "reproduce", fmt.Errorf("--revisions: %w", err))
	}
	var trs []*traces.Trace
	origin := ""
	if *trace != "" {
		trs, err = readTraceList(*trace)
		origin = *trace
	} else {
		var from []linux.Revision
		if from, err = parseRevisionList(*cex); err == nil {
			trs, err = reproduce.StoredTraces(from)
			origin = "kernel/cex"
		}
		if err == nil && len(trs) == 0 {
			err = fmt.Errorf("no stored counterexample of %s", *cex)
		}
	}
	if err != nil {
		return usageError(stderr, "reproduce", err)
	}
	if *name != "" && len(trs) > 1 {
		return usageError(stderr, "reproduce", fmt.Errorf("--name: %d traces, want one", len(trs)))
	}
	var progs []*reproduce.Program
	seen := map[string]int{}
	for i, tr := range trs {
		p, err := reproduce.Generate(tr, reproduce.Config{Name: *name, Origin: origin, Revisions: embed})
		if err != nil {
			return usageError(stderr, "reproduce", fmt.Errorf("trace %d of %s: %w", i+1, origin, err))
		}
		if seen[p.Name]++; seen[p.Name] > 1 {
			p.Name = fmt.Sprintf("%s_%d", p.Name, seen[p.Name])
		}
		progs = append(progs, p)
	}
	w, err := reproduce.WriteDir(*out, progs...)
	if err != nil {
		fmt.Fprintf(stderr, "cabacheck reproduce: %v\n", err)
		return exitUsage
	}
	for _, p := range progs {
		fmt.Fprintf(stdout, "%s.c: %d steps (%s)", filepath.Join(*out, p.Name), len(p.Steps), p.OpsLine())
		if p.Invariant != "" {
			fmt.Fprintf(stdout, ", %s violated at step %d under %s", p.Invariant, p.ViolStep, p.Revision)
		}
		fmt.Fprintf(stdout, "; expected states of %s\n", strings.Join(p.Revisions, ", "))
		if p.KASAN != "" {
			fmt.Fprintf(stdout, "  a KASAN kernel reports: %s\n", p.KASAN)
		}
	}
	fmt.Fprintf(stdout, "wrote %s\n", strings.Join(w.Files, ", "))
	if w.Kept != "" {
		fmt.Fprintf(stdout, "kept %s (not written by cabacheck): add to its TEST_GEN_PROGS:", w.Kept)
		for _, p := range progs {
			fmt.Fprintf(stdout, " %s", p.Name)
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "build: make -C %s   (alone: gcc -static -Wall -DCABA_REPRO_STANDALONE -o NAME NAME.c)\n", *out)
	fmt.Fprintf(stdout, "run as root: %s/NAME   (TAP; exit 0 pass, 1 fail, 4 skip: no NScaba line)\n", *out)
	return exitOK
}

// parseRevisionList parses "all", "none" (an empty, non-nil list) or a
// comma-separated list of revisions.
func parseRevisionList(s string) ([]linux.Revision, error) {
	if strings.TrimSpace(s) == "none" {
		return []linux.Revision{}, nil
	}
	revs, err := linux.ParseRevisions(s)
	if err == nil && len(revs) == 0 {
		err = errors.New("no revision named")
	}
	return revs, err
}

// readTraceList reads a JSON trace or a JSON list of traces.
func readTraceList(path string) ([]*traces.Trace, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t := bytes.TrimSpace(data)
	items := []json.RawMessage{t}
	if len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &items); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(items) == 0 {
			return nil, fmt.Errorf("%s: an empty list of traces", path)
		}
	}
	var out []*traces.Trace
	for i, it := range items {
		tr, err := traces.ReadJSON(it)
		if err != nil {
			return nil, fmt.Errorf("%s (trace %d): %w", path, i+1, err)
		}
		out = append(out, tr)
	}
	return out, nil
}
