/*
 * NAME
 *   ioc - indicator files (text and STIX 2.1) and matching (see ioc.h)
 * DESCRIPTION
 *   Every indicator becomes a normalised key (lower-case IDNA A-label
 *   domain, lower-case address, URL with scheme and authority in lower
 *   case, masked address bytes, SHA-256 bytes, case-folded subject) in
 *   one open-addressing hash table keyed by (type, key). FNV-1a is fed
 *   byte by byte, so the hashes of all prefixes of a URL come from one
 *   pass, and a URL is looked up only at the lengths some URL indicator
 *   has. IP blocks are looked up per prefix length present (the block
 *   holding the address) and, for a block in the message (an "ip:" /24
 *   key), by binary search among the sorted indicator addresses (blocks
 *   inside it). Subjects go into one Aho-Corasick automaton
 *   (detect/lib/ac.h). Everything an indicator owns lives in one arena.
 *
 *   STIX is read with jansson, which is why this file is in pccli (the
 *   library that links jansson) rather than pccore.
 */
#define _GNU_SOURCE
#include "campaign/ioc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "campaign/fingerprint.h"
#include "core/arena.h"
#include "detect/lib/ac.h"
#include "parse/domain.h"
#include "parse/url.h"

#define FILE_MAX ((size_t)256 << 20)
#define ARENA_MAX ((size_t)1 << 30)
#define STIX_MAX_CMP 64 /* comparisons in one pattern */
#define DOMAIN_MAX 253

enum { T_DOMAIN = 1, T_HOST, T_EMAIL, T_URL, T_IP4, T_IP6, T_TEMPLATE, T_SUBJECT, T_MSGID, T_SHA, T_COUNT };

static const char *const type_names[T_COUNT] = {
    NULL, "domain", "host", "email", "url", "ip", "ip", "template", "subject", "message-id", "sha256",
};

typedef struct ind {
	const char *key; /* normalised; for IPs: prefix length byte + address bytes */
	uint32_t keylen;
	uint8_t type;
	uint8_t flag;      /* url: the key ends inside the authority */
	const char *label; /* "domain evil.example (file:3)" */
} ind;

typedef struct slot {
	uint64_t h;
	uint32_t idx; /* index + 1; 0: empty */
} slot;

typedef struct ipent {
	unsigned char addr[16];
	uint32_t idx;
} ipent;

struct pc_ioc {
	pc_arena *arena;
	ind *v;
	size_t n, cap;
	slot *tab;
	size_t tabcap;                                 /* power of two, or 0 */
	unsigned types;                                /* 1 << T_* present */
	unsigned char urllen[PC_IOC_LINE_MAX / 8 + 1]; /* bitmap of URL key lengths */
	size_t urlmax;
	bool v4len[33], v6len[129];
	ipent *ips[2]; /* sorted by address: [0] IPv4, [1] IPv6 */
	size_t nips[2];
	pc_ac *subjects;
	size_t skipped;
	const char *first_skip;
};

/* ---- hashing and the table ---- */

static uint64_t h_start(int type)
{
	return 0xcbf29ce484222325ULL ^ ((uint64_t)type * 0x9e3779b97f4a7c15ULL);
}

static uint64_t h_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * 0x100000001b3ULL;
}

static uint64_t h_final(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static uint64_t hash(int type, const char *p, size_t n)
{
	uint64_t h = h_start(type);
	for (size_t i = 0; i < n; i++)
		h = h_step(h, (unsigned char)p[i]);
	return h_final(h);
}

static const ind *find_h(const pc_ioc *ioc, int type, const char *p, size_t n, uint64_t h)
{
	if (!ioc->tabcap || !(ioc->types & (1u << type)))
		return NULL;
	size_t mask = ioc->tabcap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		const slot *s = &ioc->tab[i];
		if (!s->idx)
			return NULL;
		if (s->h == h) {
			const ind *d = &ioc->v[s->idx - 1];
			if (d->type == type && d->keylen == n && memcmp(d->key, p, n) == 0)
				return d;
		}
	}
}

static const ind *find(const pc_ioc *ioc, int type, const char *p, size_t n)
{
	return find_h(ioc, type, p, n, hash(type, p, n));
}

static void tab_put(slot *tab, size_t cap, uint64_t h, uint32_t idx)
{
	size_t mask = cap - 1;
	size_t i = (size_t)h & mask;
	while (tab[i].idx)
		i = (i + 1) & mask;
	tab[i].h = h;
	tab[i].idx = idx;
}

static int tab_grow(pc_ioc *ioc)
{
	size_t cap = ioc->tabcap ? ioc->tabcap * 2 : 1024;
	slot *t = calloc(cap, sizeof *t);
	if (!t)
		return -1;
	for (size_t i = 0; i < ioc->tabcap; i++)
		if (ioc->tab[i].idx)
			tab_put(t, cap, ioc->tab[i].h, ioc->tab[i].idx);
	free(ioc->tab);
	ioc->tab = t;
	ioc->tabcap = cap;
	return 0;
}

/* ---- loading context ---- */

typedef struct loader {
	pc_ioc *ioc;
	const char *name;
	size_t line;        /* text: current line (1-based); 0 for STIX */
	const char *origin; /* "FILE:LINE" or "FILE: indicator--..." */
	char *err;
	size_t errlen;
	char originbuf[512];
} loader;

enum { ADD_OK = 0, ADD_BAD = -1, ADD_FATAL = -2 };

static const char public_suffix[] = "a public suffix: it would match every domain under it";

/* A fatal error (limit, memory): err set. */
static int fatal(loader *ld, const char *why)
{
	if (ld->line)
		snprintf(ld->err, ld->errlen, "%s:%zu: %s", ld->name, ld->line, why);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", ld->name, why);
	return ADD_FATAL;
}

