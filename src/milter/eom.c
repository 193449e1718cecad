/*
 * NAME
 *   eom - the end of a message: hand it to a worker and answer the MTA with its edits, the quarantine, a rejection,
 *   or the limit or fault action (internal.h)
 */
#define _GNU_SOURCE
#include "milter/internal.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "act/qmeta.h"
#include "act/quarantine.h"
#include "core/sha256.h"
#include "milter/pool.h"
#include "milter/wire.h"

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
	pc_mi_log_outcome(o);
	return SMFIS_TEMPFAIL;
}

/* The fault action: tempfail (451) or, fail-open, deliver with a header. */
static sfsistat fault(SMFICTX *ctx, conn *c, outcome *o, const char *why)
{
	settings s = pc_mi_current();
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
		pc_mi_log_outcome(o);
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
	unsigned char sha[PC_SHA256_LEN];
	char hex[PC_SHA256_HEX] = "";
	if (c->buf && pc_sha256(c->buf, c->n, sha) == 0)
		pc_sha256_hex(sha, hex);
	pc_qmeta_env env = {
	    o->ref,   o->queue_id,     o->client, c->clname, c->helo, c->from, (const char *const *)c->rcpt,
	    c->nrcpt, c->rcpt_dropped, held};
	pc_qmeta q = {.reason = "milter",
	              .time = (long long)time(NULL),
	              .env = &env,
	              .sha256 = hex[0] ? hex : NULL,
	              .limit = limit,
	              .limit_why = why};
	return pc_qmeta_json(&q);
}

/* A message delivered although its scan met a store error ([store]
 * on_error = deliver): kept in [store] journal as it came, with its
 * envelope, durably, before the MTA is answered, so `portcullis store
 * replay` records it in the store when the store is back (its delivery
 * key makes a replay of a message already recorded count once). 0, or -1
 * and the message is tempfailed instead: nothing is lost. */
static int journal(const conn *c, outcome *o, const char *dir, char *err, size_t errlen)
{
	unsigned char sha[PC_SHA256_LEN];
	char hex[PC_SHA256_HEX] = "", jid[PC_QID_MAX], e[512];
	if (c->buf && pc_sha256(c->buf, c->n, sha) == 0)
		pc_sha256_hex(sha, hex);
	pc_qmeta_env env = {
	    o->ref,   o->queue_id,     o->client, c->clname, c->helo, c->from, (const char *const *)c->rcpt,
	    c->nrcpt, c->rcpt_dropped, false};
	pc_qmeta q = {.reason = "journal", .time = (long long)time(NULL), .env = &env, .sha256 = hex[0] ? hex : NULL};
	char *meta = pc_qmeta_json(&q);
	int rc = meta ? pc_quarantine_put(dir, c->buf ? c->buf : "", c->n, meta, jid, sizeof jid, e, sizeof e) : -1;
	free(meta);
	if (rc != 0) {
		snprintf(err, errlen, "store journal: %s", meta ? e : "out of memory");
		o->error = err;
	}
	return rc;
}

/* Stores the message as it came with its metadata, durably, before the
 * MTA is answered. 0 and the id in qid, or -1 (o->error says why). */
static int store_quarantine(const conn *c, outcome *o, const char *meta, const char *dkey, char *qid, size_t qidlen,
                            char *err, size_t errlen)
{
	settings s = pc_mi_current();
	char e[512];
	if (pc_quarantine_put_once(s.quarantine_dir, dkey, c->buf ? c->buf : "", c->n, meta, qid, qidlen, e,
	                           sizeof e) != 0) {
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
	settings s = pc_mi_current();
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
			int rc = meta ? store_quarantine(c, o, meta, NULL, qid, sizeof qid, err, sizeof err) : -1;
			free(meta);
			if (rc != 0) {
				if (!o->error)
					o->error = "out of memory writing the quarantine metadata";
				o->qfailed = true;
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
	pc_mi_log_outcome(o);
	o->detail = NULL; /* points into this frame */
	o->qid = NULL;
	return ret;
}

typedef struct reply {
	const char *action, *verdict, *score, *reasons, *campaign, *error, *detail, *limit, *meta, *dkey;
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

sfsistat pc_mi_eom(SMFICTX *ctx)
{
	conn *c = pc_mi_conn(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	settings s = pc_mi_current();
	/* what the log's ms counts: the time we add at the end of DATA */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->t0 = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	char ref[32];
	make_ref(ref, sizeof ref);
	const char *qi = smfi_getsymval(ctx, "i");
	char queue_id[64] = "";
	if (qi)
		pc_mi_clean(qi, queue_id, sizeof queue_id);
	outcome o = {.ref = ref,
	             .queue_id = queue_id[0] ? queue_id : NULL,
	             .client = c->client[0] ? c->client : NULL,
	             .from = c->from,
	             .nrcpt = c->nrcpt + c->rcpt_dropped,
	             .size = c->total,
	             .scan_s = -1};
	sfsistat ret;
	if (c->refused) {
		smfi_setreply(ctx, "451", "4.3.2", "Filter shutting down, try again later");
		o.action = "tempfail";
		o.error = "began while shutting down";
		o.ms = since_ms(c);
		pc_mi_log_outcome(&o);
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
	pc_pool_status ps = pc_pool_run(pc_mi.pool, &req, &rep, s.timeout_ms, max_reply, &sig, why, sizeof why);
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
		case PC_W_DKEY:
			r.dkey = recstr(&rec, strs, &ns);
			break;
		case PC_W_BODY:
			r.body = rec.data;
			r.bodyn = rec.len;
			break;
		case PC_W_SCANUS: { /* metrics: a bad number is left out, not a fault */
			unsigned long long us;
			if (pc_wire_uint(&rec, 1000000000000ULL, &us) == 0)
				o.scan_s = (double)us / 1e6;
			break;
		}
		case PC_W_DBERR: {
			unsigned long long n;
			if (pc_wire_uint(&rec, 1000, &n) == 0)
				o.dberr = (unsigned)n;
			break;
		}
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
	if (o.dberr && !quarantined &&
	    (s.store_tempfail || (s.store_journal[0] && journal(c, &o, s.store_journal, qerr, sizeof qerr) != 0))) {
		/* the shared store was down, slow or cut off: the verdict lacks
		 * the campaign's view, and the message its record; the MTA keeps
		 * it and tries again ([store] on_error = tempfail, or the journal
		 * could not keep it). A copy the worker quarantined anyway is
		 * kept: that is the safer side. */
		if (!o.error)
			o.error = "the store failed during the scan";
		ret = tempfail(ctx, c, &o);
	} else if (quarantined &&
	           (!r.meta || store_quarantine(c, &o, r.meta, r.dkey, qid, sizeof qid, qerr, sizeof qerr) != 0)) {
		if (!o.error)
			o.error = "the worker sent no quarantine metadata";
		o.qfailed = true;
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
		pc_mi_log_outcome(&o);
	}
	for (size_t i = 0; i < ns; i++)
		free(strs[i]);
	pc_wbuf_free(&rep);
done:
	pc_mi_msg_end(c);
	return ret;
}
