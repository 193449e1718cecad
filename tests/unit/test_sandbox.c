/*
 * Unit tests for milter/sandbox.h, each in a forked child (a filter
 * cannot be taken off): what a scan does still works under the filter
 * (files, locks, DNS sockets, memory, clocks, randomness, a GLib warning,
 * abort ending the process with SIGABRT); what it must never do kills
 * the process with SIGSYS (exec, fork, a thread, ptrace, a unix, netlink
 * or packet socket, kill of another process, set*id, mount, bpf,
 * process_vm_readv, a writable+executable mapping is refused); the
 * rlimits are in place (fork fails, no core, 32 descriptors, the memory
 * ceiling makes malloc fail); dropping to a user, when run as root.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "milter/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif

/* Runs fn in a child under the filter; its wait status. fn returns the
 * child's exit code (0: as expected). */
static int in_child(int (*fn)(void), bool filter)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256];
		if (filter && pc_sandbox_filter(err, sizeof err) != 0) {
			fprintf(stderr, "filter: %s\n", err);
			_exit(100);
		}
		_exit(fn());
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void expect_exit0(int st, const char *what)
{
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("%s: %s %d", what, WIFEXITED(st) ? "exit" : "signal",
		         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static void expect_sigsys(int st, const char *what)
{
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
		fail_msg("%s: expected SIGSYS, got %s %d", what, WIFEXITED(st) ? "exit" : "signal",
		         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* ---- allowed ---- */

static char dir[64]; /* made and removed by the parent */

static int scan_like(void)
{
	if (!pc_sandbox_active())
		return 1;
	/* a file: create, write, lock, sync, read, truncate, remove (SQLite's) */
	char path[96], path2[96];
	snprintf(path, sizeof path, "%s/f", dir);
	snprintf(path2, sizeof path2, "%s/g", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || pwrite(fd, "abc", 3, 0) != 3 || fsync(fd) != 0 || fdatasync(fd) != 0)
		return 3;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
	if (fcntl(fd, F_SETLK, &fl) != 0 || fcntl(fd, F_GETLK, &fl) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
		return 4;
	char b[4];
	if (pread(fd, b, 3, 0) != 3 || memcmp(b, "abc", 3) || ftruncate(fd, 0) != 0 || fchmod(fd, 0640) != 0)
		return 5;
	/* a shared mapping, as SQLite's -shm */
	if (ftruncate(fd, 4096) != 0)
		return 6;
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED || munmap(m, 4096) != 0)
		return 7;
	close(fd);
	if (unlink(path) != 0)
		return 8;
	(void)path2;
	return 0;
}

static int scan_like_rest(void)
{
	/* memory: a large block, realloc'd (mremap), given back */
	char *p = malloc(64 << 20);
	if (!p)
		return 10;
	memset(p, 1, 64 << 20);
	p = realloc(p, 128 << 20);
	if (!p)
		return 11;
	free(p);
	/* writable and executable at once: refused, not fatal */
	void *x = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x != MAP_FAILED || errno != EPERM)
		return 12;
	void *r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED || mprotect(r, 4096, PROT_READ | PROT_EXEC) != 0)
		return 13;
	if (mprotect(r, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) == 0 || errno != EPERM)
		return 14;
	/* DNS: UDP and TCP sockets, IPv4 and IPv6 */
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int t = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (u < 0 || t < 0)
		return 15;
	int on = 1;
	if (setsockopt(u, SOL_IP, IP_RECVERR, &on, sizeof on) != 0)
		return 16;
	close(u);
	close(t);
	/* clocks, sleep, randomness, ids */
	struct timespec ts;
	unsigned char rnd[16];
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0 || clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0 ||
	    getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd || usleep(1000) != 0)
		return 17;
	(void)getpid();
	(void)geteuid();
	/* isatty() is answered "no" */
	if (isatty(2))
		return 18;
	/* a GLib warning is written to stderr, not to a journal socket */
	g_warning("test_sandbox: a GLib warning under the filter (expected)");
	/* a CPU timer */
	struct itimerval it = {{0, 0}, {100, 0}};
	if (setitimer(ITIMER_PROF, &it, NULL) != 0)
		return 19;
	return 0;
}

static int aborts(void)
{
	abort();
}

static void test_allowed(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/pc-sandbox-XXXXXX");
	assert_non_null(mkdtemp(dir));
	expect_exit0(in_child(scan_like, true), "files under the filter");
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	expect_exit0(in_child(scan_like_rest, true), "memory, sockets, clocks under the filter");
	int st = in_child(aborts, true);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
}

#ifdef ASAN
/* a memory error under the filter: the sanitizer's report is written and
 * the process ends its own way (exit 1, or SIGABRT with abort_on_error),
 * not by SIGSYS half-way through the report */
static int overflow(void)
{
	volatile char *p = malloc(10);
	p[10] = 1;
	return p[10] == 1 ? 3 : 4;
}

static void test_asan_report(void **state)
{
	(void)state;
	int st = in_child(overflow, true);
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		fail_msg("the sanitizer's report was cut by the filter (SIGSYS)");
	assert_true((WIFEXITED(st) && WEXITSTATUS(st) == 1) || (WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT));
}
#endif

/* ---- forbidden: each kills with SIGSYS ---- */

static int do_exec(void)
{
	char *argv[] = {"/bin/true", NULL};
	execve("/bin/true", argv, environ);
	return 0;
}
static int do_fork(void)
{
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	return 0;
}
static void *thread_fn(void *a)
{
	return a;
}
static int do_thread(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, thread_fn, NULL) == 0)
		pthread_join(t, NULL);
	return 0;
}
static int do_unix(void)
{
	socket(AF_UNIX, SOCK_STREAM, 0);
	return 0;
}
static int do_unix_dgram(void)
{
	socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return 0;
}
static int do_netlink(void)
{
	socket(AF_NETLINK, SOCK_RAW, 0);
	return 0;
}
static int do_packet(void)
{
	socket(AF_PACKET, SOCK_RAW, 0);
	return 0;
}
static int do_raw(void)
{
	socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	return 0;
}
static int do_ptrace(void)
{
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	return 0;
}
static int do_kill_parent(void)
{
	kill(getppid(), 0);
	return 0;
}
static int do_kill_group(void)
{
	kill(0, 0);
	return 0;
}
static int do_setuid(void)
{
	setuid(getuid());
	return 0;
}
static int do_mount(void)
{
	/* harmless even if it ran: no such file system type, no such target */
	mount("none", "/nonexistent-pc-sandbox", "pc-no-such-fs", MS_RDONLY, NULL);
	return 0;
}
static int do_bpf(void)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a);
	return 0;
}
static int do_vm_read(void)
{
	char buf[8];
	struct iovec l = {buf, sizeof buf}, r = {buf, sizeof buf};
	process_vm_readv(getppid(), &l, 1, &r, 1, 0);
	return 0;
}
static int do_ioctl(void)
{
	int n;
	ioctl(0, FIONREAD, &n);
	return 0;
}
static int do_prctl(void)
{
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 0;
}
static int do_fcntl_owner(void)
{
	fcntl(0, F_SETOWN, getpid());
	return 0;
}

