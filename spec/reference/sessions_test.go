package reference

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// Hand-worked tests of model.md "Optional: sessions and process groups":
// every guard of Setsid, Setpgid and Execve as an enabled or disabled action,
// the inheritance of sid and pgid at Fork and under CLONE_PARENT, execd at
// the end of a de_thread, and the canonical form.

var (
	sessionsActs = append(append([]string(nil), DefaultActions...), ActSessions)
	execveActs   = append(append([]string(nil), sessionsActs...), ActExecve)
)

// enabled reports whether the labelled action is enabled in s.
func enabled(m *Model, s State, label string) bool {
	label = strings.ReplaceAll(label, " ", "")
	for _, tr := range m.Successors(s) {
		if tr.Act.Label() == label {
			return true
		}
	}
	return false
}

// can fails the test unless each labelled action is enabled (want) or
// disabled (!want) in s.
func can(t *testing.T, m *Model, ctx string, s State, want bool, labels ...string) {
	t.Helper()
	for _, l := range labels {
		if got := enabled(m, s, l); got != want {
			t.Errorf("%s: %s enabled = %v, want %v\n%s", ctx, l, got, want, m.Format(s))
		}
	}
}

func sid(s State, g int) field  { return field{"sid", g, int(s.Sid[g]), 0} }
func pgid(s State, g int) field { return field{"pgid", g, int(s.Pgid[g]), 0} }
func execd(s State, g int) field {
	return field{"execd", g, b2i(s.Execd[g]), 0}
}

// A plain fork inherits the creator's session and process group; setsid
// makes a new session and pgrp named by the caller; a grandchild inherits
// the new ones.
func TestSessionsForkInherits(t *testing.T) {
	m := NewModel(4, "v3", sessionsActs)
	s := run(t, m, []string{"Fork(1)"}, nil)
	expect(t, "Fork(1)", is(sid(s, 1), 1), is(pgid(s, 1), 1), is(sid(s, 2), 1), is(pgid(s, 2), 1), is(execd(s, 2), 0))
	s = run(t, m, []string{"Fork(1)", "Setsid(2)", "Fork(2)"}, nil)
	expect(t, "Setsid(2) Fork(2)", is(sid(s, 2), 2), is(pgid(s, 2), 2), is(sid(s, 3), 2), is(pgid(s, 3), 2))
	// Clone: a thread shares its group's fields (per group); the group
	// keeps its own.
	s = run(t, m, []string{"Fork(1)", "Setsid(2)", "Clone(2)", "Fork(3)"}, nil)
	expect(t, "Clone(2) Fork(3)", is(tg(s, 3), 2), is(parent(s, 4), 3), is(sid(s, 4), 2), is(pgid(s, 4), 2))
}

// CLONE_PARENT: the new process's real parent is the creator's parent, but
// its session and pgrp are the creator's (copy_process attaches current's);
// so the real parent cannot setpgid it (another session: EPERM), the
// creator cannot either (not its child: ESRCH), and it can move itself
// within its session or start its own.
func TestSessionsCloneParentInherits(t *testing.T) {
	for _, rev := range BuiltinNames() {
		m := NewModel(4, rev, sessionsActs)
		s := run(t, m, []string{"Fork(1)", "Fork(2)", "Setsid(3)", "ForkParent(3)"}, nil)
		expect(t, rev, is(parent(s, 4), 2), is(born(s, 4), 3), is(sid(s, 2), 1), is(pgid(s, 2), 1),
			is(sid(s, 3), 3), is(pgid(s, 3), 3), is(sid(s, 4), 3), is(pgid(s, 4), 3))
		can(t, m, rev, s, false, "Setpgid(2,4,4)", "Setpgid(2,4,1)", "Setpgid(2,4,2)", // EPERM: session 3, not 2's
			"Setpgid(3,4,4)", "Setpgid(3,4,3)") // ESRCH: 4's parent is 2
		can(t, m, rev, s, true, "Setsid(4)", "Setpgid(4,4,4)")
		can(t, m, rev, s, false, "Setpgid(4,4,3)", "Setpgid(4,4,1)") // already 3 / pgrp 1 is in session 1
		// In the same session the real parent may move it: a pgrp
		// inherited through CLONE_PARENT.
		s = run(t, m, []string{"Fork(1)", "Fork(2)", "Setpgid(3,3,3)", "ForkParent(3)"}, nil)
		expect(t, rev+" same session", is(parent(s, 4), 2), is(sid(s, 4), 1), is(pgid(s, 4), 3), is(pgid(s, 2), 1))
		can(t, m, rev, s, true, "Setpgid(2,4,4)", "Setpgid(2,4,1)", "Setpgid(2,2,3)")
		can(t, m, rev, s, false, "Setpgid(2,4,3)", "Setpgid(2,4,2)") // no change / no pgrp 2
	}
}

