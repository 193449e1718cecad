/*
 * NAME
 *   quarantine - the quarantine command: list, show, release, delete, audit
 * SYNOPSIS
 *   portcullis quarantine [list] [--json]
 *   portcullis quarantine show QID [--json | --raw]
 *   portcullis quarantine release QID [--to ADDR]... [--reason TEXT]
 *   portcullis quarantine delete QID [--reason TEXT]
 *   portcullis quarantine audit [--json]
 *   (each with [-c FILE] [-s KEY=VALUE]... [--dir DIR])
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
 *   posix_spawn. Only a command that exits 0 counts as a release; then the
 *   audit record is appended and the entry removed. A failed attempt
 *   keeps the entry and is audited too, with the exit status and the start
 *   of the command's output. release and delete lock QID.eml (flock) so
 *   two administrators cannot release one message twice.
 *
 *   The audit log is DIR/audit.log: one JSON object per line, each line
 *   written with a single write() on an O_APPEND descriptor and fsync'd.
 *
 *   Subjects, addresses and findings were written by whoever sent the
 *   mail: text output replaces control characters (C0, DEL, C1), bidi
 *   overrides, isolates and marks, and invalid UTF-8. --json output is
 *   ASCII (jansson escapes everything else).
 *
 *   Exit status: 0 done, 1 no such quarantined message, 2 usage error,
 *   invalid QID, unreadable directory, failed release or failed write.
 */
#define _GNU_SOURCE /* pipe2 */
#include "cli/quarantine.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glib.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "act/quarantine.h"
#include "cli/jsonw.h"
#include "cli/options.h"
#include "core/sha256.h"

#define MAX_TO 1000                 /* --to given at most this often */
#define RUN_TIMEOUT_MS (300 * 1000) /* sendmail/postsuper taking longer is killed: a failed release */
#define OUTPUT_KEEP 4096            /* bytes of the command's output kept for the audit record */
#define EXCERPT_MAX 400             /* ... of which this many go into the record */
#define HEADER_SHOW_MAX (64 << 10)  /* show prints at most this much of the header block */
#define EVIDENCE_SHOW_MAX 500       /* characters of one finding's evidence in show */

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
    "delete is appended to DIR/audit.log.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE    read settings from FILE\n"
    "  -s, --set KEY=VALUE  override one setting (repeatable)\n"
    "      --dir DIR        the quarantine directory (default: [quarantine] directory)\n"
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

/* Characters a terminal must not get from mail: C0 and C1 controls, DEL,
 * bidi overrides, isolates and marks (they reorder what is shown), line
 * and paragraph separators. */
static bool unsafe(gunichar c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x200e || c == 0x200f || c == 0x061c || c == 0x2028 || c == 0x2029;
}

/* n bytes of anything as valid UTF-8 without unsafe characters ('?'
 * instead; U+FFFD for invalid bytes); tabs kept when keep_tab. g_free. */
static char *clean_len(const char *s, size_t n, bool keep_tab)
{
	GString *out = g_string_sized_new(n + 1);
	const char *p = s, *end = s + n;
	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, (gssize)(end - p));
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append(out, "\xef\xbf\xbd");
			p++;
			continue;
		}
		const char *next = g_utf8_next_char(p);
		if (unsafe(c) && !(keep_tab && c == '\t'))
			g_string_append_c(out, '?');
		else
			g_string_append_len(out, p, next - p);
		p = next;
	}
	return g_string_free(out, FALSE);
}

