package restore

import (
	"fmt"

	"cabacheck/state"
)

// CRIU is today's restore planning and order (checkpoint-restore/criu):
// criu/pstree.c read_pstree_image and prepare_pstree_ids, then
// criu/cr-restore.c create_children_and_session, restore_sid, restore_pgid,
// and the restorer's thread creation, helper and zombie exits and
// child-subreaper flags (criu/pie/restorer.c). It ignores caba. Its refusals
// carry CRIU's messages.
//
// Where the model cannot follow CRIU exactly:
//   - The dump lists each process's children in ascending pid order (the
//     kernel's children list order is not in the model); reading the image
//     inserts each child at the head of its parent's list (list_add), so
//     CRIU walks and forks children in descending pid order, as it does.
//   - The root is the model's init, already running as leader of session 1
//     (CRIU's root calls setsid() in a fresh pid namespace).
//   - get_free_pid skips pids below 300; helpers here take the lowest pids
//     no task, group or session of the image uses.
//   - CRIU's tasks run concurrently; the plan is one interleaving that
//     respects every wait CRIU makes (a child inherits its creator's session
//     at fork; members wait for their group leader's pgrp_set; helpers and
//     zombies die after every thread is created; subreaper flags come last).
func CRIU() Planner { return criuPlanner{} }

type criuPlanner struct{}

func (criuPlanner) Name() string { return "criu" }

// Item states of a pstree_item.
const (
	taskUndef  = iota // a pid seen only as a pgid or sid (TASK_UNDEF)
	taskAlive         // TASK_ALIVE
	taskZombie        // TASK_DEAD (known from the core; a zombie)
	taskHelper        // TASK_HELPER
)

type citem struct {
	state      uint8
	parent     uint8 // 0: none (the root)
	children   []uint8
	sid, pgid  uint8
	bornSid    int8 // -1: none
	pgrpLeader uint8
	threads    []uint8
	sub        bool
}

type criuTree struct {
	it   [state.Slots]citem
	root uint8
}

const criuName = "criu"

