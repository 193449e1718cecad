/*
 * NAME
 *   milter - supervisor, libmilter front end and per-message log
 * DESCRIPTION
 *   See milter.h. Memory per message is bounded by [milter] max_message
 *   (a longer message is a fault, not a truncated scan) and 1,000
 *   recipients; memory per connection by that plus its strings.
 */
#define _GNU_SOURCE
#include "milter/milter.h"

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
#include "milter/headers.h"
#include "milter/pool.h"
#include "milter/sandbox.h"
#include "milter/spawn.h"
#include "milter/wire.h"
#include "milter/worker.h"

#define MAX_RCPT 1000

static const char usage[] = "usage: portcullis milter [-c FILE] [-s KEY=VALUE]... [--check]\n"
                            "\n"
                            "Run the mail filter (milter) for Postfix or Sendmail in the foreground on\n"
                            "[milter] socket. Every message is scanned by a worker process and then\n"
                            "delivered with headers added, delivered neutralised, quarantined (stored\n"
                            "in [quarantine] directory, then discarded or held) or rejected. See\n"
                            "portcullis(8) and portcullis.conf(5).\n"
                            "\n"
                            "Options:\n"
                            "  -c, --config FILE     read settings from FILE\n"
                            "  -s, --set KEY=VALUE   override one setting (repeatable)\n"
                            "      --check           check the settings, lists, store and quarantine; exit\n"
                            "  -h, --help            this text\n"
                            "\n"
                            "Signals: TERM/INT finish the messages in flight (up to [milter] drain_timeout)\n"
                            "and stop; HUP re-reads the settings and lists (the socket stays).\n"
                            "Exit status: 0 stopped cleanly, 1 a fatal error, 2 bad settings.\n";

/* What the front end itself reads from the config (the workers read all
 * of it); replaced on reload. */
typedef struct settings {
	unsigned timeout_ms;
	int fail_open;
	pc_action limit_action;
	char quarantine_dir[1024];
	int quarantine_hold;
	size_t cpu_ms;
	size_t max_message;
	size_t max_buffered;
	unsigned drain_ms;
	int log_syslog, log_json;
	char authserv_id[256];
} settings;

static struct {
	const char *config_path;
	char *sets[PC_CLI_MAX_SETS];
	size_t nsets;
	pthread_rwlock_t lock;
	settings s;
	pc_pool *pool;
	char **worker_argv;
	atomic_int inflight;
	atomic_size_t buffered; /* bytes held by all connections' messages */
	atomic_bool draining;
} F = {.lock = PTHREAD_RWLOCK_INITIALIZER};

static settings current(void)
{
	pthread_rwlock_rdlock(&F.lock);
	settings s = F.s;
	pthread_rwlock_unlock(&F.lock);
	return s;
}

static void settings_from(settings *s, const pc_config *c)
{
	s->timeout_ms = c->milter_timeout_ms;
	s->fail_open = c->milter_fail_open;
	s->limit_action = c->limit_action;
	snprintf(s->quarantine_dir, sizeof s->quarantine_dir, "%s", c->quarantine_dir);
	s->quarantine_hold = c->quarantine_hold;
	s->cpu_ms = c->limits.cpu_ms;
	s->max_message = c->milter_max_message;
	s->max_buffered = c->milter_max_buffered;
	s->drain_ms = c->milter_drain_ms;
	s->log_syslog = c->log_syslog;
	s->log_json = c->log_json;
	snprintf(s->authserv_id, sizeof s->authserv_id, "%s", c->authserv_id);
}

/* ---- logging: one line per message, written with one write() ---- */

