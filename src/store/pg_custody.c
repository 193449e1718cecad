/*
 * NAME
 *   pg_custody - custody records and indicator sets (PostgreSQL)
 * DESCRIPTION
 *   The translation of store/sqlite_custody.c and SQLite's schema 5.
 *   custody: one row per (source, Message-ID, SHA-256), written in the
 *   message's transaction (ON CONFLICT DO NOTHING, SQLite's INSERT OR
 *   IGNORE: a message scanned again keeps its first record, the one made
 *   when it arrived, and fires no insert trigger). Listing a campaign's
 *   records reads the originals only when asked; rows come in pages by
 *   (arrived, id), so neither a large campaign nor its originals are held
 *   in memory at once. Retention sets originals to NULL in bounded steps
 *   through a partial index of the rows that still have them, oldest
 *   first, sparing campaigns marked malicious (status 1).
 *   ioc_set: a named indicator file as given, replaced when added again;
 *   listed by name in byte order (COLLATE "C", SQLite's BINARY).
 *
 *   Cuts: SQLite binds these values whole; here source and Message-ID are
 *   cut at PC_PG_MAX_TEXT bytes (as the member table keeps them), because
 *   they are in custody's unique index and PostgreSQL refuses an index
 *   row over about 2.7 kB: a hostile Message-ID must not make a message's
 *   record (and its transaction) fail.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_impl.h"

/* values SQLite binds whole: PostgreSQL's limit for a value */
#define UNCUT ((size_t)1 << 30)
/* SQLite's value limit (SQLITE_MAX_LENGTH): a larger message keeps its record, not its bytes */
#define MAX_ORIGINAL 1000000000u
#define PAGE 500     /* records per read without originals */
#define PAGE_ORIG 16 /* with them */

const char PC_PG_SCHEMA_CUSTODY[] =
    "CREATE TABLE custody (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, sha256 text NOT NULL,"
    " campaign bigint NOT NULL, source text NOT NULL, message_id text NOT NULL, arrived bigint NOT NULL,"
    " record text NOT NULL, original bytea, UNIQUE (source, message_id, sha256));"
    /* id last in each: the order SQLite's indexes give (they end with the rowid) */
    "CREATE INDEX custody_sha ON custody (sha256, arrived, id);"
    "CREATE INDEX custody_campaign ON custody (campaign, arrived, id);"
    "CREATE INDEX custody_kept ON custody (arrived, id) WHERE original IS NOT NULL;"
    "CREATE TABLE ioc_set (name text COLLATE \"C\" PRIMARY KEY, added bigint NOT NULL, actor text NOT NULL,"
    " count bigint NOT NULL, body bytea NOT NULL);";