/* Adds (type, key) with its label; a duplicate is dropped. */
static int add(loader *ld, int type, const char *key, size_t keylen, uint8_t flag, const char *display)
{
	pc_ioc *ioc = ld->ioc;
	uint64_t h = hash(type, key, keylen);
	if (find_h(ioc, type, key, keylen, h))
		return ADD_OK;
	if (ioc->n >= PC_IOC_MAX) {
		char why[64];
		snprintf(why, sizeof why, "more than %d indicators", PC_IOC_MAX);
		return fatal(ld, why);
	}
	if ((ioc->n + 1) * 2 > ioc->tabcap && tab_grow(ioc) != 0)
		return fatal(ld, "out of memory");
	if (ioc->n == ioc->cap) {
		size_t cap = ioc->cap ? ioc->cap * 2 : 256;
		ind *nv = realloc(ioc->v, cap * sizeof *nv);
		if (!nv)
			return fatal(ld, "out of memory");
		ioc->v = nv;
		ioc->cap = cap;
	}
	char *k = pc_arena_alloc(ioc->arena, keylen + 1);
	const char *label = pc_arena_printf(ioc->arena, "%s %s (%s)", type_names[type], display, ld->origin);
	if (!k || !label)
		return fatal(ld, "out of memory (indicators too large)");
	memcpy(k, key, keylen);
	k[keylen] = '\0';
	ioc->v[ioc->n] = (ind){k, (uint32_t)keylen, (uint8_t)type, flag, label};
	ioc->n++;
	tab_put(ioc->tab, ioc->tabcap, h, (uint32_t)ioc->n);
	ioc->types |= 1u << type;
	return ADD_OK;
}

/* ---- normalising values ---- */

static bool has_ctl(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

/* "[.]" "(.)" "[:]" "[@]" and a leading hxxp: defanged indicators, as
 * threat reports print them. out has room for n + 1 (never longer). */
static size_t refang(const char *s, size_t n, char *out)
{
	size_t o = 0, i = 0;
	size_t sch = n >= 5 && (s[4] == 's' || s[4] == 'S') ? 5 : 4; /* "hxxp" or "hxxps" */
	if (n > sch && strncasecmp(s, "hxxp", 4) == 0 && (s[sch] == ':' || s[sch] == '[')) {
		memcpy(out, "http", 4);
		o = i = 4;
	}
	while (i < n) {
		if (i + 3 <= n && ((s[i] == '[' && s[i + 2] == ']') || (s[i] == '(' && s[i + 2] == ')')) &&
		    (s[i + 1] == '.' || s[i + 1] == ':' || s[i + 1] == '@')) {
			out[o++] = s[i + 1];
			i += 3;
		} else
			out[o++] = s[i++];
	}
	out[o] = '\0';
	return o;
}

/* A host or domain name to its key: lower-case, IDNA A-label, without a
 * trailing dot (and, when `wild`, a leading "*."); NULL, or the reason it
 * is not one. out: DOMAIN_MAX + 1 bytes. */
static const char *norm_domain(const char *s, size_t n, bool wild, char *out)
{
	if (wild && n >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
	}
	while (n && s[n - 1] == '.')
		n--;
	if (!n)
		return "empty name";
	if (n > 1024)
		return "name too long";
	bool ascii = true;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			ascii = false;
	char tmp[1025];
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (!ascii) {
		char a[PC_DOMAIN_KEY_CAP];
		int al = pc_idna_ascii(tmp, a, sizeof a);
		if (al < 0)
			return "not a valid international domain name";
		if (al > DOMAIN_MAX)
			return "name longer than 253 characters";
		memcpy(tmp, a, (size_t)al + 1);
		n = (size_t)al;
	}
	if (n > DOMAIN_MAX)
		return "name longer than 253 characters";
	size_t label = 0;
	bool digits_only = true;
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)tmp[i]);
		if (c == '.') {
			if (label == 0)
				return "empty label";
			label = 0;
			digits_only = true;
		} else if (isalnum((unsigned char)c) || c == '-' || c == '_') {
			if (++label > 63)
				return "label longer than 63 characters";
			if (!isdigit((unsigned char)c))
				digits_only = false;
		} else
			return "character not allowed in a domain name";
		out[i] = c;
	}
	out[n] = '\0';
	if (label == 0)
		return "empty label";
	if (digits_only)
		return "looks like an IP address, not a domain name";
	return NULL;
}

/* local@domain: local part lower-cased (ASCII), domain as norm_domain.
 * out: PC_IOC_LINE_MAX + 1 bytes. */
static const char *norm_email(const char *s, size_t n, char *out)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 7 && strncasecmp(s, "mailto:", 7) == 0) {
		s += 7;
		n -= 7;
	}
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	const char *at = NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '@')
			at = s + i;
	if (!at)
		return "no '@'";
	size_t ll = (size_t)(at - s);
	if (ll == 0)
		return "empty local part";
	if (ll > 256)
		return "local part too long";
	for (size_t i = 0; i < ll; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == '<' || c == '>' || c == 0x7f)
			return "character not allowed in an address";
		out[i] = (char)tolower(c);
	}
	out[ll] = '@';
	const char *why = norm_domain(at + 1, n - ll - 1, false, out + ll + 1);
	return why;
}

/* A URL prefix key: scheme and authority lower-cased (ASCII), the rest as
 * given. *in_auth set when it ends inside the authority. out: n + 1. */
static const char *norm_url(const char *s, size_t n, char *out, bool *in_auth)
{
	size_t i = 0;
	if (!n || !isalpha((unsigned char)s[0]))
		return "no scheme";
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
		i++;
	if (i + 3 > n || s[i] != ':' || s[i + 1] != '/' || s[i + 2] != '/')
		return "not scheme://host...";
	size_t a = i + 3, e = a;
	while (e < n && s[e] != '/' && s[e] != '?' && s[e] != '#' && s[e] != '\\')
		e++;
	size_t hs = a; /* host after any userinfo */
	for (size_t k = a; k < e; k++)
		if (s[k] == '@')
			hs = k + 1;
	if (hs == e || s[hs] == ':')
		return "no host";
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)s[k];
		if (c <= ' ' || c == 0x7f)
			return "white space or control character in a URL";
		out[k] = k < e ? (char)tolower(c) : (char)c;
	}
	out[n] = '\0';
	*in_auth = e == n;
	return NULL;
}

