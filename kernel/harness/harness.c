/*
 * cabacheck conformance harness: replays a script of syscall-level steps
 * (generated from model traces by cabacheck's kernel/repro package) on the
 * running kernel, one actor per model task, and records the settled state of
 * every task after every step.
 *
 * Usage:
 *   harness run SCRIPT        run every walk of SCRIPT ("-" = stdin)
 *   harness actor SLOT        (internal) actor image after an exec
 *   as /init (pid 1)          mount /proc, run /script.txt, print, reboot
 *
 * Each walk runs in a fresh pid namespace: model task 1 (init) is the
 * namespace's init, a child of this controller (which stands for init_task,
 * printed as "c"). Every other model task is a real thread. Commands go to an
 * actor over its own pipe; actors answer on one shared pipe. Pipes live on
 * fixed descriptors so that an actor image started by execve finds them.
 *
 * Script (one directive per line):
 *   WALK name TASKS          start a walk with TASKS slots (creates slot 1)
 *   STEP k OP args...        OP: fork t n | forkparent t n | clone t n |
 *                            forknewpid t n |
 *                            subreaper t on | ignchld t | exit t |
 *                            exitgroup t | wait w c | exec t oldleader |
 *                            setsid t | setpgid t c p | read
 *                            (setpgid: c and p are group names, the founding
 *                            slots; the actor calls setpgid with their pids
 *                            in the walk's namespace; exec t t is a
 *                            single-threaded execve)
 *   DELAY ms                 sleep before the first snapshot of the next step
 *   SKIP slot                do not read this slot's /proc files in this step
 *   BARRIER slot...          the step's completion barrier: accept no snapshot
 *                            until each slot's /proc/TID/stat is gone or shows
 *                            Z or X (the exit is complete); otherwise the OBS
 *                            status is "unsettled"
 *   EXPECT pattern           an acceptable settled snapshot (several allowed)
 *   END                      end of step (settle, print) ; ENDWALK ends a walk
 *   STOPONTIMEOUT            (once) after a step that does not settle into an
 *                            expected snapshot, skip the rest of its walk
 *   WALK name TASKS PIDNS    a walk with pid namespaces: forknewpid t n is
 *                            clone(CLONE_NEWPID), and the snapshot has three
 *                            more fields (below)
 *
 * Snapshot: per slot 1..TASKS, "S.T.P.R.C.E.G.F.I.B" separated by blanks:
 *   S state: U unborn, R alive, Z zombie, X dead (hashed), G gone
 *   T tgid as the slot of the leader, P PPid (the parent's tgid) as a slot,
 *   R (leaders) the slot of the thread whose children list holds the task,
 *   C NScaba as a slot ("-" no NScaba line, "0" zero, "?" unknown TID);
 *   E session and G process group (/proc/TID/stat fields 6 and 5) as group
 *   names: the founding slot of the group whose TGID the id is (kept after
 *   the group is gone; "?" an id of no group of the walk);
 *   F (leaders) 1 if PF_FORKNOEXEC is clear (the process has exec'd), else 0
 *   (/proc/TID/stat field 9);
 *   I 1 if SIGCHLD is ignored (SigIgn of /proc/TID/status), else 0;
 *   B (alive tasks) 1 if the process is a child subreaper, else 0: the actor
 *   answers prctl(PR_GET_CHILD_SUBREAPER) once the rest has settled ("?" no
 *   answer);
 *   slot numbers "c" = this controller; "-" a field that does not apply.
 *   Patterns use "*" for any field. While the harness waits for the kernel to
 *   settle, B is not read yet and matches anything.
 * In a PIDNS walk each slot also has ".N.V.W":
 *   N NSpid read by the controller without its own (first) number: the
 *   numbers from the walk's namespace down, joined by ':';
 *   V the NSpid line read through a proc instance of each namespace on the
 *   task's chain (walk namespace first), each mounted (fsopen/fsmount) by the
 *   namespace's init right after its clone, so that the reader is that
 *   namespace: "k_n:n/k_n", k the slot of the namespace's init; the chain
 *   comes from the kernel (/proc/TID/ns/pid of the task, and the namespace of
 *   the task that created each init);
 *   W the NScaba line read through the same instances ("k_n/k_", "-" no
 *   NScaba line).
 * Pids passed to waitpid and setpgid, and those setsid and waitpid return,
 * are the caller's namespace's (from NSpid).
 * Model task 1 calls setsid() first, so that every task of the walk starts in
 * the session and process group of task 1, as the model's init.
 * setsid and setpgid print "RET walk k ok V" (V: the session as a group name,
 * or 0) or "RET walk k ERRNO" (EPERM, ESRCH, EACCES, EINVAL, or a number)
 * before the step's OBS line; wait prints "RET walk k ok G" (G the group name
 * of the pid waitpid returned, 0 when it returned 0) or "RET walk k ECHILD";
 * fork, forkparent and clone print "RET walk k ERRNO" when the call fails
 * (and nothing when it succeeds).
 * OBS status: match (an EXPECT matched and the barrier completed), timeout (no
 * EXPECT matched), unsettled (the barrier did not complete), noexpect.
 * Output lines start with "@@ ".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXSLOT 16
#define FD_CMD 100  /* FD_CMD+slot: read end of slot's command pipe */
#define FD_CMDW 120 /* FD_CMDW+slot: write end */
#define FD_RSP 140  /* read end of the response pipe */
#define FD_RSPW 141 /* write end */
#define FD_EXE 142  /* this binary, for execveat */
#define FD_NSMNT 143 /* a namespace init's proc instance (fsmount), taken by the controller */

enum { OP_FORK = 1, OP_FORKPARENT, OP_CLONE, OP_SUBREAPER, OP_IGNCHLD, OP_EXIT, OP_EXITGROUP, OP_WAIT, OP_EXEC,
       OP_SETSID, OP_SETPGID, OP_QUERY, OP_FORKNEWPID };
enum { R_HELLO = 1, R_ACK, R_QUERY };

struct cmd { int op, a, b, c; };
struct rsp { int kind, slot, v1, v2, v3, v4; };

/* ---------- small helpers usable by actors (raw syscalls, no malloc) ---------- */

