/*
 * NAME
 *   health - the milter nodes' health on the overview, read from their
 *   own /metrics listeners
 * DESCRIPTION
 *   Each milter node serves its counters ([milter] metrics,
 *   milter/exporter.c). The console reads the listener its own
 *   configuration names ([milter] metrics) and those of other nodes
 *   ([console] milter_metrics, blank-separated ADDR:PORT), with the
 *   bearer token of [milter] metrics_token_file, and shows per node:
 *   answers by verdict, mean and 99th-percentile latency (the histogram's
 *   bucket that holds it), workers idle and busy, messages in flight,
 *   worker restarts, quarantine and store errors. The addresses come
 *   from the configuration only (numeric, core/hostport.h), never from
 *   mail.
 *   The request is one HTTP/1.0 GET written here: libmicrohttpd is a
 *   server, and this is a fixed request to our own exporter over a
 *   socket with a 1 s budget for connect and read each and a 1 MiB
 *   ceiling on the answer. A node that does not answer shows as down.
 *   Results are kept PC_HEALTH_TTL seconds, so the overview does not
 *   scrape on every load.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/hostport.h"
#include "web/internal.h"

#define PC_HEALTH_TTL 10
#define PC_HEALTH_MAX (1024 * 1024)
#define PC_HEALTH_NODES 16

static int wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = {fd, ev, 0};
	int rc;
	while ((rc = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	return rc > 0 ? 0 : -1;
}

/* The body of GET /metrics at addr, malloc'd; NULL with why. */
static char *scrape(const char *addr, const char *token, char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (pc_hostport(addr, &ss, &len) != 0) {
		snprintf(why, whylen, "not ADDRESS:PORT");
		return NULL;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return NULL;
	}
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	if (wait_fd(fd, POLLOUT, 1000) != 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr) {
		snprintf(why, whylen, "%s", soerr ? strerror(soerr) : "no answer in 1 s");
		close(fd);
		return NULL;
	}
	GString *req = g_string_new("GET /metrics HTTP/1.0\r\nHost: ");
	g_string_append_printf(req, "%s\r\n", addr);
	if (token && *token)
		g_string_append_printf(req, "Authorization: Bearer %s\r\n", token);
	g_string_append(req, "\r\n");
	size_t off = 0;
	while (off < req->len) {
		if (wait_fd(fd, POLLOUT, 1000) != 0)
			break;
		ssize_t n = send(fd, req->str + off, req->len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	bool sent = off == req->len;
	g_string_free(req, TRUE);
	GString *in = g_string_new("");
	char buf[16384];
	while (sent && in->len < PC_HEALTH_MAX && wait_fd(fd, POLLIN, 1000) == 0) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n <= 0)
			break;
		g_string_append_len(in, buf, n);
	}
	close(fd);
	char *body = strstr(in->str, "\r\n\r\n");
	if (!sent || strncmp(in->str, "HTTP/1.", 7) || in->len < 12 || strncmp(in->str + 9, "200", 3) || !body) {
		snprintf(why, whylen, "%s", in->len >= 12 ? "answered, but not 200" : "no answer");
		g_string_free(in, TRUE);
		return NULL;
	}
	char *r = g_strdup(body + 4);
	g_string_free(in, TRUE);
	return r;
}

/* "name{label=\"v\"} value": the value, and the label's value into lv */
static bool sample(const char *line, const char *name, char *lv, size_t lvlen, double *v)
{
	size_t n = strlen(name);
	if (strncmp(line, name, n) || (line[n] != ' ' && line[n] != '{'))
		return false;
	const char *p = line + n;
	lv[0] = '\0';
	if (*p == '{') {
		const char *q = strchr(p, '"'), *e = q ? strchr(q + 1, '"') : NULL;
		if (q && e && (size_t)(e - q - 1) < lvlen) {
			memcpy(lv, q + 1, (size_t)(e - q - 1));
			lv[e - q - 1] = '\0';
		}
		p = strchr(p, '}');
		if (!p)
			return false;
		p++;
	}
	char *end;
	*v = strtod(p, &end);
	return end != p;
}

