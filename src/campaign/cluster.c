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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign/copies.h"
#include "decide/policy.h"

#define MAX_CANDIDATES 8

static int any_value(void *ctx, const char *v, long count)
{
	(void)v;
	(void)count;
	*(bool *)ctx = true;
	return 1;
}

/* Whether fp's sender and campaign id's are kept apart (1), 0, or -1.
 * Every member records its identity ("auth:DOMAIN" proved, "auth:-" not:
 * fingerprint.h). A protected domain's own mail (a newsroom, a journalist)
 * joins only a campaign with that domain's own mail in it: never an attack
 * that imitates it. Mail not proved to be anyone joins no campaign made
 * only of proved mail that is the protected domain's, or an established
 * sender's (a real newsletter): a forged copy starts its own. Attack
 * campaigns that mix freemail, lookalike and their own domains stay one. */
static int identities_apart(pc_store *st, const pc_config *c, const pc_fingerprint *fp, long long id)
{
	int same = pc_store_campaign_infra(st, id, &fp->auth, 1);
	if (same != 0)
		return same < 0 ? -1 : 0;
	if (fp->auth_protected)
		return 1;
	if (strcmp(fp->auth, "auth:-"))
		return 0;
	/* an unproved copy: is the campaign a real sender's? */
	char buf[300];
	const char *keys[64];
	size_t n = 0;
	for (size_t i = 0; i < c->protected_domains.n && n < 64; i++) {
		snprintf(buf, sizeof buf, "auth:%s", c->protected_domains.v[i]);
		keys[n++] = strdup(buf);
	}
	for (size_t p = 0; p < c->npeople; p++)
		for (size_t i = 0; i < c->people[p].domains.n && n < 64; i++) {
			snprintf(buf, sizeof buf, "auth:%s", c->people[p].domains.v[i]);
			keys[n++] = strdup(buf);
		}
	int prot = n ? pc_store_campaign_infra(st, id, keys, n) : 0;
	for (size_t i = 0; i < n; i++)
		free((char *)keys[i]);
	if (prot < 0)
		return -1;
	bool est = false;
	if (!prot && pc_store_campaign_values(st, id, "established", 1, any_value, &est) != 0)
		return -1;
	return prot > 0 || est;
}

/* The best campaign for fp: similar enough, sharing infrastructure, last
 * seen within the window; `only` restricts to one. 0 and *id (0: none),
 * or -1. */
