/*
 * NAME
 *   source - files, mboxes, Maildirs and directories (see source.h)
 */
#define _GNU_SOURCE
#include "cli/source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse/mbox.h"

#define MAX_DIR_DEPTH 64
#define STDIN_MAX ((size_t)1 << 31)

/* Files up to this size are read() into one reused buffer: for small
 * files that is cheaper than mmap+munmap, whose TLB shootdowns cost ~12%
 * of a corpus scan on a 2-core VM (perf, issue 2 note). */
#define READ_MAX ((size_t)1 << 20)

typedef struct walker {
	pc_source_cb cb;
	void *ctx;
	pc_source_stats *st;
	char *buf; /* READ_MAX bytes, allocated on first use */
} walker;

static void fail(walker *w, const char *path, const char *why)
{
	fprintf(stderr, "portcullis: cannot read %s: %s\n", path, why);
	w->st->errors++;
}

static bool has_eml_suffix(const char *name)
{
	size_t l = strlen(name);
	return l >= 4 && strcasecmp(name + (l - 4), ".eml") == 0;
}

/* An .eml file is one message even when it starts with a From_ line (its
 * body may hold unquoted "From " lines, e.g. an attached git patch); any
 * other file starting with a From_ line is an mbox. */
static void scan_buffer(walker *w, const char *buf, size_t n, const char *name)
{
	w->st->bytes += n;
	if (has_eml_suffix(name) || !pc_mbox_detect(buf, n)) {
		w->st->messages++;
		pc_source_pos pos = {name, 0, buf, n};
		w->cb(w->ctx, buf, n, name, &pos);
		return;
	}
	pc_mbox mb = {buf, n, 0};
	const char *msg;
	size_t len;
	size_t count = 0;
	/* Peek: a single-message mbox (an .eml with a From_ line) keeps the plain name. */
	pc_mbox peek = mb;
	size_t total = 0;
	while (total < 2 && pc_mbox_next(&peek, &msg, &len))
		total++;
	while (pc_mbox_next(&mb, &msg, &len)) {
		count++;
		char label[4096];
		if (total > 1)
			snprintf(label, sizeof label, "%s:%zu", name, count);
		else
			snprintf(label, sizeof label, "%s", name);
		w->st->messages++;
		pc_source_pos pos = {name, count, msg, len};
		if (pc_mbox_quoted(msg, len)) {
			char *copy = malloc(len ? len : 1);
			if (!copy) {
				fail(w, label, "out of memory");
				continue;
			}
			size_t l = pc_mbox_unquote(copy, msg, len);
			w->cb(w->ctx, copy, l, label, &pos);
			free(copy);
		} else
			w->cb(w->ctx, msg, len, label, &pos);
	}
}

static void scan_file(walker *w, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fail(w, path, strerror(errno));
		return;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		fail(w, path, strerror(errno));
		close(fd);
		return;
	}
	size_t n = (size_t)sb.st_size;
	if (n == 0) {
		close(fd);
		w->st->messages++;
		pc_source_pos pos = {path, 0, "", 0};
		w->cb(w->ctx, "", 0, path, &pos);
		return;
	}
	if (n <= READ_MAX) {
		if (!w->buf && !(w->buf = malloc(READ_MAX))) {
			fail(w, path, "out of memory");
			close(fd);
			return;
		}
		size_t got = 0;
		while (got < n) {
			ssize_t r = read(fd, w->buf + got, n - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		int e = errno;
		close(fd);
		if (got < n) {
			fail(w, path, got ? "file shrank while reading" : strerror(e));
			return;
		}
		scan_buffer(w, w->buf, n, path);
		return;
	}
	void *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fail(w, path, strerror(errno));
		return;
	}
	madvise(p, n, MADV_SEQUENTIAL);
	scan_buffer(w, p, n, path);
	munmap(p, n);
}

