/*
 * NAME
 *   worker - scan one message per request and say how to change it
 * DESCRIPTION
 *   See worker.h. One scanner, resolver, list set and store per process;
 *   requests are served one at a time.
 */
#define _GNU_SOURCE /* open_memstream */
#include "milter/worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>

#include "act/authres.h"
#include "act/qmeta.h"
#include "act/rewrite.h"
#include "app/jsonw.h"
#include "app/options.h"
#include "app/report.h"
#include "app/resources.h"
#include "pipeline/act.h"
#include "core/sha256.h"
#include "detect/lib/trackerlist.h"
#include "act/headers.h"
#include "milter/sandbox.h"
#include "milter/wire.h"
#include "net/dns.h"
#include "pipeline/pipeline.h"
#include "store/store.h"

#define MAX_RCPT 1000
#define REASONS_MAX 900 /* bytes of the X-Portcullis-Reasons value */

typedef struct request {
	char *ref, *queue_id, *client, *clname, *helo, *from;
	char *rcpt[MAX_RCPT];
	size_t nrcpt, rcpt_dropped;
	const char *msg;
	size_t msgn;
} request;

typedef struct worker {
	const pc_config *cfg;
	pc_scanner *sc;
	pc_wbuf reply;
	char err[512];
	unsigned dberr;         /* store operations that failed during this request's scan */
	char dkey[33];          /* the scanned delivery's key, "" none */
	struct pc_store *store; /* held (store.h): committed by commit_scan */
} worker;

/* What the scan wrote to the store (campaign, custody, history: one
 * transaction) made durable now, before the act step: that step's rescans
 * of a neutralised copy (GMime, MyHTML: the longest part of some messages)
 * run without the store, and the write lock is not held through them; a
 * worker killed in them loses nothing the scan recorded. A failed commit
 * is a store error the front end acts on ([store] on_error), and the
 * message no longer names the campaign that commit would have recorded
 * (a new one is gone, and SQLite may give its id to the next). */
static void commit_scan(worker *w, const pc_msg *m)
{
	if (!w->store || pc_store_sync(w->store) == 0)
		return;
	fprintf(stderr, "portcullis worker: store: %s\n", pc_store_error(w->store));
	if (m)
		pc_scan_store_lost(w->sc); /* campaign.error, counted with the scan's own */
	else
		w->dberr++;
}

static char *dupn(const pc_wire_rec *r)
{
	char *s = malloc(r->len + 1);
	if (!s)
		return NULL;
	memcpy(s, r->data, r->len);
	s[r->len] = '\0';
	/* a NUL inside would cut the string silently: make it visible */
	for (size_t i = 0; i < r->len; i++)
		if (!s[i])
			s[i] = '?';
	return s;
}

static void request_free(request *q)
{
	free(q->ref);
	free(q->queue_id);
	free(q->client);
	free(q->clname);
	free(q->helo);
	free(q->from);
	for (size_t i = 0; i < q->nrcpt; i++)
		free(q->rcpt[i]);
	memset(q, 0, sizeof *q);
}

static int request_parse(const pc_wbuf *b, request *q)
{
	memset(q, 0, sizeof *q);
	size_t off = 0;
	pc_wire_rec r;
	int k;
	while ((k = pc_wire_next(b, &off, &r)) == 1) {
		char **dst = NULL;
		switch (r.type) {
		case PC_W_REF:
			dst = &q->ref;
			break;
		case PC_W_QUEUEID:
			dst = &q->queue_id;
			break;
		case PC_W_CLIENT:
			dst = &q->client;
			break;
		case PC_W_CLNAME:
			dst = &q->clname;
			break;
		case PC_W_HELO:
			dst = &q->helo;
			break;
		case PC_W_FROM:
			dst = &q->from;
			break;
		case PC_W_RCPT:
			if (q->nrcpt == MAX_RCPT) {
				q->rcpt_dropped++;
				continue;
			}
			if (!(q->rcpt[q->nrcpt] = dupn(&r)))
				return -2;
			q->nrcpt++;
			continue;
		case PC_W_MSG:
			q->msg = r.data;
			q->msgn = r.len;
			continue;
		case PC_W_DROPPED: { /* recipients the front end could not keep */
			char n[24];
			size_t l = r.len < sizeof n - 1 ? r.len : sizeof n - 1;
			memcpy(n, r.data, l);
			n[l] = '\0';
			q->rcpt_dropped += strtoul(n, NULL, 10);
			continue;
		}
		default:
			continue; /* unknown records are skipped: newer front ends */
		}
		free(*dst);
		if (!(*dst = dupn(&r)))
			return -2;
	}
	return k < 0 || !q->msg ? -1 : 0;
}

