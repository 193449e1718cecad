/*
 * NAME
 *   sandbox - drop to a user, set a worker's rlimits, install its seccomp filter
 * DESCRIPTION
 *   See sandbox.h. How the pieces were chosen:
 *
 *   The allow-list is what a worker was seen to call once its filter
 *   is in place (from its first read of a request on), 34 system calls:
 *   strace -f of one worker (tests/milter/trace_worker.py, driving it
 *   with tests/milter/drive_worker.py) with a store, DNS over UDP and TCP
 *   from a loopback dnsmasq, over the 59 tests/data messages, examples/
 *   and the 7,505 messages of ../shared/corpus; and of every worker of
 *   the Postfix test (tests/milter/integration.py, two workers sharing
 *   the store: SQLite's busy sleeps). Then 18 more that a path not taken
 *   in those runs needs, each named below with its reason (SQLite as root
 *   or under another umask, glibc malloc, abort(), limits.cpu's timer),
 *   and getrusage (the worker's CPU time goes with each answer). Since
 *   the front end writes the quarantine, the worker's mkdir, mkdirat,
 *   renameat2 and unlinkat (seen: the quarantine's) are gone.
 *   No worker started a thread in any run: clone, clone3, fork, vfork,
 *   execve and execveat are not allowed, nor ptrace, process_vm_*,
 *   mount, bpf, the set*id family, kill of another process, or a socket
 *   other than AF_INET/AF_INET6 datagram or stream. Two calls are
 *   answered without running: ioctl(TCGETS) gets ENOTTY (GLib asks
 *   whether stderr is a terminal before it writes a warning), and a
 *   mapping both writable and executable gets EPERM (systemd's
 *   MemoryDenyWriteExecute: GLib's PCRE2 JIT falls back to interpreting).
 *
 *   Memory: RLIMIT_DATA, not RLIMIT_AS. Measured on the release binary
 *   (mimalloc 2.0.9) driving one worker with a store, DNS off:
 *     idle after start          VmData  34 MB   VmSize  95 MB
 *     59 tests/data messages    VmData  35 MB   VmSize  96 MB (peak)
 *     50 MB base64 attachment   VmData 104 MB   VmSize 165 MB
 *     50 MB text/plain          VmData 137 MB   VmSize 198 MB
 *     62 MB HTML, 700k links    VmData 301 MB   VmSize 362 MB
 *   Both limits stop a scan (measured: a 62 MB HTML message under
 *   --as=300M and under --data=200M: the worker dies, here by SIGSEGV
 *   where a library does not check malloc, in 0.3 s; never a hang). The
 *   address space also counts the 30 MB of ICU data and the libraries
 *   mapped read-only, and PROT_NONE reservations: mimalloc 2.1 reserves
 *   1 GiB arenas up front and glibc reserves 64 MB heaps per thread
 *   arena, which RLIMIT_AS would count and RLIMIT_DATA does not (it
 *   counts private writable memory: the heap a message can grow).
 *   Under AddressSanitizer (whose shadow memory is reserved in terabytes)
 *   no memory limit is set.
 *
 *   RLIMIT_FSIZE is not set: the largest file a worker writes is the
 *   store's database, whose size is the history kept, not a property of
 *   one message.
 *
 *   The glibc wrappers are used for the set*id calls: glibc applies them
 *   to every thread of the process.
 */
#define _GNU_SOURCE
#include "milter/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define PC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PC_ASAN 1
#endif
#endif

static bool active;

bool pc_sandbox_active(void)
{
	return active;
}

#ifdef PC_ASAN
/* LeakSanitizer's check at exit stops the process with a cloned tracer
 * and ptrace, which the filter forbids: once it is in place the check is
 * off for this process (the scanning code's leaks are checked by the
 * in-process tests). */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return active;
}
#endif

