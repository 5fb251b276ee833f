package findings

import (
	"cabacheck/invariants"
	"cabacheck/spec/linux"
)

func holds(revs ...linux.Revision) []Expect {
	var e []Expect
	for _, r := range revs {
		e = append(e, Expect{Revision: r})
	}
	return e
}

func violated(r linux.Revision, length int) Expect {
	return Expect{Revision: r, Violated: true, Length: length}
}

func join(parts ...[]Expect) []Expect {
	var e []Expect
	for _, p := range parts {
		e = append(e, p...)
	}
	return e
}

var (
	seed  = linux.Seed
	v3    = linux.V3
	v4    = linux.V4
	fixed = linux.Fixed
)

// Catalogue returns the review concerns, in the order of
// kernel-semantics.md section 3.2 and 4.5. Expected verdicts come from
// reading the patches (the documents named in Source); the checker confirms
// them (go test runs every one).
func Catalogue() []*Concern {
	return []*Concern{
		{
			Name:     "v3-thread-created-thread",
			Question: "In v3, can a thread created by another thread keep a caba that points at that sibling after the sibling exits and is released?",
			Source:   "kernel-semantics.md 3.2 item 1 (v3), 4.5 scenario 1; examples.md 1",
			Check:    "NoDanglingCaba", Tasks: 4, Actions: linux.Threads,
			Expect: join([]Expect{violated(v3, 6)}, holds(seed, v4, fixed)),
			Answer: "Yes in v3 (caba = current makes a thread's caba its creating sibling, and nothing re-points it); with threads alone the seed, v4 and the fix keep every caba hashed.",
		},
		{
			Name:     "seed-reparented-thread",
			Question: "In the seed, can the thread of a reparented process keep a caba pointing at a released subreaper?",
			Source:   "kernel-semantics.md 3.2 item 1(a), 4.5 scenario 4; examples.md 3; the crash in kernel-conformance.md",
			Check:    "NoDanglingCaba", Tasks: 6, Actions: linux.Threads | linux.Subreaper, MaxDepth: 12,
			Expect: join([]Expect{violated(seed, 12)}, holds(fixed)),
			Answer: "Yes, with six tasks: a subreaper, two generations below it, a reparented process and its thread (the thread's caba is its real_parent, the subreaper, while the process's caba moved to a grand-parent; the subreaper's release re-points only the process's list). The fix has no violation within the same 12 steps (a full 6-task search is the matrix's job).",
		},
		{
			Name:     "v4-reparented-thread",
			Question: "In v4, can the thread of a reparented process keep a caba pointing at a released subreaper?",
			Source:   "kernel-semantics.md 3.2 item 1(a), 4.5 scenario 4; examples.md 3",
			Check:    "NoDanglingCaba", Tasks: 5, Actions: linux.Threads | linux.Subreaper,
			Expect: join([]Expect{violated(v4, 9)}, holds(fixed)),
			Answer: "Yes, with five tasks and in 9 steps, and no subreaper is needed: a process reparented to another thread of its dying parent's process gives its new thread that thread as caba; when that thread exits and is released, the process's own caba (and list entry) are elsewhere, so nothing re-points the new thread. (examples.md 3's 12-step subreaper path also works in v4, but is not the shortest.)",
		},
		{
			Name:     "v4-clone-parent-thread",
			Question: "In v4, can a thread of a CLONE_PARENT child keep a caba pointing at the released grand-parent?",
			Source:   "kernel-semantics.md 3.2 item 1(b), 4.5 scenario 3",
			Check:    "NoDanglingCaba", Tasks: 5, Actions: linux.Threads | linux.CloneParent,
			Expect: join([]Expect{violated(v4, 8)}, holds(seed, fixed)),
			Answer: "Yes in v4: the CLONE_PARENT child's caba is its creator, its thread's caba the shared real_parent; releasing that grand-parent re-points only the creator's list.",
		},
		{
			Name:     "exec-keeps-stale-caba",
			Question: "After a non-leader thread execs, does the new leader's caba still disagree with the cabds list de_thread moved it onto?",
			Source:   "kernel-semantics.md 3.2 item 2, 4.5 scenario 2 (first half), invariant I2",
			Check:    "CabdListMatchesCaba", Tasks: 3, Actions: linux.Threads | linux.Exec,
			Expect: join([]Expect{violated(v3, 6)}, holds(seed, v4, fixed)),
			Answer: "Yes in v3 at three tasks: de_thread moves the cabd link but not the pointer, and the exec'ing thread's caba is the old leader. The seed and v4 need more tasks to get there (see the matrix).",
		},
		{
			Name:     "v3-exec-forget-caba-uaf",
			Question: "In v3, after an exec from a thread, does forget_caba later splice onto the freed old leader when the new leader is released?",
			Source:   "kernel-semantics.md 3.2 item 2 (second half), 4.5 scenario 2",
			Check:    "NoUseAfterFree", Tasks: 4, Actions: linux.Threads | linux.Exec,
			Expect: join([]Expect{violated(v3, 12)}, holds(seed, v4, fixed)),
			Answer: "Yes in v3: new_caba = tsk->caba is the freed old leader, and its cabds list is written (memory corruption, not just a stale read).",
		},
		{
			Name:     "leader-caba-hashed",
			Question: "Is every leader's caba hashed, as the review notes claim for v3/v4 ('inductively every leader's caba is hashed')?",
			Source:   "kernel-semantics.md 3.2, 'Items I looked for and did not find to be problems', and item 2",
			Check:    invariants.LeaderCabaHashed, Tasks: 4, Actions: linux.DefaultActions,
			Expect: join([]Expect{violated(v3, 7)}, holds(seed, v4, fixed)),
			Answer: "No for v3: the induction misses de_thread, which makes a thread whose caba is the old leader the new leader; the old leader is then released. v4 and the seed hold at this bound.",
		},
		{
			Name:     "seed-handoff-from-thread-caba",
			Question: "In the seed, when the last alive thread of a reparented process exits, does the hand-off walk from that thread's own (stale) caba and give the process's CABDs the wrong CABA?",
			Source:   "kernel-semantics.md 3.2 item 3, 4.5 scenario 5",
			Check:    "CabaClosestNotified", Scenario: "seed_handoff_from_thread_caba.txt",
			Expect: []Expect{violated(seed, 11)},
			Answer: "Yes: the child's caba becomes init (the walk starts from the thread's caba, init) instead of its alive born grand-grand-parent.",
		},
		{
			Name:     "seed-handoff-walks-freed-caba",
			Question: "In the seed, can that hand-off walk start from a caba that was already released (a use-after-free in find_new_caba itself)?",
			Source:   "kernel-semantics.md 3.2 item 3 ('and UAF in the walk itself if R was already freed')",
			Check:    "NoUseAfterFree", Scenario: "seed_handoff_walks_freed_caba.txt",
			Expect: []Expect{violated(seed, 17)},
			Answer: "Yes: after the subreaper is released, the reparented process's last thread exits with children and find_new_caba reads the freed subreaper.",
		},
		{
			Name:     "v4-exec-leader-releases-freed-caba",
			Question: "In v4, can a thread whose caba was released exec, lead its process, and have its own release_task write the freed caba's cabds list?",
			Source:   "the complete 6-task search (docs/findings.md, 6 tasks, complete); reproduced on the v4 KASAN kernel (kernel/cex/v4.txt)",
			Check:    "NoUseAfterFree", Scenario: "v4_exec_leader_releases_freed_caba.txt",
			Expect: []Expect{violated(v4, 18)},
			Answer: "Yes, in 18 steps with six tasks, the shortest there is (5 tasks show no use-after-free in v4): v4 gives the thread of a CLONE_PARENT child its creator's real_parent as caba; that task is reaped and released while the thread lives; the thread execs and becomes the leader, and its release_task unlinks it from the freed task's cabds list. On the v4 KASAN kernel the program fails at the model's step with BUG: KASAN: use-after-free in release_task; the fix's complete 6-task search has no use-after-free and its kernel runs the trace clean.",
		},
		{
			Name:     "seed-clone-parent-loses-creator",
			Question: "Does a CLONE_PARENT child get its grand-parent as caba instead of its creator (seed), and does v3's caba = current fix it?",
			Source:   "kernel-semantics.md 3.2 item 4; examples.md 2",
			Check:    OwnReading, Tasks: 3, Actions: linux.CloneParent,
			Expect: join([]Expect{violated(seed, 2)}, holds(v3, v4, fixed)),
			Answer: "Yes in the seed (two steps), under its own reading; v3, v4 and the fix record the creator.",
		},
		{
			Name:     "seed-pf-exiting-window",
			Question: "In the seed, does the hand-off skip an ancestor that has set PF_EXITING but not yet run exit_notify (and so contradict the seed's own reading)?",
			Source:   "kernel-semantics.md 3.2 item 5, 4.4 window 1",
			Check:    OwnReading, Tasks: 4, Actions: 0,
			Expect: join([]Expect{violated(seed, 6)}, holds(v3, v4, fixed)),
			Answer: "Yes: with no optional action at all, a grand-child's caba skips its exiting grand-parent (find_alive_thread ignores PF_EXITING tasks) for a task further up, though the grand-parent has not run exit_notify yet.",
		},
		{
			Name:     "zombie-stays-caba",
			Question: "Do v3 and v4 keep an exited, unreaped process as the caba of its children (so NScaba and PPid diverge), where the seed moves them at exit_notify?",
			Source:   "kernel-semantics.md 3.2 item 6, 4.5 scenario 6",
			Check:    "CabaClosestNotified", Tasks: 3, Actions: 0,
			Expect: join([]Expect{violated(v3, 4), violated(v4, 4), violated(fixed, 4)}, holds(seed)),
			Answer: "Yes, by design in v3/v4 ('zombies can be somebodies caba until fully released'), and the fix keeps that reading; CabaClosestNotified (the seed's reading) fails after the four steps fork, fork, exit, exit_notify.",
		},
		{
			Name:     "autoreap-moves-at-release",
			Question: "When the parent ignores SIGCHLD, does an exiting process stop being a caba as soon as it is auto-reaped, in every revision?",
			Source:   "kernel-semantics.md 4.5 scenario 6 (second half), 4.4 window 5",
			Check:    OwnReading, Scenario: "autoreap_moves_at_release.txt",
			Expect: holds(seed, v3, v4, fixed),
			Answer: "Yes: after exit_notify (auto-reap to EXIT_DEAD) and release_task, the child's caba is init in every revision; in between (the autoreap window) v3/v4 still point at the dead task, which is hashed, so nothing dangles.",
		},
		{
			Name:     "nscaba-tid-not-tgid",
			Question: "Can NScaba print a TID that names a non-leader thread, where PPid prints the parent's process (TGID)?",
			Source:   "kernel-semantics.md 3.2 item 11, 1.3 (NScaba output semantics)",
			Check:    invariants.NScabaNamesProcess, Tasks: 4, Actions: linux.Threads,
			Expect: join([]Expect{violated(seed, 3), violated(v3, 3), violated(v4, 3)}, holds(fixed)),
			Answer: "Yes in every posted revision, in three steps: a process forked by a non-leader thread (seed, v4), or in v3 a thread created by a thread, whose NScaba names its sibling. The fix prints the caba's TGID.",
			Model:  "The model has no TIDs; linux.TID derives them from the state (a leader shows its TGID, the founding slot; other tasks their slot; in the de_thread window the old leader shows the new leader's old TID), and Revision.NScaba is what each revision prints.",
		},
		{
			Name:     "exec-tid-swap-window",
			Question: "Between de_thread's TID swap and the old leader's release, does NScaba of a process whose caba is the old leader print the exec'ing thread's old TID?",
			Source:   "kernel-semantics.md 3.2 item 12, 4.4 window 6",
			Check:    invariants.NScabaNamesProcessDuringExec, Tasks: 4, Actions: linux.Threads | linux.Exec,
			Expect: join([]Expect{violated(v3, 6), violated(v4, 7)}, holds(seed, fixed)),
			Answer: "Yes in v3 and v4 (their CABDs stay on the zombie old leader until its release; in v3 the exec'ing thread's own caba is the old leader, so its NScaba shows its own old TID after 6 steps); the seed handed them over at the old leader's exit_notify; the fix prints the TGID, which the swap does not change.",
			Model:  "Uses the derived TIDs of nscaba-tid-not-tgid: after ExecSwap(t) and before Release of the old leader l, l carries t's old TID.",
		},
		{
			Name:     "threads-agree-on-caba",
			Question: "Do all threads of a process agree on caba (what /proc/<pid>/task/<tid>/status prints)?",
			Source:   "kernel-semantics.md 4.5 invariant I3",
			Check:    "ThreadsAgreeOnCaba", Tasks: 4, Actions: linux.DefaultActions,
			Expect: join([]Expect{violated(v3, 2), violated(v4, 3)}, holds(seed, fixed)),
			Answer: "No in v3 (after any CLONE_THREAD) and v4 (CLONE_PARENT then a thread); the seed holds at four tasks but not at five (the matrix: a process reparented to init, then a thread of it, 6 steps); the fix holds.",
		},
		{
			Name:     "selftest",
			Question: "Does the posted selftest's scenario give caba(2)=1, caba(4)=2, caba(5)=4, caba(7)=4 in every revision, the fix included?",
			Source:   "kernel-semantics.md 2.2, 4.5 invariant I6; model.md 'The selftest scenario'",
			Check:    OwnReading, Scenario: "selftest.txt",
			Expect: holds(seed, v3, v4, fixed),
			Answer: "Yes: the scenario's golden caba line holds in all four, and each revision's intended reading holds at its end; the selftest cannot tell the revisions apart (3.2 item 13).",
		},
		{
			Name:     "selftest-tree-criu",
			Question: "Can CRIU, without CABA, restore the selftest's tree with its sessions (processes reparented away from the session they were born in)?",
			Source:   "restore.md (the restorability property, the selftest's tree); criu/pstree.c prepare_pstree_ids",
			Check:    invariants.RestorableCRIU, Scenario: "../restore/selftest.txt",
			Expect: []Expect{{Revision: seed, Violated: true, Length: 18}, {Revision: v3, Violated: true, Length: 18}, {Revision: v4, Violated: true, Length: 18}, {Revision: fixed, Violated: true, Length: 18}},
			Answer: "No, under every revision (CRIU does not read NScaba): its born-sid pass walks the parent tree, and 5's parent 4 is in session 4 while 5 is in session 2, a session whose leader 2 is not among 5's ancestors; CRIU finds no session leader to create 5 from and refuses.",
		},
		{
			Name:     "selftest-tree-caba",
			Question: "Is the caba tree enough to restore the selftest's tree, the caba values included (the patch's purpose)?",
			Source:   "restore.md; the patch's cover letter (seeds/)",
			Check:    invariants.RestorableCABA, Scenario: "../restore/selftest.txt",
			Expect: holds(seed, v3, v4, fixed),
			Answer: "Yes, under every revision: the caba tree says 5 was born in 4's process after 2's session began, so the CABA planner creates 5 from a helper in session 2 under 4's creation order, reparents it as the image shows, and a re-dump prints the same NScaba values.",
		},
		{
			Name:     "criu-pgrp-leader-left",
			Question: "Can CRIU restore every dumpable tree once processes change process groups, even without reparenting?",
			Source:   "restore.md; criu/cr-restore.c restore_pgid (a member waits for its group leader's pgrp_set)",
			Check:    invariants.RestorableCRIU, Tasks: 4, Actions: linux.Sessions,
			Expect: []Expect{violated(seed, 4), violated(v3, 4), violated(v4, 4), violated(fixed, 4)},
			Answer: "No, in four steps under every revision: a process that made its own process group, forked into it and then went back to its parent's group leaves a group whose id names it; CRIU makes it the group's leader to wait for, and it never sets pgrp_set, so the restore hangs. CABA does not change this (it is a limit of CRIU's restore_pgid), and the CABA planner, which creates the group from a helper, restores it.",
		},
		{
			Name:     "caba-planner-threads",
			Question: "With threads and sessions, does every dumpable state carry enough in NScaba for the CABA planner to restore tree and caba values?",
			Source:   "restore.md; kernel-semantics.md 3.2 item 1 (thread cabas)",
			Check:    invariants.RestorableCABA, Tasks: 4, Actions: linux.Threads | linux.Sessions,
			Expect: join([]Expect{violated(v3, 6)}, holds(seed, v4, fixed)),
			Answer: "Not in v3: after a thread created by a thread exits and is released, the surviving thread's NScaba names the released task (the dangling caba of v3-thread-created-thread), a value no restore can reproduce. The seed, v4 and the fix restore every state at this bound; v4 fails with more actions (the restorability section).",
		},
	}
}
