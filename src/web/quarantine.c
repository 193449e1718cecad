/*
 * NAME
 *   quarantine - the console's quarantine: its index, search, one entry,
 *   release and delete
 * DESCRIPTION
 *   The quarantine (act/quarantine.h: a directory, or the shared store's
 *   table) is the truth; the store's qindex is an index of it, so a
 *   search over 100,000 entries is one indexed query instead of reading
 *   100,000 metadata files. The index is brought up to date here, never
 *   by the writers (the milter, hunt): when the quarantine changed since
 *   the last look (pc_quarantine_stamp: a directory's msg/ mtime, the
 *   store's count and greatest QID; looked at most once a second, and a
 *   sync once a minute whatever it says), its QIDs are compared with the
 *   index -- entries new to the index are read (their metadata; size and
 *   arrival from the file or the row) and added, entries gone from the
 *   quarantine are removed -- in transactions of PC_QINDEX_BATCH rows.
 *   A quarantine that cannot be read (the store down) leaves the index
 *   as it is, to be tried again at the next look. The main loop does this
 *   every 5 s; a request tries too, but never waits for a sync another
 *   thread is making. A release or delete made here updates the index
 *   at once.
 *   Release and delete are act/qaction.h's (the same as the CLI's: locked,
 *   audited, the release re-injects the stored bytes unchanged); the
 *   reason typed is the audit record's. Release to other recipients takes
 *   "to" (addresses separated by blanks or commas).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act/qaction.h"
#include "act/qmeta.h"
#include "act/quarantine.h"
#include "web/internal.h"

#define PC_QINDEX_BATCH 500

typedef struct known {
	GHashTable *qids;
} known;

static int known_cb(void *ctx, const pc_qindex *q)
{
	g_hash_table_add(ctx, g_strdup(q->qid));
	return 0;
}

static char *join_rcpt(const json_t *meta)
{
	const char **rcpt = NULL;
	long n = pc_qmeta_rcpt(meta, &rcpt);
	GString *s = g_string_new("");
	for (long i = 0; i < n; i++) {
		if (i)
			g_string_append_c(s, ' ');
		g_string_append(s, rcpt[i]);
	}
	free(rcpt);
	return g_string_free(s, FALSE);
}

/* what the index says of why: the taker ("milter", "hunt") and the
 * detectors named, or hunt's why */
static char *why(const json_t *meta)
{
	GString *s = g_string_new(pc_qmeta_str(meta, "reason") ? pc_qmeta_str(meta, "reason") : "");
	const char *w = pc_qmeta_str(meta, "why");
	if (w)
		g_string_append_printf(s, ": %s", w);
	const char *v = pc_qmeta_str(meta, "verdict");
	if (v)
		g_string_append_printf(s, " %s", v);
	json_t *reasons = json_object_get(meta, "reasons");
	size_t i;
	json_t *x;
	json_array_foreach(reasons, i, x)
	{
		const char *d = json_is_string(x) ? json_string_value(x) : pc_qmeta_str(x, "detector");
		if (d && s->len < 600)
			g_string_append_printf(s, " %s", d);
	}
	const char *lim = pc_qmeta_str(meta, "limit");
	if (lim)
		g_string_append_printf(s, " limit %s", lim);
	return g_string_free(s, FALSE);
}

static int index_one(pc_store *st, const char *dir, const char *qid)
{
	char *meta_text = NULL, err[512];
	long long size;
	time_t put;
	if (pc_quarantine_info(dir, qid, &size, &put, &meta_text, err, sizeof err) != 0)
		return 0; /* gone meanwhile (or unreadable: tried again at the next sync) */
	const char *problem;
	json_t *meta = pc_qmeta_parse(meta_text, &problem);
	free(meta_text);
	if (!meta)
		return -1;
	char *rcpt = join_rcpt(meta), *reason = why(meta);
	json_t *t = json_object_get(meta, "time");
	time_t arrived = json_is_integer(t) ? (time_t)json_integer_value(t) : put;
	const char *sender = pc_qmeta_str(meta, "from");
	if (!sender)
		sender = pc_qmeta_sender(meta);
	json_t *camp = json_object_get(meta, "campaign");
	pc_qindex q = {dir,
	               qid,
	               sender,
	               rcpt,
	               pc_qmeta_str(meta, "subject"),
	               reason,
	               pc_qmeta_str(meta, "sha256"),
	               json_is_integer(camp) ? json_integer_value(camp) : 0,
	               size,
	               arrived};
	int rc = pc_store_qindex_put(st, &q);
	g_free(rcpt);
	g_free(reason);
	json_decref(meta);
	return rc;
}

