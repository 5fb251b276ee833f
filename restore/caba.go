package restore

import (
	"fmt"
	"slices"
	"strings"

	"cabacheck/spec/linux"
	"cabacheck/state"
)

// CABA is a planner that uses the caba tree. Under the patch's intent
// (CabaClosestHashed) the caba chain of a process lists every live process
// it descends from by creation, in order, and its real parent is one of them
// (a process is only ever reparented up the tree it was created in). So the
// caba tree is a creation tree with the dead creators left out, and the
// planner rebuilds it:
//
//   - Each process is created by its caba, the very task NScaba names (for
//     a revision that prints the TGID, the leader), after its caba exists:
//     pids are forced, so the order is free.
//   - A process whose parent is its caba's process is forked by it. Else,
//     in the order tried: with CLONE_PARENT by its caba when its parent is
//     its caba's parent (where CLONE_PARENT records the creator); forked by a
//     caba that is a zombie of the image, whose exit, last, reparents it; or
//     under a helper forked by its caba. Helpers die once the whole tree is
//     built, deepest first, each with its children's parent made their
//     closest child subreaper for the moment (prctl on, exit, off), so that
//     exit_notify reparents them there; the caba's wait releases the helper,
//     and release_task hands their cabd links to the helper's own caba: the
//     caba (the seed hands off at exit_notify, to the same task). Processes
//     with the same caba, parent and session share a helper.
//   - Sessions: a process is born in the session of its creator at that
//     moment. A session leader's born session is the one its caba-children
//     outside its own session need (CRIU's born-sid pass, on the caba tree
//     instead of the parent tree); it forks those before it calls setsid. A
//     session whose leader is dead is recreated by a helper with the
//     leader's pid that calls setsid, forked by the members' caba. (Where
//     CLONE_PARENT records the real parent, the seed, a process in a session
//     its caba is never in is forked with CLONE_PARENT by a sibling in it.)
//   - Process groups, after every fork: each group's leader (or a helper
//     with the dead leader's pid) sets it up, members join, leaders that had
//     left their group leave it again (a placeholder helper keeps a group
//     alive when its leader must leave before another joins).
//   - Threads: where the revision's thread rule makes a thread's caba show
//     its creator or its process's real parent at the time (v3, v4, seed),
//     the thread is created by that creator, early (with its process) or
//     late (once the process has its final parent); the choices above are
//     searched, backtracking, for one that gives every thread its caba.
//   - Zombies exit at the end, creators first; subreaper flags are set last.
//
// Nothing depends on the number of tasks: helpers take the pids the image
// does not use, and the planner refuses only when the dump contradicts the
// rules above (each refusal says which, and its class names the kind).
func CABA(rev linux.Revision) Planner { return cabaPlanner{rev: rev} }

type cabaPlanner struct{ rev linux.Revision }

func (cabaPlanner) Name() string { return cabaName }

const cabaName = "caba"

// Helper kinds of the creation tree.
const (
	nodeImage    = iota // a process of the image
	nodeReparent        // a helper whose death reparents its children
	nodeSession         // a dead session leader, recreated: calls setsid
	nodePgrp            // a dead process group leader, recreated
)

type node struct {
	kind      uint8
	by        uint8 // the task that creates it
	pre       bool  // created before its creator's setsid
	viaParent bool  // created with CLONE_PARENT (its parent is its creator's)
	target    uint8 // helpers: the parent their children get when they die
	kids      []uint8
}

