/*
 * NAME
 *   sanitize - a mail's HTML body as an inert fragment for the console
 * SYNOPSIS
 *   pc_mime_global_init();                 once per process (charsets)
 *   pc_sanitize *s = pc_sanitize_new();    one per thread, reused
 *   pc_sanitize_stats st;
 *   size_t n;
 *   char *html = pc_sanitize_html(s, bytes, len, charset, &n, &st);
 *   ... put html[0, n) in the frame ...  free(html);
 *   pc_sanitize_free(s);
 * DESCRIPTION
 *   Every byte of a mail body is the attacker's. The body is parsed with
 *   MyHTML (libmodest: HTML5 tree construction, bounded first by
 *   parse/htmlcut.h) and a NEW document is written from its tree; no byte
 *   of markup is copied. `bytes` are in `charset` ("utf-8" when already
 *   converted; NULL: the <meta> prescan decides, else UTF-8), converted
 *   with pc_mime_to_utf8. Only the <body> is read.
 *
 *   What is written. Text, escaped (& < > " ' and '(' as references), its
 *   invalid UTF-8 as U+FFFD and the characters of pc_safetext_marked()
 *   (C0 and C1 controls but tab and line feed, bidi embeddings, overrides,
 *   isolates and marks, U+FEFF ...) as a visible <span class="pc-cc">
 *   ⟨U+202E⟩</span>. Elements from one list, in the HTML namespace only:
 *   div p blockquote pre center h1-h6 ul ol li dl dt dd hr br wbr table
 *   caption thead tbody tfoot tr td th span font b i u s strike em strong
 *   small big sub sup tt code kbd samp var cite dfn abbr acronym q mark
 *   ins del. Others are written as one of them: article, aside, section,
 *   header, footer, nav, main, figure, figcaption, hgroup, address,
 *   details, summary, dialog, fieldset, legend as div; menu and dir as ul;
 *   listing, xmp, plaintext as pre; nobr bdi time label ruby rb rt rp rtc
 *   blink as span.
 *   - a with href becomes <span class="pc-link" title="URL">: the URL is
 *     text in a title (escaped, marked, cut at PC_SANITIZE_URL_SHOWN
 *     characters), whatever its scheme, never a link. a without href, and
 *     unknown elements, body, form, button, marquee, picture, map, bdo
 *     (a bidi override) are unwrapped: the tag goes, the content stays.
 *   - img becomes <span class="pc-img" title="URL">[image: HOST WxH]
 *     </span> (HOST as parse/url.h reads it, or the scheme, "relative",
 *     "no source"; W and H from the attributes): no src, srcset or any
 *     URL the browser would load. input becomes "[input: TYPE]".
 *   - dropped with their content: script, style, noscript (content
 *     written for readers without scripts, and the classic parser
 *     differential), template (inert), title, meta, link, base, head
 *     things, param, source, track, area, option, optgroup, datalist,
 *     noembed, noframes, colgroup, col, and everything in SVG or MathML;
 *     shown as a <span class="pc-removed">[iframe removed]</span>: iframe
 *     (srcdoc too), frame, frameset, object, embed, applet, video, audio,
 *     canvas, textarea, select, meter, progress, svg, math.
 *   - attributes from one list, each value checked against what it may
 *     hold (numbers, colour words, a few keywords), else dropped: align
 *     valign width height colspan rowspan bgcolor color border cellpadding
 *     cellspacing dir (ltr, rtl, auto) face size nowrap noshade start type
 *     clear style. None of them carries a URL; class, id, on*, href, src,
 *     background, action, srcdoc ... are never written. Values are escaped
 *     for a double-quoted attribute.
 *   - style: each declaration is kept only when its property is on a list
 *     of box-bound presentation (colours, fonts, text, sizes, margins,
 *     padding, borders, display ...; no position, top/left, transform,
 *     z-index, unicode-bidi, content, cursor, behavior, -moz-binding) and
 *     its value is made of identifiers, numbers, hashes, simple strings,
 *     commas, slashes, !important and the functions rgb() rgba() hsl()
 *     hsla(): so no url(), image-set(), expression(), var(), comment,
 *     backslash escape or @-rule. Kept declarations are written again as
 *     "property:value" (the value's own tokens); a style attribute longer
 *     than PC_SANITIZE_STYLE_MAX is dropped whole. <style> elements are
 *     dropped (their rules would need selectors judged, and could hide our
 *     own marks).
 *
 *   How it cannot be read another way (mXSS). The fragment is meant to be
 *   the content of <body> in a no-quirks document (<!DOCTYPE html>): a
 *   sandboxed frame without scripts, under a Content-Security-Policy of
 *   default-src 'none' (style-src 'unsafe-inline' for the style
 *   attributes). The writer keeps its own stack of open elements and,
 *   before each start tag, closes explicitly what an HTML parser would
 *   close implicitly (a p before a block, an li before an li, a heading
 *   before a heading); table parts are written only in their own parent
 *   (tbody in table, tr in a row group, td in tr) and nothing else is
 *   written inside a table but cells: content the tree had elsewhere is
 *   unwrapped or, in a table, dropped. Every element it opens is closed;
 *   a pre starts with a line feed. Then the result is parsed again with
 *   MyHTML and compared with what was written (elements, attributes,
 *   text); a difference, which is a bug here, replaces the whole
 *   fragment with its text alone (stats.fallback).
 *
 *   Bounds. At most PC_SANITIZE_INPUT_MAX bytes are read, the parse is
 *   bounded by PC_SANITIZE_PARSE_DEPTH and PC_SANITIZE_NODES
 *   (parse/htmlcut.h; the rest is not shown and a visible note says so);
 *   elements are written at most PC_SANITIZE_DEPTH deep (below Blink's
 *   512, where a browser would start to flatten them) and deeper ones are
 *   unwrapped, a table only where all its levels fit; the output is at
 *   most PC_SANITIZE_OUT_MAX bytes, cut with a visible note, every element
 *   still closed. Every tree node is visited once, every value read once:
 *   work is linear in the input.
 *
 *   Our classes, for the console to style (nothing else carries a class):
 *   pc-link (a defused link; its URL in title), pc-img (an image's
 *   placeholder), pc-cc (a mark), pc-removed (an element shown as
 *   removed), pc-cut (a note that the input or the output was cut),
 *   pc-fallback (the text-only fragment).
 *
 *   Returns a malloc'd, NUL-terminated fragment (valid UTF-8) and its
 *   length in *outn, or NULL when out of memory or MyHTML failed. Not
 *   thread-safe: one pc_sanitize per thread.
 */