/* "a.b.c.d", "v6", "[v6]", each with an optional "/len". fam 4 or 6,
 * addr masked to *plen. -1 when not one. */
static int parse_ip(const char *s, size_t n, int *fam, unsigned char addr[16], int *plen)
{
	char tmp[64];
	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *slash = strchr(tmp, '/');
	long len = -1;
	if (slash) {
		*slash = '\0';
		const char *d = slash + 1;
		if (!*d || strlen(d) > 3)
			return -1;
		len = 0;
		for (; *d; d++) {
			if (!isdigit((unsigned char)*d))
				return -1;
			len = len * 10 + (*d - '0');
		}
	}
	char *a = tmp;
	size_t al = strlen(a);
	if (al >= 2 && a[0] == '[' && a[al - 1] == ']') {
		a[al - 1] = '\0';
		a++;
	}
	if (inet_pton(AF_INET, a, addr) == 1)
		*fam = 4;
	else if (inet_pton(AF_INET6, a, addr) == 1)
		*fam = 6;
	else
		return -1;
	int max = *fam == 4 ? 32 : 128;
	if (len < 0)
		len = max;
	if (len > max)
		return -1;
	*plen = (int)len;
	for (int b = 0; b < max / 8; b++) {
		int keep = (int)len - b * 8;
		if (keep <= 0)
			addr[b] = 0;
		else if (keep < 8)
			addr[b] &= (unsigned char)(0xff00u >> keep);
	}
	return 0;
}

static void mask_to(const unsigned char *a, int bytes, int plen, unsigned char *out)
{
	for (int b = 0; b < bytes; b++) {
		int keep = plen - b * 8;
		out[b] = keep <= 0 ? 0 : keep < 8 ? (unsigned char)(a[b] & (0xff00u >> keep)) : a[b];
	}
}

/* Case-folded, white space runs (and NBSP) as one space, trimmed;
 * g_free it. NULL for invalid UTF-8. */
static char *norm_subject(const char *s, size_t n)
{
	if (!g_utf8_validate(s, (gssize)n, NULL))
		return NULL;
	char *f = g_utf8_casefold(s, (gssize)n);
	if (!f)
		return NULL;
	size_t o = 0;
	bool space = true; /* drops leading white space */
	for (size_t i = 0; f[i];) {
		unsigned char c = (unsigned char)f[i];
		size_t w = 0;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v')
			w = 1;
		else if (c == 0xc2 && (unsigned char)f[i + 1] == 0xa0)
			w = 2;
		if (w) {
			if (!space)
				f[o++] = ' ';
			space = true;
			i += w;
		} else {
			f[o++] = f[i++];
			space = false;
		}
	}
	if (o && f[o - 1] == ' ')
		o--;
	f[o] = '\0';
	return f;
}

static bool is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static bool has_at(const char *s, size_t n)
{
	return memchr(s, '@', n) != NULL;
}

static bool starts_url(const char *s, size_t n)
{
	return (n >= 7 && strncasecmp(s, "http://", 7) == 0) || (n >= 8 && strncasecmp(s, "https://", 8) == 0);
}

/* Adds one value of a known type. ADD_OK, ADD_FATAL (err set), or ADD_BAD
 * with *why the reason the value is not of that type. */
static int add_typed(loader *ld, int type, const char *s, size_t n, const char **why)
{
	*why = NULL;
	if (!n)
		return (*why = "empty value"), ADD_BAD;
	if (n > PC_IOC_LINE_MAX)
		return (*why = "value longer than 4096 bytes"), ADD_BAD;
	if (has_ctl(s, n))
		return (*why = "control character in the value"), ADD_BAD;
	if (!g_utf8_validate(s, (gssize)n, NULL))
		return (*why = "not UTF-8"), ADD_BAD;
	char buf[PC_IOC_LINE_MAX + 1];
	char key[PC_IOC_LINE_MAX + 2];
	switch (type) {
	case T_DOMAIN:
	case T_HOST: {
		size_t l = refang(s, n, buf);
		if ((*why = norm_domain(buf, l, true, key)))
			return ADD_BAD;
		if (type == T_DOMAIN) {
			if (pc_domain_is_public_suffix(key))
				return (*why = public_suffix), ADD_BAD;
		}
		return add(ld, type, key, strlen(key), 0, key);
	}
	case T_EMAIL: {
		size_t l = refang(s, n, buf);
		if ((*why = norm_email(buf, l, key)))
			return ADD_BAD;
		return add(ld, type, key, strlen(key), 0, key);
	}
	case T_URL: {
		size_t l = refang(s, n, buf);
		bool in_auth = false;
		if ((*why = norm_url(buf, l, key, &in_auth)))
			return ADD_BAD;
		int rc = add(ld, type, key, l, in_auth, key);
		if (rc == ADD_OK) {
			ld->ioc->urllen[l / 8] |= (unsigned char)(1u << (l % 8));
			if (l > ld->ioc->urlmax)
				ld->ioc->urlmax = l;
		}
		return rc;
	}
	case T_IP4:
	case T_IP6: {
		size_t l = refang(s, n, buf);
		int fam, plen;
		unsigned char a[16];
		if (parse_ip(buf, l, &fam, a, &plen) != 0)
			return (*why = "not an IPv4 or IPv6 address or CIDR block"), ADD_BAD;
		if (plen == 0)
			return (*why = "a /0 block matches every address"), ADD_BAD;
		int bytes = fam == 4 ? 4 : 16;
		key[0] = (char)plen;
		memcpy(key + 1, a, (size_t)bytes);
		char text[INET6_ADDRSTRLEN + 8];
		inet_ntop(fam == 4 ? AF_INET : AF_INET6, a, text, INET6_ADDRSTRLEN);
		if (plen != bytes * 8)
			snprintf(text + strlen(text), 8, "/%d", plen);
		int rc = add(ld, fam == 4 ? T_IP4 : T_IP6, key, (size_t)bytes + 1, 0, text);
		if (rc == ADD_OK)
			(fam == 4 ? ld->ioc->v4len : ld->ioc->v6len)[plen] = true;
		return rc;
	}
	case T_SHA: {
		if (!is_hex64(s, n))
			return (*why = "not 64 hexadecimal digits"), ADD_BAD;
		for (size_t i = 0; i < 32; i++)
			key[i] = (char)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
		for (size_t i = 0; i < 64; i++)
			buf[i] = (char)tolower((unsigned char)s[i]);
		buf[64] = '\0';
		return add(ld, type, key, 32, 0, buf);
	}
	case T_MSGID: {
		if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
			s++;
			n -= 2;
		}
		if (!n)
			return (*why = "empty Message-ID"), ADD_BAD;
		for (size_t i = 0; i < n; i++)
			if (isspace((unsigned char)s[i]))
				return (*why = "white space in a Message-ID"), ADD_BAD;
		memcpy(buf, s, n);
		buf[n] = '\0';
		return add(ld, type, buf, n, 0, buf);
	}
	case T_TEMPLATE:
		memcpy(buf, s, n);
		buf[n] = '\0';
		return add(ld, type, buf, n, 0, buf);
	case T_SUBJECT: {
		char *f = norm_subject(s, n);
		if (!f)
			return fatal(ld, "out of memory");
		size_t fl = strlen(f);
		if (!fl) {
			g_free(f);
			return (*why = "empty subject"), ADD_BAD;
		}
		pc_ioc *ioc = ld->ioc;
		size_t before = ioc->n;
		char disp[PC_IOC_LINE_MAX + 3];
		snprintf(disp, sizeof disp, "\"%.*s\"", (int)n, s);
		int rc = add(ld, type, f, fl, 0, disp);
		if (rc == ADD_OK && ioc->n > before) {
			if (!ioc->subjects && !(ioc->subjects = pc_ac_new()))
				rc = fatal(ld, "out of memory");
			else if (pc_ac_add(ioc->subjects, f, fl, (unsigned)(ioc->n - 1)) != 0)
				rc = fatal(ld, "too many subject indicators (matcher full)");
		}
		g_free(f);
		return rc;
	}
	}
	return (*why = "unknown type"), ADD_BAD;
}

