/*
 * NAME
 *   pg_impl - what the PostgreSQL back end's files share (store/pg*.c)
 * SYNOPSIS
 *   pc_pg_args a = {0};
 *   pc_pg_arg_int(&a, id);
 *   pc_pg_arg_text(&a, m->sender, PC_PG_MAX_ADDR);
 *   PGresult *r = pc_pg_exec(st, PC_PG_SLOT_CAMPAIGN + 3,
 *                            "SELECT size FROM campaign WHERE id = $1 AND ...", &a, "campaign read");
 *   if (!r) return -1;               // the store's error says why
 *   long size = pc_pg_long(r, 0, 0);
 *   PQclear(r);
 * DESCRIPTION
 *   One connection per pc_store (a store is used by one thread at a
 *   time). Statements are prepared on the connection on first use, under
 *   a slot number each file owns (PC_PG_SLOT_*), and prepared again after
 *   a reconnection. Parameters are sent as text, bytea in binary; results
 *   come back as text (bytea through pc_pg_bytes). Every text parameter is
 *   cut at max bytes on a character boundary and made valid UTF-8 (U+FFFD)
 *   as the SQLite back end stores it: the server refuses invalid UTF-8,
 *   and mail holds any bytes.
 *
 *   Times are epoch seconds in bigint columns, band keys and hashes the
 *   uint64 bit pattern in bigint, as in the SQLite schema, so the two
 *   back ends answer the same. Writes outside a message's transaction
 *   (pc_store_begin) use their own (pc_pg_own_begin/pc_pg_own_end).
 */
#ifndef PC_STORE_PG_IMPL_H
#define PC_STORE_PG_IMPL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_impl.h"

#define PC_PG_MAX_ADDR 320
#define PC_PG_MAX_TEXT 1000
#define PC_PG_MAX_ARGS 24

/* statement slots: each file its range */
#define PC_PG_SLOT_CORE 0         /* pg.c: history, transactions (0..15) */
#define PC_PG_SLOT_CAMPAIGN 16    /* pg_campaign.c (16..63) */
#define PC_PG_SLOT_AUDIT 64       /* pg_audit.c (64..79) */
#define PC_PG_SLOT_COPIES 80      /* pg_copies.c (80..87) */
#define PC_PG_SLOT_CUSTODY 88     /* pg_custody.c (88..103) */
#define PC_PG_SLOT_CONSOLE 104    /* pg_console.c (104..159) */
#define PC_PG_SLOT_QUARANTINE 160 /* pg_quarantine.c (160..175) */
#define PC_PG_SLOTS 176

typedef struct pc_pg_args {
	int n;
	const char *v[PC_PG_MAX_ARGS];
	int len[PC_PG_MAX_ARGS];
	int fmt[PC_PG_MAX_ARGS];
	char *own[PC_PG_MAX_ARGS]; /* what pc_pg_args_free frees */
	char num[PC_PG_MAX_ARGS][24];
	bool nomem;
} pc_pg_args;

/* text: NULL is "" (use pc_pg_arg_null for SQL NULL) */
void pc_pg_arg_text(pc_pg_args *a, const char *v, size_t max);
void pc_pg_arg_null(pc_pg_args *a);
void pc_pg_arg_int(pc_pg_args *a, long long v);
void pc_pg_arg_u64(pc_pg_args *a, uint64_t v); /* as the signed bigint with its bits */
void pc_pg_arg_bool(pc_pg_args *a, bool v);
/* bytea, sent in binary; p must live until the statement runs */
void pc_pg_arg_bytes(pc_pg_args *a, const void *p, size_t n);
/* A bigint[] of the keys' bit patterns, as text ("{1,-2,...}") */
void pc_pg_arg_u64_array(pc_pg_args *a, const uint64_t *v, size_t n);
/* A text[] of the strings, each cut at max and made valid UTF-8 */
void pc_pg_arg_text_array(pc_pg_args *a, const char *const *v, size_t n, size_t max);
void pc_pg_args_free(pc_pg_args *a);

/* Runs statement `slot` (prepared from `sql` on first use on this
 * connection) with a's parameters (a may be NULL; a is freed). The result
 * (PGRES_COMMAND_OK or PGRES_TUPLES_OK) for the caller to PQclear, or NULL
 * with "what: the server's message" in the store's error. A connection
 * found broken outside a transaction is re-established first. */
PGresult *pc_pg_exec(pc_store *st, int slot, const char *sql, pc_pg_args *a, const char *what);
/* Runs a statement that returns nothing of interest: 0 or -1. */
int pc_pg_run(pc_store *st, int slot, const char *sql, pc_pg_args *a, const char *what);

/* Cells of a text result: "" / 0 for NULL. */
const char *pc_pg_col(const PGresult *r, int row, int col);
long long pc_pg_long(const PGresult *r, int row, int col);
uint64_t pc_pg_u64(const PGresult *r, int row, int col);
/* A bytea cell: malloc'd bytes (*n of them) or NULL (NULL cell or no memory) */
unsigned char *pc_pg_bytes(const PGresult *r, int row, int col, size_t *n);
/* A bytea cell as SQLite's column_blob gives it: *p NULL for NULL or
 * empty, else malloc'd (*n bytes). 0, or -1 when out of memory. */
int pc_pg_blob(const PGresult *r, int row, int col, unsigned char **p, size_t *n);

/* "what: message" into the store's error; returns -1 */
int pc_pg_fail(pc_store *st, const char *what, const char *msg);

