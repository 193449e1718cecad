/*
 * NAME
 *   dkim - verify the message's DKIM signatures (RFC 6376)
 * SYNOPSIS
 *   pc_detector_dkim    (listed in detectors.c, after spf)
 * DESCRIPTION
 *   libopendkim verifies over the scanned bytes (m->raw); its key lookups
 *   go through pc_dns by the library's DNS service hooks (synchronous: the
 *   query runs in "start", "waitreply" hands the answer over). One
 *   DKIM_LIB per scanner, made on first use. At most PC_DKIM_SIGNATURES
 *   signatures are verified (a message with more gets a limit finding;
 *   the rest are ignored). Each verified signature becomes a pc_auth:
 *   pass, fail (bad signature or body hash), permerror (no key, broken
 *   key or signature syntax), temperror (the key lookup failed).
 *   When we verify nothing (no DNS, no signature), trusted upstream DKIM
 *   results stand in for ours (detect/lib/auth.c makes their findings).
 */
#include <sys/types.h>
#include <arpa/nameser.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <opendkim/dkim.h>

#include "detect/lib/auth.h"
#include "detect/detect.h"
#include "net/dns.h"

#define PC_DKIM_SIGNATURES 8
#define PC_DKIM_DRIFT 300 /* seconds of clock drift allowed (libopendkim's default) */

typedef struct dkim_state {
	DKIM_LIB *lib;
	void *own_service; /* the library's resolver, given back before dkim_close frees it */
	pc_dns *dns;
	/* the one query in flight */
	pc_dns_status st;
	size_t n;
	int qh;
	size_t ignored; /* signatures beyond the limit in this message */
	bool failed;
} dkim_state;

static int q_start(void *srv, int type, unsigned char *query, unsigned char *buf, size_t buflen, void **qh)
{
	dkim_state *s = srv;
	const unsigned char *ans;
	size_t n;
	s->st = pc_dns_query(s->dns, (const char *)query, type, &ans, &n);
	s->n = 0;
	if (ans && n > 0) {
		if (n > buflen)
			return DKIM_DNS_ERROR;
		memcpy(buf, ans, n);
		s->n = n;
	}
	*qh = &s->qh;
	return 0;
}

static int q_cancel(void *srv, void *qh)
{
	return 0;
}

static int q_wait(void *srv, void *qh, struct timeval *to, size_t *bytes, int *error, int *dnssec)
{
	dkim_state *s = srv;
	if (dnssec)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	if (error)
		*error = 0;
	if (s->st == PC_DNS_TIMEOUT)
		return DKIM_DNS_EXPIRED;
	/* SERVFAIL (with or without the answer bytes) is a temporary error;
	 * only NOERROR, NODATA and NXDOMAIN are answers the library may judge */
	if (s->n == 0 || (s->st != PC_DNS_OK && s->st != PC_DNS_NODATA && s->st != PC_DNS_NXDOMAIN))
		return DKIM_DNS_ERROR;
	*bytes = s->n;
	return DKIM_DNS_SUCCESS;
}

static DKIM_CBSTAT prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	dkim_state *s = dkim_get_user_context(dkim);
	for (int i = PC_DKIM_SIGNATURES; i < nsigs; i++) {
		dkim_sig_ignore(sigs[i]);
		if (s)
			s->ignored++;
	}
	return DKIM_CBSTAT_CONTINUE;
}

static void *dkim_state_new(const pc_config *c)
{
	(void)c;
	return calloc(1, sizeof(dkim_state));
}

/* The libopendkim handle, made on first use. */
static dkim_state *state(pc_detect_ctx *ctx)
{
	dkim_state *s = ctx->state;
	if (s->lib || s->failed)
		return s->failed ? NULL : s;
	s->lib = dkim_init(NULL, NULL);
	if (!s->lib) {
		s->failed = true;
		return NULL;
	}
	unsigned int flags = DKIM_LIBFLAGS_FIXCRLF;
	dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
	s->own_service = dkim_dns_set_query_service(s->lib, s);
	dkim_dns_set_query_start(s->lib, q_start);
	dkim_dns_set_query_cancel(s->lib, q_cancel);
	dkim_dns_set_query_waitreply(s->lib, q_wait);
	dkim_set_prescreen(s->lib, prescreen);
	return s;
}

static void dkim_state_free(void *p)
{
	dkim_state *s = p;
	if (!s)
		return;
	if (s->lib) {
		dkim_dns_set_query_service(s->lib, s->own_service);
		dkim_close(s->lib);
	}
	free(s);
}

static bool has_signature(const pc_msg *m)
{
	for (size_t i = 0; i < m->headers.n; i++) {
		const pc_kv *h = m->headers.v[i];
		if (h->key && !strcasecmp(h->key, "DKIM-Signature"))
			return true;
	}
	return false;
}

