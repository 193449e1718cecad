/*
 * NAME
 *   sqlite - the embedded store back end (SQLite, one file)
 * DESCRIPTION
 *   Schema version 1 (PRAGMA user_version):
 *     contact(sender, domain, rcpt, first_seen, last_seen, count)
 *   one row per (sender address, recipient), indexed by sender domain.
 *   WAL journal, so a scan and a reader (hunt, dashboard) do not block
 *   each other; busy_timeout waits for another writer instead of failing.
 *   Statements are prepared once per connection. Addresses longer than
 *   RFC 5321's 320 bytes are not recorded (they are not deliverable).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_impl.h"

#define SCHEMA_VERSION 1
#define MAX_ADDR 320

typedef struct sq {
	sqlite3 *db;
	sqlite3_stmt *addr_rcpt, *addr_any, *domain_any, *upsert;
} sq;

static const char schema[] = "CREATE TABLE IF NOT EXISTS contact ("
                             " sender TEXT NOT NULL, domain TEXT NOT NULL, rcpt TEXT NOT NULL,"
                             " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
                             " count INTEGER NOT NULL, PRIMARY KEY (sender, rcpt)) WITHOUT ROWID;"
                             "CREATE INDEX IF NOT EXISTS contact_domain ON contact (domain);";

static void sq_close(pc_store *st)
{
	sq *q = st->impl;
	if (q) {
		sqlite3_finalize(q->addr_rcpt);
		sqlite3_finalize(q->addr_any);
		sqlite3_finalize(q->domain_any);
		sqlite3_finalize(q->upsert);
		sqlite3_close(q->db);
		free(q);
	}
	free(st);
}

static int fail(pc_store *st, const char *what)
{
	sq *q = st->impl;
	snprintf(st->error, sizeof st->error, "%s: %s", what, sqlite3_errmsg(q->db));
	return -1;
}

/* Steps a one-row count query: 0 (with *n, *first) or -1 on error. */
static int one_count(sqlite3_stmt *s, long *n, time_t *first)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*n = (long)sqlite3_column_int64(s, 0);
		if (first)
			*first = (time_t)sqlite3_column_int64(s, 1);
	}
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int sq_contact(pc_store *st, const char *sender, const char *domain, const char *rcpt, pc_contact *out)
{
	sq *q = st->impl;
	int rc = 0;
	sqlite3_bind_text(q->addr_rcpt, 1, sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(q->addr_rcpt, 2, rcpt, -1, SQLITE_STATIC);
	sqlite3_bind_text(q->addr_any, 1, sender, -1, SQLITE_STATIC);
	sqlite3_bind_text(q->domain_any, 1, domain, -1, SQLITE_STATIC);
	if (one_count(q->addr_rcpt, &out->addr_rcpt, &out->first) != 0 ||
	    one_count(q->addr_any, &out->addr_any, NULL) != 0 || one_count(q->domain_any, &out->domain_any, NULL) != 0)
		rc = fail(st, "history lookup");
	sqlite3_reset(q->addr_rcpt);
	sqlite3_reset(q->addr_any);
	sqlite3_reset(q->domain_any);
	sqlite3_clear_bindings(q->addr_rcpt);
	sqlite3_clear_bindings(q->addr_any);
	sqlite3_clear_bindings(q->domain_any);
	return rc;
}

static int sq_remember(pc_store *st, const char *sender, const char *domain, const char *const *rcpt, size_t n,
                       time_t when)
{
	sq *q = st->impl;
	if (strlen(sender) > MAX_ADDR || strlen(domain) > MAX_ADDR)
		return 0;
	if (sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(st, "history write");
	for (size_t i = 0; i < n; i++) {
		if (strlen(rcpt[i]) > MAX_ADDR)
			continue;
		sqlite3_bind_text(q->upsert, 1, sender, -1, SQLITE_STATIC);
		sqlite3_bind_text(q->upsert, 2, domain, -1, SQLITE_STATIC);
		sqlite3_bind_text(q->upsert, 3, rcpt[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(q->upsert, 4, (sqlite3_int64)when);
		int rc = sqlite3_step(q->upsert);
		sqlite3_reset(q->upsert);
		sqlite3_clear_bindings(q->upsert);
		if (rc != SQLITE_DONE) {
			fail(st, "history write");
			sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	if (sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fail(st, "history commit");
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static const pc_store_ops sq_ops = {"sqlite", sq_close, sq_contact, sq_remember};

pc_store *pc_store_sqlite_open(const char *path, char *err, size_t errlen)
{
	pc_store *st = calloc(1, sizeof *st);
	sq *q = calloc(1, sizeof *q);
	if (!st || !q) {
		free(st);
		free(q);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	st->ops = &sq_ops;
	st->impl = q;
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, q->db ? sqlite3_errmsg(q->db) : "cannot open");
		sq_close(st);
		return NULL;
	}
	sqlite3_busy_timeout(q->db, 5000);
	sqlite3_stmt *v = NULL;
	int version = -1;
	if (sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &v, NULL) == SQLITE_OK &&
	    sqlite3_step(v) == SQLITE_ROW)
		version = sqlite3_column_int(v, 0);
	sqlite3_finalize(v);
	if (version < 0) {
		snprintf(err, errlen, "%s: not a Portcullis store (%s)", path, sqlite3_errmsg(q->db));
		sq_close(st);
		return NULL;
	}
	if (version > SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: store schema %d is newer than this Portcullis (%d)", path, version,
		         SCHEMA_VERSION);
		sq_close(st);
		return NULL;
	}
	char *msg = NULL;
	if (sqlite3_exec(q->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(q->db, schema, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(q->db, "PRAGMA user_version=1", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(q->db));
		sqlite3_free(msg);
		sq_close(st);
		return NULL;
	}
	if (sqlite3_prepare_v2(q->db, "SELECT count, first_seen FROM contact WHERE sender = ?1 AND rcpt = ?2", -1,
	                       &q->addr_rcpt, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(q->db, "SELECT COALESCE(SUM(count), 0) FROM contact WHERE sender = ?1", -1, &q->addr_any,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(q->db, "SELECT COALESCE(SUM(count), 0) FROM contact WHERE domain = ?1", -1,
	                       &q->domain_any, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(q->db,
	                       "INSERT INTO contact (sender, domain, rcpt, first_seen, last_seen, count)"
	                       " VALUES (?1, ?2, ?3, ?4, ?4, 1) ON CONFLICT (sender, rcpt) DO UPDATE SET"
	                       " last_seen = MAX(last_seen, excluded.last_seen), count = count + 1,"
	                       " first_seen = MIN(first_seen, excluded.first_seen)",
	                       -1, &q->upsert, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(q->db));
		sq_close(st);
		return NULL;
	}
	return st;
}
