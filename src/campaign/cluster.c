/*
 * NAME
 *   cluster - online campaign clustering and campaign-level decisions
 *   (see cluster.h)
 * DESCRIPTION
 *   Cost per message is bounded whatever the store holds: one indexed
 *   lookup of the PC_FP_BANDS band keys (at most MAX_CANDIDATES campaigns,
 *   those sharing the most bands first), one signature comparison and one
 *   infrastructure lookup per candidate, then the member's rows.
 */
#include "campaign/cluster.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "decide/policy.h"
#include "parse/domain.h"
#include "store/store.h"

#define MAX_CANDIDATES 8

/* The best campaign for fp: similar enough, sharing infrastructure, last
 * seen within the window; `only` restricts to one. 0 and *id (0: none),
 * or -1. */
static int best_campaign(pc_store *st, const pc_config *c, const pc_fingerprint *fp, long long only, long long *id,
                         double *sim)
{
	*id = 0;
	*sim = 0;
	long long ids[MAX_CANDIDATES];
	size_t n = 0;
	time_t since = fp->when > c->campaign_window ? fp->when - c->campaign_window : 0;
	if (pc_store_campaign_candidates(st, fp->bands, PC_FP_BANDS, ids, MAX_CANDIDATES, &n) != 0)
		return -1;
	bool best_malicious = false;
	for (size_t i = 0; i < n; i++) {
		if (only && ids[i] != only)
			continue;
		pc_campaign_rec rec;
		int got = pc_store_campaign_get(st, ids[i], &rec);
		if (got < 0)
			return -1;
		if (!got || rec.last_seen < since)
			continue;
		double s = pc_sketch_similarity(fp->sig, rec.sig);
		bool malicious = rec.status == PC_CAMPAIGN_MALICIOUS;
		/* the most similar, but a malicious campaign first: a decoy
		 * copy from fresh infrastructure must not lead later copies
		 * away from the campaign already judged */
		if (s < c->campaign_similarity || (best_malicious && !malicious) ||
		    (malicious == best_malicious && s <= *sim))
			continue;
		if (fp->ninfra) {
			int shared = pc_store_campaign_infra(st, ids[i], fp->infra, fp->ninfra);
			if (shared < 0)
				return -1;
			if (!shared)
				continue;
		}
		*id = ids[i];
		*sim = s;
		best_malicious = malicious;
	}
	return 0;
}

int pc_campaign_match(pc_store *st, const pc_config *cfg, const pc_fingerprint *fp, long long only, long long *id)
{
	*id = 0;
	if (!fp->usable)
		return 0;
	double sim;
	return best_campaign(st, cfg, fp, only, id, &sim);
}

static bool first_contact(const pc_msg *m)
{
	const pc_finding *f = pc_msg_find(m, "history.first-contact");
	return f && f->score >= 0.5;
}

/* d is one of the list's domains or below one */
static bool in_list(const pc_strlist *l, const char *d)
{
	for (size_t i = 0; i < l->n; i++)
		if (pc_domain_at_or_under(d, l->v[i]))
			return true;
	return false;
}

/* A sender the organisation already trusts: From authenticated, no
 * impersonation, and an own or protected domain or a known sender. */
static bool established(const pc_msg *m, const char *from_domain)
{
	if (!from_domain || !*from_domain || !pc_policy_from_authenticated(m))
		return false;
	for (size_t i = 0; i < m->findings.n; i++)
		if (pc_policy_is_impersonation(m->findings.v[i]))
			return false;
	const pc_config *c = m->config;
	return in_list(&c->own_domains, from_domain) || in_list(&c->protected_domains, from_domain) ||
	       (pc_msg_find(m, "history.first-contact") == NULL && m->findings.n && !pc_msg_find(m, "history.error"));
}

