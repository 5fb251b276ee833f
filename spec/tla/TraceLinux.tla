------------------------------ MODULE TraceLinux ------------------------------
(***************************************************************************)
(* Trace validation (in the style of etcd raft's trace checking): is a     *)
(* counterexample the Go checker printed a behaviour of Linux.tla?         *)
(*                                                                         *)
(* Trace is the Go trace: a sequence of steps, the first the initial       *)
(* state, each later one the action taken (name, t, b) and every state     *)
(* variable after it.  The behaviour is constrained to take exactly those  *)
(* actions and to reach exactly those states.  Target names the invariant  *)
(* the trace is said to violate.                                           *)
(*                                                                         *)
(* TLC then reports "Invariant TraceNotReproduced is violated" when the    *)
(* whole trace is a behaviour of the spec ending in a state that violates  *)
(* Target; "No error has been found" means it is not (the depth TLC        *)
(* reports is how far it got); a violation of TargetHoldsBefore means the  *)
(* target fails before the trace ends (the trace is not a shortest one).   *)
(***************************************************************************)
EXTENDS Linux, Sequences

CONSTANTS Trace, Target

VARIABLE i      \* the position in Trace of the current state

Matches(e) ==
    /\ st = e.st /\ tg = e.tg /\ parent = e.parent /\ caba = e.caba
    /\ cabdOf = e.cabdOf /\ born = e.born /\ leader = e.leader /\ sub = e.sub
    /\ hasSub = e.hasSub /\ ign = e.ign /\ exec = e.exec /\ corrupt = e.corrupt

\* The action a trace step names, with its parameters t and b
\* (b: SetSubreaper's on = 1 / off = 0, Reap's zombie).
Do(e) ==
    CASE e.action = "Fork"          -> Fork(e.t)
      [] e.action = "ForkParent"    -> ForkParent(e.t)
      [] e.action = "Clone"         -> Clone(e.t)
      [] e.action = "SetSubreaper"  -> SetSubreaper(e.t, e.b = 1)
      [] e.action = "IgnoreSigchld" -> IgnoreSigchld(e.t)
      [] e.action = "ExitBegin"     -> ExitBegin(e.t)
      [] e.action = "ExitNotify"    -> ExitNotify(e.t)
      [] e.action = "Reap"          -> Reap(e.t, e.b)
      [] e.action = "Release"       -> Release(e.t)
      [] e.action = "ExecBegin"     -> ExecBegin(e.t)
      [] e.action = "ExecSwap"      -> ExecSwap(e.t)
      [] OTHER                      -> FALSE

TraceInit == Init /\ Matches(Trace[1]) /\ i = 1

\* (e is bound to the step's value so that priming Matches primes only the
\* state variables, not i.)
TraceNext ==
    /\ i < Len(Trace)
    /\ \E e \in {Trace[i + 1]} :
          /\ Do(e)
          /\ Matches(e)'
          /\ i' = i + 1

TraceSpec == TraceInit /\ [][TraceNext]_<<vars, i>>

Holds(name) ==
    CASE name = "ParentHashed"         -> ParentHashed
      [] name = "ThreadsShareParent"   -> ThreadsShareParent
      [] name = "OneLeaderPerGroup"    -> OneLeaderPerGroup
      [] name = "ExitedHaveNoChildren" -> ExitedHaveNoChildren
      [] name = "NoDanglingCaba"       -> NoDanglingCaba
      [] name = "NoUseAfterFree"       -> NoUseAfterFree
      [] name = "CabdListMatchesCaba"  -> CabdListMatchesCaba
      [] name = "ThreadsAgreeOnCaba"   -> ThreadsAgreeOnCaba
      [] name = "CabaAcyclic"          -> CabaAcyclic
      [] name = "CabaClosestHashed"    -> CabaClosestHashed
      [] name = "CabaClosestNotified"  -> CabaClosestNotified

\* Violated (as TLC reports it) exactly when the trace is reproduced.
TraceNotReproduced == ~(i = Len(Trace) /\ ~Holds(Target))

\* The target holds in every state before the last.
TargetHoldsBefore == i < Len(Trace) => Holds(Target)
=============================================================================
