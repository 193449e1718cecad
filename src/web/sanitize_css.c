/*
 * NAME
 *   sanitize_css - a style attribute judged declaration by declaration (see sanitize_impl.h)
 * DESCRIPTION
 *   An allowlist, not a blocklist: a declaration is kept when its property
 *   is one of PROPS (presentation that stays inside the element's box) and
 *   every token of its value is one this file knows to be inert. What a
 *   browser loads from CSS comes through functions (url(), image-set(),
 *   -webkit-image-set(), cross-fade(), image(), element(), paint()), an
 *   @-rule, or an escape spelling one of them; none of them passes: the
 *   only functions kept are the colour ones, '@' and '\' are refused, and
 *   '*' (comments) is refused anywhere. A string may hold letters, digits,
 *   spaces and , . _ - only (font names). The value written is the tokens
 *   read, whitespace runs as one space, so the browser parses what was
 *   judged and not what the attacker wrote around it.
 */
#include "web/sanitize_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/safetext.h"

/* sorted (strcmp) for bsearch */
static const char *const PROPS[] = {
    "background",
    "background-color",
    "border",
    "border-bottom",
    "border-bottom-color",
    "border-bottom-left-radius",
    "border-bottom-right-radius",
    "border-bottom-style",
    "border-bottom-width",
    "border-collapse",
    "border-color",
    "border-left",
    "border-left-color",
    "border-left-style",
    "border-left-width",
    "border-radius",
    "border-right",
    "border-right-color",
    "border-right-style",
    "border-right-width",
    "border-spacing",
    "border-style",
    "border-top",
    "border-top-color",
    "border-top-left-radius",
    "border-top-right-radius",
    "border-top-style",
    "border-top-width",
    "border-width",
    "clear",
    "color",
    "direction",
    "display",
    "float",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-variant",
    "font-weight",
    "height",
    "letter-spacing",
    "line-height",
    "list-style-type",
    "margin",
    "margin-bottom",
    "margin-left",
    "margin-right",
    "margin-top",
    "max-height",
    "max-width",
    "min-height",
    "min-width",
    "opacity",
    "overflow",
    "overflow-wrap",
    "padding",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "padding-top",
    "table-layout",
    "text-align",
    "text-decoration",
    "text-indent",
    "text-transform",
    "vertical-align",
    "visibility",
    "white-space",
    "width",
    "word-break",
    "word-spacing",
    "word-wrap",
};

#define PROP_MAX 32 /* longer than any of PROPS */

static int cmp_prop(const void *k, const void *e)
{
	return strcmp(k, *(const char *const *)e);
}

/* The property of PROPS that p[0, n) names (ASCII case-insensitive). */
static const char *known_prop(const char *p, size_t n)
{
	char low[PROP_MAX + 1];
	if (n == 0 || n > PROP_MAX)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c < 'a' || c > 'z') && c != '-')
			return NULL;
		low[i] = c;
	}
	low[n] = '\0';
	const char *const *hit = bsearch(low, PROPS, sizeof PROPS / sizeof PROPS[0], sizeof PROPS[0], cmp_prop);
	return hit ? *hit : NULL;
}

static bool css_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* A character at or above U+00A0 that may stand in an identifier or a
 * string (font names in other scripts): valid, and not one we mark.
 * Its length, 0 when refused. */
static size_t wide_char(const char *v, size_t n, size_t i)
{
	size_t len;
	bool bad;
	uint32_t c = pc_utf8_decode((const unsigned char *)v, n, i, &len, &bad);
	return bad || c < 0xa0 || pc_safetext_marked(c) ? 0 : len;
}

/* An identifier at v[i] (ASCII letters, digits, '-', '_', wide
 * characters); its end, i when none. */
static size_t ident_end(const char *v, size_t n, size_t i)
{
	while (i < n) {
		unsigned char c = (unsigned char)v[i];
		if (ident_char(c)) {
			i++;
			continue;
		}
		size_t w = c >= 0x80 ? wide_char(v, n, i) : 0;
		if (!w)
			break;
		i += w;
	}
	return i;
}

