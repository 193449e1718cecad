/*
 * NAME
 *   sqlite_console - what the console searches and shows (SQLite, schema 6)
 * DESCRIPTION
 *   message: one narrow row per custody record (same id), written by a
 *   trigger on custody's INSERT, so every writer of custody (the milter's
 *   workers, scan --db) fills it without knowing it exists: when it was
 *   seen, its campaign, verdict and rule, From, subject, the envelope
 *   recipients (space-separated) and its first lookalike domain. Search
 *   and the overview read this table and its `seen` index, never the
 *   custody rows with their originals. A record that is not JSON (none
 *   of ours) still gets a row, with empty fields.
 *   console_user: the console's accounts (the hash is libsodium's encoded
 *   argon2id string). qindex: the quarantine directories' index, one row
 *   per (directory, QID), kept by web/qindex.c.
 *   Searches are built from fixed fragments with every value bound:
 *   nothing a person types reaches the SQL text. Substrings are matched
 *   with instr() on lower() (ASCII case folding), which needs no escaping.
 */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_impl.h"

#define J "CASE WHEN json_valid(new.record) THEN "
/* schema 6 (store/sqlite.c's migrations) */
const char PC_SQLITE_CONSOLE_SCHEMA[] =
    "CREATE TABLE message (id INTEGER PRIMARY KEY, seen INTEGER NOT NULL, campaign INTEGER NOT NULL,"
    " verdict TEXT NOT NULL, rule TEXT NOT NULL, sender TEXT NOT NULL, subject TEXT NOT NULL,"
    " rcpt TEXT NOT NULL, lookalike TEXT NOT NULL);"
    "CREATE INDEX message_seen ON message (seen);"
    "CREATE INDEX message_campaign ON message (campaign, seen);"
    "CREATE TRIGGER custody_message AFTER INSERT ON custody WHEN json_valid(new.record) BEGIN"
    " INSERT OR REPLACE INTO message (id, seen, campaign, verdict, rule, sender, subject, rcpt, lookalike)"
    " VALUES (new.id, COALESCE(json_extract(new.record, '$.seen'), new.arrived), new.campaign,"
    " COALESCE(json_extract(new.record, '$.verdict'), ''), COALESCE(json_extract(new.record, '$.rule'), ''),"
    " substr(COALESCE(json_extract(new.record, '$.from'), ''), 1, 320),"
    " substr(COALESCE(json_extract(new.record, '$.subject'), ''), 1, 1000),"
    " substr(COALESCE((SELECT group_concat(value, ' ') FROM json_each(new.record, '$.envelope.rcpt')), ''), 1, 2000),"
    " COALESCE((SELECT json_extract(value, '$.evidence.domain') FROM json_each(new.record, '$.reasons')"
    "  WHERE json_extract(value, '$.detector') = 'impersonation.lookalike' LIMIT 1), ''));"
    " END;"
    "CREATE TRIGGER custody_message_raw AFTER INSERT ON custody WHEN NOT json_valid(new.record) BEGIN"
    " INSERT OR REPLACE INTO message (id, seen, campaign, verdict, rule, sender, subject, rcpt, lookalike)"
    " VALUES (new.id, new.arrived, new.campaign, '', '', '', '', '', '');"
    " END;"
    /* the rows custody already had */
    "INSERT INTO message (id, seen, campaign, verdict, rule, sender, subject, rcpt, lookalike)"
    " SELECT id, arrived, campaign, '', '', '', '', '', '' FROM custody WHERE NOT json_valid(record);"
    "INSERT INTO message (id, seen, campaign, verdict, rule, sender, subject, rcpt, lookalike)"
    " SELECT c.id, COALESCE(json_extract(c.record, '$.seen'), c.arrived), c.campaign,"
    " COALESCE(json_extract(c.record, '$.verdict'), ''), COALESCE(json_extract(c.record, '$.rule'), ''),"
    " substr(COALESCE(json_extract(c.record, '$.from'), ''), 1, 320),"
    " substr(COALESCE(json_extract(c.record, '$.subject'), ''), 1, 1000),"
    " substr(COALESCE((SELECT group_concat(value, ' ') FROM json_each(c.record, '$.envelope.rcpt')), ''), 1, 2000),"
    " COALESCE((SELECT json_extract(value, '$.evidence.domain') FROM json_each(c.record, '$.reasons')"
    "  WHERE json_extract(value, '$.detector') = 'impersonation.lookalike' LIMIT 1), '')"
    " FROM custody c WHERE json_valid(c.record);"
    "CREATE TABLE console_user (name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL,"
    " created INTEGER NOT NULL, changed INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE qindex (dir TEXT NOT NULL, qid TEXT NOT NULL, arrived INTEGER NOT NULL,"
    " sender TEXT NOT NULL, rcpt TEXT NOT NULL, subject TEXT NOT NULL, reason TEXT NOT NULL,"
    " campaign INTEGER NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,"
    " PRIMARY KEY (dir, qid)) WITHOUT ROWID;"
    "CREATE INDEX qindex_arrived ON qindex (dir, arrived);"
    "CREATE INDEX qindex_campaign ON qindex (campaign);";
