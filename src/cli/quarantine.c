/*
 * NAME
 *   quarantine - the quarantine command: list, show, release, delete, audit
 * SYNOPSIS
 *   portcullis quarantine [list] [--json]
 *   portcullis quarantine show QID [--json | --raw]
 *   portcullis quarantine release QID [--to ADDR]... [--reason TEXT]
 *   portcullis quarantine delete QID [--reason TEXT]
 *   portcullis quarantine audit [--json]
 *   (each with [-c FILE] [-s KEY=VALUE]... [--dir DIR] [--db FILE])
 * DESCRIPTION
 *   The analyst's and the administrator's view of the quarantine directory
 *   (act/quarantine.h) that the milter and `hunt --purge` fill. Entries are
 *   read through pc_quarantine_get/list; the metadata (QID.json) is read
 *   with jansson and may be missing, not JSON or not an object: such an
 *   entry is still listed, shown, released with --to, and deleted.
 *
 *   release re-injects the stored bytes unchanged with the recorded
 *   envelope ("mail_from", "rcpt"; --to replaces the recipients) through
 *   the [quarantine] sendmail command, or, for a message the milter left
 *   in Postfix's hold queue ("held": true, "queue_id"), runs the
 *   [quarantine] postsuper command with -H QUEUEID. No shell is involved:
 *   the configured command line is split on blanks and run with
 *   posix_spawn (act/qaction.h, act/run.h). Only a command that exits 0
 *   counts as a release; then the audit record is written and the entry
 *   removed. A failed attempt
 *   keeps the entry and is audited too, with the exit status and the start
 *   of the command's output. release and delete lock QID.eml (flock) so
 *   two administrators cannot release one message twice.
 *
 *   The audit log is in the store (store/store.h, with the campaigns' and
 *   hunt's records): release, delete and audit need one (--db FILE or
 *   [history] database) and refuse to run without it, so no release or
 *   delete goes unrecorded. A DIR/audit.log of earlier versions is kept
 *   as it is and named by `audit`.
 *
 *   Subjects, addresses and findings were written by whoever sent the
 *   mail: text output replaces control characters (C0, DEL, C1), bidi
 *   overrides, isolates and marks, and invalid UTF-8. --json output is
 *   ASCII (jansson escapes everything else).
 *
 *   Exit status: 0 done, 1 no such quarantined message, 2 usage error,
 *   invalid QID, unreadable directory, failed release or failed write.
 */
#include "cli/quarantine.h"

#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "act/qaction.h"
#include "act/qmeta.h"
#include "act/quarantine.h"
#include "app/jsonw.h"
#include "app/options.h"
#include "core/safetext.h"
#include "store/store.h"

#define MAX_TO 1000                /* --to given at most this often */
#define HEADER_SHOW_MAX (64 << 10) /* show prints at most this much of the header block */
#define EVIDENCE_SHOW_MAX 500      /* characters of one finding's evidence in show */

static const char usage[] =
    "usage: portcullis quarantine [list] [--json]          list quarantined messages, oldest first\n"
    "       portcullis quarantine show QID [--json|--raw]  metadata, findings and header block\n"
    "       portcullis quarantine release QID [--to ADDR]... [--reason TEXT]\n"
    "       portcullis quarantine delete QID [--reason TEXT]\n"
    "       portcullis quarantine audit [--json]           the release/delete audit log\n"
    "\n"
    "release re-injects the stored message unchanged with its original envelope\n"
    "(sender and recipients recorded by the milter) through [quarantine] sendmail;\n"
    "--to replaces the recipients (required when none were recorded, e.g. for\n"
    "hunt --purge entries). A message the milter left in Postfix's hold queue is\n"
    "released with [quarantine] postsuper -H QUEUEID instead. The entry is\n"
    "removed only when the command exits 0. Every release, failed release and\n"
    "delete is recorded in the audit log in the store (--db or [history]\n"
    "database); without a store they are refused.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE    read settings from FILE\n"
    "  -s, --set KEY=VALUE  override one setting (repeatable)\n"
    "      --dir DIR        the quarantine directory (default: [quarantine] directory)\n"
    "      --db FILE        the store with the audit log (default: [history] database)\n"
    "  -j, --json           list/show/audit: JSON (one object per line for list and\n"
    "                       audit; the metadata plus \"qid\" for show)\n"
    "      --raw            show: the stored message bytes exactly\n"
    "  -t, --to ADDR        release: deliver to ADDR instead (repeatable)\n"
    "  -r, --reason TEXT    release/delete: why, kept in the audit log\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 done, 1 no such quarantined message, 2 usage error or\n"
    "failure (a failed release keeps the message).\n";

