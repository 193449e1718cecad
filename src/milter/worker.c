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
#include "core/sha256.h"
#include "detect/lib/trackerlist.h"
#include "milter/headers.h"
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
} worker;

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

static int emit_edit(void *ctx, char op, const char *name, size_t namelen, unsigned index, const char *value,
                     size_t valuelen)
{
	worker *w = ctx;
	char idx[16];
	char *nm = strndup(name, namelen);
	if (!nm)
		return -1;
	snprintf(idx, sizeof idx, "%u", index);
	if (op == 'd') {
		pc_wire_put3(&w->reply, PC_W_HDEL, nm, idx, NULL);
		free(nm);
		return 0;
	}
	char *v = milter_value(value, valuelen);
	if (!v) {
		free(nm);
		return -1;
	}
	if (op == 'x')
		pc_wire_put3(&w->reply, PC_W_HCHG, nm, idx, v);
	else
		pc_wire_put3(&w->reply, PC_W_HADD, nm, v, NULL);
	free(v);
	free(nm);
	return 0;
}

/* The header fields of `b` that are not forged, as a new list. */
static size_t unforged(const pc_hfield *f, size_t n, const char *authserv_id, pc_hfield *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!pc_hdr_forged(f[i].name, f[i].namelen, f[i].value, f[i].valuelen, authserv_id))
			out[k++] = f[i];
	return k;
}

/* Edits from the message as it came (orig) to `now` without forged
 * fields; *body set to where now's body starts. */
static int header_edits(worker *w, const char *orig, size_t on, const char *now, size_t nn, size_t *body)
{
	pc_hfield *a = NULL, *b = NULL, *keep = NULL;
	size_t ob;
	size_t na = pc_hdr_split(orig, on, &a, &ob);
	size_t nb = pc_hdr_split(now, nn, &b, body);
	int rc = -1;
	if (na == (size_t)-1 || nb == (size_t)-1 || !(keep = malloc((nb ? nb : 1) * sizeof *keep)))
		goto out;
	size_t nk = unforged(b, nb, w->cfg->authserv_id, keep);
	rc = pc_hdr_diff(a, na, keep, nk, emit_edit, w);
out:
	free(a);
	free(b);
	free(keep);
	return rc;
}

/* The quarantine metadata (act/qmeta.h): envelope, verdict, reasons and
 * the whole scan result (findings with their evidence). malloc'd, NULL
 * on failure. */
static char *meta_json(const request *q, const pc_msg *m, bool held, const char *sha_hex)
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
	pc_qmeta_env env = {
	    q->ref,   q->queue_id,     q->client, q->clname, q->helo, q->from, (const char *const *)q->rcpt,
	    q->nrcpt, q->rcpt_dropped, held};
	pc_qmeta meta = {
	    .reason = "milter", .time = (long long)time(NULL), .env = &env, .msg = m, .sha256 = sha_hex, .scan = scan};
	char *out = pc_qmeta_json(&meta);
	free(scan);
	return out;
}

/* The reasons for the log and the X-Portcullis-Reasons field: the
 * detectors the verdict rests on, each once, bounded. */
static void reasons_text(const pc_msg *m, char *buf, size_t cap)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < m->reasons.n; i++) {
		const char *d = pc_qmeta_reason(m, i);
		if (!d)
			continue;
		size_t l = strlen(d);
		if (o + l + 3 >= cap)
			break; /* cut at a whole name */
		if (o) {
			buf[o++] = ',';
			buf[o++] = ' ';
		}
		for (size_t k = 0; k < l; k++) /* detector names are ours, but keep the field clean anyway */
			buf[o++] = (d[k] > 0x20 && d[k] < 0x7f && d[k] != ',') ? d[k] : '_';
		buf[o] = '\0';
	}
	if (!o && cap > 4)
		snprintf(buf, cap, "none");
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