/* ---- the text format ---- */

static const struct {
	const char *name;
	int type;
} prefixes[] = {
    {"domain", T_DOMAIN},     {"host", T_HOST},       {"email", T_EMAIL},      {"url", T_URL},    {"ip", T_IP4},
    {"template", T_TEMPLATE}, {"subject", T_SUBJECT}, {"message-id", T_MSGID}, {"sha256", T_SHA},
};

static int infer(const char *s, size_t n)
{
	char buf[PC_IOC_LINE_MAX + 1];
	size_t l = refang(s, n, buf);
	if (starts_url(buf, l))
		return T_URL;
	if (has_at(buf, l))
		return T_EMAIL;
	int fam, plen;
	unsigned char a[16];
	if (parse_ip(buf, l, &fam, a, &plen) == 0)
		return T_IP4;
	if (is_hex64(s, n))
		return T_SHA;
	return T_DOMAIN;
}

static int text_line(loader *ld, const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (!n || s[0] == '#')
		return ADD_OK;
	int type = 0;
	bool inferred = false;
	const char *colon = memchr(s, ':', n < 16 ? n : 16);
	if (colon) {
		size_t kl = (size_t)(colon - s);
		for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
			if (strlen(prefixes[i].name) == kl && strncasecmp(s, prefixes[i].name, kl) == 0)
				type = prefixes[i].type;
		if (type) {
			s = colon + 1;
			n -= kl + 1;
			while (n && isspace((unsigned char)*s)) {
				s++;
				n--;
			}
		}
	}
	if (!type) {
		type = infer(s, n);
		inferred = true;
	}
	const char *why;
	int rc = add_typed(ld, type, s, n, &why);
	if (rc == ADD_BAD) {
		char msg[256];
		if (inferred && type == T_DOMAIN && why != public_suffix)
			snprintf(msg, sizeof msg,
			         "not a domain name, e-mail address, URL, IP address or SHA-256 (%s); prefix subject:, "
			         "template: or message-id: for those",
			         why);
		else
			snprintf(msg, sizeof msg, "not a valid %s: %s", type_names[type], why);
		return fatal(ld, msg);
	}
	return rc;
}

static int load_text(loader *ld, const char *buf, size_t n)
{
	for (size_t i = 0, line = 1; i < n; line++) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - buf) : n;
		size_t len = end - i;
		ld->line = line;
		if (len && buf[i + len - 1] == '\r')
			len--;
		if (len > PC_IOC_LINE_MAX) {
			char why[64];
			snprintf(why, sizeof why, "line longer than %d bytes", PC_IOC_LINE_MAX);
			return fatal(ld, why);
		}
		if (memchr(buf + i, '\0', len))
			return fatal(ld, "NUL byte in the line");
		if (!g_utf8_validate(buf + i, (gssize)len, NULL))
			return fatal(ld, "not UTF-8");
		snprintf(ld->originbuf, sizeof ld->originbuf, "%s:%zu", ld->name, line);
		ld->origin = ld->originbuf;
		if (text_line(ld, buf + i, len) == ADD_FATAL)
			return ADD_FATAL;
		i = end + 1;
	}
	return ADD_OK;
}

/* ---- STIX 2.1 ---- */

typedef struct stix_cmp {
	char path[128]; /* lower case, quotes removed */
	char *value;    /* malloc'd, unescaped */
	size_t vlen;
} stix_cmp;

static void skip_ws(const char **p)
{
	while (**p && isspace((unsigned char)**p))
		(*p)++;
}

/* The keyword kw (case-insensitive) followed by a non-word character. */
static bool keyword(const char **p, const char *kw)
{
	size_t l = strlen(kw);
	if (strncasecmp(*p, kw, l) != 0 || isalnum((unsigned char)(*p)[l]) || (*p)[l] == '_')
		return false;
	*p += l;
	return true;
}