static char *clean(const char *s)
{
	return clean_len(s ? s : "", s ? strlen(s) : 0, false);
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
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The metadata text as an object: an empty one when there is none or it
 * is not a JSON object, *problem then saying which. NULL: out of memory. */
static json_t *meta_object(const char *text, const char **problem)
{
	*problem = NULL;
	json_t *j = NULL;
	if (!text) {
		*problem = "no metadata";
	} else {
		json_error_t e;
		j = json_loads(text, 0, &e);
		if (!j)
			*problem = "metadata is not valid JSON";
		else if (!json_is_object(j))
			*problem = "metadata is not a JSON object";
	}
	if (*problem) {
		json_decref(j);
		j = json_object();
	}
	return j;
}

/* The envelope sender recorded: "" for the null sender, NULL when none
 * is (hunt entries, missing metadata). */
static const char *meta_sender(const json_t *m)
{
	const char *s = mstr(m, "mail_from");
	if (s && !strcmp(s, "<>"))
		return "";
	return s;
}

/* The strings of the metadata's "rcpt" array (pointers into m): their
 * number, or -1 when rcpt is not an array of non-empty strings. */
static long meta_rcpt(const json_t *m, const char ***out)
{
	*out = NULL;
	const json_t *r = json_object_get(m, "rcpt");
	if (!r || json_is_null(r))
		return 0;
	if (!json_is_array(r))
		return -1;
	size_t n = json_array_size(r);
	const char **v = calloc(n + 1, sizeof *v);
	if (!v)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(r, i);
		if (!json_is_string(e) || !*json_string_value(e)) {
			free(v);
			return -1;
		}
		v[i] = json_string_value(e);
	}
	*out = v;
	return (long)n;
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
	json_t *m = meta_object(meta, &problem);
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
	const char *sender = meta_sender(m);
	char *from = sender ? g_strdup_printf("<%s>", sender) : g_strdup(mstr(m, "from") ? mstr(m, "from") : "-");
	const char **rcpt;
	long nr = meta_rcpt(m, &rcpt);
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

/* ---- one entry ---- */

typedef struct entry {
	const char *qid;
	char *bytes, *meta_text;
	size_t n;
	json_t *meta;        /* always an object */
	const char *problem; /* why meta is empty, or NULL */
	char sha[65];        /* of the stored bytes */
	int lockfd;
} entry;

static void entry_free(entry *e)
{
	free(e->bytes);
	free(e->meta_text);
	json_decref(e->meta);
	if (e->lockfd >= 0)
		close(e->lockfd); /* releases the flock */
	memset(e, 0, sizeof *e);
	e->lockfd = -1;
}

/* After a failed read: 1 (message printed) when the entry does not exist
 * in an existing DIR, else 2 with err. */
static int not_found_or(const char *dir, const char *qid, const char *err)
{
	struct stat sb;
	char p[4096];
	if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    (size_t)snprintf(p, sizeof p, "%s/msg/%s.eml", dir, qid) < sizeof p && lstat(p, &sb) != 0 &&
	    errno == ENOENT) {
		fprintf(stderr, "portcullis: quarantine: no message %s in %s\n", qid, dir);
		return 1;
	}
	fprintf(stderr, "portcullis: %s\n", err);
	return 2;
}

/* Reads the entry (lock: first take an exclusive flock on QID.eml, so
 * one release or delete runs per message). 0, or the exit status after
 * printing why. */
static int entry_load(const char *dir, const char *qid, bool lock, entry *e)
{
	memset(e, 0, sizeof *e);
	e->lockfd = -1;
	e->qid = qid;
	if (!pc_quarantine_qid_valid(qid)) {
		char *c = clean(qid);
		fprintf(stderr, "portcullis: quarantine: \"%s\" is not a quarantine id\n", c);
		g_free(c);
		return 2;
	}
	char err[512];
	if (lock) {
		char p[4096];
		if ((size_t)snprintf(p, sizeof p, "%s/msg/%s.eml", dir, qid) >= sizeof p) {
			fprintf(stderr, "portcullis: %s: path too long\n", dir);
			return 2;
		}
		e->lockfd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (e->lockfd < 0) {
			snprintf(err, sizeof err, "%.400s: %s", p, strerror(errno));
			return not_found_or(dir, qid, err);
		}
		if (flock(e->lockfd, LOCK_EX | LOCK_NB) != 0) {
			fprintf(stderr, "portcullis: quarantine: %s is being released or deleted by another process\n",
			        qid);
			return 2;
		}
	}
	/* after the lock: a release that finished meanwhile has removed it */
	if (pc_quarantine_get(dir, qid, &e->bytes, &e->n, &e->meta_text, err, sizeof err) != 0)
		return not_found_or(dir, qid, err);
	unsigned char sha[32];
	if (!(e->meta = meta_object(e->meta_text, &e->problem)) || pc_sha256(e->bytes, e->n, sha) != 0) {
		fprintf(stderr, "portcullis: quarantine: %s: out of memory\n", qid);
		return 2;
	}
	pc_sha256_hex(sha, e->sha);
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
		char *c = clean_len(b + i, l, true);
		printf("    %s\n", c);
		g_free(c);
		i = end + 1;
	}
	if (shown < n)
		printf("    ... (header longer than %d bytes; see --raw)\n", HEADER_SHOW_MAX);
}

