/*
 * NAME
 *   store - dispatch to the configured back end (see store.h)
 */
#include "store/store.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "parse/domain.h"
#include "store/store_impl.h"

bool pc_store_is_postgresql(const char *path)
{
	return path && !strncmp(path, "postgres", 8) &&
	       (!strncmp(path, "postgresql:", 11) || !strncmp(path, "postgres://", 11));
}

/* libpq's connection string in a PostgreSQL store's name:
 * "postgresql://..." is libpq's URI as it is, "postgresql:KEY=VALUE ..."
 * its keyword form after the prefix */
static const char *conninfo_of(const char *path)
{
	return strncmp(path, "postgresql:", 11) || !strncmp(path, "postgresql://", 13) ? path : path + 11;
}

void pc_store_where(const char *path, char *out, size_t outlen)
{
	if (path && pc_store_is_postgresql(path))
		pc_store_pg_describe(conninfo_of(path), out, outlen);
	else
		snprintf(out, outlen, "%s", path && *path ? path : "(none)");
}

pc_store *pc_store_open_with(const char *path, const char *password_file, unsigned timeout_ms, unsigned flags,
                             char *err, size_t errlen)
{
	if (!path || !*path) {
		snprintf(err, errlen, "no store path given");
		return NULL;
	}
	if (pc_store_is_postgresql(path))
		return pc_store_pg_open(conninfo_of(path), password_file, timeout_ms, flags, err, errlen);
	return pc_store_sqlite_open(path, err, errlen);
}

pc_store *pc_store_open(const char *path, char *err, size_t errlen)
{
	return pc_store_open_with(path, NULL, 0, 0, err, errlen);
}

pc_store *pc_store_open_cfg(const pc_config *cfg, const char *path, unsigned flags, char *err, size_t errlen)
{
	return pc_store_open_with(path ? path : cfg->history_db, cfg->store_password_file, cfg->store_timeout_ms, flags,
	                          err, errlen);
}

const char *pc_store_backend(const pc_store *st)
{
	return st->ops->name;
}

void pc_store_close(pc_store *st)
{
	if (st)
		st->ops->close(st);
}

const char *pc_store_error(const pc_store *st)
{
	return st->error;
}

int pc_store_contact(pc_store *st, const char *sender, const char *domain, const char *rcpt, pc_contact *out)
{
	memset(out, 0, sizeof *out);
	return st->ops->contact(st, sender, domain, rcpt, out);
}

int pc_store_remember(pc_store *st, const char *sender, const char *domain, const char *const *rcpt, size_t n,
                      time_t when)
{
	return st->ops->remember(st, sender, domain, rcpt, n, when);
}

int pc_store_begin(pc_store *st)
{
	return st->ops->begin(st);
}

int pc_store_commit(pc_store *st)
{
	return st->ops->commit(st);
}

void pc_store_rollback(pc_store *st)
{
	st->ops->rollback(st);
}

int pc_store_flush(pc_store *st)
{
	return st->ops->flush(st);
}

void pc_store_hold(pc_store *st)
{
	if (st->ops->hold)
		st->ops->hold(st);
}

int pc_store_sync(pc_store *st)
{
	return st->ops->hold ? st->ops->sync(st) : 0;
}

bool pc_store_idle_due(pc_store *st)
{
	return st->ops->hold && st->ops->idle_due(st);
}

void pc_store_idle(pc_store *st)
{
	if (st->ops->hold)
		st->ops->idle(st);
}

void pc_store_batch(pc_store *st, size_t max_messages, long max_ms)
{
	st->ops->batch(st, max_messages, max_ms);
}

int pc_store_campaign_candidates(pc_store *st, const uint64_t *bands, size_t nbands, long long *ids, size_t max,
                                 size_t *n)
{
	return st->ops->candidates(st, bands, nbands, ids, max, n);
}

int pc_store_campaign_get(pc_store *st, long long id, pc_campaign_rec *rec)
{
	return st->ops->get(st, id, rec);
}

int pc_store_campaign_infra(pc_store *st, long long id, const char *const *infra, size_t n)
{
	return st->ops->infra(st, id, infra, n);
}

int pc_store_copies_get(pc_store *st, long long id, uint64_t skel, size_t max, pc_copy_cb cb, void *ctx)
{
	return st->ops->copies_get(st, id, skel, max, cb, ctx);
}

int pc_store_copies_add(pc_store *st, long long id, uint64_t skel, uint64_t rcpt, time_t when, const void *vals,
                        size_t len, const char *source, const char *message_id)
{
	return st->ops->copies_add(st, id, skel, rcpt, when, vals, len, source, message_id);
}

