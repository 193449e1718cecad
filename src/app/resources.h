/*
 * NAME
 *   resources - a scanner with everything it consults, opened in one place
 * SYNOPSIS
 *   pc_resources r;
 *   if (pc_resources_open(&cfg, PC_RES_DNS | PC_RES_STORE, &r, err, sizeof err) != 0)
 *       ... each line of err is one resource that failed ...
 *   pc_scanner *sc = pc_resources_scanner(&cfg, &r);
 *   ... pc_scan(sc, ...) ...
 *   pc_scanner_free(sc);
 *   pc_resources_close(&r);
 * DESCRIPTION
 *   The tracker lists and the freemail list are always opened (loading a
 *   list that is configured but broken is an error: detection must not
 *   silently lose it). PC_RES_DNS: the resolver for SPF/DKIM/DMARC
 *   ([dns] servers; "off" gives none and no error). PC_RES_STORE: the store
 *   named by [history] database, if any. Every front end that scans opens
 *   its scanner here; what differs between them is which flags they pass:
 *     scan    DNS only when asked for (servers named, or --client-ip), store
 *     milter  DNS and store (the worker has the envelope)
 *     hunt    neither: hunting records nothing and asks nobody
 *   All resources are tried, so one run names every one that failed.
 */
#ifndef PC_APP_RESOURCES_H
#define PC_APP_RESOURCES_H

#include <stddef.h>

#include "core/config.h"
#include "pipeline/pipeline.h"

struct pc_dns;
struct pc_store;
struct pc_trackerlist;
struct pc_ioc_sets;

/* PC_RES_STORE_LAZY (with PC_RES_STORE): a shared store that cannot be
 * reached yet is opened anyway and connected on first use (a milter
 * worker must start, and answer with [store] on_error, while it is down) */
enum { PC_RES_DNS = 1, PC_RES_STORE = 2, PC_RES_STORE_LAZY = 4 };

typedef struct pc_resources {
	struct pc_dns *dns;              /* NULL: no DNS checks */
	struct pc_trackerlist *lists;    /* tracker lists (may be empty) */
	struct pc_trackerlist *freemail; /* freemail provider domains */
	struct pc_store *store;          /* NULL: no history, no campaigns */
	struct pc_ioc_sets *iocs;        /* the store's indicator sets (hunt/ioc_sets.h); NULL without a store */
} pc_resources;

/* 0, or -1 with one line per failed resource in err ("store: ..."); what
 * opened stays open either way: pc_resources_close it. */
int pc_resources_open(const pc_config *cfg, unsigned what, pc_resources *r, char *err, size_t errlen);
void pc_resources_close(pc_resources *r);
/* A scanner that consults r (which must outlive it); NULL when out of
 * memory. Calls pc_pipeline_global_init first. */
pc_scanner *pc_resources_scanner(const pc_config *cfg, const pc_resources *r);
/* Prints each line of err as "portcullis: LINE" on standard error. */
void pc_resources_complain(const char *err);

#endif
