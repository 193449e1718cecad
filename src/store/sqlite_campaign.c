/*
 * NAME
 *   sqlite_campaign - campaigns, their members, values and audit (SQLite,
 *   schema 2)
 * DESCRIPTION
 *   campaign: counters, verdict, status and the first member's MinHash
 *   signature. campaign_band: LSH band key -> campaign, at most MAX_BANDS
 *   keys per campaign and MAX_BAND_CAMPAIGNS campaigns per key, so that a
 *   lookup reads at most 16 x MAX_BAND_CAMPAIGNS rows. member: one row per
 *   message, unique by (source, Message-ID), found again by its delivery
 *   key. campaign_value: recipients, senders, tracker hosts, URL
 *   templates, infrastructure and tokens of a campaign, with member
 *   counts. audit: who marked what, when. Statements are prepared once
 *   per connection (slots 40..59 of pc_sqlite_prepared); the caller's
 *   transaction (cluster.c's) holds a message's writes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "store/sqlite_impl.h"

#define MAX_BANDS 256         /* band keys kept per campaign: enough for its variants, bounded */
#define MAX_BAND_CAMPAIGNS 32 /* campaigns one band key indexes */

enum {
	X_CANDIDATES = 40,
	X_CAMPAIGN_GET,
	X_INFRA,
	X_MEMBER_FIND_BOTH,
	X_CAMPAIGN_NEW,
	X_MEMBER_ADD,
	X_BAND_ADD,
	X_VALUE_NEW,
	X_CAMPAIGN_UPDATE,
	X_MEMBER_VERDICT,
	X_CAMPAIGN_VERDICT,
	X_MARK,
	X_MARK_MEMBERS,
	X_LIST,
	X_VALUES,
	X_MEMBERS,
	X_AUDIT,
	X_AUDIT_LIST,
	X_AUDIT_LIST_ALL,
	X_VALUES_ADD,
	X_END
};

#define VALUE_ROWS 16 /* a member's values per statement (X_VALUES_ADD) */

