package findings

import (
	"strings"
	"sync"
	"testing"
	"time"

	"cabacheck/spec/linux"
)

const concernDir = "../testdata/concerns"

var (
	liveOnce     sync.Once
	live         *Live
	liveErr      error
	liveProgress []Progress // what RunLive reported (TestLiveProgress)
)

// allLive decides the whole catalogue and explores the pid namespace matrix
// once per test binary (the regeneration test renders the same results),
// recording its progress reports.
func allLive(t *testing.T) *Live {
	t.Helper()
	liveOnce.Do(func() {
		var mu sync.Mutex
		rc := RunConfig{Workers: 2, ProgressEvery: time.Millisecond, Progress: func(p Progress) {
			mu.Lock()
			liveProgress = append(liveProgress, p)
			mu.Unlock()
		}}
		live, liveErr = RunLive(concernDir, rc)
	})
	if liveErr != nil {
		t.Fatal(liveErr)
	}
	return live
}

func allConcerns(t *testing.T) []*Result { return allLive(t).Concerns }

// TestConcernsReproduce decides every concern of the catalogue and checks
// that the checker reproduces its expected verdict (and, for violations,
// the expected shortest-trace length, and that the trace's last state
// really fails the check).
func TestConcernsReproduce(t *testing.T) {
	results := allConcerns(t)
	for i, c := range Catalogue() {
		res := results[i]
		t.Run(c.Name, func(t *testing.T) {
			if len(res.Outcomes) != len(c.Expect) {
				t.Fatalf("%d outcomes for %d expectations", len(res.Outcomes), len(c.Expect))
			}
			for i, o := range res.Outcomes {
				e := c.Expect[i]
				v := o.Verdict
				if !o.Reproduced {
					t.Errorf("%s: got violated=%v length=%d %s, expected %s", o.Revision, v.Violated, v.Length, v.Summary(), o.Expected)
					continue
				}
				if !v.Violated {
					if !c.IsScenario() && !o.Exploration.Complete && !(c.MaxDepth > 0 && o.Exploration.Depth == c.MaxDepth) {
						t.Errorf("%s: holds but the exploration was not complete (%s)", o.Revision, o.Exploration.StopReason)
					}
					continue
				}
				inv, err := Resolve(c.Check, e.Revision)
				if err != nil {
					t.Fatal(err)
				}
				last := &v.Trace.Steps[len(v.Trace.Steps)-1].State
				if inv.Holds(last) {
					t.Errorf("%s: the trace's last state satisfies %s", o.Revision, inv.Name)
				}
				if len(v.Failure) == 0 || len(v.Actions) != v.Length {
					t.Errorf("%s: verdict lacks its explanation or actions: %+v", o.Revision, v)
				}
			}
		})
	}
}

func TestCatalogueShape(t *testing.T) {
	seen := map[string]bool{}
	cat := Catalogue()
	if len(cat) < 10 {
		t.Fatalf("catalogue has %d concerns, want at least 10", len(cat))
	}
	for _, c := range cat {
		if seen[c.Name] {
			t.Errorf("duplicate concern %s", c.Name)
		}
		seen[c.Name] = true
		if c.Question == "" || c.Source == "" || c.Answer == "" || len(c.Expect) == 0 || !strings.HasSuffix(c.Question, "?") {
			t.Errorf("%s: incomplete entry", c.Name)
		}
		for _, e := range c.Expect {
			if _, err := Resolve(c.Check, e.Revision); err != nil {
				t.Errorf("%s: %v", c.Name, err)
			}
		}
		if !c.IsScenario() {
			if err := (linux.Options{Tasks: c.Tasks, Actions: c.Actions}).Validate(); err != nil {
				t.Errorf("%s: %v", c.Name, err)
			}
		}
	}
}
