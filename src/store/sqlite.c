/*
 * NAME
 *   sqlite - the embedded store back end (SQLite, one file)
 * DESCRIPTION
 *   The schema is versioned (PRAGMA user_version) and upgraded in place by
 *   the migrations below, each in its own write transaction that re-reads
 *   the version first, so two processes opening an old store at once
 *   upgrade it once. A store newer than this program is refused.
 *     1: contact(sender, domain, rcpt, first_seen, last_seen, count): one
 *        row per (sender address, recipient), indexed by sender domain.
 *     2: campaign, campaign_band, member, campaign_value, audit
 *        (store/sqlite_campaign.c).
 *     3: audit gets the quarantine's columns (qid, reason, mail_from,
 *        sha256; source is the quarantine directory) and audit_rcpt the
 *        recipients of a release (store/sqlite_audit.c).
 *     4: copy_url (store/sqlite_copies.c). 5: custody, ioc_set
 *        (store/sqlite_custody.c).
 *     6: the console's tables: message (a narrow search row per custody
 *        record, kept by a trigger), console_user, qindex (the quarantine
 *        directories' index) (store/sqlite_console.c).
 *     7: member.dkey, the delivery key (campaign/cluster.c): a delivery
 *        scanned twice (the MTA retrying after a 451, under a new queue
 *        id) is one member.
 *     8: copy_url kept in (campaign, skel, seen, rcpt) order, unique by
 *        (campaign, skel, rcpt) through an index: a copy reads the most
 *        recent rows of its shape as one range instead of a lookup per
 *        row (store/sqlite_copies.c). The rows are copied over, once.
 *     9: copy_url kept in (campaign, skel, ord) order, ord numbering a
 *        shape's rows in the order they were stored: a copy's row goes at
 *        the end of its shape's range whatever its time, where by time
 *        a scan of mail out of date order wrote all over the table
 *        (store/sqlite_copies.c). The rows are copied over, once, and
 *        numbered in their time order.
 *   Held (pc_store_hold, a milter worker): a message's writes are one
 *   transaction committed by sq_sync before its answer, and SQLite's
 *   autocheckpoint hook is replaced by wal_frames_hook, so the WAL is
 *   checkpointed by sq_idle after the answer, not inside a commit.
 *   WAL journal, so a scan and a reader (hunt, dashboard) do not block
 *   each other; busy_timeout waits for another writer instead of failing.
 *   Statements are prepared once per connection, on first use. Strings
 *   longer than PC_SQLITE_MAX_TEXT bytes are cut (they come from mail), at a
 *   character boundary, and stored as valid UTF-8.
 */
#include <errno.h>
#include <glib.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/sqlite_impl.h"

#define SCHEMA_VERSION 9
#define MAX_ADDR 320
/* a checkpoint (two fsyncs) per 32 MB of WAL, not per 4 MB */
#define WAL_CHECKPOINT_FRAMES 8192
/* in batches (a bulk scan, nobody waiting for an answer) per 128 MB: a
 * page every message touches (an index's last leaf, a campaign's row) is
 * written to the database once per checkpoint, and 100,000 generated
 * messages took 87.4 s (72.8 s CPU) with 32 MB, 78.2 s (70.5 s) with 128.
 * Not in a milter worker: there it bought 3.5% of CPU (bench/worker.py,
 * real mail) and the message after a checkpoint waited twice as long
 * (longest answer 49-52 ms -> 106-118 ms) */
#define BATCH_CHECKPOINT_FRAMES 32768
#define STR(x) #x
#define XSTR(x) STR(x)

enum { S_ADDR_RCPT, S_ADDR_ANY, S_DOMAIN_ANY, S_UPSERT, S_SAVEPOINT, S_RELEASE, S_COUNT };

