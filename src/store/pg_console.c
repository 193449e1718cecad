/*
 * NAME
 *   pg_console - what the console searches and shows (PostgreSQL)
 * DESCRIPTION
 *   The PostgreSQL twin of sqlite_console.c, answering as it does.
 *   message: one narrow row per custody record (same id), written by an
 *   AFTER INSERT trigger on custody, so every writer of custody fills it
 *   without knowing it exists. The trigger function reads the record as
 *   jsonb the way SQLite's json_extract reads it (strings as they are,
 *   true/false as 1/0, `seen` a number or numeric string, else the
 *   arrival; From cut at 320 characters, the subject at 1000, the
 *   envelope recipients space-separated and cut at 2000, the domain of
 *   the first impersonation.lookalike reason). A record that is not JSON
 *   (or that jsonb refuses: \u0000, a lone surrogate) still gets a row,
 *   with empty fields: parsing and reading happen in an exception block,
 *   so a custody insert never fails because of its record.
 *   Records our writer never makes can read differently: SQLite keeps a
 *   fractional or text `seen` as such in its INTEGER column (here floored,
 *   or the arrival), takes the first of duplicate keys (jsonb the last),
 *   spells non-integer numbers and nested values its own way, walks an
 *   object where an array belongs in written order (jsonb: by key), and
 *   fails the custody insert over a reason that is a string not JSON.
 *   console_user: the console's accounts. qindex: the quarantine
 *   directories' index, one row per (directory, QID).
 *
 *   Text columns are COLLATE "C", so ORDER BY and GROUP BY compare bytes
 *   as SQLite's BINARY does. Substrings are matched with strpos() on
 *   lower() under "C" (ASCII case folding only, as SQLite's lower()),
 *   which needs no escaping: % and _ are ordinary characters. Each search
 *   is one fixed statement whose optional filters take NULL for "any"
 *   (`$n IS NULL OR ...`), so nothing a person types reaches the SQL
 *   text and every statement has one slot.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "store/pg_impl.h"

#define MAX_TEXT 4000 /* as sqlite_console.c binds text */
#define PAGE_MAX 1000 /* a search's rows per page, at most */
#define PAGE_DEFAULT 50
#define TOP_DEFAULT 10

