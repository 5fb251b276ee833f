// Package reference is an independent, deliberately simple implementation of
// the task model of docs/model.md (the contract in /work/shared/docs), used as
// a differential-testing oracle. It favours literal transcription of model.md
// over speed. Choices where model.md is open are listed in AMBIGUITIES.md.
//
// A revision of the CABA patch is a Revision: one value per choice point,
// under the project's key and value names (revision.go), every combination
// implemented. NewModel takes a revision of the built-in table by name
// (seed, v3, v4, fixed), NewModelRev any Revision. The optional action sets
// of docs/model.md are switches: sessions and execve (model.go), pidns (pid
// namespaces, pidns.go: ForkNewpid, the zap, NSpid and NScaba per reader
// namespace, its open questions in the file's comment). The package imports
// nothing of the project; spec/reference/differential compares it with
// spec/linux.
package reference

import (
	"fmt"
	"sort"
	"strings"
)

// MaxTasks is the largest task budget N supported (slots 1..MaxTasks).
const MaxTasks = 8

// Status is st[i].
type Status int8

// Task statuses, in model.md order.
const (
	Unborn Status = iota
	Running
	Exiting
	Zombie
	Dead
	Released
)

func (s Status) String() string {
	return [...]string{"Unborn", "Running", "Exiting", "Zombie", "Dead", "Released"}[s]
}

// None is the "none" value of cabdOf (0 is a real value there: init_task).
// exec uses 0 for none (task 0 never runs an exec).
const None int8 = -1

// State is one model state. Index 0 of every array is unused (task 0 is
// init_task, which is not a slot); it is kept at a fixed value so that State
// can be used directly as a map key. Per-group fields are indexed by the
// group's founding slot.
type State struct {
	St     [MaxTasks + 1]Status
	Tg     [MaxTasks + 1]int8
	Parent [MaxTasks + 1]int8
	Caba   [MaxTasks + 1]int8
	CabdOf [MaxTasks + 1]int8 // None or a slot (0 = init_task)
	Born   [MaxTasks + 1]int8

	Leader [MaxTasks + 1]int8
	Sub    [MaxTasks + 1]bool
	HasSub [MaxTasks + 1]bool
	Ign    [MaxTasks + 1]bool
	Exec   [MaxTasks + 1]int8 // 0 = none

	// Sessions and process groups (model.md "Optional: sessions and
	// process groups"), per group: kept whatever the action sets (sid and
	// pgid are 1 for every group with a hashed task when sessions is off;
	// execd is false everywhere when neither sessions nor execve is on).
	Sid   [MaxTasks + 1]int8 // session id (a group name)
	Pgid  [MaxTasks + 1]int8 // process group id (a group name)
	Execd [MaxTasks + 1]bool // the process completed an execve (PF_FORKNOEXEC clear)

	// Pid namespaces (docs/model.md "Optional: pid namespaces"; pidns.go).
	// A namespace is named by the founding slot of its init's group; the
	// root is 1. Pidns is per task (kept, rewritten, by a Released task);
	// ChildReaper and Zap are per group, non-zero only for a group that
	// founded a namespace (ChildReaper[1] = 1 whatever the action sets).
	Pidns       [MaxTasks + 1]int8 // task_active_pid_ns: 0 for an unborn slot
	ChildReaper [MaxTasks + 1]int8 // pid_ns->child_reaper (a thread of the group)
	Zap         [MaxTasks + 1]int8 // the thread running zap_pid_ns_processes, 0 before

	Corrupt bool // a use-after-free was detected (part of state identity)
}

// Model fixes the parameters of one exploration.
type Model struct {
	N        int      // task budget, init included (slots 1..N)
	Revision Revision // the CABA overlay (revision.go)

	Threads       bool // Clone
	CloneParent   bool // ForkParent
	ExecOn        bool // ExecBegin + ExecSwap
	Subreaper     bool // SetSubreaper
	IgnoreSigchld bool // IgnoreSigchld
	Sessions      bool // Setsid, Setpgid
	Execve        bool // Execve (a single-threaded exec)
	Pidns         bool // ForkNewpid, ZapBegin, ZapReap (pid namespaces)
}

// Action switch names.
const (
	ActThreads       = "threads"
	ActCloneParent   = "clone-parent"
	ActExec          = "exec"
	ActSubreaper     = "subreaper"
	ActIgnoreSigchld = "ignore-sigchld"
	ActSessions      = "sessions"
	ActExecve        = "execve"
	ActPidns         = "pidns"
)