static const char *const sql[S_COUNT] = {
    [S_ADDR_RCPT] = "SELECT count, first_seen FROM contact WHERE sender = ?1 AND rcpt = ?2",
    /* bounded: first contact needs "never" or "some"; the counts are of at
     * most 10 (sender, recipient) rows, so a sender that wrote to 10,000
     * recipients is not summed row by row for every message */
    [S_ADDR_ANY] = "SELECT COALESCE(SUM(count), 0) FROM (SELECT count FROM contact WHERE sender = ?1 LIMIT 10)",
    [S_DOMAIN_ANY] = "SELECT COALESCE(SUM(count), 0) FROM (SELECT count FROM contact WHERE domain = ?1 LIMIT 10)",
    [S_UPSERT] = "INSERT INTO contact (sender, domain, rcpt, first_seen, last_seen, count)"
                 " VALUES (?1, ?2, ?3, ?4, ?4, 1) ON CONFLICT (sender, rcpt) DO UPDATE SET"
                 " last_seen = MAX(last_seen, excluded.last_seen), count = count + 1,"
                 " first_seen = MIN(first_seen, excluded.first_seen)",
    /* prepared once: a message opens and releases its savepoint twice */
    [S_SAVEPOINT] = "SAVEPOINT m",
    [S_RELEASE] = "RELEASE m",
};

