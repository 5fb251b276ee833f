package reference

// Pid namespaces: the action set pidns, written from docs/model.md's
// section "Optional: pid namespaces" and ../shared/docs/pidns.md (with the
// kernel's kernel/fork.c copy_process, kernel/exit.c find_child_reaper /
// find_new_reaper and kernel/pid_namespace.c zap_pid_ns_processes as the
// tie-breaker), not from spec/linux.
//
// A namespace is named by the founding slot of its init's group; the root
// is 1. Per task Pidns (task_active_pid_ns), per namespace-founding group
// ChildReaper (pid_ns->child_reaper, a thread) and Zap (the thread running
// zap_pid_ns_processes once it has begun). Everything else is derived:
// the namespace tree (nsParent through the born ghost field), levels, which
// namespaces a task has a pid in, the pending SIGKILL of a zap (killed),
// pid numbers (creation order per namespace, nr) and the procfs lines NSpid
// and NScaba as a reader in any namespace sees them.
//
// Questions where the section is open or seems to differ from the kernel
// (this package follows the section as written in each case):
//  1. SetSubreaper's propagation. The kernel's propagate_has_child_subreaper
//     neither marks nor descends into a child reaper (is_child_reaper: a
//     namespace init), so has_child_subreaper never crosses into a nested
//     namespace by propagation (it still does at fork). The section leaves
//     the base rule unchanged, which marks and enters namespace inits: the
//     hasSub values inside a namespace then differ from the kernel's.
//  2. NScabaNamesVisibleTask (as changed in the section): a non-empty line
//     (other than the root's 0 for init_task) needs the caba visible in R,
//     and is then checked to be the NSpid read in R of the hashed task
//     holding the printed pid slot (always so once the caba is visible).
//  3. ExitBegin of a killed exec thread is allowed also after its ExecSwap
//     (the old leader Dead, not yet released), and clears exec[g]. In the
//     kernel de_thread releases the old leader itself before it returns, so
//     a thread that passed the swap cannot exit before that release (the
//     killed: path is before the swap). The section's rule adds that
//     interleaving (the leader Exiting before the old leader's Release,
//     which then no longer completes the exec).
//  4. P(u), the pid slot u shows: the section names linux.TID; this package
//     derives it from exchange_tids alone (the founding slot for a leader,
//     the current leader's slot for a founder that is no longer leader, the
//     old leader until released; else u's own slot), which disagrees with
//     spec/linux's TID after Fork(1) Clone(2) ExecBegin(2) (the leader's
//     own exec swaps nothing: thread 3 keeps TID 3, linux.TID says 2) and
//     after a killed exec thread's ExitBegin following its ExecSwap (the
//     old leader keeps the exec'ing thread's old TID; linux.TID reverts it
//     to its slot once exec[g] is cleared).
//
// A note: killed threads count as alive for find_new_reaper (PF_EXITING
// only), as the section says; ZapBegin requires no alive thread, so a zap
// never begins while a thread of the init's group is Running.

// MaxPidNsLevel is the kernel's MAX_PID_NS_LEVEL (never binding: a level
// costs a slot).
const MaxPidNsLevel = 32

// nsParent is the namespace of the task that ran clone(CLONE_NEWPID) for
// namespace k (k != 1): pidns[born[k]].
func nsParent(s *State, k int) int { return int(s.Pidns[s.Born[k]]) }

// chain is k, nsParent(k), ..., 1 (nil for 0: an unborn slot's).
func chain(s *State, k int) []int {
	var c []int
	walkChain(s, k, func(n int) bool { c = append(c, n); return false })
	return c
}

// walkChain calls f for k, nsParent(k), ..., 1 until f returns true, and
// reports whether it did (nothing for k == 0).
func walkChain(s *State, k int, f func(int) bool) bool {
	for steps := 0; k != 0; steps++ {
		if steps > MaxTasks {
			panic("reference: cycle in the namespace tree")
		}
		if f(k) {
			return true
		}
		if k == 1 {
			return false
		}
		k = nsParent(s, k)
	}
	return false
}

func level(s *State, k int) int {
	l := -1
	walkChain(s, k, func(int) bool { l++; return false })
	return l
}

func (m *Model) level(s *State, k int) int { return level(s, k) }

// nsAlive: the root, or a namespace whose init's group has a hashed task.
func nsAlive(s *State, k int) bool {
	if k == 1 {
		return true
	}
	if k < 1 || int(s.Pidns[k]) != k {
		return false
	}
	for i := 1; i <= MaxTasks; i++ {
		if inGroup(s, i, k) && hashed(s, i) {
			return true
		}
	}
	return false
}

// deepestAlive is the canonical namespace of a Released task whose
// namespace is k: k if alive, else the first alive one up its chain.
func deepestAlive(s *State, k int) int {
	if k == 0 {
		return 0
	}
	for steps := 0; !nsAlive(s, k); steps++ {
		if steps > MaxTasks {
			panic("reference: no alive namespace on a chain")
		}
		k = nsParent(s, k)
	}
	return k
}

