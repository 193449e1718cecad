/*
 * NAME
 *   policy - findings into one verdict
 * SYNOPSIS
 *   pc_policy_decide(msg);
 * DESCRIPTION
 *   The score is the sum of the findings' scores. A scan that hit a
 *   configured limit is incomplete: it gets the configured limit_action
 *   (default quarantine: a message nobody could fully inspect is held, not
 *   delivered blind). Otherwise, at this stage, accept.
 */
#ifndef PC_POLICY_H
#define PC_POLICY_H

#include "core/msg.h"

void pc_policy_decide(pc_msg *m);

#endif
