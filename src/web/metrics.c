/*
 * NAME
 *   metrics - the console's /metrics: what the store knows, for Prometheus
 * DESCRIPTION
 *   Store-level numbers every node shares (the milter's own latency,
 *   worker and store-error counters are on its own listener, [milter]
 *   metrics): messages by verdict in the last hour and day (the message
 *   table's seen index), campaigns by status, quarantine entries, and the
 *   console's own requests, logins and CSRF refusals. Gauges, not
 *   counters, for the store's windows: they are read from the store at
 *   each scrape. Protected by [console] metrics_token_file (Bearer).
 */
#include <string.h>

#include "core/version.h"
#include "web/internal.h"
#include "web/web.h"

typedef struct counts {
	long v[4];
} counts;

static int series(void *ctx, time_t bucket, const char *verdict, long n)
{
	(void)bucket;
	counts *c = ctx;
	int k = !strcmp(verdict, "accept")       ? 0
	        : !strcmp(verdict, "neutralise") ? 1
	        : !strcmp(verdict, "quarantine") ? 2
	                                         : 3;
	c->v[k] += n;
	return 0;
}

typedef struct camps {
	long status[3];
	long malicious_copies;
} camps;

static int camp(void *ctx, const pc_campaign_rec *r)
{
	camps *c = ctx;
	if ((unsigned)r->status < 3)
		c->status[r->status]++;
	if (r->status == PC_CAMPAIGN_MALICIOUS)
		c->malicious_copies += r->size;
	return 0;
}

static int none(void *ctx, const pc_qindex *q)
{
	(void)ctx, (void)q;
	return 0;
}

static void head(GString *o, const char *name, const char *type, const char *help)
{
	g_string_append_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void pc_web_metrics(pc_web *w, pc_store *st, GString *o)
{
	static const char *const verdicts[] = {"accept", "neutralise", "quarantine", "reject"};
	time_t now = time(NULL);
	bool err = false;
	head(o, "portcullis_build_info", "gauge", "Portcullis version");
	g_string_append(o, "portcullis_build_info{version=\"" PC_VERSION "\"} 1\n");
	static const struct {
		const char *window;
		long secs;
	} win[] = {{"1h", 3600}, {"24h", 86400}};
	head(o, "portcullis_store_messages", "gauge", "Messages scanned with the store in the window, by verdict");
	for (size_t k = 0; k < 2; k++) {
		counts c = {{0}};
		if (pc_store_verdict_series(st, now - win[k].secs, win[k].secs, series, &c) != 0)
			err = true;
		for (int v = 0; v < 4; v++)
			g_string_append_printf(o, "portcullis_store_messages{window=\"%s\",verdict=\"%s\"} %ld\n",
			                       win[k].window, verdicts[v], c.v[v]);
	}
	camps c = {{0}, 0};
	if (pc_store_campaign_list(st, 1, camp, &c) != 0)
		err = true;
	head(o, "portcullis_campaigns", "gauge", "Campaigns by status");
	static const char *const status[] = {"open", "malicious", "benign"};
	for (int s = 0; s < 3; s++)
		g_string_append_printf(o, "portcullis_campaigns{status=\"%s\"} %ld\n", status[s], c.status[s]);
	head(o, "portcullis_campaign_malicious_copies", "gauge", "Copies in campaigns marked malicious");
	g_string_append_printf(o, "portcullis_campaign_malicious_copies %ld\n", c.malicious_copies);
	if (w->cfg.quarantine_dir[0]) {
		long n = 0;
		pc_query q = {.limit = 1};
		if (pc_qindex_sync(w, st, false) != 0 ||
		    pc_store_qindex_search(st, w->cfg.quarantine_dir, &q, none, NULL, &n) != 0)
			err = true;
		head(o, "portcullis_quarantine_messages", "gauge", "Messages in the quarantine (counted up to 10000)");
		g_string_append_printf(o, "portcullis_quarantine_messages %ld\n", n);
	}
	pthread_mutex_lock(&w->lock);
	unsigned long req = w->requests, ok = w->logins_ok, bad = w->logins_failed, csrf = w->csrf_refused;
	pthread_mutex_unlock(&w->lock);
	head(o, "portcullis_console_requests_total", "counter", "HTTP requests the console answered");
	g_string_append_printf(o, "portcullis_console_requests_total %lu\n", req);
	head(o, "portcullis_console_logins_total", "counter", "Console logins by outcome");
	g_string_append_printf(o, "portcullis_console_logins_total{outcome=\"ok\"} %lu\n", ok);
	g_string_append_printf(o, "portcullis_console_logins_total{outcome=\"failed\"} %lu\n", bad);
	head(o, "portcullis_console_csrf_refused_total", "counter",
	     "State changes refused for a missing or wrong CSRF token");
	g_string_append_printf(o, "portcullis_console_csrf_refused_total %lu\n", csrf);
	head(o, "portcullis_store_up", "gauge", "1 when every store read of this scrape succeeded");
	g_string_append_printf(o, "portcullis_store_up %d\n", err ? 0 : 1);
}
