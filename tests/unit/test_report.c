/*
 * Unit tests for evidence/report: the hostile sample case
 * (tests/evidence/sample-case.json) rendered and read back at the level
 * of markup: every '<' opens an element of the report's own whitelist
 * with whitelisted attributes, no script, every hostile string shown
 * escaped, invisible and reordering characters marked, the CSP hash that
 * of the style block, the same document twice, and bounded output for a
 * case built to be huge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <jansson.h>

#include "core/sha256.h"
#include "evidence/report.h"

#ifndef PC_SAMPLE_CASE
#define PC_SAMPLE_CASE "tests/evidence/sample-case.json"
#endif

static json_t *sample(void)
{
	json_error_t je;
	json_t *c = json_load_file(PC_SAMPLE_CASE, JSON_ALLOW_NUL, &je);
	if (!c)
		fail_msg("%s:%d: %s", PC_SAMPLE_CASE, je.line, je.text);
	return c;
}

static char *render(const json_t *c)
{
	char err[256] = "";
	char *h = pc_report_html(c, err, sizeof err);
	if (!h)
		fail_msg("pc_report_html: %s", err);
	return h;
}

static const char *const TAGS[] = {
    "html", "head", "meta", "title",  "style", "body", "header", "main", "section", "footer", "h1",    "h2", "h3",
    "p",    "div",  "span", "strong", "b",     "code", "pre",    "br",   "table",   "thead",  "tbody", "tr", "th",
    "td",   "dl",   "dt",   "dd",     "ol",    "li",   "svg",    "line", "rect",    "text",   "tspan"};
static const char *const ATTRS[] = {"lang",    "charset", "http-equiv", "content", "name",        "class",    "colspan",
                                    "viewBox", "role",    "aria-label", "x",       "y",           "x1",       "y1",
                                    "x2",      "y2",      "width",      "height",  "text-anchor", "transform"};

static bool listed(const char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && !strncmp(list[i], s, len))
			return true;
	return false;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* Every '<' opens or closes an element of TAGS whose attributes are in
 * ATTRS, each value double-quoted and free of '<'; the doctype alone
 * besides. Returns the number of elements seen. */
static size_t check_markup(const char *h)
{
	size_t elements = 0;
	const char *doctype = "<!DOCTYPE html>";
	assert_true(!strncmp(h, doctype, strlen(doctype)));
	for (const char *p = strchr(h + 1, '<'); p; p = strchr(p + 1, '<')) {
		const char *q = p + 1;
		if (*q == '/')
			q++;
		const char *name = q;
		while (name_char(*q))
			q++;
		if (!listed(TAGS, sizeof TAGS / sizeof *TAGS, name, (size_t)(q - name)))
			fail_msg("element not in the whitelist at offset %td: %.40s", p - h, p);
		elements++;
		for (;;) {
			while (*q == ' ')
				q++;
			if (*q == '>' || (q[0] == '/' && q[1] == '>'))
				break;
			const char *a = q;
			while (name_char(*q))
				q++;
			if (!listed(ATTRS, sizeof ATTRS / sizeof *ATTRS, a, (size_t)(q - a)))
				fail_msg("attribute not in the whitelist at offset %td: %.40s", a - h, a);
			if (*q != '=' || q[1] != '"')
				fail_msg("attribute without a quoted value at offset %td: %.40s", a - h, a);
			q += 2;
			while (*q && *q != '"') {
				assert_true(*q != '<' && *q != '>');
				q++;
			}
			assert_int_equal(*q, '"');
			q++;
		}
	}
	return elements;
}

static void test_markup_is_ours(void **state)
{
	(void)state;
	json_t *c = sample();
	char *h = render(c);
	assert_true(check_markup(h) > 1000);
	assert_true(g_utf8_validate(h, -1, NULL));
	/* no script of any spelling, no link, no request */
	gchar *lower = g_ascii_strdown(strstr(h, "</head>"), -1); /* past the CSP's img-src data: */
	assert_null(strstr(lower, "<script"));
	assert_null(strstr(lower, "<img"));
	assert_null(strstr(lower, "<a "));
	assert_null(strstr(lower, "<link"));
	assert_null(strstr(lower, "url("));
	assert_null(strstr(lower, "@import"));
	/* (style=, href=, src= attributes: check_markup allows none) */
	/* a scheme that acts appears only in a regular expression, shown
	 * verbatim inside <code> */
	for (const char *p = strstr(lower, "javascript:"); p; p = strstr(p + 1, "javascript:")) {
		const char *open = g_strrstr_len(lower, p - lower, "<code>");
		const char *close = g_strrstr_len(lower, p - lower, "</code>");
		assert_non_null(open);
		assert_true(!close || close < open);
	}
	static const char *const LIVE[] = {"http:", "https:", "ftp:", "data:", "file:", "vbscript:", "www."};
	for (size_t k = 0; k < sizeof LIVE / sizeof *LIVE; k++)
		for (const char *p = strstr(lower, LIVE[k]); p; p = strstr(p + 1, LIVE[k])) {
			const char *open = g_strrstr_len(lower, p - lower, "<code>");
			const char *close = g_strrstr_len(lower, p - lower, "</code>");
			if (!open || (close && close > open))
				fail_msg("%s outside a regular expression: %.60s", LIVE[k], p);
		}
	g_free(lower);
	free(h);
	json_decref(c);
}