static void scan_stdin(walker *w)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	if (!buf) {
		fail(w, "-", "out of memory");
		return;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= STDIN_MAX) {
				fail(w, "-", "standard input larger than 2 GiB");
				free(buf);
				return;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				fail(w, "-", "out of memory");
				free(buf);
				return;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(STDIN_FILENO, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail(w, "-", strerror(errno));
			free(buf);
			return;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	scan_buffer(w, buf, n, "-");
	free(buf);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static bool is_dir(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void walk_path(walker *w, const char *path, int depth);

static void walk_dir(walker *w, const char *path, int depth, bool maildir)
{
	struct dirent **list;
	int n = scandir(path, &list, NULL, by_name);
	if (n < 0) {
		fail(w, path, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		char child[4096];
		int l = snprintf(child, sizeof child, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", name);
		bool dots = !strcmp(name, ".") || !strcmp(name, "..");
		/* Hidden names are skipped, but in a Maildir root the Maildir++
		 * folders ".Name/"; there tmp/ (being delivered) and the IMAP
		 * servers' own files (dovecot-uidlist, dovecot.index*,
		 * courierimap*, maildirfolder, subscriptions) are no mail. */
		bool skip;
		if (name[0] == '.')
			skip = !maildir || dots || l < 0 || (size_t)l >= sizeof child || !is_dir(child);
		else
			skip = maildir && (!strcmp(name, "tmp") || !strncmp(name, "dovecot", 7) ||
			                   !strncmp(name, "courierimap", 11) || !strcmp(name, "maildirfolder") ||
			                   !strcmp(name, "subscriptions"));
		if (!skip) {
			if (l < 0 || (size_t)l >= sizeof child)
				fail(w, name, "path too long");
			else
				walk_path(w, child, depth + 1);
		}
		free(list[i]);
	}
	free(list);
}

static void walk_path(walker *w, const char *path, int depth)
{
	struct stat sb;
	if (lstat(path, &sb) != 0) {
		fail(w, path, strerror(errno));
		return;
	}
	if (S_ISLNK(sb.st_mode)) {
		if (stat(path, &sb) != 0) {
			fail(w, path, strerror(errno));
			return;
		}
		if (S_ISDIR(sb.st_mode) && depth > 0)
			return; /* no loops through symlinked directories */
	}
	if (S_ISDIR(sb.st_mode)) {
		if (depth >= MAX_DIR_DEPTH) {
			fail(w, path, "directories nested too deep");
			return;
		}
		char cur[4096], nw[4096];
		snprintf(cur, sizeof cur, "%s/cur", path);
		snprintf(nw, sizeof nw, "%s/new", path);
		walk_dir(w, path, depth, is_dir(cur) && is_dir(nw));
		return;
	}
	if (!S_ISREG(sb.st_mode)) {
		fail(w, path, "not a regular file or directory");
		return;
	}
	scan_file(w, path);
}

void pc_source_walk(char *const *paths, size_t npaths, pc_source_cb cb, void *ctx, pc_source_stats *st)
{
	walker w = {cb, ctx, st, NULL};
	for (size_t i = 0; i < npaths; i++) {
		if (strcmp(paths[i], "-") == 0)
			scan_stdin(&w);
		else
			walk_path(&w, paths[i], 0);
	}
	free(w.buf);
}

static size_t du(const char *path, int depth)
{
	struct stat sb;
	if (lstat(path, &sb) != 0)
		return 0;
	if (S_ISREG(sb.st_mode))
		return (size_t)sb.st_size;
	if (!S_ISDIR(sb.st_mode) || depth >= MAX_DIR_DEPTH)
		return 0;
	DIR *d = opendir(path);
	if (!d)
		return 0;
	size_t total = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char child[4096];
		int l = snprintf(child, sizeof child, "%s/%s", path, e->d_name);
		if (l > 0 && (size_t)l < sizeof child)
			total += du(child, depth + 1);
	}
	closedir(d);
	return total;
}

size_t pc_source_total_bytes(char *const *paths, size_t npaths)
{
	size_t t = 0;
	for (size_t i = 0; i < npaths; i++)
		if (strcmp(paths[i], "-") != 0)
			t += du(paths[i], 0);
	return t;
}
