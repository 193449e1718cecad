/*
 * NAME
 *   pg_campaign - campaigns in the shared store (PostgreSQL)
 * SYNOPSIS
 *   pc_pg_candidates(st, fp->bands, PC_STORE_BANDS, ids, max, &n);
 *   pc_pg_campaign_add(st, id, &member);     (inside pc_store_begin/commit)
 * DESCRIPTION
 *   The tables of SQLite's migration 2 (store/sqlite.c; with member.dkey
 *   of its migration 7, which pg.c's member lookup reads), answering as
 *   its functions do (same rows, orders, ties, limits and counters):
 *   campaign (counters, verdict, status, the first member's MinHash
 *   signature), campaign_band (LSH band key -> campaign, at most
 *   MAX_BANDS keys per campaign and MAX_BAND_CAMPAIGNS campaigns per
 *   key), member (one row per message, unique by source and Message-ID)
 *   and campaign_value (recipients, senders, tokens, trackers, templates,
 *   infrastructure of a campaign with member counts; the value sorts
 *   bytewise, COLLATE "C", as SQLite's BINARY).
 *
 *   Several filter nodes share the tables; what keeps them right:
 *   - Two copies of one template, at once on two nodes. Inside a
 *     message's transaction pc_pg_candidates first takes transaction
 *     advisory locks on the message's distinct band keys, ascending, in
 *     one statement, and reads the candidates only then, in a statement
 *     of its own (READ COMMITTED: a new snapshot, which sees what the
 *     node that held the keys committed). So the second copy waits for
 *     the first's commit and joins the campaign it created instead of
 *     creating another; copies that share no band key never wait for each
 *     other. The same locks make the band bound (MAX_BAND_CAMPAIGNS)
 *     exact for writers that looked the campaign up first, as cluster.c
 *     does. A wait is bounded by the connection's lock_timeout (pg.c).
 *   - Every writer of a campaign takes the campaign's row lock before any
 *     other lock of that campaign (its member, value and band rows):
 *     pc_pg_campaign_add's first statement is SELECT ... FOR UPDATE;
 *     pc_pg_member_verdict raises the campaign's verdict before it
 *     updates the member; pc_pg_mark and pc_pg_add_value lock the row
 *     first. Two copies of one campaign whose band keys do not overlap
 *     therefore queue on the campaign row and never deadlock, and the
 *     band test (the campaign's size before the member) is exact.
 *   - Counters are counted by the server: size = size + 1, and a value is
 *     new when its upsert inserted it (RETURNING (xmax = 0)), never read,
 *     changed and written back by a node.
 *   - A message already a member (the same message scanned again, or on
 *     two nodes at once): the member insert does nothing (ON CONFLICT DO
 *     NOTHING, which waits for the other node's transaction) and neither
 *     do the rest of its statement and the counters; the call fails as
 *     SQLite's does on its UNIQUE constraint, with nothing written.
 *   A member is added in two round trips (lock; one statement for the
 *   member, its values, its band keys and the counters), a new campaign
 *   in two (the campaign; the same statement). Writes made outside a
 *   message's transaction get their own (pc_pg_own_begin), so a row lock
 *   lasts until the write it protects is committed.
 *
 *   Where it differs from SQLite, on purpose: a new campaign whose first
 *   member fails is not left behind empty (one transaction, even outside
 *   a message's); ids come from identity columns, which a rolled-back
 *   insert skips (SQLite reuses them); no band keys (nbands 0) find no
 *   campaign (SQLite reads bands[0] anyway).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_impl.h"

#define MAX_TEXT PC_PG_MAX_TEXT
#define MAX_BANDS 256         /* band keys kept per campaign (store/sqlite_campaign.c) */
#define MAX_BAND_CAMPAIGNS 32 /* campaigns one band key indexes (store/sqlite_campaign.c) */

enum {
	S_LOCK_BANDS = PC_PG_SLOT_CAMPAIGN,
	S_CANDIDATES,
	S_GET,
	S_INFRA,
	S_MEMBER_FIND,
	S_NEW,
	S_LOCK,
	S_ADD,
	S_VALUE,
	S_VERDICT_CAMPAIGN,
	S_VERDICT_MEMBER,
	S_MARK,
	S_LIST,
	S_VALUES,
	S_MEMBERS,
	S_END
};
_Static_assert(S_END <= PC_PG_SLOT_CAMPAIGN + 48, "pg_campaign.c has slots 16..63");