// hasPidIn: u has a pid in namespace k (k is on u's chain).
func hasPidIn(s *State, u, k int) bool {
	return walkChain(s, int(s.Pidns[u]), func(n int) bool { return n == k })
}

// Killed reports whether u has the SIGKILL of a zap pending (a zapping
// namespace on its chain).
func (m *Model) Killed(s *State, u int) bool { return m.killed(s, u) }

func (m *Model) killed(s *State, u int) bool {
	return walkChain(s, int(s.Pidns[u]), func(n int) bool { return s.Zap[n] != 0 })
}

// nr is the number of slot v's pid in namespace k: the born slots w with
// k <= w <= v that have a pid in k (Released ones included).
func nr(s *State, k, v int) int {
	n := 0
	for w := k; w <= v; w++ {
		if s.St[w] != Unborn && hasPidIn(s, w, k) {
			n++
		}
	}
	return n
}

// pidSlot is P(u): the slot whose struct pid u holds (exchange_tids at
// de_thread: the new leader holds the founder's, the old leader the new
// leader's old one).
func pidSlot(s *State, u int) int {
	g := int(s.Tg[u])
	switch {
	case isLeader(s, u):
		return g
	case g == u && s.Leader[g] != 0:
		return int(s.Leader[g])
	}
	return u
}

// nsNumbers is the loop over levels level(r)..level(ns) of the numbers of
// slot q's pid in the namespaces of ns's own chain (pid->numbers[g].ns).
func nsNumbers(s *State, q, ns, r int) []int {
	c := chain(s, ns) // c[0] = ns at level len(c)-1, ..., c[len-1] = root
	l := len(c) - 1
	out := []int{}
	for g := level(s, r); g <= l; g++ {
		out = append(out, nr(s, c[l-g], q))
	}
	return out
}

// NSpid is u's NSpid line read in namespace r, and whether u has a pid
// there.
func (m *Model) NSpid(s *State, u, r int) ([]int, bool) {
	if !hashedOrReleased(s, u) || !hasPidIn(s, u, r) {
		return nil, false
	}
	return nsNumbers(s, pidSlot(s, u), int(s.Pidns[u]), r), true
}

func hashedOrReleased(s *State, u int) bool {
	return u >= 1 && u <= MaxTasks && s.St[u] != Unborn
}

// NScabaIn is u's NScaba line as the revision's task_state prints it for a
// reader in namespace r: init_task prints 0 in the root and nothing
// elsewhere; a Released caba is get_task_pid on a freed task (freed, no
// numbers); a hashed caba c prints, for the levels level(r)..level(c's
// namespace), the numbers of P(c) (nscaba tid) or of tg[c] (tgid) in c's own
// namespaces.
func (m *Model) NScabaIn(s *State, u, r int) (line []int, freed bool) {
	c := int(s.Caba[u])
	switch {
	case c == 0:
		if r == 1 {
			return []int{0}, false
		}
		return []int{}, false
	case released(s, c):
		return nil, true
	}
	return nsNumbers(s, m.nscabaSlot(s, c), int(s.Pidns[c]), r), false
}

// nscabaSlot is the slot whose numbers NScaba prints for caba c.
func (m *Model) nscabaSlot(s *State, c int) int {
	if m.Revision.NScaba == TGID {
		return int(s.Tg[c])
	}
	return pidSlot(s, c)
}

// AliveNamespaces lists the alive namespaces, ascending.
func (m *Model) AliveNamespaces(s *State) []int {
	var ns []int
	for k := 1; k <= m.N; k++ {
		if nsAlive(s, k) {
			ns = append(ns, k)
		}
	}
	return ns
}

// canExitNotify: a namespace's reaper with no alive thread left runs
// ZapBegin first, and finishes exit_notify only when it and its leader are
// the namespace's only hashed tasks (pid_allocated == init_pids).
func (m *Model) canExitNotify(s *State, t int) bool {
	n := int(s.Pidns[t])
	if n == 1 || int(s.ChildReaper[n]) != t {
		return true
	}
	g := int(s.Tg[t])
	if m.findAlive(s, g, t) != 0 {
		return true
	}
	if s.Zap[n] == 0 {
		return false
	}
	// docs/model.md: a pid still used as a process group or session id is
	// not freed, so the zap also waits for every such id of the namespace
	// other than the init's own (t, g).
	held := func(id int) bool { return id != 0 && id != g && id != t && hasPidIn(s, id, n) }
	for w := 1; w <= m.N; w++ {
		if !hashed(s, w) {
			continue
		}
		if w != t && w != int(s.Leader[g]) && hasPidIn(s, w, n) {
			return false
		}
		if h := int(s.Tg[w]); held(int(s.Pgid[h])) || held(int(s.Sid[h])) {
			return false
		}
	}
	return true
}

