/*
 * NAME
 *   htmlcut - where MyHTML must stop reading a hostile HTML document (see htmlcut.h)
 */
#define _GNU_SOURCE /* memmem */
#include "parse/htmlcut.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What pc_html_cut and merge_cut need to know of a tag name, from one
 * lookup: it was eight lists, each walked with strlen and strncasecmp, up
 * to 85 comparisons for every tag of every document (8% of a corpus scan). */
enum {
	T_OPTIONAL_END = 1 << 0, /* end tag may be left out (they close each other):
	                          * does not deepen the tree in practice */
	T_VOID = 1 << 1,         /* no end tag: does not deepen the tree */
	T_TABLE = 1 << 2,
	T_POISON = 1 << 3,  /* merge_cut: nothing resets after it */
	T_NORESET = 1 << 4, /* merge_cut: may be ignored or put elsewhere */
	T_RAW = 1 << 5,     /* raw text (or markup, in SVG) up to its end tag */
};

typedef struct tag_info {
	char name[16];     /* lower case, zero padded: compared whole */
	unsigned char len; /* checked against its list when compiled */
	unsigned char flags;
	signed char fmt; /* index among the formatting elements, -1 if none */
} tag_info;

/* TAG(len, name, ...): a name whose length is not len does not compile
 * (tag_lookup reads only the list of the name's length). */
#define TAG(len, name, flags, fmt)                                                                                     \
	{                                                                                                              \
		name, sizeof(char[sizeof name - 1 == len ? 1 : -1]) * len, flags, fmt                                  \
	}
#define OE T_OPTIONAL_END
#define NR T_NORESET
static const tag_info tags1[] = {
    TAG(1, "a", 0, 0), TAG(1, "b", 0, 1), TAG(1, "i", 0, 6), TAG(1, "s", 0, 8), TAG(1, "u", 0, 13), TAG(1, "p", OE, -1),
};
static const tag_info tags2[] = {
    TAG(2, "em", 0, 4),        TAG(2, "tt", 0, 12),       TAG(2, "li", OE, -1), TAG(2, "td", OE | NR, -1),
    TAG(2, "th", OE | NR, -1), TAG(2, "tr", OE | NR, -1), TAG(2, "dt", OE, -1), TAG(2, "dd", OE, -1),
    TAG(2, "rb", OE, -1),      TAG(2, "rt", OE, -1),      TAG(2, "rp", OE, -1), TAG(2, "br", T_VOID, -1),
    TAG(2, "hr", T_VOID, -1),
};
static const tag_info tags3[] = {
    TAG(3, "big", 0, 2),       TAG(3, "col", T_VOID | NR, -1), TAG(3, "img", T_VOID, -1),
    TAG(3, "wbr", T_VOID, -1), TAG(3, "xmp", T_RAW, -1),
};
static const tag_info tags4[] = {
    TAG(4, "code", 0, 3),        TAG(4, "font", 0, 5),        TAG(4, "nobr", 0, 7),       TAG(4, "html", OE | NR, -1),
    TAG(4, "head", OE | NR, -1), TAG(4, "body", OE | NR, -1), TAG(4, "area", T_VOID, -1), TAG(4, "base", T_VOID, -1),
    TAG(4, "link", T_VOID, -1),  TAG(4, "meta", T_VOID, -1),  TAG(4, "form", NR, -1),
};
static const tag_info tags5[] = {
    TAG(5, "small", 0, 9),        TAG(5, "tbody", OE | NR, -1),
    TAG(5, "thead", OE | NR, -1), TAG(5, "tfoot", OE | NR, -1),
    TAG(5, "embed", T_VOID, -1),  TAG(5, "input", T_VOID | NR, -1),
    TAG(5, "track", T_VOID, -1),  TAG(5, "image", T_VOID, -1),
    TAG(5, "param", T_VOID, -1),  TAG(5, "table", T_TABLE | NR, -1),
    TAG(5, "frame", NR, -1),      TAG(5, "style", NR | T_RAW, -1),
    TAG(5, "title", T_RAW, -1),
};
static const tag_info tags6[] = {
    TAG(6, "strike", 0, 10),
    TAG(6, "strong", 0, 11),
    TAG(6, "option", OE | NR, -1),
    TAG(6, "source", T_VOID, -1),
    TAG(6, "keygen", T_VOID, -1),
    TAG(6, "script", NR | T_RAW, -1),
    TAG(6, "select", NR | T_POISON, -1),
    TAG(6, "iframe", T_RAW, -1),
};
static const tag_info tags7[] = {
    TAG(7, "caption", NR, -1),
    TAG(7, "noembed", T_RAW, -1),
};
static const tag_info tags8[] = {
    TAG(8, "colgroup", OE | NR, -1),       TAG(8, "optgroup", OE | NR, -1), TAG(8, "frameset", NR | T_POISON, -1),
    TAG(8, "template", NR | T_POISON, -1), TAG(8, "textarea", T_RAW, -1),   TAG(8, "noframes", T_RAW, -1),
};
static const tag_info tags9[] = {
    TAG(9, "plaintext", T_POISON, -1),
};
#undef TAG
#undef OE
#undef NR

