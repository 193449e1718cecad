/*
 * NAME
 *   ioc_match - a message against the indicator index
 * DESCRIPTION
 *   See hunt/ioc.h for the formats and what matches, hunt/ioc_impl.h for
 *   the index.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "campaign/fingerprint.h"
#include "hunt/ioc_impl.h"
#include "parse/domain.h"
#include "parse/url.h"

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
	return pc_ioc_norm_domain(h, n, false, out) == NULL;
}

static const ind *lookup_host(const pc_ioc *ioc, const char *key)
{
	const ind *d = pc_ioc_find(ioc, T_HOST, key, strlen(key));
	if (d || !(ioc->types & (1u << T_DOMAIN)))
		return d;
	for (const char *p = key; p;) {
		if ((d = pc_ioc_find(ioc, T_DOMAIN, p, strlen(p))))
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
		pc_ioc_mask_to(a, bytes, p, (unsigned char *)key + 1);
		const ind *d = pc_ioc_find(ioc, type, key, (size_t)bytes + 1);
		if (d)
			return d;
	}
	if (plen == bytes * 8)
		return NULL;
	/* indicators whose first address lies in a..a|~mask */
	const ipent *v = ioc->ips[fam == 6];
	size_t lo = 0, hi = ioc->nips[fam == 6];
	unsigned char start[16] = {0}, end[16] = {0};
	pc_ioc_mask_to(a, bytes, plen, start);
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
	if (!(c->ioc->types & (1u << T_IP4 | 1u << T_IP6)) || pc_ioc_parse_ip(s, strlen(s), &fam, a, &plen) != 0)
		return 0;
	const ind *d = lookup_ip(c->ioc, fam, a, plen);
	return d ? hit(c, d, where, s) : 0;
}

/* raw: the URL text to match (canonical when it has a canonical form);
 * shown: how the hit names it (NULL: raw). */
static int match_url_shown(mctx *c, const char *raw, const char *shown, const char *where)
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
		const ind *d = pc_ioc_find_h(ioc, T_URL, buf, l, h_final(h));
		if (!d)
			continue;
		char next = l < n ? raw[l] : '\0';
		if (d->flag && next && !strchr("/?#:\\", next))
			continue; /* "https://e.x" is not a prefix of "https://e.xy/" */
		return hit(c, d, where, shown ? shown : raw);
	}
	return 0;
}

static int match_url_text(mctx *c, const char *raw, const char *where)
{
	return match_url_shown(c, raw, NULL, where);
}

/* URL indicators are keyed by canonical form (ioc_normalise.c): a URL
 * that has one is matched in it, whatever its spelling; the hit shows it
 * as the message has it. false: it has none (not remote, invalid). */
static bool match_canonical(mctx *c, const pc_url *u, const char *text, const char *shown, const char *where, int *rc)
{
	pc_arena *a = c->m->arena;
	if (!a || !(c->ioc->types & (1u << T_URL)))
		return false;
	/* text is NULL whenever u is set; gcc -O3 cannot tell (-Wnonnull) */
	const char *canon = u ? pc_url_canonical(a, u) : text ? pc_url_canonical_str(a, text, strlen(text)) : NULL;
	if (!canon)
		return false;
	*rc = match_url_shown(c, canon, shown, where);
	return true;
}

static int match_url(mctx *c, const pc_url *u, const char *resolved, const char *kind)
{
	if (!u)
		return 0;
	char where[32];
	snprintf(where, sizeof where, "%s URL", kind);
	int rc = 0;
	/* u describes what <base href> resolved (extract/html.c) */
	if (match_canonical(c, u, NULL, resolved ? resolved : u->raw, where, &rc) ||
	    (resolved && match_canonical(c, NULL, resolved, resolved, where, &rc))) {
		if (rc)
			return 1;
	} else {
		if (match_url_text(c, u->raw, where))
			return 1;
		if (resolved && match_url_text(c, resolved, where))
			return 1;
	}
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
	if ((ioc->types & (1u << T_EMAIL)) && !pc_ioc_norm_email(addr, n, key)) {
		const ind *d = pc_ioc_find(ioc, T_EMAIL, key, strlen(key));
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
	if (sha256 && (d = pc_ioc_find(ioc, T_SHA, (const char *)sha256, 32)))
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
		if ((d = pc_ioc_find(ioc, T_MSGID, s, n)))
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
			int rc = 0;
			if (match_canonical(&c, NULL, t->url, t->url, "header URL", &rc)
			        ? rc
			        : match_url_text(&c, t->url, "header URL"))
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
			if (fp->templates[i] &&
			    (d = pc_ioc_find(ioc, T_TEMPLATE, fp->templates[i], strlen(fp->templates[i]))))
				return hit(&c, d, "tracker template", NULL);
	if (m->subject && ioc->subjects) {
		char *f = pc_ioc_norm_subject(m->subject, strlen(m->subject));
		unsigned id = 0;
		if (f)
			pc_ac_match(ioc->subjects, f, strlen(f), first_subject, &id);
		g_free(f);
		if (id)
			return hit(&c, &ioc->v[id - 1], "Subject", NULL);
	}
	return 0;
}
