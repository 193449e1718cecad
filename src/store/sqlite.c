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
 *     2: campaign (counters, verdict, status, the first member's MinHash
 *        signature), campaign_band (LSH band key -> campaign, at most
 *        MAX_BANDS keys per campaign), member (one row per message, unique
 *        by source and Message-ID), campaign_value (recipients, senders,
 *        tracker hosts, URL templates, infrastructure and tokens of a
 *        campaign with member counts), audit (who did what, when).
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
 *   Held (pc_store_hold, a milter worker): a message's writes are one
 *   transaction committed by sq_sync before its answer, and SQLite's
 *   autocheckpoint hook is replaced by wal_frames_hook, so the WAL is
 *   checkpointed by sq_idle after the answer, not inside a commit.
 *   WAL journal, so a scan and a reader (hunt, dashboard) do not block
 *   each other; busy_timeout waits for another writer instead of failing.
 *   Statements are prepared once per connection, on first use. Strings
 *   longer than MAX_TEXT bytes are cut (they come from mail), at a
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

#define SCHEMA_VERSION 7
#define MAX_ADDR 320
#define MAX_TEXT 1000
/* a checkpoint (two fsyncs) per 32 MB of WAL, not per 4 MB */
#define WAL_CHECKPOINT_FRAMES 8192
#define STR(x) #x
#define XSTR(x) STR(x)
#define MAX_BANDS 256         /* band keys kept per campaign: enough for its variants, bounded */
#define MAX_BAND_CAMPAIGNS 32 /* campaigns one band key indexes */