int pc_sandbox_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int rc = getpwnam_r(user, &pw, buf, sizeof buf, &res);
	if (rc != 0 || !res) {
		snprintf(err, errlen, "user \"%s\": %s", user, rc ? strerror(rc) : "no such user");
		return -1;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

int pc_sandbox_drop(const char *user, char *err, size_t errlen)
{
	if (!user || !*user)
		return 0;
	uid_t uid;
	gid_t gid;
	if (pc_sandbox_lookup(user, &uid, &gid, err, errlen) != 0)
		return -1;
	if (geteuid() != 0) {
		if (getuid() == uid && geteuid() == uid)
			return 0; /* already that user */
		snprintf(err, errlen,
		         "cannot become user %s (uid %u): running as uid %u, not root; start as root or leave "
		         "the setting empty",
		         user, (unsigned)uid, (unsigned)geteuid());
		return -1;
	}
	if (initgroups(user, gid) != 0) {
		snprintf(err, errlen, "initgroups(%s): %s", user, strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) != 0) {
		snprintf(err, errlen, "setresgid(%u): %s", (unsigned)gid, strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) != 0) {
		snprintf(err, errlen, "setresuid(%u): %s", (unsigned)uid, strerror(errno));
		return -1;
	}
	uid_t r, e, s;
	gid_t rg, eg, sg;
	if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid || getresgid(&rg, &eg, &sg) != 0 ||
	    rg != gid || eg != gid || sg != gid) {
		snprintf(err, errlen, "user %s: the ids did not all change", user);
		return -1;
	}
	/* for good: root cannot be had back */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0 || setresuid(0, 0, 0) == 0)) {
		snprintf(err, errlen, "user %s: root could be regained", user);
		return -1;
	}
	if (gid != 0 && uid != 0 && (setgid(0) == 0 || setegid(0) == 0)) {
		snprintf(err, errlen, "user %s: group root could be regained", user);
		return -1;
	}
	return 0;
}

static int limit(int res, rlim_t v, const char *name, char *err, size_t errlen)
{
	struct rlimit rl = {v, v};
	if (setrlimit(res, &rl) != 0) {
		snprintf(err, errlen, "setrlimit(%s, %llu): %s", name, (unsigned long long)v, strerror(errno));
		return -1;
	}
	return 0;
}

int pc_sandbox_limits(size_t memory, char *err, size_t errlen)
{
	if (limit(RLIMIT_CORE, 0, "RLIMIT_CORE", err, errlen) != 0 ||
	    limit(RLIMIT_NOFILE, PC_SANDBOX_NOFILE, "RLIMIT_NOFILE", err, errlen) != 0 ||
	    limit(RLIMIT_NPROC, 0, "RLIMIT_NPROC", err, errlen) != 0)
		return -1;
#ifndef PC_ASAN
	if (memory && limit(RLIMIT_DATA, (rlim_t)memory, "RLIMIT_DATA", err, errlen) != 0)
		return -1;
#else
	(void)memory;
#endif
	return 0;
}

/* ---- the filter ---- */

/* Allowed whatever their arguments, by who needs them. Each was seen in
 * the traces (see the top of this file) unless its comment names the
 * path that needs it. A name this architecture does not have is skipped. */
