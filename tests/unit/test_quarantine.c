/*
 * Unit tests for act/quarantine: what a put leaves on disk (bytes, modes,
 * nothing in tmp/), QID shape, uniqueness and order, reading back,
 * listing, removal, refusing QIDs that would leave the directory, and
 * clean-up when a write fails half way.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "act/quarantine.h"

static char root[256]; /* a fresh directory per test */
static char qdir[300];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/pc-quarantine-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(qdir, sizeof qdir, "%s/q", root);
	return 0;
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
	snprintf(path, sizeof path, "%s/msg/%s.json", qdir, qid);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(pc_quarantine_get(qdir, qid, &bytes, &n, &meta, err, sizeof err), 0);
	assert_null(meta);
	free(bytes);

	/* unknown id */
	assert_int_equal(
	    pc_quarantine_get(qdir, "20000101T000000Z-00000001-0000000000000000", &bytes, &n, &meta, err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "no such quarantined message"));
	assert_non_null(strstr(err, qdir));
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
	char path[1024];
	snprintf(path, sizeof path, "%s/msg", qdir);
	assert_int_equal(count_entries(path), 0);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
