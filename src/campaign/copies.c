/*
 * NAME
 *   copies - per-recipient tokens that only the copies of a campaign show
 *   (see copies.h)
 * DESCRIPTION
 *   Work per message is bounded whatever the campaign holds: at most
 *   PC_COPIES_MAX_SHAPES shapes, each compared with at most
 *   PC_COPIES_ROWS rows (the most recently stored, one range) of
 *   PC_COPIES_MAX_POS positions (one sort of at most 33 sample hashes per
 *   position), and one row written per shape.
 *   A row's blob: one byte npos (its top bit set when the member was
 *   stored with a token: then no later copy needs to give it one, and its
 *   row is not sent to the store again), then per position its 32-bit id,
 *   one byte n and n 32-bit hashes, little endian; a row that does not
 *   read so is skipped. Each copy of a tokened campaign lists the 32 before
 *   it: without the bit, every one of them cost a member update that
 *   found the token there (55 a message in a campaign of 10,000 copies).
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
#define BLOB_MAX (1 + PC_COPIES_MAX_POS * (5 + 4 * PC_COPIES_KEEP))

static uint32_t value_hash(const char *s, size_t n)
{
	return (uint32_t)(pc_hash64(s, n, 0x636f706965735631ULL) >> 32);
}

/* The position with this id (added when new and there is room); NULL. */
static pc_copy_pos *position(pc_copy_shape *sh, uint32_t id)
{
	for (unsigned i = 0; i < sh->npos; i++)
		if (sh->pos[i].id == id)
			return &sh->pos[i];
	if (sh->npos >= PC_COPIES_MAX_POS)
		return NULL;
	pc_copy_pos *p = &sh->pos[sh->npos++];
	p->id = id;
	return p;
}

/* Keeps h among the position's PC_COPIES_KEEP smallest, ascending. */
static void keep(pc_copy_pos *p, uint32_t h)
{
	unsigned n = p->n, i = 0;
	while (i < n && p->vals[i] < h)
		i++;
	if ((i < n && p->vals[i] == h) || i >= PC_COPIES_KEEP)
		return;
	if (n == PC_COPIES_KEEP)
		n--;
	memmove(p->vals + i + 1, p->vals + i, (n - i) * sizeof *p->vals);
	p->vals[i] = h;
	p->n = n + 1;
}

