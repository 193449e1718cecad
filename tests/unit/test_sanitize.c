/*
 * Unit tests for web/sanitize: a table of hostile HTML, each checked for
 * the properties the console relies on (tests/unit/sanitize_props.h: no
 * script, handler, URL attribute or url(), and the fragment parses back
 * to the elements it spells), for what it must still show, and for the
 * counts; the style filter; the bounds (depth, a 1 MB attribute, the
 * output ceiling); charsets; and random mixtures of the hostile pieces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "parse/mime.h"
#include "sanitize_props.h"
#include "web/sanitize.h"
#include "web/sanitize_impl.h"

typedef struct fixture {
	pc_sanitize *s;
	myhtml_t *myhtml;
	myhtml_tree_t *tree;
	char *out;
	size_t n;
	pc_sanitize_stats st;
} fixture;

static int setup(void **state)
{
	pc_mime_global_init();
	fixture *fx = calloc(1, sizeof *fx);
	fx->s = pc_sanitize_new();
	fx->myhtml = myhtml_create();
	myhtml_init(fx->myhtml, MyHTML_OPTIONS_PARSE_MODE_SINGLE, 1, 0);
	fx->tree = myhtml_tree_create();
	myhtml_tree_init(fx->tree, fx->myhtml);
	*state = fx;
	return fx->s ? 0 : -1;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	pc_sanitize_free(fx->s);
	myhtml_tree_destroy(fx->tree);
	myhtml_destroy(fx->myhtml);
	free(fx->out);
	free(fx);
	return 0;
}

/* Sanitises bytes; every property must hold and the writer's own
 * read-back must not have needed the fallback. */
static const char *S_n(void **state, const char *html, size_t len, const char *charset)
{
	fixture *fx = *state;
	free(fx->out);
	fx->out = pc_sanitize_html(fx->s, html, len, charset, &fx->n, &fx->st);
	assert_non_null(fx->out);
	assert_int_equal(strlen(fx->out), fx->n);
	const char *why = sanitize_props(fx->tree, fx->out, fx->n);
	if (why)
		fail_msg("%s\ninput: %.300s\noutput: %.2000s", why, html, fx->out);
	if (fx->st.fallback)
		fail_msg("fallback\ninput: %.300s\noutput: %.2000s", html, fx->out);
	return fx->out;
}

static const char *S(void **state, const char *html)
{
	return S_n(state, html, strlen(html), NULL);
}

static void has(const char *out, const char *s)
{
	if (!strstr(out, s))
		fail_msg("missing %s in\n%.2000s", s, out);
}

static void lacks(const char *out, const char *s)
{
	if (props_has(out, strlen(out), s))
		fail_msg("unexpected %s in\n%.2000s", s, out);
}

