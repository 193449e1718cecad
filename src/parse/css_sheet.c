/*
 * NAME
 *   css_sheet - the rules of a style sheet and the media they apply in
 *   (see css.h: pc_css_sheet_each, pc_css_media)
 * DESCRIPTION
 *   One pass over the sheet: strings, comments and escapes are skipped
 *   while looking for the braces, so a '{' inside any of them opens
 *   nothing. A stack of media masks, one per open block, says where the
 *   rules inside apply. Hand-written: MyCSS (libmodest) parses rules, but
 *   drops @media blocks it cannot read and keeps no record of which rule
 *   sat in which block; its selector parser is used for the selectors
 *   themselves (extract/cascade.c).
 *
 *   The two screens are what mail is read on: a phone (375 x 667, portrait,
 *   coarse pointer) and a desktop window (1024 x 768, landscape, fine
 *   pointer), light colour scheme, no scripting. A feature this file does
 *   not know is taken as met on both: a hiding rule behind it then counts
 *   (what an attacker would hide behind is a condition a real client
 *   meets), and at worst a visible image is judged hidden.
 */
#include "parse/css.h"

#include <ctype.h>
#include <string.h>

#define MAX_DEPTH 32

static const int screen_w[2] = {375, 1024};
static const int screen_h[2] = {667, 768};

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

static bool word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && starts_ci(s, n, w);
}

static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* A length in a media feature, in px (em = 16px); -1 when not one. */
static int mq_length(const char *s, size_t n)
{
	trim(&s, &n);
	pc_size l = pc_css_length(s, n, false);
	return l.px;
}

/* name: value, or a name alone, one screen at a time. */
static bool mq_plain(const char *name, size_t nn, const char *v, size_t vn, int scr)
{
	trim(&name, &nn);
	trim(&v, &vn);
	bool has_v = v != NULL;
	const char *base = name;
	size_t bn = nn;
	int cmp = 0; /* -1 max-, 1 min- */
	if (starts_ci(name, nn, "min-")) {
		cmp = 1;
		base += 4;
		bn -= 4;
	} else if (starts_ci(name, nn, "max-")) {
		cmp = -1;
		base += 4;
		bn -= 4;
	}
	if (starts_ci(base, bn, "-webkit-") || starts_ci(base, bn, "-moz-")) /* -webkit-min-device-pixel-ratio */
		return true;
	int have = -1;
	if (word_is(base, bn, "width") || word_is(base, bn, "device-width") || word_is(base, bn, "inline-size"))
		have = screen_w[scr];
	else if (word_is(base, bn, "height") || word_is(base, bn, "device-height") || word_is(base, bn, "block-size"))
		have = screen_h[scr];
	if (have >= 0) {
		if (!has_v)
			return true;
		int want = mq_length(v, vn);
		if (want < 0)
			return true; /* not read: taken as met */
		return cmp > 0 ? have >= want : cmp < 0 ? have <= want : have == want;
	}
	if (!has_v)
		return !word_is(name, nn, "grid");
	if (word_is(name, nn, "orientation"))
		return word_is(v, vn, scr ? "landscape" : "portrait");
	if (word_is(name, nn, "prefers-color-scheme"))
		return !word_is(v, vn, "dark");
	if (word_is(name, nn, "prefers-reduced-motion") || word_is(name, nn, "prefers-contrast") ||
	    word_is(name, nn, "forced-colors") || word_is(name, nn, "inverted-colors"))
		return word_is(v, vn, "no-preference") || word_is(v, vn, "none");
	if (word_is(name, nn, "scripting"))
		return word_is(v, vn, "none");
	if (word_is(name, nn, "hover") || word_is(name, nn, "any-hover"))
		return word_is(v, vn, scr ? "hover" : "none");
	if (word_is(name, nn, "pointer") || word_is(name, nn, "any-pointer"))
		return word_is(v, vn, scr ? "fine" : "coarse");
	if (word_is(name, nn, "display-mode"))
		return word_is(v, vn, "browser");
	return true;
}

