/*
 * NAME
 *   qmeta - the metadata kept beside a quarantined message: one writer,
 *   one reader
 * SYNOPSIS
 *   pc_qmeta q = {.reason = "milter", .time = time(NULL), .env = &env,
 *                 .msg = m, .sha256 = hex, .scan = report_json};
 *   char *text = pc_qmeta_json(&q);               malloc'd; NULL: out of memory
 *   pc_quarantine_put(dir, bytes, n, text, ...);
 *
 *   const char *problem;
 *   json_t *o = pc_qmeta_parse(text, &problem);   json_decref(o)
 *   const char **rcpt; long nr = pc_qmeta_rcpt(o, &rcpt);   free(rcpt)
 * DESCRIPTION
 *   The metadata is one JSON object (act/quarantine.h stores it as
 *   given). Who took the message writes "reason": "milter" with the SMTP
 *   envelope (ref, queue_id, held, client_ip, client_name, helo,
 *   mail_from, rcpt, rcpt_dropped), the verdict (verdict, score, reasons:
 *   the detectors it rests on, each once), campaign, the message's
 *   message_id, from and subject, sha256 of the stored bytes and the
 *   whole scan result ("scan") with, before it, the custody record
 *   ("custody": DNS answers for offline re-verification); "hunt" writes where the message was
 *   (source, mailbox, index), campaign, why, the message's fields,
 *   sha256_in_mailbox, time and actor. Members come in that order. Text
 *   from mail is made valid UTF-8. A message that got no complete scan
 *   (a limit) gets, instead of a scan, one parse.limit finding naming the
 *   limit (limit, limit_why).
 *
 *   The reader takes any text: missing, not JSON or not an object gives
 *   an empty object and *problem saying which, so such an entry can still
 *   be listed, shown, released with --to and deleted.
 */
#ifndef PC_ACT_QMETA_H
#define PC_ACT_QMETA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/msg.h"

/* The SMTP envelope the milter saw. */
typedef struct pc_qmeta_env {
	const char *ref, *queue_id, *client_ip, *client_name, *helo, *mail_from;
	const char *const *rcpt;
	size_t nrcpt, rcpt_dropped; /* rcpt_dropped: more than were kept (a release needs --to) */
	bool held;                  /* left in the MTA's hold queue */
} pc_qmeta_env;

typedef struct pc_qmeta {
	const char *reason; /* "milter", "hunt" */
	long long time;
	const pc_qmeta_env *env;       /* the milter's; NULL for none */
	const pc_msg *msg;             /* verdict (with env), reasons, message_id, from, subject; NULL for none */
	const char *limit, *limit_why; /* no complete scan: the limit and why (verdict quarantine) */
	/* hunt: where the message was found and why it was taken */
	const char *source, *mailbox, *why, *actor;
	size_t index;
	long long campaign;            /* 0: none (null); with msg and env, msg's campaign */
	const char *sha256;            /* hex of the stored bytes (env), may be NULL */
	const char *sha256_in_mailbox; /* hex (hunt) */
	const char *scan;              /* the scan's JSON object as text (env), NULL for none */
	const char *custody;           /* the custody record (pipeline/custody.h) as text, NULL for none */
} pc_qmeta;

/* The detector of the verdict's i-th reason when no earlier reason has
 * the same one (so each is named once); NULL otherwise. */
const char *pc_qmeta_reason(const pc_msg *m, size_t i);
/* The metadata as compact JSON (malloc'd), NULL when out of memory. */
char *pc_qmeta_json(const pc_qmeta *q);

/* The metadata text as an object: an empty one when text is NULL, not
 * JSON or not an object, *problem then saying which (else NULL). NULL:
 * out of memory. */
json_t *pc_qmeta_parse(const char *text, const char **problem);
/* A string member, NULL when missing or not a string. */
const char *pc_qmeta_str(const json_t *o, const char *key);
/* The envelope sender recorded: "" for the null sender ("<>" too), NULL
 * when none is (hunt entries, missing metadata). */
const char *pc_qmeta_sender(const json_t *o);
/* The strings of "rcpt" (pointers into o, *out malloc'd: free it): their
 * number, 0 when none, -1 when rcpt is not an array of non-empty strings. */
long pc_qmeta_rcpt(const json_t *o, const char ***out);

#endif
