/*
 * NAME
 *   copies - per-recipient tokens that only the copies of a campaign show
 *   (see copies.h)
 * DESCRIPTION
 *   Work per message is bounded whatever the campaign holds: at most
 *   PC_COPIES_MAX_SHAPES shapes, each compared with at most
 *   PC_COPIES_ROWS rows of PC_COPIES_MAX_POS positions of PC_COPIES_KEEP
 *   hashes (one sort of at most 132 hashes per position), and one row
 *   written per shape.
 *   A row's blob: one byte npos, then per position one byte n and n
 *   32-bit hashes, little endian; a row that does not read so is skipped.
 */
#include "campaign/copies.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sketch.h"
#include "parse/url.h"

#define MAX_PARAMS 32
#define TEMPLATE_MAX 400
#define BLOB_MAX (1 + PC_COPIES_MAX_POS * (1 + 4 * PC_COPIES_KEEP))

static uint32_t value_hash(const char *s)
{
	return (uint32_t)(pc_hash64(s, strlen(s), 0x636f706965735631ULL) >> 32);
}

/* Keeps h among the position's PC_COPIES_KEEP smallest, ascending. */
static void keep(pc_copy_shape *sh, unsigned p, uint32_t h)
{
	unsigned n = sh->nvals[p];
	uint32_t *v = sh->vals[p];
	unsigned i = 0;
	while (i < n && v[i] < h)
		i++;
	if (i < n && v[i] == h)
		return;
	if (i >= PC_COPIES_KEEP)
		return;
	if (n == PC_COPIES_KEEP)
		n--;
	memmove(v + i + 1, v + i, (n - i) * sizeof *v);
	v[i] = h;
	sh->nvals[p] = n + 1;
}

static int cmp_param(const void *x, const void *y)
{
	const pc_kv *a = *(const pc_kv *const *)x, *b = *(const pc_kv *const *)y;
	int c = strcmp(a->key ? a->key : "", b->key ? b->key : "");
	return c ? c : (a < b ? -1 : a > b);
}

/* The query parameters in key order (at most MAX_PARAMS); their count. */
static size_t sorted_params(const pc_url *u, const pc_kv **out)
{
	size_t n = 0;
	for (const pc_kv *kv = u->params; kv && n < MAX_PARAMS; kv = kv->next)
		out[n++] = kv;
	qsort(out, n, sizeof *out, cmp_param);
	return n;
}

static uint64_t shape_of(const pc_url *u, bool link, const pc_kv *const *params, size_t np)
{
	/* the registrable domain: the host is a position ("77311.t.example") */
	const char *host = u->domain ? u->domain : u->host_ascii ? u->host_ascii : u->host;
	uint64_t h = pc_hash64(link ? "l" : "r", 1, 0x7368617065ULL);
	h = pc_hash64(host, strlen(host) + 1, h);
	char counts[64];
	int k = snprintf(counts, sizeof counts, "%zu/%zu/%d", u->nsegments, np, u->fragment && *u->fragment);
	h = pc_hash64(counts, (size_t)k, h);
	for (size_t i = 0; i < np; i++) {
		const char *key = params[i]->key ? params[i]->key : "";
		h = pc_hash64(key, strlen(key) + 1, h);
	}
	return h ? h : 1;
}

/* Calls fn for each position of u: its index and value. */
static void positions(const pc_url *u, const pc_kv *const *params, size_t np,
                      void (*fn)(void *, unsigned, const char *), void *ctx)
{
	unsigned p = 0;
	fn(ctx, p++, u->host_ascii ? u->host_ascii : u->host);
	for (size_t i = 0; i < u->nsegments && p < PC_COPIES_MAX_POS; i++, p++)
		fn(ctx, p, u->segments[i] ? u->segments[i] : "");
	for (size_t i = 0; i < np && p < PC_COPIES_MAX_POS; i++, p++)
		fn(ctx, p, params[i]->value ? params[i]->value : "");
	if (u->fragment && *u->fragment && p < PC_COPIES_MAX_POS)
		fn(ctx, p, u->fragment);
}

static unsigned npositions(const pc_url *u, size_t np)
{
	size_t n = 1 + u->nsegments + np + (u->fragment && *u->fragment);
	return n < PC_COPIES_MAX_POS ? (unsigned)n : PC_COPIES_MAX_POS;
}

static void add_value(void *ctx, unsigned p, const char *v)
{
	if (*v)
		keep(ctx, p, value_hash(v));
}

