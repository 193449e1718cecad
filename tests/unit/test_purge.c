/*
 * Unit tests for act/purge on real files: mbox messages removed first,
 * in the middle, last and all together, with and without blank lines
 * before From_ lines, with CRLF; every other message byte-identical as
 * pc_mbox_next reads it; numbering as cli/source.c's "path:N"; refusal
 * when the mailbox changed, when a number is missing, when locked; and
 * Maildir files.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "act/purge.h"
#include "cli/source.h"
#include "parse/mbox.h"

static char root[256];
static char mbox[300];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/pc-purge-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(mbox, sizeof mbox, "%s/inbox", root);
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

static void put(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, n, f), n);
	fclose(f);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 20);
	*n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* The messages of an mbox buffer, as pc_mbox_next reads them. */
typedef struct msgs {
	const char *p[64];
	size_t len[64];
	size_t n;
} msgs;

static msgs split(const char *buf, size_t n)
{
	msgs m;
	memset(&m, 0, sizeof m);
	pc_mbox mb = {buf, n, 0};
	while (m.n < 64 && pc_mbox_next(&mb, &m.p[m.n], &m.len[m.n]))
		m.n++;
	return m;
}

/* Purges `which` (nw numbers) from a file holding `orig` and checks that
 * the file then holds exactly the other messages, byte for byte; returns
 * the new file (free it). */
static char *purge_and_check(const char *orig, const size_t *which, size_t nw, size_t *outn)
{
	size_t on = strlen(orig);
	put(mbox, orig, on);
	unsigned char sha[64][32];
	for (size_t i = 0; i < nw; i++) {
		const char *mp;
		size_t ml;
		assert_int_equal(pc_purge_mbox_message(orig, on, which[i], &mp, &ml, sha[i]), 0);
	}
	char err[512] = "";
	int rc = pc_purge_mbox(mbox, which, nw, (const unsigned char(*)[32])sha, err, sizeof err);
	if (rc != 0)
		fail_msg("purge: %s", err);
	char *got = slurp(mbox, outn);
	msgs before = split(orig, on), after = split(got, *outn);
	size_t k = 0;
	for (size_t i = 0; i < before.n; i++) {
		bool removed = false;
		for (size_t j = 0; j < nw; j++)
			removed |= which[j] == i + 1;
		if (removed)
			continue;
		assert_true(k < after.n);
		assert_int_equal(after.len[k], before.len[i]);
		assert_memory_equal(after.p[k], before.p[i], before.len[i]);
		k++;
	}
	assert_int_equal(k, after.n);
	/* no lock file or temporary file left beside the mbox */
	assert_int_equal(count_entries(root), 1);
	return got;
}

#define FROM(x) "From " #x "@example.org Mon Jan  1 00:00:0" #x " 2024\n"

static const char *four =
    FROM(1) "Subject: one\n\nbody one\n\n" FROM(2) "Subject: two\n\nbody two\n>From quoted\n\n" FROM(
        3) "Subject: three\n\nbody three\n\n" FROM(4) "Subject: four\n\nbody four\n";

static void first_middle_last(void **state)
{
	(void)state;
	size_t n;
	/* first: the file is the other three records exactly */
	size_t w1[] = {1};
	char *got = purge_and_check(four, w1, 1, &n);
	const char *rest = strstr(four, FROM(2));
	assert_int_equal(n, strlen(rest));
	assert_memory_equal(got, rest, n);
	free(got);
	/* middle */
	size_t w2[] = {2};
	got = purge_and_check(four, w2, 1, &n);
	assert_int_equal(n, strlen(four) - (size_t)(strstr(four, FROM(3)) - strstr(four, FROM(2))));
	free(got);
	size_t w3[] = {3};
	free(purge_and_check(four, w3, 1, &n));
	/* last: the new last message loses the separator its reader dropped */
	size_t w4[] = {4};
	got = purge_and_check(four, w4, 1, &n);
	assert_int_equal(n, (size_t)(strstr(four, FROM(4)) - four) - 1);
	assert_memory_equal(got, four, n);
	free(got);
	/* several, in any order, one twice */
	size_t w5[] = {4, 2, 4};
	free(purge_and_check(four, w5, 3, &n));
	size_t w6[] = {1, 3};
	free(purge_and_check(four, w6, 2, &n));
	/* all: an empty mailbox stays */
	size_t w7[] = {1, 2, 3, 4};
	got = purge_and_check(four, w7, 4, &n);
	assert_int_equal(n, 0);
	free(got);
}