/* migrations[v] takes a store from version v to v + 1 */
static const char *const migrations[SCHEMA_VERSION] = {
    "CREATE TABLE IF NOT EXISTS contact ("
    " sender TEXT NOT NULL, domain TEXT NOT NULL, rcpt TEXT NOT NULL,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    " count INTEGER NOT NULL, PRIMARY KEY (sender, rcpt)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS contact_domain ON contact (domain);",

    "CREATE TABLE campaign ("
    " id INTEGER PRIMARY KEY, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    " size INTEGER NOT NULL DEFAULT 0, recipients INTEGER NOT NULL DEFAULT 0,"
    " tokened INTEGER NOT NULL DEFAULT 0, tokens INTEGER NOT NULL DEFAULT 0,"
    " senders INTEGER NOT NULL DEFAULT 0, first_contact INTEGER NOT NULL DEFAULT 0,"
    " nbands INTEGER NOT NULL DEFAULT 0, verdict INTEGER NOT NULL DEFAULT 0,"
    " status INTEGER NOT NULL DEFAULT 0, analyst INTEGER NOT NULL DEFAULT 0, why TEXT NOT NULL DEFAULT '',"
    " subject TEXT NOT NULL DEFAULT '', sig BLOB NOT NULL);"
    "CREATE INDEX campaign_last ON campaign (last_seen);"
    "CREATE INDEX campaign_size ON campaign (size);"
    "CREATE TABLE campaign_band (band INTEGER NOT NULL, campaign INTEGER NOT NULL,"
    " PRIMARY KEY (band, campaign)) WITHOUT ROWID;"
    "CREATE TABLE member ("
    " id INTEGER PRIMARY KEY, campaign INTEGER NOT NULL, source TEXT NOT NULL, message_id TEXT NOT NULL,"
    " sender TEXT NOT NULL, subject TEXT NOT NULL, rcpt TEXT NOT NULL, token TEXT NOT NULL,"
    " rule TEXT NOT NULL, seen INTEGER NOT NULL, verdict INTEGER NOT NULL, first_contact INTEGER NOT NULL,"
    " own_verdict INTEGER NOT NULL, own_rule TEXT NOT NULL, established INTEGER NOT NULL,"
    " UNIQUE (source, message_id));"
    "CREATE INDEX member_campaign ON member (campaign, seen);"
    "CREATE TABLE campaign_value (campaign INTEGER NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,"
    " count INTEGER NOT NULL, PRIMARY KEY (campaign, kind, value)) WITHOUT ROWID;"
    "CREATE TABLE audit (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,"
    " action TEXT NOT NULL, campaign INTEGER NOT NULL, source TEXT NOT NULL, detail TEXT NOT NULL);"
    "CREATE INDEX audit_campaign ON audit (campaign, id);",

    "ALTER TABLE audit ADD COLUMN qid TEXT;"
    "ALTER TABLE audit ADD COLUMN reason TEXT;"
    "ALTER TABLE audit ADD COLUMN mail_from TEXT;"
    "ALTER TABLE audit ADD COLUMN sha256 TEXT;"
    "CREATE INDEX audit_quarantine ON audit (source, id) WHERE qid IS NOT NULL;"
    "CREATE TABLE audit_rcpt (audit INTEGER NOT NULL, n INTEGER NOT NULL, rcpt TEXT NOT NULL,"
    " PRIMARY KEY (audit, n)) WITHOUT ROWID;",

    /* store/sqlite_copies.c: one row per URL shape, campaign and
     * recipient set */
    "CREATE TABLE copy_url (campaign INTEGER NOT NULL, skel INTEGER NOT NULL, rcpt INTEGER NOT NULL,"
    " seen INTEGER NOT NULL, vals BLOB NOT NULL, source TEXT NOT NULL, message_id TEXT NOT NULL,"
    " PRIMARY KEY (campaign, skel, rcpt)) WITHOUT ROWID;"
    "CREATE INDEX copy_url_seen ON copy_url (campaign, skel, seen);",

    /* store/sqlite_custody.c: custody records (the original last: rows
     * are read without touching its overflow pages) and indicator sets */
    "CREATE TABLE custody (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, campaign INTEGER NOT NULL,"
    " source TEXT NOT NULL, message_id TEXT NOT NULL, arrived INTEGER NOT NULL, record TEXT NOT NULL,"
    " original BLOB, UNIQUE (source, message_id, sha256));"
    "CREATE INDEX custody_sha ON custody (sha256);"
    "CREATE INDEX custody_campaign ON custody (campaign, arrived);"
    "CREATE INDEX custody_kept ON custody (arrived) WHERE original IS NOT NULL;"
    "CREATE TABLE ioc_set (name TEXT PRIMARY KEY, added INTEGER NOT NULL, actor TEXT NOT NULL,"
    " count INTEGER NOT NULL, body BLOB NOT NULL);",

    /* store/sqlite_console.c: what the console (web/) searches and shows */
    PC_SQLITE_CONSOLE_SCHEMA,

    "ALTER TABLE member ADD COLUMN dkey TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX member_dkey ON member (dkey) WHERE dkey <> '';",

    "CREATE TABLE copy_url_8 (campaign INTEGER NOT NULL, skel INTEGER NOT NULL, seen INTEGER NOT NULL,"
    " rcpt INTEGER NOT NULL, vals BLOB NOT NULL, source TEXT NOT NULL, message_id TEXT NOT NULL,"
    " PRIMARY KEY (campaign, skel, seen, rcpt)) WITHOUT ROWID;"
    "INSERT INTO copy_url_8 (campaign, skel, seen, rcpt, vals, source, message_id)"
    " SELECT campaign, skel, seen, rcpt, vals, source, message_id FROM copy_url;"
    "DROP TABLE copy_url;"
    "ALTER TABLE copy_url_8 RENAME TO copy_url;"
    "CREATE UNIQUE INDEX copy_url_rcpt ON copy_url (campaign, skel, rcpt);",

    /* the rows of a shape numbered in the order they were stored (ord),
     * the old ones in their time order */
    "CREATE TABLE copy_url_9 (campaign INTEGER NOT NULL, skel INTEGER NOT NULL, ord INTEGER NOT NULL,"
    " rcpt INTEGER NOT NULL, seen INTEGER NOT NULL, vals BLOB NOT NULL, source TEXT NOT NULL,"
    " message_id TEXT NOT NULL, PRIMARY KEY (campaign, skel, ord)) WITHOUT ROWID;"
    "INSERT INTO copy_url_9 (campaign, skel, ord, rcpt, seen, vals, source, message_id)"
    " SELECT campaign, skel, row_number() OVER (PARTITION BY campaign, skel ORDER BY seen, rcpt),"
    " rcpt, seen, vals, source, message_id FROM copy_url;"
    "DROP TABLE copy_url;"
    "ALTER TABLE copy_url_9 RENAME TO copy_url;"
    "CREATE UNIQUE INDEX copy_url_rcpt ON copy_url (campaign, skel, rcpt);",
};