type cabaPlan struct {
	o       *Obs
	def     *linux.RevisionDef
	creator [state.Slots]uint8 // process -> the task its NScaba names
	cpar    [state.Slots]uint8 // process -> the process of its caba
	bs      [state.Slots]uint8 // process -> the session it is born in (0: any)
	handoff [state.Slots]bool  // process needs a helper even when its caba is its parent
	// helperBorn: created by a helper (its caba comes from the helper's
	// release); moves: reparented after its creation; ip: the task that
	// is its real parent when it is created.
	helperBorn [state.Slots]bool
	moves      [state.Slots]bool
	ip         [state.Slots]uint8
	// zombieTarget: for a zombie of the image that forks processes
	// directly, the parent they get when it exits.
	zombieTarget [state.Slots]uint8
	early        [state.Slots]bool  // thread created with its process (by threadBy)
	threadBy     [state.Slots]uint8 // the task that creates the thread
	nodes        [state.Slots]node
	isNode       uint16
	free         *freePids
	b            *builder
	pgid         [state.Slots]uint8 // current pgid of each created task's process
	sub          [state.Slots]bool  // current subreaper flags
	refusal      *Refusal           // set when emit runs out of helper pids
}

func (p cabaPlanner) Plan(o *Obs) (*Plan, *Refusal) {
	c := &cabaPlan{o: o, def: p.rev.Def(), free: newFreePids(o)}
	c.b = &builder{plan: &Plan{Planner: cabaName}}
	return c.plan()
}

func (c *cabaPlan) plan() (*Plan, *Refusal) {
	if r := c.cabaTree(); r != nil {
		return nil, r
	}
	if r := c.sessions(); r != nil {
		return nil, r
	}
	if r := c.handoffs(); r != nil {
		return nil, r
	}
	if r := c.creationTree(); r != nil {
		return nil, r
	}
	if r := c.threads(); r != nil {
		return nil, r
	}
	c.emit()
	if c.refusal != nil {
		return nil, c.refusal
	}
	return c.b.plan, nil
}

func (c *cabaPlan) sid(x uint8) uint8 { return c.o.T[x].Sid }

// leads reports whether process x leads its session (it called setsid).
func (c *cabaPlan) leads(x uint8) bool { return x != 1 && c.sid(x) == x }

// dead reports whether no process of the image has pid id (a session or a
// group whose leader is gone).
func (c *cabaPlan) dead(id uint8) bool { return !c.o.IsProcess(id) }

// cabaKids lists the processes whose caba is in process x.
func (c *cabaPlan) cabaKids(x uint8) []uint8 {
	var out []uint8
	for _, p := range c.o.Processes() {
		if p != 1 && c.cpar[p] == x {
			out = append(out, p)
		}
	}
	return out
}

// chain renders the caba chain of process p.
func (c *cabaPlan) chain(p uint8) string {
	var s []string
	for x, n := p, 0; x != 1 && n < state.Slots; x, n = c.cpar[x], n+1 {
		s = append(s, fmt.Sprint(c.cpar[x]))
	}
	return strings.Join(s, " -> ")
}

// cabaTree reads each process's caba and checks that the cabas form a tree
// rooted at init that holds each process's parent on its chain.
func (c *cabaPlan) cabaTree() *Refusal {
	o := c.o
	for _, p := range o.Processes() {
		if p == 1 {
			continue
		}
		t := &o.T[p]
		switch {
		case t.CabaFreed:
			return refuse(cabaName, "dangling-caba", "process %d: its caba is a released task_struct (reading NScaba is a use-after-free)", p)
		case t.Caba == 0:
			return refuse(cabaName, "caba-init-task", "process %d: its caba is init_task", p)
		case !o.In(t.Caba):
			return refuse(cabaName, "caba-not-in-image", "process %d: NScaba %d names no task of the image", p, t.Caba)
		}
		c.creator[p] = t.Caba
		c.cpar[p] = o.T[t.Caba].Tgid
		if c.cpar[p] == p {
			return refuse(cabaName, "caba-in-own-process", "process %d: its caba %d is one of its own threads", p, t.Caba)
		}
	}
	for _, p := range o.Processes() {
		x, n := p, 0
		for ; x != 1 && n < state.Slots; n++ {
			x = c.cpar[x]
		}
		if x != 1 {
			return refuse(cabaName, "caba-cycle", "process %d: its caba chain never reaches init", p)
		}
	}
	for _, p := range o.Processes() {
		if p == 1 {
			continue
		}
		q := o.T[p].PPid
		found := false
		for x := c.cpar[p]; ; x = c.cpar[x] {
			if x == q {
				found = true
				break
			}
			if x == 1 {
				break
			}
		}
		if !found {
			return refuse(cabaName, "parent-off-caba-chain", "process %d: its parent %d is not on its caba chain %s (a process is reparented only to a process it was created under)", p, q, c.chain(p))
		}
	}
	return nil
}