enum {
	S_ADDR_RCPT,
	S_ADDR_ANY,
	S_DOMAIN_ANY,
	S_UPSERT,
	S_CANDIDATES,
	S_CAMPAIGN_GET,
	S_INFRA,
	S_MEMBER_FIND_BOTH,
	S_CAMPAIGN_NEW,
	S_MEMBER_ADD,
	S_BAND_ADD,
	S_VALUE_NEW,
	S_CAMPAIGN_UPDATE,
	S_MEMBER_VERDICT,
	S_CAMPAIGN_VERDICT,
	S_MARK,
	S_MARK_MEMBERS,
	S_LIST,
	S_VALUES,
	S_MEMBERS,
	S_AUDIT,
	S_AUDIT_LIST,
	S_AUDIT_LIST_ALL,
	S_SAVEPOINT,
	S_RELEASE,
	S_COUNT
};

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
    /* at most 16 x MAX_BAND_CAMPAIGNS rows, counted in C (sq_candidates) */
    [S_CANDIDATES] = "SELECT campaign FROM campaign_band"
                     " WHERE band IN (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
    [S_CAMPAIGN_GET] = "SELECT id, size, recipients, tokened, tokens, senders, first_contact, first_seen,"
                       " last_seen, verdict, status, why, subject, sig, analyst FROM campaign WHERE id = ?1",
    [S_INFRA] = "SELECT 1 FROM campaign_value WHERE campaign = ?1 AND kind = 'infra' AND value = ?2",
    /* the same delivery scanned again (the MTA retrying after a 451 gives
     * it a new queue id, so a new source): found by its delivery key */
    [S_MEMBER_FIND_BOTH] = "SELECT campaign FROM member WHERE source = ?1 AND message_id = ?2"
                           " UNION ALL SELECT campaign FROM member WHERE dkey = ?3 AND dkey <> '' LIMIT 1",
    [S_CAMPAIGN_NEW] = "INSERT INTO campaign (first_seen, last_seen, subject, sig) VALUES (?1, ?1, ?2, ?3)",
    [S_MEMBER_ADD] = "INSERT INTO member (campaign, source, message_id, sender, subject, rcpt, token, rule, seen,"
                     " verdict, first_contact, own_verdict, own_rule, established, dkey)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10, ?8, ?12, ?13)",
    /* a band key already shared by MAX_BAND_CAMPAIGNS campaigns is boilerplate
     * (a common footer, an ESP's layout): it indexes no more, so no lookup
     * ever reads more than 16 x MAX_BAND_CAMPAIGNS rows */
    /* one statement for a member's 16 keys; "fewer than ?18 campaigns"
     * is "no ?18th row", read by the (band, campaign) key without the
     * temporary table a COUNT over a LIMIT subquery builds (that form
     * cost 28,000 instructions a key, this one a fifth of it) */
    [S_BAND_ADD] = "WITH k(band) AS (VALUES (?1),(?2),(?3),(?4),(?5),(?6),(?7),(?8),(?9),(?10),(?11),(?12),(?13),"
                   "(?14),(?15),(?16)) INSERT OR IGNORE INTO campaign_band (band, campaign) SELECT band, ?17 FROM k"
                   " WHERE (SELECT 1 FROM campaign_band b WHERE b.band = k.band LIMIT 1 OFFSET ?18 - 1) IS NULL",
    [S_VALUE_NEW] = "INSERT INTO campaign_value (campaign, kind, value, count) VALUES (?1, ?2, ?3, 1)"
                    " ON CONFLICT (campaign, kind, value) DO UPDATE SET count = count + 1 RETURNING count",
    [S_CAMPAIGN_UPDATE] = "UPDATE campaign SET size = size + 1, recipients = recipients + ?2,"
                          " tokened = tokened + ?3, tokens = tokens + ?4, senders = senders + ?5,"
                          " first_contact = first_contact + ?6, nbands = nbands + ?7,"
                          " first_seen = MIN(first_seen, ?8), last_seen = MAX(last_seen, ?8) WHERE id = ?1",
    /* by the unique (source, message_id) index: a campaign of 10,000
     * members is not scanned for each new one */
    [S_MEMBER_VERDICT] = "UPDATE member INDEXED BY sqlite_autoindex_member_1 SET verdict = ?4, rule = ?5,"
                         " own_verdict = ?6, own_rule = ?7 WHERE source = ?2 AND message_id = ?3 AND campaign = ?1",
    [S_CAMPAIGN_VERDICT] = "UPDATE campaign SET verdict = MAX(verdict, ?2) WHERE id = ?1",
    /* malicious: every member at least quarantine (an automatic mark spares
     * the established senders' members, see cluster.c); benign or open:
     * every member back to its own verdict */
    [S_MARK_MEMBERS] = "UPDATE member SET verdict = CASE WHEN ?2 = 1 AND (?3 OR NOT established)"
                       " THEN MAX(own_verdict, ?4) ELSE own_verdict END,"
                       " rule = CASE WHEN ?2 = 1 AND (?3 OR NOT established) AND own_verdict < ?4 THEN 'campaign'"
                       " ELSE own_rule END WHERE campaign = ?1",
    [S_MARK] = "UPDATE campaign SET status = ?2, why = ?3, analyst = ?4,"
               " verdict = (SELECT COALESCE(MAX(verdict), 0) FROM member WHERE campaign = ?1) WHERE id = ?1",
    [S_LIST] = "SELECT id, size, recipients, tokened, tokens, senders, first_contact, first_seen, last_seen,"
               " verdict, status, why, subject, sig, analyst FROM campaign WHERE size >= ?1"
               " ORDER BY last_seen DESC, id DESC",
    [S_VALUES] = "SELECT value, count FROM campaign_value WHERE campaign = ?1 AND kind = ?2"
                 " ORDER BY count DESC, value LIMIT ?3",
    [S_MEMBERS] = "SELECT source, message_id, sender, subject, rcpt, rule, token, seen, verdict FROM member"
                  " WHERE campaign = ?1 ORDER BY seen, id",
    [S_AUDIT] = "INSERT INTO audit (at, actor, action, campaign, source, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_AUDIT_LIST] = "SELECT id, at, actor, action, campaign, source, detail FROM audit WHERE campaign = ?1"
                     " ORDER BY id",
    /* prepared once: a message opens and releases its savepoint twice */
    [S_SAVEPOINT] = "SAVEPOINT m",
    [S_RELEASE] = "RELEASE m",
    [S_AUDIT_LIST_ALL] = "SELECT id, at, actor, action, campaign, source, detail FROM audit ORDER BY id",
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
};