int pc_store_copies_found(pc_store *st, long long id, const char *template_, const pc_copy_token *tokens, size_t n)
{
	return st->ops->copies_found(st, id, template_, tokens, n);
}

int pc_store_custody_put(pc_store *st, const pc_custody *c)
{
	return st->ops->custody_put(st, c);
}

int pc_store_custody_list(pc_store *st, long long campaign, const char *sha256, bool with_original, pc_custody_cb cb,
                          void *ctx)
{
	return st->ops->custody_list(st, campaign, sha256, with_original, cb, ctx);
}

int pc_store_custody_prune(pc_store *st, time_t before, long max, long *dropped)
{
	*dropped = 0;
	return st->ops->custody_prune(st, before, max, dropped);
}

int pc_store_ioc_put(pc_store *st, const pc_ioc_set *s)
{
	return st->ops->ioc_put(st, s);
}

int pc_store_ioc_list(pc_store *st, bool with_body, pc_ioc_set_cb cb, void *ctx)
{
	return st->ops->ioc_list(st, with_body, cb, ctx);
}

int pc_store_ioc_remove(pc_store *st, const char *name)
{
	return st->ops->ioc_remove(st, name);
}

int pc_store_member_find(pc_store *st, const char *source, const char *message_id, const char *dkey, long long *id)
{
	*id = 0;
	return st->ops->member_find(st, source, message_id, dkey ? dkey : "", id);
}

int pc_store_campaign_new(pc_store *st, const pc_member *m, long long *id)
{
	return st->ops->campaign_new(st, m, id);
}

int pc_store_campaign_add(pc_store *st, long long id, const pc_member *m)
{
	return st->ops->campaign_add(st, id, m);
}

int pc_store_member_verdict(pc_store *st, long long id, const char *source, const char *message_id, pc_action v,
                            const char *rule, pc_action own, const char *own_rule)
{
	return st->ops->member_verdict(st, id, source, message_id, v, rule, own, own_rule);
}

int pc_store_campaign_mark(pc_store *st, long long id, pc_campaign_status status, bool analyst, pc_action action,
                           const char *why)
{
	return st->ops->mark(st, id, status, analyst, action, why);
}

int pc_store_campaign_list(pc_store *st, long min_size, pc_campaign_cb cb, void *ctx)
{
	return st->ops->list(st, min_size, cb, ctx);
}

int pc_store_campaign_values(pc_store *st, long long id, const char *kind, size_t max, pc_value_cb cb, void *ctx)
{
	return st->ops->values(st, id, kind, max, cb, ctx);
}

int pc_store_campaign_members(pc_store *st, long long id, pc_member_cb cb, void *ctx)
{
	return st->ops->members(st, id, cb, ctx);
}

int pc_store_audit(pc_store *st, time_t when, const char *actor, const char *action, long long campaign,
                   const char *source, const char *detail)
{
	return st->ops->audit(st, when, actor, action, campaign, source, detail);
}

int pc_store_audit_list(pc_store *st, long long campaign, pc_audit_cb cb, void *ctx)
{
	return st->ops->audit_list(st, campaign, cb, ctx);
}

int pc_store_audit_quarantine(pc_store *st, const pc_audit_qrec *r)
{
	return st->ops->audit_q(st, r);
}

int pc_store_audit_quarantine_list(pc_store *st, const char *dir, pc_audit_qcb cb, void *ctx)
{
	return st->ops->audit_q_list(st, dir, cb, ctx);
}

int pc_store_contact_keys(const char *addr, char *sender, size_t senderlen, char *domain, size_t domainlen)
{
	if (!addr)
		return -1;
	size_t n = strlen(addr);
	const char *at = pc_addr_domain(addr);
	if (!at || at == addr + 1 || !*at || n >= senderlen)
		return -1;
	for (size_t i = 0; i <= n; i++)
		sender[i] = (char)tolower((unsigned char)addr[i]);
	const char *host = sender + (at - addr);
	const char *reg = pc_domain_registrable(host);
	const char *d = reg ? reg : host;
	if (strlen(d) >= domainlen)
		return -1;
	snprintf(domain, domainlen, "%s", d);
	return 0;
}

int pc_store_user_put(pc_store *st, const pc_user *u)
{
	return st->ops->user_put(st, u);
}

int pc_store_user_get(pc_store *st, const char *name, pc_user_cb cb, void *ctx)
{
	return st->ops->user_get(st, name, cb, ctx);
}

int pc_store_user_list(pc_store *st, pc_user_cb cb, void *ctx)
{
	return st->ops->user_list(st, cb, ctx);
}

