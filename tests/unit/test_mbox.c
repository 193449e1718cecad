/*
 * Unit tests for parse/mbox: detection, splitting with and without blank
 * lines before From_ lines, and mboxrd unquoting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/mbox.h"

#define MAXM 8

typedef struct split {
	char *msg[MAXM];
	size_t n;
} split;

/* Splits buf into NUL-terminated copies of each message. */
static split do_split(const char *buf)
{
	split s;
	memset(&s, 0, sizeof s);
	pc_mbox mb = {buf, strlen(buf), 0};
	const char *m;
	size_t len;
	while (pc_mbox_next(&mb, &m, &len)) {
		if (s.n >= MAXM)
			fail_msg("too many messages");
		assert_true(m >= buf && m + len <= buf + strlen(buf));
		s.msg[s.n] = malloc(len + 1);
		memcpy(s.msg[s.n], m, len);
		s.msg[s.n][len] = '\0';
		s.n++;
	}
	/* exhausted: stays exhausted */
	assert_false(pc_mbox_next(&mb, &m, &len));
	return s;
}

static void split_free(split *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->msg[i]);
}

static char *unquote(const char *src)
{
	size_t n = strlen(src);
	char *dst = malloc(n + 1);
	size_t o = pc_mbox_unquote(dst, src, n);
	assert_true(o <= n);
	dst[o] = '\0';
	return dst;
}

static void test_detect(void **state)
{
	(void)state;
	assert_true(pc_mbox_detect("From a@b Mon Jan  1 00:00:00 2024\n", 35));
	assert_true(pc_mbox_detect("From ", 5));
	assert_false(pc_mbox_detect("From", 4));
	assert_false(pc_mbox_detect("From: a@b\n", 10));
	assert_false(pc_mbox_detect("from a@b Mon\n", 13));
	assert_false(pc_mbox_detect(" From a@b Mon\n", 14));
	assert_false(pc_mbox_detect("", 0));
}

static void test_split_with_blank_lines(void **state)
{
	(void)state;
	split s = do_split("From alice@example.com Mon Jan  1 00:00:00 2024\n"
	                   "Subject: one\n"
	                   "\n"
	                   "body one\n"
	                   "\n"
	                   "From bob@example.com Tue Jan  2 00:00:00 2024\n"
	                   "Subject: two\n"
	                   "\n"
	                   "body two\n");
	assert_int_equal(s.n, 2);
	/* the From_ line is not part of the message, the separator blank line is dropped */
	assert_string_equal(s.msg[0], "Subject: one\n\nbody one\n");
	assert_string_equal(s.msg[1], "Subject: two\n\nbody two\n");
	split_free(&s);
}

static void test_split_crlf(void **state)
{
	(void)state;
	split s = do_split("From a@x Mon Jan  1 00:00:00 2024\r\n"
	                   "Subject: one\r\n"
	                   "\r\n"
	                   "body one\r\n"
	                   "\r\n"
	                   "From b@x Tue Jan  2 00:00:00 2024\r\n"
	                   "Subject: two\r\n");
	assert_int_equal(s.n, 2);
	assert_string_equal(s.msg[0], "Subject: one\r\n\r\nbody one\r\n");
	assert_string_equal(s.msg[1], "Subject: two\r\n");
	split_free(&s);
}

static void test_split_without_blank_lines(void **state)
{
	(void)state;
	/* writers that omit the blank line: split on From_-shaped lines */
	split s = do_split("From a@x Mon Jan  1 00:00:00 2024\n"
	                   "Subject: one\n"
	                   "\n"
	                   "body one\n"
	                   "From b@x Tue Jan  2 00:00:00 2024\n"
	                   "Subject: two\n"
	                   "\n"
	                   "body two\n"
	                   "From MAILER-DAEMON Wed Jan  3 00:00:00 2024\n"
	                   "Subject: three\n");
	assert_int_equal(s.n, 3);
	/* no blank line: the last newline stays with the message */
	assert_string_equal(s.msg[0], "Subject: one\n\nbody one\n");
	assert_string_equal(s.msg[1], "Subject: two\n\nbody two\n");
	assert_string_equal(s.msg[2], "Subject: three\n");
	split_free(&s);
}

