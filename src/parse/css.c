/*
 * NAME
 *   css - style attribute and style sheet scanner (see css.h)
 */
#include "parse/css.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Bytes put_utf8 writes for cp (U+FFFD for what it replaces). */
static size_t utf8_len(unsigned long cp)
{
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 3;
	return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
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

/* Comments removed (escapes are kept: they are decoded per name and value
 * after splitting, so an escaped ';' or ':' never separates anything). */
static char *css_strip_comments(pc_arena *a, const char *s, size_t n, size_t *outn)
{
	char *o = pc_arena_alloc(a, n + 1);
	if (!o)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < n;) {
		if (s[i] == '\\' && i + 1 < n) { /* an escaped '/' cannot open a comment */
			o[j++] = s[i++];
			o[j++] = s[i++];
			continue;
		}
		if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
			size_t k = i + 2;
			while (k + 1 < n && !(s[k] == '*' && s[k + 1] == '/'))
				k++;
			i = k + 1 < n ? k + 2 : n;
			continue;
		}
		o[j++] = s[i++];
	}
	o[j] = '\0';
	*outn = j;
	return o;
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

/* ---- where a URL of a decoded copy sits in the input ----
 * The scanners read copies with comments removed (css_strip_comments) and
 * escapes decoded (css_unescape). A rewriter must edit the input, so the
 * offsets of a URL in the copy are walked back through both steps by two
 * cursors that replay them. URLs are reported in order, so each cursor
 * only moves forward: the whole mapping is one more pass over the input
 * (the memmem it replaces searched the input once per URL). */

/* One step of css_unescape at s[i]: bytes read and bytes written. */
static void unescape_unit(const char *s, size_t n, size_t i, size_t *in, size_t *out)
{
	*in = *out = 1;
	if (s[i] != '\\' || i + 1 >= n)
		return;
	unsigned long cp;
	int kind;
	*in = escape_at(s, n, i, &cp, &kind);
	*out = kind == ESC_HEX ? utf8_len(cp) : kind == ESC_CHAR ? 1 : 0;
}

typedef struct unescape_map {
	const char *s; /* css_unescape's input */
	size_t n;
	size_t si, oi; /* a unit boundary: input and output offsets */
} unescape_map;

/* The input offset of output offset o: for a start, the beginning of the
 * escape that writes byte o; for an end, the end of the escape. */
static size_t unescape_src(unescape_map *m, size_t o, bool start)
{
	while (m->si < m->n && m->oi < o) {
		size_t in, out;
		unescape_unit(m->s, m->n, m->si, &in, &out);
		if (m->oi + out > o)
			return start ? m->si : m->si + in;
		m->si += in;
		m->oi += out;
	}
	return m->si;
}

typedef struct strip_map {
	const char *s; /* css_strip_comments' input */
	size_t n;
	size_t ri, oi;
} strip_map;

static bool comment_at(const char *s, size_t n, size_t i)
{
	return s[i] == '/' && i + 1 < n && s[i + 1] == '*';
}

/* The input offset of output offset o; a start skips the comments before
 * it, an end stops before them. */
static size_t strip_src(strip_map *m, size_t o, bool start)
{
	while (m->ri < m->n && (m->oi < o || (start && comment_at(m->s, m->n, m->ri)))) {
		if (m->s[m->ri] == '\\' && m->ri + 1 < m->n) { /* copied as a pair */
			if (m->oi + 1 == o)
				return m->ri + 1;
			m->ri += 2;
			m->oi += 2;
		} else if (comment_at(m->s, m->n, m->ri)) {
			size_t k = m->ri + 2;
			while (k + 1 < m->n && !(m->s[k] == '*' && m->s[k + 1] == '/'))
				k++;
			m->ri = k + 1 < m->n ? k + 2 : m->n;
		} else {
			m->ri++;
			m->oi++;
		}
	}
	return m->ri;
}

/* Where scan_urls reports to: the caller's callback, and how offsets in
 * the buffer it reads (`base`, css_unescape's output of um.s, which is the
 * stripped copy from offset um_off) map back to the input. */
typedef struct sink {
	pc_css_span_cb cb;
	void *ctx;
	char prop[32]; /* the property whose value is being scanned, lower case ("" unknown) */
	const char *base;
	unescape_map um;
	size_t um_off;
	strip_map sm;
} sink;

