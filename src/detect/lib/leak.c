/*
 * NAME
 *   leak - recipient identity in any encoding (see leak.h)
 * DESCRIPTION
 *   Patterns are built once per distinct recipient set: with a milter or a
 *   mailbox of one user the set rarely changes, and a corpus scan, where it
 *   changes every message, costs ~150 patterns and 36 digests per
 *   recipient. Digests come from OpenSSL's EVP interface with the
 *   algorithms fetched once.
 */
#include "detect/lib/leak.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/lib/ac.h"
#include "parse/domain.h"

typedef struct pattern {
	size_t off, len;      /* bytes in lk->text */
	size_t key;           /* the prefix in the automaton (see index_patterns) */
	const char *encoding; /* static */
	const char *form;     /* static */
	const char *repr;     /* static or NULL */
	unsigned identity;    /* index into lk->ids */
	bool exact_case;      /* base64 forms: the hit's bytes must match exactly */
	bool boundary;        /* plain text: no letter or digit on either side */
} pattern;

#define NALGO 6
#define PC_LEAK_PREFIX 12
static const char *const algo_names[NALGO] = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"};

struct pc_leak {
	pc_ac *ac;
	pattern *pats;
	size_t npats, patcap;
	char *text;
	size_t textn, textcap;
	char *ids[PC_LEAK_MAX_IDENTITIES];
	size_t nids;
	EVP_MD *md[NALGO];
	EVP_MD_CTX *mdctx; /* reused: a context per digest cost more than the digest */
	bool built;
};

pc_leak *pc_leak_new(void)
{
	pc_leak *lk = calloc(1, sizeof *lk);
	if (!lk)
		return NULL;
	lk->ac = pc_ac_new();
	static const char *const fetch[NALGO] = {"MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512"};
	for (size_t i = 0; i < NALGO; i++)
		lk->md[i] = EVP_MD_fetch(NULL, fetch[i], NULL); /* NULL: that digest is unavailable (FIPS) */
	lk->mdctx = EVP_MD_CTX_new();
	if (!lk->ac || !lk->mdctx) {
		pc_leak_free(lk);
		return NULL;
	}
	return lk;
}

static void clear_ids(pc_leak *lk)
{
	for (size_t i = 0; i < lk->nids; i++)
		free(lk->ids[i]);
	lk->nids = 0;
}

void pc_leak_free(pc_leak *lk)
{
	if (!lk)
		return;
	pc_ac_free(lk->ac);
	free(lk->pats);
	free(lk->text);
	clear_ids(lk);
	for (size_t i = 0; i < NALGO; i++)
		EVP_MD_free(lk->md[i]);
	EVP_MD_CTX_free(lk->mdctx);
	free(lk);
}

static bool same_ids(const pc_leak *lk, const char *const *addrs, size_t n)
{
	if (!lk->built || n != lk->nids)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(lk->ids[i], addrs[i]))
			return false;
	return true;
}

/* Appends a pattern. Equal patterns (an address whose as-written and
 * lower-case forms agree, say) end on the same trie node and are harmless:
 * the search keeps the longest hit. The caller skips the obvious ones. */
static int add(pc_leak *lk, const char *s, size_t n, const char *encoding, const char *form, const char *repr,
               unsigned id, bool exact, bool boundary)
{
	if (n == 0)
		return 0;
	if (lk->npats == lk->patcap) {
		size_t nc = lk->patcap ? lk->patcap * 2 : 256;
		pattern *np = realloc(lk->pats, nc * sizeof *np);
		if (!np)
			return -1;
		lk->pats = np;
		lk->patcap = nc;
	}
	if (lk->textn + n > lk->textcap) {
		size_t nc = lk->textcap ? lk->textcap : 8192;
		while (nc < lk->textn + n)
			nc *= 2;
		char *nt = realloc(lk->text, nc);
		if (!nt)
			return -1;
		lk->text = nt;
		lk->textcap = nc;
	}
	memcpy(lk->text + lk->textn, s, n);
	lk->pats[lk->npats] = (pattern){lk->textn, n, 0, encoding, form, repr, id, exact, boundary};
	lk->textn += n;
	lk->npats++;
	return 0;
}