/* Range form: "width <= 600px", "600px >= width", "400px < width < 700px". */
static bool mq_range(const char *s, size_t n, int scr, bool *ok)
{
	/* split on the comparison operators */
	const char *part[3];
	size_t pn[3];
	char op[2][3];
	size_t k = 0, b = 0;
	*ok = false;
	for (size_t i = 0; i < n && k < 3; i++) {
		if (s[i] != '<' && s[i] != '>' && s[i] != '=')
			continue;
		if (k == 2)
			return true;
		part[k] = s + b;
		pn[k] = i - b;
		size_t ol = (i + 1 < n && s[i + 1] == '=' && s[i] != '=') ? 2 : 1;
		memcpy(op[k], s + i, ol);
		op[k][ol] = '\0';
		k++;
		i += ol - 1;
		b = i + 1;
	}
	if (!k)
		return true;
	part[k] = s + b;
	pn[k] = n - b;
	for (size_t i = 0; i <= k; i++)
		trim(&part[i], &pn[i]);
	/* which part is the feature */
	size_t f = (pn[0] && isalpha((unsigned char)part[0][0])) ? 0 : 1;
	if (f > k)
		return true;
	int have = -1;
	if (word_is(part[f], pn[f], "width") || word_is(part[f], pn[f], "device-width"))
		have = screen_w[scr];
	else if (word_is(part[f], pn[f], "height") || word_is(part[f], pn[f], "device-height"))
		have = screen_h[scr];
	*ok = true;
	if (have < 0)
		return true;
	bool r = true;
	for (size_t i = 0; i < k; i++) {
		/* compare part[i] op[i] part[i+1] where one side is the feature */
		int l = i == f ? have : mq_length(part[i], pn[i]);
		int rr = i + 1 == f ? have : mq_length(part[i + 1], pn[i + 1]);
		if (l < 0 || rr < 0)
			continue;
		const char *o = op[i];
		bool t = !strcmp(o, "<")    ? l < rr
		         : !strcmp(o, "<=") ? l <= rr
		         : !strcmp(o, ">")  ? l > rr
		         : !strcmp(o, ">=") ? l >= rr
		                            : l == rr;
		r = r && t;
	}
	return r;
}

static unsigned mq_condition(const char *s, size_t n, int depth);

/* "( ... )" at s: a feature or a nested condition. */
static unsigned mq_paren(const char *s, size_t n, int depth)
{
	trim(&s, &n);
	unsigned m = 0;
	const char *colon = memchr(s, ':', n);
	bool nested = false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '(') {
			nested = true;
			break;
		}
	if (nested || starts_ci(s, n, "not ") || starts_ci(s, n, "not("))
		return mq_condition(s, n, depth + 1);
	for (int scr = 0; scr < 2; scr++) {
		bool ok, r;
		if (colon)
			r = mq_plain(s, (size_t)(colon - s), colon + 1, n - (size_t)(colon - s) - 1, scr);
		else {
			r = mq_range(s, n, scr, &ok);
			if (!ok)
				r = mq_plain(s, n, NULL, 0, scr);
		}
		if (r)
			m |= 1u << scr;
	}
	return m;
}

/* A condition: [not] term ((and|or) term)*, a term a media type or "( )". */
static unsigned mq_condition(const char *s, size_t n, int depth)
{
	if (depth > 8)
		return PC_CSS_MEDIA_ALL;
	unsigned acc = PC_CSS_MEDIA_ALL;
	int join = 0; /* 0 and, 1 or */
	bool neg_next = false, first = true, neg_all = false;
	size_t i = 0;
	while (i < n) {
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i >= n)
			break;
		unsigned term;
		if (s[i] == '(') {
			size_t b = i + 1, d = 1;
			i++;
			while (i < n && d) {
				if (s[i] == '(')
					d++;
				else if (s[i] == ')')
					d--;
				i++;
			}
			term = mq_paren(s + b, (i - b) - (d ? 0 : 1), depth);
		} else {
			size_t b = i;
			while (i < n && !isspace((unsigned char)s[i]) && s[i] != '(')
				i++;
			const char *w = s + b;
			size_t wn = i - b;
			if (word_is(w, wn, "and")) {
				join = 0;
				continue;
			}
			if (word_is(w, wn, "or")) {
				join = 1;
				continue;
			}
			if (word_is(w, wn, "not")) {
				if (first)
					neg_all = true;
				else
					neg_next = true;
				continue;
			}
			if (word_is(w, wn, "only"))
				continue;
			/* a media type */
			term = (word_is(w, wn, "all") || word_is(w, wn, "screen")) ? PC_CSS_MEDIA_ALL : 0;
		}
		if (neg_next)
			term = PC_CSS_MEDIA_ALL & ~term;
		neg_next = false;
		acc = first ? term : join ? (acc | term) : (acc & term);
		first = false;
		join = 0;
	}
	if (first)
		acc = PC_CSS_MEDIA_ALL;
	return neg_all ? PC_CSS_MEDIA_ALL & ~acc : acc;
}

