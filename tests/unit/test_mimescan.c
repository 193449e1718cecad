/*
 * NAME
 *   test_mimescan - the MIME pre-scan counts what GMime builds, and cuts at the limits
 * DESCRIPTION
 *   Each case is checked against GMime itself (gmime_tree.h): with no limit
 *   in reach, the model's parts and depth equal what GMime builds; with a
 *   limit, GMime given the bytes before the cut builds no more than the
 *   limit allows. The GMime quirks the model follows each have a case. When
 *   ../shared/corpus is there, every message of it is checked the same way.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "core/config.h"
#include "gmime_tree.h"
#include "parse/mimescan.h"

static pc_limits big(void)
{
	pc_config c;
	pc_config_defaults(&c);
	pc_limits l = c.limits;
	l.parts = l.headers = l.params = (size_t)1 << 40;
	l.header_size = (size_t)1 << 40;
	l.nesting_depth = 1000;
	return l;
}

/* The model and GMime agree on the structure of s. */
static void agree(const char *s)
{
	pc_limits l = big();
	pc_mimescan ms;
	size_t n = strlen(s);
	pc_mimescan_run(s, n, &l, &ms);
	gmime_tree t = gmime_tree_of(s, n);
	assert_null(ms.limit);
	assert_int_equal(ms.cut, n);
	assert_int_equal(ms.not_mail, !t.ok);
	if (!t.ok)
		return;
	if (ms.parts != t.parts || ms.depth != t.depth)
		fail_msg("model %zu parts depth %zu, GMime %zu parts depth %zu:\n%s", ms.parts, ms.depth, t.parts,
		         t.depth, s);
}

/* With limits l, GMime given the bytes before the cut stays within them. */
static pc_mimescan within(const char *s, size_t n, const pc_limits *l)
{
	pc_mimescan ms;
	pc_mimescan_run(s, n, l, &ms);
	assert_true(ms.cut <= n);
	gmime_tree t = gmime_tree_of(s, ms.cut);
	if (t.parts > l->parts || (t.parts && t.depth > l->nesting_depth))
		fail_msg("cut %zu (%s): GMime built %zu parts, depth %zu", ms.cut, ms.limit ? ms.limit : "-", t.parts,
		         t.depth);
	return ms;
}

static void test_simple_shapes(void **state)
{
	(void)state;
	agree("From: a@example.com\n\nbody\n");
	agree("From: a@example.com\r\nContent-Type: text/plain\r\n\r\nbody\r\n");
	agree("From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\npre\n--b\n\none\n--b\n"
	      "Content-Type: text/html\n\n<p>two\n--b--\nepilogue\n");
	/* nested, with a message/rfc822 holding a multipart */
	agree("From: a@example.com\nContent-Type: multipart/mixed; boundary=\"o\"\n\n--o\n\nx\n--o\n"
	      "Content-Type: message/rfc822\n\nFrom: b@example.com\nContent-Type: multipart/alternative; "
	      "boundary=i\n\n--i\n\na\n--i\n\nb\n--i--\n--o--\n");
	/* the encoded message/rfc822 is a leaf */
	agree(
	    "From: a@example.com\nContent-Type: multipart/mixed; boundary=o\n\n--o\n"
	    "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nRnJvbTogYkBleGFtcGxlLmNvbQ==\n--o--\n");
	/* message/news, message/global, message/rfc2822 are messages too */
	agree("From: a@example.com\nContent-Type: message/global\n\nFrom: b@example.com\n\nbody\n");
	agree("From: a@example.com\nContent-Type: message/news\n\nFrom: b@example.com\n\nbody\n");
}

static void test_gmime_quirks(void **state)
{
	(void)state;
	/* parts without a header line: skipped when the next line is the boundary */
	agree("From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n--B\n--B\n--B\n\nx\n--B--\n");
	agree("From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n--B\n\n--B\n\n--B\n\n--B--\n");
	/* a header block cut short by a boundary: its last field moves into the next
	 * part, here making that part a multipart */
	agree("From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n--B\nX: 1\n"
	      "Content-Type: multipart/mixed; boundary=C\n--B\nX-Other: y\n\n--C\n\nin\n--C\n\nin2\n--C--\n--B--\n");
	/* a multipart/digest's parts without a Content-Type are messages */
	agree("From: a@example.com\nContent-Type: multipart/digest; boundary=D\n\n--D\n\nFrom: x@example.com\n"
	      "Content-Type: multipart/mixed; boundary=E\n\n--E\n\n1\n--E\n\n2\n--E--\n--D--\n");
	/* a parent's boundary ends the inner multipart */
	agree("From: a@example.com\nContent-Type: multipart/mixed; boundary=A\n\n--A\nContent-Type: multipart/mixed; "
	      "boundary=B\n\n--B\n\nin\n--A\n\nnext\n--A--\n");
	/* boundaries with trailing white space, and a boundary that is a prefix */
	agree("From: a@example.com\nContent-Type: multipart/mixed; boundary=AB\n\n--AB  \n\nx\n--ABC\n\ny\n--AB--\t\n");
	/* comments, folding and RFC 2047 in Content-Type */
	agree("From: a@example.com\nContent-Type: (c) multipart (d) / mixed;\n boundary=\"=?us-ascii?q?zz?=\"\n\n"
	      "--zz\n\nx\n--zz\n\ny\n--zz--\n");
	/* an invalid line before the first field of a part, an empty field name */
	agree("From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n--B\nnot a field\n"
	      "Content-Type: text/plain\n\nx\n--B\n: empty\nContent-Type: text/html\n\ny\n--B--\n");
	/* an empty message/rfc822 part */
	agree("From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: message/rfc822\n\n"
	      "--B--\n");
	/* no header at all: not mail for GMime either */
	agree("\n\nbody\n");
	agree("garbage line\nFrom: a@example.com\n\nx\n");
	/* the last line without a line end, inside a field name */
	agree("From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Ty");
}