static void add_field(worker *w, const char *name, const char *value)
{
	pc_wire_put3(&w->reply, PC_W_HADD, name, value, NULL);
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
	if (!m) {
		out_of(w, "memory", "out of memory while scanning");
		return;
	}
	pc_wbuf_reset(&w->reply);
	/* everything about the scan first: pc_neutralise reuses m */
	char reasons[REASONS_MAX + 8], score[32], ar[PC_AUTHRES_HEADER_MAX];
	reasons_text(m, reasons, REASONS_MAX);
	snprintf(score, sizeof score, "%.1f", m->score);
	pc_action verdict = m->verdict;
	const char *vname = pc_action_name(verdict);
	size_t arn = pc_authres_header(m, "\n", ar, sizeof ar);
	pc_wire_puts(&w->reply, PC_W_VERDICT, vname);
	pc_wire_puts(&w->reply, PC_W_SCORE, score);
	pc_wire_puts(&w->reply, PC_W_REASONS, reasons);
	pc_wire_puts(&w->reply, PC_W_CAMPAIGN, m->campaign);
	if (m->reasons.n) {
		const pc_finding *top = m->reasons.v[0];
		pc_wire_puts(&w->reply, PC_W_DETAIL, top->summary);
	}
	const char *action = vname;
	if (verdict == PC_ACTION_QUARANTINE) {
		/* the front end stores it (the worker has no access to the
		 * quarantine) before it answers the MTA */
		unsigned char sha[PC_SHA256_LEN];
		char hexs[PC_SHA256_HEX];
		if (pc_sha256(q->msg, q->msgn, sha) != 0) { /* OpenSSL allocates: the worker's memory */
			out_of(w, "memory", "sha256 failed (out of memory)");
			return;
		}
		pc_sha256_hex(sha, hexs);
		char *meta = meta_json(q, m, w->cfg->quarantine_hold, hexs);
		if (!meta) {
			out_of(w, "memory", "out of memory writing the quarantine metadata");
			return;
		}
		pc_wire_puts(&w->reply, PC_W_META, meta);
		free(meta);
		action = w->cfg->quarantine_hold ? "hold" : "quarantine";
	}
	pc_wire_puts(&w->reply, PC_W_ACTION, action);
	if (verdict == PC_ACTION_REJECT || (verdict == PC_ACTION_QUARANTINE && !w->cfg->quarantine_hold))
		return; /* the message goes no further: no edits */

	/* the fields we add, on top in this order */
	if (arn > 24 && !strncmp(ar, "Authentication-Results:", 23)) {
		char *v = ar + 23;
		size_t vl = arn - 23;
		while (vl && (v[vl - 1] == '\n' || v[vl - 1] == '\r'))
			v[--vl] = '\0';
		add_field(w, "Authentication-Results", v);
	}
	char val[REASONS_MAX + 64];
	snprintf(val, sizeof val, " %s", vname);
	add_field(w, "X-Portcullis-Verdict", val);
	snprintf(val, sizeof val, " %s", score);
	add_field(w, "X-Portcullis-Score", val);
	snprintf(val, sizeof val, " %s", reasons);
	add_field(w, "X-Portcullis-Reasons", val);
	snprintf(val, sizeof val, " %s", q->ref ? q->ref : "-");
	add_field(w, "X-Portcullis-Ref", val);

	char *out = NULL;
	size_t outn = 0, body = 0;
	int rc = 0;
	pc_rewrite_stats st = {0};
	if (verdict == PC_ACTION_NEUTRALISE) {
		rc = pc_neutralise(w->sc, m, q->msg, q->msgn, (const char *const *)q->rcpt, q->nrcpt, &out, &outn, &st);
		if (rc < 0) {
			out_of(w, "memory", "the rewrite failed (out of memory)");
			return;
		}
	}
	if (rc == 1 && st.trackers[0]) {
		/* the rewriter's summary of what it removed is ours: keep it */
		char *v = milter_value(st.trackers, strlen(st.trackers));
		if (v)
			add_field(w, "X-Portcullis-Trackers", v);
		free(v);
	}
	if (header_edits(w, q->msg, q->msgn, rc == 1 ? out : q->msg, rc == 1 ? outn : q->msgn, &body) != 0) {
		free(out);
		out_of(w, "memory", "out of memory computing header edits");
		return;
	}
	if (rc == 1)
		pc_wire_put(&w->reply, PC_W_BODY, out + body, outn - body);
	free(out);
	if (w->reply.err)
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
	if (pc_resources_open(cfg, PC_RES_DNS | PC_RES_STORE, &res, w.err, sizeof w.err) != 0) {
		pc_resources_complain(w.err);
		goto out;
	}
	if (!(w.sc = pc_resources_scanner(cfg, &res))) {
		fprintf(stderr, "portcullis worker: cannot create a scanner\n");
		goto out;
	}
	pc_scanner_keep_for_rewrite(w.sc, 1);
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
		int s = pc_wire_send(fd, &w.reply, 0);
		request_free(&q);
		if (s != 0) {
			fprintf(stderr, "portcullis worker: writing a reply: %s\n", strerror(errno));
			break;
		}
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
