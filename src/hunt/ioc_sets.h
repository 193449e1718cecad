/*
 * NAME
 *   ioc_sets - the indicator sets kept in the store, matched at delivery
 * SYNOPSIS
 *   pc_ioc_sets *s = pc_ioc_sets_new(store);
 *   pc_scanner_set_check(sc, pc_ioc_sets_check, s);   the milter, scan --db
 *   ... pc_scan ...
 *   pc_ioc_sets_free(s);
 * DESCRIPTION
 *   `portcullis ioc add NAME FILE` keeps an indicator file (text, STIX
 *   2.1, MISP: hunt/ioc.h) in the store (store/store.h, ioc_set). A
 *   scanner with a store matches every message against every set before
 *   the policy decides: a hit adds one finding "ioc.match"
 *   (PC_FINDING_IOC; policy rule "ioc", [policy] ioc_action, default
 *   quarantine) per matching set, naming the set, who added it and when,
 *   and the indicator with where it matched. The sets are loaded when
 *   first needed and again when the store's sets change (one small query
 *   per message compares their names and times), so a set added while the
 *   milter runs applies to the next message. A set that no longer loads
 *   (a newer format) is skipped and named once on standard error.
 */
#ifndef PC_HUNT_IOC_SETS_H
#define PC_HUNT_IOC_SETS_H

#include <stddef.h>

#include "core/msg.h"

struct pc_store;
struct pc_fingerprint;
typedef struct pc_ioc_sets pc_ioc_sets;

pc_ioc_sets *pc_ioc_sets_new(struct pc_store *st);
void pc_ioc_sets_free(pc_ioc_sets *s);
/* The pipeline check (pipeline.h, pc_scan_check). */
void pc_ioc_sets_check(void *ctx, pc_msg *m, const struct pc_fingerprint *fp, const unsigned char *sha256);
/* How many sets are loaded now. */
size_t pc_ioc_sets_count(const pc_ioc_sets *s);

#endif
