package reference

import (
	"fmt"
	"sort"
	"strings"
)

// A Revision of the CABA patch, described by one value per choice point.
// The keys and value names are those of the project's revision files
// (fork_caba = current, ...); the meaning of each value is written here from
// model.md, kernel-semantics.md and the patches (see AMBIGUITIES.md,
// "Revisions as choices"), not taken from any other implementation.
type Revision struct {
	Name string

	ForkCaba   string // fork_caba: caba of a process made by Fork or ForkParent
	ThreadCaba string // thread_caba: caba of a thread made by Clone
	HandOff    string // hand_off: the step at which a task's cabds are handed on
	NewCaba    string // new_caba: the task they are handed to
	DeThread   string // de_thread: what ExecSwap does to the new leader's caba
	NScaba     string // nscaba: what /proc/PID/status prints (no effect on the state space)
	Alive      string // alive: the reading of "alive" the revision intends (names its CabaClosest invariant)
}

// Choice keys, as in revision files.
const (
	KeyForkCaba   = "fork_caba"
	KeyThreadCaba = "thread_caba"
	KeyHandOff    = "hand_off"
	KeyNewCaba    = "new_caba"
	KeyDeThread   = "de_thread"
	KeyNScaba     = "nscaba"
	KeyAlive      = "alive"
)

// Choice values.
const (
	// fork_caba, thread_caba
	RealParent = "real-parent" // Fork: t; ForkParent: parent[t]; Clone: parent[t] (v1/v2's p->caba = p->real_parent)
	Current    = "current"     // the creating thread t
	LeaderCaba = "leader-caba" // thread_caba: caba[leader[g]]; de_thread: caba[t] = caba[l]

	// hand_off
	AtExitNotify = "exit-notify" // in ExitNotify(t), after the reparenting (v1/v2)
	AtRelease    = "release"     // in Release(x), before the unlink (v3 on: forget_caba in __unhash_process)

	// new_caba
	AliveThenChain = "alive-then-chain" // v1/v2's find_new_caba
	Forget         = "forget"           // v3's forget_caba: a leader's own caba, a thread's leader

	// de_thread
	Keep = "keep" // caba[t] untouched (posted revisions)

	// nscaba
	TID  = "tid"  // PIDTYPE_PID (posted revisions)
	TGID = "tgid" // PIDTYPE_TGID (fixed)

	// alive
	Notified = "notified" // CabaClosestNotified (v1/v2)
	Hashed   = "hashed"   // CabaClosestHashed (v3 on)
)

// ChoiceKeys lists the choice keys in the order a revision is described.
var ChoiceKeys = []string{KeyForkCaba, KeyThreadCaba, KeyHandOff, KeyNewCaba, KeyDeThread, KeyNScaba, KeyAlive}

// ChoiceValues gives, for each key, every value this package implements.
var ChoiceValues = map[string][]string{
	KeyForkCaba:   {RealParent, Current},
	KeyThreadCaba: {RealParent, Current, LeaderCaba},
	KeyHandOff:    {AtExitNotify, AtRelease},
	KeyNewCaba:    {AliveThenChain, Forget},
	KeyDeThread:   {Keep, LeaderCaba},
	KeyNScaba:     {TID, TGID},
	KeyAlive:      {Notified, Hashed},
}

func (r *Revision) field(key string) *string {
	switch key {
	case KeyForkCaba:
		return &r.ForkCaba
	case KeyThreadCaba:
		return &r.ThreadCaba
	case KeyHandOff:
		return &r.HandOff
	case KeyNewCaba:
		return &r.NewCaba
	case KeyDeThread:
		return &r.DeThread
	case KeyNScaba:
		return &r.NScaba
	case KeyAlive:
		return &r.Alive
	}
	return nil
}

// Choices returns the revision as a key -> value map.
func (r Revision) Choices() map[string]string {
	m := make(map[string]string, len(ChoiceKeys))
	for _, k := range ChoiceKeys {
		m[k] = *r.field(k)
	}
	return m
}