static long gettid_(void) { return syscall(SYS_gettid); }

static void send_rsp(int kind, int slot, int v1, int v2, int v3, int v4)
{
	struct rsp r = { kind, slot, v1, v2, v3, v4 };
	while (write(FD_RSPW, &r, sizeof r) < 0 && errno == EINTR)
		;
}

/* global (initial-ns) tgid and tid through the proc mount's namespace */
static void global_ids(int *tgid, int *tid)
{
	char buf[64];
	ssize_t n = readlink("/proc/thread-self", buf, sizeof buf - 1);
	*tgid = *tid = -1;
	if (n <= 0)
		return;
	buf[n] = 0;
	*tgid = atoi(buf);
	char *p = strstr(buf, "/task/");
	if (p)
		*tid = atoi(p + 6);
}

static void hello_ex(int slot, int v4)
{
	int gtgid, gtid;
	global_ids(&gtgid, &gtid);
	send_rsp(R_HELLO, slot, (int)gettid_(), gtid, gtgid, v4);
}

static void hello(int slot) { hello_ex(slot, 0); }

static void actor_loop(int slot) __attribute__((noreturn));

#ifndef SYS_fsopen
#define SYS_fsopen 430
#define SYS_fsconfig 431
#define SYS_fsmount 432
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#define FSCONFIG_CMD_CREATE_ 6

/* a proc instance of the caller's pid namespace on FD_NSMNT (not attached to
 * any mount point): the reader of that namespace; returns 0 or -errno */
static int mount_ns_proc(void)
{
	int fc = (int)syscall(SYS_fsopen, "proc", 1 /* FSOPEN_CLOEXEC */);
	if (fc < 0)
		return -errno;
	if (syscall(SYS_fsconfig, fc, FSCONFIG_CMD_CREATE_, 0, 0, 0) < 0) {
		int e = errno;
		close(fc);
		return -e;
	}
	int m = (int)syscall(SYS_fsmount, fc, 1 /* FSMOUNT_CLOEXEC */, 0);
	int e = errno;
	close(fc);
	if (m < 0)
		return -e;
	if (m != FD_NSMNT) {
		dup3(m, FD_NSMNT, O_CLOEXEC);
		close(m);
	}
	return 0;
}

static int thread_main(void *arg)
{
	int slot = (int)(long)arg;
	hello(slot);
	actor_loop(slot);
}

static void actor_loop(int slot)
{
	for (;;) {
		struct cmd c;
		ssize_t n = read(FD_CMD + slot, &c, sizeof c);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof c)
			syscall(SYS_exit, 3);
		long r = 0;
		int st;
		switch (c.op) {
		case OP_FORK:
		case OP_FORKPARENT:
		case OP_FORKNEWPID: {
			unsigned long fl = SIGCHLD | (c.op == OP_FORKPARENT ? CLONE_PARENT : 0) |
					   (c.op == OP_FORKNEWPID ? CLONE_NEWPID : 0);
			r = syscall(SYS_clone, fl, 0, 0, 0, 0);
			if (r == 0) {
				slot = c.a;
				hello_ex(slot, c.op == OP_FORKNEWPID ? mount_ns_proc() : 0);
				continue;
			}
			send_rsp(R_ACK, slot, (int)r, r < 0 ? errno : 0, 0, 0);
			break;
		}
		case OP_CLONE: {
			size_t sz = 256 * 1024;
			char *stk = mmap(0, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
			if (stk == MAP_FAILED) {
				send_rsp(R_ACK, slot, -1, errno, 0, 0);
				break;
			}
			r = clone(thread_main, stk + sz - 64,
				  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM,
				  (void *)(long)c.a);
			send_rsp(R_ACK, slot, (int)r, r < 0 ? errno : 0, 0, 0);
			break;
		}
		case OP_SUBREAPER:
			r = prctl(PR_SET_CHILD_SUBREAPER, (unsigned long)c.a, 0, 0, 0);
			send_rsp(R_ACK, slot, (int)r, r < 0 ? errno : 0, 0, 0);
			break;
		case OP_IGNCHLD: {
			struct sigaction sa;
			memset(&sa, 0, sizeof sa);
			sa.sa_handler = SIG_IGN;
			r = sigaction(SIGCHLD, &sa, 0);
			send_rsp(R_ACK, slot, (int)r, r < 0 ? errno : 0, 0, 0);
			break;
		}
		case OP_EXIT:
			syscall(SYS_exit, 0);
			break;
		case OP_EXITGROUP:
			syscall(SYS_exit_group, 0);
			break;
		case OP_WAIT:
			st = 0;
			r = waitpid(c.a, &st, WNOHANG | __WALL);
			send_rsp(R_ACK, slot, (int)r, r < 0 ? errno : 0, st, 0);
			break;
		case OP_EXEC: {
			char sbuf[16];
			snprintf(sbuf, sizeof sbuf, "%d", slot);
			char *argv[] = { "cabacheck-harness", "actor", sbuf, 0 };
			char *envp[] = { 0 };
			r = syscall(SYS_execveat, FD_EXE, "", argv, envp, AT_EMPTY_PATH);
			send_rsp(R_ACK, slot, (int)r, errno, 0, 0);
			break;
		}
		case OP_SETSID:
			r = syscall(SYS_setsid);
			send_rsp(R_ACK, slot, (int)r, r < 0 ? errno : 0, 0, 0);
			break;
		case OP_SETPGID:
			r = syscall(SYS_setpgid, c.a, c.b);
			send_rsp(R_ACK, slot, (int)r, r < 0 ? errno : 0, 0, 0);
			break;
		case OP_QUERY: {
			int v = -1;
			r = prctl(PR_GET_CHILD_SUBREAPER, (unsigned long)&v, 0, 0, 0);
			send_rsp(R_QUERY, slot, r < 0 ? -errno : v, c.a, 0, 0);
			break;
		}
		default:
			send_rsp(R_ACK, slot, -1, EINVAL, 0, 0);
		}
	}
}

/* ---------------------------- controller ---------------------------- */

