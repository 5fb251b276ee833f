package linux

import (
	"fmt"
	"slices"
	"strings"
)

// A revision of the CABA patch is a set of choices, one per point where the
// posted revisions differ. Every behaviour the model (and spec/reference)
// knows is one value of one choice type below; a revision picks one of each.
// The built-in revisions are registered by the rev*_NAME.go files of this
// package, one file each; a new one is one more such file (docs/architecture.md).

// ForkCaba is the caba of a process created by fork or clone(CLONE_PARENT).
type ForkCaba uint8

const (
	ForkCabaRealParent ForkCaba = iota // the new real_parent (for CLONE_PARENT: the creator's parent) (v1/v2)
	ForkCabaCurrent                    // current, the creating thread (v3 on)
)

// ThreadCaba is the caba of a thread created by clone(CLONE_THREAD).
type ThreadCaba uint8

const (
	ThreadCabaRealParent ThreadCaba = iota // the creator's real_parent (v1/v2, v4)
	ThreadCabaCurrent                      // current, the creating thread (v3)
	ThreadCabaLeaderCaba                   // the group leader's caba (fixed)
)

// HandOff is when a task's CABDs are handed to a new caba.
type HandOff uint8

const (
	HandOffAtExitNotify HandOff = iota // in exit_notify, when the task is past its last signal (v1/v2)
	HandOffAtRelease                   // in release_task, when the task_struct is unhashed (v3 on)
)

// NewCaba is the rule that picks the task the CABDs are handed to.
type NewCaba uint8

const (
	// NewCabaAliveThenChain: another alive thread of the group, else the first
	// task on the caba chain whose group has an alive thread, else init_task
	// (v1/v2's find_new_caba; walking through a freed task is a use-after-free).
	NewCabaAliveThenChain NewCaba = iota
	// NewCabaForget: a leader hands to its own caba, a thread to its group
	// leader (v3's forget_caba; splicing onto a freed task is a use-after-free).
	NewCabaForget
)

// DeThreadCaba is what de_thread does to the caba of the thread that becomes leader.
type DeThreadCaba uint8

const (
	DeThreadKeepCaba   DeThreadCaba = iota // the new leader keeps its own caba (posted revisions)
	DeThreadLeaderCaba                     // the new leader takes the old leader's caba (fixed)
)

// NScabaPrint is what /proc/PID/status prints on its NScaba line.
type NScabaPrint uint8

const (
	NScabaTID  NScabaPrint = iota // the caba task's pid (a TID when the caba is a thread)
	NScabaTGID                    // the caba's process (TGID), as PPid does (fixed)
)

// AliveReading is the reading of "closest alive born ancestor" a revision
// was written for; it names the CabaClosest invariant that is its intent.
type AliveReading uint8

const (
	AliveNotified AliveReading = iota // alive until its last thread ran exit_notify (v1/v2)
	AliveHashed                       // alive until its last task is unhashed by release_task (v3 on)
)

// choiceNames gives every choice value its name, for help texts, revision
// files and `revision show`. The index is the value.
var choiceNames = struct {
	fork, thread, handOff, newCaba, deThread, nscaba, alive []string
}{
	fork:     []string{"real-parent", "current"},
	thread:   []string{"real-parent", "current", "leader-caba"},
	handOff:  []string{"exit-notify", "release"},
	newCaba:  []string{"alive-then-chain", "forget"},
	deThread: []string{"keep", "leader-caba"},
	nscaba:   []string{"tid", "tgid"},
	alive:    []string{"notified", "hashed"},
}

func (c ForkCaba) String() string     { return nameOf(choiceNames.fork, uint8(c)) }
func (c ThreadCaba) String() string   { return nameOf(choiceNames.thread, uint8(c)) }
func (c HandOff) String() string      { return nameOf(choiceNames.handOff, uint8(c)) }
func (c NewCaba) String() string      { return nameOf(choiceNames.newCaba, uint8(c)) }
func (c DeThreadCaba) String() string { return nameOf(choiceNames.deThread, uint8(c)) }
func (c NScabaPrint) String() string  { return nameOf(choiceNames.nscaba, uint8(c)) }
func (c AliveReading) String() string { return nameOf(choiceNames.alive, uint8(c)) }

func nameOf(names []string, v uint8) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("invalid(%d)", v)
}

// Choice describes one choice point of a revision: its key, what it decides,
// the names of its values and the value a definition holds.
type Choice struct {
	Key    string // the key in revision files: fork_caba, thread_caba, ...
	Doc    string
	Values []string
	get    func(*RevisionDef) uint8
	set    func(*RevisionDef, uint8)
}

// Value returns the name of d's value for the choice.
func (c Choice) Value(d *RevisionDef) string { return nameOf(c.Values, c.get(d)) }

// Set sets d's value for the choice by name.
func (c Choice) Set(d *RevisionDef, name string) error {
	for i, v := range c.Values {
		if v == name {
			c.set(d, uint8(i))
			return nil
		}
	}
	return fmt.Errorf("%s: unknown value %q (want one of %s)", c.Key, name, strings.Join(c.Values, ", "))
}

