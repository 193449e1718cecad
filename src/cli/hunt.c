/*
 * NAME
 *   hunt - find the members of malicious campaigns, or indicators, in
 *   stored mailboxes; with --purge, move them into quarantine
 * SYNOPSIS
 *   portcullis hunt [--campaign ID | --ioc FILE] [--purge --quarantine DIR]
 *                   [--db FILE] [--config FILE] PATH...
 * DESCRIPTION
 *   Every message under PATH (Maildirs, mboxes, .eml files, directories:
 *   the same walk as scan) is scanned without recording anything, then
 *   matched: against one campaign (--campaign ID: a member by Message-ID,
 *   or a message whose fingerprint joins it), against every campaign marked
 *   malicious (the default), or against indicators (--ioc FILE, see
 *   hunt/ioc.h). One JSON line per match on stdout; progress and a
 *   summary on stderr.
 *
 *   --purge moves each match into the quarantine directory, and only once
 *   the copy is durable (written, fsync'd, renamed: act/quarantine.h)
 *   removes the original: a Maildir or .eml file is unlinked after its
 *   content is checked again; an mbox is rewritten without the matched
 *   messages under the delivery agents' locks, after checking each one is
 *   still there unchanged (act/purge.h), once the walk has left the file.
 *   If removal fails the message stays where it was and the quarantine
 *   copy is kept: a message may then exist twice, never zero times. Every
 *   purge is an audit record in the store, with who ran it.
 *   Exit status: 0 when every path was read (and every purge done), 2 on
 *   usage errors, unreadable paths or failed purges.
 */
#include "cli/hunt.h"

#include <getopt.h>
#include <glib.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "act/purge.h"
#include "act/qmeta.h"
#include "act/quarantine.h"
#include "campaign/cluster.h"
#include "hunt/ioc.h"
#include "app/resources.h"
#include "app/jsonw.h"
#include "app/options.h"
#include "cli/source.h"
#include "core/sha256.h"
#include "detect/lib/trackerlist.h"
#include "pipeline/pipeline.h"
#include "store/store.h"

static const char usage[] = "usage: portcullis hunt [options] PATH...\n"
                            "\n"
                            "Find members of malicious campaigns (or of one campaign, or messages\n"
                            "matching indicators) in Maildirs, mboxes, .eml files and directories.\n"
                            "Prints one JSON line per match; progress and a summary on stderr.\n"
                            "\n"
                            "Options:\n"
                            "  -C, --campaign ID      members of this campaign (default: every campaign\n"
                            "                         marked malicious)\n"
                            "  -i, --ioc FILE         messages matching these indicators (text, one per\n"
                            "                         line, or a STIX 2.1 bundle) instead of campaigns\n"
                            "  -p, --purge            move every match into the quarantine, then remove\n"
                            "                         it from its mailbox (audit record in the store)\n"
                            "  -Q, --quarantine DIR   the quarantine directory (default: [quarantine]\n"
                            "                         directory of --config)\n"
                            "  -d, --db FILE          the store (default: [history] database)\n"
                            "  -c, --config FILE      read settings from FILE\n"
                            "  -s, --set KEY=VALUE    override one setting\n"
                            "  -P, --progress         progress on stderr even when it is not a terminal\n"
                            "  -q, --quiet            no progress and no summary\n"
                            "  -h, --help             this text\n"
                            "\n"
                            "Exit status: 0 all inputs read and purged, 2 usage error, unreadable path\n"
                            "or a failed purge (the message then stays in its mailbox).\n";

/* an mbox message to remove once the walk has left its file */
typedef struct pending {
	char *path, *source, *qid, *why;
	size_t index;
	unsigned char sha[32];
	long long campaign;
} pending;

typedef struct hunt {
	pc_scanner *sc;
	pc_store *st;
	const pc_config *cfg;
	pc_ioc *ioc;
	long long only;
	const char *qdir;
	bool purge, progress;
	size_t scanned, matched, purged, errors;
	pending *pend;
	size_t npend, cappend;
	long long seen[64]; /* campaigns matched, for the summary */
	size_t nseen, campaigns;
	struct timespec start, last;
	pc_jsonw w;
} hunt;

