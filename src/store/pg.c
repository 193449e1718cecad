/*
 * NAME
 *   pg - the shared store back end (PostgreSQL, several filter nodes)
 * DESCRIPTION
 *   `[store] backend = postgresql` (or a store named "postgresql://..." or
 *   "postgresql:KEY=VALUE ...", libpq's two forms of a connection string):
 *   every node's milter workers, its CLI and the console use one database,
 *   so a campaign spread over several MX hosts is one campaign. The
 *   password may come from `[store] password_file` (never from argv);
 *   TLS is libpq's (sslmode=verify-full, sslrootcert=... in the string).
 *
 *   One connection per pc_store; a store is used by one thread at a time.
 *   Defaults the connection string can override: connect_timeout from
 *   `[store] timeout`, TCP keepalives (idle 5 s, 3 probes 2 s apart) and
 *   tcp_user_timeout, so a cut network is noticed within seconds;
 *   application_name "portcullis"; gssencmode=disable (GSSAPI reads its
 *   mechanism directory, which a milter worker's sandbox does not allow:
 *   Kerberos sites set gssencmode and run the milter without the sandbox).
 *   Each connection then sets its own
 *   statement_timeout and lock_timeout to the same timeout, so no call
 *   waits on the server longer than that: a milter worker answers its MTA
 *   (with the configured store-error behaviour) instead of hanging.
 *   A connection found broken is re-established on the next call made
 *   outside a transaction (the transaction in flight fails, its caller
 *   rolls back, the message gets the store-error behaviour); prepared
 *   statements are prepared again on the new connection. After a failed
 *   attempt, calls fail at once for a second (the reason kept), so a
 *   message meeting a server that is down costs one connect timeout, not
 *   one per store call.
 *
 *   Transactions: pc_store_begin opens one per message (READ COMMITTED).
 *   Batching (pc_store_batch) is not done here: a message commits alone,
 *   as the milter needs; the server's own commit_delay groups flushes.
 *   How two nodes agree on campaigns is in pg_campaign.c.
 *
 *   Schema: the table portcullis_schema holds the version; migrations
 *   run one per transaction under a transaction-scoped advisory lock, so
 *   nodes starting at once upgrade the database once and the others wait
 *   and find it done. A database newer than this program is refused.
 *     1: every table of SQLite's schema 6, in PostgreSQL's types, each
 *        file's part (pg_impl.h: PC_PG_SCHEMA_*).
 *     2: copy_url.ord, SQLite's schema 9: a shape's rows numbered in the
 *        order they were stored; the old ones keep none and are read
 *        after them in their time order (pg_copies.c).
 *   A node's role may not change the schema (docs/store.md: roles): the
 *   error of an upgrade it cannot make says that the owner makes it.
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include "store/pg_impl.h"

#define SCHEMA_VERSION 2
/* the two-key form: its own space, apart from the band keys' bigint locks */
#define MIGRATION_LOCK "pg_advisory_xact_lock(1886352500, 1)" /* "port", 1 */
#define DEFAULT_TIMEOUT_MS 10000
/* what to do when a node's role may not upgrade (short: a lazily opened
 * store's error has 256 bytes) */
#define OWNER_UPGRADES "the store's owner upgrades it: docs/store.md"

typedef struct pg {
	PGconn *conn;
	char *conninfo;
	char *password; /* from [store] password_file, or NULL */
	unsigned timeout_ms;
	bool in_tx;
	bool prepared[PC_PG_SLOTS];
	struct timespec down_until; /* a failed connect is not retried before this (monotonic) */
	char down_why[256];
	bool migrated;
	/* libpq's defaults that need the user's passwd entry, read once at
	 * open: a reconnection inside a milter worker's seccomp sandbox must
	 * not call getpwuid() (NSS may open a socket the sandbox forbids) */
	char *def_user, *def_passfile, *def_ssl[4];
	char where[200]; /* host:port/db for messages (never the password) */
} pg;

const char PC_PG_SCHEMA_CORE[] = "CREATE TABLE contact (sender text NOT NULL, domain text NOT NULL, rcpt text NOT NULL,"
                                 " first_seen bigint NOT NULL, last_seen bigint NOT NULL, count bigint NOT NULL,"
                                 " PRIMARY KEY (sender, rcpt));"
                                 "CREATE INDEX contact_domain ON contact (domain);";

