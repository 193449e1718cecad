/*
 * NAME
 *   act - the act step as one outcome (see act.h)
 */
#include "pipeline/act.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "act/authres.h"
#include "act/headers.h"
#include "act/rewrite.h"
#include "core/sha256.h"

static int push(pc_outcome *o, char op, const char *name, size_t namelen, unsigned index, const char *value,
                size_t valuelen)
{
	if (o->nedits == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 16;
		pc_hedit *e = realloc(o->edits, cap * sizeof *e);
		if (!e)
			return -1;
		o->edits = e;
		o->cap = cap;
	}
	pc_hedit *e = &o->edits[o->nedits];
	memset(e, 0, sizeof *e);
	e->op = op;
	e->index = index;
	if (!(e->name = strndup(name, namelen)))
		return -1;
	if (value) {
		if (!(e->value = malloc(valuelen + 1))) {
			free(e->name);
			return -1;
		}
		memcpy(e->value, value, valuelen);
		e->value[valuelen] = '\0';
		e->valuelen = valuelen;
	}
	o->nedits++;
	return 0;
}

static int add(pc_outcome *o, const char *name, const char *value)
{
	return push(o, 'a', name, strlen(name), 0, value, strlen(value));
}

static int on_edit(void *ctx, char op, const char *name, size_t namelen, unsigned index, const char *value,
                   size_t valuelen)
{
	return push(ctx, op, name, namelen, index, op == 'd' ? NULL : value, valuelen);
}

/* The header edits from the message as it came (orig) to `now` without
 * forged fields; *body set to where now's body starts. */
static int header_edits(pc_outcome *o, const char *authserv_id, const char *orig, size_t on, const char *now, size_t nn,
                        size_t *body)
{
	pc_hfield *a = NULL, *b = NULL, *keep = NULL;
	size_t ob;
	size_t na = pc_hdr_split(orig, on, &a, &ob);
	size_t nb = pc_hdr_split(now, nn, &b, body);
	int rc = -1;
	if (na == (size_t)-1 || nb == (size_t)-1 || !(keep = malloc((nb ? nb : 1) * sizeof *keep)))
		goto out;
	size_t nk = 0;
	for (size_t i = 0; i < nb; i++)
		if (!pc_hdr_forged(b[i].name, b[i].namelen, b[i].value, b[i].valuelen, authserv_id))
			keep[nk++] = b[i];
	rc = pc_hdr_diff(a, na, keep, nk, on_edit, o) ? -1 : 0;
out:
	free(a);
	free(b);
	free(keep);
	return rc;
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

static int fail(pc_outcome *o, const char *why)
{
	o->why = why;
	return -1;
}

int pc_act(pc_scanner *sc, const pc_msg *m, const pc_act_in *in, pc_outcome *o)
{
	memset(o, 0, sizeof *o);
	/* everything about the scan first: pc_neutralise reuses m */
	char ar[PC_AUTHRES_HEADER_MAX];
	reasons_text(m, o->reasons, PC_REASONS_MAX);
	snprintf(o->score, sizeof o->score, "%.1f", m->score);
	o->verdict = m->verdict;
	o->action = pc_action_name(m->verdict);
	const pc_finding *top = m->reasons.n ? m->reasons.v[0] : NULL;
	if ((m->campaign && !(o->campaign = strdup(m->campaign))) ||
	    (top && top->summary && !(o->detail = strdup(top->summary))))
		return fail(o, "out of memory building the reply");
	size_t arn = in->edits ? pc_authres_header(m, "\n", ar, sizeof ar) : 0;
	if (o->verdict == PC_ACTION_QUARANTINE) {
		if (in->env) {
			unsigned char sha[PC_SHA256_LEN];
			char hex[PC_SHA256_HEX];
			if (pc_scan_sha256(sc, in->bytes, in->n, sha) != 0) /* OpenSSL allocates */
				return fail(o, "sha256 failed (out of memory)");
			pc_sha256_hex(sha, hex);
			char *custody = pc_scan_custody(sc, m, in->bytes, in->n);
			pc_qmeta meta = {.reason = in->meta_reason,
			                 .custody = custody,
			                 .time = (long long)time(NULL),
			                 .env = in->env,
			                 .msg = m,
			                 .sha256 = hex,
			                 .scan = in->scan_json};
			o->meta = pc_qmeta_json(&meta);
			free(custody);
			if (!o->meta)
				return fail(o, "out of memory writing the quarantine metadata");
		}
		o->action = in->hold ? "hold" : "quarantine";
	}
	if (o->verdict == PC_ACTION_REJECT || (o->verdict == PC_ACTION_QUARANTINE && !in->hold))
		return 0; /* the message goes no further */

	if (in->edits) { /* the fields we add, on top in this order */
		if (arn > 24 && !strncmp(ar, "Authentication-Results:", 23)) {
			char *v = ar + 23;
			size_t vl = arn - 23;
			while (vl && (v[vl - 1] == '\n' || v[vl - 1] == '\r'))
				v[--vl] = '\0';
			if (add(o, "Authentication-Results", v) != 0)
				return fail(o, "out of memory building the reply");
		}
		char val[PC_REASONS_MAX + 64];
		const char *names[] = {"X-Portcullis-Verdict", "X-Portcullis-Score", "X-Portcullis-Reasons",
		                       "X-Portcullis-Ref"};
		const char *vals[] = {pc_action_name(o->verdict), o->score, o->reasons, in->ref ? in->ref : "-"};
		for (size_t i = 0; i < 4; i++) {
			snprintf(val, sizeof val, " %s", vals[i]);
			if (add(o, names[i], val) != 0)
				return fail(o, "out of memory building the reply");
		}
	}
	pc_rewrite_stats st = {0};
	int rc = 0;
	if (o->verdict == PC_ACTION_NEUTRALISE) {
		rc = pc_neutralise(sc, m, in->bytes, in->n, in->rcpt, in->nrcpt, &o->message, &o->messagen, &st);
		if (rc < 0)
			return fail(o, "the rewrite failed (out of memory)");
	}
	if (!in->edits)
		return 0;
	/* the rewriter's summary of what it removed is ours: keep it */
	if (rc == 1 && st.trackers[0] && add(o, "X-Portcullis-Trackers", st.trackers) != 0)
		return fail(o, "out of memory building the reply");
	const char *now = rc == 1 ? o->message : in->bytes;
	size_t nown = rc == 1 ? o->messagen : in->n;
	if (header_edits(o, in->authserv_id, in->bytes, in->n, now, nown, &o->body) != 0)
		return fail(o, "out of memory computing header edits");
	return 0;
}

void pc_outcome_free(pc_outcome *o)
{
	for (size_t i = 0; i < o->nedits; i++) {
		free(o->edits[i].name);
		free(o->edits[i].value);
	}
	free(o->edits);
	free(o->campaign);
	free(o->detail);
	free(o->meta);
	free(o->message);
	memset(o, 0, sizeof *o);
}
