/*
 * NAME
 *   css - style attribute and style sheet scanner (see css.h)
 */
#include "parse/css.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OFFSCREEN_PX 500

void pc_css_style_init(pc_css_style *st)
{
	st->display_none = st->visibility_hidden = st->opacity_zero = st->overflow_hidden = -1;
	st->width = st->height = st->max_width = st->max_height = (pc_size){PC_SIZE_UNKNOWN, -1};
	st->positioned = st->offscreen = false;
	st->offset_out = st->margin_out = st->clip_zero = st->transform_zero = st->filter_hidden = st->indent_out =
	    st->zoom_zero = -1;
	st->set = st->important = 0;
}

void pc_css_merge(pc_css_style *to, const pc_css_style *from, unsigned mask)
{
	unsigned m = mask & from->set;
	if (!m)
		return;
#define TAKE(bit, field)                                                                                               \
	if (m & (bit))                                                                                                 \
		to->field = from->field;
	TAKE(PC_CSS_P_DISPLAY, display_none)
	TAKE(PC_CSS_P_VISIBILITY, visibility_hidden)
	TAKE(PC_CSS_P_OPACITY, opacity_zero)
	TAKE(PC_CSS_P_WIDTH, width)
	TAKE(PC_CSS_P_HEIGHT, height)
	TAKE(PC_CSS_P_MAX_WIDTH, max_width)
	TAKE(PC_CSS_P_MAX_HEIGHT, max_height)
	TAKE(PC_CSS_P_OVERFLOW, overflow_hidden)
	TAKE(PC_CSS_P_POSITION, positioned)
	TAKE(PC_CSS_P_OFFSET, offset_out)
	TAKE(PC_CSS_P_MARGIN, margin_out)
	TAKE(PC_CSS_P_CLIP, clip_zero)
	TAKE(PC_CSS_P_TRANSFORM, transform_zero)
	TAKE(PC_CSS_P_FILTER, filter_hidden)
	TAKE(PC_CSS_P_INDENT, indent_out)
	TAKE(PC_CSS_P_ZOOM, zoom_zero)
#undef TAKE
	to->set |= m;
	to->important = (to->important & ~m) | (from->important & m);
}

void pc_css_settle(pc_css_style *st)
{
	/* left/top only move an element when it is positioned; a margin moves
	 * it anyway; clip only cuts a positioned element */
	st->offscreen = (st->positioned && st->offset_out == 1) || st->margin_out == 1;
}

bool pc_css_hides(const pc_css_style *st)
{
	return st->display_none == 1 || st->visibility_hidden == 1 || st->opacity_zero == 1 || st->max_width.px == 0 ||
	       st->max_height.px == 0 || st->max_width.pct == 0 || st->max_height.pct == 0 || st->clip_zero == 1 ||
	       (st->clip_zero == 2 && st->positioned) || /* clip: rect() cuts a positioned box only */
	       st->transform_zero == 1 || st->filter_hidden == 1 || st->zoom_zero == 1 || st->offscreen;
}

static size_t put_utf8(char *o, unsigned long cp)
{
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The escape at s[i] ('\\', with a byte after it): the bytes it takes.
 * ESC_HEX: 1-6 hex digits and one optional white space, code point *cp;
 * ESC_CHAR: any other byte, itself (*cp); ESC_NEWLINE: a line
 * continuation, nothing. */
enum { ESC_HEX, ESC_CHAR, ESC_NEWLINE };

static size_t escape_at(const char *s, size_t n, size_t i, unsigned long *cp, int *kind)
{
	size_t k = i + 1, d = 0;
	*cp = 0;
	while (k < n && d < 6 && isxdigit((unsigned char)s[k])) {
		int c = tolower((unsigned char)s[k]);
		*cp = *cp * 16 + (unsigned long)(isdigit(c) ? c - '0' : c - 'a' + 10);
		k++;
		d++;
	}
	if (d) {
		if (k < n && isspace((unsigned char)s[k]))
			k++;
		*kind = ESC_HEX;
		return k - i;
	}
	*kind = s[i + 1] == '\n' ? ESC_NEWLINE : ESC_CHAR;
	*cp = (unsigned char)s[i + 1];
	return 2;
}

/* CSS escapes decoded: \41 (1-6 hex digits and one optional white space)
 * and \x. Output is at most 2n bytes (a 2-byte escape may give 3 bytes of
 * UTF-8; 4-byte code points need 5+ input bytes). */
static char *css_unescape(pc_arena *a, const char *s, size_t n, size_t *outn)
{
	if (!memchr(s, '\\', n)) {
		*outn = n;
		return (char *)s;
	}
	char *o = pc_arena_alloc(a, n * 2 + 4);
	if (!o)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < n;) {
		if (s[i] == '\\' && i + 1 < n) {
			unsigned long cp;
			int kind;
			i += escape_at(s, n, i, &cp, &kind);
			if (kind == ESC_HEX)
				j += put_utf8(o + j, cp);
			else if (kind == ESC_CHAR)
				o[j++] = (char)cp;
			continue;
		}
		o[j++] = s[i++];
	}
	*outn = j;
	return o;
}

