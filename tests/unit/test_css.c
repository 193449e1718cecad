/*
 * Unit tests for parse/css: style attribute declarations that hide or size
 * an element, url()/image-set()/@import discovery, comments and escapes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "parse/css.h"

#define MAXU 16

typedef struct urls {
	char url[MAXU][256];
	char how[MAXU][16];
	size_t n;
} urls;

static void on_url(void *ctx, const char *u, size_t n, const char *how)
{
	urls *us = ctx;
	if (us->n >= MAXU)
		fail_msg("too many urls");
	snprintf(us->url[us->n], sizeof us->url[0], "%.*s", (int)n, u);
	snprintf(us->how[us->n], sizeof us->how[0], "%s", how);
	us->n++;
}

static int setup(void **state)
{
	*state = pc_arena_new(16u << 20);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	pc_arena_free(*state);
	return 0;
}

static pc_css_style S(void **state, const char *s)
{
	pc_css_style st;
	pc_css_style_init(&st);
	pc_css_parse_style(*state, s, strlen(s), &st, NULL, NULL);
	return st;
}

static urls U(void **state, const char *s)
{
	urls us;
	memset(&us, 0, sizeof us);
	pc_css_style st;
	pc_css_style_init(&st);
	pc_css_parse_style(*state, s, strlen(s), &st, on_url, &us);
	return us;
}

static urls SHEET(void **state, const char *s)
{
	urls us;
	memset(&us, 0, sizeof us);
	pc_css_scan_sheet(*state, s, strlen(s), on_url, &us);
	return us;
}

static void test_init_unset(void **state)
{
	(void)state;
	pc_css_style st;
	memset(&st, 0x7f, sizeof st);
	pc_css_style_init(&st);
	assert_int_equal(st.display_none, -1);
	assert_int_equal(st.visibility_hidden, -1);
	assert_int_equal(st.opacity_zero, -1);
	assert_int_equal(st.overflow_hidden, -1);
	assert_int_equal(st.width.px, PC_SIZE_UNKNOWN);
	assert_int_equal(st.width.pct, -1);
	assert_int_equal(st.height.px, PC_SIZE_UNKNOWN);
	assert_int_equal(st.max_width.px, PC_SIZE_UNKNOWN);
	assert_int_equal(st.max_height.px, PC_SIZE_UNKNOWN);
	assert_false(st.positioned);
	assert_false(st.offscreen);
}

static void test_display(void **state)
{
	assert_int_equal(S(state, "display:none").display_none, 1);
	assert_int_equal(S(state, "display: none;").display_none, 1);
	assert_int_equal(S(state, "DISPLAY : NONE !important").display_none, 1);
	assert_int_equal(S(state, "display:none!IMPORTANT;").display_none, 1);
	assert_int_equal(S(state, "display:block").display_none, 0);
	assert_int_equal(S(state, "display:nonex").display_none, 0);
	assert_int_equal(S(state, "color:red").display_none, -1);
	/* later declarations win */
	assert_int_equal(S(state, "display:none;display:block").display_none, 0);
	assert_int_equal(S(state, "display:block;display:none").display_none, 1);
	/* !important is weighed: a later normal declaration does not undo it */
	assert_int_equal(S(state, "display:none !important;display:block").display_none, 1);
	assert_int_equal(S(state, "display:none !important;display:block !important").display_none, 0);
	/* "none" needs the property name exactly */
	assert_int_equal(S(state, "xdisplay:none").display_none, -1);
	assert_int_equal(S(state, "  ;;display\n:\tnone ;; ").display_none, 1);
}

static void test_visibility(void **state)
{
	assert_int_equal(S(state, "visibility:hidden").visibility_hidden, 1);
	assert_int_equal(S(state, "visibility: Collapse").visibility_hidden, 1);
	assert_int_equal(S(state, "visibility:visible").visibility_hidden, 0);
	assert_int_equal(S(state, "visibility:hidden;visibility:visible").visibility_hidden, 0);
}