/* Applied by migration 1 after custody (pg_custody.c) exists. */
const char PC_PG_SCHEMA_CONSOLE[] =
    "CREATE TABLE message (id bigint PRIMARY KEY, seen bigint NOT NULL, campaign bigint NOT NULL,"
    " verdict text COLLATE \"C\" NOT NULL, rule text COLLATE \"C\" NOT NULL, sender text COLLATE \"C\" NOT NULL,"
    " subject text COLLATE \"C\" NOT NULL, rcpt text COLLATE \"C\" NOT NULL,"
    " lookalike text COLLATE \"C\" NOT NULL);"
    /* (seen, id): the searches' order, newest first */
    "CREATE INDEX message_seen ON message (seen, id);"
    "CREATE INDEX message_campaign ON message (campaign, seen);"
    /* a JSON value as SQLite's json_extract gives it as text (numbers
     * other than integers and nested values in jsonb's spelling) */
    "CREATE FUNCTION pc_console_text(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $f$"
    " SELECT CASE jsonb_typeof(v) WHEN 'string' THEN v #>> '{}'"
    " WHEN 'boolean' THEN CASE WHEN v = 'true'::jsonb THEN '1' ELSE '0' END"
    " WHEN 'null' THEN NULL ELSE v::text END $f$;"
    /* `seen` as the INTEGER column holds it: a number, true/false, or a
     * string SQLite takes for a number; floored and kept in bigint's
     * range (SQLite reads a REAL there rounded down, clamped); anything
     * else is the arrival */
    "CREATE FUNCTION pc_console_seen(v jsonb, arrived bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS $f$"
    " SELECT CASE WHEN n IS NULL THEN arrived"
    " ELSE LEAST(GREATEST(floor(n), -9223372036854775808), 9223372036854775807)::bigint END"
    " FROM (SELECT CASE jsonb_typeof(v) WHEN 'number' THEN v::numeric"
    " WHEN 'boolean' THEN CASE WHEN v = 'true'::jsonb THEN 1 ELSE 0 END"
    " WHEN 'string' THEN CASE WHEN v #>> '{}'"
    " ~ '^[ \\t\\n\\v\\f\\r]*[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]{1,4})?[ \\t\\n\\v\\f\\r]*$'"
    " THEN (v #>> '{}')::numeric END END AS n) s $f$;"
    /* one custody row's message row */
    "CREATE FUNCTION pc_console_message(p_id bigint, p_campaign bigint, p_arrived bigint, p_record text)"
    " RETURNS void LANGUAGE plpgsql AS $f$\n"
    "DECLARE\n"
    " j jsonb; r jsonb; s text;\n"
    " v_seen bigint := COALESCE(p_arrived, 0);\n"
    " v_verdict text := ''; v_rule text := ''; v_sender text := ''; v_subject text := '';\n"
    " v_rcpt text := ''; v_look text := '';\n"
    "BEGIN\n"
    " BEGIN\n"
    "  j := p_record::jsonb;\n"
    "  v_seen := pc_console_seen(j -> 'seen', v_seen);\n"
    "  v_verdict := COALESCE(pc_console_text(j -> 'verdict'), '');\n"
    "  v_rule := COALESCE(pc_console_text(j -> 'rule'), '');\n"
    "  v_sender := left(COALESCE(pc_console_text(j -> 'from'), ''), 320);\n"
    "  v_subject := left(COALESCE(pc_console_text(j -> 'subject'), ''), 1000);\n"
    /* json_each: an array's elements, an object's values, or the value */
    "  r := j #> '{envelope,rcpt}';\n"
    "  IF jsonb_typeof(r) = 'array' THEN\n"
    "   SELECT string_agg(pc_console_text(x.e), ' ' ORDER BY x.n) INTO s\n"
    "    FROM jsonb_array_elements(r) WITH ORDINALITY AS x(e, n);\n"
    "  ELSIF jsonb_typeof(r) = 'object' THEN\n"
    "   SELECT string_agg(pc_console_text(x.e), ' ' ORDER BY x.n) INTO s\n"
    "    FROM jsonb_each(r) WITH ORDINALITY AS x(k, e, n);\n"
    "  ELSE\n"
    "   s := pc_console_text(r);\n"
    "  END IF;\n"
    "  v_rcpt := left(COALESCE(s, ''), 2000);\n"
    /* the first lookalike reason's domain (none there: '') */
    "  r := j -> 'reasons';\n"
    "  s := NULL;\n"
    "  IF jsonb_typeof(r) = 'array' THEN\n"
    "   SELECT pc_console_text(x.e #> '{evidence,domain}') INTO s\n"
    "    FROM jsonb_array_elements(r) WITH ORDINALITY AS x(e, n)\n"
    "    WHERE x.e ->> 'detector' = 'impersonation.lookalike' ORDER BY x.n LIMIT 1;\n"
    "  ELSIF jsonb_typeof(r) = 'object' THEN\n"
    "   SELECT pc_console_text(x.e #> '{evidence,domain}') INTO s\n"
    "    FROM jsonb_each(r) WITH ORDINALITY AS x(k, e, n)\n"
    "    WHERE x.e ->> 'detector' = 'impersonation.lookalike' ORDER BY x.n LIMIT 1;\n"
    "  END IF;\n"
    "  v_look := COALESCE(s, '');\n"
    " EXCEPTION WHEN OTHERS THEN\n"
    "  v_seen := COALESCE(p_arrived, 0);\n"
    "  v_verdict := ''; v_rule := ''; v_sender := ''; v_subject := ''; v_rcpt := ''; v_look := '';\n"
    " END;\n"
    " INSERT INTO message (id, seen, campaign, verdict, rule, sender, subject, rcpt, lookalike)\n"
    "  VALUES (p_id, v_seen, COALESCE(p_campaign, 0), v_verdict, v_rule, v_sender, v_subject, v_rcpt, v_look)\n"
    "  ON CONFLICT (id) DO UPDATE SET seen = excluded.seen, campaign = excluded.campaign,\n"
    "  verdict = excluded.verdict, rule = excluded.rule, sender = excluded.sender,\n"
    "  subject = excluded.subject, rcpt = excluded.rcpt, lookalike = excluded.lookalike;\n"
    "END $f$;"
    /* a NULL record gets no row, as SQLite's two WHEN clauses give none */
    "CREATE FUNCTION pc_console_custody() RETURNS trigger LANGUAGE plpgsql AS $f$\n"
    "BEGIN\n"
    " IF NEW.record IS NOT NULL THEN\n"
    "  PERFORM pc_console_message(NEW.id, NEW.campaign, NEW.arrived, NEW.record);\n"
    " END IF;\n"
    " RETURN NULL;\n"
    "END $f$;"
    "CREATE TRIGGER custody_message AFTER INSERT ON custody FOR EACH ROW EXECUTE FUNCTION pc_console_custody();"
    /* the rows custody already had */
    "DO $f$ BEGIN"
    " PERFORM pc_console_message(id, campaign, arrived, record) FROM custody WHERE record IS NOT NULL;"
    " END $f$;"
    "CREATE TABLE console_user (name text COLLATE \"C\" PRIMARY KEY, role text COLLATE \"C\" NOT NULL,"
    " hash text COLLATE \"C\" NOT NULL, created bigint NOT NULL, changed bigint NOT NULL,"
    " disabled boolean NOT NULL DEFAULT false);"
    "CREATE TABLE qindex (dir text COLLATE \"C\" NOT NULL, qid text COLLATE \"C\" NOT NULL, arrived bigint NOT NULL,"
    " sender text COLLATE \"C\" NOT NULL, rcpt text COLLATE \"C\" NOT NULL, subject text COLLATE \"C\" NOT NULL,"
    " reason text COLLATE \"C\" NOT NULL, campaign bigint NOT NULL, sha256 text COLLATE \"C\" NOT NULL,"
    " size bigint NOT NULL, PRIMARY KEY (dir, qid));"
    /* (dir, arrived, qid): the search's order, newest first */
    "CREATE INDEX qindex_arrived ON qindex (dir, arrived, qid);"
    "CREATE INDEX qindex_campaign ON qindex (campaign);";

