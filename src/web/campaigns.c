/*
 * NAME
 *   campaigns - the console's overview, campaign list, one campaign, and
 *   what an analyst does to one: mark, purge, export
 * DESCRIPTION
 *   Every number comes from the store's indexed reads: the overview from
 *   the message table's `seen` index (messages per verdict per hour over
 *   the last PC_OVERVIEW_DAYS days, top lookalike domains) and the
 *   campaign table; a campaign from its row, its values (one indexed read
 *   per kind) and its members in arrival order (timeline over all of
 *   them; the table shows PC_MEMBERS_PAGE at a time).
 *   Marking is the CLI's `campaigns mark` (one store call, audited with the
 *   person's reason); purge starts `portcullis hunt --campaign ID --purge`
 *   over [console] mail_store (web/jobs.c) and shows its progress; export
 *   is evidence/export.h's, served as a download.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evidence/export.h"
#include "web/internal.h"

#define PC_MEMBERS_PAGE 200

static json_t *campaign_json(const pc_campaign_rec *c)
{
	return json_pack("{s:I,s:i,s:i,s:i,s:i,s:i,s:i,s:I,s:I,s:s,s:s,s:b,s:o,s:o}", "id", (json_int_t)c->id, "size",
	                 (int)c->size, "recipients", (int)c->recipients, "tokened", (int)c->tokened, "distinct_tokens",
	                 (int)c->tokens, "senders", (int)c->senders, "first_contact", (int)c->first_contact,
	                 "first_seen", (json_int_t)c->first_seen, "last_seen", (json_int_t)c->last_seen, "verdict",
	                 pc_action_name(c->verdict), "status", pc_campaign_status_name(c->status), "analyst",
	                 c->analyst, "why", pc_jstr(c->why), "subject", pc_jstr(c->subject));
}

/* ---- overview ---- */

int pc_values_cb(void *ctx, const char *value, long count)
{
	json_array_append_new(ctx, json_pack("{s:o,s:i}", "value", pc_jstr(value), "count", (int)count));
	return 0;
}

static bool contains(const char *hay, const char *needle)
{
	if (!needle || !*needle)
		return true;
	char *a = g_utf8_casefold(hay ? hay : "", -1), *b = g_utf8_casefold(needle, -1);
	bool r = strstr(a, b) != NULL;
	g_free(a);
	g_free(b);
	return r;
}

int pc_campaign_filter_cb(void *ctx, const pc_campaign_rec *c)
{
	pc_campaign_filter *l = ctx;
	if (l->window && c->last_seen >= l->window)
		l->active++;
	if (c->status == PC_CAMPAIGN_MALICIOUS)
		l->malicious++;
	else if (c->status == PC_CAMPAIGN_OPEN)
		l->open++;
	if (l->status && strcmp(l->status, pc_campaign_status_name(c->status)))
		return 0;
	if (l->verdict && strcmp(l->verdict, pc_action_name(c->verdict)))
		return 0;
	if (c->size < l->min_size || (l->since && c->last_seen < l->since))
		return 0;
	if (l->q && !contains(c->subject, l->q) && !contains(c->why, l->q))
		return 0;
	l->total++;
	if (l->total <= l->offset || json_array_size(l->arr) >= l->max)
		return 0;
	json_array_append_new(l->arr, campaign_json(c));
	return 0;
}

