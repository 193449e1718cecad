/*
 * NAME
 *   policy - verdict from findings (see policy.h)
 */
#include "decide/policy.h"

#include <string.h>

#include "parse/domain.h"

/* The score at or above which an impersonation finding speaks about the
 * sender (link-host lookalikes score less: partner sites link to sister
 * domains). */
#define IMPERSONATION_MIN_SCORE 4.0

/* The rules' names (msg->rule, the JSON, the campaign store). */
#define RULE_IMPERSONATION_TRACKER "impersonation+tracker"
#define RULE_SCORE "score"

bool pc_policy_is_impersonation(const pc_finding *f)
{
	return f->kind == PC_FINDING_IMPERSONATION && f->score >= IMPERSONATION_MIN_SCORE;
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
	return f->kind == PC_FINDING_TRACKER;
}

static bool is_temperror(const pc_finding *f)
{
	return f->kind == PC_FINDING_AUTH_TEMPERROR;
}

static bool is_campaign(const pc_finding *f)
{
	return f->kind == PC_FINDING_CAMPAIGN_MALICIOUS;
}

static bool is_campaign_error(const pc_finding *f)
{
	return f->kind == PC_FINDING_CAMPAIGN_ERROR;
}

static bool is_ioc(const pc_finding *f)
{
	return f->kind == PC_FINDING_IOC;
}

static bool is_limit(const pc_finding *f)
{
	return f->kind == PC_FINDING_LIMIT;
}

static bool is_impersonation_or_tracker(const pc_finding *f)
{
	return pc_policy_is_impersonation(f) || is_tracker(f);
}

static bool has_score(const pc_finding *f)
{
	return f->score > 0;
}

/* The campaign's own findings, which a member's own verdict leaves out. */
static bool from_campaign(const pc_finding *f)
{
	return f->kind == PC_FINDING_CAMPAIGN || f->kind == PC_FINDING_CAMPAIGN_MALICIOUS ||
	       f->kind == PC_FINDING_CAMPAIGN_ERROR;
}

typedef struct decision {
	pc_action verdict;
	const char *rule;
	bool (*why)(const pc_finding *); /* selects the reasons */
	double score;
} decision;

/* Raises the verdict to `action` when that is stricter, naming the rule
 * and the findings `why` selects as the reasons. */
static void raise_to(decision *d, pc_action action, const char *rule, bool (*why)(const pc_finding *))
{
	if (d->rule ? action <= d->verdict : action < d->verdict)
		return;
	d->verdict = action;
	d->rule = rule;
	d->why = why;
}

/* The policy over m's findings (without the campaign's unless `campaign`). */
static decision evaluate(const pc_msg *m, bool campaign)
{
	const pc_config *c = m->config;
	double score = 0, tracker_max = 0;
	bool limit = false, impersonation = false, temperror = false, malicious = false, store_error = false,
	     ioc = false;
	for (size_t i = 0; i < m->findings.n; i++) {
		const pc_finding *f = m->findings.v[i];
		if (!campaign && from_campaign(f))
			continue;
		if (is_tracker(f)) {
			if (f->score > tracker_max)
				tracker_max = f->score;
		} else {
			score += f->score;
		}
		limit |= is_limit(f);
		ioc |= is_ioc(f);
		impersonation |= pc_policy_is_impersonation(f);
		temperror |= is_temperror(f);
		malicious |= is_campaign(f);
		store_error |= is_campaign_error(f);
	}
	decision d = {PC_ACTION_ACCEPT, NULL, NULL, score + tracker_max};
	/* most specific first: a later rule replaces an earlier one only
	 * when it asks for something stricter */
	if (impersonation && m->trackers.n)
		raise_to(&d, c->impersonation_tracker_action, RULE_IMPERSONATION_TRACKER, is_impersonation_or_tracker);
	else if (impersonation)
		raise_to(&d, c->impersonation_action, "impersonation", pc_policy_is_impersonation);
	if (malicious) /* the campaign was judged malicious: every copy */
		raise_to(&d, c->campaign_action, "campaign", is_campaign);
	if (c->quarantine_score > 0 && d.score >= c->quarantine_score)
		raise_to(&d, PC_ACTION_QUARANTINE, RULE_SCORE, has_score);
	if (ioc) /* a set of indicators someone shared (hunt/ioc_sets.h) */
		raise_to(&d, c->ioc_action, "ioc", is_ioc);
	if (limit)
		raise_to(&d, c->limit_action, "limit", is_limit);
	if (m->trackers.n)
		raise_to(&d, c->tracker_action, "tracker", is_tracker);
	if (temperror)
		raise_to(&d, c->temperror_action, "auth-temperror", is_temperror);
	/* the message keeps its own verdict, at least campaign.error_action */
	if (store_error && c->campaign_error_action > d.verdict)
		raise_to(&d, c->campaign_error_action, "campaign-error", is_campaign_error);
	if (!d.rule)
		d.rule = "clean";
	return d;
}

void pc_policy_decide(pc_msg *m)
{
	decision d = evaluate(m, true);
	m->score = d.score;
	m->verdict = d.verdict;
	m->rule = d.rule;
	m->reasons.n = 0;
	for (size_t i = 0; d.why && i < m->findings.n; i++) {
		pc_finding *f = m->findings.v[i];
		if (d.why(f) && pc_vec_push(m->arena, &m->reasons, f) != 0)
			break;
	}
}

void pc_policy_own(const pc_msg *m, pc_action *verdict, const char **rule)
{
	decision d = evaluate(m, false);
	*verdict = d.verdict;
	*rule = d.rule;
}

bool pc_policy_condemns(const pc_msg *m)
{
	return m->verdict >= PC_ACTION_QUARANTINE && m->rule &&
	       (!strcmp(m->rule, RULE_IMPERSONATION_TRACKER) || !strcmp(m->rule, RULE_SCORE));
}

/* d is one of the list's domains or below one */
static bool in_list(const pc_strlist *l, const char *d)
{
	for (size_t i = 0; i < l->n; i++)
		if (pc_domain_at_or_under(d, l->v[i]))
			return true;
	return false;
}

bool pc_policy_established(const pc_msg *m, pc_sender_use use, const char *from_domain)
{
	bool campaign = use == PC_SENDER_CAMPAIGN;
	if ((campaign && (!from_domain || !*from_domain)) || !pc_policy_from_authenticated(m))
		return false;
	bool known = m->findings.n > 0;
	for (size_t i = 0; i < m->findings.n; i++) {
		const pc_finding *f = m->findings.v[i];
		bool against = campaign ? pc_policy_is_impersonation(f)
		                        : f->kind == PC_FINDING_IMPERSONATION || f->kind == PC_FINDING_AUTH ||
		                              f->kind == PC_FINDING_AUTH_TEMPERROR;
		if (against)
			return false;
		if (f->kind == PC_FINDING_FIRST_CONTACT || f->kind == PC_FINDING_HISTORY_ERROR)
			known = false;
	}
	if (!campaign)
		return true;
	const pc_config *c = m->config;
	return in_list(&c->own_domains, from_domain) || in_list(&c->protected_domains, from_domain) || known;
}