/* ---- the tokenizer (CSS Syntax Level 3, section 4) ----
 * Every scan of this file reads its input through pc_css_next_token, so
 * a string, a comment or a url() ends where a browser ends it: an escaped
 * quote does not end a string, a newline does (a bad string); a comment
 * marker inside a string or a url() is not one; a quote inside a comment
 * or a bad url() opens nothing. One call consumes at least one byte and
 * reads each byte a bounded number of times: a scan is linear. CR and FF
 * are newlines (the preprocessing step would make them LF). */

static bool nl(char c)
{
	return c == '\n' || c == '\r' || c == '\f';
}

static bool ws(char c)
{
	return c == ' ' || c == '\t' || nl(c);
}

/* ASCII letters as the CSS spec says (isalpha is a call per byte, and
 * would follow a locale) */
static bool name_start(unsigned char c)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' || c >= 0x80;
}

static bool name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

/* A backslash at s[i] that starts an escape (not a line continuation);
 * one at the very end is an escape too (of U+FFFD). */
static bool valid_escape(const char *s, size_t n, size_t i)
{
	return i < n && s[i] == '\\' && (i + 1 >= n || !nl(s[i + 1]));
}

static size_t escape_len(const char *s, size_t n, size_t i)
{
	if (i + 1 >= n)
		return 1;
	unsigned long cp;
	int kind;
	return escape_at(s, n, i, &cp, &kind);
}

static bool starts_ident(const char *s, size_t n, size_t i)
{
	if (i >= n)
		return false;
	unsigned char c = (unsigned char)s[i];
	if (c == '-')
		return i + 1 < n &&
		       (name_start((unsigned char)s[i + 1]) || s[i + 1] == '-' || valid_escape(s, n, i + 1));
	return name_start(c) || valid_escape(s, n, i);
}

static size_t consume_name(const char *s, size_t n, size_t i)
{
	while (i < n) {
		if (name_char((unsigned char)s[i]))
			i++;
		else if (valid_escape(s, n, i))
			i += escape_len(s, n, i);
		else
			break;
	}
	return i;
}

static bool starts_number(const char *s, size_t n, size_t i)
{
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < n && isdigit((unsigned char)s[i]))
		return true;
	return i + 1 < n && s[i] == '.' && isdigit((unsigned char)s[i + 1]);
}

static size_t consume_number(const char *s, size_t n, size_t i)
{
	if (s[i] == '+' || s[i] == '-')
		i++;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	if (i + 1 < n && s[i] == '.' && isdigit((unsigned char)s[i + 1]))
		for (i++; i < n && isdigit((unsigned char)s[i]);)
			i++;
	if (i + 1 < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t k = i + 1;
		if (k < n && (s[k] == '+' || s[k] == '-'))
			k++;
		if (k < n && isdigit((unsigned char)s[k]))
			for (i = k; i < n && isdigit((unsigned char)s[i]);)
				i++;
	}
	if (starts_ident(s, n, i))
		return consume_name(s, n, i); /* a dimension */
	return i < n && s[i] == '%' ? i + 1 : i;
}

/* A string from the quote at s[i]: value [vb, ve), bad when a newline
 * ended it (the newline is not part of the token). */
static void consume_string(const char *s, size_t n, size_t i, pc_css_tok *t)
{
	char q = s[i];
	size_t k = i + 1;
	t->kind = PC_CSS_T_STRING;
	t->vb = k;
	while (k < n) {
		if (s[k] == q) {
			t->ve = k;
			t->e = k + 1;
			return;
		}
		if (nl(s[k])) {
			t->bad = true;
			break;
		}
		if (s[k] == '\\' && k + 1 < n) {
			/* an escape, or a backslash-newline continuation (CR LF is one newline) */
			k += (s[k + 1] == '\r' && k + 2 < n && s[k + 2] == '\n') ? 3 : escape_len(s, n, k);
			continue;
		}
		k++;
	}
	t->ve = t->e = k;
}

/* An unquoted url( after "url(" and white space at s[i]: the URL up to
 * ')' (white space only before it), bad on a quote, '(', a control byte
 * or a backslash-newline; a bad one runs to the next ')' whatever. */
static void consume_url(const char *s, size_t n, size_t i, pc_css_tok *t)
{
	t->kind = PC_CSS_T_URL;
	t->vb = i;
	size_t k = i;
	while (k < n) {
		unsigned char c = (unsigned char)s[k];
		if (c == ')') {
			t->ve = k;
			t->e = k + 1;
			return;
		}
		if (ws((char)c)) {
			t->ve = k;
			while (k < n && ws(s[k]))
				k++;
			if (k >= n) {
				t->e = n;
				return;
			}
			if (s[k] == ')') {
				t->e = k + 1;
				return;
			}
			t->bad = true;
			break;
		}
		if (c == '"' || c == '\'' || c == '(' || c < 0x09 || c == 0x0b || (c >= 0x0e && c < 0x20) ||
		    c == 0x7f) {
			t->bad = true;
			break;
		}
		if (c == '\\') {
			if (!valid_escape(s, n, k)) {
				t->bad = true;
				break;
			}
			k += escape_len(s, n, k);
			continue;
		}
		k++;
	}
	if (!t->bad) {
		t->ve = t->e = n;
		return;
	}
	while (k < n && s[k] != ')')
		k += valid_escape(s, n, k) ? escape_len(s, n, k) : 1;
	t->ve = k;
	t->e = k < n ? k + 1 : n;
}

