package linux

import (
	"fmt"

	"cabacheck/spec"
	"cabacheck/state"
)

// Model is an instance of the Linux task model for one set of Options.
type Model struct {
	opt   Options
	rev   RevisionDef                 // the revision's choices, copied out of the registry
	kinds [state.Released + 1][]uint8 // per actor status, the kinds the generator tries (kindsFor)
}

// New returns the model for opt.
func New(opt Options) (*Model, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	return &Model{opt: opt, rev: *opt.Revision.Def(), kinds: kindsFor(opt.Actions)}, nil
}

// MustNew is New for options known to be valid (tests).
func MustNew(opt Options) *Model {
	m, err := New(opt)
	if err != nil {
		panic(err)
	}
	return m
}

var _ spec.Model = (*Model)(nil)

// Options returns the model's options.
func (m *Model) Options() Options { return m.opt }

// Name identifies the model instance, and with it the layout of its
// encoded states (bytes per task): a store written with another layout is
// refused on resume rather than misread.
func (m *Model) Name() string {
	return fmt.Sprintf("linux/tasks=%d/revision=%s/actions=%s/bytes-per-task=%d", m.opt.Tasks, m.opt.Revision, m.opt.Actions, state.BytesPerTask)
}

// StateSize returns the encoded state size.
func (m *Model) StateSize() int { return state.Size(m.opt.Tasks) }

// Initial returns the decoded initial state.
func (m *Model) Initial() state.State { return state.Initial(m.opt.Tasks) }

// InitialStates returns the single initial state: init running alone.
func (m *Model) InitialStates() [][]byte {
	s := m.Initial()
	b := make([]byte, m.StateSize())
	s.Encode(b)
	return [][]byte{b}
}

// FormatAction renders an action.
func (m *Model) FormatAction(a spec.Action) string { return FormatAction(a) }

// ParseAction parses an action.
func (m *Model) ParseAction(s string) (spec.Action, error) { return ParseAction(s) }

// Apply computes the successor of an encoded state.
func (m *Model) Apply(b []byte, a spec.Action, out []byte) bool {
	var src, dst state.State
	src.Decode(b, m.opt.Tasks)
	if !m.Step(&src, a, &dst) {
		return false
	}
	dst.Encode(out)
	return true
}

// Step applies action a to src, writing the canonical successor to dst, and
// reports whether a is enabled in src. A corrupt state enables nothing.
func (m *Model) Step(src *state.State, a spec.Action, dst *state.State) bool {
	if src.Corrupt {
		return false
	}
	t, b := a.A(), a.B()
	if t == 0 || t > src.N {
		return false
	}
	k := a.Kind()
	if k == 0 || k >= numKinds {
		return false
	}
	def := &actionDefs[k]
	if def.set != 0 && m.opt.Actions&def.set == 0 {
		return false
	}
	ok := def.step(m, src, t, b, dst)
	if ok {
		dst.Canonicalize()
	}
	return ok
}

// acting reports the common guard: t runs, no exec is under way in its
// group, and t has no SIGKILL pending from a pid namespace zap (a killed
// task may only exit).
func acting(s *state.State, t uint8) bool {
	return s.St[t] == state.Running && s.Exec[s.Tg[t]] == state.None && !s.Killed(t)
}

// fork is Fork(t) and, with viaParent, ForkParent(t) (CLONE_PARENT): the
// child takes the lowest free slot, as pid allocation does.
func (m *Model) fork(s *state.State, t uint8, d *state.State, viaParent bool) bool {
	return m.forkAt(s, t, s.NextFree(), d, viaParent)
}

