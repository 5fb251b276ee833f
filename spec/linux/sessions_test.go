package linux

import (
	"slices"
	"testing"

	"cabacheck/spec"
	"cabacheck/state"
)

// The sessions sets on top of every other optional action.
const withSessions = AllActions | Sessions | Execve

// runWith is runRev (pidns_test.go) under v3.
func runWith(t *testing.T, actions ActionSet, tasks int, acts ...string) []state.State {
	t.Helper()
	return runRev(t, V3, actions, tasks, acts...)
}

// last is runWith's final state.
func last(t *testing.T, actions ActionSet, tasks int, acts ...string) state.State {
	t.Helper()
	ss := runWith(t, actions, tasks, acts...)
	return ss[len(ss)-1]
}

func enabledWith(actions ActionSet, s *state.State, act string) bool {
	m := MustNew(Options{Tasks: int(s.N), Revision: V3, Actions: actions})
	a, err := ParseAction(act)
	if err != nil {
		panic(err)
	}
	var next state.State
	return m.Step(s, a, &next)
}

// expectEnabled checks each action's enabledness in s.
func expectEnabled(t *testing.T, ctx string, actions ActionSet, s *state.State, want map[string]bool) {
	t.Helper()
	var keys []string
	for a := range want {
		keys = append(keys, a)
	}
	slices.Sort(keys)
	for _, a := range keys {
		if got := enabledWith(actions, s, a); got != want[a] {
			t.Errorf("%s: %s enabled = %v, want %v", ctx, a, got, want[a])
		}
	}
}

func ids(s *state.State, g uint8) [2]uint8 { return [2]uint8{s.Sid[g], s.Pgid[g]} }

// Off by default: "all" and "default" do not include the sets; the ids are
// still kept (1 for every group with a hashed task, 0 once it is gone).
func TestSessionsOff(t *testing.T) {
	for _, as := range []ActionSet{AllActions, DefaultActions} {
		if as&(Sessions|Execve) != 0 {
			t.Errorf("%s includes sessions or execve", as)
		}
	}
	if as, err := ParseActions("all,sessions,execve"); err != nil || as != AllActions|Sessions|Execve || as.String() != "clone-parent,exec,execve,ignore-sigchld,sessions,subreaper,threads" {
		t.Errorf("all,sessions,execve: %v %v %q", as, err, as)
	}
	if as, err := ParseActions("default,sessions"); err != nil || as != DefaultActions|Sessions {
		t.Errorf("default,sessions: %v %v", as, err)
	}
	ss := runWith(t, AllActions, 4, "Fork(1)", "Clone(2)", "ForkParent(3)", "ExitBegin(4)", "ExitNotify(4)", "Reap(1, 4)", "Release(4)")
	s := ss[3]
	expect(t, "sets off", field{"ids[1]", ids(&s, 1), [2]uint8{1, 1}}, field{"ids[2]", ids(&s, 2), [2]uint8{1, 1}},
		field{"ids[4]", ids(&s, 4), [2]uint8{1, 1}}, field{"ids[3] (a thread's slot)", ids(&s, 3), [2]uint8{0, 0}})
	s = ss[7]
	expect(t, "released group", field{"ids[4]", ids(&s, 4), [2]uint8{0, 0}}, field{"execd[4]", s.Execd[4], false})
	expectEnabled(t, "sets off", AllActions, &ss[3], map[string]bool{"Setsid(2)": false, "Setpgid(1, 2, 2)": false, "Execve(4)": false})
	expectEnabled(t, "sessions on", AllActions|Sessions, &ss[3], map[string]bool{"Setsid(2)": true, "Setpgid(1, 2, 2)": true, "Execve(4)": false})
	expectEnabled(t, "execve on", AllActions|Execve, &ss[3], map[string]bool{"Setsid(2)": false, "Execve(4)": true})
}

