/*
 * NAME
 *   htmlcut - where MyHTML must stop reading a hostile HTML document (see htmlcut.h)
 */
#include "parse/htmlcut.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Elements whose end tag may be left out (they close each other) do not
 * deepen the tree in practice: not counted by pc_html_cut. */
static bool optional_end(const char *t, size_t n)
{
	static const char *const tags[] = {"p",  "li",    "td",    "th",    "tr",       "option",   "dt",
	                                   "dd", "tbody", "thead", "tfoot", "colgroup", "optgroup", "rb",
	                                   "rt", "rp",    "html",  "head",  "body"};
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
		if (strlen(tags[i]) == n && strncasecmp(t, tags[i], n) == 0)
			return true;
	return false;
}

static bool void_element(const char *t, size_t n)
{
	static const char *const tags[] = {"area", "base", "br",     "col",   "embed", "hr",    "img",   "input",
	                                   "link", "meta", "source", "track", "wbr",   "image", "param", "keygen"};
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
		if (strlen(tags[i]) == n && strncasecmp(t, tags[i], n) == 0)
			return true;
	return false;
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
static int formatting(const char *t, size_t n)
{
	static const char *const tags[] = {"a",    "b", "big",   "code",   "em",     "font", "i",
	                                   "nobr", "s", "small", "strike", "strong", "tt",   "u"};
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
		if (strlen(tags[i]) == n && strncasecmp(t, tags[i], n) == 0)
			return (int)i;
	return -1;
}

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
		int f = formatting(t, tl);
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
		if (optional_end(t, tl) || void_element(t, tl))
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
