/*
 * NAME
 *   fingerprint - what a message shares with the other copies of its template
 * SYNOPSIS
 *   pc_fingerprint fp;
 *   pc_fingerprint_make(m, &fp);                 after detect (uses m->trackers)
 *   char t[512]; pc_url_template(u, t, sizeof t);   "t.example/o/{HEX}?u={ADDRHASH}"
 * DESCRIPTION
 *   The features that survive per-recipient variation:
 *   - the template sketch (core/sketch.h): text, HTML structure, and the
 *     URL template of every link and resource;
 *   - PC_FP_BANDS locality-sensitive band keys of the sketch (4 bins each),
 *     which the store indexes, so a message finds candidate campaigns in
 *     constant time;
 *   - the sender's infrastructure, as "kind:value" keys: from: (From's
 *     registrable domain), rp: (Return-Path's), dkim: (each DKIM d=),
 *     ip: (the /24 or /48 of the first external Received hop, or of the
 *     SMTP client) and addr: (that address itself), tracker: (each
 *     tracker's registrable domain or IP);
 *   - the tracker URL templates, and one hash of the token values the
 *     templates replaced (the per-recipient token: "" when none);
 *   - the subject with numbers, tokens and the recipient's name removed;
 *   - when the message arrived: the topmost Received date, else Date, else
 *     now (never more than a day in the future).
 *   Strings live in the message's arena.
 *
 *   URL templates: host (lower case) + path + sorted query keys, where a
 *   path segment or query value that carries a token becomes a typed
 *   placeholder: {ADDR} (an e-mail address, plain or encoded),
 *   {ADDRHASH} (32/40/64 hex digits: an MD5/SHA-1/SHA-256 of something,
 *   in practice the address), {UUID}, {HEX} (8+ hex digits), {INT}
 *   (digits), {B64} (16+ base64/base64url characters with mixed classes),
 *   {TOKEN} (12+ characters mixing letters and digits); other values keep
 *   their text.
 */
#ifndef PC_FINGERPRINT_H
#define PC_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/msg.h"
#include "core/sketch.h"

#define PC_FP_BANDS 16
#define PC_FP_ROWS (PC_SKETCH_K / PC_FP_BANDS)
#define PC_FP_MAX_INFRA 24
#define PC_FP_MAX_TEMPLATES 8
/* fewer distinct-ish features than this: too little text to call it a template */
#define PC_FP_MIN_FEATURES 6

typedef struct pc_fingerprint {
	uint32_t sig[PC_SKETCH_K];
	uint64_t bands[PC_FP_BANDS]; /* band i hashed with i: distinct across bands */
	size_t features;
	bool usable;         /* enough features to cluster on */
	bool structure;      /* too little text: the HTML structure is in sig too */
	const char *sender;  /* From address, lower case, "" when none */
	const char *subject; /* normalised, "" when none */
	const char *infra[PC_FP_MAX_INFRA];
	size_t ninfra;
	const char *templates[PC_FP_MAX_TEMPLATES]; /* tracker URL templates, distinct */
	size_t ntemplates;
	const char *tracker_hosts[PC_FP_MAX_TEMPLATES];
	size_t ntracker_hosts;
	char token[17]; /* hex of the hash of the tracker token values, "" none */
	time_t when;
	/* who the sender is proved to be: "auth:DOMAIN" when From's domain is
	 * authenticated (DMARC pass, or aligned SPF/DKIM) and the message
	 * claims no one else (no impersonation finding), else "auth:-". Two
	 * copies with different ones are never one campaign (cluster.c). */
	const char *auth;
	bool auth_protected; /* ... and that domain is one the configuration protects */
} pc_fingerprint;

/* Fills fp from the scanned message; 0, or -1 when the arena is full
 * (fp then holds what fitted; usable is false). */
int pc_fingerprint_make(pc_msg *m, pc_fingerprint *fp);
/* The template of a URL (see above) into buf; its length, or 0 when the
 * URL has no host. `token`, when not NULL, is fed each replaced value. */
size_t pc_url_template(const pc_url *u, char *buf, size_t len, void (*token)(void *, const char *, size_t), void *ctx);

#endif
