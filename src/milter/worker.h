/*
 * NAME
 *   worker - a scanning process of the milter: request in, edits out
 * SYNOPSIS
 *   portcullis milter --worker -c FILE ...   (started by the pool, fd 0 is its socket)
 *   return pc_milter_worker(&cfg, 0);
 * DESCRIPTION
 *   Reads request frames (milter/wire.h) until end of stream. For each it
 *   scans the message with the envelope, then answers with the action and
 *   the edits the front end applies: the header fields to delete, change
 *   and add, and for neutralise the rewritten body. A quarantined message
 *   is written durably (act/quarantine.h, fsync'd, with its envelope and
 *   evidence as metadata) before the answer, so the front end tells the
 *   MTA only after the copy is safe. With a store, every message updates
 *   campaigns. The worker holds everything that touches hostile mail; a
 *   crash or hang here costs one message (the pool's fault action), never
 *   the daemon. It runs as [milter] worker_user (milter.c drops to it
 *   before this is called) and, once its resources are open, under
 *   milter/sandbox.h's rlimits and system call filter ([milter] sandbox).
 *   Returns the process exit status.
 */
#ifndef PC_MILTER_WORKER_H
#define PC_MILTER_WORKER_H

#include "core/config.h"

int pc_milter_worker(const pc_config *cfg, int fd);

#endif
