/*
 * NAME
 *   detect - the detector interface and the table of detectors
 * SYNOPSIS
 *   pc_detect_ctx ctx = {config, lists, leak};
 *   pc_detect_all(&ctx, msg);
 * DESCRIPTION
 *   A detector is one file with one entry point, listed in detectors.c. It
 *   reads the facts the extract stage put in the pc_msg and appends
 *   findings (and, for trackers, pc_tracker records). Detectors do no I/O
 *   of their own; whatever they need from outside (tracker lists, later
 *   DNS and the store) comes through the context.
 */
#ifndef PC_DETECT_H
#define PC_DETECT_H

#include "core/msg.h"
#include "detect/lib/leak.h"
#include "detect/lib/trackerlist.h"

struct pc_dns;
struct pc_store;
struct pc_protect;

typedef struct pc_detect_ctx {
	const pc_config *config;
	const pc_trackerlist *lists;    /* may be NULL or empty: detection does not depend on it */
	pc_leak *leak;                  /* per thread scratch for identity leaks */
	const pc_trackerlist *freemail; /* freemail provider domains; may be NULL */
	struct pc_dns *dns;             /* resolver for SPF/DKIM/DMARC; NULL: no DNS checks */
	struct pc_store *store;         /* history for first contact; NULL: none */
	struct pc_protect *protect;     /* own/protected domains and people, normalised once */
	void *spf;                      /* per scanner: libspf2 server (detect/spf.c), made on first use */
	void *dkim;                     /* per scanner: DKIM_LIB (detect/dkim.c), made on first use */
} pc_detect_ctx;

typedef struct pc_detector {
	const char *name;
	void (*run)(pc_detect_ctx *ctx, pc_msg *m);
} pc_detector;

extern const pc_detector pc_detectors[];
extern const size_t pc_detector_count;

void pc_detect_all(pc_detect_ctx *ctx, pc_msg *m);
/* Frees what detectors keep in the context (spf, dkim). */
void pc_detect_release(pc_detect_ctx *ctx);
void pc_spf_release(void *spf);
void pc_dkim_release(void *dkim);

#endif