void pc_campaign_rows(GString *o, json_t *arr)
{
	g_string_append(o,
	                "<table><thead><tr><th class=\"n\">ID</th><th>Subject</th><th class=\"n\">Copies</th>"
	                "<th class=\"n\">Recipients</th><th class=\"n\">Senders</th><th>Token</th><th>First seen</th>"
	                "<th>Last seen</th><th>Verdict</th><th>Status</th></tr></thead><tbody>");
	size_t i;
	json_t *c;
	json_array_foreach(arr, i, c)
	{
		long long id = pc_jn(c, "id");
		g_string_append_printf(
		    o, "<tr><td class=\"n\"><a href=\"/campaigns/%lld\">%lld</a></td><td class=\"clip\">", id, id);
		g_string_append_printf(o, "<a href=\"/campaigns/%lld\">", id);
		pc_hn(o, pc_js(c, "subject"), 200);
		g_string_append_printf(
		    o, "</a></td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>",
		    pc_jn(c, "size"), pc_jn(c, "recipients"), pc_jn(c, "senders"));
		g_string_append_printf(o, "<td>%s</td><td>", pc_jn(c, "tokened") > 0 ? "per-recipient" : "–");
		pc_h_time(o, (time_t)pc_jn(c, "first_seen"));
		g_string_append(o, "</td><td>");
		pc_h_time(o, (time_t)pc_jn(c, "last_seen"));
		g_string_append_printf(o, "</td><td class=\"%s\">%s</td><td class=\"%s\">%s</td></tr>",
		                       pc_verdict_class(pc_js(c, "verdict")), pc_js(c, "verdict"),
		                       pc_verdict_class(pc_js(c, "status")), pc_js(c, "status"));
	}
	if (!json_array_size(arr))
		g_string_append(o, "<tr><td colspan=\"10\" class=\"mut\">none</td></tr>");
	g_string_append(o, "</tbody></table>");
}

int pc_page_campaigns(pc_req *r, json_t **data, pc_resp *resp)
{
	pc_campaign_filter l = {.arr = json_array(), .max = (size_t)pc_arg_long(r, "limit", 100, 1, 1000)};
	l.status = pc_arg(r, "status");
	l.verdict = pc_arg(r, "verdict");
	l.q = pc_arg(r, "q");
	l.min_size = pc_arg_long(r, "min_size", 2, 1, 1000000000);
	l.offset = pc_arg_long(r, "offset", 0, 0, 1000000000);
	long days = pc_arg_long(r, "days", 0, 0, 36500);
	l.since = days ? time(NULL) - days * 86400 : 0;
	if (pc_store_campaign_list(r->st, l.min_size, pc_campaign_filter_cb, &l) != 0) {
		json_decref(l.arr);
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	}
	*data = json_pack("{s:o,s:i,s:i,s:i}", "campaigns", l.arr, "total", (int)l.total, "offset", (int)l.offset,
	                  "limit", (int)l.max);
	return 200;
}

static void select_opt(GString *o, const char *name, const char *cur, const char *const *opts)
{
	g_string_append_printf(o, "<label>%s <select name=\"%s\"><option value=\"\">any</option>", name, name);
	for (size_t i = 0; opts[i]; i++)
		g_string_append_printf(o, "<option%s>%s</option>", cur && !strcmp(cur, opts[i]) ? " selected" : "",
		                       opts[i]);
	g_string_append(o, "</select></label>");
}

void pc_render_campaigns(pc_req *r, json_t *d, GString *o)
{
	static const char *const statuses[] = {"open", "malicious", "benign", NULL};
	static const char *const verdicts[] = {"accept", "neutralise", "quarantine", "reject", NULL};
	g_string_append(o, "<h1>Campaigns</h1><form class=\"filters\" method=\"get\" action=\"/campaigns\">");
	select_opt(o, "status", pc_arg(r, "status"), statuses);
	select_opt(o, "verdict", pc_arg(r, "verdict"), verdicts);
	g_string_append(o, "<label>subject or reason <input name=\"q\" value=\"");
	pc_h(o, pc_arg(r, "q"));
	g_string_append_printf(o,
	                       "\"></label><label>at least <input name=\"min_size\" size=\"5\" value=\"%ld\"> copies"
	                       "</label><label>seen in the last <input name=\"days\" size=\"4\" value=\"",
	                       pc_arg_long(r, "min_size", 2, 1, 1000000000));
	pc_h(o, pc_arg(r, "days"));
	g_string_append(o, "\"> days</label><button type=\"submit\">Filter</button></form>");
	g_string_append_printf(o, "<p class=\"mut\">%lld campaigns match.</p>", pc_jn(d, "total"));
	pc_campaign_rows(o, json_object_get(d, "campaigns"));
	long long off = pc_jn(d, "offset"), lim = pc_jn(d, "limit"), tot = pc_jn(d, "total");
	if (off + lim < tot) {
		g_string_append(o, "<p class=\"pager\"><a href=\"/campaigns?");
		static const char *const keep[] = {"status", "verdict", "q", "min_size", "days"};
		for (size_t i = 0; i < 5; i++)
			if (pc_arg(r, keep[i])) {
				g_string_append_printf(o, "%s=", keep[i]);
				pc_hu(o, pc_arg(r, keep[i]));
				g_string_append(o, "&amp;");
			}
		g_string_append_printf(o, "offset=%lld\">next %lld</a></p>", off + lim, lim);
	}
}

