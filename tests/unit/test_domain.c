/*
 * Unit tests for parse/domain: the domain of an address, IDNA with its one
 * policy, domain keys, registrable domains and public suffixes, "at or
 * under", pc_domain and domains written in display names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/domain.h"

static pc_arena *a;

static int setup(void **state)
{
	(void)state;
	a = pc_arena_new(16u << 20);
	return a ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	pc_arena_free(a);
	return 0;
}

static void test_addr_domain(void **state)
{
	(void)state;
	assert_string_equal(pc_addr_domain("jane@example.com"), "example.com");
	/* a quoted local part may hold '@', a domain never does */
	assert_string_equal(pc_addr_domain("\"a@b\"@Example.COM."), "Example.COM.");
	assert_string_equal(pc_addr_domain("jane@"), "");
	assert_null(pc_addr_domain("example.com"));
	assert_null(pc_addr_domain(""));
	assert_null(pc_addr_domain(NULL));
}

static void test_idna(void **state)
{
	(void)state;
	char out[PC_DOMAIN_KEY_CAP];
	assert_int_equal(pc_idna_ascii("b\303\274cher.example", out, sizeof out), 21);
	assert_string_equal(out, "xn--bcher-kva.example");
	assert_int_equal(pc_idna_ascii("EXAMPLE.com", out, sizeof out), 11);
	assert_string_equal(out, "example.com");
	/* non-transitional: sharp s stays a letter of its own */
	assert_true(pc_idna_ascii("stra\303\237e.example", out, sizeof out) > 0);
	assert_string_equal(out, "xn--strae-oqa.example");
	/* a symbol IDNA2008 refuses and browsers accept: the transitional
	 * fallback gives what a mail client looks up */
	assert_true(pc_idna_ascii("joker\xe2\x80\x99s.com", out, sizeof out) > 0);
	assert_string_equal(out, "xn--jokers-7h0c.com");
	/* a label over 63 octets */
	char big[100];
	memset(big, 'a', 70);
	memcpy(big + 70, ".com", 5);
	assert_int_equal(pc_idna_ascii(big, out, sizeof out), PC_IDNA_TOO_LONG);
	assert_int_equal(pc_idna_ascii("example.com", out, 5), PC_IDNA_TOO_LONG);
	assert_int_equal(pc_idna_ascii("a\342\200\215b\xef\xbf\xbd.com", out, sizeof out), PC_IDNA_INVALID);
	assert_string_equal(pc_idna_unicode(a, "xn--bcher-kva.example"), "b\303\274cher.example");
	assert_string_equal(pc_idna_unicode(a, "plain.example"), "plain.example");
}

static void test_key(void **state)
{
	(void)state;
	char out[PC_DOMAIN_KEY_CAP];
	const char *s = "Mail.Example.COM..";
	assert_int_equal(pc_domain_key(s, strlen(s), out, sizeof out), 16);
	assert_string_equal(out, "mail.example.com");
	s = "B\303\274cher.Example.";
	assert_int_equal(pc_domain_key(s, strlen(s), out, sizeof out), 21);
	assert_string_equal(out, "xn--bcher-kva.example");
	s = "b\303\274cher.de\343\200\202"; /* U+3002, an ideographic full stop */
	assert_int_equal(pc_domain_key(s, strlen(s), out, sizeof out), 16);
	assert_string_equal(out, "xn--bcher-kva.de");
	assert_int_equal(pc_domain_key("...", 3, out, sizeof out), 0);
	assert_string_equal(out, "");
	/* ASCII is never refused: its checks are the caller's */
	assert_int_equal(pc_domain_key("A_B.example", 11, out, sizeof out), 11);
	assert_string_equal(out, "a_b.example");
	/* an IDNA error keeps the lower-cased name to show */
	s = "X\xef\xbf\xbe.example";
	assert_int_equal(pc_domain_key(s, strlen(s), out, sizeof out), PC_IDNA_INVALID);
	assert_string_equal(out, "x\xef\xbf\xbe.example");
	assert_int_equal(pc_domain_key("example.com", 11, out, 5), PC_IDNA_TOO_LONG);
	assert_string_equal(out, "");
}

static void test_psl(void **state)
{
	(void)state;
	assert_string_equal(pc_domain_registrable("news.bbc.co.uk"), "bbc.co.uk");
	assert_string_equal(pc_domain_registrable("example.com"), "example.com");
	assert_null(pc_domain_registrable("co.uk"));
	assert_null(pc_domain_registrable(NULL));
	assert_true(pc_domain_is_public_suffix("co.uk"));
	assert_true(pc_domain_is_public_suffix("com"));
	assert_true(pc_domain_is_public_suffix("nosuchtld")); /* the "*" rule */
	assert_false(pc_domain_is_public_suffix("example.com"));
	assert_true(pc_domain_is_listed_suffix("co.uk"));
	assert_false(pc_domain_is_listed_suffix("nosuchtld"));
	assert_false(pc_domain_is_listed_suffix(NULL));
}

