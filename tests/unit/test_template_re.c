/*
 * test_template_re - URL templates as regexes and back (campaign/template_re.h):
 * the round trip is the identity, and the regex (GLib's PCRE) matches the
 * copies of a template in any query order and nothing else.
 */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "campaign/template_re.h"

static const char *const templates[] = {
    "t.example/o/{HEX}.gif",
    "t.example/o/{HEX}?u={ADDRHASH}",
    "links.example.net/c/{UUID}?id={INT}&r={B64}&src=news",
    "px.evil-track.net/o/{TOKEN}?c=\\'x",
    "evil.example.net/r?q='\"><&u={COPY}",
    "{COPY}.example.org/p/{ADDR}",
    "t.example/a(b)[c]*+?.|^$/{HEX}#frag{COPY}",
    "t.example/open?flag&u={INT}",
    "xn--globalwre-19h.news/n/{HEX}/243811.gif",
    "t.example/ü/{HEX}",
};

static void test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++) {
		char re[4096], back[2048];
		assert_true(pc_template_regex(templates[i], re, sizeof re) > 0);
		assert_true(pc_template_from_regex(re, back, sizeof back) > 0);
		assert_string_equal(back, templates[i]);
		GError *e = NULL;
		GRegex *r = g_regex_new(re, 0, 0, &e);
		assert_non_null(r); /* it compiles as PCRE */
		g_regex_unref(r);
	}
}

static bool matches(const char *re, const char *url)
{
	GRegex *r = g_regex_new(re, 0, 0, NULL);
	bool m = r && g_regex_match(r, url, 0, NULL);
	if (r)
		g_regex_unref(r);
	return m;
}

static void test_matches_copies(void **state)
{
	(void)state;
	char re[4096];
	assert_true(pc_template_regex("t.example/o/{HEX}?u={ADDRHASH}&v=2", re, sizeof re) > 0);
	assert_true(matches(re, "https://t.example/o/deadbeef01?u=0123456789abcdef0123456789abcdef&v=2"));
	assert_true(matches(re, "http://T.EXAMPLE/o/DEADBEEF01?v=2&u=0123456789abcdef0123456789abcdef"));
	assert_true(matches(re, "https://t.example/o/deadbeef01?x=1&v=2&u=0123456789abcdef0123456789abcdef#top"));
	assert_false(matches(re, "https://t.example.evil.com/o/deadbeef01?u=0123456789abcdef0123456789abcdef&v=2"));
	assert_false(matches(re, "https://xt.example/o/deadbeef01?u=0123456789abcdef0123456789abcdef&v=2"));
	assert_false(matches(re, "https://t.example/o/deadbeef01?u=0123456789abcdef0123456789abcdef&v=3"));
	assert_false(matches(re, "https://t.example/o/zz?u=0123456789abcdef0123456789abcdef&v=2"));
	assert_false(matches(re, "https://t.example/o/deadbeef01/x?u=0123456789abcdef0123456789abcdef&v=2"));
}

static void test_refuses_others(void **state)
{
	(void)state;
	char t[1024];
	const char *others[] = {"",
	                        ".*",
	                        "^https?://t\\.example/.*$",
	                        "(?i)^https?://",
	                        "(?i)^https?://t\\.example\\d",
	                        "(?i)^https?://t\\.example(?:\\?[^#]*)?(?:#.*)?$x",
	                        "(?i)^https?://t\\\x0e(?:\\?[^#]*)?(?:#.*)?$"};
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		assert_int_equal(pc_template_from_regex(others[i], t, sizeof t), 0);
	char small[8];
	assert_int_equal(pc_template_regex("t.example/o/{HEX}", small, sizeof small), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_matches_copies),
	    cmocka_unit_test(test_refuses_others),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