/* the quarantine is the front end's: a worker renames nothing and makes
 * no directory */
static int do_mkdir(void)
{
	char path[96];
	snprintf(path, sizeof path, "%s/d", dir);
	mkdir(path, 0700);
	return 0;
}
static int do_rename(void)
{
	char a[96], b[96];
	snprintf(a, sizeof a, "%s/a", dir);
	snprintf(b, sizeof b, "%s/b", dir);
	renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE);
	return 0;
}

static void test_forbidden(void **state)
{
	(void)state;
	static const struct {
		int (*fn)(void);
		const char *what;
	} calls[] = {
	    {do_exec, "execve"},
	    {do_fork, "fork"},
	    {do_thread, "pthread_create"},
	    {do_unix, "socket(AF_UNIX, SOCK_STREAM)"},
	    {do_unix_dgram, "socket(AF_UNIX, SOCK_DGRAM)"},
	    {do_netlink, "socket(AF_NETLINK)"},
	    {do_packet, "socket(AF_PACKET)"},
	    {do_raw, "socket(AF_INET, SOCK_RAW)"},
	    {do_ptrace, "ptrace"},
	    {do_kill_parent, "kill(parent)"},
	    {do_kill_group, "kill(0)"},
	    {do_setuid, "setuid"},
	    {do_mount, "mount"},
	    {do_mkdir, "mkdir"},
	    {do_rename, "renameat2"},
	    {do_bpf, "bpf"},
	    {do_vm_read, "process_vm_readv"},
	    {do_ioctl, "ioctl(FIONREAD)"},
	    {do_prctl, "prctl(PR_SET_DUMPABLE)"},
	    {do_fcntl_owner, "fcntl(F_SETOWN)"},
	};
	/* each is harmless in itself (signal 0, no such target, bad
	 * arguments): only the filter makes it fatal */
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		expect_sigsys(in_child(calls[i].fn, true), calls[i].what);
}

/* /proc/self/status: NoNewPrivs 1 and Seccomp 2 (a filter) */
static int check_status(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return 1;
	char line[256];
	long nnp = -1, sc = -1;
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, "NoNewPrivs:", 11))
			nnp = strtol(line + 11, NULL, 10);
		else if (!strncmp(line, "Seccomp:", 8))
			sc = strtol(line + 8, NULL, 10);
	}
	fclose(f);
	return nnp == 1 && sc == 2 ? 0 : 2;
}