static void test_at_or_under(void **state)
{
	(void)state;
	assert_true(pc_domain_at_or_under("example.com", "example.com"));
	assert_true(pc_domain_at_or_under("a.b.Example.COM", "example.com"));
	assert_false(pc_domain_at_or_under("badexample.com", "example.com"));
	assert_false(pc_domain_at_or_under("example.com", "a.example.com"));
	assert_false(pc_domain_at_or_under("example.com.evil", "example.com"));
	assert_false(pc_domain_at_or_under(NULL, "example.com"));
	assert_false(pc_domain_at_or_under("example.com", NULL));
}

static void test_parse(void **state)
{
	(void)state;
	pc_domain d;
	const char *h = " WWW.BBC.CO.UK. ";
	assert_int_equal(pc_domain_parse(a, h, strlen(h), &d), 0);
	assert_string_equal(d.ascii, "www.bbc.co.uk");
	assert_string_equal(d.unicode, "www.bbc.co.uk");
	assert_string_equal(d.reg, "bbc.co.uk");
	assert_string_equal(d.suffix, "co.uk");
	assert_string_equal(d.label, "bbc");
	assert_true(d.ascii_only);
	assert_null(d.skel);
	assert_null(d.scripts);
	h = "xn--bcher-kva.example";
	assert_int_equal(pc_domain_parse(a, h, strlen(h), &d), 0);
	assert_string_equal(d.unicode, "b\303\274cher.example");
	h = "b\303\274cher.de";
	assert_int_equal(pc_domain_parse(a, h, strlen(h), &d), 0);
	assert_string_equal(d.ascii, "xn--bcher-kva.de");
	assert_string_equal(d.label, "xn--bcher-kva");
	assert_string_equal(d.ulabel, "b\303\274cher");
	assert_false(d.ascii_only);
	/* an underscore is kept as written */
	assert_int_equal(pc_domain_parse(a, "Mail_Out.example.org", 20, &d), 0);
	assert_string_equal(d.ascii, "mail_out.example.org");
	assert_int_equal(pc_domain_parse(a, " . ", 3, &d), -1);
	assert_int_equal(pc_domain_parse(a, "a\0b.com", 7, &d), -1);
	assert_int_equal(pc_domain_parse(a, NULL, 0, &d), -1);
	char big[300];
	memset(big, 'a', sizeof big);
	assert_int_equal(pc_domain_parse(a, big, sizeof big, &d), -1);
	pc_domain p;
	assert_int_equal(pc_domain_parse(a, "bbc.co.uk", 9, &p), 0);
	assert_int_equal(pc_domain_parse(a, "news.bbc.co.uk", 14, &d), 0);
	assert_true(pc_domain_same_site(&d, &p));
	assert_true(pc_domain_same_site(&p, &d)); /* the same registrable domain */
	assert_int_equal(pc_domain_parse(a, "bbc.com", 7, &d), 0);
	assert_false(pc_domain_same_site(&d, &p));
}

static void test_find(void **state)
{
	(void)state;
	assert_string_equal(pc_domain_find(a, "test@example.com"), "example.com");
	assert_string_equal(pc_domain_find(a, "example.com via Mailer"), "example.com");
	assert_string_equal(pc_domain_find(a, "PayPal.com"), "paypal.com");
	assert_string_equal(pc_domain_find(a, "Service (secure.paypal.co.uk)"), "paypal.co.uk");
	assert_string_equal(pc_domain_find(a, "\"ceo@example.com\""), "example.com");
	assert_null(pc_domain_find(a, "Jane Doe"));
	assert_null(pc_domain_find(a, "J.Smith"));
	assert_null(pc_domain_find(a, "Mr. St.John Smith"));
	assert_null(pc_domain_find(a, "v1.2.3 release bot"));
	assert_null(pc_domain_find(a, ""));
	assert_null(pc_domain_find(a, NULL));
	/* only the first PC_DOMAIN_FIND_MAX bytes are read */
	char big[PC_DOMAIN_FIND_MAX + 20];
	memset(big, 'x', sizeof big);
	memcpy(big + PC_DOMAIN_FIND_MAX + 1, " a.com", 7);
	assert_null(pc_domain_find(a, big));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_domain), cmocka_unit_test(test_idna),        cmocka_unit_test(test_key),
	    cmocka_unit_test(test_psl),         cmocka_unit_test(test_at_or_under), cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