typedef struct present {
	GHashTable *have; /* in the index and not (yet) found in the quarantine */
	GPtrArray *add;   /* in the quarantine, not in the index */
} present;

static int present_cb(void *ctx, const char *qid, const char *meta)
{
	present *p = ctx;
	if (!g_hash_table_remove(p->have, qid))
		g_ptr_array_add(p->add, g_strdup(qid));
	return 0;
}

/* under qindex_lock: when the stamp was last looked at (a look at the
 * store's is a query: at most once a second, whatever asks) */
static time_t stamp_looked;

int pc_qindex_sync(pc_web *w, pc_store *st, bool force)
{
	const char *dir = w->cfg.quarantine_dir;
	if (!dir[0])
		return 0;
	time_t now = time(NULL);
	/* a request never waits for a sync another thread is making, and
	 * looks at most once a second: the main loop keeps the index up */
	if (force)
		pthread_mutex_lock(&w->qindex_lock);
	else if (pthread_mutex_trylock(&w->qindex_lock) != 0)
		return 0;
	if (!force && (now == w->qindex_checked || now == stamp_looked)) {
		pthread_mutex_unlock(&w->qindex_lock);
		return 0;
	}
	stamp_looked = now;
	char qerr[512];
	long long stamp;
	int s = pc_quarantine_stamp(dir, &stamp, qerr, sizeof qerr);
	if (s != 0 || (!force && stamp == w->qindex_mtime && now - w->qindex_checked < 60)) {
		/* nothing there yet, unchanged, or unreadable: the index stays */
		pthread_mutex_unlock(&w->qindex_lock);
		return 0;
	}
	GHashTable *have = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	int rc = pc_store_qindex_list(st, dir, known_cb, have);
	GPtrArray *add = g_ptr_array_new_with_free_func(g_free);
	present p = {have, add};
	if (rc == 0 && pc_quarantine_ids(dir, present_cb, &p, qerr, sizeof qerr) != 0) {
		/* the quarantine could not be read: nothing is removed from the
		 * index for it, and the next look tries again */
		pthread_mutex_unlock(&w->qindex_lock);
		g_ptr_array_free(add, TRUE);
		g_hash_table_destroy(have);
		return 0;
	}
	/* what is left in `have` is gone from the quarantine */
	GHashTableIter it;
	gpointer k;
	size_t done = 0;
	bool open = false;
	g_hash_table_iter_init(&it, have);
	while (rc == 0 && g_hash_table_iter_next(&it, &k, NULL)) {
		if (!open && (rc = pc_store_begin(st)) == 0)
			open = true;
		if (rc == 0)
			rc = pc_store_qindex_remove(st, dir, k);
		if (rc == 0 && ++done % PC_QINDEX_BATCH == 0)
			rc = pc_store_commit(st), open = false;
	}
	for (guint i = 0; rc == 0 && i < add->len; i++) {
		if (!open && (rc = pc_store_begin(st)) == 0)
			open = true;
		if (rc == 0)
			rc = index_one(st, dir, g_ptr_array_index(add, i));
		if (rc == 0 && ++done % PC_QINDEX_BATCH == 0)
			rc = pc_store_commit(st), open = false;
	}
	if (open) {
		if (rc == 0)
			rc = pc_store_commit(st);
		else
			pc_store_rollback(st);
	}
	if (rc == 0) {
		w->qindex_mtime = stamp;
		w->qindex_checked = now;
	}
	pthread_mutex_unlock(&w->qindex_lock);
	g_ptr_array_free(add, TRUE);
	g_hash_table_destroy(have);
	return rc;
}

