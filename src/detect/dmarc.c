/*
 * NAME
 *   dmarc - the From domain's DMARC policy against SPF and DKIM (RFC 7489)
 * SYNOPSIS
 *   pc_detector_dmarc    (listed in detectors.c, after spf and dkim)
 * DESCRIPTION
 *   The From header must hold exactly one address (none: dmarc=none; more:
 *   permerror; an internationalised domain is used in its A-label form).
 *   The record is looked up through pc_dns at _dmarc.<from
 *   domain>, then at _dmarc.<organisational domain> (libpsl's built-in
 *   list), and handed to libopendmarc (opendmarc_policy_store_dmarc), so
 *   the library does no DNS of its own. The SPF and DKIM inputs are our
 *   own results, or trusted upstream ones when we did not check. Relaxed
 *   alignment needs libopendmarc's public-suffix table: Debian's
 *   public_suffix_list.dat is read once per process.
 *   A failing message scores 3, or 5 when the domain asks for quarantine
 *   or reject (auth.dmarc, with the From domain, the policy and which of
 *   SPF and DKIM aligned). `aligned` is set on the SPF and DKIM results.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <opendmarc/dmarc.h>

#include "detect/lib/auth.h"
#include "detect/detect.h"
#include "net/dns.h"
#include "parse/domain.h"

#define PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dat"

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

/* libopendmarc keeps its suffix table in process-wide state. */
static void lib_init(void)
{
	static OPENDMARC_LIB_T lib;
	memset(&lib, 0, sizeof lib);
	lib.tld_type = OPENDMARC_TLD_TYPE_NONE;
	opendmarc_policy_library_init(&lib);
	if (access(PSL_FILE, R_OK) == 0)
		opendmarc_tld_read_file((char *)PSL_FILE, "//", "*.", "!");
}

typedef struct records {
	char rec[PC_DNS_TXT_MAX + 1];
	int n;
} records;

static void on_txt(void *ctx, const char *txt, size_t n)
{
	records *r = ctx;
	const char *p = txt;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "v=DMARC1", 8) || (p[8] && p[8] != ';' && p[8] != ' ' && p[8] != '\t'))
		return;
	if (r->n++ == 0)
		snprintf(r->rec, sizeof r->rec, "%s", p);
}

static const char *org_domain(const char *d)
{
	const char *o = pc_domain_registrable(d);
	return o ? o : d;
}

static int dkim_outcome(pc_auth_result r)
{
	switch (r) {
	case PC_AUTH_PASS:
		return DMARC_POLICY_DKIM_OUTCOME_PASS;
	case PC_AUTH_TEMPERROR:
		return DMARC_POLICY_DKIM_OUTCOME_TMPFAIL;
	case PC_AUTH_NONE:
		return DMARC_POLICY_DKIM_OUTCOME_NONE;
	default:
		return DMARC_POLICY_DKIM_OUTCOME_FAIL;
	}
}

static int spf_outcome(pc_auth_result r)
{
	switch (r) {
	case PC_AUTH_PASS:
		return DMARC_POLICY_SPF_OUTCOME_PASS;
	case PC_AUTH_TEMPERROR:
		return DMARC_POLICY_SPF_OUTCOME_TMPFAIL;
	case PC_AUTH_NONE:
	case PC_AUTH_NEUTRAL:
		return DMARC_POLICY_SPF_OUTCOME_NONE;
	default:
		return DMARC_POLICY_SPF_OUTCOME_FAIL;
	}
}

static bool own_or_trusted(const pc_msg *m, const pc_auth *a, const char *method)
{
	if (strcmp(a->method, method))
		return false;
	if (!a->source)
		return true;
	/* an upstream result counts only when we have none of our own */
	for (size_t i = 0; i < m->auth.n; i++) {
		const pc_auth *b = m->auth.v[i];
		if (!b->source && !strcmp(b->method, method))
			return false;
	}
	return true;
}

static bool aligns(const char *d, const char *from, bool strict)
{
	if (!d || !from)
		return false;
	if (!strcasecmp(d, from))
		return true;
	return !strict && !strcasecmp(org_domain(d), org_domain(from));
}

static pc_auth *result(pc_msg *m, const char *domain, pc_auth_result r, const char *reason)
{
	pc_auth *a = pc_arena_calloc(m->arena, 1, sizeof *a);
	if (!a)
		return NULL;
	a->method = "dmarc";
	a->property = "header.from";
	a->domain = domain;
	a->result = r;
	a->reason = reason;
	pc_vec_push(m->arena, &m->auth, a);
	return a;
}

static const char *policy_name(int p)
{
	switch (p) {
	case DMARC_RECORD_P_NONE:
		return "none";
	case DMARC_RECORD_P_QUARANTINE:
		return "quarantine";
	case DMARC_RECORD_P_REJECT:
		return "reject";
	default:
		return NULL;
	}
}