static double since(const struct timespec *a)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - a->tv_sec) + (double)(now.tv_nsec - a->tv_nsec) / 1e9;
}

/* Whether the message is what we hunt: 1 (why set), 0, -1 on error. */
static int match(hunt *h, const pc_msg *m, const char *bytes, size_t n, long long *campaign, const char **why)
{
	*campaign = 0;
	pc_fingerprint fp;
	pc_scan_fingerprint(h->sc, &fp);
	if (h->ioc) {
		unsigned char sha[32];
		if (pc_sha256(bytes, n, sha) != 0)
			return -1;
		return pc_ioc_match(h->ioc, m, &fp, sha, why) ? 1 : 0;
	}
	long long id = 0;
	if (pc_campaign_match(h->st, h->cfg, &fp, h->only, &id) != 0)
		return -1;
	if (!id)
		return 0;
	pc_campaign_rec r;
	if (pc_store_campaign_get(h->st, id, &r) != 1)
		return -1;
	if (!h->only && r.status != PC_CAMPAIGN_MALICIOUS)
		return 0;
	/* an automatic mark does not condemn an established sender's copy
	 * (a lookalike that copied a real newsletter is not the newsletter) */
	if (r.status == PC_CAMPAIGN_MALICIOUS && !r.analyst && pc_campaign_established(m, &fp))
		return 0;
	*campaign = id;
	*why = pc_arena_printf(m->arena, "campaign %lld (%s%s%s)", id,
	                       r.status == PC_CAMPAIGN_MALICIOUS ? "malicious"
	                       : r.status == PC_CAMPAIGN_BENIGN  ? "benign"
	                                                         : "open",
	                       *r.why ? ": " : "", r.why);
	return 1;
}

/* Paths and store text may hold any bytes: JSON gets valid UTF-8. */
static void kstr(pc_jsonw *w, const char *k, const char *v)
{
	pc_jsonw_key(w, k);
	if (!v || g_utf8_validate(v, -1, NULL)) {
		pc_jsonw_str(w, v);
		return;
	}
	char *c = g_utf8_make_valid(v, -1);
	pc_jsonw_str(w, c);
	g_free(c);
}

/* The quarantine metadata (act/qmeta.h): where the message was and why
 * it was taken. */
static char *meta(const pc_msg *m, const pc_source_pos *pos, const char *source, long long campaign, const char *why,
                  const unsigned char *sha)
{
	char s[PC_SHA256_HEX];
	pc_qmeta q = {.reason = "hunt",
	              .time = (long long)time(NULL),
	              .msg = m,
	              .source = source,
	              .mailbox = pos->path,
	              .index = pos->index,
	              .why = why,
	              .actor = pc_cli_actor(),
	              .campaign = campaign,
	              .sha256_in_mailbox = pc_sha256_hex(sha, s)};
	return pc_qmeta_json(&q);
}

static void audit(hunt *h, long long campaign, const char *source, const char *qid, const char *why)
{
	char detail[1024];
	snprintf(detail, sizeof detail, "moved to quarantine %s: %s", qid, why);
	if (pc_store_audit(h->st, time(NULL), pc_cli_actor(), "purge", campaign, source, detail) != 0)
		fprintf(stderr, "portcullis: %s: purged, but the audit record failed: %s\n", source,
		        pc_store_error(h->st));
}

