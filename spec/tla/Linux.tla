-------------------------------- MODULE Linux --------------------------------
(***************************************************************************)
(* The Linux task tree and the CABA patch, at the granularity of the       *)
(* kernel's atomic steps (one step = one section under tasklist_lock).     *)
(*                                                                         *)
(* This is ../shared/docs/model.md written as TLA+, with the decisions of  *)
(* docs/model.md; it is independent of the Go model (spec/linux) and is    *)
(* checked against it state for state (spec/tla/tlc_test.go, docs/tla.md). *)
(*                                                                         *)
(* Task slots are 1..N (N = the task budget, init included); slot 1 is     *)
(* init, 0 is init_task (swapper), which never changes and is no slot.     *)
(* Slots are never reused: the k-th fork or clone takes the lowest unborn  *)
(* slot.  A thread group (process) is named by its founding slot g         *)
(* (tg[g] = g) and keeps that name across de_thread.                       *)
(*                                                                         *)
(* Every action ends in Commit(Canon(s)): a Released task keeps only its   *)
(* state, and its tg and born if it founded its group; a group whose tasks *)
(* are all Released loses its per-group fields.  So two states are equal   *)
(* iff the kernel could not tell them apart, and distinct-state counts are *)
(* those of the Go checker.                                                *)
(***************************************************************************)
EXTENDS Integers

CONSTANTS
    N,              \* task budget, init included
    \* The revision's choices, as linux.Choices() names them:
    fork_caba,      \* "real-parent" | "current": caba of fork / CLONE_PARENT
    thread_caba,    \* "real-parent" | "current" | "leader-caba": caba of CLONE_THREAD
    hand_off,       \* "exit-notify" | "release": when the cabds are handed on
    new_caba,       \* "alive-then-chain" | "forget": who they are handed to
    de_thread,      \* "keep" | "leader-caba": caba of the thread de_thread promotes
    \* The optional action sets that are on, a subset of
    \* {"threads", "clone-parent", "exec", "subreaper", "ignore-sigchld"}:
    Actions

ASSUME N \in 2..14
ASSUME fork_caba \in {"real-parent", "current"}
ASSUME thread_caba \in {"real-parent", "current", "leader-caba"}
ASSUME hand_off \in {"exit-notify", "release"}
ASSUME new_caba \in {"alive-then-chain", "forget"}
ASSUME de_thread \in {"keep", "leader-caba"}
ASSUME Actions \subseteq {"threads", "clone-parent", "exec", "subreaper", "ignore-sigchld"}

Slots == 1..N
None == -1          \* an absent slot pointer (cabdOf of a thread, exec of an idle group)
Freed == -2         \* what a caba walk returns when it reads a freed task_struct
Status == {"Unborn", "Running", "Exiting", "Zombie", "Dead", "Released"}

VARIABLES
    \* per task slot i
    st,       \* lifecycle: Running; Exiting = PF_EXITING before exit_notify;
              \* Zombie = EXIT_ZOMBIE; Dead = EXIT_DEAD, still hashed; Released = unhashed
    tg,       \* thread group (signal_struct), named by its founding slot; 0 unborn
    parent,   \* real_parent (a thread); 0 = init_task
    caba,     \* the patch's caba pointer; 0 = init_task
    cabdOf,   \* the task whose cabds list holds i's cabd link, or None
    born,     \* ghost, processes only: the group that ran clone() for i; 0 for threads
    \* per group g (indexed by the founding slot)
    leader,   \* group_leader
    sub,      \* is_child_subreaper
    hasSub,   \* has_child_subreaper
    ign,      \* SIGCHLD is SIG_IGN: children are auto-reaped
    exec,     \* the thread running de_thread, or None
    \* global
    corrupt   \* the last step read or wrote a freed task_struct: no successors

vars == <<st, tg, parent, caba, cabdOf, born, leader, sub, hasSub, ign, exec, corrupt>>

TypeOK ==
    /\ st \in [Slots -> Status]
    /\ tg \in [Slots -> 0..N]
    /\ parent \in [Slots -> 0..N]
    /\ caba \in [Slots -> 0..N]
    /\ cabdOf \in [Slots -> 0..N \cup {None}]
    /\ born \in [Slots -> 0..N]
    /\ leader \in [Slots -> 0..N]
    /\ sub \in [Slots -> BOOLEAN]
    /\ hasSub \in [Slots -> BOOLEAN]
    /\ ign \in [Slots -> BOOLEAN]
    /\ exec \in [Slots -> Slots \cup {None}]
    /\ corrupt \in BOOLEAN

(***************************************************************************)
(* An action computes its successor as a record s (fields named as the     *)
(* variables), in the order the kernel does its writes, and commits it.    *)
(***************************************************************************)
Cur == [st |-> st, tg |-> tg, parent |-> parent, caba |-> caba, cabdOf |-> cabdOf,
        born |-> born, leader |-> leader, sub |-> sub, hasSub |-> hasSub,
        ign |-> ign, exec |-> exec, corrupt |-> corrupt]

Min(S) == CHOOSE x \in S : \A y \in S : x <= y

\* Reading a pointer that may be init_task (0): its fields are all 0/false.
TgOf(s, x)     == IF x \in Slots THEN s.tg[x] ELSE 0
ParentOf(s, x) == IF x \in Slots THEN s.parent[x] ELSE 0
CabaOf(s, x)   == IF x \in Slots THEN s.caba[x] ELSE 0
LeaderOf(s, g) == IF g \in Slots THEN s.leader[g] ELSE 0
SubOf(s, g)    == g \in Slots /\ s.sub[g]
HasSubOf(s, g) == g \in Slots /\ s.hasSub[g]
IgnOf(s, g)    == g \in Slots /\ s.ign[g]
ExecOf(s, g)   == IF g \in Slots THEN s.exec[g] ELSE None

Hashed(s, i)   == i \in Slots /\ s.st[i] \in {"Running", "Exiting", "Zombie", "Dead"}
IsLeader(s, i) == s.tg[i] # 0 /\ s.leader[s.tg[i]] = i
\* t->children: the hashed leaders whose real_parent is thread t.
IsChild(s, c, t) == Hashed(s, c) /\ s.parent[c] = t /\ IsLeader(s, c)
\* find_alive_thread: the lowest Running thread of g other than except (None if none).
FindAlive(s, g, except) ==
    LET A == {i \in Slots : i # except /\ s.st[i] = "Running" /\ s.tg[i] = g}
    IN  IF A = {} THEN None ELSE Min(A)
\* thread_group_empty: the leader of g is its only hashed task.
GroupEmpty(s, g) == \A i \in Slots : (i # LeaderOf(s, g) /\ s.tg[i] = g) => ~Hashed(s, i)
GroupHashed(s, g) == \E i \in Slots : s.tg[i] = g /\ Hashed(s, i)
GroupNotified(s, g) == \E i \in Slots : s.tg[i] = g /\ s.st[i] \in {"Running", "Exiting"}
NextFree(s) == LET U == {i \in Slots : s.st[i] = "Unborn"} IN IF U = {} THEN None ELSE Min(U)

\* The common guard: t runs and no exec is under way in its group.
Acting(s, t) == s.st[t] = "Running" /\ ExecOf(s, s.tg[t]) = None

(***************************************************************************)
(* The canonical form (model.md).                                          *)
(***************************************************************************)
Canon(s) ==
    LET rel(i)     == s.st[i] = "Released"
        founder(i) == s.tg[i] = i
        gone(g)    == s.tg[g] = g /\ rel(g) /\ ~GroupHashed(s, g)
    IN  [s EXCEPT
           !.tg     = [i \in Slots |-> IF rel(i) /\ ~founder(i) THEN 0 ELSE s.tg[i]],
           !.born   = [i \in Slots |-> IF rel(i) /\ ~founder(i) THEN 0 ELSE s.born[i]],
           !.parent = [i \in Slots |-> IF rel(i) THEN 0 ELSE s.parent[i]],
           !.caba   = [i \in Slots |-> IF rel(i) THEN 0 ELSE s.caba[i]],
           !.cabdOf = [i \in Slots |-> IF rel(i) THEN None ELSE s.cabdOf[i]],
           !.leader = [g \in Slots |-> IF gone(g) THEN 0 ELSE s.leader[g]],
           !.sub    = [g \in Slots |-> IF gone(g) THEN FALSE ELSE s.sub[g]],
           !.hasSub = [g \in Slots |-> IF gone(g) THEN FALSE ELSE s.hasSub[g]],
           !.ign    = [g \in Slots |-> IF gone(g) THEN FALSE ELSE s.ign[g]],
           !.exec   = [g \in Slots |-> IF gone(g) THEN None ELSE s.exec[g]]]

\* (The \E over a one-element set makes TLC evaluate the successor once.)
Commit(s) ==
    \E c \in {Canon(s)} :
    /\ st' = c.st /\ tg' = c.tg /\ parent' = c.parent /\ caba' = c.caba
    /\ cabdOf' = c.cabdOf /\ born' = c.born /\ leader' = c.leader /\ sub' = c.sub
    /\ hasSub' = c.hasSub /\ ign' = c.ign /\ exec' = c.exec /\ corrupt' = c.corrupt

(***************************************************************************)
(* Building blocks of exit and release.                                    *)
(***************************************************************************)
\* do_notify_parent for leader l whose group is empty: auto-reaped (Dead)
\* when its parent's group ignores SIGCHLD, else a reapable Zombie.
Notify(s, l) ==
    [s EXCEPT !.st[l] = IF IgnOf(s, TgOf(s, s.parent[l])) THEN "Dead" ELSE "Zombie"]

\* find_new_reaper's walk: from r up the real_parent chain, the first
\* subreaper with an alive thread (that thread), else init.
RECURSIVE SubreaperFrom(_, _)
SubreaperFrom(s, r) ==
    IF r = 0 THEN 1
    ELSE IF SubOf(s, TgOf(s, r)) /\ FindAlive(s, TgOf(s, r), None) # None
         THEN FindAlive(s, TgOf(s, r), None)
         ELSE SubreaperFrom(s, ParentOf(s, r))

\* find_new_reaper: another alive thread, else (has_child_subreaper) the
\* closest subreaper ancestor with an alive thread, else init.
FindReaper(s, t) ==
    LET g == s.tg[t] IN
    IF FindAlive(s, g, t) # None THEN FindAlive(s, g, t)
    ELSE IF HasSubOf(s, g) THEN SubreaperFrom(s, s.parent[t])
    ELSE 1

HasCabds(s, t) == \E p \in Slots : s.cabdOf[p] = t

\* Every CABD of from (each leader p on from's cabds list, and every hashed
\* thread of p's group) now points at to; the list is spliced onto to's.
MoveCabds(s, from, to) ==
    LET P == {p \in Slots : s.cabdOf[p] = from}
        H == {s.tg[p] : p \in P}
    IN  [s EXCEPT
           !.caba   = [u \in Slots |-> IF s.tg[u] \in H /\ Hashed(s, u) THEN to ELSE s.caba[u]],
           !.cabdOf = [p \in Slots |-> IF p \in P THEN to ELSE s.cabdOf[p]]]

\* v1/v2's find_new_caba walk along the caba chain from c: the first task
\* whose group has an alive thread (that thread), 0 at init_task, Freed
\* when it reads a released task (or cycles: a lockup).
RECURSIVE ChainCaba(_, _, _)
ChainCaba(s, c, steps) ==
    IF c = 0 THEN 0
    ELSE IF ~Hashed(s, c) \/ steps > N THEN Freed
    ELSE IF FindAlive(s, s.tg[c], None) # None THEN FindAlive(s, s.tg[c], None)
    ELSE ChainCaba(s, s.caba[c], steps + 1)

\* v1/v2's find_new_caba: another alive thread of t's group, else the chain.
\* A walk through freed memory is a use-after-free: the hand-off is skipped.
FindNewCaba(s, t) ==
    LET to == IF FindAlive(s, s.tg[t], t) # None THEN FindAlive(s, s.tg[t], t)
              ELSE ChainCaba(s, s.caba[t], 0)
    IN  IF to = Freed THEN [s EXCEPT !.corrupt = TRUE] ELSE MoveCabds(s, t, to)

\* v3's forget_caba: a leader hands its cabds to its own caba, a thread to
\* its group leader; splicing onto a released task's list is a use-after-free
\* (the live tasks are re-pointed all the same).
ForgetCaba(s, x) ==
    LET to == IF IsLeader(s, x) THEN s.caba[x] ELSE s.leader[s.tg[x]]
        s1 == IF to # 0 /\ ~Hashed(s, to) THEN [s EXCEPT !.corrupt = TRUE] ELSE s
    IN  MoveCabds(s1, x, to)

\* The hand-off of t's cabds, done only when the list is non-empty.
HandOff(s, t) ==
    IF ~HasCabds(s, t) THEN s
    ELSE IF new_caba = "alive-then-chain" THEN FindNewCaba(s, t)
    ELSE ForgetCaba(s, t)

\* Leader p's cabd link sits on the list of a released task.
FreedList(s, p) == s.cabdOf[p] \notin {None, 0} /\ ~Hashed(s, s.cabdOf[p])

\* walk_process_tree from group g: the groups reached through the children of
\* their hashed threads, not entering a group that has has_child_subreaper.
RECURSIVE Descend(_, _, _)
Descend(s, frontier, seen) ==
    LET next == {s.tg[c] : c \in {c \in Slots :
                     \E u \in Slots : s.tg[u] \in frontier /\ Hashed(s, u) /\ IsChild(s, c, u)}}
        new  == {h \in next : ~s.hasSub[h]} \ seen
    IN  IF new = {} THEN seen ELSE Descend(s, new, seen \cup new)

(***************************************************************************)
(* The actions: one per kernel step.  t is the acting thread, g = tg[t].   *)
(***************************************************************************)
Init ==
    /\ st = [i \in Slots |-> IF i = 1 THEN "Running" ELSE "Unborn"]
    /\ tg = [i \in Slots |-> IF i = 1 THEN 1 ELSE 0]
    /\ parent = [i \in Slots |-> 0]
    /\ caba = [i \in Slots |-> 0]
    /\ cabdOf = [i \in Slots |-> IF i = 1 THEN 0 ELSE None]   \* init is on init_task's cabds
    /\ born = [i \in Slots |-> 0]
    /\ leader = [g \in Slots |-> IF g = 1 THEN 1 ELSE 0]
    /\ sub = [g \in Slots |-> FALSE]
    /\ hasSub = [g \in Slots |-> FALSE]
    /\ ign = [g \in Slots |-> FALSE]
    /\ exec = [g \in Slots |-> None]
    /\ corrupt = FALSE

\* fork(), and with viaParent clone(CLONE_PARENT): a new process n.
NewProcess(t, viaParent) ==
    LET s == Cur
        g == s.tg[t]
        n == NextFree(s)
        p == IF viaParent THEN s.parent[t] ELSE t    \* the new real_parent
        pg == TgOf(s, p)
        c == IF fork_caba = "real-parent" THEN p ELSE t
    IN
    /\ ~corrupt
    /\ Acting(s, t)
    /\ n # None
    /\ Commit([s EXCEPT
         !.st[n] = "Running", !.tg[n] = n, !.leader[n] = n, !.parent[n] = p,
         !.born[n] = g,
         !.hasSub[n] = HasSubOf(s, pg) \/ SubOf(s, pg),   \* follows the real parent
         !.ign[n] = s.ign[g],                            \* copied from the creator
         !.sub[n] = FALSE, !.exec[n] = None,
         !.caba[n] = c, !.cabdOf[n] = c])

Fork(t) == NewProcess(t, FALSE)

ForkParent(t) ==
    /\ "clone-parent" \in Actions
    /\ tg[t] # 1           \* init is SIGNAL_UNKILLABLE: no CLONE_PARENT
    /\ NewProcess(t, TRUE)

\* clone(CLONE_THREAD): a new thread n of g, not on any cabds list.
Clone(t) ==
    LET s == Cur
        g == s.tg[t]
        n == NextFree(s)
        c == CASE thread_caba = "real-parent" -> s.parent[t]
               [] thread_caba = "current"     -> t
               [] thread_caba = "leader-caba" -> s.caba[s.leader[g]]
    IN
    /\ "threads" \in Actions
    /\ ~corrupt
    /\ Acting(s, t)
    /\ g # 1
    /\ n # None
    /\ Commit([s EXCEPT
         !.st[n] = "Running", !.tg[n] = g, !.parent[n] = s.parent[t],
         !.cabdOf[n] = None, !.born[n] = 0, !.caba[n] = c])

\* prctl(PR_SET_CHILD_SUBREAPER, on); turning it on marks the descendants.
SetSubreaper(t, on) ==
    LET s == Cur
        g == s.tg[t]
        s1 == [s EXCEPT !.sub[g] = on]
        D == IF on THEN Descend(s1, {g}, {}) ELSE {}
    IN
    /\ "subreaper" \in Actions
    /\ ~corrupt
    /\ Acting(s, t)
    /\ s.sub[g] # on
    /\ Commit([s1 EXCEPT !.hasSub = [h \in Slots |-> IF h \in D THEN TRUE ELSE s1.hasSub[h]]])

\* SIGCHLD set to SIG_IGN.
IgnoreSigchld(t) ==
    LET g == tg[t] IN
    /\ "ignore-sigchld" \in Actions
    /\ ~corrupt
    /\ Acting(Cur, t)
    /\ ~ign[g]
    /\ Commit([Cur EXCEPT !.ign[g] = TRUE])

\* exit_signals: PF_EXITING.  Threads killed by an exec may exit; the thread
\* running the exec may not.
ExitBegin(t) ==
    LET g == tg[t] IN
    /\ ~corrupt
    /\ st[t] = "Running"
    /\ g # 1
    /\ exec[g] # t
    /\ Commit([Cur EXCEPT !.st[t] = "Exiting"])

\* exit_notify: forget_original_parent, (seed) the cabd hand-off, exit state.
ExitNotify(t) ==
    LET s == Cur
        g == s.tg[t]
        reaper == FindReaper(s, t)
        kids == {c \in Slots : IsChild(s, c, t)}
        hs == {s.tg[c] : c \in kids}
        \* every hashed thread of each child's group gets the reaper as real_parent
        s1 == [s EXCEPT !.parent = [u \in Slots |->
                  IF s.tg[u] \in hs /\ Hashed(s, u) THEN reaper ELSE s.parent[u]]]
        \* a zombie child with an empty group, reparented outside g, is notified
        notified == {c \in kids : TgOf(s1, reaper) # g /\ s1.st[c] = "Zombie"
                                  /\ GroupEmpty(s1, s1.tg[c])}
        mode(c) == IF IgnOf(s1, TgOf(s1, s1.parent[c])) THEN "Dead" ELSE "Zombie"
        s2 == [s1 EXCEPT !.st = [u \in Slots |-> IF u \in notified THEN mode(u) ELSE s1.st[u]]]
        s3 == IF hand_off = "exit-notify" THEN HandOff(s2, t) ELSE s2
        s4 == IF IsLeader(s3, t)
              THEN IF GroupEmpty(s3, g) THEN Notify(s3, t)
                   ELSE [s3 EXCEPT !.st[t] = "Zombie"]     \* delay_group_leader
              ELSE [s3 EXCEPT !.st[t] = "Dead"]            \* a thread reaps itself
    IN
    /\ ~corrupt
    /\ st[t] = "Exiting"
    /\ Commit(s4)

\* wait_task_zombie: running thread w claims zombie leader c, a child of a
\* thread of w's group, whose group is empty.
Reap(w, c) ==
    /\ ~corrupt
    /\ Acting(Cur, w)
    /\ st[c] = "Zombie"
    /\ IsLeader(Cur, c)
    /\ GroupEmpty(Cur, tg[c])
    /\ parent[c] # 0
    /\ TgOf(Cur, parent[c]) = tg[w]
    /\ Commit([Cur EXCEPT !.st[c] = "Dead"])

\* release_task: (v3/v4) the cabd hand-off, __unhash_process, the delayed
\* leader's notification, and de_thread's wake-up.
Release(x) ==
    LET s == Cur
        g == s.tg[x]
        wasLeader == IsLeader(s, x)
        s1 == IF hand_off = "release" THEN HandOff(s, x) ELSE s
        s2 == IF wasLeader
              THEN [s1 EXCEPT !.corrupt = s1.corrupt \/ FreedList(s1, x),  \* list_del_init(&x->cabd)
                              !.cabdOf[x] = None]
              ELSE s1
        s3 == [s2 EXCEPT !.st[x] = "Released"]
        l == s3.leader[g]
        s4 == IF ~wasLeader /\ s3.st[l] = "Zombie" /\ GroupEmpty(s3, g) THEN Notify(s3, l) ELSE s3
        e == s4.exec[g]
        s5 == IF e # None /\ e = s4.leader[g] /\ GroupEmpty(s4, g)
              THEN [s4 EXCEPT !.exec[g] = None]       \* de_thread returns
              ELSE s4
    IN
    /\ ~corrupt
    /\ st[x] = "Dead"
    /\ Commit(s5)

\* de_thread starts: zap_other_threads.  Every other thread may now only exit.
ExecBegin(t) ==
    LET g == tg[t] IN
    /\ "exec" \in Actions
    /\ ~corrupt
    /\ Acting(Cur, t)
    /\ g # 1
    /\ {u \in Slots : u # t /\ tg[u] = g /\ Hashed(Cur, u)} # {}   \* another hashed thread
    /\ Commit([Cur EXCEPT !.exec[g] = t])

\* de_thread takes over the zombie leader l: t becomes the leader, l's cabd
\* link moves to t (list_replace_init), l becomes a Dead non-leader.
ExecSwap(t) ==
    LET s == Cur
        g == s.tg[t]
        l == s.leader[g]
    IN
    /\ "exec" \in Actions
    /\ ~corrupt
    /\ st[t] = "Running"
    /\ exec[g] = t
    /\ l # t
    /\ st[l] = "Zombie"
    /\ \A u \in Slots : (u # t /\ u # l /\ tg[u] = g) => ~Hashed(s, u)
    /\ Commit([s EXCEPT
         !.corrupt = FreedList(s, l),
         !.leader[g] = t,
         !.cabdOf[t] = s.cabdOf[l],
         !.cabdOf[l] = None,
         !.st[l] = "Dead",
         !.caba[t] = IF de_thread = "leader-caba" THEN s.caba[l] ELSE s.caba[t]])

Next ==
    \E t \in Slots :
        \/ Fork(t)
        \/ ForkParent(t)
        \/ Clone(t)
        \/ \E on \in BOOLEAN : SetSubreaper(t, on)
        \/ IgnoreSigchld(t)
        \/ ExitBegin(t)
        \/ ExitNotify(t)
        \/ \E c \in Slots : Reap(t, c)
        \/ Release(t)
        \/ ExecBegin(t)
        \/ ExecSwap(t)

Spec == Init /\ [][Next]_vars

(***************************************************************************)
(* Invariants, named as in `cabacheck invariants`.                         *)
(***************************************************************************)
\* --- group sanity: kernel facts, true of every revision
ParentHashed ==
    \A i \in Slots : Hashed(Cur, i) =>
        IF parent[i] = 0 THEN i = 1 ELSE Hashed(Cur, parent[i])

ThreadsShareParent ==
    \A i \in Slots : Hashed(Cur, i) =>
        parent[i] = ParentOf(Cur, LeaderOf(Cur, tg[i]))

OneLeaderPerGroup ==
    \A g \in Slots : (tg[g] = g /\ GroupHashed(Cur, g)) =>
        /\ leader[g] \in Slots
        /\ Hashed(Cur, leader[g])
        /\ tg[leader[g]] = g

ExitedHaveNoChildren ==
    \A t \in Slots : st[t] \in {"Zombie", "Dead", "Released"} =>
        ~\E c \in Slots : IsChild(Cur, c, t)

\* --- group caba: the patch's claims
NoDanglingCaba ==
    \A i \in Slots : (Hashed(Cur, i) /\ caba[i] # 0) => Hashed(Cur, caba[i])

NoUseAfterFree == ~corrupt

CabdListMatchesCaba ==
    \A p \in Slots : (Hashed(Cur, p) /\ IsLeader(Cur, p)) => cabdOf[p] = caba[p]

ThreadsAgreeOnCaba ==
    \A i \in Slots : Hashed(Cur, i) => caba[i] = CabaOf(Cur, LeaderOf(Cur, tg[i]))

RECURSIVE CabaIter(_, _)
CabaIter(c, k) == IF k = 0 \/ c = 0 THEN c ELSE CabaIter(CabaOf(Cur, c), k - 1)

CabaAcyclic == \A i \in Slots : Hashed(Cur, i) => CabaIter(i, N + 1) = 0

\* The first group on p's born chain born[tg[p]], born[born[tg[p]]], ...
\* for which Alive holds; 0 (init_task) if none.
RECURSIVE ClosestBorn(_, _, _)
ClosestBorn(g, Alive(_), steps) ==
    IF g = 0 \/ steps > N THEN 0
    ELSE IF Alive(g) THEN g
    ELSE ClosestBorn(born[g], Alive, steps + 1)

CabaClosest(Alive(_)) ==
    \A p \in 2..N : (Hashed(Cur, p) /\ IsLeader(Cur, p)) =>
        TgOf(Cur, caba[p]) = ClosestBorn(born[tg[p]], Alive, 0)

AliveHashed(g) == GroupHashed(Cur, g)
AliveNotified(g) == GroupNotified(Cur, g)

\* v3/v4's intent: a group is alive while it has a hashed task.
CabaClosestHashed == CabaClosest(AliveHashed)
\* the seed's intent: a group is alive until its last thread ran exit_notify.
CabaClosestNotified == CabaClosest(AliveNotified)

Sanity == ParentHashed /\ ThreadsShareParent /\ OneLeaderPerGroup /\ ExitedHaveNoChildren
=============================================================================