/* ---- connection ---- */

static void set_error(pc_store *st, const char *what, const char *msg)
{
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	pg *q = st->impl;
	snprintf(st->error, sizeof st->error, "%s: %s: %.*s", q->where, what, (int)n, msg);
}

int pc_pg_fail(pc_store *st, const char *what, const char *msg)
{
	pg *q = st->impl;
	set_error(st, what, msg ? msg : q->conn ? PQerrorMessage(q->conn) : "no connection");
	return -1;
}

void pc_store_pg_describe(const char *conninfo, char *out, size_t outlen)
{
	char *err = NULL;
	PQconninfoOption *o = PQconninfoParse(conninfo, &err);
	const char *host = "", *port = "", *db = "";
	for (PQconninfoOption *p = o; p && p->keyword; p++) {
		if (!p->val)
			continue;
		if (!strcmp(p->keyword, "host") || (!strcmp(p->keyword, "hostaddr") && !*host))
			host = p->val;
		else if (!strcmp(p->keyword, "port"))
			port = p->val;
		else if (!strcmp(p->keyword, "dbname"))
			db = p->val;
	}
	if (o)
		snprintf(out, outlen, "postgresql %s%s%s/%s", *host ? host : "(local)", *port ? ":" : "", port, db);
	else
		snprintf(out, outlen, "postgresql (a connection string libpq cannot read)");
	PQconninfoFree(o);
	PQfreemem(err);
}

/* The server's notices ("already exists, skipping") are not ours to
 * print on a mail host's stderr */