static void log_line(const char *line, bool error)
{
	settings s = current();
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

static void logf_(bool error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(bool error, const char *fmt, ...)
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
static const char *clean(const char *s, char *buf, size_t cap)
{
	size_t o = 0;
	for (; s && *s && o + 1 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		buf[o++] = (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '?' : (char)c;
	}
	buf[o] = '\0';
	return buf;
}

typedef struct outcome {
	const char *ref, *queue_id, *client, *from;
	size_t nrcpt, size;
	const char *verdict, *action, *score, *qid, *campaign, *reasons, *detail, *error;
	double ms;
} outcome;

static void log_outcome(const outcome *o)
{
	settings s = current();
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
	logf_(error,
	      "ref=%s queue=%s client=%s from=<%s> rcpt=%zu size=%zu verdict=%s action=%s score=%s%s%s%s%s "
	      "reasons=\"%s\"%s%s%s%s%s%s ms=%.1f",
	      o->ref, o->queue_id ? o->queue_id : "-", o->client ? o->client : "-", clean(o->from, from, sizeof from),
	      o->nrcpt, o->size, o->verdict ? o->verdict : "-", o->action, o->score ? o->score : "-",
	      o->qid ? " quarantine_id=" : "", o->qid ? o->qid : "", o->campaign ? " campaign=" : "",
	      o->campaign ? o->campaign : "", clean(o->reasons ? o->reasons : "", reasons, sizeof reasons),
	      o->detail ? " detail=\"" : "", o->detail ? clean(o->detail, detail, sizeof detail) : "",
	      o->detail ? "\"" : "", o->error ? " error=\"" : "", o->error ? clean(o->error, err, sizeof err) : "",
	      o->error ? "\"" : "", o->ms);
}

/* ---- one SMTP connection ---- */

typedef struct conn {
	char client[INET6_ADDRSTRLEN];
	char *clname, *helo;
	bool leadspc;
	unsigned long nr; /* the SMFIP_NR_* steps the MTA expects no reply to */
	bool failed;      /* out of memory in a step that cannot answer: tempfail at the end */
	bool refused;     /* began while draining: tempfail at the end */
	/* the message in progress */
	bool in_msg;
	char *from;
	char *rcpt[MAX_RCPT];
	size_t nrcpt, rcpt_dropped;
	char *buf;
	size_t n, cap, total;
	bool overflow;
	const char *overflow_why;
	long long t0;
	/* forged fields as they arrived (name, index among fields of that
	 * name), for the fail-open path: known even when the buffer is gone */
	struct forged {
		char *name;
		unsigned idx;
	} forged[64];
	size_t nforged;
	bool forged_overflow;
	unsigned ar_seen; /* Authentication-Results fields so far */
} conn;

static void msg_end(conn *c)
{
	if (c->in_msg)
		atomic_fetch_sub(&F.inflight, 1);
	c->in_msg = false;
	free(c->from);
	c->from = NULL;
	for (size_t i = 0; i < c->nrcpt; i++)
		free(c->rcpt[i]);
	c->nrcpt = c->rcpt_dropped = 0;
	free(c->buf);
	atomic_fetch_sub(&F.buffered, c->cap);
	c->buf = NULL;
	c->n = c->cap = c->total = 0;
	c->overflow = false;
	c->overflow_why = NULL;
	for (size_t i = 0; i < c->nforged; i++)
		free(c->forged[i].name);
	c->nforged = 0;
	c->forged_overflow = false;
	c->ar_seen = 0;
}

/* Every step but the end of data goes without a reply when the MTA
 * allows it: one round trip per message instead of one per command. */
#define NR_STEPS                                                                                                       \
	(SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)

static sfsistat cont(const conn *c, unsigned long step)
{
	return c->nr & step ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static conn *get_conn(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);
	if (!c && (c = calloc(1, sizeof *c)))
		smfi_setpriv(ctx, c);
	return c;
}

static void overflow(conn *c, const char *why)
{
	c->overflow = true;
	c->overflow_why = why;
	free(c->buf);
	atomic_fetch_sub(&F.buffered, c->cap);
	c->buf = NULL;
	c->n = c->cap = 0;
}

/* Appends to the message within max_message, and all messages in
 * flight within max_buffered: past either the message is only counted
 * (a fault at the end of data). */
static void append(conn *c, const char *p, size_t n, size_t max)
{
	c->total += n;
	if (c->overflow)
		return;
	if (n > max - c->n || c->total > max) {
		overflow(c, "message over milter.max_message");
		return;
	}
	if (c->n + n > c->cap) {
		size_t cap = c->cap ? c->cap : 16384;
		while (cap < c->n + n)
			cap = cap > max / 2 ? max : cap * 2;
		size_t more = cap - c->cap;
		if (atomic_fetch_add(&F.buffered, more) + more > current().max_buffered) {
			atomic_fetch_sub(&F.buffered, more);
			overflow(c, "messages in flight over milter.max_buffered");
			return;
		}
		char *b = realloc(c->buf, cap);
		if (!b) {
			atomic_fetch_sub(&F.buffered, more);
			overflow(c, "out of memory buffering the message");
			return;
		}
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->n, p, n);
	c->n += n;
}

/* An envelope address longer than this is cut (RFC 5321 paths are at most
 * 256 octets): a request to a worker holds 1,000 of them beside the
 * message, within the worker's bound (worker.c). */
#define ADDR_MAX 1024

static char *cap_addr(char *a)
{
	if (a && strlen(a) > ADDR_MAX)
		a[ADDR_MAX] = '\0';
	return a;
}

/* "<a@b>" -> "a@b" (malloc'd): the '>' that ends it is the first one
 * outside a quoted local part ("a>b"@x is one address). */
static char *addr_of_raw(const char *s);
static char *addr_of(const char *s)
{
	return cap_addr(addr_of_raw(s));
}

static char *addr_of_raw(const char *s)
{
	if (!s)
		return strdup("");
	while (*s == ' ')
		s++;
	if (*s == '<') {
		bool q = false;
		for (const char *p = s + 1; *p; p++) {
			if (q && *p == '\\' && p[1])
				p++;
			else if (*p == '"')
				q = !q;
			else if (!q && *p == '>')
				return strndup(s + 1, (size_t)(p - s - 1));
		}
	}
	const char *sp = strchr(s, ' '); /* ESMTP parameters after the address */
	return strndup(s, sp ? (size_t)(sp - s) : strlen(s));
}

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2, unsigned long f3,
                             unsigned long *pf0, unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	conn *c = get_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_QUARANTINE);
	/* the exact header bytes (DKIM verification needs them), and no
	 * round trip per header line or body chunk */
	/* No reply to any step but the end of data: one round trip per
	 * message. (Over TCP, Postfix's writes without a reply between them
	 * wait for our delayed ACK, about 40 ms per message whatever we
	 * negotiate — measured; a unix socket has no such delay: README.) */
	unsigned long nr = NR_STEPS;
	*pf1 = f1 & (SMFIP_HDR_LEADSPC | nr | SMFIP_NOUNKNOWN | SMFIP_NODATA);
	*pf2 = *pf3 = 0;
	c->leadspc = (f1 & SMFIP_HDR_LEADSPC) != 0;
	c->nr = f1 & nr;
	return SMFIS_CONTINUE;
}

static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	conn *c = get_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	free(c->clname);
	c->clname = host ? strdup(host) : NULL;
	c->client[0] = '\0';
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)sa)->sin_addr, c->client, sizeof c->client);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)sa)->sin6_addr, c->client, sizeof c->client);
	return cont(c, SMFIP_NR_CONN);
}

static sfsistat cb_helo(SMFICTX *ctx, char *helo)
{
	conn *c = get_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	free(c->helo);
	c->helo = helo ? strndup(helo, 255) : NULL;
	return cont(c, SMFIP_NR_HELO);
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	conn *c = get_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	msg_end(c);
	c->failed = false;
	/* while draining a new message is refused at its end (the step may
	 * not answer): it never counts as in flight */
	c->refused = atomic_load(&F.draining);
	if (!c->refused) {
		c->in_msg = true;
		atomic_fetch_add(&F.inflight, 1);
	}
	c->from = addr_of(argv ? argv[0] : NULL);
	c->failed = !c->from;
	return cont(c, SMFIP_NR_MAIL);
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
	conn *c = get_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	if (c->nrcpt == MAX_RCPT)
		c->rcpt_dropped++;
	else if ((c->rcpt[c->nrcpt] = addr_of(argv ? argv[0] : NULL)))
		c->nrcpt++;
	else
		c->failed = true;
	return cont(c, SMFIP_NR_RCPT);
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	conn *c = get_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	settings st = current();
	size_t max = st.max_message;
	size_t nl0 = strlen(name);
	bool ar = !strcasecmp(name, "Authentication-Results");
	c->ar_seen += ar;
	if (pc_hdr_forged(name, nl0, value ? value : "", value ? strlen(value) : 0, st.authserv_id)) {
		unsigned idx = 1;
		if (ar)
			idx = c->ar_seen;
		else /* every X-Portcullis-* field is forged: count the earlier ones */
			for (size_t i = 0; i < c->nforged; i++)
				idx += !strcasecmp(c->forged[i].name, name);
		if (c->nforged == sizeof c->forged / sizeof c->forged[0] ||
		    !(c->forged[c->nforged].name = strdup(name)))
			c->forged_overflow = true;
		else
			c->forged[c->nforged++].idx = idx;
	}
	append(c, name, nl0, max);
	append(c, ":", 1, max);
	if (!c->leadspc)
		append(c, " ", 1, max);
	/* the MTA folds with a bare LF: the message we scan uses CRLF */
	for (const char *p = value; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l && p[l - 1] == '\r')
			l--;
		append(c, p, l, max);
		if (!nl)
			break;
		append(c, "\r\n", 2, max);
		p = nl + 1;
	}
	append(c, "\r\n", 2, max);
	return cont(c, SMFIP_NR_HDR);
}