#define LIST(t)                                                                                                        \
	{                                                                                                              \
		t, sizeof t / sizeof t[0]                                                                              \
	}
static const struct {
	const tag_info *tag;
	size_t n;
} by_len[] = {{NULL, 0},   LIST(tags1), LIST(tags2), LIST(tags3), LIST(tags4),
              LIST(tags5), LIST(tags6), LIST(tags7), LIST(tags8), LIST(tags9)};
#undef LIST

static const tag_info no_tag = {"", 0, 0, -1};

/* The entry for the tag name t[0..n), ASCII case-insensitively (HTML's
 * rule: no locale folds a byte in), or no_tag. */
static const tag_info *tag_lookup(const char *t, size_t n)
{
	char k[sizeof no_tag.name] = {0};
	if (n == 0 || n >= sizeof by_len / sizeof by_len[0])
		return &no_tag;
	for (size_t i = 0; i < n; i++)
		k[i] = t[i] >= 'A' && t[i] <= 'Z' ? (char)(t[i] + 32) : t[i];
	for (size_t i = 0; i < by_len[n].n; i++)
		if (memcmp(by_len[n].tag[i].name, k, sizeof k) == 0)
			return &by_len[n].tag[i];
	return &no_tag;
}

/* The HTML formatting elements (a b big code em font i nobr s small strike
 * strong tt u): the parser keeps a list of the active ones and clones
 * every one left open by a closed block each time text or an element
 * follows (HTML's "reconstruct the active formatting elements"), so K of
 * them followed by M paragraphs build K x M nodes (480 <b id=N> and
 * 16,000 <p>x</p>, 133 kB, took MyHTML 2.8 GB). pc_html_cut counts them: each
 * start tag costs as many nodes as there are active formatting elements,
 * with at most three entries per identical start tag (the spec's Noah's
 * Ark clause; "identical" is the same bytes here, so a disguised copy only
 * makes the estimate larger). Markers (td, object ...) are not modelled:
 * again larger, never smaller. */
#define FMT_NAMES 14

typedef struct fmt_state {
	size_t active;             /* estimated length of the list of active formatting elements */
	uint64_t *key;             /* open-addressed by a start tag's hash (0: free) */
	uint32_t *count;           /* how many of it are open */
	size_t cap, used;          /* slots (a power of two), keys */
	uint64_t *open[FMT_NAMES]; /* per name, the keys of the open ones, innermost last */
	size_t nopen[FMT_NAMES], capopen[FMT_NAMES];
	bool full; /* out of memory: the estimate stops shrinking */
} fmt_state;

static uint32_t *fmt_slot(uint64_t *key, uint32_t *count, size_t cap, uint64_t k)
{
	for (size_t i = k & (cap - 1);; i = (i + 1) & (cap - 1))
		if (key[i] == k || !key[i]) {
			key[i] = k;
			return &count[i];
		}
}

/* The count of open start tags with hash k (the table grows at half
 * full); NULL when out of memory. */