typedef struct sq {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	bool in_tx;      /* a message's savepoint is open */
	int wal_frames;  /* frames in the WAL after the last commit (pc_store_hold: wal_frames_hook) */
	bool batch_open; /* the outer write transaction is open */
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
	pc_sqlite_text(s, i, v, MAX_TEXT);
}

/* Steps a statement that returns no rows: 0 or -1 with the error kept. */
static int run(pc_store *st, sqlite3_stmt *s, const char *what)
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
	q->batch_max = max_messages ? max_messages : 1;
	q->batch_ms = max_ms > 0 ? max_ms : 0;
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
		if (run(st, s, "history write") != 0) {
			if (own)
				sq_rollback(st);
			return -1;
		}
	}
	return own ? sq_commit(st) : 0;
}

/* ---- campaigns (schema 2) ---- */

/* The campaigns sharing the most band keys with the message (ties: the
 * newer first). The time window is the caller's to check on the
 * campaign it reads anyway. Bounded: at most PC_STORE_BANDS x
 * MAX_BAND_CAMPAIGNS rows, counted in a small open-addressing table. */
#define CAND_SLOTS 1024
static int sq_candidates(pc_store *st, const uint64_t *bands, size_t nbands, long long *ids, size_t max, size_t *n)
{
	*n = 0;
	sqlite3_stmt *s = stmt(st, S_CANDIDATES);
	if (!s)
		return -1;
	for (int i = 0; i < PC_STORE_BANDS; i++) /* fewer keys repeat the first */
		sqlite3_bind_int64(s, i + 1, (sqlite3_int64)bands[(size_t)i < nbands ? (size_t)i : 0]);
	static long long key[CAND_SLOTS];
	static unsigned count[CAND_SLOTS];
	memset(count, 0, sizeof count);
	size_t used = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && used < CAND_SLOTS / 2) {
		long long id = sqlite3_column_int64(s, 0);
		size_t h = (size_t)((unsigned long long)id * 0x9e3779b97f4a7c15ULL >> 54) & (CAND_SLOTS - 1);
		while (count[h] && key[h] != id)
			h = (h + 1) & (CAND_SLOTS - 1);
		if (!count[h]) {
			key[h] = id;
			used++;
		}
		count[h]++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return fail(st, "campaign lookup");
	/* the top `max` by count, then id */
	while (*n < max) {
		size_t best = CAND_SLOTS;
		for (size_t i = 0; i < CAND_SLOTS; i++)
			if (count[i] && (best == CAND_SLOTS || count[i] > count[best] ||
			                 (count[i] == count[best] && key[i] > key[best])))
				best = i;
		if (best == CAND_SLOTS)
			break;
		ids[(*n)++] = key[best];
		count[best] = 0;
	}
	return 0;
}

static void read_rec(sqlite3_stmt *s, pc_campaign_rec *r)
{
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(s, 0);
	r->size = (long)sqlite3_column_int64(s, 1);
	r->recipients = (long)sqlite3_column_int64(s, 2);
	r->tokened = (long)sqlite3_column_int64(s, 3);
	r->tokens = (long)sqlite3_column_int64(s, 4);
	r->senders = (long)sqlite3_column_int64(s, 5);
	r->first_contact = (long)sqlite3_column_int64(s, 6);
	r->first_seen = (time_t)sqlite3_column_int64(s, 7);
	r->last_seen = (time_t)sqlite3_column_int64(s, 8);
	int v = sqlite3_column_int(s, 9);
	r->verdict = v >= PC_ACTION_ACCEPT && v <= PC_ACTION_REJECT ? (pc_action)v : PC_ACTION_ACCEPT;
	int stt = sqlite3_column_int(s, 10);
	r->status =
	    stt == PC_CAMPAIGN_MALICIOUS || stt == PC_CAMPAIGN_BENIGN ? (pc_campaign_status)stt : PC_CAMPAIGN_OPEN;
	snprintf(r->why, sizeof r->why, "%s", pc_sqlite_col(s, 11));
	snprintf(r->subject, sizeof r->subject, "%s", pc_sqlite_col(s, 12));
	r->analyst = sqlite3_column_int(s, 14) != 0;
	const void *sig = sqlite3_column_blob(s, 13);
	if (sig && sqlite3_column_bytes(s, 13) == (int)sizeof r->sig)
		memcpy(r->sig, sig, sizeof r->sig);
	else
		memset(r->sig, 0xff, sizeof r->sig);
}