/* A header value for the milter: the MTA folds with LF, so CRLF inside
 * becomes LF. Returns a malloc'd string. */
static char *milter_value(const char *v, size_t n)
{
	char *s = malloc(n + 1), *o = s;
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\r' && i + 1 < n && v[i + 1] == '\n')
			continue;
		*o++ = v[i] ? v[i] : ' ';
	}
	*o = '\0';
	return s;
}

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void fault(worker *w, const char *why)
{
	pc_wbuf_reset(&w->reply);
	pc_wire_puts(&w->reply, PC_W_ACTION, "fault");
	pc_wire_puts(&w->reply, PC_W_ERROR, why);
}

/* The scan ran out of a budget (memory): the message's doing, so the
 * front end applies policy.limit_action, never the fault action. */
static void out_of(worker *w, const char *limit, const char *why)
{
	pc_wbuf_reset(&w->reply);
	pc_wire_puts(&w->reply, PC_W_ACTION, "limit");
	pc_wire_puts(&w->reply, PC_W_LIMIT, limit);
	pc_wire_puts(&w->reply, PC_W_ERROR, why);
}

/* The scan's JSON for the quarantine metadata (malloc'd), NULL on failure. */
static char *scan_json(const pc_msg *m)
{
	char *scan = NULL;
	size_t scann = 0;
	FILE *f = open_memstream(&scan, &scann);
	if (!f)
		return NULL;
	int bad = pc_report_json(f, m) != 0;
	if (fclose(f) != 0 || bad || !scan) {
		free(scan);
		return NULL;
	}
	return scan;
}

/* The act step's outcome as the front end reads it: the verdict, the
 * action, the metadata, then the header edits in order and the body. */
static void reply(worker *w, const pc_outcome *o)
{
	pc_wire_puts(&w->reply, PC_W_VERDICT, pc_action_name(o->verdict));
	pc_wire_puts(&w->reply, PC_W_SCORE, o->score);
	pc_wire_puts(&w->reply, PC_W_REASONS, o->reasons);
	pc_wire_puts(&w->reply, PC_W_CAMPAIGN, o->campaign);
	if (o->detail)
		pc_wire_puts(&w->reply, PC_W_DETAIL, o->detail);
	if (o->meta)
		pc_wire_puts(&w->reply, PC_W_META, o->meta);
	pc_wire_puts(&w->reply, PC_W_ACTION, o->action);
	for (size_t i = 0; i < o->nedits; i++) {
		const pc_hedit *e = &o->edits[i];
		char idx[16];
		snprintf(idx, sizeof idx, "%u", e->index);
		if (e->op == 'd') {
			pc_wire_put3(&w->reply, PC_W_HDEL, e->name, idx, NULL);
			continue;
		}
		char *v = milter_value(e->value, e->valuelen);
		if (!v) {
			w->reply.err = 1;
			return;
		}
		if (e->op == 'x')
			pc_wire_put3(&w->reply, PC_W_HCHG, e->name, idx, v);
		else
			pc_wire_put3(&w->reply, PC_W_HADD, e->name, v, NULL);
		free(v);
	}
	if (o->message)
		pc_wire_put(&w->reply, PC_W_BODY, o->message + o->body, o->messagen - o->body);
}

