/*
 * NAME
 *   history - remember who wrote to whom, after the verdict
 * SYNOPSIS
 *   pc_history_remember(store, msg, time(NULL));
 * DESCRIPTION
 *   Records the From address against every recipient (store/store.h) when
 *   the message is delivered (accept or neutralise) and its From is not
 *   disproved: no DMARC fail, no impersonation finding. So a spoofed or
 *   quarantined sender never becomes familiar. 0, or -1 with the store's
 *   error (the verdict stands; history is a weak signal).
 */
#ifndef PC_HISTORY_H
#define PC_HISTORY_H

#include <time.h>

#include "core/msg.h"
#include "store/store.h"

int pc_history_remember(pc_store *st, const pc_msg *m, time_t when);

#endif