/* ---- one campaign ---- */

typedef struct members_ctx {
	json_t *arr;
	long offset, n, max;
	time_t t0;
	long step;
	GArray *times;
} members_ctx;

static int member_cb(void *ctx, const pc_member_row *m)
{
	members_ctx *c = ctx;
	g_array_append_val(c->times, m->when);
	if (c->n++ < c->offset || (long)json_array_size(c->arr) >= c->max)
		return 0;
	json_array_append_new(c->arr, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:s}", "source", pc_jstr(m->source),
	                                        "message_id", pc_jstr(m->message_id), "sender", pc_jstr(m->sender),
	                                        "subject", pc_jstr(m->subject), "rcpt", pc_jstr(m->rcpt), "rule",
	                                        pc_jstr(m->rule), "token", pc_jstr(m->token), "when",
	                                        (json_int_t)m->when, "verdict", pc_action_name(m->verdict)));
	return 0;
}

static int audit_cb(void *ctx, const pc_audit_row *a)
{
	json_array_append_new(ctx,
	                      json_pack("{s:I,s:I,s:o,s:o,s:o,s:o}", "id", (json_int_t)a->id, "when",
	                                (json_int_t)a->when, "actor", pc_jstr(a->actor), "action", pc_jstr(a->action),
	                                "source", pc_jstr(a->source), "detail", pc_jstr(a->detail)));
	return 0;
}

static int msg_cb(void *ctx, const pc_msg_row *m)
{
	json_object_set_new(ctx, m->source, json_integer(m->id));
	return 0;
}

