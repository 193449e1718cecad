/*
 * Unit tests for extract/textlinks: auto-linking of URLs in plain text,
 * trailing punctuation, bracket balance, www. prefix, URL budget.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/msg.h"
#include "extract/textlinks.h"

typedef struct fixture {
	pc_config config;
	pc_msg msg;
} fixture;

static int setup(void **state)
{
	static fixture fx;
	memset(&fx, 0, sizeof fx);
	pc_config_defaults(&fx.config);
	fx.msg.arena = pc_arena_new(fx.config.limits.arena);
	fx.msg.config = &fx.config;
	*state = &fx;
	return fx.msg.arena ? 0 : -1;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	pc_arena_free(fx->msg.arena);
	return 0;
}

/* Runs the extractor on `text` (fresh message) and returns the message. */
static pc_msg *X(void **state, const char *text)
{
	fixture *fx = *state;
	pc_arena_reset(fx->msg.arena);
	pc_arena *a = fx->msg.arena;
	memset(&fx->msg, 0, sizeof fx->msg);
	fx->msg.arena = a;
	fx->msg.config = &fx->config;
	pc_textlinks_extract(&fx->msg, 3, text, strlen(text));
	return &fx->msg;
}

static const pc_link *L(const pc_msg *m, size_t i)
{
	assert_true(i < m->links.n);
	return m->links.v[i];
}

/* The single link found in text, as raw. */
static void assert_one(void **state, const char *text, const char *raw)
{
	pc_msg *m = X(state, text);
	if (m->links.n != 1)
		fail_msg("\"%s\": %zu links, expected 1 (\"%s\")", text, m->links.n, raw);
	if (strcmp(L(m, 0)->url->raw, raw) != 0)
		fail_msg("\"%s\": got \"%s\", expected \"%s\"", text, L(m, 0)->url->raw, raw);
}

static void test_simple(void **state)
{
	pc_msg *m = X(state, "Visit http://example.com/path?q=1 today");
	assert_int_equal(m->links.n, 1);
	const pc_link *l = L(m, 0);
	assert_string_equal(l->url->raw, "http://example.com/path?q=1");
	assert_string_equal(l->text, "http://example.com/path?q=1");
	assert_string_equal(l->tag, "text");
	assert_int_equal(l->part, 3);
	assert_int_equal(l->hidden, 0);
	assert_string_equal(l->url->host, "example.com");
	assert_int_equal(m->nurls, 1);
}

static void test_schemes(void **state)
{
	assert_one(state, "https://secure.example/x", "https://secure.example/x");
	assert_one(state, "ftp://files.example/f.zip", "ftp://files.example/f.zip");
	assert_one(state, "HTTPS://UPPER.EXAMPLE/X", "HTTPS://UPPER.EXAMPLE/X");
	/* not auto-linked schemes */
	pc_msg *m = X(state, "mailto:a@example.com javascript:alert(1) gopher://x.example file:///etc");
	assert_int_equal(m->links.n, 0);
	/* a bare scheme is not a link */
	m = X(state, "see http:// and https://. and ftp://");
	assert_int_equal(m->links.n, 0);
	assert_int_equal(m->nurls, 0);
}

static void test_trailing_punctuation(void **state)
{
	assert_one(state, "Go to http://example.com.", "http://example.com");
	assert_one(state, "http://example.com/a, then", "http://example.com/a");
	assert_one(state, "http://example.com/a;", "http://example.com/a");
	assert_one(state, "http://example.com/a:", "http://example.com/a");
	assert_one(state, "Really http://example.com/a!?", "http://example.com/a");
	assert_one(state, "'http://example.com/a'", "http://example.com/a");
	assert_one(state, "*http://example.com/a*", "http://example.com/a");
	assert_one(state, "http://example.com/a...", "http://example.com/a");
	/* punctuation inside stays */
	assert_one(state, "http://example.com/a.b,c;d:e!f?g=h", "http://example.com/a.b,c;d:e!f?g=h");
}

static void test_parentheses(void **state)
{
	assert_one(state, "(see http://example.com/x)", "http://example.com/x");
	assert_one(state, "http://en.wikipedia.org/wiki/Foo_(bar)", "http://en.wikipedia.org/wiki/Foo_(bar)");
	assert_one(state, "(http://en.wikipedia.org/wiki/Foo_(bar))", "http://en.wikipedia.org/wiki/Foo_(bar)");
	assert_one(state, "(http://example.com/x).", "http://example.com/x");
	assert_one(state, "(http://example.com/x.)", "http://example.com/x");
	assert_one(state, "[http://example.com/x]", "http://example.com/x");
	assert_one(state, "http://example.com/a[1]", "http://example.com/a[1]");
	assert_one(state, "http://example.com/a))))", "http://example.com/a");
	/* an unbalanced opener is kept (only closers are trimmed) */
	assert_one(state, "http://example.com/a(", "http://example.com/a(");
}

static void test_brackets_and_quotes(void **state)
{
	assert_one(state, "<http://example.com/x>", "http://example.com/x");
	assert_one(state, "\"http://example.com/x\"", "http://example.com/x");
	assert_one(state, "`http://example.com/x`", "http://example.com/x");
	assert_one(state, "<URL:http://example.com/x>", "http://example.com/x");
	assert_one(state, "a\thttp://example.com/x\tb", "http://example.com/x");
	assert_one(state, "line\nhttp://example.com/x\r\nnext", "http://example.com/x");
	/* a URL ends at a control character */
	assert_one(state, "http://example.com/x\x01y", "http://example.com/x");
}

