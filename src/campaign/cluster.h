/*
 * NAME
 *   cluster - online campaign clustering and campaign-level decisions
 * SYNOPSIS
 *   pc_fingerprint fp; pc_fingerprint_make(m, &fp);
 *   pc_campaign_step cs;
 *   if (pc_campaign_judge(store, m, &fp, &cs) == 1) {   joins or starts a
 *       pc_policy_decide(m);                            campaign, adds its
 *       if (pc_campaign_record(store, m, &cs) == 1)     findings; then the
 *           pc_policy_decide(m);                        verdict's effect on
 *       pc_campaign_commit(store, m, &cs);              the campaign, and
 *   }                                                   the member's verdict
 *   long long id; pc_campaign_match(store, cfg, &fp, 0, &id);   read only (hunt)
 * DESCRIPTION
 *   A campaign is one template sent to different recipients from shared
 *   infrastructure within campaign.window. A new message looks up the
 *   campaigns that share one of its LSH band keys (a few rows, whatever the
 *   store holds), keeps those last seen within the window, and joins the
 *   one whose representative signature is most similar, at least
 *   campaign.similarity, that shares at least one infrastructure key;
 *   otherwise it starts a campaign. Each message is recorded once (the
 *   same source and Message-ID scanned again finds its campaign).
 *
 *   The campaign never sets a verdict: it adds findings, and the pipeline
 *   has the policy decide (pipeline/pipeline.c). Campaign-level findings:
 *   - campaign.targeted: the template reached campaign.min_recipients
 *     distinct recipients, with a distinct tracking token for (nearly)
 *     each, from a first-contact sender (score campaign.score);
 *   - campaign.malicious: the campaign was judged malicious, by an analyst
 *     or because a member's verdict condemned it (pc_policy_condemns:
 *     quarantined for impersonation with a tracker or on score; then
 *     pc_campaign_record marks it and the policy decides again); every
 *     member, earlier ones included, is quarantine;
 *   - campaign.contested: that member's template was sent by an
 *     established sender of another domain too: not marked.
 *   An analyst's "benign" stops both.
 *   Everything for one message is one store transaction, from
 *   pc_campaign_judge to pc_campaign_commit, so concurrent scans on one
 *   store see each other's campaigns.
 */
#ifndef PC_CLUSTER_H
#define PC_CLUSTER_H

#include "campaign/fingerprint.h"
#include "core/msg.h"
#include "store/store.h"

/* One message's campaign step, from pc_campaign_judge to
 * pc_campaign_commit (one open store transaction). */
typedef struct pc_campaign_step {
	long long id;
	pc_campaign_rec rec;     /* the campaign with the message in it */
	const char *from_domain; /* from the fingerprint */
	pc_action own;           /* the member's own verdict and rule (pc_policy_own) */
	const char *own_rule;
} pc_campaign_step;

/* Records m in the campaign its fingerprint joins or starts (once: the
 * same source and Message-ID finds its campaign again), with its own
 * verdict, and adds the campaign's findings to m (campaign.malicious,
 * campaign.targeted). 1: the step is open, the policy decides next; 0: no
 * campaign (disabled, or no usable fingerprint); -1: the store failed
 * (rolled back; the caller adds campaign.error). */
int pc_campaign_judge(pc_store *st, pc_msg *m, const pc_fingerprint *fp, pc_campaign_step *cs);
/* After the decision: a verdict that condemns the template marks the open
 * campaign malicious (audited) and adds campaign.malicious: 1, the policy
 * must decide again; or, when an established sender of another domain
 * sent it too, adds campaign.contested: 0; otherwise 0. -1: the store
 * failed (rolled back). */
int pc_campaign_record(pc_store *st, pc_msg *m, pc_campaign_step *cs);
/* Stores m's verdict and rule with its own, commits, sets m->campaign.
 * 0, or -1 (rolled back). */
int pc_campaign_commit(pc_store *st, pc_msg *m, pc_campaign_step *cs);
/* The campaign a message belongs to without recording anything, by its
 * fingerprint (a Message-ID alone proves nothing: senders choose it). `only` (0: any)
 * restricts the answer to one campaign. *id = 0 when none; -1 on error. */
int pc_campaign_match(pc_store *st, const pc_config *cfg, const pc_fingerprint *fp, long long only, long long *id);

/* Whether m comes from an established sender (pc_policy_established,
 * PC_SENDER_CAMPAIGN, with fp's From domain): an automatic malicious mark
 * spares such copies, hunt too. */
bool pc_campaign_established(const pc_msg *m, const pc_fingerprint *fp);

#endif
