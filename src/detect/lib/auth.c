/*
 * NAME
 *   auth - findings shared by the SPF, DKIM and DMARC detectors (see auth.h)
 */
#include "detect/lib/auth.h"

#include <stdbool.h>
#include <string.h>

#include "extract/authres.h"

static void evidence(pc_msg *m, pc_finding *f, const pc_auth *a)
{
	pc_finding_ev(m, f, "method", a->method);
	pc_finding_ev(m, f, "result", pc_auth_result_name(a->result));
	if (a->domain)
		pc_finding_ev(m, f, "domain", a->domain);
	if (a->selector)
		pc_finding_ev(m, f, "selector", a->selector);
	if (a->identity && a->property)
		pc_finding_ev(m, f, a->property, a->identity);
	if (a->reason)
		pc_finding_ev(m, f, "reason", a->reason);
	if (a->source)
		pc_finding_ev(m, f, "source", a->source);
}

void pc_auth_finding(pc_msg *m, const pc_auth *a)
{
	const char *method = a->method;
	pc_finding *f = NULL;
	if (a->result == PC_AUTH_TEMPERROR) {
		for (size_t i = 0; i < m->findings.n; i++) {
			const pc_finding *g = m->findings.v[i];
			if (g->kind == PC_FINDING_AUTH_TEMPERROR && g->evidence && !strcmp(g->evidence->value, method))
				return; /* once per method */
		}
		f = pc_msg_finding(
		    m, PC_FINDING_AUTH_TEMPERROR, "auth.temperror", 0,
		    pc_arena_printf(m->arena, "%s could not be checked: DNS failed (try later)", method));
	} else if (a->result == PC_AUTH_PERMERROR)
		f = pc_msg_finding(m, PC_FINDING_AUTH, "auth.permerror", 1,
		                   pc_arena_printf(m->arena, "%s: broken record or signature", method));
	else if (!strcmp(method, "spf") && a->result == PC_AUTH_FAIL)
		f = pc_msg_finding(m, PC_FINDING_AUTH, "auth.spf", 2,
		                   "SPF fail: the client may not send for this domain");
	else if (!strcmp(method, "spf") && a->result == PC_AUTH_SOFTFAIL)
		f = pc_msg_finding(m, PC_FINDING_AUTH, "auth.spf", 1,
		                   "SPF softfail: the domain says the client is probably not its own");
	else if (!strcmp(method, "dkim") && a->result == PC_AUTH_FAIL)
		f = pc_msg_finding(m, PC_FINDING_AUTH, "auth.dkim", 2, "DKIM signature does not verify");
	if (f)
		evidence(m, f, a);
}

void pc_auth_upstream_findings(pc_msg *m, const char *method)
{
	for (size_t i = 0; i < m->auth.n; i++) {
		const pc_auth *a = m->auth.v[i];
		if (!a->source || strcmp(a->method, method))
			continue;
		if (strcmp(method, "dmarc")) {
			pc_auth_finding(m, a);
			continue;
		}
		if (a->result != PC_AUTH_FAIL)
			continue;
		bool strong = a->policy && (!strcmp(a->policy, "quarantine") || !strcmp(a->policy, "reject"));
		pc_finding *f = pc_msg_finding(m, PC_FINDING_AUTH, "auth.dmarc", strong ? 5 : 3,
		                               pc_arena_printf(m->arena, "DMARC fail reported by %s", a->source));
		if (f) {
			pc_finding_ev(m, f, "from_domain", a->domain ? a->domain : "");
			pc_finding_ev(m, f, "policy", a->policy ? a->policy : "unknown");
			pc_finding_ev(m, f, "source", a->source);
		}
	}
}
