/*
 * Unit tests for act/quarantine, on a directory (unit.quarantine) and in
 * the store on PostgreSQL (unit.quarantine.pg: the quarantine is a fresh
 * database, unit/storetest.h): what a put leaves on disk (bytes, modes,
 * nothing in tmp/), QID shape, uniqueness and order, reading back,
 * listing, removal, refusing QIDs that would leave the directory, and
 * clean-up when a write fails half way; puts from several threads at
 * once (1 MB messages with NUL bytes and invalid UTF-8), removal by
 * another node, the per-entry lock of act/qaction, and a release and a
 * delete through act/qaction with a fake sendmail, audited.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "act/qaction.h"
#include "act/quarantine.h"
#include "act/quarantine_pg.h"
#include "core/sha256.h"
#include "store/store.h"
#include "storetest.h"

static char root[256];               /* a fresh directory per test */
static char qdir[PC_TEST_STORE_MAX]; /* the quarantine: root/q, or a fresh PostgreSQL database */
static char adb[PC_TEST_STORE_MAX];  /* the store of the audit log: the same database, or SQLite */

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/pc-quarantine-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	if (pc_test_store_pg()) {
		pc_test_store_new(qdir, sizeof qdir, "quarantine");
		snprintf(adb, sizeof adb, "%s", qdir);
	} else {
		snprintf(qdir, sizeof qdir, "%s/q", root);
		pc_test_store_new(adb, sizeof adb, "qaudit");
	}
	return 0;
}

/* A statement on the quarantine's database, as another node would run it:
 * the rows it changed */
static long sql(const char *q)
{
	PGconn *c = PQconnectdb(qdir + strlen("postgresql:"));
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, q);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		fail_msg("%s: %s", q, PQresultErrorMessage(r));
	long n = strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	PQfinish(c);
	return n;
}

