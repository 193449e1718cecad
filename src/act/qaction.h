/*
 * NAME
 *   qaction - what a person does to a quarantined message: read it,
 *   release it, delete it; every release and delete audited in the store
 * SYNOPSIS
 *   pc_qentry e;
 *   int rc = pc_qentry_load(dir, qid, false, &e, err, sizeof err);   0, 1 none, 2 error
 *   ... e.bytes, e.n, e.meta (act/qmeta.h), e.sha ...
 *   pc_qentry_free(&e);
 *
 *   pc_qaction a = {dir, store, actor, reason, to, nto, sendmail, postsuper, postqueue};
 *   pc_qaction_done d;
 *   rc = pc_qaction_release(&a, qid, &d, err, sizeof err);
 *   rc = pc_qaction_delete(&a, qid, err, sizeof err);
 * DESCRIPTION
 *   release re-injects the stored bytes unchanged with the recorded
 *   envelope ("mail_from", "rcpt"; `to` replaces the recipients) through
 *   the sendmail command, or, for a message the milter left in Postfix's
 *   hold queue ("held": true, "queue_id"), runs postsuper -H QUEUEID (then
 *   postqueue -i QUEUEID, so it goes now). Commands run without a shell
 *   (act/run.h). Only a command that exits 0 counts as a release; then
 *   the audit record is written and the entry removed. A failed attempt
 *   keeps the entry and is audited too, with the exit status and the
 *   start of the command's output. release and delete lock the entry
 *   (a directory: flock on QID.eml; the store: an advisory lock of the
 *   thread's connection, act/quarantine_pg.h, which a release checks is
 *   still held before it runs the command) so two people, processes or
 *   nodes cannot release one message twice; removing an entry another
 *   node removed first is "no such message". A delete
 *   that cannot be audited is not done; a release whose record cannot be
 *   written still removes the entry (a second release would deliver the
 *   message twice) and err holds the record for the administrator.
 *
 *   Return: 0 done (err may hold a warning), 1 no such quarantined message,
 *   2 refused or failed (err says why; several lines are joined by
 *   "\nportcullis: ").
 */
#ifndef PC_ACT_QACTION_H
#define PC_ACT_QACTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/sha256.h"
#include "store/store.h"

typedef struct pc_qentry {
	const char *qid;
	char *bytes, *meta_text;
	size_t n;
	json_t *meta;            /* always an object */
	const char *problem;     /* why meta is empty, or NULL */
	char sha[PC_SHA256_HEX]; /* of the stored bytes */
	int lockfd;
	const char *locked_in; /* the store quarantine whose lock on qid this entry holds, or NULL */
} pc_qentry;

/* Reads the entry (qid must be pc_quarantine_qid_valid); with lock, first
 * takes an exclusive lock on it (flock on QID.eml, or the store's
 * advisory lock), never waiting, so one release or delete runs per
 * message. The entry is used by the thread that loaded it. */
int pc_qentry_load(const char *dir, const char *qid, bool lock, pc_qentry *e, char *err, size_t errlen);
void pc_qentry_free(pc_qentry *e);

typedef struct pc_qaction {
	const char *dir;
	pc_store *store; /* the audit log */
	const char *actor, *reason;
	const char *const *to; /* release: these recipients instead */
	size_t nto;
	const char *sendmail, *postsuper, *postqueue; /* command lines */
} pc_qaction;

typedef struct pc_qaction_done {
	bool held;         /* released from Postfix's hold queue */
	char queue_id[64]; /* ... with this queue ID */
	long nrcpt;        /* else re-injected to this many recipients */
} pc_qaction_done;

int pc_qaction_release(const pc_qaction *a, const char *qid, pc_qaction_done *done, char *err, size_t errlen);
int pc_qaction_delete(const pc_qaction *a, const char *qid, char *err, size_t errlen);

/* An audit record as one JSON object (time, actor, action, qid, reason,
 * mail_from, rcpt, sha256, detail): what `quarantine audit --json`
 * prints. json_decref; NULL when out of memory. */
json_t *pc_qaction_record(const pc_audit_qrec *r);

#endif
