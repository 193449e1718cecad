/*
 * NAME
 *   exporter - the milter's Prometheus metrics, and /metrics on [milter] metrics (internal.h)
 * DESCRIPTION
 *   What the front end counts (app/metrics.h): every answer given to the
 *   MTA (pc_mi_log_outcome counts each one it logs, so the metrics and
 *   the log agree), its latency from the end of DATA, the worker's own
 *   time on the message (the reply's PC_W_SCANUS), the store failures
 *   the worker saw (PC_W_DBERR), the quarantine written or not, the
 *   MTA's connections; and, read when scraped, the pool's workers and
 *   replacements (milter/pool.h), the messages in flight and the bytes
 *   they hold, the supervisor's restarts of the front end.
 *
 *   The listener is libmicrohttpd in the front end (the workers hold
 *   nothing to report and are not allowed a socket of this kind): one
 *   internal thread with poll(2), 8 connections (4 per client address),
 *   10 s of inactivity, 32 kB of memory each. GET /metrics answers 200
 *   with the text; any other path 404, another method on it 405. With
 *   [milter] metrics_token_file every request must carry
 *   "Authorization: Bearer TOKEN" (401 otherwise): the SHA-256 of what
 *   it carries is compared with the token's in constant time
 *   (CRYPTO_memcmp), so neither the token's bytes nor its length show
 *   in the time an answer takes. The token is read when the front end
 *   starts (as root when started as root: the file may be root's alone);
 *   both settings take effect at a restart, not a reload.
 */
#define _GNU_SOURCE
#include "milter/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/metrics.h"
#include "core/hostport.h"
#include "core/sha256.h"
#include "core/version.h"
#include "milter/pool.h"

/* ---- the metrics ---- */

enum { A_ACCEPT, A_NEUTRALISE, A_QUARANTINE, A_REJECT, A_TEMPFAIL, A_UNSCANNED, A_N };
static const char *const answers[A_N] = {"accept", "neutralise", "quarantine", "reject", "tempfail", "unscanned"};
static pc_metric messages = {
    .name = "portcullis_milter_messages_total",
    .help = "Messages answered at the end of DATA, by what the MTA was told: accept (delivered with our header "
            "fields), neutralise (delivered rewritten), quarantine (kept in the quarantine, discarded or held), "
            "reject (550), tempfail (451), unscanned (delivered without a scan: fault_action = accept).",
    .type = PC_COUNTER,
    .label = "verdict",
    .values = answers,
    .nvalues = A_N};
static pc_metric latency = {.name = "portcullis_milter_latency_seconds",
                            .help = "Time from the end of DATA to the answer given to the MTA.",
                            .type = PC_HISTOGRAM,
                            .bounds = pc_metric_latency_bounds,
                            .nbounds = PC_METRIC_LATENCY_NBOUNDS};
static pc_metric scan = {.name = "portcullis_scan_seconds",
                         .help = "A worker's time on one message (the scan, a rewrite, the reply), as it measured it.",
                         .type = PC_HISTOGRAM,
                         .bounds = pc_metric_latency_bounds,
                         .nbounds = PC_METRIC_LATENCY_NBOUNDS};
static const char *const reasons[PC_POOL_R_N] = {"died", "timeout", "cpu", "malformed", "idle", "reload"};
static pc_metric restarts = {
    .name = "portcullis_milter_worker_restarts_total",
    .help = "Workers replaced: died (ended while it had a message), timeout (killed at [milter] timeout while "
            "waiting), cpu (killed at the timeout, busy on the CPU), malformed (killed for a malformed answer), "
            "idle (found ended between messages), reload (replaced after SIGHUP).",
    .type = PC_COUNTER,
    .label = "reason",
    .values = reasons,
    .nvalues = PC_POOL_R_N};
static pc_metric start_failed = {.name = "portcullis_milter_worker_start_failures_total",
                                 .help = "Workers that could not be started (or did not say they were ready).",
                                 .type = PC_COUNTER};
static const char *const wstates[] = {"idle", "busy"};
static pc_metric workers = {.name = "portcullis_milter_workers",
                            .help = "Worker slots: idle (a worker ready), busy (scanning, or being started).",
                            .type = PC_GAUGE,
                            .label = "state",
                            .values = wstates,
                            .nvalues = 2};
static pc_metric store_errors = {.name = "portcullis_milter_store_errors_total",
                                 .help = "Store operations that failed during scans (history.error and "
                                         "campaign.error findings).",
                                 .type = PC_COUNTER};
static pc_metric quarantined = {.name = "portcullis_milter_quarantined_total",
                                .help = "Messages written to the quarantine directory.",
                                .type = PC_COUNTER};
static pc_metric quarantine_errors = {
    .name = "portcullis_milter_quarantine_errors_total",
    .help = "Messages to be quarantined that could not be written (answered 451: the MTA tries again).",
    .type = PC_COUNTER};