#undef J

enum {
	X_USER_PUT = 16,
	X_USER_GET,
	X_USER_LIST,
	X_USER_DEL,
	X_Q_PUT,
	X_Q_DEL,
	X_Q_LIST,
	X_SERIES,
	X_TOP_LOOKALIKE,
	X_TOP_TRACKER,
	X_TOP_SENDER,
	X_END
};

static const char *const sql[X_END] = {
    [X_USER_PUT] = "INSERT OR REPLACE INTO console_user (name, role, hash, created, changed, disabled)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [X_USER_GET] = "SELECT name, role, hash, created, changed, disabled FROM console_user WHERE name = ?1",
    [X_USER_LIST] = "SELECT name, role, hash, created, changed, disabled FROM console_user ORDER BY name",
    [X_USER_DEL] = "DELETE FROM console_user WHERE name = ?1",
    [X_Q_PUT] = "INSERT OR REPLACE INTO qindex (dir, qid, arrived, sender, rcpt, subject, reason, campaign,"
                " sha256, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [X_Q_DEL] = "DELETE FROM qindex WHERE dir = ?1 AND qid = ?2",
    [X_Q_LIST] = "SELECT dir, qid, sender, rcpt, subject, reason, sha256, campaign, size, arrived FROM qindex"
                 " WHERE dir = ?1 ORDER BY qid",
    [X_SERIES] = "SELECT (seen - ?1) / ?2, verdict, count(*) FROM message WHERE seen >= ?1 GROUP BY 1, 2 ORDER BY 1",
    [X_TOP_LOOKALIKE] = "SELECT lookalike, count(*) FROM message WHERE seen >= ?1 AND lookalike != ''"
                        " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?2",
    /* campaigns that had a message scanned in the window */
    [X_TOP_TRACKER] = "SELECT v.value, sum(v.count) FROM campaign_value v WHERE v.kind = 'tracker' AND v.campaign IN"
                      " (SELECT DISTINCT campaign FROM message WHERE seen >= ?1 AND campaign > 0)"
                      " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?2",
    [X_TOP_SENDER] = "SELECT substr(sender, instr(sender, '@') + 1), count(*) FROM message"
                     " WHERE seen >= ?1 AND verdict IN ('quarantine', 'reject') AND sender != ''"
                     " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?2",
};

static void text(sqlite3_stmt *s, int i, const char *v)
{
	pc_sqlite_text(s, i, v, 4000);
}

static int done(pc_store *st, sqlite3_stmt *s, int rc, const char *what)
{
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : pc_sqlite_fail(st, what);
}

/* ---- accounts ---- */

int pc_sqlite_user_put(pc_store *st, const pc_user *u)
{
	sqlite3_stmt *s = pc_sqlite_prepared(st, X_USER_PUT, sql[X_USER_PUT]);
	if (!s)
		return -1;
	text(s, 1, u->name);
	text(s, 2, u->role);
	text(s, 3, u->hash);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)u->created);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)u->changed);
	sqlite3_bind_int(s, 6, u->disabled ? 1 : 0);
	return done(st, s, sqlite3_step(s), "account write");
}