int pc_store_user_remove(pc_store *st, const char *name)
{
	return st->ops->user_remove(st, name);
}

int pc_store_qindex_put(pc_store *st, const pc_qindex *q)
{
	return st->ops->qindex_put(st, q);
}

int pc_store_qindex_remove(pc_store *st, const char *dir, const char *qid)
{
	return st->ops->qindex_remove(st, dir, qid);
}

int pc_store_qindex_list(pc_store *st, const char *dir, pc_qindex_cb cb, void *ctx)
{
	return st->ops->qindex_list(st, dir, cb, ctx);
}

int pc_store_qindex_search(pc_store *st, const char *dir, const pc_query *q, pc_qindex_cb cb, void *ctx, long *total)
{
	*total = 0;
	return st->ops->qindex_search(st, dir, q, cb, ctx, total);
}

int pc_store_message_search(pc_store *st, const pc_query *q, pc_msg_cb cb, void *ctx, long *total)
{
	*total = 0;
	return st->ops->message_search(st, q, cb, ctx, total);
}

int pc_store_verdict_series(pc_store *st, time_t from, long step, pc_series_cb cb, void *ctx)
{
	return st->ops->verdict_series(st, from, step > 0 ? step : 3600, cb, ctx);
}

int pc_store_top(pc_store *st, const char *what, time_t from, size_t max, pc_value_cb cb, void *ctx)
{
	return st->ops->top(st, what, from, max, cb, ctx);
}

const char *pc_campaign_status_name(pc_campaign_status s)
{
	return s == PC_CAMPAIGN_MALICIOUS ? "malicious" : s == PC_CAMPAIGN_BENIGN ? "benign" : "open";
}

/* ---- the quarantine kept in the store ---- */

static const pc_store_qops *qops(pc_store *st)
{
	if (st->ops->quarantine)
		return st->ops->quarantine;
	snprintf(st->error, sizeof st->error, "the quarantine is kept in the store only on PostgreSQL");
	return NULL;
}

int pc_store_quarantine_put(pc_store *st, const char *qid, time_t created, const void *bytes, size_t n,
                            const char *meta, const char *key, char *existing, size_t existinglen)
{
	const pc_store_qops *q = qops(st);
	return q ? q->put(st, qid, created, bytes, n, meta, key, existing, existinglen) : -1;
}

int pc_store_quarantine_get(pc_store *st, const char *qid, char **bytes, size_t *n, char **meta, time_t *created)
{
	if (bytes)
		*bytes = NULL;
	if (n)
		*n = 0;
	if (meta)
		*meta = NULL;
	if (created)
		*created = 0;
	const pc_store_qops *q = qops(st);
	return q ? q->get(st, qid, bytes, n, meta, created) : -1;
}

int pc_store_quarantine_list(pc_store *st, const char *after, size_t max, bool with_meta, pc_qstored_cb cb, void *ctx)
{
	const pc_store_qops *q = qops(st);
	return q ? q->list(st, after ? after : "", max, with_meta, cb, ctx) : -1;
}

int pc_store_quarantine_remove(pc_store *st, const char *qid)
{
	const pc_store_qops *q = qops(st);
	return q ? q->remove(st, qid) : -1;
}

int pc_store_quarantine_stamp(pc_store *st, long long *count, char *max_qid, size_t len)
{
	*count = 0;
	if (len)
		max_qid[0] = '\0';
	const pc_store_qops *q = qops(st);
	return q ? q->stamp(st, count, max_qid, len) : -1;
}

int pc_store_quarantine_lock(pc_store *st, const char *qid)
{
	const pc_store_qops *q = qops(st);
	return q ? q->lock(st, qid) : -1;
}

int pc_store_quarantine_unlock(pc_store *st, const char *qid)
{
	const pc_store_qops *q = qops(st);
	return q ? q->unlock(st, qid) : -1;
}

int pc_store_quarantine_locked(pc_store *st, const char *qid)
{
	const pc_store_qops *q = qops(st);
	return q ? q->locked(st, qid) : -1;
}

int pc_store_quarantine_ping(pc_store *st)
{
	const pc_store_qops *q = qops(st);
	return q ? q->ping(st) : -1;
}

void pc_store_member_rcpt(const pc_member *m, char *out, size_t size)
{
	size_t k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < m->nrcpt; i++) {
		int w = snprintf(out + k, size - k, "%s%s", i ? " " : "", m->rcpt[i]);
		if (w < 0 || (size_t)w >= size - k)
			break; /* snprintf left the start of this one */
		k += (size_t)w;
	}
}