static void test_opacity(void **state)
{
	assert_int_equal(S(state, "opacity:0").opacity_zero, 1);
	assert_int_equal(S(state, "opacity:0.0").opacity_zero, 1);
	assert_int_equal(S(state, "opacity: .0").opacity_zero, 1);
	assert_int_equal(S(state, "opacity:0%").opacity_zero, 1);
	assert_int_equal(S(state, "opacity:0 !important").opacity_zero, 1);
	assert_int_equal(S(state, "opacity:-1").opacity_zero, 0);
	assert_int_equal(S(state, "opacity:1").opacity_zero, 0);
	assert_int_equal(S(state, "opacity:0.01").opacity_zero, 0);
	assert_int_equal(S(state, "opacity:0.4").opacity_zero, 0);
	assert_int_equal(S(state, "opacity:50%").opacity_zero, 0);
	assert_int_equal(S(state, "opacity:1%").opacity_zero, 0);
	assert_int_equal(S(state, "opacity:inherit").opacity_zero, 0);
}

static void test_sizes(void **state)
{
	pc_css_style st = S(state, "width:1px;height:1px");
	assert_int_equal(st.width.px, 1);
	assert_int_equal(st.height.px, 1);
	assert_int_equal(st.width.pct, -1);
	st = S(state, "width:0;height:0px");
	assert_int_equal(st.width.px, 0);
	assert_int_equal(st.height.px, 0);
	st = S(state, "width:50%");
	assert_int_equal(st.width.px, PC_SIZE_UNKNOWN);
	assert_int_equal(st.width.pct, 50);
	st = S(state, "max-width:0;max-height:0px");
	assert_int_equal(st.max_width.px, 0);
	assert_int_equal(st.max_height.px, 0);
	st = S(state, "WIDTH: 600PX !important");
	assert_int_equal(st.width.px, 600);
	st = S(state, "width:auto");
	assert_int_equal(st.width.px, PC_SIZE_UNKNOWN);
	assert_int_equal(st.width.pct, -1);
	st = S(state, "width:0.2px");
	assert_int_equal(st.width.px, 1); /* a fraction still renders a pixel */
}

static void test_overflow_position(void **state)
{
	assert_int_equal(S(state, "overflow:hidden").overflow_hidden, 1);
	assert_int_equal(S(state, "overflow:clip").overflow_hidden, 1);
	assert_int_equal(S(state, "overflow:hidden auto").overflow_hidden, 1);
	assert_int_equal(S(state, "overflow:visible").overflow_hidden, 0);
	assert_true(S(state, "position:absolute").positioned);
	assert_true(S(state, "position:FIXED").positioned);
	assert_false(S(state, "position:relative").positioned);
	assert_false(S(state, "position:static").positioned);
}

static void test_offscreen(void **state)
{
	assert_true(S(state, "position:absolute;left:-9999px").offscreen);
	assert_true(S(state, "left:-9999px;position:absolute").offscreen); /* order does not matter */
	assert_true(S(state, "position:fixed;top:-600px").offscreen);
	assert_true(S(state, "position:absolute;right:-500px").offscreen);
	assert_true(S(state, "position:absolute;bottom:-10000em").offscreen);
	/* offsets without position do not move anything */
	assert_false(S(state, "left:-9999px").offscreen);
	assert_false(S(state, "position:relative;left:-9999px").offscreen);
	/* a later position:static undoes it */
	assert_false(S(state, "position:absolute;left:-9999px;position:static").offscreen);
	/* margins move any element */
	assert_true(S(state, "margin-left:-9999px").offscreen);
	assert_true(S(state, "margin-top:-2000px").offscreen);
	/* small offsets are layout, not hiding */
	assert_false(S(state, "position:absolute;left:-499px").offscreen);
	assert_false(S(state, "margin-left:-20px").offscreen);
	assert_false(S(state, "position:absolute;left:9999px").offscreen);
	/* text-indent moves text, not images */
	assert_false(S(state, "text-indent:-9999px").offscreen);
}

static void test_escapes(void **state)
{
	assert_int_equal(S(state, "d\\69splay:none").display_none, 1);
	assert_int_equal(S(state, "d\\000069 splay:none").display_none, 1); /* 6 digits + one space */
	assert_int_equal(S(state, "display:n\\6f ne").display_none, 1);
	assert_int_equal(S(state, "\\64isplay:\\4e\\4f\\4e\\45").display_none, 1);
	assert_int_equal(S(state, "disp\\lay:none").display_none, 1); /* non-hex escape: the char itself */
	assert_int_equal(S(state, "opacity:\\30").opacity_zero, 1);
}