/* statement i is slot PC_PG_SLOT_CONSOLE + i */
enum {
	X_USER_PUT,
	X_USER_GET,
	X_USER_LIST,
	X_USER_DEL,
	X_Q_PUT,
	X_Q_DEL,
	X_Q_LIST,
	X_Q_COUNT,
	X_Q_SEARCH,
	X_M_COUNT,
	X_M_SEARCH,
	X_SERIES,
	X_TOP_LOOKALIKE,
	X_TOP_TRACKER,
	X_TOP_SENDER,
	X_END
};
_Static_assert(X_END <= 56, "pg_console.c has slots 104..159");

#define USER_COLS "SELECT name, role, hash, created, changed, disabled FROM console_user"
#define Q_COLS "SELECT dir, qid, sender, rcpt, subject, reason, sha256, campaign, size, arrived FROM qindex"

/* Optional filters: NULL is "any". A text filter is a substring,
 * ASCII case-insensitively: strpos(lower(col), lower($n)), both under
 * "C". $1 dir, $2 sender, $3 rcpt, $4 subject, $5 campaign, $6 from,
 * $7 to, $8 sha256, $9 reason */
#define Q_WHERE                                                                                                        \
	" WHERE dir = $1::text"                                                                                        \
	" AND ($2::text IS NULL OR strpos(lower(sender), lower($2::text COLLATE \"C\")) > 0)"                          \
	" AND ($3::text IS NULL OR strpos(lower(rcpt), lower($3::text COLLATE \"C\")) > 0)"                            \
	" AND ($4::text IS NULL OR strpos(lower(subject), lower($4::text COLLATE \"C\")) > 0)"                         \
	" AND ($5::bigint IS NULL OR campaign = $5::bigint)"                                                           \
	" AND ($6::bigint IS NULL OR arrived >= $6::bigint)"                                                           \
	" AND ($7::bigint IS NULL OR arrived < $7::bigint)"                                                            \
	" AND ($8::text IS NULL OR sha256 = lower($8::text COLLATE \"C\"))"                                            \
	" AND ($9::text IS NULL OR strpos(lower(reason), lower($9::text COLLATE \"C\")) > 0)"