static void no_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int connect_now(pc_store *st)
{
	pg *q = st->impl;
	if (q->conn)
		PQfinish(q->conn);
	memset(q->prepared, 0, sizeof q->prepared);
	q->in_tx = false;
	char ct[16], tut[16];
	unsigned secs = (q->timeout_ms + 999) / 1000;
	snprintf(ct, sizeof ct, "%u", secs < 2 ? 2 : secs); /* libpq's minimum is 2 s */
	snprintf(tut, sizeof tut, "%u", q->timeout_ms);
	/* defaults first: the connection string's own values override them;
	 * the password file's value last */
	const char *keys[] = {"connect_timeout",
	                      "keepalives",
	                      "keepalives_idle",
	                      "keepalives_interval",
	                      "keepalives_count",
	                      "tcp_user_timeout",
	                      "application_name",
	                      "client_encoding",
	                      "gssencmode",
	                      "user",
	                      "passfile",
	                      "sslcert",
	                      "sslkey",
	                      "sslrootcert",
	                      "sslcrl",
	                      "dbname",
	                      q->password ? "password" : NULL,
	                      NULL};
	/* a NULL value is "not given": libpq's own default (or environment) */
	const char *vals[] = {ct,
	                      "1",
	                      "5",
	                      "2",
	                      "3",
	                      tut,
	                      "portcullis",
	                      "UTF8",
	                      "disable",
	                      q->def_user,
	                      q->def_passfile,
	                      q->def_ssl[0],
	                      q->def_ssl[1],
	                      q->def_ssl[2],
	                      q->def_ssl[3],
	                      q->conninfo,
	                      q->password,
	                      NULL};
	q->conn = PQconnectdbParams(keys, vals, 1);
	if (!q->conn)
		return pc_pg_fail(st, "connect", "out of memory");
	if (PQstatus(q->conn) != CONNECTION_OK)
		return pc_pg_fail(st, "connect", NULL);
	PQsetNoticeProcessor(q->conn, no_notice, NULL);
	char set[160];
	snprintf(set, sizeof set,
	         "SET statement_timeout = %u; SET lock_timeout = %u; SET idle_in_transaction_session_timeout = %u",
	         q->timeout_ms, q->timeout_ms, q->timeout_ms * 6);
	PGresult *r = PQexec(q->conn, set);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		pc_pg_fail(st, "connect", PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

static int migrate(pc_store *st, char *err, size_t errlen);

/* A working connection, re-established when broken and no transaction
 * was open on it. */
static int ensure(pc_store *st)
{
	pg *q = st->impl;
	if (q->conn && PQstatus(q->conn) == CONNECTION_OK && q->migrated)
		return 0;
	if (q->in_tx) {
		snprintf(st->error, sizeof st->error, "%s: the connection was lost in a transaction", q->where);
		return -1;
	}
	/* the server is down: every call of this message and the next
	 * second's fails at once, instead of each waiting connect_timeout */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec < q->down_until.tv_sec ||
	    (now.tv_sec == q->down_until.tv_sec && now.tv_nsec < q->down_until.tv_nsec)) {
		memcpy(st->error, q->down_why, sizeof st->error);
		return -1;
	}
	if (connect_now(st) == 0) {
		if (q->migrated)
			return 0;
		/* opened lazily (PC_STORE_LAZY) while the server was away */
		char err[sizeof st->error];
		if (migrate(st, err, sizeof err) == 0) {
			q->migrated = true;
			return 0;
		}
		snprintf(st->error, sizeof st->error, "%s", err);
		PQfinish(q->conn); /* not used before its schema is right */
		q->conn = NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &q->down_until);
	q->down_until.tv_sec += 1;
	memcpy(q->down_why, st->error, sizeof q->down_why);
	return -1;
}

bool pc_pg_in_tx(pc_store *st)
{
	return ((pg *)st->impl)->in_tx;
}

PGresult *pc_pg_exec(pc_store *st, int slot, const char *sql, pc_pg_args *a, const char *what)
{
	pg *q = st->impl;
	PGresult *r = NULL;
	if (slot < 0 || slot >= PC_PG_SLOTS) {
		snprintf(st->error, sizeof st->error, "%s: statement slot %d out of range", what, slot);
		goto out;
	}
	if (a && a->nomem) {
		snprintf(st->error, sizeof st->error, "%s: out of memory or too many parameters", what);
		goto out;
	}
	if (ensure(st) != 0)
		goto out;
	char name[16];
	snprintf(name, sizeof name, "pc%d", slot);
	if (!q->prepared[slot]) {
		PGresult *p = PQprepare(q->conn, name, sql, 0, NULL);
		if (PQresultStatus(p) != PGRES_COMMAND_OK) {
			pc_pg_fail(st, what, PQresultErrorMessage(p));
			PQclear(p);
			goto out;
		}
		PQclear(p);
		q->prepared[slot] = true;
	}
	r = PQexecPrepared(q->conn, name, a ? a->n : 0, a ? a->v : NULL, a ? a->len : NULL, a ? a->fmt : NULL, 0);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		pc_pg_fail(st, what, r ? PQresultErrorMessage(r) : PQerrorMessage(q->conn));
		PQclear(r);
		r = NULL;
	}
out:
	pc_pg_args_free(a);
	return r;
}