static void test_comments(void **state)
{
	assert_int_equal(S(state, "display:/* x */none").display_none, 1);
	assert_int_equal(S(state, "display/**/:/**/none/**/").display_none, 1);
	assert_int_equal(S(state, "/* display:none */display:block").display_none, 0);
	assert_int_equal(S(state, "/* display:none */").display_none, -1);
	/* an unterminated comment swallows the rest */
	assert_int_equal(S(state, "display:block;/* display:none").display_none, 0);
	assert_int_equal(S(state, "opacity:/*;*/0").opacity_zero, 1);
}

static void test_style_url_forms(void **state)
{
	urls u = U(state, "background:url(http://t.example/a.gif)");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "http://t.example/a.gif");
	assert_string_equal(u.how[0], "style");
	u = U(state, "background-image: url( \"http://t.example/b.gif\" )");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "http://t.example/b.gif");
	u = U(state, "background-image:URL('http://t.example/c;d.gif')");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "http://t.example/c;d.gif"); /* ';' inside quotes does not split */
	u = U(state, "background:url(ht\\74p://t.example/e.gif)");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "http://t.example/e.gif");
	u = U(state, "b\\61 ckground:u\\72l(http://t.example/f.gif)");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "http://t.example/f.gif");
	u = U(state, "background:url(a.gif), url(b.gif);list-style:url(c.gif)");
	assert_int_equal(u.n, 3);
	assert_string_equal(u.url[0], "a.gif");
	assert_string_equal(u.url[1], "b.gif");
	assert_string_equal(u.url[2], "c.gif");
	/* "url(" only as a function name */
	u = U(state, "font-family:myurl(x)");
	assert_int_equal(u.n, 0);
	/* unterminated quote ends at the end */
	u = U(state, "background:url('http://t.example/g.gif");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "http://t.example/g.gif");
}

static void test_style_image_set(void **state)
{
	urls u = U(state, "background-image:image-set(\"a.png\" 1x, 'b.png' 2x)");
	assert_int_equal(u.n, 2);
	assert_string_equal(u.url[0], "a.png");
	assert_string_equal(u.url[1], "b.png");
	u = U(state, "background-image:-webkit-image-set(\"w.png\" 1x)");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "w.png");
	u = U(state, "background-image:IMAGE-SET(\"u.png\" type(\"image/png\"))");
	assert_true(u.n >= 1);
	assert_string_equal(u.url[0], "u.png");
}

static void test_style_url_in_comment_ignored(void **state)
{
	urls u = U(state, "/* background:url(http://t.example/no.gif) */color:red");
	assert_int_equal(u.n, 0);
}

static void test_sheet_urls(void **state)
{
	urls u = SHEET(state, "body { background: url(http://t.example/bg.gif) }\n"
	                      ".x { background-image: url('http://t.example/x.gif') }\n");
	assert_int_equal(u.n, 2);
	assert_string_equal(u.url[0], "http://t.example/bg.gif");
	assert_string_equal(u.how[0], "<style>");
	assert_string_equal(u.url[1], "http://t.example/x.gif");
}

static void test_sheet_import(void **state)
{
	urls u = SHEET(state, "@import \"http://t.example/a.css\";\n@IMPORT 'http://t.example/b.css' screen;\n");
	assert_int_equal(u.n, 2);
	assert_string_equal(u.url[0], "http://t.example/a.css");
	assert_string_equal(u.how[0], "@import");
	assert_string_equal(u.url[1], "http://t.example/b.css");
	assert_string_equal(u.how[1], "@import");
	/* @import url(...) is an @import too, reported once */
	u = SHEET(state, "@import url(http://t.example/c.css);");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "http://t.example/c.css");
	assert_string_equal(u.how[0], "@import");
	/* escaped @import */
	u = SHEET(state, "@\\69mport \"http://t.example/d.css\";");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "http://t.example/d.css");
	assert_string_equal(u.how[0], "@import");
}

static void test_sheet_comments_ignored(void **state)
{
	urls u = SHEET(state, "/* @import \"http://t.example/no.css\"; */\n"
	                      "/* .a{background:url(http://t.example/no.gif)} */\n"
	                      ".b{background:url(http://t.example/yes.gif)}\n"
	                      "/* unterminated url(http://t.example/no2.gif)");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "http://t.example/yes.gif");
}

static void test_sheet_empty(void **state)
{
	urls u = SHEET(state, "");
	assert_int_equal(u.n, 0);
	u = SHEET(state, "url(");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "");
}