static int best_campaign(pc_store *st, const pc_config *c, const pc_fingerprint *fp, long long only, long long *id,
                         double *sim, long long *imitates)
{
	*id = 0;
	*sim = 0;
	if (imitates)
		*imitates = 0;
	/* the infrastructure that can make two copies one campaign: all of it
	 * but the sender's proved identity, which must be equal instead */
	const char *shared_keys[PC_FP_MAX_INFRA];
	size_t nshared = 0;
	for (size_t i = 0; i < fp->ninfra; i++)
		if (strncmp(fp->infra[i], "auth:", 5))
			shared_keys[nshared++] = fp->infra[i];
	double best_imitated = 0;
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
		if (nshared) {
			int shared = pc_store_campaign_infra(st, ids[i], shared_keys, nshared);
			if (shared < 0)
				return -1;
			if (!shared)
				continue;
		}
		/* A sender proved to be a domain and mail merely claiming it (or
		 * proved to be another) are never one campaign, in either order: a
		 * forged copy of a real newsletter must not condemn the real
		 * copies, nor a journalist's own mail join the attack that
		 * imitates them. The forged copy starts its own campaign, and
		 * says which one it imitates. */
		if (fp->auth) {
			int apart = identities_apart(st, c, fp, ids[i]);
			if (apart < 0)
				return -1;
			if (apart) {
				if (imitates && !strcmp(fp->auth, "auth:-") && s > best_imitated) {
					*imitates = ids[i];
					best_imitated = s;
				}
				continue;
			}
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
	return best_campaign(st, cfg, fp, only, id, &sim, NULL);
}

static bool first_contact(const pc_msg *m)
{
	for (size_t i = 0; i < m->findings.n; i++) {
		const pc_finding *f = m->findings.v[i];
		if (f->kind == PC_FINDING_FIRST_CONTACT)
			return f->score >= 0.5;
	}
	return false;
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
	return pc_policy_established(m, PC_SENDER_CAMPAIGN, fp_from_domain(fp));
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
static void judge(pc_msg *m, const pc_fingerprint *fp, const char *token, const pc_campaign_rec *rec, bool est)
{
	const pc_config *c = m->config;
	/* an automatic mark does not reach an established sender's copy (an
	 * analyst's does) */
	if (rec->status == PC_CAMPAIGN_MALICIOUS && (rec->analyst || !est)) {
		pc_finding *f = pc_msg_finding(m, PC_FINDING_CAMPAIGN_MALICIOUS, "campaign.malicious", 0.0,
		                               "a member of a campaign judged malicious");
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
	if (rec->recipients >= c->campaign_min_recipients && distinct && token[0] && first_contact(m)) {
		pc_finding *f = pc_msg_finding(m, PC_FINDING_CAMPAIGN, "campaign.targeted", c->campaign_score,
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

static const char *source_of(const pc_msg *m)
{
	return m->source ? m->source : "-";
}

static const char *msgid_of(const pc_msg *m)
{
	return m->message_id ? m->message_id : "";
}

int pc_campaign_judge(pc_store *st, pc_msg *m, const pc_fingerprint *fp, pc_campaign_step *cs)
{
	const pc_config *c = m->config;
	m->campaign = NULL;
	if (!c->campaign_enabled || !fp->usable)
		return 0;
	const char *source = source_of(m);
	const char *msgid = msgid_of(m);
	/* what the message's own evidence gives, before the campaign's */
	pc_policy_own(m, &cs->own, &cs->own_rule);
	cs->from_domain = fp_from_domain(fp);
	bool est = pc_policy_established(m, PC_SENDER_CAMPAIGN, cs->from_domain);
	if (pc_store_begin(st) != 0)
		return -1;
	long long id = 0;
	char token[17];
	snprintf(token, sizeof token, "%s", fp->token);
	const char *dkey = m->dkey ? m->dkey : "";
	int known = pc_store_member_find(st, source, msgid, dkey, &id);
	if (known < 0)
		goto fail;
	if (!known) {
		double sim;
		long long imitated = 0;
		if (best_campaign(st, c, fp, 0, &id, &sim, &imitated) != 0)
			goto fail;
		if (!id && imitated) {
			pc_finding *f = pc_msg_finding(m, PC_FINDING_CAMPAIGN, "campaign.imitates", 0.0,
			                               "the template of a campaign from an authenticated sender, "
			                               "from a sender who is not proved to be them");
			pc_finding_ev(m, f, "campaign", pc_arena_printf(m->arena, "%lld", imitated));
			pc_finding_ev(m, f, "sender_identity", fp->auth);
		}
		/* what the copies show that this one cannot: a per-recipient
		 * token at a URL position (copies.h); a tracker found so is the
		 * member's own evidence */
		pc_copies cp;
		char copied[17] = "";
		size_t ntrackers = m->trackers.n;
		pc_copies_make(m, fp->when, &cp);
		if (pc_copies_judge(st, m, id, &cp, copied) != 0)
			goto fail;
		if (m->trackers.n != ntrackers)
			pc_policy_own(m, &cs->own, &cs->own_rule);
		if (!token[0])
			memcpy(token, copied, sizeof token);
		pc_member mem = {
		    .source = source,
		    .message_id = msgid,
		    .sender = fp->sender,
		    .subject = fp->subject,
		    .rule = cs->own_rule,
		    .token = token,
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
		    .verdict = cs->own,
		    .first_contact = first_contact(m),
		    .established = est,
		    .from_domain = cs->from_domain,
		    .dkey = dkey,
		};
		if ((id ? pc_store_campaign_add(st, id, &mem) : pc_store_campaign_new(st, &mem, &id)) != 0 ||
		    pc_copies_record(st, m, id, &cp, token[0] != '\0') != 0)
			goto fail;
	}
	cs->id = id;
	if (pc_store_campaign_get(st, id, &cs->rec) != 1)
		goto fail;
	judge(m, fp, token, &cs->rec, est);
	return 1;
fail:
	pc_store_rollback(st);
	return -1;
}

int pc_campaign_record(pc_store *st, pc_msg *m, pc_campaign_step *cs)
{
	const pc_config *c = m->config;
	/* A copy quarantined on its own evidence (impersonation with a
	 * tracker, or the score) condemns its template: every copy becomes
	 * quarantine, the ones already delivered too (hunt finds those).
	 * Not when established senders of another domain sent the template
	 * too: one lookalike copy of a real newsletter must not condemn the
	 * newsletter (the copy itself is quarantined; an analyst decides). */
	if (!c->campaign_auto || cs->rec.status != PC_CAMPAIGN_OPEN || !pc_policy_condemns(m))
		return 0;
	const char *source = source_of(m);
	long long id = cs->id;
	other_domain o = {cs->from_domain, NULL, ""};
	if (pc_store_campaign_values(st, id, "established", 16, is_other, &o) != 0)
		goto fail;
	char why[512];
	time_t now = time(NULL);
	if (o.found) {
		snprintf(why, sizeof why,
		         "not marked malicious: %s in %s, but established sender %s sent the template too", m->rule,
		         source, o.found);
		if (pc_store_audit(st, now, "portcullis", "contested", id, source, why) != 0)
			goto fail;
		pc_finding *f = pc_msg_finding(m, PC_FINDING_CAMPAIGN, "campaign.contested", 0.0,
		                               "an established sender sent this template too: the campaign is left "
		                               "to an analyst");
		pc_finding_ev(m, f, "campaign", pc_arena_printf(m->arena, "%lld", id));
		pc_finding_ev(m, f, "established_sender_domain", pc_arena_strdup(m->arena, o.found));
		return 0;
	}
	snprintf(why, sizeof why, "%s: %s in %s", pc_action_name(m->verdict), m->rule, source);
	if (pc_store_campaign_mark(st, id, PC_CAMPAIGN_MALICIOUS, false, c->campaign_action, why) != 0 ||
	    pc_store_audit(st, now, "portcullis", "mark-malicious", id, source, why) != 0)
		goto fail;
	cs->rec.status = PC_CAMPAIGN_MALICIOUS;
	snprintf(cs->rec.why, sizeof cs->rec.why, "%s", why);
	pc_finding *f = pc_msg_finding(m, PC_FINDING_CAMPAIGN_MALICIOUS, "campaign.malicious", 0.0,
	                               "this message made its campaign malicious");
	pc_finding_ev(m, f, "campaign", pc_arena_printf(m->arena, "%lld", id));
	pc_finding_ev(m, f, "why", pc_arena_utf8(m->arena, why, strlen(why)));
	ev_long(m, f, "members", cs->rec.size);
	return 1;
fail:
	pc_store_rollback(st);
	return -1;
}

int pc_campaign_commit(pc_store *st, pc_msg *m, pc_campaign_step *cs)
{
	if (pc_store_member_verdict(st, cs->id, source_of(m), msgid_of(m), m->verdict, m->rule, cs->own,
	                            cs->own_rule) != 0) {
		pc_store_rollback(st);
		return -1;
	}
	if (pc_store_commit(st) != 0)
		return -1;
	m->campaign = pc_arena_printf(m->arena, "%lld", cs->id);
	return 0;
}