/* ---- the list ---- */

static int qrow_cb(void *ctx, const pc_qindex *q)
{
	json_array_append_new(ctx, json_pack("{s:s,s:I,s:o,s:o,s:o,s:o,s:I,s:o,s:I}", "qid", q->qid, "arrived",
	                                     (json_int_t)q->arrived, "sender", pc_jstr(q->sender), "rcpt",
	                                     pc_jstr(q->rcpt), "subject", pc_jstr(q->subject), "reason",
	                                     pc_jstr(q->reason), "campaign", (json_int_t)q->campaign, "sha256",
	                                     pc_jstr(q->sha256), "size", (json_int_t)q->size));
	return 0;
}

static time_t day(const char *s)
{
	if (!s)
		return 0;
	int y, m, d;
	if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
	return timegm(&tm);
}

void pc_query_from_args(const pc_req *r, pc_query *q)
{
	memset(q, 0, sizeof *q);
	q->sender = pc_arg(r, "sender");
	q->rcpt = pc_arg(r, "rcpt");
	q->subject = pc_arg(r, "subject");
	q->reason = pc_arg(r, "reason");
	q->verdict = pc_arg(r, "verdict");
	q->sha256 = pc_arg(r, "sha256");
	q->campaign = pc_arg_long(r, "campaign", 0, -1, 1L << 40);
	q->from = day(pc_arg(r, "from"));
	q->to = day(pc_arg(r, "to"));
	if (q->to)
		q->to += 86400; /* the whole day */
	q->limit = pc_arg_long(r, "limit", 50, 1, 1000);
	q->offset = pc_arg_long(r, "offset", 0, 0, 1000000000);
}

int pc_page_quarantine(pc_req *r, json_t **data, pc_resp *resp)
{
	if (!r->w->cfg.quarantine_dir[0])
		return pc_fail(resp, data, 404, "no [quarantine] directory is configured");
	if (pc_qindex_sync(r->w, r->st, false) != 0)
		return pc_fail(resp, data, 500, "quarantine index: %s", pc_store_error(r->st));
	pc_query q;
	pc_query_from_args(r, &q);
	json_t *arr = json_array();
	long total = 0;
	if (pc_store_qindex_search(r->st, r->w->cfg.quarantine_dir, &q, qrow_cb, arr, &total) != 0) {
		json_decref(arr);
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	}
	*data = json_pack("{s:o,s:i,s:i,s:i,s:b}", "messages", arr, "total", (int)total, "offset", (int)q.offset,
	                  "limit", (int)q.limit, "total_capped", total >= PC_QUERY_COUNT_MAX);
	return 200;
}

void pc_search_form(GString *o, const pc_req *r, const char *action, bool verdict)
{
	static const char *const fields[] = {"sender", "rcpt", "subject", "reason", "campaign", "from", "to"};
	static const char *const labels[] = {"sender",   "recipient",    "subject",   "reason",
	                                     "campaign", "from (Y-M-D)", "to (Y-M-D)"};
	g_string_append_printf(o, "<form class=\"filters\" method=\"get\" action=\"%s\">", action);
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		g_string_append_printf(o, "<label>%s <input name=\"%s\" value=\"", labels[i], fields[i]);
		pc_h(o, pc_arg(r, fields[i]));
		g_string_append_printf(o, "\"%s></label>", i >= 4 ? " size=\"10\"" : "");
	}
	if (verdict) {
		const char *v = pc_arg(r, "verdict");
		g_string_append(o, "<label>verdict <select name=\"verdict\"><option value=\"\">any</option>");
		static const char *const vs[] = {"accept", "neutralise", "quarantine", "reject"};
		for (size_t i = 0; i < 4; i++)
			g_string_append_printf(o, "<option%s>%s</option>", v && !strcmp(v, vs[i]) ? " selected" : "",
			                       vs[i]);
		g_string_append(o, "</select></label>");
	}
	g_string_append(o, "<button type=\"submit\">Search</button></form>");
}

