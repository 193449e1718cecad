/*
 * NAME
 *   evidence - the evidence command: verify kept messages, export campaigns
 * SYNOPSIS
 *   portcullis evidence verify [--json] ITEM...
 *       ITEM: a quarantine QID, a message SHA-256, or campaign:ID
 *   portcullis evidence export CAMPAIGN --format stix|misp|html|pdf [--output FILE]
 *       [--recipients none|hashed|clear] [--include-bodies] [--tlp TLP]
 *   (each with [-c FILE] [-s KEY=VALUE]... [--db FILE] [--dir DIR])
 * DESCRIPTION
 *   verify re-checks each message against its custody record
 *   (evidence/verify.h): a QID is read from the quarantine (its .eml and
 *   the "custody" of its metadata); a SHA-256 or campaign:ID from the
 *   store's custody rows whose original bytes are still kept. It prints,
 *   per message, whether the bytes are those received and whether each
 *   SPF, DKIM and DMARC result of ours is reproduced from the recorded DNS
 *   answers alone. Exit status 0 when everything holds, 1 when something
 *   does not (or a message's bytes or record are gone), 2 for usage.
 *
 *   export renders one campaign (evidence/case.h) as a STIX 2.1 bundle,
 *   a MISP event, a self-contained HTML report or its PDF (headless
 *   Chromium), to --output or standard output (PDF needs --output).
 *   Recipients are hashed by default (--recipients).
 *
 *   Text output passes text from mail through core/safetext.h.
 */
#include "cli/evidence.h"

#include <getopt.h>
#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act/qmeta.h"
#include "act/quarantine.h"
#include "app/options.h"
#include "core/safetext.h"
#include "evidence/case.h"
#include "evidence/export.h"
#include "evidence/verify.h"
#include "pipeline/pipeline.h"
#include "store/store.h"

static const char usage[] = "usage: portcullis evidence verify [--json] ITEM...\n"
                            "         ITEM: a quarantine QID, a message SHA-256, or campaign:ID\n"
                            "       portcullis evidence export CAMPAIGN --format stix|misp|html|pdf [--output FILE]\n"
                            "         [--recipients none|hashed|clear] [--include-bodies] [--tlp TLP]\n"
                            "  options: [-c FILE] [-s KEY=VALUE]... [--db FILE] [--dir QUARANTINE]\n";

typedef struct vctx {
	const pc_config *cfg;
	bool json;
	long checked, failed;
	const char *label;
} vctx;

/* before, the text made safe, after */
static void say3(const char *before, const char *s, const char *after)
{
	char *t = pc_safetext_str(s);
	printf("%s%s%s", before, t, after);
	g_free(t);
}

/* One message: its bytes against its record, printed. */
static void verify_one(vctx *v, const char *label, const char *bytes, size_t n, const json_t *record)
{
	char err[256];
	v->checked++;
	json_t *r = record && bytes ? pc_evidence_verify(v->cfg, bytes, n, record, err, sizeof err) : NULL;
	if (!r) {
		v->failed++;
		const char *why = !record ? "no custody record" : !bytes ? "original bytes not kept" : err;
		if (v->json) {
			json_t *o = json_pack("{s:s,s:b,s:s}", "item", label, "holds", 0, "error", why);
			char *t = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
			puts(t ? t : "{}");
			free(t);
			json_decref(o);
		} else {
			say3("", label, ": ");
			printf("cannot verify: %s\n", why);
		}
		return;
	}
	bool holds = json_is_true(json_object_get(r, "holds"));
	if (!holds)
		v->failed++;
	if (v->json) {
		json_object_set_new(r, "item", json_string(label));
		char *t = json_dumps(r, JSON_COMPACT | JSON_ENSURE_ASCII);
		puts(t ? t : "{}");
		free(t);
		json_decref(r);
		return;
	}
	const json_t *sha = json_object_get(r, "sha256");
	say3("", label, "\n");
	if (json_is_true(json_object_get(sha, "holds")))
		printf("  bytes: the ones received (sha256 %s): holds\n", pc_qmeta_str(sha, "actual"));
	else
		printf("  bytes: CHANGED since they were received (sha256 then %s, now %s): does not hold\n",
		       pc_qmeta_str(sha, "recorded"), pc_qmeta_str(sha, "actual"));
	const json_t *dns = json_object_get(r, "dns");
	printf("  DNS answers recorded: %lld (asked offline only; questions with no recorded answer: %lld)\n",
	       (long long)json_integer_value(json_object_get(dns, "recorded")),
	       (long long)json_integer_value(json_object_get(dns, "unrecorded_questions")));
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(r, "checks"), i, c)
	{
		const char *m = pc_qmeta_str(c, "method");
		printf("  %s", m ? m : "?");
		if (pc_qmeta_str(c, "domain"))
			say3(" ", pc_qmeta_str(c, "domain"), "");
		if (pc_qmeta_str(c, "selector"))
			say3(" s=", pc_qmeta_str(c, "selector"), "");
		if (pc_qmeta_str(c, "identity"))
			say3(" (", pc_qmeta_str(c, "identity"), ")");
		const char *was = pc_qmeta_str(c, "recorded"), *now = pc_qmeta_str(c, "now");
		printf(": %s then, %s now", was ? was : "?", now ? now : "not checked");
		if (pc_qmeta_str(c, "reason") && !json_is_true(json_object_get(c, "holds")))
			say3(" (", pc_qmeta_str(c, "reason"), ")");
		printf(": %s\n", json_is_true(json_object_get(c, "holds")) ? "holds" : "DOES NOT HOLD");
	}
	json_array_foreach(json_object_get(r, "upstream"), i, c)
	{
		printf("  %s", pc_qmeta_str(c, "method") ? pc_qmeta_str(c, "method") : "?");
		say3(" ", pc_qmeta_str(c, "result") ? pc_qmeta_str(c, "result") : "?", "");
		say3(" as reported by ", pc_qmeta_str(c, "source") ? pc_qmeta_str(c, "source") : "?",
		     " (not re-checkable here)\n");
	}
	printf("  => %s\n", holds ? "everything recorded still holds" : "something does not hold");
	json_decref(r);
}