// Setsid's EPERM: the caller leads a pgrp (its own, after setpgid or
// setsid), or once led one that still has members; once the last member is
// released the name is free again. Init leads pgrp 1.
func TestSessionsSetsidEPERM(t *testing.T) {
	m := NewModel(4, "fixed", sessionsActs)
	s := m.Initial()
	can(t, m, "init", s, false, "Setsid(1)", "Setpgid(1,1,1)")
	s = run(t, m, []string{"Fork(1)"}, nil)
	can(t, m, "Fork(1)", s, true, "Setsid(2)", "Setpgid(2,2,2)", "Setpgid(1,2,2)")
	can(t, m, "Fork(1)", s, false, "Setsid(1)", "Setpgid(2,2,1)", "Setpgid(1,1,2)")
	steps := []string{"Fork(1)", "Setpgid(2,2,2)", "Fork(2)", "Setpgid(2,2,1)"}
	s = run(t, m, steps[:2], nil)
	can(t, m, "leads pgrp 2", s, false, "Setsid(2)")
	s = run(t, m, steps, nil)
	expect(t, "left pgrp 2", is(pgid(s, 2), 1), is(pgid(s, 3), 2))
	can(t, m, "left pgrp 2, 3 still in it", s, false, "Setsid(2)")
	can(t, m, "left pgrp 2, 3 still in it", s, true, "Setpgid(2,3,1)", "Setpgid(2,2,2)", "Setpgid(3,3,3)")
	for _, more := range []string{"ExitBegin(3)", "ExitNotify(3)", "Reap(2,3)"} {
		steps = append(steps, more)
		s = run(t, m, steps, nil)
		can(t, m, "after "+more+": 3 still hashed", s, false, "Setsid(2)")
	}
	s = run(t, m, append(steps, "Release(3)"), nil)
	can(t, m, "3 released", s, true, "Setsid(2)")
	s = run(t, m, []string{"Fork(1)", "Setsid(2)"}, nil)
	expect(t, "Setsid(2)", is(sid(s, 2), 2), is(pgid(s, 2), 2))
	can(t, m, "session leader", s, false, "Setsid(2)", "Setpgid(2,2,2)", "Setpgid(2,2,1)", "Setpgid(1,2,2)", "Setpgid(1,2,1)")
	// A thread other than the leader calls setsid for its process, also
	// when the leader is a delayed zombie.
	s = run(t, m, []string{"Fork(1)", "Clone(2)", "ExitBegin(2)", "ExitNotify(2)"}, nil)
	expect(t, "delayed zombie leader", is(st(s, 2), int(Zombie)))
	can(t, m, "delayed zombie leader", s, true, "Setsid(3)", "Setpgid(3,2,2)")
	can(t, m, "delayed zombie leader", s, false, "Setsid(2)")
	s = run(t, m, []string{"Fork(1)", "Clone(2)", "ExitBegin(2)", "ExitNotify(2)", "Setsid(3)"}, nil)
	expect(t, "Setsid(3)", is(sid(s, 2), 2), is(pgid(s, 2), 2), is(sid(s, 3), 0))
}