static uint32_t *fmt_count(fmt_state *f, uint64_t k)
{
	if (2 * (f->used + 1) > f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 1024;
		uint64_t *nk = calloc(cap, sizeof *nk);
		uint32_t *nc = calloc(cap, sizeof *nc);
		if (!nk || !nc) {
			free(nk);
			free(nc);
			return NULL;
		}
		for (size_t i = 0; i < f->cap; i++)
			if (f->key[i])
				*fmt_slot(nk, nc, cap, f->key[i]) = f->count[i];
		free(f->key);
		free(f->count);
		f->key = nk;
		f->count = nc;
		f->cap = cap;
	}
	size_t i = k & (f->cap - 1);
	while (f->key[i] && f->key[i] != k)
		i = (i + 1) & (f->cap - 1);
	if (!f->key[i]) {
		f->key[i] = k;
		f->used++;
	}
	return &f->count[i];
}

static void fmt_start(fmt_state *f, int name, const char *tag, size_t len)
{
	uint64_t k = 1469598103934665603ULL; /* FNV-1a of the whole start tag, never 0 */
	for (size_t i = 0; i < len; i++)
		k = (k ^ (unsigned char)tag[i]) * 1099511628211ULL;
	k |= 1;
	uint32_t *c = f->full ? NULL : fmt_count(f, k);
	if (!c)
		f->full = true;
	if (!c || ++*c <= 3)
		f->active++;
	if (f->full)
		return;
	if (f->nopen[name] == f->capopen[name]) {
		size_t cap = f->capopen[name] ? 2 * f->capopen[name] : 16;
		uint64_t *o = realloc(f->open[name], cap * sizeof *o);
		if (!o) {
			f->full = true;
			return;
		}
		f->open[name] = o;
		f->capopen[name] = cap;
	}
	f->open[name][f->nopen[name]++] = k;
}

static void fmt_end(fmt_state *f, int name)
{
	if (f->full || !f->nopen[name])
		return;
	uint64_t k = f->open[name][--f->nopen[name]];
	uint32_t *c = fmt_count(f, k);
	if (c && *c) {
		if (*c <= 3 && f->active)
			f->active--;
		--*c;
	}
}

/* --- text merges ---------------------------------------------------------- */

/* MyHTML appends a text token to the text node before it when nothing was
 * inserted between them (an ignored tag, an end tag, a comment or a table
 * part between two runs of a table's fostered text) by copying the node
 * (myhtml_token_merged_two_token_string), and keeps every old copy: N
 * merges into a node of L bytes cost N x L bytes ("x</foo>" 200,000
 * times, 1.4 MB, took 6.7 GB and 17 s; "<td>x" 50,000 times 480 MB).
 * merge_cut bounds that cost from the bytes, erring on the large side: the
 * text since the last start tag that surely inserts an element where the
 * next text goes (a reset) may be merged into by every later run of text.
 * Not resets: end tags, comments once a <table> was seen (they go into
 * the table, its fostered text before it), and the start tags a parser may ignore
 * or put somewhere else (NORESET: table parts ignored outside a table,
 * script, style, template, input and form inserted inside a table while
 * the text goes before it). After select, frameset or template (where most
 * start tags are ignored), plaintext, or a script holding "<!--" (whose end
 * a lexer cannot find), nothing resets any more. Inside what may be raw
 * text (script, style, textarea, title, xmp, iframe, noembed, noframes: up
 * to their end tag) and CDATA (up to "]]>") a tag is text to one reading
 * (no merge at all) and markup to the other (in SVG, say): it resets only
 * while no table was seen (a script in a table sits between two runs of
 * fostered text). Tags are read with
 * the tokenizer's attribute states, so a '>' or a tag inside a quoted
 * value is not one; comments end where the tokenizer ends them. Linear:
 * every byte is read a bounded number of times. Returns the offset of the
 * text whose merge passes `budget` bytes, n when none. */

static bool lex_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool lex_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* The end of the tag whose name ends at s[p]: the tokenizer's states for
 * attributes (a quote opens a value only after '='). n when it never ends. */