static int users(pc_store *st, sqlite3_stmt *s, pc_user_cb cb, void *ctx, int *found)
{
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		pc_user u = {pc_sqlite_col(s, 0),
		             pc_sqlite_col(s, 1),
		             pc_sqlite_col(s, 2),
		             (time_t)sqlite3_column_int64(s, 3),
		             (time_t)sqlite3_column_int64(s, 4),
		             sqlite3_column_int(s, 5) != 0};
		(*found)++;
		if (cb(ctx, &u) != 0)
			break;
	}
	return done(st, s, rc, "account read");
}

int pc_sqlite_user_get(pc_store *st, const char *name, pc_user_cb cb, void *ctx)
{
	sqlite3_stmt *s = pc_sqlite_prepared(st, X_USER_GET, sql[X_USER_GET]);
	if (!s)
		return -1;
	text(s, 1, name);
	int found = 0;
	if (users(st, s, cb, ctx, &found) != 0)
		return -1;
	return found > 0;
}

int pc_sqlite_user_list(pc_store *st, pc_user_cb cb, void *ctx)
{
	sqlite3_stmt *s = pc_sqlite_prepared(st, X_USER_LIST, sql[X_USER_LIST]);
	int found = 0;
	return s ? users(st, s, cb, ctx, &found) : -1;
}

int pc_sqlite_user_remove(pc_store *st, const char *name)
{
	bool in_tx;
	sqlite3 *db = pc_sqlite_db(st, &in_tx);
	sqlite3_stmt *s = pc_sqlite_prepared(st, X_USER_DEL, sql[X_USER_DEL]);
	if (!s)
		return -1;
	text(s, 1, name);
	if (done(st, s, sqlite3_step(s), "account removal") != 0)
		return -1;
	return sqlite3_changes(db) > 0;
}

/* ---- the quarantine index ---- */

int pc_sqlite_qindex_put(pc_store *st, const pc_qindex *q)
{
	sqlite3_stmt *s = pc_sqlite_prepared(st, X_Q_PUT, sql[X_Q_PUT]);
	if (!s)
		return -1;
	text(s, 1, q->dir);
	text(s, 2, q->qid);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)q->arrived);
	text(s, 4, q->sender);
	text(s, 5, q->rcpt);
	text(s, 6, q->subject);
	text(s, 7, q->reason);
	sqlite3_bind_int64(s, 8, q->campaign);
	text(s, 9, q->sha256);
	sqlite3_bind_int64(s, 10, q->size);
	return done(st, s, sqlite3_step(s), "quarantine index write");
}

int pc_sqlite_qindex_remove(pc_store *st, const char *dir, const char *qid)
{
	sqlite3_stmt *s = pc_sqlite_prepared(st, X_Q_DEL, sql[X_Q_DEL]);
	if (!s)
		return -1;
	text(s, 1, dir);
	text(s, 2, qid);
	return done(st, s, sqlite3_step(s), "quarantine index removal");
}

static int qrows(pc_store *st, sqlite3_stmt *s, pc_qindex_cb cb, void *ctx, bool own)
{
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		pc_qindex q = {pc_sqlite_col(s, 0),        pc_sqlite_col(s, 1),
		               pc_sqlite_col(s, 2),        pc_sqlite_col(s, 3),
		               pc_sqlite_col(s, 4),        pc_sqlite_col(s, 5),
		               pc_sqlite_col(s, 6),        sqlite3_column_int64(s, 7),
		               sqlite3_column_int64(s, 8), (time_t)sqlite3_column_int64(s, 9)};
		if (cb(ctx, &q) != 0)
			break;
	}
	if (own) {
		sqlite3_finalize(s);
		return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : pc_sqlite_fail(st, "quarantine search");
	}
	return done(st, s, rc, "quarantine index read");
}

int pc_sqlite_qindex_list(pc_store *st, const char *dir, pc_qindex_cb cb, void *ctx)
{
	sqlite3_stmt *s = pc_sqlite_prepared(st, X_Q_LIST, sql[X_Q_LIST]);
	if (!s)
		return -1;
	text(s, 1, dir);
	return qrows(st, s, cb, ctx, false);
}

/* ---- searches: WHERE clauses from fixed fragments, values bound ---- */