/* the campaign columns read_rec reads, in its order */
#define REC_COLS                                                                                                       \
	"id, size, recipients, tokened, tokens, senders, first_contact, first_seen, last_seen, verdict, status, why,"  \
	" subject, sig, analyst"

const char PC_PG_SCHEMA_CAMPAIGN[] =
    "CREATE TABLE campaign ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, first_seen bigint NOT NULL, last_seen bigint NOT NULL,"
    " size bigint NOT NULL DEFAULT 0, recipients bigint NOT NULL DEFAULT 0,"
    " tokened bigint NOT NULL DEFAULT 0, tokens bigint NOT NULL DEFAULT 0,"
    " senders bigint NOT NULL DEFAULT 0, first_contact bigint NOT NULL DEFAULT 0,"
    " nbands bigint NOT NULL DEFAULT 0, verdict bigint NOT NULL DEFAULT 0,"
    " status bigint NOT NULL DEFAULT 0, analyst bigint NOT NULL DEFAULT 0, why text NOT NULL DEFAULT '',"
    " subject text NOT NULL DEFAULT '', sig bytea NOT NULL);"
    "CREATE INDEX campaign_last ON campaign (last_seen);"
    "CREATE INDEX campaign_size ON campaign (size);"
    "CREATE TABLE campaign_band (band bigint NOT NULL, campaign bigint NOT NULL, PRIMARY KEY (band, campaign));"
    "CREATE TABLE member ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, campaign bigint NOT NULL, source text NOT NULL,"
    " message_id text NOT NULL, sender text NOT NULL, subject text NOT NULL, rcpt text NOT NULL,"
    " token text NOT NULL, rule text NOT NULL, seen bigint NOT NULL, verdict bigint NOT NULL,"
    " first_contact bigint NOT NULL, own_verdict bigint NOT NULL, own_rule text NOT NULL,"
    " established bigint NOT NULL, dkey text NOT NULL DEFAULT '', UNIQUE (source, message_id));"
    "CREATE INDEX member_campaign ON member (campaign, seen);"
    "CREATE INDEX member_dkey ON member (dkey) WHERE dkey <> '';"
    "CREATE TABLE campaign_value (campaign bigint NOT NULL, kind text NOT NULL, value text COLLATE \"C\" NOT NULL,"
    " count bigint NOT NULL, PRIMARY KEY (campaign, kind, value));";