func (criuPlanner) Plan(o *Obs) (*Plan, *Refusal) {
	var t criuTree
	for i := range t.it {
		t.it[i].bornSid = -1
	}
	// read_pstree_image: the dump lists the tree in preorder, children in
	// ascending pid; each entry creates items for its pid, pgid and sid,
	// and is added at the head of its parent's children.
	var dumpOrder func(p uint8)
	dumpOrder = func(p uint8) {
		x := &o.T[p]
		it := &t.it[p]
		it.state = taskAlive
		it.sid, it.pgid = x.Sid, x.Pgid
		it.sub = x.Sub
		it.threads = o.Threads(p)
		if x.Zombie {
			it.state = taskZombie
		}
		if p != 1 {
			it.parent = x.PPid
			pa := &t.it[x.PPid]
			pa.children = append([]uint8{p}, pa.children...)
		}
		for _, c := range o.Processes() {
			if c != 1 && o.T[c].PPid == p {
				dumpOrder(c)
			}
		}
	}
	t.root = 1
	dumpOrder(1)
	free := newFreePids(o)
	root := &t.it[t.root]

	// prepare_pstree_ids, part 1: a child of the root that is neither in
	// the root's session nor a session leader gets a helper in its
	// session; the root's later children of that session move under it.
	var helpers []uint8 // the list of dead-leader helpers, spliced in later
	for i := 0; i < len(root.children); i++ {
		c := root.children[i]
		item := &t.it[c]
		if item.sid == root.sid || item.sid == c {
			continue
		}
		sid := item.sid
		leader := &t.it[sid]
		var h uint8
		if leader.state != taskUndef {
			h = free.next()
			if h == 0 {
				return nil, refuse(criuName, "helpers", "no free pid for the helper of session %d", sid)
			}
			t.it[h] = citem{state: taskHelper, sid: sid, pgid: leader.pgid, parent: sid, bornSid: -1}
			leader.children = append([]uint8{h}, leader.children...)
		} else {
			h = sid
			free.take(h)
			leader.state = taskHelper
			leader.sid, leader.pgid, leader.parent = sid, sid, t.root
			helpers = append(helpers, h)
		}
		// Stack on the helper every child (this one onwards) with its sid.
		var keep []uint8
		keep = append(keep, root.children[:i]...)
		for _, d := range root.children[i:] {
			di := &t.it[d]
			if di.sid == sid && di.sid != d {
				di.parent = h
				t.it[h].children = append([]uint8{d}, t.it[h].children...)
				continue
			}
			keep = append(keep, d)
		}
		root.children = keep
		i--
	}

	// Part 2, the "born sid" pass over the tree as it is now (the
	// dead-leader helpers are not in it yet).
	for _, p := range t.preorder() {
		item := &t.it[p]
		if item.parent == 0 || item.state == taskHelper || item.sid == p {
			continue
		}
		if t.it[item.parent].sid == item.sid {
			continue
		}
		q := item.parent
		for q != 0 && q != item.sid {
			pi := &t.it[q]
			if pi.bornSid != -1 && uint8(pi.bornSid) != item.sid {
				return nil, refuse(criuName, "born-sid", "Can't figure out which sid (%d or %d)the process %d was born with", pi.bornSid, item.sid, q)
			}
			pi.bornSid = int8(item.sid)
			q = pi.parent
		}
		if q == 0 {
			return nil, refuse(criuName, "no-session-leader", "Can't find a session leader for %d", item.sid)
		}
	}
	// Part 3: the dead-leader helpers become children of the root.
	root.children = append(append([]uint8(nil), helpers...), root.children...)

	// Part 4: a process group whose leader is not in the image gets a
	// helper with pid = pgid, a child of the first member met.
	for _, p := range t.preorder() {
		item := &t.it[p]
		if item.pgid == 0 || item.pgid == p {
			continue
		}
		g := &t.it[item.pgid]
		if g.state != taskUndef {
			item.pgrpLeader = item.pgid
			continue
		}
		h := item.pgid
		free.take(h)
		*g = citem{state: taskHelper, sid: item.sid, pgid: item.pgid, parent: p, bornSid: -1}
		item.children = append([]uint8{h}, item.children...)
		item.pgrpLeader = h
	}

	// The restore itself.
	b := &builder{plan: &Plan{Planner: criuName}}
	var pgid [state.Slots]uint8
	pgid[t.root] = root.pgid
	var fork func(p uint8)
	fork = func(p uint8) {
		item := &t.it[p]
		for _, before := range []bool{true, false} {
			if !before && item.parent != 0 {
				// restore_sid: a session leader calls setsid(), any other
				// task checks the session it inherited.
				if item.sid == p {
					b.add(Step{Op: OpSetsid, By: p})
					pgid[p] = p
				} else {
					b.add(Step{Op: OpGetsid, By: p, Arg: item.sid})
				}
			}
			for _, c := range item.children {
				if t.beforeSetsid(c) != before {
					continue
				}
				if ci := &t.it[c]; before && ci.bornSid != -1 {
					// BUG_ON(child->born_sid != -1 && getsid(0) != child->born_sid)
					b.add(Step{Op: OpGetsid, By: p, Pid: c, Arg: uint8(ci.bornSid)})
				}
				b.fork(p, c, t.it[c].state == taskHelper)
				pgid[c] = pgid[p]
				fork(c)
			}
		}
	}
	fork(t.root)

	// restore_pgid, after each task's forks: a task already in its group
	// returns; a group leader joins its own group and signals pgrp_set; a
	// member waits for its leader's signal, then joins.
	order := t.preorder()
	var signaled [state.Slots]bool
	for _, p := range order {
		item := &t.it[p]
		if pgid[p] == item.pgid || item.pgid != p {
			continue
		}
		b.add(Step{Op: OpSetpgid, By: p, Pid: p, Arg: p})
		pgid[p] = p
		signaled[p] = true
	}
	for _, p := range order {
		item := &t.it[p]
		if pgid[p] == item.pgid || item.pgid == p {
			continue
		}
		if l := item.pgrpLeader; l != 0 && !signaled[l] {
			return nil, refuse(criuName, "pgrp-hang", "restore hangs: %d waits for its process group leader %d, which already has pgid %d and never sets pgrp_set", p, l, pgid[l])
		}
		b.add(Step{Op: OpSetpgid, By: p, Pid: p, Arg: item.pgid})
		pgid[p] = item.pgid
	}

	// The restorer: each live task creates its threads; then helpers and
	// zombies die, children first, each helper reaped by its parent; then
	// the child-subreaper flags.
	for _, p := range order {
		if t.it[p].state == taskAlive {
			for _, th := range t.it[p].threads {
				b.add(Step{Op: OpThread, By: p, Pid: th})
			}
		}
	}
	for _, p := range t.postorder() {
		item := &t.it[p]
		switch item.state {
		case taskHelper:
			b.add(Step{Op: OpExit, By: p, Helper: true})
			b.add(Step{Op: OpWait, By: item.parent, Pid: p, Helper: true})
		case taskZombie:
			b.add(Step{Op: OpExit, By: p})
		}
	}
	for _, p := range order {
		if item := &t.it[p]; item.state == taskAlive && item.sub {
			b.add(Step{Op: OpSubreaper, By: p, Arg: 1})
		}
	}
	return b.plan, nil
}

