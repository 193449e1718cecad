/*
 * NAME
 *   quarantine - durable quarantine directory (see quarantine.h)
 * DESCRIPTION
 *   The write path is OpenSMTPD's queue_fs: create with O_EXCL in tmp/,
 *   write everything, fsync, rename into place, fsync the directory. All
 *   file operations go through directory descriptors (openat, renameat2),
 *   so a QID is only ever a name inside DIR/tmp or DIR/msg, and the paths
 *   in error messages are for people only.
 *
 *   A quarantine in the store (pc_store_is_postgresql(dir)) goes to
 *   act/quarantine_pg.c; the QIDs are made here for both.
 */
#define _GNU_SOURCE
#include "act/quarantine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "act/quarantine_pg.h"
#include "store/store.h"

#define QID_LEN 42                  /* 16 + 1 + 8 + 1 + 16 */
#define META_MAX ((size_t)16 << 20) /* metadata larger than this is refused on reading */
#define PUT_TRIES 4                 /* fresh QIDs tried when a name exists (64 random bits: never) */

static int fail(char *err, size_t errlen, const char *dir, const char *sub, const char *name, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s%s%s%s%s: %s", dir, sub ? "/" : "", sub ? sub : "", name ? "/" : "",
		         name ? name : "", why);
	return -1;
}

bool pc_quarantine_qid_valid(const char *qid)
{
	if (!qid || !qid[0] || qid[0] == '-')
		return false;
	size_t i = 0;
	for (; qid[i]; i++) {
		char c = qid[i];
		bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
		if (!ok || i + 1 >= PC_QID_MAX)
			return false;
	}
	return true;
}