static void test_length_units(void **state)
{
	(void)state;
	pc_size s = pc_css_length("12", 2, false);
	assert_int_equal(s.px, 12);
	assert_int_equal(s.pct, -1);
	assert_int_equal(pc_css_length(" 7px", 4, false).px, 7);
	assert_int_equal(pc_css_length("12pt", 4, false).px, 16);
	assert_int_equal(pc_css_length("2em", 3, false).px, 32);
	assert_int_equal(pc_css_length("1.5rem", 6, false).px, 24);
	assert_int_equal(pc_css_length("1in", 3, false).px, 96);
	assert_int_equal(pc_css_length("2.54cm", 6, false).px, 96);
	assert_int_equal(pc_css_length("25.4mm", 6, false).px, 96);
	assert_int_equal(pc_css_length("0vw", 3, false).px, 0);
	assert_true(pc_css_length("1vw", 3, false).px > 0);
	assert_int_equal(pc_css_length("-600px", 6, false).px, -600);
	assert_int_equal(pc_css_length("+3", 2, false).px, 3);
	s = pc_css_length("25%", 3, false);
	assert_int_equal(s.pct, 25);
	assert_int_equal(s.px, PC_SIZE_UNKNOWN);
	/* unknown unit or no number */
	assert_int_equal(pc_css_length("3furlongs", 9, false).px, PC_SIZE_UNKNOWN);
	assert_int_equal(pc_css_length("px", 2, false).px, PC_SIZE_UNKNOWN);
	assert_int_equal(pc_css_length("", 0, false).px, PC_SIZE_UNKNOWN);
	assert_int_equal(pc_css_length("-", 1, false).px, PC_SIZE_UNKNOWN);
	/* huge values are clamped */
	assert_int_equal(pc_css_length("99999999999999px", 16, false).px, 10000000);
	/* n bounds the read */
	assert_int_equal(pc_css_length("123", 1, false).px, 1);
}

static void test_length_attr(void **state)
{
	(void)state;
	/* HTML width/height attributes: trailing garbage ignored */
	assert_int_equal(pc_css_length("1", 1, true).px, 1);
	assert_int_equal(pc_css_length("1px", 3, true).px, 1);
	assert_int_equal(pc_css_length("10abc", 5, true).px, 10);
	assert_int_equal(pc_css_length(" 0 ", 3, true).px, 0);
	assert_int_equal(pc_css_length("50%", 3, true).pct, 50);
	/* negative attribute values are ignored */
	assert_int_equal(pc_css_length("-5", 2, true).px, PC_SIZE_UNKNOWN);
	assert_int_equal(pc_css_length("abc", 3, true).px, PC_SIZE_UNKNOWN);
}

/* Fixed after tests/unit/BUGS.md #3 and #4. */
static void test_escaped_separators(void **state)
{
	/* an escaped ';' or ':' is part of a value/name, never a separator */
	assert_int_equal(S(state, "color:red\\;display:none").display_none, -1);
	assert_int_equal(S(state, "display\\:none").display_none, -1);
	/* an escape inside a name still spells the property */
	assert_int_equal(S(state, "d\\69splay:none").display_none, 1);
}

static void test_image_set_url_args(void **state)
{
	urls us =
	    U(state, "background-image:image-set(url(http://t.example/is.png) 1x, \"http://t.example/q.png\" 2x)");
	assert_int_equal(us.n, 2);
	assert_string_equal(us.url[0], "http://t.example/is.png");
	assert_string_equal(us.url[1], "http://t.example/q.png");
	us = U(state, "background:-webkit-image-set(url('http://t.example/w.png') 1x)");
	assert_int_equal(us.n, 1);
	assert_string_equal(us.url[0], "http://t.example/w.png");
	/* a quoted string outside url()/image-set() is text */
	us = U(state, "font-family:\"url(http://t.example/no.png)\"");
	assert_int_equal(us.n, 0);
}

static void test_null_callback_ok(void **state)
{
	/* no callback: URLs are not reported, style still parsed */
	pc_css_style st = S(state, "background:url(x.gif);display:none");
	assert_int_equal(st.display_none, 1);
}

/* ---- where each URL sits in the input (pc_css_*_spans) ---- */