/* the statements, by slot */
#define Q(s) [(s)-PC_PG_SLOT_CAMPAIGN]
static const char *const sql[S_END - PC_PG_SLOT_CAMPAIGN] = {
    /* one statement, keys ascending: two messages lock their common keys
     * in one order (no deadlock); volatile, so the planner keeps the
     * sub-select's order */
    Q(S_LOCK_BANDS) = "SELECT count(pg_advisory_xact_lock(b)) FROM"
                      " (SELECT DISTINCT b FROM unnest($1::bigint[]) AS u(b) ORDER BY b) s",
    /* a campaign counts once per band key it shares (the keys are
     * distinct rows of campaign_band); at most PC_STORE_BANDS x
     * MAX_BAND_CAMPAIGNS rows, which the band bound keeps true: the LIMIT
     * only bounds the work should it not be */
    Q(S_CANDIDATES) = "SELECT campaign FROM (SELECT campaign FROM campaign_band WHERE band = ANY ($1::bigint[])"
                      " LIMIT $3::bigint) c GROUP BY campaign ORDER BY count(*) DESC, campaign DESC LIMIT $2::bigint",
    Q(S_GET) = "SELECT " REC_COLS " FROM campaign WHERE id = $1::bigint",
    /* each of the keys counts (a key given twice, twice) */
    Q(S_INFRA) = "SELECT count(*) FROM unnest($2::text[]) AS u(v) WHERE EXISTS (SELECT 1 FROM campaign_value"
                 " WHERE campaign = $1::bigint AND kind = 'infra' AND value = u.v)",
    Q(S_MEMBER_FIND) = "SELECT campaign FROM member WHERE source = $1::text AND message_id = $2::text",
    Q(S_NEW) = "INSERT INTO campaign (first_seen, last_seen, subject, sig) VALUES ($1::bigint, $1::bigint,"
               " $2::text, $3::bytea) RETURNING id",
    /* the campaign's row lock, which every writer of a campaign takes first */
    Q(S_LOCK) = "SELECT size FROM campaign WHERE id = $1::bigint FOR UPDATE",
    /* A member, its values, its band keys and the counters, all or
     * nothing: when (source, message_id) is a member already, m is empty
     * and nothing else is written (no row returned). A value given twice
     * counts twice and is new once (GROUP BY: one upsert per row), as
     * SQLite's one upsert per value. A band key is added while fewer than
     * $16 campaigns have it (the message's band locks make that exact). */
    Q(S_ADD) =
        "WITH m AS (INSERT INTO member (campaign, source, message_id, sender, subject, rcpt, token, rule, seen,"
        " verdict, first_contact, own_verdict, own_rule, established, dkey) VALUES ($1::bigint, $2::text,"
        " $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::bigint, $10::bigint, $11::bigint,"
        " $10::bigint, $8::text, $12::bigint, $18::text) ON CONFLICT (source, message_id) DO NOTHING RETURNING id),"
        " v AS (INSERT INTO campaign_value (campaign, kind, value, count)"
        " SELECT $1::bigint, u.kind, u.value, count(*) FROM unnest($13::text[], $14::text[]) AS u(kind, value)"
        " WHERE EXISTS (SELECT 1 FROM m) GROUP BY u.kind, u.value"
        " ON CONFLICT (campaign, kind, value) DO UPDATE SET count = campaign_value.count + excluded.count"
        " RETURNING kind, (xmax = 0) AS new),"
        " b AS (INSERT INTO campaign_band (band, campaign)"
        " SELECT k.band, $1::bigint FROM (SELECT DISTINCT band FROM unnest($15::bigint[]) AS u(band)) k"
        " WHERE EXISTS (SELECT 1 FROM m) AND (SELECT count(*) FROM (SELECT 1 FROM campaign_band c"
        " WHERE c.band = k.band LIMIT $16::bigint) x) < $16::bigint"
        " ON CONFLICT (band, campaign) DO NOTHING RETURNING 1)"
        " UPDATE campaign SET size = size + 1,"
        " recipients = recipients + (SELECT count(*) FROM v WHERE v.kind = 'rcpt' AND v.new),"
        " tokened = tokened + $17::bigint,"
        " tokens = tokens + (SELECT count(*) FROM v WHERE v.kind = 'token' AND v.new),"
        " senders = senders + (SELECT count(*) FROM v WHERE v.kind = 'sender' AND v.new),"
        " first_contact = first_contact + $11::bigint, nbands = nbands + (SELECT count(*) FROM b),"
        " first_seen = LEAST(first_seen, $9::bigint), last_seen = GREATEST(last_seen, $9::bigint)"
        " WHERE id = $1::bigint AND EXISTS (SELECT 1 FROM m) RETURNING id",
    /* the campaign's row locked before the value's (count(*) reads the
     * whole sub-select before the row is inserted); inserted whether or
     * not the campaign exists, as SQLite does */
    Q(S_VALUE) = "INSERT INTO campaign_value (campaign, kind, value, count)"
                 " SELECT $1::bigint, $2::text, $3::text, 1 FROM"
                 " (SELECT count(*) FROM (SELECT 1 FROM campaign WHERE id = $1::bigint FOR UPDATE) c) l"
                 " ON CONFLICT (campaign, kind, value) DO UPDATE SET count = campaign_value.count + 1"
                 " RETURNING (xmax = 0)",
    Q(S_VERDICT_CAMPAIGN) = "UPDATE campaign SET verdict = GREATEST(verdict, $2::bigint) WHERE id = $1::bigint",
    /* by the unique (source, message_id) index */
    Q(S_VERDICT_MEMBER) = "UPDATE member SET verdict = $4::bigint, rule = $5::text, own_verdict = $6::bigint,"
                          " own_rule = $7::text WHERE source = $2::text AND message_id = $3::text"
                          " AND campaign = $1::bigint",
    /* malicious: every member at least quarantine (an automatic mark
     * spares the established senders' members, see cluster.c); benign or
     * open: every member back to its own verdict. The campaign's verdict
     * is the members' strictest after that: the strictest of mm, which
     * holds every member (the campaign's row is locked, so no member
     * comes or changes meanwhile). */
    Q(S_MARK) = "WITH mm AS (UPDATE member SET verdict = CASE WHEN $2::bigint = 1 AND ($3::bigint <> 0"
                " OR established = 0) THEN GREATEST(own_verdict, $4::bigint) ELSE own_verdict END,"
                " rule = CASE WHEN $2::bigint = 1 AND ($3::bigint <> 0 OR established = 0)"
                " AND own_verdict < $4::bigint THEN 'campaign' ELSE own_rule END"
                " WHERE campaign = $1::bigint RETURNING verdict)"
                " UPDATE campaign SET status = $2::bigint, why = $5::text, analyst = $3::bigint,"
                " verdict = (SELECT COALESCE(MAX(mm.verdict), 0) FROM mm) WHERE id = $1::bigint",
    Q(S_LIST) = "SELECT " REC_COLS " FROM campaign WHERE size >= $1::bigint ORDER BY last_seen DESC, id DESC",
    /* LIMIT NULL: all */
    Q(S_VALUES) = "SELECT value, count FROM campaign_value WHERE campaign = $1::bigint AND kind = $2::text"
                  " ORDER BY count DESC, value LIMIT $3::bigint",
    Q(S_MEMBERS) = "SELECT source, message_id, sender, subject, rcpt, rule, token, seen, verdict FROM member"
                   " WHERE campaign = $1::bigint ORDER BY seen, id",
};
#undef Q

