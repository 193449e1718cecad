/*
 * NAME
 *   lookalike - domains made to look like own, protected or people's domains
 * SYNOPSIS
 *   pc_detector_lookalike    (listed in detectors.c)
 * DESCRIPTION
 *   impersonation.lookalike: the domains of From, Reply-To, Return-Path,
 *   the d= of every DKIM-Signature and the hosts of links are compared with
 *   the domains in pc_protect (pc_protect_lookalike: idn-homoglyph,
 *   mixed-script, confusable-skeleton, edit-distance-N, added-word,
 *   tld-swap, subdomain-trick). A listed domain and its subdomains are
 *   never lookalikes. One finding per distinct (domain, where); scores:
 *   From 6, Reply-To 5, Return-Path and DKIM d= 4, link host 2.
 *   Bounded: MAX_LINK_HOSTS distinct link hosts and MAX_DKIM signatures per
 *   message; d= is read from at most the first 8 KB of a signature.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "detect/detect.h"
#include "extract/identity.h"
#include "detect/lib/protect.h"
#include "parse/domain.h"

#define MAX_LINK_HOSTS 200
#define MAX_DKIM 16
#define MAX_SEEN 256
#define MAX_ADDRS 16

typedef struct seen {
	const char *host[MAX_SEEN];
	const char *where[MAX_SEEN];
	size_t n;
} seen;

static bool was_seen(seen *s, const char *host, const char *where)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->host[i], host) && !strcmp(s->where[i], where))
			return true;
	if (s->n < MAX_SEEN) {
		s->host[s->n] = host;
		s->where[s->n++] = where;
	}
	return false;
}

static void check(pc_detect_ctx *ctx, pc_msg *m, seen *s, const char *host, size_t n, const char *where, double score)
{
	pc_domain d;
	if (!host || pc_names_domain(pc_protect_names(ctx->protect), m->arena, host, n, &d) != 0)
		return;
	if (was_seen(s, d.ascii, where))
		return;
	const pc_protected_domain *im = NULL;
	const char *t = pc_protect_lookalike(ctx->protect, &d, &im);
	if (!t)
		return;
	const char *imitated = im ? im->d.unicode : d.skel;
	pc_finding *f = pc_msg_finding(m, PC_FINDING_IMPERSONATION, "impersonation.lookalike", score,
	                               pc_arena_printf(m->arena, "%s domain %s looks like %s (%s)", where, d.unicode,
	                                               imitated ? imitated : "?", t));
	if (!f)
		return;
	pc_finding_ev(m, f, "where", where);
	pc_finding_ev(m, f, "domain", d.unicode);
	if (strcmp(d.unicode, d.ascii))
		pc_finding_ev(m, f, "domain_ascii", d.ascii);
	pc_finding_ev(m, f, "imitated", imitated ? imitated : "");
	pc_finding_ev(m, f, "transformation", t);
	if (d.scripts)
		pc_finding_ev(m, f, "scripts", d.scripts);
}

static void addrs(pc_detect_ctx *ctx, pc_msg *m, seen *s, const pc_vec *v, const char *where, double score)
{
	for (size_t i = 0; i < v->n && i < MAX_ADDRS; i++) {
		const pc_addr *a = v->v[i];
		const char *d = pc_addr_domain(a->addr);
		if (d)
			check(ctx, m, s, d, strlen(d), where, score);
	}
}

/* A host with non-ASCII bytes or an A-label ("xn--"): the only kind
 * whose script mixing can be checked. */
static bool idn_host(const char *h)
{
	for (const char *p = h; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return true;
	return strstr(h, "xn--") != NULL || strstr(h, "XN--") != NULL;
}

void pc_detect_lookalike(pc_detect_ctx *ctx, pc_msg *m)
{
	if (!ctx->protect)
		return;
	seen s;
	s.n = 0;
	addrs(ctx, m, &s, &m->from, "from", 6);
	addrs(ctx, m, &s, &m->reply_to, "reply-to", 5);
	const char *rp = pc_addr_domain(m->return_path);
	if (rp)
		check(ctx, m, &s, rp, strcspn(rp, "> \t"), "return-path", 4);
	size_t ndkim = 0;
	for (size_t i = 0; i < m->headers.n && ndkim < MAX_DKIM; i++) {
		const pc_kv *h = m->headers.v[i];
		if (!h->key || strcasecmp(h->key, "DKIM-Signature") || !h->value)
			continue;
		ndkim++;
		const char *d;
		size_t dn;
		if (pc_identity_dkim_d(h->value, &d, &dn))
			check(ctx, m, &s, d, dn, "dkim", 4);
	}
	const char *hosts[MAX_LINK_HOSTS];
	size_t nhosts = 0;
	bool any_protected = pc_protect_ndomains(ctx->protect) > 0;
	for (size_t i = 0; i < m->links.n && nhosts < MAX_LINK_HOSTS; i++) {
		const pc_link *l = m->links.v[i];
		if (!l->url || !l->url->host || !*l->url->host || l->url->host_is_ip)
			continue;
		const char *h = l->url->host;
		bool dup = false;
		for (size_t k = 0; k < nhosts && !dup; k++)
			dup = !strcmp(hosts[k], h);
		if (dup)
			continue;
		hosts[nhosts++] = h;
		/* with nothing protected, a link host can only be a finding for
		 * its scripts: skip the ASCII ones (most) without normalising */
		if (!any_protected && !idn_host(h))
			continue;
		check(ctx, m, &s, h, strlen(h), "link", 2);
	}
}

const pc_detector pc_detector_lookalike = {"lookalike", PC_FINDING_IMPERSONATION, NULL, pc_detect_lookalike, NULL,
                                           NULL};