// Setpgid's ESRCH: the target is the caller's process or a child process of
// it (its leader's real parent a thread of the caller's process), hashed
// (a zombie or a dead-but-unreleased child too); a grandchild is not, a
// reparented orphan is the new parent's.
func TestSessionsSetpgidESRCH(t *testing.T) {
	m := NewModel(4, "v4", sessionsActs)
	s := run(t, m, []string{"Fork(1)", "Fork(2)"}, nil)
	can(t, m, "grandchild", s, false, "Setpgid(1,3,3)", "Setpgid(1,3,1)")
	can(t, m, "child", s, true, "Setpgid(1,2,2)", "Setpgid(2,3,3)")
	can(t, m, "child", s, false, "Setpgid(2,3,2)", "Setpgid(2,3,1)", "Setpgid(3,2,2)") // no pgrp 2 / no change / parent is not a child
	s = run(t, m, []string{"Fork(1)", "Fork(2)", "Setpgid(2,2,2)"}, nil)
	can(t, m, "pgrp 2 exists", s, true, "Setpgid(2,3,2)", "Setpgid(3,3,2)")
	// zombie, dead, released child
	steps := []string{"Fork(1)", "ExitBegin(2)", "ExitNotify(2)"}
	s = run(t, m, steps, nil)
	can(t, m, "zombie child", s, true, "Setpgid(1,2,2)")
	s = run(t, m, append(steps, "Reap(1,2)"), nil)
	can(t, m, "dead child", s, true, "Setpgid(1,2,2)")
	s = run(t, m, append(steps, "Reap(1,2)", "Release(2)"), nil)
	can(t, m, "released child", s, false, "Setpgid(1,2,2)")
	expect(t, "released group", is(sid(s, 2), 0), is(pgid(s, 2), 0))
	// an exiting child (PF_EXITING, still hashed) is a target too; an
	// exiting caller is not a caller.
	s = run(t, m, []string{"Fork(1)", "Fork(2)", "ExitBegin(2)"}, nil)
	can(t, m, "exiting child", s, true, "Setpgid(1,2,2)")
	can(t, m, "exiting caller", s, false, "Setpgid(2,3,3)", "Setpgid(2,2,2)", "Setsid(2)")
	// reparented to init
	s = run(t, m, []string{"Fork(1)", "Fork(2)", "ExitBegin(2)", "ExitNotify(2)"}, nil)
	expect(t, "orphan", is(parent(s, 3), 1))
	can(t, m, "orphan", s, true, "Setpgid(1,3,3)")
	can(t, m, "orphan", s, false, "Setpgid(2,3,3)")
	// a child of a thread: every thread of the parent process may move it
	ms := NewModel(4, "v4", sessionsActs)
	s = run(t, ms, []string{"Fork(1)", "Clone(2)", "Fork(3)"}, nil)
	expect(t, "child of a thread", is(parent(s, 4), 3))
	can(t, ms, "child of a thread", s, true, "Setpgid(2,4,4)", "Setpgid(3,4,4)")
	can(t, ms, "child of a thread", s, false, "Setpgid(1,4,4)", "Setpgid(1,3,3)") // 3 is a thread, not a process
}

// Setpgid's EPERM: a session leader (itself or as a child), a child in
// another session, a pgrp of another session; a pgrp whose founding
// process is gone still exists while a member is hashed.
func TestSessionsSetpgidEPERM(t *testing.T) {
	m := NewModel(4, "seed", sessionsActs)
	s := run(t, m, []string{"Fork(1)", "Fork(1)", "Setsid(3)"}, nil)
	can(t, m, "pgrp 3 in session 3", s, false, "Setpgid(2,2,3)", "Setpgid(1,2,3)", "Setpgid(3,3,1)", "Setpgid(1,3,3)", "Setpgid(1,3,1)")
	can(t, m, "pgrp 1 in session 1", s, true, "Setpgid(2,2,2)", "Setpgid(1,2,2)")
	// a child that left the session by setsid
	s = run(t, m, []string{"Fork(1)", "Fork(2)", "Setsid(3)"}, nil)
	can(t, m, "child in another session", s, false, "Setpgid(2,3,3)", "Setpgid(2,3,1)")
	// a child in the caller's session that became the child of
	// another session's process (reparented to init after a setsid
	// elsewhere is the same session; here: a setsid'd process's
	// child keeps session 2 and is reparented to init, session 1)
	s = run(t, m, []string{"Fork(1)", "Setsid(2)", "Fork(2)", "ExitBegin(2)", "ExitNotify(2)"}, nil)
	expect(t, "orphan of session 2", is(parent(s, 3), 1), is(sid(s, 3), 2))
	can(t, m, "orphan of session 2", s, false, "Setpgid(1,3,3)", "Setpgid(1,3,1)")
	can(t, m, "orphan of session 2", s, true, "Setpgid(3,3,3)")
	// the name of a gone process group leader stays in use
	steps := []string{"Fork(1)", "Setpgid(2,2,2)", "Fork(2)", "ExitBegin(2)", "ExitNotify(2)", "Reap(1,2)", "Release(2)", "Fork(1)"}
	s = run(t, m, steps, nil)
	expect(t, "gone leader", is(st(s, 2), int(Released)), is(pgid(s, 2), 0), is(pgid(s, 3), 2), is(pgid(s, 4), 1))
	can(t, m, "gone leader", s, true, "Setpgid(4,4,2)", "Setpgid(1,4,2)", "Setpgid(1,3,1)")
	can(t, m, "gone leader", s, false, "Setsid(2)", "Setpgid(4,4,3)")
}

