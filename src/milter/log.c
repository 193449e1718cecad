/*
 * NAME
 *   log - one line per message, written with one write() (internal.h)
 */
#define _GNU_SOURCE
#include "milter/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "act/purge.h"
#include "act/quarantine.h"
#include "app/jsonw.h"
#include "app/options.h"
#include "app/resources.h"
#include "core/config.h"
#include "act/headers.h"
#include "milter/pool.h"
#include "milter/sandbox.h"
#include "milter/spawn.h"
#include "milter/wire.h"
#include "milter/worker.h"

static void log_line(const char *line, bool error)
{
	settings s = pc_mi_current();
	if (s.log_syslog) {
		syslog(error ? LOG_WARNING : LOG_INFO, "%s", line);
		return;
	}
	char buf[16384];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	int n = snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ portcullis[%d]: %s\n", tm.tm_year + 1900,
	                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)getpid(), line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf) {
		n = sizeof buf - 1;
		buf[n - 1] = '\n';
	}
	ssize_t w = write(STDERR_FILENO, buf, (size_t)n);
	(void)w;
}

void pc_mi_logf(bool error, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log_line(line, error);
}

/* Text from the peer for a text log: printable ASCII, quotes and
 * backslashes replaced, bounded. */
const char *pc_mi_clean(const char *s, char *buf, size_t cap)
{
	size_t o = 0;
	for (; s && *s && o + 1 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		buf[o++] = (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '?' : (char)c;
	}
	buf[o] = '\0';
	return buf;
}

void pc_mi_log_outcome(const outcome *o)
{
	/* every answer is logged once, here: the metrics agree with the log */
	pc_mi_count_outcome(o);
	settings s = pc_mi_current();
	bool error = o->error != NULL;
	/* every field bounded before it is written, so that a line is never
	 * cut (a cut JSON line would hide the verdict from log readers) */
	char from_b[257], reasons_b[1025], detail_b[301], error_b[401];
	outcome b = *o;
	b.from = o->from ? (snprintf(from_b, sizeof from_b, "%s", o->from), from_b) : NULL;
	b.reasons = o->reasons ? (snprintf(reasons_b, sizeof reasons_b, "%s", o->reasons), reasons_b) : NULL;
	b.detail = o->detail ? (snprintf(detail_b, sizeof detail_b, "%s", o->detail), detail_b) : NULL;
	b.error = o->error ? (snprintf(error_b, sizeof error_b, "%s", o->error), error_b) : NULL;
	o = &b;
	if (s.log_json) {
		pc_jsonw w;
		pc_jsonw_init(&w);
		pc_jsonw_obj(&w);
#define KS(k, v)                                                                                                       \
	do {                                                                                                           \
		pc_jsonw_key(&w, k);                                                                                   \
		pc_jsonw_str(&w, v);                                                                                   \
	} while (0)
		KS("ref", o->ref);
		KS("queue_id", o->queue_id);
		KS("client", o->client);
		KS("from", o->from);
		pc_jsonw_key(&w, "rcpt");
		pc_jsonw_int(&w, (long long)o->nrcpt);
		pc_jsonw_key(&w, "size");
		pc_jsonw_int(&w, (long long)o->size);
		KS("verdict", o->verdict);
		KS("action", o->action);
		pc_jsonw_key(&w, "score");
		if (o->score)
			pc_jsonw_real(&w, strtod(o->score, NULL));
		else
			pc_jsonw_null(&w);
		KS("quarantine_id", o->qid);
		KS("campaign", o->campaign);
		KS("reasons", o->reasons);
		KS("detail", o->detail);
		KS("error", o->error);
		pc_jsonw_key(&w, "ms");
		pc_jsonw_real(&w, o->ms);
#undef KS
		pc_jsonw_end(&w);
		if (!w.err) {
			char *line = strndup(w.buf, w.len);
			if (line)
				log_line(line, error);
			free(line);
		}
		pc_jsonw_free(&w);
		return;
	}
	char from[300], reasons[1000], detail[300], err[600];
	pc_mi_logf(error,
	           "ref=%s queue=%s client=%s from=<%s> rcpt=%zu size=%zu verdict=%s action=%s score=%s%s%s%s%s "
	           "reasons=\"%s\"%s%s%s%s%s%s ms=%.1f",
	           o->ref, o->queue_id ? o->queue_id : "-", o->client ? o->client : "-",
	           pc_mi_clean(o->from, from, sizeof from), o->nrcpt, o->size, o->verdict ? o->verdict : "-", o->action,
	           o->score ? o->score : "-", o->qid ? " quarantine_id=" : "", o->qid ? o->qid : "",
	           o->campaign ? " campaign=" : "", o->campaign ? o->campaign : "",
	           pc_mi_clean(o->reasons ? o->reasons : "", reasons, sizeof reasons), o->detail ? " detail=\"" : "",
	           o->detail ? pc_mi_clean(o->detail, detail, sizeof detail) : "", o->detail ? "\"" : "",
	           o->error ? " error=\"" : "", o->error ? pc_mi_clean(o->error, err, sizeof err) : "",
	           o->error ? "\"" : "", o->ms);
}