// sessions decides the session each process is born in, and which
// processes recreate a dead session leader.
func (c *cabaPlan) sessions() *Refusal {
	o := c.o
	procs := o.Processes()
	var post []uint8 // caba tree, children before parents
	var walk func(x uint8)
	walk = func(x uint8) {
		for _, k := range c.cabaKids(x) {
			walk(k)
		}
		post = append(post, x)
	}
	walk(1)
	var forced [state.Slots]uint8
	for iter := 0; iter <= state.Slots; iter++ {
		for _, x := range post {
			if x == 1 {
				continue
			}
			if !c.leads(x) {
				c.bs[x] = c.sid(x)
				continue
			}
			var need uint8
			for _, k := range c.cabaKids(x) {
				r := c.bs[k]
				if r == 0 || r == x || c.dead(r) || c.siblingCandidate(k, r) || c.zombieSibling(k, r) == r {
					continue
				}
				if need != 0 && need != r {
					return refuse(cabaName, "born-session", "process %d created processes in sessions %d and %d before its setsid, but was born in one session", x, need, r)
				}
				need = r
			}
			if f := forced[x]; f != 0 {
				if need != 0 && need != f {
					return refuse(cabaName, "born-session", "process %d must be born in session %d and in session %d", x, need, f)
				}
				need = f
			}
			c.bs[x] = need
		}
		// A child born in a session its caba's process is never in must
		// come from a recreated (dead) session leader, and each dead
		// leader can be recreated by one task only.
		founders := map[uint8][]uint8{}
		for _, p := range procs {
			if p == 1 || c.provides(c.cpar[p], c.bs[p]) {
				continue
			}
			r := c.bs[p]
			if !c.dead(r) && (c.siblingCandidate(p, r) || c.zombieSibling(p, r) != 0) {
				continue
			}
			if !c.dead(r) {
				return refuse(cabaName, "session-unreachable", "process %d is in session %d, which its caba's process %d is never in", p, r, c.cpar[p])
			}
			if !slices.Contains(founders[r], c.creator[p]) {
				founders[r] = append(founders[r], c.creator[p])
			}
		}
		changed := false
		for s := uint8(1); s < state.Slots; s++ {
			cs := founders[s]
			if len(cs) < 2 {
				continue
			}
			// Creators below another one were born in the session: it is
			// the upper one that recreated its leader.
			fixed := false
			for _, a := range cs {
				x := o.T[a].Tgid
				if !c.leads(x) || forced[x] != 0 || c.bs[x] != 0 {
					continue
				}
				for _, b := range cs {
					if y := o.T[b].Tgid; y != x && c.cabaAncestor(y, x) {
						forced[x] = s
						fixed = true
						break
					}
				}
			}
			if !fixed {
				return refuse(cabaName, "dead-session-founder", "session %d: its dead leader can be recreated once, but processes created by %d and by %d were born in it", s, cs[0], cs[1])
			}
			changed = true
		}
		if !changed {
			return nil
		}
	}
	return refuse(cabaName, "born-session", "no consistent born session found")
}

// provides reports whether process x is ever in session s while it creates
// processes (s 0: any session).
func (c *cabaPlan) provides(x, s uint8) bool {
	return s == 0 || s == c.sid(x) || (c.leads(x) && s == c.bs[x])
}

// cabaAncestor reports whether process a is a strict caba-ancestor of x.
func (c *cabaPlan) cabaAncestor(a, x uint8) bool {
	for n := 0; x != 1 && n < state.Slots; n++ {
		x = c.cpar[x]
		if x == a {
			return true
		}
	}
	return false
}