// DefaultActions is every optional action but ignore-sigchld.
var DefaultActions = []string{ActThreads, ActCloneParent, ActExec, ActSubreaper}

// AllActions is every optional action of model.md's base model: sessions and
// execve (and pidns) are not part of it (as in the project's "all").
var AllActions = []string{ActThreads, ActCloneParent, ActExec, ActSubreaper, ActIgnoreSigchld}

// NewModel builds a model for a revision of the built-in table (seed, v3,
// v4, fixed); it panics on a bad parameter.
func NewModel(tasks int, revision string, actions []string) *Model {
	rev, ok := Builtin(revision)
	if !ok {
		panic(fmt.Sprintf("reference: unknown revision %q (built in: %s)", revision, strings.Join(BuiltinNames(), ", ")))
	}
	return NewModelRev(tasks, rev, actions)
}

// NewModelRev builds a model for a revision given by its choices; it panics
// on a bad parameter.
func NewModelRev(tasks int, rev Revision, actions []string) *Model {
	if tasks < 1 || tasks > MaxTasks {
		panic(fmt.Sprintf("reference: tasks %d out of range 1..%d", tasks, MaxTasks))
	}
	if err := rev.Validate(); err != nil {
		panic(err.Error())
	}
	m := &Model{N: tasks, Revision: rev}
	for _, a := range actions {
		switch a {
		case ActThreads:
			m.Threads = true
		case ActCloneParent:
			m.CloneParent = true
		case ActExec:
			m.ExecOn = true
		case ActSubreaper:
			m.Subreaper = true
		case ActIgnoreSigchld:
			m.IgnoreSigchld = true
		case ActSessions:
			m.Sessions = true
		case ActExecve:
			m.Execve = true
		case ActPidns:
			m.Pidns = true
		default:
			panic("reference: unknown action switch " + a)
		}
	}
	return m
}

// Initial returns the initial state: init (slot 1) Running, every other slot Unborn.
func (m *Model) Initial() State {
	var s State
	for i := range s.CabdOf {
		s.CabdOf[i] = None
	}
	s.St[1] = Running
	s.Tg[1] = 1
	s.Parent[1] = 0
	s.Caba[1] = 0
	s.CabdOf[1] = 0 // linked on init_task's list
	s.Born[1] = 0
	s.Leader[1] = 1
	s.Sid[1] = 1
	s.Pgid[1] = 1
	s.Pidns[1] = 1
	s.ChildReaper[1] = 1
	return Canon(s)
}

// ---------------------------------------------------------------------------
// Derived predicates (model.md "Derived").

func hashed(s *State, i int) bool {
	switch s.St[i] {
	case Running, Exiting, Zombie, Dead:
		return true
	}
	return false
}

// inGroup: slot i is a (born) task of group g. Released non-founders have tg
// normalised to 0 and so belong to no group.
func inGroup(s *State, i, g int) bool {
	return s.St[i] != Unborn && int(s.Tg[i]) == g
}

// findAlive is findAlive(g, except): the lowest Running thread of g other
// than except (except = 0 for no exception), or 0 if none.
func (m *Model) findAlive(s *State, g, except int) int {
	for i := 1; i <= m.N; i++ {
		if i != except && inGroup(s, i, g) && s.St[i] == Running {
			return i
		}
	}
	return 0
}

// children(t): hashed leaders c with parent[c] == t.
func (m *Model) children(s *State, t int) []int {
	var cs []int
	for c := 1; c <= m.N; c++ {
		if hashed(s, c) && isLeader(s, c) && int(s.Parent[c]) == t {
			cs = append(cs, c)
		}
	}
	return cs
}

func isLeader(s *State, i int) bool {
	return s.St[i] != Unborn && int(s.Leader[s.Tg[i]]) == i && s.Tg[i] != 0
}

// groupEmpty(g): leader[g] is the only hashed task of g.
func (m *Model) groupEmpty(s *State, g int) bool {
	for i := 1; i <= m.N; i++ {
		if inGroup(s, i, g) && hashed(s, i) && i != int(s.Leader[g]) {
			return false
		}
	}
	return true
}