/* A write outside a message's transaction gets its own: *own says
 * whether this call opened it; pc_pg_own_end commits it (rc 0) or rolls
 * it back, and returns rc (or -1 when the commit fails). */
int pc_pg_own_begin(pc_store *st, bool *own);
int pc_pg_own_end(pc_store *st, bool own, int rc);
/* Whether a message's transaction is open */
bool pc_pg_in_tx(pc_store *st);

/* The schema each file owns, applied in this order by migration 1 */
extern const char PC_PG_SCHEMA_CORE[];       /* pg.c: contact */
extern const char PC_PG_SCHEMA_CAMPAIGN[];   /* pg_campaign.c: campaign, campaign_band, member, campaign_value */
extern const char PC_PG_SCHEMA_AUDIT[];      /* pg_audit.c: audit, audit_rcpt */
extern const char PC_PG_SCHEMA_COPIES[];     /* pg_copies.c: copy_url */
extern const char PC_PG_SCHEMA_CUSTODY[];    /* pg_custody.c: custody, ioc_set */
extern const char PC_PG_SCHEMA_CONSOLE[];    /* pg_console.c: message (+ trigger), console_user, qindex */
extern const char PC_PG_SCHEMA_QUARANTINE[]; /* pg_quarantine.c: quarantine (originals kept in the store) */
extern const char PC_PG_MIGRATE_COPIES_2[];  /* pg_copies.c: schema 2, copy_url.ord */

/* pg_campaign.c */
int pc_pg_candidates(pc_store *st, const uint64_t *bands, size_t nbands, long long *ids, size_t max, size_t *n);
int pc_pg_get(pc_store *st, long long id, pc_campaign_rec *rec);
int pc_pg_infra(pc_store *st, long long id, const char *const *infra, size_t n);
int pc_pg_member_find(pc_store *st, const char *source, const char *message_id, long long *id);
int pc_pg_campaign_new(pc_store *st, const pc_member *m, long long *id);
int pc_pg_campaign_add(pc_store *st, long long id, const pc_member *m);
int pc_pg_member_verdict(pc_store *st, long long id, const char *source, const char *message_id, pc_action v,
                         const char *rule, pc_action own, const char *own_rule);
int pc_pg_mark(pc_store *st, long long id, pc_campaign_status status, bool analyst, pc_action action, const char *why);
int pc_pg_list(pc_store *st, long min_size, pc_campaign_cb cb, void *ctx);
int pc_pg_values(pc_store *st, long long id, const char *kind, size_t max, pc_value_cb cb, void *ctx);
int pc_pg_members(pc_store *st, long long id, pc_member_cb cb, void *ctx);
/* one value of a kind to a campaign: 1 new, 0 known (count up), -1 error */
int pc_pg_add_value(pc_store *st, long long id, const char *kind, const char *value);

/* pg_audit.c */
int pc_pg_audit(pc_store *st, time_t when, const char *actor, const char *action, long long campaign,
                const char *source, const char *detail);
int pc_pg_audit_list(pc_store *st, long long campaign, pc_audit_cb cb, void *ctx);
int pc_pg_audit_q(pc_store *st, const pc_audit_qrec *r);
int pc_pg_audit_q_list(pc_store *st, const char *dir, pc_audit_qcb cb, void *ctx);

/* pg_copies.c */
int pc_pg_copies_get(pc_store *st, long long id, uint64_t skel, size_t max, pc_copy_cb cb, void *ctx);
int pc_pg_copies_add(pc_store *st, long long id, uint64_t skel, uint64_t rcpt, time_t when, const void *vals,
                     size_t len, const char *source, const char *message_id);
int pc_pg_copies_found(pc_store *st, long long id, const char *template_, const pc_copy_token *tokens, size_t n);

/* pg_custody.c */
int pc_pg_custody_put(pc_store *st, const pc_custody *c);
int pc_pg_custody_list(pc_store *st, long long campaign, const char *sha256, bool with_original, pc_custody_cb cb,
                       void *ctx);
int pc_pg_custody_prune(pc_store *st, time_t before, long max, long *dropped);
int pc_pg_ioc_put(pc_store *st, const pc_ioc_set *s);
int pc_pg_ioc_list(pc_store *st, bool with_body, pc_ioc_set_cb cb, void *ctx);
int pc_pg_ioc_remove(pc_store *st, const char *name);

/* pg_console.c */
int pc_pg_user_put(pc_store *st, const pc_user *u);
int pc_pg_user_get(pc_store *st, const char *name, pc_user_cb cb, void *ctx);
int pc_pg_user_list(pc_store *st, pc_user_cb cb, void *ctx);
int pc_pg_user_remove(pc_store *st, const char *name);
int pc_pg_qindex_put(pc_store *st, const pc_qindex *q);
int pc_pg_qindex_remove(pc_store *st, const char *dir, const char *qid);
int pc_pg_qindex_list(pc_store *st, const char *dir, pc_qindex_cb cb, void *ctx);
int pc_pg_qindex_search(pc_store *st, const char *dir, const pc_query *q, pc_qindex_cb cb, void *ctx, long *total);
int pc_pg_message_search(pc_store *st, const pc_query *q, pc_msg_cb cb, void *ctx, long *total);
int pc_pg_verdict_series(pc_store *st, time_t from, long step, pc_series_cb cb, void *ctx);
int pc_pg_top(pc_store *st, const char *what, time_t from, size_t max, pc_value_cb cb, void *ctx);

#endif