static pc_metric campaigns = {.name = "portcullis_milter_campaign_messages_total",
                              .help = "Messages the scan counted as members of a campaign.",
                              .type = PC_COUNTER};
static pc_metric connections = {.name = "portcullis_milter_connections_total",
                                .help = "Connections from the MTA (one per SMTP session).",
                                .type = PC_COUNTER};
static pc_metric inflight = {.name = "portcullis_milter_messages_in_flight",
                             .help = "Messages between MAIL FROM and their answer.",
                             .type = PC_GAUGE};
static pc_metric buffered = {.name = "portcullis_milter_buffered_bytes",
                             .help = "Memory the messages in flight hold ([milter] max_buffered bounds it).",
                             .type = PC_GAUGE};
static pc_metric front_restarts = {.name = "portcullis_milter_frontend_restarts_total",
                                   .help = "Times the supervisor started the front end again after it ended.",
                                   .type = PC_COUNTER};
static const char *const versions[] = {PC_VERSION};
static pc_metric build = {.name = "portcullis_build_info",
                          .help = "The Portcullis version running (always 1).",
                          .type = PC_GAUGE,
                          .label = "version",
                          .values = versions,
                          .nvalues = 1};

static const pc_metric *const all[] = {
    &build,    &messages,     &latency,           &scan,      &connections,  &inflight,
    &buffered, &quarantined,  &quarantine_errors, &campaigns, &store_errors, &workers,
    &restarts, &start_failed, &front_restarts,
};

void pc_mi_count_connection(void)
{
	pc_metric_inc(&connections, 0, 1);
}

void pc_mi_count_outcome(const outcome *o)
{
	/* the action the log shows, as the MTA took it */
	const char *a = o->action ? o->action : "";
	int k = !strcmp(a, "deliver")            ? A_ACCEPT
	        : !strcmp(a, "rewrite")          ? A_NEUTRALISE
	        : !strcmp(a, "discard")          ? A_QUARANTINE
	        : !strcmp(a, "hold")             ? A_QUARANTINE
	        : !strcmp(a, "reject")           ? A_REJECT
	        : !strcmp(a, "accept-unscanned") ? A_UNSCANNED
	                                         : A_TEMPFAIL;
	pc_metric_inc(&messages, (size_t)k, 1);
	pc_metric_observe(&latency, o->ms / 1000.0);
	if (o->scan_s >= 0)
		pc_metric_observe(&scan, o->scan_s);
	if (o->dberr)
		pc_metric_inc(&store_errors, 0, o->dberr);
	if (o->qid)
		pc_metric_inc(&quarantined, 0, 1);
	if (o->qfailed)
		pc_metric_inc(&quarantine_errors, 0, 1);
	if (o->campaign)
		pc_metric_inc(&campaigns, 0, 1);
}

/* Values kept elsewhere, read at each scrape. */
static void sample(void)
{
	pc_metric_set(&build, 0, 1);
	if (pc_mi.pool) {
		pc_pool_stats st;
		pc_pool_stats_of(pc_mi.pool, &st);
		pc_metric_set(&workers, 0, st.idle);
		pc_metric_set(&workers, 1, st.busy);
		for (size_t i = 0; i < PC_POOL_R_N; i++)
			pc_metric_set(&restarts, i, (double)st.replaced[i]);
		pc_metric_set(&start_failed, 0, (double)st.start_failed);
	}
	int n = atomic_load(&pc_mi.inflight);
	pc_metric_set(&inflight, 0, n > 0 ? n : 0);
	pc_metric_set(&buffered, 0, (double)atomic_load(&pc_mi.buffered));
	pc_metric_set(&front_restarts, 0, pc_mi.front_restarts);
}

/* ---- the token ---- */

#define TOKEN_MIN 16
#define TOKEN_MAX 4096

/* The SHA-256 of the token in `path`: printable ASCII without spaces,
 * TOKEN_MIN to TOKEN_MAX of them; white space at the end (a final line
 * feed) is not part of it. 0, or -1 with err. */