enum {
	X_PUT,
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
_Static_assert(X_END <= 16, "pg_custody.c owns 16 statement slots");
#define SLOT(x) (PC_PG_SLOT_CUSTODY + (x))

/* 0..5 the record, 6 kept, 7 id (the page's key), 8 the original */
#define COLS "sha256, campaign, source, message_id, arrived, record, original IS NOT NULL, id"
#define NEXT " AND (arrived, id) > ($2, $3) ORDER BY arrived, id LIMIT $4"
static const char *const sql[X_END] = {
    [X_PUT] = "INSERT INTO custody (sha256, campaign, source, message_id, arrived, record, original)"
              " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source, message_id, sha256) DO NOTHING",
    [X_BY_CAMPAIGN] = "SELECT " COLS " FROM custody WHERE campaign = $1" NEXT,
    [X_BY_CAMPAIGN_ORIG] = "SELECT " COLS ", original FROM custody WHERE campaign = $1" NEXT,
    [X_BY_SHA] = "SELECT " COLS " FROM custody WHERE sha256 = $1" NEXT,
    [X_BY_SHA_ORIG] = "SELECT " COLS ", original FROM custody WHERE sha256 = $1" NEXT,
    /* original IS NOT NULL again outside: a row another node pruned
     * meanwhile is not counted twice */
    [X_PRUNE] = "UPDATE custody SET original = NULL WHERE original IS NOT NULL AND id IN (SELECT c.id FROM custody c"
                " LEFT JOIN campaign k ON k.id = c.campaign WHERE c.original IS NOT NULL AND c.arrived < $1"
                " AND COALESCE(k.status, 0) <> 1 ORDER BY c.arrived, c.id LIMIT $2)",
    [X_IOC_PUT] = "INSERT INTO ioc_set (name, added, actor, count, body) VALUES ($1, $2, $3, $4, $5)"
                  " ON CONFLICT (name) DO UPDATE SET added = EXCLUDED.added, actor = EXCLUDED.actor,"
                  " count = EXCLUDED.count, body = EXCLUDED.body",
    [X_IOC_LIST] = "SELECT name, added, actor, count FROM ioc_set ORDER BY name",
    [X_IOC_LIST_BODY] = "SELECT name, added, actor, count, body FROM ioc_set ORDER BY name",
    [X_IOC_DEL] = "DELETE FROM ioc_set WHERE name = $1",
};
#undef COLS
#undef NEXT

/* A command's row count (UPDATE, DELETE) */
static long changed(const PGresult *r)
{
	return strtol(PQcmdTuples((PGresult *)r), NULL, 10);
}

int pc_pg_custody_put(pc_store *st, const pc_custody *c)
{
	/* SQLite's INSERT OR IGNORE skips a row without its (NOT NULL) digest */
	if (!c->sha256)
		return 0;
	bool keep = c->original && c->n < MAX_ORIGINAL;
	pc_pg_args a = {0};
	pc_pg_arg_text(&a, c->sha256, UNCUT);
	pc_pg_arg_int(&a, c->campaign);
	pc_pg_arg_text(&a, c->source, PC_PG_MAX_TEXT);
	pc_pg_arg_text(&a, c->message_id, PC_PG_MAX_TEXT);
	pc_pg_arg_int(&a, (long long)c->arrived);
	pc_pg_arg_text(&a, c->record ? c->record : "{}", UNCUT);
	if (keep)
		pc_pg_arg_bytes(&a, c->original, c->n);
	else
		pc_pg_arg_null(&a);
	return pc_pg_run(st, SLOT(X_PUT), sql[X_PUT], &a, "custody write");
}

int pc_pg_custody_list(pc_store *st, long long campaign, const char *sha256, bool with_original, pc_custody_cb cb,
                       void *ctx)
{
	int x = campaign > 0 ? (with_original ? X_BY_CAMPAIGN_ORIG : X_BY_CAMPAIGN)
	                     : (with_original ? X_BY_SHA_ORIG : X_BY_SHA);
	int page = with_original ? PAGE_ORIG : PAGE;
	long long arrived = LLONG_MIN, after = LLONG_MIN;
	for (;;) {
		pc_pg_args a = {0};
		if (campaign > 0)
			pc_pg_arg_int(&a, campaign);
		else
			pc_pg_arg_text(&a, sha256, UNCUT);
		pc_pg_arg_int(&a, arrived);
		pc_pg_arg_int(&a, after);
		pc_pg_arg_int(&a, page);
		PGresult *r = pc_pg_exec(st, SLOT(x), sql[x], &a, "custody read");
		if (!r)
			return -1;
		int n = PQntuples(r);
		for (int i = 0; i < n; i++) {
			unsigned char *orig = NULL;
			size_t len = 0;
			if (with_original && pc_pg_blob(r, i, 8, &orig, &len) != 0) {
				PQclear(r);
				return pc_pg_fail(st, "custody read", "out of memory");
			}
			pc_custody c = {pc_pg_col(r, i, 0),
			                pc_pg_long(r, i, 1),
			                pc_pg_col(r, i, 2),
			                pc_pg_col(r, i, 3),
			                (time_t)pc_pg_long(r, i, 4),
			                pc_pg_col(r, i, 5),
			                orig,
			                len,
			                !strcmp(pc_pg_col(r, i, 6), "t")};
			arrived = pc_pg_long(r, i, 4);
			after = pc_pg_long(r, i, 7);
			int stop = cb(ctx, &c);
			free(orig);
			if (stop != 0) {
				PQclear(r);
				return 0;
			}
		}
		PQclear(r);
		if (n < page)
			return 0;
	}
}

int pc_pg_custody_prune(pc_store *st, time_t before, long max, long *dropped)
{
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, (long long)before);
	pc_pg_arg_int(&a, max > 0 ? max : 1);
	PGresult *r = pc_pg_exec(st, SLOT(X_PRUNE), sql[X_PRUNE], &a, "custody retention");
	if (!r)
		return -1;
	*dropped = changed(r);
	PQclear(r);
	return 0;
}

int pc_pg_ioc_put(pc_store *st, const pc_ioc_set *set)
{
	pc_pg_args a = {0};
	if (set->name)
		pc_pg_arg_text(&a, set->name, UNCUT);
	else
		pc_pg_arg_null(&a); /* refused (NOT NULL); SQLite would keep a set without a name */
	pc_pg_arg_int(&a, (long long)set->added);
	pc_pg_arg_text(&a, set->actor, UNCUT);
	pc_pg_arg_int(&a, set->count);
	pc_pg_arg_bytes(&a, set->body ? set->body : "", set->n);
	return pc_pg_run(st, SLOT(X_IOC_PUT), sql[X_IOC_PUT], &a, "indicator set write");
}

int pc_pg_ioc_list(pc_store *st, bool with_body, pc_ioc_set_cb cb, void *ctx)
{
	int x = with_body ? X_IOC_LIST_BODY : X_IOC_LIST;
	PGresult *r = pc_pg_exec(st, SLOT(x), sql[x], NULL, "indicator sets read");
	if (!r)
		return -1;
	int rc = 0, n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		unsigned char *body = NULL;
		size_t len = 0;
		if (with_body && pc_pg_blob(r, i, 4, &body, &len) != 0) {
			rc = pc_pg_fail(st, "indicator sets read", "out of memory");
			break;
		}
		pc_ioc_set set = {pc_pg_col(r, i, 0),
		                  pc_pg_col(r, i, 2),
		                  (time_t)pc_pg_long(r, i, 1),
		                  (long)pc_pg_long(r, i, 3),
		                  body,
		                  len};
		int stop = cb(ctx, &set);
		free(body);
		if (stop != 0)
			break;
	}
	PQclear(r);
	return rc;
}

int pc_pg_ioc_remove(pc_store *st, const char *name)
{
	pc_pg_args a = {0};
	if (name)
		pc_pg_arg_text(&a, name, UNCUT);
	else
		pc_pg_arg_null(&a); /* matches nothing, as in SQLite */
	PGresult *r = pc_pg_exec(st, SLOT(X_IOC_DEL), sql[X_IOC_DEL], &a, "indicator set delete");
	if (!r)
		return -1;
	int rc = changed(r) > 0 ? 1 : 0;
	PQclear(r);
	return rc;
}