static void test_status(void **state)
{
	(void)state;
	expect_exit0(in_child(check_status, true), "NoNewPrivs 1, Seccomp 2");
}

/* ---- rlimits ---- */

static int check_limits(void)
{
	char err[256];
	if (pc_sandbox_limits((size_t)256 << 20, err, sizeof err) != 0)
		return 1;
	struct rlimit rl;
	if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
		return 2;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur != PC_SANDBOX_NOFILE || rl.rlim_max != PC_SANDBOX_NOFILE)
		return 3;
	if (getrlimit(RLIMIT_NPROC, &rl) != 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
		return 4;
	/* cannot be raised again */
	rl.rlim_cur = rl.rlim_max = 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && geteuid() != 0)
		return 5;
#ifndef ASAN
	if (getrlimit(RLIMIT_DATA, &rl) != 0 || rl.rlim_cur != (rlim_t)256 << 20)
		return 6;
	/* over the ceiling: malloc fails (the caller faults the scan or dies) */
	void *p = malloc((size_t)512 << 20);
	if (p)
		return 7;
#endif
	/* no new process (root is exempt from RLIMIT_NPROC: the filter is not) */
	if (geteuid() != 0) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid >= 0 || errno != EAGAIN)
			return 8;
	}
	/* 32 descriptors at most */
	int n = 0;
	while (open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0)
		n++;
	if (errno != EMFILE || n > PC_SANDBOX_NOFILE)
		return 9;
	return 0;
}

static int drop_then_limits(void)
{
	char err[256];
	if (geteuid() == 0 && pc_sandbox_drop("nobody", err, sizeof err) != 0)
		return 20;
	return check_limits();
}

static void test_limits(void **state)
{
	(void)state;
	/* as we are, and (when root) as nobody, where RLIMIT_NPROC bites */
	expect_exit0(in_child(check_limits, false), "rlimits");
	expect_exit0(in_child(drop_then_limits, false), "rlimits after a drop");
}

/* ---- dropping to a user ---- */

static int drop_nobody(void)
{
	char err[256];
	uid_t uid;
	gid_t gid;
	if (pc_sandbox_lookup("nobody", &uid, &gid, err, sizeof err) != 0)
		return 1;
	if (pc_sandbox_drop("nobody", err, sizeof err) != 0)
		return 2;
	uid_t r, e, s;
	gid_t rg, eg, sg;
	if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid)
		return 3;
	if (getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid)
		return 4;
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		return 5;
	gid_t groups[64];
	int ng = getgroups(64, groups);
	for (int i = 0; i < ng; i++)
		if (groups[i] == 0)
			return 6;
	/* now not root: the same user again is fine, another one is refused */
	if (pc_sandbox_drop("nobody", err, sizeof err) != 0)
		return 7;
	if (pc_sandbox_drop("root", err, sizeof err) == 0 || !strstr(err, "not root"))
		return 8;
	if (pc_sandbox_drop("", err, sizeof err) != 0)
		return 9;
	return 0;
}

static int unknown_user(void)
{
	char err[256];
	return pc_sandbox_drop("no-such-user-pc", err, sizeof err) == -1 && strstr(err, "no such user") ? 0 : 1;
}

/* dropped, filtered, and not dumpable: /proc/PID belongs to root, not to
 * the user the process runs as */
static int drop_filter_wait(void)
{
	char err[256];
	if (pc_sandbox_drop("nobody", err, sizeof err) != 0 || pc_sandbox_filter(err, sizeof err) != 0)
		return 1;
	char c;
	return read(0, &c, 1) >= 0 ? 0 : 2; /* until the parent closes the pipe */
}

static void test_drop(void **state)
{
	(void)state;
	expect_exit0(in_child(unknown_user, false), "an unknown user is refused");
	uid_t u;
	gid_t g;
	char e[256];
	if (geteuid() != 0 || pc_sandbox_lookup("nobody", &u, &g, e, sizeof e) != 0)
		skip(); /* the CI runs as root, and Debian has nobody */
	expect_exit0(in_child(drop_nobody, false), "drop to nobody");
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[0], 0);
		close(p[1]);
		_exit(drop_filter_wait());
	}
	close(p[0]);
	usleep(200000);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	struct stat sb;
	uid_t uid;
	gid_t gid;
	char err[256];
	assert_int_equal(pc_sandbox_lookup("nobody", &uid, &gid, err, sizeof err), 0);
	int ok = stat(path, &sb) == 0 && sb.st_uid == 0 && uid != 0;
	close(p[1]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	expect_exit0(st, "dropped and filtered");
	assert_true(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allowed),     cmocka_unit_test(test_forbidden), cmocka_unit_test(test_status),
	    cmocka_unit_test(test_limits),      cmocka_unit_test(test_drop),
#ifdef ASAN
	    cmocka_unit_test(test_asan_report),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
