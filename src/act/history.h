/*
 * NAME
 *   history - remember who wrote to whom, after the verdict
 * SYNOPSIS
 *   pc_history_remember(store, msg, time(NULL));
 * DESCRIPTION
 *   Records the From address against the recipients (store/store.h, at
 *   most 32) when the message is delivered (accept or neutralise), its
 *   sender may become familiar (pc_policy_established, PC_SENDER_FAMILIAR:
 *   From authenticated, no auth or impersonation finding against it), and
 *   the recipients come from the MTA
 *   (envelope, X-Original-To, Delivered-To), not from the sender's To. So
 *   a spoofed, unauthenticated or quarantined sender never becomes
 *   familiar. 0, or -1 with the store's error (the verdict stands;
 *   history is a weak signal).
 */
#ifndef PC_HISTORY_H
#define PC_HISTORY_H

#include <time.h>

#include "core/msg.h"
#include "store/store.h"

int pc_history_remember(pc_store *st, const pc_msg *m, time_t when);

#endif