/* Parses a pattern of '=' comparisons joined by OR; NULL, or why it is
 * not supported. cmp[0..*n) filled (values malloc'd, even on failure). */
static const char *stix_parse(const char *p, stix_cmp *cmp, size_t max, size_t *n)
{
	*n = 0;
	skip_ws(&p);
	for (;;) { /* observation expressions */
		if (*p == '(')
			return "parenthesised expression";
		if (*p != '[')
			return "pattern does not start with '['";
		p++;
		for (;;) { /* comparisons */
			skip_ws(&p);
			if (*n == max)
				return "too many comparisons";
			stix_cmp *c = &cmp[*n];
			size_t pl = 0;
			while (*p && !isspace((unsigned char)*p) && !strchr("=!<>]", *p)) {
				if (*p != '\'' && *p != '"') {
					if (pl + 1 >= sizeof c->path)
						return "object path too long";
					c->path[pl++] = (char)tolower((unsigned char)*p);
				}
				p++;
			}
			c->path[pl] = '\0';
			if (!pl || !strchr(c->path, ':'))
				return "no object path";
			skip_ws(&p);
			if (p[0] != '=' || p[1] == '=')
				return "operator other than '='";
			p++;
			skip_ws(&p);
			if (*p != '\'')
				return "value is not a string";
			p++;
			char v[PC_IOC_LINE_MAX + 1];
			size_t vl = 0;
			for (;;) {
				if (!*p)
					return "unterminated string";
				if (*p == '\'')
					break;
				if (*p == '\\') {
					if (p[1] != '\'' && p[1] != '\\')
						return "bad escape in string";
					p++;
				}
				if (vl == PC_IOC_LINE_MAX)
					return "value longer than 4096 bytes";
				v[vl++] = *p++;
			}
			p++;
			if (!(c->value = malloc(vl + 1)))
				return "out of memory";
			memcpy(c->value, v, vl);
			c->value[vl] = '\0';
			c->vlen = vl;
			(*n)++;
			skip_ws(&p);
			if (*p == ']') {
				p++;
				break;
			}
			if (keyword(&p, "OR"))
				continue;
			if (keyword(&p, "AND"))
				return "AND of comparisons";
			return "malformed comparison expression";
		}
		skip_ws(&p);
		if (!*p)
			return NULL;
		if (keyword(&p, "OR")) {
			skip_ws(&p);
			continue;
		}
		if (keyword(&p, "AND"))
			return "AND of observations";
		if (keyword(&p, "FOLLOWEDBY"))
			return "FOLLOWEDBY";
		return "qualifier (WITHIN, REPEATS, START/STOP)";
	}
}

static int stix_type(const char *path)
{
	static const struct {
		const char *path;
		int type;
	} map[] = {
	    {"domain-name:value", T_DOMAIN},
	    {"url:value", T_URL},
	    {"email-addr:value", T_EMAIL},
	    {"email-message:from_ref.value", T_EMAIL},
	    {"email-message:sender_ref.value", T_EMAIL},
	    {"ipv4-addr:value", T_IP4},
	    {"ipv6-addr:value", T_IP6},
	    {"email-message:subject", T_SUBJECT},
	    {"file:hashes.sha-256", T_SHA},
	    {"file:hashes.sha256", T_SHA},
	    {"artifact:hashes.sha-256", T_SHA},
	    {"artifact:hashes.sha256", T_SHA},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(path, map[i].path))
			return map[i].type;
	return 0;
}

static void skip(loader *ld, const char *why)
{
	pc_ioc *ioc = ld->ioc;
	if (!ioc->first_skip)
		ioc->first_skip = pc_arena_printf(ioc->arena, "%s: %s", ld->origin, why);
	ioc->skipped++;
}

