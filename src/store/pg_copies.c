/*
 * NAME
 *   pg_copies - the URLs of a campaign's copies (PostgreSQL)
 * DESCRIPTION
 *   The translation of store/sqlite_copies.c and SQLite's schema 4 and 9.
 *   copy_url holds one row per (campaign, URL shape, recipient set):
 *   campaign/copies.c compares a new copy's values with at most `max` rows
 *   of its shape, the most recently stored first, an indexed range, so
 *   the cost per message does not grow with the campaign. ord numbers a
 *   shape's rows in the order they were stored, one more than the
 *   range's last; two nodes storing copies of one shape at the same
 *   moment may give theirs the same number, and then the larger rcpt
 *   comes first. Rows from before schema 2 have none and come last,
 *   newest first by time (SQLite numbers them in that order). A
 *   recipient set seen again keeps its first row (ON CONFLICT DO
 *   NOTHING, SQLite's INSERT OR IGNORE).
 *
 *   A token found updates the campaign's values and the earlier members
 *   the caller lists in one statement (not one per member): each member
 *   that had no token takes the first non-empty one listed for it, and
 *   counts once for every entry SQLite's row-by-row update would have
 *   matched (the entries up to that one), so the counters come out the
 *   same. Source and Message-ID are kept cut as member's are (a longer
 *   hostile Message-ID would never match its member). The
 *   campaign's row is locked before any member's (pg_campaign.c's order);
 *   called outside a message's transaction, the writes get their own.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_impl.h"

/* values SQLite binds whole: PostgreSQL's limit for a value */
#define UNCUT ((size_t)1 << 30)

const char PC_PG_SCHEMA_COPIES[] =
    "CREATE TABLE copy_url (campaign bigint NOT NULL, skel bigint NOT NULL, rcpt bigint NOT NULL,"
    " seen bigint NOT NULL, vals bytea NOT NULL, source text NOT NULL, message_id text NOT NULL,"
    " PRIMARY KEY (campaign, skel, rcpt));"
    /* rcpt last: SQLite's index of this WITHOUT ROWID table ends with the key */
    "CREATE INDEX copy_url_seen ON copy_url (campaign, skel, seen, rcpt);";

/* schema 2 (SQLite's 9): ord, the order a shape's rows were stored in.
 * The rows already there keep none (NULL) and come after every numbered
 * row, newest first by time, as they were read before: adding a column
 * with no default rewrites nothing, so a large table is not copied or
 * bloated, and the rows a node of the previous version adds during an
 * upgrade (its INSERT does not name ord) are read the same way instead
 * of failing. Only the index is built (pg.c's migrate() lifts the
 * connection's 10 s statement timeout for it: 1,000,000 rows take
 * longer); the table is locked meanwhile. */
const char PC_PG_MIGRATE_COPIES_2[] =
    "ALTER TABLE copy_url ADD COLUMN ord bigint;"
    "DROP INDEX copy_url_seen;"
    "CREATE INDEX copy_url_ord ON copy_url (campaign, skel, ord DESC NULLS LAST, seen DESC, rcpt DESC);";

enum { X_GET, X_ADD, X_TOKEN, X_COUNTS, X_END };
_Static_assert(X_END <= 8, "pg_copies.c owns 8 statement slots");
#define SLOT(x) (PC_PG_SLOT_COPIES + (x))

static const char *const sql[X_END] = {
    [X_GET] = "SELECT rcpt, vals, source, message_id, seen FROM copy_url WHERE campaign = $1 AND skel = $2"
              " ORDER BY ord DESC NULLS LAST, seen DESC, rcpt DESC LIMIT $3",
    /* the range's last number, read in the index's order */
    [X_ADD] = "INSERT INTO copy_url (campaign, skel, ord, rcpt, vals, source, message_id, seen)"
              " VALUES ($1, $2, coalesce((SELECT ord FROM copy_url WHERE campaign = $1 AND skel = $2"
              " AND ord IS NOT NULL ORDER BY ord DESC NULLS LAST LIMIT 1), 0) + 1,"
              " $3, $4, $5, $6, $7) ON CONFLICT (campaign, skel, rcpt) DO NOTHING",
    /* per (source, Message-ID): f, the first entry with a token; n, the
     * entries up to it (all when none has one) */
    [X_TOKEN] = "WITH t AS (SELECT s, i, k, o, min(o) FILTER (WHERE k <> '') OVER (PARTITION BY s, i) AS f"
                " FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u(s, i, k, o)),"
                " c AS (SELECT s, i, count(*) FILTER (WHERE f IS NULL OR o <= f) AS n,"
                " max(k) FILTER (WHERE o = f) AS k FROM t GROUP BY s, i)"
                " UPDATE member m SET token = COALESCE(c.k, '') FROM c WHERE m.source = c.s AND m.message_id = c.i"
                " AND m.campaign = $1 AND m.token = ''"
                /* the campaign's row lock first (pg_campaign.c), before any member's */
                " AND (SELECT count(*) FROM (SELECT 1 FROM campaign WHERE id = $1 FOR UPDATE) l) >= 0"
                " RETURNING c.n, m.token",
    [X_COUNTS] = "UPDATE campaign SET tokened = tokened + $2, tokens = tokens + $3 WHERE id = $1",
};