static sfsistat cb_eoh(SMFICTX *ctx)
{
	conn *c = get_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	append(c, "\r\n", 2, current().max_message);
	return cont(c, SMFIP_NR_EOH);
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	conn *c = get_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	append(c, (const char *)chunk, len, current().max_message);
	return cont(c, SMFIP_NR_BODY);
}

static void make_ref(char *ref, size_t len)
{
	unsigned char r[5] = {0};
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		memset(r, 0, sizeof r);
	snprintf(ref, len, "%08llX%02X%02X%02X%02X%02X", (unsigned long long)time(NULL) & 0xffffffffULL, r[0], r[1],
	         r[2], r[3], r[4]);
}

static double since_ms(const conn *c)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long long now = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	return (double)(now - c->t0) / 1000.0;
}

/* Removes the fields a sender forged (X-Portcullis-*, our own
 * Authentication-Results), for the fail-open path: latest first, so
 * that earlier indexes stay valid. -1 when there were too many to list. */
static int delete_forged(SMFICTX *ctx, const conn *c)
{
	if (c->forged_overflow)
		return -1;
	for (size_t i = c->nforged; i-- > 0;)
		if (smfi_chgheader(ctx, c->forged[i].name, (int)c->forged[i].idx, NULL) != MI_SUCCESS)
			return -1;
	return 0;
}

/* 451 with the reference (the MTA keeps the message and its sender
 * retries; edits already sent are dropped with it), logged. */
static sfsistat tempfail(SMFICTX *ctx, conn *c, outcome *o)
{
	char text[128];
	snprintf(text, sizeof text, "Message could not be checked, try again later (ref %s)", o->ref);
	smfi_setreply(ctx, "451", "4.7.1", text);
	o->action = "tempfail";
	o->ms = since_ms(c);
	log_outcome(o);
	return SMFIS_TEMPFAIL;
}