// handoffs marks the processes whose threads need a hand-off: under v3's
// rule (a thread's caba is its creator) a thread whose caba is its
// process's caba got it from a helper's release.
func (c *cabaPlan) handoffs() *Refusal {
	o := c.o
	for _, g := range o.Processes() {
		for _, t := range o.Threads(g) {
			if g == 1 {
				return refuse(cabaName, "init-threads", "init has threads")
			}
			if o.T[t].CabaFreed {
				return refuse(cabaName, "dangling-caba", "thread %d of %d: its caba is a released task_struct (reading NScaba is a use-after-free)", t, g)
			}
			if c.def.Thread == linux.ThreadCabaCurrent && o.T[t].Caba == c.creator[g] {
				c.handoff[g] = true
			}
		}
	}
	return nil
}

// threadCaba says how thread t of process g gets the caba the dump shows,
// given how g is created: early (with the process) or late (once the tree
// is final), and by which task; ok false when neither gives it.
func (c *cabaPlan) threadCaba(g, t uint8, helperBorn, moves bool, ip uint8) (early bool, by uint8, ok bool) {
	o := c.o
	want, l, q := o.T[t].Caba, c.creator[g], o.T[g].PPid
	switch c.def.Thread {
	case linux.ThreadCabaLeaderCaba: // the leader's caba, whenever
		return true, g, want == l
	case linux.ThreadCabaCurrent: // its creator; a later hand-off gives l
		if want == l {
			return true, g, helperBorn
		}
		if want != t && o.In(want) && o.T[want].Tgid == g {
			return !helperBorn, want, true
		}
		return false, 0, false
	case linux.ThreadCabaRealParent: // its process's real parent at creation
		switch {
		case helperBorn && want == l:
			return true, g, true
		case helperBorn && want == q:
			return false, g, true
		case !helperBorn && want == ip:
			return true, g, true
		case !helperBorn && moves && want == q:
			return false, g, true
		}
	}
	return false, 0, false
}

// threads decides when and by whom each thread is created.
func (c *cabaPlan) threads() *Refusal {
	o := c.o
	for _, g := range o.Processes() {
		for _, t := range o.Threads(g) {
			early, by, ok := c.threadCaba(g, t, c.helperBorn[g], c.moves[g], c.ip[g])
			if !ok {
				return refuse(cabaName, "thread-caba", "thread %d of %d: caba %d is none a thread created by the restorer gets (its process's caba is %d, its parent %d)", t, g, o.T[t].Caba, c.creator[g], o.T[g].PPid)
			}
			c.early[t], c.threadBy[t] = early, by
		}
	}
	// A thread that creates a process must exist when the tree is built.
	for _, p := range o.Processes() {
		if t := c.creator[p]; p != 1 && o.T[t].Tgid != t && !c.early[t] {
			return refuse(cabaName, "thread-order", "thread %d creates process %d, but its own caba needs it created after the tree is built", t, p)
		}
	}
	return nil
}

func (c *cabaPlan) addNode(pid, parent uint8, n node) {
	c.nodes[pid] = n
	c.isNode |= 1 << pid
	c.nodes[parent].kids = append(c.nodes[parent].kids, pid)
}

// cloneParent reports whether p can be created by its caba with
// CLONE_PARENT: the revision records the creator as caba, p's parent is its
// caba's parent, no hand-off is needed, its threads' cabas come out right,
// and nothing created under p must be reparented to its caba's process
// (CLONE_PARENT leaves it off p's chain of parents).
func (c *cabaPlan) cloneParent(p, x, q uint8) bool {
	o := c.o
	if c.def.Fork != linux.ForkCabaCurrent || x == 1 || q == x || q != o.T[x].PPid || c.handoff[p] || c.isNode&(1<<x) == 0 {
		return false
	}
	for _, r := range o.Processes() {
		if r != p && r != 1 && o.T[r].PPid == x && c.cabaAncestor(p, r) {
			return false
		}
	}
	for _, t := range o.Threads(p) {
		if _, _, ok := c.threadCaba(p, t, false, c.moves[x], c.ip[x]); !ok {
			return false
		}
	}
	return true
}