int pc_page_campaign(pc_req *r, json_t **data, pc_resp *resp)
{
	pc_campaign_rec c;
	int rc = pc_store_campaign_get(r->st, r->num, &c);
	if (rc == 0)
		return pc_fail(resp, data, 404, "no campaign %lld", r->num);
	if (rc < 0)
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	json_t *d = json_object();
	json_object_set_new(d, "campaign", campaign_json(&c));
	static const char *const kinds[] = {"sender", "rcpt", "tracker", "template", "infra", "per-recipient-token"};
	json_t *values = json_object();
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0] && rc >= 0; i++) {
		json_t *a = json_array();
		rc = pc_store_campaign_values(r->st, r->num, kinds[i], !strcmp(kinds[i], "rcpt") ? 0 : 200,
		                              pc_values_cb, a);
		json_object_set_new(values, kinds[i], a);
	}
	json_object_set_new(d, "values", values);
	/* recipients by organisation: the domain of each recipient */
	json_t *orgs = json_object();
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(values, "rcpt"), i, v)
	{
		const char *a = pc_js(v, "value"), *at = a ? strrchr(a, '@') : NULL;
		const char *dom = at ? at + 1 : "?";
		json_object_set_new(orgs, dom, json_integer(json_integer_value(json_object_get(orgs, dom)) + 1));
	}
	json_object_set_new(d, "organisations", orgs);
	members_ctx m = {json_array(),
	                 pc_arg_long(r, "offset", 0, 0, 1000000000),
	                 0,
	                 PC_MEMBERS_PAGE,
	                 0,
	                 0,
	                 g_array_new(FALSE, FALSE, sizeof(time_t))};
	if (rc >= 0)
		rc = pc_store_campaign_members(r->st, r->num, member_cb, &m);
	json_object_set_new(d, "members", m.arr);
	json_object_set_new(d, "members_offset", json_integer(m.offset));
	/* the timeline: the smallest of these steps giving at most 120 bars */
	time_t lo = c.first_seen, hi = c.last_seen;
	static const long steps[] = {60, 300, 600, 1800, 3600, 6 * 3600, 86400, 7 * 86400};
	long step = steps[0];
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		step = steps[k];
		if ((hi - lo) / step < 120)
			break;
	}
	time_t t0 = lo / step * step;
	size_t nb = (size_t)((hi - t0) / step + 1);
	if (nb > 2000)
		nb = 2000;
	json_t *tl = json_array();
	long *bins = g_new0(long, nb);
	for (guint k = 0; k < m.times->len; k++) {
		time_t t = g_array_index(m.times, time_t, k);
		if (t >= t0) {
			size_t b = (size_t)((t - t0) / step);
			bins[b < nb ? b : nb - 1]++;
		}
	}
	for (size_t k = 0; k < nb; k++)
		json_array_append_new(tl, json_integer(bins[k]));
	g_free(bins);
	g_array_free(m.times, TRUE);
	json_object_set_new(d, "timeline",
	                    json_pack("{s:I,s:i,s:o}", "from", (json_int_t)t0, "step", (int)step, "counts", tl));
	/* the members' message pages: custody rows of this campaign */
	json_t *ids = json_object();
	pc_query q = {.campaign = r->num, .limit = 1000};
	long total;
	if (rc >= 0)
		rc = pc_store_message_search(r->st, &q, msg_cb, ids, &total);
	json_object_set_new(d, "message_ids", ids);
	json_t *audit = json_array();
	if (rc >= 0)
		rc = pc_store_audit_list(r->st, r->num, audit_cb, audit);
	json_object_set_new(d, "audit", audit);
	json_object_set_new(d, "purge_configured", json_boolean(r->w->cfg.console_mail_store[0] != '\0'));
	if (rc < 0) {
		json_decref(d);
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	}
	*data = d;
	return 200;
}

static void values_table(GString *o, const char *title, json_t *arr, size_t max)
{
	g_string_append(o, "<h2>");
	pc_h(o, title);
	g_string_append_printf(o, " <span class=\"mut\">(%zu)</span></h2><table><tbody>", json_array_size(arr));
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		if (i >= max) {
			g_string_append_printf(o, "<tr><td class=\"mut\">… %zu more (see the API)</td><td></td></tr>",
			                       json_array_size(arr) - max);
			break;
		}
		g_string_append(o, "<tr><td class=\"wrap ev\">");
		pc_hn(o, pc_js(v, "value"), 400);
		g_string_append_printf(o, "</td><td class=\"n\">%lld</td></tr>", pc_jn(v, "count"));
	}
	if (!json_array_size(arr))
		g_string_append(o, "<tr><td class=\"mut\">none</td></tr>");
	g_string_append(o, "</tbody></table>");
}