#define M_FROM " FROM message m JOIN custody c ON c.id = m.id"
/* $1 sender, $2 rcpt, $3 subject, $4 campaign, $5 from, $6 to,
 * $7 sha256, $8 id, $9 verdict (exact), $10 reason (in the rule) */
#define M_WHERE                                                                                                        \
	" WHERE ($1::text IS NULL OR strpos(lower(m.sender), lower($1::text COLLATE \"C\")) > 0)"                      \
	" AND ($2::text IS NULL OR strpos(lower(m.rcpt), lower($2::text COLLATE \"C\")) > 0)"                          \
	" AND ($3::text IS NULL OR strpos(lower(m.subject), lower($3::text COLLATE \"C\")) > 0)"                       \
	" AND ($4::bigint IS NULL OR m.campaign = $4::bigint)"                                                         \
	" AND ($5::bigint IS NULL OR m.seen >= $5::bigint)"                                                            \
	" AND ($6::bigint IS NULL OR m.seen < $6::bigint)"                                                             \
	" AND ($7::text IS NULL OR c.sha256 = lower($7::text COLLATE \"C\"))"                                          \
	" AND ($8::bigint IS NULL OR m.id = $8::bigint)"                                                               \
	" AND ($9::text IS NULL OR m.verdict = $9::text)"                                                              \
	" AND ($10::text IS NULL OR strpos(lower(m.rule), lower($10::text COLLATE \"C\")) > 0)"

#define STR(x) #x
#define XSTR(x) STR(x)

static const char *const sql[X_END] = {
    [X_USER_PUT] = "INSERT INTO console_user (name, role, hash, created, changed, disabled)"
                   " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET role = excluded.role,"
                   " hash = excluded.hash, created = excluded.created, changed = excluded.changed,"
                   " disabled = excluded.disabled",
    [X_USER_GET] = USER_COLS " WHERE name = $1::text",
    [X_USER_LIST] = USER_COLS " ORDER BY name COLLATE \"C\"",
    [X_USER_DEL] = "DELETE FROM console_user WHERE name = $1::text RETURNING 1",
    [X_Q_PUT] = "INSERT INTO qindex (dir, qid, arrived, sender, rcpt, subject, reason, campaign, sha256, size)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (dir, qid) DO UPDATE SET"
                " arrived = excluded.arrived, sender = excluded.sender, rcpt = excluded.rcpt,"
                " subject = excluded.subject, reason = excluded.reason, campaign = excluded.campaign,"
                " sha256 = excluded.sha256, size = excluded.size",
    [X_Q_DEL] = "DELETE FROM qindex WHERE dir = $1::text AND qid = $2::text",
    [X_Q_LIST] = Q_COLS " WHERE dir = $1::text ORDER BY qid COLLATE \"C\"",
    [X_Q_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM qindex" Q_WHERE " LIMIT " XSTR(PC_QUERY_COUNT_MAX) ") s",
    [X_Q_SEARCH] = Q_COLS Q_WHERE " ORDER BY arrived DESC, qid COLLATE \"C\" DESC LIMIT $10::bigint OFFSET $11::bigint",
    [X_M_COUNT] = "SELECT count(*) FROM (SELECT 1" M_FROM M_WHERE " LIMIT " XSTR(PC_QUERY_COUNT_MAX) ") s",
    [X_M_SEARCH] = "SELECT m.id, m.campaign, c.sha256, c.source, c.message_id, m.verdict, m.rule, m.sender,"
                   " m.subject, m.rcpt, m.lookalike, m.seen, c.arrived, (c.original IS NOT NULL)::int" M_FROM M_WHERE
                   " ORDER BY m.seen DESC, m.id DESC LIMIT $11::bigint OFFSET $12::bigint",
    /* seen >= from: the difference is not negative, so / floors */
    [X_SERIES] = "SELECT (seen - $1::bigint) / $2::bigint, verdict, count(*) FROM message WHERE seen >= $1::bigint"
                 " GROUP BY 1, 2 ORDER BY 1, verdict COLLATE \"C\"",
    [X_TOP_LOOKALIKE] = "SELECT lookalike, count(*) FROM message WHERE seen >= $1::bigint AND lookalike <> ''"
                        " GROUP BY lookalike ORDER BY 2 DESC, lookalike COLLATE \"C\" LIMIT $2::bigint",
    /* campaigns that had a message scanned in the window */
    [X_TOP_TRACKER] = "SELECT v.value, sum(v.count) FROM campaign_value v WHERE v.kind = 'tracker' AND v.campaign IN"
                      " (SELECT campaign FROM message WHERE seen >= $1::bigint AND campaign > 0)"
                      " GROUP BY v.value ORDER BY 2 DESC, v.value COLLATE \"C\" LIMIT $2::bigint",
    [X_TOP_SENDER] = "SELECT d, count(*) FROM (SELECT substr(sender, strpos(sender, '@') + 1) AS d FROM message"
                     " WHERE seen >= $1::bigint AND verdict IN ('quarantine', 'reject') AND sender <> '') s"
                     " GROUP BY d ORDER BY 2 DESC, d COLLATE \"C\" LIMIT $2::bigint",
};