static PGresult *exec(pc_store *st, int slot, pc_pg_args *a, const char *what)
{
	return pc_pg_exec(st, slot, sql[slot - PC_PG_SLOT_CAMPAIGN], a, what);
}

static int run(pc_store *st, int slot, pc_pg_args *a, const char *what)
{
	return pc_pg_run(st, slot, sql[slot - PC_PG_SLOT_CAMPAIGN], a, what);
}

static void text(pc_pg_args *a, const char *v)
{
	pc_pg_arg_text(a, v, MAX_TEXT);
}

static pc_action action_of(long long v)
{
	return v >= PC_ACTION_ACCEPT && v <= PC_ACTION_REJECT ? (pc_action)v : PC_ACTION_ACCEPT;
}

/* ---- reading ---- */

int pc_pg_candidates(pc_store *st, const uint64_t *bands, size_t nbands, long long *ids, size_t max, size_t *n)
{
	*n = 0;
	/* the first PC_STORE_BANDS keys, as SQLite binds them */
	size_t k = nbands < PC_STORE_BANDS ? nbands : PC_STORE_BANDS;
	if (!bands || !k || !max)
		return 0;
	if (pc_pg_in_tx(st)) {
		pc_pg_args l = {0};
		pc_pg_arg_u64_array(&l, bands, k);
		if (run(st, S_LOCK_BANDS, &l, "campaign lookup") != 0)
			return -1;
	}
	pc_pg_args a = {0};
	pc_pg_arg_u64_array(&a, bands, k);
	pc_pg_arg_int(&a, max > (size_t)LLONG_MAX ? LLONG_MAX : (long long)max);
	pc_pg_arg_int(&a, (long long)PC_STORE_BANDS * MAX_BAND_CAMPAIGNS);
	PGresult *r = exec(st, S_CANDIDATES, &a, "campaign lookup");
	if (!r)
		return -1;
	int rows = PQntuples(r);
	for (int i = 0; i < rows && *n < max; i++)
		ids[(*n)++] = pc_pg_long(r, i, 0);
	PQclear(r);
	return 0;
}

/* A campaign row of REC_COLS: 0, or -1 when its signature cannot be read
 * (no memory). */