// forkAt is fork with the child's slot n chosen by the caller
// (clone3(set_tid), as a restorer forces pids); n must be unborn.
func (m *Model) forkAt(s *state.State, t, n uint8, d *state.State, viaParent bool) bool {
	g := s.Tg[t]
	// CLONE_PARENT from init or a namespace init (SIGNAL_UNKILLABLE): EINVAL.
	if !acting(s, t) || (viaParent && s.Pidns[g] == g) {
		return false
	}
	if n == state.None || n == 0 || n > s.N || s.St[n] != state.Unborn {
		return false
	}
	*d = *s
	parent := t
	if viaParent {
		parent = s.Parent[t]
	}
	pg := s.Tg[parent]
	d.St[n] = state.Running
	d.Tg[n] = n
	d.Leader[n] = n
	d.Parent[n] = parent
	d.Born[n] = g
	d.HasSub[n] = s.HasSub[pg] || s.Sub[pg]
	d.Ign[n] = s.Ign[g]
	d.Sub[n] = false
	d.Exec[n] = state.None
	// copy_process attaches task_session(current) and task_pgrp(current):
	// the creator's group, also under CLONE_PARENT. Kept with the sessions
	// sets off too (then every id is 1).
	d.Sid[n] = s.Sid[g]
	d.Pgid[n] = s.Pgid[g]
	d.Execd[n] = false
	d.Pidns[n] = s.Pidns[t] // the creator's namespace, also under CLONE_PARENT
	switch m.rev.Fork {
	case ForkCabaRealParent:
		d.Caba[n] = parent
	case ForkCabaCurrent:
		d.Caba[n] = t
	}
	d.CabdOf[n] = d.Caba[n]
	return true
}

// clone is Clone(t): a new thread in t's group, in the lowest free slot.
func (m *Model) clone(s *state.State, t uint8, d *state.State) bool {
	return m.cloneAt(s, t, s.NextFree(), d)
}

// cloneAt is clone with the thread's slot n chosen by the caller.
func (m *Model) cloneAt(s *state.State, t, n uint8, d *state.State) bool {
	g := s.Tg[t]
	if !acting(s, t) || g == 1 {
		return false
	}
	if n == state.None || n == 0 || n > s.N || s.St[n] != state.Unborn {
		return false
	}
	*d = *s
	d.St[n] = state.Running
	d.Tg[n] = g
	d.Parent[n] = s.Parent[t]
	d.CabdOf[n] = state.None
	d.Born[n] = 0
	d.Pidns[n] = s.Pidns[t]
	switch m.rev.Thread {
	case ThreadCabaRealParent:
		d.Caba[n] = s.Parent[t]
	case ThreadCabaCurrent:
		d.Caba[n] = t
	case ThreadCabaLeaderCaba:
		d.Caba[n] = s.Caba[s.Leader[g]]
	}
	return true
}

func setSubreaper(s *state.State, t uint8, on bool, d *state.State) bool {
	g := s.Tg[t]
	if !acting(s, t) || s.Sub[g] == on {
		return false
	}
	*d = *s
	d.Sub[g] = on
	if on {
		propagateHasSub(d, g)
	}
	return true
}

// propagateHasSub sets has_child_subreaper on the descendant groups of g,
// reached through the children of all of its threads, not descending below a
// group that already has it (walk_process_tree + propagate_has_child_subreaper).
func propagateHasSub(s *state.State, g uint8) {
	for u := uint8(1); u <= s.N; u++ {
		if s.Tg[u] != g || !s.St[u].Hashed() {
			continue
		}
		for c := uint8(1); c <= s.N; c++ {
			if !s.IsChild(c, u) {
				continue
			}
			h := s.Tg[c]
			if s.HasSub[h] {
				continue
			}
			s.HasSub[h] = true
			propagateHasSub(s, h)
		}
	}
}

func ignoreSigchld(s *state.State, t uint8, d *state.State) bool {
	g := s.Tg[t]
	if !acting(s, t) || s.Ign[g] {
		return false
	}
	*d = *s
	d.Ign[g] = true
	return true
}

// exitBegin is ExitBegin(t): exit_signals sets PF_EXITING. Threads killed by
// an exec may exit; the thread running the exec may not.
func exitBegin(s *state.State, t uint8, d *state.State) bool {
	g := s.Tg[t]
	if s.St[t] != state.Running || g == 1 {
		return false
	}
	killedExec := false
	if s.Exec[g] == t {
		// The thread running the exec exits only when killed by a pid
		// namespace zap: de_thread's killed: path clears group_exec_task.
		if !s.Killed(t) {
			return false
		}
		killedExec = true
	}
	*d = *s
	d.St[t] = state.Exiting
	if killedExec {
		d.Exec[g] = state.None
	}
	return true
}

// notify is do_notify_parent for a leader l whose group is empty: with its
// (new) parent's group ignoring SIGCHLD it is auto-reaped (Dead), otherwise it
// stays a reapable Zombie.
func notify(s *state.State, l uint8) {
	if s.Ign[s.Tg[s.Parent[l]]] {
		s.St[l] = state.Dead
	} else {
		s.St[l] = state.Zombie
	}
}

