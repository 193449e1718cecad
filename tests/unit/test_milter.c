/*
 * Unit tests for the milter's pure parts: frames between the front end
 * and workers (round trip, truncation, over the maximum, lengths pointing
 * past the frame, timeouts), decimals in a reply, header blocks (folds,
 * LF and CRLF, junk lines), the edits between two blocks (change, delete
 * highest index first, add, names compared without case), forged
 * fields, and the worker pool's choice of worker (fake workers: this
 * program run with --fake-worker).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "act/headers.h"
#include "milter/pool.h"
#include "milter/wire.h"

static void test_wire_roundtrip(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pc_wbuf b = {0}, in = {0};
	pc_wire_puts(&b, PC_W_FROM, "a@example.org");
	pc_wire_put(&b, PC_W_MSG, "x\0y", 3);
	pc_wire_put3(&b, PC_W_HCHG, "Subject", "2", " new");
	pc_wire_put(&b, PC_W_BODY, "", 0);
	assert_int_equal(pc_wire_send(sv[0], &b, pc_wire_now_ms() + 2000), 0);
	assert_int_equal(pc_wire_recv(sv[1], &in, 1 << 20, pc_wire_now_ms() + 2000), 0);
	size_t off = 0;
	pc_wire_rec r;
	assert_int_equal(pc_wire_next(&in, &off, &r), 1);
	assert_int_equal(r.type, PC_W_FROM);
	assert_memory_equal(r.data, "a@example.org", 13);
	assert_int_equal(pc_wire_next(&in, &off, &r), 1);
	assert_int_equal(r.len, 3);
	assert_memory_equal(r.data, "x\0y", 3);
	assert_int_equal(pc_wire_next(&in, &off, &r), 1);
	char buf[64];
	const char *p[3];
	assert_int_equal(pc_wire_split(&r, buf, sizeof buf, p, 3), 3);
	assert_string_equal(p[0], "Subject");
	assert_string_equal(p[1], "2");
	assert_string_equal(p[2], " new");
	assert_int_equal(pc_wire_next(&in, &off, &r), 1);
	assert_int_equal(r.len, 0);
	assert_int_equal(pc_wire_next(&in, &off, &r), 0);
	/* a clean end of stream */
	close(sv[0]);
	assert_int_equal(pc_wire_recv(sv[1], &in, 1 << 20, pc_wire_now_ms() + 2000), 1);
	close(sv[1]);
	pc_wbuf_free(&b);
	pc_wbuf_free(&in);
}

static void test_wire_bad_frames(void **state)
{
	(void)state;
	int sv[2];
	pc_wbuf in = {0};
	/* over the maximum: refused before reading or allocating it */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], "\x7f\xff\xff\xff", 4), 4);
	assert_int_equal(pc_wire_recv(sv[1], &in, 1 << 20, pc_wire_now_ms() + 2000), -1);
	assert_int_equal(errno, EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
	/* truncated: the length promises more than comes before the end */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0],
	                       "\0\0\0\x10"
	                       "abc",
	                       7),
	                 7);
	close(sv[0]);
	assert_int_equal(pc_wire_recv(sv[1], &in, 1 << 20, pc_wire_now_ms() + 2000), -1);
	assert_int_equal(errno, EPROTO);
	close(sv[1]);
	/* nothing comes: the deadline */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	long long t0 = pc_wire_now_ms();
	assert_int_equal(pc_wire_recv(sv[1], &in, 1 << 20, t0 + 100), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(pc_wire_now_ms() - t0 >= 90);
	close(sv[0]);
	close(sv[1]);
	/* a record whose length points past the frame */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0],
	                       "\0\0\0\x07"
	                       "A\0\0\0\x09xy",
	                       11),
	                 11);
	assert_int_equal(pc_wire_recv(sv[1], &in, 1 << 20, pc_wire_now_ms() + 2000), 0);
	size_t off = 0;
	pc_wire_rec r;
	assert_int_equal(pc_wire_next(&in, &off, &r), -1);
	close(sv[0]);
	close(sv[1]);
	/* a split whose last part holds a NUL, or that does not fit */
	pc_wire_rec nul = {PC_W_HADD, "a\0b\0c", 5};
	char buf[8];
	const char *p[2];
	assert_int_equal(pc_wire_split(&nul, buf, sizeof buf, p, 2), -1);
	pc_wire_rec big = {PC_W_HADD, "0123456789", 10};
	assert_int_equal(pc_wire_split(&big, buf, sizeof buf, p, 2), -1);
	/* a peer that went away: an error, not SIGPIPE */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	pc_wbuf b = {0};
	pc_wire_puts(&b, PC_W_REF, "r");
	assert_int_equal(pc_wire_send(sv[0], &b, pc_wire_now_ms() + 1000), -1);
	assert_int_equal(errno, EPIPE);
	close(sv[0]);
	pc_wbuf_free(&b);
	pc_wbuf_free(&in);
}

