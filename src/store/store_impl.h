/*
 * NAME
 *   store_impl - what a store back end provides (store/sqlite.c, ...)
 */
#ifndef PC_STORE_IMPL_H
#define PC_STORE_IMPL_H

#include "store/store.h"

/* The quarantine kept in the store (store.h): a table of its own, which
 * pc_store_ops points to; NULL for a back end without one (SQLite). */
typedef struct pc_store_qops {
	int (*put)(pc_store *st, const char *qid, time_t created, const void *bytes, size_t n, const char *meta,
	           const char *key, char *existing, size_t existinglen);
	int (*get)(pc_store *st, const char *qid, char **bytes, size_t *n, char **meta, time_t *created);
	int (*list)(pc_store *st, const char *after, size_t max, bool with_meta, pc_qstored_cb cb, void *ctx);
	int (*remove)(pc_store *st, const char *qid);
	int (*stamp)(pc_store *st, long long *count, char *max_qid, size_t len);
	int (*lock)(pc_store *st, const char *qid);
	int (*unlock)(pc_store *st, const char *qid);
	int (*locked)(pc_store *st, const char *qid);
	int (*ping)(pc_store *st);
} pc_store_qops;
extern const pc_store_qops pc_pg_qops; /* store/pg_quarantine.c */

typedef struct pc_store_ops {
	const char *name;
	void (*close)(pc_store *st);
	int (*contact)(pc_store *st, const char *sender, const char *domain, const char *rcpt, pc_contact *out);
	int (*remember)(pc_store *st, const char *sender, const char *domain, const char *const *rcpt, size_t n,
	                time_t when);
	int (*begin)(pc_store *st);
	int (*commit)(pc_store *st);
	void (*rollback)(pc_store *st);
	int (*flush)(pc_store *st);
	void (*batch)(pc_store *st, size_t max_messages, long max_ms);
	void (*hold)(pc_store *st); /* NULL: pc_store_hold, _sync and _idle do nothing */
	int (*sync)(pc_store *st);
	bool (*idle_due)(pc_store *st);
	void (*idle)(pc_store *st);
	int (*candidates)(pc_store *st, const uint64_t *bands, size_t nbands, long long *ids, size_t max, size_t *n);
	int (*get)(pc_store *st, long long id, pc_campaign_rec *rec);
	int (*infra)(pc_store *st, long long id, const char *const *infra, size_t n);
	int (*member_find)(pc_store *st, const char *source, const char *message_id, const char *dkey, long long *id);
	int (*campaign_new)(pc_store *st, const pc_member *m, long long *id);
	int (*campaign_add)(pc_store *st, long long id, const pc_member *m);
	int (*member_verdict)(pc_store *st, long long id, const char *source, const char *message_id, pc_action v,
	                      const char *rule, pc_action own, const char *own_rule);
	int (*mark)(pc_store *st, long long id, pc_campaign_status status, bool analyst, pc_action action,
	            const char *why);
	int (*list)(pc_store *st, long min_size, pc_campaign_cb cb, void *ctx);
	int (*values)(pc_store *st, long long id, const char *kind, size_t max, pc_value_cb cb, void *ctx);
	int (*members)(pc_store *st, long long id, pc_member_cb cb, void *ctx);
	int (*audit)(pc_store *st, time_t when, const char *actor, const char *action, long long campaign,
	             const char *source, const char *detail);
	int (*audit_list)(pc_store *st, long long campaign, pc_audit_cb cb, void *ctx);
	int (*audit_q)(pc_store *st, const pc_audit_qrec *r);
	int (*audit_q_list)(pc_store *st, const char *dir, pc_audit_qcb cb, void *ctx);
	int (*copies_get)(pc_store *st, long long id, uint64_t skel, size_t max, pc_copy_cb cb, void *ctx);
	int (*copies_add)(pc_store *st, long long id, uint64_t skel, uint64_t rcpt, time_t when, const void *vals,
	                  size_t len, const char *source, const char *message_id);
	int (*copies_found)(pc_store *st, long long id, const char *template_, const pc_copy_token *tokens, size_t n);
	int (*custody_put)(pc_store *st, const pc_custody *c);
	int (*custody_list)(pc_store *st, long long campaign, const char *sha256, bool with_original, pc_custody_cb cb,
	                    void *ctx);
	int (*custody_prune)(pc_store *st, time_t before, long max, long *dropped);
	int (*ioc_put)(pc_store *st, const pc_ioc_set *s);
	int (*ioc_list)(pc_store *st, bool with_body, pc_ioc_set_cb cb, void *ctx);
	int (*ioc_remove)(pc_store *st, const char *name);
	int (*user_put)(pc_store *st, const pc_user *u);
	int (*user_get)(pc_store *st, const char *name, pc_user_cb cb, void *ctx);
	int (*user_list)(pc_store *st, pc_user_cb cb, void *ctx);
	int (*user_remove)(pc_store *st, const char *name);
	int (*qindex_put)(pc_store *st, const pc_qindex *q);
	int (*qindex_remove)(pc_store *st, const char *dir, const char *qid);
	int (*qindex_list)(pc_store *st, const char *dir, pc_qindex_cb cb, void *ctx);
	int (*qindex_search)(pc_store *st, const char *dir, const pc_query *q, pc_qindex_cb cb, void *ctx, long *total);
	int (*message_search)(pc_store *st, const pc_query *q, pc_msg_cb cb, void *ctx, long *total);
	int (*verdict_series)(pc_store *st, time_t from, long step, pc_series_cb cb, void *ctx);
	int (*top)(pc_store *st, const char *what, time_t from, size_t max, pc_value_cb cb, void *ctx);
	const pc_store_qops *quarantine; /* NULL: not kept in this back end */
} pc_store_ops;

struct pc_store {
	const pc_store_ops *ops;
	void *impl;
	char error[256];
};

/* A member's recipients as the one string both back ends store in its
 * row: whole addresses, space-separated, while they fit in size - 1
 * bytes, then the start of the next. */
void pc_store_member_rcpt(const pc_member *m, char *out, size_t size);

pc_store *pc_store_sqlite_open(const char *path, char *err, size_t errlen);
/* "postgresql HOST:PORT/DB" from libpq's connection string (store/pg.c) */
void pc_store_pg_describe(const char *conninfo, char *out, size_t outlen);
pc_store *pc_store_pg_open(const char *conninfo, const char *password_file, unsigned timeout_ms, unsigned flags,
                           char *err, size_t errlen);

#endif