static void test_single_message(void **state)
{
	(void)state;
	split s = do_split("From a@x Mon Jan  1 00:00:00 2024\nSubject: only\n\nbody\n");
	assert_int_equal(s.n, 1);
	assert_string_equal(s.msg[0], "Subject: only\n\nbody\n");
	split_free(&s);
	/* a plain message (no From_ line) is one message, whole */
	s = do_split("Subject: plain\n\nbody\n");
	assert_int_equal(s.n, 1);
	assert_string_equal(s.msg[0], "Subject: plain\n\nbody\n");
	split_free(&s);
	/* a file that is only a From_ line */
	s = do_split("From a@x Mon Jan  1 00:00:00 2024\n");
	assert_int_equal(s.n, 1);
	assert_string_equal(s.msg[0], "");
	split_free(&s);
	/* From_ line without a newline at all */
	s = do_split("From a@x Mon");
	assert_int_equal(s.n, 1);
	assert_string_equal(s.msg[0], "");
	split_free(&s);
}

static void test_empty_buffer(void **state)
{
	(void)state;
	pc_mbox mb = {"", 0, 0};
	const char *m = NULL;
	size_t len = 99;
	assert_false(pc_mbox_next(&mb, &m, &len));
}

static void test_from_in_body_not_split(void **state)
{
	(void)state;
	/* "From " in a body, no blank line before it, not From_-shaped: stays */
	split s = do_split("From a@x Mon Jan  1 00:00:00 2024\n"
	                   "Subject: s\n"
	                   "\n"
	                   "Hello,\n"
	                   "From me to you, with love\n"
	                   "From 1 2 3\n"
	                   "From  double space\n"
	                   "bye\n");
	assert_int_equal(s.n, 1);
	assert_string_equal(s.msg[0], "Subject: s\n\nHello,\nFrom me to you, with love\nFrom 1 2 3\n"
	                              "From  double space\nbye\n");
	split_free(&s);
	/* "From:" header lines never split */
	s = do_split("From a@x Mon Jan  1 00:00:00 2024\nFrom: a@x\nTo: b@x\n\nx\n");
	assert_int_equal(s.n, 1);
	assert_string_equal(s.msg[0], "From: a@x\nTo: b@x\n\nx\n");
	split_free(&s);
	/* quoted >From lines never split, even after a blank line */
	s = do_split("From a@x Mon Jan  1 00:00:00 2024\nSubject: q\n\n>From b@x Tue Jan  2 2024\n");
	assert_int_equal(s.n, 1);
	split_free(&s);
}

static void test_from_after_blank_line_splits(void **state)
{
	(void)state;
	/* after a blank line any "From " line starts a message (mboxo/mboxrd rule) */
	split s = do_split("From a@x Mon Jan  1 00:00:00 2024\n"
	                   "Subject: s\n"
	                   "\n"
	                   "para\n"
	                   "\n"
	                   "From here on\n"
	                   "Subject: t\n");
	assert_int_equal(s.n, 2);
	assert_string_equal(s.msg[0], "Subject: s\n\npara\n");
	assert_string_equal(s.msg[1], "Subject: t\n");
	split_free(&s);
}

static void test_empty_message_between(void **state)
{
	(void)state;
	split s = do_split("From a@x Mon Jan  1 00:00:00 2024\n"
	                   "\n"
	                   "From b@x Tue Jan  2 00:00:00 2024\n"
	                   "Subject: two\n");
	assert_int_equal(s.n, 2);
	assert_string_equal(s.msg[0], "");
	assert_string_equal(s.msg[1], "Subject: two\n");
	split_free(&s);
}