static int ntasks;
static int gtid[MAXSLOT], ltid[MAXSLOT]; /* 0 = not created */
/* PIDNS walks: every slot's NSpid as the controller reads it (nsp[i][0] the
 * controller's number, nsp[i][1] the walk namespace's, ...), and per
 * namespace (named by its init's slot) its inode, the namespace it was
 * created from and its proc instance */
static int pidns_walk;
static int nsp[MAXSLOT][MAXSLOT + 2], nsp_len[MAXSLOT];
static int grp_nsp[MAXSLOT][MAXSLOT + 2], grp_nsp_len[MAXSLOT];
static unsigned long ns_ino[MAXSLOT];
static int ns_parent[MAXSLOT], ns_mnt[MAXSLOT];
static int grp_ns[MAXSLOT]; /* the namespace a group was founded in */
static int slot_ns[MAXSLOT]; /* the namespace a slot's task is in */
static unsigned long ns_inode(int tid);
static int ns_of_ino(unsigned long ino);
/* per group name (the founding slot): its TGID in /proc's namespace and in the
 * walk's namespace; kept when the group is gone (its ids stay in use) */
static int grp_gpid[MAXSLOT], grp_lpid[MAXSLOT];
static int query_seq;
static int controller_tid;
static int ns_init_pid; /* global pid of slot 1 (our child) */
static int delay_ms;
static unsigned skip_mask; /* slots not to read this step (their caba dangles) */
static unsigned barrier_mask; /* slots whose exit must complete before a snapshot counts */
static int settle_timeout_ms = 3000;
static char cur_walk[128];
static int stop_on_timeout; /* STOPONTIMEOUT: a step that does not settle ends its walk */
static int walk_stopped;