static json_t *node(const char *addr, const char *token)
{
	char why[128];
	char *text = scrape(addr, token, why, sizeof why);
	if (!text)
		return json_pack("{s:s,s:b,s:s}", "address", addr, "up", 0, "error", why);
	json_t *verdicts = json_object(), *workers = json_object();
	double restarts = 0, store_err = 0, q_err = 0, inflight = 0, count = 0, sum = 0;
	double le[64], cum[64];
	size_t nb = 0;
	char lv[64];
	double v;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sample(line, "portcullis_milter_messages_total", lv, sizeof lv, &v))
			json_object_set_new(verdicts, lv, json_integer((json_int_t)v));
		else if (sample(line, "portcullis_milter_workers", lv, sizeof lv, &v))
			json_object_set_new(workers, lv, json_integer((json_int_t)v));
		else if (sample(line, "portcullis_milter_worker_restarts_total", lv, sizeof lv, &v))
			restarts += v;
		else if (sample(line, "portcullis_milter_store_errors_total", lv, sizeof lv, &v))
			store_err = v;
		else if (sample(line, "portcullis_milter_quarantine_errors_total", lv, sizeof lv, &v))
			q_err = v;
		else if (sample(line, "portcullis_milter_messages_in_flight", lv, sizeof lv, &v))
			inflight = v;
		else if (sample(line, "portcullis_milter_latency_seconds_count", lv, sizeof lv, &v))
			count = v;
		else if (sample(line, "portcullis_milter_latency_seconds_sum", lv, sizeof lv, &v))
			sum = v;
		else if (sample(line, "portcullis_milter_latency_seconds_bucket", lv, sizeof lv, &v) && nb < 64) {
			le[nb] = strcmp(lv, "+Inf") ? strtod(lv, NULL) : INFINITY;
			cum[nb++] = v;
		}
	}
	g_free(text);
	/* the bucket holding the 99th percentile: its upper bound */
	double p99 = -1;
	for (size_t i = 0; i < nb && count > 0; i++)
		if (cum[i] >= 0.99 * count) {
			p99 = le[i];
			break;
		}
	json_t *j = json_pack("{s:s,s:b,s:o,s:o,s:I,s:I,s:I,s:I,s:I}", "address", addr, "up", 1, "answers", verdicts,
	                      "workers", workers, "in_flight", (json_int_t)inflight, "worker_restarts",
	                      (json_int_t)restarts, "store_errors", (json_int_t)store_err, "quarantine_errors",
	                      (json_int_t)q_err, "messages", (json_int_t)count);
	json_object_set_new(j, "latency_mean_ms", count > 0 ? json_real(1000 * sum / count) : json_null());
	json_object_set_new(j, "latency_p99_le_ms", p99 >= 0 && isfinite(p99) ? json_real(1000 * p99) : json_null());
	return j;
}

static json_t *cache;
static time_t cached;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

json_t *pc_health(pc_web *w)
{
	pthread_mutex_lock(&cache_lock);
	time_t now = time(NULL);
	if (cache && now - cached < PC_HEALTH_TTL) {
		json_t *r = json_deep_copy(cache);
		pthread_mutex_unlock(&cache_lock);
		return r;
	}
	char token[4200] = "";
	if (w->cfg.milter_metrics_token[0]) {
		gchar *t = NULL;
		if (g_file_get_contents(w->cfg.milter_metrics_token, &t, NULL, NULL)) {
			g_strstrip(t);
			snprintf(token, sizeof token, "%s", t);
			g_free(t);
		}
	}
	json_t *nodes = json_array();
	GString *all = g_string_new(w->cfg.milter_metrics);
	g_string_append_printf(all, " %s", w->cfg.console_milter_metrics);
	gchar **addrs = g_strsplit_set(all->str, " \t,", -1);
	g_string_free(all, TRUE);
	for (size_t i = 0; addrs[i] && json_array_size(nodes) < PC_HEALTH_NODES; i++) {
		if (!*addrs[i] || !strcmp(addrs[i], "off"))
			continue;
		bool dup = false;
		for (size_t k = 0; k < i; k++)
			dup = dup || !strcmp(addrs[k], addrs[i]);
		if (!dup)
			json_array_append_new(nodes, node(addrs[i], token));
	}
	g_strfreev(addrs);
	json_decref(cache);
	cache = nodes;
	cached = now;
	json_t *r = json_deep_copy(cache);
	pthread_mutex_unlock(&cache_lock);
	return r;
}
