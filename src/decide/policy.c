/*
 * NAME
 *   policy - verdict from findings (see policy.h)
 */
#include "decide/policy.h"

#include <string.h>

/* The score at or above which an impersonation.* finding speaks about the
 * sender (link-host lookalikes score less: partner sites link to sister
 * domains). */
#define IMPERSONATION_MIN_SCORE 4.0

bool pc_policy_is_impersonation(const pc_finding *f)
{
	return !strncmp(f->detector, "impersonation.", 14) && f->score >= IMPERSONATION_MIN_SCORE;
}

bool pc_policy_from_authenticated(const pc_msg *m)
{
	for (size_t i = 0; i < m->auth.n; i++) {
		const pc_auth *a = m->auth.v[i];
		if (a->result != PC_AUTH_PASS || !a->method)
			continue;
		if (!strcmp(a->method, "dmarc") || a->aligned)
			return true;
	}
	return false;
}

static bool is_tracker(const pc_finding *f)
{
	return !strncmp(f->detector, "tracker.", 8);
}

static bool is_temperror(const pc_finding *f)
{
	return !strcmp(f->detector, "auth.temperror");
}

static bool is_campaign(const pc_finding *f)
{
	return !strcmp(f->detector, "campaign.malicious");
}

static bool is_limit(const pc_finding *f)
{
	return f->limit;
}

static bool is_impersonation_or_tracker(const pc_finding *f)
{
	return pc_policy_is_impersonation(f) || is_tracker(f);
}

static bool has_score(const pc_finding *f)
{
	return f->score > 0;
}

/* Raises the verdict to `action` when that is stricter, naming the rule
 * and keeping the findings `why` selects as the reasons. */
static void raise_to(pc_msg *m, pc_action action, const char *rule, bool (*why)(const pc_finding *))
{
	if (m->rule ? action <= m->verdict : action < m->verdict)
		return;
	m->verdict = action;
	m->rule = rule;
	m->reasons.n = 0;
	for (size_t i = 0; i < m->findings.n; i++) {
		pc_finding *f = m->findings.v[i];
		if (why(f) && pc_vec_push(m->arena, &m->reasons, f) != 0)
			break;
	}
}

void pc_policy_decide(pc_msg *m)
{
	const pc_config *c = m->config;
	double score = 0, tracker_max = 0;
	bool limit = false, impersonation = false, temperror = false, campaign = false;
	for (size_t i = 0; i < m->findings.n; i++) {
		const pc_finding *f = m->findings.v[i];
		if (is_tracker(f)) {
			if (f->score > tracker_max)
				tracker_max = f->score;
		} else {
			score += f->score;
		}
		limit |= f->limit;
		impersonation |= pc_policy_is_impersonation(f);
		temperror |= is_temperror(f);
		campaign |= is_campaign(f);
	}
	m->score = score + tracker_max;
	m->verdict = PC_ACTION_ACCEPT;
	m->rule = NULL;
	m->reasons.n = 0;
	/* most specific first: a later rule replaces an earlier one only
	 * when it asks for something stricter */
	if (impersonation && m->trackers.n)
		raise_to(m, c->impersonation_tracker_action, "impersonation+tracker", is_impersonation_or_tracker);
	else if (impersonation)
		raise_to(m, c->impersonation_action, "impersonation", pc_policy_is_impersonation);
	if (campaign) /* the campaign was judged malicious: every copy */
		raise_to(m, c->campaign_action, "campaign", is_campaign);
	if (c->quarantine_score > 0 && m->score >= c->quarantine_score)
		raise_to(m, PC_ACTION_QUARANTINE, "score", has_score);
	if (limit)
		raise_to(m, c->limit_action, "limit", is_limit);
	if (m->trackers.n)
		raise_to(m, c->tracker_action, "tracker", is_tracker);
	if (temperror)
		raise_to(m, c->temperror_action, "auth-temperror", is_temperror);
	if (!m->rule)
		m->rule = "clean";
}
