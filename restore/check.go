package restore

import (
	"fmt"
	"sync"

	"cabacheck/spec/linux"
	"cabacheck/state"
)

// PlannerNames lists the planners by name.
var PlannerNames = []string{"criu", "caba"}

// PlannerFor returns the planner called name for revision rev.
func PlannerFor(name string, rev linux.Revision) (Planner, error) {
	switch name {
	case "criu":
		return CRIU(), nil
	case "caba":
		return CABA(rev), nil
	}
	return nil, fmt.Errorf("unknown planner %q (want criu or caba)", name)
}

// Verdict is the outcome of dumping a state and restoring it with a planner.
type Verdict struct {
	NotDumpable string   // why CRIU does not dump the state ("" when it does)
	Refused     *Refusal // the planner's refusal
	Result      *Result  // the replay, when the planner made a plan
}

// Dumpable reports whether the state was dumped.
func (v *Verdict) Dumpable() bool { return v.NotDumpable == "" }

// TreeRestored reports whether the plan rebuilt the tree of the image.
func (v *Verdict) TreeRestored() bool { return v.Result != nil && v.Result.TreeRestored() }

// CabaRestored reports whether it rebuilt the tree and the caba values.
func (v *Verdict) CabaRestored() bool { return v.Result != nil && v.Result.CabaRestored() }

// Why says why the tree (caba: or the caba values) is not restored, in one
// line ("" when it is, or when the state is not dumpable).
func (v *Verdict) Why(caba bool) string {
	switch {
	case !v.Dumpable():
		return ""
	case v.Refused != nil:
		return v.Refused.Error()
	case v.Result.Failed != 0:
		st := v.Result.Plan.Steps[v.Result.Failed-1]
		return fmt.Sprintf("step %d, %s: %s", v.Result.Failed, st.Syscall(), v.Result.FailWhy)
	case v.Result.Tree != "":
		return "restored tree differs: " + v.Result.Tree
	case caba && v.Result.Caba != "":
		return "restored caba differs: " + v.Result.Caba
	}
	return ""
}

// Class names the kind of failure, for grouping: the refusal's class, or
// "step-not-enabled", "tree-differs", "caba-differs"; "" when restored.
func (v *Verdict) Class(caba bool) string {
	switch {
	case !v.Dumpable():
		return ""
	case v.Refused != nil:
		return v.Refused.Class
	case v.Result.Failed != 0:
		return "step-not-enabled"
	case v.Result.Tree != "":
		return "tree-differs"
	case caba && v.Result.Caba != "":
		return "caba-differs"
	}
	return ""
}

// Restore dumps s (revision rev), plans its restore with p and replays the
// plan; with record the replay keeps every state.
func Restore(rev linux.Revision, s *state.State, p Planner, record bool) Verdict {
	return restoreWith(NewReplayer(rev), s, p, record)
}

func restoreWith(rp *Replayer, s *state.State, p Planner, record bool) Verdict {
	if ok, why := Dumpable(s); !ok {
		return Verdict{NotDumpable: why}
	}
	o := Observe(rp.rev, s)
	return restoreObs(rp, &o, p, record)
}

// restoreObs plans and replays the restore of the dump o.
func restoreObs(rp *Replayer, o *Obs, p Planner, record bool) Verdict {
	plan, r := p.Plan(o)
	if r != nil {
		return Verdict{Refused: r}
	}
	return Verdict{Result: rp.Replay(plan, o, record)}
}

// Classes names every kind of failure a verdict can have (Verdict.Class),
// index 0 none: the replay's, then CRIU's refusals, then the CABA planner's.
var Classes = []string{"",
	"step-not-enabled", "tree-differs", "caba-differs",
	"born-sid", "no-session-leader", "pgrp-hang", "helpers",
	"dangling-caba", "caba-init-task", "caba-not-in-image", "caba-in-own-process", "caba-cycle",
	"parent-off-caba-chain", "born-session", "session-unreachable", "dead-session-founder",
	"init-threads", "thread-caba", "thread-order", "helper-budget", "search-budget",
}

// ClassID returns the index of class name in Classes (0 for "" or unknown).
func ClassID(name string) uint8 {
	for i, c := range Classes {
		if c == name {
			return uint8(i)
		}
	}
	return 0
}

// Outcome is what the invariants need of a verdict.
type Outcome uint8

const (
	OutDumpable Outcome = 1 << iota
	OutTree             // the tree is restored
	OutCaba             // the tree and the caba values are restored
)

// Memo is the part of a verdict kept per dump: small enough to memoise.
type Memo struct {
	Out       Outcome
	Helpers   uint8 // helpers the plan uses
	TreeClass uint8 // why the tree is not restored (Classes index)
	CabaClass uint8 // why the tree and caba are not restored
}

// Memo returns v's memo.
func (v *Verdict) Memo() Memo {
	var m Memo
	if v.Dumpable() {
		m.Out |= OutDumpable
	}
	if v.TreeRestored() {
		m.Out |= OutTree
	}
	if v.CabaRestored() {
		m.Out |= OutCaba
	}
	if v.Result != nil {
		m.Helpers = uint8(len(v.Result.Plan.Helpers))
	}
	m.TreeClass, m.CabaClass = ClassID(v.Class(false)), ClassID(v.Class(true))
	return m
}

// Checker is the memoised predicate: the outcome of restoring a state with
// one planner under one revision. The outcome depends on the state only
// through its dump, so it is computed once per dump. Safe for concurrent use.
type Checker struct {
	rev      linux.Revision
	planner  Planner
	replayer *Replayer
	shards   [64]shard
}

type shard struct {
	mu sync.Mutex
	m  map[Key]Memo
}

// maxMemo bounds the memo of one checker (entries per shard).
const maxMemo = 1 << 16

// NewChecker returns the memoised check of planner name under rev.
func NewChecker(rev linux.Revision, name string) (*Checker, error) {
	p, err := PlannerFor(name, rev)
	if err != nil {
		return nil, err
	}
	return CheckerOf(rev, p), nil
}

// CheckerOf returns the memoised check of planner p under rev.
func CheckerOf(rev linux.Revision, p Planner) *Checker {
	return &Checker{rev: rev, planner: p, replayer: NewReplayer(rev)}
}

// Outcome returns the outcome of restoring s.
func (c *Checker) Outcome(s *state.State) Outcome { return c.Memo(s).Out }

// Memo returns the memo of restoring s (zero when s is not dumpable).
func (c *Checker) Memo(s *state.State) Memo {
	if ok, _ := Dumpable(s); !ok {
		return Memo{}
	}
	o := Observe(c.rev, s)
	k := o.Key()
	h := uint32(0)
	for _, w := range k {
		h = h*31 + w
	}
	sh := &c.shards[h%uint32(len(c.shards))]
	sh.mu.Lock()
	m, ok := sh.m[k]
	sh.mu.Unlock()
	if ok {
		return m
	}
	v := restoreObs(c.replayer, &o, c.planner, false)
	m = v.Memo()
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = map[Key]Memo{}
	}
	if len(sh.m) < maxMemo {
		sh.m[k] = m
	}
	sh.mu.Unlock()
	return m
}

// Explain is the full verdict on s, for the invariants' explanations.
func (c *Checker) Explain(s *state.State) Verdict {
	return restoreWith(c.replayer, s, c.planner, false)
}