static PGresult *exec(pc_store *st, int x, pc_pg_args *a, const char *what)
{
	return pc_pg_exec(st, PC_PG_SLOT_CONSOLE + x, sql[x], a, what);
}

static int run(pc_store *st, int x, pc_pg_args *a, const char *what)
{
	return pc_pg_run(st, PC_PG_SLOT_CONSOLE + x, sql[x], a, what);
}

static bool set(const char *s)
{
	return s && *s;
}

/* a text filter: the value, or NULL for "any" */
static void opt_text(pc_pg_args *a, const char *v)
{
	if (set(v))
		pc_pg_arg_text(a, v, MAX_TEXT);
	else
		pc_pg_arg_null(a);
}

static void opt_int(pc_pg_args *a, bool on, long long v)
{
	if (on)
		pc_pg_arg_int(a, v);
	else
		pc_pg_arg_null(a);
}

/* sender, rcpt, subject, campaign (-1: none, i.e. 0), from, to, sha256 */
static void common(pc_pg_args *a, const pc_query *q)
{
	opt_text(a, q->sender);
	opt_text(a, q->rcpt);
	opt_text(a, q->subject);
	opt_int(a, q->campaign != 0, q->campaign > 0 ? q->campaign : 0);
	opt_int(a, q->from > 0, (long long)q->from);
	opt_int(a, q->to > 0, (long long)q->to);
	opt_text(a, q->sha256);
}

static void page(pc_pg_args *a, const pc_query *q)
{
	pc_pg_arg_int(a, q->limit > 0 && q->limit <= PAGE_MAX ? q->limit : PAGE_DEFAULT);
	pc_pg_arg_int(a, q->offset > 0 ? q->offset : 0);
}

/* ---- accounts ---- */

int pc_pg_user_put(pc_store *st, const pc_user *u)
{
	pc_pg_args a = {0};
	pc_pg_arg_text(&a, u->name, MAX_TEXT);
	pc_pg_arg_text(&a, u->role, MAX_TEXT);
	pc_pg_arg_text(&a, u->hash, MAX_TEXT);
	pc_pg_arg_int(&a, (long long)u->created);
	pc_pg_arg_int(&a, (long long)u->changed);
	pc_pg_arg_bool(&a, u->disabled);
	return run(st, X_USER_PUT, &a, "account write");
}