static int stix_indicator(loader *ld, json_t *o)
{
	json_t *rev = json_object_get(o, "revoked");
	if (json_is_true(rev)) {
		skip(ld, "revoked");
		return ADD_OK;
	}
	json_t *pt = json_object_get(o, "pattern_type");
	if (pt && (!json_is_string(pt) || strcmp(json_string_value(pt), "stix") != 0)) {
		skip(ld, "pattern_type is not stix");
		return ADD_OK;
	}
	json_t *pat = json_object_get(o, "pattern");
	if (!json_is_string(pat)) {
		skip(ld, "no pattern");
		return ADD_OK;
	}
	const char *ps = json_string_value(pat);
	if (json_string_length(pat) != strlen(ps)) {
		skip(ld, "NUL in pattern");
		return ADD_OK;
	}
	stix_cmp cmp[STIX_MAX_CMP];
	size_t n = 0;
	const char *why = stix_parse(ps, cmp, STIX_MAX_CMP, &n);
	int rc = ADD_OK;
	if (why) {
		char msg[128];
		snprintf(msg, sizeof msg, "pattern: %s", why);
		skip(ld, msg);
	} else {
		for (size_t i = 0; i < n && rc != ADD_FATAL; i++) {
			int type = stix_type(cmp[i].path);
			if (!type) {
				char msg[200];
				snprintf(msg, sizeof msg, "pattern: object path %.100s not supported", cmp[i].path);
				skip(ld, msg);
				continue;
			}
			const char *bad;
			rc = add_typed(ld, type, cmp[i].value, cmp[i].vlen, &bad);
			if (rc == ADD_BAD) {
				char msg[256];
				snprintf(msg, sizeof msg, "%.100s: not a valid %s: %.100s", cmp[i].path,
				         type_names[type], bad);
				skip(ld, msg);
				rc = ADD_OK;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		free(cmp[i].value);
	return rc;
}

/* The object's id for messages, if it is a short printable string. */
static void stix_origin(loader *ld, json_t *o, size_t index)
{
	char *buf = ld->originbuf;
	size_t len = sizeof ld->originbuf;
	const char *id = json_string_value(json_object_get(o, "id"));
	bool ok = id && strlen(id) <= 100;
	for (const char *p = id; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '-' || *p == '_';
	if (ok)
		snprintf(buf, len, "%s: %s", ld->name, id);
	else
		snprintf(buf, len, "%s: objects[%zu]", ld->name, index);
	ld->origin = buf;
}

static int load_stix(loader *ld, const char *buf, size_t n)
{
	json_error_t je;
	json_t *root = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		ld->line = je.line > 0 ? (size_t)je.line : 0;
		return fatal(ld, je.text);
	}
	int rc = ADD_OK;
	const char *type = json_string_value(json_object_get(root, "type"));
	if (type && !strcmp(type, "indicator")) {
		stix_origin(ld, root, 0);
		rc = stix_indicator(ld, root);
	} else if (type && !strcmp(type, "bundle")) {
		json_t *objs = json_object_get(root, "objects");
		if (!json_is_array(objs))
			rc = fatal(ld, "STIX bundle without an \"objects\" array");
		for (size_t i = 0; rc != ADD_FATAL && i < json_array_size(objs); i++) {
			json_t *o = json_array_get(objs, i);
			const char *ot = json_string_value(json_object_get(o, "type"));
			if (!ot || strcmp(ot, "indicator") != 0)
				continue; /* identities, relationships, malware, ... */
			stix_origin(ld, o, i);
			rc = stix_indicator(ld, o);
		}
	} else
		rc = fatal(ld, "JSON but not a STIX 2.1 bundle or indicator");
	json_decref(root);
	return rc;
}

/* ---- loading ---- */

static int ipent_cmp(const void *a, const void *b)
{
	return memcmp(((const ipent *)a)->addr, ((const ipent *)b)->addr, 16);
}

/* Sorted address arrays and the subject automaton. */
static int finish(pc_ioc *ioc)
{
	for (int f = 0; f < 2; f++) {
		int type = f ? T_IP6 : T_IP4, bytes = f ? 16 : 4;
		size_t k = 0;
		for (size_t i = 0; i < ioc->n; i++)
			k += ioc->v[i].type == type;
		if (!k)
			continue;
		if (!(ioc->ips[f] = calloc(k, sizeof(ipent))))
			return -1;
		for (size_t i = 0; i < ioc->n; i++)
			if (ioc->v[i].type == type) {
				ipent *e = &ioc->ips[f][ioc->nips[f]++];
				memcpy(e->addr, ioc->v[i].key + 1, (size_t)bytes);
				e->idx = (uint32_t)i;
			}
		qsort(ioc->ips[f], k, sizeof(ipent), ipent_cmp);
	}
	if (ioc->subjects && pc_ac_build(ioc->subjects) != 0)
		return -1;
	return 0;
}

pc_ioc *pc_ioc_load_mem(const char *buf, size_t n, const char *name, char *err, size_t errlen)
{
	char dummy[8];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';
	if (!name)
		name = "-";
	if (!buf && n) {
		snprintf(err, errlen, "%s: invalid arguments", name);
		return NULL;
	}
	if (n > FILE_MAX) {
		snprintf(err, errlen, "%s: larger than 256 MB", name);
		return NULL;
	}
	pc_ioc *ioc = calloc(1, sizeof *ioc);
	if (!ioc || !(ioc->arena = pc_arena_new(ARENA_MAX))) {
		free(ioc);
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	loader ld = {ioc, name, 0, name, err, errlen, {0}};
	size_t i = 0;
	if (n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3; /* byte order mark */
	size_t j = i;
	while (j < n && isspace((unsigned char)buf[j]))
		j++;
	int rc = j < n && buf[j] == '{' ? load_stix(&ld, buf + i, n - i) : load_text(&ld, buf + i, n - i);
	if (rc == ADD_OK && ioc->n == 0) {
		ld.line = 0;
		if (ioc->skipped)
			snprintf(err, errlen, "%s: no supported indicators (%zu skipped; first: %s)", name,
			         ioc->skipped, ioc->first_skip ? ioc->first_skip : "?");
		else
			snprintf(err, errlen, "%s: no indicators", name);
		rc = ADD_FATAL;
	}
	if (rc == ADD_OK && finish(ioc) != 0) {
		snprintf(err, errlen, "%s: out of memory", name);
		rc = ADD_FATAL;
	}
	if (rc != ADD_OK) {
		pc_ioc_free(ioc);
		return NULL;
	}
	return ioc;
}

pc_ioc *pc_ioc_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			snprintf(err, errlen, "%s: out of memory", path);
			fclose(f);
			return NULL;
		}
		if (n == cap) {
			if (cap > FILE_MAX) {
				snprintf(err, errlen, "%s: larger than 256 MB", path);
				free(buf);
				fclose(f);
				return NULL;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
			continue;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	bool ioerr = ferror(f);
	int e = errno;
	fclose(f);
	if (ioerr) {
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		free(buf);
		return NULL;
	}
	pc_ioc *ioc = pc_ioc_load_mem(buf, n, path, err, errlen);
	free(buf);
	return ioc;
}

void pc_ioc_free(pc_ioc *ioc)
{
	if (!ioc)
		return;
	free(ioc->v);
	free(ioc->tab);
	free(ioc->ips[0]);
	free(ioc->ips[1]);
	pc_ac_free(ioc->subjects);
	pc_arena_free(ioc->arena);
	free(ioc);
}

size_t pc_ioc_count(const pc_ioc *ioc)
{
	return ioc ? ioc->n : 0;
}

size_t pc_ioc_skipped(const pc_ioc *ioc, const char **first)
{
	if (first)
		*first = ioc ? ioc->first_skip : NULL;
	return ioc ? ioc->skipped : 0;
}

/* ---- matching ---- */

typedef struct mctx {
	const pc_ioc *ioc;
	const pc_msg *m;
	const char **why;
} mctx;

static int hit(mctx *c, const ind *d, const char *where, const char *value)
{
	if (c->why) {
		const char *w = NULL;
		if (c->m->arena)
			w = value ? pc_arena_printf(c->m->arena, "%s in %s %s", d->label, where, value)
			          : pc_arena_printf(c->m->arena, "%s in %s", d->label, where);
		*c->why = w ? w : d->label;
	}
	return 1;
}

/* A host or domain from the message to its key (out: DOMAIN_MAX + 1);
 * false when it cannot be one. */
static bool host_key(const char *h, char *out)
{
	if (!h)
		return false;
	size_t n = strlen(h);
	if (!n || n > 1024)
		return false;
	return norm_domain(h, n, false, out) == NULL;
}

static const ind *lookup_host(const pc_ioc *ioc, const char *key)
{
	const ind *d = find(ioc, T_HOST, key, strlen(key));
	if (d || !(ioc->types & (1u << T_DOMAIN)))
		return d;
	for (const char *p = key; p;) {
		if ((d = find(ioc, T_DOMAIN, p, strlen(p))))
			return d;
		p = strchr(p, '.');
		if (p)
			p++;
	}
	return NULL;
}

static int match_host(mctx *c, const char *h, const char *where)
{
	char key[DOMAIN_MAX + 1];
	if (!(c->ioc->types & (1u << T_DOMAIN | 1u << T_HOST)) || !host_key(h, key))
		return 0;
	const ind *d = lookup_host(c->ioc, key);
	return d ? hit(c, d, where, h) : 0;
}

/* An address or block (fam 4/6, plen) against the IP indicators: a block
 * holding it, or (for a block) an indicator inside it. */
static const ind *lookup_ip(const pc_ioc *ioc, int fam, const unsigned char *a, int plen)
{
	int type = fam == 4 ? T_IP4 : T_IP6, bytes = fam == 4 ? 4 : 16;
	const bool *lens = fam == 4 ? ioc->v4len : ioc->v6len;
	if (!(ioc->types & (1u << type)))
		return NULL;
	char key[17];
	for (int p = 1; p <= plen; p++) {
		if (!lens[p])
			continue;
		key[0] = (char)p;
		mask_to(a, bytes, p, (unsigned char *)key + 1);
		const ind *d = find(ioc, type, key, (size_t)bytes + 1);
		if (d)
			return d;
	}
	if (plen == bytes * 8)
		return NULL;
	/* indicators whose first address lies in a..a|~mask */
	const ipent *v = ioc->ips[fam == 6];
	size_t lo = 0, hi = ioc->nips[fam == 6];
	unsigned char start[16] = {0}, end[16] = {0};
	mask_to(a, bytes, plen, start);
	for (int b = 0; b < bytes; b++) {
		int keep = plen - b * 8;
		unsigned char hostbits = keep <= 0 ? 0xff : keep < 8 ? (unsigned char)(0xffu >> keep) : 0;
		end[b] = start[b] | hostbits;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(v[mid].addr, start, (size_t)bytes) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ioc->nips[fam == 6] && memcmp(v[lo].addr, end, (size_t)bytes) <= 0)
		return &ioc->v[v[lo].idx];
	return NULL;
}

static int match_ip_text(mctx *c, const char *s, const char *where)
{
	int fam, plen;
	unsigned char a[16];
	if (!(c->ioc->types & (1u << T_IP4 | 1u << T_IP6)) || parse_ip(s, strlen(s), &fam, a, &plen) != 0)
		return 0;
	const ind *d = lookup_ip(c->ioc, fam, a, plen);
	return d ? hit(c, d, where, s) : 0;
}

static int match_url_text(mctx *c, const char *raw, const char *where)
{
	const pc_ioc *ioc = c->ioc;
	if (!raw || !(ioc->types & (1u << T_URL)))
		return 0;
	size_t n = strlen(raw);
	size_t lim = n < ioc->urlmax ? n : ioc->urlmax;
	char buf[PC_IOC_LINE_MAX + 1];
	/* lower-case scheme and authority, as the keys are */
	size_t slashes = 0;
	bool auth = true;
	for (size_t i = 0; i < lim; i++) {
		char ch = raw[i];
		if (auth && slashes >= 2 && (ch == '/' || ch == '?' || ch == '#' || ch == '\\'))
			auth = false;
		if (ch == '/' && slashes < 2)
			slashes++;
		buf[i] = auth ? (char)tolower((unsigned char)ch) : ch;
	}
	uint64_t h = h_start(T_URL);
	for (size_t l = 1; l <= lim; l++) {
		h = h_step(h, (unsigned char)buf[l - 1]);
		if (!(ioc->urllen[l / 8] & (1u << (l % 8))))
			continue;
		const ind *d = find_h(ioc, T_URL, buf, l, h_final(h));
		if (!d)
			continue;
		char next = l < n ? raw[l] : '\0';
		if (d->flag && next && !strchr("/?#:\\", next))
			continue; /* "https://e.x" is not a prefix of "https://e.xy/" */
		return hit(c, d, where, raw);
	}
	return 0;
}

static int match_url(mctx *c, const pc_url *u, const char *resolved, const char *kind)
{
	if (!u)
		return 0;
	char where[32];
	snprintf(where, sizeof where, "%s URL", kind);
	if (match_url_text(c, u->raw, where))
		return 1;
	if (resolved && match_url_text(c, resolved, where))
		return 1;
	snprintf(where, sizeof where, "%s host", kind);
	if (u->host_is_ip) {
		const char *h = u->host_ascii ? u->host_ascii : u->host;
		return h && match_ip_text(c, h, where);
	}
	if (u->host_ascii && match_host(c, u->host_ascii, where))
		return 1;
	if (u->host && (!u->host_ascii || strcmp(u->host, u->host_ascii) != 0) && match_host(c, u->host, where))
		return 1;
	if (resolved && c->m->arena) {
		pc_url *r = pc_url_parse(c->m->arena, resolved, strlen(resolved));
		if (r && r->host_ascii &&
		    (r->host_is_ip ? match_ip_text(c, r->host_ascii, where) : match_host(c, r->host_ascii, where)))
			return 1;
	}
	return 0;
}

/* An address (possibly "<a@b>") against email, domain and host indicators. */
static int match_addr(mctx *c, const char *addr, const char *what)
{
	if (!addr || !*addr)
		return 0;
	const pc_ioc *ioc = c->ioc;
	char key[PC_IOC_LINE_MAX + 2];
	while (*addr == ' ' || *addr == '<')
		addr++;
	size_t n = strlen(addr);
	while (n && (addr[n - 1] == ' ' || addr[n - 1] == '>'))
		n--;
	if (!n || n > PC_IOC_LINE_MAX)
		return 0;
	char a[PC_IOC_LINE_MAX + 1];
	memcpy(a, addr, n);
	a[n] = '\0';
	addr = a;
	char where[48];
	if ((ioc->types & (1u << T_EMAIL)) && !norm_email(addr, n, key)) {
		const ind *d = find(ioc, T_EMAIL, key, strlen(key));
		snprintf(where, sizeof where, "%s address", what);
		if (d)
			return hit(c, d, where, addr);
	}
	const char *at = pc_addr_domain(addr);
	if (!at)
		return 0;
	char dom[DOMAIN_MAX + 1];
	size_t dl = strlen(at);
	if (!dl || dl > DOMAIN_MAX)
		return 0;
	memcpy(dom, at, dl);
	dom[dl] = '\0';
	snprintf(where, sizeof where, "%s domain", what);
	return match_host(c, dom, where);
}

static int match_addrs(mctx *c, const pc_vec *v, const char *what)
{
	for (size_t i = 0; i < v->n; i++) {
		const pc_addr *a = v->v[i];
		if (a && match_addr(c, a->addr, what))
			return 1;
	}
	return 0;
}

static bool first_subject(void *ctx, unsigned id, size_t end)
{
	(void)end;
	*(unsigned *)ctx = id + 1;
	return false;
}

static int match_infra(mctx *c, const char *key)
{
	const char *colon = key ? strchr(key, ':') : NULL;
	if (!colon)
		return 0;
	size_t kl = (size_t)(colon - key);
	const char *v = colon + 1;
	char where[64];
	snprintf(where, sizeof where, "infrastructure %.*s:", (int)kl, key);
	/* the sending address itself; its /24 ("ip:") joins campaigns but is
	 * no evidence that one address of it sent the message */
	if (kl == 4 && !strncmp(key, "addr", 4))
		return match_ip_text(c, v, where);
	if ((kl == 4 && !strncmp(key, "from", 4)) || (kl == 2 && !strncmp(key, "rp", 2)) ||
	    (kl == 4 && !strncmp(key, "dkim", 4)) || (kl == 7 && !strncmp(key, "tracker", 7)))
		return match_ip_text(c, v, where) || match_host(c, v, where);
	return 0;
}

int pc_ioc_match(const pc_ioc *ioc, const pc_msg *m, const struct pc_fingerprint *fp, const unsigned char sha256[32],
                 const char **why)
{
	if (why)
		*why = NULL;
	if (!ioc || !m)
		return 0;
	mctx c = {ioc, m, why};
	const ind *d;
	if (sha256 && (d = find(ioc, T_SHA, (const char *)sha256, 32)))
		return hit(&c, d, "message SHA-256", NULL);
	if (m->message_id && (ioc->types & (1u << T_MSGID))) {
		const char *s = m->message_id;
		size_t n = strlen(s);
		while (n && isspace((unsigned char)*s)) {
			s++;
			n--;
		}
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
			s++;
			n -= 2;
		}
		if ((d = find(ioc, T_MSGID, s, n)))
			return hit(&c, d, "Message-ID", NULL);
	}
	if (match_addrs(&c, &m->from, "From") || match_addrs(&c, &m->reply_to, "Reply-To") ||
	    match_addrs(&c, &m->sender, "Sender"))
		return 1;
	if (match_addr(&c, m->return_path, "Return-Path"))
		return 1;
	if (ioc->types & (1u << T_DOMAIN | 1u << T_HOST | 1u << T_URL | 1u << T_IP4 | 1u << T_IP6)) {
		for (size_t i = 0; i < m->links.n; i++) {
			const pc_link *l = m->links.v[i];
			if (l && match_url(&c, l->url, l->resolved, "link"))
				return 1;
		}
		for (size_t i = 0; i < m->resources.n; i++) {
			const pc_resource *r = m->resources.v[i];
			if (r && match_url(&c, r->url, r->resolved, "resource"))
				return 1;
		}
		for (size_t i = 0; i < m->trackers.n; i++) {
			const pc_tracker *t = m->trackers.v[i];
			if (!t || !t->header || !t->url)
				continue; /* resources and links were checked above */
			if (match_url_text(&c, t->url, "header URL"))
				return 1;
			if (m->arena) {
				pc_url *u = pc_url_parse(m->arena, t->url, strlen(t->url));
				if (u && u->host_ascii &&
				    (u->host_is_ip ? match_ip_text(&c, u->host_ascii, "header URL host")
				                   : match_host(&c, u->host_ascii, "header URL host")))
					return 1;
			}
		}
		for (size_t i = 0; i < m->auth.n; i++) {
			const pc_auth *a = m->auth.v[i];
			if (a && a->method && !strcmp(a->method, "dkim") && a->domain &&
			    match_host(&c, a->domain, "DKIM d="))
				return 1;
		}
		if (fp)
			for (size_t i = 0; i < fp->ninfra && i < PC_FP_MAX_INFRA; i++)
				if (match_infra(&c, fp->infra[i]))
					return 1;
	}
	if (fp && (ioc->types & (1u << T_TEMPLATE)))
		for (size_t i = 0; i < fp->ntemplates && i < PC_FP_MAX_TEMPLATES; i++)
			if (fp->templates[i] && (d = find(ioc, T_TEMPLATE, fp->templates[i], strlen(fp->templates[i]))))
				return hit(&c, d, "tracker template", NULL);
	if (m->subject && ioc->subjects) {
		char *f = norm_subject(m->subject, strlen(m->subject));
		unsigned id = 0;
		if (f)
			pc_ac_match(ioc->subjects, f, strlen(f), first_subject, &id);
		g_free(f);
		if (id)
			return hit(&c, &ioc->v[id - 1], "Subject", NULL);
	}
	return 0;
}