static int read_rec(pc_store *st, const PGresult *r, int row, pc_campaign_rec *rec)
{
	memset(rec, 0, sizeof *rec);
	rec->id = pc_pg_long(r, row, 0);
	rec->size = (long)pc_pg_long(r, row, 1);
	rec->recipients = (long)pc_pg_long(r, row, 2);
	rec->tokened = (long)pc_pg_long(r, row, 3);
	rec->tokens = (long)pc_pg_long(r, row, 4);
	rec->senders = (long)pc_pg_long(r, row, 5);
	rec->first_contact = (long)pc_pg_long(r, row, 6);
	rec->first_seen = (time_t)pc_pg_long(r, row, 7);
	rec->last_seen = (time_t)pc_pg_long(r, row, 8);
	rec->verdict = action_of(pc_pg_long(r, row, 9));
	long long stt = pc_pg_long(r, row, 10);
	rec->status =
	    stt == PC_CAMPAIGN_MALICIOUS || stt == PC_CAMPAIGN_BENIGN ? (pc_campaign_status)stt : PC_CAMPAIGN_OPEN;
	snprintf(rec->why, sizeof rec->why, "%s", pc_pg_col(r, row, 11));
	snprintf(rec->subject, sizeof rec->subject, "%s", pc_pg_col(r, row, 12));
	rec->analyst = pc_pg_long(r, row, 14) != 0;
	size_t len = 0;
	unsigned char *sig = pc_pg_bytes(r, row, 13, &len);
	if (!sig && !PQgetisnull(r, row, 13) && PQgetlength(r, row, 13) > 2) /* more than "\x": no memory */
		return pc_pg_fail(st, "campaign read", "out of memory");
	if (sig && len == sizeof rec->sig)
		memcpy(rec->sig, sig, sizeof rec->sig);
	else
		memset(rec->sig, 0xff, sizeof rec->sig);
	free(sig);
	return 0;
}

int pc_pg_get(pc_store *st, long long id, pc_campaign_rec *rec)
{
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, id);
	PGresult *r = exec(st, S_GET, &a, "campaign read");
	if (!r)
		return -1;
	int got = PQntuples(r) > 0;
	if (got && read_rec(st, r, 0, rec) != 0)
		got = -1;
	PQclear(r);
	return got;
}

int pc_pg_infra(pc_store *st, long long id, const char *const *infra, size_t n)
{
	if (!n)
		return 0;
	const char **v = malloc(n * sizeof *v);
	if (!v)
		return pc_pg_fail(st, "campaign read", "out of memory");
	for (size_t i = 0; i < n; i++)
		v[i] = infra[i] ? infra[i] : "";
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, id);
	pc_pg_arg_text_array(&a, v, n, MAX_TEXT);
	free(v);
	PGresult *r = exec(st, S_INFRA, &a, "campaign read");
	if (!r)
		return -1;
	long long found = PQntuples(r) > 0 ? pc_pg_long(r, 0, 0) : 0;
	PQclear(r);
	return found > INT_MAX ? INT_MAX : (int)found;
}

int pc_pg_member_find(pc_store *st, const char *source, const char *message_id, long long *id)
{
	if (!source || !message_id)
		return 0;
	pc_pg_args a = {0};
	text(&a, source);
	text(&a, message_id);
	PGresult *r = exec(st, S_MEMBER_FIND, &a, "member lookup");
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	if (found)
		*id = pc_pg_long(r, 0, 0);
	PQclear(r);
	return found;
}

int pc_pg_list(pc_store *st, long min_size, pc_campaign_cb cb, void *ctx)
{
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, min_size);
	PGresult *r = exec(st, S_LIST, &a, "campaign list");
	if (!r)
		return -1;
	int rows = PQntuples(r), rc = 0;
	pc_campaign_rec rec;
	for (int i = 0; i < rows; i++) {
		if (read_rec(st, r, i, &rec) != 0) {
			rc = -1;
			break;
		}
		if (cb(ctx, &rec) != 0)
			break;
	}
	PQclear(r);
	return rc;
}

int pc_pg_values(pc_store *st, long long id, const char *kind, size_t max, pc_value_cb cb, void *ctx)
{
	if (!kind) /* SQLite: NULL matches no row */
		return 0;
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, id);
	text(&a, kind);
	if (max)
		pc_pg_arg_int(&a, max > (size_t)LLONG_MAX ? LLONG_MAX : (long long)max);
	else
		pc_pg_arg_null(&a);
	PGresult *r = exec(st, S_VALUES, &a, "campaign read");
	if (!r)
		return -1;
	int rows = PQntuples(r);
	for (int i = 0; i < rows; i++)
		if (cb(ctx, pc_pg_col(r, i, 0), (long)pc_pg_long(r, i, 1)) != 0)
			break;
	PQclear(r);
	return 0;
}