static bool name_is(const char *s, size_t n, const char *w);

bool pc_css_name_is(const char *s, size_t n, const char *w)
{
	return name_is(s, n, w);
}

void pc_css_next_token(const char *s, size_t n, size_t i, pc_css_tok *t)
{
	t->kind = 0;
	t->bad = false;
	t->b = t->vb = i;
	t->e = t->ve = i + 1;
	if (i >= n) {
		t->kind = PC_CSS_T_EOF;
		t->e = t->ve = n;
		return;
	}
	unsigned char c = (unsigned char)s[i];
	if (c == '/' && i + 1 < n && s[i + 1] == '*') {
		size_t k = i + 2;
		while (k + 1 < n && !(s[k] == '*' && s[k + 1] == '/'))
			k++;
		t->kind = PC_CSS_T_COMMENT;
		t->e = k + 1 < n ? k + 2 : n;
		return;
	}
	if (ws((char)c)) {
		size_t k = i;
		while (k < n && ws(s[k]))
			k++;
		t->kind = PC_CSS_T_WS;
		t->e = k;
		return;
	}
	if (c == '"' || c == '\'') {
		consume_string(s, n, i, t);
		return;
	}
	if (starts_number(s, n, i)) {
		t->kind = PC_CSS_T_NUMBER;
		t->e = consume_number(s, n, i);
		return;
	}
	if (starts_ident(s, n, i)) {
		size_t k = consume_name(s, n, i);
		t->ve = k;
		t->e = k;
		if (k >= n || s[k] != '(') {
			t->kind = PC_CSS_T_IDENT;
			return;
		}
		t->e = k + 1;
		t->kind = PC_CSS_T_FUNCTION;
		if (!name_is(s + i, k - i, "url"))
			return;
		/* url( then white space: a quote makes it a function whose
		 * argument is a string token; else the whole url( is one token */
		size_t j = k + 1;
		while (j < n && ws(s[j]))
			j++;
		if (j < n && (s[j] == '"' || s[j] == '\''))
			return;
		consume_url(s, n, j, t);
		return;
	}
	switch (c) {
	case '@':
	case '#':
		if (starts_ident(s, n, i + 1) ||
		    (c == '#' && i + 1 < n && (name_char((unsigned char)s[i + 1]) || valid_escape(s, n, i + 1)))) {
			t->kind = c == '@' ? PC_CSS_T_AT : PC_CSS_T_HASH;
			t->vb = i + 1;
			t->ve = t->e = consume_name(s, n, i + 1);
			return;
		}
		break;
	case ':':
		t->kind = PC_CSS_T_COLON;
		return;
	case ';':
		t->kind = PC_CSS_T_SEMI;
		return;
	case '{':
		t->kind = PC_CSS_T_LBRACE;
		return;
	case '}':
		t->kind = PC_CSS_T_RBRACE;
		return;
	case '(':
		t->kind = PC_CSS_T_LPAREN;
		return;
	case ')':
		t->kind = PC_CSS_T_RPAREN;
		return;
	case '[':
		t->kind = PC_CSS_T_LBRACKET;
		return;
	case ']':
		t->kind = PC_CSS_T_RBRACKET;
		return;
	default:
		break;
	}
	t->kind = PC_CSS_T_DELIM; /* a lone '\\' before a newline too */
}

/* Whether the name s (escapes in it decoded) is w, ASCII case-insensitively. */
static bool name_is(const char *s, size_t n, const char *w)
{
	size_t j = 0, wl = strlen(w);
	for (size_t i = 0; i < n;) {
		unsigned long cp;
		if (s[i] == '\\' && i + 1 < n) {
			int kind;
			i += escape_at(s, n, i, &cp, &kind);
			if (kind == ESC_NEWLINE)
				continue;
		} else
			cp = (unsigned char)s[i++];
		if (j >= wl || cp >= 0x80 || tolower((int)cp) != w[j])
			return false;
		j++;
	}
	return j == wl;
}

/* Where the scans report to: the caller's callback, and the property the
 * URL is in. */
typedef struct sink {
	pc_css_span_cb cb;
	void *ctx;
	char prop[32]; /* the property whose value is being scanned, lower case ("" unknown) */
} sink;

/* Reports the URL whose escaped text is s[b, e) (where it sits: what a
 * rewriter replaces), decoded. */