static void test_hostile_strings_escaped(void **state)
{
	(void)state;
	json_t *c = sample();
	char *h = render(c);
	assert_non_null(strstr(h, "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;"));
	assert_non_null(strstr(h, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
	assert_non_null(strstr(h, "&lt;/style&gt;&lt;script&gt;alert(3)&lt;/script&gt;"));
	assert_non_null(strstr(h, "&lt;/svg&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
	assert_non_null(strstr(h, "]]&gt;&lt;![CDATA["));
	assert_null(strstr(h, "]]>"));
	/* only our one </style> and two </svg> */
	size_t styles = 0, svgs = 0;
	for (const char *p = strstr(h, "</style"); p; p = strstr(p + 1, "</style"))
		styles++;
	for (const char *p = strstr(h, "</svg"); p; p = strstr(p + 1, "</svg"))
		svgs++;
	assert_int_equal(styles, 1);
	assert_int_equal(svgs, 2);
	/* defanged: links nobody can click by accident */
	assert_non_null(strstr(h, "hxxps://t[.]mailtrk-example[.]net/o/{COPY}.gif"));
	assert_non_null(strstr(h, "javascript[:]alert(4)"));
	assert_non_null(strstr(h, "203[.]0[.]113[.]45"));
	free(h);
	json_decref(c);
}

static void test_invisible_characters_marked(void **state)
{
	(void)state;
	json_t *c = sample();
	char *h = render(c);
	const unsigned char *u = (const unsigned char *)h;
	for (size_t i = 0; u[i]; i++) {
		assert_true(u[i] >= 0x20 || u[i] == '\n' || u[i] == '\t');
		assert_true(u[i] != 0x7f);
		if (u[i] == 0xc2) /* no C1 control */
			assert_false(u[i + 1] >= 0x80 && u[i + 1] <= 0x9f);
	}
	assert_null(strstr(h, "\xe2\x80\xae")); /* U+202E */
	assert_null(strstr(h, "\xe2\x80\xac")); /* U+202C */
	assert_null(strstr(h, "\xe2\x81\xa6")); /* U+2066 */
	assert_null(strstr(h, "\xef\xbb\xbf")); /* U+FEFF */
	assert_non_null(strstr(h, "\xe2\x9f\xa8U+202E\xe2\x9f\xa9"));
	assert_non_null(strstr(h, "\xe2\x9f\xa8U+0000\xe2\x9f\xa9"));
	assert_non_null(strstr(h, "\xe2\x9f\xa8U+009B\xe2\x9f\xa9"));
	assert_non_null(strstr(h, "\xe2\x9f\xa8U+001B\xe2\x9f\xa9"));
	/* in an SVG label: a <tspan> */
	assert_non_null(
	    strstr(h, "evil&lt;b&gt;bold&lt;/b&gt;<tspan class=\"cc\">\xe2\x9f\xa8U+202E\xe2\x9f\xa9</tspan>"));
	/* long strings cut, saying by how much */
	assert_non_null(strstr(h, "(4400 more characters)"));
	free(h);
	json_decref(c);
}

static void test_csp_hash_matches_style(void **state)
{
	(void)state;
	json_t *c = sample();
	char *h = render(c);
	const char *csp = strstr(h, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	                            "style-src 'sha256-");
	assert_non_null(csp);
	const char *b64 = strstr(csp, "'sha256-") + 8, *end = strchr(b64, '\'');
	assert_non_null(end);
	const char *s = strstr(h, "<style>"), *e = strstr(h, "</style>");
	assert_non_null(s);
	assert_non_null(e);
	assert_true(csp < s);
	s += strlen("<style>");
	unsigned char d[PC_SHA256_LEN];
	assert_int_equal(pc_sha256(s, (size_t)(e - s), d), 0);
	gchar *want = g_base64_encode(d, sizeof d);
	assert_int_equal(strlen(want), (size_t)(end - b64));
	assert_memory_equal(want, b64, strlen(want));
	g_free(want);
	assert_null(strstr(e + 1, "<style"));
	free(h);
	json_decref(c);
}

static void test_deterministic_and_bounded(void **state)
{
	(void)state;
	json_t *c = sample();
	char *a = render(c), *b = render(c);
	assert_string_equal(a, b);
	assert_true(strlen(a) < 200 * 1024);
	/* the page-1 contents */
	assert_non_null(strstr(a, "<header class=\"tlp tlp-amber\"><strong>TLP:AMBER</strong>"));
	assert_non_null(strstr(a, "Campaign 7: "));
	assert_non_null(strstr(a, "<b>41 copies</b> of one message reached <b>38 recipients</b> in <b>9 "
	                          "organisations</b>"));
	assert_non_null(strstr(a, "Copies per hour (UTC)"));
	assert_non_null(strstr(a, "Recipients by organisation"));
	assert_non_null(strstr(a, "and 10 more audit entries not shown"));
	free(a);
	free(b);
	json_decref(c);
}

/* A case far past every bound: the document stays small, every table
 * bounded, the hash list complete. */
static void test_huge_case(void **state)
{
	(void)state;
	json_t *c = sample();
	/* é< repeated: cuts must fall between characters */
	char *longs = malloc(1 << 20), mid[9999 + 1]; /* whole characters */
	for (size_t i = 0; i < (1 << 20) - 1; i++)
		longs[i] = "\xc3\xa9<"[i % 3];
	longs[(1 << 20) - 1] = '\0';
	memcpy(mid, longs, sizeof mid - 1);
	mid[sizeof mid - 1] = '\0';
	json_t *camp = json_object_get(c, "campaign");
	json_object_set_new(camp, "subject", json_string_nocheck(longs));
	json_object_set_new(camp, "why", json_string_nocheck(longs));
	json_t *members = json_array(), *senders = json_array(), *audit = json_array(), *findings = json_array();
	json_t *m0 = json_array_get(json_object_get(c, "members"), 0);
	for (int i = 0; i < 20000; i++) {
		json_t *m = json_deep_copy(m0);
		json_object_set_new(m, "n", json_integer(i + 1));
		json_object_set_new(m, "helo", json_sprintf("helo%d.example", i));
		json_array_append_new(members, m);
		json_array_append_new(senders, json_pack("{s:s,s:i}", "value", mid, "count", 1));
		json_array_append_new(audit, json_pack("{s:s,s:s,s:s,s:n,s:s}", "at", "2026-12-05T14:00:00Z", "actor",
		                                       "milter", "action", "quarantine", "source", "detail", mid));
	}
	json_t *deep = json_string("bottom");
	for (int i = 0; i < 100; i++)
		deep = json_pack("{s:o,s:[iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii]}", "d", deep, "wide", 1, 2, 3, 4, 5,
		                 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3,
		                 4, 5, 6, 7, 8, 9, 10);
	for (int i = 0; i < 500; i++)
		json_array_append_new(findings, json_pack("{s:s,s:s,s:f,s:O,s:i}", "detector", "x", "summary", mid,
		                                          "score", 1.5, "evidence", deep, "members", 1));
	json_decref(deep);
	json_t *counts = json_array();
	for (int i = 0; i < 5000; i++)
		json_array_append_new(counts, json_integer(i % 7));
	json_object_set_new(c, "members", members);
	json_object_set_new(json_object_get(c, "values"), "sender", senders);
	json_object_set_new(c, "audit", audit);
	json_object_set_new(c, "findings", findings);
	json_object_set_new(
	    c, "timeline",
	    json_pack("{s:s,s:s,s:o}", "unit", "day", "start", "2012-01-01T00:00:00Z", "counts", counts));
	char *h = render(c);
	size_t n = strlen(h);
	/* the hash list is 65 bytes a copy; everything else is bounded */
	assert_true(n < 20000 * 65 + 4 * 1024 * 1024);
	assert_true(g_utf8_validate(h, -1, NULL));
	check_markup(h);
	size_t rows = 0;
	for (const char *p = strstr(h, "<tr"); p; p = strstr(p + 1, "<tr"))
		rows++;
	assert_true(rows < 1000);
	size_t lines = 0;
	const char *pre = strstr(h, "<pre class=\"hashes\">");
	assert_non_null(pre);
	for (const char *p = pre; *p && strncmp(p, "</pre>", 6); p++)
		lines += *p == '\n';
	assert_int_equal(lines, 20000);
	if (!strstr(h, "and 19950 more senders not shown"))
		fail_msg("%.3000s", strstr(h, "<h3>Sender addresses"));
	assert_non_null(strstr(h, "and 19950 more audit entries not shown"));
	assert_non_null(strstr(h, "and 450 more findings not shown"));
	assert_non_null(strstr(h, "and 19950 more copies not shown"));
	assert_non_null(strstr(h, "Copies per 42 days (UTC)"));
	free(h);
	free(longs);
	json_decref(c);
}

static void test_refusals_and_tlp(void **state)
{
	(void)state;
	char err[128];
	json_t *bad = json_pack("{s:s}", "format", "portcullis-case/2");
	assert_null(pc_report_html(bad, err, sizeof err));
	assert_non_null(strstr(err, "portcullis-case/1"));
	json_decref(bad);
	assert_null(pc_report_html(NULL, err, sizeof err));
	json_t *nocamp = json_pack("{s:s}", "format", "portcullis-case/1");
	assert_null(pc_report_html(nocamp, err, sizeof err));
	json_decref(nocamp);

	/* the least a case can be still renders */
	json_t *min = json_pack("{s:s,s:{s:i}}", "format", "portcullis-case/1", "campaign", "id", 3);
	char *h = render(min);
	check_markup(h);
	/* no marking: handled as TLP:RED, and said so */
	assert_non_null(strstr(h, "<strong>TLP:RED</strong>"));
	assert_non_null(strstr(h, "no valid TLP 2.0 marking"));
	free(h);
	json_object_set_new(min, "tlp", json_string("CLEAR"));
	h = render(min);
	assert_non_null(strstr(h, "<strong>TLP:CLEAR</strong>"));
	free(h);
	json_object_set_new(min, "tlp", json_string("white\"<script>"));
	h = render(min);
	check_markup(h);
	assert_non_null(strstr(h, "<strong>TLP:RED</strong>"));
	assert_non_null(strstr(h, "white&quot;&lt;script&gt;"));
	free(h);
	json_decref(min);
}

/* Defanging and cutting, on strings built for it. */
static void test_defang_and_cut(void **state)
{
	(void)state;
	GString *e = g_string_new(NULL);
	for (int i = 0; i < 300; i++)
		g_string_append(e, "\xc3\xa9");
	json_t *c = json_pack("{s:s,s:s,s:{s:i,s:s,s:s},s:[{s:s,s:s,s:i,s:s}]}", "format", "portcullis-case/1", "tlp",
	                      "green", "campaign", "id", 9, "subject", e->str, "why",
	                      "see xhttps://evil.example/a, www.evil.example, metadata: x, metadata:x, "
	                      "JavaScript:alert(1) and HTTP://A.B",
	                      "indicators", "type", "sender-domain", "value", "Dr. Who at evil.example", "count", 1,
	                      "why", "ftp://x.example");
	char *h = render(c);
	check_markup(h);
	assert_non_null(strstr(h, "see xhxxps://evil.example/a, www[.]evil.example, metadata: x, metadata:x, "
	                          "JavaScript[:]alert(1) and hxxp://A.B"));
	assert_non_null(strstr(h, "Dr. Who at evil[.]example"));
	assert_non_null(strstr(h, "fxp://x.example"));
	/* the title: 200 characters and an ellipsis, cut between two */
	GString *want = g_string_new("<span class=\"subj\">\xe2\x80\x9c");
	for (int i = 0; i < 200; i++)
		g_string_append(want, "\xc3\xa9");
	g_string_append(want, "\xe2\x80\xa6<span class=\"cut\"> (100 more characters)</span>");
	assert_non_null(strstr(h, want->str));
	g_string_free(want, TRUE);
	g_string_free(e, TRUE);
	free(h);
	json_decref(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_markup_is_ours),
	    cmocka_unit_test(test_hostile_strings_escaped),
	    cmocka_unit_test(test_invisible_characters_marked),
	    cmocka_unit_test(test_csp_hash_matches_style),
	    cmocka_unit_test(test_deterministic_and_bounded),
	    cmocka_unit_test(test_huge_case),
	    cmocka_unit_test(test_refusals_and_tlp),
	    cmocka_unit_test(test_defang_and_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