static void emit(sink *k, const char *u, size_t n, const char *how)
{
	size_t o = (size_t)(u - k->base);
	size_t b = k->um_off + unescape_src(&k->um, o, true);
	size_t e = k->um_off + unescape_src(&k->um, o + n, false);
	size_t rb = strip_src(&k->sm, b, true);
	size_t re = strip_src(&k->sm, e, false);
	k->cb(k->ctx, u, n, how, k->prop, rb, re < rb ? rb : re);
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

static bool word_eq(const char *s, size_t n, const char *w)
{
	size_t l = strlen(w);
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

/* The argument of url( starting at k (just after the parenthesis): quoted
 * or bare, bare ones trimmed. Sets [st, en) and returns the index of the
 * closing ')' (or n). */
static size_t url_arg(const char *s, size_t n, size_t k, size_t *st, size_t *en)
{
	while (k < n && isspace((unsigned char)s[k]))
		k++;
	if (k < n && (s[k] == '"' || s[k] == '\'')) {
		char q = s[k];
		*st = ++k;
		while (k < n && s[k] != q)
			k++;
		*en = k;
	} else {
		*st = k;
		while (k < n && s[k] != ')')
			k++;
		*en = k;
		while (*en > *st && isspace((unsigned char)s[*en - 1]))
			(*en)--;
		return k;
	}
	while (k < n && s[k] != ')')
		k++;
	return k;
}

static void set_prop(sink *k, const char *nm, size_t nn)
{
	size_t i = 0;
	for (; i < nn && i + 1 < sizeof k->prop; i++)
		k->prop[i] = (char)tolower((unsigned char)nm[i]);
	k->prop[i] = '\0';
}

/* In a sheet: the property name of the declaration that s[i] is in, from
 * the last '{' or ';' before it (found by scanning back at most 64 bytes
 * from the last ':' seen). */
static void prop_before(sink *k, const char *s, size_t colon)
{
	size_t e = colon;
	while (e && isspace((unsigned char)s[e - 1]))
		e--;
	size_t b = e;
	while (b && e - b < 31 && (isalnum((unsigned char)s[b - 1]) || s[b - 1] == '-' || s[b - 1] == '_'))
		b--;
	set_prop(k, s + b, e - b);
}

/* Find url(...) and the strings of image-set(...) in (unescaped) CSS text.
 * Other quoted strings are text (font-family: "url(x)" loads nothing). */
static void scan_urls(const char *s, size_t n, sink *k, const char *how)
{
	int set_depth = 0; /* > 0 inside image-set( ... ) */
	bool sheet = how[0] == '<';
	for (size_t i = 0; i < n; i++) {
		if (sheet && s[i] == ':' && !set_depth)
			prop_before(k, s, i);
		else if (sheet && (s[i] == '{' || s[i] == ';' || s[i] == '}'))
			k->prop[0] = '\0';
		if (s[i] == '"' || s[i] == '\'') {
			char q = s[i];
			size_t st = i + 1;
			i = st;
			while (i < n && s[i] != q)
				i++;
			if (set_depth > 0)
				emit(k, s + st, i - st, how);
			continue;
		}
		if (set_depth > 0 && s[i] == '(')
			set_depth++;
		else if (set_depth > 0 && s[i] == ')')
			set_depth--;
		char c = (char)(s[i] | 0x20);
		if (c != 'u' && c != 'i')
			continue;
		bool boundary = i == 0 || !(isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_');
		if (c == 'i' && starts_ci(s + i, n - i, "image-set(") && (boundary || s[i - 1] == '-')) {
			set_depth = 1;
			i += 9; /* at '(' */
			continue;
		}
		if (!boundary || !starts_ci(s + i, n - i, "url("))
			continue;
		size_t st, en;
		size_t close = url_arg(s, n, i + 4, &st, &en);
		emit(k, s + st, en - st, how);
		i = close < n ? close : n;
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

void pc_css_parse_style(pc_arena *a, const char *s, size_t n, pc_css_style *st, pc_css_url_cb cb, void *ctx)
{
	plain_cb p = {cb, ctx};
	pc_css_parse_style_spans(a, s, n, st, cb ? drop_span : NULL, &p);
}

void pc_css_parse_style_spans(pc_arena *a, const char *s, size_t n, pc_css_style *st, pc_css_span_cb cb, void *ctx)
{
	size_t cn;
	char *c = css_strip_comments(a, s, n, &cn);
	if (!c)
		return;
	sink out = {cb, ctx, "", NULL, {NULL, 0, 0, 0}, 0, {s, n, 0, 0}};
	size_t i = 0;
	while (i < cn) {
		size_t j = i;
		int depth = 0;
		char q = 0;
		while (j < cn) {
			char ch = c[j];
			if (ch == '\\' && j + 1 < cn) {
				j += 2;
				continue;
			}
			if (q) {
				if (ch == q)
					q = 0;
			} else if (ch == '"' || ch == '\'')
				q = ch;
			else if (ch == '(')
				depth++;
			else if (ch == ')' && depth > 0)
				depth--;
			else if (ch == ';' && depth == 0)
				break;
			j++;
		}
		const char *d = c + i;
		size_t dn = j - i;
		const char *colon = NULL;
		for (size_t k = 0; k < dn; k++) { /* the first unescaped ':' */
			if (d[k] == '\\') {
				k++;
				continue;
			}
			if (d[k] == ':') {
				colon = d + k;
				break;
			}
		}
		if (colon) {
			const char *nm = d;
			size_t nn = (size_t)(colon - d);
			while (nn && isspace((unsigned char)*nm)) {
				nm++;
				nn--;
			}
			while (nn && isspace((unsigned char)nm[nn - 1]))
				nn--;
			const char *v = colon + 1;
			size_t vn = (size_t)(d + dn - v);
			while (vn && isspace((unsigned char)*v)) {
				v++;
				vn--;
			}
			while (vn && isspace((unsigned char)v[vn - 1]))
				vn--;
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
			const char *raw_v = v;
			size_t raw_vn = vn;
			nm = css_unescape(a, nm, nn, &nn);
			v = v ? css_unescape(a, v, vn, &vn) : NULL;
			if (!nm || !v)
				break;
			/* a later declaration of the block wins, unless an earlier
			 * one of the same property is !important and it is not */
			pc_css_style keep = *st;
			unsigned bit = apply_decl(st, nm, nn, v, vn);
			if (bit && (keep.important & bit) && !imp)
				*st = keep;
			else if (bit) {
				st->set |= bit;
				if (imp)
					st->important |= bit;
			}
			if (cb) {
				out.base = v;
				out.um = (unescape_map){raw_v, raw_vn, 0, 0};
				out.um_off = (size_t)(raw_v - c);
				set_prop(&out, nm, nn);
				scan_urls(v, vn, &out, "style");
			}
		}
		i = j + 1;
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
	size_t sn, cn;
	char *sc = css_strip_comments(a, s, n, &sn);
	char *c = sc ? css_unescape(a, sc, sn, &cn) : NULL;
	if (!c)
		return;
	sink k = {cb, ctx, "", c, {sc, sn, 0, 0}, 0, {s, n, 0, 0}};
	/* @import first, both forms; its url( is then blanked (c is our own
	 * copy) so the general scan does not report it again as <style>. */
	for (size_t i = 0; i + 7 <= cn; i++) {
		if (c[i] != '@' || !starts_ci(c + i, cn - i, "@import"))
			continue;
		size_t j = i + 7;
		while (j < cn && isspace((unsigned char)c[j]))
			j++;
		if (j < cn && (c[j] == '"' || c[j] == '\'')) {
			char q = c[j];
			size_t st = ++j;
			while (j < cn && c[j] != q)
				j++;
			emit(&k, c + st, j - st, "@import");
		} else if (starts_ci(c + j, cn - j, "url(")) {
			size_t u = j, st, en;
			j = url_arg(c, cn, j + 4, &st, &en);
			emit(&k, c + st, en - st, "@import");
			c[u] = ' ';
		}
		i = j < cn ? j : cn;
	}
	/* a second pass from the start: the cursors too */
	k.um = (unescape_map){sc, sn, 0, 0};
	k.sm = (strip_map){s, n, 0, 0};
	scan_urls(c, cn, &k, "<style>");
}