// Choices lists the choice points, in the order a revision is described.
func Choices() []Choice {
	return []Choice{
		{"fork_caba", "caba of a process made by fork or CLONE_PARENT", choiceNames.fork,
			func(d *RevisionDef) uint8 { return uint8(d.Fork) }, func(d *RevisionDef, v uint8) { d.Fork = ForkCaba(v) }},
		{"thread_caba", "caba of a thread made by CLONE_THREAD", choiceNames.thread,
			func(d *RevisionDef) uint8 { return uint8(d.Thread) }, func(d *RevisionDef, v uint8) { d.Thread = ThreadCaba(v) }},
		{"hand_off", "when an exiting task's CABDs are handed on", choiceNames.handOff,
			func(d *RevisionDef) uint8 { return uint8(d.HandOff) }, func(d *RevisionDef, v uint8) { d.HandOff = HandOff(v) }},
		{"new_caba", "who the CABDs are handed to", choiceNames.newCaba,
			func(d *RevisionDef) uint8 { return uint8(d.NewCaba) }, func(d *RevisionDef, v uint8) { d.NewCaba = NewCaba(v) }},
		{"de_thread", "the caba of the thread that becomes leader in de_thread", choiceNames.deThread,
			func(d *RevisionDef) uint8 { return uint8(d.DeThread) }, func(d *RevisionDef, v uint8) { d.DeThread = DeThreadCaba(v) }},
		{"nscaba", "what /proc/PID/status prints as NScaba", choiceNames.nscaba,
			func(d *RevisionDef) uint8 { return uint8(d.NScaba) }, func(d *RevisionDef, v uint8) { d.NScaba = NScabaPrint(v) }},
		{"alive", "the reading of \"alive\" the revision was written for", choiceNames.alive,
			func(d *RevisionDef) uint8 { return uint8(d.Alive) }, func(d *RevisionDef, v uint8) { d.Alive = AliveReading(v) }},
	}
}

// RevisionDef is everything a revision is.
type RevisionDef struct {
	Name        string // as on the command line: seed, v3, ...
	Description string // one line
	Fork        ForkCaba
	Thread      ThreadCaba
	HandOff     HandOff
	NewCaba     NewCaba
	DeThread    DeThreadCaba
	NScaba      NScabaPrint
	Alive       AliveReading
	// Patch is the kernel patch's file name under kernel/patches ("" when
	// the revision has none: it cannot be built or run under qemu).
	Patch string
}

// Validate checks the name and that every choice holds a known value.
func (d *RevisionDef) Validate() error {
	if d.Name == "" || strings.ContainsAny(d.Name, ", \t\n") || d.Name == "all" {
		return fmt.Errorf("revision name %q: want a non-empty word other than \"all\"", d.Name)
	}
	for _, c := range Choices() {
		if int(c.get(d)) >= len(c.Values) {
			return fmt.Errorf("revision %s: %s has no value %d", d.Name, c.Key, c.get(d))
		}
	}
	return nil
}

// Revision is a handle on a registered revision.
type Revision uint8

// registry holds the registered revisions in registration order. It is
// written only by Register, from package initialisation.
var registry []RevisionDef

// Register adds a revision and returns its handle. It is meant for package
// initialisation (var X = linux.Register(...)) and panics on a bad or
// duplicate definition, which is a programming error.
func Register(d RevisionDef) Revision {
	if err := d.Validate(); err != nil {
		panic("linux.Register: " + err.Error())
	}
	for _, r := range registry {
		if r.Name == d.Name {
			panic("linux.Register: revision " + d.Name + " registered twice")
		}
	}
	if len(registry) >= 255 {
		panic("linux.Register: too many revisions")
	}
	registry = append(registry, d)
	return Revision(len(registry) - 1)
}

// Def returns the revision's definition.
func (r Revision) Def() *RevisionDef {
	if int(r) >= len(registry) {
		return nil
	}
	return &registry[r]
}

func (r Revision) String() string {
	if d := r.Def(); d != nil {
		return d.Name
	}
	return fmt.Sprintf("Revision(%d)", uint8(r))
}

// Valid reports whether r names a registered revision.
func (r Revision) Valid() bool { return int(r) < len(registry) }

// Revisions returns every registered revision, in registration order.
func Revisions() []Revision {
	out := make([]Revision, len(registry))
	for i := range out {
		out[i] = Revision(i)
	}
	return out
}

// RevisionNames lists the registered names, comma-separated.
func RevisionNames() string {
	var n []string
	for _, d := range registry {
		n = append(n, d.Name)
	}
	return strings.Join(n, ", ")
}

// ParseRevision parses a revision name.
func ParseRevision(s string) (Revision, error) {
	for i, d := range registry {
		if s == d.Name {
			return Revision(i), nil
		}
	}
	return 0, fmt.Errorf("unknown revision %q (want one of %s)", s, RevisionNames())
}

// ParseRevisions parses a comma-separated list of revisions, "all" for
// every one; duplicates are dropped, order is kept.
func ParseRevisions(list string) ([]Revision, error) {
	if strings.TrimSpace(list) == "all" {
		return Revisions(), nil
	}
	var revs []Revision
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		r, err := ParseRevision(f)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(revs, r) {
			revs = append(revs, r)
		}
	}
	if len(revs) == 0 {
		return nil, fmt.Errorf("no revision given")
	}
	return revs, nil
}