static void rm_rf(const char *path)
{
	struct stat sb;
	if (lstat(path, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char child[1024];
			snprintf(child, sizeof child, "%s/%s", path, e->d_name);
			rm_rf(child);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(root);
	pc_test_store_drop(adb);
	return 0;
}

/* Entries of dir other than . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 20);
	*n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static mode_t mode_of(const char *path)
{
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

static const char msg[] = "From: a@evil.example\r\nSubject: hi\r\n\r\nbody with \0 a NUL\r\n";

static void put_writes_durable_files(void **state)
{
	(void)state;
	char qid[PC_QID_MAX], err[512] = "";
	int rc = pc_quarantine_put(qdir, msg, sizeof msg - 1, "{\"campaign\":7}", qid, sizeof qid, err, sizeof err);
	assert_int_equal(rc, 0);
	assert_true(pc_quarantine_qid_valid(qid));
	/* 20261126T071503Z-0000a3f1-<16 hex> */
	assert_int_equal(strlen(qid), 42);
	assert_int_equal(qid[8], 'T');
	assert_int_equal(qid[15], 'Z');
	assert_int_equal(qid[16], '-');
	assert_int_equal(qid[25], '-');
	char want[32];
	snprintf(want, sizeof want, "-%08x-", (unsigned)getpid());
	assert_memory_equal(qid + 16, want, 10);
	if (pc_test_store_pg())
		skip(); /* the directory's files */

	char path[1024];
	size_t n;
	snprintf(path, sizeof path, "%s/msg/%s.eml", qdir, qid);
	char *got = slurp(path, &n);
	assert_non_null(got);
	assert_int_equal(n, sizeof msg - 1);
	assert_memory_equal(got, msg, n);
	free(got);
	assert_int_equal(mode_of(path), 0600);
	snprintf(path, sizeof path, "%s/msg/%s.json", qdir, qid);
	got = slurp(path, &n);
	assert_non_null(got);
	assert_int_equal(n, strlen("{\"campaign\":7}"));
	assert_memory_equal(got, "{\"campaign\":7}", n);
	free(got);
	assert_int_equal(mode_of(path), 0600);

	assert_int_equal(mode_of(qdir), 0700);
	snprintf(path, sizeof path, "%s/msg", qdir);
	assert_int_equal(mode_of(path), 0700);
	assert_int_equal(count_entries(path), 2);
	snprintf(path, sizeof path, "%s/tmp", qdir);
	assert_int_equal(mode_of(path), 0700);
	assert_int_equal(count_entries(path), 0); /* nothing left behind */
}

static void get_reads_back(void **state)
{
	(void)state;
	char qid[PC_QID_MAX], err[512];
	assert_int_equal(pc_quarantine_put(qdir, msg, sizeof msg - 1, "{\"a\":1}", qid, sizeof qid, err, sizeof err),
	                 0);
	char *bytes, *meta;
	size_t n;
	assert_int_equal(pc_quarantine_get(qdir, qid, &bytes, &n, &meta, err, sizeof err), 0);
	assert_int_equal(n, sizeof msg - 1);
	assert_memory_equal(bytes, msg, n);
	assert_int_equal(bytes[n], '\0');
	assert_string_equal(meta, "{\"a\":1}");
	free(bytes);
	free(meta);
	/* only the metadata */
	assert_int_equal(pc_quarantine_get(qdir, qid, NULL, NULL, &meta, err, sizeof err), 0);
	assert_string_equal(meta, "{\"a\":1}");
	free(meta);

	/* NULL metadata is stored as {} and an empty message is a message */
	assert_int_equal(pc_quarantine_put(qdir, "", 0, NULL, qid, sizeof qid, err, sizeof err), 0);
	assert_int_equal(pc_quarantine_get(qdir, qid, &bytes, &n, &meta, err, sizeof err), 0);
	assert_int_equal(n, 0);
	assert_string_equal(meta, "{}");
	free(bytes);
	free(meta);

	/* an entry whose metadata went missing still gives its message */
	char path[1024];
	if (pc_test_store_pg()) {
		snprintf(path, sizeof path, "UPDATE quarantine SET meta = NULL WHERE qid = '%s'", qid);
		assert_int_equal(sql(path), 1);
	} else {
		snprintf(path, sizeof path, "%s/msg/%s.json", qdir, qid);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(pc_quarantine_get(qdir, qid, &bytes, &n, &meta, err, sizeof err), 0);
	assert_null(meta);
	free(bytes);

	/* unknown id */
	assert_int_equal(
	    pc_quarantine_get(qdir, "20000101T000000Z-00000001-0000000000000000", &bytes, &n, &meta, err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "no such quarantined message"));
	char where[300];
	pc_quarantine_where(qdir, where, sizeof where);
	assert_non_null(strstr(err, where));
	assert_null(bytes);
}

typedef struct seen {
	char qid[300][PC_QID_MAX];
	int n, stop_at;
} seen;

static int on_entry(void *ctx, const char *qid, const char *meta)
{
	seen *s = ctx;
	assert_non_null(meta);
	snprintf(s->qid[s->n], PC_QID_MAX, "%s", qid);
	s->n++;
	return s->stop_at && s->n == s->stop_at;
}

static int on_id(void *ctx, const char *qid, const char *meta)
{
	seen *s = ctx;
	assert_null(meta);
	snprintf(s->qid[s->n], PC_QID_MAX, "%s", qid);
	s->n++;
	return 0;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void unique_and_listed_in_order(void **state)
{
	(void)state;
	static char made[200][PC_QID_MAX];
	char err[512];
	for (int i = 0; i < 200; i++) {
		char meta[64];
		snprintf(meta, sizeof meta, "{\"i\":%d}", i);
		assert_int_equal(pc_quarantine_put(qdir, "x", 1, meta, made[i], PC_QID_MAX, err, sizeof err), 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(made[i], made[j]);
	}
	if (pc_test_store_pg()) {
		/* a row no put made (a QID this module refuses) is not an entry */
		sql("INSERT INTO quarantine (qid, created, meta, original) VALUES ('../x', 0, '{}', '')");
	} else {
		/* an orphan .json (a put that crashed before its commit point), a
		 * file left in tmp/ and a stray name are not entries */
		char path[1024];
		snprintf(path, sizeof path, "%s/msg/19990101T000000Z-00000001-0000000000000000.json", qdir);
		FILE *f = fopen(path, "w");
		fclose(f);
		snprintf(path, sizeof path, "%s/tmp/19990101T000000Z-00000001-0000000000000001.eml", qdir);
		f = fopen(path, "w");
		fclose(f);
		snprintf(path, sizeof path, "%s/msg/.hidden.eml", qdir);
		f = fopen(path, "w");
		fclose(f);
	}

	seen *s = calloc(1, sizeof *s);
	assert_int_equal(pc_quarantine_list(qdir, on_entry, s, err, sizeof err), 0);
	assert_int_equal(s->n, 200);
	qsort(made, 200, PC_QID_MAX, by_str);
	for (int i = 0; i < 200; i++)
		assert_string_equal(s->qid[i], made[i]);
	/* the callback stops the listing */
	memset(s, 0, sizeof *s);
	s->stop_at = 3;
	assert_int_equal(pc_quarantine_list(qdir, on_entry, s, err, sizeof err), 0);
	assert_int_equal(s->n, 3);
	free(s);
}

static void list_edge_cases(void **state)
{
	(void)state;
	char err[512];
	seen *s = calloc(1, sizeof *s);
	if (pc_test_store_pg()) {
		/* a database where nothing was put yet: empty */
		assert_int_equal(pc_quarantine_list(qdir, on_entry, s, err, sizeof err), 0);
		assert_int_equal(s->n, 0);
		free(s);
		return;
	}
	/* no such directory: an error, not an empty quarantine */
	assert_int_equal(pc_quarantine_list(qdir, on_entry, s, err, sizeof err), -1);
	assert_non_null(strstr(err, qdir));
	/* a directory without msg/ yet: empty */
	assert_int_equal(mkdir(qdir, 0700), 0);
	assert_int_equal(pc_quarantine_list(qdir, on_entry, s, err, sizeof err), 0);
	assert_int_equal(s->n, 0);
	free(s);
}

static void remove_entry(void **state)
{
	(void)state;
	char qid[PC_QID_MAX], err[512];
	assert_int_equal(pc_quarantine_put(qdir, msg, sizeof msg - 1, "{}", qid, sizeof qid, err, sizeof err), 0);
	assert_int_equal(pc_quarantine_remove(qdir, qid, err, sizeof err), 0);
	if (pc_test_store_pg()) {
		assert_int_equal(sql("SELECT 1 FROM quarantine"), 0);
	} else {
		char path[1024];
		snprintf(path, sizeof path, "%s/msg", qdir);
		assert_int_equal(count_entries(path), 0);
	}
	char *bytes;
	size_t n;
	assert_int_equal(pc_quarantine_get(qdir, qid, &bytes, &n, NULL, err, sizeof err), -1);
	assert_int_equal(pc_quarantine_remove(qdir, qid, err, sizeof err), -1);
	assert_non_null(strstr(err, "no such quarantined message"));
}

static void refuses_escaping_ids(void **state)
{
	(void)state;
	char qid[PC_QID_MAX], err[512];
	assert_int_equal(pc_quarantine_put(qdir, "x", 1, "{}", qid, sizeof qid, err, sizeof err), 0);
	/* a file outside the quarantine the bad ids point at */
	char outside[1024];
	snprintf(outside, sizeof outside, "%s/secret.eml", root);
	FILE *f = fopen(outside, "w");
	fputs("secret", f);
	fclose(f);
	const char *bad[] = {"../../secret",
	                     "../secret",
	                     "..",
	                     ".",
	                     "",
	                     "a/b",
	                     "/etc/passwd",
	                     "-rf",
	                     "x.eml",
	                     "x y",
	                     "x\n",
	                     "%2e%2e",
	                     "0123456789012345678901234567890123456789012345678901234567890123"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_false(pc_quarantine_qid_valid(bad[i]));
		char *bytes = (char *)1, *meta = (char *)1;
		size_t n = 1;
		err[0] = '\0';
		assert_int_equal(pc_quarantine_get(qdir, bad[i], &bytes, &n, &meta, err, sizeof err), -1);
		assert_non_null(strstr(err, "not a quarantine id"));
		assert_null(bytes);
		assert_null(meta);
		assert_int_equal(pc_quarantine_remove(qdir, bad[i], err, sizeof err), -1);
		assert_non_null(strstr(err, "not a quarantine id"));
	}
	assert_int_equal(access(outside, F_OK), 0);
	assert_false(pc_quarantine_qid_valid(NULL));
	assert_true(pc_quarantine_qid_valid("abc-DEF-123"));
	if (pc_test_store_pg())
		return;
	/* a symbolic link put in msg/ is not followed */
	char link[1024];
	snprintf(link, sizeof link, "%s/msg/abc.eml", qdir);
	assert_int_equal(symlink(outside, link), 0);
	char *bytes;
	size_t n;
	assert_int_equal(pc_quarantine_get(qdir, "abc", &bytes, &n, NULL, err, sizeof err), -1);
}

static void errors_name_the_path(void **state)
{
	(void)state;
	if (pc_test_store_pg())
		skip(); /* the directory's paths: store_errors_name_it for the store */
	char qid[PC_QID_MAX], err[512];
	char missing[512];
	snprintf(missing, sizeof missing, "%s/no/such/parent", root);
	assert_int_equal(pc_quarantine_put(missing, "x", 1, "{}", qid, sizeof qid, err, sizeof err), -1);
	assert_non_null(strstr(err, missing));
	assert_non_null(strstr(err, "No such file or directory"));
	/* msg exists as a file, not a directory */
	assert_int_equal(mkdir(qdir, 0700), 0);
	char path[1024];
	snprintf(path, sizeof path, "%s/msg", qdir);
	FILE *f = fopen(path, "w");
	fclose(f);
	assert_int_equal(pc_quarantine_put(qdir, "x", 1, "{}", qid, sizeof qid, err, sizeof err), -1);
	assert_non_null(strstr(err, "/msg"));
	/* too small a QID buffer */
	char small[10];
	assert_int_equal(pc_quarantine_put(qdir, "x", 1, "{}", small, sizeof small, err, sizeof err), -1);
}

/* A write that fails half way (file size limit: EFBIG) leaves nothing in
 * tmp/ or msg/. Works as root, unlike a permission-based test. */
static void failed_write_leaves_nothing(void **state)
{
	(void)state;
	if (pc_test_store_pg())
		skip(); /* the directory's files */
	char qid[PC_QID_MAX], err[512];
	/* create the directories first */
	assert_int_equal(pc_quarantine_put(qdir, "x", 1, "{}", qid, sizeof qid, err, sizeof err), 0);
	assert_int_equal(pc_quarantine_remove(qdir, qid, err, sizeof err), 0);

	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 100;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	static char big[4096];
	memset(big, 'a', sizeof big);
	/* the message does not fit */
	int rc1 = pc_quarantine_put(qdir, big, sizeof big, "{}", qid, sizeof qid, err, sizeof err);
	char err1[512];
	snprintf(err1, sizeof err1, "%s", err);
	/* the message fits, its metadata does not */
	static char meta[4096];
	memset(meta, ' ', sizeof meta - 1);
	meta[0] = '{';
	meta[sizeof meta - 2] = '}';
	int rc2 = pc_quarantine_put(qdir, "small", 5, meta, qid, sizeof qid, err, sizeof err);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, prev);
	assert_int_equal(rc1, -1);
	assert_non_null(strstr(err1, "/tmp/"));
	assert_non_null(strstr(err1, ".eml"));
	assert_int_equal(rc2, -1);
	assert_non_null(strstr(err, ".json"));
	char path[1024];
	snprintf(path, sizeof path, "%s/tmp", qdir);
	assert_int_equal(count_entries(path), 0);
	snprintf(path, sizeof path, "%s/msg", qdir);
	assert_int_equal(count_entries(path), 0);
}

/* ---- several threads, big hostile messages ---- */

#define THREADS 4
#define PER_THREAD 3
#define BIG ((size_t)1 << 20)

/* Message (t, i): 1 MB of every byte value (NUL, 0xff, lone UTF-8
 * continuation bytes, cut sequences), different per message */
static char *big_message(int t, int i)
{
	char *m = malloc(BIG);
	assert_non_null(m);
	for (size_t k = 0; k < BIG; k++)
		m[k] = (char)((k * 7 + (size_t)t * 31 + (size_t)i * 101) & 0xff);
	memcpy(m, "Subject: \xc3\x28\xff\0\r\n\r\n", 14);
	m[14] = (char)t;
	m[15] = (char)i;
	return m;
}

typedef struct putter {
	int t, rc;
	char qid[PER_THREAD][PC_QID_MAX];
	char err[512];
} putter;

static void *put_thread(void *arg)
{
	putter *p = arg;
	for (int i = 0; i < PER_THREAD && p->rc == 0; i++) {
		char *m = big_message(p->t, i), meta[64];
		snprintf(meta, sizeof meta, "{\"t\":%d,\"i\":%d}", p->t, i);
		p->rc = pc_quarantine_put(qdir, m, BIG, meta, p->qid[i], PC_QID_MAX, p->err, sizeof p->err);
		free(m);
	}
	return NULL;
}

static void threads_put_at_once(void **state)
{
	(void)state;
	pthread_t th[THREADS];
	static putter p[THREADS];
	memset(p, 0, sizeof p);
	for (int t = 0; t < THREADS; t++) {
		p[t].t = t;
		assert_int_equal(pthread_create(&th[t], NULL, put_thread, &p[t]), 0);
	}
	for (int t = 0; t < THREADS; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
		if (p[t].rc != 0)
			fail_msg("thread %d: %s", t, p[t].err);
	}
	/* every one listed, in QID order, with its metadata */
	char err[512];
	seen *s = calloc(1, sizeof *s);
	assert_int_equal(pc_quarantine_list(qdir, on_entry, s, err, sizeof err), 0);
	assert_int_equal(s->n, THREADS * PER_THREAD);
	for (int k = 1; k < s->n; k++)
		assert_true(strcmp(s->qid[k - 1], s->qid[k]) < 0);
	for (int t = 0; t < THREADS; t++)
		for (int i = 0; i < PER_THREAD; i++) {
			bool found = false;
			for (int k = 0; k < s->n; k++)
				found |= !strcmp(s->qid[k], p[t].qid[i]);
			assert_true(found);
			/* the same bytes back */
			char *bytes = NULL, *meta = NULL, want_meta[64];
			size_t n = 0;
			assert_int_equal(pc_quarantine_get(qdir, p[t].qid[i], &bytes, &n, &meta, err, sizeof err), 0);
			char *m = big_message(t, i);
			assert_int_equal(n, BIG);
			assert_memory_equal(bytes, m, BIG);
			assert_int_equal(bytes[n], '\0');
			snprintf(want_meta, sizeof want_meta, "{\"t\":%d,\"i\":%d}", t, i);
			assert_string_equal(meta, want_meta);
			/* what the console's index reads */
			long long size;
			time_t put;
			assert_int_equal(pc_quarantine_info(qdir, p[t].qid[i], &size, &put, NULL, err, sizeof err), 0);
			assert_int_equal(size, (long long)BIG);
			assert_true(put > time(NULL) - 600 && put <= time(NULL));
			free(m);
			free(bytes);
			free(meta);
		}
	free(s);
}

/* ---- removal, and another node's removal ---- */

static void removed_elsewhere(void **state)
{
	(void)state;
	char qid[PC_QID_MAX], err[512];
	long long before, after;
	int st = pc_quarantine_stamp(qdir, &before, err, sizeof err);
	assert_true(st == 0 || st == 1); /* a directory without msg/ yet: 1 */
	assert_int_equal(pc_quarantine_put(qdir, msg, sizeof msg - 1, "{}", qid, sizeof qid, err, sizeof err), 0);
	assert_int_equal(pc_quarantine_stamp(qdir, &after, err, sizeof err), 0);
	assert_true(st == 1 || after != before);
	/* another node (or process) removes it first */
	char q[1024];
	if (pc_test_store_pg()) {
		snprintf(q, sizeof q, "DELETE FROM quarantine WHERE qid = '%s'", qid);
		assert_int_equal(sql(q), 1);
	} else {
		snprintf(q, sizeof q, "%s/msg/%s.eml", qdir, qid);
		assert_int_equal(unlink(q), 0);
	}
	err[0] = '\0';
	assert_int_equal(pc_quarantine_remove(qdir, qid, err, sizeof err), -1);
	assert_non_null(strstr(err, "no such quarantined message"));
	long long size;
	time_t put;
	assert_int_equal(pc_quarantine_info(qdir, qid, &size, &put, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "no such quarantined message"));
	/* ids: without metadata */
	assert_int_equal(pc_quarantine_put(qdir, "x", 1, "{}", qid, sizeof qid, err, sizeof err), 0);
	seen *s = calloc(1, sizeof *s);
	assert_int_equal(pc_quarantine_ids(qdir, on_id, s, err, sizeof err), 0);
	assert_int_equal(s->n, 1);
	assert_string_equal(s->qid[0], qid);
	free(s);
}

/* ---- the entry lock of act/qaction ---- */

typedef struct other {
	const char *qid;
	int rc;
	char err[512];
} other;

static void *load_locked(void *arg)
{
	other *o = arg;
	pc_qentry e;
	o->rc = pc_qentry_load(qdir, o->qid, true, &e, o->err, sizeof o->err);
	pc_qentry_free(&e);
	return NULL;
}

static void lock_excludes(void **state)
{
	(void)state;
	char qid[PC_QID_MAX], err[512];
	assert_int_equal(pc_quarantine_put(qdir, msg, sizeof msg - 1, "{}", qid, sizeof qid, err, sizeof err), 0);
	pc_qentry a, b;
	assert_int_equal(pc_qentry_load(qdir, qid, true, &a, err, sizeof err), 0);
	assert_int_equal(a.n, sizeof msg - 1);
	assert_memory_equal(a.bytes, msg, a.n);
	/* a second locked load: refused, in this thread and in another */
	assert_int_equal(pc_qentry_load(qdir, qid, true, &b, err, sizeof err), 2);
	assert_non_null(strstr(err, "being released or deleted"));
	pc_qentry_free(&b);
	other o = {qid, -1, ""};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, load_locked, &o), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(o.rc, 2);
	assert_non_null(strstr(o.err, "being released or deleted"));
	/* reading without the lock is not refused */
	assert_int_equal(pc_qentry_load(qdir, qid, false, &b, err, sizeof err), 0);
	pc_qentry_free(&b);
	/* freed: the lock goes with it */
	pc_qentry_free(&a);
	assert_int_equal(pthread_create(&th, NULL, load_locked, &o), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(o.rc, 0);
	assert_int_equal(pc_qentry_load(qdir, qid, true, &b, err, sizeof err), 0);
	pc_qentry_free(&b);
	/* no such message: 1 */
	assert_int_equal(pc_qentry_load(qdir, "20000101T000000Z-00000001-0000000000000000", true, &b, err, sizeof err),
	                 1);
	pc_qentry_free(&b);
}

/* ---- release and delete through act/qaction ---- */

typedef struct records {
	int n;
	char action[8][32], qid[8][PC_QID_MAX], sha[8][PC_SHA256_HEX], reason[8][64];
} records;

static int on_record(void *ctx, const pc_audit_qrec *r)
{
	records *c = ctx;
	if (c->n < 8) {
		snprintf(c->action[c->n], sizeof c->action[0], "%s", r->action);
		snprintf(c->qid[c->n], sizeof c->qid[0], "%s", r->qid);
		snprintf(c->sha[c->n], sizeof c->sha[0], "%s", r->sha256 ? r->sha256 : "");
		snprintf(c->reason[c->n], sizeof c->reason[0], "%s", r->reason ? r->reason : "");
	}
	c->n++;
	return 0;
}

static void release_and_delete(void **state)
{
	(void)state;
	/* the fake sendmail keeps its standard input and arguments */
	char sendmail[512], sent[512], argv_file[512];
	snprintf(sendmail, sizeof sendmail, "%s/fake-sendmail", root);
	snprintf(sent, sizeof sent, "%s/sent.eml", root);
	snprintf(argv_file, sizeof argv_file, "%s/sent.argv", root);
	FILE *f = fopen(sendmail, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\ncat > '%s'\nprintf '%%s\\n' \"$@\" > '%s'\n", sent, argv_file);
	fclose(f);
	assert_int_equal(chmod(sendmail, 0755), 0);

	char qid[PC_QID_MAX], qid2[PC_QID_MAX], err[2048];
	char *m = big_message(1, 2);
	assert_int_equal(pc_quarantine_put(qdir, m, BIG,
	                                   "{\"mail_from\":\"a@evil.example\",\"rcpt\":[\"bob@org.example\"]}", qid,
	                                   sizeof qid, err, sizeof err),
	                 0);
	pc_store *st = pc_store_open(adb, err, sizeof err);
	if (!st)
		fail_msg("%s", err);
	pc_qaction a = {qdir, st, "tester", "false positive", NULL, 0, sendmail, "/bin/false", "/bin/false"};
	pc_qaction_done done;
	err[0] = '\0';
	int rc = pc_qaction_release(&a, qid, &done, err, sizeof err);
	if (rc != 0)
		fail_msg("release: %d %s", rc, err);
	assert_false(done.held);
	assert_int_equal(done.nrcpt, 1);
	/* the stored bytes, unchanged, with the recorded envelope */
	size_t n;
	char *got = slurp(sent, &n);
	assert_non_null(got);
	assert_int_equal(n, BIG);
	assert_memory_equal(got, m, BIG);
	free(got);
	got = slurp(argv_file, &n);
	assert_non_null(got);
	got[n] = '\0';
	assert_string_equal(got, "-i\n-f\na@evil.example\n--\nbob@org.example\n");
	free(got);
	/* gone from the quarantine; a second release finds nothing */
	char *bytes;
	assert_int_equal(pc_quarantine_get(qdir, qid, &bytes, &n, NULL, err, sizeof err), -1);
	assert_int_equal(pc_qaction_release(&a, qid, &done, err, sizeof err), 1);

	/* a delete */
	assert_int_equal(
	    pc_quarantine_put(qdir, "x", 1, "{\"rcpt\":[\"c@org.example\"]}", qid2, sizeof qid2, err, sizeof err), 0);
	assert_int_equal(pc_qaction_delete(&a, qid2, err, sizeof err), 0);
	assert_int_equal(pc_quarantine_get(qdir, qid2, &bytes, &n, NULL, err, sizeof err), -1);
	assert_int_equal(pc_qaction_delete(&a, qid2, err, sizeof err), 1);

	/* both audited, under the quarantine's name */
	records r = {0};
	assert_int_equal(pc_store_audit_quarantine_list(st, qdir, on_record, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.action[0], "release");
	assert_string_equal(r.qid[0], qid);
	assert_string_equal(r.reason[0], "false positive");
	unsigned char sha[PC_SHA256_LEN];
	char hex[PC_SHA256_HEX];
	assert_int_equal(pc_sha256(m, BIG, sha), 0);
	pc_sha256_hex(sha, hex);
	assert_string_equal(r.sha[0], hex);
	assert_string_equal(r.action[1], "delete");
	assert_string_equal(r.qid[1], qid2);
	pc_store_close(st);
	free(m);
}

/* ---- the store only ---- */

/* A connection lost after the load (the server restarted, a network cut)
 * loses the lock with it: pc_qaction_release checks it is still held
 * before running the command, and refuses when not; another node may
 * take it meanwhile. */
static void lock_lost_with_connection(void **state)
{
	(void)state;
	if (!pc_test_store_pg())
		skip();
	char qid[PC_QID_MAX], err[2048];
	assert_int_equal(pc_quarantine_put(qdir, msg, sizeof msg - 1, "{}", qid, sizeof qid, err, sizeof err), 0);
	pc_qentry e;
	assert_int_equal(pc_qentry_load(qdir, qid, true, &e, err, sizeof err), 0);
	assert_int_equal(pc_quarantine_pg_locked(qdir, qid, err, sizeof err), 1);
	/* every session the quarantine opened on this test's database */
	assert_true(sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
	                " AND application_name = 'portcullis'") >= 1);
	/* the check fails on the broken connection, then (re-established)
	 * says the lock is gone: never 1 */
	int held = pc_quarantine_pg_locked(qdir, qid, err, sizeof err);
	assert_int_not_equal(held, 1);
	if (held < 0)
		held = pc_quarantine_pg_locked(qdir, qid, err, sizeof err);
	assert_int_equal(held, 0);
	/* another thread (node) can take it now */
	other o = {qid, -1, ""};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, load_locked, &o), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(o.rc, 0);
	pc_qentry_free(&e); /* unlocks nothing it does not hold */
	/* and this thread's connection works again */
	assert_int_equal(pc_qentry_load(qdir, qid, true, &e, err, sizeof err), 0);
	pc_qentry_free(&e);
}

static void store_errors_name_it(void **state)
{
	(void)state;
	char qid[PC_QID_MAX], err[512];
	/* nothing listens on port 1: the error says where, never the password */
	const char *bad = "postgresql:host=127.0.0.1 port=1 dbname=nowhere password=s3cret connect_timeout=2";
	assert_int_equal(pc_quarantine_put(bad, "x", 1, "{}", qid, sizeof qid, err, sizeof err), -1);
	assert_non_null(strstr(err, "postgresql 127.0.0.1:1/nowhere"));
	assert_null(strstr(err, "s3cret"));
	/* the second after a failed attempt fails at once, the same way */
	assert_int_equal(pc_quarantine_list(bad, on_entry, NULL, err, sizeof err), -1);
	assert_null(strstr(err, "s3cret"));
	const char *uri = "postgresql://u:s3cret@127.0.0.1:1/nowhere";
	char where[300];
	pc_quarantine_where(uri, where, sizeof where);
	assert_string_equal(where, "postgresql 127.0.0.1:1/nowhere");
	assert_int_equal(pc_quarantine_get(uri, "../x", NULL, NULL, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a quarantine id"));
	assert_null(strstr(err, "s3cret"));
	/* SQLite keeps no quarantine */
	char db[512];
	snprintf(db, sizeof db, "%s/sqlite.db", root);
	pc_store *st = pc_store_open(db, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(pc_store_quarantine_put(st, "a", 0, "x", 1, "{}", NULL, NULL, 0), -1);
	assert_non_null(strstr(pc_store_error(st), "only on PostgreSQL"));
	pc_store_close(st);
}

/* One delivery kept once: the MTA's retry after a node died between the
 * write and its answer, or after a COMMIT whose reply was lost, names the
 * same delivery key and gets the first QID back (milter.cluster saw two
 * copies before); another key is another entry. A directory keeps no such
 * index. Then the same after the server dropped every connection: the
 * keyed put is tried again on a new one. */
static void keyed_put_once(void **state)
{
	(void)state;
	if (!pc_test_store_pg())
		skip();
	char q1[PC_QID_MAX], q2[PC_QID_MAX], q3[PC_QID_MAX], err[2048];
	assert_int_equal(pc_quarantine_put_once(qdir, "k1", msg, sizeof msg - 1, "{}", q1, sizeof q1, err, sizeof err),
	                 0);
	assert_int_equal(pc_quarantine_put_once(qdir, "k1", msg, sizeof msg - 1, "{}", q2, sizeof q2, err, sizeof err),
	                 0);
	assert_string_equal(q1, q2);
	assert_int_equal(pc_quarantine_put_once(qdir, "k2", msg, sizeof msg - 1, "{}", q3, sizeof q3, err, sizeof err),
	                 0);
	assert_string_not_equal(q1, q3);
	assert_int_equal(sql("SELECT qid FROM quarantine"), 2);
	assert_true(sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
	                " AND application_name = 'portcullis'") >= 1);
	assert_int_equal(pc_quarantine_put_once(qdir, "k3", msg, sizeof msg - 1, "{}", q3, sizeof q3, err, sizeof err),
	                 0);
	assert_int_equal(pc_quarantine_put_once(qdir, "k3", msg, sizeof msg - 1, "{}", q2, sizeof q2, err, sizeof err),
	                 0);
	assert_string_equal(q2, q3);
	assert_int_equal(sql("SELECT qid FROM quarantine"), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(put_writes_durable_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(get_reads_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(unique_and_listed_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(list_edge_cases, setup, teardown),
	    cmocka_unit_test_setup_teardown(remove_entry, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_escaping_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(errors_name_the_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(failed_write_leaves_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(threads_put_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(removed_elsewhere, setup, teardown),
	    cmocka_unit_test_setup_teardown(lock_excludes, setup, teardown),
	    cmocka_unit_test_setup_teardown(release_and_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(lock_lost_with_connection, setup, teardown),
	    cmocka_unit_test_setup_teardown(store_errors_name_it, setup, teardown),
	    cmocka_unit_test_setup_teardown(keyed_put_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