// Execve and EACCES: a child that has exec'd can no longer be moved by its
// parent (it still can move itself); exec is once per process here, by a
// single-threaded process, never init.
func TestSessionsExecveEACCES(t *testing.T) {
	m := NewModel(4, "v3", execveActs)
	s := m.Initial()
	can(t, m, "init", s, false, "Execve(1)")
	s = run(t, m, []string{"Fork(1)", "Execve(2)"}, nil)
	expect(t, "Execve(2)", is(execd(s, 2), 1), is(sid(s, 2), 1), is(pgid(s, 2), 1))
	can(t, m, "exec'd child", s, false, "Setpgid(1,2,2)", "Execve(2)")
	can(t, m, "exec'd child", s, true, "Setpgid(2,2,2)", "Setsid(2)")
	s = run(t, m, []string{"Fork(1)", "Execve(2)", "Fork(2)"}, nil)
	expect(t, "child of an exec'd process", is(execd(s, 3), 0))
	can(t, m, "child of an exec'd process", s, true, "Execve(3)", "Setpgid(2,3,3)")
	s = run(t, m, []string{"Fork(1)", "Clone(2)"}, nil)
	can(t, m, "two threads", s, false, "Execve(2)", "Execve(3)")
	s = run(t, m, []string{"Fork(1)", "Clone(2)", "ExitBegin(3)", "ExitNotify(3)"}, nil)
	can(t, m, "dead thread not released", s, false, "Execve(2)")
	s = run(t, m, []string{"Fork(1)", "Clone(2)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)"}, nil)
	can(t, m, "thread released", s, true, "Execve(2)")
	s = run(t, m, []string{"Fork(1)", "Clone(2)", "ExitBegin(2)", "ExitNotify(2)", "ExitBegin(3)"}, nil)
	can(t, m, "exiting", s, false, "Execve(3)")
	// Without execve nothing execs: execd never set, so no EACCES.
	ms := NewModel(4, "v3", sessionsActs)
	s = run(t, ms, []string{"Fork(1)"}, nil)
	can(t, ms, "execve off", s, false, "Execve(2)")
}

// de_thread: with sessions on (execve or not: docs/model.md, "the kernel
// wins over model.md"), execd is set when the exec completes (exec[g]
// becomes none in Release), for an exec by a non-leader (ExecSwap) and by
// the leader; until then the parent may still setpgid the child. With
// sessions off it stays false.
func TestSessionsDeThreadSetsExecd(t *testing.T) {
	nonLeader := []string{"Fork(1)", "Clone(2)", "ExecBegin(3)", "ExitBegin(2)", "ExitNotify(2)", "ExecSwap(3)", "Release(2)"}
	leader := []string{"Fork(1)", "Clone(2)", "ExecBegin(2)", "ExitBegin(3)", "ExitNotify(3)", "Release(3)"}
	for _, c := range []struct {
		name  string
		acts  []string
		execd bool
	}{
		{"sessions,execve", execveActs, true},
		{"sessions", sessionsActs, true},
		{"execve", append(append([]string(nil), DefaultActions...), ActExecve), false},
	} {
		m := NewModel(4, "fixed", c.acts)
		for _, steps := range [][]string{nonLeader, leader} {
			ctx := fmt.Sprintf("%s: %s", c.name, strings.Join(steps, " "))
			s := run(t, m, steps[:len(steps)-1], nil)
			expect(t, ctx+" (before the last step)", is(execd(s, 2), 0))
			if m.Sessions {
				can(t, m, ctx+" (before the last step)", s, true, "Setpgid(1,2,2)")
			}
			s = run(t, m, steps, nil)
			expect(t, ctx, is(execd(s, 2), b2i(c.execd)), is(field{"exec", 2, int(s.Exec[2]), 0}, 0))
			if m.Sessions {
				can(t, m, ctx, s, !c.execd, "Setpgid(1,2,2)")
			}
			// a single-threaded execve remains possible iff execd is false
			can(t, m, ctx, s, m.Execve && !c.execd, "Execve("+fmt.Sprint(s.Leader[2])+")")
		}
	}
}