static const char *const sql[X_END] = {
    /* at most 16 x MAX_BAND_CAMPAIGNS rows, counted in C (pc_sqlite_candidates) */
    [X_CANDIDATES] = "SELECT campaign FROM campaign_band"
                     " WHERE band IN (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
    [X_CAMPAIGN_GET] = "SELECT id, size, recipients, tokened, tokens, senders, first_contact, first_seen,"
                       " last_seen, verdict, status, why, subject, sig, analyst FROM campaign WHERE id = ?1",
    [X_INFRA] = "SELECT 1 FROM campaign_value WHERE campaign = ?1 AND kind = 'infra' AND value = ?2",
    /* the same delivery scanned again (the MTA retrying after a 451 gives
     * it a new queue id, so a new source): found by its delivery key */
    [X_MEMBER_FIND_BOTH] = "SELECT campaign FROM member WHERE source = ?1 AND message_id = ?2"
                           " UNION ALL SELECT campaign FROM member WHERE dkey = ?3 AND dkey <> '' LIMIT 1",
    [X_CAMPAIGN_NEW] = "INSERT INTO campaign (first_seen, last_seen, subject, sig) VALUES (?1, ?1, ?2, ?3)",
    [X_MEMBER_ADD] = "INSERT INTO member (campaign, source, message_id, sender, subject, rcpt, token, rule, seen,"
                     " verdict, first_contact, own_verdict, own_rule, established, dkey)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10, ?8, ?12, ?13)",
    /* a band key already shared by MAX_BAND_CAMPAIGNS campaigns is boilerplate
     * (a common footer, an ESP's layout): it indexes no more, so no lookup
     * ever reads more than 16 x MAX_BAND_CAMPAIGNS rows */
    /* one statement for a member's 16 keys; "fewer than ?18 campaigns"
     * is "no ?18th row", read by the (band, campaign) key without the
     * temporary table a COUNT over a LIMIT subquery builds (that form
     * cost 28,000 instructions a key, this one a fifth of it) */
    [X_BAND_ADD] = "WITH k(band) AS (VALUES (?1),(?2),(?3),(?4),(?5),(?6),(?7),(?8),(?9),(?10),(?11),(?12),(?13),"
                   "(?14),(?15),(?16)) INSERT OR IGNORE INTO campaign_band (band, campaign) SELECT band, ?17 FROM k"
                   " WHERE (SELECT 1 FROM campaign_band b WHERE b.band = k.band LIMIT 1 OFFSET ?18 - 1) IS NULL",
    [X_VALUE_NEW] = "INSERT INTO campaign_value (campaign, kind, value, count) VALUES (?1, ?2, ?3, 1)"
                    " ON CONFLICT (campaign, kind, value) DO UPDATE SET count = count + 1 RETURNING count",
    [X_CAMPAIGN_UPDATE] = "UPDATE campaign SET size = size + 1, recipients = recipients + ?2,"
                          " tokened = tokened + ?3, tokens = tokens + ?4, senders = senders + ?5,"
                          " first_contact = first_contact + ?6, nbands = nbands + ?7,"
                          " first_seen = MIN(first_seen, ?8), last_seen = MAX(last_seen, ?8) WHERE id = ?1",
    /* by the unique (source, message_id) index: a campaign of 10,000
     * members is not scanned for each new one */
    [X_MEMBER_VERDICT] = "UPDATE member INDEXED BY sqlite_autoindex_member_1 SET verdict = ?4, rule = ?5,"
                         " own_verdict = ?6, own_rule = ?7 WHERE source = ?2 AND message_id = ?3 AND campaign = ?1",
    [X_CAMPAIGN_VERDICT] = "UPDATE campaign SET verdict = MAX(verdict, ?2) WHERE id = ?1",
    /* malicious: every member at least quarantine (an automatic mark spares
     * the established senders' members, see cluster.c); benign or open:
     * every member back to its own verdict */
    [X_MARK_MEMBERS] = "UPDATE member SET verdict = CASE WHEN ?2 = 1 AND (?3 OR NOT established)"
                       " THEN MAX(own_verdict, ?4) ELSE own_verdict END,"
                       " rule = CASE WHEN ?2 = 1 AND (?3 OR NOT established) AND own_verdict < ?4 THEN 'campaign'"
                       " ELSE own_rule END WHERE campaign = ?1",
    [X_MARK] = "UPDATE campaign SET status = ?2, why = ?3, analyst = ?4,"
               " verdict = (SELECT COALESCE(MAX(verdict), 0) FROM member WHERE campaign = ?1) WHERE id = ?1",
    [X_LIST] = "SELECT id, size, recipients, tokened, tokens, senders, first_contact, first_seen, last_seen,"
               " verdict, status, why, subject, sig, analyst FROM campaign WHERE size >= ?1"
               " ORDER BY last_seen DESC, id DESC",
    [X_VALUES] = "SELECT value, count FROM campaign_value WHERE campaign = ?1 AND kind = ?2"
                 " ORDER BY count DESC, value LIMIT ?3",
    [X_MEMBERS] = "SELECT source, message_id, sender, subject, rcpt, rule, token, seen, verdict FROM member"
                  " WHERE campaign = ?1 ORDER BY seen, id",
    [X_AUDIT] = "INSERT INTO audit (at, actor, action, campaign, source, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [X_AUDIT_LIST] = "SELECT id, at, actor, action, campaign, source, detail FROM audit WHERE campaign = ?1"
                     " ORDER BY id",
    /* VALUE_ROWS (kind, value) rows from ?2, in order (a value twice
     * counts twice); those not used are NULL (values_add skips empty
     * ones before the cut, as pc_sqlite_add_value does: a value the cut
     * empties is stored, as there). RETURNING count 1: new to the
     * campaign. One statement instead of one per value: 18 a message in
     * a campaign, 72 us of 570 on the 10k scale set. */
    [X_VALUES_ADD] = "INSERT INTO campaign_value (campaign, kind, value, count) SELECT ?1, column1, column2, 1"
                     " FROM (VALUES"
                     "(?2,?3),(?4,?5),(?6,?7),(?8,?9),(?10,?11),(?12,?13),(?14,?15),(?16,?17),(?18,?19),"
                     "(?20,?21),(?22,?23),(?24,?25),(?26,?27),(?28,?29),(?30,?31),(?32,?33)"
                     ") WHERE column2 IS NOT NULL ON CONFLICT (campaign, kind, value) DO UPDATE SET count = count + 1"
                     " RETURNING kind, count",
    [X_AUDIT_LIST_ALL] = "SELECT id, at, actor, action, campaign, source, detail FROM audit ORDER BY id",
};