void pc_pager(GString *o, const pc_req *r, const char *base, json_t *d)
{
	long long off = pc_jn(d, "offset"), lim = pc_jn(d, "limit"), tot = pc_jn(d, "total");
	static const char *const keep[] = {"sender", "rcpt", "subject", "reason", "campaign",
	                                   "from",   "to",   "verdict", "sha256"};
	GString *q = g_string_new("");
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		if (pc_arg(r, keep[i])) {
			g_string_append_printf(q, "%s=", keep[i]);
			pc_hu(q, pc_arg(r, keep[i]));
			g_string_append(q, "&amp;");
		}
	g_string_append(o, "<p class=\"pager\">");
	if (off > 0)
		g_string_append_printf(o, "<a href=\"%s?%soffset=%lld\">previous</a>", base, q->str,
		                       off > lim ? off - lim : 0);
	if (off + lim < tot)
		g_string_append_printf(o, "<a href=\"%s?%soffset=%lld\">next</a>", base, q->str, off + lim);
	g_string_append(o, "</p>");
	g_string_free(q, TRUE);
}

void pc_render_quarantine(pc_req *r, json_t *d, GString *o)
{
	g_string_append(o, "<h1>Quarantine</h1>");
	pc_search_form(o, r, "/quarantine", false);
	g_string_append_printf(o, "<p class=\"mut\">%s%lld messages match.</p>",
	                       json_is_true(json_object_get(d, "total_capped")) ? "at least " : "", pc_jn(d, "total"));
	g_string_append(o, "<table><thead><tr><th>Quarantined</th><th>From</th><th>To</th><th>Subject</th>"
	                   "<th>Why</th><th class=\"n\">Campaign</th><th class=\"n\">Size</th></tr></thead><tbody>");
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(d, "messages"), i, m)
	{
		const char *qid = pc_js(m, "qid");
		g_string_append(o, "<tr><td><a href=\"/quarantine/");
		pc_hu(o, qid);
		g_string_append(o, "\">");
		pc_h_time(o, (time_t)pc_jn(m, "arrived"));
		g_string_append(o, "</a></td><td class=\"clip\">");
		pc_hn(o, pc_js(m, "sender"), 200);
		g_string_append(o, "</td><td class=\"clip\">");
		pc_hn(o, pc_js(m, "rcpt"), 200);
		g_string_append(o, "</td><td class=\"clip\"><a href=\"/quarantine/");
		pc_hu(o, qid);
		g_string_append(o, "\">");
		pc_hn(o, pc_js(m, "subject"), 200);
		if (!pc_js(m, "subject") || !*pc_js(m, "subject"))
			g_string_append(o, "(no subject)");
		g_string_append(o, "</a></td><td class=\"clip\">");
		pc_hn(o, pc_js(m, "reason"), 200);
		long long c = pc_jn(m, "campaign");
		if (c > 0)
			g_string_append_printf(o, "</td><td class=\"n\"><a href=\"/campaigns/%lld\">%lld</a>", c, c);
		else
			g_string_append(o, "</td><td class=\"n\">–");
		g_string_append_printf(o, "</td><td class=\"n\">%lld</td></tr>", pc_jn(m, "size"));
	}
	if (!json_array_size(json_object_get(d, "messages")))
		g_string_append(o, "<tr><td colspan=\"7\" class=\"mut\">none</td></tr>");
	g_string_append(o, "</tbody></table>");
	pc_pager(o, r, "/quarantine", d);
}

/* ---- one entry ---- */

int pc_page_qentry(pc_req *r, json_t **data, pc_resp *resp)
{
	const char *dir = r->w->cfg.quarantine_dir;
	if (!dir[0] || !pc_quarantine_qid_valid(r->word))
		return pc_fail(resp, data, 404, "no such quarantined message");
	pc_qentry e;
	char err[512];
	int rc = pc_qentry_load(dir, r->word, false, &e, err, sizeof err);
	if (rc == 1)
		return pc_fail(resp, data, 404, "no such quarantined message");
	if (rc != 0)
		return pc_fail(resp, data, 500, "%s", err);
	json_t *d = json_object();
	json_object_set_new(d, "qid", json_string(r->word));
	json_object_set(d, "meta", e.meta);
	json_object_set_new(d, "sha256", json_string(e.sha));
	json_object_set_new(d, "size", json_integer((json_int_t)e.n));
	if (e.problem)
		json_object_set_new(d, "meta_problem", json_string(e.problem));
	json_object_set_new(d, "view", pc_message_view(r, e.bytes, e.n, pc_js(e.meta, "custody") ? NULL : e.meta));
	char base[192];
	snprintf(base, sizeof base, "/quarantine/%s/body", r->word);
	json_object_set_new(d, "body_url", json_string(base));
	pc_qentry_free(&e);
	*data = d;
	return 200;
}