// With the set off the fields are kept and carry no information: sid and
// pgid are 1 for every group with a hashed task, 0 for a gone group, execd
// false; the counts are those of the base model.
func TestSessionsOffFields(t *testing.T) {
	m := NewModel(4, "v3", DefaultActions)
	m.search(false, func(s *State, idx int) bool {
		for g := 1; g <= m.N; g++ {
			alive := s.Leader[g] != 0
			want := int8(0)
			if alive {
				want = 1
			}
			if s.Sid[g] != want || s.Pgid[g] != want || s.Execd[g] {
				t.Fatalf("group %d: sid %d pgid %d execd %v\n%s", g, s.Sid[g], s.Pgid[g], s.Execd[g], m.Format(*s))
			}
		}
		return false
	})
}

// The sanity invariants (those of the set included) hold in every reachable
// state of every built-in revision: 3 tasks with the default actions,
// sessions and execve, 4 tasks with threads and sessions; CABACHECK_LONG=1
// adds 3 tasks with every action, 4 tasks with threads, exec, sessions and
// execve, and 4 tasks with the default actions and sessions (3.5 million
// states per revision). Also,
// "a pgrp p exists whose group h (any one) has sid[h] == sid[g]" does not
// depend on which member is asked: PgrpInOneSession.
func TestSessionsSanity(t *testing.T) {
	type job struct {
		tasks int
		acts  []string
	}
	jobs := []job{{3, execveActs}, {4, []string{ActThreads, ActSessions}}}
	if os.Getenv("CABACHECK_LONG") == "1" {
		jobs = append(jobs, job{3, append(append([]string(nil), AllActions...), ActSessions, ActExecve)},
			job{4, []string{ActThreads, ActExec, ActSessions, ActExecve}}, job{4, sessionsActs})
	}
	for _, j := range jobs {
		for _, rev := range BuiltinNames() {
			m := NewModel(j.tasks, rev, j.acts)
			n := 0
			m.search(false, func(s *State, idx int) bool {
				n++
				for _, inv := range SanityNames {
					if !m.Holds(s, inv) {
						t.Errorf("%s: %s violated in\n%s", rev, inv, m.Format(*s))
						return true
					}
				}
				return false
			})
			t.Logf("%s %d tasks %v: %d states", rev, j.tasks, j.acts, n)
		}
	}
}

// The invariants detect what they should, on hand-made states.
func TestSessionsInvariantsDetect(t *testing.T) {
	m := NewModel(4, "v3", sessionsActs)
	s := run(t, m, []string{"Fork(1)", "Fork(1)"}, nil)
	holds(t, m, "base", s, "PgrpInOneSession", true)
	holds(t, m, "base", s, "SessionLeaderLeadsPgrp", true)
	bad := s
	bad.Sid[3] = 3 // session leader outside its pgrp 1, and pgrp 1 in two sessions
	holds(t, m, "bad", bad, "PgrpInOneSession", false)
	holds(t, m, "bad", bad, "SessionLeaderLeadsPgrp", false)
	bad = s
	bad.Pgid[3] = 2
	bad.Sid[3] = 3
	bad.Sid[2] = 2
	bad.Pgid[2] = 2 // pgrp 2 in sessions 2 and 3
	holds(t, m, "pgrp in two sessions", bad, "PgrpInOneSession", false)
	// a gone group does not count
	s = run(t, m, []string{"Fork(1)", "ExitBegin(2)", "ExitNotify(2)", "Reap(1,2)", "Release(2)"}, nil)
	bad = s
	bad.Sid[2], bad.Pgid[2] = 2, 1
	holds(t, m, "released", bad, "PgrpInOneSession", true)
	holds(t, m, "released", bad, "SessionLeaderLeadsPgrp", true)
}

