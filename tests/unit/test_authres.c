/*
 * Unit tests for extract/authres (RFC 8601 parser: trusted and untrusted
 * authserv-ids, comments, quoted strings, garbage) and act/authres (the
 * header we add: only our results, safe values, folding).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "act/authres.h"
#include "core/config.h"
#include "core/msg.h"
#include "extract/authres.h"

static pc_config cfg;
static pc_arena *arena;
static pc_msg msg;

static int setup(void **state)
{
	(void)state;
	pc_config_defaults(&cfg);
	char err[256];
	assert_int_equal(
	    pc_config_set(&cfg, "auth.trusted_authserv_ids", "mx.example.org, relay.example.net", err, sizeof err), 0);
	arena = pc_arena_new(1 << 20);
	return arena ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	pc_arena_free(arena);
	pc_config_free(&cfg);
	return 0;
}

static pc_msg *fresh(void)
{
	pc_arena_reset(arena);
	memset(&msg, 0, sizeof msg);
	msg.arena = arena;
	msg.config = &cfg;
	msg.is_mail = true;
	return &msg;
}

static void add_header(pc_msg *m, const char *key, const char *value)
{
	pc_kv *kv = pc_arena_calloc(m->arena, 1, sizeof *kv);
	assert_non_null(kv);
	kv->key = key;
	kv->value = value;
	assert_int_equal(pc_vec_push(m->arena, &m->headers, kv), 0);
}

static const pc_auth *auth(const pc_msg *m, size_t i)
{
	assert_true(i < m->auth.n);
	return m->auth.v[i];
}

static void test_trusted_and_untrusted(void **state)
{
	(void)state;
	pc_msg *m = fresh();
	add_header(m, "Authentication-Results",
	           "MX.Example.ORG; spf=pass smtp.mailfrom=bounce@news.example.org; dkim=pass header.d=example.org "
	           "header.s=sel1; dmarc=fail (p=reject) header.from=example.org");
	add_header(m, "Authentication-Results", "evil.example; dkim=pass header.d=paypal.com");
	add_header(m, "authentication-results", "mx.example.org.evil.example; spf=pass smtp.mailfrom=x@paypal.com");
	pc_authres_extract(m);
	assert_int_equal(m->auth.n, 3);
	const pc_auth *a = auth(m, 0);
	assert_string_equal(a->method, "spf");
	assert_int_equal(a->result, PC_AUTH_PASS);
	assert_string_equal(a->property, "smtp.mailfrom");
	assert_string_equal(a->identity, "bounce@news.example.org");
	assert_string_equal(a->domain, "news.example.org");
	assert_string_equal(a->source, "mx.example.org");
	a = auth(m, 1);
	assert_string_equal(a->method, "dkim");
	assert_string_equal(a->domain, "example.org");
	assert_string_equal(a->selector, "sel1");
	a = auth(m, 2);
	assert_string_equal(a->method, "dmarc");
	assert_int_equal(a->result, PC_AUTH_FAIL);
	assert_string_equal(a->domain, "example.org");
}

static void test_comments_quotes_reason(void **state)
{
	(void)state;
	pc_msg *m = fresh();
	add_header(m, "Authentication-Results",
	           "(leading (nested) comment) relay.example.net 1 (version);\r\n\t"
	           "dkim/1 = fail reason=\"signature; did not \\\"verify\\\"\" (comment; with semicolon) "
	           "header.d=\"quoted.example\" header.s=s2;\r\n\tspf=softfail (sender not designated) "
	           "smtp.helo=mail.example.net");
	pc_authres_extract(m);
	assert_int_equal(m->auth.n, 2);
	const pc_auth *a = auth(m, 0);
	assert_string_equal(a->method, "dkim");
	assert_int_equal(a->result, PC_AUTH_FAIL);
	assert_string_equal(a->reason, "signature; did not \"verify\"");
	assert_string_equal(a->domain, "quoted.example");
	assert_string_equal(a->selector, "s2");
	a = auth(m, 1);
	assert_int_equal(a->result, PC_AUTH_SOFTFAIL);
	assert_string_equal(a->property, "smtp.helo");
	assert_string_equal(a->domain, "mail.example.net");
}

static void test_none_and_garbage(void **state)
{
	(void)state;
	pc_msg *m = fresh();
	const char *bad[] = {"",
	                     "mx.example.org",
	                     "mx.example.org; none",
	                     "mx.example.org;;;;",
	                     "mx.example.org; spf",
	                     "mx.example.org; spf=",
	                     "mx.example.org; spf=maybe smtp.mailfrom=x@y",
	                     "mx.example.org; =pass",
	                     "mx.example.org; (unterminated comment spf=pass",
	                     "mx.example.org; dkim=pass header.d=\"unterminated",
	                     "mx.example.org; ((((((((((((((((((((deep))))))))))))))))))))",
	                     "(only a comment)",
	                     "\"mx.example.org\"; spf=pass smtp.mailfrom=a@b.example"};
	/* each parsed as if it were the trusted host's own (the extract step
	 * reads only the topmost one per id, see test_topmost_only) */
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		pc_authres_parse(m, bad[i], true);
	/* only the last (quoted id) and "dkim=pass" with the unterminated value */
	size_t pass = 0;
	for (size_t i = 0; i < m->auth.n; i++) {
		const pc_auth *a = auth(m, i);
		assert_string_equal(a->source, "mx.example.org");
		pass += a->result == PC_AUTH_PASS;
	}
	assert_int_equal(m->auth.n, 2);
	assert_int_equal(pass, 2);
}