static void emit(pc_arena *a, sink *k, const char *s, size_t b, size_t e, const char *how)
{
	size_t un;
	const char *u = css_unescape(a, s + b, e - b, &un);
	if (u)
		k->cb(k->ctx, u, un, how, k->prop, b, e);
}

/* The old callbacks, without positions. */
typedef struct plain_cb {
	pc_css_url_cb cb;
	void *ctx;
} plain_cb;

static void drop_span(void *ctx, const char *u, size_t n, const char *how, const char *prop, size_t begin, size_t end)
{
	(void)prop;
	(void)begin;
	(void)end;
	const plain_cb *p = ctx;
	p->cb(p->ctx, u, n, how);
}

pc_size pc_css_length(const char *s, size_t n, bool attr)
{
	pc_size r = {PC_SIZE_UNKNOWN, -1};
	size_t i = 0;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	bool neg = false;
	if (i < n && (s[i] == '-' || s[i] == '+')) {
		neg = s[i] == '-';
		i++;
	}
	double v = 0;
	bool digits = false;
	while (i < n && isdigit((unsigned char)s[i])) {
		if (v < 1e7)
			v = v * 10 + (s[i] - '0');
		i++;
		digits = true;
	}
	if (i < n && s[i] == '.') {
		i++;
		double f = 0.1;
		while (i < n && isdigit((unsigned char)s[i])) {
			v += f * (s[i] - '0');
			f /= 10;
			i++;
			digits = true;
		}
	}
	if (!digits)
		return r;
	if (neg)
		v = -v;
	char unit[8] = "";
	size_t u = 0;
	while (i < n && u + 1 < sizeof unit && (isalpha((unsigned char)s[i]) || s[i] == '%'))
		unit[u++] = (char)tolower((unsigned char)s[i++]);
	unit[u] = '\0';
	if (!strcmp(unit, "%")) {
		r.pct = (int)v;
		return r;
	}
	double px;
	if (!u || !strcmp(unit, "px"))
		px = v;
	else if (attr) /* HTML dimension attributes ignore trailing garbage */
		px = v;
	else if (!strcmp(unit, "pt"))
		px = v * 4 / 3;
	else if (!strcmp(unit, "em") || !strcmp(unit, "rem"))
		px = v * 16;
	else if (!strcmp(unit, "cm"))
		px = v * 96 / 2.54;
	else if (!strcmp(unit, "mm"))
		px = v * 96 / 25.4;
	else if (!strcmp(unit, "in"))
		px = v * 96;
	else if (!strcmp(unit, "vw") || !strcmp(unit, "vh") || !strcmp(unit, "ch") || !strcmp(unit, "ex"))
		px = v == 0 ? 0 : (v > 0 ? 8 * v : -8 * -v); /* rough: enough to tell 0 and tiny */
	else
		return r;
	if (px > 1e7)
		px = 1e7;
	if (px < -1e7)
		px = -1e7;
	r.px = (int)(px >= 0 ? px + 0.5 : px - 0.5);
	if (r.px == 0 && px > 0)
		r.px = 1; /* 0.3px still renders a pixel */
	if (neg && attr)
		r.px = PC_SIZE_UNKNOWN;
	return r;
}

/* Whether s[0..n) is the lower-case literal w, ASCII case-insensitively.
 * A macro so the length is the literal's and compared first: apply_decl
 * tries some thirty names on every declaration. */
#define word_eq(s, n, w) word_eq_n(s, n, "" w, sizeof(w) - 1)

static bool word_eq_n(const char *s, size_t n, const char *w, size_t l)
{
	if (n != l)
		return false;
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)s[i]) != w[i])
			return false;
	return true;
}

static bool starts_ci(const char *s, size_t n, const char *w)
{
	size_t l = strlen(w);
	if (n < l)
		return false;
	for (size_t i = 0; i < l; i++)
		if (tolower((unsigned char)s[i]) != w[i])
			return false;
	return true;
}

static void set_prop(sink *k, pc_arena *a, const char *nm, size_t nn)
{
	const char *d = css_unescape(a, nm, nn, &nn);
	size_t i = 0;
	for (; d && i < nn && i + 1 < sizeof k->prop; i++)
		k->prop[i] = (char)tolower((unsigned char)d[i]);
	k->prop[i] = '\0';
}

enum { SCAN_ALL, SCAN_IMPORT_ONLY, SCAN_NO_IMPORT };

/* Whether s may hold a url(), image-set() or -webkit-image-set()
 * function: false only when there is none. A function token's name ends
 * right before its '(' and, with no backslash in s (an escape could spell
 * it), is those very bytes. Most style attributes have none, and scanning
 * them was 3% of a corpus scan. */
static bool may_have_url(const char *s, size_t n)
{
	if (memchr(s, '\\', n))
		return true;
	for (const char *p = s; (p = memchr(p, '(', (size_t)(s + n - p))); p++) {
		size_t i = (size_t)(p - s);
		if ((i >= 3 && strncasecmp(p - 3, "url", 3) == 0) ||
		    (i >= 9 && strncasecmp(p - 9, "image-set", 9) == 0))
			return true;
	}
	return false;
}