/* The prepared statement i, reset and unbound (NULL and the error kept
 * when it cannot be prepared). */
static sqlite3_stmt *stmt(pc_store *st, int i)
{
	return pc_sqlite_prepared(st, i, sql[i]);
}

static void text(sqlite3_stmt *s, int i, const char *v)
{
	pc_sqlite_text(s, i, v, PC_SQLITE_MAX_TEXT);
}

/* The campaigns sharing the most band keys with the message (ties: the
 * newer first). The time window is the caller's to check on the
 * campaign it reads anyway. Bounded: at most PC_STORE_BANDS x
 * MAX_BAND_CAMPAIGNS rows, counted in a small open-addressing table. */
#define CAND_SLOTS 1024
int pc_sqlite_candidates(pc_store *st, const uint64_t *bands, size_t nbands, long long *ids, size_t max, size_t *n)
{
	*n = 0;
	sqlite3_stmt *s = stmt(st, X_CANDIDATES);
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
		return pc_sqlite_fail(st, "campaign lookup");
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

int pc_sqlite_campaign_get(pc_store *st, long long id, pc_campaign_rec *rec)
{
	sqlite3_stmt *s = stmt(st, X_CAMPAIGN_GET);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_rec(s, rec);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : pc_sqlite_fail(st, "campaign read");
}

int pc_sqlite_infra(pc_store *st, long long id, const char *const *infra, size_t n)
{
	int found = 0;
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *s = stmt(st, X_INFRA);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, id);
		text(s, 2, infra[i]);
		int rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc == SQLITE_ROW)
			found++;
		else if (rc != SQLITE_DONE)
			return pc_sqlite_fail(st, "campaign read");
	}
	return found;
}

int pc_sqlite_member_find(pc_store *st, const char *source, const char *message_id, const char *dkey, long long *id)
{
	if (!source || !message_id)
		return 0;
	sqlite3_stmt *s = stmt(st, X_MEMBER_FIND_BOTH);
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
	return rc == SQLITE_DONE ? 0 : pc_sqlite_fail(st, "member lookup");
}

int pc_sqlite_add_value(pc_store *st, long long id, const char *kind, const char *value)
{
	if (!value || !*value)
		return 0;
	sqlite3_stmt *s = stmt(st, X_VALUE_NEW);
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
		return pc_sqlite_fail(st, "campaign write");
	return count == 1;
}

/* A member's values, VALUE_ROWS to a statement; how many were new to
 * the campaign, of the kinds its counters count. */
typedef struct values {
	pc_store *st;
	long long id;
	sqlite3_stmt *s; /* rows bound so far: k */
	int k;
	bool failed;
	long rcpt, sender, token; /* new ones */
} values;

