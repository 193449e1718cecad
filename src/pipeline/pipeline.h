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
 *   → detect (the table, detect/detect.h) → the campaign's judgement
 *   (findings only) → the policy decides once → the campaign is recorded
 *   → at most one re-decision (a malicious mark, or a store failure) →
 *   history. Only the policy writes the verdict. A scanner owns the reusable parser objects and the
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

/* The settings of the detectors in c ([detector.NAME] sections, --set
 * detector.NAME.KEY) name a detector and a setting it declares, with a
 * valid value: 0, or -1 with "FILE:LINE: reason" in err. Every front end
 * calls it when it loads the config (app/options.c). */
int pc_pipeline_check_config(const pc_config *c, char *err, size_t errlen);
/* Once per process, before the first scanner. */
void pc_pipeline_global_init(void);
pc_scanner *pc_scanner_new(const pc_config *config);
void pc_scanner_free(pc_scanner *sc);
/* Tracker lists the detectors consult (the caller keeps them alive);
 * NULL for none. */
struct pc_trackerlist;
void pc_scanner_set_lists(pc_scanner *sc, const struct pc_trackerlist *lists);
/* The history store first contact reads and delivered mail is recorded
 * in (store/store.h; the caller keeps it open); NULL for none. */
struct pc_store;
void pc_scanner_set_store(pc_scanner *sc, struct pc_store *store);
/* The resolver for SPF, DKIM and DMARC (pc_dns_new; the caller keeps it
 * alive and frees it after the scanner; one per scanner, it is not
 * shared between threads). NULL: no DNS checks, upstream results only. */
struct pc_dns;
void pc_scanner_set_dns(pc_scanner *sc, struct pc_dns *dns);
/* The SMTP envelope of the following scans (copied into each message's
 * arena); NULL or all-NULL fields for none. */
void pc_scanner_set_envelope(pc_scanner *sc, const pc_envelope *env);
/* Freemail provider domains (pc_trackerlist_freemail_from_config; the
 * caller keeps them alive); NULL for none. */
void pc_scanner_set_freemail(pc_scanner *sc, const struct pc_trackerlist *freemail);
/* A check of the front end's, run on each message after the detectors
 * and before the policy decides (the indicator sets kept in the store,
 * hunt/ioc_sets.h, which this stage may not include): it may add
 * findings to m. fp is the campaign fingerprint (NULL when none could be
 * made), sha256 the digest of the message as scanned (NULL when it could
 * not be made). NULL: none. */
struct pc_fingerprint;
typedef void (*pc_scan_check)(void *ctx, pc_msg *m, const struct pc_fingerprint *fp, const unsigned char *sha256);
void pc_scanner_set_check(pc_scanner *sc, pc_scan_check check, void *ctx);
/* The time the following scans' checks are made as of (DKIM signature
 * expiry); 0 (the default): now. Evidence re-verification sets the
 * arrival time. */
void pc_scanner_set_clock(pc_scanner *sc, long long at);
/* Keep what the rewriter needs (HTML text, byte offsets) for each scan. */
void pc_scanner_keep_for_rewrite(pc_scanner *sc, int on);
const pc_msg *pc_scan(pc_scanner *sc, const char *bytes, size_t n, const char *source, const char *const *rcpt,
                      size_t nrcpt);

/* The SHA-256 of bytes, the message the last pc_scan read, into out:
 * computed once per scan and shared (custody, indicators, quarantine).
 * 0, or -1 when OpenSSL failed. */
int pc_scan_sha256(pc_scanner *sc, const char *bytes, size_t n, unsigned char out[32]);

/* The custody record (pipeline/custody.h) of the message the last
 * pc_scan returned, scanned from bytes: with the DNS answers its checks
 * used. Malloc'd JSON text, NULL when out of memory. */
char *pc_scan_custody(pc_scanner *sc, const pc_msg *m, const char *bytes, size_t n);

/* The store's held transaction (pc_store_hold: a milter worker) did not
 * commit after the last pc_scan: what that scan recorded (campaign
 * member, custody, history) is gone. Its message then names no campaign
 * and carries campaign.error with the store's reason, and the policy
 * decides again, as when a commit fails inside the scan. */
void pc_scan_store_lost(pc_scanner *sc);

/* The campaign fingerprint of the message the last pc_scan returned (for
 * hunting without recording; campaign/fingerprint.h). 0 or -1. */
struct pc_fingerprint;
int pc_scan_fingerprint(pc_scanner *sc, struct pc_fingerprint *fp);

/* The neutralised copy of the message `m` (just scanned from bytes by sc):
 * pc_rewrite, then rescans and rewrites until nothing changes (removing a
 * tracker can change how the rest looks, e.g. the only image left from a
 * host), at most PC_NEUTRALISE_PASSES times, so that neutralising the
 * output again changes nothing. 1 and *out (malloc'd) when changed, 0 when
 * not, -1 on error. `m` is invalid afterwards (the scanner is reused). */
#define PC_NEUTRALISE_PASSES 4
struct pc_rewrite_stats;
int pc_neutralise(pc_scanner *sc, const pc_msg *m, const char *bytes, size_t n, const char *const *rcpt, size_t nrcpt,
                  char **out, size_t *outn, struct pc_rewrite_stats *st);

#endif