static const char *const allowed[] = {
    /* the socket to the front end (requests, replies), stderr, and the
     * files and sockets below */
    "read",
    "write",
    "writev",
    "pread64",
    "pwrite64",
    "lseek",
    "close",
    "poll",
    /* files: the store (SQLite's unix VFS: journal, -wal and -shm opened,
     * locked, synced, truncated and removed as transactions go; not seen:
     * geteuid and fchown for a new journal or temporary file when root,
     * fchmod of one when the umask differs from 022, as under systemd's
     * UMask=0007), iconv's gconv modules loaded on a charset's first use
     * (access, openat, mmap). The quarantine is the front end's: the
     * worker makes no directory and renames nothing. */
    "openat",
    "newfstatat",
    "access",
    "fsync",
    "fdatasync",
    "ftruncate",
    "unlink",
    "geteuid",
    "fchown",
    "fchmod",
    /* memory: mimalloc, the -shm mapping, dlopen of a gconv module (mmap
     * and mprotect are below: never writable and executable at once); not
     * seen in the release binary: brk and mremap, glibc malloc's (builds
     * without mimalloc, sanitizer builds) */
    "munmap",
    "madvise",
    "brk",
    "mremap",
    /* DNS (net/dns.c: res_nsend over UDP, TCP for a truncated answer);
     * socket() itself is restricted below */
    "connect",
    "sendto",
    "recvfrom",
    "setsockopt",
    /* the shared store (libpq, store/pg.c): a connection re-established
     * inside the sandbox reads its non-blocking connect's outcome
     * (SO_ERROR) and its own address */
    "getsockopt",
    "getsockname",
    /* libspf2: the scanner's first SPF check creates its server, which
     * asks the host name (gethostname) */
    "uname",
    /* randomness (mimalloc, SQLite, the quarantine's ids), the pid (SQLite
     * checks it for a fork, the quarantine's ids), locks (glibc, GLib) */
    "getrandom",
    "getpid",
    /* its own CPU time, sent with each answer (getrusage(RUSAGE_SELF)) */
    "getrusage",
    "futex",
    /* SQLite's busy handler sleeps while another worker holds the store's
     * lock; not seen: a clock past the vDSO (a process CPU clock) */
    "clock_nanosleep",
    "clock_gettime",
    /* not seen: abort() (a failed g_malloc or assertion) blocks signals and
     * raises SIGABRT with tgkill (restricted below to this process) */
    "rt_sigprocmask",
    "gettid",
    /* not seen yet: limits.cpu's per-scan CPU timer (a handler, the
     * timer: SIGEV_SIGNAL; SIGEV_THREAD would start a thread and is
     * killed), and a sleep restarted after a signal */
    "rt_sigaction",
    "rt_sigreturn",
    "restart_syscall",
    "setitimer",
    "timer_create",
    "timer_settime",
    "timer_delete",
    /* the end */
    "exit_group",
};

#ifdef PC_ASAN
/* What the sanitizers' runtime calls itself (raw system calls, seen in
 * tests/unit/test_sandbox.c under ASan): sigaltstack while intercepting,
 * open and readlink of /proc/self/maps and the binary when it reports an
 * error. It symbolizes in the process (libbacktrace, no helper process),
 * so a report completes under the filter. */
static const char *const allowed_asan[] = {"open", "readlink", "sigaltstack"};
#endif

/* An argument comparison with every field set (libseccomp's SCMP_A0..5
 * macros leave datum_b out for SCMP_CMP_EQ, which clang's
 * -Wmissing-field-initializers refuses). For SCMP_CMP_MASKED_EQ, a is the
 * mask and b the value. */
static struct scmp_arg_cmp arg_is(unsigned arg, enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	struct scmp_arg_cmp c = {.arg = arg, .op = op, .datum_a = a, .datum_b = b};
	return c;
}

static int rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n, const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR || nr < 0)
		return 0; /* not a call of this architecture */
	return seccomp_rule_add_array(ctx, action, nr, n, cmp);
}

static int add_rules(scmp_filter_ctx ctx)
{
	int rc = 0;
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0] && !rc; i++)
		rc = rule(ctx, SCMP_ACT_ALLOW, allowed[i], 0, NULL);
#ifdef PC_ASAN
	for (size_t i = 0; i < sizeof allowed_asan / sizeof allowed_asan[0] && !rc; i++)
		rc = rule(ctx, SCMP_ACT_ALLOW, allowed_asan[i], 0, NULL);
