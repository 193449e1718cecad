/*
 * NAME
 *   sqlite_custody - custody records and indicator sets (SQLite, schema 5)
 * DESCRIPTION
 *   custody: one row per (source, Message-ID, SHA-256), written in the
 *   message's transaction (INSERT OR IGNORE: a message scanned again keeps
 *   its first record, the one made when it arrived). The original bytes
 *   are the last column, so listing a campaign's records never reads
 *   them; retention sets them to NULL in bounded steps through a partial
 *   index of the rows that still have them, sparing campaigns marked
 *   malicious (status 1).
 *   ioc_set: a named indicator file as given, replaced when added again.
 */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_impl.h"

enum {
	X_PUT = 4,
	X_BY_CAMPAIGN,
	X_BY_CAMPAIGN_ORIG,
	X_BY_SHA,
	X_BY_SHA_ORIG,
	X_PRUNE,
	X_IOC_PUT,
	X_IOC_LIST,
	X_IOC_LIST_BODY,
	X_IOC_DEL,
	X_END
};

#define COLS "sha256, campaign, source, message_id, arrived, record"
static const char *const sql[X_END] = {
    [X_PUT] = "INSERT OR IGNORE INTO custody (sha256, campaign, source, message_id, arrived, record, original)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [X_BY_CAMPAIGN] = "SELECT " COLS ", NULL, original IS NOT NULL FROM custody WHERE campaign = ?1"
                      " ORDER BY arrived, id",
    [X_BY_CAMPAIGN_ORIG] = "SELECT " COLS ", original, original IS NOT NULL FROM custody WHERE campaign = ?1"
                           " ORDER BY arrived, id",
    [X_BY_SHA] = "SELECT " COLS ", NULL, original IS NOT NULL FROM custody WHERE sha256 = ?1 ORDER BY arrived, id",
    [X_BY_SHA_ORIG] = "SELECT " COLS ", original, original IS NOT NULL FROM custody WHERE sha256 = ?1"
                      " ORDER BY arrived, id",
    [X_PRUNE] = "UPDATE custody SET original = NULL WHERE id IN (SELECT c.id FROM custody c"
                " INDEXED BY custody_kept LEFT JOIN campaign k ON k.id = c.campaign"
                " WHERE c.original IS NOT NULL AND c.arrived < ?1 AND COALESCE(k.status, 0) != 1"
                " ORDER BY c.arrived LIMIT ?2)",
    [X_IOC_PUT] = "INSERT OR REPLACE INTO ioc_set (name, added, actor, count, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    [X_IOC_LIST] = "SELECT name, added, actor, count, NULL FROM ioc_set ORDER BY name",
    [X_IOC_LIST_BODY] = "SELECT name, added, actor, count, body FROM ioc_set ORDER BY name",
    [X_IOC_DEL] = "DELETE FROM ioc_set WHERE name = ?1",
};

int pc_sqlite_custody_put(pc_store *st, const pc_custody *c)
{
	bool in_tx;
	sqlite3 *db = pc_sqlite_db(st, &in_tx);
	sqlite3_stmt *s = pc_sqlite_prepared(st, X_PUT, sql[X_PUT]);
	if (!s)
		return -1;
	/* a message over SQLite's value limit keeps its record, not its bytes */
	bool keep = c->original && c->n < (size_t)sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1);
	sqlite3_bind_text(s, 1, c->sha256, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, c->campaign);
	sqlite3_bind_text(s, 3, c->source ? c->source : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, c->message_id ? c->message_id : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)c->arrived);
	sqlite3_bind_text(s, 6, c->record ? c->record : "{}", -1, SQLITE_TRANSIENT);
	if (keep)
		sqlite3_bind_blob64(s, 7, c->original, (sqlite3_uint64)c->n, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 7);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s); /* the original was bound SQLITE_STATIC */
	return rc == SQLITE_DONE ? 0 : pc_sqlite_fail(st, "custody write");
}

int pc_sqlite_custody_list(pc_store *st, long long campaign, const char *sha256, bool with_original, pc_custody_cb cb,
                           void *ctx)
{
	int which = campaign > 0 ? (with_original ? X_BY_CAMPAIGN_ORIG : X_BY_CAMPAIGN)
	                         : (with_original ? X_BY_SHA_ORIG : X_BY_SHA);
	sqlite3_stmt *s = pc_sqlite_prepared(st, which, sql[which]);
	if (!s)
		return -1;
	if (campaign > 0)
		sqlite3_bind_int64(s, 1, campaign);
	else
		sqlite3_bind_text(s, 1, sha256 ? sha256 : "", -1, SQLITE_TRANSIENT);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		pc_custody c = {
		    pc_sqlite_col(s, 0),       sqlite3_column_int64(s, 1),         pc_sqlite_col(s, 2),
		    pc_sqlite_col(s, 3),       (time_t)sqlite3_column_int64(s, 4), pc_sqlite_col(s, 5),
		    sqlite3_column_blob(s, 6), (size_t)sqlite3_column_bytes(s, 6), sqlite3_column_int(s, 7) != 0};
		if (!c.original)
			c.n = 0;
		if (cb(ctx, &c) != 0)
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : pc_sqlite_fail(st, "custody read");
}

int pc_sqlite_custody_prune(pc_store *st, time_t before, long max, long *dropped)
{
	bool in_tx;
	sqlite3 *db = pc_sqlite_db(st, &in_tx);
	sqlite3_stmt *s = pc_sqlite_prepared(st, X_PRUNE, sql[X_PRUNE]);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)before);
	sqlite3_bind_int64(s, 2, max > 0 ? max : 1);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return pc_sqlite_fail(st, "custody retention");
	*dropped = (long)sqlite3_changes(db);
	return 0;
}

int pc_sqlite_ioc_put(pc_store *st, const pc_ioc_set *set)
{
	sqlite3_stmt *s = pc_sqlite_prepared(st, X_IOC_PUT, sql[X_IOC_PUT]);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, set->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)set->added);
	sqlite3_bind_text(s, 3, set->actor ? set->actor : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, set->count);
	sqlite3_bind_blob64(s, 5, set->body ? set->body : "", (sqlite3_uint64)set->n, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : pc_sqlite_fail(st, "indicator set write");
}

int pc_sqlite_ioc_list(pc_store *st, bool with_body, pc_ioc_set_cb cb, void *ctx)
{
	sqlite3_stmt *s = pc_sqlite_prepared(st, with_body ? X_IOC_LIST_BODY : X_IOC_LIST,
	                                     sql[with_body ? X_IOC_LIST_BODY : X_IOC_LIST]);
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		pc_ioc_set set = {pc_sqlite_col(s, 0),
		                  pc_sqlite_col(s, 2),
		                  (time_t)sqlite3_column_int64(s, 1),
		                  (long)sqlite3_column_int64(s, 3),
		                  sqlite3_column_blob(s, 4),
		                  (size_t)sqlite3_column_bytes(s, 4)};
		if (!set.body)
			set.n = 0;
		if (cb(ctx, &set) != 0)
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : pc_sqlite_fail(st, "indicator sets read");
}

int pc_sqlite_ioc_remove(pc_store *st, const char *name)
{
	bool in_tx;
	sqlite3 *db = pc_sqlite_db(st, &in_tx);
	sqlite3_stmt *s = pc_sqlite_prepared(st, X_IOC_DEL, sql[X_IOC_DEL]);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return pc_sqlite_fail(st, "indicator set delete");
	return sqlite3_changes(db) > 0 ? 1 : 0;
}