static void mbox_with_trailing_blank_line(void **state)
{
	(void)state;
	/* as mboxrd writers leave it: every message followed by a blank line */
	const char *mb = FROM(1) "Subject: one\n\nbody\n\n" FROM(2) "Subject: two\n\nbody\n\n";
	size_t n;
	size_t w[] = {2};
	free(purge_and_check(mb, w, 1, &n));
	size_t w1[] = {1};
	free(purge_and_check(mb, w1, 1, &n));
}

static void no_blank_lines_before_from(void **state)
{
	(void)state;
	/* mboxes written without the blank line: From_ lines recognised by shape */
	const char *mb = FROM(1) "Subject: one\n\nbody one\n" FROM(2) "Subject: two\n\nbody two\n" FROM(
	    3) "Subject: three\n\nbody three\n";
	assert_int_equal(split(mb, strlen(mb)).n, 3);
	size_t n;
	for (size_t i = 1; i <= 3; i++) {
		size_t w[] = {i};
		free(purge_and_check(mb, w, 1, &n));
	}
	/* a From_ line not shaped like one is a split only after a blank line:
	 * removing the message between must not merge its neighbours */
	const char *odd = FROM(1) "Subject: one\n\nbody one\n" FROM(2) "Subject: two\n\nbody two\n\n"
	                                                               "From nobody\nSubject: three\n\nbody three\n";
	assert_int_equal(split(odd, strlen(odd)).n, 3);
	size_t w[] = {2};
	char *got = purge_and_check(odd, w, 1, &n);
	assert_int_equal(split(got, n).n, 2);
	free(got);
}

static void crlf_mbox(void **state)
{
	(void)state;
	const char *mb = "From a@example.org Mon Jan  1 00:00:00 2024\r\nSubject: one\r\n\r\nbody one\r\n\r\n"
	                 "From b@example.org Mon Jan  1 00:00:01 2024\r\nSubject: two\r\n\r\nbody two\r\n\r\n"
	                 "From c@example.org Mon Jan  1 00:00:02 2024\r\nSubject: three\r\n\r\nbody three\r\n";
	assert_int_equal(split(mb, strlen(mb)).n, 3);
	size_t n;
	for (size_t i = 1; i <= 3; i++) {
		size_t w[] = {i};
		free(purge_and_check(mb, w, 1, &n));
	}
	/* CRLF without blank lines, removing the middle one */
	const char *tight = "From a@example.org Mon Jan  1 00:00:00 2024\r\nSubject: one\r\n\r\nbody\r\n"
	                    "From b@example.org Mon Jan  1 00:00:01 2024\r\nSubject: two\r\n\r\nbody\r\n\r\n"
	                    "From c\r\nSubject: three\r\n\r\nbody\r\n";
	assert_int_equal(split(tight, strlen(tight)).n, 3);
	size_t w[] = {2};
	free(purge_and_check(tight, w, 1, &n));
}

static void single_message_mbox(void **state)
{
	(void)state;
	/* cli/source.c calls it "path"; here it is number 1 */
	const char *mb = FROM(1) "Subject: only\n\nbody\n";
	size_t n;
	size_t w[] = {1};
	char *got = purge_and_check(mb, w, 1, &n);
	assert_int_equal(n, 0);
	free(got);
}