/* patterns compared folded to lower case: p points into a folded copy of
 * lk->text, so comparing is memcmp (a fold per character in the sort's
 * comparisons cost 9% of a corpus scan) */
typedef struct sorted {
	const unsigned char *p;
	size_t len, idx;
} sorted;

static int cmp_folded(const void *x, const void *y)
{
	const sorted *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->p, b->p, n);
	if (c)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->idx < b->idx ? -1 : 1; /* the first added first */
}

static size_t lcp(const sorted *a, const sorted *b)
{
	size_t n = a->len < b->len ? a->len : b->len, k = 0;
	while (k < n && a->p[k] == b->p[k])
		k++;
	return k;
}

/* The automaton holds a prefix of each pattern; a hit is confirmed
 * against the whole pattern. PC_LEAK_PREFIX characters of a digest or an
 * encoding are already rare in URLs, and the trie shrinks fourfold (build
 * cost was 9% of a corpus scan with whole patterns). But the recipients
 * may come from the message (To), and patterns sharing a prefix are all
 * confirmed wherever it occurs: 64 addresses that begin with the same 200
 * letters made every byte of a URL of those letters cost ~4,000
 * comparisons (issue 13). So each pattern's prefix is extended until it
 * is its own (one past the longest prefix it shares, found from the
 * sorted patterns), and a pattern equal to an earlier one when folded,
 * confirmed the same way, is left out: the earlier one wins every tie
 * anyway. A position of the text then ends at most a few prefixes. */
/* Patterns only need each other when their first PC_LEAK_PREFIX folded
 * characters are equal (a shorter shared prefix leaves the key at
 * PC_LEAK_PREFIX, and folded-equal patterns are equal there too), so they
 * are grouped by a hash of that prefix (a counting sort into buckets) and
 * only a group of two or more is sorted: one sort of every pattern cost
 * 9% of a corpus scan. */
static uint32_t prefix_hash(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n && i < PC_LEAK_PREFIX; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* In one group (sorted), the prefix each pattern goes into the automaton
 * with, and the folded duplicates left out. */
static int index_group(pc_leak *lk, sorted *ord, size_t n)
{
	if (n > 1)
		qsort(ord, n, sizeof *ord, cmp_folded);
	int rc = 0;
	/* in a run of patterns equal when folded, the first confirmed
	 * case-insensitively with and without word boundaries is kept */
	bool seen_b = false, seen_nb = false;
	for (size_t k = 0; k < n && rc == 0; k++) {
		pattern *p = &lk->pats[ord[k].idx];
		size_t before = k ? lcp(&ord[k - 1], &ord[k]) : 0;
		size_t after = k + 1 < n ? lcp(&ord[k], &ord[k + 1]) : 0;
		if (k == 0 || ord[k - 1].len != p->len || before != p->len)
			seen_b = seen_nb = false;
		if (!p->exact_case) {
			bool *seen = p->boundary ? &seen_b : &seen_nb;
			if (*seen)
				continue;
			*seen = true;
		}
		size_t key = (before > after ? before : after) + 1;
		key = key < PC_LEAK_PREFIX ? PC_LEAK_PREFIX : key;
		p->key = key < p->len ? key : p->len;
		rc = pc_ac_add(lk->ac, lk->text + p->off, p->key, (unsigned)ord[k].idx);
	}
	return rc;
}

static int index_patterns(pc_leak *lk)
{
	size_t n = lk->npats;
	if (!n)
		return 0;
	size_t nb = 16;
	while (nb < 2 * n)
		nb *= 2;
	sorted *items = malloc(n * sizeof *items), *ord = malloc(n * sizeof *ord);
	size_t *start = calloc(nb + 1, sizeof *start);
	uint32_t *bucket = malloc(n * sizeof *bucket);
	unsigned char *folded = malloc(lk->textn ? lk->textn : 1);
	int rc = -1;
	if (!items || !ord || !start || !bucket || !folded)
		goto out;
	for (size_t i = 0; i < lk->textn; i++) {
		unsigned char c = (unsigned char)lk->text[i];
		folded[i] = c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
	}
	for (size_t i = 0; i < n; i++) {
		items[i] = (sorted){folded + lk->pats[i].off, lk->pats[i].len, i};
		bucket[i] = prefix_hash(items[i].p, items[i].len) & (uint32_t)(nb - 1);
		start[bucket[i] + 1]++;
	}
	for (size_t b = 0; b < nb; b++)
		start[b + 1] += start[b];
	for (size_t i = 0; i < n; i++) /* stable: a group keeps the order of addition */
		ord[start[bucket[i]]++] = items[i];
	rc = 0;
	for (size_t b = 0, from = 0; b < nb && rc == 0; b++) { /* start[b] is now the end of bucket b */
		if (start[b] > from)
			rc = index_group(lk, ord + from, start[b] - from);
		from = start[b];
	}
out:
	free(items);
	free(ord);
	free(start);
	free(bucket);
	free(folded);
	return rc;
}

static size_t b64(const unsigned char *in, size_t n, char *out, bool urlsafe)
{
	static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *t = urlsafe ? url : std;
	size_t o = 0, i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = t[v >> 6 & 63];
		out[o++] = t[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = t[v >> 6 & 63];
	}
	return o; /* unpadded: a padded copy contains it */
}

static size_t hex(const unsigned char *in, size_t n, char *out)
{
	static const char h[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = h[in[i] >> 4];
		out[2 * i + 1] = h[in[i] & 15];
	}
	return 2 * n;
}

static size_t urlenc(const char *in, size_t n, char *out)
{
	static const char h[] = "0123456789ABCDEF";
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = h[c >> 4];
			out[o++] = h[c & 15];
		}
	}
	return o;
}

