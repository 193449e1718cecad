/*
 * NAME
 *   sqlite_impl - what the SQLite back end's files share (store/sqlite*.c)
 */
#ifndef PC_STORE_SQLITE_IMPL_H
#define PC_STORE_SQLITE_IMPL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store_impl.h"

/* The connection; *in_tx true while a transaction (a message's, or a
 * batch) is open, so a write is committed by its owner. */
sqlite3 *pc_sqlite_db(pc_store *st, bool *in_tx);

/* Strings from mail are cut at this many bytes (pc_sqlite_text). */
#define PC_SQLITE_MAX_TEXT 1000

/* store/sqlite_audit.c: the quarantine's audit records */
int pc_sqlite_audit_quarantine(pc_store *st, const pc_audit_qrec *r);
int pc_sqlite_audit_quarantine_list(pc_store *st, const char *dir, pc_audit_qcb cb, void *ctx);

/* Adds one value of a kind to campaign id (campaign_value): 1 when it is
 * new to the campaign, 0 when it was there (its count goes up), -1 on
 * error. */
int pc_sqlite_add_value(pc_store *st, long long id, const char *kind, const char *value);

/* Statements the other files prepare once per connection: slot i of
 * PC_SQLITE_EXTRA (each file owns its range), prepared from text on first
 * use, then reset and unbound on each; finalized when the store closes.
 * NULL with the error kept when it cannot be prepared. */
#define PC_SQLITE_EXTRA 64
sqlite3_stmt *pc_sqlite_prepared(pc_store *st, int slot, const char *text);
/* "what: SQLite's message" into the store's error; returns -1. */
int pc_sqlite_fail(pc_store *st, const char *what);
/* Binds v (NULL: "") as text: at most max bytes, cut at a character
 * boundary, invalid UTF-8 made valid (U+FFFD). */
void pc_sqlite_text(sqlite3_stmt *s, int i, const char *v, size_t max);
/* A text column, "" for NULL. */
const char *pc_sqlite_col(sqlite3_stmt *s, int i);
/* Steps a statement that returns no rows (NULL: an earlier prepare
 * failed): 0, or -1 with the error kept as "what: SQLite's message". */
int pc_sqlite_run(pc_store *st, sqlite3_stmt *s, const char *what);

/* store/sqlite_campaign.c: campaigns, members, values, their audit (slots
 * 40..59); the store_impl.h operations of the same names */
int pc_sqlite_candidates(pc_store *st, const uint64_t *bands, size_t nbands, long long *ids, size_t max, size_t *n);
int pc_sqlite_campaign_get(pc_store *st, long long id, pc_campaign_rec *rec);
int pc_sqlite_infra(pc_store *st, long long id, const char *const *infra, size_t n);
int pc_sqlite_member_find(pc_store *st, const char *source, const char *message_id, const char *dkey, long long *id);
int pc_sqlite_campaign_new(pc_store *st, const pc_member *m, long long *id);
int pc_sqlite_campaign_add(pc_store *st, long long id, const pc_member *m);
int pc_sqlite_member_verdict(pc_store *st, long long id, const char *source, const char *message_id, pc_action v,
                             const char *rule, pc_action own, const char *own_rule);
int pc_sqlite_mark(pc_store *st, long long id, pc_campaign_status status, bool analyst, pc_action action,
                   const char *why);
int pc_sqlite_campaign_list(pc_store *st, long min_size, pc_campaign_cb cb, void *ctx);
int pc_sqlite_values(pc_store *st, long long id, const char *kind, size_t max, pc_value_cb cb, void *ctx);
int pc_sqlite_members(pc_store *st, long long id, pc_member_cb cb, void *ctx);
int pc_sqlite_audit(pc_store *st, time_t when, const char *actor, const char *action, long long campaign,
                    const char *source, const char *detail);
int pc_sqlite_audit_list(pc_store *st, long long campaign, pc_audit_cb cb, void *ctx);

/* store/sqlite_copies.c: the URLs of a campaign's copies */
int pc_sqlite_copies_get(pc_store *st, long long id, uint64_t skel, size_t max, pc_copy_cb cb, void *ctx);
int pc_sqlite_copies_add(pc_store *st, long long id, uint64_t skel, uint64_t rcpt, time_t when, const void *vals,
                         size_t len, const char *source, const char *message_id);
int pc_sqlite_copies_found(pc_store *st, long long id, const char *template_, const pc_copy_token *tokens, size_t n);

/* store/sqlite_custody.c: custody records and indicator sets (slots 4..11) */
int pc_sqlite_custody_put(pc_store *st, const pc_custody *c);
int pc_sqlite_custody_list(pc_store *st, long long campaign, const char *sha256, bool with_original, pc_custody_cb cb,
                           void *ctx);
int pc_sqlite_custody_prune(pc_store *st, time_t before, long max, long *dropped);
int pc_sqlite_ioc_put(pc_store *st, const pc_ioc_set *s);
int pc_sqlite_ioc_list(pc_store *st, bool with_body, pc_ioc_set_cb cb, void *ctx);
int pc_sqlite_ioc_remove(pc_store *st, const char *name);

/* store/sqlite_console.c: the console's tables (slots 16..39) */
extern const char PC_SQLITE_CONSOLE_SCHEMA[];
int pc_sqlite_user_put(pc_store *st, const pc_user *u);
int pc_sqlite_user_get(pc_store *st, const char *name, pc_user_cb cb, void *ctx);
int pc_sqlite_user_list(pc_store *st, pc_user_cb cb, void *ctx);
int pc_sqlite_user_remove(pc_store *st, const char *name);
int pc_sqlite_qindex_put(pc_store *st, const pc_qindex *q);
int pc_sqlite_qindex_remove(pc_store *st, const char *dir, const char *qid);
int pc_sqlite_qindex_list(pc_store *st, const char *dir, pc_qindex_cb cb, void *ctx);
int pc_sqlite_qindex_search(pc_store *st, const char *dir, const pc_query *q, pc_qindex_cb cb, void *ctx, long *total);
int pc_sqlite_message_search(pc_store *st, const pc_query *q, pc_msg_cb cb, void *ctx, long *total);
int pc_sqlite_verdict_series(pc_store *st, time_t from, long step, pc_series_cb cb, void *ctx);
int pc_sqlite_top(pc_store *st, const char *what, time_t from, size_t max, pc_value_cb cb, void *ctx);

#endif