/* the rows to cb until it answers non-zero: how many there were */
static int users(pc_store *st, int x, pc_pg_args *a, pc_user_cb cb, void *ctx)
{
	PGresult *r = exec(st, x, a, "account read");
	if (!r)
		return -1;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		pc_user u = {pc_pg_col(r, i, 0),          pc_pg_col(r, i, 1),          pc_pg_col(r, i, 2),
		             (time_t)pc_pg_long(r, i, 3), (time_t)pc_pg_long(r, i, 4), pc_pg_long(r, i, 5) != 0};
		if (cb(ctx, &u) != 0)
			break;
	}
	PQclear(r);
	return n;
}

int pc_pg_user_get(pc_store *st, const char *name, pc_user_cb cb, void *ctx)
{
	pc_pg_args a = {0};
	pc_pg_arg_text(&a, name, MAX_TEXT);
	int n = users(st, X_USER_GET, &a, cb, ctx);
	return n < 0 ? -1 : n > 0;
}

int pc_pg_user_list(pc_store *st, pc_user_cb cb, void *ctx)
{
	return users(st, X_USER_LIST, NULL, cb, ctx) < 0 ? -1 : 0;
}

int pc_pg_user_remove(pc_store *st, const char *name)
{
	pc_pg_args a = {0};
	pc_pg_arg_text(&a, name, MAX_TEXT);
	PGresult *r = exec(st, X_USER_DEL, &a, "account removal");
	if (!r)
		return -1;
	int n = PQntuples(r);
	PQclear(r);
	return n > 0;
}

/* ---- the quarantine index ---- */

int pc_pg_qindex_put(pc_store *st, const pc_qindex *q)
{
	pc_pg_args a = {0};
	pc_pg_arg_text(&a, q->dir, MAX_TEXT);
	pc_pg_arg_text(&a, q->qid, MAX_TEXT);
	pc_pg_arg_int(&a, (long long)q->arrived);
	pc_pg_arg_text(&a, q->sender, MAX_TEXT);
	pc_pg_arg_text(&a, q->rcpt, MAX_TEXT);
	pc_pg_arg_text(&a, q->subject, MAX_TEXT);
	pc_pg_arg_text(&a, q->reason, MAX_TEXT);
	pc_pg_arg_int(&a, q->campaign);
	pc_pg_arg_text(&a, q->sha256, MAX_TEXT);
	pc_pg_arg_int(&a, q->size);
	return run(st, X_Q_PUT, &a, "quarantine index write");
}

int pc_pg_qindex_remove(pc_store *st, const char *dir, const char *qid)
{
	pc_pg_args a = {0};
	pc_pg_arg_text(&a, dir, MAX_TEXT);
	pc_pg_arg_text(&a, qid, MAX_TEXT);
	return run(st, X_Q_DEL, &a, "quarantine index removal");
}