typedef struct spans {
	const char *in;
	char url[MAXU][256];
	char raw[MAXU][256]; /* the input bytes of the span */
	size_t n, count;
	size_t last_end;
	bool ordered;
} spans;

static void on_span(void *ctx, const char *u, size_t n, const char *how, const char *prop, size_t begin, size_t end)
{
	(void)how;
	(void)prop;
	spans *sp = ctx;
	sp->count++;
	if (begin < sp->last_end || end < begin)
		sp->ordered = false;
	sp->last_end = end;
	if (sp->n >= MAXU)
		return;
	snprintf(sp->url[sp->n], sizeof sp->url[0], "%.*s", (int)n, u);
	snprintf(sp->raw[sp->n], sizeof sp->raw[0], "%.*s", (int)(end - begin), sp->in + begin);
	sp->n++;
}

static spans SPANS(void **state, const char *s, bool sheet)
{
	spans sp;
	memset(&sp, 0, sizeof sp);
	sp.in = s;
	sp.ordered = true;
	if (sheet)
		pc_css_scan_sheet_spans(*state, s, strlen(s), on_span, &sp);
	else {
		pc_css_style st;
		pc_css_style_init(&st);
		pc_css_parse_style_spans(*state, s, strlen(s), &st, on_span, &sp);
	}
	return sp;
}

static void test_sheet_spans(void **state)
{
	spans sp =
	    SPANS(state,
	          "/* url(http://no/) */ a{background:url( 'http://x/a.gif' )}\n"
	          "b{background:url(http://x/\\62 .gif)} c{background:url(http://x/c/**/d.gif)}\n"
	          "d{background:url(\"http://x/\\0.gif\")} @import url(http://x/i.css); @import \"http://x/j.css\";",
	          true);
	assert_int_equal(sp.n, 6);
	/* @import first, then the rest in order */
	assert_string_equal(sp.url[0], "http://x/i.css");
	assert_string_equal(sp.raw[0], "http://x/i.css");
	assert_string_equal(sp.url[1], "http://x/j.css");
	assert_string_equal(sp.raw[1], "http://x/j.css");
	assert_string_equal(sp.url[2], "http://x/a.gif");
	assert_string_equal(sp.raw[2], "http://x/a.gif");
	assert_string_equal(sp.url[3], "http://x/b.gif");
	assert_string_equal(sp.raw[3], "http://x/\\62 .gif"); /* the escape, its space too */
	/* inside an unquoted url() a comment opener no comment: the URL a browser
	 * fetches has it (CSS Syntax 3 4.3.6) */
	assert_string_equal(sp.url[4], "http://x/c/**/d.gif");
	assert_string_equal(sp.raw[4], "http://x/c/**/d.gif");
	assert_string_equal(sp.url[5], "http://x/\xef\xbf\xbd.gif"); /* \\0 is U+FFFD, longer than the escape */
	assert_string_equal(sp.raw[5], "http://x/\\0.gif");
}

static void test_style_spans(void **state)
{
	spans sp = SPANS(state,
	                 "color:red; /* x */ background : url(\"http://x/\\61 .gif\") ;"
	                 " list-style: url(http://x/l.png); b\\61 ckground:image-set('http://x/s.png' 1x)",
	                 false);
	assert_true(sp.ordered);
	assert_int_equal(sp.n, 3);
	assert_string_equal(sp.url[0], "http://x/a.gif");
	assert_string_equal(sp.raw[0], "http://x/\\61 .gif");
	assert_string_equal(sp.url[1], "http://x/l.png");
	assert_string_equal(sp.raw[1], "http://x/l.png");
	assert_string_equal(sp.url[2], "http://x/s.png");
	assert_string_equal(sp.raw[2], "http://x/s.png");
}

/* 100,000 escaped URLs (issue 13: each was searched for in the whole
 * input, and never found): one pass. */