static void show_text(const entry *e)
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
	const char *sender = meta_sender(m);
	if (sender) {
		char *c = g_strdup_printf("<%s>%s", sender, *sender ? "" : " (null sender)");
		field("MAIL FROM:", c);
		g_free(c);
	}
	const char **rcpt;
	long nr = meta_rcpt(m, &rcpt);
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
	entry e;
	int rc = entry_load(dir, qid, false, &e);
	if (rc) {
		entry_free(&e);
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
	entry_free(&e);
	return rc;
}

/* ---- audit log ---- */

/* v as a JSON string (made valid UTF-8), or null */
static void jstr(pc_jsonw *w, const char *v)
{
	if (!v) {
		pc_jsonw_null(w);
		return;
	}
	char *c = g_utf8_make_valid(v, -1);
	pc_jsonw_str(w, c);
	g_free(c);
}

static void kstr(pc_jsonw *w, const char *k, const char *v)
{
	pc_jsonw_key(w, k);
	jstr(w, v);
}

/* One line appended to DIR/audit.log: a single write() (O_APPEND: lines
 * of concurrent writers do not mix), then fsync. mail_from NULL when
 * unknown. 0, or -1 with err; *line (malloc'd) is the record either way
 * when not NULL, for printing it when it could not be kept. */
static int audit_append(const char *dir, const char *action, const entry *e, const char *reason, const char *mail_from,
                        const char *const *rcpt, long nrcpt, const char *detail, char **line, char *err, size_t errlen)
{
	pc_jsonw w;
	pc_jsonw_init(&w);
	char t[32];
	pc_jsonw_obj(&w);
	kstr(&w, "time", pc_cli_time((long long)time(NULL), t, sizeof t));
	kstr(&w, "actor", pc_cli_actor());
	kstr(&w, "action", action);
	kstr(&w, "qid", e->qid);
	kstr(&w, "reason", reason);
	kstr(&w, "mail_from", mail_from);
	pc_jsonw_key(&w, "rcpt");
	pc_jsonw_arr(&w);
	for (long i = 0; i < nrcpt; i++)
		jstr(&w, rcpt[i]);
	pc_jsonw_end(&w);
	kstr(&w, "sha256", e->sha);
	char *d = clean(detail);
	kstr(&w, "detail", d);
	g_free(d);
	pc_jsonw_end(&w);
	if (line)
		*line = NULL;
	char *rec = w.err ? NULL : malloc(w.len + 2);
	if (!rec) {
		pc_jsonw_free(&w);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(rec, w.buf, w.len);
	rec[w.len] = '\n';
	rec[w.len + 1] = '\0';
	size_t len = w.len + 1;
	pc_jsonw_free(&w);
	if (line)
		*line = rec;
	char path[4096];
	if ((size_t)snprintf(path, sizeof path, "%s/audit.log", dir) >= sizeof path) {
		snprintf(err, errlen, "%s: path too long", dir);
		goto fail;
	}
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
		goto fail;
	}
	ssize_t wr;
	do
		wr = write(fd, rec, len);
	while (wr < 0 && errno == EINTR);
	struct stat sb;
	if (wr != (ssize_t)len || fsync(fd) != 0 || fstat(fd, &sb) != 0) {
		snprintf(err, errlen, "%.400s: %s", path,
		         wr >= 0 && wr != (ssize_t)len ? "short write" : strerror(errno));
		close(fd);
		goto fail;
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
		goto fail;
	}
	if (sb.st_size == (off_t)len) { /* the first record created the file: make its name durable */
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	if (!line)
		free(rec);
	return 0;
fail:
	if (!line)
		free(rec);
	return -1;
}

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

static int audit_list(const char *dir, bool json)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof path, "%s/audit.log", dir) >= sizeof path) {
		fprintf(stderr, "portcullis: %s: path too long\n", dir);
		return 2;
	}
	struct stat sb;
	if (stat(dir, &sb) != 0) {
		fprintf(stderr, "portcullis: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	if (!S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "portcullis: %s: not a directory\n", dir);
		return 2;
	}
	FILE *f = fopen(path, "re");
	if (!f && errno == ENOENT) {
		if (!json)
			printf("no audit records in %s\n", path);
		return 0;
	}
	if (!f) {
		fprintf(stderr, "portcullis: %s: %s\n", path, strerror(errno));
		return 2;
	}
	char *buf = NULL;
	size_t cap = 0, lineno = 0, bad = 0;
	ssize_t l;
	while ((l = getline(&buf, &cap, f)) > 0) {
		lineno++;
		json_error_t e;
		json_t *r = json_loadb(buf, (size_t)l, 0, &e);
		if (!json_is_object(r)) {
			if (bad++ == 0)
				fprintf(stderr, "portcullis: %s:%zu: not a JSON object (skipped)\n", path, lineno);
			json_decref(r);
			continue;
		}
		if (json) {
			char *s = json_dumps(r, JSON_COMPACT | JSON_ENSURE_ASCII);
			if (s)
				puts(s);
			free(s);
		} else {
			audit_text_line(r);
		}
		json_decref(r);
	}
	int rc = ferror(f) ? 2 : 0;
	if (rc)
		fprintf(stderr, "portcullis: %s: read error\n", path);
	if (bad > 1)
		fprintf(stderr, "portcullis: %s: %zu lines skipped\n", path, bad);
	free(buf);
	fclose(f);
	if (!json && !lineno)
		printf("no audit records in %s\n", path);
	return rc;
}