/* Input, what the output must contain, what it must not (either may be NULL). */
static const struct hostile {
	const char *html, *must, *mustnot;
} HOSTILE[] = {
    {"<script>alert(1)</script>x", "x", "alert"},
    {"<SCRIPT SRC=//evil/x.js></SCRIPT>", NULL, "evil"},
    {"<img src=x onerror=alert(1)>", "[image: relative x]", "alert"},
    {"<IMG SRC=\"https://t.example/p.gif?id=7\" WIDTH=1 HEIGHT=1 ONLOAD=alert(1)>", "[image: t.example 1x1]", "alert"},
    {"<img srcset=\"https://s.example/a.png 1x, https://s.example/b.png 2x\">", "[image: s.example]", NULL},
    {"<img src=\"data:image/png;base64,AAAA\" alt=\"logo\">", "[image: data:image/png;base64 \"logo\"]", NULL},
    {"<img src=\"cid:part1@x\">", "[image: cid:part1@x]", NULL},
    {"<img>", "[image: no source]", NULL},
    {"<a href=\"javascript:alert(1)\">click</a>",
     "<span class=\"pc-link\" title=\"javascript:alert&#40;1)\">click</span>", NULL},
    {"<a href=\"https://bank.example/login\" onclick=\"steal()\">Bank</a>", "title=\"https://bank.example/login\"",
     "steal"},
    {"<a name=top>anchor</a>", "anchor", "pc-link"},
    {"<a href=x><a href=y>nested</a></a>", "nested", NULL},
    {"<svg><script>alert(1)</script></svg>after", "[svg removed]", "alert"},
    {"<svg><image href=\"//x/i.png\"/><a xlink:href=\"javascript:alert(1)\"><text>t</text></a></svg>", "[svg removed]",
     "alert"},
    {"<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">", NULL, "alert"},
    {"<svg><![CDATA[</svg><img src=x onerror=alert(1)>]]></svg>", NULL, "alert"},
    {"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", NULL, "alert"},
    {"<math><mi><xmp></mi><img src=x onerror=alert(1)></xmp>", NULL, "alert"},
    {"<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>", NULL, "alert"},
    {"<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>", NULL, "alert"},
    {"<p><noscript><img src=x onerror=alert(1)></noscript></p>", NULL, "alert"},
    {"<template><img src=x onerror=alert(1)></template>shown", "shown", "pc-img"},
    {"<template><script>alert(1)</script></template>", NULL, "alert"},
    {"<style>@import \"//evil/x.css\"; body{background:url(//x)}</style>text", "text", "import"},
    {"<div style=\"background:url(//x/y.png)\">a</div>", "<div>a</div>", "background"},
    {"<meta http-equiv=refresh content=\"0;url=//evil/\">m", "m", "refresh"},
    {"<base href=\"//evil/\"><a href=rel>r</a>", "title=\"rel\"", "evil"},
    {"<link rel=stylesheet href=//evil/x.css>", NULL, "evil"},
    {"<form action=\"//evil/post\"><input type=password name=p><button formaction=//evil/y>Go</button></form>",
     "[input: password]</span>Go", "evil"},
    {"<input type=image src=//evil/i.png>", "[input: image]", "evil"},
    {"<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe>", "[iframe removed]", "alert"},
    {"<iframe src=\"javascript:alert(1)\">fallback</iframe>", "[iframe removed]", "alert"},
    {"<object data=\"//evil/x.swf\"><param name=movie value=x></object>", "[object removed]", "evil"},
    {"<embed src=//evil/x>", "[embed removed]", "evil"},
    {"<applet code=x.class>a</applet>", "[applet removed]", NULL},
    {"<video poster=//evil/p.png><source src=//evil/v.mp4></video>", "[video removed]", "evil"},
    {"<frameset><frame src=//evil/></frameset>", NULL, "evil"},
    {"<table background=//evil/b.png><tr><td background=//evil/c.png>cell</td></tr></table>", "<td>cell</td>", "evil"},
    {"<body background=//evil/b.png onload=alert(1)>body</body>", "body", "alert"},
    {"<blockquote cite=//evil/>q</blockquote><q cite=//evil/>q</q>", "<blockquote>q</blockquote>", "evil"},
    {"<img src=x longdesc=//evil/ usemap=#m><map name=m><area href=//evil/ shape=rect></map>", NULL, "evil"},
    {"<picture><source srcset=//evil/a.webp><img src=https://ok.example/a.png></picture>", "[image: ok.example]",
     "evil"},
    {"<div title=\"a&#34;b\" align=\"left&quot; onmouseover=alert(1)\">q</div>", "<div>q</div>", "alert"},
    {"<a href='x\"onmouseover=\"alert(1)'>t</a>", "title=\"x&quot;onmouseover=&quot;alert&#40;1)\"", NULL},
    {"<a href=\"x&#34; onclick=&#34;alert(1)\">t</a>", "title=\"x&quot; onclick=&quot;alert&#40;1)\"", NULL},
    {"<font face='a\"b' color=red size=+2>f</font>", "<font color=\"red\" size=\"+2\">f</font>", NULL},
    {"<!-- --!><img src=x onerror=alert(1)> -->", "pc-img", "alert"},
    {"<!--><img src=x onerror=alert(2)>-->", "pc-img", "alert"},
    {"<![CDATA[<img src=x onerror=alert(1)>]]>", NULL, "alert"},
    {"<x-foo onclick=alert(1)>custom</x-foo>", "custom", "alert"},
    {"<p><button><div>in button</div></button>after", "in button", NULL},
    {"<li>x<button><li>y</button></li>", "y", NULL},
    {"<h1>a<button><h2>b</h2></button></h1>", "b", NULL},
    {"<dd><button><dt>z</button>", "z", NULL},
    {"<p><b><table><tr><td>t</table>more</b>", "<td>t</td>", NULL},
    {"<table><b>fostered</b><tr><td>y</table>", "fostered", NULL},
    {"<table><form><input type=hidden name=x></form><tr><td>z</table>", "z", NULL},
    {"<table><caption>cap</caption><colgroup><col width=1></colgroup><thead><tr><th>h</th></tr></thead></table>",
     "<caption>cap</caption>", "col"},
    {"<select><option><img src=//evil/></option></select>", "[select removed]", "evil"},
    {"<xmp><b>not bold</b></xmp>", "&lt;b&gt;not bold", NULL},
    {"<plaintext><b>rest", "&lt;b&gt;rest", NULL},
    {"<pre>\n\nx</pre>", "<pre>\n\nx</pre>", NULL},
    {"<textarea><img src=x onerror=alert(1)></textarea>", "[textarea removed]", "alert"},
    {"<bdo dir=rtl>gnp.exe</bdo>", "gnp.exe", "rtl"},
    {"<div dir=RTL>r</div><div dir=\"rtl; x\">s</div>", "<div dir=\"rtl\">r</div><div>s</div>", NULL},
    {"<marquee onstart=alert(1)>m</marquee>", "m", "alert"},
    {"<details open ontoggle=alert(1)><summary>s</summary>d</details>", "<div><div>s</div>d</div>", "alert"},
    {"<isindex action=//evil/>", NULL, "evil"},
    {"<a href=\"&#x6A;avascript:alert(1)\">t</a>", "title=\"javascript:alert&#40;1)\"", NULL},
    {"<div style=\"color:red\\;background:url(x)\">e</div>", "<div>e</div>", NULL},
    {"<div style=\"col\\6f r:red;background:u\\rl(x)\">e</div>", "<div>e</div>", NULL},
    {"<div style=\"width:1px;/*x*/background:url(x)\">e</div>", "style=\"width:1px;\"", NULL},
    {"<div style='list-style:url(x);font-family:\"a;b\"'>e</div>", "<div>e</div>", NULL},
    {"<div style=\"position:fixed;top:0;left:0;z-index:9;width:100%\">o</div>", "style=\"width:100%;\"", "fixed"},
    {"<div style=\"background-image:image-set('x.png' 1x);behavior:url(x.htc);-moz-binding:url(x)\">b</div>",
     "<div>b</div>", NULL},
    {"<div style=\"width:expression(alert(1));color:#f00\">e</div>", "style=\"color:#f00;\"", "alert"},
    {"<div style=\"unicode-bidi:bidi-override;direction:rtl;transform:scale(9)\">b</div>", "style=\"direction:rtl;\"",
     "bidi"},
    {"<span style=\"font-family:&quot;Times New Roman&quot;, serif;margin:0 auto !important;color:rgb(1, 2, "
     "3)\">f</span>",
     "style=\"font-family:&quot;Times New Roman&quot;, serif;margin:0 auto !important;color:rgb&#40;1, 2, 3);\"", NULL},
    {"<span style=\"color:var(--x);background:attr(x);color:rgb(calc(1),2,3)\">v</span>", "<span>v</span>", NULL},
};

static void test_hostile_table(void **state)
{
	for (size_t i = 0; i < sizeof HOSTILE / sizeof HOSTILE[0]; i++) {
		const char *out = S(state, HOSTILE[i].html);
		if (HOSTILE[i].must)
			has(out, HOSTILE[i].must);
		if (HOSTILE[i].mustnot)
			lacks(out, HOSTILE[i].mustnot);
	}
}

static void test_counts(void **state)
{
	fixture *fx = *state;
	S(state, "<p onclick=x>a <a href=//l/>l</a> <img src=//i/> <script>s</script> <x-y>u</x-y>"
	         "<style>p{}</style><div style=\"color:red;background:url(x)\">d</div> \xe2\x80\xae</p>");
	assert_int_equal(fx->st.links_defused, 1);
	assert_int_equal(fx->st.images_replaced, 1);
	assert_int_equal(fx->st.elements_dropped, 1);   /* script */
	assert_int_equal(fx->st.elements_unwrapped, 1); /* x-y */
	assert_int_equal(fx->st.styles_dropped, 2);     /* <style>, the background declaration */
	assert_int_equal(fx->st.marked, 1);
	assert_true(fx->st.attributes_dropped >= 2); /* onclick, href */
	assert_null(fx->st.input_cut);
	assert_false(fx->st.output_cut || fx->st.depth_cut || fx->st.fallback);
	S(state, "<html><head><style>a{}</style><style>b{}</style><title>t</title></head><body>x</body></html>");
	assert_int_equal(fx->st.styles_dropped, 2);
	assert_int_equal(fx->st.elements_dropped, 0);
}

static void test_text_marks(void **state)
{
	/* bidi, isolates, marks, C0, C1, BOM; invalid UTF-8 (a stray byte, a
	 * surrogate, a truncated sequence at the end) */
	static const char in[] = "<p>invoice\xe2\x80\xae"
	                         "fdp.exe a\xe2\x81\xa6"
	                         "b\xe2\x80\x8f"
	                         "c\x01"
	                         "d\xc2\x85"
	                         "e\xef\xbb\xbf"
	                         "f\xff"
	                         "g\xed\xa0\x80"
	                         "h\x0c"
	                         "i\xe2\x82";
	const char *out = S_n(state, in, sizeof in - 1, "utf-8");
	has(out, "invoice<span class=\"pc-cc\">\xe2\x9f\xa8U+202E\xe2\x9f\xa9</span>fdp.exe");
	has(out, "\xe2\x9f\xa8U+2066\xe2\x9f\xa9");
	has(out, "\xe2\x9f\xa8U+200F\xe2\x9f\xa9");
	has(out, "\xe2\x9f\xa8U+0001\xe2\x9f\xa9");
	has(out, "\xe2\x9f\xa8U+0085\xe2\x9f\xa9");
	has(out, "\xe2\x9f\xa8U+FEFF\xe2\x9f\xa9");
	has(out, "\xe2\x9f\xa8U+000C\xe2\x9f\xa9");
	has(out, "f\xef\xbf\xbd");
	/* in a title: marks without a span */
	out = S(state, "<a href=\"https://x.example/\xe2\x80\xaegpj.exe\">t</a>");
	has(out, "title=\"https://x.example/\xe2\x9f\xa8U+202E\xe2\x9f\xa9gpj.exe\"");
}

static void test_charsets(void **state)
{
	const char *out = S_n(state, "<p>\x80 caf\xe9</p>", 11, "windows-1252");
	has(out, "\xe2\x82\xac caf\xc3\xa9");
	/* no charset given: the <meta> decides */
	static const char koi[] = "<meta charset=\"koi8-r\"><p>\xf0\xd2\xc9\xd7\xc5\xd4</p>";
	out = S_n(state, koi, sizeof koi - 1, NULL);
	has(out, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"); /* Привет */
	fixture *fx = *state;
	S_n(state, "<p>x</p>", 8, "x-no-such-charset");
	assert_true(fx->st.charset_unknown);
	/* empty and absent input */
	out = S_n(state, "", 0, NULL);
	assert_string_equal(out, "");
	free(fx->out);
	fx->out = pc_sanitize_html(fx->s, NULL, 5, NULL, &fx->n, &fx->st);
	assert_non_null(fx->out);
	assert_int_equal(fx->n, 0);
}

static void test_deep_tables(void **state)
{
	fixture *fx = *state;
	GString *g = g_string_new(NULL);
	for (int i = 0; i < 10000; i++)
		g_string_append(g, "<table><tr><td>");
	g_string_append(g, "deep");
	for (int i = 0; i < 10000; i++)
		g_string_append(g, "</td></tr></table>");
	S_n(state, g->str, g->len, "utf-8");
	assert_true(fx->st.depth_cut);
	assert_non_null(fx->st.input_cut);
	has(fx->out, "[cut: ");
	g_string_truncate(g, 0);
	for (int i = 0; i < 100000; i++)
		g_string_append(g, "<div><span><b>");
	S_n(state, g->str, g->len, "utf-8");
	assert_true(fx->st.depth_cut);
	g_string_truncate(g, 0);
	for (int i = 0; i < 5000; i++) /* formatting elements cloned into every paragraph */
		g_string_append_printf(g, "<b id=%d><p>x</p>", i);
	S_n(state, g->str, g->len, "utf-8");
	g_string_free(g, TRUE);
}

static void test_big_values(void **state)
{
	fixture *fx = *state;
	size_t big = 1u << 20;
	GString *g = g_string_new("<div title=\"");
	for (size_t i = 0; i < big; i++)
		g_string_append_c(g, 'a');
	g_string_append(g, "\" style=\"");
	for (size_t i = 0; i < big / 10; i++)
		g_string_append(g, "color:red;");
	g_string_append(g, "\">x</div><a href=\"javascript:");
	for (size_t i = 0; i < big; i++)
		g_string_append_c(g, 'j');
	g_string_append(g, "\">l</a>");
	const char *out = S_n(state, g->str, g->len, "utf-8");
	has(out, "<div>x</div>");
	assert_true(fx->st.styles_dropped >= 1);
	assert_true(fx->n < 8192); /* the URL is cut at PC_SANITIZE_URL_SHOWN characters */
	g_string_free(g, TRUE);
}

static void test_output_ceiling(void **state)
{
	fixture *fx = *state;
	GString *g = g_string_new("<div><b>");
	for (int i = 0; i < 800000; i++)
		g_string_append(g, "&lt;\xe2\x80\xae");
	S_n(state, g->str, g->len, "utf-8");
	assert_true(fx->st.output_cut);
	assert_true(fx->n <= PC_SANITIZE_OUT_MAX);
	has(fx->out, "</b></div><div class=\"pc-cut\">");
	/* one long text fills the view (it is cut, not dropped) */
	g_string_truncate(g, 0);
	g_string_append(g, "<p>");
	for (int i = 0; i < 3000000; i++)
		g_string_append_c(g, 'x');
	S_n(state, g->str, g->len, "utf-8");
	assert_true(fx->st.output_cut);
	assert_true(fx->n > PC_SANITIZE_OUT_MAX - 8192);
	g_string_free(g, TRUE);
}

/* MyHTML copies a text node each time text is appended to it across an
 * ignored tag: the parse is bounded by parse/htmlcut.h, so these take
 * megabytes, not gigabytes (getrusage: the process's peak). */
static void test_text_merges(void **state)
{
	fixture *fx = *state;
	static const char *const unit[] = {"x</foo>", "x<td>", "<body>x", "x<tr>", "x<!---->"};
	static const char *const prefix[] = {"", "", "", "<table>", "<table>"};
	for (size_t k = 0; k < sizeof unit / sizeof unit[0]; k++) {
		GString *g = g_string_new(prefix[k]);
		for (int i = 0; i < 300000; i++)
			g_string_append(g, unit[k]);
		S_n(state, g->str, g->len, "utf-8");
		assert_non_null(fx->st.input_cut);
		g_string_free(g, TRUE);
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		if (ru.ru_maxrss > 1024 * 1024) /* kB */
			fail_msg("%s: peak RSS %ld kB", unit[k], ru.ru_maxrss);
	}
	/* and a text of many references reads back in linear time */
	GString *g = g_string_new("<p>");
	for (int i = 0; i < 300000; i++)
		g_string_append(g, "x&amp;");
	S_n(state, g->str, g->len, "utf-8");
	g_string_free(g, TRUE);
}

/* Random mixtures of hostile pieces (fixed seed): the properties hold for
 * every one. */
static void test_mixtures(void **state)
{
	static const char *const pieces[] = {
	    "<p>",
	    "</p>",
	    "<li>",
	    "<dd>",
	    "<dt>",
	    "<h1>",
	    "</h1>",
	    "<h2>",
	    "<button>",
	    "</button>",
	    "<table>",
	    "</table>",
	    "<tr>",
	    "<td>",
	    "</td>",
	    "<th>",
	    "<caption>",
	    "<tbody>",
	    "<b>",
	    "</b>",
	    "<i>",
	    "<a href=x>",
	    "</a>",
	    "<div>",
	    "</div>",
	    "<pre>\n",
	    "</pre>",
	    "<ul>",
	    "</ul>",
	    "<ol>",
	    "<form>",
	    "</form>",
	    "<select>",
	    "<option>",
	    "<svg>",
	    "</svg>",
	    "<math>",
	    "<mtext>",
	    "<mglyph>",
	    "<style>",
	    "</style>",
	    "<img src=y>",
	    "text",
	    "\xe2\x80\xae",
	    "<noscript>",
	    "<template>",
	    "<xmp>",
	    "</xmp>",
	    "<object>",
	    "<font color=red>",
	    "<center>",
	    "<hr>",
	    "<br>",
	    "<nobr>",
	    "<marquee>",
	    "<!--",
	    "-->",
	    "<![CDATA[",
	    "]]>",
	    "<frameset>",
	    "<body>",
	    "<html>",
	    "<head>",
	    "<plaintext>",
	    "<textarea>",
	    "<iframe>",
	    "</iframe>",
	    "<colgroup>",
	    "<col>",
	    "<input>",
	    "<dl>",
	    "<blockquote>",
	    "<span style=\"color:red\">",
	    "<q>",
	    "<ruby><rt>",
	    "<foreignObject>",
	    "<desc>",
	    "<annotation-xml encoding=text/html>",
	    "<x-y>",
	    "&amp;",
	    "<",
	    ">",
	    "\"",
	};
	unsigned seed = 12345;
	GString *g = g_string_new(NULL);
	for (int round = 0; round < 4000; round++) {
		g_string_truncate(g, 0);
		seed = seed * 1103515245u + 12345u;
		int k = 1 + (int)((seed >> 16) % 40);
		for (int j = 0; j < k; j++) {
			seed = seed * 1103515245u + 12345u;
			g_string_append(g, pieces[(seed >> 16) % (sizeof pieces / sizeof pieces[0])]);
		}
		S_n(state, g->str, g->len, "utf-8");
	}
	g_string_free(g, TRUE);
}

/* The checks themselves: the oracle of sanitize_props.h and the writer's
 * own read-back (sanitize_check.c) refuse fragments a browser would read
 * another way. */
static void test_checks_refuse(void **state)
{
	fixture *fx = *state;
	static const char *const bad[] = {
	    "<table>x</table>",                   /* text fostered out of the table */
	    "<table><tr><td>x</td></tr></table>", /* an implied tbody */
	    "<p><div>x</div></p>",                /* the div closes the p */
	    "<li>a<li>b</li></li>",               /* the second li closes the first */
	    "<h1><h2>x</h2></h1>",                /* a heading closes a heading */
	    "<b><p>x</b></p>",                    /* misnested: the adoption agency */
	    "<img src=x>",                        /* not ours */
	    "<span onclick=\"x\">a</span>",       /* a handler */
	    "<span class=\"ok\">a</span>",        /* a class not ours */
	    "<span style=\"background:url&#40;x)\">a</span>",
	    "<div title=\"a\">x", /* never closed */
	    "<span title=\"a\" title=\"b\">x</span>",
	    "a\xe2\x80\xae"
	    "b", /* a raw bidi override */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (!sanitize_props(fx->tree, bad[i], strlen(bad[i])))
			fail_msg("the oracle accepts %s", bad[i]);
	}
	static const char *const back[] = {"<table>x</table>",     "<p><div>x</div></p>",
	                                   "<li>a<li>b</li></li>", "<h1><h2>x</h2></h1>",
	                                   "<b><p>x</b></p>",      "<span title=\"a\" title=\"b\">x</span>",
	                                   "<div>&#41;</div>"};
	for (size_t i = 0; i < sizeof back / sizeof back[0]; i++)
		if (pc_sanitize_reads_back(fx->tree, back[i], strlen(back[i])))
			fail_msg("the read-back accepts %s", back[i]);
	static const char *const good[] = {"<pre>\nx</pre>", "<p>a</p><div>b</div>",
	                                   "<table><tbody><tr><td>x</td></tr></tbody></table>",
	                                   "<span title=\"&quot;&#40;\">&lt;&amp;</span>"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_true(pc_sanitize_reads_back(fx->tree, good[i], strlen(good[i])));
		assert_null(sanitize_props(fx->tree, good[i], strlen(good[i])));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hostile_table),  cmocka_unit_test(test_counts),
	    cmocka_unit_test(test_text_marks),     cmocka_unit_test(test_charsets),
	    cmocka_unit_test(test_deep_tables),    cmocka_unit_test(test_big_values),
	    cmocka_unit_test(test_output_ceiling), cmocka_unit_test(test_mixtures),
	    cmocka_unit_test(test_checks_refuse),  cmocka_unit_test(test_text_merges),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