// beforeSetsid is restore_before_setsid: a child is forked before its
// parent's setsid() when the session it must be born in is the one its
// parent was born in.
func (t *criuTree) beforeSetsid(c uint8) bool {
	ci := &t.it[c]
	csid := int8(ci.sid)
	if ci.bornSid != -1 {
		csid = ci.bornSid
	}
	return t.it[ci.parent].bornSid == csid
}

// preorder is for_each_pstree_item: the tree from the root, depth first,
// each item's children in list order.
func (t *criuTree) preorder() []uint8 {
	var out []uint8
	var walk func(p uint8)
	walk = func(p uint8) {
		out = append(out, p)
		for _, c := range t.it[p].children {
			walk(c)
		}
	}
	walk(t.root)
	return out
}

func (t *criuTree) postorder() []uint8 {
	var out []uint8
	var walk func(p uint8)
	walk = func(p uint8) {
		for _, c := range t.it[p].children {
			walk(c)
		}
		out = append(out, p)
	}
	walk(t.root)
	return out
}

// criuError is what CRIU reports when step st fails in state s.
func criuError(s *state.State, st Step) string {
	switch st.Op {
	case OpFork, OpForkParent:
		return fmt.Sprintf("Can't fork for %d", st.Pid)
	case OpThread:
		return fmt.Sprintf("Unable to create a thread: %d", st.Pid)
	case OpSetsid:
		return "Can't restore sid (-1)"
	case OpGetsid:
		got := uint8(0)
		if st.By <= s.N {
			got = s.Sid[s.Tg[st.By]]
		}
		if st.Pid != 0 {
			return fmt.Sprintf("BUG_ON(child->born_sid != -1 && getsid(0) != child->born_sid): %d forks %d born in %d, but its sid is %d", st.By, st.Pid, st.Arg, got)
		}
		return fmt.Sprintf("Requested sid %d doesn't match inherited %d", st.Arg, got)
	case OpSetpgid:
		cur := uint8(0)
		if st.By <= s.N {
			cur = s.Pgid[s.Tg[st.By]]
		}
		return fmt.Sprintf("Can't restore pgid (%d/%d->%d)", st.By, cur, st.Arg)
	case OpSubreaper:
		return fmt.Sprintf("Unable to set PR_SET_CHILD_SUBREAPER(%d)", st.Arg)
	case OpExit, OpWait:
		return fmt.Sprintf("waitpid for helper %d failed", st.Pid)
	}
	return "restore failed"
}