unsigned pc_css_media(const char *s, size_t n)
{
	unsigned m = 0;
	size_t b = 0, d = 0;
	bool any = false;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] == '(')
			d++;
		else if (i < n && s[i] == ')' && d)
			d--;
		if (i == n || (s[i] == ',' && !d)) {
			const char *q = s + b;
			size_t qn = i - b;
			trim(&q, &qn);
			if (qn) {
				m |= mq_condition(q, qn, 0);
				any = true;
			}
			b = i + 1;
		}
	}
	return any ? m : PC_CSS_MEDIA_ALL;
}

/* The at-rule keyword of a prelude ("@media", escapes decoded), and what
 * its block is. */
enum { BLOCK_RULES, BLOCK_MEDIA, BLOCK_SKIP };

static int at_kind(const char *p, size_t n, size_t *kwlen)
{
	pc_css_tok t;
	pc_css_next_token(p, n, 0, &t);
	*kwlen = t.e;
	if (t.kind != PC_CSS_T_AT)
		return BLOCK_SKIP;
	const char *w = p + t.vb;
	size_t wn = t.ve - t.vb;
	if (pc_css_name_is(w, wn, "media"))
		return BLOCK_MEDIA;
	static const char *const pass[] = {"supports",      "layer", "container",     "document",
	                                   "-moz-document", "scope", "starting-style"};
	for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++)
		if (pc_css_name_is(w, wn, pass[i]))
			return BLOCK_RULES;
	return BLOCK_SKIP;
}

size_t pc_css_sheet_each(const char *s, size_t n, size_t max_rules, pc_css_each_cb cb, void *ctx)
{
	return pc_css_sheet_each_in(s, n, max_rules, PC_CSS_MEDIA_ALL, cb, ctx);
}

size_t pc_css_sheet_each_in(const char *s, size_t n, size_t max_rules, unsigned media, pc_css_each_cb cb, void *ctx)
{
	unsigned stack[MAX_DEPTH + 1];
	size_t depth = 0, rules = 0, prelude = 0;
	stack[0] = media & PC_CSS_MEDIA_ALL;
	pc_css_tok t;
	/* tokens (parse/css.c): a brace in a string, a comment or a url()
	 * opens nothing */
	for (size_t i = 0; i < n && rules < max_rules; i = t.e) {
		pc_css_next_token(s, n, i, &t);
		if ((t.kind == PC_CSS_T_WS || t.kind == PC_CSS_T_COMMENT) && prelude == t.b) {
			prelude = t.e; /* a comment before "@media" hides nothing */
			continue;
		}
		if (t.kind == PC_CSS_T_SEMI || t.kind == PC_CSS_T_RBRACE) {
			if (t.kind == PC_CSS_T_RBRACE && depth)
				depth--;
			prelude = t.e;
			continue;
		}
		if (t.kind != PC_CSS_T_LBRACE)
			continue;
		const char *p = s + prelude;
		size_t pn = t.b - prelude;
		trim(&p, &pn);
		unsigned outer = depth <= MAX_DEPTH ? stack[depth] : 0;
		if (pn && p[0] == '@') {
			size_t kw;
			int kind = at_kind(p, pn, &kw);
			unsigned m = kind == BLOCK_SKIP    ? 0
			             : kind == BLOCK_MEDIA ? outer & pc_css_media(p + kw, pn - kw)
			                                   : outer;
			depth++;
			if (depth <= MAX_DEPTH)
				stack[depth] = m;
			prelude = t.e;
			continue;
		}
		/* a rule: its declarations up to the matching '}' (nested blocks
		 * inside a declaration list are skipped with it) */
		size_t b = t.e, k = b, d = 1;
		pc_css_tok u;
		for (; k < n; k = u.e) {
			pc_css_next_token(s, n, k, &u);
			if (u.kind == PC_CSS_T_LBRACE)
				d++;
			else if (u.kind == PC_CSS_T_RBRACE && !--d)
				break;
		}
		rules++;
		if (outer && pn)
			cb(ctx, p, pn, s + b, (k < n ? k : n) - b, outer);
		t.e = k < n ? k + 1 : n;
		prelude = t.e;
	}
	return rules;
}