#ifndef PC_WEB_SANITIZE_H
#define PC_WEB_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

#define PC_SANITIZE_INPUT_MAX (8u << 20) /* bytes of HTML read */
#define PC_SANITIZE_PARSE_DEPTH 2048     /* nesting parsed (pc_html_cut's estimate), as the scan's default */
#define PC_SANITIZE_NODES 60000          /* elements and attributes parsed */
#define PC_SANITIZE_DEPTH 100            /* element nesting written */
#define PC_SANITIZE_OUT_MAX (2u << 20)   /* bytes written */
#define PC_SANITIZE_STYLE_MAX 4096       /* bytes of one style attribute judged */
#define PC_SANITIZE_URL_SHOWN 1024       /* characters of a link's or image's URL shown */

typedef struct pc_sanitize_stats {
	size_t elements_dropped;   /* not written, nor their content */
	size_t elements_unwrapped; /* not written, their content kept (depth cut included) */
	size_t attributes_dropped; /* of elements written: not on the list (href too), or a value it may not hold */
	size_t links_defused;      /* a href made a pc-link span */
	size_t images_replaced;    /* img (and input type=image) made a placeholder */
	size_t styles_dropped;     /* <style> elements (head too), style declarations, style attributes too long */
	size_t marked;             /* characters shown as ⟨U+XXXX⟩ */
	const char *input_cut;     /* NULL, "input_size", "html_depth" or "html_nodes": the rest was not read */
	bool depth_cut;            /* elements deeper than PC_SANITIZE_DEPTH were unwrapped */
	bool output_cut;           /* PC_SANITIZE_OUT_MAX reached */
	bool charset_unknown;      /* the declared charset is unknown: read as UTF-8 */
	bool fallback;             /* the fragment did not parse back as written: text only */
} pc_sanitize_stats;

typedef struct pc_sanitize pc_sanitize;

pc_sanitize *pc_sanitize_new(void);
void pc_sanitize_free(pc_sanitize *s);
char *pc_sanitize_html(pc_sanitize *s, const char *bytes, size_t n, const char *charset, size_t *outn,
                       pc_sanitize_stats *st);

#endif
