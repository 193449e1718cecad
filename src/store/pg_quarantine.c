/*
 * NAME
 *   pg_quarantine - the quarantine kept in the store (PostgreSQL)
 * DESCRIPTION
 *   [quarantine] location = store: act/quarantine.h's entries as rows of
 *   one table, so every node, the CLI and the console list, read,
 *   release and purge the same quarantine. The QID (act/quarantine.c
 *   makes it, as for a directory) is the primary key, compared bytewise
 *   (COLLATE "C"), so listing in QID order is the directory's order and
 *   walks the key's index; the original is bytea, sent and stored as
 *   given (NUL, invalid UTF-8); meta is the caller's JSON text.
 *
 *   Durability: the milter answers the MTA (and the original is dropped)
 *   only after a put returns, so a put is its own transaction, committed
 *   with synchronous_commit on whatever the server's default: the commit
 *   returns once the WAL is flushed. A remove is its own transaction too
 *   (a removal lost to a crash would let a released message be released
 *   again) and reports a row another node removed first as none.
 *   A put names its delivery (the member's delivery key, store.h) when it
 *   can: a unique index keeps one row per delivery, so the MTA's retry
 *   after a node died between the write and its answer, or after a
 *   COMMIT whose reply was lost, finds the row it left and gets its QID
 *   back (milter.cluster saw both as duplicates before). A put without a
 *   key (hunt's, a limit's) can still leave such a duplicate, never a
 *   lost message.
 *
 *   Locks: release and delete lock a QID with a session-level advisory
 *   lock on hashtextextended('portcullis-q:' || qid, 0), PostgreSQL's
 *   counterpart of act/qaction.c's flock on QID.eml: never waited for,
 *   dropped with the connection (a node that dies frees its locks). A
 *   session does not take a lock it already holds (session locks stack;
 *   two entries of one process would both get it where two flocks do
 *   not), and unlocks only what it holds (no server warning).
 */
#include <stdlib.h>
#include <string.h>

#include "store/pg_impl.h"

#define UNCUT ((size_t)1 << 30) /* PostgreSQL's limit for a value */

const char PC_PG_SCHEMA_QUARANTINE[] =
    "CREATE TABLE quarantine (qid text COLLATE \"C\" PRIMARY KEY, created bigint NOT NULL,"
    " meta text, original bytea NOT NULL, dkey text);"
    "CREATE UNIQUE INDEX quarantine_dkey ON quarantine (dkey) WHERE dkey IS NOT NULL;";

enum { Q_SYNC, Q_PUT, Q_BYKEY, Q_GET, Q_META, Q_LIST, Q_REMOVE, Q_STAMP, Q_LOCK, Q_UNLOCK, Q_LOCKED, Q_PING, Q_END };
_Static_assert(Q_END <= 16, "pg_quarantine.c owns 16 statement slots");
#define SLOT(x) (PC_PG_SLOT_QUARANTINE + (x))

/* k: the lock's key; mine: whether this session holds it (pg_locks
 * shows a bigint key as its high and low 32 bits) */
#define KEY "(SELECT hashtextextended('portcullis-q:' || $1, 0) AS k)"
#define MINE                                                                                                           \
	"EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid()"                  \
	" AND l.granted AND l.objsubid = 1 AND l.classid = ((k >> 32) & 4294967295)::oid"                              \
	" AND l.objid = (k & 4294967295)::oid"                                                                         \
	" AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))"