typedef struct where {
	char sql[1024];
	size_t len;
	const char *val[12];
	long long num[12];
	bool is_num[12];
	int n;
} where;

static void add(where *w, const char *frag)
{
	int k = snprintf(w->sql + w->len, sizeof w->sql - w->len, "%s%s", w->len ? " AND " : " WHERE ", frag);
	if (k > 0 && (size_t)k < sizeof w->sql - w->len)
		w->len += (size_t)k;
}

/* frag holds "?" where the value goes: it becomes ?N */
static void addv(where *w, const char *frag, const char *v, long long num, bool is_num)
{
	if (w->n >= 12)
		return;
	char f[256], out[256];
	size_t o = 0;
	snprintf(f, sizeof f, "%s", frag);
	for (const char *p = f; *p && o + 8 < sizeof out; p++) {
		if (*p == '?')
			o += (size_t)snprintf(out + o, sizeof out - o, "?%d", w->n + 1);
		else
			out[o++] = *p;
	}
	out[o] = '\0';
	w->val[w->n] = v;
	w->num[w->n] = num;
	w->is_num[w->n] = is_num;
	w->n++;
	add(w, out);
}

static bool set(const char *s)
{
	return s && *s;
}

/* p: the table's alias and dot ("m.") or ""; sha: the column with the
 * SHA-256 */
static void common(where *w, const pc_query *q, const char *p, const char *timecol, const char *sha)
{
	char f[128];
	if (set(q->sender)) {
		snprintf(f, sizeof f, "instr(lower(%ssender), lower(?)) > 0", p);
		addv(w, f, q->sender, 0, false);
	}
	if (set(q->rcpt)) {
		snprintf(f, sizeof f, "instr(lower(%srcpt), lower(?)) > 0", p);
		addv(w, f, q->rcpt, 0, false);
	}
	if (set(q->subject)) {
		snprintf(f, sizeof f, "instr(lower(%ssubject), lower(?)) > 0", p);
		addv(w, f, q->subject, 0, false);
	}
	snprintf(f, sizeof f, "%scampaign = %s", p, q->campaign > 0 ? "?" : "0");
	if (q->campaign > 0)
		addv(w, f, NULL, q->campaign, true);
	else if (q->campaign < 0)
		add(w, f);
	if (q->from > 0) {
		snprintf(f, sizeof f, "%s >= ?", timecol);
		addv(w, f, NULL, (long long)q->from, true);
	}
	if (q->to > 0) {
		snprintf(f, sizeof f, "%s < ?", timecol);
		addv(w, f, NULL, (long long)q->to, true);
	}
	if (set(q->sha256)) {
		snprintf(f, sizeof f, "%s = lower(?)", sha);
		addv(w, f, q->sha256, 0, false);
	}
}

static sqlite3_stmt *prepare(pc_store *st, const where *w, const char *head, const char *tail)
{
	bool in_tx;
	sqlite3 *db = pc_sqlite_db(st, &in_tx);
	char q[2048];
	snprintf(q, sizeof q, "%s%s%s", head, w->sql, tail);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		pc_sqlite_fail(st, "search");
		return NULL;
	}
	for (int i = 0; i < w->n; i++) {
		if (w->is_num[i])
			sqlite3_bind_int64(s, i + 1, w->num[i]);
		else
			text(s, i + 1, w->val[i]);
	}
	return s;
}

static long count(pc_store *st, const where *w, const char *from)
{
	char head[256];
	snprintf(head, sizeof head, "SELECT count(*) FROM (SELECT 1 FROM %s", from);
	char tail[64];
	snprintf(tail, sizeof tail, " LIMIT %d)", PC_QUERY_COUNT_MAX);
	sqlite3_stmt *s = prepare(st, w, head, tail);
	if (!s)
		return -1;
	long n = -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (n < 0)
		pc_sqlite_fail(st, "search count");
	return n;
}

static void page(char *tail, size_t len, const char *order, const pc_query *q)
{
	long limit = q->limit > 0 && q->limit <= 1000 ? q->limit : 50;
	long offset = q->offset > 0 ? q->offset : 0;
	snprintf(tail, len, " ORDER BY %s LIMIT %ld OFFSET %ld", order, limit, offset);
}

