/*
 * Unit tests for detect/tracker through pc_scan: which resources, links
 * and headers are trackers, with which signals, leaks and destinations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/msg.h"
#include "detect/lib/trackerlist.h"
#include "pipeline/pipeline.h"

static pc_config cfg;
static pc_scanner *sc;
static pc_trackerlist *tl;
static char buf[16384];

static int setup(void **state)
{
	(void)state;
	pc_pipeline_global_init();
	pc_config_defaults(&cfg);
	sc = pc_scanner_new(&cfg);
	tl = pc_trackerlist_new();
	pc_trackerlist_add(tl, "listed-tracker.example", "test-list");
	pc_scanner_set_lists(sc, tl);
	return sc && tl ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	pc_scanner_free(sc);
	pc_trackerlist_free(tl);
	return 0;
}

static const pc_msg *html(const char *body, const char *headers)
{
	snprintf(buf, sizeof buf,
	         "From: a@news.example\nTo: Reader <reader@example.org>\nSubject: s\n%sContent-Type: text/html\n\n"
	         "<p><img src=\"https://cdn.news.example/logo.png\" alt=\"Logo\" width=\"120\" height=\"40\"></p>%s\n",
	         headers ? headers : "", body);
	const pc_msg *m = pc_scan(sc, buf, strlen(buf), "t.eml", NULL, 0);
	assert_non_null(m);
	return m;
}

static bool has_signal(const pc_tracker *t, const char *s)
{
	for (size_t i = 0; i < t->nsignals; i++)
		if (!strcmp(t->signals[i], s))
			return true;
	return false;
}

static const pc_tracker *only(const pc_msg *m)
{
	if (m->trackers.n != 1) {
		for (size_t i = 0; i < m->trackers.n; i++)
			print_error("tracker %s\n", ((pc_tracker *)m->trackers.v[i])->url);
		fail_msg("expected one tracker, got %zu", m->trackers.n);
	}
	return m->trackers.v[0];
}

static void strong_signals(void **state)
{
	(void)state;
	const pc_tracker *t = only(html("<img src=\"https://x.example/a.gif\" width=1 height=1 alt=x>", NULL));
	assert_true(has_signal(t, "size-1x1"));
	assert_string_equal(t->element, "img");
	t = only(html("<img src=\"https://x.example/a.gif\" style=\"display:none\" alt=x>", NULL));
	assert_true(has_signal(t, "hidden-display-none"));
	t = only(html("<span style=\"opacity:0\"><img src=\"https://x.example/a.gif\" alt=x></span>", NULL));
	assert_true(has_signal(t, "hidden-container"));
	t = only(html("<img src=\"https://listed-tracker.example/logo.png\" alt=x width=200 height=50>", NULL));
	assert_true(has_signal(t, "list-test-list"));
	/* the pixel's recipient is in the URL */
	t = only(
	    html("<img src=\"https://x.example/banner.jpg?who=reader@example.org\" alt=x width=600 height=90>", NULL));
	assert_string_equal(t->leak, "plain");
	assert_non_null(t->leak_detail);
}

static void weak_signals(void **state)
{
	(void)state;
	/* token and tracking path: two signals from the URL */
	const pc_tracker *t =
	    only(html("<img src=\"https://x.example/open/3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f\" alt=x>", NULL));
	assert_true(has_signal(t, "token-uuid") && has_signal(t, "path-open"));
	/* one weak signal is not enough: a logo with a version query */
	assert_int_equal(html("<img src=\"https://img.example/brand.png?v=12\" alt=\"\">", NULL)->trackers.n, 0);
	/* a content-hash file name is not a token */
	assert_int_equal(
	    html("<img src=\"https://img.example/i/5d41402abc4b2a76b9719d911017c592.jpg\" alt=photo width=600>", NULL)
	        ->trackers.n,
	    0);
	/* sized, visible, without a token: an ordinary image */
	assert_int_equal(html("<img src=\"https://img.example/story.jpg\" width=600 height=300>", NULL)->trackers.n, 0);
	/* a large image hidden only by its container (a mobile twin) */
	assert_int_equal(
	    html("<div style=\"display:none\"><img src=\"https://img.example/m.jpg\" width=320 height=200 alt=m></div>",
	         NULL)
	        ->trackers.n,
	    0);
}

static void click_trackers(void **state)
{
	(void)state;
	const pc_tracker *t = only(
	    html("<a href=\"https://click.esp.example/c?u=https%3A%2F%2Fshop.example%2Fsale&amp;x=1\">sale</a>", NULL));
	assert_true(t->click);
	assert_string_equal(t->element, "a");
	assert_string_equal(t->destination, "https://shop.example/sale");
	/* a chain of wrappers: the destination is its end */
	t = only(
	    html("<a href=\"https://r.esp.example/c?u=https%3A%2F%2Fgo.example%2F%3Furl%3Dhttps%253A%252F%252Fshop."
	         "example%252Fend\">x</a>",
	         NULL));
	assert_string_equal(t->destination, "https://shop.example/end");
	/* identity in a query value: the link without it is offered */
	t = only(html("<a href=\"https://shop.example/p?id=7&amp;e=reader%40example.org#top\">p</a>", NULL));
	assert_string_equal(t->leak, "urlenc");
	assert_string_equal(t->stripped, "https://shop.example/p?id=7#top");
	/* an ordinary link with campaign parameters is not a tracker */
	assert_int_equal(
	    html("<a href=\"https://shop.example/p?utm_source=nl&amp;utm_campaign=may\">p</a>", NULL)->trackers.n, 0);
	/* Safe Links: judged by the destination */
	assert_int_equal(html("<a href=\"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fshop."
	                      "example%2F&amp;data=05%7C01%7Creader%40example.org%7C\">x</a>",
	                      NULL)
	                     ->trackers.n,
	                 0);
}

static void read_receipts(void **state)
{
	(void)state;
	const pc_msg *m = html("", "Disposition-Notification-To: a@news.example\nReturn-Receipt-To: a@news.example\n");
	assert_int_equal(m->trackers.n, 2);
	const pc_tracker *t = m->trackers.v[0];
	assert_string_equal(t->element, "header");
	assert_string_equal(t->header, "Disposition-Notification-To");
	assert_true(has_signal(t, "read-receipt"));
	assert_non_null(pc_msg_find(m, "tracker.read-receipt"));
	assert_int_equal(m->verdict, PC_ACTION_NEUTRALISE);
}

static void no_remote_content(void **state)
{
	(void)state;
	const char *eml = "From: a@b.example\nTo: c@d.example\nSubject: s\nContent-Type: text/html\n\n"
	                  "<img src=\"cid:x\" width=1 height=1><img src=\"data:image/gif;base64,R0lG\" hidden>\n";
	const pc_msg *m = pc_scan(sc, eml, strlen(eml), "t.eml", NULL, 0);
	assert_int_equal(m->trackers.n, 0);
	assert_int_equal(m->verdict, PC_ACTION_ACCEPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(strong_signals), cmocka_unit_test(weak_signals),      cmocka_unit_test(click_trackers),
	    cmocka_unit_test(read_receipts),  cmocka_unit_test(no_remote_content),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