// How a process is created, in the order tried: by a sibling with
// CLONE_PARENT (where CLONE_PARENT records the real parent, the seed),
// forked by its caba when that is its parent, with CLONE_PARENT by its caba
// (its parent is its caba's parent), forked by a caba that is a zombie of
// the image (whose exit reparents it), under a helper (a recreated dead
// session leader, a helper that dies to reparent it, or both), or forked by
// a sibling that is a zombie of the image (where the hand-off is at
// exit_notify, the seed: the zombie's exit hands the process to their
// caba).
const (
	optSibling = iota
	optDirect
	optCloneParent
	optZombie
	optHelper
	optZombieSibling
	numOpts
)

// maxPlacements bounds the search for a creation tree (each placement is
// one process given one way of creation).
const maxPlacements = 1 << 12

// creationTree decides who forks whom: each process under its caba, the
// first way that works (above) tried first, backtracking when a process's
// threads cannot get their cabas from what was decided for the processes
// above it (a thread's caba can show its process's real parent at the
// time it was created).
func (c *cabaPlan) creationTree() *Refusal {
	c.isNode = 1 << 1
	var order []uint8 // the caba tree, parents first (and a process that
	// needs a sibling to fork it after its siblings)
	var walk func(x uint8)
	walk = func(x uint8) {
		order = append(order, x)
		kids := c.cabaKids(x)
		for _, late := range []bool{false, true} {
			for _, k := range kids {
				if (!c.provides(x, c.bs[k]) && !c.dead(c.bs[k])) == late {
					walk(k)
				}
			}
		}
	}
	walk(1)
	budget := maxPlacements
	var first *Refusal
	var place func(i int) bool
	place = func(i int) bool {
		if i == len(order) {
			return true
		}
		p := order[i]
		for opt := 0; opt < numOpts; opt++ {
			if budget--; budget < 0 {
				return false
			}
			snap, free, helpers := *c, *c.free, len(c.b.plan.Helpers)
			r := c.placeAs(p, opt)
			if r == nil {
				r = c.threadsOf(p)
			}
			if r == nil && place(i+1) {
				return true
			}
			if r != nil && r.Class != "" && first == nil {
				first = r
			}
			*c, *c.free = snap, free
			c.b.plan.Helpers = c.b.plan.Helpers[:helpers]
		}
		return false
	}
	if place(1) {
		return nil
	}
	if budget < 0 {
		return refuse(cabaName, "search-budget", "no creation tree found in %d placements", maxPlacements)
	}
	if first == nil {
		first = refuse(cabaName, "thread-caba", "no creation tree gives every thread its caba")
	}
	return first
}

// notThisWay declines an option without a reason worth reporting.
var notThisWay = &Refusal{Planner: cabaName}

