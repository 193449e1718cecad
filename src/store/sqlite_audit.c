/*
 * NAME
 *   sqlite_audit - the quarantine's records in the audit log (SQLite)
 * DESCRIPTION
 *   A record is a row of audit (schema 3: source is the quarantine
 *   directory, qid set) and its recipients rows of audit_rcpt, written in
 *   one transaction. Outside a caller's transaction the commit is made
 *   with synchronous=FULL: a release is not repeated, so its record must
 *   survive a power loss as the released message does. Statements are
 *   prepared per call: a person's command writes a few records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_impl.h"

#define MAX_TEXT 4096 /* a release's detail holds the command and the start of its output */

static int fail(pc_store *st, sqlite3 *db, const char *what)
{
	snprintf(st->error, sizeof st->error, "%s: %s", what, sqlite3_errmsg(db));
	return -1;
}

/* v (NULL: SQL NULL) cut at MAX_TEXT bytes, at a UTF-8 boundary, valid UTF-8. */
static void text(sqlite3_stmt *s, int i, const char *v)
{
	if (!v) {
		sqlite3_bind_null(s, i);
		return;
	}
	pc_sqlite_text(s, i, v, MAX_TEXT);
}

static int insert(pc_store *st, sqlite3 *db, const pc_audit_qrec *r)
{
	sqlite3_stmt *s = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(db,
	                       "INSERT INTO audit (at, actor, action, campaign, source, detail, qid, reason, mail_from,"
	                       " sha256) VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?8, ?9)",
	                       -1, &s, NULL) != SQLITE_OK)
		return fail(st, db, "audit write");
	sqlite3_bind_int64(s, 1, (sqlite3_int64)r->when);
	text(s, 2, r->actor ? r->actor : "");
	text(s, 3, r->action ? r->action : "");
	text(s, 4, r->dir ? r->dir : "");
	text(s, 5, r->detail ? r->detail : "");
	text(s, 6, r->qid ? r->qid : "");
	text(s, 7, r->reason);
	text(s, 8, r->mail_from);
	text(s, 9, r->sha256);
	if (sqlite3_step(s) != SQLITE_DONE) {
		fail(st, db, "audit write");
		goto out;
	}
	sqlite3_int64 id = sqlite3_last_insert_rowid(db);
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(db, "INSERT INTO audit_rcpt (audit, n, rcpt) VALUES (?1, ?2, ?3)", -1, &s, NULL) !=
	    SQLITE_OK) {
		fail(st, db, "audit write");
		goto out;
	}
	for (size_t i = 0; i < r->nrcpt; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
		text(s, 3, r->rcpt[i] ? r->rcpt[i] : "");
		if (sqlite3_step(s) != SQLITE_DONE) {
			fail(st, db, "audit write");
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

int pc_sqlite_audit_quarantine(pc_store *st, const pc_audit_qrec *r)
{
	bool in_tx;
	sqlite3 *db = pc_sqlite_db(st, &in_tx);
	if (in_tx)
		return insert(st, db, r);
	if (sqlite3_exec(db, "PRAGMA synchronous=FULL; BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		fail(st, db, "audit write");
		sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
		return -1;
	}
	int rc = insert(st, db, r);
	if (rc == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = fail(st, db, "audit commit");
	if (rc != 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	return rc;
}

static const char *col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

int pc_sqlite_audit_quarantine_list(pc_store *st, const char *dir, pc_audit_qcb cb, void *ctx)
{
	bool in_tx;
	sqlite3 *db = pc_sqlite_db(st, &in_tx);
	sqlite3_stmt *s = NULL, *rs = NULL;
	const char **rcpt = NULL;
	size_t cap = 0;
	int rc = -1, step;
	if (sqlite3_prepare_v2(db,
	                       "SELECT id, at, actor, action, source, qid, reason, mail_from, sha256, detail FROM audit"
	                       " WHERE qid IS NOT NULL AND source = ?1 ORDER BY id",
	                       -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT rcpt FROM audit_rcpt WHERE audit = ?1 ORDER BY n", -1, &rs, NULL) !=
	        SQLITE_OK) {
		fail(st, db, "audit read");
		goto out;
	}
	sqlite3_bind_text(s, 1, dir, -1, SQLITE_TRANSIENT);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		pc_audit_qrec r = {sqlite3_column_int64(s, 0),
		                   (time_t)sqlite3_column_int64(s, 1),
		                   col(s, 2),
		                   col(s, 3),
		                   col(s, 4),
		                   col(s, 5),
		                   col(s, 6),
		                   col(s, 7),
		                   col(s, 8),
		                   col(s, 9),
		                   NULL,
		                   0};
		sqlite3_reset(rs);
		sqlite3_bind_int64(rs, 1, r.id);
		size_t n = 0;
		int k;
		bool oom = false;
		while (!oom && (k = sqlite3_step(rs)) == SQLITE_ROW) {
			if (n + 1 >= cap) {
				size_t nc = cap ? 2 * cap : 16;
				const char **v = realloc(rcpt, nc * sizeof *v);
				if (!v) {
					oom = true;
					break;
				}
				rcpt = v;
				cap = nc;
			}
			/* copies: the next step reuses the column's memory */
			const char *t = col(rs, 0);
			if (!(rcpt[n] = strdup(t ? t : "")))
				oom = true;
			else
				n++;
		}
		r.rcpt = rcpt;
		r.nrcpt = n;
		int stop = !oom && k == SQLITE_DONE ? cb(ctx, &r) : -1;
		for (size_t i = 0; i < n; i++)
			free((char *)rcpt[i]);
		if (oom) {
			snprintf(st->error, sizeof st->error, "audit read: out of memory");
			goto out;
		}
		if (k != SQLITE_DONE) {
			fail(st, db, "audit read");
			goto out;
		}
		if (stop)
			break;
	}
	rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : fail(st, db, "audit read");
out:
	free(rcpt);
	sqlite3_finalize(s);
	sqlite3_finalize(rs);
	return rc;
}