static void report(hunt *h, const pc_msg *m, const char *source, const pc_source_pos *pos, long long campaign,
                   const char *why, const char *action, const char *qid, const char *error)
{
	pc_jsonw *w = &h->w;
	pc_jsonw_reset(w);
	pc_jsonw_obj(w);
	kstr(w, "source", source);
	kstr(w, "mailbox", pos ? pos->path : NULL);
	pc_jsonw_key(w, "campaign");
	if (campaign) {
		char id[32];
		snprintf(id, sizeof id, "%lld", campaign);
		pc_jsonw_str(w, id);
	} else {
		pc_jsonw_null(w);
	}
	kstr(w, "why", why);
	if (m) {
		kstr(w, "message_id", m->message_id);
		const pc_addr *from = m->from.n ? m->from.v[0] : NULL;
		kstr(w, "from", from ? from->addr : NULL);
		kstr(w, "subject", m->subject);
	}
	kstr(w, "action", action);
	kstr(w, "quarantine_id", qid);
	kstr(w, "error", error);
	pc_jsonw_end(w);
	if (!w->err) {
		fwrite(w->buf, 1, w->len, stdout);
		fputc('\n', stdout);
	}
}

static void progress(hunt *h, bool force)
{
	if (!h->progress)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double dt = (double)(now.tv_sec - h->last.tv_sec) + (double)(now.tv_nsec - h->last.tv_nsec) / 1e9;
	if (!force && dt < 0.5)
		return;
	h->last = now;
	double t = since(&h->start);
	fprintf(stderr, "\rhunt: %zu messages, %zu matched, %zu purged, %.0f msg/s   ", h->scanned, h->matched,
	        h->purged, t > 0 ? (double)h->scanned / t : 0);
	fflush(stderr);
}

static void on_message(void *ctx, const char *bytes, size_t n, const char *source, const pc_source_pos *pos)
{
	hunt *h = ctx;
	h->scanned++;
	if ((h->scanned & 31) == 0)
		progress(h, false);
	const pc_msg *m = pc_scan(h->sc, bytes, n, source, NULL, 0);
	if (!m) {
		fprintf(stderr, "portcullis: %s: out of memory\n", source);
		h->errors++;
		return;
	}
	long long campaign = 0;
	const char *why = NULL;
	int r = match(h, m, bytes, n, &campaign, &why);
	if (r < 0) {
		fprintf(stderr, "portcullis: %s: %s\n", source, h->st ? pc_store_error(h->st) : "cannot match");
		h->errors++;
		return;
	}
	if (!r)
		return;
	h->matched++;
	if (campaign) {
		bool known = false;
		for (size_t i = 0; i < h->nseen; i++)
			known |= h->seen[i] == campaign;
		if (!known) {
			h->campaigns++;
			if (h->nseen < sizeof h->seen / sizeof h->seen[0])
				h->seen[h->nseen++] = campaign;
		}
	}
	if (!h->purge) {
		report(h, m, source, pos, campaign, why, "found", NULL, NULL);
		return;
	}
	if (!strcmp(pos->path, "-")) {
		report(h, m, source, pos, campaign, why, "error", NULL, "standard input cannot be purged");
		h->errors++;
		return;
	}
	/* the digest of the bytes in the mailbox, checked again at removal */
	unsigned char sha[32];
	char qid[PC_QID_MAX], err[512];
	char *mj = NULL;
	if (pc_sha256(pos->raw, pos->rawn, sha) != 0 || !(mj = meta(m, pos, source, campaign, why, sha))) {
		report(h, m, source, pos, campaign, why, "error", NULL, "out of memory");
		h->errors++;
		free(mj);
		return;
	}
	int q = pc_quarantine_put(h->qdir, bytes, n, mj, qid, sizeof qid, err, sizeof err);
	free(mj);
	if (q != 0) { /* not durable: the original stays */
		report(h, m, source, pos, campaign, why, "error", NULL, err);
		h->errors++;
		return;
	}
	if (pos->index == 0) {
		if (pc_purge_file_checked(pos->path, sha, err, sizeof err) != 0) {
			report(h, m, source, pos, campaign, why, "error", qid, err);
			h->errors++;
			return;
		}
		audit(h, campaign, source, qid, why);
		h->purged++;
		report(h, m, source, pos, campaign, why, "purged", qid, NULL);
		return;
	}
	/* an mbox message: removed with its neighbours after the walk */
	if (h->npend == h->cappend) {
		size_t cap = h->cappend ? 2 * h->cappend : 64;
		pending *p = realloc(h->pend, cap * sizeof *p);
		if (!p) {
			report(h, m, source, pos, campaign, why, "error", qid, "out of memory: left in the mailbox");
			h->errors++;
			return;
		}
		h->pend = p;
		h->cappend = cap;
	}
	pending *p = &h->pend[h->npend];
	p->path = strdup(pos->path);
	p->source = strdup(source);
	p->qid = strdup(qid);
	p->why = strdup(why ? why : "");
	p->index = pos->index;
	p->campaign = campaign;
	memcpy(p->sha, sha, sizeof sha);
	if (!p->path || !p->source || !p->qid || !p->why) {
		free(p->path);
		free(p->source);
		free(p->qid);
		free(p->why);
		report(h, m, source, pos, campaign, why, "error", qid, "out of memory: left in the mailbox");
		h->errors++;
		return;
	}
	h->npend++;
}