static size_t tag_end(const char *s, size_t n, size_t p)
{
	enum { BEFORE, NAME, AFTER, BEFORE_VALUE, UNQUOTED } st = BEFORE;
	while (p < n) {
		char c = s[p];
		if (c == '>' && st != BEFORE_VALUE)
			return p + 1;
		switch (st) {
		case BEFORE:
			if (!lex_space(c) && c != '/')
				st = NAME; /* '=' here starts a name */
			break;
		case NAME:
			st = lex_space(c) ? AFTER : c == '/' ? BEFORE : c == '=' ? BEFORE_VALUE : NAME;
			break;
		case AFTER:
			st = lex_space(c) ? AFTER : c == '/' ? BEFORE : c == '=' ? BEFORE_VALUE : NAME;
			break;
		case BEFORE_VALUE:
			if (c == '>')
				return p + 1; /* a missing value */
			if (c == '"' || c == '\'') {
				const char *q = memchr(s + p + 1, c, n - p - 1);
				if (!q)
					return n;
				p = (size_t)(q - s);
				st = BEFORE; /* after a quoted value anything starts the next */
			} else if (!lex_space(c)) {
				st = UNQUOTED;
			}
			break;
		case UNQUOTED:
			if (lex_space(c))
				st = BEFORE;
			break;
		}
		p++;
	}
	return n;
}

/* The end of the comment that starts at s[k] ("<!--" at k - 1): the first
 * "-->" or "--!>", or an abrupt "<!-->" / "<!--->". */
static size_t comment_end(const char *s, size_t n, size_t k)
{
	size_t q = k + 3;
	if (q < n && s[q] == '>')
		return q + 1;
	if (q + 1 < n && s[q] == '-' && s[q + 1] == '>')
		return q + 2;
	while (q < n) {
		const char *d = memmem(s + q, n - q, "--", 2);
		if (!d)
			return n;
		size_t i = (size_t)(d - s) + 2;
		if (i < n && s[i] == '>')
			return i + 1;
		if (i + 1 < n && s[i] == '!' && s[i + 1] == '>')
			return i + 2;
		q = i - 1;
	}
	return n;
}

/* Where "</name" followed by a space, '/' or '>' starts after p; n when never. */
static size_t raw_end(const char *s, size_t n, size_t p, const char *name, size_t l)
{
	for (const char *q = s + p; (q = memchr(q, '<', (size_t)(s + n - q))); q++) {
		size_t i = (size_t)(q - s);
		if (n - i > l + 2 && q[1] == '/' && strncasecmp(q + 2, name, l) == 0 &&
		    (lex_space(q[l + 2]) || q[l + 2] == '/' || q[l + 2] == '>'))
			return i;
	}
	return n;
}

static size_t merge_cut(const char *s, size_t n, size_t budget)
{
	size_t run = 0, cost = 0, last = 0, i = 0, quiet = 0; /* no reset before quiet */
	bool poisoned = false, table = false;
	for (;;) {
		const char *lt = i < n ? memchr(s + i, '<', n - i) : NULL;
		size_t j = lt ? (size_t)(lt - s) : n, k = j + 1, e;
		bool start = false, comment = false;
		size_t name = 0, nl = 0;
		if (lt) {
			if (k < n && s[k] == '!' && j >= quiet && n - k >= 3 && s[k + 1] == '-' && s[k + 2] == '-') {
				e = comment_end(s, n, k);
				comment = true;
			} else if (k < n && s[k] == '!' && n - k >= 8 && !memcmp(s + k, "![CDATA[", 8)) {
				const char *c = memmem(s + k, n - k, "]]>", 3);
				size_t ce = c ? (size_t)(c - s) + 3 : n;
				quiet = ce > quiet ? ce : quiet;
				const char *g = memchr(s + k, '>', n - k); /* in HTML a bogus comment up to '>' */
				e = g ? (size_t)(g - s) + 1 : n;
			} else if (k < n && (s[k] == '!' || s[k] == '?' ||
			                     (s[k] == '/' && !(k + 1 < n && lex_alpha(s[k + 1]))))) {
				const char *g = memchr(s + k, '>', n - k);
				e = g ? (size_t)(g - s) + 1 : n;
				comment = !(s[k] == '/' && k + 1 < n && s[k + 1] == '>'); /* "</>" is nothing */
			} else if (k < n && (lex_alpha(s[k]) || s[k] == '/')) {
				start = s[k] != '/';
				name = start ? k : k + 1;
				nl = 0;
				while (name + nl < n && !lex_space(s[name + nl]) && s[name + nl] != '/' &&
				       s[name + nl] != '>')
					nl++;
				e = tag_end(s, n, name + nl);
			} else {
				i = k; /* a '<' that starts no tag is text */
				continue;
			}
		} else {
			e = n;
		}
		if (j > last) { /* a run of text: merged into what came since the last reset */
			if (run > budget || cost > budget - run)
				return last;
			cost += run;
			run += j - last;
		}
		if (!lt)
			return n;
		/* a comment is inserted where the text goes, but into a table
		 * while fostered text goes before it: a reset while no table
		 * can be open */
		if (comment && !table && !poisoned)
			run = 0;
		if (start) {
			unsigned flags = tag_lookup(s + name, nl)->flags;
			table |= (flags & T_TABLE) != 0;
			if (flags & T_POISON)
				poisoned = true;
			if (!poisoned && (j >= quiet || !table) && !(flags & T_NORESET))
				run = 0;
			if (j >= quiet && (flags & T_RAW)) {
				char nm[16];
				memcpy(nm, s + name, nl);
				size_t r = raw_end(s, n, e, nm, nl);
				if (nl == 6 && !strncasecmp(nm, "script", 6) && memmem(s + e, r - e, "<!--", 4))
					poisoned = true;
				quiet = r > quiet ? r : quiet;
			}
		}
		i = last = e;
	}
}