// exitNotify is ExitNotify(t): forget_original_parent and the exit state.
func (m *Model) exitNotify(s *state.State, t uint8, d *state.State) bool {
	if s.St[t] != state.Exiting {
		return false
	}
	*d = *s
	g := s.Tg[t]
	if !childReaperExit(s, t, d) {
		return false // the namespace's init must zap first, or wait
	}
	reaper := findReaper(d, t)
	var kids uint32
	for c := uint8(1); c <= s.N; c++ {
		if s.IsChild(c, t) {
			kids |= 1 << c
		}
	}
	for c := uint8(1); c <= s.N; c++ {
		if kids&(1<<c) == 0 {
			continue
		}
		h := s.Tg[c]
		for u := uint8(1); u <= s.N; u++ {
			if d.Tg[u] == h && d.St[u].Hashed() {
				d.Parent[u] = reaper
			}
		}
		if d.Tg[reaper] != g && d.St[c] == state.Zombie && d.GroupEmpty(h) {
			notify(d, c)
		}
	}
	if m.rev.HandOff == HandOffAtExitNotify {
		m.handOff(d, t)
	}
	if d.IsLeader(t) {
		if d.GroupEmpty(g) {
			notify(d, t)
		} else {
			d.St[t] = state.Zombie // delay_group_leader
		}
	} else {
		d.St[t] = state.Dead // a non-leader thread reaps itself
	}
	return true
}

// findReaper is find_new_reaper: another alive thread of t's group, else the
// closest ancestor subreaper with an alive thread at t's namespace level
// (when has_child_subreaper), else its namespace's child_reaper (init for
// the root namespace).
func findReaper(s *state.State, t uint8) uint8 {
	g := s.Tg[t]
	if a := s.FindAlive(g, t); a != state.None {
		return a
	}
	ns := s.Pidns[t]
	if s.HasSub[g] {
		level := s.NsLevel(ns)
		for r := s.Parent[t]; r != 0 && (ns == 1 || s.NsLevel(s.Pidns[r]) == level); r = s.Parent[r] {
			if s.Sub[s.Tg[r]] {
				if a := s.FindAlive(s.Tg[r], state.None); a != state.None {
					return a
				}
			}
		}
	}
	return s.ChildReaper[ns]
}

// hasCabds reports whether t's cabds list is non-empty.
func hasCabds(s *state.State, t uint8) bool {
	for p := uint8(1); p <= s.N; p++ {
		if s.CabdOf[p] == t {
			return true
		}
	}
	return false
}

// moveCabds re-points every CABD of from (each leader p on from's cabds list,
// and every thread of p's group) at to, and splices the list onto to's.
func moveCabds(s *state.State, from, to uint8) {
	for p := uint8(1); p <= s.N; p++ {
		if s.CabdOf[p] != from {
			continue
		}
		h := s.Tg[p]
		for u := uint8(1); u <= s.N; u++ {
			if s.Tg[u] == h && s.St[u].Hashed() {
				s.Caba[u] = to
			}
		}
		s.CabdOf[p] = to
	}
}

// handOff hands the CABDs of t (exiting or being released) to the task the
// revision's new-caba rule picks.
func (m *Model) handOff(s *state.State, t uint8) {
	if !hasCabds(s, t) {
		return
	}
	switch m.rev.NewCaba {
	case NewCabaAliveThenChain:
		findNewCaba(s, t)
	case NewCabaForget:
		forgetCaba(s, t)
	}
}

// findNewCaba is v1/v2's find_new_caba: the CABDs of t go to another alive
// thread of its group, else to the first task on t's caba chain whose group
// has an alive thread, else to init_task. Walking through a released task
// reads freed memory: the state is marked corrupt and the hand-off is not done.
func findNewCaba(s *state.State, t uint8) {
	to := s.FindAlive(s.Tg[t], t)
	if to == state.None {
		c := s.Caba[t]
		for steps := 0; ; steps++ {
			if c == 0 {
				to = 0
				break
			}
			if !s.St[c].Hashed() || steps > int(s.N) {
				s.Corrupt = true // use-after-free in the walk (or a cycle: a lockup)
				return
			}
			if a := s.FindAlive(s.Tg[c], state.None); a != state.None {
				to = a
				break
			}
			c = s.Caba[c]
		}
	}
	moveCabds(s, t, to)
}