static void test_spans_linear(void **state)
{
	(void)state;
	pc_arena *a = pc_arena_new(256u << 20);
	const char *one = ".c{background:url(http://t.example/\\31 .gif)}\n";
	size_t l = strlen(one), k = 100000;
	char *in = malloc(l * k + 1);
	assert_non_null(in);
	for (size_t i = 0; i < k; i++)
		memcpy(in + i * l, one, l);
	in[l * k] = '\0';
	spans sp;
	memset(&sp, 0, sizeof sp);
	sp.in = in;
	sp.ordered = true;
	pc_css_scan_sheet_spans(a, in, l * k, on_span, &sp);
	assert_int_equal(sp.count, k);
	assert_true(sp.ordered);
	assert_string_equal(sp.raw[MAXU - 1], "http://t.example/\\31 .gif");
	memset(&sp, 0, sizeof sp);
	sp.in = in;
	sp.ordered = true;
	pc_css_style st;
	pc_css_style_init(&st);
	pc_css_parse_style_spans(a, in, l * k, &st, on_span, &sp);
	assert_true(sp.ordered);
	free(in);
	pc_arena_free(a);
}

static unsigned MQ(const char *q)
{
	return pc_css_media(q, strlen(q));
}

/* @media queries, on the phone (bit 0, 375 px) and the desktop (bit 1) */
static void test_media_queries(void **state)
{
	(void)state;
	assert_int_equal(MQ(""), PC_CSS_MEDIA_ALL);
	assert_int_equal(MQ("screen"), PC_CSS_MEDIA_ALL);
	assert_int_equal(MQ("all"), PC_CSS_MEDIA_ALL);
	assert_int_equal(MQ("print"), 0);
	assert_int_equal(MQ("speech"), 0);
	assert_int_equal(MQ("not print"), PC_CSS_MEDIA_ALL);
	assert_int_equal(MQ("only screen and (max-width:480px)"), PC_CSS_NARROW);
	assert_int_equal(MQ("(max-width: 600px)"), PC_CSS_NARROW);
	assert_int_equal(MQ("(min-width:601px)"), PC_CSS_WIDE);
	assert_int_equal(MQ("(min-width:1px)"), PC_CSS_MEDIA_ALL);
	assert_int_equal(MQ("(max-device-width:480px)"), PC_CSS_NARROW);
	assert_int_equal(MQ("(max-width:30em)"), PC_CSS_NARROW); /* 480 px */
	assert_int_equal(MQ("(width >= 100px)"), PC_CSS_MEDIA_ALL);
	assert_int_equal(MQ("(width <= 600px)"), PC_CSS_NARROW);
	assert_int_equal(MQ("(400px <= width <= 1100px)"), PC_CSS_WIDE);
	assert_int_equal(MQ("print, (max-width:480px)"), PC_CSS_NARROW);
	assert_int_equal(MQ("screen and (orientation:portrait)"), PC_CSS_NARROW);
	assert_int_equal(MQ("(prefers-color-scheme: dark)"), 0);
	assert_int_equal(MQ("(prefers-color-scheme: light)"), PC_CSS_MEDIA_ALL);
	assert_int_equal(MQ("not all and (max-width:480px)"), PC_CSS_WIDE);
	assert_int_equal(MQ("(hover: hover)"), PC_CSS_WIDE);
	/* a feature not known here is taken as met: what hides behind it counts */
	assert_int_equal(MQ("(-webkit-min-device-pixel-ratio:2)"), PC_CSS_MEDIA_ALL);
	assert_int_equal(MQ("(some-future-feature: 3)"), PC_CSS_MEDIA_ALL);
	assert_int_equal(MQ("screen and (not (max-width:480px))"), PC_CSS_WIDE);
}

typedef struct rules {
	char sel[8][64];
	unsigned media[8];
	size_t n;
} rules;

static void on_rule(void *ctx, const char *sel, size_t n, const char *decl, size_t dn, unsigned media)
{
	(void)decl;
	(void)dn;
	rules *r = ctx;
	if (r->n < 8) {
		snprintf(r->sel[r->n], sizeof r->sel[0], "%.*s", (int)n, sel);
		r->media[r->n++] = media;
	}
}