func TestSetpgidFormat(t *testing.T) {
	a, err := ParseAction("Setpgid(2, 3, 3)")
	if err != nil || a.Kind() != KSetpgid || a.A() != 2 || a.B() != 3<<4|3 || FormatAction(a) != "Setpgid(2, 3, 3)" {
		t.Errorf("Setpgid(2, 3, 3): %v %v %q", a, err, FormatAction(a))
	}
	if a, err := ParseAction("setpgid(14,1,14)"); err != nil || FormatAction(a) != "Setpgid(14, 1, 14)" {
		t.Errorf("setpgid(14,1,14): %v %q", err, FormatAction(a))
	}
	for _, bad := range []string{"Setpgid(2, 3)", "Setpgid(2, 3, 3, 3)", "Setpgid(2, 15, 3)", "Setpgid(2, 3, 16)", "Setsid(2, 3)"} {
		if _, err := ParseAction(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	for _, s := range []string{"Setsid(3)", "Execve(4)"} {
		if a, err := ParseAction(s); err != nil || FormatAction(a) != s {
			t.Errorf("%s: %v %q", s, err, FormatAction(a))
		}
	}
}

// setsid(): the caller leads a new session and process group named by its
// process; EPERM while a process group with that id exists.
func TestSetsid(t *testing.T) {
	ss := runWith(t, withSessions, 4, "Fork(1)", "Setsid(2)", "Fork(2)")
	s := ss[2]
	expect(t, "Setsid(2)", field{"ids[2]", ids(&s, 2), [2]uint8{2, 2}}, field{"ids[1]", ids(&s, 1), [2]uint8{1, 1}})
	expectEnabled(t, "after Setsid(2)", withSessions, &s, map[string]bool{
		"Setsid(1)": false, // init leads process group 1
		"Setsid(2)": false, // 2 leads process group 2 (and session 2)
	})
	s = ss[3]
	expect(t, "fork in session 2", field{"ids[3]", ids(&s, 3), [2]uint8{2, 2}}, field{"execd[3]", s.Execd[3], false})
	// A thread calls setsid for its process.
	s = last(t, withSessions, 4, "Fork(1)", "Clone(2)", "Setsid(3)")
	expect(t, "Setsid by a thread", field{"ids[2]", ids(&s, 2), [2]uint8{2, 2}}, field{"ids[3]", ids(&s, 3), [2]uint8{0, 0}})
	// A former leader: 2 led process group 2, moved back to 1; 3 is still in 2.
	ss = runWith(t, withSessions, 4, "Fork(1)", "Setpgid(2, 2, 2)", "Fork(2)", "Setpgid(2, 2, 1)",
		"ExitBegin(3)", "ExitNotify(3)", "Reap(2, 3)", "Release(3)", "Setsid(2)")
	s = ss[4]
	expect(t, "former leader", field{"ids[2]", ids(&s, 2), [2]uint8{1, 1}}, field{"ids[3]", ids(&s, 3), [2]uint8{1, 2}})
	expectEnabled(t, "former leader", withSessions, &s, map[string]bool{"Setsid(2)": false, "Setsid(3)": true})
	for k := 5; k <= 7; k++ { // exiting, zombie, dead: still hashed, process group 2 still exists
		expectEnabled(t, "member exiting", withSessions, &ss[k], map[string]bool{"Setsid(2)": false})
	}
	s = ss[9]
	expect(t, "setsid once the group is gone", field{"ids[2]", ids(&s, 2), [2]uint8{2, 2}})
	// No setsid while an exec is under way, nor by a thread being killed.
	s = last(t, withSessions, 4, "Fork(1)", "Clone(2)", "ExecBegin(3)")
	expectEnabled(t, "exec under way", withSessions, &s, map[string]bool{"Setsid(2)": false, "Setsid(3)": false})
}

// setpgid(c, p): the guards of sys_setpgid, each refusal disabled.
func TestSetpgidGuards(t *testing.T) {
	// ESRCH: c is the caller's process or a child process of one of its threads.
	s := last(t, withSessions, 5, "Fork(1)", "Fork(2)", "Clone(2)", "Fork(4)")
	expectEnabled(t, "ESRCH", withSessions, &s, map[string]bool{
		"Setpgid(1, 2, 2)": true,  // child
		"Setpgid(1, 3, 3)": false, // grandchild
		"Setpgid(2, 3, 3)": true,  // child
		"Setpgid(4, 3, 3)": true,  // child of another thread of the caller's process
		"Setpgid(2, 5, 5)": true,  // child of thread 4 of 2
		"Setpgid(3, 2, 2)": false, // the parent
		"Setpgid(1, 4, 4)": false, // 4 is a thread: no process 4
		"Setpgid(2, 2, 2)": true,  // itself
		"Setpgid(4, 2, 2)": true,  // itself, called by a thread
		"Setpgid(2, 6, 6)": false, // no such process (beyond the budget)
	})
	// Zombie and dead (unreleased) children are still found; released ones not.
	ss := runWith(t, withSessions, 3, "Fork(1)", "ExitBegin(2)", "ExitNotify(2)", "Reap(1, 2)", "Release(2)")
	for k, want := range []bool{true, true, true, true, false} {
		expectEnabled(t, ss[k+1].St[2].String(), withSessions, &ss[k+1], map[string]bool{"Setpgid(1, 2, 2)": want})
	}
	// EPERM: a session leader, itself or a child.
	s = last(t, withSessions, 4, "Fork(1)", "Setsid(2)", "Fork(2)", "Setpgid(2, 3, 3)")
	expect(t, "3 leads process group 3 in session 2", field{"ids[3]", ids(&s, 3), [2]uint8{2, 3}})
	expectEnabled(t, "session leader", withSessions, &s, map[string]bool{
		"Setpgid(2, 2, 3)": false, // 2 leads session 2
		"Setpgid(1, 2, 1)": false, // and is in another session than init
		"Setpgid(2, 3, 2)": true,  // 3 back into 2's group
		"Setpgid(3, 3, 2)": true,
	})
	s = last(t, withSessions, 4, "Fork(1)", "Fork(2)", "Setsid(3)")
	expectEnabled(t, "child session leader", withSessions, &s, map[string]bool{"Setpgid(2, 3, 2)": false, "Setpgid(3, 3, 3)": false})
	// EPERM: a child in another session.
	s = last(t, withSessions, 4, "Fork(1)", "Fork(2)", "Setsid(3)", "Fork(3)", "ExitBegin(3)", "ExitNotify(3)")
	expect(t, "4 reparented to init", field{"parent[4]", s.Parent[4], uint8(1)}, field{"ids[4]", ids(&s, 4), [2]uint8{3, 3}})
	expectEnabled(t, "cross-session child", withSessions, &s, map[string]bool{
		"Setpgid(1, 4, 4)": false, // in session 3, init in 1
		"Setpgid(4, 4, 4)": true,  // itself: a new group in session 3
		"Setpgid(4, 4, 1)": false, // process group 1 is in session 1
	})
	// EPERM: p must be c or an existing process group of the caller's session.
	ss = runWith(t, withSessions, 4, "Fork(1)", "Fork(1)", "Setsid(3)", "Fork(1)", "Setpgid(1, 4, 4)", "Setpgid(1, 2, 4)")
	expectEnabled(t, "pgid in the session", withSessions, &ss[4], map[string]bool{
		"Setpgid(1, 2, 3)": false, // process group 3 is in session 3
		"Setpgid(1, 2, 4)": false, // no process group 4 yet
		"Setpgid(1, 2, 2)": true,  // a new one, named by the child
		"Setpgid(1, 2, 1)": false, // already in 1: changes nothing
		"Setpgid(1, 2, 0)": false, // no process group 0 (the kernel's 0 is "c": Setpgid(1, 2, 2))
	})
	s = ss[6]
	expect(t, "2 joins 4's group", field{"ids[2]", ids(&s, 2), [2]uint8{1, 4}})
	// EACCES: a child that has exec'd; its own process still may.
	s = last(t, withSessions, 3, "Fork(1)", "Execve(2)")
	expect(t, "Execve(2)", field{"execd[2]", s.Execd[2], true})
	expectEnabled(t, "EACCES", withSessions, &s, map[string]bool{"Setpgid(1, 2, 2)": false, "Setpgid(2, 2, 2)": true})
	// Not from a thread being killed by an exec, nor by the exec'ing one.
	s = last(t, withSessions, 4, "Fork(1)", "Fork(2)", "Clone(2)", "ExecBegin(4)")
	expectEnabled(t, "exec under way", withSessions, &s, map[string]bool{"Setpgid(2, 3, 3)": false, "Setpgid(4, 3, 3)": false, "Setpgid(1, 2, 2)": true})
}

// copy_process: the new process takes the session and process group of
// current's process, also under CLONE_PARENT (not its real parent's), and
// has not exec'd.
func TestSessionInheritance(t *testing.T) {
	s := last(t, withSessions, 5, "Fork(1)", "Fork(2)", "Setsid(3)", "ForkParent(3)", "Execve(3)", "Fork(3)")
	expect(t, "CLONE_PARENT", field{"parent[4]", s.Parent[4], uint8(2)}, field{"born[4]", s.Born[4], uint8(3)},
		field{"ids[4]", ids(&s, 4), [2]uint8{3, 3}}, field{"execd[4]", s.Execd[4], false},
		field{"ids[5]", ids(&s, 5), [2]uint8{3, 3}}, field{"execd[5]", s.Execd[5], false})
	expectEnabled(t, "CLONE_PARENT child", withSessions, &s, map[string]bool{
		"Setpgid(2, 4, 4)": false, // 4 is 2's child, but in session 3
		"Setpgid(3, 4, 4)": false, // 4 is not 3's child
		"Setpgid(4, 4, 4)": true,  // itself
		"Setpgid(3, 5, 5)": true,
	})
	// Fork by a thread: the ids of its process.
	s = last(t, withSessions, 5, "Fork(1)", "Setpgid(2, 2, 2)", "Clone(2)", "Fork(3)")
	expect(t, "fork by a thread", field{"parent[4]", s.Parent[4], uint8(3)}, field{"ids[4]", ids(&s, 4), [2]uint8{1, 2}})
}

// An id stays in use after its group is gone: the members keep it, and a
// process group exists while a member is hashed.
func TestSessionIdsOutliveLeaders(t *testing.T) {
	ss := runWith(t, withSessions, 4, "Fork(1)", "Setsid(2)", "Fork(2)",
		"ExitBegin(2)", "ExitNotify(2)", "Reap(1, 2)", "Release(2)", "Setpgid(3, 3, 3)")
	s := ss[7]
	expect(t, "leader released", field{"st[2]", s.St[2], state.Released}, field{"ids[2]", ids(&s, 2), [2]uint8{0, 0}},
		field{"ids[3]", ids(&s, 3), [2]uint8{2, 2}}, field{"parent[3]", s.Parent[3], uint8(1)})
	expectEnabled(t, "dead session leader", withSessions, &s, map[string]bool{
		"Setpgid(1, 3, 3)": false, // init's child now, but in session 2
		"Setpgid(3, 3, 2)": false, // already in 2, whose leader is gone
		"Setpgid(3, 3, 3)": true,  // not a session leader: its session's leader died
		"Setsid(3)":        true,
	})
	s = ss[8]
	expect(t, "own group", field{"ids[3]", ids(&s, 3), [2]uint8{2, 3}})
	expectEnabled(t, "process group 2 is gone", withSessions, &s, map[string]bool{
		"Setpgid(3, 3, 2)": false,
		"Setsid(3)":        false, // 3 leads process group 3 now
	})
	s = last(t, withSessions, 4, "Fork(1)", "Setsid(2)", "Fork(2)", "ExitBegin(2)", "ExitNotify(2)", "Reap(1, 2)", "Release(2)", "Setsid(3)")
	expect(t, "new session", field{"ids[3]", ids(&s, 3), [2]uint8{3, 3}})
}

// execve: single-threaded processes other than init; with sessions on,
// de_thread sets execd when it completes, whether or not execve is on (the
// kernel clears PF_FORKNOEXEC for every exec: docs/model.md).
func TestExecve(t *testing.T) {
	s := last(t, withSessions, 4, "Fork(1)", "Clone(2)")
	expectEnabled(t, "execve", withSessions, &s, map[string]bool{"Execve(1)": false, "Execve(2)": false, "Execve(3)": false})
	s = last(t, withSessions, 4, "Fork(1)", "Execve(2)")
	expectEnabled(t, "twice", withSessions, &s, map[string]bool{"Execve(2)": false})
	s = last(t, withSessions, 4, "Fork(1)", "ExitBegin(2)")
	expectEnabled(t, "exiting", withSessions, &s, map[string]bool{"Execve(2)": false})
	deThread := []string{"Fork(1)", "Clone(2)", "ExecBegin(3)", "ExitBegin(2)", "ExitNotify(2)", "ExecSwap(3)", "Release(2)"}
	for _, c := range []struct {
		as   ActionSet
		want bool
	}{{withSessions, true}, {AllActions | Sessions, true}, {AllActions | Execve, false}, {AllActions, false}} {
		ss := runWith(t, c.as, 4, deThread...)
		s := ss[len(ss)-1]
		expect(t, "de_thread with "+c.as.String(), field{"exec[2]", s.Exec[2], state.None}, field{"execd[2]", s.Execd[2], c.want},
			field{"execd before it completes", ss[len(ss)-2].Execd[2], false})
		if c.as&Sessions != 0 {
			expectEnabled(t, "after de_thread", c.as, &s, map[string]bool{"Setpgid(1, 2, 2)": !c.want})
		}
	}
	// PF_FORKNOEXEC is per task: after ExecSwap the leader is the exec'ing
	// thread, made by clone() with the flag set, so a process that exec'd
	// before may be moved again until the second exec completes.
	ss := runWith(t, withSessions, 4, "Fork(1)", "Execve(2)", "Clone(2)", "ExecBegin(3)", "ExitBegin(2)", "ExitNotify(2)", "ExecSwap(3)", "Release(2)")
	swapped, done := ss[len(ss)-2], ss[len(ss)-1]
	expect(t, "second exec", field{"execd after the first exec", ss[2].Execd[2], true},
		field{"execd after ExecSwap", swapped.Execd[2], false}, field{"execd when it completes", done.Execd[2], true})
	expectEnabled(t, "in the swap window", withSessions, &swapped, map[string]bool{"Setpgid(1, 2, 2)": true})
	expectEnabled(t, "after the second exec", withSessions, &done, map[string]bool{"Setpgid(1, 2, 2)": false})
}

// The generator offers exactly the enabled Setpgid calls, by ascending c,
// then p, after the other kinds of the same task.
func TestSetpgidGenerated(t *testing.T) {
	m := MustNew(Options{Tasks: 5, Revision: V3, Actions: Sessions})
	s := last(t, Sessions, 5, "Fork(1)", "Fork(1)", "Setpgid(1, 3, 3)", "Fork(2)")
	b := make([]byte, m.StateSize())
	s.Encode(b)
	var got []string
	m.NewGenerator().Successors(b, func(a spec.Action, _ []byte) {
		if a.A() == 1 || a.A() == 2 {
			got = append(got, FormatAction(a))
		}
	})
	want := []string{
		"Fork(1)", "ExitBegin(1)"[:0], // init may not exit
		"Setpgid(1, 2, 2)", "Setpgid(1, 2, 3)", "Setpgid(1, 3, 1)",
		"Fork(2)", "ExitBegin(2)", "Setsid(2)", "Setpgid(2, 2, 2)", "Setpgid(2, 2, 3)", "Setpgid(2, 4, 3)", "Setpgid(2, 4, 4)",
	}
	want = slices.DeleteFunc(want, func(s string) bool { return s == "" })
	if !slices.Equal(got, want) {
		t.Errorf("successors of 1 and 2:\n got %v\nwant %v", got, want)
	}
}
