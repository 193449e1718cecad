/*
 * NAME
 *   spf - Sender Policy Framework check of the SMTP client (RFC 7208)
 * SYNOPSIS
 *   pc_detector_spf    (listed in detectors.c, first)
 * DESCRIPTION
 *   Needs the client address from the envelope (m->env.client_ip); a
 *   stored message without one is not checked, and a trusted upstream
 *   result (extract/authres.c) stands in for ours. The identity is MAIL
 *   FROM, or postmaster@HELO for the null sender. libspf2 evaluates the
 *   policy; its DNS goes through pc_dns by a DNS layer of our own (its
 *   resolv layer reads /etc/resolv.conf and cannot be pointed elsewhere).
 *   Results: fail scores 2, softfail 1, permerror 1 (auth.permerror);
 *   temperror is an auth.temperror finding with score 0 for the policy.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spf2/spf.h>

#include "detect/lib/auth.h"
#include "detect/detect.h"
#include "net/dns.h"
#include "parse/domain.h"

typedef struct spf_state {
	SPF_server_t *server;
	SPF_dns_server_t layer;
	pc_dns *dns;
	pc_dns_status worst; /* SERVFAIL or TIMEOUT seen during this check */
	bool failed;
} spf_state;

/* One RR of the answer into rr->rr[idx]; false to skip it. */
static bool fill(SPF_dns_rr_t *rr, int idx, const ns_msg *msg, const ns_rr *r)
{
	const unsigned char *d = ns_rr_rdata(*r);
	size_t len = ns_rr_rdlen(*r);
	char name[NS_MAXDNAME];
	switch (ns_rr_type(*r)) {
	case ns_t_a:
		if (len != 4 || SPF_dns_rr_buf_realloc(rr, idx, sizeof(struct in_addr)) != SPF_E_SUCCESS)
			return false;
		memcpy(&rr->rr[idx]->a, d, 4);
		return true;
	case ns_t_aaaa:
		if (len != 16 || SPF_dns_rr_buf_realloc(rr, idx, sizeof(struct in6_addr)) != SPF_E_SUCCESS)
			return false;
		memcpy(&rr->rr[idx]->aaaa, d, 16);
		return true;
	case ns_t_mx:
	case ns_t_ptr: {
		const unsigned char *nm = d;
		if (ns_rr_type(*r) == ns_t_mx) {
			if (len < 3)
				return false;
			nm += 2; /* preference */
		}
		if (ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), nm, name, sizeof name) < 0)
			return false;
		size_t n = strlen(name);
		if (SPF_dns_rr_buf_realloc(rr, idx, n + 1) != SPF_E_SUCCESS)
			return false;
		memcpy(rr->rr[idx]->ptr, name, n + 1);
		return true;
	}
	case ns_t_txt: {
		char txt[PC_DNS_TXT_MAX + 1];
		size_t n = 0;
		const unsigned char *p = d, *end = d + len;
		while (p < end) {
			size_t l = *p++;
			if (l > (size_t)(end - p) || l > PC_DNS_TXT_MAX - n)
				return false;
			memcpy(txt + n, p, l);
			n += l;
			p += l;
		}
		txt[n] = '\0';
		if (SPF_dns_rr_buf_realloc(rr, idx, n + 1) != SPF_E_SUCCESS)
			return false;
		memcpy(rr->rr[idx]->txt, txt, n + 1);
		return true;
	}
	default:
		return false;
	}
}

static SPF_dns_rr_t *lookup(SPF_dns_server_t *layer, const char *domain, ns_type type, int should_cache)
{
	spf_state *s = layer->hook;
	const unsigned char *ans;
	size_t n;
	pc_dns_status st = pc_dns_query(s->dns, domain, type, &ans, &n);
	switch (st) {
	case PC_DNS_OK:
		break;
	case PC_DNS_NODATA:
		return SPF_dns_rr_new_init(layer, domain, type, 0, NO_DATA);
	case PC_DNS_NXDOMAIN:
	case PC_DNS_BADNAME:
		return SPF_dns_rr_new_init(layer, domain, type, 0, HOST_NOT_FOUND);
	case PC_DNS_SERVFAIL:
	case PC_DNS_TIMEOUT:
		if (s->worst != PC_DNS_TIMEOUT)
			s->worst = st;
		return SPF_dns_rr_new_init(layer, domain, type, 0, TRY_AGAIN);
	}
	ns_msg msg;
	if (ns_initparse(ans, (int)n, &msg) != 0) {
		s->worst = s->worst == PC_DNS_TIMEOUT ? PC_DNS_TIMEOUT : PC_DNS_SERVFAIL;
		return SPF_dns_rr_new_init(layer, domain, type, 0, TRY_AGAIN);
	}
	SPF_dns_rr_t *rr = SPF_dns_rr_new_init(layer, domain, type, 0, NETDB_SUCCESS);
	if (!rr)
		return NULL;
	int count = ns_msg_count(msg, ns_s_an), k = 0;
	for (int i = 0; i < count && k < 64; i++) { /* libspf2 limits MX/PTR names further */
		ns_rr r;
		if (ns_parserr(&msg, ns_s_an, i, &r) != 0)
			break;
		if (ns_rr_type(r) != type)
			continue;
		if (fill(rr, k, &msg, &r))
			k++;
	}
	rr->num_rr = k;
	if (k == 0)
		rr->herrno = NO_DATA;
	return rr;
}

static void *spf_init(const pc_config *c)
{
	(void)c;
	return calloc(1, sizeof(spf_state));
}