// placeAs creates process p the way opt says, or declines (a refusal with
// a class when no way can work, notThisWay when this one does not apply).
func (c *cabaPlan) placeAs(p uint8, opt int) *Refusal {
	o := c.o
	x, by, r, q := c.cpar[p], c.creator[p], c.bs[p], o.T[p].PPid
	pre := c.leads(x) && r != 0 && r != x && r == c.bs[x]
	inSession := c.provides(x, r)
	switch opt {
	case optSibling:
		d := c.siblingCreator(p, x, by, r, q)
		if d == 0 {
			return notThisWay
		}
		// a child of the caba in the session forks it with CLONE_PARENT
		c.addNode(p, d, node{kind: nodeImage, by: d, pre: c.leads(d) && r != d && r == c.bs[d], viaParent: true})
		c.ip[p] = by
		return nil
	case optZombieSibling:
		z := c.zombieSibling(p, r)
		if z == 0 || (c.zombieTarget[z] != 0 && c.zombieTarget[z] != q) || !c.finalAncestor(q, z) || c.isNode&(1<<z) == 0 {
			return notThisWay
		}
		c.zombieTarget[z] = q
		c.addNode(p, z, node{kind: nodeImage, by: z})
		c.ip[p], c.moves[p], c.helperBorn[p] = z, true, true
		return nil
	case optDirect:
		if !inSession || q != x || c.handoff[p] {
			return notThisWay
		}
		c.addNode(p, x, node{kind: nodeImage, by: by, pre: pre})
		c.ip[p] = by
		return nil
	case optCloneParent:
		if !inSession || !c.cloneParent(p, x, q) {
			return notThisWay
		}
		c.addNode(p, x, node{kind: nodeImage, by: by, pre: pre, viaParent: true})
		c.ip[p], c.moves[p] = c.ip[x], c.moves[x]
		return nil
	case optZombie:
		if !inSession || q == x || !o.T[x].Zombie || c.handoff[p] || (c.zombieTarget[x] != 0 && c.zombieTarget[x] != q) || !c.finalAncestor(q, x) {
			return notThisWay
		}
		// its exit, last, reparents it (and whatever else it forked directly)
		c.zombieTarget[x] = q
		c.addNode(p, x, node{kind: nodeImage, by: by, pre: pre})
		c.ip[p], c.moves[p] = by, true
		return nil
	}
	parent := x
	if !inSession {
		if !c.dead(r) {
			return refuse(cabaName, "session-unreachable", "process %d is in session %d, which its caba's process %d is never in", p, r, x)
		}
		// born in a dead session: its leader, recreated by the caba
		if c.isNode&(1<<r) == 0 {
			c.free.take(r)
			c.addNode(r, x, node{kind: nodeSession, by: by})
			c.b.plan.Helpers = append(c.b.plan.Helpers, r)
		}
		parent, by, pre = r, r, false
	}
	pn := &c.nodes[parent]
	switch {
	case pn.kind == nodeSession && (pn.target == 0 || pn.target == q):
		pn.target = q
	default:
		h := uint8(0)
		for _, k := range pn.kids {
			if n := &c.nodes[k]; n.kind == nodeReparent && n.by == by && n.pre == pre && n.target == q {
				h = k
			}
		}
		if h == 0 {
			if h = c.free.next(); h == 0 {
				return refuse(cabaName, "helper-budget", "no free pid for a helper (the model holds %d tasks)", state.MaxTasks)
			}
			c.addNode(h, parent, node{kind: nodeReparent, by: by, pre: pre, target: q})
			c.b.plan.Helpers = append(c.b.plan.Helpers, h)
		}
		parent, by, pre = h, h, false
	}
	c.addNode(p, parent, node{kind: nodeImage, by: by, pre: pre})
	c.ip[p], c.helperBorn[p], c.moves[p] = by, true, true
	return nil
}

// threadsOf checks that every thread of p can get its caba, given how p is
// created.
func (c *cabaPlan) threadsOf(p uint8) *Refusal {
	for _, t := range c.o.Threads(p) {
		if _, _, ok := c.threadCaba(p, t, c.helperBorn[p], c.moves[p], c.ip[p]); !ok {
			return refuse(cabaName, "thread-caba", "thread %d of %d: caba %d is none a thread created by the restorer gets (its process's caba is %d, its parent %d)", t, p, c.o.T[t].Caba, c.creator[p], c.o.T[p].PPid)
		}
	}
	return nil
}

// siblingCandidate reports whether siblingCreator can count on a creator
// for p in session r: r's leader, forked by p's caba too.
func (c *cabaPlan) siblingCandidate(p, r uint8) bool {
	x := c.cpar[p]
	return c.def.Fork == linux.ForkCabaRealParent && c.o.T[p].PPid == x && r != p &&
		c.o.IsProcess(r) && c.leads(r) && c.cpar[r] == x && c.creator[r] == c.creator[p]
}

// zombieSibling returns, where the hand-off is at exit_notify (the seed), a
// zombie of the image in session r with the same caba as p: forked by it,
// p is born in r and gets their caba when the zombie exits. 0 if none.
func (c *cabaPlan) zombieSibling(p, r uint8) uint8 {
	if c.def.HandOff != linux.HandOffAtExitNotify || r == 0 {
		return 0
	}
	x, found := c.cpar[p], uint8(0)
	for _, z := range c.cabaKids(x) {
		if z != p && c.o.T[z].Zombie && c.sid(z) == r && c.creator[z] == c.creator[p] && (found == 0 || z == r) {
			found = z // the session's leader if it is one
		}
	}
	return found
}