static int add_url(pc_msg *m, pc_copies *cp, const pc_url *u, bool link, void *occ)
{
	if (!u || !pc_url_is_remote(u) || !u->host || !*u->host)
		return 0;
	const pc_kv *params[MAX_PARAMS];
	size_t np = sorted_params(u, params);
	uint64_t skel = shape_of(u, link, params, np);
	pc_copy_shape *sh = NULL;
	for (size_t i = 0; i < cp->n && !sh; i++)
		if (cp->v[i].skel == skel)
			sh = &cp->v[i];
	if (!sh) {
		if (cp->n >= PC_COPIES_MAX_SHAPES)
			return 0;
		if (!cp->v && !(cp->v = pc_arena_calloc(m->arena, PC_COPIES_MAX_SHAPES, sizeof *cp->v)))
			return -1;
		sh = &cp->v[cp->n++];
		sh->skel = skel;
		sh->link = link;
		sh->npos = npositions(u, np);
		sh->first = u;
	}
	positions(u, params, np, add_value, sh);
	if (sh->nocc < PC_COPIES_OCC)
		sh->occ[sh->nocc++] = occ;
	return 0;
}

static const pc_url *url_of(pc_msg *m, const pc_url *u, const char *resolved)
{
	if (!resolved)
		return u;
	return pc_url_parse(m->arena, resolved, strlen(resolved));
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The recipient set: its lower-cased addresses sorted and hashed. */
static uint64_t recipients(const pc_msg *m)
{
	size_t n = m->rcpt.n < 256 ? m->rcpt.n : 256;
	if (!n)
		return 0;
	char *low[256];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *r = m->rcpt.v[i];
		size_t len = r ? strlen(r) : 0;
		char *c = len ? pc_arena_alloc(m->arena, len + 1) : NULL;
		if (!c)
			continue;
		for (size_t j = 0; j < len; j++)
			c[j] = (char)tolower((unsigned char)r[j]);
		c[len] = '\0';
		low[k++] = c;
	}
	qsort(low, k, sizeof *low, cmp_str);
	uint64_t h = 0x7263707473ULL;
	for (size_t i = 0; i < k; i++)
		if (!i || strcmp(low[i], low[i - 1]))
			h = pc_hash64(low[i], strlen(low[i]) + 1, h);
	return k && h ? h : 0;
}

int pc_copies_make(pc_msg *m, pc_copies *cp)
{
	memset(cp, 0, sizeof *cp);
	cp->rcpt = recipients(m);
	if (!cp->rcpt)
		return 0;
	for (size_t i = 0; i < m->resources.n; i++) {
		pc_resource *r = m->resources.v[i];
		if (add_url(m, cp, url_of(m, r->url, r->resolved), false, r) != 0)
			return -1;
	}
	for (size_t i = 0; i < m->links.n; i++) {
		pc_link *l = m->links.v[i];
		if (add_url(m, cp, url_of(m, l->url, l->resolved), true, l) != 0)
			return -1;
	}
	return 0;
}

/* ---- the rows ---- */

typedef struct row {
	uint64_t rcpt;
	unsigned nvals[PC_COPIES_MAX_POS];
	uint32_t vals[PC_COPIES_MAX_POS][PC_COPIES_KEEP];
	const char *source, *message_id;
} row;

static size_t encode(const pc_copy_shape *sh, unsigned char *b)
{
	size_t k = 0;
	b[k++] = (unsigned char)sh->npos;
	for (unsigned p = 0; p < sh->npos; p++) {
		b[k++] = (unsigned char)sh->nvals[p];
		for (unsigned i = 0; i < sh->nvals[p]; i++) {
			uint32_t v = sh->vals[p][i];
			for (int s = 0; s < 32; s += 8)
				b[k++] = (unsigned char)(v >> s);
		}
	}
	return k;
}

static bool decode(const unsigned char *b, size_t len, unsigned npos, row *r)
{
	size_t k = 0;
	if (len < 1 || b[k++] != npos)
		return false;
	for (unsigned p = 0; p < npos; p++) {
		if (k >= len || b[k] > PC_COPIES_KEEP)
			return false;
		unsigned n = b[k++];
		if (len - k < 4 * (size_t)n)
			return false;
		r->nvals[p] = n;
		for (unsigned i = 0; i < n; i++, k += 4)
			r->vals[p][i] = (uint32_t)b[k] | (uint32_t)b[k + 1] << 8 | (uint32_t)b[k + 2] << 16 |
			                (uint32_t)b[k + 3] << 24;
	}
	return k == len;
}

typedef struct reader {
	pc_msg *m;
	const pc_copy_shape *sh;
	uint64_t rcpt;
	row *rows;
	size_t n;
} reader;

static int on_row(void *ctx, const pc_copy_row *cr)
{
	reader *rd = ctx;
	if (rd->n >= PC_COPIES_ROWS || cr->rcpt == rd->rcpt)
		return 0;
	row *r = &rd->rows[rd->n];
	memset(r, 0, sizeof *r);
	if (!decode(cr->vals, cr->len, rd->sh->npos, r))
		return 0;
	r->rcpt = cr->rcpt;
	r->source = pc_arena_strdup(rd->m->arena, cr->source);
	r->message_id = pc_arena_strdup(rd->m->arena, cr->message_id);
	if (r->source && r->message_id)
		rd->n++;
	return 0;
}