/* Every encoding of one form (address or local part in one case). */
static int add_form(pc_leak *lk, const char *s, size_t n, const char *form, unsigned id, bool is_local)
{
	/* forms are at most 254 bytes (checked by the caller) */
	char buf[1024];
	unsigned char dg[EVP_MAX_MD_SIZE];
	int rc = 0;
	bool text_ok = !is_local || n >= PC_LEAK_MIN_LOCAL;
	if (text_ok) {
		rc |= add(lk, s, n, "plain", form, NULL, id, false, true);
		size_t u = urlenc(s, n, buf);
		if (u != n)
			rc |= add(lk, buf, u, "urlenc", form, NULL, id, false, true);
	}
	size_t b = b64((const unsigned char *)s, n, buf, false);
	if (b >= 8) {
		rc |= add(lk, buf, b, "b64", form, "standard", id, true, false);
		b = b64((const unsigned char *)s, n, buf, true);
		rc |= add(lk, buf, b, "b64", form, "url-safe", id, true, false);
	}
	size_t hx = hex((const unsigned char *)s, n, buf);
	if (hx >= 8)
		rc |= add(lk, buf, hx, "hex", form, NULL, id, false, false);
	for (size_t a = 0; a < NALGO; a++) {
		unsigned dl = 0;
		if (!lk->md[a] || !EVP_DigestInit_ex2(lk->mdctx, lk->md[a], NULL) ||
		    !EVP_DigestUpdate(lk->mdctx, s, n) || !EVP_DigestFinal_ex(lk->mdctx, dg, &dl))
			continue;
		rc |= add(lk, buf, hex(dg, dl, buf), algo_names[a], form, "hex", id, false, false);
		rc |= add(lk, buf, b64(dg, dl, buf, false), algo_names[a], form, "base64", id, true, false);
		rc |= add(lk, buf, b64(dg, dl, buf, true), algo_names[a], form, "base64url", id, true, false);
	}
	return rc;
}