static const char *fp_from_domain(const pc_fingerprint *fp)
{
	for (size_t i = 0; i < fp->ninfra; i++)
		if (!strncmp(fp->infra[i], "from:", 5))
			return fp->infra[i] + 5;
	return "";
}

bool pc_campaign_established(const pc_msg *m, const pc_fingerprint *fp)
{
	return established(m, fp_from_domain(fp));
}

typedef struct other_domain {
	const char *mine;
	const char *found;
	char buf[256];
} other_domain;

static int is_other(void *ctx, const char *v, long count)
{
	other_domain *o = ctx;
	(void)count;
	if (strcmp(v, o->mine)) {
		snprintf(o->buf, sizeof o->buf, "%s", v);
		o->found = o->buf;
		return 1;
	}
	return 0;
}

static void ev_long(pc_msg *m, pc_finding *f, const char *key, long v)
{
	pc_finding_ev(m, f, key, pc_arena_printf(m->arena, "%ld", v));
}

/* The campaign-level findings for m, from the campaign as it stands with
 * m in it. */
static void judge(pc_msg *m, const pc_fingerprint *fp, const pc_campaign_rec *rec, bool est)
{
	const pc_config *c = m->config;
	/* an automatic mark does not reach an established sender's copy (an
	 * analyst's does) */
	if (rec->status == PC_CAMPAIGN_MALICIOUS && (rec->analyst || !est)) {
		pc_finding *f = pc_msg_finding(m, "campaign.malicious", 0.0, "a member of a campaign judged malicious");
		pc_finding_ev(m, f, "campaign", pc_arena_printf(m->arena, "%lld", rec->id));
		pc_finding_ev(m, f, "why", pc_arena_utf8(m->arena, rec->why, strlen(rec->why)));
		ev_long(m, f, "members", rec->size);
	}
	if (rec->status == PC_CAMPAIGN_BENIGN)
		return;
	/* one template to many recipients, a distinct token each, from a
	 * sender who never wrote before: what a reconnaissance campaign looks
	 * like from the receiving side, and what no single copy shows */
	bool distinct = rec->tokened >= 2 && (double)rec->tokens >= 0.8 * (double)rec->tokened;
	if (rec->recipients >= c->campaign_min_recipients && distinct && fp->token[0] && first_contact(m)) {
		pc_finding *f = pc_msg_finding(m, "campaign.targeted", c->campaign_score,
		                               "one template sent to many recipients with a distinct tracking token "
		                               "each, from a first-contact sender");
		pc_finding_ev(m, f, "campaign", pc_arena_printf(m->arena, "%lld", rec->id));
		ev_long(m, f, "recipients", rec->recipients);
		ev_long(m, f, "members", rec->size);
		ev_long(m, f, "distinct_tokens", rec->tokens);
		ev_long(m, f, "senders", rec->senders);
		for (size_t i = 0; i < fp->ntemplates && i < 3; i++)
			pc_finding_ev(m, f, "template", fp->templates[i]);
	}
}