void pc_render_campaign(pc_req *r, json_t *d, GString *o)
{
	json_t *c = json_object_get(d, "campaign"), *vals = json_object_get(d, "values");
	long long id = pc_jn(c, "id");
	g_string_append_printf(o, "<h1>Campaign %lld: ", id);
	pc_hn(o, pc_js(c, "subject"), 200);
	g_string_append(o, "</h1><dl class=\"kv\"><dt>Status</dt><dd class=\"");
	g_string_append_printf(o, "%s\">%s%s</dd><dt>Why</dt><dd>", pc_verdict_class(pc_js(c, "status")),
	                       pc_js(c, "status"),
	                       json_is_true(json_object_get(c, "analyst")) ? " (by an analyst)" : "");
	pc_h(o, pc_js(c, "why"));
	g_string_append_printf(o, "</dd><dt>Verdict</dt><dd class=\"%s\">%s</dd>",
	                       pc_verdict_class(pc_js(c, "verdict")), pc_js(c, "verdict"));
	g_string_append_printf(o, "<dt>Copies</dt><dd>%lld to %lld recipients from %lld senders</dd>", pc_jn(c, "size"),
	                       pc_jn(c, "recipients"), pc_jn(c, "senders"));
	g_string_append_printf(o, "<dt>Per-recipient token</dt><dd>%s (%lld copies, %lld distinct)</dd>",
	                       pc_jn(c, "tokened") > 0 ? "found" : "not found", pc_jn(c, "tokened"),
	                       pc_jn(c, "distinct_tokens"));
	g_string_append(o, "<dt>Seen</dt><dd>");
	pc_h_time(o, (time_t)pc_jn(c, "first_seen"));
	g_string_append(o, " – ");
	pc_h_time(o, (time_t)pc_jn(c, "last_seen"));
	g_string_append(o, "</dd></dl>");

	if (r->sess.role >= PC_ROLE_ANALYST) {
		g_string_append(o, "<h2>Actions</h2><div class=\"actions\">");
		pc_form(o, r, "/campaigns/%lld/mark", id);
		g_string_append(o,
		                "<label>Mark <select name=\"status\"><option>malicious</option><option>benign</option>"
		                "<option>open</option></select></label><label>reason <input name=\"reason\" required "
		                "maxlength=\"400\"></label><button type=\"submit\">Mark</button></form>");
		pc_form(o, r, "/campaigns/%lld/purge", id);
		if (json_is_true(json_object_get(d, "purge_configured")))
			g_string_append(
			    o, "<button type=\"submit\" class=\"danger\">Purge delivered copies</button></form>");
		else
			g_string_append(
			    o, "<button type=\"submit\" disabled>Purge (no [console] mail_store)</button></form>");
		g_string_append(o, "<form method=\"get\" action=\"");
		g_string_append_printf(
		    o,
		    "/campaigns/%lld/export\"><label>Export <select name=\"format\"><option>stix</option>"
		    "<option>misp</option><option>html</option><option>pdf</option><option>case</option>"
		    "</select></label><button type=\"submit\">Download</button></form></div>",
		    id);
	}
	json_t *tl = json_object_get(d, "timeline"), *cnt = json_object_get(tl, "counts");
	size_t n = json_array_size(cnt);
	double *y = g_new0(double, n + 1);
	for (size_t i = 0; i < n; i++)
		y[i] = (double)json_integer_value(json_array_get(cnt, i));
	pc_series s = {"copies", "#1f4e79", y};
	g_string_append(o, "<h2>Timeline</h2>");
	long long stp = pc_jn(tl, "step");
	char ttl[64];
	long long unit = stp >= 86400 ? 86400 : stp >= 3600 ? 3600 : 60;
	const char *uname = unit == 86400 ? "day" : unit == 3600 ? "hour" : "minute";
	if (stp == unit)
		snprintf(ttl, sizeof ttl, "Copies per %s", uname);
	else
		snprintf(ttl, sizeof ttl, "Copies per %lld %ss", stp / unit, uname);
	pc_svg_bars(o, ttl, (time_t)pc_jn(tl, "from"), (long)stp, n, &s, 1);
	g_free(y);
	/* organisations, most recipients first */
	json_t *orgs = json_object_get(d, "organisations");
	size_t no = json_object_size(orgs), k = 0;
	const char **labels = g_new0(const char *, no + 1);
	long *v = g_new0(long, no + 1);
	const char *key;
	json_t *val;
	json_object_foreach(orgs, key, val)
	{
		size_t j = k++;
		long x = (long)json_integer_value(val);
		while (j > 0 && v[j - 1] < x) {
			v[j] = v[j - 1], labels[j] = labels[j - 1];
			j--;
		}
		v[j] = x, labels[j] = key;
	}
	g_string_append(o, "<div class=\"grid2\"><div>");
	pc_svg_hbars(o, "Recipients by organisation", labels, v, no > 15 ? 15 : no);
	g_free(labels);
	g_free(v);
	g_string_append(o, "</div><div>");
	values_table(o, "Senders", json_object_get(vals, "sender"), 20);
	g_string_append(o, "</div></div><div class=\"grid2\"><div>");
	values_table(o, "Tracker templates", json_object_get(vals, "template"), 20);
	values_table(o, "Per-recipient token positions", json_object_get(vals, "per-recipient-token"), 20);
	g_string_append(o, "</div><div>");
	values_table(o, "Infrastructure", json_object_get(vals, "infra"), 30);
	values_table(o, "Tracker hosts", json_object_get(vals, "tracker"), 20);
	g_string_append(o, "</div></div>");

	json_t *members = json_object_get(d, "members"), *ids = json_object_get(d, "message_ids");
	long long off = pc_jn(d, "members_offset");
	g_string_append_printf(o, "<h2>Members <span class=\"mut\">(%lld–%lld of %lld)</span></h2>", off + 1,
	                       off + (long long)json_array_size(members), pc_jn(c, "size"));
	g_string_append(o, "<table><thead><tr><th>Arrived</th><th>Recipient</th><th>Sender</th><th>Subject</th>"
	                   "<th>Token</th><th>Verdict</th><th>Rule</th><th>Evidence</th></tr></thead><tbody>");
	size_t i;
	json_t *m;
	json_array_foreach(members, i, m)
	{
		g_string_append(o, "<tr><td>");
		pc_h_time(o, (time_t)pc_jn(m, "when"));
		g_string_append(o, "</td><td class=\"clip\">");
		pc_hn(o, pc_js(m, "rcpt"), 200);
		g_string_append(o, "</td><td class=\"clip\">");
		pc_hn(o, pc_js(m, "sender"), 200);
		g_string_append(o, "</td><td class=\"clip\">");
		pc_hn(o, pc_js(m, "subject"), 200);
		g_string_append(o, "</td><td class=\"ev clip\">");
		pc_hn(o, pc_js(m, "token"), 40);
		g_string_append_printf(o, "</td><td class=\"%s\">%s</td><td>", pc_verdict_class(pc_js(m, "verdict")),
		                       pc_js(m, "verdict"));
		pc_h(o, pc_js(m, "rule"));
		g_string_append(o, "</td><td>");
		json_t *mid = json_object_get(ids, pc_js(m, "source") ? pc_js(m, "source") : "");
		if (json_is_integer(mid))
			g_string_append_printf(o, "<a href=\"/messages/%lld\">message</a>",
			                       (long long)json_integer_value(mid));
		else
			g_string_append(o, "<span class=\"mut\">no record</span>");
		g_string_append(o, "</td></tr>");
	}
	g_string_append(o, "</tbody></table>");
	if (off + (long long)json_array_size(members) < pc_jn(c, "size"))
		g_string_append_printf(
		    o, "<p class=\"pager\"><a href=\"/campaigns/%lld?offset=%lld\">next %d members</a></p>", id,
		    off + PC_MEMBERS_PAGE, PC_MEMBERS_PAGE);
	g_string_append(o, "<h2>Audit</h2><table><thead><tr><th>When</th><th>Who</th><th>Action</th><th>Detail</th>"
	                   "</tr></thead><tbody>");
	json_array_foreach(json_object_get(d, "audit"), i, m)
	{
		g_string_append(o, "<tr><td>");
		pc_h_time(o, (time_t)pc_jn(m, "when"));
		g_string_append(o, "</td><td>");
		pc_h(o, pc_js(m, "actor"));
		g_string_append(o, "</td><td>");
		pc_h(o, pc_js(m, "action"));
		g_string_append(o, "</td><td class=\"wrap\">");
		pc_hn(o, pc_js(m, "detail"), 500);
		g_string_append(o, "</td></tr>");
	}
	g_string_append(o, "</tbody></table>");
}