static void handle(worker *w, const request *q)
{
	pc_envelope env = {q->client, q->helo, q->from ? q->from : NULL};
	pc_scanner_set_envelope(w->sc, &env);
	char source[160];
	snprintf(source, sizeof source, "milter:%s",
	         q->queue_id && q->queue_id[0] ? q->queue_id
	         : q->ref                      ? q->ref
	                                       : "-");
	const pc_msg *m = pc_scan(w->sc, q->msg, q->msgn, source, (const char *const *)q->rcpt, q->nrcpt);
	commit_scan(w, m);
	if (!m) {
		out_of(w, "memory", "out of memory while scanning");
		return;
	}
	snprintf(w->dkey, sizeof w->dkey, "%s", m->dkey ? m->dkey : "");
	/* counted now: the rescans of a neutralised copy reuse m */
	for (size_t i = 0; i < m->findings.n; i++) {
		const pc_finding *f = m->findings.v[i];
		w->dberr += f->kind == PC_FINDING_HISTORY_ERROR || f->kind == PC_FINDING_CAMPAIGN_ERROR;
	}
	pc_wbuf_reset(&w->reply);
	/* the front end stores a quarantined message (the worker has no
	 * access to the quarantine) before it answers the MTA */
	char *scan = NULL;
	if (m->verdict == PC_ACTION_QUARANTINE && !(scan = scan_json(m))) {
		out_of(w, "memory", "out of memory writing the quarantine metadata");
		return;
	}
	pc_qmeta_env menv = {q->ref,
	                     q->queue_id,
	                     q->client,
	                     q->clname,
	                     q->helo,
	                     q->from,
	                     (const char *const *)q->rcpt,
	                     q->nrcpt,
	                     q->rcpt_dropped,
	                     w->cfg->quarantine_hold};
	pc_act_in in = {.bytes = q->msg,
	                .n = q->msgn,
	                .rcpt = (const char *const *)q->rcpt,
	                .nrcpt = q->nrcpt,
	                .edits = true,
	                .ref = q->ref,
	                .authserv_id = w->cfg->authserv_id,
	                .hold = w->cfg->quarantine_hold,
	                .env = &menv,
	                .meta_reason = "milter",
	                .scan_json = scan};
	pc_outcome o;
	int rc = pc_act(w->sc, m, &in, &o);
	free(scan);
	if (rc != 0)
		out_of(w, "memory", o.why);
	else
		reply(w, &o);
	pc_outcome_free(&o);
	if (rc == 0 && w->reply.err)
		out_of(w, "memory", "out of memory building the reply");
}