/* ---- text for people ---- */

static char *clean(const char *s)
{
	return pc_safetext_str(s);
}

/* s (clean) cut to at most max characters, "…" marking a cut. g_free. */
static char *cut(const char *s, long max)
{
	if (g_utf8_strlen(s, -1) <= max)
		return g_strdup(s);
	char *head = g_utf8_substring(s, 0, max - 1);
	char *r = g_strconcat(head, "\xe2\x80\xa6", NULL);
	g_free(head);
	return r;
}

/* A column: s cleaned, cut and padded to width characters. */
static void column(FILE *out, const char *s, long width)
{
	char *c = clean(s), *t = cut(c, width);
	fputs(t, out);
	for (long k = g_utf8_strlen(t, -1); k < width + 2; k++)
		fputc(' ', out);
	g_free(c);
	g_free(t);
}

/* ---- metadata ---- */

static const char *mstr(const json_t *o, const char *key)
{
	return pc_qmeta_str(o, key);
}

/* "20261126T071503Z-..." -> "2026-11-26T07:15:03Z" (the QID's second) */
static void qid_time(const char *qid, char *buf, size_t len)
{
	snprintf(buf, len, "-");
	if (strlen(qid) < 16 || qid[8] != 'T' || qid[15] != 'Z')
		return;
	for (int i = 0; i < 15; i++)
		if (i != 8 && (qid[i] < '0' || qid[i] > '9'))
			return;
	snprintf(buf, len, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", qid, qid + 4, qid + 6, qid + 9, qid + 11, qid + 13);
}

/* The entry's metadata for --json: "qid" first, then the metadata's own
 * members (or "metadata_error"). One line, ASCII. */
static int print_json(const char *qid, const json_t *m, const char *problem)
{
	json_t *o = json_object();
	/* "qid" set again after the update: it wins over a "qid" in the
	 * metadata and keeps its first place */
	if (!o || json_object_set_new(o, "qid", json_string(qid)) != 0 ||
	    (problem && json_object_set_new(o, "metadata_error", json_string(problem)) != 0) ||
	    json_object_update(o, (json_t *)m) != 0 || json_object_set_new(o, "qid", json_string(qid)) != 0) {
		json_decref(o);
		return -1;
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!s)
		return -1;
	puts(s);
	free(s);
	return 0;
}

/* "reasons" of the milter (detector names; scan's own output has indexes
 * into findings), else hunt's "why", comma-separated. g_free. */
static char *reasons_text(const json_t *m)
{
	GString *out = g_string_new("");
	const json_t *r = json_object_get(m, "reasons");
	const json_t *findings = json_object_get(json_object_get(m, "scan"), "findings");
	for (size_t i = 0; json_is_array(r) && i < json_array_size(r); i++) {
		const json_t *e = json_array_get(r, i);
		const char *name = json_is_string(e) ? json_string_value(e) : NULL;
		if (json_is_integer(e))
			name = mstr(json_array_get(findings, (size_t)json_integer_value(e)), "detector");
		if (!name)
			continue;
		if (out->len)
			g_string_append(out, ", ");
		g_string_append(out, name);
	}
	if (!out->len && mstr(m, "why"))
		g_string_append(out, mstr(m, "why"));
	return g_string_free(out, FALSE);
}

/* ---- list ---- */

typedef struct list_ctx {
	bool json;
	size_t n;
	int err;
} list_ctx;

static int list_one(void *vc, const char *qid, const char *meta)
{
	list_ctx *c = vc;
	const char *problem;
	json_t *m = pc_qmeta_parse(meta, &problem);
	if (!m) {
		c->err = 1;
		return 1;
	}
	c->n++;
	if (c->json) {
		if (print_json(qid, m, problem) != 0)
			c->err = 1;
		json_decref(m);
		return c->err;
	}
	if (c->n == 1)
		printf("%-42s  %-20s  %-17s  %-32s  %-32s  %s\n", "QID", "TIME", "VERDICT/REASON", "SENDER", "RCPT",
		       "SUBJECT [REASONS]");
	char t[32];
	const char *time_s = mstr(m, "time");
	if (!time_s) {
		qid_time(qid, t, sizeof t);
		time_s = t;
	}
	const char *verdict = mstr(m, "verdict"), *reason = mstr(m, "reason");
	char *vr = g_strdup_printf("%s%s%s", verdict ? verdict : "", verdict && reason ? "/" : "",
	                           reason ? reason : (verdict ? "" : "-"));
	const char *sender = pc_qmeta_sender(m);
	char *from = sender ? g_strdup_printf("<%s>", sender) : g_strdup(mstr(m, "from") ? mstr(m, "from") : "-");
	const char **rcpt;
	long nr = pc_qmeta_rcpt(m, &rcpt);
	char *rc;
	if (nr < 0)
		rc = g_strdup("?");
	else if (nr == 0)
		rc = g_strdup("-");
	else if (nr == 1)
		rc = g_strdup(rcpt[0]);
	else
		rc = g_strdup_printf("%s (+%ld)", rcpt[0], nr - 1);
	free(rcpt);
	char *subject = clean(mstr(m, "subject") ? mstr(m, "subject") : "");
	char *subj = cut(subject, 60);
	char *reasons = problem ? g_strdup(problem) : reasons_text(m);
	char *rs = clean(reasons);
	fputs(qid, stdout);
	for (size_t k = strlen(qid); k < 44; k++)
		fputc(' ', stdout);
	column(stdout, time_s, 20);
	column(stdout, vr, 17);
	column(stdout, from, 32);
	column(stdout, rc, 32);
	printf("%s%s%s%s\n", subj, *rs ? " [" : "", rs, *rs ? "]" : "");
	g_free(vr);
	g_free(from);
	g_free(rc);
	g_free(subject);
	g_free(subj);
	g_free(reasons);
	g_free(rs);
	json_decref(m);
	return 0;
}

/* ---- show ---- */

/* one "  Label:  value" line when value is set */
static void field(const char *label, const char *value)
{
	if (!value)
		return;
	char *c = clean(value);
	printf("  %-11s %s\n", label, c);
	g_free(c);
}

static void show_findings(const json_t *scan)
{
	const json_t *f = json_object_get(scan, "findings");
	if (!json_is_array(f) || !json_array_size(f))
		return;
	printf("\n  Findings:\n");
	for (size_t i = 0; i < json_array_size(f); i++) {
		const json_t *x = json_array_get(f, i);
		const json_t *score = json_object_get(x, "score");
		char *det = clean(mstr(x, "detector") ? mstr(x, "detector") : "?");
		char *sum = clean(mstr(x, "summary") ? mstr(x, "summary") : "");
		if (json_is_number(score))
			printf("    %s (%.1f): %s\n", det, json_number_value(score), sum);
		else
			printf("    %s: %s\n", det, sum);
		g_free(det);
		g_free(sum);
		const json_t *ev = json_object_get(x, "evidence");
		if (!ev || json_is_null(ev))
			continue;
		char *dumped = json_is_string(ev) ? NULL : json_dumps(ev, JSON_COMPACT | JSON_ENSURE_ASCII);
		char *c = clean(json_is_string(ev) ? json_string_value(ev) : dumped ? dumped : "");
		char *t = cut(c, EVIDENCE_SHOW_MAX);
		printf("        evidence: %s\n", t);
		free(dumped);
		g_free(c);
		g_free(t);
	}
}

static void show_trackers(const json_t *scan)
{
	const json_t *t = json_object_get(scan, "trackers");
	if (!json_is_array(t) || !json_array_size(t))
		return;
	printf("\n  Trackers:\n");
	for (size_t i = 0; i < json_array_size(t); i++) {
		const json_t *x = json_array_get(t, i);
		const json_t *sig = json_object_get(x, "signals");
		GString *s = g_string_new("");
		for (size_t k = 0; json_is_array(sig) && k < json_array_size(sig); k++) {
			const json_t *v = json_array_get(sig, k);
			if (json_is_string(v))
				g_string_append_printf(s, "%s%s", s->len ? "," : "", json_string_value(v));
		}
		const char *leak = mstr(x, "leak");
		char *line = g_strdup_printf("%s [%s]%s%s", mstr(x, "url") ? mstr(x, "url") : "?", s->str,
		                             leak ? " leaks " : "", leak ? leak : "");
		char *c = clean(line), *ct = cut(c, EVIDENCE_SHOW_MAX);
		printf("    %s\n", ct);
		g_free(line);
		g_free(c);
		g_free(ct);
		g_string_free(s, TRUE);
	}
}

/* The message's header block (up to the first empty line), line by line,
 * cleaned; tabs of folded lines kept. */
static void show_header(const char *b, size_t n)
{
	printf("\n  Header:\n");
	size_t shown = n < HEADER_SHOW_MAX ? n : HEADER_SHOW_MAX;
	size_t i = 0;
	while (i < shown) {
		const char *nl = memchr(b + i, '\n', shown - i);
		size_t end = nl ? (size_t)(nl - b) : shown;
		size_t l = end - i;
		if (l && b[i + l - 1] == '\r')
			l--;
		if (l == 0)
			return; /* the end of the header */
		char *c = pc_safetext(b + i, l, true);
		printf("    %s\n", c);
		g_free(c);
		i = end + 1;
	}
	if (shown < n)
		printf("    ... (header longer than %d bytes; see --raw)\n", HEADER_SHOW_MAX);
}

static void show_text(const pc_qentry *e)
{
	const json_t *m = e->meta;
	char t[32];
	qid_time(e->qid, t, sizeof t);
	printf("Quarantined message %s\n", e->qid);
	if (e->problem)
		printf("  (%s)\n", e->problem);
	field("Time:", mstr(m, "time") ? mstr(m, "time") : t);
	const char *reason = mstr(m, "reason");
	field("Reason:", reason);
	field("Ref:", mstr(m, "ref"));
	const json_t *score = json_object_get(m, "score");
	if (mstr(m, "verdict")) {
		char *v = clean(mstr(m, "verdict"));
		if (json_is_number(score))
			printf("  %-11s %s, score %.1f\n", "Verdict:", v, json_number_value(score));
		else
			printf("  %-11s %s\n", "Verdict:", v);
		g_free(v);
	}
	char *rs = reasons_text(m);
	field("Reasons:", *rs ? rs : NULL);
	g_free(rs);
	const json_t *camp = json_object_get(m, "campaign");
	if (json_is_integer(camp))
		printf("  %-11s %lld\n", "Campaign:", (long long)json_integer_value(camp));
	/* the envelope */
	const char *ip = mstr(m, "client_ip"), *name = mstr(m, "client_name");
	if (ip || name) {
		char *c = g_strdup_printf("%s [%s]", name ? name : "unknown", ip ? ip : "?");
		field("Client:", c);
		g_free(c);
	}
	field("HELO:", mstr(m, "helo"));
	const char *sender = pc_qmeta_sender(m);
	if (sender) {
		char *c = g_strdup_printf("<%s>%s", sender, *sender ? "" : " (null sender)");
		field("MAIL FROM:", c);
		g_free(c);
	}
	const char **rcpt;
	long nr = pc_qmeta_rcpt(m, &rcpt);
	if (nr < 0)
		field("RCPT TO:", "(not a list of addresses)");
	for (long i = 0; i < nr; i++) {
		char *c = g_strdup_printf("<%s>", rcpt[i]);
		field(i ? "" : "RCPT TO:", c);
		g_free(c);
	}
	free(rcpt);
	const char *qi = mstr(m, "queue_id");
	if (qi) {
		char *c = g_strdup_printf(
		    "%s%s", qi, json_is_true(json_object_get(m, "held")) ? " (held in Postfix's hold queue)" : "");
		field("Queue ID:", c);
		g_free(c);
	}
	/* where a hunt found it */
	field("Source:", mstr(m, "source"));
	field("Mailbox:", mstr(m, "mailbox"));
	field("Why:", mstr(m, "why"));
	field("By:", mstr(m, "actor"));
	/* the message */
	field("Message-ID:", mstr(m, "message_id"));
	field("From:", mstr(m, "from"));
	field("Subject:", mstr(m, "subject"));
	const char *msha = mstr(m, "sha256");
	printf("  %-11s %zu bytes, SHA-256 %s%s\n", "Stored:", e->n, e->sha,
	       !msha                   ? ""
	       : !strcmp(msha, e->sha) ? " (as recorded)"
	                               : " (DIFFERS from the recorded sha256)");
	const json_t *scan = json_object_get(m, "scan");
	show_findings(scan);
	show_trackers(scan);
	show_header(e->bytes, e->n);
}

static int show(const char *dir, const char *qid, bool json, bool raw)
{
	pc_qentry e;
	char err[1024];
	int rc = pc_qentry_load(dir, qid, false, &e, err, sizeof err);
	if (rc) {
		fprintf(stderr, "portcullis: %s\n", err);
		pc_qentry_free(&e);
		return rc;
	}
	if (raw) {
		if (fwrite(e.bytes, 1, e.n, stdout) != e.n)
			rc = 2;
	} else if (json) {
		if (print_json(qid, e.meta, e.problem) != 0)
			rc = 2;
	} else {
		show_text(&e);
	}
	pc_qentry_free(&e);
	return rc;
}

/* ---- the audit log (in the store) ---- */

static void audit_text_line(const json_t *r)
{
	const char *from = mstr(r, "mail_from");
	const json_t *rc = json_object_get(r, "rcpt");
	size_t nr = json_is_array(rc) ? json_array_size(rc) : 0;
	const char *first = nr ? json_string_value(json_array_get(rc, 0)) : NULL;
	char *env;
	if (nr > 1)
		env = g_strdup_printf("<%s> -> %s (+%zu)", from ? from : "?", first ? first : "?", nr - 1);
	else
		env = g_strdup_printf("<%s> -> %s", from ? from : "?", first ? first : "-");
	const char *reason = mstr(r, "reason");
	char *line =
	    g_strdup_printf("%s  %s  %s  %s  %s%s%s%s  %s", mstr(r, "time") ? mstr(r, "time") : "?",
	                    mstr(r, "actor") ? mstr(r, "actor") : "?", mstr(r, "action") ? mstr(r, "action") : "?",
	                    mstr(r, "qid") ? mstr(r, "qid") : "?", env, reason ? "  reason \"" : "",
	                    reason ? reason : "", reason ? "\"" : "", mstr(r, "detail") ? mstr(r, "detail") : "");
	char *c = clean(line);
	puts(c);
	g_free(env);
	g_free(line);
	g_free(c);
}

typedef struct audit_ctx {
	bool json;
	size_t n;
	int err;
} audit_ctx;

static int audit_one(void *vc, const pc_audit_qrec *rec)
{
	audit_ctx *c = vc;
	json_t *r = pc_qaction_record(rec);
	if (!r) {
		c->err = 1;
		return 1;
	}
	c->n++;
	if (c->json) {
		char *s = json_dumps(r, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (s)
			puts(s);
		free(s);
	} else {
		audit_text_line(r);
	}
	json_decref(r);
	return 0;
}

static int audit_list(const char *dir, pc_store *st, bool json)
{
	struct stat sb;
	char where[300];
	pc_quarantine_where(dir, where, sizeof where);
	if (pc_store_is_postgresql(dir)) {
		/* kept in the store: no directory, no old audit.log */
	} else if (stat(dir, &sb) != 0) {
		fprintf(stderr, "portcullis: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	if (!S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "portcullis: %s: not a directory\n", dir);
		return 2;
	}
	/* the log of versions that kept it beside the messages: never lost,
	 * never mixed in (its lines are the same JSON objects) */
	char old[4096];
	if (!pc_store_is_postgresql(dir) && (size_t)snprintf(old, sizeof old, "%s/audit.log", dir) < sizeof old &&
	    stat(old, &sb) == 0)
		fprintf(stderr, "portcullis: %s holds the records of earlier versions (kept as it is)\n", old);
	audit_ctx c = {json, 0, 0};
	if (pc_store_audit_quarantine_list(st, dir, audit_one, &c) != 0) {
		fprintf(stderr, "portcullis: %s\n", pc_store_error(st));
		return 2;
	}
	if (c.err) {
		fprintf(stderr, "portcullis: quarantine audit: out of memory\n");
		return 2;
	}
	if (!json && !c.n)
		printf("no audit records for %s\n", where);
	return 0;
}

/* ---- the command ---- */

int pc_cli_quarantine(int argc, char **argv)
{
	enum { OPT_DIR = 256, OPT_RAW, OPT_DB };
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},  {"set", required_argument, NULL, 's'},
	    {"dir", required_argument, NULL, OPT_DIR}, {"db", required_argument, NULL, OPT_DB},
	    {"json", no_argument, NULL, 'j'},          {"raw", no_argument, NULL, OPT_RAW},
	    {"to", required_argument, NULL, 't'},      {"reason", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
	const char *config = NULL, *dir = NULL, *reason = NULL, *db = NULL;
	pc_store *st = NULL;
	char *sets[PC_CLI_MAX_SETS];
	const char *to[MAX_TO];
	size_t nsets = 0, nto = 0;
	bool json = false, raw = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:s:jt:r:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 's':
			if (pc_cli_add_set(sets, &nsets, optarg) != 0)
				return 2;
			break;
		case OPT_DIR:
			dir = optarg;
			break;
		case OPT_DB:
			db = optarg;
			break;
		case 'j':
			json = true;
			break;
		case OPT_RAW:
			raw = true;
			break;
		case 't':
			if (nto == MAX_TO) {
				fprintf(stderr, "portcullis: at most %d --to\n", MAX_TO);
				return 2;
			}
			if (!*optarg) {
				fprintf(stderr, "portcullis: --to: empty address\n");
				return 2;
			}
			to[nto++] = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	const char *sub = optind < argc ? argv[optind] : "list";
	int nargs = optind < argc ? argc - optind - 1 : 0;
	bool needs_qid = !strcmp(sub, "show") || !strcmp(sub, "release") || !strcmp(sub, "delete");
	if (!needs_qid && strcmp(sub, "list") && strcmp(sub, "audit")) {
		char *c = clean(sub);
		fprintf(stderr, "portcullis: quarantine: unknown subcommand \"%s\"\n%s", c, usage);
		g_free(c);
		return 2;
	}
	if (nargs != (needs_qid ? 1 : 0)) {
		fprintf(stderr, "portcullis: quarantine %s: %s\n", sub,
		        needs_qid ? "expected one quarantine id (QID)" : "unexpected arguments");
		return 2;
	}
	const char *misuse = NULL;
	if (raw && strcmp(sub, "show"))
		misuse = "--raw is for show";
	else if (raw && json)
		misuse = "--raw and --json are alternatives";
	else if (json && (!strcmp(sub, "release") || !strcmp(sub, "delete")))
		misuse = "--json is for list, show and audit";
	else if (nto && strcmp(sub, "release"))
		misuse = "--to is for release";
	else if (reason && strcmp(sub, "release") && strcmp(sub, "delete"))
		misuse = "--reason is for release and delete";
	if (misuse) {
		fprintf(stderr, "portcullis: quarantine %s: %s\n", sub, misuse);
		return 2;
	}
	pc_config cfg;
	pc_config_defaults(&cfg);
	int rc = 2;
	if (pc_cli_config(&cfg, config, sets, nsets) != 0)
		goto out;
	if (!dir)
		dir = cfg.quarantine_dir[0] ? cfg.quarantine_dir : NULL;
	if (!dir || !*dir) {
		fprintf(stderr, "portcullis: quarantine: no quarantine directory: give --dir DIR or set [quarantine] "
		                "directory\n");
		goto out;
	}
	const char *qid = needs_qid ? argv[optind + 1] : NULL;
	/* release, delete and audit use the audit log in the store: with no
	 * store there is nowhere to keep the record, so nothing is done */
	bool audited = !strcmp(sub, "release") || !strcmp(sub, "delete") || !strcmp(sub, "audit");
	if (audited && !db && !cfg.history_db[0]) {
		fprintf(stderr,
		        "portcullis: quarantine %s: no store for the audit log: give --db FILE or set [history] "
		        "database (every release and delete is audited there)\n",
		        sub);
		goto out;
	}
	if (audited && !(st = pc_cli_store(&cfg, db)))
		goto out;
	pc_qaction act = {dir,
	                  st,
	                  pc_cli_actor(),
	                  reason,
	                  to,
	                  nto,
	                  cfg.quarantine_sendmail,
	                  cfg.quarantine_postsuper,
	                  cfg.quarantine_postqueue};
	char err[2048] = "";
	if (!strcmp(sub, "list")) {
		list_ctx c = {json, 0, 0};
		if (pc_quarantine_list(dir, list_one, &c, err, sizeof err) != 0) {
			fprintf(stderr, "portcullis: %s\n", err);
			goto out;
		}
		if (c.err) {
			fprintf(stderr, "portcullis: quarantine list: out of memory\n");
			goto out;
		}
		if (!json && !c.n) {
			char where[300];
			pc_quarantine_where(dir, where, sizeof where);
			printf("no quarantined messages in %s\n", where);
		}
		rc = 0;
	} else if (!strcmp(sub, "show")) {
		rc = show(dir, qid, json, raw);
	} else if (!strcmp(sub, "release")) {
		pc_qaction_done d;
		rc = pc_qaction_release(&act, qid, &d, err, sizeof err);
		if (err[0])
			fprintf(stderr, "portcullis: %s\n", err);
		if (rc == 0 && d.held)
			printf("released %s from Postfix's hold queue (queue ID %s)\n", qid, d.queue_id);
		else if (rc == 0)
			printf("released %s to %ld recipient%s\n", qid, d.nrcpt, d.nrcpt == 1 ? "" : "s");
	} else if (!strcmp(sub, "delete")) {
		rc = pc_qaction_delete(&act, qid, err, sizeof err);
		if (rc)
			fprintf(stderr, "portcullis: %s\n", err);
		else
			printf("deleted %s\n", qid);
	} else {
		rc = audit_list(dir, st, json);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "portcullis: cannot write to standard output\n");
		rc = 2;
	}
out:
	pc_store_close(st);
	pc_config_free(&cfg);
	return rc;
}