// hashedThreads(g): the hashed threads of g (the kernel's for_each_thread).
func (m *Model) hashedThreads(s *State, g int) []int {
	var ts []int
	for i := 1; i <= m.N; i++ {
		if inGroup(s, i, g) && hashed(s, i) {
			ts = append(ts, i)
		}
	}
	return ts
}

func (m *Model) freeSlot(s *State) int {
	for i := 1; i <= m.N; i++ {
		if s.St[i] == Unborn {
			return i
		}
	}
	return 0
}

// released reports whether x names a freed task (0 = init_task never is).
func released(s *State, x int) bool {
	return x >= 1 && s.St[x] == Released
}

// ---------------------------------------------------------------------------
// Canonical form (model.md "Canonical form").

// Canon returns the canonical representative of s.
func Canon(s State) State {
	// A Released task's namespace: the deepest alive one on its chain,
	// computed on the state before any field is normalised (pidns.go).
	var ns [MaxTasks + 1]int8
	for i := 1; i <= MaxTasks; i++ {
		ns[i] = s.Pidns[i]
		if s.St[i] == Released {
			ns[i] = int8(deepestAlive(&s, int(s.Pidns[i])))
		}
	}
	s.Pidns = ns
	for i := 1; i <= MaxTasks; i++ {
		if s.St[i] != Released {
			continue
		}
		founder := int(s.Tg[i]) == i
		s.Parent[i] = 0
		s.Caba[i] = 0
		s.CabdOf[i] = None
		if !founder {
			s.Tg[i] = 0
			s.Born[i] = 0
		}
	}
	for g := 1; g <= MaxTasks; g++ {
		if s.St[g] == Unborn || int(s.Tg[g]) != g {
			continue // not a group
		}
		allReleased := true
		for i := 1; i <= MaxTasks; i++ {
			if inGroup(&s, i, g) && s.St[i] != Released {
				allReleased = false
			}
		}
		if allReleased {
			s.Leader[g] = 0
			s.Sub[g] = false
			s.HasSub[g] = false
			s.Ign[g] = false
			s.Exec[g] = 0
			s.Sid[g] = 0
			s.Pgid[g] = 0
			s.Execd[g] = false
			s.ChildReaper[g] = 0
			s.Zap[g] = 0
		}
	}
	return s
}

// ---------------------------------------------------------------------------
// Actions.

// Kind names an action of model.md.
type Kind int8

// Action kinds.
const (
	KFork Kind = iota
	KForkParent
	KClone
	KSetSubreaper
	KIgnoreSigchld
	KExitBegin
	KExitNotify
	KReap
	KRelease
	KExecBegin
	KExecSwap
	KSetsid
	KSetpgid
	KExecve
	KForkNewpid
	KZapBegin
	KZapReap
)

var kindNames = [...]string{"Fork", "ForkParent", "Clone", "SetSubreaper", "IgnoreSigchld",
	"ExitBegin", "ExitNotify", "Reap", "Release", "ExecBegin", "ExecSwap",
	"Setsid", "Setpgid", "Execve", "ForkNewpid", "ZapBegin", "ZapReap"}

// Action is one action instance: Kind(T), Reap(T, Arg), ZapReap(T, Arg), SetSubreaper(T, Arg
// == 1 for on) or Setpgid(T, Arg = the target group c, Arg2 = the pgid p).
type Action struct {
	Kind Kind
	T    int8
	Arg  int8
	Arg2 int8
}

// Label renders the action as in examples.md, e.g. "Reap(1,2)", "SetSubreaper(2,on)".
func (a Action) Label() string {
	switch a.Kind {
	case KReap, KZapReap:
		return fmt.Sprintf("%s(%d,%d)", kindNames[a.Kind], a.T, a.Arg)
	case KSetSubreaper:
		return fmt.Sprintf("%s(%d,%s)", kindNames[a.Kind], a.T, onOff(a.Arg == 1))
	case KSetpgid:
		return fmt.Sprintf("%s(%d,%d,%d)", kindNames[a.Kind], a.T, a.Arg, a.Arg2)
	}
	return fmt.Sprintf("%s(%d)", kindNames[a.Kind], a.T)
}

// Transition is one enabled action instance and its (canonical) successor.
type Transition struct {
	Act  Action
	Next State
}