/* ---- actions ---- */

int pc_act_campaign_mark(pc_req *r, json_t **data, pc_resp *resp)
{
	const char *status = pc_field(r, "status"), *reason = pc_field(r, "reason");
	pc_campaign_status s;
	if (status && !strcmp(status, "malicious"))
		s = PC_CAMPAIGN_MALICIOUS;
	else if (status && !strcmp(status, "benign"))
		s = PC_CAMPAIGN_BENIGN;
	else if (status && !strcmp(status, "open"))
		s = PC_CAMPAIGN_OPEN;
	else
		return pc_fail(resp, data, 400, "status must be malicious, benign or open");
	if (!reason || !*reason)
		return pc_fail(resp, data, 400, "a reason is needed (it goes in the audit log)");
	pc_campaign_rec c;
	int rc = pc_store_campaign_get(r->st, r->num, &c);
	if (rc == 0)
		return pc_fail(resp, data, 404, "no campaign %lld", r->num);
	char why[512];
	char r400[401];
	pc_cut(r400, sizeof r400, reason);
	snprintf(why, sizeof why, "marked %s by %s: %s", status, r->sess.user, r400);
	char detail[700];
	snprintf(detail, sizeof detail, "%s -> %s: %s", pc_campaign_status_name(c.status), status, r400);
	if (rc < 0 || pc_store_begin(r->st) != 0)
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	if (pc_store_campaign_mark(r->st, r->num, s, true, r->w->cfg.campaign_action, why) != 0) {
		pc_store_rollback(r->st);
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	}
	char actor[192];
	snprintf(actor, sizeof actor, "%s (console, %s)", r->sess.user, r->ip);
	if (pc_store_audit(r->st, time(NULL), actor, "mark", r->num, NULL, detail) != 0 ||
	    pc_store_commit(r->st) != 0) {
		pc_store_rollback(r->st);
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	}
	char back[64];
	snprintf(back, sizeof back, "/campaigns/%lld", r->num);
	return pc_done(r, resp, data, back, "Campaign %lld marked %s.", r->num, status);
}

