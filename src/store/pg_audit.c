/*
 * NAME
 *   pg_audit - the audit log (PostgreSQL)
 * DESCRIPTION
 *   audit: who did what, when (pc_store_audit); the quarantine's records
 *   are rows of it too (qid set, source the quarantine directory), their
 *   recipients rows of audit_rcpt (n from 0, in the caller's order). The
 *   translation of SQLite's schemas 2 and 3 (store/sqlite.c) and of
 *   store/sqlite_audit.c: the same cuts (1000 bytes for pc_store_audit,
 *   4096 for a quarantine record), NULL kept NULL for reason, mail_from
 *   and sha256, records oldest first.
 *
 *   A quarantine record is one statement (the audit row and its
 *   recipients, unnested WITH ORDINALITY). Outside a message's
 *   transaction it gets its own, committed with synchronous_commit on
 *   whatever the session's setting: a release is not repeated, so its
 *   record must survive a crash as the released message does (SQLite:
 *   synchronous=FULL for that commit).
 *
 *   Lists are read in pages by id (keyset), so a long log is never held
 *   in memory at once, as SQLite's stepping holds none of it.
 */
#include <limits.h>
#include <stdlib.h>

#include "store/pg_impl.h"

#define MAX_QTEXT 4096 /* a release's detail holds the command and the start of its output */
#define PAGE 500       /* audit rows per read */
#define QPAGE 100      /* quarantine records per read (each with its recipients) */
/* SQLite matches the directory as given; PostgreSQL's limit for a value */
#define UNCUT ((size_t)1 << 30)

const char PC_PG_SCHEMA_AUDIT[] =
    "CREATE TABLE audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at bigint NOT NULL,"
    " actor text NOT NULL, action text NOT NULL, campaign bigint NOT NULL, source text NOT NULL,"
    " detail text NOT NULL, qid text, reason text, mail_from text, sha256 text);"
    "CREATE INDEX audit_campaign ON audit (campaign, id);"
    "CREATE INDEX audit_quarantine ON audit (source, id) WHERE qid IS NOT NULL;"
    "CREATE TABLE audit_rcpt (audit bigint NOT NULL, n integer NOT NULL, rcpt text NOT NULL,"
    " PRIMARY KEY (audit, n));";

enum { X_AUDIT, X_LIST, X_LIST_ALL, X_DURABLE, X_Q, X_Q_LIST, X_END };
_Static_assert(X_END <= 16, "pg_audit.c owns 16 statement slots");
#define SLOT(x) (PC_PG_SLOT_AUDIT + (x))

#define ROW "id, at, actor, action, campaign, source, detail"
static const char *const sql[X_END] = {
    [X_AUDIT] = "INSERT INTO audit (at, actor, action, campaign, source, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    [X_LIST] = "SELECT " ROW " FROM audit WHERE campaign = $1 AND id > $2 ORDER BY id LIMIT $3",
    [X_LIST_ALL] = "SELECT " ROW " FROM audit WHERE id > $1 ORDER BY id LIMIT $2",
    /* for the commit of this transaction only */
    [X_DURABLE] = "SELECT set_config('synchronous_commit', 'on', true)",
    [X_Q] = "WITH a AS (INSERT INTO audit (at, actor, action, campaign, source, detail, qid, reason, mail_from,"
            " sha256) VALUES ($1, $2, $3, 0, $4, $5, $6, $7, $8, $9) RETURNING id)"
            " INSERT INTO audit_rcpt (audit, n, rcpt) SELECT a.id, r.o - 1, r.v FROM a,"
            " unnest($10::text[]) WITH ORDINALITY AS r(v, o)",
    /* a page of records (by the partial index), each with its recipients
     * (none: one row, rcpt NULL) */
    [X_Q_LIST] = "SELECT a.id, a.at, a.actor, a.action, a.source, a.qid, a.reason, a.mail_from, a.sha256,"
                 " a.detail, r.rcpt FROM (SELECT id, at, actor, action, source, qid, reason, mail_from, sha256,"
                 " detail FROM audit WHERE qid IS NOT NULL AND source = $1 AND id > $2 ORDER BY id LIMIT $3) a"
                 " LEFT JOIN audit_rcpt r ON r.audit = a.id ORDER BY a.id, r.n",
};
#undef ROW

int pc_pg_audit(pc_store *st, time_t when, const char *actor, const char *action, long long campaign,
                const char *source, const char *detail)
{
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, (long long)when);
	pc_pg_arg_text(&a, actor, PC_PG_MAX_TEXT);
	pc_pg_arg_text(&a, action, PC_PG_MAX_TEXT);
	pc_pg_arg_int(&a, campaign);
	pc_pg_arg_text(&a, source, PC_PG_MAX_TEXT);
	pc_pg_arg_text(&a, detail, PC_PG_MAX_TEXT);
	return pc_pg_run(st, SLOT(X_AUDIT), sql[X_AUDIT], &a, "audit write");
}