// Successors lists every enabled action instance of s with its successor, in
// a fixed order. A corrupt state has none.
func (m *Model) Successors(s State) []Transition {
	if s.Corrupt {
		return nil
	}
	out := make([]Transition, 0, 2*m.N)
	add := func(k Kind, t, arg int, n State) {
		out = append(out, Transition{Action{k, int8(t), int8(arg), 0}, Canon(n)})
	}
	for t := 1; t <= m.N; t++ {
		if s.St[t] == Unborn || s.St[t] == Released {
			continue
		}
		g := int(s.Tg[t])
		// default guard: Running, no exec under way in the group, and
		// not killed by a zap (pidns.go; never with pidns off)
		killed := m.killed(&s, t)
		normal := s.St[t] == Running && s.Exec[g] == 0 && !killed

		if normal && m.freeSlot(&s) != 0 {
			add(KFork, t, 0, m.fork(s, t))
		}
		// CLONE_PARENT is refused for a namespace init's group
		// (SIGNAL_UNKILLABLE; g == 1 is the root's)
		if m.CloneParent && normal && int(s.Pidns[g]) != g && m.freeSlot(&s) != 0 {
			add(KForkParent, t, 0, m.forkParent(s, t))
		}
		if m.Threads && normal && g != 1 && m.freeSlot(&s) != 0 {
			add(KClone, t, 0, m.clone(s, t))
		}
		if m.Subreaper && normal {
			for _, on := range []bool{true, false} {
				if s.Sub[g] != on {
					add(KSetSubreaper, t, b2i(on), m.setSubreaper(s, t, on))
				}
			}
		}
		if m.IgnoreSigchld && normal && !s.Ign[g] {
			n := s
			n.Ign[g] = true
			add(KIgnoreSigchld, t, 0, n)
		}
		// ExitBegin: Running, not init, not the thread running an exec
		// (threads killed by an exec may exit) unless it is killed by a
		// zap: then de_thread's killed: path clears the exec.
		if s.St[t] == Running && g != 1 && (int(s.Exec[g]) != t || killed) {
			n := s
			n.St[t] = Exiting
			if int(n.Exec[g]) == t {
				n.Exec[g] = 0
			}
			add(KExitBegin, t, 0, n)
		}
		if s.St[t] == Exiting && m.canExitNotify(&s, t) {
			add(KExitNotify, t, 0, m.exitNotify(s, t))
		}
		if m.Pidns && s.St[t] == Exiting {
			if m.canZapBegin(&s, t) {
				add(KZapBegin, t, 0, m.zapBegin(s, t))
			}
			for c := 1; c <= m.N; c++ {
				if m.canZapReap(&s, t, c) {
					n := s
					n.St[c] = Dead
					add(KZapReap, t, c, n)
				}
			}
		}
		if normal {
			for c := 1; c <= m.N; c++ {
				if m.canReap(&s, t, c) {
					n := s
					n.St[c] = Dead
					add(KReap, t, c, n)
				}
			}
		}
		if s.St[t] == Dead {
			add(KRelease, t, 0, m.release(s, t))
		}
		if m.ExecOn && normal && g != 1 {
			other := false
			for i := 1; i <= m.N; i++ {
				if i != t && inGroup(&s, i, g) && hashed(&s, i) {
					other = true
				}
			}
			if other {
				n := s
				n.Exec[g] = int8(t)
				add(KExecBegin, t, 0, n)
			}
		}
		if m.ExecOn && s.St[t] == Running && int(s.Exec[g]) == t && !killed && m.canExecSwap(&s, t) {
			add(KExecSwap, t, 0, m.execSwap(s, t))
		}
		// Setsid(t): EPERM when a pgrp named g exists (the caller leads,
		// or once led, a process group; a session leader leads its own).
		if m.Sessions && normal && !m.pgrpExists(&s, g) {
			n := s
			n.Sid[g] = int8(g)
			n.Pgid[g] = int8(g)
			add(KSetsid, t, 0, n)
		}
		if m.Sessions && normal {
			for c := 1; c <= m.N; c++ {
				for p := 1; p <= m.N; p++ {
					if m.canSetpgid(&s, t, c, p) {
						n := s
						n.Pgid[c] = int8(p)
						out = append(out, Transition{Action{KSetpgid, int8(t), int8(c), int8(p)}, Canon(n)})
					}
				}
			}
		}
		// Execve(t): a single-threaded exec (t is the only hashed task of
		// g, so it is the leader).
		if m.Execve && normal && g != 1 && !s.Execd[g] && len(m.hashedThreads(&s, g)) == 1 {
			n := s
			n.Execd[g] = true
			add(KExecve, t, 0, n)
		}
		if m.Pidns && normal && m.freeSlot(&s) != 0 && m.level(&s, int(s.Pidns[t]))+1 <= MaxPidNsLevel {
			add(KForkNewpid, t, 0, m.forkNewpid(s, t))
		}
	}
	return out
}

