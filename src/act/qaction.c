/*
 * NAME
 *   qaction - read, release and delete quarantined messages (see qaction.h)
 */
#define _GNU_SOURCE
#include "act/qaction.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "act/qmeta.h"
#include "act/quarantine.h"
#include "act/quarantine_pg.h"
#include "act/run.h"
#include "core/safetext.h"

#define EXCERPT_MAX 400 /* bytes of a command's output in the audit record */

/* Appends a message to err, a line of its own after the first. */
static void say(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...)
{
	size_t o = strlen(err);
	if (o && o + 14 < errlen) {
		memcpy(err + o, "\nportcullis: ", 14);
		o += 13;
	}
	if (o >= errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + o, errlen - o, fmt, ap);
	va_end(ap);
}

void pc_qentry_free(pc_qentry *e)
{
	free(e->bytes);
	free(e->meta_text);
	json_decref(e->meta);
	if (e->lockfd >= 0)
		close(e->lockfd); /* releases the flock */
	if (e->locked_in)
		pc_quarantine_pg_unlock(e->locked_in, e->qid);
	memset(e, 0, sizeof *e);
	e->lockfd = -1;
}

/* After a failed read: 1 when the entry does not exist in an existing
 * DIR, else 2 with why. */
static int not_found_or(const char *dir, const char *qid, const char *why, char *err, size_t errlen)
{
	struct stat sb;
	char p[4096];
	if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    (size_t)snprintf(p, sizeof p, "%s/msg/%s.eml", dir, qid) < sizeof p && lstat(p, &sb) != 0 &&
	    errno == ENOENT) {
		snprintf(err, errlen, "quarantine: no message %s in %s", qid, dir);
		return 1;
	}
	snprintf(err, errlen, "%s", why);
	return 2;
}

int pc_qentry_load(const char *dir, const char *qid, bool lock, pc_qentry *e, char *err, size_t errlen)
{
	memset(e, 0, sizeof *e);
	e->lockfd = -1;
	e->qid = qid;
	err[0] = '\0';
	if (!pc_quarantine_qid_valid(qid)) {
		char *c = pc_safetext_str(qid);
		snprintf(err, errlen, "quarantine: \"%s\" is not a quarantine id", c);
		g_free(c);
		return 2;
	}
	char why[512];
	bool store = pc_store_is_postgresql(dir);
	if (lock && store) {
		int l = pc_quarantine_pg_lock(dir, qid, why, sizeof why);
		if (l < 0) {
			snprintf(err, errlen, "%s", why);
			return 2;
		}
		if (l == 1) {
			snprintf(err, errlen, "quarantine: %s is being released or deleted by another process", qid);
			return 2;
		}
		e->locked_in = dir;
	} else if (lock) {
		char p[4096];
		if ((size_t)snprintf(p, sizeof p, "%s/msg/%s.eml", dir, qid) >= sizeof p) {
			snprintf(err, errlen, "%s: path too long", dir);
			return 2;
		}
		e->lockfd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (e->lockfd < 0) {
			snprintf(why, sizeof why, "%.400s: %s", p, strerror(errno));
			return not_found_or(dir, qid, why, err, errlen);
		}
		if (flock(e->lockfd, LOCK_EX | LOCK_NB) != 0) {
			snprintf(err, errlen, "quarantine: %s is being released or deleted by another process", qid);
			return 2;
		}
	}
	/* after the lock: a release that finished meanwhile has removed it */
	if (store) {
		int g = pc_quarantine_pg_get(dir, qid, &e->bytes, &e->n, &e->meta_text, NULL, why, sizeof why);
		if (g != 0) {
			char where[300];
			pc_quarantine_where(dir, where, sizeof where);
			if (g == 1)
				snprintf(err, errlen, "quarantine: no message %s in %s", qid, where);
			else
				snprintf(err, errlen, "%s", why);
			return g == 1 ? 1 : 2;
		}
	} else if (pc_quarantine_get(dir, qid, &e->bytes, &e->n, &e->meta_text, why, sizeof why) != 0) {
		return not_found_or(dir, qid, why, err, errlen);
	}
	unsigned char sha[PC_SHA256_LEN];
	if (!(e->meta = pc_qmeta_parse(e->meta_text, &e->problem)) || pc_sha256(e->bytes, e->n, sha) != 0) {
		snprintf(err, errlen, "quarantine: %s: out of memory", qid);
		return 2;
	}
	pc_sha256_hex(sha, e->sha);
	return 0;
}