static void test_sheet_each(void **state)
{
	(void)state;
	rules r = {0};
	const char *s = ".a{x:1} @media print{.p{display:none}} @media (max-width:480px){.m{x:1} @media (min-width:"
	                "100px){.n{x:1}}} @font-face{src:url(f)} @keyframes k{from{opacity:0}} @supports (x:y){.s{x:1}}"
	                " .b /* c{ */ , .c{content:\"}{\"} .d{x:1}";
	size_t total = pc_css_sheet_each(s, strlen(s), 100, on_rule, &r);
	assert_int_equal(r.n, 6); /* .p is print-only; @font-face and @keyframes hold no rules */
	assert_string_equal(r.sel[0], ".a");
	assert_int_equal(r.media[0], PC_CSS_MEDIA_ALL);
	assert_string_equal(r.sel[1], ".m");
	assert_int_equal(r.media[1], PC_CSS_NARROW);
	assert_string_equal(r.sel[2], ".n");
	assert_int_equal(r.media[2], PC_CSS_NARROW); /* nested: both conditions */
	assert_string_equal(r.sel[3], ".s");
	assert_string_equal(r.sel[4], ".b /* c{ */ , .c"); /* braces in comments and strings open nothing */
	assert_string_equal(r.sel[5], ".d");
	assert_true(total >= 7);
	/* max_rules bounds the rules read */
	rules q = {0};
	assert_int_equal(pc_css_sheet_each(".a{} .b{} .c{}", 14, 2, on_rule, &q), 2);
}

static void test_new_properties(void **state)
{
	pc_css_style st = S(state, "clip-path: inset(50%)");
	assert_true(pc_css_hides(&st));
	st = S(state, "clip-path: circle(0)");
	assert_true(pc_css_hides(&st));
	st = S(state, "clip-path: inset(10%)");
	assert_false(pc_css_hides(&st));
	st = S(state, "clip: rect(0,0,0,0)");
	assert_false(pc_css_hides(&st)); /* clip needs position */
	st = S(state, "position:absolute; clip: rect(0 0 0 0)");
	assert_true(pc_css_hides(&st));
	st = S(state, "transform: scale(0)");
	assert_true(pc_css_hides(&st));
	st = S(state, "transform: rotate(3deg) scaleY(0.01)");
	assert_true(pc_css_hides(&st));
	st = S(state, "transform: scale(1.2)");
	assert_false(pc_css_hides(&st));
	st = S(state, "transform: matrix(0,0,0,0,0,0)");
	assert_true(pc_css_hides(&st));
	st = S(state, "transform: translateX(-9999px)");
	assert_true(pc_css_hides(&st));
	st = S(state, "scale: 0");
	assert_true(pc_css_hides(&st));
	st = S(state, "filter: blur(2px) opacity(0)");
	assert_true(pc_css_hides(&st));
	st = S(state, "filter: opacity(50%)");
	assert_false(pc_css_hides(&st));
	st = S(state, "zoom: 0.01");
	assert_true(pc_css_hides(&st));
	st = S(state, "zoom: 0"); /* ignored by browsers */
	assert_false(pc_css_hides(&st));
	st = S(state, "margin: -1000px 0 0 0");
	assert_true(pc_css_hides(&st));
	st = S(state, "text-indent:-9999px");
	assert_int_equal(st.indent_out, 1);
	/* the cascade: a later merge wins, !important kept */
	pc_css_style a = S(state, "display:none !important; width:1px");
	pc_css_style b = S(state, "display:block; width:50px");
	pc_css_style o;
	pc_css_style_init(&o);
	pc_css_merge(&o, &a, a.set);
	pc_css_merge(&o, &b, b.set & ~o.important);
	assert_int_equal(o.display_none, 1);
	assert_int_equal(o.width.px, 50);
}

/* Strings and escapes as CSS Syntax 3 tokenizes them (red team, issue
 * 15): an escaped quote does not end a string, a newline ends one (a
 * bad string), comment markers inside a string open nothing and a quote
 * inside a comment or a bad url() opens nothing: the url() after each is
 * still found. */
static void test_sheet_strings_css3(void **state)
{
	urls u = SHEET(state, ".a{content:\"a\\\"b\"} .b{background:url(https://t.example/p1.gif)}");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "https://t.example/p1.gif");
	u = SHEET(state, ".a{content:'it\\'s'} .b{background:url(https://t.example/p2.gif)}");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "https://t.example/p2.gif");
	u = SHEET(state, ".a{content:\"open\n} .b{background:url(https://t.example/p3.gif)}");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "https://t.example/p3.gif");
	u = SHEET(state, ".a{content:\"/*\"} .b{background:url(https://t.example/p4.gif)} .c{content:\"*/\"}");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "https://t.example/p4.gif");
	u = SHEET(state, ".a{background:url(x'y)} /* ' */ .b{background:url(https://t.example/p5.gif)}");
	assert_int_equal(u.n, 1); /* url(x'y) is a bad url: not fetched */
	assert_string_equal(u.url[0], "https://t.example/p5.gif");
	u = SHEET(state, "/* it's */ .b{background:u\\72l(https://t.example/p6.gif)}");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "https://t.example/p6.gif");
	/* a string continued over a line by a backslash is one string */
	u = SHEET(state, ".a{content:\"x\\\ny\"} .b{background:url(\"https://t.example/p7\\\n.gif\")}");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "https://t.example/p7.gif");
	/* a url() whose string is cut by a newline is not fetched */
	u = SHEET(state,
	          ".a{background:url(\"https://t.example/no.gif\n)} .b{background:url(https://t.example/p8.gif)}");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "https://t.example/p8.gif");
	/* 1url( is a dimension, #url( a hash: neither is a url() */
	u = SHEET(state, ".a{x:1url(https://t.example/no1.gif) #url(https://t.example/no2.gif)}");
	assert_int_equal(u.n, 0);
}

