/*
 * Unit tests for extract/identity: recipient selection (--rcpt/envelope,
 * X-Original-To, Delivered-To, To) and address normalisation. Both on a
 * hand-built pc_msg and through pc_scan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/msg.h"
#include "extract/identity.h"
#include "pipeline/pipeline.h"

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

static void add_header(pc_msg *m, const char *k, const char *v)
{
	pc_kv *kv = pc_arena_calloc(m->arena, 1, sizeof *kv);
	kv->key = k;
	kv->value = v;
	assert_int_equal(pc_vec_push(m->arena, &m->headers, kv), 0);
}

static void add_to(pc_msg *m, const char *name, const char *addr)
{
	pc_addr *ad = pc_arena_calloc(m->arena, 1, sizeof *ad);
	ad->name = name;
	ad->addr = addr;
	assert_int_equal(pc_vec_push(m->arena, &m->to, ad), 0);
}

static const char *R(const pc_msg *m, size_t i)
{
	assert_true(i < m->rcpt.n);
	return m->rcpt.v[i];
}

static void test_envelope_overrides_headers(void **state)
{
	fixture *fx = *state;
	pc_msg *m = &fx->msg;
	add_header(m, "X-Original-To", "xot@example.com");
	add_header(m, "Delivered-To", "dt@example.com");
	add_to(m, "", "to@example.com");
	const char *rcpt[] = {"Alice.Smith@EXAMPLE.COM", "<Bob@Sub.Example.Org>", "  Carol@X.Example  "};
	pc_identity_recipients(m, rcpt, 3);
	assert_string_equal(m->rcpt_source, "envelope");
	assert_int_equal(m->rcpt.n, 3);
	/* domain lower-cased, local part kept */
	assert_string_equal(R(m, 0), "Alice.Smith@example.com");
	assert_string_equal(R(m, 1), "Bob@sub.example.org");
	assert_string_equal(R(m, 2), "Carol@x.example");
}

static void test_envelope_without_at_kept_verbatim(void **state)
{
	fixture *fx = *state;
	pc_msg *m = &fx->msg;
	const char *rcpt[] = {"postmaster", "@nolocal.example", "nodomain@"};
	pc_identity_recipients(m, rcpt, 3);
	assert_string_equal(m->rcpt_source, "envelope");
	assert_int_equal(m->rcpt.n, 3);
	assert_string_equal(R(m, 0), "postmaster");
	assert_string_equal(R(m, 1), "@nolocal.example");
	assert_string_equal(R(m, 2), "nodomain@");
}

static void test_x_original_to(void **state)
{
	fixture *fx = *state;
	pc_msg *m = &fx->msg;
	add_header(m, "Delivered-To", "dt@example.com");
	add_header(m, "x-original-to", " <John.Doe@MAIL.Example.COM> ");
	add_to(m, "", "to@example.com");
	pc_identity_recipients(m, NULL, 0);
	assert_string_equal(m->rcpt_source, "X-Original-To");
	assert_int_equal(m->rcpt.n, 1);
	assert_string_equal(R(m, 0), "John.Doe@mail.example.com");
}

static void test_delivered_to_first_wins(void **state)
{
	fixture *fx = *state;
	pc_msg *m = &fx->msg;
	add_header(m, "DELIVERED-TO", "First@Example.NET");
	add_header(m, "Delivered-To", "second@example.net");
	add_to(m, "", "to@example.com");
	pc_identity_recipients(m, NULL, 0);
	assert_string_equal(m->rcpt_source, "Delivered-To");
	assert_int_equal(m->rcpt.n, 1);
	assert_string_equal(R(m, 0), "First@example.net");
}

static void test_x_original_to_without_at_falls_through(void **state)
{
	fixture *fx = *state;
	pc_msg *m = &fx->msg;
	add_header(m, "X-Original-To", "undisclosed");
	add_header(m, "Delivered-To", "dt@Example.com");
	pc_identity_recipients(m, NULL, 0);
	assert_string_equal(m->rcpt_source, "Delivered-To");
	assert_string_equal(R(m, 0), "dt@example.com");
}

static void test_to_fallback_all_addresses(void **state)
{
	fixture *fx = *state;
	pc_msg *m = &fx->msg;
	add_header(m, "Subject", "hi");
	add_to(m, "A", "MixedCase@Example.COM");
	add_to(m, "B", "");         /* group-only or empty: skipped */
	add_to(m, "C", "nodomain"); /* no '@': skipped */
	add_to(m, "D", "d@EXAMPLE.org");
	pc_identity_recipients(m, NULL, 0);
	assert_string_equal(m->rcpt_source, "To");
	assert_int_equal(m->rcpt.n, 2);
	assert_string_equal(R(m, 0), "MixedCase@example.com");
	assert_string_equal(R(m, 1), "d@example.org");
}