/* The libspf2 server, made on first use. */
static spf_state *state(pc_detect_ctx *ctx)
{
	spf_state *s = ctx->state;
	if (s->server || s->failed)
		return s->failed ? NULL : s;
	s->layer.destroy = NULL; /* ours: SPF_server_free leaves it alone */
	s->layer.lookup = lookup;
	s->layer.name = "portcullis";
	s->layer.hook = s;
	s->server = SPF_server_new_dns(&s->layer, 0);
	if (!s->server) {
		s->failed = true;
		return NULL;
	}
	return s;
}

static void spf_free(void *p)
{
	spf_state *s = p;
	if (!s)
		return;
	if (s->server)
		SPF_server_free(s->server);
	free(s);
}

static pc_auth_result map(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_PASS:
		return PC_AUTH_PASS;
	case SPF_RESULT_FAIL:
		return PC_AUTH_FAIL;
	case SPF_RESULT_SOFTFAIL:
		return PC_AUTH_SOFTFAIL;
	case SPF_RESULT_NEUTRAL:
		return PC_AUTH_NEUTRAL;
	case SPF_RESULT_TEMPERROR:
		return PC_AUTH_TEMPERROR;
	case SPF_RESULT_PERMERROR:
	case SPF_RESULT_INVALID:
		return PC_AUTH_PERMERROR;
	case SPF_RESULT_NONE:
	default:
		return PC_AUTH_NONE;
	}
}

/* A domain name as SPF may use it: ASCII letters, digits, '-', '.', '_'. */
static bool plain_domain(const char *d)
{
	size_t n = strlen(d);
	if (n == 0 || n > 253)
		return false;
	for (; *d; d++)
		if (!((*d >= 'a' && *d <= 'z') || (*d >= 'A' && *d <= 'Z') || (*d >= '0' && *d <= '9') || *d == '-' ||
		      *d == '.' || *d == '_'))
			return false;
	return true;
}

void pc_detect_spf(pc_detect_ctx *ctx, pc_msg *m)
{
	const pc_envelope *e = &m->env;
	const char *helo = e->helo && *e->helo ? e->helo : NULL;
	bool use_helo = !e->mail_from || !*e->mail_from;
	if (!m->config->auth_spf || !ctx->dns || !e->client_ip || !*e->client_ip || (use_helo && !helo)) {
		pc_auth_upstream_findings(m, "spf"); /* not ours to check: what a trusted host saw */
		return;
	}
	const char *identity = use_helo ? helo : e->mail_from;
	const char *domain = pc_addr_domain(identity);
	if (!domain)
		domain = identity;
	pc_auth *a = pc_arena_calloc(m->arena, 1, sizeof *a);
	if (!a)
		return;
	a->method = "spf";
	a->property = use_helo ? "smtp.helo" : "smtp.mailfrom";
	a->identity = pc_arena_utf8(m->arena, identity, strlen(identity));
	a->domain = pc_arena_utf8(m->arena, domain, strlen(domain));
	if (!plain_domain(domain) || strlen(identity) > 320) {
		a->result = PC_AUTH_NONE; /* RFC 7208 4.3: a malformed domain is "none" */
		a->reason = "not a checkable domain";
		pc_vec_push(m->arena, &m->auth, a);
		return;
	}
	spf_state *s = state(ctx);
	if (!s)
		return;
	s->dns = ctx->dns;
	s->worst = PC_DNS_OK;
	pc_dns_phase(ctx->dns, PC_DNS_BUDGET_SPF);
	SPF_request_t *req = SPF_request_new(s->server);
	SPF_response_t *resp = NULL;
	if (!req)
		return;
	struct in6_addr a6;
	bool ok = strchr(e->client_ip, ':') ? inet_pton(AF_INET6, e->client_ip, &a6) == 1 &&
	                                          SPF_request_set_ipv6_str(req, e->client_ip) == SPF_E_SUCCESS
	                                    : SPF_request_set_ipv4_str(req, e->client_ip) == SPF_E_SUCCESS;
	if (ok && helo && plain_domain(helo))
		SPF_request_set_helo_dom(req, helo);
	if (ok)
		ok = SPF_request_set_env_from(req, identity) == 0;
	if (ok)
		SPF_request_query_mailfrom(req, &resp);
	if (resp) {
		a->result = map(SPF_response_result(resp));
		/* libspf2 reports a failed lookup of the policy itself as
		 * permerror or none: with DNS failing, only a match is sure */
		if (s->worst != PC_DNS_OK && a->result != PC_AUTH_PASS && a->result != PC_AUTH_FAIL &&
		    a->result != PC_AUTH_SOFTFAIL && a->result != PC_AUTH_NEUTRAL)
			a->result = PC_AUTH_TEMPERROR;
		if (a->result == PC_AUTH_TEMPERROR || s->worst != PC_DNS_OK)
			a->reason = pc_arena_printf(m->arena, "DNS %s", pc_dns_status_name(s->worst));
		else if (a->result != PC_AUTH_PASS && a->result != PC_AUTH_NONE &&
		         SPF_response_errcode(resp) != SPF_E_SUCCESS)
			a->reason = pc_arena_utf8(m->arena, SPF_strerror(SPF_response_errcode(resp)),
			                          strlen(SPF_strerror(SPF_response_errcode(resp))));
		SPF_response_free(resp);
	} else {
		a->result = PC_AUTH_PERMERROR;
		a->reason = "the SPF check could not run";
	}
	SPF_request_free(req);
	pc_vec_push(m->arena, &m->auth, a);
	pc_auth_finding(m, a);
}

const pc_detector pc_detector_spf = {"spf", PC_FINDING_AUTH, spf_init, pc_detect_spf, spf_free, NULL};