int pc_pg_members(pc_store *st, long long id, pc_member_cb cb, void *ctx)
{
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, id);
	PGresult *r = exec(st, S_MEMBERS, &a, "member read");
	if (!r)
		return -1;
	int rows = PQntuples(r);
	for (int i = 0; i < rows; i++) {
		pc_member_row row = {pc_pg_col(r, i, 0), pc_pg_col(r, i, 1),          pc_pg_col(r, i, 2),
		                     pc_pg_col(r, i, 3), pc_pg_col(r, i, 4),          pc_pg_col(r, i, 5),
		                     pc_pg_col(r, i, 6), (time_t)pc_pg_long(r, i, 7), action_of(pc_pg_long(r, i, 8))};
		if (cb(ctx, &row) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

/* ---- writing ---- */

int pc_pg_add_value(pc_store *st, long long id, const char *kind, const char *value)
{
	if (!value || !*value)
		return 0;
	if (!kind) /* SQLite binds it as NULL */
		return pc_pg_fail(st, "campaign write", "NOT NULL constraint failed: campaign_value.kind");
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, id);
	text(&a, kind);
	text(&a, value);
	PGresult *r = exec(st, S_VALUE, &a, "campaign write");
	if (!r)
		return -1;
	int added = PQntuples(r) > 0 && !strcmp(pc_pg_col(r, 0, 0), "t");
	PQclear(r);
	return added;
}

/* The values of a member, by kind, as SQLite's pc_sqlite_campaign_add adds them one by
 * one (the empty ones are not values). */
typedef struct values {
	const char **kind, **value;
	size_t n;
} values;

static void push(values *v, const char *kind, const char *value)
{
	if (value && *value) {
		v->kind[v->n] = kind;
		v->value[v->n++] = value;
	}
}

static void push_all(values *v, const char *kind, const char *const *value, size_t n)
{
	for (size_t i = 0; i < n; i++)
		push(v, kind, value[i]);
}

/* Adds m to campaign id whose size before m is `size` (its row locked by
 * this transaction, or new in it): one statement (S_ADD). */
static int add(pc_store *st, long long id, long long size, const pc_member *m)
{
	char rcpt[MAX_TEXT + 1];
	pc_store_member_rcpt(m, rcpt, sizeof rcpt);
	/* sender, token, established and the lists (arrays in memory: the
	 * sum does not overflow) */
	size_t cap = 3 + m->nrcpt + m->ninfra + m->ntracker_hosts + m->ntemplates;
	values v = {malloc(cap * sizeof(char *)), malloc(cap * sizeof(char *)), 0};
	if (!v.kind || !v.value) {
		free(v.kind);
		free(v.value);
		return pc_pg_fail(st, "campaign write", "out of memory");
	}
	bool tokened = m->token && *m->token;
	push(&v, "sender", m->sender);
	push(&v, "token", m->token);
	push_all(&v, "rcpt", m->rcpt, m->nrcpt);
	push_all(&v, "infra", m->infra, m->ninfra);
	push_all(&v, "tracker", m->tracker_hosts, m->ntracker_hosts);
	push_all(&v, "template", m->templates, m->ntemplates);
	if (m->established)
		push(&v, "established", m->from_domain);

	pc_pg_args a = {0};
	pc_pg_arg_int(&a, id);
	text(&a, m->source);
	text(&a, m->message_id);
	text(&a, m->sender);
	text(&a, m->subject);
	text(&a, rcpt);
	text(&a, m->token);
	text(&a, m->rule);
	pc_pg_arg_int(&a, (long long)m->when);
	pc_pg_arg_int(&a, (long long)m->verdict);
	pc_pg_arg_int(&a, m->first_contact ? 1 : 0);
	pc_pg_arg_int(&a, m->established ? 1 : 0);
	pc_pg_arg_text_array(&a, v.kind, v.n, MAX_TEXT);
	pc_pg_arg_text_array(&a, v.value, v.n, MAX_TEXT);
	free(v.kind);
	free(v.value);
	/* the first members' band keys find the campaign; later members are
	 * found through them (bounded: MAX_BANDS keys per campaign) */
	bool banded = m->bands && size < MAX_BANDS / PC_STORE_BANDS;
	pc_pg_arg_u64_array(&a, m->bands, banded ? PC_STORE_BANDS : 0);
	pc_pg_arg_int(&a, MAX_BAND_CAMPAIGNS);
	pc_pg_arg_int(&a, tokened ? 1 : 0);
	text(&a, m->dkey);
	PGresult *r = exec(st, S_ADD, &a, "member write");
	if (!r)
		return -1;
	int added = PQntuples(r) > 0;
	PQclear(r);
	if (!added) /* SQLite: "UNIQUE constraint failed", nothing written */
		return pc_pg_fail(st, "member write", "this source and Message-ID are a member already");
	return 0;
}

int pc_pg_campaign_add(pc_store *st, long long id, const pc_member *m)
{
	bool own;
	if (pc_pg_own_begin(st, &own) != 0)
		return -1;
	/* first the campaign's row lock (see the top) */
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, id);
	PGresult *r = exec(st, S_LOCK, &a, "campaign read");
	int rc = -1;
	if (r) {
		if (PQntuples(r) > 0)
			rc = add(st, id, pc_pg_long(r, 0, 0), m);
		else
			snprintf(st->error, sizeof st->error, "campaign %lld: no such campaign", id);
		PQclear(r);
	}
	return pc_pg_own_end(st, own, rc);
}