static void test_limits_cut(void **state)
{
	(void)state;
	pc_limits l = big();
	/* 2^12 empty parts, limit 10 */
	size_t k = 4096;
	const char *head = "From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n";
	size_t hl = strlen(head), n = hl + k * 5 + 6;
	char *s = malloc(n + 1);
	memcpy(s, head, hl);
	for (size_t i = 0; i < k; i++)
		memcpy(s + hl + i * 5, "--B\n\n", 5);
	memcpy(s + hl + k * 5, "--B--\n", 7);
	l.parts = 10;
	pc_mimescan ms = within(s, n, &l);
	assert_string_equal(ms.limit, "parts");
	assert_int_equal(ms.parts, 10);
	/* the cut is right after the boundary line of part 11 */
	assert_int_equal(ms.cut, hl + 9 * 5 + 4);
	free(s);

	/* nesting: a multipart inside a multipart ... */
	char buf[8192];
	size_t o = 0;
	o += (size_t)snprintf(buf + o, sizeof buf - o, "From: a@example.com\n");
	for (int i = 0; i < 50; i++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n",
		                      i, i);
	o += (size_t)snprintf(buf + o, sizeof buf - o, "\ndeep\n");
	l = big();
	l.nesting_depth = 7;
	ms = within(buf, o, &l);
	assert_string_equal(ms.limit, "nesting_depth");
	assert_int_equal(ms.depth, 7);
	assert_string_equal(ms.part, "1.1.1.1.1.1.1.1.1"); /* depth 8 */

	/* message/rfc822 chains nest too */
	o = 0;
	for (int i = 0; i < 50; i++)
		o += (size_t)snprintf(buf + o, sizeof buf - o,
		                      "From: a%d@example.com\nContent-Type: message/rfc822\n\n", i);
	o += (size_t)snprintf(buf + o, sizeof buf - o, "From: z@example.com\n\nbody\n");
	ms = within(buf, o, &l);
	assert_string_equal(ms.limit, "nesting_depth");

	/* header fields of the whole message, and their size */
	l = big();
	l.headers = 3;
	ms = within("From: a@example.com\nA: 1\nB: 2\nC: 3\n\nx\n", 39, &l);
	assert_string_equal(ms.limit, "headers");
	assert_string_equal(ms.field, "C");
	assert_int_equal(ms.cut, 30);
	l = big();
	l.header_size = 30;
	ms = within("From: a@example.com\nSubject: a long\n folded subject line\n\nx\n", 60, &l);
	assert_string_equal(ms.limit, "header_size");
	assert_string_equal(ms.field, "Subject");
	assert_int_equal(ms.cut, 20);

	/* MIME parameters of every Content-Type and Content-Disposition */
	l = big();
	l.params = 4;
	const char *p = "From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n--B\n"
	                "Content-Type: text/plain; a=1; b=2\nContent-Disposition: inline; c=3; d=4\n\nx\n--B--\n";
	ms = within(p, strlen(p), &l);
	assert_string_equal(ms.limit, "params");
	assert_string_equal(ms.field, "Content-Disposition");
	assert_string_equal(ms.part, "1.1");
}

/* What GMime reads differently from a mail client, or cannot read: the
 * model stops there (found by a review of issue 13; GMime 3.2.13). */