static void changed_under_us(void **state)
{
	(void)state;
	size_t on = strlen(four);
	put(mbox, four, on);
	unsigned char sha[2][32];
	assert_int_equal(pc_purge_mbox_message(four, on, 2, NULL, NULL, sha[0]), 0);
	assert_int_equal(pc_purge_mbox_message(four, on, 3, NULL, NULL, sha[1]), 0);
	/* a new message arrived at the top: the numbers moved */
	char *changed = malloc(on + 200);
	int l = snprintf(changed, on + 200, "%s%s", FROM(0) "Subject: new\n\nnew\n\n", four);
	put(mbox, changed, (size_t)l);
	size_t which[] = {2, 3};
	char err[512];
	assert_int_equal(pc_purge_mbox(mbox, which, 2, (const unsigned char(*)[32])sha, err, sizeof err), -1);
	assert_non_null(strstr(err, "changed"));
	assert_non_null(strstr(err, "nothing removed"));
	assert_non_null(strstr(err, mbox));
	size_t n;
	char *got = slurp(mbox, &n);
	assert_int_equal(n, (size_t)l);
	assert_memory_equal(got, changed, n);
	free(got);
	free(changed);
	/* a number past the end */
	put(mbox, four, on);
	size_t past[] = {2, 5};
	assert_int_equal(pc_purge_mbox(mbox, past, 2, (const unsigned char(*)[32])sha, err, sizeof err), -1);
	assert_non_null(strstr(err, "no message 5"));
	got = slurp(mbox, &n);
	assert_int_equal(n, on);
	assert_memory_equal(got, four, n);
	free(got);
	/* number 0 */
	size_t zero[] = {0};
	assert_int_equal(pc_purge_mbox(mbox, zero, 1, (const unsigned char(*)[32])sha, err, sizeof err), -1);
	assert_int_equal(count_entries(root), 1);
}

static void refuses_non_mbox(void **state)
{
	(void)state;
	char err[512];
	unsigned char sha[1][32] = {{0}};
	size_t w[] = {1};
	char eml[512];
	snprintf(eml, sizeof eml, "%s/one.EML", root);
	put(eml, FROM(1) "Subject: x\n\nx\n", strlen(FROM(1) "Subject: x\n\nx\n"));
	assert_int_equal(pc_purge_mbox(eml, w, 1, (const unsigned char(*)[32])sha, err, sizeof err), -1);
	assert_non_null(strstr(err, "pc_purge_file"));
	put(mbox, "Subject: x\n\nx\n", 14);
	pc_sha256("Subject: x\n\nx\n", 14, sha[0]);
	assert_int_equal(pc_purge_mbox(mbox, w, 1, (const unsigned char(*)[32])sha, err, sizeof err), -1);
	assert_non_null(strstr(err, "not an mbox"));
	char missing[512];
	snprintf(missing, sizeof missing, "%s/missing", root);
	assert_int_equal(pc_purge_mbox(missing, w, 1, (const unsigned char(*)[32])sha, err, sizeof err), -1);
	assert_non_null(strstr(err, "No such file"));
	/* no lock left behind */
	snprintf(missing, sizeof missing, "%s/missing.lock", root);
	assert_int_equal(access(missing, F_OK), -1);
}