int pc_milter_worker(const pc_config *cfg, int fd)
{
	pc_resources res;
	worker w;
	memset(&w, 0, sizeof w);
	w.cfg = cfg;
	int status = 1;
	/* the milter has the envelope: SPF, DKIM and DMARC are checked unless
	 * dns.servers = off */
	if (pc_resources_open(cfg, PC_RES_DNS | PC_RES_STORE | PC_RES_STORE_LAZY, &res, w.err, sizeof w.err) != 0) {
		pc_resources_complain(w.err);
		goto out;
	}
	if (!(w.sc = pc_resources_scanner(cfg, &res))) {
		fprintf(stderr, "portcullis worker: cannot create a scanner\n");
		goto out;
	}
	pc_scanner_keep_for_rewrite(w.sc, 1);
	/* one commit per message, made before its answer (store.h) */
	if ((w.store = res.store))
		pc_store_hold(res.store);
	/* The CPU budget's backstop. The scan stops itself at limits.cpu
	 * (pc_msg_out_of_time, between parts and detectors); a step that
	 * cannot be interrupted (GMime, MyHTML) and runs on is ended here by
	 * SIGXCPU at twice the budget, and the front end, seeing that signal,
	 * gives the message policy.limit_action. */
	timer_t cpu_timer;
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGXCPU;
	signal(SIGXCPU, SIG_DFL);
	bool have_timer = timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &cpu_timer) == 0;
	if (!have_timer)
		fprintf(stderr, "portcullis worker: no CPU timer (%s): limits.cpu is kept by the scan alone\n",
		        strerror(errno));
	size_t budget_ms = cfg->limits.cpu_ms ? 2 * cfg->limits.cpu_ms : 0;
	struct itimerspec arm = {{0, 0}, {(time_t)(budget_ms / 1000), (long)(budget_ms % 1000) * 1000000L}};
	struct itimerspec disarm = {{0, 0}, {0, 0}};
	/* everything is open: from here on the process can only scan
	 * (milter/sandbox.h); one that cannot be confined does not serve */
	if (cfg->milter_sandbox && (pc_sandbox_limits(cfg->limits.memory, w.err, sizeof w.err) != 0 ||
	                            pc_sandbox_filter(w.err, sizeof w.err) != 0)) {
		fprintf(stderr, "portcullis worker: sandbox: %s\n", w.err);
		goto out;
	}
	/* ready: the pool counts a worker that never says so as not started */
	pc_wire_puts(&w.reply, PC_W_READY, "1");
	if (pc_wire_send(fd, &w.reply, 0) != 0) {
		fprintf(stderr, "portcullis worker: saying ready: %s\n", strerror(errno));
		goto out;
	}
	pc_wbuf in = {0};
	/* a request is the message plus its envelope */
	/* the message, 1,000 recipients and the other envelope fields (the
	 * front end cuts each address at 1,024 bytes) */
	size_t max = cfg->milter_max_message + (size_t)MAX_RCPT * 1100 + 4 * 1100 + 65536;
	for (;;) {
		int r = pc_wire_recv(fd, &in, max, 0);
		if (r == 1) {
			status = 0; /* the front end closed: done */
			break;
		}
		if (r < 0) {
			fprintf(stderr, "portcullis worker: reading a request: %s\n", strerror(errno));
			break;
		}
		request q;
		long long t0 = now_us();
		w.dberr = 0;
		w.dkey[0] = '\0';
		if (have_timer && budget_ms)
			timer_settime(cpu_timer, 0, &arm, NULL);
		int pr = request_parse(&in, &q);
		if (pr == -2)
			out_of(&w, "memory", "out of memory reading the request");
		else if (pr != 0)
			fault(&w, "malformed request");
		else
			handle(&w, &q);
		if (have_timer)
			timer_settime(cpu_timer, 0, &disarm, NULL);
		commit_scan(&w, NULL); /* nothing open after a scan: a backstop */
		/* its CPU time so far: the pool tells a worker busy with a
		 * message from one waiting when it has to kill it */
		struct rusage ru;
		if (getrusage(RUSAGE_SELF, &ru) == 0) {
			char cpu[32];
			snprintf(cpu, sizeof cpu, "%llu",
			         (unsigned long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000ULL +
			             (unsigned long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000ULL);
			pc_wire_puts(&w.reply, PC_W_CPU, cpu);
		}
		/* for the front end's metrics: its time on the message, and the
		 * store's failures (findings, which it does not otherwise see) */
		char num[24];
		snprintf(num, sizeof num, "%lld", now_us() - t0);
		pc_wire_puts(&w.reply, PC_W_SCANUS, num);
		if (w.dberr) {
			snprintf(num, sizeof num, "%u", w.dberr);
			pc_wire_puts(&w.reply, PC_W_DBERR, num);
		}
		if (w.dkey[0])
			pc_wire_puts(&w.reply, PC_W_DKEY, w.dkey);
		bool housekeeping = w.store && pc_store_idle_due(w.store);
		if (housekeeping)
			pc_wire_puts(&w.reply, PC_W_AFTER, "1");
		int s = pc_wire_send(fd, &w.reply, 0);
		request_free(&q);
		if (s != 0) {
			fprintf(stderr, "portcullis worker: writing a reply: %s\n", strerror(errno));
			break;
		}
		/* housekeeping after the answer, not in it: a checkpoint's two
		 * fsyncs (40 ms on a slow disk) were the slowest answers */
		if (housekeeping)
			pc_store_idle(w.store);
	}
	pc_wbuf_free(&in);
	if (have_timer)
		timer_delete(cpu_timer);
out:
	pc_wbuf_free(&w.reply);
	pc_scanner_free(w.sc); /* first: it uses the resources */
	pc_resources_close(&res);
	return status;
}
