/*
 * NAME
 *   pipeline - one message through every stage (see pipeline.h)
 */
#include "pipeline/pipeline.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "act/history.h"
#include "campaign/cluster.h"
#include "core/sketch.h"
#include "store/store.h"
#include "pipeline/custody.h"
#include "core/sha256.h"
#include "act/rewrite.h"
#include "decide/policy.h"
#include "detect/detect.h"
#include "extract/authres.h"
#include "extract/html.h"
#include "extract/identity.h"
#include "extract/textlinks.h"
#include "net/dns.h"
#include "parse/mime.h"

struct pc_scanner {
	const pc_config *config;
	pc_arena *arena;
	pc_mime *mime;
	pc_html *html;
	pc_detect *detectors;
	pc_detect_ctx *detect; /* the detectors' context: the resources lent them */
	bool keep;
	bool rescan; /* pc_neutralise scans its own output (no DNS, no history) */
	/* the envelope set by pc_scanner_set_envelope (malloc'd copies) */
	char *env_ip, *env_helo, *env_from;
	time_t pruned; /* when retention last ran (prune_originals) */
	pc_scan_check check;
	void *check_ctx;
	/* the SHA-256 of the bytes the last pc_scan read, made at most once
	 * (custody, the indicator check and the quarantine all need it) */
	unsigned char sha[PC_SHA256_LEN];
	bool have_sha;
	pc_msg msg;
};

int pc_pipeline_check_config(const pc_config *c, char *err, size_t errlen)
{
	return pc_detect_check_settings(c, pc_detectors, pc_detector_count, err, errlen);
}

void pc_pipeline_global_init(void)
{
	pc_mime_global_init();
}

pc_scanner *pc_scanner_new(const pc_config *config)
{
	pc_scanner *sc = calloc(1, sizeof *sc);
	if (!sc)
		return NULL;
	sc->config = config;
	sc->arena = pc_arena_new(config->limits.arena);
	sc->mime = pc_mime_new();
	sc->html = pc_html_new();
	sc->detectors = pc_detect_new(config, pc_detectors, pc_detector_count);
	if (!sc->arena || !sc->mime || !sc->html || !sc->detectors) {
		pc_scanner_free(sc);
		return NULL;
	}
	sc->detect = pc_detect_context(sc->detectors);
	return sc;
}

void pc_scanner_free(pc_scanner *sc)
{
	if (!sc)
		return;
	pc_html_free(sc->html);
	pc_mime_free(sc->mime);
	pc_detect_free(sc->detectors);
	free(sc->env_ip);
	free(sc->env_helo);
	free(sc->env_from);
	pc_arena_free(sc->arena);
	free(sc);
}

void pc_scanner_set_lists(pc_scanner *sc, const pc_trackerlist *lists)
{
	sc->detect->lists = lists;
}

void pc_scanner_set_freemail(pc_scanner *sc, const pc_trackerlist *freemail)
{
	pc_detect_set_freemail(sc->detectors, freemail);
}

void pc_scanner_set_store(pc_scanner *sc, struct pc_store *store)
{
	sc->detect->store = store;
}