static void keeps_mode(void **state)
{
	(void)state;
	put(mbox, four, strlen(four));
	assert_int_equal(chmod(mbox, 0640), 0);
	unsigned char sha[1][32];
	assert_int_equal(pc_purge_mbox_message(four, strlen(four), 1, NULL, NULL, sha[0]), 0);
	size_t w[] = {1};
	char err[512];
	assert_int_equal(pc_purge_mbox(mbox, w, 1, (const unsigned char(*)[32])sha, err, sizeof err), 0);
	struct stat sb;
	assert_int_equal(stat(mbox, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
}

/* Random mboxes made of the lines that matter to the splitter (From_
 * lines with and without the shape, blank lines, quoted and bare "From "
 * in bodies, LF and CRLF), random sets of messages removed: the others
 * always stay byte-identical, or the purge refuses (it never does here). */
static void random_mboxes(void **state)
{
	(void)state;
	static const char *lines[] = {"From a@example.org Mon Jan  1 00:00:00 2024",
	                              "From nobody",
	                              "",
	                              "",
	                              "Subject: x",
	                              "body",
	                              ">From quoted",
	                              "From the desk of",
	                              "From "};
	srand(12345);
	char buf[4096];
	for (int iter = 0; iter < 300; iter++) {
		size_t o = 0;
		o += (size_t)snprintf(buf + o, sizeof buf - o, "%s", lines[0]);
		int nl = 1 + rand() % 30;
		for (int i = 0; i < nl && o < sizeof buf - 100; i++) {
			o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", rand() % 4 ? "\n" : "\r\n",
			                      lines[rand() % (sizeof lines / sizeof lines[0])]);
		}
		if (rand() % 2)
			o += (size_t)snprintf(buf + o, sizeof buf - o, "\n");
		buf[o] = '\0';
		size_t count = split(buf, o).n;
		if (count == 0 || count >= 64)
			continue;
		size_t which[64], nw = 0;
		for (size_t k = 1; k <= count; k++)
			if (rand() % 3 == 0)
				which[nw++] = k;
		if (!nw)
			which[nw++] = 1 + (size_t)rand() % count;
		size_t n;
		free(purge_and_check(buf, which, nw, &n));
	}
}

typedef struct walked {
	char label[8][512];
	char *bytes[8];
	size_t len[8];
	size_t n;
} walked;

static void on_message(void *ctx, const char *bytes, size_t n, const char *source, const pc_source_pos *pos)
{
	(void)pos;
	walked *w = ctx;
	snprintf(w->label[w->n], sizeof w->label[0], "%s", source);
	w->bytes[w->n] = malloc(n + 1);
	memcpy(w->bytes[w->n], bytes, n);
	w->len[w->n] = n;
	w->n++;
}

static void numbers_as_source_c(void **state)
{
	(void)state;
	/* "path:N" from the scanner's walker is pc_purge_mbox_message(N) */
	const char *mb = FROM(1) "Subject: one\n\nbody\n" FROM(2) "Subject: two\n\nbody\n\nFrom here on\n\n" FROM(
	    3) "Subject: three\n\nx\n";
	put(mbox, mb, strlen(mb));
	walked *w = calloc(1, sizeof *w);
	pc_source_stats st;
	memset(&st, 0, sizeof st);
	char *paths[] = {mbox};
	pc_source_walk(paths, 1, on_message, w, &st);
	assert_int_equal(w->n, split(mb, strlen(mb)).n);
	for (size_t i = 0; i < w->n; i++) {
		char want[512];
		snprintf(want, sizeof want, "%s:%zu", mbox, i + 1);
		assert_string_equal(w->label[i], want);
		const char *mp;
		size_t ml;
		assert_int_equal(pc_purge_mbox_message(mb, strlen(mb), i + 1, &mp, &ml, NULL), 0);
		assert_int_equal(ml, w->len[i]);
		assert_memory_equal(mp, w->bytes[i], ml);
		free(w->bytes[i]);
	}
	const char *mp;
	size_t ml;
	assert_int_equal(pc_purge_mbox_message(mb, strlen(mb), w->n + 1, &mp, &ml, NULL), -1);
	assert_int_equal(pc_purge_mbox_message(mb, strlen(mb), 0, &mp, &ml, NULL), -1);
	free(w);
}

static void sha256_vector(void **state)
{
	(void)state;
	unsigned char d[32];
	static const unsigned char abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
	                                      0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
	                                      0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	assert_int_equal(pc_sha256("abc", 3, d), 0);
	assert_memory_equal(d, abc, 32);
	assert_int_equal(pc_sha256(NULL, 0, d), 0);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void gives_up_on_dotlock(void **state)
{
	(void)state;
	size_t on = strlen(four);
	put(mbox, four, on);
	char lock[512];
	snprintf(lock, sizeof lock, "%s.lock", mbox);
	put(lock, "4242\n", 5); /* another program's lock */
	unsigned char sha[1][32];
	pc_purge_mbox_message(four, on, 1, NULL, NULL, sha[0]);
	size_t w[] = {1};
	char err[512];
	double t0 = now_s();
	assert_int_equal(pc_purge_mbox(mbox, w, 1, (const unsigned char(*)[32])sha, err, sizeof err), -1);
	double took = now_s() - t0;
	assert_true(took >= PC_PURGE_LOCK_WAIT - 0.5 && took < PC_PURGE_LOCK_WAIT + 3);
	assert_non_null(strstr(err, ".lock"));
	/* their lock is theirs: still there; the mbox untouched */
	assert_int_equal(access(lock, F_OK), 0);
	size_t n;
	char *got = slurp(mbox, &n);
	assert_int_equal(n, on);
	free(got);
	unlink(lock);
	/* with the lock gone it works */
	assert_int_equal(pc_purge_mbox(mbox, w, 1, (const unsigned char(*)[32])sha, err, sizeof err), 0);
}

static void gives_up_on_fcntl_lock(void **state)
{
	(void)state;
	size_t on = strlen(four);
	put(mbox, four, on);
	int ready[2], done[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(done), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) { /* a delivery agent holding the kernel lock */
		int fd = open(mbox, O_RDWR);
		struct flock fl;
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fd < 0 || fcntl(fd, F_SETLK, &fl) != 0)
			_exit(1);
		char c = 'x';
		if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	unsigned char sha[1][32];
	pc_purge_mbox_message(four, on, 1, NULL, NULL, sha[0]);
	size_t w[] = {1};
	char err[512];
	int rc = pc_purge_mbox(mbox, w, 1, (const unsigned char(*)[32])sha, err, sizeof err);
	assert_int_equal(write(done[1], "x", 1), 1);
	int status;
	waitpid(pid, &status, 0);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "fcntl"));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* our dotlock was removed, the mbox is untouched */
	assert_int_equal(count_entries(root), 1);
	size_t n;
	char *got = slurp(mbox, &n);
	assert_int_equal(n, on);
	assert_memory_equal(got, four, n);
	free(got);
	close(ready[0]);
	close(ready[1]);
	close(done[0]);
	close(done[1]);
}

