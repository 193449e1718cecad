/*
 * NAME
 *   cluster - online campaign clustering and campaign-level decisions
 * SYNOPSIS
 *   pc_fingerprint fp; pc_fingerprint_make(m, &fp);
 *   pc_policy_decide(m);
 *   pc_campaign_record(store, m, &fp);    joins or starts a campaign, may
 *                                         raise m's verdict, records it
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
 *   Campaign-level findings, then the policy runs again:
 *   - campaign.targeted: the template reached campaign.min_recipients
 *     distinct recipients, with a distinct tracking token for (nearly)
 *     each, from a first-contact sender (score campaign.score);
 *   - campaign.malicious: the campaign was judged malicious, by an analyst
 *     or because a member was quarantined for impersonation with a tracker
 *     or on score; every member, earlier ones included, is quarantine.
 *   An analyst's "benign" stops both.
 *   Everything for one message is one store transaction, so concurrent
 *   scans on one store see each other's campaigns.
 */
#ifndef PC_CLUSTER_H
#define PC_CLUSTER_H

#include "campaign/fingerprint.h"
#include "core/msg.h"

struct pc_store;

/* 0, or -1 with the store's error (m keeps its verdict; the caller adds a
 * campaign.error finding and applies its fail behaviour). Sets m->campaign. */
int pc_campaign_record(struct pc_store *st, pc_msg *m, const pc_fingerprint *fp);
/* The campaign a message belongs to without recording anything, by its
 * fingerprint (a Message-ID alone proves nothing: senders choose it). `only` (0: any)
 * restricts the answer to one campaign. *id = 0 when none; -1 on error. */
int pc_campaign_match(struct pc_store *st, const pc_config *cfg, const pc_fingerprint *fp, long long only,
                      long long *id);

/* Whether m comes from an established sender (From authenticated, no
 * impersonation, an own or protected domain or a sender with history):
 * an automatic malicious mark spares such copies, hunt too. */
bool pc_campaign_established(const pc_msg *m, const pc_fingerprint *fp);

#endif