int pc_page_qentry_body(pc_req *r, json_t **data, pc_resp *resp)
{
	const char *dir = r->w->cfg.quarantine_dir;
	if (!dir[0] || !pc_quarantine_qid_valid(r->word))
		return pc_fail(resp, data, 404, "no such quarantined message");
	char *bytes = NULL, err[512];
	size_t n = 0;
	if (pc_quarantine_get(dir, r->word, &bytes, &n, NULL, err, sizeof err) != 0)
		return pc_fail(resp, data, 404, "no such quarantined message");
	int rc = pc_message_body(r, bytes, n, data, resp);
	free(bytes);
	return rc;
}

static void index_drop(pc_req *r)
{
	pc_store_qindex_remove(r->st, r->w->cfg.quarantine_dir, r->word);
}

static int qact(pc_req *r, json_t **data, pc_resp *resp, bool release)
{
	const char *dir = r->w->cfg.quarantine_dir;
	if (!dir[0] || !pc_quarantine_qid_valid(r->word))
		return pc_fail(resp, data, 404, "no such quarantined message");
	const char *reason = pc_field(r, "reason");
	if (!reason || !*reason)
		return pc_fail(resp, data, 400, "a reason is needed (it goes in the audit log)");
	char actor[192];
	snprintf(actor, sizeof actor, "%s (console, %s)", r->sess.user, r->ip);
	/* release to: other recipients, blank- or comma-separated */
	const char *to_text = pc_field(r, "to");
	gchar **to = to_text && *to_text ? g_regex_split_simple("[\\s,]+", to_text, 0, 0) : NULL;
	const char *tov[64];
	size_t nto = 0;
	for (size_t i = 0; to && to[i] && nto < 64; i++)
		if (*to[i]) {
			if (!strchr(to[i], '@') || strlen(to[i]) > 320 || to[i][0] == '-') {
				int st = pc_fail(resp, data, 400, "not an address: %.80s", to[i]);
				g_strfreev(to);
				return st;
			}
			tov[nto++] = to[i];
		}
	pc_qaction a = {dir,
	                r->st,
	                actor,
	                reason,
	                nto ? tov : NULL,
	                nto,
	                r->w->cfg.quarantine_sendmail,
	                r->w->cfg.quarantine_postsuper,
	                r->w->cfg.quarantine_postqueue};
	char err[2048] = "";
	pc_qaction_done done = {0};
	int rc = release ? pc_qaction_release(&a, r->word, &done, err, sizeof err)
	                 : pc_qaction_delete(&a, r->word, err, sizeof err);
	g_strfreev(to);
	if (rc == 1)
		return pc_fail(resp, data, 404, "no such quarantined message");
	if (rc != 0)
		return pc_fail(resp, data, 502, "%s failed: %s", release ? "release" : "delete", err);
	index_drop(r);
	if (release && done.held)
		return pc_done(r, resp, data, "/quarantine", "Released from the hold queue (%s).", done.queue_id);
	if (release)
		return pc_done(r, resp, data, "/quarantine", "Released to %ld recipient%s.", done.nrcpt,
		               done.nrcpt == 1 ? "" : "s");
	return pc_done(r, resp, data, "/quarantine", "Deleted.");
}

int pc_act_release(pc_req *r, json_t **data, pc_resp *resp)
{
	return qact(r, data, resp, true);
}

int pc_act_qdelete(pc_req *r, json_t **data, pc_resp *resp)
{
	return qact(r, data, resp, false);
}