static void test_ambiguous_stops(void **state)
{
	(void)state;
	pc_limits l = big();
	char *b = malloc(1 << 16);
	/* a field name longer than GMime's 4 kB buffer: GMime gives up on the
	 * whole message (a top-level field) or on the rest of it */
	size_t o = (size_t)snprintf(b, 1 << 16, "From: a@example.com\nX-");
	memset(b + o, 'A', 5000);
	o += 5000;
	o += (size_t)snprintf(b + o, (1 << 16) - o, ": v\n\nbody\n");
	pc_mimescan ms;
	pc_mimescan_run(b, o, &l, &ms);
	assert_string_equal(ms.limit, "field_name");
	assert_int_equal(ms.cut, 20);
	assert_true(gmime_tree_of(b, ms.cut).ok); /* what GMime is given, it parses */
	assert_false(gmime_tree_of(b, o).ok);     /* the whole it gives up on */

	/* "--B" at the end of a line that does not start with it: where GMime's
	 * read buffer splits the line there it is a boundary, elsewhere not */
	const char *t = "From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n--B\n"
	                "Content-Type: text/html\n\n<!-- padding --B\nContent-Type: image/png\n\n-->\n--B--\n";
	pc_mimescan_run(t, strlen(t), &l, &ms);
	assert_string_equal(ms.limit, "boundary");
	assert_string_equal(ms.part, "1.1");
	/* in a header block too */
	t = "From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n--B\nX-A: x --B--\n\nx\n--B--\n";
	pc_mimescan_run(t, strlen(t), &l, &ms);
	assert_string_equal(ms.limit, "boundary");
	/* a long run of white space in a line inside a multipart */
	o = (size_t)snprintf(b, 1 << 16, "From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n--B\n\nx");
	memset(b + o, ' ', 2000);
	o += 2000;
	o += (size_t)snprintf(b + o, (1 << 16) - o, "y\n--B--\n");
	pc_mimescan_run(b, o, &l, &ms);
	assert_string_equal(ms.limit, "boundary");
	/* ... but not outside one, nor a boundary at the start of a line */
	memcpy(b, "From: a@example.com\n\n", 21);
	memset(b + 21, ' ', 2000);
	pc_mimescan_run(b, 2021, &l, &ms);
	assert_null(ms.limit);
	agree("From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n--B\n\nsee --Bx, --B-x\n--B--\n");
	/* a boundary longer than 200 */
	o = (size_t)snprintf(b, 1 << 16, "From: a@example.com\nContent-Type: multipart/mixed; boundary=");
	memset(b + o, 'z', 300);
	o += 300;
	o += (size_t)snprintf(b + o, (1 << 16) - o, "\n\npre\n");
	pc_mimescan_run(b, o, &l, &ms);
	assert_string_equal(ms.limit, "boundary");
	free(b);
}

static void test_params_and_addresses(void **state)
{
	(void)state;
	/* parameters hidden in an encoded-word: GMime decodes the value first */
	pc_limits l = big();
	l.params = 5;
	const char *t =
	    "From: a@example.com\nContent-Type: text/plain; =?us-ascii?q?a=3D1=3B_b=3D2=3B_c=3D3=3B_d=3D4=3B_e=3D5"
	    "=3B_f=3D6?=\n\nx\n";
	pc_mimescan ms;
	pc_mimescan_run(t, strlen(t), &l, &ms);
	assert_string_equal(ms.limit, "params");
	/* addresses: every address field of the message, each address */
	l = big();
	l.addresses = 5;
	t = "From: a@example.com\nTo: b@x.example, c@x.example\nTo: d@x.example, e@x.example\n"
	    "Cc: f@x.example\n\nx\n";
	pc_mimescan_run(t, strlen(t), &l, &ms);
	assert_string_equal(ms.limit, "addresses");
	assert_string_equal(ms.field, "Cc");
	/* a MIME part's To is not parsed by GMime: not counted */
	t = "From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n--B\nTo: 1@x, 2@x, 3@x, 4@x, 5@x, 6@x\n"
	    "\nx\n--B--\n";
	pc_mimescan_run(t, strlen(t), &l, &ms);
	assert_null(ms.limit);
}

/* every message of ../shared/corpus: the model agrees with GMime */
static void sweep(const char *dir, size_t *files, size_t *bad)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			sweep(path, files, bad);
			continue;
		}
		if (!strstr(e->d_name, ".eml") || st.st_size > (64 << 20))
			continue;
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		char *b = malloc((size_t)st.st_size + 1);
		size_t n = fread(b, 1, (size_t)st.st_size, f);
		fclose(f);
		pc_limits l = big();
		pc_mimescan ms;
		pc_mimescan_run(b, n, &l, &ms);
		gmime_tree t = gmime_tree_of(b, n);
		(*files)++;
		if (ms.not_mail != !t.ok || (t.ok && (ms.parts != t.parts || ms.depth != t.depth))) {
			(*bad)++;
			print_message("differs: %s: model %zu parts depth %zu%s, GMime %zu parts depth %zu%s\n", path,
			              ms.parts, ms.depth, ms.not_mail ? " (not mail)" : "", t.parts, t.depth,
			              t.ok ? "" : " (no message)");
		}
		free(b);
	}
	closedir(d);
}

static void test_corpus_agrees(void **state)
{
	(void)state;
	const char *dir = getenv("PC_CORPUS");
	struct stat st;
	if (!dir || stat(dir, &st) != 0) {
		print_message("no corpus (PC_CORPUS): skipped\n");
		skip();
	}
	size_t files = 0, bad = 0;
	sweep(dir, &files, &bad);
	print_message("%zu messages, %zu differ\n", files, bad);
	assert_true(files > 0);
	assert_int_equal(bad, 0);
}

int main(void)
{
	g_mime_init();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_simple_shapes),        cmocka_unit_test(test_gmime_quirks),
	    cmocka_unit_test(test_limits_cut),           cmocka_unit_test(test_ambiguous_stops),
	    cmocka_unit_test(test_params_and_addresses), cmocka_unit_test(test_corpus_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