/* The fault action: tempfail (451) or, fail-open, deliver with a header. */
static sfsistat fault(SMFICTX *ctx, conn *c, outcome *o, const char *why)
{
	settings s = current();
	o->error = why;
	o->verdict = NULL;
	if (s.fail_open) {
		char v[600];
		snprintf(v, sizeof v, " not scanned (%s); ref=%s", why, o->ref);
		for (char *p = v; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				*p = '?';
		if (delete_forged(ctx, c) != 0 || smfi_insheader(ctx, 0, "X-Portcullis-Fault", v) != MI_SUCCESS)
			return tempfail(ctx, c, o);
		o->action = "accept-unscanned";
		o->ms = since_ms(c);
		log_outcome(o);
		return SMFIS_ACCEPT;
	}
	return tempfail(ctx, c, o);
}

/* The name a worker's end gets as the limit it ran into: the message is
 * held responsible for what happened while a worker had it. */
static const char *death_limit(pc_pool_status st, int sig)
{
	if (st == PC_POOL_SLOW)
		return "cpu"; /* killed at milter.timeout, busy on the CPU most of it */
	if (st == PC_POOL_MALFORMED)
		return "malformed";
	switch (sig) {
	case 0:
		return "exit";
	case SIGXCPU:
		return "cpu";
	case SIGSYS:
		return "sandbox"; /* a system call outside the worker's seccomp list */
	case SIGKILL:
		return "killed"; /* the kernel's OOM killer, RLIMIT_CPU's hard limit, or a person */
	case SIGABRT:
	case SIGTRAP:
		return "abort"; /* out of memory (limits.memory) or a failed assertion */
	default:
		return "crash";
	}
}

/* The quarantine metadata of a message that got no complete scan: the
 * envelope and a parse.limit finding that says which limit and why.
 * malloc'd, NULL when out of memory. */
static char *limit_meta(const conn *c, const outcome *o, const char *limit, const char *why, bool held)
{
	unsigned char sha[32];
	char hex[65] = "";
	if (c->buf && pc_sha256(c->buf, c->n, sha) == 0)
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", sha[i]);
	char t[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
	pc_jsonw j;
	pc_jsonw_init(&j);
	pc_jsonw_obj(&j);
#define KS(k, v)                                                                                                       \
	do {                                                                                                           \
		pc_jsonw_key(&j, k);                                                                                   \
		pc_jsonw_str(&j, v);                                                                                   \
	} while (0)
	KS("reason", "milter");
	KS("ref", o->ref);
	KS("time", t);
	KS("queue_id", o->queue_id);
	pc_jsonw_key(&j, "held");
	pc_jsonw_bool(&j, held);
	KS("client_ip", o->client);
	KS("client_name", c->clname);
	KS("helo", c->helo);
	KS("mail_from", c->from ? c->from : "");
	pc_jsonw_key(&j, "rcpt");
	pc_jsonw_arr(&j);
	for (size_t i = 0; i < c->nrcpt; i++)
		pc_jsonw_str(&j, c->rcpt[i]);
	pc_jsonw_end(&j);
	pc_jsonw_key(&j, "rcpt_dropped");
	pc_jsonw_int(&j, (long long)c->rcpt_dropped);
	KS("verdict", "quarantine");
	pc_jsonw_key(&j, "score");
	pc_jsonw_real(&j, 0.0);
	pc_jsonw_key(&j, "reasons");
	pc_jsonw_arr(&j);
	pc_jsonw_str(&j, "parse.limit");
	pc_jsonw_end(&j);
	pc_jsonw_key(&j, "campaign");
	pc_jsonw_null(&j);
	KS("sha256", hex[0] ? hex : NULL);
	/* the scan it did not finish: one finding, as a scan would write it */
	pc_jsonw_key(&j, "scan");
	pc_jsonw_obj(&j);
	KS("verdict", "quarantine");
	KS("rule", "limit");
	pc_jsonw_key(&j, "findings");
	pc_jsonw_arr(&j);
	pc_jsonw_obj(&j);
	KS("detector", "parse.limit");
	pc_jsonw_key(&j, "score");
	pc_jsonw_real(&j, 0.0);
	KS("summary", "the message could not be scanned within the limits");
	pc_jsonw_key(&j, "evidence");
	pc_jsonw_obj(&j);
	KS("limit", limit);
	KS("why", why);
	pc_jsonw_end(&j);
	pc_jsonw_end(&j);
	pc_jsonw_end(&j);
	pc_jsonw_end(&j);
	pc_jsonw_end(&j);
#undef KS
	char *out = j.err ? NULL : strndup(j.buf, j.len);
	pc_jsonw_free(&j);
	return out;
}

/* Stores the message as it came with its metadata, durably, before the
 * MTA is answered. 0 and the id in qid, or -1 (o->error says why). */
static int store_quarantine(const conn *c, outcome *o, const char *meta, char *qid, size_t qidlen, char *err,
                            size_t errlen)
{
	settings s = current();
	char e[512];
	if (pc_quarantine_put(s.quarantine_dir, c->buf ? c->buf : "", c->n, meta, qid, qidlen, e, sizeof e) != 0) {
		snprintf(err, errlen, "quarantine: %s", e);
		o->error = err;
		return -1;
	}
	o->qid = qid;
	return 0;
}

/* A message that could not be scanned within the limits (a worker died,
 * hung or ran out of a budget while it had it, or it is longer than
 * milter.max_message): the sender's doing, so policy.limit_action, never
 * the fault action, and never delivery without a scan unless limit_action
 * says accept. neutralise needs a scan: it becomes quarantine. Without
 * the bytes (over max_message) quarantine is the MTA's hold queue. */
static sfsistat limited(SMFICTX *ctx, conn *c, outcome *o, const char *limit, const char *why, bool have_bytes)
{
	settings s = current();
	char detail[400], qid[PC_QID_MAX], err[600];
	snprintf(detail, sizeof detail, "%s: %s", limit, why);
	pc_action a = s.limit_action == PC_ACTION_NEUTRALISE ? PC_ACTION_QUARANTINE : s.limit_action;
	o->verdict = pc_action_name(a);
	o->reasons = "parse.limit";
	o->detail = detail;
	o->error = NULL;
	sfsistat ret;
	if (a == PC_ACTION_REJECT) {
		char text[160];
		snprintf(text, sizeof text, "Message refused: it could not be checked within the limits (ref %s)",
		         o->ref);
		smfi_setreply(ctx, "550", "5.7.1", text);
		o->action = "reject";
		ret = SMFIS_REJECT;
	} else if (a == PC_ACTION_ACCEPT) {
		char v[500];
		snprintf(v, sizeof v, " %s", detail);
		for (char *p = v; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				*p = '?';
		char ref[64];
		snprintf(ref, sizeof ref, " %s", o->ref);
		if (delete_forged(ctx, c) != 0 ||
		    smfi_insheader(ctx, 0, "X-Portcullis-Verdict", " accept") != MI_SUCCESS ||
		    smfi_insheader(ctx, 1, "X-Portcullis-Reasons", " parse.limit") != MI_SUCCESS ||
		    smfi_insheader(ctx, 2, "X-Portcullis-Limit", v) != MI_SUCCESS ||
		    smfi_insheader(ctx, 3, "X-Portcullis-Ref", ref) != MI_SUCCESS) {
			o->error = "the MTA refused an edit";
			return tempfail(ctx, c, o);
		}
		o->action = "deliver";
		ret = SMFIS_ACCEPT;
	} else {
		bool hold = s.quarantine_hold || !have_bytes;
		if (have_bytes) {
			char *meta = limit_meta(c, o, limit, why, hold);
			int rc = meta ? store_quarantine(c, o, meta, qid, sizeof qid, err, sizeof err) : -1;
			free(meta);
			if (rc != 0) {
				if (!o->error)
					o->error = "out of memory writing the quarantine metadata";
				return tempfail(ctx, c, o);
			}
		}
		if (hold) {
			char reason[200];
			snprintf(reason, sizeof reason, "Portcullis quarantine %s (ref %s): %s", o->qid ? o->qid : "-",
			         o->ref, limit);
			if (smfi_quarantine(ctx, reason) == MI_SUCCESS) {
				o->action = "hold";
				ret = SMFIS_ACCEPT;
			} else if (have_bytes) {
				o->action = "discard"; /* our copy is safe: refuse delivery rather than deliver it */
				ret = SMFIS_DISCARD;
			} else {
				o->error = "the MTA cannot hold the message";
				return tempfail(ctx, c, o);
			}
		} else {
			o->action = "discard";
			ret = SMFIS_DISCARD;
		}
	}
	o->ms = since_ms(c);
	log_outcome(o);
	o->detail = NULL; /* points into this frame */
	o->qid = NULL;
	return ret;
}

typedef struct reply {
	const char *action, *verdict, *score, *reasons, *campaign, *error, *detail, *limit, *meta;
	const char *body;
	size_t bodyn;
} reply;

static char *recstr(const pc_wire_rec *r, char **pool, size_t *np)
{
	char *s = strndup(r->data, r->len);
	if (s)
		pool[(*np)++] = s;
	return s;
}

/* Applies the worker's edits: first every change and deletion (their
 * indexes refer to the fields as the message came; Postfix counts fields
 * a milter inserted, so an insert first would shift them onto ours), then
 * the added fields on top in their order, then the body. */
static int apply_edits(SMFICTX *ctx, const pc_wbuf *rep, const reply *r)
{
	enum { BUF = 70000 }; /* a header field of the MTA's (Postfix cuts lines at 100 kB... and so do we) */
	char *buf = malloc(BUF);
	const char *part[3];
	int top = 0, rc = -1;
	if (!buf)
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		size_t off = 0;
		pc_wire_rec rec;
		while (pc_wire_next(rep, &off, &rec) == 1) {
			if (pass == 0 && (rec.type == PC_W_HDEL || rec.type == PC_W_HCHG)) {
				int want = rec.type == PC_W_HDEL ? 2 : 3;
				if (pc_wire_split(&rec, buf, BUF, part, want) != want)
					goto out;
				long idx = strtol(part[1], NULL, 10);
				if (idx < 1 || idx > 100000)
					goto out;
				if (smfi_chgheader(ctx, (char *)part[0], (int)idx,
				                   rec.type == PC_W_HDEL ? NULL : (char *)part[2]) != MI_SUCCESS)
					goto out;
			} else if (pass == 1 && rec.type == PC_W_HADD) {
				if (pc_wire_split(&rec, buf, BUF, part, 2) != 2)
					goto out;
				if (smfi_insheader(ctx, top++, (char *)part[0], (char *)part[1]) != MI_SUCCESS)
					goto out;
			}
		}
	}
	if (r->body) {
		/* libmilter sends at most 64 kB per packet */
		for (size_t o = 0; o < r->bodyn || (o == 0 && r->bodyn == 0);) {
			size_t l = r->bodyn - o > 65535 ? 65535 : r->bodyn - o;
			if (smfi_replacebody(ctx, (unsigned char *)(r->body + o), (int)l) != MI_SUCCESS)
				goto out;
			o += l;
			if (l == 0)
				break;
		}
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
	conn *c = get_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	settings s = current();
	/* what the log's ms counts: the time we add at the end of DATA */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->t0 = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	char ref[32];
	make_ref(ref, sizeof ref);
	const char *qi = smfi_getsymval(ctx, "i");
	char queue_id[64] = "";
	if (qi)
		clean(qi, queue_id, sizeof queue_id);
	outcome o = {.ref = ref,
	             .queue_id = queue_id[0] ? queue_id : NULL,
	             .client = c->client[0] ? c->client : NULL,
	             .from = c->from,
	             .nrcpt = c->nrcpt + c->rcpt_dropped,
	             .size = c->total};
	sfsistat ret;
	if (c->refused) {
		smfi_setreply(ctx, "451", "4.3.2", "Filter shutting down, try again later");
		o.action = "tempfail";
		o.error = "began while shutting down";
		o.ms = since_ms(c);
		log_outcome(&o);
		ret = SMFIS_TEMPFAIL;
		goto done;
	}
	if (c->failed) {
		ret = fault(ctx, c, &o, "out of memory reading the envelope");
		goto done;
	}
	if (c->overflow) {
		char why[160];
		bool too_long = strstr(c->overflow_why, "max_message") != NULL;
		snprintf(why, sizeof why, "%s (%zu bytes)", c->overflow_why, too_long ? s.max_message : s.max_buffered);
		if (too_long) /* the sender's doing: limit_action (held by the MTA: we have not kept it) */
			ret = limited(ctx, c, &o, "message_size", why, false);
		else { /* all messages in flight together: load, the MTA tries again */
			o.error = why;
			ret = tempfail(ctx, c, &o);
		}
		goto done;
	}
	pc_wbuf req = {0}, rep = {0};
	pc_wire_puts(&req, PC_W_REF, ref);
	pc_wire_puts(&req, PC_W_QUEUEID, o.queue_id);
	pc_wire_puts(&req, PC_W_CLIENT, o.client);
	pc_wire_puts(&req, PC_W_CLNAME, c->clname);
	pc_wire_puts(&req, PC_W_HELO, c->helo);
	pc_wire_puts(&req, PC_W_FROM, c->from ? c->from : "");
	for (size_t i = 0; i < c->nrcpt; i++)
		pc_wire_puts(&req, PC_W_RCPT, c->rcpt[i]);
	if (c->rcpt_dropped) {
		char nd[24];
		snprintf(nd, sizeof nd, "%zu", c->rcpt_dropped);
		pc_wire_puts(&req, PC_W_DROPPED, nd);
	}
	pc_wire_put(&req, PC_W_MSG, c->buf ? c->buf : "", c->n);
	char why[512];
	/* a reply holds at most the rewritten message and its edits */
	size_t max_reply = 2 * s.max_message + (16u << 20);
	int sig = 0;
	pc_pool_status ps = pc_pool_run(F.pool, &req, &rep, s.timeout_ms, max_reply, &sig, why, sizeof why);
	if (ps != PC_POOL_OK) {
		pc_wbuf_free(&req);
		pc_wbuf_free(&rep);
		if (ps == PC_POOL_BUSY || ps == PC_POOL_TIMEOUT) {
			/* every worker busy, or this one waiting (on DNS, which a
			 * sender's slow name servers can make, or on the store) until
			 * the timeout: the MTA tries again; never delivery unscanned */
			o.error = why;
			ret = tempfail(ctx, c, &o);
		} else if (ps == PC_POOL_NOSTART) /* the daemon's own trouble */
			ret = fault(ctx, c, &o, why);
		else /* the worker had the message and did not come back with it */
			ret = limited(ctx, c, &o, death_limit(ps, sig), why, true);
		goto done;
	}
	pc_wbuf_free(&req);
	reply r = {0};
	char *strs[16];
	size_t ns = 0;
	size_t off = 0;
	pc_wire_rec rec;
	while (pc_wire_next(&rep, &off, &rec) == 1 && ns < 14) {
		switch (rec.type) {
		case PC_W_ACTION:
			r.action = recstr(&rec, strs, &ns);
			break;
		case PC_W_VERDICT:
			r.verdict = recstr(&rec, strs, &ns);
			break;
		case PC_W_SCORE:
			r.score = recstr(&rec, strs, &ns);
			break;
		case PC_W_REASONS:
			r.reasons = recstr(&rec, strs, &ns);
			break;
		case PC_W_CAMPAIGN:
			r.campaign = recstr(&rec, strs, &ns);
			break;
		case PC_W_ERROR:
			r.error = recstr(&rec, strs, &ns);
			break;
		case PC_W_DETAIL:
			r.detail = recstr(&rec, strs, &ns);
			break;
		case PC_W_LIMIT:
			r.limit = recstr(&rec, strs, &ns);
			break;
		case PC_W_META:
			r.meta = recstr(&rec, strs, &ns);
			break;
		case PC_W_BODY:
			r.body = rec.data;
			r.bodyn = rec.len;
			break;
		default:
			break;
		}
	}
	o.verdict = r.verdict;
	o.score = r.score;
	o.reasons = r.reasons;
	o.campaign = r.campaign;
	o.detail = r.detail;
	const char *a = r.action ? r.action : "";
	char qid[PC_QID_MAX], qerr[600];
	bool quarantined = !strcmp(a, "quarantine") || !strcmp(a, "hold");
	if (quarantined && (!r.meta || store_quarantine(c, &o, r.meta, qid, sizeof qid, qerr, sizeof qerr) != 0)) {
		if (!o.error)
			o.error = "the worker sent no quarantine metadata";
		ret = tempfail(ctx, c, &o); /* not stored: the MTA keeps it and tries again */
	} else if (!strcmp(a, "limit")) {
		ret = limited(ctx, c, &o, r.limit ? r.limit : "memory",
		              r.error ? r.error : "the scan ran out of memory", true);
	} else if (!strcmp(a, "quarantine")) {
		o.action = "discard";
		ret = SMFIS_DISCARD;
	} else if (!strcmp(a, "reject")) {
		char text[128];
		snprintf(text, sizeof text, "Message refused as unsafe by policy (ref %s)", ref);
		smfi_setreply(ctx, "550", "5.7.1", text);
		o.action = "reject";
		ret = SMFIS_REJECT;
	} else if (!strcmp(a, "accept") || !strcmp(a, "neutralise") || !strcmp(a, "hold")) {
		if (apply_edits(ctx, &rep, &r) != 0) {
			/* a half-edited message must not go out: tempfail whatever
			 * fault_action says (the MTA drops the edits with it) */
			o.error = "the MTA refused an edit";
			ret = tempfail(ctx, c, &o);
		} else {
			ret = SMFIS_ACCEPT;
			o.action = !strcmp(a, "neutralise") && r.body ? "rewrite" : "deliver";
			if (!strcmp(a, "hold")) {
				char reason[200], v[PC_QID_MAX + 2];
				snprintf(reason, sizeof reason, "Portcullis quarantine %s (ref %s)",
				         o.qid ? o.qid : "-", ref);
				snprintf(v, sizeof v, " %s", o.qid ? o.qid : "-");
				if (smfi_insheader(ctx, 0, "X-Portcullis-Quarantine-Id", v) != MI_SUCCESS ||
				    smfi_quarantine(ctx, reason) != MI_SUCCESS) {
					/* the copy is in our quarantine already: refuse
					 * delivery rather than deliver it */
					o.action = "discard";
					ret = SMFIS_DISCARD;
				} else
					o.action = "hold";
			}
		}
	} else {
		char w2[512];
		snprintf(w2, sizeof w2, "%s", r.error ? r.error : "worker answered without an action");
		for (size_t i = 0; i < ns; i++)
			free(strs[i]);
		pc_wbuf_free(&rep);
		ret = fault(ctx, c, &o, w2);
		goto done;
	}
	if (ret != SMFIS_TEMPFAIL) { /* tempfail() logged its own */
		o.ms = since_ms(c);
		log_outcome(&o);
	}
	for (size_t i = 0; i < ns; i++)
		free(strs[i]);
	pc_wbuf_free(&rep);
done:
	msg_end(c);
	return ret;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);
	if (c)
		msg_end(c);
	return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
	conn *c = smfi_getpriv(ctx);
	if (c) {
		msg_end(c);
		free(c->clname);
		free(c->helo);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

/* ---- config, checks ---- */

static int load(pc_config *cfg)
{
	pc_config_defaults(cfg);
	char *sets[PC_CLI_MAX_SETS];
	for (size_t i = 0; i < F.nsets; i++)
		sets[i] = strdup(F.sets[i]); /* pc_cli_config modifies them */
	int rc = pc_cli_config(cfg, F.config_path, sets, F.nsets);
	for (size_t i = 0; i < F.nsets; i++)
		free(sets[i]);
	return rc;
}

/* The quarantine directory, as the front end will use it. */
static int check_quarantine(const pc_config *cfg)
{
	if (!cfg->quarantine_dir[0]) {
		fprintf(stderr,
		        "portcullis: milter: [quarantine] directory must be set (quarantined mail is kept there)\n");
		return 1;
	}
	struct stat sb;
	if ((stat(cfg->quarantine_dir, &sb) != 0 && mkdir(cfg->quarantine_dir, 0700) != 0) ||
	    access(cfg->quarantine_dir, W_OK | X_OK) != 0) {
		fprintf(stderr, "portcullis: quarantine directory %s: %s (as uid %u)\n", cfg->quarantine_dir,
		        strerror(errno), (unsigned)geteuid());
		return 1;
	}
	return 0;
}

/* The store, lists and resolver, as a worker opens them. */
static int check_resources(const pc_config *cfg)
{
	pc_resources r;
	char err[2048];
	int bad = pc_resources_open(cfg, PC_RES_DNS | PC_RES_STORE, &r, err, sizeof err) != 0;
	if (bad)
		pc_resources_complain(err);
	pc_resources_close(&r);
	return bad;
}

/* fn as `user` ("": as we are): in a child that drops to it first, so that
 * what the check creates (the store) belongs to that user and the check
 * fails where that user would. */
static int check_as(const char *user, int (*fn)(const pc_config *), const pc_config *cfg)
{
	if (!user[0])
		return fn(cfg);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "portcullis: milter: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		char err[256];
		if (pc_sandbox_drop(user, err, sizeof err) != 0) {
			fprintf(stderr, "portcullis: milter: %s\n", err);
			_exit(1);
		}
		int bad = fn(cfg);
		fflush(NULL);
		_exit(bad ? 1 : 0);
	}
	int st;
	pid_t r;
	while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	return r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

/* What a worker needs must work before the daemon answers anyone: the
 * quarantine as [milter] user (the front end writes it), the store and
 * lists as [milter] worker_user. */
static int check(const pc_config *cfg, bool verbose)
{
	/* the process that parses hostile mail never runs as root */
	if (geteuid() == 0 && (!cfg->milter_worker_user[0] || !strcmp(cfg->milter_worker_user, "root"))) {
		fprintf(stderr, "portcullis: milter: started as root, [milter] worker_user must name the unprivileged "
		                "user the scanning workers run as (e.g. portcullis-scan; it owns the store)\n");
		return 1;
	}
	int bad = check_as(cfg->milter_user, check_quarantine, cfg);
	bad |= check_as(cfg->milter_worker_user, check_resources, cfg);
	if (verbose && !bad)
		printf("portcullis: settings ok: socket %s, %u workers, quarantine %s%s, store %s\n",
		       cfg->milter_socket, cfg->milter_workers, cfg->quarantine_dir,
		       cfg->quarantine_hold ? " (hold)" : "", cfg->history_db[0] ? cfg->history_db : "none");
	return bad;
}

static unsigned workers_of(const pc_config *cfg)
{
	if (cfg->milter_workers)
		return cfg->milter_workers;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

/* ---- the front end process ---- */

/* libmilter writes each header edit and the final reply as its own small
 * packet; on TCP, Nagle's algorithm holds the second until the MTA's
 * delayed ACK comes (40 ms on Linux) — measured: +44 ms per message at
 * 50 messages/s. Accepted sockets inherit TCP_NODELAY from the listening
 * one, which libmilter does not expose: it is the one socket in LISTEN
 * state this process has when this runs. */
static void nodelay_listener(void)
{
	for (int fd = 0; fd < 1024; fd++) {
		int on = 0;
		socklen_t l = sizeof on;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &l) != 0 || !on ||
		    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		on = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	}
}

static void *control_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char ch;
	for (;;) {
		ssize_t r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == 'T')
			break; /* asked to stop, or the supervisor is gone: drain and stop */
		if (ch != 'R' || atomic_load(&F.draining))
			continue;
		pc_config cfg;
		if (load(&cfg) != 0) {
			logf_(true, "reload: settings refused; the old ones stay");
			pc_config_free(&cfg);
			continue;
		}
		if (!cfg.milter_sandbox)
			logf_(true, "reload: milter.sandbox = no: new workers scan without rlimits or the system call "
			            "filter (for diagnosing only)");
		settings s;
		settings_from(&s, &cfg);
		pthread_rwlock_wrlock(&F.lock);
		F.s = s;
		pthread_rwlock_unlock(&F.lock);
		pc_config_free(&cfg);
		if (pc_pool_reload(F.pool, F.worker_argv) != 0)
			logf_(true, "reload: out of memory; workers keep the old settings");
		else
			logf_(false, "reload: settings and lists re-read; workers replaced as they become free");
	}
	/* Drain while libmilter still serves every connection: messages in
	 * flight go on to their end (libmilter's own stop would leave half-sent
	 * ones unserved); new ones are refused with 451 at their end of data. */
	atomic_store(&F.draining, true);
	logf_(false, "stopping: draining messages in flight");
	long long until = pc_wire_now_ms() + current().drain_ms;
	while (atomic_load(&F.inflight) > 0 && pc_wire_now_ms() < until)
		usleep(20000);
	usleep(200000); /* the last replies are written after their callbacks return */
	smfi_stop();
	return NULL;
}

/* The worker command: this program, --worker, the same settings. */
#define WORKER_ARGV_MAX (8 + 2 * PC_CLI_MAX_SETS)
static void worker_argv(char **argv)
{
	size_t k = 0;
	argv[k++] = "/proc/self/exe";
	argv[k++] = "milter";
	argv[k++] = "--worker";
	if (F.config_path) {
		argv[k++] = "-c";
		argv[k++] = (char *)F.config_path;
	}
	for (size_t i = 0; i < F.nsets; i++) {
		argv[k++] = "-s";
		argv[k++] = F.sets[i];
	}
	argv[k] = NULL;
}

/* The listening socket's file, when it is one, goes to `user` (Postfix
 * reaches it through that user's group); then the front end becomes
 * `user` for good. The supervisor stays root. */
static int drop_front(const pc_config *cfg, const char *sock)
{
	const char *user = cfg->milter_user;
	char err[256];
	if (!user[0]) {
		if (geteuid() == 0)
			logf_(true, "the front end runs as root: set [milter] user");
		return 0;
	}
	uid_t uid;
	gid_t gid;
	if (pc_sandbox_lookup(user, &uid, &gid, err, sizeof err) != 0) {
		logf_(true, "%s", err);
		return -1;
	}
	const char *path = !strncmp(sock, "unix:", 5) ? sock + 5 : !strncmp(sock, "local:", 6) ? sock + 6 : NULL;
	if (path && geteuid() == 0 && chown(path, uid, gid) != 0) {
		logf_(true, "cannot give %s to %s: %s", path, user, strerror(errno));
		return -1;
	}
	pid_t parent = getppid();
	if (pc_sandbox_drop(user, err, sizeof err) != 0) {
		logf_(true, "%s", err);
		return -1;
	}
	/* a new user clears the parent-death signal: set it again, and make
	 * sure the supervisor did not end in between */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return -1;
	return 0;
}

static int front(int ctl_fd, int spawn_fd, const pc_config *cfg)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	settings_from(&F.s, cfg);
	if (F.s.log_syslog)
		openlog("portcullis", LOG_PID | LOG_NDELAY, cfg->log_facility);
	char *argv[WORKER_ARGV_MAX];
	worker_argv(argv);
	F.worker_argv = argv;
	char err[256];
	unsigned nw = workers_of(cfg);
	/* started as root: the supervisor starts, kills and reaps the workers
	 * (milter/spawn.h), since this process will not be root for long */
	pc_pool_procs procs;
	pc_spawn_client *sc = NULL;
	if (spawn_fd >= 0) {
		if (!(sc = pc_spawn_client_new(spawn_fd, err, sizeof err))) {
			logf_(true, "%s", err);
			return 1;
		}
		pc_spawn_client_procs(sc, &procs);
	}
	if (!(F.pool = pc_pool_new_with(nw, argv, sc ? &procs : NULL, err, sizeof err))) {
		logf_(true, "cannot start the workers: %s", err);
		pc_spawn_client_free(sc);
		return 1;
	}
	struct smfiDesc desc = {
	    .xxfi_name = "portcullis",
	    .xxfi_version = SMFI_VERSION,
	    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_QUARANTINE,
	    .xxfi_connect = cb_connect,
	    .xxfi_helo = cb_helo,
	    .xxfi_envfrom = cb_envfrom,
	    .xxfi_envrcpt = cb_envrcpt,
	    .xxfi_header = cb_header,
	    .xxfi_eoh = cb_eoh,
	    .xxfi_body = cb_body,
	    .xxfi_eom = cb_eom,
	    .xxfi_abort = cb_abort,
	    .xxfi_close = cb_close,
	    .xxfi_negotiate = cb_negotiate,
	};
	/* libmilter starts a thread per connection (Postfix connects once per
	 * message): with glibc's default 8 MB stacks each start maps and
	 * unmaps its stack (TLB shootdowns on every CPU); small stacks come
	 * from glibc's stack cache instead. Nothing here needs deep stacks. */
	pthread_attr_t ta;
	if (pthread_attr_init(&ta) == 0) {
		pthread_attr_setstacksize(&ta, 256 * 1024);
		pthread_setattr_default_np(&ta);
		pthread_attr_destroy(&ta);
	}
	char sock[sizeof cfg->milter_socket];
	snprintf(sock, sizeof sock, "%s", cfg->milter_socket);
	if (smfi_register(desc) != MI_SUCCESS || smfi_setconn(sock) != MI_SUCCESS ||
	    smfi_setbacklog(128) != MI_SUCCESS || smfi_opensocket(true) != MI_SUCCESS) {
		logf_(true, "cannot listen on %s (is the address valid and free? the directory writable?)", sock);
		pc_pool_free(F.pool);
		pc_spawn_client_free(sc);
		return 1;
	}
	nodelay_listener();
	if (drop_front(cfg, sock) != 0) {
		pc_pool_free(F.pool);
		pc_spawn_client_free(sc);
		return 1;
	}
	if (!cfg->milter_sandbox)
		logf_(true, "milter.sandbox = no: workers scan without rlimits or the system call filter (for "
		            "diagnosing only)");
	pthread_t ct;
	if (pthread_create(&ct, NULL, control_thread, (void *)(intptr_t)ctl_fd) == 0)
		pthread_detach(ct);
	logf_(false, "listening on %s with %u workers (timeout %.1f s, fault action %s)", sock, nw,
	      F.s.timeout_ms / 1000.0, F.s.fail_open ? "accept" : "tempfail");
	int rc = smfi_main();
	/* stopped (drained by the control thread, or libmilter's own stop on
	 * a signal sent to this process directly): what is still in flight
	 * gets the rest of the drain time */
	atomic_store(&F.draining, true);
	long long until = pc_wire_now_ms() + current().drain_ms;
	int left;
	while ((left = atomic_load(&F.inflight)) > 0 && pc_wire_now_ms() < until)
		usleep(20000);
	if (left > 0) {
		/* threads still use the pool: it is not freed under them; the exit
		 * closes the workers' sockets and they end */
		logf_(true, "stopping with %d messages in flight after %u ms (the MTA applies its default action)",
		      left, current().drain_ms);
		return 1;
	}
	logf_(false, "stopped: every message in flight finished");
	pc_pool_free(F.pool);
	pc_spawn_client_free(sc);
	return rc == MI_SUCCESS ? 0 : 1;
}

/* ---- the supervisor ---- */

/* The supervisor's descriptors, which a front end it forks closes. */
static struct {
	int sig_fd;             /* signalfd: TERM, INT, HUP, CHLD */
	pc_spawn_server *spawn; /* started as root: it starts the workers */
} S = {-1, NULL};

static pid_t start_front(int *ctl_w, const pc_config *cfg)
{
	int p[2], ch[2] = {-1, -1};
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	if (S.spawn && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) != 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* TERM, INT and HUP stay blocked in every thread of the front
		 * end: libmilter's signal thread takes them with sigwait (TERM:
		 * stop listening, then we drain). A thread with them unblocked
		 * would take the default action instead and kill the process. */
		close(p[1]);
		close(S.sig_fd);
		if (S.spawn) {
			close(ch[0]);
			pc_spawn_server_set_fd(S.spawn, -1);
		}
		_exit(front(p[0], ch[1], cfg));
	}
	close(p[0]);
	if (ch[1] >= 0)
		close(ch[1]);
	if (pid < 0) {
		close(p[1]);
		if (ch[0] >= 0)
			close(ch[0]);
		return -1;
	}
	*ctl_w = p[1];
	if (S.spawn)
		pc_spawn_server_set_fd(S.spawn, ch[0]); /* the old front end's channel is closed */
	return pid;
}