int pc_campaign_record(pc_store *st, pc_msg *m, const pc_fingerprint *fp)
{
	const pc_config *c = m->config;
	m->campaign = NULL;
	if (!c->campaign_enabled || !fp->usable)
		return 0;
	const char *source = m->source ? m->source : "-";
	const char *msgid = m->message_id ? m->message_id : "";
	/* what the message's own evidence gave, before the campaign's */
	pc_action own = m->verdict;
	const char *own_rule = m->rule ? m->rule : "clean";
	const char *from_domain = fp_from_domain(fp);
	bool est = established(m, from_domain);
	if (pc_store_begin(st) != 0)
		return -1;
	long long id = 0;
	int known = pc_store_member_find(st, source, msgid, &id);
	if (known < 0)
		goto fail;
	if (!known) {
		double sim;
		if (best_campaign(st, c, fp, 0, &id, &sim) != 0)
			goto fail;
		pc_member mem = {
		    .source = source,
		    .message_id = msgid,
		    .sender = fp->sender,
		    .subject = fp->subject,
		    .rule = own_rule,
		    .token = fp->token,
		    .rcpt = (const char *const *)m->rcpt.v,
		    .nrcpt = m->rcpt.n,
		    .infra = fp->infra,
		    .ninfra = fp->ninfra,
		    .tracker_hosts = fp->tracker_hosts,
		    .ntracker_hosts = fp->ntracker_hosts,
		    .templates = fp->templates,
		    .ntemplates = fp->ntemplates,
		    .bands = fp->bands,
		    .sig = fp->sig,
		    .when = fp->when,
		    .verdict = own,
		    .first_contact = first_contact(m),
		    .established = est,
		    .from_domain = from_domain,
		};
		if ((id ? pc_store_campaign_add(st, id, &mem) : pc_store_campaign_new(st, &mem, &id)) != 0)
			goto fail;
	}
	pc_campaign_rec rec;
	if (pc_store_campaign_get(st, id, &rec) != 1)
		goto fail;
	judge(m, fp, &rec, est);
	pc_policy_decide(m);
	/* A copy quarantined on its own evidence (impersonation with a
	 * tracker, or the score) condemns its template: every copy becomes
	 * quarantine, the ones already delivered too (hunt finds those).
	 * Not when established senders of another domain sent the template
	 * too: one lookalike copy of a real newsletter must not condemn the
	 * newsletter (the copy itself is quarantined; an analyst decides). */
	if (c->campaign_auto && rec.status == PC_CAMPAIGN_OPEN && m->verdict >= PC_ACTION_QUARANTINE && m->rule &&
	    (!strcmp(m->rule, "impersonation+tracker") || !strcmp(m->rule, "score"))) {
		other_domain o = {from_domain, NULL, ""};
		if (pc_store_campaign_values(st, id, "established", 16, is_other, &o) != 0)
			goto fail;
		char why[512];
		time_t now = time(NULL);
		if (o.found) {
			snprintf(why, sizeof why,
			         "not marked malicious: %s in %s, but established sender %s sent the template too",
			         m->rule, source, o.found);
			if (pc_store_audit(st, now, "portcullis", "contested", id, source, why) != 0)
				goto fail;
			pc_finding *f =
			    pc_msg_finding(m, "campaign.contested", 0.0,
			                   "an established sender sent this template too: the campaign is left "
			                   "to an analyst");
			pc_finding_ev(m, f, "campaign", pc_arena_printf(m->arena, "%lld", id));
			pc_finding_ev(m, f, "established_sender_domain", pc_arena_strdup(m->arena, o.found));
		} else {
			snprintf(why, sizeof why, "%s: %s in %s", pc_action_name(m->verdict), m->rule, source);
			if (pc_store_campaign_mark(st, id, PC_CAMPAIGN_MALICIOUS, false, c->campaign_action, why) !=
			        0 ||
			    pc_store_audit(st, now, "portcullis", "mark-malicious", id, source, why) != 0)
				goto fail;
			rec.status = PC_CAMPAIGN_MALICIOUS;
			snprintf(rec.why, sizeof rec.why, "%s", why);
			pc_finding *f =
			    pc_msg_finding(m, "campaign.malicious", 0.0, "this message made its campaign malicious");
			pc_finding_ev(m, f, "campaign", pc_arena_printf(m->arena, "%lld", id));
			pc_finding_ev(m, f, "why", pc_arena_utf8(m->arena, why, strlen(why)));
			ev_long(m, f, "members", rec.size);
			pc_policy_decide(m);
		}
	}
	if (pc_store_member_verdict(st, id, source, msgid, m->verdict, m->rule, own, own_rule) != 0)
		goto fail;
	if (pc_store_commit(st) != 0)
		return -1;
	m->campaign = pc_arena_printf(m->arena, "%lld", id);
	return 0;
fail:
	pc_store_rollback(st);
	return -1;
}