static int sq_get(pc_store *st, long long id, pc_campaign_rec *rec)
{
	sqlite3_stmt *s = stmt(st, S_CAMPAIGN_GET);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_rec(s, rec);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : fail(st, "campaign read");
}

static int sq_infra(pc_store *st, long long id, const char *const *infra, size_t n)
{
	int found = 0;
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *s = stmt(st, S_INFRA);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, id);
		text(s, 2, infra[i]);
		int rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc == SQLITE_ROW)
			found++;
		else if (rc != SQLITE_DONE)
			return fail(st, "campaign read");
	}
	return found;
}

static int sq_member_find(pc_store *st, const char *source, const char *message_id, const char *dkey, long long *id)
{
	if (!source || !message_id)
		return 0;
	sqlite3_stmt *s = stmt(st, S_MEMBER_FIND_BOTH);
	if (!s)
		return -1;
	text(s, 1, source);
	text(s, 2, message_id);
	text(s, 3, dkey);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : fail(st, "member lookup");
}

int pc_sqlite_add_value(pc_store *st, long long id, const char *kind, const char *value)
{
	if (!value || !*value)
		return 0;
	sqlite3_stmt *s = stmt(st, S_VALUE_NEW);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	text(s, 3, value);
	int rc = sqlite3_step(s);
	long long count = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return fail(st, "campaign write");
	return count == 1;
}

static int add_values(pc_store *st, long long id, const char *kind, const char *const *v, size_t n, long *added)
{
	for (size_t i = 0; i < n; i++) {
		int rc = pc_sqlite_add_value(st, id, kind, v[i]);
		if (rc < 0)
			return -1;
		*added += rc;
	}
	return 0;
}