typedef struct sq {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	bool in_tx;      /* a message's savepoint is open */
	int wal_frames;  /* frames in the WAL after the last commit (pc_store_hold: wal_frames_hook) */
	bool batch_open; /* the outer write transaction is open */
	bool held;       /* pc_store_hold: batch_max and the WAL hook are its */
	size_t batch_max, batch_n;
	long batch_ms;
	struct timespec batch_start;
	size_t lost;                          /* messages whose records a failed batch commit lost */
	char lost_why[160];                   /* SQLite's reason, kept from before the ROLLBACK */
	sqlite3_stmt *extra[PC_SQLITE_EXTRA]; /* the other files' statements (sqlite_impl.h) */
} sq;

static int fail(pc_store *st, const char *what);

sqlite3_stmt *pc_sqlite_prepared(pc_store *st, int slot, const char *text)
{
	sq *q = st->impl;
	if (slot < 0 || slot >= PC_SQLITE_EXTRA) {
		snprintf(st->error, sizeof st->error, "no statement slot %d", slot);
		return NULL;
	}
	sqlite3_stmt **s = &q->extra[slot];
	if (!*s && sqlite3_prepare_v3(q->db, text, -1, SQLITE_PREPARE_PERSISTENT, s, NULL) != SQLITE_OK) {
		fail(st, "prepare");
		*s = NULL;
		return NULL;
	}
	sqlite3_reset(*s);
	sqlite3_clear_bindings(*s);
	return *s;
}

int pc_sqlite_fail(pc_store *st, const char *what)
{
	return fail(st, what);
}

sqlite3 *pc_sqlite_db(pc_store *st, bool *in_tx)
{
	sq *q = st->impl;
	*in_tx = q->in_tx || q->batch_open;
	return q->db;
}

/* Whether SQLite rolled the open batch back itself after an error (full
 * disk, I/O): then its records are lost (counted for pc_store_flush) and
 * the batch is closed, so that the next message opens a new one instead
 * of running a savepoint as a transaction of its own. */
static bool batch_gone(sq *q)
{
	if (!q->batch_open || !sqlite3_get_autocommit(q->db))
		return false;
	snprintf(q->lost_why, sizeof q->lost_why, "the transaction was rolled back after an error");
	q->lost += q->batch_n;
	q->batch_open = false;
	return true;
}

/* Commits the open batch. When that fails the batch's records are gone:
 * the count and reason stay (sticky) for pc_store_flush to report, so a
 * scan does not end as if they had been stored. */