/* Every url(), the strings of image-set() and (in a sheet) @import in the
 * CSS s, as tokens: other strings are text (font-family: "url(x)" loads
 * nothing), and neither a bad url() nor a url("...") whose string a
 * newline cut is fetched. In a declaration list (a style attribute) only
 * the values of declarations are read. */
static void scan_urls(pc_arena *a, const char *s, size_t n, sink *k, const char *how, int mode, bool bare)
{
	bool sheet = how[0] == '<';
	/* what is reported comes from those functions, or from @import in a
	 * sheet (an AT token starts with a '@' byte) */
	if (!(mode != SCAN_IMPORT_ONLY && may_have_url(s, n)) &&
	    !(sheet && mode != SCAN_NO_IMPORT && memchr(s, '@', n)))
		return;
	int set_depth = 0;       /* > 0 inside image-set( ... ) */
	bool url_fn = false;     /* after url( whose argument is a string */
	int import = 0;          /* 1 after @import, 2 after @import url( */
	size_t ident = SIZE_MAX; /* the ident a ':' would make a property name */
	size_t identn = 0;
	bool in_decl = sheet || bare; /* a ':' was seen since the last ';' */
	pc_css_tok t;
	for (size_t i = 0; i < n; i = t.e) {
		pc_css_next_token(s, n, i, &t);
		if (t.kind == PC_CSS_T_WS || t.kind == PC_CSS_T_COMMENT)
			continue;
		bool was_url_fn = url_fn, imp = import > 0;
		url_fn = false;
		if (import == 1 && t.kind != PC_CSS_T_STRING && t.kind != PC_CSS_T_URL &&
		    !(t.kind == PC_CSS_T_FUNCTION && name_is(s + t.vb, t.ve - t.vb, "url")))
			import = 0;
		else if (import == 2 && t.kind != PC_CSS_T_STRING)
			import = 0;
		bool report = mode == SCAN_ALL || (mode == SCAN_IMPORT_ONLY) == imp;
		switch (t.kind) {
		case PC_CSS_T_IDENT:
			if (!set_depth) {
				ident = t.b;
				identn = t.e - t.b;
			}
			continue;
		case PC_CSS_T_COLON:
			if (ident != SIZE_MAX && !set_depth) {
				set_prop(k, a, s + ident, identn);
				in_decl = true;
			}
			break;
		case PC_CSS_T_SEMI:
		case PC_CSS_T_LBRACE:
		case PC_CSS_T_RBRACE:
			k->prop[0] = '\0';
			in_decl = sheet || bare;
			set_depth = 0;
			break;
		case PC_CSS_T_AT:
			if (sheet && name_is(s + t.vb, t.ve - t.vb, "import"))
				import = 1;
			break;
		case PC_CSS_T_URL:
			import = 0;
			if (!t.bad && in_decl && report)
				emit(a, k, s, t.vb, t.ve, imp ? "@import" : how);
			break;
		case PC_CSS_T_STRING:
			import = 0;
			if (!t.bad && in_decl && report && (was_url_fn || set_depth > 0 || imp))
				emit(a, k, s, t.vb, t.ve, imp ? "@import" : how);
			break;
		case PC_CSS_T_FUNCTION:
			if (name_is(s + t.vb, t.ve - t.vb, "url")) {
				url_fn = true;
				if (import == 1)
					import = 2;
			}
			if (set_depth > 0)
				set_depth++;
			else if (name_is(s + t.vb, t.ve - t.vb, "image-set") ||
			         name_is(s + t.vb, t.ve - t.vb, "-webkit-image-set"))
				set_depth = 1;
			break;
		case PC_CSS_T_LPAREN:
			if (set_depth > 0)
				set_depth++;
			break;
		case PC_CSS_T_RPAREN:
			if (set_depth > 0)
				set_depth--;
			break;
		default:
			break;
		}
		ident = SIZE_MAX;
	}
}

/* A number at s (at most 31 bytes of it read). */
static double num_at(const char *s, size_t n)
{
	char b[32];
	if (n >= sizeof b)
		n = sizeof b - 1;
	memcpy(b, s, n);
	b[n] = '\0';
	return strtod(b, NULL);
}

/* The numbers of a function's arguments "f(a, b c)" from s (just after
 * '('): up to max lengths, as pc_css_length reads them (plain numbers
 * too); returns how many. */
static size_t fn_args(const char *s, size_t n, pc_size *out, double *num, size_t max)
{
	size_t k = 0, i = 0;
	while (i < n && s[i] != ')' && k < max) {
		while (i < n && (isspace((unsigned char)s[i]) || s[i] == ','))
			i++;
		size_t b = i;
		while (i < n && !isspace((unsigned char)s[i]) && s[i] != ',' && s[i] != ')')
			i++;
		if (i == b)
			break;
		out[k] = pc_css_length(s + b, i - b, false);
		num[k] = num_at(s + b, i - b);
		k++;
	}
	return k;
}