int pc_act_campaign_purge(pc_req *r, json_t **data, pc_resp *resp)
{
	pc_campaign_rec c;
	int rc = pc_store_campaign_get(r->st, r->num, &c);
	if (rc == 0)
		return pc_fail(resp, data, 404, "no campaign %lld", r->num);
	if (rc < 0)
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	char err[256], who[192];
	snprintf(who, sizeof who, "%s (console, %s)", r->sess.user, r->ip);
	long job = pc_jobs_purge(r->w, r->num, who, err, sizeof err);
	if (job < 0)
		return pc_fail(resp, data, 409, "%s", err);
	char detail[128];
	snprintf(detail, sizeof detail, "purge job %ld started over [console] mail_store", job);
	pc_audit(r, "purge-start", r->num, NULL, detail);
	char back[64];
	snprintf(back, sizeof back, "/jobs/%ld", job);
	int st = pc_done(r, resp, data, back, "Purge of campaign %lld started (job %ld).", r->num, job);
	json_object_set_new(*data, "job", json_integer(job));
	return st;
}

int pc_page_job(pc_req *r, json_t **data, pc_resp *resp)
{
	pc_jobs_reap(r->w, r->st);
	json_t *j = pc_jobs_get(r->w, (long)r->num);
	if (!j)
		return pc_fail(resp, data, 404, "no job %lld", r->num);
	*data = j;
	return 200;
}

