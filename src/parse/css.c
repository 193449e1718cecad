/*
 * NAME
 *   css - style attribute and style sheet scanner (see css.h)
 */
#include "parse/css.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define OFFSCREEN_PX 500

void pc_css_style_init(pc_css_style *st)
{
	st->display_none = st->visibility_hidden = st->opacity_zero = st->overflow_hidden = -1;
	st->width = st->height = st->max_width = st->max_height = (pc_size){PC_SIZE_UNKNOWN, -1};
	st->positioned = st->offscreen = false;
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

/* Comments removed, escapes decoded. Output is never longer than input
 * (an escape of ≥2 bytes yields ≤4 bytes only for \XXXX forms of ≥5 bytes;
 * \X.. short forms yield at most 3 bytes from ≥2 input: bounded by 2n). */
static char *css_clean(pc_arena *a, const char *s, size_t n, size_t *outn)
{
	if (n > ((size_t)-1) / 2 - 8)
		return NULL;
	char *o = pc_arena_alloc(a, n * 2 + 4);
	if (!o)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < n;) {
		if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
			const char *e = NULL;
			for (size_t k = i + 2; k + 1 < n; k++)
				if (s[k] == '*' && s[k + 1] == '/') {
					e = s + k;
					break;
				}
			i = e ? (size_t)(e - s) + 2 : n;
			continue;
		}
		if (s[i] == '\\' && i + 1 < n) {
			size_t k = i + 1, d = 0;
			unsigned long cp = 0;
			while (k < n && d < 6 && isxdigit((unsigned char)s[k])) {
				int c = tolower((unsigned char)s[k]);
				cp = cp * 16 + (unsigned long)(isdigit(c) ? c - '0' : c - 'a' + 10);
				k++;
				d++;
			}
			if (d) {
				if (k < n && isspace((unsigned char)s[k]))
					k++;
				j += put_utf8(o + j, cp);
				i = k;
			} else if (s[i + 1] == '\n') {
				i += 2; /* escaped newline: removed */
			} else {
				o[j++] = s[i + 1];
				i += 2;
			}
			continue;
		}
		o[j++] = s[i++];
	}
	o[j] = '\0';
	*outn = j;
	return o;
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

/* Find url(...) and image-set("...") in a value; strings after @import. */
static void scan_urls(const char *s, size_t n, pc_css_url_cb cb, void *ctx, const char *how)
{
	for (size_t i = 0; i + 4 <= n; i++) {
		if (s[i] == '"' || s[i] == '\'') { /* a string is text, e.g. font-family: "url(x)" */
			char q = s[i];
			i++;
			while (i < n && s[i] != q)
				i++;
			continue;
		}
		char c = (char)(s[i] | 0x20);
		if (c != 'u' && c != 'i')
			continue;
		bool is_url = starts_ci(s + i, n - i, "url(");
		bool is_set = !is_url && starts_ci(s + i, n - i, "image-set(");
		if (!is_url && !is_set)
			continue;
		if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_'))
			if (!is_set || s[i - 1] != '-') /* -webkit-image-set is fine */
				continue;
		size_t k = i + (is_url ? 4 : 10);
		if (is_set) { /* quoted strings inside image-set(...) until ')' */
			int depth = 1;
			while (k < n && depth > 0) {
				if (s[k] == '(')
					depth++;
				else if (s[k] == ')')
					depth--;
				else if (s[k] == '"' || s[k] == '\'') {
					char q = s[k];
					size_t st = ++k;
					while (k < n && s[k] != q)
						k++;
					cb(ctx, s + st, k - st, how);
				}
				k++;
			}
			i = k ? k - 1 : k;
			continue;
		}
		while (k < n && isspace((unsigned char)s[k]))
			k++;
		size_t st, en;
		if (k < n && (s[k] == '"' || s[k] == '\'')) {
			char q = s[k];
			st = ++k;
			while (k < n && s[k] != q)
				k++;
			en = k;
		} else {
			st = k;
			while (k < n && s[k] != ')')
				k++;
			en = k;
		}
		cb(ctx, s + st, en - st, how);
		i = k < n ? k : n;
	}
}

