/*
 * NAME
 *   policy - findings into one verdict, with its reasons
 * SYNOPSIS
 *   pc_policy_decide(msg);   sets msg->verdict, ->score, ->rule, ->reasons
 * DESCRIPTION
 *   The verdict is the strictest action any rule asks for; the rule that
 *   set it is named (msg->rule) and the findings it rested on are listed
 *   (msg->reasons), so every verdict carries its facts. Rules, with their
 *   settings ([policy] in portcullis.conf):
 *
 *   impersonation+tracker  sender-side impersonation (a finding of kind
 *                          PC_FINDING_IMPERSONATION scoring >= 4: a protected person's
 *                          name, a name carrying another address, a
 *                          lookalike or spoofed protected domain in From,
 *                          Reply-To, Return-Path or DKIM d=) together with
 *                          any tracker: impersonation_tracker_action
 *                          (quarantine). This is the campaign's pattern.
 *   impersonation          the same without a tracker: impersonation_action
 *                          (neutralise: delivered, marked, trackers gone)
 *   score                  score >= quarantine_score: quarantine
 *   tracker                trackers and nothing worse: tracker_action
 *                          (neutralise)
 *   auth-temperror         DNS failed while authenticating the sender:
 *                          temperror_action (accept)
 *   ioc                    an indicator of a set kept in the store matched
 *                          (ioc.match, hunt/ioc_sets.h): ioc_action
 *                          (quarantine)
 *   limit                  a configured limit was hit, the scan is
 *                          incomplete: limit_action (quarantine)
 *   campaign-error         the campaign store failed (campaign.error):
 *                          campaign.error_action when that is stricter
 *                          than all of the above
 *   clean                  nothing: accept
 *
 *   Rules read each finding's kind (core/msg.h), never its name. The
 *   pipeline decides once, after the campaign's judgement, and at most
 *   once more after the campaign is recorded (pipeline/pipeline.c).
 *
 *   The score is the sum of the findings' scores, except that trackers
 *   count once, with the highest tracker score: a newsletter with fifty
 *   tracked links is one fact ("this mail reports its reading"), not
 *   fifty.
 */
#ifndef PC_POLICY_H
#define PC_POLICY_H

#include "core/msg.h"

void pc_policy_decide(pc_msg *m);

/* The verdict and rule m's own evidence gives (every finding except the
 * campaign's), without deciding: what the campaign records as a member's
 * own verdict (campaign/cluster.h). */
void pc_policy_own(const pc_msg *m, pc_action *verdict, const char **rule);

/* Whether m's verdict condemns its template: quarantine or stricter on
 * the message's own evidence of an attack (rule impersonation+tracker or
 * score), which marks an open campaign malicious (campaign/cluster.h). */
bool pc_policy_condemns(const pc_msg *m);

/* Whether a finding is sender-side impersonation (see above). */
bool pc_policy_is_impersonation(const pc_finding *f);

/* The From domain proved by DMARC (ours or a trusted upstream host's), or
 * by an SPF or DKIM pass aligned with it. */
bool pc_policy_from_authenticated(const pc_msg *m);

/* The one "established sender" test: From authenticated
 * (pc_policy_from_authenticated) and no finding against the sender. The
 * two uses differ in what counts against it and what else is needed:
 *   PC_SENDER_FAMILIAR  may the sender become familiar (act/history.c)?
 *                       Any impersonation, auth or auth-temperror finding
 *                       counts against it (whatever its score): remembering
 *                       a sender makes its later mail trusted.
 *   PC_SENDER_CAMPAIGN  is the copy spared an automatic malicious mark
 *                       (campaign/cluster.c, hunt)? Sender-side
 *                       impersonation counts against it, and from_domain
 *                       (the From domain, "" or NULL: not established)
 *                       must be own or protected (at or under), or the
 *                       sender known: no first contact, no history error,
 *                       and the history was consulted (some finding). */
typedef enum { PC_SENDER_FAMILIAR, PC_SENDER_CAMPAIGN } pc_sender_use;
bool pc_policy_established(const pc_msg *m, pc_sender_use use, const char *from_domain);

#endif