static json_t *jstr(const char *v)
{
	if (!v)
		return json_null();
	char *c = g_utf8_make_valid(v, -1);
	json_t *j = json_string(c);
	g_free(c);
	return j;
}

json_t *pc_qaction_record(const pc_audit_qrec *r)
{
	char t[32];
	time_t tt = r->when;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(t, sizeof t, "%lld", (long long)r->when);
	json_t *o = json_object(), *rc = json_array();
	bool bad = !o;
	for (size_t i = 0; i < r->nrcpt; i++)
		bad |= json_array_append_new(rc, jstr(r->rcpt[i])) != 0;
	/* set_new takes the value even when it fails */
	bad |= json_object_set_new(o, "time", json_string(t)) != 0;
	bad |= json_object_set_new(o, "actor", jstr(r->actor)) != 0;
	bad |= json_object_set_new(o, "action", jstr(r->action)) != 0;
	bad |= json_object_set_new(o, "qid", jstr(r->qid)) != 0;
	bad |= json_object_set_new(o, "reason", jstr(r->reason)) != 0;
	bad |= json_object_set_new(o, "mail_from", jstr(r->mail_from)) != 0;
	bad |= json_object_set_new(o, "rcpt", rc) != 0;
	bad |= json_object_set_new(o, "sha256", jstr(r->sha256)) != 0;
	bad |= json_object_set_new(o, "detail", jstr(r->detail)) != 0;
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Writes the record of `action` on entry e. 0, or -1 with the store's
 * error in why and the record (JSON, malloc'd, may be NULL) in *line when
 * line is not NULL. */
static int audit(const pc_qaction *a, const char *action, const pc_qentry *e, const char *mail_from,
                 const char *const *rcpt, long nrcpt, const char *detail, char **line, char *why, size_t whylen)
{
	char *d = pc_safetext_str(detail);
	pc_audit_qrec r = {0,         time(NULL), a->actor, action, a->dir, e->qid,
	                   a->reason, mail_from,  e->sha,   d,      rcpt,   nrcpt > 0 ? (size_t)nrcpt : 0};
	int rc = 0;
	if (pc_store_audit_quarantine(a->store, &r) != 0) {
		snprintf(why, whylen, "%s", pc_store_error(a->store));
		rc = -1;
		if (line) {
			json_t *o = pc_qaction_record(&r);
			*line = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
			json_decref(o);
		}
	}
	g_free(d);
	return rc;
}

/* What happened, for people and the audit record: "exit status 0",
 * "exit status 75: <first output>", ... Returns true for a success. */
static bool outcome(const pc_run_result *r, const char *const *argv, size_t nshown, bool postsuper, char *buf,
                    size_t len)
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
		snprintf(st, sizeof st, "killed after %d s", PC_RUN_TIMEOUT_MS / 1000);
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

/* The envelope a release uses, or the reason it cannot (err; 2). */
typedef struct envelope {
	bool held;
	const char *queue_id, *sender, *sender_note;
	const char *const *rcpt;
	long nrcpt;
	const char **mrcpt; /* the recorded recipients (free) */
	long nm;
} envelope;

static int envelope_of(const pc_qaction *a, const pc_qentry *e, envelope *v, char *err, size_t errlen)
{
	const json_t *m = e->meta;
	const char *qid = e->qid;
	v->held = json_is_true(json_object_get(m, "held"));
	v->queue_id = pc_qmeta_str(m, "queue_id");
	v->nm = pc_qmeta_rcpt(m, &v->mrcpt);
	v->rcpt = a->nto ? a->to : v->mrcpt;
	v->nrcpt = a->nto ? (long)a->nto : v->nm;
	v->sender = pc_qmeta_sender(m);
	v->sender_note = "";
	if (v->held) {
		if (a->nto) {
			snprintf(err, errlen,
			         "quarantine release %s: the message is held in Postfix's hold queue "
			         "and is released to its original recipients; --to cannot apply (delete the held "
			         "copy with postsuper -d first to re-inject this one elsewhere)",
			         qid);
			return 2;
		}
		if (!queue_id_valid(v->queue_id)) {
			char *c = pc_safetext_str(v->queue_id ? v->queue_id : "(none)");
			snprintf(err, errlen,
			         "quarantine release %s: held in Postfix's hold queue, but the recorded "
			         "queue ID \"%s\" is not a valid one; release it with postsuper -H by hand",
			         qid, c);
			g_free(c);
			return 2;
		}
		return 0;
	}
	json_t *dropped = json_object_get(m, "rcpt_dropped");
	if (!a->nto && json_is_integer(dropped) && json_integer_value(dropped) > 0) {
		snprintf(err, errlen,
		         "quarantine release %s: the message had %lld more recipients than the %ld "
		         "recorded; give every recipient with --to ADDR",
		         qid, (long long)json_integer_value(dropped), v->nm);
		return 2;
	}
	if (v->nrcpt < 0) {
		snprintf(err, errlen,
		         "quarantine release %s: the metadata's \"rcpt\" is not a list of addresses; give --to ADDR",
		         qid);
		return 2;
	}
	if (v->nrcpt == 0) {
		const char *reason = pc_qmeta_str(m, "reason");
		bool hunt = reason && !strcmp(reason, "hunt");
		snprintf(err, errlen, "quarantine release %s: no recipients recorded (%s); give --to ADDR", qid,
		         e->problem ? e->problem
		         : hunt     ? "taken from a mailbox by hunt"
		                    : "no rcpt in the metadata");
		return 2;
	}
	if (!v->sender) {
		/* hunt entries (and entries without metadata) record no
		 * envelope: bounces of the re-delivery go nowhere rather
		 * than to a header address an attacker chose, or to root */
		v->sender = "";
		v->sender_note = " (no envelope sender recorded: null sender used)";
	}
	bool bad = !arg_ok(v->sender);
	for (long i = 0; i < v->nrcpt; i++)
		bad |= !arg_ok(v->rcpt[i]) || !v->rcpt[i][0];
	if (bad) {
		snprintf(err, errlen,
		         "quarantine release %s: an envelope address is empty or holds a control character; refused",
		         qid);
		return 2;
	}
	return 0;
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
static char **release_argv(const pc_qaction *a, const envelope *v, char ***words)
{
	const char **extra = calloc((size_t)(v->held ? 2 : 4 + v->nrcpt), sizeof *extra);
	if (!extra)
		return NULL;
	size_t nx = 0;
	if (v->held) {
		extra[nx++] = "-H";
		extra[nx++] = v->queue_id;
	} else {
		extra[nx++] = "-i";
		extra[nx++] = "-f";
		extra[nx++] = *v->sender ? v->sender : "<>";
		extra[nx++] = "--";
		for (long i = 0; i < v->nrcpt; i++)
			extra[nx++] = v->rcpt[i];
	}
	char **av = pc_run_argv(v->held ? a->postsuper : a->sendmail, extra, nx, words);
	free(extra);
	return av;
}

int pc_qaction_release(const pc_qaction *a, const char *qid, pc_qaction_done *done, char *err, size_t errlen)
{
	memset(done, 0, sizeof *done);
	pc_qentry e;
	envelope v = {0};
	char **words = NULL, **av = NULL;
	int rc = pc_qentry_load(a->dir, qid, true, &e, err, errlen);
	if (rc || (rc = envelope_of(a, &e, &v, err, errlen)) != 0)
		goto out;
	rc = 2;
	if (!(av = release_argv(a, &v, &words))) {
		if (!words)
			snprintf(err, errlen, "out of memory");
		else
			snprintf(err, errlen, "quarantine release: [quarantine] %s is not an absolute command",
			         v.held ? "postsuper" : "sendmail");
		goto out;
	}
	/* the store's lock goes with its connection: one re-established since
	 * the load (the server restarted) holds it no more, and another node
	 * may be releasing this message now */
	if (e.locked_in) {
		char why[512];
		int held = pc_quarantine_pg_locked(e.locked_in, qid, why, sizeof why);
		if (held != 1) {
			snprintf(err, errlen, "quarantine release %s: %s; not released, try again", qid,
			         held < 0 ? why : "the lock on it was lost with the store's connection");
			goto out;
		}
	}
	size_t nshown = 0; /* the command and the arguments before the recipients */
	while (av[nshown] && (v.held || strcmp(av[nshown], "--")))
		nshown++;
	pc_run_result r;
	pc_run(av, v.held ? NULL : e.bytes, v.held ? 0 : e.n, &r);
	char detail[1024], head[1100], why[512], *line = NULL;
	bool ok = outcome(&r, (const char *const *)av, nshown, v.held, detail, sizeof detail);
	snprintf(head, sizeof head, "%s%s", detail, v.sender_note);
	/* held: the envelope the milter recorded */
	const char *mf = v.held ? pc_qmeta_sender(e.meta) : v.sender;
	long an = v.held ? (v.nm > 0 ? v.nm : 0) : v.nrcpt;
	const char *const *ar = v.held ? v.mrcpt : v.rcpt;
	if (!ok) {
		char *c = pc_safetext_str(head);
		say(err, errlen, "quarantine release %s failed (kept in the quarantine): %s", qid, c);
		g_free(c);
		if (audit(a, "release-failed", &e, mf, ar, an, head, NULL, why, sizeof why) != 0)
			say(err, errlen, "audit log: %s", why);
		goto out;
	}
	/* released: the entry goes even when the record cannot be kept (a
	 * second release would deliver the message twice); the record is then
	 * said, for the administrator to keep */
	int arc = audit(a, "release", &e, mf, ar, an, head, &line, why, sizeof why);
	if (arc != 0)
		say(err, errlen, "released, but the audit record failed: %s\nportcullis: the record: %s", why,
		    line ? line : "(none)");
	free(line);
	if (pc_quarantine_remove(a->dir, qid, why, sizeof why) != 0) {
		say(err, errlen, "released, but the entry could not be removed (do not release it again): %s", why);
		goto out;
	}
	done->held = v.held;
	done->nrcpt = v.nrcpt;
	if (v.held) {
		snprintf(done->queue_id, sizeof done->queue_id, "%s", v.queue_id);
		/* postsuper -H moves it to the deferred queue: ask for delivery
		 * now, not at the next queue run (minutes later) */
		const char *pq[2] = {"-i", v.queue_id};
		char **w2 = NULL;
		char **av2 = pc_run_argv(a->postqueue, pq, 2, &w2);
		pc_run_result r2;
		if (av2) {
			pc_run(av2, NULL, 0, &r2);
			if (!r2.reaped || !WIFEXITED(r2.status) || WEXITSTATUS(r2.status) != 0)
				say(err, errlen,
				    "[quarantine] postqueue -i %s failed; Postfix delivers it at its next queue run",
				    v.queue_id);
		}
		free(av2);
		g_strfreev(w2);
	}
	rc = arc == 0 ? 0 : 2;
out:
	free(av);
	g_strfreev(words);
	free(v.mrcpt);
	pc_qentry_free(&e);
	return rc;
}

int pc_qaction_delete(const pc_qaction *a, const char *qid, char *err, size_t errlen)
{
	pc_qentry e;
	int rc = pc_qentry_load(a->dir, qid, true, &e, err, errlen);
	if (rc) {
		pc_qentry_free(&e);
		return rc;
	}
	const char **mrcpt = NULL;
	long nm = pc_qmeta_rcpt(e.meta, &mrcpt);
	char why[512];
	rc = 2;
	/* the record first: a delete that cannot be audited is not done */
	if (audit(a, "delete", &e, pc_qmeta_sender(e.meta), mrcpt, nm, "deleted", NULL, why, sizeof why) != 0)
		snprintf(err, errlen, "audit log: %s (not deleted)", why);
	else if (pc_quarantine_remove(a->dir, qid, why, sizeof why) != 0)
		snprintf(err, errlen, "%s", why);
	else
		rc = 0;
	free(mrcpt);
	pc_qentry_free(&e);
	return rc;
}