/* ---- running sendmail / postsuper ---- */

typedef struct run_result {
	bool ran;       /* the program was started */
	bool reaped;    /* and its status collected */
	bool timed_out; /* killed after RUN_TIMEOUT_MS */
	bool short_in;  /* it did not read the whole message */
	int status;     /* waitpid status */
	char out[OUTPUT_KEEP + 1];
	size_t outn;   /* first bytes of its stdout and stderr */
	char why[256]; /* why it did not start */
} run_result;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs argv (argv[0] absolute, no PATH search, no shell) with in[0..inn)
 * on its standard input and its standard output and error collected
 * (first OUTPUT_KEEP bytes), and waits for it. Input and output are
 * served together (poll), so a command that writes much before it reads
 * cannot deadlock with us. */
static void run(char *const argv[], const char *in, size_t inn, run_result *r)
{
	memset(r, 0, sizeof *r);
	int inp[2] = {-1, -1}, outp[2] = {-1, -1};
	if (pipe2(inp, O_CLOEXEC) != 0 || pipe2(outp, O_CLOEXEC) != 0) {
		snprintf(r->why, sizeof r->why, "pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, inp[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 2);
	sigset_t dflt;
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE); /* ignored here while we write; the command gets the default */
	posix_spawnattr_setsigdefault(&at, &dflt);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	struct sigaction ign, old;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	pid_t pid;
	int e = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(inp[0]);
	close(outp[1]);
	inp[0] = outp[1] = -1;
	if (e != 0) {
		snprintf(r->why, sizeof r->why, "cannot run %s: %s", argv[0], strerror(e));
		sigaction(SIGPIPE, &old, NULL);
		goto out;
	}
	r->ran = true;
	fcntl(inp[1], F_SETFL, O_NONBLOCK);
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	size_t off = 0;
	if (inn == 0) {
		close(inp[1]);
		inp[1] = -1;
	}
	long long deadline = now_ms() + RUN_TIMEOUT_MS;
	for (;;) {
		if (!r->reaped) {
			pid_t w = waitpid(pid, &r->status, WNOHANG);
			r->reaped = w == pid;
		}
		/* done when it exited and has nothing more to say (a process it
		 * left behind holding the pipe is not waited for) */
		if (r->reaped || outp[0] < 0) {
			if (outp[0] >= 0) {
				char b[4096];
				ssize_t k;
				while ((k = read(outp[0], b, sizeof b)) > 0) {
					size_t keep =
					    (size_t)k < OUTPUT_KEEP - r->outn ? (size_t)k : OUTPUT_KEEP - r->outn;
					memcpy(r->out + r->outn, b, keep);
					r->outn += keep;
				}
			}
			if (r->reaped)
				break;
		}
		long long left = deadline - now_ms();
		if (left <= 0) {
			kill(pid, SIGKILL);
			r->timed_out = true;
			while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
				;
			r->reaped = true;
			break;
		}
		struct pollfd p[2];
		nfds_t np = 0;
		int pi = -1, po = -1;
		if (inp[1] >= 0) {
			p[np] = (struct pollfd){inp[1], POLLOUT, 0};
			pi = (int)np++;
		}
		if (outp[0] >= 0) {
			p[np] = (struct pollfd){outp[0], POLLIN, 0};
			po = (int)np++;
		}
		/* short slices: the exit of the command is noticed by waitpid */
		int k = poll(p, np, left < 100 ? (int)left : 100);
		if (k < 0 && errno != EINTR)
			break;
		if (k <= 0)
			continue;
		if (pi >= 0 && p[pi].revents) {
			size_t chunk = inn - off < 65536 ? inn - off : 65536;
			ssize_t w = write(inp[1], in + off, chunk);
			if (w > 0)
				off += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == inn) {
				close(inp[1]); /* EOF, or EPIPE: it stopped reading */
				inp[1] = -1;
			}
		}
		if (po >= 0 && p[po].revents) {
			char b[4096];
			ssize_t rd = read(outp[0], b, sizeof b);
			if (rd > 0) {
				size_t keep = (size_t)rd < OUTPUT_KEEP - r->outn ? (size_t)rd : OUTPUT_KEEP - r->outn;
				memcpy(r->out + r->outn, b, keep);
				r->outn += keep;
			} else if (rd == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(outp[0]);
				outp[0] = -1;
			}
		}
	}
	if (!r->reaped) { /* poll failed: still collect the status, pipes closed */
		if (inp[1] >= 0)
			close(inp[1]);
		if (outp[0] >= 0)
			close(outp[0]);
		inp[1] = outp[0] = -1;
		while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
			;
		r->reaped = true;
	}
	r->short_in = off < inn;
	sigaction(SIGPIPE, &old, NULL);
out:
	for (int i = 0; i < 2; i++) {
		if (inp[i] >= 0)
			close(inp[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	r->out[r->outn] = '\0';
}

/* The configured command line split on blanks, then the extra arguments:
 * a NULL-terminated argv (g_free the words, free the array). */
static char **command_argv(const char *cmdline, const char *const *extra, size_t nextra, char ***words)
{
	*words = g_strsplit_set(cmdline, " \t", -1);
	size_t nw = g_strv_length(*words);
	char **av = calloc(nw + nextra + 1, sizeof *av);
	if (!av)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < nw; i++)
		if ((*words)[i][0])
			av[n++] = (*words)[i];
	for (size_t i = 0; i < nextra; i++)
		av[n++] = (char *)extra[i];
	if (!n || av[0][0] != '/') { /* config.c checks this; an empty setting is refused here */
		free(av);
		return NULL;
	}
	return av;
}

/* What happened, for people and the audit record: "exit status 0",
 * "exit status 75: <first output>", ... Returns true for a success. */
static bool outcome(const run_result *r, const char *const *argv, size_t nshown, bool postsuper, char *buf, size_t len)
{
	GString *cmd = g_string_new("");
	for (size_t i = 0; i < nshown && argv[i]; i++)
		g_string_append_printf(cmd, "%s%s", i ? " " : "", argv[i]);
	/* the output, on one line */
	GString *o = g_string_new("");
	for (size_t i = 0; i < r->outn && o->len < EXCERPT_MAX; i++) {
		char c = r->out[i];
		if (c == '\r')
			continue;
		if (c == '\n') {
			if (i + 1 < r->outn)
				g_string_append(o, " | ");
		} else {
			g_string_append_c(o, c);
		}
	}
	bool ok = false;
	char st[96];
	if (!r->ran) {
		snprintf(st, sizeof st, "not run");
	} else if (r->timed_out) {
		snprintf(st, sizeof st, "killed after %d s", RUN_TIMEOUT_MS / 1000);
	} else if (WIFEXITED(r->status)) {
		snprintf(st, sizeof st, "exit status %d", WEXITSTATUS(r->status));
		ok = WEXITSTATUS(r->status) == 0;
	} else if (WIFSIGNALED(r->status)) {
		snprintf(st, sizeof st, "killed by signal %d", WTERMSIG(r->status));
	} else {
		snprintf(st, sizeof st, "status %d", r->status);
	}
	const char *extra = "";
	if (ok && r->short_in) {
		ok = false;
		extra = " but it did not read the whole message";
	}
	/* postsuper exits 0 also when the queue ID is not in the hold queue
	 * (Postfix 3.7: it then says "Released from hold: 0 messages") */
	if (ok && postsuper && strstr(r->out, "Released from hold: 0 messages")) {
		ok = false;
		extra = " but released nothing: the message is not in the hold queue";
	}
	snprintf(buf, len, "%s: %s%s%s%s%s", cmd->str, r->ran ? "" : r->why, r->ran ? st : "", extra,
	         o->len ? ": " : "", o->str);
	g_string_free(cmd, TRUE);
	g_string_free(o, TRUE);
	return ok;
}

/* A Postfix queue ID: letters and digits only (short hex or long form);
 * never "ALL" (postsuper -H ALL releases every held message) and never
 * an option or "-" (read IDs from stdin). */
static bool queue_id_valid(const char *q)
{
	if (!q || !*q || strlen(q) > 32 || !strcmp(q, "ALL"))
		return false;
	for (const char *p = q; *p; p++)
		if (!g_ascii_isalnum(*p))
			return false;
	return true;
}

static bool arg_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int release(const char *dir, const pc_config *cfg, const char *qid, const char *const *to, size_t nto,
                   const char *reason)
{
	entry e;
	int rc = entry_load(dir, qid, true, &e);
	const char **mrcpt = NULL;
	char **words = NULL, **av = NULL;
	if (rc)
		goto out;
	rc = 2;
	const json_t *m = e.meta;
	bool held = json_is_true(json_object_get(m, "held"));
	const char *queue_id = mstr(m, "queue_id");
	long nm = meta_rcpt(m, &mrcpt);
	const char *const *rcpt = nto ? to : mrcpt;
	long nrcpt = nto ? (long)nto : nm;
	const char *sender = meta_sender(m);
	const char *sender_note = "";
	if (held) {
		if (nto) {
			fprintf(stderr,
			        "portcullis: quarantine release %s: the message is held in Postfix's hold queue "
			        "and is released to its original recipients; --to cannot apply (delete the held "
			        "copy with postsuper -d first to re-inject this one elsewhere)\n",
			        qid);
			goto out;
		}
		if (!queue_id_valid(queue_id)) {
			char *c = clean(queue_id ? queue_id : "(none)");
			fprintf(stderr,
			        "portcullis: quarantine release %s: held in Postfix's hold queue, but the recorded "
			        "queue ID \"%s\" is not a valid one; release it with postsuper -H by hand\n",
			        qid, c);
			g_free(c);
			goto out;
		}
	} else {
		json_t *dropped = json_object_get(m, "rcpt_dropped");
		if (!nto && json_is_integer(dropped) && json_integer_value(dropped) > 0) {
			fprintf(stderr,
			        "portcullis: quarantine release %s: the message had %lld more recipients than the %ld "
			        "recorded; give every recipient with --to ADDR\n",
			        qid, (long long)json_integer_value(dropped), nm);
			goto out;
		}
		if (nrcpt < 0) {
			fprintf(stderr,
			        "portcullis: quarantine release %s: the metadata's \"rcpt\" is not a list of "
			        "addresses; give --to ADDR\n",
			        qid);
			goto out;
		}
		if (nrcpt == 0) {
			bool hunt = mstr(m, "reason") && !strcmp(mstr(m, "reason"), "hunt");
			fprintf(stderr,
			        "portcullis: quarantine release %s: no recipients recorded (%s); give --to ADDR\n", qid,
			        e.problem ? e.problem
			        : hunt    ? "taken from a mailbox by hunt"
			                  : "no rcpt in the metadata");
			goto out;
		}
		if (!sender) {
			/* hunt entries (and entries without metadata) record no
			 * envelope: bounces of the re-delivery go nowhere rather
			 * than to a header address an attacker chose, or to root */
			sender = "";
			sender_note = " (no envelope sender recorded: null sender used)";
		}
		bool bad = !arg_ok(sender);
		for (long i = 0; i < nrcpt; i++)
			bad |= !arg_ok(rcpt[i]) || !rcpt[i][0];
		if (bad) {
			fprintf(stderr,
			        "portcullis: quarantine release %s: an envelope address is empty or holds a "
			        "control character; refused\n",
			        qid);
			goto out;
		}
	}
	/* argv: [quarantine] sendmail -i -f SENDER -- RCPT...
	 *   -i: a line of a single "." is data, not the end of the message.
	 *   The null sender is passed as -f '<>'. Postfix's sendmail parses
	 *   the -f value as an RFC 822 address and takes the address inside;
	 *   for both "" and "<>" that is empty, and the queue file gets an
	 *   empty sender record (checked with Postfix 3.7.11: sendmail -f ''
	 *   and -f '<>' both give postcat's "sender: " with nothing after it;
	 *   sendmail(1) itself does not document the null sender). "<>" is
	 *   also what Sendmail and Exim document, and cannot vanish as an
	 *   empty argument would in a wrapper script.
	 *   --: the recipients are never options. Postfix parses each as an
	 *   RFC 822 address list too ("a@x, b@y" would be two recipients); the
	 *   addresses come from RCPT TO as Postfix accepted them, or from
	 *   the administrator.
	 * or [quarantine] postsuper -H QUEUEID for a held message. */
	const char **extra = calloc((size_t)(held ? 2 : 4 + nrcpt), sizeof *extra);
	if (!extra) {
		fprintf(stderr, "portcullis: out of memory\n");
		goto out;
	}
	size_t nx = 0;
	if (held) {
		extra[nx++] = "-H";
		extra[nx++] = queue_id;
	} else {
		extra[nx++] = "-i";
		extra[nx++] = "-f";
		extra[nx++] = *sender ? sender : "<>";
		extra[nx++] = "--";
		for (long i = 0; i < nrcpt; i++)
			extra[nx++] = rcpt[i];
	}
	const char *cmdline = held ? cfg->quarantine_postsuper : cfg->quarantine_sendmail;
	av = command_argv(cmdline, extra, nx, &words);
	free(extra);
	if (!av) {
		fprintf(stderr, "portcullis: quarantine release: [quarantine] %s is not an absolute command\n",
		        held ? "postsuper" : "sendmail");
		goto out;
	}
	size_t nshown = 0; /* the command and the arguments before the recipients */
	while (av[nshown] && (held || strcmp(av[nshown], "--")))
		nshown++;
	run_result r;
	run(av, held ? NULL : e.bytes, held ? 0 : e.n, &r);
	char detail[1024], head[1100];
	bool ok = outcome(&r, (const char *const *)av, nshown, held, detail, sizeof detail);
	snprintf(head, sizeof head, "%s%s", detail, sender_note);
	char err[512], *line = NULL;
	const char *mf = held ? meta_sender(m) : sender;
	long an = held ? (nm > 0 ? nm : 0) : nrcpt;
	const char *const *ar = held ? mrcpt : rcpt;
	if (!ok) {
		char *c = clean(head);
		fprintf(stderr, "portcullis: quarantine release %s failed (kept in the quarantine): %s\n", qid, c);
		g_free(c);
		if (audit_append(dir, "release-failed", &e, reason, mf, ar, an, head, NULL, err, sizeof err) != 0)
			fprintf(stderr, "portcullis: audit log: %s\n", err);
		goto out;
	}
	/* released: the entry goes even when the record cannot be kept (a
	 * second release would deliver the message twice); the record is then
	 * printed, for the administrator to keep */
	int arc = audit_append(dir, "release", &e, reason, mf, ar, an, head, &line, err, sizeof err);
	if (arc != 0)
		fprintf(stderr, "portcullis: released, but the audit record failed: %s\nportcullis: the record: %s",
		        err, line ? line : "(none)\n");
	free(line);
	char rerr[512];
	if (pc_quarantine_remove(dir, qid, rerr, sizeof rerr) != 0) {
		fprintf(stderr,
		        "portcullis: released, but the entry could not be removed (do not release it again): %s\n",
		        rerr);
		goto out;
	}
	if (held) {
		printf("released %s from Postfix's hold queue (queue ID %s)\n", qid, queue_id);
		/* postsuper -H moves it to the deferred queue: ask for delivery
		 * now, not at the next queue run (minutes later) */
		const char *pq[2] = {"-i", queue_id};
		char **w2 = NULL;
		char **av2 = command_argv(cfg->quarantine_postqueue, pq, 2, &w2);
		run_result r2;
		if (av2) {
			run(av2, NULL, 0, &r2);
			if (!r2.reaped || !WIFEXITED(r2.status) || WEXITSTATUS(r2.status) != 0)
				fprintf(
				    stderr,
				    "portcullis: [quarantine] postqueue -i %s failed; Postfix delivers it at its next "
				    "queue run\n",
				    queue_id);
		}
		free(av2);
		g_strfreev(w2);
	} else
		printf("released %s to %ld recipient%s\n", qid, nrcpt, nrcpt == 1 ? "" : "s");
	rc = arc == 0 ? 0 : 2;
out:
	free(av);
	g_strfreev(words);
	free(mrcpt);
	entry_free(&e);
	return rc;
}

static int delete_entry(const char *dir, const char *qid, const char *reason)
{
	entry e;
	int rc = entry_load(dir, qid, true, &e);
	if (rc) {
		entry_free(&e);
		return rc;
	}
	const char **mrcpt = NULL;
	long nm = meta_rcpt(e.meta, &mrcpt);
	char err[512];
	rc = 2;
	/* the record first: a delete that cannot be audited is not done */
	if (audit_append(dir, "delete", &e, reason, meta_sender(e.meta), mrcpt, nm > 0 ? nm : 0, "deleted", NULL, err,
	                 sizeof err) != 0)
		fprintf(stderr, "portcullis: audit log: %s (not deleted)\n", err);
	else if (pc_quarantine_remove(dir, qid, err, sizeof err) != 0)
		fprintf(stderr, "portcullis: %s\n", err);
	else {
		printf("deleted %s\n", qid);
		rc = 0;
	}
	free(mrcpt);
	entry_free(&e);
	return rc;
}

/* ---- the command ---- */

int pc_cli_quarantine(int argc, char **argv)
{
	enum { OPT_DIR = 256, OPT_RAW };
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"set", required_argument, NULL, 's'},
	                                     {"dir", required_argument, NULL, OPT_DIR},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"raw", no_argument, NULL, OPT_RAW},
	                                     {"to", required_argument, NULL, 't'},
	                                     {"reason", required_argument, NULL, 'r'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *config = NULL, *dir = NULL, *reason = NULL;
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
	if (!strcmp(sub, "list")) {
		list_ctx c = {json, 0, 0};
		char err[512];
		if (pc_quarantine_list(dir, list_one, &c, err, sizeof err) != 0) {
			fprintf(stderr, "portcullis: %s\n", err);
			goto out;
		}
		if (c.err) {
			fprintf(stderr, "portcullis: quarantine list: out of memory\n");
			goto out;
		}
		if (!json && !c.n)
			printf("no quarantined messages in %s\n", dir);
		rc = 0;
	} else if (!strcmp(sub, "show")) {
		rc = show(dir, qid, json, raw);
	} else if (!strcmp(sub, "release")) {
		rc = release(dir, &cfg, qid, to, nto, reason);
	} else if (!strcmp(sub, "delete")) {
		rc = delete_entry(dir, qid, reason);
	} else {
		rc = audit_list(dir, json);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "portcullis: cannot write to standard output\n");
		rc = 2;
	}
out:
	pc_config_free(&cfg);
	return rc;
}