static void values_flush(values *v)
{
	if (v->failed || !v->k)
		return;
	int rc;
	while ((rc = sqlite3_step(v->s)) == SQLITE_ROW) {
		if (sqlite3_column_int64(v->s, 1) != 1)
			continue;
		const char *kind = pc_sqlite_col(v->s, 0);
		if (!strcmp(kind, "rcpt"))
			v->rcpt++;
		else if (!strcmp(kind, "sender"))
			v->sender++;
		else if (!strcmp(kind, "token"))
			v->token++;
	}
	sqlite3_reset(v->s);
	if (rc != SQLITE_DONE) {
		pc_sqlite_fail(v->st, "campaign write");
		v->failed = true;
	}
	v->k = 0;
}

static void values_add(values *v, const char *kind, const char *value)
{
	if (v->failed || !value || !*value)
		return;
	if (!v->k) {
		v->s = stmt(v->st, X_VALUES_ADD); /* reset and unbound */
		if (!v->s) {
			v->failed = true;
			return;
		}
		sqlite3_bind_int64(v->s, 1, v->id);
	}
	sqlite3_bind_text(v->s, 2 + 2 * v->k, kind, -1, SQLITE_STATIC);
	text(v->s, 3 + 2 * v->k, value);
	if (++v->k == VALUE_ROWS)
		values_flush(v);
}

static void values_add_all(values *v, const char *kind, const char *const *value, size_t n)
{
	for (size_t i = 0; i < n; i++)
		values_add(v, kind, value[i]);
}

int pc_sqlite_campaign_add(pc_store *st, long long id, const pc_member *m)
{
	bool in_tx;
	sqlite3 *db = pc_sqlite_db(st, &in_tx);
	pc_campaign_rec rec;
	int got = pc_sqlite_campaign_get(st, id, &rec);
	if (got <= 0)
		return got < 0 ? -1
		               : (snprintf(st->error, sizeof st->error, "campaign %lld: no such campaign", id), -1);
	sqlite3_stmt *s = stmt(st, X_MEMBER_ADD);
	if (!s)
		return -1;
	char rcpt[PC_SQLITE_MAX_TEXT + 1];
	pc_store_member_rcpt(m, rcpt, sizeof rcpt);
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
	if (pc_sqlite_run(st, s, "member write") != 0)
		return -1;
	values v = {.st = st, .id = id};
	values_add(&v, "sender", m->sender);
	values_add(&v, "token", m->token);
	values_add_all(&v, "rcpt", m->rcpt, m->nrcpt);
	values_add_all(&v, "infra", m->infra, m->ninfra);
	values_add_all(&v, "tracker", m->tracker_hosts, m->ntracker_hosts);
	values_add_all(&v, "template", m->templates, m->ntemplates);
	if (m->established)
		values_add(&v, "established", m->from_domain);
	values_flush(&v);
	if (v.failed)
		return -1;
	/* the first members' band keys find the campaign; later members are
	 * found through them (bounded: MAX_BANDS keys per campaign) */
	long nbands = 0;
	if (m->bands && rec.size < MAX_BANDS / PC_STORE_BANDS) {
		sqlite3_stmt *bs = stmt(st, X_BAND_ADD);
		if (!bs)
			return -1;
		for (int b = 0; b < PC_STORE_BANDS; b++)
			sqlite3_bind_int64(bs, b + 1, (sqlite3_int64)m->bands[b]);
		sqlite3_bind_int64(bs, PC_STORE_BANDS + 1, id);
		sqlite3_bind_int(bs, PC_STORE_BANDS + 2, MAX_BAND_CAMPAIGNS);
		if (pc_sqlite_run(st, bs, "campaign write") != 0)
			return -1;
		nbands = sqlite3_changes(db);
	}
	sqlite3_stmt *u = stmt(st, X_CAMPAIGN_UPDATE);
	if (!u)
		return -1;
	sqlite3_bind_int64(u, 1, id);
	sqlite3_bind_int64(u, 2, v.rcpt);
	sqlite3_bind_int(u, 3, m->token && *m->token);
	sqlite3_bind_int64(u, 4, v.token);
	sqlite3_bind_int64(u, 5, v.sender);
	sqlite3_bind_int(u, 6, m->first_contact ? 1 : 0);
	sqlite3_bind_int64(u, 7, nbands);
	sqlite3_bind_int64(u, 8, (sqlite3_int64)m->when);
	return pc_sqlite_run(st, u, "campaign write");
}