int pc_sqlite_qindex_search(pc_store *st, const char *dir, const pc_query *q, pc_qindex_cb cb, void *ctx, long *total)
{
	where w = {0};
	addv(&w, "dir = ?", dir, 0, false);
	common(&w, q, "", "arrived", "sha256");
	if (set(q->reason))
		addv(&w, "instr(lower(reason), lower(?)) > 0", q->reason, 0, false);
	if ((*total = count(st, &w, "qindex")) < 0)
		return -1;
	char tail[128];
	page(tail, sizeof tail, "arrived DESC, qid DESC", q);
	sqlite3_stmt *s = prepare(
	    st, &w, "SELECT dir, qid, sender, rcpt, subject, reason, sha256, campaign, size, arrived FROM qindex",
	    tail);
	return s ? qrows(st, s, cb, ctx, true) : -1;
}

int pc_sqlite_message_search(pc_store *st, const pc_query *q, pc_msg_cb cb, void *ctx, long *total)
{
	where w = {0};
	common(&w, q, "m.", "m.seen", "c.sha256");
	if (q->id > 0)
		addv(&w, "m.id = ?", NULL, q->id, true);
	if (set(q->verdict))
		addv(&w, "m.verdict = ?", q->verdict, 0, false);
	if (set(q->reason))
		addv(&w, "instr(lower(m.rule), lower(?)) > 0", q->reason, 0, false);
	if ((*total = count(st, &w, "message m JOIN custody c ON c.id = m.id")) < 0)
		return -1;
	char tail[128];
	page(tail, sizeof tail, "m.seen DESC, m.id DESC", q);
	sqlite3_stmt *s =
	    prepare(st, &w,
	            "SELECT m.id, m.campaign, c.sha256, c.source, c.message_id, m.verdict, m.rule, m.sender,"
	            " m.subject, m.rcpt, m.lookalike, m.seen, c.arrived, c.original IS NOT NULL"
	            " FROM message m JOIN custody c ON c.id = m.id",
	            tail);
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		pc_msg_row m = {sqlite3_column_int64(s, 0),
		                sqlite3_column_int64(s, 1),
		                pc_sqlite_col(s, 2),
		                pc_sqlite_col(s, 3),
		                pc_sqlite_col(s, 4),
		                pc_sqlite_col(s, 5),
		                pc_sqlite_col(s, 6),
		                pc_sqlite_col(s, 7),
		                pc_sqlite_col(s, 8),
		                pc_sqlite_col(s, 9),
		                pc_sqlite_col(s, 10),
		                (time_t)sqlite3_column_int64(s, 11),
		                (time_t)sqlite3_column_int64(s, 12),
		                sqlite3_column_int(s, 13) != 0};
		if (cb(ctx, &m) != 0)
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : pc_sqlite_fail(st, "message search");
}

/* ---- the overview ---- */

int pc_sqlite_verdict_series(pc_store *st, time_t from, long step, pc_series_cb cb, void *ctx)
{
	sqlite3_stmt *s = pc_sqlite_prepared(st, X_SERIES, sql[X_SERIES]);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(s, 2, step);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (cb(ctx, from + (time_t)sqlite3_column_int64(s, 0) * step, pc_sqlite_col(s, 1),
		       (long)sqlite3_column_int64(s, 2)) != 0)
			break;
	return done(st, s, rc, "verdict series");
}

int pc_sqlite_top(pc_store *st, const char *what, time_t from, size_t max, pc_value_cb cb, void *ctx)
{
	int which = !strcmp(what, "lookalike")       ? X_TOP_LOOKALIKE
	            : !strcmp(what, "tracker")       ? X_TOP_TRACKER
	            : !strcmp(what, "sender_domain") ? X_TOP_SENDER
	                                             : -1;
	if (which < 0) {
		snprintf(st->error, sizeof st->error, "no such list: %s", what);
		return -1;
	}
	sqlite3_stmt *s = pc_sqlite_prepared(st, which, sql[which]);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(s, 2, max > 0 ? (sqlite3_int64)max : 10);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (cb(ctx, pc_sqlite_col(s, 0), (long)sqlite3_column_int64(s, 1)) != 0)
			break;
	return done(st, s, rc, "top list");
}