static pc_auth_result judge(DKIM_SIGINFO *sig, const char **reason)
{
	unsigned int flags = dkim_sig_getflags(sig);
	int bh = dkim_sig_getbh(sig);
	int err = dkim_sig_geterror(sig);
	if ((flags & DKIM_SIGFLAG_PASSED) && bh == DKIM_SIGBH_MATCH)
		return PC_AUTH_PASS;
	*reason = dkim_sig_geterrorstr(err);
	switch (err) {
	case DKIM_SIGERROR_KEYFAIL:
		return PC_AUTH_TEMPERROR;
	case DKIM_SIGERROR_OK:
	case DKIM_SIGERROR_BADSIG:
	case DKIM_SIGERROR_UNKNOWN:
		if (bh == DKIM_SIGBH_MISMATCH)
			*reason = "body hash did not verify";
		return PC_AUTH_FAIL;
	case DKIM_SIGERROR_EXPIRED:
	case DKIM_SIGERROR_FUTURE:
		return PC_AUTH_FAIL;
	default:
		if (bh == DKIM_SIGBH_MISMATCH) {
			*reason = "body hash did not verify";
			return PC_AUTH_FAIL;
		}
		return PC_AUTH_PERMERROR; /* no key, syntax of key or signature */
	}
}

void pc_detect_dkim(pc_detect_ctx *ctx, pc_msg *m)
{
	if (!m->config->auth_dkim || !ctx->dns || !m->raw || !m->rawn || !has_signature(m)) {
		pc_auth_upstream_findings(m, "dkim"); /* nothing of ours: what a trusted host saw */
		return;
	}
	dkim_state *s = state(ctx);
	if (!s)
		return;
	s->dns = ctx->dns;
	pc_dns_phase(ctx->dns, PC_DNS_BUDGET_DKIM);
	s->ignored = 0;
	/* Judged as of ctx->at (evidence re-verified later): libopendkim reads
	 * the clock itself for x= (dkim_sig_expired ignores its FIXEDTIME
	 * option, which only dates signing), so the time since is added to
	 * its allowed clock drift. A signature's t= in the future is then
	 * judged more leniently by the same amount; a result that differs
	 * from the recorded one shows as not holding. */
	uint64_t drift = PC_DKIM_DRIFT;
	time_t now = time(NULL);
	if (ctx->at > 0 && (long long)now > ctx->at)
		drift += (uint64_t)((long long)now - ctx->at);
	if (dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_CLOCKDRIFT, &drift, sizeof drift) != DKIM_STAT_OK)
		return;
	DKIM_STAT st;
	DKIM *dk = dkim_verify(s->lib, (const unsigned char *)"portcullis", NULL, &st);
	if (!dk)
		return;
	dkim_set_user_context(dk, s);
	size_t n = m->rawn;
	if (n > m->config->limits.message_size)
		n = m->config->limits.message_size;
	st = dkim_chunk(dk, (unsigned char *)m->raw, n);
	if (st == DKIM_STAT_OK)
		st = dkim_chunk(dk, NULL, 0);
	if (st == DKIM_STAT_OK || st == DKIM_STAT_BADSIG || st == DKIM_STAT_CANTVRFY || st == DKIM_STAT_NOKEY ||
	    st == DKIM_STAT_KEYFAIL || st == DKIM_STAT_SYNTAX || st == DKIM_STAT_REVOKED)
		dkim_eom(dk, NULL);
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;
	if (dkim_getsiglist(dk, &sigs, &nsigs) == DKIM_STAT_OK && sigs) {
		for (int i = 0; i < nsigs && i < PC_DKIM_SIGNATURES; i++) {
			if (dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_IGNORE)
				continue;
			pc_auth *a = pc_arena_calloc(m->arena, 1, sizeof *a);
			if (!a)
				break;
			a->method = "dkim";
			a->property = "header.d";
			const char *reason = NULL;
			/* a signature that was never processed (eom not reached) is not judged as a pass */
			a->result = (dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_PROCESSED) ? judge(sigs[i], &reason)
			                                                                  : PC_AUTH_PERMERROR;
			if (!(dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_PROCESSED) && !reason)
				reason = dkim_sig_geterrorstr(dkim_sig_geterror(sigs[i]));
			const char *d = (const char *)dkim_sig_getdomain(sigs[i]);
			const char *sel = (const char *)dkim_sig_getselector(sigs[i]);
			a->domain = d ? pc_arena_utf8(m->arena, d, strnlen(d, 255)) : NULL;
			a->selector = sel ? pc_arena_utf8(m->arena, sel, strnlen(sel, 255)) : NULL;
			if (a->domain)
				for (char *c = (char *)a->domain; *c; c++)
					if (*c >= 'A' && *c <= 'Z')
						*c = (char)(*c - 'A' + 'a');
			if (reason)
				a->reason = pc_arena_utf8(m->arena, reason, strlen(reason));
			if (a->result == PC_AUTH_TEMPERROR)
				a->reason =
				    pc_arena_printf(m->arena, "key lookup failed: DNS %s", pc_dns_status_name(s->st));
			pc_vec_push(m->arena, &m->auth, a);
			pc_auth_finding(m, a);
		}
	}
	if (s->ignored) { /* not a parse limit: the verdict does not change, the rest is unverified */
		pc_finding *f =
		    pc_msg_finding(m, PC_FINDING_AUTH, "auth.dkim", 0,
		                   pc_arena_printf(m->arena, "more than %d DKIM signatures: %zu not verified",
		                                   PC_DKIM_SIGNATURES, s->ignored));
		if (f)
			pc_finding_ev(m, f, "limit", pc_arena_printf(m->arena, "%d", PC_DKIM_SIGNATURES));
	}
	dkim_free(dk);
}

const pc_detector pc_detector_dkim = {"dkim", PC_FINDING_AUTH, dkim_state_new, pc_detect_dkim, dkim_state_free, NULL};