// forgetCaba is v3's forget_caba: a leader hands its CABDs to its own caba,
// a thread to its group leader; splicing onto a freed task's list is a
// use-after-free.
func forgetCaba(s *state.State, x uint8) {
	to := s.Leader[s.Tg[x]]
	if s.IsLeader(x) {
		to = s.Caba[x]
	}
	if to != 0 && !s.St[to].Hashed() {
		s.Corrupt = true // list_splice onto a freed task's cabds
	}
	moveCabds(s, x, to)
}

// freedList reports whether leader p's cabd link sits on the cabds list of
// a released task. No built-in revision reaches that without an earlier
// use-after-free (each hands a task's CABDs on before it is freed); a
// revision that hands off at exit_notify by forget_caba's rule does.
func freedList(s *state.State, p uint8) bool {
	c := s.CabdOf[p]
	return c != state.None && c != 0 && !s.St[c].Hashed()
}

// reap is Reap(w, c): a running thread w claims zombie c, a child of any
// thread of w's group, whose group is empty (wait_task_zombie's cmpxchg).
func reap(s *state.State, w, c uint8, d *state.State) bool {
	if !acting(s, w) || s.St[c] != state.Zombie || !s.IsLeader(c) || !s.GroupEmpty(s.Tg[c]) {
		return false
	}
	p := s.Parent[c]
	if p == 0 || s.Tg[p] != s.Tg[w] {
		return false
	}
	*d = *s
	d.St[c] = state.Dead
	return true
}

// release is Release(x): release_task.
func (m *Model) release(s *state.State, x uint8, d *state.State) bool {
	if s.St[x] != state.Dead {
		return false
	}
	*d = *s
	g := s.Tg[x]
	leader := s.IsLeader(x)
	if m.rev.HandOff == HandOffAtRelease {
		m.handOff(d, x)
	}
	if leader {
		if freedList(d, x) {
			d.Corrupt = true // __unhash_process's list_del_init(&p->cabd) writes to the freed list head
		}
		d.CabdOf[x] = state.None
	}
	d.St[x] = state.Released
	if !leader {
		if l := d.Leader[g]; d.St[l] == state.Zombie && d.GroupEmpty(g) {
			notify(d, l)
		}
	}
	if e := d.Exec[g]; e != state.None && e == d.Leader[g] && d.GroupEmpty(g) {
		d.Exec[g] = state.None // de_thread returns
		if m.opt.Actions&Sessions != 0 {
			d.Execd[g] = true // and begin_new_exec clears the new leader's PF_FORKNOEXEC
		}
	}
	return true
}

func execBegin(s *state.State, t uint8, d *state.State) bool {
	g := s.Tg[t]
	if !acting(s, t) || g == 1 {
		return false
	}
	other := false
	for u := uint8(1); u <= s.N; u++ {
		if u != t && s.Tg[u] == g && s.St[u].Hashed() {
			other = true
			break
		}
	}
	if !other {
		return false
	}
	*d = *s
	d.Exec[g] = t
	return true
}

// execSwap is ExecSwap(t): de_thread's exchange with the zombie old leader.
func (m *Model) execSwap(s *state.State, t uint8, d *state.State) bool {
	g := s.Tg[t]
	if s.St[t] != state.Running || s.Exec[g] != t || s.Killed(t) {
		return false
	}
	l := s.Leader[g]
	if l == t || s.St[l] != state.Zombie {
		return false
	}
	for u := uint8(1); u <= s.N; u++ {
		if u != t && u != l && s.Tg[u] == g && s.St[u].Hashed() {
			return false
		}
	}
	*d = *s
	if freedList(s, l) {
		d.Corrupt = true // list_replace_init(&leader->cabd, &tsk->cabd) writes to the freed list head
	}
	d.Leader[g] = t
	d.CabdOf[t] = s.CabdOf[l]
	d.CabdOf[l] = state.None
	d.St[l] = state.Dead
	if m.opt.Actions&Sessions != 0 {
		// execd is the leader's PF_FORKNOEXEC, cleared: the new leader is a
		// thread from clone(), so the flag is set until the exec completes.
		d.Execd[g] = false
	}
	if m.rev.DeThread == DeThreadLeaderCaba {
		d.Caba[t] = s.Caba[l]
	}
	return true
}

// Describe is the model's one-line description for report headers.
func (m *Model) Describe() string {
	return fmt.Sprintf("linux task model, revision %s, %d tasks, actions %s", m.opt.Revision, m.opt.Tasks, m.opt.Actions)
}
