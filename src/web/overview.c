/*
 * NAME
 *   overview - the console's first page: what happened lately
 * DESCRIPTION
 *   Messages per verdict per hour over the last PC_OVERVIEW_DAYS days and
 *   the top lookalike domains (the store's message table, through its
 *   `seen` index), top tracker hosts of the campaigns that had a message
 *   in that time, campaign counts and the latest campaigns (campaign
 *   table), the quarantine's size (its index), and each milter node's
 *   health (web/health.c). One page, one JSON object.
 */
#include <stdio.h>
#include <string.h>

#include "web/internal.h"

#define PC_OVERVIEW_DAYS 7

typedef struct series_ctx {
	time_t from;
	long step;
	size_t n;
	double *v[4];
} series_ctx;

static int series_cb(void *ctx, time_t bucket, const char *verdict, long n)
{
	series_ctx *s = ctx;
	size_t i = (size_t)((bucket - s->from) / s->step);
	if (i >= s->n)
		return 0;
	int k = !strcmp(verdict, "quarantine") || !strcmp(verdict, "reject") ? 0
	        : !strcmp(verdict, "neutralise")                             ? 1
	                                                                     : 2;
	s->v[k][i] += (double)n;
	return 0;
}

static int no_row(void *ctx, const pc_qindex *q)
{
	(void)ctx, (void)q;
	return 0;
}

int pc_page_overview(pc_req *r, json_t **data, pc_resp *resp)
{
	(void)resp;
	time_t now = time(NULL);
	long step = 3600;
	time_t from = (now / step - 24 * PC_OVERVIEW_DAYS + 1) * step;
	size_t n = 24 * PC_OVERVIEW_DAYS;
	series_ctx s = {from, step, n, {0}};
	for (int k = 0; k < 3; k++)
		s.v[k] = g_new0(double, n);
	json_t *d = json_object();
	int rc = pc_store_verdict_series(r->st, from, step, series_cb, &s);
	json_t *ser = json_object(), *names[3] = {json_array(), json_array(), json_array()};
	long totals[3] = {0};
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 3; k++) {
			json_array_append_new(names[k], json_integer((json_int_t)s.v[k][i]));
			totals[k] += (long)s.v[k][i];
		}
	json_object_set_new(ser, "quarantined", names[0]);
	json_object_set_new(ser, "neutralised", names[1]);
	json_object_set_new(ser, "accepted", names[2]);
	json_object_set_new(d, "series",
	                    json_pack("{s:I,s:i,s:o}", "from", (json_int_t)from, "step", (int)step, "counts", ser));
	json_object_set_new(d, "messages",
	                    json_pack("{s:i,s:i,s:i}", "quarantined", (int)totals[0], "neutralised", (int)totals[1],
	                              "accepted", (int)totals[2]));
	for (int k = 0; k < 3; k++)
		g_free(s.v[k]);
	json_t *look = json_array(), *trk = json_array();
	if (rc == 0)
		rc = pc_store_top(r->st, "lookalike", from, 10, pc_values_cb, look);
	if (rc == 0)
		rc = pc_store_top(r->st, "tracker", from, 10, pc_values_cb, trk);
	json_object_set_new(d, "top_lookalike_domains", look);
	json_object_set_new(d, "top_tracker_hosts", trk);
	/* the latest campaigns (by their last copy's arrival), and how many
	 * had a copy in the window */
	pc_campaign_filter l = {.arr = json_array(), .max = 10, .status = NULL, .min_size = 2, .window = from};
	if (rc == 0)
		rc = pc_store_campaign_list(r->st, 2, pc_campaign_filter_cb, &l);
	json_object_set_new(d, "latest_campaigns", l.arr);
	json_object_set_new(d, "campaigns",
	                    json_pack("{s:i,s:i,s:i,s:i}", "total", (int)l.total, "active_in_window", (int)l.active,
	                              "malicious", (int)l.malicious, "open", (int)l.open));
	pc_qindex_sync(r->w, r->st, false);
	pc_query q = {.limit = 1};
	long qn = 0;
	if (r->w->cfg.quarantine_dir[0] && rc == 0)
		pc_store_qindex_search(r->st, r->w->cfg.quarantine_dir, &q, no_row, NULL, &qn);
	json_object_set_new(d, "quarantine_size", json_integer(qn));
	json_object_set_new(d, "days", json_integer(PC_OVERVIEW_DAYS));
	json_object_set_new(d, "milter_nodes", pc_health(r->w));
	if (rc != 0) {
		json_decref(d);
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	}
	*data = d;
	return 200;
}

static void top_list(GString *o, const char *title, json_t *arr)
{
	size_t n = json_array_size(arr);
	const char **labels = g_new0(const char *, n + 1);
	long *v = g_new0(long, n + 1);
	for (size_t i = 0; i < n; i++) {
		labels[i] = pc_js(json_array_get(arr, i), "value");
		v[i] = (long)pc_jn(json_array_get(arr, i), "count");
	}
	pc_svg_hbars(o, title, labels, v, n);
	g_free(labels);
	g_free(v);
}