static int from_store(void *ctx, const pc_custody *c)
{
	vctx *v = ctx;
	json_error_t e;
	json_t *rec = json_loads(c->record, 0, &e);
	char label[200];
	snprintf(label, sizeof label, "%s %s", v->label, c->sha256);
	verify_one(v, label, c->original, c->original ? c->n : 0, rec);
	json_decref(rec);
	return 0;
}

static bool is_hex64(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!g_ascii_isxdigit(s[n]))
			return false;
	return n == 64;
}

static int verify(const pc_config *cfg, const char *db, const char *dir, bool json, char **items, int n)
{
	vctx v = {cfg, json, 0, 0, NULL};
	pc_store *st = NULL;
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		const char *it = items[i];
		long long campaign = 0;
		if (!strncmp(it, "campaign:", 9)) {
			char *end = NULL;
			campaign = strtoll(it + 9, &end, 10);
			if (campaign <= 0 || *end) {
				fprintf(stderr, "portcullis: evidence verify: bad campaign \"%s\"\n", it);
				rc = 2;
				break;
			}
		}
		if (campaign || is_hex64(it)) {
			if (!st && !(st = pc_cli_store(cfg, db))) {
				rc = 2;
				break;
			}
			char lower[65];
			snprintf(lower, sizeof lower, "%s", it);
			for (char *p = lower; *p; p++)
				*p = g_ascii_tolower(*p);
			long before = v.checked;
			v.label = campaign ? it : "message";
			if (pc_store_custody_list(st, campaign, campaign ? NULL : lower, true, from_store, &v) != 0) {
				fprintf(stderr, "portcullis: store: %s\n", pc_store_error(st));
				rc = 2;
				break;
			}
			if (v.checked == before) {
				fprintf(stderr, "portcullis: evidence verify: %s: no custody record in the store\n",
				        it);
				v.failed++;
			}
			continue;
		}
		if (!pc_quarantine_qid_valid(it)) {
			fprintf(stderr, "portcullis: evidence verify: \"%s\" is not a QID, a SHA-256 or campaign:ID\n",
			        it);
			rc = 2;
			break;
		}
		const char *qdir = dir ? dir : cfg->quarantine_dir;
		if (!*qdir) {
			fprintf(stderr,
			        "portcullis: evidence verify %s: no quarantine directory (--dir or [quarantine] "
			        "directory)\n",
			        it);
			rc = 2;
			break;
		}
		char *bytes = NULL, *meta = NULL, err[512];
		size_t len = 0;
		if (pc_quarantine_get(qdir, it, &bytes, &len, &meta, err, sizeof err) != 0) {
			fprintf(stderr, "portcullis: %s\n", err);
			v.failed++;
			continue;
		}
		const char *problem;
		json_t *o = pc_qmeta_parse(meta, &problem);
		const json_t *rec = json_object_get(o, "custody");
		verify_one(&v, it, bytes, len, json_is_object(rec) ? rec : NULL);
		json_decref(o);
		free(bytes);
		free(meta);
	}
	pc_store_close(st);
	if (rc)
		return rc;
	if (!json)
		printf("%ld checked, %ld hold, %ld do not\n", v.checked, v.checked - v.failed, v.failed);
	return v.failed ? 1 : 0;
}