static void out(const char *fmt, ...)
{
	char buf[32768];
	int n = snprintf(buf, sizeof buf, "@@ ");
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof buf - n - 2, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	ssize_t w = write(1, buf, n);
	(void)w;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* read a response with a timeout; returns 0 on timeout */
static int get_rsp(struct rsp *r, int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	for (;;) {
		ssize_t n = read(FD_RSP, r, sizeof *r);
		if (n == sizeof *r)
			return 1;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return 0;
		if (now_ms() > end)
			return 0;
		sleep_ms(1);
	}
}

static int read_file(const char *path, char *buf, size_t n);
static const char *field(const char *buf, const char *name);

/* the numbers of an NSpid/NScaba line into v (at most max); returns the count */
static int parse_nums(const char *t, int *v, int max)
{
	int n = 0;
	while (t && *t && *t != '\n' && n < max) {
		while (*t == ' ' || *t == '\t')
			t++;
		if (*t < '0' || *t > '9')
			break;
		v[n++] = atoi(t);
		while (*t >= '0' && *t <= '9')
			t++;
	}
	return n;
}

/* the slot's NSpid from the controller's /proc (PIDNS walks; otherwise its
 * global and walk-namespace TIDs, which is what NSpid shows there) */
static void note_nspid(int slot)
{
	nsp[slot][0] = gtid[slot];
	nsp[slot][1] = ltid[slot];
	nsp_len[slot] = 2;
	if (!pidns_walk)
		return;
	char path[64], buf[8192];
	snprintf(path, sizeof path, "/proc/%d/status", gtid[slot]);
	if (read_file(path, buf, sizeof buf) > 0) {
		int n = parse_nums(field(buf, "NSpid:"), nsp[slot], MAXSLOT + 2);
		if (n >= 2)
			nsp_len[slot] = n;
	}
	slot_ns[slot] = ns_of_ino(ns_inode(gtid[slot])); /* 0 for a new init: note_ns sets it */
}

static void note_hello(struct rsp *r)
{
	if (r->slot > 0 && r->slot < MAXSLOT) {
		ltid[r->slot] = r->v1;
		gtid[r->slot] = r->v2;
		note_nspid(r->slot);
	}
}

/* the pid namespace level of a slot below the controller's (0: the walk's) */
static int level_of(int slot) { return nsp_len[slot] - 2; }

/* slot's (or group's) pid in the namespace at level l, or a pid no task has */
static int pid_at(int *v, int len, int l)
{
	return l >= 0 && l + 1 < len ? v[l + 1] : 0x3ffffff0;
}

/* the inode of a task's pid namespace, 0 if unreadable */
static unsigned long ns_inode(int tid)
{
	char path[64], buf[64];
	snprintf(path, sizeof path, "/proc/%d/ns/pid", tid);
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strchr(buf, '[');
	return p ? strtoul(p + 1, 0, 10) : 0;
}

/* the namespace (its init's slot) whose inode is ino, or 0 */
static int ns_of_ino(unsigned long ino)
{
	for (int i = 1; i <= ntasks; i++)
		if (ino && ns_ino[i] == ino)
			return i;
	return 0;
}

/* record namespace n, founded by slot n, created from creator's namespace;
 * take its proc instance from the init (FD_NSMNT) */
static void note_ns(int n, int creator, int mnt_err)
{
	ns_ino[n] = ns_inode(gtid[n]);
	slot_ns[n] = n;
	ns_parent[n] = creator > 0 ? ns_of_ino(ns_inode(gtid[creator])) : 0;
	ns_mnt[n] = -1;
	if (mnt_err < 0) {
		out("ERR %s namespace %d: fsmount(proc): %s", cur_walk, n, strerror(-mnt_err));
		return;
	}
	int pfd = (int)syscall(SYS_pidfd_open, gtid[n], 0);
	if (pfd >= 0) {
		ns_mnt[n] = (int)syscall(SYS_pidfd_getfd, pfd, FD_NSMNT, 0);
		close(pfd);
	}
	if (ns_mnt[n] < 0)
		out("ERR %s namespace %d: pidfd_getfd: %s", cur_walk, n, strerror(errno));
}

/* the slot whose current TID is x, or -1; the controller is 0 */
static int slot_of(int x)
{
	if (x == controller_tid)
		return 0;
	for (int i = 1; i <= ntasks; i++)
		if (gtid[i] == x)
			return i;
	return -1;
}

/* the group whose TGID (in /proc's namespace) is x, or -1 */
static int group_of(int x)
{
	for (int i = 1; i <= ntasks; i++)
		if (grp_gpid[i] && grp_gpid[i] == x)
			return i;
	return -1;
}

/* whether namespace k (an init's slot) is namespace c or nested in it */
static int ns_within(int k, int c)
{
	for (int d = 0; k > 0 && d < MAXSLOT; k = ns_parent[k], d++)
		if (k == c)
			return 1;
	return 0;
}

/* the pid of task v (numbers v, len; in namespace vns) that slot a passes
 * to a call: its number in a's namespace, or a pid no task has when v has
 * none there (the same number at a's level in a sibling namespace is
 * another task) */
static int pid_for(int a, int *v, int len, int vns)
{
	if (pidns_walk && !ns_within(vns, slot_ns[a]))
		return 0x3ffffff0;
	return pid_at(v, len, level_of(a));
}

/* the group whose TGID, as slot a sees it (a pid of a's namespace: the
 * numbers at a's level that are in a's namespace), is x, or -1 */
static int group_of_at(int a, int x)
{
	int l = a >= 1 && a < MAXSLOT ? level_of(a) : 0;
	int ca = a >= 1 && a < MAXSLOT ? slot_ns[a] : 0;
	for (int i = 1; i <= ntasks; i++)
		if (grp_lpid[i] && l + 1 < grp_nsp_len[i] && grp_nsp[i][l + 1] == x && (!pidns_walk || ns_within(grp_ns[i], ca)))
			return i;
	return -1;
}

/* group g founded: its TGID names it from now on (after note_ns for a
 * namespace init) */
static void note_group(int g)
{
	grp_gpid[g] = gtid[g];
	grp_lpid[g] = ltid[g];
	memcpy(grp_nsp[g], nsp[g], sizeof nsp[g]);
	grp_nsp_len[g] = nsp_len[g];
	grp_ns[g] = slot_ns[g];
}

static void fmt_slot(char *b, size_t n, int s)
{
	if (s == 0)
		snprintf(b, n, "c");
	else if (s < 0)
		snprintf(b, n, "?");
	else
		snprintf(b, n, "%d", s);
}

static int read_file(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t got = 0;
	for (;;) {
		ssize_t r = read(fd, buf + got, n - 1 - got);
		if (r <= 0)
			break;
		got += r;
		if (got >= n - 1)
			break;
	}
	close(fd);
	buf[got] = 0;
	return (int)got;
}

static const char *field(const char *buf, const char *name)
{
	size_t l = strlen(name);
	const char *p = buf;
	while (p && *p) {
		if (!strncmp(p, name, l))
			return p + l;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

static void send_cmd(int slot, int op, int a, int b);

/* the fields of one slot in a snapshot (see the header) */
enum { F_ST, F_TG, F_PP, F_RP, F_CB, F_SID, F_PGID, F_EXECD, F_IGN, F_SUB, F_NSPID, F_NSIN, F_NSCB, NF };
#define NF_BASE F_NSPID /* the fields of a walk without pid namespaces */
#define FW 160
static char snapf[MAXSLOT][NF][FW];

/* read every slot's /proc files into snapf; the subreaper field is left "*"
 * (query_sub fills it in) */
/* join n numbers with ':' after prefix into b */
static void join_nums(char *b, size_t bn, const char *prefix, const int *v, int n)
{
	size_t k = snprintf(b, bn, "%s", prefix);
	for (int i = 0; i < n && k < bn; i++)
		k += snprintf(b + k, bn - k, "%s%d", i ? ":" : "", v[i]);
}

/* append "/" (unless first) and x to the field f */
static void append_part(char *f, const char *x)
{
	size_t k = strlen(f);
	snprintf(f + k, FW - k, "%s%s", k ? "/" : "", x);
}

/* the pidns fields of slot i, whose status (read by the controller) is buf:
 * NSpid without the controller's number, and NSpid and NScaba read through
 * the proc instance of every namespace on the task's chain */
static void snapshot_ns(int i, const char *buf)
{
	char (*f)[FW] = snapf[i];
	int v[MAXSLOT + 2], n = parse_nums(field(buf, "NSpid:"), v, MAXSLOT + 2);
	if (n < 2) {
		strcpy(f[F_NSPID], "?");
		return;
	}
	join_nums(f[F_NSPID], FW, "", v + 1, n - 1);
	int chain[MAXSLOT + 2], depth = 0;
	for (int k = ns_of_ino(ns_inode(gtid[i])); k > 0 && depth < MAXSLOT; k = ns_parent[k])
		chain[depth++] = k;
	if (!depth) {
		strcpy(f[F_NSIN], "?");
		return;
	}
	f[F_NSIN][0] = f[F_NSCB][0] = 0;
	int cb_any = 0;
	for (int d = depth - 1, l = 0; d >= 0; d--, l++) {
		int k = chain[d];
		char part[FW], name[16], path[32], b2[8192];
		snprintf(name, sizeof name, "%d_", k);
		if (ns_mnt[k] < 0 || l + 1 >= n) {
			snprintf(part, sizeof part, "%s?", name);
			append_part(f[F_NSIN], part);
			append_part(f[F_NSCB], part);
			continue;
		}
		snprintf(path, sizeof path, "%d/status", v[l + 1]);
		int fd = openat(ns_mnt[k], path, O_RDONLY | O_CLOEXEC);
		ssize_t got = fd < 0 ? -1 : read(fd, b2, sizeof b2 - 1);
		if (fd >= 0)
			close(fd);
		if (got <= 0) {
			snprintf(part, sizeof part, "%sG", name);
			append_part(f[F_NSIN], part);
			append_part(f[F_NSCB], part);
			continue;
		}
		b2[got] = 0;
		int w[MAXSLOT + 2];
		join_nums(part, sizeof part, name, w, parse_nums(field(b2, "NSpid:"), w, MAXSLOT + 2));
		append_part(f[F_NSIN], part);
		const char *cb = field(b2, "NScaba:");
		cb_any |= cb != 0;
		join_nums(part, sizeof part, name, w, cb ? parse_nums(cb, w, MAXSLOT + 2) : 0);
		append_part(f[F_NSCB], part);
	}
	if (!cb_any)
		strcpy(f[F_NSCB], "-");
}

static void snapshot(void)
{
	int tgid[MAXSLOT];
	char buf[8192], path[128];
	for (int i = 1; i <= ntasks; i++) {
		char (*f)[FW] = snapf[i];
		for (int k = 0; k < NF; k++)
			strcpy(f[k], "-");
		tgid[i] = 0;
		if (!gtid[i]) {
			strcpy(f[F_ST], "U");
			continue;
		}
		if (skip_mask & (1u << i)) {
			for (int k = 0; k < NF; k++)
				strcpy(f[k], "?");
			continue;
		}
		snprintf(path, sizeof path, "/proc/%d/status", gtid[i]);
		if (read_file(path, buf, sizeof buf) < 0) {
			strcpy(f[F_ST], "G");
			continue;
		}
		const char *s = field(buf, "State:");
		while (s && (*s == ' ' || *s == '\t'))
			s++;
		f[F_ST][0] = (s && (*s == 'Z' || *s == 'X')) ? *s : 'R';
		f[F_ST][1] = 0;
		const char *t = field(buf, "Tgid:");
		tgid[i] = t ? atoi(t) : 0;
		fmt_slot(f[F_TG], FW, slot_of(tgid[i]));
		t = field(buf, "PPid:");
		fmt_slot(f[F_PP], FW, t ? slot_of(atoi(t)) : -1);
		t = field(buf, "NScaba:");
		if (t) {
			while (*t == ' ' || *t == '\t')
				t++;
			if (*t < '0' || *t > '9')
				strcpy(f[F_CB], "e"); /* empty: caba outside our namespace */
			else if (atoi(t) == 0)
				strcpy(f[F_CB], "0");
			else
				fmt_slot(f[F_CB], FW, slot_of(atoi(t)));
		}
		t = field(buf, "SigIgn:");
		if (t)
			strcpy(f[F_IGN], (strtoull(t, 0, 16) >> (SIGCHLD - 1)) & 1 ? "1" : "0");
		else
			strcpy(f[F_IGN], "?");
		if (tgid[i] == gtid[i])
			strcpy(f[F_RP], i == 1 ? "c" : "n");
		/* stat: pid (comm) state ppid pgrp session tty_nr tpgid flags */
		snprintf(path, sizeof path, "/proc/%d/stat", gtid[i]);
		strcpy(f[F_SID], "?");
		strcpy(f[F_PGID], "?");
		if (read_file(path, buf, sizeof buf) > 0) {
			char *rp = strrchr(buf, ')');
			char st;
			int ppid, pgrp, sess, tty, tpgid;
			unsigned flags;
			if (rp && sscanf(rp + 1, " %c %d %d %d %d %d %u", &st, &ppid, &pgrp, &sess, &tty, &tpgid, &flags) == 7) {
				int g = group_of(sess);
				if (g > 0)
					snprintf(f[F_SID], FW, "%d", g);
				g = group_of(pgrp);
				if (g > 0)
					snprintf(f[F_PGID], FW, "%d", g);
				if (tgid[i] == gtid[i])
					strcpy(f[F_EXECD], flags & 0x40 /* PF_FORKNOEXEC */ ? "0" : "1");
			}
		}
		if (f[F_ST][0] == 'R')
			strcpy(f[F_SUB], "*");
		if (pidns_walk) {
			snprintf(path, sizeof path, "/proc/%d/status", gtid[i]);
			if (read_file(path, buf, sizeof buf) > 0)
				snapshot_ns(i, buf);
		}
	}
	/* real parents: walk every live thread's children list */
	for (int u = 1; u <= ntasks; u++) {
		char c0 = snapf[u][F_ST][0];
		if (!gtid[u] || c0 == 'G' || c0 == 'U' || c0 == '?' || !tgid[u])
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%d/children", tgid[u], gtid[u]);
		if (read_file(path, buf, sizeof buf) < 0)
			continue;
		char *p = buf;
		while (*p) {
			while (*p == ' ' || *p == '\n')
				p++;
			if (!*p)
				break;
			int c = slot_of(atoi(p));
			if (c > 0 && c <= ntasks && snapf[c][F_ST][0] != '?')
				fmt_slot(snapf[c][F_RP], FW, u);
			while (*p && *p != ' ' && *p != '\n')
				p++;
		}
	}
}

/* ask every alive actor whether its process is a child subreaper; an actor
 * of a settled state is blocked reading its pipe and answers at once (the
 * long wait is for a loaded machine), one of a state that did not settle may
 * be dying */
static void query_sub(int settled)
{
	long end = now_ms() + (settled ? 3000 : 200); /* for all of them */
	for (int i = 1; i <= ntasks; i++) {
		if (strcmp(snapf[i][F_SUB], "*"))
			continue;
		strcpy(snapf[i][F_SUB], "?");
		if (now_ms() >= end)
			continue;
		int seq = ++query_seq;
		send_cmd(i, OP_QUERY, seq, 0);
		struct rsp r;
		while (now_ms() < end && get_rsp(&r, (int)(end - now_ms()) + 1)) {
			if (r.kind == R_HELLO)
				note_hello(&r);
			if (r.kind == R_QUERY && r.slot == i && r.v2 == seq) {
				if (r.v1 >= 0)
					strcpy(snapf[i][F_SUB], r.v1 ? "1" : "0");
				break;
			}
		}
	}
}

static void format_snapshot(char *outbuf, size_t outn)
{
	size_t n = 0;
	outbuf[0] = 0;
	for (int i = 1; i <= ntasks && n < outn; i++) {
		n += snprintf(outbuf + n, outn - n, "%s", i > 1 ? " " : "");
		for (int k = 0; k < (pidns_walk ? NF : NF_BASE) && n < outn; k++)
			n += snprintf(outbuf + n, outn - n, "%s%s", k ? "." : "", snapf[i][k]);
	}
}

static int pattern_match(const char *pat, const char *obs)
{
	/* fields separated by '.' or ' '; "*" in the pattern matches one field,
	 * and so does a "*" observed (a field not read yet) */
	while (*pat && *obs) {
		if (*pat == '*' || (*obs == '*' && (obs[1] == '.' || obs[1] == ' ' || !obs[1]))) {
			while (*pat && *pat != '.' && *pat != ' ')
				pat++;
			while (*obs && *obs != '.' && *obs != ' ')
				obs++;
			continue;
		}
		if (*pat != *obs)
			return 0;
		pat++;
		obs++;
	}
	return !*pat && !*obs;
}

/* the barrier: every slot of barrier_mask is gone from /proc or a zombie (its
 * stat, unlike its status, prints no caba, so reading it is safe) */
static int barrier_done(void)
{
	char buf[1024], path[64];
	for (int i = 1; i <= ntasks; i++) {
		if (!(barrier_mask & (1u << i)) || !gtid[i])
			continue;
		snprintf(path, sizeof path, "/proc/%d/stat", gtid[i]);
		if (read_file(path, buf, sizeof buf) <= 0)
			continue; /* gone */
		char *rp = strrchr(buf, ')');
		if (rp && (rp[2] == 'Z' || rp[2] == 'X'))
			continue;
		return 0;
	}
	return 1;
}

/* whether a task is alive (in /proc, neither zombie nor dead) */
static int task_alive(int tid)
{
	char buf[1024], path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", tid);
	if (read_file(path, buf, sizeof buf) <= 0)
		return 0;
	char *rp = strrchr(buf, ')');
	return rp && rp[1] && rp[2] != 'Z' && rp[2] != 'X';
}

#define MAXEXP 256
static char *expects[MAXEXP];
static int nexpects;

/* wait until the snapshot matches an expectation (or time out), then ask the
 * actors what /proc does not show, and print it */
static void settle_and_report(int k)
{
	char snap[24576];
	long start = now_ms();
	int ok = 0, iters = 0, bar = 1;
	if (delay_ms)
		sleep_ms(delay_ms);
	for (;;) {
		bar = barrier_done(); /* first: the snapshot after it sees the completed exit */
		snapshot();
		format_snapshot(snap, sizeof snap);
		iters++;
		for (int i = 0; i < nexpects && !ok && bar; i++)
			if (pattern_match(expects[i], snap))
				ok = 1;
		if (ok || (!nexpects && bar) || now_ms() - start > settle_timeout_ms)
			break;
		sleep_ms(iters < 20 ? 1 : 10);
	}
	long ms = now_ms() - start;
	query_sub(ok || !nexpects);
	format_snapshot(snap, sizeof snap);
	out("OBS %s %d %s %s | %ldms", cur_walk, k, ok ? "match" : !bar ? "unsettled" : (nexpects ? "timeout" : "noexpect"), snap, ms);
	if (!ok && nexpects && stop_on_timeout)
		walk_stopped = 1; /* the kernel left every state the model allows */
	for (int i = 0; i < nexpects; i++)
		free(expects[i]);
	nexpects = 0;
	delay_ms = 0;
	skip_mask = 0;
	barrier_mask = 0;
}

static void send_cmd(int slot, int op, int a, int b)
{
	struct cmd c = { op, a, b, 0 };
	if (slot < 1 || slot > ntasks || write(FD_CMDW + slot, &c, sizeof c) != sizeof c)
		out("ERR %s cannot send to slot %d", cur_walk, slot);
}

static void place(int fd, int want)
{
	if (fd != want) {
		dup2(fd, want);
		close(fd);
	}
}

static int task_alive(int tid);

/* a PIDNS walk's teardown: every alive actor's process moves into a
 * process group of its own first (setpgid(0, 0); a session leader's is its
 * own already). A namespace init in the process group of another pid of
 * its namespace would otherwise never finish the exit the SIGKILL below
 * starts: zap_pid_ns_processes waits until every struct pid of the
 * namespace is freed, and the init's own pgrp keeps that one (see
 * kernel/README.md), so the walk's init would wait on it for ever. */
static void own_groups(void)
{
	int sent = 0;
	for (int i = 1; i <= ntasks; i++)
		if (gtid[i] && task_alive(gtid[i])) {
			send_cmd(i, OP_SETPGID, 0, 0);
			sent++;
		}
	long end = now_ms() + 1000;
	struct rsp r;
	while (sent > 0 && now_ms() < end && get_rsp(&r, (int)(end - now_ms()) + 1))
		if (r.kind == R_ACK)
			sent--;
}

static void end_walk(void)
{
	if (ns_init_pid > 0 && pidns_walk)
		own_groups();
	if (ns_init_pid > 0) {
		kill(ns_init_pid, SIGKILL);
		waitpid(ns_init_pid, 0, __WALL);
	}
	ns_init_pid = 0;
	for (int i = 0; i < MAXSLOT; i++) {
		close(FD_CMD + i);
		close(FD_CMDW + i);
	}
	close(FD_RSP);
	close(FD_RSPW);
	for (int i = 0; i < MAXSLOT; i++) {
		if (ns_ino[i] && ns_mnt[i] >= 0)
			close(ns_mnt[i]);
		ns_ino[i] = 0;
		ns_mnt[i] = -1;
		ns_parent[i] = 0;
	}
	memset(nsp_len, 0, sizeof nsp_len);
	memset(grp_nsp_len, 0, sizeof grp_nsp_len);
	memset(grp_ns, 0, sizeof grp_ns);
	memset(slot_ns, 0, sizeof slot_ns);
	memset(gtid, 0, sizeof gtid);
	memset(ltid, 0, sizeof ltid);
	memset(grp_gpid, 0, sizeof grp_gpid);
	memset(grp_lpid, 0, sizeof grp_lpid);
}

static int begin_walk(const char *name, int n)
{
	snprintf(cur_walk, sizeof cur_walk, "%s", name);
	ntasks = n;
	for (int i = 1; i <= n; i++) {
		int p[2];
		if (pipe(p) < 0)
			return -1;
		place(p[0], FD_CMD + i);
		place(p[1], FD_CMDW + i);
	}
	int p[2];
	if (pipe(p) < 0)
		return -1;
	place(p[0], FD_RSP);
	place(p[1], FD_RSPW);
	fcntl(FD_RSP, F_SETFL, O_NONBLOCK);
	long pid = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {
		out("ERR %s clone(CLONE_NEWPID): %s", name, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* the model's init leads its session and process group */
		long sr = syscall(SYS_setsid);
		int me = pidns_walk ? mount_ns_proc() : 0;
		hello_ex(1, sr < 0 ? -errno : me < 0 ? me - 100000 : 0);
		actor_loop(1);
	}
	ns_init_pid = (int)pid;
	struct rsp r;
	if (!get_rsp(&r, 5000) || r.kind != R_HELLO) {
		out("ERR %s no hello from slot 1", name);
		return -1;
	}
	note_hello(&r);
	if (r.v4 < 0 && r.v4 > -100000)
		out("ERR %s setsid() in task 1: %s", name, strerror(-r.v4));
	if (pidns_walk)
		note_ns(1, 0, r.v4 <= -100000 ? r.v4 + 100000 : 0);
	note_group(1);
	return 0;
}

/* collect responses until every wanted (kind,slot) pair arrived */
static struct rsp last_hello; /* the hello collect waited for */

static int collect(int want_hello, int want_ack, int ackslot, struct rsp *ack)
{
	long end = now_ms() + settle_timeout_ms;
	while (want_hello >= 0 || want_ack) {
		struct rsp r;
		long left = end - now_ms();
		if (left <= 0 || !get_rsp(&r, (int)left))
			return -1;
		if (r.kind == R_HELLO && r.slot == want_hello) {
			note_hello(&r);
			last_hello = r;
			want_hello = -1;
		} else if (r.kind == R_ACK && want_ack && r.slot == ackslot) {
			*ack = r;
			want_ack = 0;
			if (r.v1 < 0)
				want_hello = -1; /* the call failed: no new task will say hello */
		} else if (r.kind == R_HELLO) {
			note_hello(&r);
		}
	}
	return 0;
}

static const char *errname(int e)
{
	static char b[16];
	switch (e) {
	case EPERM:
		return "EPERM";
	case ESRCH:
		return "ESRCH";
	case EACCES:
		return "EACCES";
	case EINVAL:
		return "EINVAL";
	case ECHILD:
		return "ECHILD";
	}
	snprintf(b, sizeof b, "E%d", e);
	return b;
}

static void do_step(int k, char *op, int a, int b, int c)
{
	struct rsp ack = { 0 };
	int rc = 0;
	if (!strcmp(op, "fork") || !strcmp(op, "forkparent") || !strcmp(op, "clone") || !strcmp(op, "forknewpid")) {
		int o = !strcmp(op, "fork") ? OP_FORK : !strcmp(op, "forkparent") ? OP_FORKPARENT :
			!strcmp(op, "clone") ? OP_CLONE : OP_FORKNEWPID;
		send_cmd(a, o, b, 0);
		rc = collect(b, 1, a, &ack);
		if (!rc && ack.v1 < 0)
			out("RET %s %d %s", cur_walk, k, errname(ack.v2));
		if (!rc && ack.v1 >= 0 && o == OP_FORKNEWPID && b > 0 && b < MAXSLOT)
			note_ns(b, a, last_hello.v4);
		if (!rc && ack.v1 >= 0 && o != OP_CLONE && b > 0 && b < MAXSLOT)
			note_group(b); /* b founds a group: its TGID names it from now on */
	} else if (!strcmp(op, "setsid")) {
		send_cmd(a, OP_SETSID, 0, 0);
		rc = collect(-1, 1, a, &ack);
		if (!rc) {
			if (ack.v1 < 0)
				out("RET %s %d %s", cur_walk, k, errname(ack.v2));
			else if (group_of_at(a, ack.v1) > 0)
				out("RET %s %d ok %d", cur_walk, k, group_of_at(a, ack.v1));
			else
				out("RET %s %d ok ?%d", cur_walk, k, ack.v1);
		}
	} else if (!strcmp(op, "setpgid")) {
		int ok = a >= 1 && a <= ntasks;
		int pid = ok && b >= 1 && b < MAXSLOT && grp_lpid[b] ? pid_for(a, grp_nsp[b], grp_nsp_len[b], grp_ns[b]) : 0;
		int pgid = ok && c >= 1 && c < MAXSLOT && grp_lpid[c] ? pid_for(a, grp_nsp[c], grp_nsp_len[c], grp_ns[c]) : 0;
		if (!pid || !pgid) {
			out("ERR %s step %d: setpgid %d %d: no such group", cur_walk, k, b, c);
		} else {
			send_cmd(a, OP_SETPGID, pid, pgid);
			rc = collect(-1, 1, a, &ack);
			if (!rc)
				out("RET %s %d %s", cur_walk, k, ack.v1 < 0 ? errname(ack.v2) : "ok 0");
		}
	} else if (!strcmp(op, "subreaper")) {
		send_cmd(a, OP_SUBREAPER, b, 0);
		rc = collect(-1, 1, a, &ack);
	} else if (!strcmp(op, "ignchld")) {
		send_cmd(a, OP_IGNCHLD, 0, 0);
		rc = collect(-1, 1, a, &ack);
	} else if (!strcmp(op, "exit") || !strcmp(op, "exitgroup")) {
		send_cmd(a, !strcmp(op, "exit") ? OP_EXIT : OP_EXITGROUP, 0, 0);
	} else if (!strcmp(op, "wait")) {
		send_cmd(a, OP_WAIT, b >= 1 && b <= ntasks && a >= 1 && a <= ntasks ? pid_for(a, nsp[b], nsp_len[b], slot_ns[b]) : -1, 0);
		rc = collect(-1, 1, a, &ack);
		if (!rc) {
			if (ack.v1 < 0)
				out("RET %s %d %s", cur_walk, k, errname(ack.v2));
			else if (ack.v1 == 0)
				out("RET %s %d ok 0", cur_walk, k);
			else if (group_of_at(a, ack.v1) > 0)
				out("RET %s %d ok %d", cur_walk, k, group_of_at(a, ack.v1));
			else
				out("RET %s %d ok ?%d", cur_walk, k, ack.v1);
		}
	} else if (!strcmp(op, "exec")) {
		int og = gtid[a], ol = ltid[a], on[MAXSLOT + 2], onl = nsp_len[a];
		memcpy(on, nsp[a], sizeof on);
		send_cmd(a, OP_EXEC, 0, 0);
		rc = collect(a, 0, a, &ack);
		if (!rc && b >= 1 && b <= ntasks && b != a) {
			gtid[b] = og; /* exchange_tids: the old leader takes the exec'ing thread's TID */
			ltid[b] = ol;
			memcpy(nsp[b], on, sizeof on);
			nsp_len[b] = onl;
		}
	} else if (!strcmp(op, "read")) {
		/* snapshot only */
	} else {
		out("ERR %s step %d: unknown op %s", cur_walk, k, op);
	}
	if (rc)
		out("ERR %s step %d: %s %d %d: no answer", cur_walk, k, op, a, b);
	settle_and_report(k);
}

static int progress_fd = -1;

static int run_script(FILE *f, int skip)
{
	int walkno = 0, skipping = 0;
	char line[32768];
	int k = 0, a = 0, b = 0, c = 0, inwalk = 0, havestep = 0;
	char op[32] = "";
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "WALK ", 5)) {
			char name[128];
			int n = 0;
			if (sscanf(line + 5, "%127s %d", name, &n) != 2 || n < 1 || n >= MAXSLOT) {
				out("ERR bad line: %s", line);
				continue;
			}
			if (inwalk)
				end_walk();
			inwalk = 0;
			walk_stopped = 0;
			walkno++;
			skipping = walkno <= skip;
			if (skipping)
				continue;
			if (progress_fd >= 0) {
				ssize_t w = write(progress_fd, &walkno, sizeof walkno);
				(void)w;
			}
			out("WALK %s", name);
			pidns_walk = strstr(line + 5, " PIDNS") != 0;
			inwalk = begin_walk(name, n) == 0;
			if (!inwalk) {
				end_walk();
				out("ERR %s cannot start", name);
			}
		} else if (skipping) {
			continue;
		} else if (!strncmp(line, "STEP ", 5)) {
			a = b = c = 0;
			op[0] = 0;
			sscanf(line + 5, "%d %31s %d %d %d", &k, op, &a, &b, &c);
			havestep = 1;
		} else if (!strncmp(line, "EXPECT ", 7)) {
			if (nexpects < MAXEXP)
				expects[nexpects++] = strdup(line + 7);
		} else if (!strncmp(line, "SKIP ", 5)) {
			int n = atoi(line + 5);
			if (n > 0 && n < MAXSLOT)
				skip_mask |= 1u << n;
		} else if (!strncmp(line, "BARRIER ", 8)) {
			char *p = line + 8, *e;
			for (long n; (n = strtol(p, &e, 10)), e != p; p = e)
				if (n > 0 && n < MAXSLOT)
					barrier_mask |= 1u << n;
		} else if (!strncmp(line, "DELAY ", 6)) {
			delay_ms = atoi(line + 6);
		} else if (!strcmp(line, "STOPONTIMEOUT")) {
			stop_on_timeout = 1;
		} else if (!strncmp(line, "TIMEOUT ", 8)) {
			settle_timeout_ms = atoi(line + 8);
		} else if (!strcmp(line, "END")) {
			if (inwalk && havestep && !walk_stopped)
				do_step(k, op, a, b, c);
			else {
				for (int i = 0; i < nexpects; i++)
					free(expects[i]);
				nexpects = 0;
				skip_mask = barrier_mask = 0;
				delay_ms = 0;
			}
			havestep = 0;
		} else if (!strcmp(line, "ENDWALK")) {
			if (inwalk) {
				end_walk();
				out("ENDWALK %s", cur_walk);
			}
			inwalk = 0;
		}
	}
	if (inwalk)
		end_walk();
	out("DONE");
	return 0;
}

static int open_self(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	place(fd, FD_EXE); /* dup2 clears O_CLOEXEC: actors inherit it */
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "actor")) {
		int slot = atoi(argv[2]);
		hello(slot);
		actor_loop(slot);
	}
	int as_init = getpid() == 1;
	if (as_init) {
		mkdir("/proc", 0555);
		if (mount("proc", "/proc", "proc", 0, 0) < 0)
			out("ERR mount /proc: %s", strerror(errno));
		/* the console line discipline would otherwise turn \n into \r\n only */
	}
	controller_tid = (int)gettid_();
	signal(SIGPIPE, SIG_IGN);
	if (open_self() < 0) {
		out("ERR cannot open /proc/self/exe: %s", strerror(errno));
		return 2;
	}
	FILE *f = 0;
	if (as_init)
		f = fopen("/script.txt", "r");
	else if (argc >= 3 && !strcmp(argv[1], "run"))
		f = strcmp(argv[2], "-") ? fopen(argv[2], "r") : stdin;
	else {
		fprintf(stderr, "usage: %s run SCRIPT|-\n", argv[0]);
		return 2;
	}
	if (!f) {
		out("ERR cannot open script");
		if (as_init) {
			sync();
			reboot(RB_AUTOBOOT);
		}
		return 2;
	}
	if (as_init) {
		char buf[256];
		if (read_file("/proc/version", buf, sizeof buf) > 0) {
			buf[strcspn(buf, "\n")] = 0;
			out("KERNEL %s", buf);
		}
	}
	if (!as_init) {
		out("START controller %d", controller_tid);
		run_script(f, 0);
		return 0;
	}
	/* as init: run the script in a worker; if a kernel bug kills it,
	 * report the walk and go on with the next one */
	int skip = 0;
	for (;;) {
		int p[2];
		if (pipe(p) < 0)
			break;
		fflush(0);
		pid_t w = fork();
		if (w == 0) {
			close(p[0]);
			progress_fd = p[1];
			controller_tid = (int)gettid_();
			rewind(f);
			out("START controller %d", controller_tid);
			run_script(f, skip);
			_exit(0);
		}
		close(p[1]);
		int last = skip, n;
		while (read(p[0], &n, sizeof n) == sizeof n)
			last = n;
		close(p[0]);
		int st = 0;
		for (;;) {
			pid_t r = waitpid(-1, &st, __WALL);
			if (r == w || (r < 0 && errno != EINTR))
				break;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			break;
		out("CRASH walk %d: worker %s %d", last, WIFSIGNALED(st) ? "killed by signal" : "exited with", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		skip = last;
	}
	/* reap whatever is left */
	while (waitpid(-1, 0, __WALL | WNOHANG) > 0)
		;
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}