// Exhaustive counts at 2 tasks (init and one child 2), by hand. Base model:
// the initial state, then 2 Running, Exiting, Zombie, Dead, Released (6).
// With sessions, 2's (sid, pgid) is (1,1), (1,2) (Setpgid by 1 or by 2) or
// (2,2) (Setsid, from (1,1) only: pgrp 2 exists at (1,2)); (1,1) and (1,2)
// go on swapping while 2 is Exiting, Zombie or Dead (by init's Setpgid),
// a session leader is stuck; Released is one canonical state: 1 + 3*4 + 1.
// With execve too, each of them also exists with execd (Execve while
// Running, the child's own Setpgid and Setsid still work): 1 + 2*3*4 + 1.
func TestSessionsTwoTasks(t *testing.T) {
	for _, c := range []struct {
		acts []string
		want int
	}{{nil, 6}, {[]string{ActSessions}, 1 + 3*4 + 1}, {[]string{ActSessions, ActExecve}, 1 + 2*3*4 + 1}} {
		if r := Explore(2, "v3", c.acts); r.Distinct != c.want {
			t.Errorf("2 tasks %v: %d states, want %d", c.acts, r.Distinct, c.want)
		}
	}
}

// TestSessionsCountsTable logs Explore counts with the sessions sets for
// every built-in revision (tasks 3; tasks 4 for the smaller sets). Set
// CABACHECK_LONG=1 (minutes).
func TestSessionsCountsTable(t *testing.T) {
	if os.Getenv("CABACHECK_LONG") != "1" {
		t.Skip("logs a table only; set CABACHECK_LONG=1 (minutes)")
	}
	with := func(base []string, more ...string) []string { return append(append([]string(nil), base...), more...) }
	sets := []struct {
		name  string
		acts  []string
		tasks []int
	}{
		{"default", DefaultActions, []int{3, 4}},
		{"sessions", []string{ActSessions}, []int{3, 4}},
		{"threads,sessions", []string{ActThreads, ActSessions}, []int{3, 4}},
		{"default,sessions", with(DefaultActions, ActSessions), []int{3, 4}},
		{"default,sessions,execve", with(DefaultActions, ActSessions, ActExecve), []int{3}},
		{"all,sessions,execve", with(AllActions, ActSessions, ActExecve), []int{3}},
		{"default,execve", with(DefaultActions, ActExecve), []int{3}},
	}
	if os.Getenv("REFERENCE_SESSIONS4") == "1" {
		// tens of millions of states, several GiB
		sets = append(sets, struct {
			name  string
			acts  []string
			tasks []int
		}{"default,sessions,execve", with(DefaultActions, ActSessions, ActExecve), []int{4}})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-5s %-5s %-24s %10s %11s %5s %6s\n", "tasks", "rev", "actions", "distinct", "generated", "depth", "secs")
	for _, set := range sets {
		for _, tasks := range set.tasks {
			for _, rev := range BuiltinNames() {
				start := time.Now()
				r := Explore(tasks, rev, set.acts)
				fmt.Fprintf(&b, "%-5d %-5s %-24s %10d %11d %5d %6.1f\n", tasks, rev, set.name, r.Distinct, r.Generated, r.Depth, time.Since(start).Seconds())
			}
		}
	}
	t.Log(b.String())
}

// Pack/Unpack round trip with the session fields in use.
func TestSessionsPackRoundTrip(t *testing.T) {
	m := NewModel(3, "fixed", append(append([]string(nil), AllActions...), ActSessions, ActExecve))
	n := 0
	m.search(false, func(s *State, idx int) bool {
		if u := Unpack(Pack(s)); u != *s {
			t.Fatalf("round trip differs:\n%s\n%s", m.Format(*s), m.Format(u))
		}
		n++
		return n > 100000
	})
}