int pc_pg_audit_list(pc_store *st, long long campaign, pc_audit_cb cb, void *ctx)
{
	long long after = LLONG_MIN;
	for (;;) {
		pc_pg_args a = {0};
		if (campaign)
			pc_pg_arg_int(&a, campaign);
		pc_pg_arg_int(&a, after);
		pc_pg_arg_int(&a, PAGE);
		int x = campaign ? X_LIST : X_LIST_ALL;
		PGresult *r = pc_pg_exec(st, SLOT(x), sql[x], &a, "audit read");
		if (!r)
			return -1;
		int n = PQntuples(r);
		for (int i = 0; i < n; i++) {
			pc_audit_row row = {pc_pg_long(r, i, 0), pc_pg_long(r, i, 4), (time_t)pc_pg_long(r, i, 1),
			                    pc_pg_col(r, i, 2),  pc_pg_col(r, i, 3),  pc_pg_col(r, i, 5),
			                    pc_pg_col(r, i, 6)};
			after = row.id;
			if (cb(ctx, &row) != 0) {
				PQclear(r);
				return 0;
			}
		}
		PQclear(r);
		if (n < PAGE)
			return 0;
	}
}

/* A quarantine record's text: NULL stays SQL NULL */
static void qtext(pc_pg_args *a, const char *v)
{
	if (v)
		pc_pg_arg_text(a, v, MAX_QTEXT);
	else
		pc_pg_arg_null(a);
}

int pc_pg_audit_q(pc_store *st, const pc_audit_qrec *r)
{
	/* a NULL recipient is "" (as SQLite stores it) */
	const char *const *rcpt = r->rcpt;
	const char **own_rcpt = NULL;
	for (size_t i = 0; i < r->nrcpt && !own_rcpt; i++) {
		if (r->rcpt[i])
			continue;
		if (!(own_rcpt = malloc(r->nrcpt * sizeof *own_rcpt)))
			return pc_pg_fail(st, "audit write", "out of memory");
		for (size_t k = 0; k < r->nrcpt; k++)
			own_rcpt[k] = r->rcpt[k] ? r->rcpt[k] : "";
		rcpt = own_rcpt;
	}
	bool own;
	if (pc_pg_own_begin(st, &own) != 0) {
		free(own_rcpt);
		return -1;
	}
	int rc = own ? pc_pg_run(st, SLOT(X_DURABLE), sql[X_DURABLE], NULL, "audit write") : 0;
	if (rc == 0) {
		pc_pg_args a = {0};
		pc_pg_arg_int(&a, (long long)r->when);
		qtext(&a, r->actor ? r->actor : "");
		qtext(&a, r->action ? r->action : "");
		qtext(&a, r->dir ? r->dir : "");
		qtext(&a, r->detail ? r->detail : "");
		qtext(&a, r->qid ? r->qid : "");
		qtext(&a, r->reason);
		qtext(&a, r->mail_from);
		qtext(&a, r->sha256);
		pc_pg_arg_text_array(&a, rcpt, r->nrcpt, MAX_QTEXT);
		rc = pc_pg_run(st, SLOT(X_Q), sql[X_Q], &a, "audit write");
	}
	free(own_rcpt);
	return pc_pg_own_end(st, own, rc);
}

/* A text cell that may be NULL (reason, mail_from, sha256) */
static const char *nullable(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int pc_pg_audit_q_list(pc_store *st, const char *dir, pc_audit_qcb cb, void *ctx)
{
	long long after = LLONG_MIN;
	for (;;) {
		pc_pg_args a = {0};
		if (dir)
			pc_pg_arg_text(&a, dir, UNCUT);
		else
			pc_pg_arg_null(&a); /* matches nothing, as in SQLite */
		pc_pg_arg_int(&a, after);
		pc_pg_arg_int(&a, QPAGE);
		PGresult *r = pc_pg_exec(st, SLOT(X_Q_LIST), sql[X_Q_LIST], &a, "audit read");
		if (!r)
			return -1;
		int rows = PQntuples(r), records = 0;
		/* the recipients point into the result, which lives until PQclear */
		const char **rcpt = rows ? malloc((size_t)rows * sizeof *rcpt) : NULL;
		if (rows && !rcpt) {
			PQclear(r);
			return pc_pg_fail(st, "audit read", "out of memory");
		}
		bool stop = false;
		for (int i = 0; i < rows && !stop;) {
			pc_audit_qrec q = {pc_pg_long(r, i, 0),
			                   (time_t)pc_pg_long(r, i, 1),
			                   pc_pg_col(r, i, 2),
			                   pc_pg_col(r, i, 3),
			                   pc_pg_col(r, i, 4),
			                   pc_pg_col(r, i, 5),
			                   nullable(r, i, 6),
			                   nullable(r, i, 7),
			                   nullable(r, i, 8),
			                   pc_pg_col(r, i, 9),
			                   rcpt,
			                   0};
			int j = i;
			for (; j < rows && pc_pg_long(r, j, 0) == q.id; j++)
				if (!PQgetisnull(r, j, 10))
					rcpt[q.nrcpt++] = PQgetvalue(r, j, 10);
			i = j;
			records++;
			after = q.id;
			stop = cb(ctx, &q) != 0;
		}
		free(rcpt);
		PQclear(r);
		if (stop || records < QPAGE)
			return 0;
	}
}