void pc_detect_dmarc(pc_detect_ctx *ctx, pc_msg *m)
{
	if (!m->config->auth_dmarc || !ctx->dns) {
		pc_auth_upstream_findings(m, "dmarc");
		return;
	}
	if (!m->is_mail)
		return;
	size_t nfrom = 0;
	const pc_addr *from = NULL;
	for (size_t i = 0; i < m->from.n; i++) {
		const pc_addr *ad = m->from.v[i];
		if (ad->addr && *ad->addr) {
			nfrom++;
			from = ad;
		}
	}
	if (nfrom == 0) {
		result(m, NULL, PC_AUTH_NONE, "no From address");
		return;
	}
	if (nfrom > 1) {
		pc_auth *a = result(m, NULL, PC_AUTH_PERMERROR, "more than one From address");
		if (a)
			pc_auth_finding(m, a);
		return;
	}
	/* an internationalised From domain is looked up in its A-label form */
	const char *fd = pc_addr_domain(from->addr);
	size_t fl = fd ? strlen(fd) + PC_DOMAIN_KEY_CAP : 0;
	char *domain = fd ? pc_arena_alloc(m->arena, fl) : NULL;
	if (!domain)
		return;
	int dl = pc_domain_key(fd, strlen(fd), domain, fl);
	if (dl <= 0 || dl > PC_DOMAIN_MAX) {
		pc_auth *a = result(m, domain, PC_AUTH_PERMERROR, "From has no usable domain");
		if (a)
			pc_auth_finding(m, a);
		return;
	}
	pthread_once(&lib_once, lib_init);

	/* the record: the From domain's, else its organisational domain's */
	records *rec = pc_arena_calloc(m->arena, 1, sizeof *rec);
	if (!rec)
		return;
	const char *org = pc_arena_strdup(m->arena, org_domain(domain));
	const char *found_at = domain;
	char name[300];
	snprintf(name, sizeof name, "_dmarc.%s", domain);
	pc_dns_phase(ctx->dns, PC_DNS_BUDGET_DMARC); /* its own time: SPF and DKIM cannot use it up */
	pc_dns_status st = pc_dns_txt(ctx->dns, name, on_txt, rec);
	if ((st == PC_DNS_NXDOMAIN || st == PC_DNS_NODATA || (st == PC_DNS_OK && rec->n == 0)) && org &&
	    strcmp(org, domain)) {
		found_at = org;
		snprintf(name, sizeof name, "_dmarc.%s", org);
		rec->n = 0;
		st = pc_dns_txt(ctx->dns, name, on_txt, rec);
	}
	if (st == PC_DNS_TIMEOUT || st == PC_DNS_SERVFAIL) {
		pc_auth *a = result(m, domain, PC_AUTH_TEMPERROR,
		                    pc_arena_printf(m->arena, "DMARC record lookup: DNS %s", pc_dns_status_name(st)));
		if (a)
			pc_auth_finding(m, a);
		return;
	}

	/* inputs */
	const pc_auth *spf = NULL;
	for (size_t i = 0; i < m->auth.n && !spf; i++)
		if (own_or_trusted(m, m->auth.v[i], "spf"))
			spf = m->auth.v[i];

	if (rec->n != 1) { /* none, or several records: no policy (RFC 7489 6.6.3) */
		pc_auth *a = result(m, domain, PC_AUTH_NONE, rec->n ? "more than one DMARC record" : "no DMARC record");
		for (size_t i = 0; i < m->auth.n; i++) {
			pc_auth *x = m->auth.v[i];
			if (x != a && x->result == PC_AUTH_PASS &&
			    (own_or_trusted(m, x, "dkim") || own_or_trusted(m, x, "spf")))
				x->aligned = aligns(x->domain, domain, false);
		}
		return;
	}

	const char *ip = m->env.client_ip && *m->env.client_ip ? m->env.client_ip : "0.0.0.0";
	DMARC_POLICY_T *pctx = opendmarc_policy_connect_init((u_char *)ip, strchr(ip, ':') != NULL);
	if (!pctx)
		return;
	int ps = opendmarc_policy_store_from_domain(pctx, (u_char *)domain);
	if (ps == DMARC_PARSE_OKAY)
		ps = opendmarc_policy_store_dmarc(pctx, (u_char *)rec->rec, (u_char *)domain,
		                                  found_at == domain ? NULL : (u_char *)found_at);
	if (ps != DMARC_PARSE_OKAY) {
		pc_auth *a = result(m, domain, PC_AUTH_PERMERROR, "DMARC record does not parse");
		if (a)
			pc_auth_finding(m, a);
		opendmarc_policy_connect_shutdown(pctx);
		return;
	}
	for (size_t i = 0; i < m->auth.n; i++) {
		const pc_auth *x = m->auth.v[i];
		if (own_or_trusted(m, x, "dkim") && x->domain)
			opendmarc_policy_store_dkim(pctx, (u_char *)x->domain,
			                            (u_char *)(x->selector ? x->selector : ""), dkim_outcome(x->result),
			                            (u_char *)(x->reason ? x->reason : ""));
	}
	if (spf && spf->domain)
		opendmarc_policy_store_spf(pctx, (u_char *)spf->domain, spf_outcome(spf->result),
		                           spf->property && !strcmp(spf->property, "smtp.helo")
		                               ? DMARC_POLICY_SPF_ORIGIN_HELO
		                               : DMARC_POLICY_SPF_ORIGIN_MAILFROM,
		                           (u_char *)"");
	int verdict = opendmarc_get_policy_to_enforce(pctx);
	int da = 0, sa = 0, p = 0, adkim = 0;
	opendmarc_policy_fetch_alignment(pctx, &da, &sa);
	opendmarc_policy_fetch_p(pctx, &p);
	opendmarc_policy_fetch_adkim(pctx, &adkim);
	opendmarc_policy_connect_shutdown(pctx);

	bool dkim_aligned = da == DMARC_POLICY_DKIM_ALIGNMENT_PASS;
	bool spf_aligned = sa == DMARC_POLICY_SPF_ALIGNMENT_PASS;
	for (size_t i = 0; i < m->auth.n; i++) {
		pc_auth *x = m->auth.v[i];
		if (own_or_trusted(m, x, "dkim"))
			x->aligned = dkim_aligned && x->result == PC_AUTH_PASS &&
			             aligns(x->domain, domain, adkim == DMARC_RECORD_A_STRICT);
		else if (x == spf)
			x->aligned = spf_aligned;
	}
	pc_auth_result r;
	switch (verdict) {
	case DMARC_POLICY_PASS:
		r = PC_AUTH_PASS;
		break;
	case DMARC_POLICY_REJECT:
	case DMARC_POLICY_QUARANTINE:
	case DMARC_POLICY_NONE:
		r = PC_AUTH_FAIL;
		break;
	case DMARC_POLICY_ABSENT:
		r = PC_AUTH_NONE;
		break;
	default:
		r = PC_AUTH_PERMERROR;
		break;
	}
	/* Without an SPF result (no client address, no trusted upstream one)
	 * a failure is not established: SPF might have passed aligned. */
	const char *why = NULL;
	if (r == PC_AUTH_FAIL && !spf) {
		r = PC_AUTH_NONE;
		why = "DKIM did not pass aligned and SPF was not checked (no client address)";
	}
	/* Nor when an input that would align with From could not be checked
	 * now (DNS failed): it might have passed. An unaligned one (the
	 * sender's own slow SPF servers) cannot make DMARC pass and changes
	 * nothing. */
	if (r == PC_AUTH_FAIL) {
		for (size_t i = 0; i < m->auth.n; i++) {
			const pc_auth *x = m->auth.v[i];
			if ((own_or_trusted(m, x, "dkim") || x == spf) && x->result == PC_AUTH_TEMPERROR && x->domain &&
			    aligns(x->domain, domain, false)) {
				r = PC_AUTH_TEMPERROR;
				why = pc_arena_printf(m->arena, "%s for %s could not be checked now (DNS)", x->method,
				                      x->domain);
				break;
			}
		}
	}
	pc_auth *a = result(m, domain, r, why);
	if (!a)
		return;
	a->policy = policy_name(p);
	a->aligned = dkim_aligned || spf_aligned;
	if (r == PC_AUTH_FAIL) {
		bool strong = p == DMARC_RECORD_P_QUARANTINE || p == DMARC_RECORD_P_REJECT;
		a->reason = "neither SPF nor DKIM passed aligned with From";
		pc_finding *f =
		    pc_msg_finding(m, PC_FINDING_AUTH, "auth.dmarc", strong ? 5 : 3,
		                   pc_arena_printf(m->arena, "DMARC fail for the From domain %s (policy %s)", domain,
		                                   a->policy ? a->policy : "?"));
		if (f) {
			pc_finding_ev(m, f, "from_domain", domain);
			pc_finding_ev(m, f, "policy", a->policy ? a->policy : "unknown");
			pc_finding_ev(m, f, "spf_aligned", spf_aligned ? "yes" : "no");
			pc_finding_ev(m, f, "dkim_aligned", dkim_aligned ? "yes" : "no");
			if (found_at != domain)
				pc_finding_ev(m, f, "record_at", found_at);
		}
	} else if (r == PC_AUTH_PERMERROR || r == PC_AUTH_TEMPERROR)
		pc_auth_finding(m, a);
}

const pc_detector pc_detector_dmarc = {"dmarc", PC_FINDING_AUTH, NULL, pc_detect_dmarc, NULL, NULL};