typedef struct owned {
	uint32_t h;
	unsigned owner;
} owned;

static int cmp_owned(const void *x, const void *y)
{
	const owned *a = x, *b = y;
	return a->h < b->h ? -1 : a->h > b->h;
}

/* Whether position p differs between every two copies that have it
 * (this one among them), and at least PC_COPIES_MIN have it. */
static bool token_at(const pc_copy_shape *sh, const row *rows, size_t n, unsigned p)
{
	/* one value per copy: a position whose value varies inside one copy
	 * (the articles of a digest) is content, not the reader's id */
	if (sh->nvals[p] != 1)
		return false;
	owned v[(PC_COPIES_ROWS + 1) * PC_COPIES_KEEP];
	size_t k = 0, copies = 1;
	for (unsigned i = 0; i < sh->nvals[p]; i++)
		v[k++] = (owned){sh->vals[p][i], 0};
	for (size_t r = 0; r < n; r++) {
		if (!rows[r].nvals[p])
			continue;
		if (rows[r].nvals[p] != 1)
			return false;
		copies++;
		for (unsigned i = 0; i < rows[r].nvals[p]; i++)
			v[k++] = (owned){rows[r].vals[p][i], (unsigned)r + 1};
	}
	if (copies < PC_COPIES_MIN)
		return false;
	qsort(v, k, sizeof *v, cmp_owned);
	for (size_t i = 1; i < k; i++)
		if (v[i].h == v[i - 1].h && v[i].owner != v[i - 1].owner)
			return false;
	return true;
}

/* The token a copy had in the shape: its values at the token positions,
 * hashed (hex into out). false when it had none there. */