int pc_pg_copies_get(pc_store *st, long long id, uint64_t skel, size_t max, pc_copy_cb cb, void *ctx)
{
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, id);
	pc_pg_arg_u64(&a, skel);
	if (max > (size_t)LLONG_MAX)
		pc_pg_arg_null(&a); /* LIMIT NULL: all (SQLite: a negative limit) */
	else
		pc_pg_arg_int(&a, (long long)max);
	PGresult *r = pc_pg_exec(st, SLOT(X_GET), sql[X_GET], &a, "copies read");
	if (!r)
		return -1;
	int rc = 0, n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		unsigned char *vals;
		size_t len;
		if (pc_pg_blob(r, i, 1, &vals, &len) != 0) {
			rc = pc_pg_fail(st, "copies read", "out of memory");
			break;
		}
		pc_copy_row row = {pc_pg_u64(r, i, 0), (time_t)pc_pg_long(r, i, 4), vals, len,
		                   pc_pg_col(r, i, 2), pc_pg_col(r, i, 3)};
		int stop = cb(ctx, &row);
		free(vals);
		if (stop != 0)
			break;
	}
	PQclear(r);
	return rc;
}

int pc_pg_copies_add(pc_store *st, long long id, uint64_t skel, uint64_t rcpt, time_t when, const void *vals,
                     size_t len, const char *source, const char *message_id)
{
	/* SQLite binds no blob as NULL, and INSERT OR IGNORE skips the row */
	if (!vals)
		return 0;
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, id);
	pc_pg_arg_u64(&a, skel);
	pc_pg_arg_u64(&a, rcpt);
	pc_pg_arg_bytes(&a, vals, len);
	/* cut as member's are, so that the token found later matches them */
	pc_pg_arg_text(&a, source, PC_PG_MAX_TEXT);
	pc_pg_arg_text(&a, message_id, PC_PG_MAX_TEXT);
	pc_pg_arg_int(&a, (long long)when);
	return pc_pg_run(st, SLOT(X_ADD), sql[X_ADD], &a, "copies write");
}

/* The members' tokens: *tokened rows (as SQLite counts them), *distinct
 * tokens new to the campaign. */
static int set_tokens(pc_store *st, long long id, const pc_copy_token *tokens, size_t n, long long *tokened,
                      long long *distinct)
{
	/* an entry without source or Message-ID matches no member (SQLite
	 * compares with NULL); a NULL token is "" (copies.c gives hex) */
	const char **v = malloc(3 * n * sizeof *v);
	if (!v)
		return pc_pg_fail(st, "member write", "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!tokens[i].source || !tokens[i].message_id)
			continue;
		v[k] = tokens[i].source;
		v[n + k] = tokens[i].message_id;
		v[2 * n + k] = tokens[i].token ? tokens[i].token : "";
		k++;
	}
	if (!k) {
		free(v);
		return 0;
	}
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, id);
	pc_pg_arg_text_array(&a, v, k, UNCUT);
	pc_pg_arg_text_array(&a, v + n, k, UNCUT);
	pc_pg_arg_text_array(&a, v + 2 * n, k, UNCUT);
	PGresult *r = pc_pg_exec(st, SLOT(X_TOKEN), sql[X_TOKEN], &a, "member write");
	free(v);
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		*tokened += pc_pg_long(r, i, 0);
		int added = pc_pg_add_value(st, id, "token", pc_pg_col(r, i, 1));
		if (added < 0) {
			PQclear(r);
			return -1;
		}
		*distinct += added;
	}
	PQclear(r);
	return 0;
}

int pc_pg_copies_found(pc_store *st, long long id, const char *template_, const pc_copy_token *tokens, size_t n)
{
	/* in the message's transaction; else in one of its own, so the
	 * campaign's row lock covers every write (pg_campaign.c) */
	bool own;
	if (pc_pg_own_begin(st, &own) != 0)
		return -1;
	long long tokened = 0, distinct = 0;
	int rc = 0;
	if (pc_pg_add_value(st, id, "template", template_) < 0 ||
	    pc_pg_add_value(st, id, "per-recipient-token", template_) < 0 ||
	    (n && set_tokens(st, id, tokens, n, &tokened, &distinct) != 0))
		rc = -1;
	if (rc == 0 && tokened) {
		pc_pg_args a = {0};
		pc_pg_arg_int(&a, id);
		pc_pg_arg_int(&a, tokened);
		pc_pg_arg_int(&a, distinct);
		rc = pc_pg_run(st, SLOT(X_COUNTS), sql[X_COUNTS], &a, "campaign write");
	}
	return pc_pg_own_end(st, own, rc);
}