int pc_pg_campaign_new(pc_store *st, const pc_member *m, long long *id)
{
	bool own;
	if (pc_pg_own_begin(st, &own) != 0)
		return -1;
	uint32_t none[PC_STORE_SIG];
	memset(none, 0xff, sizeof none);
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, (long long)m->when);
	text(&a, m->subject);
	pc_pg_arg_bytes(&a, m->sig ? (const void *)m->sig : (const void *)none, sizeof none);
	/* a new row: no other transaction sees it, so no lock to take */
	PGresult *r = exec(st, S_NEW, &a, "campaign write");
	int rc = -1;
	if (r) {
		if (PQntuples(r) > 0) {
			*id = pc_pg_long(r, 0, 0);
			rc = add(st, *id, 0, m);
		} else {
			pc_pg_fail(st, "campaign write", "no id returned");
		}
		PQclear(r);
	}
	return pc_pg_own_end(st, own, rc);
}

int pc_pg_member_verdict(pc_store *st, long long id, const char *source, const char *message_id, pc_action v,
                         const char *rule, pc_action own, const char *own_rule)
{
	bool mine;
	if (pc_pg_own_begin(st, &mine) != 0)
		return -1;
	/* the campaign (its row lock) before the member, unlike SQLite's
	 * order: the same result, and the lock order of every writer */
	pc_pg_args c = {0};
	pc_pg_arg_int(&c, id);
	pc_pg_arg_int(&c, (long long)v);
	int rc = run(st, S_VERDICT_CAMPAIGN, &c, "campaign write");
	if (rc == 0) {
		pc_pg_args a = {0};
		pc_pg_arg_int(&a, id);
		text(&a, source);
		text(&a, message_id);
		pc_pg_arg_int(&a, (long long)v);
		text(&a, rule);
		pc_pg_arg_int(&a, (long long)own);
		text(&a, own_rule);
		rc = run(st, S_VERDICT_MEMBER, &a, "member write");
	}
	return pc_pg_own_end(st, mine, rc);
}

int pc_pg_mark(pc_store *st, long long id, pc_campaign_status status, bool analyst, pc_action action, const char *why)
{
	bool own;
	if (pc_pg_own_begin(st, &own) != 0)
		return -1;
	/* the campaign's row lock before its members' (no such campaign:
	 * nothing to lock, and the members, if any, are set as SQLite does) */
	pc_pg_args l = {0};
	pc_pg_arg_int(&l, id);
	int rc = run(st, S_LOCK, &l, "campaign write");
	if (rc == 0) {
		pc_pg_args a = {0};
		pc_pg_arg_int(&a, id);
		pc_pg_arg_int(&a, (long long)status);
		pc_pg_arg_int(&a, analyst ? 1 : 0);
		pc_pg_arg_int(&a, (long long)action);
		text(&a, why);
		rc = run(st, S_MARK, &a, "campaign write");
	}
	return pc_pg_own_end(st, own, rc);
}