static bool token_of(const pc_copy_shape *sh, const unsigned *nvals, const uint32_t (*vals)[PC_COPIES_KEEP],
                     char out[17])
{
	uint64_t h = sh->skel;
	for (unsigned p = 0; p < sh->npos; p++) {
		if (!(sh->token & 1u << p))
			continue;
		if (!nvals[p])
			return false;
		h = pc_hash64(vals[p], nvals[p] * sizeof vals[p][0], h);
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
	return true;
}

typedef struct tbuf {
	char s[TEMPLATE_MAX + 16];
	size_t n;
	bool cut;
} tbuf;

static void put(tbuf *t, const char *s)
{
	size_t len = strlen(s);
	if (t->n + len > TEMPLATE_MAX) {
		t->cut = true;
		return;
	}
	memcpy(t->s + t->n, s, len);
	t->n += len;
	t->s[t->n] = '\0';
}

/* The shape's first URL with {COPY} at its token positions. */
static const char *template_of(pc_msg *m, const pc_copy_shape *sh)
{
	const pc_url *u = sh->first;
	const pc_kv *params[MAX_PARAMS];
	size_t np = sorted_params(u, params);
	tbuf t = {.n = 0};
	t.s[0] = '\0';
	put(&t, sh->token & 1u ? "{COPY}" : u->host_ascii ? u->host_ascii : u->host);
	unsigned p = 1;
	for (size_t i = 0; i < u->nsegments; i++, p++) {
		put(&t, "/");
		put(&t, p < PC_COPIES_MAX_POS && (sh->token & 1u << p) ? "{COPY}" : u->segments[i]);
	}
	if (!u->nsegments)
		put(&t, "/");
	for (size_t i = 0; i < np; i++, p++) {
		put(&t, i ? "&" : "?");
		put(&t, params[i]->key ? params[i]->key : "");
		put(&t, "=");
		put(&t, p < PC_COPIES_MAX_POS && (sh->token & 1u << p) ? "{COPY}"
		                                                       : (params[i]->value ? params[i]->value : ""));
	}
	if (u->fragment && *u->fragment) {
		put(&t, "#");
		put(&t, p < PC_COPIES_MAX_POS && (sh->token & 1u << p) ? "{COPY}" : u->fragment);
	}
	if (t.cut)
		put(&t, "...");
	return pc_arena_utf8(m->arena, t.s, t.n);
}

static bool already_tracker(const pc_msg *m, const void *occ, bool link)
{
	for (size_t i = 0; i < m->trackers.n; i++) {
		const pc_tracker *t = m->trackers.v[i];
		if (link ? (const void *)t->link == occ : (const void *)t->res == occ)
			return true;
	}
	return false;
}

static const char *const copies_signal[] = {"token-copies"};

/* Each of m's URLs of the shape becomes a tracker. */
static void report(pc_msg *m, const pc_copy_shape *sh, long long id, size_t copies, const char *tmpl)
{
	for (size_t i = 0; i < sh->nocc; i++) {
		if (already_tracker(m, sh->occ[i], sh->link))
			continue;
		pc_tracker *t = pc_arena_calloc(m->arena, 1, sizeof *t);
		if (!t)
			return;
		t->signals = (const char **)copies_signal;
		t->nsignals = 1;
		if (sh->link) {
			pc_link *l = sh->occ[i];
			t->link = l;
			t->click = true;
			t->element = "a";
			t->url = l->url->raw;
		} else {
			pc_resource *r = sh->occ[i];
			t->res = r;
			t->element = r->element;
			t->url = r->url->raw;
		}
		if (pc_vec_push(m->arena, &m->trackers, t) != 0)
			return;
		pc_finding *f = pc_msg_finding(m, PC_FINDING_TRACKER, "tracker.copies", sh->link ? 0.5 : 3.0,
		                               sh->link ? "link carries an id that differs for every recipient of its "
		                                          "campaign"
		                                        : "request carries an id that differs for every recipient of "
		                                          "its campaign");
		pc_finding_ev(m, f, "url", t->url);
		pc_finding_ev(m, f, "element", t->element);
		pc_finding_ev(m, f, "signals", "token-copies");
		pc_finding_ev(m, f, "template", tmpl);
		pc_finding_ev(m, f, "campaign", pc_arena_printf(m->arena, "%lld", id));
		pc_finding_ev(m, f, "copies", pc_arena_printf(m->arena, "%zu", copies));
	}
}

int pc_copies_judge(pc_store *st, pc_msg *m, long long id, pc_copies *cp, char token[17])
{
	token[0] = '\0';
	if (!id || !cp->rcpt)
		return 0;
	row *rows = pc_arena_alloc(m->arena, PC_COPIES_ROWS * sizeof *rows);
	if (!rows)
		return 0;
	pc_finding *campaign = NULL;
	for (size_t s = 0; s < cp->n; s++) {
		pc_copy_shape *sh = &cp->v[s];
		reader rd = {m, sh, cp->rcpt, rows, 0};
		if (pc_store_copies_get(st, id, sh->skel, PC_COPIES_ROWS + 1, on_row, &rd) != 0)
			return -1;
		if (rd.n + 1 < PC_COPIES_MIN)
			continue;
		for (unsigned p = 0; p < sh->npos; p++)
			if (token_at(sh, rows, rd.n, p))
				sh->token |= 1u << p;
		if (!sh->token)
			continue;
		char mine[17];
		if (token_of(sh, sh->nvals, (const uint32_t(*)[PC_COPIES_KEEP])sh->vals, mine) && !token[0])
			memcpy(token, mine, 17);
		const char *tmpl = template_of(m, sh);
		if (!tmpl)
			continue;
		/* the earlier copies' tokens there, for the store */
		pc_copy_token *toks = pc_arena_calloc(m->arena, rd.n ? rd.n : 1, sizeof *toks);
		size_t nt = 0, copies = 1;
		for (size_t r = 0; toks && r < rd.n; r++) {
			char *hex = pc_arena_alloc(m->arena, 17);
			if (!hex)
				break;
			if (!token_of(sh, rows[r].nvals, (const uint32_t(*)[PC_COPIES_KEEP])rows[r].vals, hex))
				continue;
			copies++;
			toks[nt++] = (pc_copy_token){rows[r].source, rows[r].message_id, hex};
		}
		if (pc_store_copies_found(st, id, tmpl, toks, nt) != 0)
			return -1;
		report(m, sh, id, copies, tmpl);
		if (!campaign) {
			campaign = pc_msg_finding(m, PC_FINDING_CAMPAIGN, "campaign.per-recipient-token", 0.0,
			                          "the copies of this campaign differ by recipient in a URL: a "
			                          "per-recipient token");
			pc_finding_ev(m, campaign, "campaign", pc_arena_printf(m->arena, "%lld", id));
			pc_finding_ev(m, campaign, "copies", pc_arena_printf(m->arena, "%zu", copies));
		}
		pc_finding_ev(m, campaign, "template", tmpl);
	}
	return 0;
}

int pc_copies_record(pc_store *st, const pc_msg *m, long long id, const pc_copies *cp)
{
	if (!id || !cp->rcpt)
		return 0;
	const char *source = m->source ? m->source : "-";
	const char *msgid = m->message_id ? m->message_id : "";
	unsigned char blob[BLOB_MAX];
	for (size_t s = 0; s < cp->n; s++) {
		size_t len = encode(&cp->v[s], blob);
		if (pc_store_copies_add(st, id, cp->v[s].skel, cp->rcpt, blob, len, source, msgid) != 0)
			return -1;
	}
	return 0;
}
