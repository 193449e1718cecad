/*
 * NAME
 *   detect - the detector interface, and a scanner's set of detectors
 * SYNOPSIS
 *   pc_detect *d = pc_detect_new(&config, pc_detectors, pc_detector_count);
 *   pc_detect_context(d)->dns = dns;      (lists, freemail, dns, store)
 *   pc_detect_run(d, msg);                every detector, in table order
 *   pc_detect_free(d);
 * DESCRIPTION
 *   A detector is one file exporting one descriptor, pc_detector
 *   {name, kind, init, run, free}, listed in the table (detectors.c). It
 *   reads the facts the extract stage put in the pc_msg and appends
 *   findings, each with its kind (core/msg.h), and for trackers pc_tracker
 *   records. What it keeps between messages (a library handle, a matcher)
 *   is its own state: init makes it once per scanner, run finds it in
 *   ctx->state, free releases it; its settings it reads from ctx->config.
 *   Detectors do no I/O of their own: what they need from outside (tracker
 *   lists, DNS, the store) comes through the context, which the scanner
 *   fills (pipeline/pipeline.h's setters).
 */
#ifndef PC_DETECT_H
#define PC_DETECT_H

#include "core/msg.h"
#include "detect/lib/trackerlist.h"

struct pc_dns;
struct pc_store;
struct pc_protect;

typedef struct pc_detect_ctx {
	const pc_config *config;
	const pc_trackerlist *lists;    /* may be NULL or empty: detection does not depend on it */
	const pc_trackerlist *freemail; /* freemail provider domains; may be NULL */
	struct pc_dns *dns;             /* resolver for SPF/DKIM/DMARC; NULL: no DNS checks */
	struct pc_store *store;         /* history for first contact; NULL: none */
	/* own/protected domains and people, normalised once per scanner for
	 * the detectors that compare with them (detect/lib/protect.h) */
	struct pc_protect *protect;
	/* the time the checks are made as of (a DKIM signature's expiry);
	 * 0: now. Set to the arrival time when evidence is re-verified. */
	long long at;
	void *state; /* the running detector's own state (its init's), NULL for none */
} pc_detect_ctx;

/* One setting a detector declares, in its own file: written as
 * "KEY = VALUE" in a [detector.NAME] section of the config (or --set
 * detector.NAME.KEY=VALUE), checked when the config is loaded
 * (pc_detect_check_settings: an unknown key or a bad value refuses the
 * config with FILE:LINE), read in init with pc_setting_*. */
typedef enum { PC_SETTING_YESNO, PC_SETTING_NUMBER, PC_SETTING_STRING } pc_setting_type;
typedef struct pc_setting {
	const char *key; /* NULL ends a detector's list */
	pc_setting_type type;
	double lo, hi;   /* PC_SETTING_NUMBER: the range */
	const char *def; /* the default, as it would be written */
} pc_setting;

typedef struct pc_detector {
	const char *name;
	pc_finding_kind kind; /* what its findings are about (the main kind, when several) */
	/* Its state for one scanner, or NULL when out of memory; init NULL:
	 * the detector keeps no state. */
	void *(*init)(const pc_config *config);
	void (*run)(pc_detect_ctx *ctx, pc_msg *m);
	void (*free)(void *state);
	const pc_setting *settings; /* its settings ([detector.NAME]), NULL-key ended; NULL: none */
} pc_detector;

/* Every detector.NAME.KEY setting of c names a detector of the table and
 * a setting it declares, with a valid value: 0, or -1 with
 * "FILE:LINE: reason" in err. */
int pc_detect_check_settings(const pc_config *c, const pc_detector *const *table, size_t n, char *err, size_t errlen);
/* A detector's setting as configured, else its default. */
const char *pc_setting_str(const pc_config *c, const pc_detector *d, const pc_setting *s);
double pc_setting_number(const pc_config *c, const pc_detector *d, const pc_setting *s);
bool pc_setting_yes(const pc_config *c, const pc_detector *d, const pc_setting *s);

/* The table, in the order the detectors run (detectors.c). */
extern const pc_detector *const pc_detectors[];
extern const size_t pc_detector_count;

typedef struct pc_detect pc_detect;
/* The detectors of `table` with their states, for one scanner (one
 * thread); NULL when out of memory. */
pc_detect *pc_detect_new(const pc_config *config, const pc_detector *const *table, size_t n);
void pc_detect_free(pc_detect *d);
/* What the scanner lends the detectors; set its resources here. */
pc_detect_ctx *pc_detect_context(pc_detect *d);
/* Freemail providers for the context and the protected names. */
void pc_detect_set_freemail(pc_detect *d, const pc_trackerlist *freemail);
/* Runs every detector on m, in table order, until the scan's CPU budget
 * is spent (pc_msg_out_of_time). */
void pc_detect_run(pc_detect *d, pc_msg *m);

#endif