static const char *const sql[Q_END] = {
    [Q_SYNC] = "SELECT set_config('synchronous_commit', 'on', true)",
    /* a QID taken, or the delivery already kept: nothing written */
    [Q_PUT] = "INSERT INTO quarantine (qid, created, meta, original, dkey) VALUES ($1, $2, $3, $4, $5)"
              " ON CONFLICT DO NOTHING",
    [Q_BYKEY] = "SELECT qid FROM quarantine WHERE dkey = $1",
    [Q_GET] = "SELECT original, meta, created FROM quarantine WHERE qid = $1",
    [Q_META] = "SELECT meta, created, octet_length(original) FROM quarantine WHERE qid = $1",
    /* octet_length of a bytea reads its header, not the value */
    [Q_LIST] = "SELECT qid, created, octet_length(original), CASE WHEN $3 THEN meta END FROM quarantine"
               " WHERE qid > $1 ORDER BY qid LIMIT $2",
    [Q_REMOVE] = "DELETE FROM quarantine WHERE qid = $1",
    [Q_STAMP] = "SELECT count(*), COALESCE(max(qid), '') FROM quarantine",
    [Q_LOCK] = "SELECT CASE WHEN " MINE " THEN false ELSE pg_try_advisory_lock(k) END FROM " KEY " s",
    [Q_UNLOCK] = "SELECT pg_advisory_unlock(k) FROM " KEY " s WHERE " MINE,
    [Q_LOCKED] = "SELECT " MINE " FROM " KEY " s",
    [Q_PING] = "SELECT 1",
};

static PGresult *run(pc_store *st, int x, pc_pg_args *a, const char *what)
{
	return pc_pg_exec(st, SLOT(x), sql[x], a, what);
}

/* Rows a statement changed */
static long changed(const PGresult *r)
{
	return strtol(PQcmdTuples((PGresult *)r), NULL, 10);
}

/* A write in a transaction of its own, committed durably: -1 or the
 * rows it changed. */
static long durable(pc_store *st, int x, pc_pg_args *a, const char *what)
{
	if (pc_pg_in_tx(st)) {
		pc_pg_args_free(a);
		return pc_pg_fail(st, what, "a message's transaction is open: this must commit alone");
	}
	bool own;
	if (pc_pg_own_begin(st, &own) != 0) {
		pc_pg_args_free(a);
		return -1;
	}
	long n = -1;
	PGresult *r = run(st, Q_SYNC, NULL, what);
	if (r) {
		PQclear(r);
		if ((r = run(st, x, a, what))) {
			n = changed(r);
			PQclear(r);
		}
	} else {
		pc_pg_args_free(a);
	}
	return pc_pg_own_end(st, own, n < 0 ? -1 : 0) == 0 ? n : -1;
}

static int q_put(pc_store *st, const char *qid, time_t created, const void *bytes, size_t n, const char *meta,
                 const char *key, char *existing, size_t existinglen)
{
	pc_pg_args a = {0};
	pc_pg_arg_text(&a, qid, PC_PG_MAX_TEXT);
	pc_pg_arg_int(&a, (long long)created);
	if (meta)
		pc_pg_arg_text(&a, meta, UNCUT);
	else
		pc_pg_arg_null(&a);
	pc_pg_arg_bytes(&a, bytes, n);
	bool keyed = key && *key;
	if (keyed)
		pc_pg_arg_text(&a, key, 64);
	else
		pc_pg_arg_null(&a);
	long k = durable(st, Q_PUT, &a, "quarantine put");
	if (k != 0 || !keyed)
		return k < 0 ? -1 : k == 1;
	/* nothing written: the QID was taken, or this delivery is kept */
	pc_pg_args b = {0};
	pc_pg_arg_text(&b, key, 64);
	PGresult *r = run(st, Q_BYKEY, &b, "quarantine put");
	if (!r)
		return -1;
	int rc = 0;
	if (PQntuples(r) == 1) {
		snprintf(existing, existinglen, "%s", PQgetvalue(r, 0, 0));
		rc = 2;
	}
	PQclear(r);
	return rc;
}