// canZapBegin: ZapBegin(t)'s guard.
func (m *Model) canZapBegin(s *State, t int) bool {
	n := int(s.Pidns[t])
	return s.St[t] == Exiting && n != 1 && int(s.ChildReaper[n]) == t &&
		m.findAlive(s, int(s.Tg[t]), t) == 0 && s.Zap[n] == 0
}

// zapBegin: disable_pid_allocation, SIGCHLD ignored, SIGKILL to every task
// with a pid in the namespace (the killed predicate).
func (m *Model) zapBegin(s State, t int) State {
	s.Zap[s.Pidns[t]] = int8(t)
	s.Ign[s.Tg[t]] = true
	return s
}

// canZapReap: ZapReap(t, c), the zap's kernel_wait4 claiming a zombie child
// of t's group.
func (m *Model) canZapReap(s *State, t, c int) bool {
	n := int(s.Pidns[t])
	if s.St[t] != Exiting || s.Zap[n] == 0 || int(s.ChildReaper[n]) != t {
		return false
	}
	if s.St[c] != Zombie || !isLeader(s, c) || !m.groupEmpty(s, int(s.Tg[c])) {
		return false
	}
	p := int(s.Parent[c])
	return p != 0 && hashed(s, p) && s.Tg[p] == s.Tg[t]
}

// ForkNewpid(t): a Fork whose child is pid 1 and child_reaper of a new
// namespace one level below t's.
func (m *Model) forkNewpid(s State, t int) State {
	n := m.freeSlot(&s)
	m.newProcess(&s, t, t, int(s.Tg[t]), t)
	s.Pidns[n] = int8(n)
	s.ChildReaper[n] = int8(n)
	s.Zap[n] = 0
	return s
}

// ---------------------------------------------------------------------------
// The invariants of docs/model.md's pid namespace section (group derived).

// PidnsInvariantNames are the pid namespace invariants (they read procfs
// views; not in InvariantNames, which mirrors invariants.All()).
var PidnsInvariantNames = []string{"NScabaNamesVisibleTask", "CabaNsMatchesParent",
	"CabaClosestHashedNS", "CabaClosestNotifiedNS"}

// nscabaNamesVisibleTask: every NScaba line any alive namespace reads is
// empty, the root's "0" for init_task, or (the caba visible there) the
// NSpid read there of the hashed task whose pid slot is the one printed.
func (m *Model) nscabaNamesVisibleTask(s *State) bool {
	for u := 1; u <= m.N; u++ {
		if !hashed(s, u) {
			continue
		}
		for _, r := range m.AliveNamespaces(s) {
			if !hasPidIn(s, u, r) {
				continue
			}
			line, freed := m.NScabaIn(s, u, r)
			if freed {
				return false
			}
			if len(line) == 0 || (r == 1 && s.Caba[u] == 0) {
				continue
			}
			c := int(s.Caba[u])
			if !hasPidIn(s, c, r) {
				return false // numbers of namespaces the reader is not in
			}
			q := m.nscabaSlot(s, c)
			ok := false
			for x := 1; x <= m.N && !ok; x++ {
				if hashed(s, x) && pidSlot(s, x) == q {
					if ns, vis := m.NSpid(s, x, r); vis && equalInts(ns, line) {
						ok = true
					}
				}
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// cabaNsMatchesParent: a hashed leader's caba (unless Released) is in the
// namespace of its real parent (init_task: the root).
func (m *Model) cabaNsMatchesParent(s *State) bool {
	ns := func(x int) int {
		if x == 0 {
			return 1
		}
		return int(s.Pidns[x])
	}
	for p := 2; p <= m.N; p++ {
		if !hashed(s, p) || !isLeader(s, p) || released(s, int(s.Caba[p])) {
			continue
		}
		if ns(int(s.Caba[p])) != ns(int(s.Parent[p])) {
			return false
		}
	}
	return true
}

// cabaClosestNS: CabaClosest* as a reader in each alive namespace r != 1
// sees it: for every hashed leader p != 1 with a pid in r, r sees the
// caba's group exactly when it sees the intended one, and then they agree.
func (m *Model) cabaClosestNS(s *State, alive func(Status) bool) bool {
	sees := func(g, r int) bool { return g != 0 && hasPidIn(s, g, r) }
	for _, r := range m.AliveNamespaces(s) {
		if r == 1 {
			continue
		}
		for p := 2; p <= m.N; p++ {
			if !hashed(s, p) || !isLeader(s, p) || !hasPidIn(s, p, r) {
				continue
			}
			got, want := m.closestPair(s, p, alive)
			if sees(got, r) != sees(want, r) || (sees(got, r) && got != want) {
				return false
			}
		}
	}
	return true
}