/* Stopping: the workers end at the end of their sockets, which the front
 * end closed; reap them (up to 5 s) so that none outlives us. */
static void reap_workers(void)
{
	long long until = pc_wire_now_ms() + 5000;
	while (S.spawn && pc_spawn_server_live(S.spawn) > 0 && pc_wire_now_ms() < until) {
		int st;
		pid_t r = waitpid(-1, &st, WNOHANG);
		if (r > 0)
			pc_spawn_server_exited(S.spawn, r, st);
		else if (r < 0)
			break;
		else
			usleep(10000);
	}
}

static int supervise(pc_config *cfg)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	settings_from(&F.s, cfg);
	if (F.s.log_syslog)
		openlog("portcullis", LOG_PID | LOG_NDELAY, cfg->log_facility);
	if ((S.sig_fd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "portcullis: signalfd: %s\n", strerror(errno));
		return 1;
	}
	/* started as root, the supervisor stays root and starts the workers
	 * for the front end, which drops to [milter] user (milter/spawn.h):
	 * at most twice the pool, for workers of a front end that died */
	if (geteuid() == 0) {
		char *argv[WORKER_ARGV_MAX];
		worker_argv(argv);
		if (!(S.spawn = pc_spawn_server_new(argv, 2 * workers_of(cfg) + 2))) {
			fprintf(stderr, "portcullis: out of memory\n");
			return 1;
		}
	}
	int ctl = -1;
	pid_t fe = start_front(&ctl, cfg);
	if (fe < 0) {
		fprintf(stderr, "portcullis: cannot start the front end: %s\n", strerror(errno));
		return 1;
	}
	bool stopping = false;
	time_t restarts[5] = {0};
	for (;;) {
		struct pollfd pf[2] = {{S.sig_fd, POLLIN, 0}, {S.spawn ? pc_spawn_server_fd(S.spawn) : -1, POLLIN, 0}};
		if (poll(pf, 2, -1) < 0)
			continue;
		if (pf[1].revents)
			pc_spawn_server_serve(S.spawn);
		if (!pf[0].revents)
			continue;
		struct signalfd_siginfo si;
		if (read(S.sig_fd, &si, sizeof si) != (ssize_t)sizeof si)
			continue;
		int sig = (int)si.ssi_signo;
		if (sig == SIGHUP) {
			pc_config n;
			if (load(&n) != 0 || check(&n, false) != 0) {
				logf_(true,
				      "SIGHUP: the new settings are refused (see above); running with the old ones");
			} else {
				settings_from(&F.s, &n);
				if (write(ctl, "R", 1) != 1)
					logf_(true, "SIGHUP: cannot reach the front end");
				/* a restarted front end starts from these */
				pc_config_free(cfg);
				*cfg = n;
				pc_config_defaults(&n);
			}
			pc_config_free(&n);
		} else if (sig == SIGTERM || sig == SIGINT) {
			/* the first: the front end drains, then stops; a second one:
			 * libmilter's stop at once */
			if (fe > 0 && (stopping || ctl < 0 || write(ctl, "T", 1) != 1))
				kill(fe, SIGTERM);
			stopping = true;
		} else if (sig == SIGCHLD) {
			int st;
			pid_t r;
			while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
				if (r != fe) {
					if (S.spawn)
						pc_spawn_server_exited(S.spawn, r, st); /* told to the front end */
					continue;
				}
				fe = -1;
				close(ctl);
				ctl = -1;
				if (stopping) {
					reap_workers();
					return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
				}
				/* it died: start it again, unless it keeps dying */
				time_t now = time(NULL);
				if (restarts[0] && now - restarts[0] < 60) {
					logf_(true, "the front end died 5 times within a minute; giving up");
					return 1;
				}
				memmove(restarts, restarts + 1, sizeof restarts - sizeof restarts[0]);
				restarts[4] = now;
				logf_(true, "the front end ended (%s %d); starting it again",
				      WIFSIGNALED(st) ? "signal" : "exit",
				      WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
				sleep(1);
				if ((fe = start_front(&ctl, cfg)) < 0) {
					logf_(true, "cannot start the front end: %s", strerror(errno));
					return 1;
				}
			}
		}
	}
}