/* clip-path that leaves nothing: inset(>= 50%), circle(0), ellipse(0 0),
 * polygon whose points are all one. */
static int clip_path_zero(const char *v, size_t vn)
{
	pc_size a[8];
	double d[8];
	if (starts_ci(v, vn, "inset(")) {
		size_t k = fn_args(v + 6, vn - 6, a, d, 4);
		for (size_t i = 0; i < k; i++)
			if (a[i].pct >= 50)
				return 1;
		return 0;
	}
	if (starts_ci(v, vn, "circle(") || starts_ci(v, vn, "ellipse(")) {
		size_t o = starts_ci(v, vn, "circle(") ? 7 : 8;
		size_t k = fn_args(v + o, vn - o, a, d, 2);
		for (size_t i = 0; i < k; i++)
			if (a[i].px == 0 || a[i].pct == 0)
				return 1;
		return 0;
	}
	if (starts_ci(v, vn, "polygon(")) {
		size_t k = fn_args(v + 8, vn - 8, a, d, 8);
		if (k < 2)
			return 1;
		for (size_t i = 2; i < k; i++)
			if (a[i].px != a[i % 2].px || a[i].pct != a[i % 2].pct)
				return 0;
		return 1;
	}
	return 0;
}

/* clip: rect(top right bottom left) of no area (2: it needs position). */
static int clip_rect_zero(const char *v, size_t vn)
{
	pc_size a[4];
	double d[4];
	if (!starts_ci(v, vn, "rect("))
		return 0;
	if (fn_args(v + 5, vn - 5, a, d, 4) != 4)
		return 0;
	bool h0 = a[0].px != PC_SIZE_UNKNOWN && a[2].px != PC_SIZE_UNKNOWN && a[2].px <= a[0].px;
	bool w0 = a[1].px != PC_SIZE_UNKNOWN && a[3].px != PC_SIZE_UNKNOWN && a[1].px <= a[3].px;
	return h0 || w0 ? 2 : 0;
}

/* transform: a scale to under 5% in one axis, a matrix that flattens, or
 * a translation of 500px or more out of view. */
static int transform_zero(const char *v, size_t vn)
{
	static const char *const fns[] = {"scale(",    "scalex(",    "scaley(",     "scale3d(",    "matrix(",
	                                  "matrix3d(", "translate(", "translatex(", "translatey(", "translate3d("};
	for (size_t i = 0; i < vn; i++) {
		if (!isalpha((unsigned char)v[i]) || (i && (isalnum((unsigned char)v[i - 1]) || v[i - 1] == '-')))
			continue;
		for (size_t f = 0; f < sizeof fns / sizeof fns[0]; f++) {
			size_t fl = strlen(fns[f]);
			if (!starts_ci(v + i, vn - i, fns[f]))
				continue;
			pc_size a[16];
			double d[16];
			size_t k = fn_args(v + i + fl, vn - i - fl, a, d, 16);
			if (f <= 3) {
				for (size_t j = 0; j < k && j < 3; j++)
					if (fabs(d[j]) < 0.05)
						return 1;
			} else if (f == 4 && k == 6) {
				if (fabs(d[0] * d[3] - d[1] * d[2]) < 0.0025)
					return 1;
			} else if (f == 5 && k == 16) {
				if (fabs(d[0]) < 0.05 || fabs(d[5]) < 0.05)
					return 1;
			} else if (f >= 6) {
				for (size_t j = 0; j < k && j < 2; j++)
					if (a[j].px != PC_SIZE_UNKNOWN && a[j].px <= -OFFSCREEN_PX)
						return 1;
			}
			i += fl - 1;
			break;
		}
	}
	return 0;
}

