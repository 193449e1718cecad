/*
 * NAME
 *   metrics - the console's /metrics: what the store knows, for Prometheus
 * DESCRIPTION
 *   Store-level numbers every node shares; the milter's own latency,
 *   worker, quarantine and store-error counters are on its own listener
 *   ([milter] metrics, milter/exporter.c). Here: messages by verdict in
 *   the last hour and day (the message table's seen index), campaigns by
 *   status and the copies in malicious ones, quarantine entries, and the
 *   console's own requests, logins and CSRF refusals. The store's numbers
 *   are gauges read at each scrape; written with app/metrics.h like the
 *   milter's. Protected by [console] metrics_token_file (Bearer).
 */
#include <stdlib.h>
#include <string.h>

#include "app/metrics.h"
#include "core/version.h"
#include "web/internal.h"
#include "web/web.h"

static const char *const verdicts[] = {"accept", "neutralise", "quarantine", "reject"};
static const char *const statuses[] = {"open", "malicious", "benign"};
static const char *const outcomes[] = {"ok", "failed"};
static const char *const versions[] = {PC_VERSION};

static int series(void *ctx, time_t bucket, const char *verdict, long n)
{
	(void)bucket;
	pc_metric *m = ctx;
	size_t s = pc_metric_series(m, verdict);
	if (s < m->nvalues)
		pc_metric_add(m, s, (double)n);
	return 0;
}

typedef struct camps {
	pc_metric *status, *copies;
} camps;

static int camp(void *ctx, const pc_campaign_rec *r)
{
	camps *c = ctx;
	if ((unsigned)r->status < 3)
		pc_metric_add(c->status, (size_t)r->status, 1);
	if (r->status == PC_CAMPAIGN_MALICIOUS)
		pc_metric_add(c->copies, 0, (double)r->size);
	return 0;
}

static int none(void *ctx, const pc_qindex *q)
{
	(void)ctx, (void)q;
	return 0;
}

void pc_web_metrics(pc_web *w, pc_store *st, GString *o)
{
	pc_metric info = {.name = "portcullis_build_info",
	                  .help = "Portcullis version.",
	                  .type = PC_GAUGE,
	                  .label = "version",
	                  .values = versions,
	                  .nvalues = 1};
	pc_metric hour = {.name = "portcullis_store_messages_1h",
	                  .help = "Messages scanned with the store in the last hour, by verdict.",
	                  .type = PC_GAUGE,
	                  .label = "verdict",
	                  .values = verdicts,
	                  .nvalues = 4};
	pc_metric day = {.name = "portcullis_store_messages_24h",
	                 .help = "Messages scanned with the store in the last 24 hours, by verdict.",
	                 .type = PC_GAUGE,
	                 .label = "verdict",
	                 .values = verdicts,
	                 .nvalues = 4};
	pc_metric status = {.name = "portcullis_campaigns",
	                    .help = "Campaigns by status.",
	                    .type = PC_GAUGE,
	                    .label = "status",
	                    .values = statuses,
	                    .nvalues = 3};
	pc_metric copies = {.name = "portcullis_campaign_malicious_copies",
	                    .help = "Copies in campaigns marked malicious.",
	                    .type = PC_GAUGE};
	pc_metric quar = {.name = "portcullis_quarantine_messages",
	                  .help = "Messages in the quarantine (counted up to 10000).",
	                  .type = PC_GAUGE};
	pc_metric req = {.name = "portcullis_console_requests_total",
	                 .help = "HTTP requests the console answered.",
	                 .type = PC_COUNTER};
	pc_metric logins = {.name = "portcullis_console_logins_total",
	                    .help = "Console logins by outcome.",
	                    .type = PC_COUNTER,
	                    .label = "outcome",
	                    .values = outcomes,
	                    .nvalues = 2};
	pc_metric csrf = {.name = "portcullis_console_csrf_refused_total",
	                  .help = "State changes refused for a missing or wrong CSRF token.",
	                  .type = PC_COUNTER};
	pc_metric up = {.name = "portcullis_store_up",
	                .help = "1 when every store read of this scrape succeeded.",
	                .type = PC_GAUGE};
	time_t now = time(NULL);
	bool err = false;
	pc_metric_set(&info, 0, 1);
	if (pc_store_verdict_series(st, now - 3600, 3600, series, &hour) != 0 ||
	    pc_store_verdict_series(st, now - 86400, 86400, series, &day) != 0)
		err = true;
	camps c = {&status, &copies};
	if (pc_store_campaign_list(st, 1, camp, &c) != 0)
		err = true;
	if (w->cfg.quarantine_dir[0]) {
		long n = 0;
		pc_query q = {.limit = 1};
		if (pc_qindex_sync(w, st, false) != 0 ||
		    pc_store_qindex_search(st, w->cfg.quarantine_dir, &q, none, NULL, &n) != 0)
			err = true;
		pc_metric_set(&quar, 0, (double)n);
	}
	pthread_mutex_lock(&w->lock);
	pc_metric_inc(&req, 0, w->requests);
	pc_metric_inc(&logins, 0, w->logins_ok);
	pc_metric_inc(&logins, 1, w->logins_failed);
	pc_metric_inc(&csrf, 0, w->csrf_refused);
	pthread_mutex_unlock(&w->lock);
	pc_metric_set(&up, 0, err ? 0 : 1);
	const pc_metric *all[] = {&info, &hour, &day, &status, &copies, &req, &logins, &csrf, &up, &quar};
	size_t n = w->cfg.quarantine_dir[0] ? 10 : 9;
	char *text = NULL;
	size_t len = 0;
	if (pc_metrics_text(all, n, 1 << 20, &text, &len) == 0)
		g_string_append_len(o, text, (gssize)len);
	else
		g_string_append(o, "# metrics could not be written\n");
	free(text);
}