static void test_bounded(void **state)
{
	(void)state;
	pc_msg *m = fresh();
	char *v = pc_arena_alloc(arena, 100000);
	assert_non_null(v);
	size_t n = (size_t)snprintf(v, 100000, "mx.example.org");
	for (int i = 0; i < 1000 && n < 90000; i++)
		n += (size_t)snprintf(v + n, 100000 - n, "; spf=pass smtp.mailfrom=a%d@example.org", i);
	for (int i = 0; i < 40; i++)
		add_header(m, "Authentication-Results", v);
	pc_authres_extract(m);
	/* one header per trusted id is read, PC_AUTHRES_RESULTS of its results */
	assert_int_equal(m->auth.n, (size_t)PC_AUTHRES_RESULTS);
}

static void test_topmost_only(void **state)
{
	(void)state;
	pc_msg *m = fresh();
	/* the trusted host's own header on top; a forged one with its id below */
	add_header(m, "Authentication-Results", "mx.example.org; dkim=none");
	add_header(m, "Authentication-Results", "mx.example.org; dkim=pass header.d=victim.example");
	pc_authres_extract(m);
	assert_int_equal(m->auth.n, 1);
	assert_int_equal(auth(m, 0)->result, PC_AUTH_NONE);
}

static void test_header_ours_only(void **state)
{
	(void)state;
	pc_msg *m = fresh();
	add_header(m, "Authentication-Results", "mx.example.org; dkim=pass header.d=example.org");
	pc_authres_extract(m);
	pc_auth own[3] = {
	    {.method = "spf",
	     .result = PC_AUTH_PASS,
	     .domain = "example.org",
	     .identity = "bounce@example.org",
	     .property = "smtp.mailfrom"},
	    {.method = "dkim",
	     .result = PC_AUTH_FAIL,
	     .domain = "example.org",
	     .selector = "s1",
	     .reason = "body hash did not verify"},
	    {.method = "dmarc", .result = PC_AUTH_FAIL, .domain = "example.org", .policy = "reject"},
	};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(pc_vec_push(arena, &m->auth, &own[i]), 0);
	char buf[PC_AUTHRES_HEADER_MAX];
	size_t n = pc_authres_header(m, "\r\n", buf, sizeof buf);
	assert_true(n > 0);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "Authentication-Results: portcullis;\r\n"
	                         "\tspf=pass smtp.mailfrom=bounce@example.org;\r\n"
	                         "\tdkim=fail reason=\"body hash did not verify\" header.d=example.org header.s=s1;\r\n"
	                         "\tdmarc=fail header.from=example.org\r\n");
}

static void test_header_hostile_values(void **state)
{
	(void)state;
	pc_msg *m = fresh();
	char longv[1000];
	memset(longv, 'a', sizeof longv - 1);
	longv[sizeof longv - 1] = '\0';
	pc_auth a = {.method = "spf",
	             .result = PC_AUTH_FAIL,
	             .identity = "x\r\nBcc: victim@example.org\"\\@evil.example",
	             .property = "smtp.mailfrom",
	             .reason = longv};
	assert_int_equal(pc_vec_push(arena, &m->auth, &a), 0);
	char buf[PC_AUTHRES_HEADER_MAX];
	size_t n = pc_authres_header(m, "\n", buf, sizeof buf);
	assert_true(n > 0);
	/* no line break but the folding ones, which are followed by a tab */
	for (size_t i = 0; i + 1 < n; i++) {
		assert_true(buf[i] != '\r');
		if (buf[i] == '\n')
			assert_true(buf[i + 1] == '\t');
	}
	assert_non_null(strstr(buf, "smtp.mailfrom=\"x??Bcc: victim@example.org\\\"\\\\@evil.example\""));
	assert_true(n < 600); /* the reason was cut */
	/* too small a buffer: nothing rather than a cut header */
	char small[40];
	assert_int_equal(pc_authres_header(m, "\n", small, sizeof small), 0);
	/* nothing of ours: "none" */
	pc_msg *m2 = fresh();
	assert_true(pc_authres_header(m2, "\n", buf, sizeof buf) > 0);
	assert_string_equal(buf, "Authentication-Results: portcullis; none\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trusted_and_untrusted), cmocka_unit_test(test_comments_quotes_reason),
	    cmocka_unit_test(test_none_and_garbage),      cmocka_unit_test(test_bounded),
	    cmocka_unit_test(test_topmost_only),          cmocka_unit_test(test_header_ours_only),
	    cmocka_unit_test(test_header_hostile_values),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
