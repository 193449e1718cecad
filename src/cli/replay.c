/*
 * NAME
 *   replay - the replay command: record in the store what the milter
 *   delivered while the store was unavailable
 * SYNOPSIS
 *   portcullis replay [--config FILE] [--db STORE] [--journal DIR]
 * DESCRIPTION
 *   With `[store] on_error = deliver` and `[store] journal = DIR`, a
 *   message whose scan met a store error is delivered and kept in DIR
 *   first (act/quarantine.h's format: the bytes as they came and the SMTP
 *   envelope). Run when the store is back (by hand, or by
 *   contrib/portcullis-replay.timer), replay scans each kept message
 *   again with its envelope and its milter source, so the store records
 *   it (history, campaign member, custody) as if the store had been there,
 *   then removes it from DIR. A message whose first scan had already been
 *   recorded is found again by its delivery key (store.h) and counted
 *   once. A message the store refuses is kept for the next run; three in a
 *   row mean the store is still failing, and the rest is kept too. A message now judged quarantine was delivered: the
 * line says so, with the command that removes the delivered copies. Exit: 0 all replayed (or none kept), 1 some kept, 2
 * usage or setup.
 */
#include "cli/replay.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act/qmeta.h"
#include "act/quarantine.h"
#include "app/options.h"
#include "app/resources.h"
#include "core/msg.h"
#include "pipeline/pipeline.h"
#include "store/store.h"

static const char usage[] = "usage: portcullis replay [options]\n"
                            "\n"
                            "Records in the store the messages the milter delivered while the store was\n"
                            "unavailable ([store] on_error = deliver with [store] journal), then removes\n"
                            "them from the journal. Safe to run again: a message is counted once.\n"
                            "\n"
                            "Options:\n"
                            "  -c, --config FILE    read settings from FILE\n"
                            "  -d, --db STORE       the store (default: the configured one)\n"
                            "  -j, --journal DIR    the journal (default: [store] journal)\n"
                            "  -h, --help           this text\n";

typedef struct ids {
	char **v;
	size_t n, cap;
} ids;

static int collect(void *ctx, const char *qid, const char *meta)
{
	(void)meta;
	ids *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		char **v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return 1;
		l->v = v;
		l->cap = cap;
	}
	return (l->v[l->n] = strdup(qid)) ? (l->n++, 0) : 1;
}

static bool store_failed(const pc_msg *m)
{
	for (size_t i = 0; i < m->findings.n; i++) {
		const pc_finding *f = m->findings.v[i];
		if (f->kind == PC_FINDING_HISTORY_ERROR || f->kind == PC_FINDING_CAMPAIGN_ERROR)
			return true;
	}
	return false;
}

static const char *meta_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? s : NULL;
}

/* One kept message scanned again: 0 recorded (and removed), 1 the store
 * failed (kept), -1 unreadable (kept, said). */
static int replay_one(pc_scanner *sc, const char *dir, const char *jid)
{
	char err[512];
	char *bytes = NULL, *meta_text = NULL;
	size_t n = 0;
	if (pc_quarantine_get(dir, jid, &bytes, &n, &meta_text, err, sizeof err) != 0) {
		fprintf(stderr, "portcullis: replay %s: %s\n", jid, err);
		return -1;
	}
	const char *problem = NULL;
	json_t *meta = pc_qmeta_parse(meta_text, &problem);
	const char **rcpt = NULL;
	long nrcpt = pc_qmeta_rcpt(meta, &rcpt);
	pc_envelope env = {meta_str(meta, "client_ip"), meta_str(meta, "helo"), meta_str(meta, "mail_from")};
	pc_scanner_set_envelope(sc, &env);
	/* the source the milter's worker gave it: "milter:QUEUEID" */
	const char *qid = meta_str(meta, "queue_id") ? meta_str(meta, "queue_id") : meta_str(meta, "ref");
	char source[160];
	snprintf(source, sizeof source, "milter:%s", qid ? qid : "-");
	const pc_msg *m = pc_scan(sc, bytes, n, source, rcpt, nrcpt > 0 ? (size_t)nrcpt : 0);
	int rc = 0;
	if (!m || store_failed(m)) {
		fprintf(stderr, "portcullis: replay %s: the store failed; kept for the next run\n", jid);
		rc = 1;
	} else {
		printf("replayed %s (%s): %s%s%s\n", jid, source, pc_action_name(m->verdict),
		       m->campaign ? ", campaign " : "", m->campaign ? m->campaign : "");
		if (m->verdict >= PC_ACTION_QUARANTINE)
			printf("  delivered while the store was down, now judged %s: portcullis hunt%s%s --purge "
			       "MAILBOXES removes the delivered copies\n",
			       pc_action_name(m->verdict), m->campaign ? " --campaign " : "",
			       m->campaign ? m->campaign : "");
		if (pc_quarantine_remove(dir, jid, err, sizeof err) != 0) {
			fprintf(stderr, "portcullis: replay %s: recorded, but not removed from the journal: %s\n", jid,
			        err);
			rc = -1;
		}
	}
	free(rcpt);
	json_decref(meta);
	free(bytes);
	free(meta_text);
	return rc;
}

int pc_cli_replay(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"db", required_argument, NULL, 'd'},
	                                     {"journal", required_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *config = NULL, *db = NULL, *dir = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "c:d:j:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			config = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'j':
			dir = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	pc_config cfg;
	pc_config_defaults(&cfg);
	int rc = 2;
	pc_resources res;
	memset(&res, 0, sizeof res);
	pc_scanner *sc = NULL;
	ids l = {0};
	char err[1024];
	if (pc_cli_config(&cfg, config, NULL, 0) != 0)
		goto out;
	if (db)
		snprintf(cfg.history_db, sizeof cfg.history_db, "%s", db);
	if (!dir)
		dir = cfg.store_journal[0] ? cfg.store_journal : NULL;
	if (!dir || !cfg.history_db[0]) {
		fprintf(stderr, "portcullis: replay needs a journal ([store] journal or --journal) and a store\n");
		goto out;
	}
	if (pc_quarantine_list(dir, collect, &l, err, sizeof err) != 0) {
		fprintf(stderr, "portcullis: journal %s: %s\n", dir, err);
		goto out;
	}
	if (!l.n) {
		printf("journal %s: nothing to replay\n", dir);
		rc = 0;
		goto out;
	}
	/* the envelope's client is known: SPF/DKIM/DMARC are checked again
	 * with the configured resolver, as the milter did */
	if (pc_resources_open(&cfg, PC_RES_STORE | PC_RES_STORE_LAZY | PC_RES_DNS, &res, err, sizeof err) != 0) {
		pc_resources_complain(err);
		goto out;
	}
	if (!(sc = pc_resources_scanner(&cfg, &res))) {
		fprintf(stderr, "portcullis: cannot create scanner (out of memory)\n");
		goto out;
	}
	size_t done = 0, kept = 0, failing = 0;
	for (size_t i = 0; i < l.n; i++) {
		int r = replay_one(sc, dir, l.v[i]);
		if (r == 0)
			done++;
		else
			kept++;
		/* one message the store refuses does not hold up the rest; three
		 * in a row: the store is still failing, the rest waits */
		failing = r == 1 ? failing + 1 : 0;
		if (failing == 3) {
			kept += l.n - i - 1;
			break;
		}
	}
	printf("journal %s: %zu replayed, %zu kept\n", dir, done, kept);
	rc = kept ? 1 : 0;
out:
	pc_scanner_free(sc);
	pc_resources_close(&res);
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	pc_config_free(&cfg);
	return rc;
}