static int new_qid(char *qid, size_t qidlen)
{
	unsigned char r[8];
	size_t got = 0;
	while (got < sizeof r) {
		ssize_t k = getrandom(r + got, sizeof r - got, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	uint64_t v = 0;
	for (size_t i = 0; i < sizeof r; i++)
		v = v << 8 | r[i];
	time_t t = time(NULL);
	struct tm tm;
	char ts[32];
	if (!gmtime_r(&t, &tm) || strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm) != 16)
		return -1;
	int l = snprintf(qid, qidlen, "%s-%08x-%016llx", ts, (unsigned)getpid() & 0xffffffffu, (unsigned long long)v);
	return l == QID_LEN ? 0 : -1;
}

/* DIR/sub as a directory descriptor, created (0700) when missing;
 * *created set when it was. */
static int open_sub(int dfd, const char *sub, bool create, bool *created)
{
	if (create && mkdirat(dfd, sub, 0700) == 0)
		*created = true;
	else if (create && errno != EEXIST)
		return -1;
	return openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

/* The parent of path, for fsync after creating path. */
static void sync_parent(const char *path)
{
	char parent[4096];
	size_t l = strlen(path);
	while (l > 1 && path[l - 1] == '/')
		l--;
	while (l > 0 && path[l - 1] != '/')
		l--;
	while (l > 1 && path[l - 1] == '/')
		l--;
	if (l == 0)
		snprintf(parent, sizeof parent, ".");
	else if (l < sizeof parent)
		snprintf(parent, sizeof parent, "%.*s", (int)l, path);
	else
		return;
	int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int open_dir(const char *dir, bool create)
{
	if (create) {
		if (mkdir(dir, 0700) == 0)
			sync_parent(dir);
		else if (errno != EEXIST)
			return -1;
	}
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The store: a row per message (act/quarantine_pg.c); a QID taken
 * (never, with 64 random bits) gets a fresh one. */
static int put_store(const char *dir, const char *key, const char *bytes, size_t n, const char *meta, char *qid,
                     size_t qidlen, char *err, size_t errlen)
{
	char where[300];
	pc_store_where(dir, where, sizeof where);
	if (strlen(meta) >= META_MAX)
		return fail(err, errlen, where, NULL, NULL, "metadata too large");
	for (int attempt = 0; attempt < PUT_TRIES; attempt++) {
		char id[PC_QID_MAX];
		time_t now = time(NULL);
		if (new_qid(id, sizeof id) != 0)
			return fail(err, errlen, where, NULL, NULL,
			            "cannot make a queue id (getrandom or clock failed)");
		char existing[PC_QID_MAX] = "";
		int rc =
		    pc_quarantine_pg_put(dir, id, now, bytes, n, meta, key, existing, sizeof existing, err, errlen);
		if (rc < 0)
			return -1;
		if (rc == 1 || rc == 2) { /* 2: this delivery was kept before, under existing */
			snprintf(qid, qidlen, "%s", rc == 1 ? id : existing);
			return 0;
		}
	}
	return fail(err, errlen, where, NULL, NULL, "no unused queue id found");
}

/* A QID for the store's functions: 0, or -1 with err */
static int store_qid(const char *dir, const char *qid, char *err, size_t errlen)
{
	if (pc_quarantine_qid_valid(qid))
		return 0;
	char where[300];
	pc_store_where(dir, where, sizeof where);
	return fail(err, errlen, where, NULL, NULL, "not a quarantine id");
}

/* Creates dfd/name (O_EXCL), writes, fsyncs, closes. errno on failure;
 * the file is removed again unless creation itself failed. */
static int write_new(int dfd, const char *name, const char *p, size_t n)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (write_all(fd, p, n) != 0 || fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlinkat(dfd, name, 0);
		errno = e;
		return -1;
	}
	if (close(fd) != 0) {
		int e = errno;
		unlinkat(dfd, name, 0);
		errno = e;
		return -1;
	}
	return 0;
}

/* Moves without ever replacing an existing file. */
static int move_noreplace(int from, const char *name, int to)
{
#ifdef RENAME_NOREPLACE
	if (renameat2(from, name, to, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -1;
#endif
	if (linkat(from, name, to, name, 0) != 0)
		return -1;
	unlinkat(from, name, 0); /* a leftover second link in tmp/ loses nothing */
	return 0;
}

int pc_quarantine_put(const char *dir, const char *bytes, size_t n, const char *meta_json, char *qid, size_t qidlen,
                      char *err, size_t errlen)
{
	return pc_quarantine_put_once(dir, NULL, bytes, n, meta_json, qid, qidlen, err, errlen);
}

int pc_quarantine_put_once(const char *dir, const char *key, const char *bytes, size_t n, const char *meta_json,
                           char *qid, size_t qidlen, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!dir || !qid || qidlen <= QID_LEN || (!bytes && n))
		return fail(err, errlen, dir ? dir : "(null)", NULL, NULL, "invalid arguments");
	if (!meta_json)
		meta_json = "{}";
	if (pc_store_is_postgresql(dir))
		return put_store(dir, key, bytes, n, meta_json, qid, qidlen, err, errlen);
	int dfd = open_dir(dir, true);
	if (dfd < 0)
		return fail(err, errlen, dir, NULL, NULL, strerror(errno));
	bool created = false;
	int tfd = open_sub(dfd, "tmp", true, &created);
	if (tfd < 0) {
		int e = errno;
		close(dfd);
		return fail(err, errlen, dir, "tmp", NULL, strerror(e));
	}
	int mfd = open_sub(dfd, "msg", true, &created);
	if (mfd < 0) {
		int e = errno;
		close(tfd);
		close(dfd);
		return fail(err, errlen, dir, "msg", NULL, strerror(e));
	}
	if (created && fsync(dfd) != 0) {
		int e = errno;
		close(mfd);
		close(tfd);
		close(dfd);
		return fail(err, errlen, dir, NULL, NULL, strerror(e));
	}
	int rc = -1;
	for (int attempt = 0; attempt < PUT_TRIES; attempt++) {
		char id[PC_QID_MAX], eml[PC_QID_MAX + 8], json[PC_QID_MAX + 8];
		if (new_qid(id, sizeof id) != 0) {
			fail(err, errlen, dir, NULL, NULL, "cannot make a queue id (getrandom or clock failed)");
			break;
		}
		snprintf(eml, sizeof eml, "%s.eml", id);
		snprintf(json, sizeof json, "%s.json", id);
		if (write_new(tfd, eml, bytes, n) != 0) {
			int e = errno;
			if (e == EEXIST)
				continue;
			fail(err, errlen, dir, "tmp", eml, strerror(e));
			break;
		}
		if (write_new(tfd, json, meta_json, strlen(meta_json)) != 0) {
			int e = errno;
			unlinkat(tfd, eml, 0);
			if (e == EEXIST)
				continue;
			fail(err, errlen, dir, "tmp", json, strerror(e));
			break;
		}
		if (move_noreplace(tfd, json, mfd) != 0) {
			int e = errno;
			unlinkat(tfd, eml, 0);
			unlinkat(tfd, json, 0);
			if (e == EEXIST)
				continue;
			fail(err, errlen, dir, "msg", json, strerror(e));
			break;
		}
		if (move_noreplace(tfd, eml, mfd) != 0) { /* the commit point */
			int e = errno;
			unlinkat(mfd, json, 0);
			unlinkat(tfd, eml, 0);
			if (e == EEXIST)
				continue;
			fail(err, errlen, dir, "msg", eml, strerror(e));
			break;
		}
		if (fsync(mfd) != 0) {
			/* not known to be durable: take it back, the caller keeps the original */
			int e = errno;
			unlinkat(mfd, eml, 0);
			unlinkat(mfd, json, 0);
			fsync(mfd);
			fail(err, errlen, dir, "msg", NULL, strerror(e));
			break;
		}
		fsync(tfd); /* only removals in tmp/: nothing is lost if this fails */
		snprintf(qid, qidlen, "%s", id);
		rc = 0;
		break;
	}
	if (rc != 0 && err && errlen && !err[0])
		fail(err, errlen, dir, NULL, NULL, "no unused queue id found");
	close(mfd);
	close(tfd);
	close(dfd);
	return rc;
}

/* Reads dfd/name whole (at most max bytes) into a malloc'd, NUL-terminated
 * buffer; -1 with errno (EFBIG when larger). */
static int read_all(int dfd, const char *name, size_t max, char **out, size_t *n)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(sb.st_mode) || (uintmax_t)sb.st_size >= max) {
		close(fd);
		errno = S_ISREG(sb.st_mode) ? EFBIG : EINVAL;
		return -1;
	}
	size_t size = (size_t)sb.st_size;
	char *buf = malloc(size + 1);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;
			free(buf);
			close(fd);
			errno = e;
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	buf[size] = '\0';
	*out = buf;
	*n = size;
	return 0;
}

/* DIR/msg opened for the entry qid (checked), with its two file names:
 * the descriptor, or -1 with err. */
static int open_entry(const char *dir, const char *qid, char eml[PC_QID_MAX + 8], char json[PC_QID_MAX + 8], char *err,
                      size_t errlen)
{
	if (!pc_quarantine_qid_valid(qid))
		return fail(err, errlen, dir, "msg", NULL, "not a quarantine id");
	int dfd = open_dir(dir, false);
	if (dfd < 0)
		return fail(err, errlen, dir, NULL, NULL, strerror(errno));
	bool unused = false;
	int mfd = open_sub(dfd, "msg", false, &unused);
	close(dfd);
	if (mfd < 0)
		return fail(err, errlen, dir, "msg", NULL, strerror(errno));
	snprintf(eml, PC_QID_MAX + 8, "%s.eml", qid);
	snprintf(json, PC_QID_MAX + 8, "%s.json", qid);
	return mfd;
}

int pc_quarantine_get(const char *dir, const char *qid, char **bytes, size_t *n, char **meta, char *err, size_t errlen)
{
	if (bytes)
		*bytes = NULL;
	if (n)
		*n = 0;
	if (meta)
		*meta = NULL;
	if (!dir)
		return fail(err, errlen, "(null)", NULL, NULL, "invalid arguments");
	if (pc_store_is_postgresql(dir)) {
		if (store_qid(dir, qid, err, errlen) != 0)
			return -1;
		size_t size = 0;
		return pc_quarantine_pg_get(dir, qid, bytes, n ? n : &size, meta, NULL, err, errlen) == 0 ? 0 : -1;
	}
	char eml[PC_QID_MAX + 8], json[PC_QID_MAX + 8];
	int mfd = open_entry(dir, qid, eml, json, err, errlen);
	if (mfd < 0)
		return -1;
	char *b = NULL, *mj = NULL;
	size_t bn = 0, mn = 0;
	if (read_all(mfd, eml, SIZE_MAX, &b, &bn) != 0) {
		int e = errno;
		close(mfd);
		return fail(err, errlen, dir, "msg", eml, e == ENOENT ? "no such quarantined message" : strerror(e));
	}
	if (meta && read_all(mfd, json, META_MAX, &mj, &mn) != 0 && errno != ENOENT) {
		int e = errno;
		free(b);
		close(mfd);
		return fail(err, errlen, dir, "msg", json, strerror(e));
	}
	close(mfd);
	if (bytes)
		*bytes = b;
	else
		free(b);
	if (n)
		*n = bn;
	if (meta)
		*meta = mj;
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* QID.eml with a valid QID */
static int is_entry(const struct dirent *d)
{
	size_t l = strlen(d->d_name);
	if (l <= 4 || l - 4 >= PC_QID_MAX || strcmp(d->d_name + l - 4, ".eml") != 0)
		return 0;
	char id[PC_QID_MAX];
	snprintf(id, sizeof id, "%.*s", (int)(l - 4), d->d_name);
	return pc_quarantine_qid_valid(id);
}

static int list(const char *dir, bool with_meta, pc_quarantine_cb cb, void *ctx, char *err, size_t errlen)
{
	if (!dir || !cb)
		return fail(err, errlen, dir ? dir : "(null)", NULL, NULL, "invalid arguments");
	if (pc_store_is_postgresql(dir))
		return pc_quarantine_pg_list(dir, with_meta, cb, ctx, err, errlen);
	struct stat sb;
	if (stat(dir, &sb) != 0)
		return fail(err, errlen, dir, NULL, NULL, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return fail(err, errlen, dir, NULL, NULL, strerror(ENOTDIR));
	char path[4096];
	int l = snprintf(path, sizeof path, "%s/msg", dir);
	if (l < 0 || (size_t)l >= sizeof path)
		return fail(err, errlen, dir, NULL, NULL, "path too long");
	int mfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (mfd < 0)
		return errno == ENOENT ? 0 : fail(err, errlen, dir, "msg", NULL, strerror(errno));
	struct dirent **list;
	int n = scandir(path, &list, is_entry, by_name);
	if (n < 0) {
		int e = errno;
		close(mfd);
		return fail(err, errlen, dir, "msg", NULL, strerror(e));
	}
	int rc = 0;
	bool stop = false;
	for (int i = 0; i < n; i++) {
		if (!stop && rc == 0) {
			const char *name = list[i]->d_name;
			size_t nl = strlen(name);
			char id[PC_QID_MAX], json[PC_QID_MAX + 8];
			snprintf(id, sizeof id, "%.*s", (int)(nl - 4), name);
			snprintf(json, sizeof json, "%s.json", id);
			char *meta = NULL;
			size_t mn = 0;
			if (with_meta && read_all(mfd, json, META_MAX, &meta, &mn) != 0 && errno != ENOENT)
				rc = fail(err, errlen, dir, "msg", json, strerror(errno));
			/* not removed while its metadata was read (the names alone
			 * are as fresh as the scan) */
			else if (!with_meta || faccessat(mfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				stop = cb(ctx, id, meta) != 0;
			free(meta);
		}
		free(list[i]);
	}
	free(list);
	close(mfd);
	return rc;
}

int pc_quarantine_list(const char *dir, pc_quarantine_cb cb, void *ctx, char *err, size_t errlen)
{
	return list(dir, true, cb, ctx, err, errlen);
}

int pc_quarantine_ids(const char *dir, pc_quarantine_cb cb, void *ctx, char *err, size_t errlen)
{
	return list(dir, false, cb, ctx, err, errlen);
}

int pc_quarantine_remove(const char *dir, const char *qid, char *err, size_t errlen)
{
	if (!dir)
		return fail(err, errlen, "(null)", NULL, NULL, "invalid arguments");
	if (pc_store_is_postgresql(dir)) {
		if (store_qid(dir, qid, err, errlen) != 0)
			return -1;
		return pc_quarantine_pg_remove(dir, qid, err, errlen) == 0 ? 0 : -1;
	}
	char eml[PC_QID_MAX + 8], json[PC_QID_MAX + 8];
	int mfd = open_entry(dir, qid, eml, json, err, errlen);
	if (mfd < 0)
		return -1;
	if (unlinkat(mfd, eml, 0) != 0) {
		int e = errno;
		close(mfd);
		return fail(err, errlen, dir, "msg", eml, e == ENOENT ? "no such quarantined message" : strerror(e));
	}
	if (unlinkat(mfd, json, 0) != 0 && errno != ENOENT) {
		int e = errno;
		close(mfd);
		return fail(err, errlen, dir, "msg", json, strerror(e));
	}
	int rc = 0;
	if (fsync(mfd) != 0)
		rc = fail(err, errlen, dir, "msg", NULL, strerror(errno));
	close(mfd);
	return rc;
}

void pc_quarantine_settings(const char *password_file, unsigned timeout_ms)
{
	pc_quarantine_pg_settings(password_file, timeout_ms);
}

void pc_quarantine_where(const char *dir, char *out, size_t outlen)
{
	pc_store_where(dir, out, outlen);
}

int pc_quarantine_stamp(const char *dir, long long *stamp, char *err, size_t errlen)
{
	*stamp = 0;
	if (!dir)
		return fail(err, errlen, "(null)", NULL, NULL, "invalid arguments");
	if (pc_store_is_postgresql(dir))
		return pc_quarantine_pg_stamp(dir, stamp, err, errlen);
	char path[4096];
	int l = snprintf(path, sizeof path, "%s/msg", dir);
	if (l < 0 || (size_t)l >= sizeof path)
		return fail(err, errlen, dir, NULL, NULL, "path too long");
	struct stat sb;
	if (stat(path, &sb) != 0)
		return errno == ENOENT ? 1 : fail(err, errlen, dir, "msg", NULL, strerror(errno));
	*stamp = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
	return 0;
}

int pc_quarantine_info(const char *dir, const char *qid, long long *size, time_t *put, char **meta, char *err,
                       size_t errlen)
{
	*size = 0;
	*put = 0;
	if (meta)
		*meta = NULL;
	if (!dir)
		return fail(err, errlen, "(null)", NULL, NULL, "invalid arguments");
	if (pc_store_is_postgresql(dir)) {
		if (store_qid(dir, qid, err, errlen) != 0)
			return -1;
		size_t n = 0;
		if (pc_quarantine_pg_get(dir, qid, NULL, &n, meta, put, err, errlen) != 0)
			return -1;
		*size = (long long)n;
		return 0;
	}
	char eml[PC_QID_MAX + 8], json[PC_QID_MAX + 8];
	int mfd = open_entry(dir, qid, eml, json, err, errlen);
	if (mfd < 0)
		return -1;
	struct stat sb;
	int e = fstatat(mfd, eml, &sb, AT_SYMLINK_NOFOLLOW) != 0 ? errno : S_ISREG(sb.st_mode) ? 0 : EINVAL;
	if (e) {
		close(mfd);
		return fail(err, errlen, dir, "msg", eml, e == ENOENT ? "no such quarantined message" : strerror(e));
	}
	char *mj = NULL;
	size_t mn = 0;
	if (meta && read_all(mfd, json, META_MAX, &mj, &mn) != 0 && errno != ENOENT) {
		e = errno;
		close(mfd);
		return fail(err, errlen, dir, "msg", json, strerror(e));
	}
	close(mfd);
	*size = (long long)sb.st_size;
	*put = sb.st_mtime;
	if (meta)
		*meta = mj;
	return 0;
}