static int sq_add(pc_store *st, long long id, const pc_member *m)
{
	sq *q = st->impl;
	pc_campaign_rec rec;
	int got = sq_get(st, id, &rec);
	if (got <= 0)
		return got < 0 ? -1
		               : (snprintf(st->error, sizeof st->error, "campaign %lld: no such campaign", id), -1);
	sqlite3_stmt *s = stmt(st, S_MEMBER_ADD);
	if (!s)
		return -1;
	char rcpt[MAX_TEXT + 1];
	size_t k = 0;
	rcpt[0] = '\0';
	for (size_t i = 0; i < m->nrcpt; i++) {
		int w = snprintf(rcpt + k, sizeof rcpt - k, "%s%s", i ? " " : "", m->rcpt[i]);
		if (w < 0 || (size_t)w >= sizeof rcpt - k)
			break;
		k += (size_t)w;
	}
	sqlite3_bind_int64(s, 1, id);
	text(s, 2, m->source);
	text(s, 3, m->message_id);
	text(s, 4, m->sender);
	text(s, 5, m->subject);
	text(s, 6, rcpt);
	text(s, 7, m->token);
	text(s, 8, m->rule);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)m->when);
	sqlite3_bind_int(s, 10, (int)m->verdict);
	sqlite3_bind_int(s, 11, m->first_contact ? 1 : 0);
	sqlite3_bind_int(s, 12, m->established ? 1 : 0);
	text(s, 13, m->dkey);
	if (run(st, s, "member write") != 0)
		return -1;
	long recipients = 0, scratch = 0;
	int senders = pc_sqlite_add_value(st, id, "sender", m->sender);
	int tokens = m->token && *m->token ? pc_sqlite_add_value(st, id, "token", m->token) : 0;
	if (senders < 0 || tokens < 0 || add_values(st, id, "rcpt", m->rcpt, m->nrcpt, &recipients) != 0 ||
	    add_values(st, id, "infra", m->infra, m->ninfra, &scratch) != 0 ||
	    add_values(st, id, "tracker", m->tracker_hosts, m->ntracker_hosts, &scratch) != 0 ||
	    add_values(st, id, "template", m->templates, m->ntemplates, &scratch) != 0 ||
	    (m->established && pc_sqlite_add_value(st, id, "established", m->from_domain) < 0))
		return -1;
	/* the first members' band keys find the campaign; later members are
	 * found through them (bounded: MAX_BANDS keys per campaign) */
	long nbands = 0;
	if (m->bands && rec.size < MAX_BANDS / PC_STORE_BANDS) {
		sqlite3_stmt *bs = stmt(st, S_BAND_ADD);
		if (!bs)
			return -1;
		for (int b = 0; b < PC_STORE_BANDS; b++)
			sqlite3_bind_int64(bs, b + 1, (sqlite3_int64)m->bands[b]);
		sqlite3_bind_int64(bs, PC_STORE_BANDS + 1, id);
		sqlite3_bind_int(bs, PC_STORE_BANDS + 2, MAX_BAND_CAMPAIGNS);
		if (run(st, bs, "campaign write") != 0)
			return -1;
		nbands = sqlite3_changes(q->db);
	}
	sqlite3_stmt *u = stmt(st, S_CAMPAIGN_UPDATE);
	if (!u)
		return -1;
	sqlite3_bind_int64(u, 1, id);
	sqlite3_bind_int64(u, 2, recipients);
	sqlite3_bind_int(u, 3, m->token && *m->token);
	sqlite3_bind_int(u, 4, tokens);
	sqlite3_bind_int(u, 5, senders);
	sqlite3_bind_int(u, 6, m->first_contact ? 1 : 0);
	sqlite3_bind_int64(u, 7, nbands);
	sqlite3_bind_int64(u, 8, (sqlite3_int64)m->when);
	return run(st, u, "campaign write");
}

static int sq_new(pc_store *st, const pc_member *m, long long *id)
{
	sq *q = st->impl;
	sqlite3_stmt *s = stmt(st, S_CAMPAIGN_NEW);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)m->when);
	text(s, 2, m->subject);
	uint32_t none[PC_STORE_SIG];
	memset(none, 0xff, sizeof none);
	sqlite3_bind_blob(s, 3, m->sig ? (const void *)m->sig : (const void *)none, (int)sizeof none, SQLITE_STATIC);
	if (run(st, s, "campaign write") != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(q->db);
	return sq_add(st, *id, m);
}

static int sq_member_verdict(pc_store *st, long long id, const char *source, const char *message_id, pc_action v,
                             const char *rule, pc_action own, const char *own_rule)
{
	sqlite3_stmt *s = stmt(st, S_MEMBER_VERDICT);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	text(s, 2, source);
	text(s, 3, message_id);
	sqlite3_bind_int(s, 4, (int)v);
	text(s, 5, rule);
	sqlite3_bind_int(s, 6, (int)own);
	text(s, 7, own_rule);
	if (run(st, s, "member write") != 0)
		return -1;
	s = stmt(st, S_CAMPAIGN_VERDICT);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, (int)v);
	return run(st, s, "campaign write");
}

static int sq_mark(pc_store *st, long long id, pc_campaign_status status, bool analyst, pc_action action,
                   const char *why)
{
	sqlite3_stmt *s = stmt(st, S_MARK_MEMBERS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, (int)status);
	sqlite3_bind_int(s, 3, analyst ? 1 : 0);
	sqlite3_bind_int(s, 4, (int)action);
	if (run(st, s, "member write") != 0)
		return -1;
	s = stmt(st, S_MARK);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, (int)status);
	text(s, 3, why);
	sqlite3_bind_int(s, 4, analyst ? 1 : 0);
	return run(st, s, "campaign write");
}