int pc_cli_milter(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, 's'},
	    {"check", no_argument, NULL, 'k'},        {"worker", no_argument, NULL, 'W'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	bool check_only = false;
	bool worker = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:s:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			F.config_path = optarg;
			break;
		case 's':
			if (pc_cli_add_set(F.sets, &F.nsets, optarg) != 0)
				return 2;
			break;
		case 'k':
			check_only = true;
			break;
		case 'W':
			worker = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fputs(usage, stderr);
		return 2;
	}
	pc_config cfg;
	if (load(&cfg) != 0) {
		pc_config_free(&cfg);
		return 2;
	}
	int rc;
	if (worker) {
		/* a worker: ends at the end of stream on fd 0, which comes when the
		 * front end closes it or dies (not PR_SET_PDEATHSIG: that fires
		 * when the *thread* that started it ends, and libmilter's threads
		 * come and go); holds nothing it inherited, writes nothing to
		 * stdout, and becomes [milter] worker_user before it opens anything
		 * (milter/sandbox.h) */
		close_range(3, ~0U, 0);
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0 && null != STDOUT_FILENO) {
			dup2(null, STDOUT_FILENO);
			close(null);
		}
		signal(SIGPIPE, SIG_IGN);
		char err[256];
		if (pc_sandbox_drop(cfg.milter_worker_user, err, sizeof err) != 0) {
			fprintf(stderr, "portcullis worker: %s\n", err);
			rc = 1;
		} else {
			rc = pc_milter_worker(&cfg, 0);
		}
	} else if (check_only) {
		rc = check(&cfg, true) ? 2 : 0;
	} else {
		rc = check(&cfg, false) ? 2 : supervise(&cfg);
	}
	pc_config_free(&cfg);
	return rc;
}