static bool colour_function(const char *s, size_t n)
{
	static const char *const fns[] = {"rgb", "rgba", "hsl", "hsla"};
	for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++)
		if (strlen(fns[k]) == n && !strncasecmp(s, fns[k], n))
			return true;
	return false;
}

/* Appends the tokens of the value v[0, n) to dst; false (dst unchanged
 * by the caller's rollback) when a token is not one we keep. */
static bool value_ok(const char *v, size_t n, GString *dst)
{
	int paren = 0;
	bool space = false, any = false;
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)v[i];
		if (css_space((char)c)) {
			space = true;
			i++;
			continue;
		}
		if (space && any)
			g_string_append_c(dst, ' ');
		space = false;
		any = true;
		size_t start = i;
		bool sign =
		    (c == '-' || c == '+') && i + 1 < n && ((v[i + 1] >= '0' && v[i + 1] <= '9') || v[i + 1] == '.');
		if ((c >= '0' && c <= '9') || c == '.' || sign) {
			i++;
			while (i < n && ((v[i] >= '0' && v[i] <= '9') || v[i] == '.'))
				i++;
			if (i < n && v[i] == '%')
				i++;
			else
				i = ident_end(v, n, i); /* a unit */
		} else if (c == '#') {
			i++;
			while (i < n && ident_char((unsigned char)v[i]))
				i++;
			if (i == start + 1)
				return false;
		} else if (c == '"' || c == '\'') {
			i++;
			for (;;) {
				if (i >= n)
					return false; /* unterminated */
				unsigned char d = (unsigned char)v[i];
				if (d == c)
					break;
				if (ident_char(d) || d == ' ' || d == ',' || d == '.')
					i++;
				else if (d >= 0x80 && wide_char(v, n, i))
					i += wide_char(v, n, i);
				else
					return false;
			}
			i++;
		} else if (ident_char(c) || c >= 0x80) {
			i = ident_end(v, n, i);
			if (i == start)
				return false;
			if (i < n && v[i] == '(') {
				if (paren || !colour_function(v + start, i - start))
					return false;
				paren = 1;
				i++;
			}
		} else if (c == ',' || c == '/') {
			i++;
		} else if (c == ')') {
			if (!paren)
				return false;
			paren = 0;
			i++;
		} else if (c == '!') {
			size_t k = i + 1;
			while (k < n && css_space(v[k]))
				k++;
			if (n - k < 9 || strncasecmp(v + k, "important", 9))
				return false;
			for (size_t e = k + 9; e < n; e++)
				if (!css_space(v[e]))
					return false;
			g_string_append(dst, "!important");
			return !paren;
		} else {
			return false; /* '\', '@', '*', ';', '{', '<', '&', '(' alone, controls ... */
		}
		g_string_append_len(dst, v + start, (gssize)(i - start));
	}
	return any && !paren;
}

size_t pc_sanitize_style(const char *v, size_t n, GString *dst)
{
	size_t dropped = 0;
	for (size_t i = 0; i < n;) {
		const char *semi = memchr(v + i, ';', n - i);
		size_t end = semi ? (size_t)(semi - v) : n;
		const char *d = v + i;
		size_t dl = end - i;
		i = semi ? end + 1 : n;
		while (dl && css_space(*d))
			d++, dl--;
		while (dl && css_space(d[dl - 1]))
			dl--;
		if (!dl)
			continue; /* ";;" */
		const char *colon = memchr(d, ':', dl);
		size_t pl = colon ? (size_t)(colon - d) : 0;
		while (pl && css_space(d[pl - 1]))
			pl--;
		const char *prop = colon ? known_prop(d, pl) : NULL;
		size_t mark = dst->len;
		if (prop) {
			g_string_append(dst, prop);
			g_string_append_c(dst, ':');
			const char *val = colon + 1;
			if (value_ok(val, dl - (size_t)(val - d), dst)) {
				g_string_append_c(dst, ';');
				continue;
			}
		}
		g_string_truncate(dst, mark);
		dropped++;
	}
	return dropped;
}