#endif
	/* socket(): IPv4 or IPv6, datagram or stream (with SOCK_CLOEXEC and
	 * SOCK_NONBLOCK), protocol 0 or the type's own: the resolver's */
	static const int domains[] = {AF_INET, AF_INET6};
	static const struct {
		int type, proto;
	} kinds[] = {{SOCK_DGRAM, 0}, {SOCK_DGRAM, IPPROTO_UDP}, {SOCK_STREAM, 0}, {SOCK_STREAM, IPPROTO_TCP}};
	for (size_t d = 0; d < 2 && !rc; d++)
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0] && !rc; k++) {
			struct scmp_arg_cmp c[] = {arg_is(0, SCMP_CMP_EQ, (scmp_datum_t)domains[d], 0),
			                           arg_is(1, SCMP_CMP_MASKED_EQ, 0xf, (scmp_datum_t)kinds[k].type),
			                           arg_is(2, SCMP_CMP_EQ, (scmp_datum_t)kinds[k].proto, 0)};
			rc = rule(ctx, SCMP_ACT_ALLOW, "socket", 3, c);
		}
	/* fcntl(): descriptor flags, status flags and record locks (SQLite) */
	static const int fcntl_cmds[] = {F_GETFD, F_SETFD,  F_GETFL,     F_SETFL,     F_GETLK,
	                                 F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW};
	for (size_t i = 0; i < sizeof fcntl_cmds / sizeof fcntl_cmds[0] && !rc; i++) {
		struct scmp_arg_cmp c[] = {arg_is(1, SCMP_CMP_EQ, (scmp_datum_t)fcntl_cmds[i], 0)};
		rc = rule(ctx, SCMP_ACT_ALLOW, "fcntl", 1, c);
	}
	/* mmap() and mprotect(): anything but writable and executable at once
	 * (EPERM for that) */
	const char *maps[] = {"mmap", "mprotect"};
	for (size_t i = 0; i < 2 && !rc; i++) {
		struct scmp_arg_cmp nox[] = {arg_is(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)};
		struct scmp_arg_cmp now[] = {arg_is(2, SCMP_CMP_MASKED_EQ, PROT_WRITE, 0)};
		struct scmp_arg_cmp wx[] = {
		    arg_is(2, SCMP_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC)};
		rc = rule(ctx, SCMP_ACT_ALLOW, maps[i], 1, nox);
		if (!rc)
			rc = rule(ctx, SCMP_ACT_ALLOW, maps[i], 1, now);
		if (!rc)
			rc = rule(ctx, SCMP_ACT_ERRNO(EPERM), maps[i], 1, wx);
	}
	/* a signal to itself only (abort, raise): tgkill(getpid(), ...) */
	if (!rc) {
		struct scmp_arg_cmp self[] = {arg_is(0, SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0)};
		rc = rule(ctx, SCMP_ACT_ALLOW, "tgkill", 1, self);
	}
	/* not seen: prlimit64 on itself (getrlimit and setrlimit: limits.cpu's
	 * soft RLIMIT_CPU can only move below the hard one) */
	if (!rc) {
		struct scmp_arg_cmp self[] = {arg_is(0, SCMP_CMP_EQ, 0, 0)};
		rc = rule(ctx, SCMP_ACT_ALLOW, "prlimit64", 1, self);
	}
	/* isatty(): "not a terminal", without the ioctl */
	if (!rc) {
		struct scmp_arg_cmp tc[] = {arg_is(1, SCMP_CMP_EQ, TCGETS, 0)};
		rc = rule(ctx, SCMP_ACT_ERRNO(ENOTTY), "ioctl", 1, tc);
	}
	return rc;
}

int pc_sandbox_filter(char *err, size_t errlen)
{
	/* GLib's default log writer sends warnings to the journal's socket
	 * when stderr is one (AF_UNIX: forbidden); the plain one writes to
	 * stderr. Set once per process. */
	static bool writer_set;
	if (!writer_set) {
		g_log_set_writer_func(g_log_writer_standard_streams, NULL, NULL);
		writer_set = true;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		snprintf(err, errlen, "PR_SET_DUMPABLE: %s", strerror(errno));
		return -1;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (!rc)
		rc = add_rules(ctx);
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc) {
		snprintf(err, errlen, "seccomp: %s", strerror(-rc));
		return -1;
	}
	active = true;
	return 0;
}