size_t pc_html_cut(const char *s, size_t n, size_t maxd, size_t maxn, const char **which)
{
	size_t depth = 0, nodes = 0;
	*which = NULL;
	fmt_state *fmt = calloc(1, sizeof *fmt);
	size_t cut = n;
	const char *end = s + n;
	for (const char *p = s; (p = memchr(p, '<', (size_t)(end - p))); p++) {
		const char *q = p + 1;
		bool close = q < end && *q == '/';
		if (close)
			q++;
		const char *t = q;
		while (q < end && (isalnum((unsigned char)*q) || *q == '-' || *q == ':'))
			q++;
		size_t tl = (size_t)(q - t);
		if (!tl || !isalpha((unsigned char)*t))
			continue;
		const tag_info *ti = tag_lookup(t, tl);
		int f = ti->fmt;
		if (!close) {
			size_t units = 1;
			const char *gt = memchr(q, '>', (size_t)(end - q));
			const char *stop = gt ? gt : end;
			for (const char *e = q; (e = memchr(e, '=', (size_t)(stop - e))); e++)
				units++;
			/* the clones it may cost (no estimate without memory: the
			 * part is then cut at maxn / 2 of plain nodes) */
			nodes += units + (fmt ? fmt->active : units);
			if (nodes > maxn) {
				*which = "html_nodes";
				cut = (size_t)(p - s);
				break;
			}
			if (f >= 0 && fmt)
				fmt_start(fmt, f, t, (size_t)(stop - t));
		} else if (f >= 0 && fmt)
			fmt_end(fmt, f);
		if (ti->flags & (T_OPTIONAL_END | T_VOID))
			continue;
		if (close) {
			if (depth)
				depth--;
		} else if (++depth > maxd) {
			*which = "html_depth";
			cut = (size_t)(p - s);
			break;
		}
	}
	if (fmt) {
		for (size_t i = 0; i < FMT_NAMES; i++)
			free(fmt->open[i]);
		free(fmt->key);
		free(fmt->count);
	}
	free(fmt);
	/* and what MyHTML's text merges cost, in the same budget: a node is
	 * about half a kilobyte */
	size_t mcut = merge_cut(s, cut, maxn > SIZE_MAX / 512 ? SIZE_MAX : maxn * 512);
	if (mcut < cut) {
		*which = "html_nodes";
		cut = mcut;
	}
	return cut;
}

size_t pc_html_eof_in_tag(const char *s, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		if (s[i] == '>')
			return n;
		if (s[i] != '<')
			continue;
		size_t k = i + 1;
		if (k < n && s[k] == '/')
			k++;
		return k < n && isalpha((unsigned char)s[k]) ? i : n;
	}
	return n;
}
