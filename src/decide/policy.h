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
 *   impersonation+tracker  sender-side impersonation (an impersonation.*
 *                          finding scoring >= 4: a protected person's
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
 *   limit                  a configured limit was hit, the scan is
 *                          incomplete: limit_action (quarantine)
 *   clean                  nothing: accept
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

/* Whether a finding is sender-side impersonation (see above). */
bool pc_policy_is_impersonation(const pc_finding *f);

/* The From domain proved by DMARC (ours or a trusted upstream host's), or
 * by an SPF or DKIM pass aligned with it. */
bool pc_policy_from_authenticated(const pc_msg *m);

#endif