static int by_path(const void *a, const void *b)
{
	const pending *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Each mbox with matches is rewritten once, without them. */
static void purge_mboxes(hunt *h)
{
	if (!h->npend)
		return;
	qsort(h->pend, h->npend, sizeof *h->pend, by_path);
	for (size_t i = 0; i < h->npend;) {
		size_t j = i;
		while (j < h->npend && !strcmp(h->pend[j].path, h->pend[i].path))
			j++;
		size_t k = j - i;
		size_t *which = malloc(k * sizeof *which);
		unsigned char(*shas)[32] = malloc(k * sizeof *shas);
		char err[512] = "out of memory";
		int rc = -1;
		if (which && shas) {
			for (size_t x = 0; x < k; x++) {
				which[x] = h->pend[i + x].index;
				memcpy(shas[x], h->pend[i + x].sha, 32);
			}
			rc =
			    pc_purge_mbox(h->pend[i].path, which, k, (const unsigned char(*)[32])shas, err, sizeof err);
		}
		for (size_t x = i; x < j; x++) {
			pending *p = &h->pend[x];
			pc_source_pos pos = {p->path, p->index, NULL, 0};
			if (rc == 0) {
				audit(h, p->campaign, p->source, p->qid, p->why);
				h->purged++;
				report(h, NULL, p->source, &pos, p->campaign, p->why, "purged", p->qid, NULL);
			} else {
				char e[700];
				snprintf(e, sizeof e, "%s (left in the mailbox; the quarantine copy is kept)", err);
				report(h, NULL, p->source, &pos, p->campaign, p->why, "error", p->qid, e);
				h->errors++;
			}
		}
		free(which);
		free(shas);
		i = j;
	}
}

int pc_cli_hunt(int argc, char **argv)
{
	static const struct option opts[] = {{"campaign", required_argument, NULL, 'C'},
	                                     {"ioc", required_argument, NULL, 'i'},
	                                     {"purge", no_argument, NULL, 'p'},
	                                     {"quarantine", required_argument, NULL, 'Q'},
	                                     {"db", required_argument, NULL, 'd'},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"set", required_argument, NULL, 's'},
	                                     {"progress", no_argument, NULL, 'P'},
	                                     {"quiet", no_argument, NULL, 'q'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *db = NULL, *config = NULL, *iocfile = NULL, *qdir = NULL;
	char *sets[PC_CLI_MAX_SETS];
	size_t nsets = 0;
	long long only = 0;
	bool purge = false, force_progress = false, quiet = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "C:i:pQ:d:c:s:Pqh", opts, NULL)) != -1) {
		switch (ch) {
		case 'C': {
			char *end = NULL;
			only = strtoll(optarg, &end, 10);
			if (!*optarg || *end || only <= 0) {
				fprintf(stderr, "portcullis: --campaign %s: expected a campaign ID\n", optarg);
				return 2;
			}
			break;
		}
		case 'i':
			iocfile = optarg;
			break;
		case 'p':
			purge = true;
			break;
		case 'Q':
			qdir = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 's':
			if (pc_cli_add_set(sets, &nsets, optarg) != 0)
				return 2;
			break;
		case 'P':
			force_progress = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (only && iocfile) {
		fprintf(stderr, "portcullis: hunt: --campaign and --ioc are alternatives\n");
		return 2;
	}
	pc_config cfg;
	pc_config_defaults(&cfg);
	hunt h;
	memset(&h, 0, sizeof h);
	pc_jsonw_init(&h.w);
	pc_resources res;
	memset(&res, 0, sizeof res);
	char err[1024];
	int rc = 2;
	if (pc_cli_config(&cfg, config, sets, nsets) != 0)
		goto out;
	if (purge && !qdir)
		qdir = cfg.quarantine_dir[0] ? cfg.quarantine_dir : NULL;
	if (purge && !qdir) {
		fprintf(stderr, "portcullis: hunt --purge: give --quarantine DIR or set [quarantine] directory\n");
		goto out;
	}
	/* campaigns live in the store; purges are audited there */
	if ((!iocfile || purge || db || cfg.history_db[0]) && !(h.st = pc_cli_store(&cfg, db)))
		goto out;
	if (iocfile) {
		if (!(h.ioc = pc_ioc_load(iocfile, err, sizeof err))) {
			fprintf(stderr, "portcullis: %s\n", err);
			goto out;
		}
		const char *first = NULL;
		size_t skipped = pc_ioc_skipped(h.ioc, &first);
		if (!quiet) {
			fprintf(stderr, "portcullis: %zu indicators from %s", pc_ioc_count(h.ioc), iocfile);
			if (skipped)
				fprintf(stderr, " (%zu skipped%s%s)", skipped, first ? ", e.g. " : "",
				        first ? first : "");
			fputc('\n', stderr);
		}
	}
	/* no store, no DNS: hunting records nothing and asks nobody */
	if (pc_resources_open(&cfg, 0, &res, err, sizeof err) != 0) {
		pc_resources_complain(err);
		goto out;
	}
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	if (!(h.sc = pc_resources_scanner(&cfg, &res))) {
		fprintf(stderr, "portcullis: cannot create scanner (out of memory)\n");
		goto out;
	}
	h.cfg = &cfg;
	h.only = only;
	h.purge = purge;
	h.qdir = qdir;
	h.progress = !quiet && (force_progress || isatty(STDERR_FILENO));
	if (only && h.st) {
		pc_campaign_rec r;
		int got = pc_store_campaign_get(h.st, only, &r);
		if (got <= 0) {
			fprintf(stderr, "portcullis: %s\n", got < 0 ? pc_store_error(h.st) : "no such campaign");
			goto out;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &h.start);
	h.last = h.start;
	pc_source_stats st = {0, 0, 0};
	pc_source_walk(argv + optind, (size_t)(argc - optind), on_message, &h, &st);
	purge_mboxes(&h);
	fflush(stdout);
	if (h.progress)
		fputs("\r\033[K", stderr);
	if (!quiet) {
		fprintf(stderr, "portcullis: hunt: %zu messages in %.2f s, %zu matched", h.scanned, since(&h.start),
		        h.matched);
		if (!iocfile)
			fprintf(stderr, " (%zu campaign%s)", h.campaigns, h.campaigns == 1 ? "" : "s");
		if (purge)
			fprintf(stderr, ", %zu purged into %s", h.purged, qdir);
		fprintf(stderr, "; %zu errors, %zu unreadable\n", h.errors, st.errors);
	}
	rc = st.errors || h.errors ? 2 : 0;
out:
	for (size_t i = 0; i < h.npend; i++) {
		free(h.pend[i].path);
		free(h.pend[i].source);
		free(h.pend[i].qid);
		free(h.pend[i].why);
	}
	free(h.pend);
	pc_jsonw_free(&h.w);
	pc_scanner_free(h.sc);
	pc_resources_close(&res);
	pc_ioc_free(h.ioc);
	pc_store_close(h.st);
	pc_config_free(&cfg);
	return rc;
}