/* One declaration into st; returns its PC_CSS_P_* bit (0: not kept). */
static unsigned apply_decl(pc_css_style *st, const char *name, size_t nn, const char *v, size_t vn)
{
	if (word_eq(name, nn, "display")) {
		st->display_none = word_eq(v, vn, "none");
		return PC_CSS_P_DISPLAY;
	}
	if (word_eq(name, nn, "visibility")) {
		st->visibility_hidden = word_eq(v, vn, "hidden") || word_eq(v, vn, "collapse");
		return PC_CSS_P_VISIBILITY;
	}
	if (word_eq(name, nn, "opacity")) {
		pc_size l = pc_css_length(v, vn, false);
		st->opacity_zero = (l.px == 0 && l.pct < 0) || l.pct == 0;
		return PC_CSS_P_OPACITY;
	}
	if (word_eq(name, nn, "width")) {
		st->width = pc_css_length(v, vn, false);
		return PC_CSS_P_WIDTH;
	}
	if (word_eq(name, nn, "height")) {
		st->height = pc_css_length(v, vn, false);
		return PC_CSS_P_HEIGHT;
	}
	if (word_eq(name, nn, "max-width")) {
		st->max_width = pc_css_length(v, vn, false);
		return PC_CSS_P_MAX_WIDTH;
	}
	if (word_eq(name, nn, "max-height")) {
		st->max_height = pc_css_length(v, vn, false);
		return PC_CSS_P_MAX_HEIGHT;
	}
	if (word_eq(name, nn, "overflow")) {
		st->overflow_hidden = starts_ci(v, vn, "hidden") || starts_ci(v, vn, "clip");
		return PC_CSS_P_OVERFLOW;
	}
	if (word_eq(name, nn, "position")) {
		st->positioned = word_eq(v, vn, "absolute") || word_eq(v, vn, "fixed");
		return PC_CSS_P_POSITION;
	}
	if (word_eq(name, nn, "clip")) {
		st->clip_zero = clip_rect_zero(v, vn);
		return PC_CSS_P_CLIP;
	}
	if (word_eq(name, nn, "clip-path") || word_eq(name, nn, "-webkit-clip-path")) {
		st->clip_zero = clip_path_zero(v, vn);
		return PC_CSS_P_CLIP;
	}
	if (word_eq(name, nn, "transform") || word_eq(name, nn, "-webkit-transform") || word_eq(name, nn, "scale") ||
	    word_eq(name, nn, "translate")) {
		if (word_eq(name, nn, "scale") || word_eq(name, nn, "translate")) {
			/* the individual properties: "scale: 0", "translate: -9999px" */
			char buf[64];
			int l =
			    snprintf(buf, sizeof buf, "%s(%.*s)", word_eq(name, nn, "scale") ? "scale" : "translate",
			             (int)(vn < 40 ? vn : 40), v);
			st->transform_zero = transform_zero(buf, l > 0 ? (size_t)l : 0);
		} else
			st->transform_zero = transform_zero(v, vn);
		return PC_CSS_P_TRANSFORM;
	}
	if (word_eq(name, nn, "filter") || word_eq(name, nn, "-webkit-filter")) {
		st->filter_hidden = 0;
		for (size_t i = 0; i + 8 <= vn; i++)
			if (starts_ci(v + i, vn - i, "opacity(")) {
				pc_size a[1];
				double d[1];
				if (fn_args(v + i + 8, vn - i - 8, a, d, 1) == 1 &&
				    (a[0].pct == 0 || (a[0].pct < 0 && d[0] < 0.01)))
					st->filter_hidden = 1;
			}
		return PC_CSS_P_FILTER;
	}
	if (word_eq(name, nn, "text-indent")) {
		pc_size l = pc_css_length(v, vn, false);
		st->indent_out = l.px != PC_SIZE_UNKNOWN && l.px <= -OFFSCREEN_PX;
		return PC_CSS_P_INDENT;
	}
	if (word_eq(name, nn, "zoom")) {
		pc_size l = pc_css_length(v, vn, false);
		/* zoom: 0 is ignored (treated as 1); a tiny positive zoom is not */
		double d = l.pct >= 0 ? l.pct / 100.0 : num_at(v, vn);
		st->zoom_zero = d > 0 && d < 0.05;
		return PC_CSS_P_ZOOM;
	}
	bool offset = word_eq(name, nn, "left") || word_eq(name, nn, "top") || word_eq(name, nn, "right") ||
	              word_eq(name, nn, "bottom");
	bool margin = word_eq(name, nn, "margin-left") || word_eq(name, nn, "margin-top");
	if (offset || margin) {
		pc_size l = pc_css_length(v, vn, false);
		int out = l.px != PC_SIZE_UNKNOWN && l.px <= -OFFSCREEN_PX;
		if (offset)
			st->offset_out = out;
		else
			st->margin_out = out;
		return offset ? PC_CSS_P_OFFSET : PC_CSS_P_MARGIN;
	}
	if (word_eq(name, nn, "margin")) { /* the shorthand: top, then left as the 4th/2nd value */
		pc_size a[4];
		double d[4];
		size_t k = fn_args(v, vn, a, d, 4);
		int out = 0;
		if (k >= 1 && a[0].px != PC_SIZE_UNKNOWN && a[0].px <= -OFFSCREEN_PX)
			out = 1;
		size_t li = k == 4 ? 3 : k >= 2 ? 1 : 0;
		if (k && a[li].px != PC_SIZE_UNKNOWN && a[li].px <= -OFFSCREEN_PX)
			out = 1;
		st->margin_out = out;
		return PC_CSS_P_MARGIN;
	}
	return 0;
}

/* The bytes of s[b, e) with each comment made one space (a comment
 * separates tokens: "dis/ **\/play" is no property). */
static const char *decl_text(pc_arena *a, const char *s, size_t b, size_t e, size_t *outn)
{
	/* no comment in it: the text itself (a copy of every declaration of a
	 * long style attribute filled the arena before the URL limit was
	 * reached, and the limit finding was lost: tests/bombs_test.py
	 * style-attr-long) */
	bool comment = false;
	for (size_t i = b; i + 1 < e && !comment; i++)
		comment = s[i] == '/' && s[i + 1] == '*';
	if (!comment) {
		*outn = e - b;
		return s + b;
	}
	char *o = pc_arena_alloc(a, e - b + 1);
	if (!o)
		return NULL;
	size_t j = 0;
	pc_css_tok t;
	for (size_t i = b; i < e; i = t.e) {
		pc_css_next_token(s, e, i, &t);
		if (t.kind == PC_CSS_T_COMMENT) {
			o[j++] = ' ';
			continue;
		}
		memcpy(o + j, s + t.b, t.e - t.b);
		j += t.e - t.b;
	}
	o[j] = '\0';
	*outn = j;
	return o;
}