void pc_render_overview(pc_req *r, json_t *d, GString *o)
{
	(void)r;
	json_t *m = json_object_get(d, "messages"), *c = json_object_get(d, "campaigns");
	g_string_append_printf(o, "<h1>Overview <span class=\"mut\">(last %lld days)</span></h1><div class=\"cards\">",
	                       pc_jn(d, "days"));
	g_string_append_printf(o, "<div class=\"card\"><b class=\"v-bad\">%lld</b>quarantined</div>",
	                       pc_jn(m, "quarantined"));
	g_string_append_printf(o, "<div class=\"card\"><b class=\"v-mid\">%lld</b>neutralised</div>",
	                       pc_jn(m, "neutralised"));
	g_string_append_printf(o, "<div class=\"card\"><b class=\"v-ok\">%lld</b>accepted</div>", pc_jn(m, "accepted"));
	g_string_append_printf(o,
	                       "<div class=\"card\"><b>%lld</b><a href=\"/campaigns\">campaigns</a> (%lld malicious, "
	                       "%lld open)</div>",
	                       pc_jn(c, "total"), pc_jn(c, "malicious"), pc_jn(c, "open"));
	g_string_append_printf(o,
	                       "<div class=\"card\"><b>%lld</b><a href=\"/quarantine\">in quarantine</a></div></div>",
	                       pc_jn(d, "quarantine_size"));
	json_t *s = json_object_get(d, "series"), *cnt = json_object_get(s, "counts");
	size_t n = json_array_size(json_object_get(cnt, "accepted"));
	double *y[3];
	static const char *keys[3] = {"quarantined", "neutralised", "accepted"};
	for (int k = 0; k < 3; k++) {
		y[k] = g_new0(double, n + 1);
		for (size_t i = 0; i < n; i++)
			y[k][i] = (double)json_integer_value(json_array_get(json_object_get(cnt, keys[k]), i));
	}
	pc_series ser[3] = {
	    {"quarantined", "#a4161a", y[0]}, {"neutralised", "#e09f3e", y[1]}, {"accepted", "#7fb685", y[2]}};
	pc_svg_bars(o, "Messages per hour by verdict", (time_t)pc_jn(s, "from"), (long)pc_jn(s, "step"), n, ser, 3);
	for (int k = 0; k < 3; k++)
		g_free(y[k]);
	g_string_append(o, "<div class=\"grid2\"><div>");
	top_list(o, "Top tracker hosts (campaigns)", json_object_get(d, "top_tracker_hosts"));
	g_string_append(o, "</div><div>");
	top_list(o, "Top lookalike domains", json_object_get(d, "top_lookalike_domains"));
	g_string_append(o, "</div></div>");
	json_t *nodes = json_object_get(d, "milter_nodes");
	if (json_array_size(nodes)) {
		g_string_append(
		    o, "<h2>Milter nodes</h2><table><thead><tr><th>Node</th><th>State</th><th class=\"n\">"
		       "Messages</th><th>Answers</th><th class=\"n\">Mean ms</th><th class=\"n\">p99 &le; ms</th>"
		       "<th>Workers</th><th class=\"n\">In flight</th><th class=\"n\">Restarts</th>"
		       "<th class=\"n\">Store errors</th><th class=\"n\">Quarantine errors</th></tr></thead><tbody>");
		size_t i;
		json_t *nd;
		json_array_foreach(nodes, i, nd)
		{
			g_string_append(o, "<tr><td>");
			pc_h(o, pc_js(nd, "address"));
			if (!json_is_true(json_object_get(nd, "up"))) {
				g_string_append(o, "</td><td class=\"v-bad\">down: ");
				pc_h(o, pc_js(nd, "error"));
				g_string_append(o, "</td><td colspan=\"9\"></td></tr>");
				continue;
			}
			g_string_append_printf(o, "</td><td class=\"v-ok\">up</td><td class=\"n\">%lld</td><td>",
			                       pc_jn(nd, "messages"));
			const char *k;
			json_t *v;
			json_object_foreach(json_object_get(nd, "answers"), k, v)
			{
				if (json_integer_value(v) > 0) {
					pc_h(o, k);
					g_string_append_printf(o, " %lld ", (long long)json_integer_value(v));
				}
			}
			json_t *mean = json_object_get(nd, "latency_mean_ms"),
			       *p99 = json_object_get(nd, "latency_p99_le_ms");
			g_string_append(o, "</td><td class=\"n\">");
			if (json_is_number(mean))
				g_string_append_printf(o, "%.1f", json_number_value(mean));
			g_string_append(o, "</td><td class=\"n\">");
			if (json_is_number(p99))
				g_string_append_printf(o, "%.1f", json_number_value(p99));
			json_t *wk = json_object_get(nd, "workers");
			g_string_append_printf(
			    o,
			    "</td><td>%lld idle, %lld busy</td><td class=\"n\">%lld</td><td class=\"n\">%lld"
			    "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td></tr>",
			    pc_jn(wk, "idle"), pc_jn(wk, "busy"), pc_jn(nd, "in_flight"), pc_jn(nd, "worker_restarts"),
			    pc_jn(nd, "store_errors"), pc_jn(nd, "quarantine_errors"));
		}
		g_string_append(o, "</tbody></table>");
	}
	g_string_append(o, "<h2>Latest campaigns</h2>");
	pc_campaign_rows(o, json_object_get(d, "latest_campaigns"));
}

/* ---- the list ---- */