static void test_www_prefix(void **state)
{
	pc_msg *m = X(state, "Find us at www.example.org/shop.");
	assert_int_equal(m->links.n, 1);
	const pc_link *l = L(m, 0);
	/* raw and text are as written; the parsed URL is http:// */
	assert_string_equal(l->url->raw, "www.example.org/shop");
	assert_string_equal(l->text, "www.example.org/shop");
	assert_string_equal(l->url->scheme, "http");
	assert_string_equal(l->url->host, "www.example.org");
	assert_string_equal(l->url->domain, "example.org");
	assert_string_equal(l->url->path, "/shop");
	/* case-insensitive, at line start */
	assert_one(state, "WWW.EXAMPLE.ORG", "WWW.EXAMPLE.ORG");
	/* inside a word it is not a link */
	m = X(state, "awww.example.org 1www.example.org");
	assert_int_equal(m->links.n, 0);
	/* after punctuation it is */
	assert_one(state, "(www.example.org)", "www.example.org");
	/* "www." alone is nothing */
	m = X(state, "www. and www.");
	assert_int_equal(m->links.n, 0);
}

static void test_word_boundary(void **state)
{
	/* a scheme glued to letters is not a link start */
	pc_msg *m = X(state, "xhttp://example.com/ ahttps://example.com/");
	assert_int_equal(m->links.n, 0);
	/* a digit or punctuation before is fine */
	assert_one(state, "1http://example.com/", "http://example.com/");
	assert_one(state, "=http://example.com/", "http://example.com/");
}

static void test_multiple_in_order(void **state)
{
	pc_msg *m = X(state, "a http://one.example/ b https://two.example/x, c www.three.example.\n"
	                     "d ftp://four.example/f");
	assert_int_equal(m->links.n, 4);
	assert_string_equal(L(m, 0)->url->host, "one.example");
	assert_string_equal(L(m, 1)->url->host, "two.example");
	assert_string_equal(L(m, 2)->url->host, "www.three.example");
	assert_string_equal(L(m, 3)->url->host, "four.example");
	assert_int_equal(m->nurls, 4);
}

static void test_url_inside_url_not_doubled(void **state)
{
	pc_msg *m = X(state, "http://a.example/redirect?to=http://b.example/x");
	assert_int_equal(m->links.n, 1);
	assert_string_equal(L(m, 0)->url->raw, "http://a.example/redirect?to=http://b.example/x");
	assert_string_equal(L(m, 0)->url->params->value, "http://b.example/x");
}

static void test_utf8_in_url(void **state)
{
	assert_one(state,
	           "http://b\xc3\xbc"
	           "cher.example/\xc3\xa9 next",
	           "http://b\xc3\xbc"
	           "cher.example/\xc3\xa9");
	pc_msg *m = X(state, "http://b\xc3\xbc"
	                     "cher.example/");
	assert_string_equal(L(m, 0)->url->host_ascii, "xn--bcher-kva.example");
}

static void test_empty_and_no_links(void **state)
{
	pc_msg *m = X(state, "");
	assert_int_equal(m->links.n, 0);
	m = X(state, "no links here, just h and w and f and www");
	assert_int_equal(m->links.n, 0);
	assert_int_equal(m->nurls, 0);
}

static void test_url_budget(void **state)
{
	fixture *fx = *state;
	fx->config.limits.urls = 2;
	pc_msg *m = X(state, "http://1.example/ http://2.example/ http://3.example/ http://4.example/");
	assert_int_equal(m->links.n, 2);
	assert_string_equal(L(m, 1)->url->host, "2.example");
	pc_finding *f = pc_msg_find(m, "parse.limit");
	assert_non_null(f);
	assert_int_equal(f->kind, PC_FINDING_LIMIT);
	assert_string_equal(f->evidence->key, "limit");
	assert_string_equal(f->evidence->value, "urls");
	assert_string_equal(f->evidence->next->value, "2");
	/* one finding only */
	size_t nlimit = 0;
	for (size_t i = 0; i < m->findings.n; i++)
		nlimit += strcmp(((pc_finding *)m->findings.v[i])->detector, "parse.limit") == 0;
	assert_int_equal(nlimit, 1);
}

static void test_length_bounded_by_n(void **state)
{
	fixture *fx = *state;
	const char *t = "http://example.com/abcdef";
	pc_arena_reset(fx->msg.arena);
	pc_arena *a = fx->msg.arena;
	memset(&fx->msg, 0, sizeof fx->msg);
	fx->msg.arena = a;
	fx->msg.config = &fx->config;
	pc_textlinks_extract(&fx->msg, 0, t, 22);
	assert_int_equal(fx->msg.links.n, 1);
	assert_string_equal(L(&fx->msg, 0)->url->raw, "http://example.com/abc");
}

/* Closers are counted once for the URL, not once per closer removed:
 * 200,000 of them (issue 13) are one pass. */
static void test_many_closers_linear(void **state)
{
	assert_one(state, "see (http://x.example/a(b)c)) now", "http://x.example/a(b)c");
	assert_one(state, "[http://x.example/a]b]].", "http://x.example/a]b");
	assert_one(state, "http://x.example/(a)).)", "http://x.example/(a)");
	size_t k = 200000;
	char *t = malloc(k + 64);
	assert_non_null(t);
	size_t o = (size_t)snprintf(t, 64, "http://x.example/a");
	memset(t + o, ')', k);
	t[o + k] = '\0';
	clock_t t0 = clock();
	pc_msg *m = X(state, t);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
	assert_string_equal(L(m, 0)->url->raw, "http://x.example/a");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_simple, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_schemes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trailing_punctuation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parentheses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_brackets_and_quotes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_www_prefix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_word_boundary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multiple_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_url_inside_url_not_doubled, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_utf8_in_url, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_and_no_links, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_url_budget, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_length_bounded_by_n, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_closers_linear, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
