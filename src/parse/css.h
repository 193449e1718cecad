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
 * passed to on_url; in a style sheet every url(...) and @import "..." is. The input is read as CSS Syntax Level 3
 * tokens (pc_css_next_token): strings end at their quote or a newline, escapes (\41, \;) are decoded per token,
 * comments separate tokens, a bad url() is not reported, as a browser would. Hand-written: MyCSS (libmodest) has no
 * public entry point for a bare declaration list, and walking its typed value trees per property costs more than this
 * whole scan (measured in the issue 2 closing note).
 */
#ifndef PC_CSS_H
#define PC_CSS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/msg.h"

/* The properties a pc_css_style knows, as bits of `set` (declared) and
 * `important` (declared !important): what the cascade weighs. */
enum {
	PC_CSS_P_DISPLAY = 1u << 0,
	PC_CSS_P_VISIBILITY = 1u << 1,
	PC_CSS_P_OPACITY = 1u << 2,
	PC_CSS_P_WIDTH = 1u << 3,
	PC_CSS_P_HEIGHT = 1u << 4,
	PC_CSS_P_MAX_WIDTH = 1u << 5,
	PC_CSS_P_MAX_HEIGHT = 1u << 6,
	PC_CSS_P_OVERFLOW = 1u << 7,
	PC_CSS_P_POSITION = 1u << 8,
	PC_CSS_P_OFFSET = 1u << 9,  /* left/top/right/bottom */
	PC_CSS_P_MARGIN = 1u << 10, /* margin-left/top */
	PC_CSS_P_CLIP = 1u << 11,   /* clip, clip-path */
	PC_CSS_P_TRANSFORM = 1u << 12,
	PC_CSS_P_FILTER = 1u << 13,
	PC_CSS_P_INDENT = 1u << 14, /* text-indent */
	PC_CSS_P_ZOOM = 1u << 15,
};

typedef struct pc_css_style {
	int display_none;      /* -1 unset, 0 shown, 1 none */
	int visibility_hidden; /* -1 unset, 0 visible, 1 hidden/collapse */
	int opacity_zero;      /* -1 unset, 0, 1 */
	pc_size width, height, max_width, max_height;
	int overflow_hidden; /* -1 unset, 0, 1 */
	bool positioned;     /* position: absolute or fixed */
	bool offscreen;      /* moved ≥ 500px out of view (pc_css_settle) */
	int offset_out;      /* -1 unset; 1: left/top/right/bottom <= -500px */
	int margin_out;      /* -1 unset; 1: margin-left/top <= -500px */
	int clip_zero;       /* -1 unset; 1: clip-path leaves nothing; 2: clip: rect() does, when positioned */
	int transform_zero;  /* -1 unset; 1: scaled to (nearly) nothing or moved out of view */
	int filter_hidden;   /* -1 unset; 1: filter: opacity(0) */
	int indent_out;      /* -1 unset; 1: text-indent <= -500px (inline content moved out) */
	int zoom_zero;       /* -1 unset; 1: zoom below 5% */
	unsigned set;        /* PC_CSS_P_* declared */
	unsigned important;  /* PC_CSS_P_* declared !important */
} pc_css_style;

/* Copies into `to` the properties of `from` named by `mask` (and set
 * there): the cascade applies declarations in increasing precedence. */
void pc_css_merge(pc_css_style *to, const pc_css_style *from, unsigned mask);
/* Derives `offscreen` from position and offsets (after merging). */
void pc_css_settle(pc_css_style *st);
/* True when the style alone hides what it applies to (display, visibility,
 * opacity, zero max size, clip, transform, filter, zoom, offscreen). */
bool pc_css_hides(const pc_css_style *st);

typedef void (*pc_css_url_cb)(void *ctx, const char *url, size_t n, const char *how);

/* The same with where the URL sits in the input s: bytes [begin, end),
 * its escapes and any comment inside it included (what a rewriter
 * replaces). Found in one pass with the scan, whatever the URLs hold. */
/* prop: the property the URL is in, lower case ("background-image",
 * "src" in @font-face, "" for @import or when not known); valid during
 * the call only. */
typedef void (*pc_css_span_cb)(void *ctx, const char *url, size_t n, const char *how, const char *prop, size_t begin,
                               size_t end);

