/*
 * NAME
 *   pipeline - the one call every front end makes for one message
 * SYNOPSIS
 *   pc_scanner *sc = pc_scanner_new(&config);
 *   const pc_msg *m = pc_scan(sc, bytes, len, "path/to.eml", rcpts, nrcpts);
 *   ... print m ...            (valid until the next pc_scan)
 *   pc_scanner_free(sc);
 * DESCRIPTION
 *   parse (GMime, MyHTML, URLs) → extract (resources, links, recipients)
 *   → detect → decide. A scanner owns the reusable parser objects and the
 *   per-message arena; use one scanner per thread. Never fails on bad
 *   input: damage and limits become findings. Returns NULL only when
 *   memory for the message's facts could not be had at all.
 */
#ifndef PC_PIPELINE_H
#define PC_PIPELINE_H

#include <stddef.h>

#include "core/config.h"
#include "core/msg.h"

typedef struct pc_scanner pc_scanner;

/* Once per process, before the first scanner. */
void pc_pipeline_global_init(void);
pc_scanner *pc_scanner_new(const pc_config *config);
void pc_scanner_free(pc_scanner *sc);
/* Tracker lists the detectors consult (the caller keeps them alive);
 * NULL for none. */
struct pc_trackerlist;
void pc_scanner_set_lists(pc_scanner *sc, const struct pc_trackerlist *lists);
/* Keep what the rewriter needs (HTML text, byte offsets) for each scan. */
void pc_scanner_keep_for_rewrite(pc_scanner *sc, int on);
const pc_msg *pc_scan(pc_scanner *sc, const char *bytes, size_t n, const char *source, const char *const *rcpt,
                      size_t nrcpt);

#endif
