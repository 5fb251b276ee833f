package restore

import (
	"fmt"

	"cabacheck/state"
)

// Dumpable reports whether CRIU can dump s as it is, and if not, why
// (criu/seize.c, compel/src/lib/infect.c):
//
//   - CRIU freezes every task (PTRACE_SEIZE and PTRACE_INTERRUPT, or the
//     freezer cgroup) before it reads anything. A task past exit_signals
//     (PF_EXITING) cannot be seized (ptrace_attach refuses it) and is not a
//     zombie yet: compel_wait_task reports "Unseizable non-zombie %d found",
//     collect_children ignores the error and retries ("the task could die for
//     these time"), and the dump goes on once the task is a zombie or gone,
//     or fails after its attempts. Either way the state with the exiting task
//     is never the one recorded.
//   - An exec under way (de_thread between zap_other_threads and the old
//     leader's release): the threads it kills are exiting (above), and the
//     exec'ing thread sleeps in de_thread until they are gone; it stops for
//     the tracer only when the exec is done. The dump sees the state after.
//   - A dead-but-unreleased task (EXIT_DEAD: claimed by a wait, or a thread
//     or an auto-reaped process on its way to release_task) is unseizable
//     with /proc state X, not Z: the same retry, and the dump sees it
//     unhashed.
//   - A zombie leader with live threads (the leader called pthread_exit):
//     the leader cannot be seized, reads as a zombie, and collect_threads
//     refuses the dump: "Zombies with threads are not supported".
//   - A corrupt state (the kernel used a released task_struct) has no
//     defined contents.
//
// Dumpable states therefore have only running tasks and zombies (each a
// process whose only task is its exited leader). The first three kinds of
// states lose nothing: the state CRIU dumps instead is reachable too, and is
// checked on its own. The fourth is a CRIU refusal, counted as not dumpable.
func Dumpable(s *state.State) (bool, string) {
	if s.Corrupt {
		return false, "a released task_struct was used: the kernel state is undefined"
	}
	for g := uint8(1); g <= s.N; g++ {
		if s.Tg[g] == g && s.Exec[g] != state.None && s.GroupHashed(g) {
			return false, fmt.Sprintf("process %d is in de_thread (exec by task %d): CRIU cannot freeze it until the exec is done", g, s.Exec[g])
		}
	}
	for u := uint8(1); u <= s.N; u++ {
		switch s.St[u] {
		case state.Exiting:
			return false, fmt.Sprintf("task %d is PF_EXITING: CRIU finds it unseizable (\"Unseizable non-zombie %d found\") and retries until it has exited", u, u)
		case state.Dead:
			return false, fmt.Sprintf("task %d is EXIT_DEAD: unseizable (state X), CRIU retries until release_task unhashes it", u)
		}
	}
	for u := uint8(1); u <= s.N; u++ {
		if s.St[u] == state.Zombie && !s.GroupEmpty(s.Tg[u]) {
			return false, fmt.Sprintf("process %d: its leader is a zombie with live threads: CRIU refuses (\"Zombies with threads are not supported\")", s.Tg[u])
		}
	}
	return true, ""
}