static void test_quoted_detection(void **state)
{
	(void)state;
	const char *q1 = ">From x\n";
	assert_true(pc_mbox_quoted(q1, strlen(q1)));
	const char *q2 = "a\n>>>From x\n";
	assert_true(pc_mbox_quoted(q2, strlen(q2)));
	const char *n1 = "a\n> From x\n";
	assert_false(pc_mbox_quoted(n1, strlen(n1)));
	const char *n2 = "a >From x\n";
	assert_false(pc_mbox_quoted(n2, strlen(n2)));
	const char *n3 = "From x\n>from x\n>From\n";
	assert_false(pc_mbox_quoted(n3, strlen(n3)));
	const char *n4 = ">Fro";
	assert_false(pc_mbox_quoted(n4, strlen(n4)));
	assert_false(pc_mbox_quoted("", 0));
	/* n bounds the scan */
	const char *q3 = "abc\n>From x";
	assert_false(pc_mbox_quoted(q3, 4));
	assert_true(pc_mbox_quoted(q3, strlen(q3)));
}

static void test_unquote_mboxrd(void **state)
{
	(void)state;
	char *u = unquote(">From a\n>>From b\n>>>From c\n");
	assert_string_equal(u, "From a\n>From b\n>>From c\n");
	free(u);
	/* only at line start, only before "From " */
	u = unquote("x >From a\n> From b\n>from c\n>Frome d\n>\n");
	assert_string_equal(u, "x >From a\n> From b\n>from c\n>Frome d\n>\n");
	free(u);
	/* first line and CRLF lines */
	u = unquote(">From first\r\n>From second\r\n");
	assert_string_equal(u, "From first\r\nFrom second\r\n");
	free(u);
	/* ">From " at the very end, no newline */
	u = unquote("a\n>From ");
	assert_string_equal(u, "a\nFrom ");
	free(u);
	u = unquote("");
	assert_string_equal(u, "");
	free(u);
}

static void test_unquote_in_place(void **state)
{
	(void)state;
	/* dst == src is safe: output never runs ahead of input */
	char buf[] = ">From a\nb\n>>From c\n";
	size_t o = pc_mbox_unquote(buf, buf, strlen(buf));
	buf[o] = '\0';
	assert_string_equal(buf, "From a\nb\n>From c\n");
}

static void test_split_then_unquote(void **state)
{
	(void)state;
	split s = do_split("From a@x Mon Jan  1 00:00:00 2024\n"
	                   "Subject: s\n"
	                   "\n"
	                   ">From the archive\n"
	                   "\n"
	                   ">>From deeper\n"
	                   "\n"
	                   "From b@x Tue Jan  2 00:00:00 2024\n"
	                   "Subject: t\n");
	assert_int_equal(s.n, 2);
	assert_true(pc_mbox_quoted(s.msg[0], strlen(s.msg[0])));
	char *u = unquote(s.msg[0]);
	assert_string_equal(u, "Subject: s\n\nFrom the archive\n\n>From deeper\n");
	free(u);
	assert_false(pc_mbox_quoted(s.msg[1], strlen(s.msg[1])));
	split_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_detect),
	    cmocka_unit_test(test_split_with_blank_lines),
	    cmocka_unit_test(test_split_crlf),
	    cmocka_unit_test(test_split_without_blank_lines),
	    cmocka_unit_test(test_single_message),
	    cmocka_unit_test(test_empty_buffer),
	    cmocka_unit_test(test_from_in_body_not_split),
	    cmocka_unit_test(test_from_after_blank_line_splits),
	    cmocka_unit_test(test_empty_message_between),
	    cmocka_unit_test(test_quoted_detection),
	    cmocka_unit_test(test_unquote_mboxrd),
	    cmocka_unit_test(test_unquote_in_place),
	    cmocka_unit_test(test_split_then_unquote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