static int q_get(pc_store *st, const char *qid, char **bytes, size_t *n, char **meta, time_t *created)
{
	pc_pg_args a = {0};
	pc_pg_arg_text(&a, qid, PC_PG_MAX_TEXT);
	bool all = bytes != NULL;
	PGresult *r = run(st, all ? Q_GET : Q_META, &a, "quarantine read");
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 0;
	}
	int c = all ? 1 : 0; /* meta's column */
	char *b = NULL, *m = NULL;
	size_t bn = 0;
	if (all && !(b = (char *)pc_pg_bytes(r, 0, 0, &bn))) {
		PQclear(r);
		return pc_pg_fail(st, "quarantine read", "out of memory");
	}
	if (meta && !PQgetisnull(r, 0, c) && !(m = strdup(PQgetvalue(r, 0, c)))) {
		free(b);
		PQclear(r);
		return pc_pg_fail(st, "quarantine read", "out of memory");
	}
	if (created)
		*created = (time_t)pc_pg_long(r, 0, c + 1);
	if (!all)
		bn = (size_t)pc_pg_long(r, 0, 2);
	PQclear(r);
	if (bytes)
		*bytes = b;
	if (n)
		*n = bn;
	if (meta)
		*meta = m;
	return 1;
}

static int q_list(pc_store *st, const char *after, size_t max, bool with_meta, pc_qstored_cb cb, void *ctx)
{
	pc_pg_args a = {0};
	pc_pg_arg_text(&a, after, PC_PG_MAX_TEXT);
	pc_pg_arg_int(&a, max > 1000000 ? 1000000 : (long long)max);
	pc_pg_arg_bool(&a, with_meta);
	PGresult *r = run(st, Q_LIST, &a, "quarantine list");
	if (!r)
		return -1;
	for (int i = 0, rows = PQntuples(r); i < rows; i++) {
		pc_qstored q = {pc_pg_col(r, i, 0), PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3),
		                (time_t)pc_pg_long(r, i, 1), pc_pg_long(r, i, 2)};
		if (cb(ctx, &q) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

static int q_remove(pc_store *st, const char *qid)
{
	pc_pg_args a = {0};
	pc_pg_arg_text(&a, qid, PC_PG_MAX_TEXT);
	long k = durable(st, Q_REMOVE, &a, "quarantine remove");
	return k < 0 ? -1 : k > 0;
}

static int q_stamp(pc_store *st, long long *count, char *max_qid, size_t len)
{
	PGresult *r = run(st, Q_STAMP, NULL, "quarantine count");
	if (!r)
		return -1;
	if (PQntuples(r) == 1) {
		*count = pc_pg_long(r, 0, 0);
		snprintf(max_qid, len, "%s", pc_pg_col(r, 0, 1));
	}
	PQclear(r);
	return 0;
}

/* A statement about a QID's lock answering one boolean: 1, 0 or -1 */
static int lock_stmt(pc_store *st, int x, const char *qid, const char *what)
{
	pc_pg_args a = {0};
	pc_pg_arg_text(&a, qid, PC_PG_MAX_TEXT);
	PGresult *r = run(st, x, &a, what);
	if (!r)
		return -1;
	int v = PQntuples(r) > 0 && pc_pg_long(r, 0, 0) != 0;
	PQclear(r);
	return v;
}

static int q_lock(pc_store *st, const char *qid)
{
	return lock_stmt(st, Q_LOCK, qid, "quarantine lock");
}

static int q_unlock(pc_store *st, const char *qid)
{
	return lock_stmt(st, Q_UNLOCK, qid, "quarantine unlock");
}

static int q_locked(pc_store *st, const char *qid)
{
	return lock_stmt(st, Q_LOCKED, qid, "quarantine lock check");
}

static int q_ping(pc_store *st)
{
	PGresult *r = run(st, Q_PING, NULL, "ping");
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

const pc_store_qops pc_pg_qops = {
    .put = q_put,
    .get = q_get,
    .list = q_list,
    .remove = q_remove,
    .stamp = q_stamp,
    .lock = q_lock,
    .unlock = q_unlock,
    .locked = q_locked,
    .ping = q_ping,
};