// pgrpExists: "a pgrp p exists" = some group with a hashed task has pgid p
// (the kernel's pid_task(pid, PIDTYPE_PGID): a process stays attached to its
// pgrp until its leader, its last task, is released).
func (m *Model) pgrpExists(s *State, p int) bool {
	return m.pgrpInSession(s, p, 0)
}

// pgrpInSession: some group h with a hashed task has pgid[h] == p and, when
// sid != 0, sid[h] == sid.
func (m *Model) pgrpInSession(s *State, p, sid int) bool {
	for i := 1; i <= m.N; i++ {
		if !hashed(s, i) {
			continue
		}
		h := s.Tg[i]
		if int(s.Pgid[h]) == p && (sid == 0 || int(s.Sid[h]) == sid) {
			return true
		}
	}
	return false
}

// canSetpgid: the Setpgid(t, c, p) guard beyond t's default guard (checked
// by the caller), in sys_setpgid's order.
func (m *Model) canSetpgid(s *State, t, c, p int) bool {
	g := int(s.Tg[t])
	if c != g {
		// ESRCH: c must be a group whose leader is hashed and whose
		// leader's real parent is a thread of g.
		if s.St[c] == Unborn || int(s.Tg[c]) != c {
			return false // not a group name
		}
		l := int(s.Leader[c])
		if l < 1 || !hashed(s, l) {
			return false
		}
		if par := int(s.Parent[l]); par < 1 || int(s.Tg[par]) != g {
			return false
		}
		if s.Sid[c] != s.Sid[g] { // EPERM: the child is in another session
			return false
		}
		if s.Execd[c] { // EACCES: the child has exec'd
			return false
		}
	}
	if int(s.Sid[c]) == c { // EPERM: c is a session leader
		return false
	}
	if p != c && !m.pgrpInSession(s, p, int(s.Sid[g])) { // EPERM: no pgrp p in the caller's session
		return false
	}
	// docs/model.md: sys_setpgid finds c and p in the caller's pid
	// namespace; an id with no pid there is ESRCH (c) or EPERM (p).
	if ns := int(s.Pidns[t]); !hasPidIn(s, c, ns) || (p != c && !hasPidIn(s, p, ns)) {
		return false
	}
	return int(s.Pgid[c]) != p // enabled only when it changes pgid[c]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// newProcess fills the fields common to Fork and ForkParent.
func (m *Model) newProcess(s *State, t, parent, hasSubFrom, caba int) {
	g := int(s.Tg[t])
	n := m.freeSlot(s)
	s.St[n] = Running
	s.Tg[n] = int8(n)
	s.Leader[n] = int8(n)
	s.Parent[n] = int8(parent)
	s.Born[n] = int8(g)
	s.HasSub[n] = s.HasSub[hasSubFrom] || s.Sub[hasSubFrom]
	s.Ign[n] = s.Ign[g]
	s.Sub[n] = false
	s.Exec[n] = 0
	s.Sid[n] = s.Sid[g] // the creator's (current's), also under CLONE_PARENT
	s.Pgid[n] = s.Pgid[g]
	s.Execd[n] = false
	s.Caba[n] = int8(caba)
	s.CabdOf[n] = int8(caba) // list_add_tail(&p->cabd, &p->caba->cabds)
	s.Pidns[n] = s.Pidns[t]  // the creator's namespace, also under CLONE_PARENT
	s.ChildReaper[n] = 0
	s.Zap[n] = 0
	if released(s, caba) {
		s.Corrupt = true // a list insertion into a freed list (not reachable)
	}
}

// Fork(t): plain fork. caba = t under both fork_caba values
// (real-parent: parent[n], which is t; current: t).
func (m *Model) fork(s State, t int) State {
	m.newProcess(&s, t, t, int(s.Tg[t]), t)
	return s
}

// ForkParent(t): CLONE_PARENT.
func (m *Model) forkParent(s State, t int) State {
	p := int(s.Parent[t])
	if p == 0 {
		panic("reference: ForkParent by a task whose parent is init_task")
	}
	caba := t // fork_caba = current
	if m.Revision.ForkCaba == RealParent {
		caba = p // parent[n], the creator's parent
	}
	m.newProcess(&s, t, p, int(s.Tg[p]), caba)
	return s
}

// Clone(t): CLONE_THREAD.
func (m *Model) clone(s State, t int) State {
	g := int(s.Tg[t])
	n := m.freeSlot(&s)
	p := int(s.Parent[t])
	s.St[n] = Running
	s.Tg[n] = int8(g)
	s.Parent[n] = int8(p)
	s.Born[n] = 0
	s.CabdOf[n] = None
	s.Pidns[n] = s.Pidns[t]
	switch m.Revision.ThreadCaba {
	case RealParent: // parent[n] = parent[t]
		s.Caba[n] = int8(p)
	case Current:
		s.Caba[n] = int8(t)
	case LeaderCaba: // current->group_leader->caba
		s.Caba[n] = s.Caba[s.Leader[g]]
	}
	return s
}

// SetSubreaper(t, on).
func (m *Model) setSubreaper(s State, t int, on bool) State {
	g := int(s.Tg[t])
	s.Sub[g] = on
	if on {
		m.propagateHasSub(&s, g)
	}
	return s
}

// propagateHasSub is walk_process_tree(propagate_has_child_subreaper) from g.
func (m *Model) propagateHasSub(s *State, g int) {
	for _, th := range m.hashedThreads(s, g) {
		for _, c := range m.children(s, th) {
			cg := int(s.Tg[c])
			if s.HasSub[cg] {
				continue // already has it: do not descend
			}
			s.HasSub[cg] = true
			m.propagateHasSub(s, cg)
		}
	}
}

// reaperFor is the reaper of t's children (find_new_reaper): the subreaper
// walk stays at t's namespace level, and the default is the namespace's
// child_reaper (1 in the root).
func (m *Model) reaperFor(s *State, t int) int {
	g := int(s.Tg[t])
	if a := m.findAlive(s, g, t); a != 0 {
		return a
	}
	nsT := int(s.Pidns[t])
	lv := m.level(s, nsT)
	if s.HasSub[g] {
		for r, steps := int(s.Parent[t]), 0; r != 0 && m.level(s, int(s.Pidns[r])) == lv; r, steps = int(s.Parent[r]), steps+1 {
			if !hashed(s, r) || steps > MaxTasks {
				panic("reference: subreaper walk through an unhashed parent or a cycle")
			}
			rg := int(s.Tg[r])
			if s.Sub[rg] {
				if a := m.findAlive(s, rg, 0); a != 0 {
					return a
				}
			}
		}
	}
	return int(s.ChildReaper[nsT])
}

// notified returns the status a notified Zombie leader gets: Dead when the
// group of the thread it notifies ignores SIGCHLD, else Zombie.
func notified(s *State, to int) Status {
	if s.Ign[s.Tg[to]] {
		return Dead
	}
	return Zombie
}

// ExitNotify(t) (its guard: canExitNotify).
func (m *Model) exitNotify(s State, t int) State {
	g := int(s.Tg[t])
	// find_child_reaper: a namespace's reaper hands the role to another
	// alive thread of its group (without one, the guard required the zap
	// to be over).
	if n := int(s.Pidns[t]); n != 1 && int(s.ChildReaper[n]) == t {
		if a := m.findAlive(&s, g, t); a != 0 {
			s.ChildReaper[n] = int8(a)
		}
	}
	kids := m.children(&s, t)
	reaper := m.reaperFor(&s, t)
	for _, c := range kids {
		cg := int(s.Tg[c])
		for _, th := range m.hashedThreads(&s, cg) {
			s.Parent[th] = int8(reaper)
		}
		if int(s.Tg[reaper]) != g && s.St[c] == Zombie && m.groupEmpty(&s, cg) {
			s.St[c] = notified(&s, reaper)
		}
		// a Dead child is reparented but not notified
	}
	if m.Revision.HandOff == AtExitNotify {
		m.handOff(&s, t)
	}
	switch {
	case int(s.Leader[g]) == t && m.groupEmpty(&s, g):
		s.St[t] = notified(&s, int(s.Parent[t]))
	case int(s.Leader[g]) == t:
		s.St[t] = Zombie // delayed group leader
	default:
		s.St[t] = Dead // non-leader: autoreap
	}
	return s
}

// cabds(x): the leaders whose cabd link is on x's list.
func (m *Model) cabds(s *State, x int) []int {
	var ps []int
	for p := 1; p <= m.N; p++ {
		if s.St[p] != Unborn && s.St[p] != Released && int(s.CabdOf[p]) == x {
			ps = append(ps, p)
		}
	}
	return ps
}

// moveCabds is the common "effect" row: every thread of tg[p] gets caba =
// nw, and cabdOf[p] = nw, for each p on x's list.
func (m *Model) moveCabds(s *State, ps []int, nw int) {
	for _, p := range ps {
		for _, th := range m.hashedThreads(s, int(s.Tg[p])) {
			s.Caba[th] = int8(nw)
		}
		s.CabdOf[p] = int8(nw)
	}
}

// handOff hands x's cabds on (hand_off decides the step that calls it,
// new_caba the task they go to). Done only when x's cabds list is
// non-empty, as in both patches (seed: list_empty(&father->cabds); v3:
// forget_caba's early return).
func (m *Model) handOff(s *State, x int) {
	ps := m.cabds(s, x)
	if len(ps) == 0 {
		return
	}
	var nw int
	switch m.Revision.NewCaba {
	case AliveThenChain:
		var ok bool
		if nw, ok = m.findNewCaba(s, x); !ok {
			// a walk through a freed caba: the result is undefined, so
			// the hand-off is abandoned (the rest of the step happens).
			s.Corrupt = true
			return
		}
	case Forget:
		g := int(s.Tg[x])
		if int(s.Leader[g]) == x {
			nw = int(s.Caba[x])
		} else {
			nw = int(s.Leader[g])
		}
	}
	if released(s, nw) {
		// splice onto a freed list; the pointer rewrites of the cabds are
		// still made (they write live tasks, before the splice).
		s.Corrupt = true
	}
	m.moveCabds(s, ps, nw)
}

// findNewCaba is the seed's find_new_caba(x, find_alive_thread(x)): another
// alive thread of x's group, else the walk c = caba[x], caba[c], ...: 0
// stops with 0; a Released c is a use-after-free (ok = false); caba[c] == c
// stops with c (WARN_ON_ONCE); the first c whose group has an alive thread
// gives that thread.
func (m *Model) findNewCaba(s *State, x int) (nw int, ok bool) {
	if a := m.findAlive(s, int(s.Tg[x]), x); a != 0 {
		return a, true
	}
	c := int(s.Caba[x])
	for steps := 0; ; steps++ {
		if c == 0 {
			return 0, true
		}
		if released(s, c) {
			return 0, false
		}
		if int(s.Caba[c]) == c {
			return c, true
		}
		if a := m.findAlive(s, int(s.Tg[c]), 0); a != 0 {
			return a, true
		}
		if steps > MaxTasks {
			panic("reference: cycle in the caba walk")
		}
		c = int(s.Caba[c])
	}
}

// canReap: Reap(w, c) guard (w's default guard is checked by the caller).
func (m *Model) canReap(s *State, w, c int) bool {
	if s.St[c] != Zombie || !isLeader(s, c) {
		return false
	}
	cg := int(s.Tg[c])
	if !m.groupEmpty(s, cg) {
		return false
	}
	p := int(s.Parent[c])
	return p != 0 && hashed(s, p) && s.Tg[p] == s.Tg[w]
}

// Release(x).
func (m *Model) release(s State, x int) State {
	g := int(s.Tg[x])
	wasLeader := int(s.Leader[g]) == x
	if m.Revision.HandOff == AtRelease {
		m.handOff(&s, x) // first thing in __unhash_process (v3: forget_caba)
	}
	if wasLeader {
		if released(&s, int(s.CabdOf[x])) {
			s.Corrupt = true // list_del from a freed list (not reachable)
		}
		s.CabdOf[x] = None
	}
	s.St[x] = Released
	if !wasLeader {
		l := int(s.Leader[g])
		if s.St[l] == Zombie && m.groupEmpty(&s, g) {
			s.St[l] = notified(&s, int(s.Parent[l]))
		}
	}
	if s.Exec[g] != 0 && s.Exec[g] == s.Leader[g] {
		only := true
		for i := 1; i <= m.N; i++ {
			if inGroup(&s, i, g) && hashed(&s, i) && i != int(s.Leader[g]) {
				only = false
			}
		}
		if only {
			s.Exec[g] = 0   // de_thread returns: the exec is complete
			if m.Sessions { // begin_new_exec clears PF_FORKNOEXEC (docs/model.md)
				s.Execd[g] = true
			}
		}
	}
	return s
}

// canExecSwap: ExecSwap(t) guard beyond exec[g] == t and Running.
func (m *Model) canExecSwap(s *State, t int) bool {
	g := int(s.Tg[t])
	l := int(s.Leader[g])
	if l == t || s.St[l] != Zombie {
		return false
	}
	for i := 1; i <= m.N; i++ {
		if i != t && i != l && inGroup(s, i, g) && s.St[i] != Released {
			return false
		}
	}
	return true
}

// ExecSwap(t): de_thread's leader swap.
func (m *Model) execSwap(s State, t int) State {
	g := int(s.Tg[t])
	l := int(s.Leader[g])
	s.Leader[g] = int8(t)
	if released(&s, int(s.CabdOf[l])) {
		s.Corrupt = true // list_replace_init in a freed list (not reachable)
	}
	s.CabdOf[t] = s.CabdOf[l]
	s.CabdOf[l] = None
	if m.Revision.DeThread == LeaderCaba {
		s.Caba[t] = s.Caba[l] // fixed: tsk->caba = leader->caba
	}
	s.St[l] = Dead
	if m.Sessions {
		// docs/model.md: execd is the leader's PF_FORKNOEXEC cleared; the
		// new leader came from clone(), so its flag is set until the exec
		// completes.
		s.Execd[g] = false
	}
	return s
}

// ---------------------------------------------------------------------------
// Applying labelled steps (for tests and traces).

// Step applies the action with the given label (e.g. "Fork(1)", "Reap(1,2)",
// "SetSubreaper(2,on)") to s; an error if it is not enabled.
func (m *Model) Step(s State, label string) (State, error) {
	label = strings.ReplaceAll(label, " ", "")
	var labels []string
	for _, tr := range m.Successors(s) {
		if tr.Act.Label() == label {
			return tr.Next, nil
		}
		labels = append(labels, tr.Act.Label())
	}
	sort.Strings(labels)
	return s, fmt.Errorf("action %s not enabled; enabled: %s", label, strings.Join(labels, " "))
}

// Run applies a sequence of labelled steps from the initial state.
func (m *Model) Run(labels ...string) (State, error) {
	s := m.Initial()
	for i, l := range labels {
		var err error
		s, err = m.Step(s, l)
		if err != nil {
			return s, fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	return s, nil
}

// Format renders the born part of a state, one slot per line.
func (m *Model) Format(s State) string {
	var b strings.Builder
	for i := 1; i <= m.N; i++ {
		if s.St[i] == Unborn {
			continue
		}
		cabd := "none"
		if s.CabdOf[i] != None {
			cabd = fmt.Sprint(s.CabdOf[i])
		}
		fmt.Fprintf(&b, "%d: %-8s tg=%d parent=%d caba=%d cabdOf=%s born=%d", i, s.St[i], s.Tg[i], s.Parent[i], s.Caba[i], cabd, s.Born[i])
		if s.St[i] != Released && int(s.Tg[i]) == i || s.Leader[i] != 0 {
			fmt.Fprintf(&b, " | leader=%d sub=%v hasSub=%v ign=%v exec=%d", s.Leader[i], s.Sub[i], s.HasSub[i], s.Ign[i], s.Exec[i])
			if m.Sessions || m.Execve {
				fmt.Fprintf(&b, " sid=%d pgid=%d execd=%v", s.Sid[i], s.Pgid[i], s.Execd[i])
			}
			if m.Pidns && (s.ChildReaper[i] != 0 || s.Zap[i] != 0) {
				fmt.Fprintf(&b, " child_reaper=%d zap=%d", s.ChildReaper[i], s.Zap[i])
			}
		}
		if m.Pidns {
			fmt.Fprintf(&b, " | pidns=%d", s.Pidns[i])
		}
		b.WriteByte('\n')
	}
	if s.Corrupt {
		b.WriteString("CORRUPT\n")
	}
	return b.String()
}
