/*
 * NAME
 *   headers - header field lists, their differences, and forged fields
 * DESCRIPTION
 *   See headers.h. The input is attacker-controlled; the work is
 *   O(n log n) in the number of fields, which the MTA and
 *   limits.headers bound.
 */
#include "act/headers.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t pc_hdr_split(const char *msg, size_t n, pc_hfield **out, size_t *body)
{
	*out = NULL;
	size_t cap = 0, k = 0, i = 0;
	pc_hfield *v = NULL;
	while (i < n) {
		/* one line */
		const char *nl = memchr(msg + i, '\n', n - i);
		size_t le = nl ? (size_t)(nl - msg) + 1 : n; /* after its line end */
		size_t content = le - i - (nl ? 1 : 0);
		if (content && msg[i + content - 1] == '\r')
			content--;
		if (content == 0) { /* the empty line ends the header */
			i = le;
			break;
		}
		size_t start = i;
		/* the field's continuation lines */
		size_t end = le;
		while (end < n && (msg[end] == ' ' || msg[end] == '\t')) {
			const char *nl2 = memchr(msg + end, '\n', n - end);
			end = nl2 ? (size_t)(nl2 - msg) + 1 : n;
		}
		i = end;
		const char *colon = memchr(msg + start, ':', end - start);
		if (!colon || colon == msg + start || msg[start] == ' ' || msg[start] == '\t')
			continue;
		size_t nl_len = (size_t)(colon - (msg + start));
		while (nl_len && (msg[start + nl_len - 1] == ' ' || msg[start + nl_len - 1] == '\t'))
			nl_len--;
		if (!nl_len)
			continue;
		/* the value without the field's last line end */
		size_t vb = (size_t)(colon - msg) + 1, ve = end;
		if (ve > vb && msg[ve - 1] == '\n')
			ve--;
		if (ve > vb && msg[ve - 1] == '\r')
			ve--;
		if (k == cap) {
			size_t nc = cap ? cap * 2 : 32;
			pc_hfield *nv = nc > SIZE_MAX / sizeof *nv ? NULL : realloc(v, nc * sizeof *nv);
			if (!nv) {
				free(v);
				return (size_t)-1;
			}
			v = nv;
			cap = nc;
		}
		v[k++] = (pc_hfield){msg + start, msg + vb, nl_len, ve - vb};
	}
	*body = i > n ? n : i;
	*out = v;
	return k;
}

typedef struct ref {
	const pc_hfield *f;
	size_t pos;
} ref;

static int name_cmp(const pc_hfield *x, const pc_hfield *y)
{
	size_t m = x->namelen < y->namelen ? x->namelen : y->namelen;
	int c = strncasecmp(x->name, y->name, m);
	if (c)
		return c;
	return x->namelen < y->namelen ? -1 : x->namelen > y->namelen;
}

static int ref_cmp(const void *pa, const void *pb)
{
	const ref *a = pa, *b = pb;
	int c = name_cmp(a->f, b->f);
	if (c)
		return c;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static ref *sorted(const pc_hfield *f, size_t n)
{
	ref *r = malloc((n ? n : 1) * sizeof *r);
	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++)
		r[i] = (ref){&f[i], i};
	if (n > 1)
		qsort(r, n, sizeof *r, ref_cmp);
	return r;
}

int pc_hdr_diff(const pc_hfield *a, size_t na, const pc_hfield *b, size_t nb, pc_hdr_edit_cb cb, void *ctx)
{
	ref *ra = sorted(a, na), *rb = sorted(b, nb);
	int rc = 0;
	if (!ra || !rb) {
		rc = -1;
		goto out;
	}
	size_t i = 0, j = 0;
	while (!rc && (i < na || j < nb)) {
		/* the next name: the smaller of the two groups' heads */
		const pc_hfield *name;
		if (i < na && j < nb)
			name = name_cmp(ra[i].f, rb[j].f) <= 0 ? ra[i].f : rb[j].f;
		else
			name = i < na ? ra[i].f : rb[j].f;
		size_t ea = i, eb = j;
		while (ea < na && name_cmp(ra[ea].f, name) == 0)
			ea++;
		while (eb < nb && name_cmp(rb[eb].f, name) == 0)
			eb++;
		size_t ca = ea - i, cb_ = eb - j, common = ca < cb_ ? ca : cb_;
		for (size_t k = 0; !rc && k < common; k++) {
			const pc_hfield *x = ra[i + k].f, *y = rb[j + k].f;
			if (x->valuelen != y->valuelen || memcmp(x->value, y->value, x->valuelen))
				rc = cb(ctx, 'x', x->name, x->namelen, (unsigned)(k + 1), y->value, y->valuelen);
		}
		for (size_t k = ca; !rc && k > common; k--)
			rc = cb(ctx, 'd', ra[i + k - 1].f->name, ra[i + k - 1].f->namelen, (unsigned)k, NULL, 0);
		for (size_t k = common; !rc && k < cb_; k++)
			rc = cb(ctx, 'a', rb[j + k].f->name, rb[j + k].f->namelen, 0, rb[j + k].f->value,
			        rb[j + k].f->valuelen);
		i = ea;
		j = eb;
	}
out:
	free(ra);
	free(rb);
	return rc;
}

static bool ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool pc_hdr_forged(const char *name, size_t namelen, const char *value, size_t valuelen, const char *authserv_id)
{
	static const char xp[] = "X-Portcullis-";
	if (namelen >= sizeof xp - 1 && !strncasecmp(name, xp, sizeof xp - 1))
		return true;
	static const char ar[] = "Authentication-Results";
	if (namelen != sizeof ar - 1 || strncasecmp(name, ar, namelen))
		return false;
	/* authserv-id: the first token, after folding white space and
	 * comments (RFC 8601 2.2: CFWS before it is allowed) */
	size_t i = 0;
	for (;;) {
		while (i < valuelen && ws(value[i]))
			i++;
		if (i < valuelen && value[i] == '(') {
			int depth = 0;
			for (; i < valuelen; i++) {
				if (value[i] == '\\' && i + 1 < valuelen)
					i++;
				else if (value[i] == '(')
					depth++;
				else if (value[i] == ')' && --depth == 0) {
					i++;
					break;
				}
			}
			continue;
		}
		break;
	}
	size_t idlen = strlen(authserv_id);
	if (i < valuelen && value[i] == '"') { /* a quoted-string authserv-id */
		char id[256];
		size_t k = 0;
		for (i++; i < valuelen && value[i] != '"'; i++) {
			if (value[i] == '\\' && i + 1 < valuelen)
				i++;
			if (k == sizeof id - 1)
				return false;
			id[k++] = value[i];
		}
		return k == idlen && idlen && !strncasecmp(id, authserv_id, idlen);
	}
	size_t b = i;
	while (i < valuelen && !ws(value[i]) && value[i] != ';' && value[i] != '(')
		i++;
	return i - b == idlen && idlen && !strncasecmp(value + b, authserv_id, idlen);
}
