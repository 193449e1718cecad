/*
 * NAME
 *   purge - remove messages from Maildirs and mboxes (see purge.h)
 * DESCRIPTION
 *   An mbox is a list of records: a From_ line, the message as
 *   pc_mbox_next returns it, and the separator pc_mbox_next drops (the
 *   blank line before the next From_ line; empty when there was none).
 *   Purging writes the kept records, verified by splitting the result
 *   again, in place of the file. The locks are polled (F_SETLK every
 *   100 ms) rather than waited for (F_SETLKW), so that giving up after
 *   PC_PURGE_LOCK_WAIT seconds needs no signal handler.
 */
#define _GNU_SOURCE
#include "act/purge.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "parse/mbox.h"

#define LOCK_POLL_NS 100000000L /* 100 ms */

static int fail(char *err, size_t errlen, const char *path, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, why);
	return -1;
}

/* fsync of the directory holding path */
static int sync_dir_of(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else if ((size_t)(slash - path) < sizeof dir)
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	else {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* Reads fd to its end into a malloc'd buffer (size_hint: expected size). */
static int read_fd(int fd, size_t size_hint, char **out, size_t *n)
{
	size_t cap = size_hint + 4096, got = 0;
	if (cap < size_hint) {
		errno = EFBIG;
		return -1;
	}
	char *buf = malloc(cap);
	if (!buf)
		return -1;
	for (;;) {
		if (got == cap) {
			if (cap > SIZE_MAX / 2) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				errno = ENOMEM;
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	*out = buf;
	*n = got;
	return 0;
}

static int unlink_synced(const char *path, char *err, size_t errlen)
{
	if (unlink(path) != 0)
		return fail(err, errlen, path, strerror(errno));
	if (sync_dir_of(path) != 0) {
		char why[256];
		snprintf(why, sizeof why, "removed, but syncing its directory failed: %s", strerror(errno));
		return fail(err, errlen, path, why);
	}
	return 0;
}

static int purge_file(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	if (!path)
		return fail(err, errlen, "(null)", "invalid arguments");
	if (lstat(path, &sb) != 0)
		return fail(err, errlen, path, strerror(errno));
	if (S_ISLNK(sb.st_mode))
		return fail(err, errlen, path, "is a symbolic link; purge the file it points to");
	if (!S_ISREG(sb.st_mode))
		return fail(err, errlen, path, "not a regular file");
	return unlink_synced(path, err, errlen);
}

static int purge_file_checked(const char *path, const unsigned char sha256[32], char *err, size_t errlen)
{
	if (!path || !sha256)
		return fail(err, errlen, path ? path : "(null)", "invalid arguments");
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail(err, errlen, path,
		            errno == ELOOP ? "is a symbolic link; purge the file it points to" : strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		int e = errno;
		close(fd);
		return fail(err, errlen, path, S_ISREG(sb.st_mode) ? strerror(e) : "not a regular file");
	}
	char *buf;
	size_t n;
	if (read_fd(fd, (size_t)sb.st_size, &buf, &n) != 0) {
		int e = errno;
		close(fd);
		return fail(err, errlen, path, strerror(e));
	}
	close(fd);
	unsigned char got[32];
	int rc = pc_sha256(buf, n, got);
	free(buf);
	if (rc != 0)
		return fail(err, errlen, path, "SHA-256 failed");
	if (memcmp(got, sha256, 32) != 0)
		return fail(err, errlen, path, "changed since it was matched (SHA-256 differs); not removed");
	return unlink_synced(path, err, errlen);
}

int pc_purge_mbox_message(const char *buf, size_t len, size_t n, const char **msg, size_t *msglen,
                          unsigned char sha256[32])
{
	if (n == 0 || (!buf && len))
		return -1;
	pc_mbox mb = {buf, len, 0};
	const char *m;
	size_t ml;
	for (size_t i = 1; pc_mbox_next(&mb, &m, &ml); i++) {
		if (i < n)
			continue;
		if (msg)
			*msg = m;
		if (msglen)
			*msglen = ml;
		if (sha256 && pc_sha256(m, ml, sha256) != 0)
			return -1;
		return 0;
	}
	return -1;
}

/* ---- mbox ---- */

typedef struct rec {
	size_t start; /* the From_ line */
	size_t msg;   /* the message, as pc_mbox_next returns it */
	size_t len;
	size_t end; /* after the separator (the next record's start) */
	bool drop;
} rec;

static rec *split(const char *buf, size_t n, size_t *count)
{
	size_t cap = 64, k = 0;
	rec *r = malloc(cap * sizeof *r);
	if (!r)
		return NULL;
	pc_mbox mb = {buf, n, 0};
	for (;;) {
		size_t start = mb.pos;
		const char *m;
		size_t ml;
		if (!pc_mbox_next(&mb, &m, &ml))
			break;
		if (k == cap) {
			rec *nr = realloc(r, cap * 2 * sizeof *r);
			if (!nr) {
				free(r);
				return NULL;
			}
			r = nr;
			cap *= 2;
		}
		r[k++] = (rec){start, (size_t)(m - buf), ml, mb.pos, false};
	}
	*count = k;
	return r;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_poll(void)
{
	struct timespec ts = {0, LOCK_POLL_NS};
	nanosleep(&ts, NULL);
}

/* PATH.lock, created O_EXCL as mail delivery agents do; holds our pid. */
static int take_dotlock(const char *lock, double deadline, char *err, size_t errlen)
{
	for (;;) {
		int fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd >= 0) {
			char pid[32];
			int l = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
			ssize_t w = write(fd, pid, (size_t)l);
			(void)w; /* the content is informative only */
			close(fd);
			return 0;
		}
		if (errno != EEXIST && errno != EINTR)
			return fail(err, errlen, lock, strerror(errno));
		if (now_s() >= deadline) {
			char why[128];
			snprintf(why, sizeof why, "held by another program for %d s; try again later",
			         PC_PURGE_LOCK_WAIT);
			return fail(err, errlen, lock, why);
		}
		pause_poll();
	}
}

/* Opens path and takes an fcntl write lock on it; makes sure the locked
 * file is still the one at path (another rewriter may have renamed a new
 * one over it while we waited). The fd, or -1. */
static int open_locked(const char *path, double deadline, struct stat *sb, char *err, size_t errlen)
{
	for (;;) {
		int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return fail(err, errlen, path,
			            errno == ELOOP ? "is a symbolic link; purge the file it points to"
			                           : strerror(errno));
		struct flock fl;
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		while (fcntl(fd, F_SETLK, &fl) != 0) {
			if (errno != EACCES && errno != EAGAIN && errno != EINTR) {
				int e = errno;
				close(fd);
				return fail(err, errlen, path, strerror(e));
			}
			if (now_s() >= deadline) {
				close(fd);
				char why[128];
				snprintf(why, sizeof why, "locked (fcntl) by another program for %d s; try again later",
				         PC_PURGE_LOCK_WAIT);
				return fail(err, errlen, path, why);
			}
			pause_poll();
		}
		struct stat cur;
		if (fstat(fd, sb) != 0) {
			int e = errno;
			close(fd);
			return fail(err, errlen, path, strerror(e));
		}
		if (!S_ISREG(sb->st_mode)) {
			close(fd);
			return fail(err, errlen, path, "not a regular file");
		}
		if (stat(path, &cur) == 0 && cur.st_dev == sb->st_dev && cur.st_ino == sb->st_ino)
			return fd;
		close(fd); /* replaced meanwhile: lock the new one */
		if (now_s() >= deadline)
			return fail(err, errlen, path, "keeps being replaced; try again later");
	}
}

static bool has_eml_suffix(const char *path)
{
	size_t l = strlen(path);
	return l >= 4 && strcasecmp(path + l - 4, ".eml") == 0;
}

/* The kept records (see purge.h for the two adjustments) into out, which
 * has room for n + 2 * count bytes; its length. */
static size_t compose(const char *buf, const rec *r, size_t count, char *out)
{
	size_t o = 0;
	ptrdiff_t prev = -1; /* last kept record */
	for (size_t i = 0; i < count; i++) {
		if (r[i].drop)
			continue;
		if (prev >= 0 && (size_t)prev + 1 != i) {
			const rec *p = &r[prev];
			if (p->end == p->msg + p->len) { /* no blank line before our From_ line */
				bool crlf = p->len >= 2 && buf[p->msg + p->len - 2] == '\r';
				if (crlf)
					out[o++] = '\r';
				out[o++] = '\n';
			}
		}
		memcpy(out + o, buf + r[i].start, r[i].end - r[i].start);
		o += r[i].end - r[i].start;
		prev = (ptrdiff_t)i;
	}
	if (prev >= 0 && (size_t)prev + 1 != count) /* the file's last records went */
		o -= r[prev].end - (r[prev].msg + r[prev].len);
	return o;
}

/* The composed file splits into exactly the kept messages, byte for byte. */
static bool verify(const char *buf, const rec *r, size_t count, const char *out, size_t outn)
{
	pc_mbox mb = {out, outn, 0};
	const char *m;
	size_t ml;
	for (size_t i = 0; i < count; i++) {
		if (r[i].drop)
			continue;
		if (!pc_mbox_next(&mb, &m, &ml) || ml != r[i].len || memcmp(m, buf + r[i].msg, ml) != 0)
			return false;
	}
	return !pc_mbox_next(&mb, &m, &ml);
}

/* Writes out to a new hidden file beside path, with path's owner and mode,
 * and renames it over path; then fsyncs the directory. */
static int replace(const char *path, const struct stat *sb, const char *out, size_t outn, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	unsigned char rnd[8] = {0};
	if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
		uint64_t v = (uint64_t)getpid() ^ ((uint64_t)time(NULL) << 20);
		memcpy(rnd, &v, sizeof rnd);
	}
	char tmp[4096];
	int l = snprintf(tmp, sizeof tmp, "%.*s.%.100s.purge-%02x%02x%02x%02x%02x%02x%02x%02x", (int)dirlen, path, base,
	                 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	if (l < 0 || (size_t)l >= sizeof tmp)
		return fail(err, errlen, path, "path too long");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail(err, errlen, tmp, strerror(errno));
	const char *p = out;
	size_t left = outn;
	int e = 0;
	while (left > 0 && !e) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			e = w < 0 ? errno : EIO;
		else {
			p += w;
			left -= (size_t)w;
		}
	}
	if (!e) {
		if (fchown(fd, sb->st_uid, sb->st_gid) != 0) {
			/* not root: the file is ours, as the original probably was */
		}
		if (fchmod(fd, sb->st_mode & 07777) != 0) {
			/* best effort, like the owner */
		}
		if (sb->st_atime < sb->st_mtime) {
			/* keep "new mail" (atime before mtime) for biff-like checks */
			struct timespec ts[2] = {sb->st_atim, {0, UTIME_NOW}};
			futimens(fd, ts);
		}
		if (fsync(fd) != 0)
			e = errno;
	}
	if (close(fd) != 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) != 0)
		e = errno;
	if (e) {
		unlink(tmp);
		return fail(err, errlen, tmp, strerror(e));
	}
	if (sync_dir_of(path) != 0) {
		char why[256];
		snprintf(why, sizeof why, "rewritten, but syncing its directory failed: %s", strerror(errno));
		return fail(err, errlen, path, why);
	}
	return 0;
}

static int purge_mbox(const char *path, const size_t *which, size_t n, const unsigned char (*sha256)[32], char *err,
                      size_t errlen)
{
	if (!path || (n && (!which || !sha256)))
		return fail(err, errlen, path ? path : "(null)", "invalid arguments");
	if (has_eml_suffix(path))
		return fail(err, errlen, path, "an .eml file is one message; use pc_purge_file");
	for (size_t i = 0; i < n; i++)
		if (which[i] == 0)
			return fail(err, errlen, path, "message numbers start at 1");
	if (n == 0)
		return 0;

	char lock[4096];
	int l = snprintf(lock, sizeof lock, "%s.lock", path);
	if (l < 0 || (size_t)l >= sizeof lock)
		return fail(err, errlen, path, "path too long");
	double deadline = now_s() + PC_PURGE_LOCK_WAIT;
	if (take_dotlock(lock, deadline, err, errlen) != 0)
		return -1;
	struct stat sb;
	int fd = open_locked(path, deadline, &sb, err, errlen);
	if (fd < 0) {
		unlink(lock);
		return -1;
	}

	int rc = -1;
	char *buf = NULL, *out = NULL;
	rec *r = NULL;
	size_t len = 0, count = 0;
	char why[256];
	if (read_fd(fd, (size_t)sb.st_size, &buf, &len) != 0) {
		fail(err, errlen, path, strerror(errno));
		goto done;
	}
	if (!pc_mbox_detect(buf, len)) {
		fail(err, errlen, path, "not an mbox (does not start with a From_ line); nothing removed");
		goto done;
	}
	if (!(r = split(buf, len, &count))) {
		fail(err, errlen, path, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = which[i];
		if (k > count) {
			snprintf(why, sizeof why, "holds %zu messages, no message %zu; nothing removed", count, k);
			fail(err, errlen, path, why);
			goto done;
		}
		unsigned char got[32];
		if (pc_sha256(buf + r[k - 1].msg, r[k - 1].len, got) != 0) {
			fail(err, errlen, path, "SHA-256 failed; nothing removed");
			goto done;
		}
		if (memcmp(got, sha256[i], 32) != 0) {
			snprintf(
			    why, sizeof why,
			    "message %zu changed since it was matched (SHA-256 differs): the mailbox changed; nothing "
			    "removed",
			    k);
			fail(err, errlen, path, why);
			goto done;
		}
		r[k - 1].drop = true;
	}
	if (count > (SIZE_MAX - len) / 2 || !(out = malloc(len + 2 * count + 1))) {
		fail(err, errlen, path, "out of memory");
		goto done;
	}
	size_t outn = compose(buf, r, count, out);
	if (!verify(buf, r, count, out, outn)) {
		fail(err, errlen, path, "the other messages would not stay as they are; nothing removed");
		goto done;
	}
	rc = replace(path, &sb, out, outn, err, errlen);
done:
	free(out);
	free(r);
	free(buf);
	close(fd); /* releases the fcntl lock */
	unlink(lock);
	return rc;
}

/* ---- paths: no symbolic link between check and act ----
 * hunt may run as root over users' mailboxes, and a user can swap a
 * directory on the path for a symbolic link between the check and the
 * unlink or rename. So the directory holding the message is resolved once
 * (realpath), opened with no symbolic link anywhere in that resolved path
 * (openat2 RESOLVE_NO_SYMLINKS; Linux 5.6), and every operation goes
 * through that open directory (/proc/self/fd/N/NAME): whatever is swapped
 * later, nothing outside it is touched. */

typedef struct safe_path {
	int dfd;
	char path[4200]; /* /proc/self/fd/N/NAME */
	char dir[4096];  /* the resolved directory, for messages */
} safe_path;

static int safe_open(const char *path, safe_path *sp, char *err, size_t errlen)
{
	sp->dfd = -1;
	if (!path || !*path)
		return fail(err, errlen, "(null)", "invalid arguments");
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char dir[4096];
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return fail(err, errlen, path, "not a file name");
	int l = slash ? snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path)
	              : snprintf(dir, sizeof dir, ".");
	if (l < 0 || (size_t)l >= sizeof dir)
		return fail(err, errlen, path, "path too long");
	if (!realpath(dir, sp->dir))
		return fail(err, errlen, path, strerror(errno));
	struct open_how how;
	memset(&how, 0, sizeof how);
	how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_NO_SYMLINKS;
	sp->dfd = (int)syscall(SYS_openat2, AT_FDCWD, sp->dir, &how, sizeof how);
	if (sp->dfd < 0 && errno == ENOSYS) /* an old kernel: at least the last component */
		sp->dfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (sp->dfd < 0)
		return fail(err, errlen, path,
		            errno == ELOOP ? "its directory changed into a symbolic link; not touched"
		                           : strerror(errno));
	l = snprintf(sp->path, sizeof sp->path, "/proc/self/fd/%d/%s", sp->dfd, base);
	if (l < 0 || (size_t)l >= sizeof sp->path) {
		close(sp->dfd);
		return fail(err, errlen, path, "path too long");
	}
	return 0;
}

/* Error messages name the resolved directory, not /proc/self/fd/N. */
static int safe_done(safe_path *sp, int rc, char *err, size_t errlen)
{
	if (rc != 0 && err && errlen) {
		char prefix[64];
		snprintf(prefix, sizeof prefix, "/proc/self/fd/%d", sp->dfd);
		char *at = strstr(err, prefix);
		if (at) {
			char fixed[1024];
			size_t head = (size_t)(at - err), k = 0;
			const char *parts[3] = {err, sp->dir, at + strlen(prefix)};
			size_t lens[3] = {head, strlen(sp->dir), strlen(at + strlen(prefix))};
			for (size_t i = 0; i < 3; i++)
				for (size_t j = 0; j < lens[i] && k + 1 < sizeof fixed; j++)
					fixed[k++] = parts[i][j];
			fixed[k] = '\0';
			snprintf(err, errlen, "%s", fixed);
		}
	}
	close(sp->dfd);
	return rc;
}

int pc_purge_file(const char *path, char *err, size_t errlen)
{
	safe_path sp;
	if (safe_open(path, &sp, err, errlen) != 0)
		return -1;
	return safe_done(&sp, purge_file(sp.path, err, errlen), err, errlen);
}

int pc_purge_file_checked(const char *path, const unsigned char sha256[32], char *err, size_t errlen)
{
	safe_path sp;
	if (safe_open(path, &sp, err, errlen) != 0)
		return -1;
	return safe_done(&sp, purge_file_checked(sp.path, sha256, err, errlen), err, errlen);
}

int pc_purge_mbox(const char *path, const size_t *which, size_t n, const unsigned char (*sha256)[32], char *err,
                  size_t errlen)
{
	if (n == 0 && path)
		return purge_mbox(path, which, n, sha256, err, errlen);
	safe_path sp;
	if (safe_open(path, &sp, err, errlen) != 0)
		return -1;
	return safe_done(&sp, purge_mbox(sp.path, which, n, sha256, err, errlen), err, errlen);
}