static int sq_list(pc_store *st, long min_size, pc_campaign_cb cb, void *ctx)
{
	sqlite3_stmt *s = stmt(st, S_LIST);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, min_size);
	int rc;
	pc_campaign_rec rec;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_rec(s, &rec);
		if (cb(ctx, &rec) != 0)
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(st, "campaign list");
}

static int sq_values(pc_store *st, long long id, const char *kind, size_t max, pc_value_cb cb, void *ctx)
{
	sqlite3_stmt *s = stmt(st, S_VALUES);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, max ? (sqlite3_int64)max : -1);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (cb(ctx, pc_sqlite_col(s, 0), (long)sqlite3_column_int64(s, 1)) != 0)
			break;
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(st, "campaign read");
}

static int sq_members(pc_store *st, long long id, pc_member_cb cb, void *ctx)
{
	sqlite3_stmt *s = stmt(st, S_MEMBERS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		pc_member_row r = {
		    pc_sqlite_col(s, 0), pc_sqlite_col(s, 1), pc_sqlite_col(s, 2), pc_sqlite_col(s, 3),
		    pc_sqlite_col(s, 4), pc_sqlite_col(s, 5), pc_sqlite_col(s, 6), (time_t)sqlite3_column_int64(s, 7),
		    PC_ACTION_ACCEPT};
		int v = sqlite3_column_int(s, 8);
		r.verdict = v >= PC_ACTION_ACCEPT && v <= PC_ACTION_REJECT ? (pc_action)v : PC_ACTION_ACCEPT;
		if (cb(ctx, &r) != 0)
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(st, "member read");
}

static int sq_audit(pc_store *st, time_t when, const char *actor, const char *action, long long campaign,
                    const char *source, const char *detail)
{
	sqlite3_stmt *s = stmt(st, S_AUDIT);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)when);
	text(s, 2, actor);
	text(s, 3, action);
	sqlite3_bind_int64(s, 4, campaign);
	text(s, 5, source);
	text(s, 6, detail);
	return run(st, s, "audit write");
}

static int sq_audit_list(pc_store *st, long long campaign, pc_audit_cb cb, void *ctx)
{
	sqlite3_stmt *s = stmt(st, campaign ? S_AUDIT_LIST : S_AUDIT_LIST_ALL);
	if (!s)
		return -1;
	if (campaign)
		sqlite3_bind_int64(s, 1, campaign);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		pc_audit_row r = {
		    sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 4), (time_t)sqlite3_column_int64(s, 1),
		    pc_sqlite_col(s, 2),        pc_sqlite_col(s, 3),        pc_sqlite_col(s, 5),
		    pc_sqlite_col(s, 6)};
		if (cb(ctx, &r) != 0)
			break;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(st, "audit read");
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
    .candidates = sq_candidates,
    .get = sq_get,
    .infra = sq_infra,
    .member_find = sq_member_find,
    .campaign_new = sq_new,
    .campaign_add = sq_add,
    .member_verdict = sq_member_verdict,
    .mark = sq_mark,
    .list = sq_list,
    .values = sq_values,
    .members = sq_members,
    .audit = sq_audit,
    .audit_list = sq_audit_list,
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

/* Brings the schema to SCHEMA_VERSION, one migration per transaction. */
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
		if (v == SCHEMA_VERSION)
			return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
		char *msg = NULL;
		char set[64];
		snprintf(set, sizeof set, "PRAGMA user_version=%d", v + 1);
		if (sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, set, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "%s: upgrading the store to schema %d: %s", path, v + 1,
			         msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
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
	                                    /* the savepoint journal in memory; a 64 MB page cache;
	                                     * a checkpoint (two fsyncs) per 32 MB of WAL, not per 4 MB */
	                                    "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF; PRAGMA "
	                                    "cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA "
	                                    "wal_autocheckpoint=" XSTR(WAL_CHECKPOINT_FRAMES) ";",
	                                    NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(q->db));
		sqlite3_free(msg);
		sq_close(st);
		return NULL;
	}
	if (migrate(q->db, path, err, errlen) != 0) {
		sq_close(st);
		return NULL;
	}
	return st;
}