void pc_scanner_set_dns(pc_scanner *sc, pc_dns *dns)
{
	sc->detect->dns = dns;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void pc_scanner_set_envelope(pc_scanner *sc, const pc_envelope *env)
{
	free(sc->env_ip);
	free(sc->env_helo);
	free(sc->env_from);
	sc->env_ip = dup_or_null(env ? env->client_ip : NULL);
	sc->env_helo = dup_or_null(env ? env->helo : NULL);
	sc->env_from = dup_or_null(env ? env->mail_from : NULL);
}

static const char *env_copy(pc_arena *a, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strnlen(s, 1024); /* an envelope field longer than this is not real */
	return pc_arena_utf8(a, s, n);
}

void pc_scanner_set_check(pc_scanner *sc, pc_scan_check check, void *ctx)
{
	sc->check = check;
	sc->check_ctx = ctx;
}

void pc_scanner_set_clock(pc_scanner *sc, long long at)
{
	sc->detect->at = at;
}

void pc_scanner_keep_for_rewrite(pc_scanner *sc, int on)
{
	sc->keep = on != 0;
}

/* Extract stage for each decoded body part, called by the MIME walk. */
static void on_body(void *ctx, pc_msg *m, size_t part, const char *bytes, size_t n, const char *charset)
{
	pc_scanner *sc = ctx;
	const pc_part *p = m->parts.v[part];
	if (p->kind == PC_PART_HTML)
		pc_html_extract(sc->html, m, part, bytes, n, charset);
	else if (p->kind == PC_PART_TEXT) {
		if (m->keep_for_rewrite) /* the rewriter edits links in text too */
			pc_part_keep_text(m, (pc_part *)p, bytes, n);
		pc_textlinks_extract(m, part, bytes, n);
		if (m->sketch) {
			pc_sketch_break(m->sketch);
			pc_sketch_text(m->sketch, bytes, n);
		}
	}
}

/* The store failed during the campaign step: a campaign.error finding;
 * the policy keeps the message's own verdict, at least
 * campaign.error_action (decide/policy.h). */
static void campaign_error(pc_scanner *sc, pc_msg *m)
{
	pc_finding *f =
	    pc_msg_finding(m, PC_FINDING_CAMPAIGN_ERROR, "campaign.error", 0.0, "campaign store could not be used");
	pc_finding_ev(
	    m, f, "error",
	    pc_arena_utf8(m->arena, pc_store_error(sc->detect->store), strlen(pc_store_error(sc->detect->store))));
}

/* The decision: the campaign's judgement adds its findings, the policy
 * decides once, the campaign records what the verdict means for it, and
 * the policy decides once more only when that added a finding (the
 * campaign became malicious) or the store failed after the decision. */
/* The first external hop the fingerprint found ("addr:" infrastructure). */
static const char *sending_ip(const pc_fingerprint *fp)
{
	for (size_t i = 0; i < fp->ninfra; i++)
		if (!strncmp(fp->infra[i], "addr:", 5))
			return fp->infra[i] + 5;
	return NULL;
}

/* The custody record (pipeline/custody.h) and, while retention keeps
 * them, the original bytes, in the message's campaign transaction. A
 * failure is the store's: campaign.error, like the campaign's own. */
int pc_scan_sha256(pc_scanner *sc, const char *bytes, size_t n, unsigned char out[PC_SHA256_LEN])
{
	if (!sc->have_sha) {
		if (pc_sha256(bytes, n, sc->sha) != 0)
			return -1;
		sc->have_sha = true;
	}
	memcpy(out, sc->sha, PC_SHA256_LEN);
	return 0;
}

static char *custody_of(pc_scanner *sc, const pc_msg *m, const pc_fingerprint *fp, long long campaign,
                        const char *bytes, size_t n, char hex[PC_SHA256_HEX])
{
	unsigned char d[PC_SHA256_LEN];
	if (pc_scan_sha256(sc, bytes, n, d) != 0)
		return NULL;
	pc_sha256_hex(d, hex);
	long long now = (long long)time(NULL);
	pc_custody_facts f = {
	    hex,     n, sc->detect->at ? sc->detect->at : now, fp ? (long long)fp->when : 0, fp ? sending_ip(fp) : NULL,
	    campaign};
	return pc_custody_record(m, sc->detect->dns, &f);
}

char *pc_scan_custody(pc_scanner *sc, const pc_msg *m, const char *bytes, size_t n)
{
	char hex[PC_SHA256_HEX];
	pc_fingerprint fp;
	bool have = pc_fingerprint_make((pc_msg *)m, &fp) == 0;
	long long campaign = m->campaign ? strtoll(m->campaign, NULL, 10) : 0;
	return custody_of(sc, m, have ? &fp : NULL, campaign, bytes, n, hex);
}

/* The custody record and, while retention keeps them, the original
 * bytes, in the message's campaign transaction. A failure is the
 * store's: campaign.error, like the campaign's own. */
static int keep_custody(pc_scanner *sc, pc_msg *m, const pc_fingerprint *fp, long long campaign, const char *bytes,
                        size_t n)
{
	const pc_config *c = sc->config;
	if (!c->evidence_custody)
		return 0;
	char hex[PC_SHA256_HEX];
	char *rec = custody_of(sc, m, fp, campaign, bytes, n, hex);
	if (!rec)
		return -1;
	pc_custody cu = {hex,
	                 campaign,
	                 m->source,
	                 m->message_id ? m->message_id : "",
	                 sc->detect->at ? (time_t)sc->detect->at : time(NULL),
	                 rec,
	                 c->evidence_keep_originals ? bytes : NULL,
	                 c->evidence_keep_originals ? n : 0,
	                 c->evidence_keep_originals};
	int rc = pc_store_custody_put(sc->detect->store, &cu);
	free(rec);
	return rc;
}

/* Retention of originals, at most once an hour per scanner and a bounded
 * number of rows each time (the message waits for none of the rest). */
static void prune_originals(pc_scanner *sc)
{
	time_t now = time(NULL);
	if (!sc->config->evidence_custody || now - sc->pruned < 3600)
		return;
	sc->pruned = now;
	long dropped;
	pc_store_custody_prune(sc->detect->store, now - (time_t)sc->config->evidence_originals_days * 86400, 2000,
	                       &dropped);
}

static void decide(pc_scanner *sc, pc_msg *m, const char *bytes, size_t n)
{
	struct pc_store *st = sc->detect->store;
	pc_fingerprint fp; /* the step keeps pointers into it */
	pc_campaign_step cs;
	int judged = 0;
	bool have_fp = false;
	if (st && !sc->rescan && sc->config->campaign_enabled) {
		have_fp = pc_fingerprint_make(m, &fp) == 0;
		judged = pc_campaign_judge(st, m, &fp, &cs);
		if (judged < 0)
			campaign_error(sc, m);
	}
	if (sc->check && !sc->rescan) {
		if (!have_fp && !(st && sc->config->campaign_enabled))
			have_fp = pc_fingerprint_make(m, &fp) == 0;
		unsigned char d[PC_SHA256_LEN];
		sc->check(sc->check_ctx, m, have_fp ? &fp : NULL, pc_scan_sha256(sc, bytes, n, d) == 0 ? d : NULL);
	}
	pc_policy_decide(m);
	if (judged == 0 && st && !sc->rescan && sc->config->evidence_custody) {
		/* no campaign (too little text, campaigns off): the custody alone */
		if (!have_fp)
			have_fp = pc_fingerprint_make(m, &fp) == 0;
		if (pc_store_begin(st) != 0 || keep_custody(sc, m, have_fp ? &fp : NULL, 0, bytes, n) != 0 ||
		    pc_store_commit(st) != 0) {
			pc_store_rollback(st);
			pc_finding *f = pc_msg_finding(m, PC_FINDING_HISTORY_ERROR, "history.error", 0.0,
			                               "custody record could not be stored");
			pc_finding_ev(m, f, "error",
			              pc_arena_utf8(m->arena, pc_store_error(st), strlen(pc_store_error(st))));
		}
		prune_originals(sc);
	}
	if (judged <= 0)
		return;
	/* A shared store (PostgreSQL): the campaign's transaction holds locks
	 * other nodes' copies of the template wait for (store/pg_campaign.c),
	 * so the custody record and its original (up to the message's size)
	 * go in a transaction of their own after it. One file (SQLite): in the
	 * same transaction, one commit per message. */
	bool apart = !strcmp(pc_store_backend(st), "postgresql");
	int rc = pc_campaign_record(st, m, &cs);
	if (rc == 1)
		pc_policy_decide(m);
	if (rc >= 0 && !apart && keep_custody(sc, m, &fp, cs.id, bytes, n) != 0) {
		pc_store_rollback(st);
		rc = -1;
	}
	if (rc < 0 || pc_campaign_commit(st, m, &cs) != 0) {
		campaign_error(sc, m);
		pc_policy_decide(m);
		return;
	}
	if (apart &&
	    (pc_store_begin(st) != 0 || keep_custody(sc, m, &fp, cs.id, bytes, n) != 0 || pc_store_commit(st) != 0)) {
		pc_store_rollback(st);
		pc_finding *f = pc_msg_finding(m, PC_FINDING_HISTORY_ERROR, "history.error", 0.0,
		                               "custody record could not be stored");
		pc_finding_ev(m, f, "error", pc_arena_utf8(m->arena, pc_store_error(st), strlen(pc_store_error(st))));
	}
	prune_originals(sc);
}

void pc_scan_store_lost(pc_scanner *sc)
{
	pc_msg *m = &sc->msg;
	if (!sc->detect->store)
		return;
	m->campaign = NULL; /* a campaign it made is gone, and it is no member of another */
	campaign_error(sc, m);
	pc_policy_decide(m);
}

int pc_scan_fingerprint(pc_scanner *sc, pc_fingerprint *fp)
{
	return pc_fingerprint_make(&sc->msg, fp);
}

/* The parse results of one message may take limits.arena, but never more
 * than 8 MB + 2 bytes per byte of the message (the text kept for the
 * rewriter is at most its decoded size, a little more after a charset
 * conversion): the corpus's messages use at most 3 MB, and at most 9
 * bytes per byte beyond 50 kB (1.7 MB for 196 kB), while a small message
 * built to amplify (a URL cut into thousands of parts, a long <base>
 * joined to each relative URL) took 64 MB, and its JSON line a copy of
 * that (tests/bombs_test.py: peak RSS within 64 MB + 4 times the message). */
#define ARENA_BASE ((size_t)8 << 20)
#define ARENA_PER_BYTE 2

static size_t arena_ceiling(const pc_config *c, size_t n)
{
	size_t room = n < (SIZE_MAX - ARENA_BASE) / ARENA_PER_BYTE ? ARENA_BASE + ARENA_PER_BYTE * n : SIZE_MAX;
	return room < c->limits.arena ? room : c->limits.arena;
}

const pc_msg *pc_scan(pc_scanner *sc, const char *bytes, size_t n, const char *source, const char *const *rcpt,
                      size_t nrcpt)
{
	pc_arena_reset(sc->arena);
	pc_arena_set_ceiling(sc->arena, arena_ceiling(sc->config, n));
	sc->have_sha = false;
	pc_msg *m = &sc->msg;
	memset(m, 0, sizeof *m);
	m->arena = sc->arena;
	m->config = sc->config;
	m->source = pc_arena_utf8(sc->arena, source ? source : "-", source ? strlen(source) : 1);
	m->keep_for_rewrite = sc->keep;
	m->env.client_ip = env_copy(sc->arena, sc->env_ip);
	m->env.helo = env_copy(sc->arena, sc->env_helo);
	m->env.mail_from = env_copy(sc->arena, sc->env_from);
	pc_msg_budget_start(m);
	m->sketch = pc_arena_alloc(sc->arena, sizeof *m->sketch);
	if (m->sketch)
		pc_sketch_init(m->sketch);
	pc_mime_parse(sc->mime, m, bytes, n, on_body, sc);
	if (m->raw_base <= n) {
		m->raw = bytes + m->raw_base;
		m->rawn = n - m->raw_base;
	}
	pc_identity_recipients(m, rcpt, nrcpt);
	if (sc->detect->store) /* what only a store uses: a hash of the message */
		pc_msg_delivery_key(m);
	pc_authres_extract(m);
	m->rescan = sc->rescan;
	pc_dns_forget(sc->detect->dns);
	pc_detect_run(sc->detectors, m);
	pc_msg_out_of_time(m); /* over the budget by the end: a limit too */
	m->raw = NULL;         /* the caller's bytes: not valid after the scan */
	m->rawn = 0;
	if (pc_arena_full(sc->arena)) {
		pc_finding *f = pc_msg_limit(m, "arena", sc->config->limits.arena, "parse results were cut short");
		pc_finding_ev(m, f, "ceiling", pc_arena_printf(m->arena, "%zu", pc_arena_ceiling(sc->arena)));
	}
	decide(sc, m, bytes, n);
	/* act/store: delivered senders become familiar (not in the rescans
	 * of pc_neutralise, which run without the store) */
	if (sc->detect->store && pc_history_remember(sc->detect->store, m, time(NULL)) != 0) {
		pc_finding *f = pc_msg_finding(m, PC_FINDING_HISTORY_ERROR, "history.error", 0.0,
		                               "history store could not be written");
		pc_finding_ev(m, f, "error",
		              pc_arena_utf8(m->arena, pc_store_error(sc->detect->store),
		                            strlen(pc_store_error(sc->detect->store))));
	}
	return m;
}

int pc_neutralise(pc_scanner *sc, const pc_msg *m, const char *bytes, size_t n, const char *const *rcpt, size_t nrcpt,
                  char **out, size_t *outn, pc_rewrite_stats *st)
{
	*out = NULL;
	*outn = 0;
	int rc = pc_rewrite(m, bytes, n, out, outn, st);
	/* the source name lives in the arena the next scan resets */
	char source[256];
	snprintf(source, sizeof source, "%s", m->source ? m->source : "-");
	/* The rescans judge only what the rewrite changed: no DNS (the copy's
	 * DKIM no longer verifies, and the sender was checked already), no
	 * history (the message was counted once), and the rewriter leaves the
	 * Authentication-Results header of the first pass alone. */
	struct pc_dns *dns = sc->detect->dns;
	struct pc_store *store = sc->detect->store;
	sc->detect->dns = NULL;
	sc->detect->store = NULL;
	for (int pass = 1; rc == 1 && pass < PC_NEUTRALISE_PASSES; pass++) {
		sc->rescan = true;
		const pc_msg *m2 = pc_scan(sc, *out, *outn, source, rcpt, nrcpt);
		sc->rescan = false;
		char *out2 = NULL;
		size_t outn2 = 0;
		pc_rewrite_stats st2 = *st;
		int rc2 = m2 ? pc_rewrite(m2, *out, *outn, &out2, &outn2, &st2) : -1;
		if (rc2 != 1) /* converged, or an error: keep what the earlier passes made */
			break;
		free(*out);
		*out = out2;
		*outn = outn2;
		*st = st2;
	}
	sc->detect->dns = dns;
	sc->detect->store = store;
	return rc;
}
