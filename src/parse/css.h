/*
 * NAME
 *   css - the little CSS that decides whether a remote resource is seen
 * SYNOPSIS
 *   pc_css_style st; pc_css_style_init(&st);
 *   pc_css_parse_style(style_attr, len, &st, on_url, ctx);
 *   pc_css_scan_sheet(style_block, len, on_url, ctx);
 * DESCRIPTION
 *   A style attribute is read as a declaration list: the properties that
 *   size or hide an element (display, visibility, opacity, width, height,
 *   max-width, max-height, overflow, position, left/top/right/bottom,
 *   margin-left/top) are kept; later declarations win (!important is
 *   stripped, not weighed: inline style has nothing else to compete with). Every url(...) and image-set("...") is
 * passed to on_url; in a style sheet every url(...) and @import "..." is. Comments and CSS escapes (\41, \;) are
 * decoded first, as a browser would. Hand-written: MyCSS (libmodest) has no public entry point for a bare declaration
 * list, and walking its typed value trees per property costs more than this whole scan (measured in the issue 2 closing
 * note).
 */
#ifndef PC_CSS_H
#define PC_CSS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/msg.h"

typedef struct pc_css_style {
	int display_none;      /* -1 unset, 0 shown, 1 none */
	int visibility_hidden; /* -1 unset, 0 visible, 1 hidden/collapse */
	int opacity_zero;      /* -1 unset, 0, 1 */
	pc_size width, height, max_width, max_height;
	int overflow_hidden; /* -1 unset, 0, 1 */
	bool positioned;     /* position: absolute or fixed */
	bool offscreen;      /* moved ≥ 500px out of view */
} pc_css_style;

typedef void (*pc_css_url_cb)(void *ctx, const char *url, size_t n, const char *how);

/* The same with where the URL sits in the input s: bytes [begin, end),
 * its escapes and any comment inside it included (what a rewriter
 * replaces). Found in one pass with the scan, whatever the URLs hold. */
typedef void (*pc_css_span_cb)(void *ctx, const char *url, size_t n, const char *how, size_t begin, size_t end);

void pc_css_style_init(pc_css_style *st);
void pc_css_parse_style(pc_arena *a, const char *s, size_t n, pc_css_style *st, pc_css_url_cb cb, void *ctx);
void pc_css_scan_sheet(pc_arena *a, const char *s, size_t n, pc_css_url_cb cb, void *ctx);
void pc_css_parse_style_spans(pc_arena *a, const char *s, size_t n, pc_css_style *st, pc_css_span_cb cb, void *ctx);
void pc_css_scan_sheet_spans(pc_arena *a, const char *s, size_t n, pc_css_span_cb cb, void *ctx);
/* The rules of a style sheet that hide or show what they select, in one
 * pass: for each selector (comma-separated, trimmed) of a top-level rule
 * whose declarations hide (display:none, visibility:hidden, opacity:0,
 * zero max size), on_hide(ctx, selector, len, style); for each selector
 * of a rule inside an at-rule block (@media, @supports ...) that gives a
 * visible display or visibility, on_reveal(ctx, selector, len, NULL):
 * responsive mail uses those to show what the top level hides. At most
 * max_rules rules are read. */
typedef void (*pc_css_rule_cb)(void *ctx, const char *sel, size_t n, const pc_css_style *st);
void pc_css_sheet_rules(pc_arena *a, const char *s, size_t n, size_t max_rules, pc_css_rule_cb on_hide,
                        pc_css_rule_cb on_reveal, void *ctx);

/* HTML width/height attribute or CSS length: px (pt, em, rem converted), or %. */
pc_size pc_css_length(const char *s, size_t n, bool attr);

#endif