/* The same in a style attribute: the declaration after a string a newline
 * ended (or with an escaped quote) is read, hiding and URLs. */
static void test_style_strings_css3(void **state)
{
	assert_int_equal(S(state, "content:\"x\n;display:none").display_none, 1);
	assert_int_equal(S(state, "content:\"a\\\";b\";display:none").display_none, 1);
	assert_int_equal(S(state, "content:\"/*\";display:none;content:\"*/\"").display_none, 1);
	assert_int_equal(S(state, "background:url(x'y);display:none").display_none, 1);
	assert_int_equal(S(state, "content:\"a;display:none\"").display_none, -1);
	urls u = U(state, "content:\"x\n;background:url(https://t.example/s1.gif)");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "https://t.example/s1.gif");
	u = U(state, "content:\"/*\";background:url(https://t.example/s2.gif);content:\"*/\"");
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "https://t.example/s2.gif");
}

/* The rule reader too: a brace or quote in a comment inside a rule's
 * declarations, or an escaped quote in a string, ends nothing. */
static void test_sheet_each_css3(void **state)
{
	(void)state;
	rules r = {0};
	const char *s = ".a{/* } it's */display:none} .b{content:\"\\\"}\";x:1} .c{background:url(x'}y)} .d{x:1}";
	pc_css_sheet_each(s, strlen(s), 100, on_rule, &r);
	assert_int_equal(r.n, 4);
	assert_string_equal(r.sel[0], ".a");
	assert_string_equal(r.sel[1], ".b");
	assert_string_equal(r.sel[2], ".c");
	assert_string_equal(r.sel[3], ".d");
	/* a comment before an at-rule or escapes in its name change nothing */
	rules q = {0};
	s = "/* x */@media print{.p{display:none}} @\\6d edia (max-width:480px){.m{x:1}} .q{x:1}";
	pc_css_sheet_each(s, strlen(s), 100, on_rule, &q);
	assert_int_equal(q.n, 2);
	assert_string_equal(q.sel[0], ".m");
	assert_int_equal(q.media[0], PC_CSS_NARROW);
	assert_string_equal(q.sel[1], ".q");
	/* a sheet for print (<style media=print>) applies nowhere */
	rules pr = {0};
	pc_css_sheet_each_in(".a{x:1}", 7, 100, pc_css_media("print", 5), on_rule, &pr);
	assert_int_equal(pr.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_media_queries),
	    cmocka_unit_test(test_sheet_each),
	    cmocka_unit_test_setup_teardown(test_new_properties, setup, teardown),
	    cmocka_unit_test(test_init_unset),
	    cmocka_unit_test_setup_teardown(test_display, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_visibility, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_opacity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sizes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overflow_position, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_offscreen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_escapes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_comments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_style_url_forms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_style_image_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_style_url_in_comment_ignored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sheet_urls, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sheet_import, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sheet_comments_ignored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sheet_empty, setup, teardown),
	    cmocka_unit_test(test_length_units),
	    cmocka_unit_test(test_length_attr),
	    cmocka_unit_test_setup_teardown(test_null_callback_ok, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sheet_spans, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_style_spans, setup, teardown),
	    cmocka_unit_test(test_spans_linear),
	    cmocka_unit_test_setup_teardown(test_escaped_separators, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_image_set_url_args, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sheet_strings_css3, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_style_strings_css3, setup, teardown),
	    cmocka_unit_test(test_sheet_each_css3),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
