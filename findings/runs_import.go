package findings

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"cabacheck/check"
	"cabacheck/invariants"
	"cabacheck/spec/linux"
)

// ImportRun makes a recorded run from the JSON report of `cabacheck check
// --json --continue` and, when timeV is not empty, the output of
// `/usr/bin/time -v` around it (wall-clock time and peak RSS). The traces
// are replayed when the record is rendered.
func ImportRun(report, timeV []byte) (*CheckRun, error) {
	var r check.Report
	if err := json.Unmarshal(report, &r); err != nil {
		return nil, fmt.Errorf("not a check --json report: %w", err)
	}
	if r.Model != "linux" {
		return nil, fmt.Errorf("a check of model %q, want linux", r.Model)
	}
	rev, err := linux.ParseRevision(r.Revision)
	if err != nil {
		return nil, err
	}
	acts, err := linux.ParseActions(r.Actions)
	if err != nil {
		return nil, err
	}
	if !r.Complete {
		return nil, fmt.Errorf("the run stopped before the end (%s): the record keeps complete runs", r.StopReason)
	}
	e := &Exploration{Revision: rev.String(), Tasks: r.Tasks, Actions: acts.String(), Distinct: r.DistinctStates, Generated: r.StatesGen,
		Depth: r.Depth, Complete: r.Complete, StopReason: r.StopReason, Budget: r.Budget, Symmetry: r.Symmetry, Seconds: r.ElapsedSeconds}
	for _, name := range r.Invariants {
		v := Verdict{Check: name}
		for _, x := range r.Violations {
			if x.Invariant != name {
				continue
			}
			v.Violated, v.Length = true, x.Length
			if v.Actions, err = x.Actions(); err != nil {
				return nil, err
			}
		}
		e.Verdicts = append(e.Verdicts, v)
	}
	run := &CheckRun{Command: checkCommand(rev, r.Tasks, acts, r.Invariants, r.Budget, r.Symmetry), Exploration: e}
	if len(timeV) > 0 {
		if run.WallSeconds, run.PeakRSSBytes, err = parseTimeV(timeV); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// checkCommand is the check command line of a run: the actions as
// "default,..." and the invariants as "all,..." where they include those sets.
func checkCommand(rev linux.Revision, tasks int, acts linux.ActionSet, invs []string, budget string, symmetry bool) string {
	given := map[string]bool{}
	for _, n := range invs {
		given[n] = true
	}
	var list []string
	all, err := invariants.SelectFor("all", rev, acts)
	hasAll := err == nil
	for _, inv := range all {
		hasAll = hasAll && given[inv.Name]
	}
	if hasAll {
		list = append(list, "all")
		for _, inv := range all {
			delete(given, inv.Name)
		}
	}
	for _, n := range invs {
		if given[n] {
			list = append(list, n)
		}
	}
	cmd := fmt.Sprintf("cabacheck check --tasks %d --revision %s --actions %s --continue --invariants %s", tasks, rev, actionsFlag(acts), strings.Join(list, ","))
	if symmetry {
		cmd += " --symmetry"
	}
	if budget != "" {
		cmd += " " + budget
	}
	return cmd
}

// actionsFlag writes an action set as --actions would be given it:
// "default,..." when it has the default actions.
func actionsFlag(acts linux.ActionSet) string {
	if acts&linux.DefaultActions != linux.DefaultActions {
		return acts.String()
	}
	if rest := acts &^ linux.DefaultActions; rest != 0 {
		return "default," + rest.String()
	}
	return "default"
}

// parseTimeV reads the wall-clock time and the peak RSS of GNU time's
// verbose output ("Elapsed (wall clock) time (h:mm:ss or m:ss): 3:18.72",
// "Maximum resident set size (kbytes): 1926860").
func parseTimeV(out []byte) (wall float64, rss uint64, err error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	seen := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "): ")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(k, "Elapsed (wall clock) time"):
			var secs float64
			for _, part := range strings.Split(v, ":") {
				f, err := strconv.ParseFloat(part, 64)
				if err != nil {
					return 0, 0, fmt.Errorf("time -v: elapsed %q: %w", v, err)
				}
				secs = secs*60 + f
			}
			wall = secs
			seen++
		case k == "Maximum resident set size (kbytes":
			kb, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("time -v: maximum RSS %q: %w", v, err)
			}
			rss = kb * 1024
			seen++
		}
	}
	if seen != 2 {
		return 0, 0, fmt.Errorf("not the output of /usr/bin/time -v (no elapsed time or maximum resident set size)")
	}
	return wall, rss, nil
}