static void test_no_recipient(void **state)
{
	fixture *fx = *state;
	pc_msg *m = &fx->msg;
	add_header(m, "Subject", "hi");
	pc_identity_recipients(m, NULL, 0);
	assert_null(m->rcpt_source);
	assert_int_equal(m->rcpt.n, 0);
	/* To with no usable address */
	add_to(m, "x", "");
	pc_identity_recipients(m, NULL, 0);
	assert_null(m->rcpt_source);
	assert_int_equal(m->rcpt.n, 0);
}

static void test_non_ascii_local_part_kept(void **state)
{
	fixture *fx = *state;
	pc_msg *m = &fx->msg;
	const char *rcpt[] = {"J\xc3\xb6RG@EXAMPLE.DE"};
	pc_identity_recipients(m, rcpt, 1);
	assert_string_equal(R(m, 0), "J\xc3\xb6RG@example.de");
}

/* Through the whole pipeline. */
static pc_scanner *scanner(pc_config *c)
{
	pc_config_defaults(c);
	pc_scanner *sc = pc_scanner_new(c);
	assert_non_null(sc);
	return sc;
}

static const pc_msg *scan(pc_scanner *sc, const char *eml, const char *const *rcpt, size_t n)
{
	const pc_msg *m = pc_scan(sc, eml, strlen(eml), "test.eml", rcpt, n);
	assert_non_null(m);
	return m;
}

static void test_pipeline_sources(void **state)
{
	(void)state;
	pc_config c;
	pc_scanner *sc = scanner(&c);
	const char *hdr_all = "Delivered-To: Dt@Delivered.EXAMPLE\r\n"
	                      "X-Original-To: Xot@Original.EXAMPLE\r\n"
	                      "From: s@example.com\r\n"
	                      "To: \"To One\" <One@To.EXAMPLE>, two@to.example\r\n"
	                      "Subject: t\r\n\r\nbody\r\n";
	const pc_msg *m = scan(sc, hdr_all, NULL, 0);
	assert_string_equal(m->rcpt_source, "X-Original-To");
	assert_int_equal(m->rcpt.n, 1);
	assert_string_equal(m->rcpt.v[0], "Xot@original.example");

	const char *rc[] = {"Env@Envelope.EXAMPLE"};
	m = scan(sc, hdr_all, rc, 1);
	assert_string_equal(m->rcpt_source, "envelope");
	assert_int_equal(m->rcpt.n, 1);
	assert_string_equal(m->rcpt.v[0], "Env@envelope.example");

	m = scan(sc,
	         "Delivered-To: First@D.EXAMPLE\nDelivered-To: second@d.example\n"
	         "From: s@example.com\nTo: t@example.com\nSubject: t\n\nbody\n",
	         NULL, 0);
	assert_string_equal(m->rcpt_source, "Delivered-To");
	assert_string_equal(m->rcpt.v[0], "First@d.example");

	m = scan(sc, "From: s@example.com\nTo: \"To One\" <One@To.EXAMPLE>, Two@TO.example\nSubject: t\n\nbody\n", NULL,
	         0);
	assert_string_equal(m->rcpt_source, "To");
	assert_int_equal(m->rcpt.n, 2);
	assert_string_equal(m->rcpt.v[0], "One@to.example");
	assert_string_equal(m->rcpt.v[1], "Two@to.example");

	/* To with a group: members are recipients */
	m = scan(sc, "From: s@example.com\nTo: Team: A@X.example, b@x.example;\nSubject: t\n\nbody\n", NULL, 0);
	assert_string_equal(m->rcpt_source, "To");
	assert_int_equal(m->rcpt.n, 2);
	assert_string_equal(m->rcpt.v[0], "A@x.example");

	/* nothing at all */
	m = scan(sc, "From: s@example.com\nSubject: t\n\nbody\n", NULL, 0);
	assert_null(m->rcpt_source);
	assert_int_equal(m->rcpt.n, 0);
	pc_scanner_free(sc);
}

int main(void)
{
	pc_pipeline_global_init();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_envelope_overrides_headers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_envelope_without_at_kept_verbatim, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_x_original_to, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delivered_to_first_wins, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_x_original_to_without_at_falls_through, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_to_fallback_all_addresses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_recipient, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_non_ascii_local_part_kept, setup, teardown),
	    cmocka_unit_test(test_pipeline_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