static int qrows(pc_store *st, int x, pc_pg_args *a, pc_qindex_cb cb, void *ctx, const char *what)
{
	PGresult *r = exec(st, x, a, what);
	if (!r)
		return -1;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		pc_qindex q = {pc_pg_col(r, i, 0),  pc_pg_col(r, i, 1),         pc_pg_col(r, i, 2), pc_pg_col(r, i, 3),
		               pc_pg_col(r, i, 4),  pc_pg_col(r, i, 5),         pc_pg_col(r, i, 6), pc_pg_long(r, i, 7),
		               pc_pg_long(r, i, 8), (time_t)pc_pg_long(r, i, 9)};
		if (cb(ctx, &q) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

int pc_pg_qindex_list(pc_store *st, const char *dir, pc_qindex_cb cb, void *ctx)
{
	pc_pg_args a = {0};
	pc_pg_arg_text(&a, dir, MAX_TEXT);
	return qrows(st, X_Q_LIST, &a, cb, ctx, "quarantine index read");
}

/* ---- searches: one fixed statement each, NULL for a filter not set ---- */

/* The matching rows, counted up to PC_QUERY_COUNT_MAX; -1 on error */
static long count(pc_store *st, int x, pc_pg_args *a)
{
	PGresult *r = exec(st, x, a, "search count");
	if (!r)
		return -1;
	long n = PQntuples(r) > 0 ? (long)pc_pg_long(r, 0, 0) : 0;
	PQclear(r);
	return n;
}

static void qindex_args(pc_pg_args *a, const char *dir, const pc_query *q)
{
	pc_pg_arg_text(a, dir, MAX_TEXT);
	common(a, q);
	opt_text(a, q->reason);
}

int pc_pg_qindex_search(pc_store *st, const char *dir, const pc_query *q, pc_qindex_cb cb, void *ctx, long *total)
{
	pc_pg_args a = {0};
	qindex_args(&a, dir, q);
	if ((*total = count(st, X_Q_COUNT, &a)) < 0)
		return -1;
	pc_pg_args b = {0};
	qindex_args(&b, dir, q);
	page(&b, q);
	return qrows(st, X_Q_SEARCH, &b, cb, ctx, "quarantine search");
}

static void message_args(pc_pg_args *a, const pc_query *q)
{
	common(a, q);
	opt_int(a, q->id > 0, q->id);
	opt_text(a, q->verdict);
	opt_text(a, q->reason);
}

int pc_pg_message_search(pc_store *st, const pc_query *q, pc_msg_cb cb, void *ctx, long *total)
{
	pc_pg_args a = {0};
	message_args(&a, q);
	if ((*total = count(st, X_M_COUNT, &a)) < 0)
		return -1;
	pc_pg_args b = {0};
	message_args(&b, q);
	page(&b, q);
	PGresult *r = exec(st, X_M_SEARCH, &b, "message search");
	if (!r)
		return -1;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		pc_msg_row m = {pc_pg_long(r, i, 0),          pc_pg_long(r, i, 1),      pc_pg_col(r, i, 2),
		                pc_pg_col(r, i, 3),           pc_pg_col(r, i, 4),       pc_pg_col(r, i, 5),
		                pc_pg_col(r, i, 6),           pc_pg_col(r, i, 7),       pc_pg_col(r, i, 8),
		                pc_pg_col(r, i, 9),           pc_pg_col(r, i, 10),      (time_t)pc_pg_long(r, i, 11),
		                (time_t)pc_pg_long(r, i, 12), pc_pg_long(r, i, 13) != 0};
		if (cb(ctx, &m) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

/* ---- the overview ---- */

int pc_pg_verdict_series(pc_store *st, time_t from, long step, pc_series_cb cb, void *ctx)
{
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, (long long)from);
	pc_pg_arg_int(&a, step);
	PGresult *r = exec(st, X_SERIES, &a, "verdict series");
	if (!r)
		return -1;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++)
		if (cb(ctx, from + (time_t)pc_pg_long(r, i, 0) * step, pc_pg_col(r, i, 1), (long)pc_pg_long(r, i, 2)) !=
		    0)
			break;
	PQclear(r);
	return 0;
}

int pc_pg_top(pc_store *st, const char *what, time_t from, size_t max, pc_value_cb cb, void *ctx)
{
	if (!what)
		what = "";
	int which = !strcmp(what, "lookalike")       ? X_TOP_LOOKALIKE
	            : !strcmp(what, "tracker")       ? X_TOP_TRACKER
	            : !strcmp(what, "sender_domain") ? X_TOP_SENDER
	                                             : -1;
	if (which < 0) {
		snprintf(st->error, sizeof st->error, "no such list: %s", what);
		return -1;
	}
	pc_pg_args a = {0};
	pc_pg_arg_int(&a, (long long)from);
	/* beyond bigint SQLite's LIMIT goes negative: no limit, as NULL here */
	if (max == 0)
		pc_pg_arg_int(&a, TOP_DEFAULT);
	else if (max <= (size_t)LLONG_MAX)
		pc_pg_arg_int(&a, (long long)max);
	else
		pc_pg_arg_null(&a);
	PGresult *r = exec(st, which, &a, "top list");
	if (!r)
		return -1;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++)
		if (cb(ctx, pc_pg_col(r, i, 0), (long)pc_pg_long(r, i, 1)) != 0)
			break;
	PQclear(r);
	return 0;
}