static int flush(sq *q)
{
	if (batch_gone(q))
		return -1;
	if (!q->batch_open)
		return 0;
	q->batch_open = false;
	if (sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	snprintf(q->lost_why, sizeof q->lost_why, "%s", sqlite3_errmsg(q->db));
	q->lost += q->batch_n;
	sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int lost_error(pc_store *st)
{
	sq *q = st->impl;
	snprintf(st->error, sizeof st->error, "commit failed (%.150s): the records of %zu messages were not stored",
	         q->lost_why, q->lost);
	return -1;
}

static void sq_close(pc_store *st)
{
	sq *q = st->impl;
	if (q) {
		for (size_t i = 0; i < S_COUNT; i++)
			sqlite3_finalize(q->st[i]);
		for (size_t i = 0; i < PC_SQLITE_EXTRA; i++)
			sqlite3_finalize(q->extra[i]);
		if (q->in_tx) /* an unfinished message's work goes; the batch stays */
			sqlite3_exec(q->db, "ROLLBACK TO m; RELEASE m", NULL, NULL, NULL);
		flush(q);
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

/* The prepared statement `i`, reset and unbound; NULL (and the error
 * kept) when it cannot be prepared. */
static sqlite3_stmt *stmt(pc_store *st, int i)
{
	sq *q = st->impl;
	if (!q->st[i] &&
	    sqlite3_prepare_v3(q->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &q->st[i], NULL) != SQLITE_OK) {
		fail(st, "prepare");
		q->st[i] = NULL;
		return NULL;
	}
	sqlite3_reset(q->st[i]);
	sqlite3_clear_bindings(q->st[i]);
	return q->st[i];
}

void pc_sqlite_text(sqlite3_stmt *s, int i, const char *v, size_t max)
{
	if (!v)
		v = "";
	size_t n = strlen(v);
	if (n > max) { /* cut at a UTF-8 boundary */
		n = max;
		while (n && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--;
	}
	/* text is stored as valid UTF-8 (a caller's cut may fall inside a
	 * character; mail may hold any bytes): invalid bytes as U+FFFD */
	const char *end;
	if (!g_utf8_validate(v, (gssize)n, &end)) {
		/* a character cut at the end by the caller goes whole */
		if (g_utf8_get_char_validated(end, (gssize)(v + n - end)) == (gunichar)-2) {
			n = (size_t)(end - v);
			if (g_utf8_validate(v, (gssize)n, NULL)) {
				sqlite3_bind_text(s, i, v, (int)n, SQLITE_TRANSIENT);
				return;
			}
		}
		char *valid = g_utf8_make_valid(v, (gssize)n);
		sqlite3_bind_text(s, i, valid, -1, g_free);
		return;
	}
	sqlite3_bind_text(s, i, v, (int)n, SQLITE_TRANSIENT);
}

static void text(sqlite3_stmt *s, int i, const char *v)
{
	pc_sqlite_text(s, i, v, PC_SQLITE_MAX_TEXT);
}

int pc_sqlite_run(pc_store *st, sqlite3_stmt *s, const char *what)
{
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	int ret = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(st, what);
	sqlite3_reset(s);
	return ret;
}

const char *pc_sqlite_col(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);
	return v ? v : "";
}

/* ---- history (schema 1) ---- */

/* Steps a one-row count query: 0 (with *n, *first) or -1 on error. */
static int one_count(sqlite3_stmt *s, long *n, time_t *first)
{
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*n = (long)sqlite3_column_int64(s, 0);
		if (first)
			*first = (time_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int sq_contact(pc_store *st, const char *sender, const char *domain, const char *rcpt, pc_contact *out)
{
	sqlite3_stmt *a = stmt(st, S_ADDR_RCPT);
	if (a) {
		text(a, 1, sender);
		text(a, 2, rcpt);
	}
	if (one_count(a, &out->addr_rcpt, &out->first) != 0)
		return fail(st, "history lookup");
	sqlite3_stmt *b = stmt(st, S_ADDR_ANY);
	if (b)
		text(b, 1, sender);
	if (one_count(b, &out->addr_any, NULL) != 0)
		return fail(st, "history lookup");
	sqlite3_stmt *c = stmt(st, S_DOMAIN_ANY);
	if (c)
		text(c, 1, domain);
	if (one_count(c, &out->domain_any, NULL) != 0)
		return fail(st, "history lookup");
	return 0;
}

/* A message's work is a savepoint inside a write transaction that, when
 * batching is on (pc_store_batch), spans several messages: one commit per
 * batch instead of one per message. */
static int sq_begin(pc_store *st)
{
	sq *q = st->impl;
	if (q->in_tx) {
		snprintf(st->error, sizeof st->error, "transaction already open");
		return -1;
	}
	batch_gone(q);
	if (!q->batch_open) {
		if (sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			return fail(st, "begin");
		q->batch_open = true;
		q->batch_n = 0;
		clock_gettime(CLOCK_MONOTONIC, &q->batch_start);
	}
	sqlite3_stmt *sp = stmt(st, S_SAVEPOINT);
	int src = sp ? sqlite3_step(sp) : SQLITE_ERROR;
	if (sp)
		sqlite3_reset(sp);
	if (src != SQLITE_DONE) {
		fail(st, "begin");
		flush(q);
		return -1;
	}
	q->in_tx = true;
	return 0;
}

static int sq_commit(pc_store *st)
{
	sq *q = st->impl;
	if (!q->in_tx)
		return 0;
	q->in_tx = false;
	sqlite3_stmt *rel = stmt(st, S_RELEASE);
	int rrc = rel ? sqlite3_step(rel) : SQLITE_ERROR;
	if (rel)
		sqlite3_reset(rel);
	if (rrc != SQLITE_DONE) {
		fail(st, "commit");
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		q->batch_open = false;
		return -1;
	}
	q->batch_n++;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (long)(now.tv_sec - q->batch_start.tv_sec) * 1000 + (now.tv_nsec - q->batch_start.tv_nsec) / 1000000;
	if (q->batch_n >= q->batch_max || ms >= q->batch_ms) {
		if (flush(q) != 0)
			return lost_error(st);
	}
	return 0;
}

static void sq_rollback(pc_store *st)
{
	sq *q = st->impl;
	if (q->in_tx)
		sqlite3_exec(q->db, "ROLLBACK TO m; RELEASE m", NULL, NULL, NULL);
	q->in_tx = false;
	if (q->batch_open && q->batch_n == 0) /* nothing else in it */
		flush(q);
}

static int sq_flush(pc_store *st)
{
	sq *q = st->impl;
	if (q->in_tx)
		return 0;
	if (flush(q) != 0 || q->lost)
		return lost_error(st);
	return 0;
}

static void sq_batch(pc_store *st, size_t max_messages, long max_ms)
{
	sq *q = st->impl;
	if (q->held) /* its own batch and WAL hook stay (store.h) */
		return;
	q->batch_max = max_messages ? max_messages : 1;
	q->batch_ms = max_ms > 0 ? max_ms : 0;
	sqlite3_wal_autocheckpoint(q->db, q->batch_max > 1 ? BATCH_CHECKPOINT_FRAMES : WAL_CHECKPOINT_FRAMES);
}

/* The WAL's size after each commit, for sq_idle: replaces SQLite's own
 * hook, which checkpointed inside the commit. */
static int wal_frames_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	((sq *)ctx)->wal_frames = frames;
	return SQLITE_OK;
}

static void sq_hold(pc_store *st)
{
	sq *q = st->impl;
	q->held = true;
	q->batch_max = SIZE_MAX;
	q->batch_ms = LONG_MAX;
	sqlite3_wal_hook(q->db, wal_frames_hook, q);
}

static int sq_sync(pc_store *st)
{
	sq *q = st->impl;
	bool open = q->in_tx;
	if (open) { /* a caller's slip: its unfinished work goes, the rest is committed */
		sqlite3_exec(q->db, "ROLLBACK TO m; RELEASE m", NULL, NULL, NULL);
		q->in_tx = false;
	}
	size_t lost = q->lost;
	int rc = flush(q);
	q->lost = lost; /* reported here, to this message's answer, not again by pc_store_flush */
	if (open)
		snprintf(st->error, sizeof st->error, "a message's transaction was still open: rolled back");
	else if (rc != 0)
		snprintf(st->error, sizeof st->error, "commit failed (%.150s): the message's records were not stored",
		         q->lost_why);
	return open || rc != 0 ? -1 : 0;
}

static bool sq_idle_due(pc_store *st)
{
	sq *q = st->impl;
	return !q->in_tx && !q->batch_open && q->wal_frames >= WAL_CHECKPOINT_FRAMES;
}

static void sq_idle(pc_store *st)
{
	sq *q = st->impl;
	if (!sq_idle_due(st))
		return;
	q->wal_frames = 0;
	/* PASSIVE, as SQLite's own: it neither waits for nor blocks readers
	 * and writers; what it could not copy waits for the next one */
	sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

static int sq_remember(pc_store *st, const char *sender, const char *domain, const char *const *rcpt, size_t n,
                       time_t when)
{
	sq *q = st->impl;
	if (strlen(sender) > MAX_ADDR || strlen(domain) > MAX_ADDR)
		return 0;
	bool own = !q->in_tx;
	if (own && sq_begin(st) != 0)
		return fail(st, "history write");
	for (size_t i = 0; i < n; i++) {
		if (strlen(rcpt[i]) > MAX_ADDR)
			continue;
		sqlite3_stmt *s = stmt(st, S_UPSERT);
		if (s) {
			text(s, 1, sender);
			text(s, 2, domain);
			text(s, 3, rcpt[i]);
			sqlite3_bind_int64(s, 4, (sqlite3_int64)when);
		}
		if (pc_sqlite_run(st, s, "history write") != 0) {
			if (own)
				sq_rollback(st);
			return -1;
		}
	}
	return own ? sq_commit(st) : 0;
}

static const pc_store_ops sq_ops = {
    .name = "sqlite",
    .close = sq_close,
    .contact = sq_contact,
    .remember = sq_remember,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .flush = sq_flush,
    .batch = sq_batch,
    .hold = sq_hold,
    .sync = sq_sync,
    .idle_due = sq_idle_due,
    .idle = sq_idle,
    .candidates = pc_sqlite_candidates,
    .get = pc_sqlite_campaign_get,
    .infra = pc_sqlite_infra,
    .member_find = pc_sqlite_member_find,
    .campaign_new = pc_sqlite_campaign_new,
    .campaign_add = pc_sqlite_campaign_add,
    .member_verdict = pc_sqlite_member_verdict,
    .mark = pc_sqlite_mark,
    .list = pc_sqlite_campaign_list,
    .values = pc_sqlite_values,
    .members = pc_sqlite_members,
    .audit = pc_sqlite_audit,
    .audit_list = pc_sqlite_audit_list,
    .audit_q = pc_sqlite_audit_quarantine,
    .audit_q_list = pc_sqlite_audit_quarantine_list,
    .copies_get = pc_sqlite_copies_get,
    .copies_add = pc_sqlite_copies_add,
    .copies_found = pc_sqlite_copies_found,
    .custody_put = pc_sqlite_custody_put,
    .custody_list = pc_sqlite_custody_list,
    .custody_prune = pc_sqlite_custody_prune,
    .ioc_put = pc_sqlite_ioc_put,
    .ioc_list = pc_sqlite_ioc_list,
    .ioc_remove = pc_sqlite_ioc_remove,
    .user_put = pc_sqlite_user_put,
    .user_get = pc_sqlite_user_get,
    .user_list = pc_sqlite_user_list,
    .user_remove = pc_sqlite_user_remove,
    .qindex_put = pc_sqlite_qindex_put,
    .qindex_remove = pc_sqlite_qindex_remove,
    .qindex_list = pc_sqlite_qindex_list,
    .qindex_search = pc_sqlite_qindex_search,
    .message_search = pc_sqlite_message_search,
    .verdict_series = pc_sqlite_verdict_series,
    .top = pc_sqlite_top,
};

static int user_version(sqlite3 *db)
{
	sqlite3_stmt *v = NULL;
	int version = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &v, NULL) == SQLITE_OK && sqlite3_step(v) == SQLITE_ROW)
		version = sqlite3_column_int(v, 0);
	sqlite3_finalize(v);
	return version;
}

/* Brings the schema to SCHEMA_VERSION, one migration per transaction:
 * 0, or -1 with err; 1 with err when a migration failed on a file
 * (I/O, cannot open, full), which may be a temporary file's. */
static int migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	/* up to date: no write lock needed (a store another process holds
	 * locked still opens, and its messages meet the lock one by one) */
	if (user_version(db) == SCHEMA_VERSION)
		return 0;
	for (;;) {
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
			return -1;
		}
		int v = user_version(db);
		if (v < 0 || v > SCHEMA_VERSION) {
			if (v < 0)
				snprintf(err, errlen, "%s: not a Portcullis store (%s)", path, sqlite3_errmsg(db));
			else
				snprintf(err, errlen, "%s: store schema %d is newer than this Portcullis (%d)", path, v,
				         SCHEMA_VERSION);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (v == SCHEMA_VERSION) {
			if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
				return 0;
			snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		char *msg = NULL;
		char set[64];
		snprintf(set, sizeof set, "PRAGMA user_version=%d", v + 1);
		if (sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, set, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			int code = sqlite3_errcode(db) & 0xff;
			snprintf(err, errlen, "%s: upgrading the store to schema %d: %s", path, v + 1,
			         msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return code == SQLITE_IOERR || code == SQLITE_CANTOPEN || code == SQLITE_FULL ? 1 : -1;
		}
	}
}

/* The store holds the sender, subject and recipients of every scanned
 * message: only its owner may read it, as the quarantine. SQLite creates
 * the -wal, -shm and -journal files with the mode of the database file
 * (and would create that 0644 less the umask), so a new store is created
 * here first, 0600, with O_EXCL. An existing store keeps its mode (the
 * administrator may share it with a group on purpose); one that every
 * user can read is said on stderr. URIs and in-memory names are SQLite's. */
static void create_private(const char *path)
{
	if (!strcmp(path, ":memory:") || !strncmp(path, "file:", 5))
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		close(fd);
		return;
	}
	struct stat sb;
	if (errno == EEXIST && stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & S_IROTH))
		fprintf(stderr,
		        "portcullis: warning: %s is readable by every user (mode %03o) but holds the senders, subjects"
		        " and recipients of scanned mail: chmod 600 %s (and its -wal and -shm files)\n",
		        path, (unsigned)(sb.st_mode & 0777), path);
	/* other errors (no such directory, no permission): SQLite says them */
}

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
	create_private(path);
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, q->db ? sqlite3_errmsg(q->db) : "cannot open");
		sq_close(st);
		return NULL;
	}
	sqlite3_busy_timeout(q->db, 5000);
	q->batch_max = 1;
	if (user_version(q->db) < 0) {
		snprintf(err, errlen, "%s: not a Portcullis store (%s)", path, sqlite3_errmsg(q->db));
		sq_close(st);
		return NULL;
	}
	char *msg = NULL;
	/* Switching a new file to WAL needs it unlocked for a moment, and
	 * SQLite does not wait for that through the busy handler: two
	 * processes creating one store at once retry here. */
	int rc = SQLITE_BUSY;
	for (int i = 0; i < 100 && (rc == SQLITE_BUSY || rc == SQLITE_LOCKED); i++) {
		if (i) {
			struct timespec ts = {0, 50 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		sqlite3_free(msg);
		msg = NULL;
		rc = sqlite3_exec(q->db, "PRAGMA journal_mode=WAL", NULL, NULL, &msg);
	}
	if (rc != SQLITE_OK || sqlite3_exec(q->db,
	                                    /* a 64 MB page cache; a checkpoint (two fsyncs) per
	                                     * 32 MB of WAL, not per 4 MB */
	                                    "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF; PRAGMA "
	                                    "cache_size=-65536; PRAGMA "
	                                    "wal_autocheckpoint=" XSTR(WAL_CHECKPOINT_FRAMES) ";",
	                                    NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(q->db));
		sqlite3_free(msg);
		sq_close(st);
		return NULL;
	}
	/* An upgrade that copies a table journals the old one's pages while it
	 * drops it, and sorts: in temporary files beyond the page cache's size
	 * (the 357,000 copy_url rows of 100,000 messages: 127 MB RSS, 272 MB
	 * with all of it in memory, growing with the store). When one fails
	 * on a file (no temporary file can be made: a read-only /tmp,
	 * /var/tmp and working directory; or that disk is full) the upgrade
	 * is tried again in memory, as before: each migration is one
	 * transaction, rolled back when it fails, and both errors are told
	 * if it fails again. After the upgrade the savepoint journal is kept
	 * in memory. */
	int mrc = migrate(q->db, path, err, errlen);
	if (mrc == 1 && sqlite3_exec(q->db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL) == SQLITE_OK) {
		char first[256];
		snprintf(first, sizeof first, "%s", err);
		if ((mrc = migrate(q->db, path, err, errlen)) != 0) {
			size_t k = strlen(err);
			snprintf(err + k, errlen - k, "; with temporary files: %s", first);
		}
	}
	if (mrc != 0 || sqlite3_exec(q->db, "PRAGMA temp_store=MEMORY", NULL, NULL, &msg) != SQLITE_OK) {
		if (msg)
			snprintf(err, errlen, "%s: %s", path, msg);
		sqlite3_free(msg);
		sq_close(st);
		return NULL;
	}
	return st;
}