void pc_css_style_init(pc_css_style *st);
void pc_css_parse_style(pc_arena *a, const char *s, size_t n, pc_css_style *st, pc_css_url_cb cb, void *ctx);
void pc_css_scan_sheet(pc_arena *a, const char *s, size_t n, pc_css_url_cb cb, void *ctx);
void pc_css_parse_style_spans(pc_arena *a, const char *s, size_t n, pc_css_style *st, pc_css_span_cb cb, void *ctx);
void pc_css_scan_sheet_spans(pc_arena *a, const char *s, size_t n, pc_css_span_cb cb, void *ctx);
/* Every url() of a bare property value (an SVG fill="url(...)"
 * attribute), reported with `prop` and its place in s, as "style". */
void pc_css_scan_value_spans(pc_arena *a, const char *s, size_t n, const char *prop, pc_css_span_cb cb, void *ctx);
/* Every rule of a style sheet, in order, with the media it applies in:
 * bit 0 (PC_CSS_NARROW) a 375 px wide screen, bit 1 (PC_CSS_WIDE) a
 * 1024 px wide one. @media queries are evaluated for both (print-only,
 * dark-scheme-only and other conditions a mail client does not meet:
 * neither); @supports, @layer, @container and @document pass their rules
 * through; the contents of other at-rules (@font-face, @keyframes, @page
 * ...) are not rules. `sel` is the selector list as written (comments
 * inside it included), `decl` the declaration block. At most max_rules
 * rules; nesting deeper than 32 blocks is not read. Returns the number of
 * rules reported. (css_sheet.c) */
enum { PC_CSS_NARROW = 1u, PC_CSS_WIDE = 2u, PC_CSS_MEDIA_ALL = 3u };
typedef void (*pc_css_each_cb)(void *ctx, const char *sel, size_t seln, const char *decl, size_t decln, unsigned media);
size_t pc_css_sheet_each(const char *s, size_t n, size_t max_rules, pc_css_each_cb cb, void *ctx);
/* The same for a sheet that applies only where `media` (PC_CSS_* bits)
 * says: <style media="..."> (pc_css_media of the attribute). */
size_t pc_css_sheet_each_in(const char *s, size_t n, size_t max_rules, unsigned media, pc_css_each_cb cb, void *ctx);
/* A media query list (the prelude of @media, after the keyword) evaluated
 * for the two screens: PC_CSS_* bits. */
unsigned pc_css_media(const char *s, size_t n);

/* One token of CSS Syntax Level 3 (section 4) at s[i]: [b, e) the token;
 * [vb, ve) the name of an ident, function (without '('), at-keyword (without
 * '@') or hash, the inside of a string (without quotes) or the URL of an
 * unquoted url(...) (white space around it left out), escapes not decoded.
 * bad: a string a newline ended, or a url() with a quote, '(' or control
 * byte in it (a browser fetches neither). url( followed by a quote is a
 * FUNCTION and the string a STRING token, as in the spec. At least one
 * byte is consumed (e > i) unless i >= n (EOF). All scans in css.c and
 * css_sheet.c read CSS through this. */
enum {
	PC_CSS_T_EOF,
	PC_CSS_T_WS,
	PC_CSS_T_COMMENT,
	PC_CSS_T_STRING,
	PC_CSS_T_URL,
	PC_CSS_T_FUNCTION,
	PC_CSS_T_IDENT,
	PC_CSS_T_AT,
	PC_CSS_T_HASH,
	PC_CSS_T_NUMBER, /* number, percentage or dimension */
	PC_CSS_T_DELIM,
	PC_CSS_T_COLON,
	PC_CSS_T_SEMI,
	PC_CSS_T_LBRACE,
	PC_CSS_T_RBRACE,
	PC_CSS_T_LPAREN,
	PC_CSS_T_RPAREN,
	PC_CSS_T_LBRACKET,
	PC_CSS_T_RBRACKET,
};
typedef struct pc_css_tok {
	int kind;
	size_t b, e, vb, ve;
	bool bad;
} pc_css_tok;
void pc_css_next_token(const char *s, size_t n, size_t i, pc_css_tok *t);
/* Whether the name s[0, n) (a token's [vb, ve)), its escapes decoded, is
 * w (lower case), ASCII case-insensitively. */
bool pc_css_name_is(const char *s, size_t n, const char *w);

/* HTML width/height attribute or CSS length: px (pt, em, rem converted), or %. */
pc_size pc_css_length(const char *s, size_t n, bool attr);

#endif