int pc_pg_run(pc_store *st, int slot, const char *sql, pc_pg_args *a, const char *what)
{
	PGresult *r = pc_pg_exec(st, slot, sql, a, what);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

/* ---- transactions ---- */

enum { S_BEGIN = PC_PG_SLOT_CORE, S_COMMIT, S_ROLLBACK, S_ADDR_RCPT, S_ADDR_ANY, S_DOMAIN_ANY, S_REMEMBER, S_DKEY };

static int pg_begin(pc_store *st)
{
	pg *q = st->impl;
	if (q->in_tx) {
		snprintf(st->error, sizeof st->error, "transaction already open");
		return -1;
	}
	if (pc_pg_run(st, S_BEGIN, "BEGIN", NULL, "begin") != 0)
		return -1;
	q->in_tx = true;
	return 0;
}

static int pg_commit(pc_store *st)
{
	pg *q = st->impl;
	if (!q->in_tx)
		return 0;
	PGresult *r = pc_pg_exec(st, S_COMMIT, "COMMIT", NULL, "commit");
	/* COMMIT of a failed transaction answers ROLLBACK, not an error */
	int ok = r && !strcmp(PQcmdStatus(r), "COMMIT");
	if (r && !ok)
		snprintf(st->error, sizeof st->error, "%s: commit: the transaction had failed and was rolled back",
		         q->where);
	PQclear(r);
	q->in_tx = false;
	return ok ? 0 : -1;
}

static void pg_rollback(pc_store *st)
{
	pg *q = st->impl;
	if (!q->in_tx)
		return;
	char keep[sizeof st->error];
	memcpy(keep, st->error, sizeof keep); /* the error that led here stays */
	if (q->conn && PQstatus(q->conn) == CONNECTION_OK) {
		PGresult *r = PQexec(q->conn, "ROLLBACK");
		PQclear(r);
	}
	q->in_tx = false;
	memcpy(st->error, keep, sizeof keep);
}

int pc_pg_own_begin(pc_store *st, bool *own)
{
	pg *q = st->impl;
	*own = !q->in_tx;
	return *own ? pg_begin(st) : 0;
}

int pc_pg_own_end(pc_store *st, bool own, int rc)
{
	if (!own)
		return rc;
	if (rc != 0) {
		pg_rollback(st);
		return rc;
	}
	return pg_commit(st);
}

static int pg_flush(pc_store *st)
{
	return 0;
}

static void pg_batch(pc_store *st, size_t max_messages, long max_ms)
{
}

/* ---- history ---- */

static int one_count(pc_store *st, int slot, const char *sql, pc_pg_args *a, long *n, time_t *first)
{
	PGresult *r = pc_pg_exec(st, slot, sql, a, "history lookup");
	if (!r)
		return -1;
	if (PQntuples(r) > 0) {
		*n = (long)pc_pg_long(r, 0, 0);
		if (first)
			*first = (time_t)pc_pg_long(r, 0, 1);
	}
	PQclear(r);
	return 0;
}

static int pg_contact(pc_store *st, const char *sender, const char *domain, const char *rcpt, pc_contact *out)
{
	pc_pg_args a = {0};
	pc_pg_arg_text(&a, sender, PC_PG_MAX_TEXT);
	pc_pg_arg_text(&a, rcpt, PC_PG_MAX_TEXT);
	if (one_count(st, S_ADDR_RCPT, "SELECT count, first_seen FROM contact WHERE sender = $1 AND rcpt = $2", &a,
	              &out->addr_rcpt, &out->first) != 0)
		return -1;
	/* bounded as in SQLite: "never" or "some" is what counts */
	pc_pg_arg_text(&a, sender, PC_PG_MAX_TEXT);
	if (one_count(st, S_ADDR_ANY,
	              "SELECT COALESCE(SUM(count), 0) FROM (SELECT count FROM contact WHERE sender = $1 LIMIT 10) s",
	              &a, &out->addr_any, NULL) != 0)
		return -1;
	pc_pg_arg_text(&a, domain, PC_PG_MAX_TEXT);
	return one_count(st, S_DOMAIN_ANY,
	                 "SELECT COALESCE(SUM(count), 0) FROM (SELECT count FROM contact WHERE domain = $1 LIMIT 10) s",
	                 &a, &out->domain_any, NULL);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* One statement for all recipients, in sorted order: two nodes recording
 * one sender's mail to the same people lock the rows in the same order
 * (no deadlock); a recipient twice in one call counts once. */
static int pg_remember(pc_store *st, const char *sender, const char *domain, const char *const *rcpt, size_t n,
                       time_t when)
{
	if (strlen(sender) > PC_PG_MAX_ADDR || strlen(domain) > PC_PG_MAX_ADDR || !n)
		return 0;
	const char **v = malloc(n * sizeof *v);
	if (!v)
		return pc_pg_fail(st, "history write", "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strlen(rcpt[i]) <= PC_PG_MAX_ADDR)
			v[k++] = rcpt[i];
	qsort(v, k, sizeof *v, cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (!u || strcmp(v[u - 1], v[i]))
			v[u++] = v[i];
	int rc = 0;
	if (u) {
		pc_pg_args a = {0};
		pc_pg_arg_text(&a, sender, PC_PG_MAX_TEXT);
		pc_pg_arg_text(&a, domain, PC_PG_MAX_TEXT);
		pc_pg_arg_text_array(&a, v, u, PC_PG_MAX_TEXT);
		pc_pg_arg_int(&a, (long long)when);
		rc = pc_pg_run(
		    st, S_REMEMBER,
		    "INSERT INTO contact (sender, domain, rcpt, first_seen, last_seen, count)"
		    " SELECT DISTINCT $1, $2, r, $4::bigint, $4::bigint, 1 FROM unnest($3::text[]) r ORDER BY 3"
		    " ON CONFLICT (sender, rcpt) DO UPDATE SET"
		    " last_seen = GREATEST(contact.last_seen, excluded.last_seen), count = contact.count + 1,"
		    " first_seen = LEAST(contact.first_seen, excluded.first_seen)",
		    &a, "history write");
	}
	free(v);
	return rc;
}

/* ---- members by delivery key ---- */

/* By source and Message-ID (pg_campaign.c), then by the delivery key:
 * the MTA's retry of a message under a new queue id is the member it
 * was (store.h). */
static int pg_member_find(pc_store *st, const char *source, const char *message_id, const char *dkey, long long *id)
{
	if (!source || !message_id)
		return 0;
	int rc = pc_pg_member_find(st, source, message_id, id);
	if (rc != 0 || !dkey || !*dkey)
		return rc;
	pc_pg_args a = {0};
	pc_pg_arg_text(&a, dkey, 64);
	PGresult *r = pc_pg_exec(st, S_DKEY, "SELECT campaign FROM member WHERE dkey = $1 AND dkey <> '' LIMIT 1", &a,
	                         "member lookup");
	if (!r)
		return -1;
	rc = PQntuples(r) > 0;
	if (rc)
		*id = pc_pg_long(r, 0, 0);
	PQclear(r);
	return rc;
}

/* ---- open, migrate, close ---- */

static void pg_close(pc_store *st)
{
	pg *q = st->impl;
	if (q) {
		if (q->conn) {
			if (q->in_tx) {
				PGresult *r = PQexec(q->conn, "ROLLBACK");
				PQclear(r);
			}
			PQfinish(q->conn);
		}
		if (q->password) {
			memset(q->password, 0, strlen(q->password));
			free(q->password);
		}
		free(q->conninfo);
		g_free(q->def_user);
		g_free(q->def_passfile);
		for (int i = 0; i < 4; i++)
			g_free(q->def_ssl[i]);
		free(q);
	}
	free(st);
}

static const pc_store_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    .contact = pg_contact,
    .remember = pg_remember,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .flush = pg_flush,
    .batch = pg_batch,
    .candidates = pc_pg_candidates,
    .get = pc_pg_get,
    .infra = pc_pg_infra,
    .member_find = pg_member_find,
    .campaign_new = pc_pg_campaign_new,
    .campaign_add = pc_pg_campaign_add,
    .member_verdict = pc_pg_member_verdict,
    .mark = pc_pg_mark,
    .list = pc_pg_list,
    .values = pc_pg_values,
    .members = pc_pg_members,
    .audit = pc_pg_audit,
    .audit_list = pc_pg_audit_list,
    .audit_q = pc_pg_audit_q,
    .audit_q_list = pc_pg_audit_q_list,
    .copies_get = pc_pg_copies_get,
    .copies_add = pc_pg_copies_add,
    .copies_found = pc_pg_copies_found,
    .custody_put = pc_pg_custody_put,
    .custody_list = pc_pg_custody_list,
    .custody_prune = pc_pg_custody_prune,
    .ioc_put = pc_pg_ioc_put,
    .ioc_list = pc_pg_ioc_list,
    .ioc_remove = pc_pg_ioc_remove,
    .user_put = pc_pg_user_put,
    .user_get = pc_pg_user_get,
    .user_list = pc_pg_user_list,
    .user_remove = pc_pg_user_remove,
    .qindex_put = pc_pg_qindex_put,
    .qindex_remove = pc_pg_qindex_remove,
    .qindex_list = pc_pg_qindex_list,
    .qindex_search = pc_pg_qindex_search,
    .message_search = pc_pg_message_search,
    .verdict_series = pc_pg_verdict_series,
    .top = pc_pg_top,
    .quarantine = &pc_pg_qops,
};

static int simple(PGconn *c, const char *sql, char *msg, size_t msglen)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	int ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
	if (!ok)
		snprintf(msg, msglen, "%s", PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

/* The version under the migration lock (taken by the caller's
 * transaction); -1 on error. */
static int schema_version(PGconn *c, char *msg, size_t msglen)
{
	if (simple(c, "CREATE TABLE IF NOT EXISTS portcullis_schema (version integer NOT NULL)", msg, msglen) != 0)
		return -1;
	PGresult *r = PQexec(c, "SELECT version FROM portcullis_schema");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(msg, msglen, "%s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	int v = PQntuples(r) ? (int)strtol(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	int none = !PQntuples(r);
	PQclear(r);
	if (none && simple(c, "INSERT INTO portcullis_schema (version) VALUES (0)", msg, msglen) != 0)
		return -1;
	return v;
}

static int apply(PGconn *c, int from, char *msg, size_t msglen)
{
	if (from == 0) {
		const char *parts[] = {PC_PG_SCHEMA_CORE,      PC_PG_SCHEMA_CAMPAIGN, PC_PG_SCHEMA_AUDIT,
		                       PC_PG_SCHEMA_COPIES,    PC_PG_SCHEMA_CUSTODY,  PC_PG_SCHEMA_CONSOLE,
		                       PC_PG_SCHEMA_QUARANTINE};
		for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
			if (simple(c, parts[i], msg, msglen) != 0)
				return -1;
	}
	if (from == 1 && simple(c, PC_PG_MIGRATE_COPIES_2, msg, msglen) != 0)
		return -1;
	char set[64];
	snprintf(set, sizeof set, "UPDATE portcullis_schema SET version = %d", from + 1);
	return simple(c, set, msg, msglen);
}

/* The version without a lock or DDL: -1 when the table is not there (or
 * cannot be read) */
static int current_version(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT version FROM portcullis_schema");
	int v =
	    PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? (int)strtol(PQgetvalue(r, 0, 0), NULL, 10) : -1;
	PQclear(r);
	return v;
}

/* A failed upgrade's error for err: its trailing newlines go, and what
 * is returned follows it: who upgrades when PostgreSQL refused for want
 * of a right (a node's role), else "". */
static const char *upgrade_error(char *msg)
{
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = 0;
	return strstr(msg, "permission denied") || strstr(msg, "must be owner") ? " (" OWNER_UPGRADES ")" : "";
}

static int migrate(pc_store *st, char *err, size_t errlen)
{
	pg *q = st->impl;
	char msg[400] = "";
	char lock[160];
	/* up to date: no lock, no DDL, so a node's role needs no right to
	 * create anything (docs/store.md: roles) */
	const char *enc = PQparameterStatus(q->conn, "server_encoding");
	if (!enc || strcmp(enc, "UTF8")) {
		/* text from mail is stored as UTF-8: another encoding would
		 * refuse some of it, and that message would be tempfailed */
		snprintf(err, errlen, "%s: the database's encoding is %s; Portcullis needs UTF8 (createdb -E UTF8)",
		         q->where, enc ? enc : "unknown");
		return -1;
	}
	int now = current_version(q->conn);
	if (now == SCHEMA_VERSION)
		return 0;
	if (now > SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: store schema %d is newer than this Portcullis (%d)", q->where, now,
		         SCHEMA_VERSION);
		return -1;
	}
	/* The connection's timeouts (10 s) are off for this transaction
	 * (SET LOCAL): an upgrade's index build on a large table takes
	 * longer, and the nodes starting meanwhile wait for the lock and then
	 * find it done, instead of failing at 10 s. */
	snprintf(lock, sizeof lock, "BEGIN; SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0; SELECT %s",
	         MIGRATION_LOCK);
	for (;;) {
		if (simple(q->conn, lock, msg, sizeof msg) != 0)
			break;
		int v = schema_version(q->conn, msg, sizeof msg);
		if (v < 0)
			break;
		if (v > SCHEMA_VERSION) {
			snprintf(err, errlen, "%s: store schema %d is newer than this Portcullis (%d)", q->where, v,
			         SCHEMA_VERSION);
			simple(q->conn, "ROLLBACK", msg, sizeof msg);
			return -1;
		}
		if (v == SCHEMA_VERSION)
			return simple(q->conn, "COMMIT", msg, sizeof msg) == 0
			           ? 0
			           : (snprintf(err, errlen, "%s: %s", q->where, msg), -1);
		if (apply(q->conn, v, msg, sizeof msg) != 0 || simple(q->conn, "COMMIT", msg, sizeof msg) != 0) {
			const char *hint = upgrade_error(msg);
			snprintf(err, errlen, "%s: upgrading the store to schema %d: %s%s", q->where, v + 1, msg, hint);
			simple(q->conn, "ROLLBACK", msg, sizeof msg);
			return -1;
		}
	}
	const char *hint = upgrade_error(msg);
	char at[48] = "no schema version could be read";
	if (now >= 0)
		snprintf(at, sizeof at, "the store is at schema %d", now);
	snprintf(err, errlen, "%s: %s, this Portcullis needs %d: %s%s", q->where, at, SCHEMA_VERSION, msg, hint);
	simple(q->conn, "ROLLBACK", msg, sizeof msg);
	return -1;
}

/* The password: the file's first line (without its newline). The file
 * must not be readable by others: it is a secret. */
static char *read_password(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char line[1024];
	char *p = fgets(line, sizeof line, f) ? line : NULL;
	fclose(f);
	if (!p || !*p) {
		snprintf(err, errlen, "%s: empty password file", path);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = 0;
	char *out = strdup(line);
	memset(line, 0, sizeof line);
	if (!out)
		snprintf(err, errlen, "%s: out of memory", path);
	return out;
}

/* libpq's defaults from the passwd entry (user name, ~/.pgpass,
 * ~/.postgresql/...), unless the environment names them (then libpq reads
 * it, without getpwuid). */
static void passwd_defaults(pg *q)
{
	struct passwd pwd, *pw = NULL;
	char buf[4096];
	if (getpwuid_r(geteuid(), &pwd, buf, sizeof buf, &pw) != 0 || !pw)
		return;
	if (!getenv("PGUSER"))
		q->def_user = g_strdup(pw->pw_name);
	const char *home = pw->pw_dir && *pw->pw_dir ? pw->pw_dir : NULL;
	if (!home)
		return;
	if (!getenv("PGPASSFILE") && !q->password)
		q->def_passfile = g_strdup_printf("%s/.pgpass", home);
	static const char *const env[4] = {"PGSSLCERT", "PGSSLKEY", "PGSSLROOTCERT", "PGSSLCRL"};
	static const char *const file[4] = {"postgresql.crt", "postgresql.key", "root.crt", "root.crl"};
	for (int i = 0; i < 4; i++)
		if (!getenv(env[i]))
			q->def_ssl[i] = g_strdup_printf("%s/.postgresql/%s", home, file[i]);
}

pc_store *pc_store_pg_open(const char *conninfo, const char *password_file, unsigned timeout_ms, unsigned flags,
                           char *err, size_t errlen)
{
	pc_store *st = calloc(1, sizeof *st);
	pg *q = calloc(1, sizeof *q);
	if (!st || !q || !(q->conninfo = strdup(conninfo))) {
		if (q)
			free(q->conninfo);
		free(st);
		free(q);
		snprintf(err, errlen, "postgresql: out of memory");
		return NULL;
	}
	st->ops = &pg_ops;
	st->impl = q;
	q->timeout_ms = timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS;
	pc_store_pg_describe(conninfo, q->where, sizeof q->where);
	if (password_file && *password_file && !(q->password = read_password(password_file, err, errlen))) {
		pg_close(st);
		return NULL;
	}
	passwd_defaults(q);
	if (connect_now(st) != 0) {
		if (flags & PC_STORE_LAZY) { /* connected and migrated on first use */
			clock_gettime(CLOCK_MONOTONIC, &q->down_until);
			q->down_until.tv_sec += 1;
			memcpy(q->down_why, st->error, sizeof q->down_why);
			return st;
		}
		snprintf(err, errlen, "%s", st->error);
		pg_close(st);
		return NULL;
	}
	if (migrate(st, err, errlen) != 0) {
		pg_close(st);
		return NULL;
	}
	q->migrated = true;
	return st;
}