/* A decimal in a worker's reply (its scan time, the store's failures):
 * digits only, within the maximum, never trusted beyond that. */
static void test_wire_uint(void **state)
{
	(void)state;
	unsigned long long v = 7;
	struct {
		const char *s;
		unsigned long long max;
		int rc;
		unsigned long long v;
	} cases[] = {
	    {"0", 10, 0, 0},
	    {"10", 10, 0, 10},
	    {"11", 10, -1, 0},
	    {"7", 5, -1, 0}, /* one digit past a maximum below 9 */
	    {"", 10, -1, 0},
	    {"-1", 10, -1, 0},
	    {"+1", 10, -1, 0},
	    {" 1", 10, -1, 0},
	    {"1 ", 10, -1, 0},
	    {"1x", 10, -1, 0},
	    {"18446744073709551615", ~0ULL, 0, ~0ULL},
	    {"18446744073709551616", ~0ULL, -1, 0},  /* 2^64: would wrap */
	    {"000000000000000000001", ~0ULL, -1, 0}, /* longer than 20 digits */
	    {"1000000000000", 1000000000000ULL, 0, 1000000000000ULL},
	    {"1000000000001", 1000000000000ULL, -1, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pc_wire_rec r = {PC_W_SCANUS, cases[i].s, strlen(cases[i].s)};
		v = 7;
		assert_int_equal(pc_wire_uint(&r, cases[i].max, &v), cases[i].rc);
		assert_true(cases[i].rc != 0 ? v == 7 : v == cases[i].v); /* untouched on failure */
	}
	/* a NUL inside is not a digit */
	pc_wire_rec nul = {PC_W_DBERR, "1\0002", 3};
	assert_int_equal(pc_wire_uint(&nul, 1000, &v), -1);
}

static void test_split(void **state)
{
	(void)state;
	const char *m = "Received: from a\r\n\tby b\r\nSubject: hi\nbogus line\r\nX-Empty:\r\n : cont\r\n\r\nbody\r\n";
	pc_hfield *f;
	size_t body, n = pc_hdr_split(m, strlen(m), &f, &body);
	assert_int_equal(n, 3);
	assert_int_equal(f[0].namelen, 8);
	assert_int_equal(f[0].valuelen, strlen(" from a\r\n\tby b"));
	assert_memory_equal(f[0].value, " from a\r\n\tby b", f[0].valuelen);
	assert_memory_equal(f[1].value, " hi", 3);
	assert_int_equal(f[1].valuelen, 3);
	assert_memory_equal(f[2].name, "X-Empty", 7);
	assert_int_equal(f[2].valuelen, strlen("\r\n : cont"));
	assert_string_equal(m + body, "body\r\n");
	free(f);
	/* no empty line: all header, body at the end */
	n = pc_hdr_split("A: 1\nB: 2", 9, &f, &body);
	assert_int_equal(n, 2);
	assert_int_equal(body, 9);
	assert_int_equal(f[1].valuelen, 2);
	free(f);
	n = pc_hdr_split("", 0, &f, &body);
	assert_int_equal(n, 0);
	free(f);
}

typedef struct rec {
	char ops[64][128];
	int n;
} rec;

static int record(void *ctx, char op, const char *name, size_t namelen, unsigned index, const char *value,
                  size_t valuelen)
{
	rec *r = ctx;
	snprintf(r->ops[r->n++], sizeof r->ops[0], "%c %.*s %u %.*s", op, (int)namelen, name, index, (int)valuelen,
	         value ? value : "");
	return 0;
}

static void test_diff(void **state)
{
	(void)state;
	const char *a = "Subject: one\r\nX-A: 1\r\nx-a: 2\r\nX-A: 3\r\nTo: t\r\n\r\n";
	const char *b = "subject: two\r\nX-A: 1\r\nTo: t\r\nNew: n\r\n\r\n";
	pc_hfield *fa, *fb;
	size_t ba, bb;
	size_t na = pc_hdr_split(a, strlen(a), &fa, &ba), nb = pc_hdr_split(b, strlen(b), &fb, &bb);
	rec r = {.n = 0};
	assert_int_equal(pc_hdr_diff(fa, na, fb, nb, record, &r), 0);
	assert_int_equal(r.n, 4);
	/* sorted by name: New, Subject, To, X-A */
	assert_string_equal(r.ops[0], "a New 0  n");
	assert_string_equal(r.ops[1], "x Subject 1  two");
	assert_string_equal(r.ops[2], "d X-A 3 ");
	assert_string_equal(r.ops[3], "d x-a 2 ");
	/* equal blocks: nothing */
	r.n = 0;
	assert_int_equal(pc_hdr_diff(fa, na, fa, na, record, &r), 0);
	assert_int_equal(r.n, 0);
	free(fa);
	free(fb);
}

static void test_forged(void **state)
{
	(void)state;
	const char *id = "portcullis";
	assert_true(pc_hdr_forged("X-Portcullis-Verdict", 20, " accept", 7, id));
	assert_true(pc_hdr_forged("x-portcullis-score", 18, " 0", 2, id));
	assert_false(pc_hdr_forged("X-Portcullisx", 13, "", 0, id));
	const char *ar1 = " portcullis; spf=pass";
	assert_true(pc_hdr_forged("Authentication-Results", 22, ar1, strlen(ar1), id));
	const char *ar2 = " (comment (nested)) PORTCULLIS ; none";
	assert_true(pc_hdr_forged("authentication-results", 22, ar2, strlen(ar2), id));
	const char *ar3 = " portcullis2; none";
	assert_false(pc_hdr_forged("Authentication-Results", 22, ar3, strlen(ar3), id));
	const char *ar4 = " mx.example.org; spf=pass smtp.mailfrom=portcullis";
	assert_false(pc_hdr_forged("Authentication-Results", 22, ar4, strlen(ar4), id));
	assert_false(pc_hdr_forged("Subject", 7, " X-Portcullis-Verdict", 21, id));
	const char *ar5 = " \"portcullis\"; dkim=pass";
	assert_true(pc_hdr_forged("Authentication-Results", 22, ar5, strlen(ar5), id));
	const char *ar6 = " \"portcullis.example\"; dkim=pass";
	assert_false(pc_hdr_forged("Authentication-Results", 22, ar6, strlen(ar6), id));
}

/* A fake worker on fd 0 (the pool's socket): ready, then for each
 * request an answer naming its pid, with PC_W_AFTER when the request
 * asks for it (a REF of "after"), as a worker about to checkpoint does. */
static int fake_worker(void)
{
	if (getenv("PC_FAKE_WORKER_FAILS"))
		return 1; /* ends before it is ready: a worker that cannot start */
	pc_wbuf b = {0};
	pc_wire_puts(&b, PC_W_READY, "1");
	if (pc_wire_send(0, &b, 0) != 0)
		return 1;
	for (;;) {
		if (pc_wire_recv(0, &b, 1 << 20, 0) != 0)
			return 0;
		size_t off = 0;
		pc_wire_rec r;
		bool after = false;
		while (pc_wire_next(&b, &off, &r) == 1)
			after |= r.type == PC_W_REF && r.len == 5 && !memcmp(r.data, "after", 5);
		pc_wbuf_reset(&b);
		char pid[24];
		snprintf(pid, sizeof pid, "%d", (int)getpid());
		pc_wire_puts(&b, PC_W_ACTION, "accept");
		pc_wire_puts(&b, PC_W_DETAIL, pid);
		if (after)
			pc_wire_puts(&b, PC_W_AFTER, "1");
		if (pc_wire_send(0, &b, 0) != 0)
			return 1;
	}
}

/* The pid in a fake worker's answer (0 with *st set when the pool
 * could not serve it). */
static int served_st(pc_pool *p, const char *ref, pc_pool_status *st)
{
	pc_wbuf req = {0}, rep = {0};
	pc_wire_puts(&req, PC_W_REF, ref);
	pc_wire_put(&req, PC_W_MSG, "x", 1);
	char why[256];
	*st = pc_pool_run(p, &req, &rep, 5000, 1 << 20, NULL, why, sizeof why);
	if (*st != PC_POOL_OK) {
		pc_wbuf_free(&req);
		pc_wbuf_free(&rep);
		return 0;
	}
	size_t off = 0;
	pc_wire_rec r;
	unsigned long long pid = 0;
	while (pc_wire_next(&rep, &off, &r) == 1)
		if (r.type == PC_W_DETAIL)
			assert_int_equal(pc_wire_uint(&r, 1u << 30, &pid), 0);
	pc_wbuf_free(&req);
	pc_wbuf_free(&rep);
	assert_true(pid > 0);
	return (int)pid;
}

static int served_by(pc_pool *p, const char *ref)
{
	pc_pool_status st;
	int pid = served_st(p, ref, &st);
	assert_int_equal(st, PC_POOL_OK);
	return pid;
}

/* Issue 19: a worker that said it will checkpoint after its answer
 * (PC_W_AFTER) is passed over while another is idle, so the next message
 * does not wait for its fsyncs; with none other idle it is used. */
static void test_pool_after(void **state)
{
	(void)state;
	char *argv[] = {(char *)"/proc/self/exe", (char *)"--fake-worker", NULL};
	char err[256];
	pc_pool *p = pc_pool_new(2, argv, err, sizeof err);
	assert_non_null(p);
	/* without the hint, the first idle worker is always the one */
	int a = served_by(p, "plain");
	assert_int_equal(served_by(p, "plain"), a);
	/* it says it is busy after this one: the next goes to the other
	 * (unless this machine took the whole window between the two) */
	long long t0 = pc_wire_now_ms();
	assert_int_equal(served_by(p, "after"), a);
	int b = served_by(p, "plain");
	bool in_time = pc_wire_now_ms() - t0 < PC_POOL_AFTER_MS;
	if (in_time)
		assert_int_not_equal(b, a);
	/* b dies and no worker can start any more: the next message that
	 * picks its slot finds it dead, fails to replace it (NOSTART) and
	 * leaves the slot empty (after the window, a is the first idle one
	 * again and takes the first message) */
	struct timespec gap = {0, (PC_POOL_AFTER_MS + 20) * 1000000L};
	nanosleep(&gap, NULL);
	assert_int_equal(kill(b, SIGKILL), 0);
	assert_int_equal(waitpid(b, NULL, 0), b); /* gone, its socket closed */
	setenv("PC_FAKE_WORKER_FAILS", "1", 1);
	t0 = pc_wire_now_ms();
	assert_int_equal(served_by(p, "after"), a); /* a is passed over from now */
	pc_pool_status st;
	assert_int_equal(served_st(p, "plain", &st), 0);
	assert_int_equal(st, PC_POOL_NOSTART);
	/* a is checkpointing and the other slot is empty: a live worker is
	 * used, not another start that would fail */
	int c = served_st(p, "plain", &st);
	in_time = in_time && pc_wire_now_ms() - t0 < PC_POOL_AFTER_MS;
	unsetenv("PC_FAKE_WORKER_FAILS");
	assert_int_equal(st, PC_POOL_OK);
	assert_int_equal(c, a);
	pc_pool_free(p);
	if (!in_time) /* this machine took the whole window: the choice was not tested */
		skip();
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--fake-worker"))
		return fake_worker();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wire_roundtrip), cmocka_unit_test(test_wire_bad_frames),
	    cmocka_unit_test(test_wire_uint),      cmocka_unit_test(test_split),
	    cmocka_unit_test(test_diff),           cmocka_unit_test(test_forged),
	    cmocka_unit_test(test_pool_after),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
