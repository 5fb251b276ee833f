// Package linux is the Linux task model: the v6.0-era task lifecycle at the
// granularity of the kernel's atomic steps (fork, CLONE_PARENT, thread
// creation, PF_EXITING, exit_notify, wait, release_task, de_thread,
// PR_SET_CHILD_SUBREAPER, SIGCHLD ignored), overlaid with the CABA pointer of
// each patch revision. docs/model.md in the repository is its contract.
package linux