int pc_sqlite_campaign_new(pc_store *st, const pc_member *m, long long *id)
{
	bool in_tx;
	sqlite3 *db = pc_sqlite_db(st, &in_tx);
	sqlite3_stmt *s = stmt(st, X_CAMPAIGN_NEW);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)m->when);
	text(s, 2, m->subject);
	uint32_t none[PC_STORE_SIG];
	memset(none, 0xff, sizeof none);
	sqlite3_bind_blob(s, 3, m->sig ? (const void *)m->sig : (const void *)none, (int)sizeof none, SQLITE_STATIC);
	if (pc_sqlite_run(st, s, "campaign write") != 0)
		return -1;
	*id = sqlite3_last_insert_rowid(db);
	return pc_sqlite_campaign_add(st, *id, m);
}

int pc_sqlite_member_verdict(pc_store *st, long long id, const char *source, const char *message_id, pc_action v,
                             const char *rule, pc_action own, const char *own_rule)
{
	sqlite3_stmt *s = stmt(st, X_MEMBER_VERDICT);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	text(s, 2, source);
	text(s, 3, message_id);
	sqlite3_bind_int(s, 4, (int)v);
	text(s, 5, rule);
	sqlite3_bind_int(s, 6, (int)own);
	text(s, 7, own_rule);
	if (pc_sqlite_run(st, s, "member write") != 0)
		return -1;
	s = stmt(st, X_CAMPAIGN_VERDICT);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, (int)v);
	return pc_sqlite_run(st, s, "campaign write");
}

int pc_sqlite_mark(pc_store *st, long long id, pc_campaign_status status, bool analyst, pc_action action,
                   const char *why)
{
	sqlite3_stmt *s = stmt(st, X_MARK_MEMBERS);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, (int)status);
	sqlite3_bind_int(s, 3, analyst ? 1 : 0);
	sqlite3_bind_int(s, 4, (int)action);
	if (pc_sqlite_run(st, s, "member write") != 0)
		return -1;
	s = stmt(st, X_MARK);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, (int)status);
	text(s, 3, why);
	sqlite3_bind_int(s, 4, analyst ? 1 : 0);
	return pc_sqlite_run(st, s, "campaign write");
}

int pc_sqlite_campaign_list(pc_store *st, long min_size, pc_campaign_cb cb, void *ctx)
{
	sqlite3_stmt *s = stmt(st, X_LIST);
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
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : pc_sqlite_fail(st, "campaign list");
}

int pc_sqlite_values(pc_store *st, long long id, const char *kind, size_t max, pc_value_cb cb, void *ctx)
{
	sqlite3_stmt *s = stmt(st, X_VALUES);
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
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : pc_sqlite_fail(st, "campaign read");
}

int pc_sqlite_members(pc_store *st, long long id, pc_member_cb cb, void *ctx)
{
	sqlite3_stmt *s = stmt(st, X_MEMBERS);
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
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : pc_sqlite_fail(st, "member read");
}

int pc_sqlite_audit(pc_store *st, time_t when, const char *actor, const char *action, long long campaign,
                    const char *source, const char *detail)
{
	sqlite3_stmt *s = stmt(st, X_AUDIT);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)when);
	text(s, 2, actor);
	text(s, 3, action);
	sqlite3_bind_int64(s, 4, campaign);
	text(s, 5, source);
	text(s, 6, detail);
	return pc_sqlite_run(st, s, "audit write");
}

int pc_sqlite_audit_list(pc_store *st, long long campaign, pc_audit_cb cb, void *ctx)
{
	sqlite3_stmt *s = stmt(st, campaign ? X_AUDIT_LIST : X_AUDIT_LIST_ALL);
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
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : pc_sqlite_fail(st, "audit read");
}