static int token_load(const char *path, unsigned char digest[PC_SHA256_LEN], char *err, size_t errlen)
{
	char buf[TOKEN_MAX + 2];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "[milter] metrics_token_file %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat sb;
	size_t n = 0;
	ssize_t r = 0;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		snprintf(err, errlen, "[milter] metrics_token_file %s: not a regular file", path);
		return -1;
	}
	while (n < sizeof buf && ((r = read(fd, buf + n, sizeof buf - n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	int e = errno;
	close(fd);
	if (r < 0) {
		snprintf(err, errlen, "[milter] metrics_token_file %s: %s", path, strerror(e));
		return -1;
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (n < TOKEN_MIN || n > TOKEN_MAX) {
		snprintf(err, errlen, "[milter] metrics_token_file %s: the token must be %d to %d characters", path,
		         TOKEN_MIN, TOKEN_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (buf[i] < 0x21 || buf[i] > 0x7e) {
			snprintf(err, errlen,
			         "[milter] metrics_token_file %s: the token must be printable ASCII without spaces",
			         path);
			return -1;
		}
	int rc = pc_sha256(buf, n, digest);
	OPENSSL_cleanse(buf, sizeof buf);
	if (rc != 0)
		snprintf(err, errlen, "[milter] metrics_token_file %s: cannot hash it", path);
	return rc;
}

int pc_mi_exporter_check(const pc_config *cfg, char *err, size_t errlen)
{
	unsigned char d[PC_SHA256_LEN];
	if (cfg->milter_metrics[0] && pc_hostport(cfg->milter_metrics, NULL, NULL) != 0) {
		snprintf(err, errlen, "[milter] metrics: \"%s\" is not ADDR:PORT", cfg->milter_metrics);
		return -1;
	}
	if (cfg->milter_metrics_token[0] && token_load(cfg->milter_metrics_token, d, err, errlen) != 0)
		return -1;
	return 0;
}

/* ---- the listener ---- */

static struct {
	struct MHD_Daemon *d;
	bool token;
	unsigned char digest[PC_SHA256_LEN];
} X;

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	pc_mi_logf(true, "metrics: %s", line);
}

static bool authorised(struct MHD_Connection *hc)
{
	const char *h = MHD_lookup_connection_value(hc, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	size_t n = strlen(h);
	while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	unsigned char d[PC_SHA256_LEN];
	if (pc_sha256(h, n, d) != 0)
		return false;
	return CRYPTO_memcmp(d, X.digest, sizeof d) == 0;
}

static enum MHD_Result reply(struct MHD_Connection *hc, unsigned status, const char *text, size_t len, bool owned)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)text, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free((void *)text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        status == MHD_HTTP_OK ? "text/plain; version=0.0.4; charset=utf-8"
	                                              : "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"portcullis\"");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET");
	enum MHD_Result ret = MHD_queue_response(hc, status, r);
	MHD_destroy_response(r);
	return ret;
}

#define STATIC_REPLY(hc, status, s) reply(hc, status, s, sizeof s - 1, false)

static enum MHD_Result answer(void *cls, struct MHD_Connection *hc, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **req)
{
	(void)cls;
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req;
	/* a request without the token learns nothing, not even which paths exist */
	if (X.token && !authorised(hc))
		return STATIC_REPLY(hc, MHD_HTTP_UNAUTHORIZED, "401 a bearer token is required\n");
	if (strcmp(url, "/metrics") != 0)
		return STATIC_REPLY(hc, MHD_HTTP_NOT_FOUND, "404 only /metrics is here\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return STATIC_REPLY(hc, MHD_HTTP_METHOD_NOT_ALLOWED, "405 GET only\n");
	sample();
	char *text;
	size_t len;
	if (pc_metrics_text(all, sizeof all / sizeof all[0], 1u << 20, &text, &len) != 0) {
		pc_mi_logf(true, "metrics: cannot write the metrics: %s", strerror(errno));
		return STATIC_REPLY(hc, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 the metrics could not be written\n");
	}
	return reply(hc, MHD_HTTP_OK, text, len, true);
}

int pc_mi_exporter_start(const pc_config *cfg, char *err, size_t errlen)
{
	if (!cfg->milter_metrics[0])
		return 0;
	struct sockaddr_storage ss;
	socklen_t sl;
	if (pc_hostport(cfg->milter_metrics, &ss, &sl) != 0) {
		snprintf(err, errlen, "[milter] metrics: \"%s\" is not ADDR:PORT", cfg->milter_metrics);
		return -1;
	}
	X.token = cfg->milter_metrics_token[0] != '\0';
	if (X.token && token_load(cfg->milter_metrics_token, X.digest, err, errlen) != 0)
		return -1;
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* the logger first: MHD logs the options that follow with it */
	X.d = MHD_start_daemon(flags, 0, NULL, NULL, answer, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	                       MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 8u,
	                       MHD_OPTION_PER_IP_CONNECTION_LIMIT, 4u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
	                       MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_LISTEN_BACKLOG_SIZE, 16u,
	                       MHD_OPTION_END);
	if (!X.d) {
		snprintf(err, errlen, "cannot serve /metrics on %s (is the address free and this host's?)",
		         cfg->milter_metrics);
		return -1;
	}
	pc_mi_logf(false, "metrics: /metrics on http://%s%s", cfg->milter_metrics,
	           X.token ? " (bearer token required)" : "");
	return 0;
}

void pc_mi_exporter_stop(void)
{
	if (X.d)
		MHD_stop_daemon(X.d);
	X.d = NULL;
	OPENSSL_cleanse(X.digest, sizeof X.digest);
}