static int export_campaign(const pc_config *cfg, const char *db, const char *what, const pc_export_opts *eo)
{
	char *end = NULL;
	long long id = strtoll(what, &end, 10);
	if (id <= 0 || *end) {
		fprintf(stderr, "portcullis: evidence export: \"%s\" is not a campaign ID\n", what);
		return 2;
	}
	if (!eo->format) {
		fprintf(stderr, "portcullis: evidence export: --format stix, misp, html or pdf is needed\n");
		return 2;
	}
	pc_store *st = pc_cli_store(cfg, db);
	if (!st)
		return 2;
	char err[512];
	int rc = pc_evidence_export(st, id, eo, err, sizeof err);
	if (rc != 0)
		fprintf(stderr, "portcullis: evidence export %lld: %s\n", id, err);
	pc_store_close(st);
	return rc ? (rc < 0 ? 1 : 2) : 0;
}

int pc_cli_evidence(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},       {"dir", required_argument, NULL, 'D'},
	    {"config", required_argument, NULL, 'c'},   {"set", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},           {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},   {"recipients", required_argument, NULL, 'r'},
	    {"include-bodies", no_argument, NULL, 'B'}, {"tlp", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
	const char *db = NULL, *dir = NULL, *config = NULL, *format = NULL, *output = NULL;
	char *sets[PC_CLI_MAX_SETS];
	size_t nsets = 0;
	bool json = false, bodies = false;
	pc_case_rcpt rcpt = PC_CASE_RCPT_HASHED;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:D:c:s:jf:o:r:Bt:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'D':
			dir = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 's':
			if (pc_cli_add_set(sets, &nsets, optarg) != 0)
				return 2;
			break;
		case 'j':
			json = true;
			break;
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'r':
			if (!strcmp(optarg, "none"))
				rcpt = PC_CASE_RCPT_NONE;
			else if (!strcmp(optarg, "hashed"))
				rcpt = PC_CASE_RCPT_HASHED;
			else if (!strcmp(optarg, "clear"))
				rcpt = PC_CASE_RCPT_CLEAR;
			else {
				fprintf(stderr, "portcullis: --recipients %s: expected none, hashed or clear\n",
				        optarg);
				return 2;
			}
			break;
		case 'B':
			bodies = true;
			break;
		case 't': { /* checked like the setting it is */
			static char tlpset[64];
			snprintf(tlpset, sizeof tlpset, "evidence.tlp=%.40s", optarg);
			if (pc_cli_add_set(sets, &nsets, tlpset) != 0)
				return 2;
			break;
		}
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	const char *sub = optind < argc ? argv[optind] : NULL;
	if (!sub || (strcmp(sub, "verify") && strcmp(sub, "export"))) {
		fprintf(stderr, "portcullis: evidence: expected verify or export\n%s", usage);
		return 2;
	}
	if (optind + 1 >= argc) {
		fprintf(stderr, "portcullis: evidence %s: nothing given\n%s", sub, usage);
		return 2;
	}
	pc_config cfg;
	pc_config_defaults(&cfg);
	int rc = 2;
	if (pc_cli_config(&cfg, config, sets, nsets) != 0)
		goto out;
	pc_pipeline_global_init();
	if (!strcmp(sub, "verify")) {
		rc = verify(&cfg, db, dir, json, argv + optind + 1, argc - optind - 1);
	} else {
		pc_export_opts eo = {.format = format,
		                     .output = output,
		                     .case_opts = {.recipients = rcpt,
		                                   .org = cfg.evidence_org[0] ? cfg.evidence_org : NULL,
		                                   .contact = cfg.evidence_contact[0] ? cfg.evidence_contact : NULL,
		                                   .tlp = cfg.evidence_tlp,
		                                   .include_bodies = bodies,
		                                   .config = &cfg},
		                     .quarantine_dir = dir ? dir : cfg.quarantine_dir,
		                     .chromium = cfg.evidence_chromium[0] ? cfg.evidence_chromium : NULL};
		rc = export_campaign(&cfg, db, argv[optind + 1], &eo);
	}
out:
	pc_config_free(&cfg);
	return rc;
}