/* Returns 1 when the declaration is an offset (left/top/right/bottom) that
 * moves a positioned element out of view, 2 for a margin that moves any
 * element out of view, 0 otherwise. */
static int apply_decl(pc_css_style *st, const char *name, size_t nn, const char *v, size_t vn)
{
	if (word_eq(name, nn, "display"))
		st->display_none = word_eq(v, vn, "none");
	else if (word_eq(name, nn, "visibility"))
		st->visibility_hidden = word_eq(v, vn, "hidden") || word_eq(v, vn, "collapse");
	else if (word_eq(name, nn, "opacity")) {
		pc_size l = pc_css_length(v, vn, false);
		st->opacity_zero = (l.px == 0 && l.pct < 0) || l.pct == 0;
	} else if (word_eq(name, nn, "width"))
		st->width = pc_css_length(v, vn, false);
	else if (word_eq(name, nn, "height"))
		st->height = pc_css_length(v, vn, false);
	else if (word_eq(name, nn, "max-width"))
		st->max_width = pc_css_length(v, vn, false);
	else if (word_eq(name, nn, "max-height"))
		st->max_height = pc_css_length(v, vn, false);
	else if (word_eq(name, nn, "overflow"))
		st->overflow_hidden = starts_ci(v, vn, "hidden") || starts_ci(v, vn, "clip");
	else if (word_eq(name, nn, "position"))
		st->positioned = word_eq(v, vn, "absolute") || word_eq(v, vn, "fixed");
	else {
		bool offset = word_eq(name, nn, "left") || word_eq(name, nn, "top") || word_eq(name, nn, "right") ||
		              word_eq(name, nn, "bottom");
		bool margin = word_eq(name, nn, "margin-left") || word_eq(name, nn, "margin-top");
		if (offset || margin) {
			pc_size l = pc_css_length(v, vn, false);
			if (l.px != PC_SIZE_UNKNOWN && l.px <= -OFFSCREEN_PX)
				return offset ? 1 : 2;
		}
	}
	return 0;
}

void pc_css_parse_style(pc_arena *a, const char *s, size_t n, pc_css_style *st, pc_css_url_cb cb, void *ctx)
{
	size_t cn;
	char *c = css_clean(a, s, n, &cn);
	if (!c)
		return;
	bool offset_out = false, margin_out = false;
	size_t i = 0;
	while (i < cn) {
		size_t j = i;
		int depth = 0;
		char q = 0;
		while (j < cn) {
			char ch = c[j];
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
		const char *colon = memchr(d, ':', dn);
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
			/* strip !important */
			for (size_t k = 0; k < vn; k++)
				if (v[k] == '!' && starts_ci(v + k + 1, vn - k - 1, "important")) {
					vn = k;
					while (vn && isspace((unsigned char)v[vn - 1]))
						vn--;
					break;
				}
			int moved = apply_decl(st, nm, nn, v, vn);
			offset_out |= moved == 1;
			margin_out |= moved == 2;
			if (cb)
				scan_urls(v, vn, cb, ctx, "style");
		}
		i = j + 1;
	}
	/* left/top only move an element when it is positioned; a margin moves
	 * it anyway. text-indent moves text, not images: ignored. */
	st->offscreen = (st->positioned && offset_out) || margin_out;
}

void pc_css_scan_sheet(pc_arena *a, const char *s, size_t n, pc_css_url_cb cb, void *ctx)
{
	size_t cn;
	char *c = css_clean(a, s, n, &cn);
	if (!c)
		return;
	scan_urls(c, cn, cb, ctx, "<style>");
	for (size_t i = 0; i + 7 <= cn; i++) {
		if (c[i] != '@' || !starts_ci(c + i, cn - i, "@import"))
			continue;
		size_t k = i + 7;
		while (k < cn && isspace((unsigned char)c[k]))
			k++;
		if (k < cn && (c[k] == '"' || c[k] == '\'')) {
			char q = c[k];
			size_t st = ++k;
			while (k < cn && c[k] != q)
				k++;
			cb(ctx, c + st, k - st, "@import");
		}
		i = k < cn ? k : cn;
	}
}