static int add_identity(pc_leak *lk, const char *addr, unsigned id)
{
	size_t n = strlen(addr);
	const char *dom = pc_addr_domain(addr);
	const char *at = dom ? dom - 1 : NULL; /* the '@' before the domain */
	if (n == 0 || n > 254 || !at || at == addr)
		return 0;
	static const char *const names[2][3] = {
	    {"address as written", "address in lower case", "address in upper case"},
	    {"local part as written", "local part in lower case", "local part in upper case"}};
	char v[3][256];
	memcpy(v[0], addr, n);
	for (size_t i = 0; i < n; i++) {
		v[1][i] = (char)tolower((unsigned char)addr[i]);
		v[2][i] = (char)toupper((unsigned char)addr[i]);
	}
	int rc = 0;
	size_t ln = (size_t)(at - addr);
	/* the local part as written with the domain in lower case: how most
	 * senders store an address (domains are case-insensitive) */
	char mixed[256];
	memcpy(mixed, addr, ln);
	for (size_t i = ln; i < n; i++)
		mixed[i] = (char)tolower((unsigned char)addr[i]);
	if (memcmp(mixed, v[0], n) && memcmp(mixed, v[1], n))
		rc |= add_form(lk, mixed, n, names[0][0], id, false);
	for (int c = 0; c < 3; c++) {
		if (c > 0 && memcmp(v[c], v[0], n) == 0)
			continue; /* the case form equals the address as written */
		rc |= add_form(lk, v[c], n, names[0][c], id, false);
	}
	for (int c = 0; c < 3; c++) {
		if (c > 0 && memcmp(v[c], v[0], ln) == 0)
			continue;
		rc |= add_form(lk, v[c], ln, names[1][c], id, true);
	}
	return rc;
}

int pc_leak_prepare(pc_leak *lk, const char *const *addrs, size_t n)
{
	if (n > PC_LEAK_MAX_IDENTITIES)
		n = PC_LEAK_MAX_IDENTITIES;
	if (same_ids(lk, addrs, n))
		return (int)lk->npats;
	clear_ids(lk);
	lk->built = false;
	lk->npats = 0;
	lk->textn = 0;
	pc_ac_reset(lk->ac);
	for (size_t i = 0; i < n; i++) {
		lk->ids[i] = strdup(addrs[i]);
		if (!lk->ids[i])
			return -1;
		lk->nids = i + 1;
		if (add_identity(lk, addrs[i], (unsigned)i) != 0)
			return -1;
	}
	if (index_patterns(lk) != 0 || pc_ac_build(lk->ac) != 0)
		return -1;
	lk->built = true;
	return (int)lk->npats;
}

typedef struct search {
	const pc_leak *lk;
	const char *s;
	size_t n;
	pc_leak_hit *hit;
	unsigned hit_id;
	bool found;
} search;

static bool on_hit(void *ctx, unsigned id, size_t end)
{
	search *sr = ctx;
	const pattern *p = &sr->lk->pats[id];
	size_t begin = end - p->key;
	if (p->len > sr->n - begin)
		return true;
	end = begin + p->len;
	const char *pat = sr->lk->text + p->off;
	if (p->exact_case ? memcmp(sr->s + begin, pat, p->len) != 0 : strncasecmp(sr->s + begin, pat, p->len) != 0)
		return true;
	if (p->boundary && ((begin > 0 && isalnum((unsigned char)sr->s[begin - 1])) ||
	                    (end < sr->n && isalnum((unsigned char)sr->s[end]))))
		return true;
	/* the longest hit; among equal ones the first pattern added (the
	 * address as written before its case forms, standard base64 before
	 * URL-safe when both read the same) */
	if (sr->found && (sr->hit->len > p->len || (sr->hit->len == p->len && sr->hit_id < id)))
		return true;
	sr->found = true;
	sr->hit_id = id;
	*sr->hit = (pc_leak_hit){p->encoding, sr->lk->ids[p->identity], p->form, p->repr, begin, p->len};
	return true;
}

bool pc_leak_find(pc_leak *lk, const char *s, size_t n, pc_leak_hit *hit)
{
	if (!lk->built || !lk->npats)
		return false;
	search sr = {lk, s, n, hit, 0, false};
	pc_ac_match(lk->ac, s, n, on_hit, &sr);
	return sr.found;
}