static void maildir_files(void **state)
{
	(void)state;
	char dir[512], path[600], link[600], err[512];
	snprintf(dir, sizeof dir, "%s/Maildir", root);
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/cur", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/cur/1700000000.M1P2.host:2,S", dir);
	put(path, "Subject: x\n\nx\n", 14);
	/* a symbolic link is refused: unlinking it would keep the message */
	snprintf(link, sizeof link, "%s/link", root);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(pc_purge_file(link, err, sizeof err), -1);
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(access(path, F_OK), 0);
	unlink(link);
	/* checked: a file that changed is kept */
	unsigned char sha[32];
	pc_sha256("Subject: y\n\ny\n", 14, sha);
	assert_int_equal(pc_purge_file_checked(path, sha, err, sizeof err), -1);
	assert_non_null(strstr(err, "changed"));
	assert_int_equal(access(path, F_OK), 0);
	pc_sha256("Subject: x\n\nx\n", 14, sha);
	assert_int_equal(pc_purge_file_checked(path, sha, err, sizeof err), 0);
	assert_int_equal(access(path, F_OK), -1);
	/* plain */
	put(path, "Subject: x\n\nx\n", 14);
	assert_int_equal(pc_purge_file(path, err, sizeof err), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(pc_purge_file(path, err, sizeof err), -1);
	assert_non_null(strstr(err, path));
	snprintf(path, sizeof path, "%s/cur", dir);
	assert_int_equal(pc_purge_file(path, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a regular file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(first_middle_last, setup, teardown),
	    cmocka_unit_test_setup_teardown(mbox_with_trailing_blank_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(no_blank_lines_before_from, setup, teardown),
	    cmocka_unit_test_setup_teardown(crlf_mbox, setup, teardown),
	    cmocka_unit_test_setup_teardown(single_message_mbox, setup, teardown),
	    cmocka_unit_test_setup_teardown(random_mboxes, setup, teardown),
	    cmocka_unit_test_setup_teardown(changed_under_us, setup, teardown),
	    cmocka_unit_test_setup_teardown(refuses_non_mbox, setup, teardown),
	    cmocka_unit_test_setup_teardown(keeps_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(numbers_as_source_c, setup, teardown),
	    cmocka_unit_test_setup_teardown(sha256_vector, setup, teardown),
	    cmocka_unit_test_setup_teardown(gives_up_on_dotlock, setup, teardown),
	    cmocka_unit_test_setup_teardown(gives_up_on_fcntl_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(maildir_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