static void trim_ws(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* The declaration s[b, de) whose first top-level ':' is at colon, into
 * st. false: out of memory. */
static bool apply_one(pc_arena *a, pc_css_style *st, const char *s, size_t b, size_t colon, size_t de)
{
	size_t nn, vn;
	const char *nm = decl_text(a, s, b, colon, &nn);
	const char *v = decl_text(a, s, colon + 1, de, &vn);
	if (!nm || !v)
		return false;
	trim_ws(&nm, &nn);
	trim_ws(&v, &vn);
	/* strip !important, and remember it */
	bool imp = false;
	for (size_t k = 0; k < vn; k++)
		if (v[k] == '!' && starts_ci(v + k + 1, vn - k - 1, "important")) {
			imp = true;
			vn = k;
			while (vn && isspace((unsigned char)v[vn - 1]))
				vn--;
			break;
		}
	nm = css_unescape(a, nm, nn, &nn);
	v = css_unescape(a, v, vn, &vn);
	if (!nm || !v)
		return false;
	/* a later declaration of the block wins, unless an earlier one of the
	 * same property is !important and it is not */
	pc_css_style keep = *st;
	unsigned bit = apply_decl(st, nm, nn, v, vn);
	if (bit && (keep.important & bit) && !imp)
		*st = keep;
	else if (bit) {
		st->set |= bit;
		if (imp)
			st->important |= bit;
	}
	return true;
}

/* A declaration list: declarations end at a ';' outside any (), [] or {}
 * (strings, comments and url() are tokens: a ';' in them ends nothing);
 * one without a ':' is no declaration. */
static void decl_list(pc_arena *a, const char *s, size_t n, pc_css_style *st)
{
	pc_css_tok t;
	/* a full arena lends only from the overdraft kept for the findings:
	 * stop before using it up */
	for (size_t i = 0; i < n && !pc_arena_full(a);) {
		size_t db = i, de = n, colon = SIZE_MAX;
		size_t depth = 0;
		while (i < n) {
			pc_css_next_token(s, n, i, &t);
			i = t.e;
			if (t.kind == PC_CSS_T_FUNCTION || t.kind == PC_CSS_T_LPAREN || t.kind == PC_CSS_T_LBRACKET ||
			    t.kind == PC_CSS_T_LBRACE)
				depth++;
			else if (t.kind == PC_CSS_T_RPAREN || t.kind == PC_CSS_T_RBRACKET ||
			         t.kind == PC_CSS_T_RBRACE) {
				if (depth)
					depth--;
			} else if (t.kind == PC_CSS_T_SEMI && !depth) {
				de = t.b;
				break;
			} else if (t.kind == PC_CSS_T_COLON && !depth && colon == SIZE_MAX)
				colon = t.b;
		}
		if (colon != SIZE_MAX && !apply_one(a, st, s, db, colon, de))
			return;
	}
}

void pc_css_parse_style(pc_arena *a, const char *s, size_t n, pc_css_style *st, pc_css_url_cb cb, void *ctx)
{
	plain_cb p = {cb, ctx};
	pc_css_parse_style_spans(a, s, n, st, cb ? drop_span : NULL, &p);
}

void pc_css_parse_style_spans(pc_arena *a, const char *s, size_t n, pc_css_style *st, pc_css_span_cb cb, void *ctx)
{
	decl_list(a, s, n, st);
	if (cb) {
		sink k = {cb, ctx, ""};
		scan_urls(a, s, n, &k, "style", SCAN_ALL, false);
	}
	pc_css_settle(st);
}

void pc_css_scan_sheet(pc_arena *a, const char *s, size_t n, pc_css_url_cb cb, void *ctx)
{
	plain_cb p = {cb, ctx};
	pc_css_scan_sheet_spans(a, s, n, drop_span, &p);
}

void pc_css_scan_sheet_spans(pc_arena *a, const char *s, size_t n, pc_css_span_cb cb, void *ctx)
{
	/* @import first, then the rest: two passes */
	sink k = {cb, ctx, ""};
	scan_urls(a, s, n, &k, "<style>", SCAN_IMPORT_ONLY, false);
	k.prop[0] = '\0';
	scan_urls(a, s, n, &k, "<style>", SCAN_NO_IMPORT, false);
}

void pc_css_scan_value_spans(pc_arena *a, const char *s, size_t n, const char *prop, pc_css_span_cb cb, void *ctx)
{
	sink k = {cb, ctx, ""};
	set_prop(&k, a, prop, strlen(prop));
	scan_urls(a, s, n, &k, prop, SCAN_ALL, true);
}