// siblingCreator returns, for a revision whose CLONE_PARENT records the real
// parent as caba, a process forked directly by task by (p's caba) that is in
// session r when p must be born there but by's process never is: its
// CLONE_PARENT makes p by's child in r. 0 when there is none or p's parent
// is not by's process.
func (c *cabaPlan) siblingCreator(p, x, by, r, q uint8) uint8 {
	if c.def.Fork != linux.ForkCabaRealParent || c.provides(x, r) || q != x || !c.o.In(r) {
		return 0
	}
	for _, d := range c.nodes[x].kids {
		n := &c.nodes[d]
		if d != p && n.kind == nodeImage && !n.viaParent && n.by == by && c.provides(d, r) {
			return d
		}
	}
	return 0
}

// finalAncestor reports whether q is a parent, grandparent, ... of x in
// the image.
func (c *cabaPlan) finalAncestor(q, x uint8) bool {
	for n := 0; x != 0 && n < state.Slots; n++ {
		x = c.o.T[x].PPid
		if x == q {
			return true
		}
	}
	return false
}

func (c *cabaPlan) emit() {
	o, b := c.o, c.b
	c.pgid[1] = o.T[1].Pgid
	// 1. The tree.
	var create func(n uint8)
	create = func(n uint8) {
		nd := &c.nodes[n]
		if nd.kind == nodeImage {
			for _, t := range o.Threads(n) {
				if c.early[t] {
					b.add(Step{Op: OpThread, By: c.threadBy[t], Pid: t})
				}
			}
		}
		for _, before := range []bool{true, false} {
			if !before && (nd.kind == nodeSession || (nd.kind == nodeImage && c.leads(n))) {
				b.add(Step{Op: OpSetsid, By: n})
				c.pgid[n] = n
			}
			for _, k := range nd.kids {
				kn := &c.nodes[k]
				if kn.pre != before {
					continue
				}
				if kn.viaParent {
					b.add(Step{Op: OpForkParent, By: kn.by, Pid: k})
				} else {
					b.fork(kn.by, k, false)
				}
				c.pgid[k] = c.pgid[n] // inherited from its creator's process
				create(k)
			}
		}
	}
	create(1)
	for i := range b.plan.Steps {
		if st := &b.plan.Steps[i]; st.Op == OpFork && c.nodes[st.Pid].kind != nodeImage {
			st.Helper = true
		}
	}

	// 2. Process groups: leaders (or a recreated leader) first, then the
	// members, then leaders that had left their own group.
	procs := o.Processes()
	var isPgid uint16
	for _, p := range procs {
		isPgid |= 1 << o.T[p].Pgid
	}
	for g := uint8(1); g < state.Slots; g++ {
		if isPgid&(1<<g) == 0 {
			continue
		}
		switch {
		case o.IsProcess(g):
			if c.pgid[g] != g {
				b.add(Step{Op: OpSetpgid, By: g, Pid: g, Arg: g})
				c.pgid[g] = g
			}
		case c.isNode&(1<<g) != 0:
			// a recreated session leader leads its group since setsid
		default:
			var m uint8
			for _, p := range procs {
				if o.T[p].Pgid == g {
					m = p
					break
				}
			}
			c.free.take(g)
			c.addNode(g, m, node{kind: nodePgrp, by: m}) // a dead leader, recreated
			b.fork(m, g, true)
			c.pgid[g] = c.pgid[m]
			b.add(Step{Op: OpSetpgid, By: g, Pid: g, Arg: g})
			c.pgid[g] = g
		}
	}
	for _, p := range procs {
		if want := o.T[p].Pgid; c.pgid[p] != want && isPgid&(1<<p) == 0 {
			b.add(Step{Op: OpSetpgid, By: p, Pid: p, Arg: want})
			c.pgid[p] = want
		}
	}
	// A leader that left its group leaves once every other leader that
	// joins its group has joined; leaders that joined each other's groups
	// keep theirs alive with a placeholder helper (forked in the group).
	var left uint16
	for _, p := range procs {
		if c.pgid[p] != o.T[p].Pgid {
			left |= 1 << p
		}
	}
	for left != 0 {
		moved := false
		for _, p := range procs {
			if left&(1<<p) == 0 {
				continue
			}
			waits := false
			for _, q := range procs {
				waits = waits || (q != p && left&(1<<q) != 0 && o.T[q].Pgid == p)
			}
			if waits {
				continue
			}
			b.add(Step{Op: OpSetpgid, By: p, Pid: p, Arg: o.T[p].Pgid})
			c.pgid[p] = o.T[p].Pgid
			left &^= 1 << p
			moved = true
		}
		if moved {
			continue
		}
		for _, p := range procs {
			if left&(1<<p) != 0 {
				h := c.free.next()
				if h == 0 {
					c.refusal = refuse(cabaName, "helper-budget", "no free pid for a helper (the model holds %d tasks)", state.MaxTasks)
					return
				}
				c.addNode(h, p, node{kind: nodePgrp, by: p})
				b.fork(p, h, true)
				c.pgid[h] = c.pgid[p]
				b.add(Step{Op: OpSetpgid, By: p, Pid: p, Arg: o.T[p].Pgid})
				c.pgid[p] = o.T[p].Pgid
				left &^= 1 << p
				break
			}
		}
	}

	// 3. Helpers die, deepest first, each with its children's parent made
	// their closest child subreaper for the moment.
	var die func(n uint8)
	die = func(n uint8) {
		nd := &c.nodes[n]
		for i := len(nd.kids) - 1; i >= 0; i-- {
			die(nd.kids[i])
		}
		if nd.kind == nodeImage {
			return
		}
		q, toggled := nd.target, false
		hasKids := false
		for _, k := range nd.kids {
			hasKids = hasKids || c.nodes[k].kind == nodeImage
		}
		if hasKids && q != 1 && !c.sub[q] {
			b.add(Step{Op: OpSubreaper, By: q, Arg: 1})
			c.sub[q], toggled = true, true
		}
		b.add(Step{Op: OpExit, By: n, Helper: true})
		b.add(Step{Op: OpWait, By: nd.by, Pid: n, Helper: true})
		if toggled {
			b.add(Step{Op: OpSubreaper, By: q, Arg: 0})
			c.sub[q] = false
		}
	}
	die(1)

	// 4. Zombies exit, reparenting what they forked directly; creators
	// first, so that each has its final parent when it exits.
	var pre []uint8
	var walk func(n uint8)
	walk = func(n uint8) {
		pre = append(pre, n)
		for _, k := range c.nodes[n].kids {
			walk(k)
		}
	}
	walk(1)
	for _, p := range pre {
		if c.nodes[p].kind != nodeImage || !o.T[p].Zombie {
			continue
		}
		q := c.zombieTarget[p]
		toggle := q != 0 && q != 1 && !c.sub[q]
		if toggle {
			b.add(Step{Op: OpSubreaper, By: q, Arg: 1})
		}
		b.add(Step{Op: OpExit, By: p})
		if toggle {
			b.add(Step{Op: OpSubreaper, By: q, Arg: 0})
		}
	}
	// 5. Threads whose caba shows their creator or their final parent.
	var made [state.Slots]bool
	for progress := true; progress; {
		progress = false
		for _, p := range procs {
			for _, t := range o.Threads(p) {
				u := c.threadBy[t]
				if c.early[t] || made[t] || (o.T[u].Tgid != u && !c.early[u] && !made[u]) {
					continue
				}
				b.add(Step{Op: OpThread, By: u, Pid: t})
				made[t], progress = true, true
			}
		}
	}

	// 6. Subreaper flags.
	for _, p := range procs {
		if o.T[p].Sub {
			b.add(Step{Op: OpSubreaper, By: p, Arg: 1})
		}
	}
}