void pc_render_job(pc_req *r, json_t *d, GString *o)
{
	(void)r;
	const char *state = pc_js(d, "state");
	bool running = state && !strcmp(state, "running");
	/* no script: the page asks again by itself while the job runs */
	if (running)
		g_string_append(o, "<meta http-equiv=\"refresh\" content=\"2\">");
	g_string_append_printf(o, "<h1>Purge of campaign <a href=\"/campaigns/%lld\">%lld</a></h1>",
	                       pc_jn(d, "campaign"), pc_jn(d, "campaign"));
	g_string_append_printf(o, "<dl class=\"kv\"><dt>State</dt><dd id=\"job-state\">%s</dd>", state ? state : "?");
	g_string_append_printf(
	    o,
	    "<dt>Messages read</dt><dd>%lld</dd><dt>Copies found</dt><dd>%lld</dd>"
	    "<dt>Moved to quarantine</dt><dd id=\"job-purged\">%lld</dd><dt>Exit status</dt><dd>%lld</dd>"
	    "<dt>Started by</dt><dd>",
	    pc_jn(d, "scanned"), pc_jn(d, "matches"), pc_jn(d, "purged"), pc_jn(d, "exit"));
	pc_h(o, pc_js(d, "actor"));
	g_string_append(o, "</dd></dl><h2>Output</h2><pre>");
	pc_h_pre(o, pc_js(d, "log"), 20000);
	g_string_append(o, "</pre>");
}

int pc_page_export(pc_req *r, json_t **data, pc_resp *resp)
{
	const char *format = pc_arg(r, "format");
	static const char *const formats[] = {"stix", "misp", "html", "pdf", "case"};
	static const char *const types[] = {"application/json", "application/json", "text/html; charset=utf-8",
	                                    "application/pdf", "application/json"};
	static const char *const ext[] = {"stix.json", "misp.json", "html", "pdf", "case.json"};
	size_t f = 0;
	while (f < 5 && (!format || strcmp(format, formats[f])))
		f++;
	if (f == 5)
		return pc_fail(resp, data, 400, "format: stix, misp, html, pdf or case");
	char dir[] = "/tmp/portcullis-export-XXXXXX";
	if (!mkdtemp(dir))
		return pc_fail(resp, data, 500, "no temporary directory");
	char path[128];
	snprintf(path, sizeof path, "%s/out", dir);
	pc_export_opts eo = {.format = formats[f],
	                     .output = path,
	                     .quarantine_dir = r->w->cfg.quarantine_dir,
	                     .chromium = r->w->cfg.evidence_chromium[0] ? r->w->cfg.evidence_chromium : NULL};
	eo.case_opts = (pc_case_opts){.recipients = PC_CASE_RCPT_HASHED,
	                              .org = r->w->cfg.evidence_org[0] ? r->w->cfg.evidence_org : NULL,
	                              .contact = r->w->cfg.evidence_contact[0] ? r->w->cfg.evidence_contact : NULL,
	                              .tlp = r->w->cfg.evidence_tlp,
	                              .config = &r->w->cfg};
	/* recipients stay hashed unless an admin asks otherwise */
	const char *rmode = pc_arg(r, "recipients");
	if (rmode && !strcmp(rmode, "none"))
		eo.case_opts.recipients = PC_CASE_RCPT_NONE;
	else if (rmode && !strcmp(rmode, "clear") && r->sess.role >= PC_ROLE_ADMIN)
		eo.case_opts.recipients = PC_CASE_RCPT_CLEAR;
	char err[512];
	int rc = pc_evidence_export(r->st, r->num, &eo, err, sizeof err);
	gchar *body = NULL;
	gsize n = 0;
	if (rc == 0 && !g_file_get_contents(path, &body, &n, NULL))
		rc = -1, snprintf(err, sizeof err, "export written but not readable");
	unlink(path);
	rmdir(dir);
	if (rc != 0) {
		g_free(body);
		return pc_fail(resp, data, rc == -2 ? 400 : 500, "export: %s", err);
	}
	resp->body = g_string_new_len(body, (gssize)n);
	g_free(body);
	resp->type = types[f];
	snprintf(resp->disposition, sizeof resp->disposition, "attachment; filename=\"campaign-%lld.%s\"", r->num,
	         ext[f]);
	char detail[96];
	snprintf(detail, sizeof detail, "export %s (recipients %s)", formats[f],
	         eo.case_opts.recipients == PC_CASE_RCPT_CLEAR  ? "in clear"
	         : eo.case_opts.recipients == PC_CASE_RCPT_NONE ? "left out"
	                                                        : "hashed");
	pc_audit(r, "export", r->num, NULL, detail);
	*data = NULL;
	return 200;
}