static void put_value(pc_copy_shape *sh, uint32_t id, const char *v, size_t n)
{
	if (!n)
		return;
	pc_copy_pos *p = position(sh, id);
	if (p)
		keep(p, value_hash(v, n));
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

static const char *host_of(const pc_url *u)
{
	return u->host_ascii ? u->host_ascii : u->host;
}

static uint64_t shape_of(const pc_url *u, bool link)
{
	/* the registrable domain: the host is a position ("77311.t.example") */
	const char *host = u->domain ? u->domain : host_of(u);
	uint64_t h = pc_hash64(link ? "l" : "r", 1, 0x7368617065ULL);
	h = pc_hash64(host, strlen(host) + 1, h);
	char counts[48];
	int k = snprintf(counts, sizeof counts, "%zu/%d", u->nsegments, u->fragment && *u->fragment);
	h = pc_hash64(counts, (size_t)k, h);
	return h ? h : 1;
}

static uint32_t param_id(const char *key)
{
	return PC_COPY_PARAM | (value_hash(key, strlen(key)) & 0x7fffffffu);
}

/* Adds u's values to its shape's positions: the fixed ones first, so a
 * URL with many parts never crowds them out. */
static void add_positions(pc_copy_shape *sh, const pc_url *u)
{
	const pc_kv *params[MAX_PARAMS];
	size_t np = sorted_params(u, params);
	const char *host = host_of(u);
	const char *path = u->path ? u->path : "", *query = u->query ? u->query : "";
	const char *frag = u->fragment ? u->fragment : "";
	uint64_t whole = pc_hash64(host, strlen(host) + 1, 0x77686f6c65ULL);
	whole = pc_hash64(path, strlen(path) + 1, whole);
	whole = pc_hash64(query, strlen(query) + 1, whole);
	whole = pc_hash64(frag, strlen(frag), whole);
	char w[17];
	snprintf(w, sizeof w, "%016llx", (unsigned long long)whole);
	put_value(sh, PC_COPY_WHOLE, w, 16);
	put_value(sh, PC_COPY_HOST, host, strlen(host));
	put_value(sh, PC_COPY_FRAGMENT, frag, strlen(frag));
	if (np) {
		uint64_t keys = 0x6b657973ULL;
		for (size_t i = 0; i < np; i++) {
			const char *key = params[i]->key ? params[i]->key : "";
			keys = pc_hash64(key, strlen(key) + 1, keys);
		}
		snprintf(w, sizeof w, "%016llx", (unsigned long long)keys);
		put_value(sh, PC_COPY_KEYS, w, 16);
	}
	for (size_t i = 0; i < u->nsegments && i < 64; i++) {
		const char *seg = u->segments[i] ? u->segments[i] : "";
		put_value(sh, PC_COPY_SEGMENT + (uint32_t)i, seg, strlen(seg));
	}
	for (size_t i = 0; i < np; i++) {
		const char *v = params[i]->value ? params[i]->value : "";
		put_value(sh, param_id(params[i]->key ? params[i]->key : ""), v, strlen(v));
	}
}

static int add_url(pc_msg *m, pc_copies *cp, const pc_url *u, bool link, void *occ)
{
	if (!u || !pc_url_is_remote(u) || !u->host || !*u->host)
		return 0;
	uint64_t skel = shape_of(u, link);
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
		sh->first = u;
	}
	add_positions(sh, u);
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

int pc_copies_make(pc_msg *m, time_t when, pc_copies *cp)
{
	memset(cp, 0, sizeof *cp);
	cp->when = when;
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
	time_t when;
	unsigned npos;
	bool tokened; /* the member was stored with its token */
	pc_copy_pos pos[PC_COPIES_MAX_POS];
	const char *source, *message_id;
} row;

#define TOKENED 0x80 /* in a blob's first byte, above any npos */
_Static_assert(PC_COPIES_MAX_POS < TOKENED, "npos and the tokened bit share a byte");

static size_t encode(const pc_copy_shape *sh, bool tokened, unsigned char *b)
{
	size_t k = 0;
	b[k++] = (unsigned char)(sh->npos | (tokened ? TOKENED : 0));
	for (unsigned p = 0; p < sh->npos; p++) {
		const pc_copy_pos *q = &sh->pos[p];
		for (int s = 0; s < 32; s += 8)
			b[k++] = (unsigned char)(q->id >> s);
		b[k++] = (unsigned char)q->n;
		for (unsigned i = 0; i < q->n; i++)
			for (int s = 0; s < 32; s += 8)
				b[k++] = (unsigned char)(q->vals[i] >> s);
	}
	return k;
}

static uint32_t le32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static bool decode(const unsigned char *b, size_t len, row *r)
{
	size_t k = 0;
	if (len < 1 || (b[0] & ~TOKENED) > PC_COPIES_MAX_POS)
		return false;
	r->tokened = (b[0] & TOKENED) != 0;
	r->npos = b[k++] & ~TOKENED;
	for (unsigned p = 0; p < r->npos; p++) {
		if (len - k < 5 || b[k + 4] > PC_COPIES_KEEP)
			return false;
		r->pos[p].id = le32(b + k);
		unsigned n = b[k + 4];
		k += 5;
		if (len - k < 4 * (size_t)n)
			return false;
		r->pos[p].n = n;
		for (unsigned i = 0; i < n; i++, k += 4)
			r->pos[p].vals[i] = le32(b + k);
	}
	return k == len;
}

static const pc_copy_pos *row_pos(const row *r, uint32_t id)
{
	for (unsigned i = 0; i < r->npos; i++)
		if (r->pos[i].id == id)
			return &r->pos[i];
	return NULL;
}

typedef struct reader {
	pc_msg *m;
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
	if (!cr->vals || !decode(cr->vals, cr->len, r))
		return 0;
	r->rcpt = cr->rcpt;
	r->when = cr->when;
	r->source = pc_arena_strdup(rd->m->arena, cr->source);
	r->message_id = pc_arena_strdup(rd->m->arena, cr->message_id);
	if (r->source && r->message_id)
		rd->n++;
	return 0;
}

/* One copy's sample at a position, as one value. */
static uint64_t sample_hash(const pc_copy_pos *p)
{
	return pc_hash64(p->vals, p->n * sizeof p->vals[0], 0x73616d70ULL);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static bool within_burst(time_t a, time_t b)
{
	return (a > b ? a - b : b - a) <= PC_COPIES_BURST;
}

/* Judges position p of sh against the rows: sets its token and varies
 * bits. */
static void judge_position(pc_copy_shape *sh, unsigned p, const row *rows, size_t n, time_t when)
{
	const pc_copy_pos *mine = &sh->pos[p];
	if (!mine->n)
		return;
	bool multi = mine->n > 1;
	uint64_t v[PC_COPIES_ROWS + 1];
	size_t k = 0;
	v[k++] = sample_hash(mine);
	for (size_t r = 0; r < n; r++) {
		const pc_copy_pos *q = row_pos(&rows[r], mine->id);
		if (!q || !q->n)
			continue;
		/* several values in a copy: only the copies of one send */
		if ((multi || q->n > 1) && !within_burst(rows[r].when, when))
			continue;
		v[k++] = sample_hash(q);
	}
	qsort(v, k, sizeof *v, cmp_u64);
	size_t distinct = k ? 1 : 0;
	for (size_t i = 1; i < k; i++)
		distinct += v[i] != v[i - 1];
	if (distinct > 1)
		sh->varies |= 1u << p;
	if (k >= PC_COPIES_MIN && distinct >= PC_COPIES_MIN && 2 * distinct >= k)
		sh->token |= 1u << p;
}

/* The token a copy had in the shape: its values at the token positions,
 * hashed (hex into out). false when it had none there. */
static bool token_of(const pc_copy_shape *sh, const pc_copy_pos *pos, unsigned npos, char out[17])
{
	uint64_t h = sh->skel;
	bool any = false;
	for (unsigned p = 0; p < sh->npos; p++) {
		if (!(sh->token & 1u << p))
			continue;
		const pc_copy_pos *q = NULL;
		for (unsigned i = 0; i < npos && !q; i++)
			if (pos[i].id == sh->pos[p].id)
				q = &pos[i];
		if (!q || !q->n)
			continue;
		h = pc_hash64(q->vals, q->n * sizeof q->vals[0], h ^ q->id);
		any = true;
	}
	if (!any)
		return false;
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

/* Whether the template shows {COPY} at the position with this id: a
 * token there; or, when only the whole URL is one (an id split over
 * parts that each repeat), a part whose values differ between copies. */
static bool marked(const pc_copy_shape *sh, uint32_t id, bool parts)
{
	for (unsigned p = 0; p < sh->npos; p++)
		if (sh->pos[p].id == id)
			return (sh->token & 1u << p) || (!parts && (sh->varies & 1u << p));
	return false;
}

/* The shape's first URL with {COPY} where the copies differ. */
static const char *template_of(pc_msg *m, const pc_copy_shape *sh)
{
	const pc_url *u = sh->first;
	const pc_kv *params[MAX_PARAMS];
	size_t np = sorted_params(u, params);
	bool parts = false; /* a token at a part of the URL, not only the whole */
	for (unsigned p = 0; p < sh->npos; p++)
		if ((sh->token & 1u << p) && sh->pos[p].id != PC_COPY_WHOLE)
			parts = true;
	tbuf t = {.n = 0};
	t.s[0] = '\0';
	put(&t, marked(sh, PC_COPY_HOST, parts) ? "{COPY}" : host_of(u));
	for (size_t i = 0; i < u->nsegments; i++) {
		put(&t, "/");
		put(&t, marked(sh, PC_COPY_SEGMENT + (uint32_t)i, parts) ? "{COPY}" : u->segments[i]);
	}
	if (!u->nsegments)
		put(&t, "/");
	if (np && marked(sh, PC_COPY_KEYS, parts))
		put(&t, "?{COPY}");
	else
		for (size_t i = 0; i < np; i++) {
			const char *key = params[i]->key ? params[i]->key : "";
			put(&t, i ? "&" : "?");
			put(&t, key);
			put(&t, "=");
			put(&t,
			    marked(sh, param_id(key), parts) ? "{COPY}" : (params[i]->value ? params[i]->value : ""));
		}
	if (u->fragment && *u->fragment) {
		put(&t, "#");
		put(&t, marked(sh, PC_COPY_FRAGMENT, parts) ? "{COPY}" : u->fragment);
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
		reader rd = {m, cp->rcpt, rows, 0};
		if (pc_store_copies_get(st, id, sh->skel, PC_COPIES_ROWS + 1, on_row, &rd) != 0)
			return -1;
		if (rd.n + 1 < PC_COPIES_MIN)
			continue;
		for (unsigned p = 0; p < sh->npos; p++)
			judge_position(sh, p, rows, rd.n, cp->when);
		if (!sh->token)
			continue;
		char mine[17];
		if (token_of(sh, sh->pos, sh->npos, mine) && !token[0])
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
			if (!token_of(sh, rows[r].pos, rows[r].npos, hex))
				continue;
			copies++;
			if (!rows[r].tokened)
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

int pc_copies_record(pc_store *st, const pc_msg *m, long long id, const pc_copies *cp, bool tokened)
{
	if (!id || !cp->rcpt)
		return 0;
	const char *source = m->source ? m->source : "-";
	const char *msgid = m->message_id ? m->message_id : "";
	unsigned char blob[BLOB_MAX];
	for (size_t s = 0; s < cp->n; s++) {
		size_t len = encode(&cp->v[s], tokened, blob);
		if (pc_store_copies_add(st, id, cp->v[s].skel, cp->rcpt, cp->when, blob, len, source, msgid) != 0)
			return -1;
	}
	return 0;
}