// RevisionOf builds a revision from a key -> value map; every key must be
// given, with a value this package implements.
func RevisionOf(name string, choices map[string]string) (Revision, error) {
	r := Revision{Name: name}
	var unknown []string
	for k := range choices {
		if r.field(k) == nil {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return r, fmt.Errorf("reference: revision %s: unknown choice key(s) %s (want %s)", name, strings.Join(unknown, ", "), strings.Join(ChoiceKeys, ", "))
	}
	for _, k := range ChoiceKeys {
		v, ok := choices[k]
		if !ok {
			return r, fmt.Errorf("reference: revision %s: no value for %s", name, k)
		}
		*r.field(k) = v
	}
	return r, r.Validate()
}

// Validate checks that every choice holds a value this package implements.
func (r Revision) Validate() error {
	for _, k := range ChoiceKeys {
		v := *r.field(k)
		ok := false
		for _, w := range ChoiceValues[k] {
			ok = ok || v == w
		}
		if !ok {
			return fmt.Errorf("reference: revision %s: %s has no value %q (want one of %s)", r.Name, k, v, strings.Join(ChoiceValues[k], ", "))
		}
	}
	return nil
}

// Equal reports whether r and o make the same choices (names aside).
func (r Revision) Equal(o Revision) bool {
	r.Name, o.Name = "", ""
	return r == o
}

func (r Revision) String() string {
	var b strings.Builder
	b.WriteString(r.Name)
	b.WriteString(" {")
	for i, k := range ChoiceKeys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%s", k, *r.field(k))
	}
	b.WriteString("}")
	return b.String()
}

// IntendedInvariant names the CabaClosest invariant of the revision's
// reading of "alive".
func (r Revision) IntendedInvariant() string {
	if r.Alive == Notified {
		return "CabaClosestNotified"
	}
	return "CabaClosestHashed"
}

// builtins is this package's own reading of the revisions the project
// knows, from the patches under kernel/patches and kernel-semantics.md
// 1.4-1.7 (seed, v3, v4) and docs/findings.md "The fix" (fixed):
//
//   - seed (v1/v2): copy_process sets p->caba = p->real_parent after the
//     real_parent if/else (plain fork: current; CLONE_PARENT and
//     CLONE_THREAD: current->real_parent); forget_original_parent hands the
//     cabds on at exit_notify through find_new_caba; NScaba uses PIDTYPE_PID;
//     a task stops being a CABA at its exit_notify.
//   - v3: p->caba = current for every clone; forget_caba in
//     __unhash_process (release_task); otherwise as the seed, but "alive"
//     means hashed.
//   - v4: as v3, but CLONE_THREAD takes p->real_parent (= current->real_parent);
//     plain fork and CLONE_PARENT take current.
//   - fixed: v3, with CLONE_THREAD taking current->group_leader->caba,
//     de_thread copying leader->caba to the exec'ing thread next to its
//     list_replace_init of the cabd link, and NScaba printing PIDTYPE_TGID.
var builtins = []Revision{
	{Name: "seed", ForkCaba: RealParent, ThreadCaba: RealParent, HandOff: AtExitNotify, NewCaba: AliveThenChain, DeThread: Keep, NScaba: TID, Alive: Notified},
	{Name: "v3", ForkCaba: Current, ThreadCaba: Current, HandOff: AtRelease, NewCaba: Forget, DeThread: Keep, NScaba: TID, Alive: Hashed},
	{Name: "v4", ForkCaba: Current, ThreadCaba: RealParent, HandOff: AtRelease, NewCaba: Forget, DeThread: Keep, NScaba: TID, Alive: Hashed},
	{Name: "fixed", ForkCaba: Current, ThreadCaba: LeaderCaba, HandOff: AtRelease, NewCaba: Forget, DeThread: LeaderCaba, NScaba: TGID, Alive: Hashed},
}

// Builtins returns this package's table of the named revisions.
func Builtins() []Revision { return append([]Revision(nil), builtins...) }

// Builtin returns the named revision of the table.
func Builtin(name string) (Revision, bool) {
	for _, r := range builtins {
		if r.Name == name {
			return r, true
		}
	}
	return Revision{}, false
}

// BuiltinNames lists the names of the table, in order.
func BuiltinNames() []string {
	var n []string
	for _, r := range builtins {
		n = append(n, r.Name)
	}
	return n
}
