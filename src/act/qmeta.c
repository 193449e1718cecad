/*
 * NAME
 *   qmeta - quarantine metadata, written and read (see qmeta.h)
 */
#include "act/qmeta.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"

const char *pc_qmeta_reason(const pc_msg *m, size_t i)
{
	const char *d = ((const pc_finding *)m->reasons.v[i])->detector;
	for (size_t k = 0; k < i; k++)
		if (!strcmp(((const pc_finding *)m->reasons.v[k])->detector, d))
			return NULL;
	return d;
}

/* v as a JSON string made valid UTF-8 (mail and envelopes hold any
 * bytes), or null. */
static json_t *str(const char *v)
{
	if (!v)
		return json_null();
	if (g_utf8_validate(v, -1, NULL))
		return json_string(v);
	char *c = g_utf8_make_valid(v, -1);
	json_t *j = json_string(c);
	g_free(c);
	return j;
}

/* Sets o[k] = v (taking v); false when out of memory. */
static bool set(json_t *o, const char *k, json_t *v)
{
	return v && json_object_set_new(o, k, v) == 0;
}

static json_t *time_str(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];
	if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, sizeof buf, "%lld", t);
	return json_string(buf);
}

static json_t *campaign_of(const pc_qmeta *q)
{
	if (q->env && q->msg)
		return q->msg->campaign ? json_integer(strtoll(q->msg->campaign, NULL, 10)) : json_null();
	return q->campaign ? json_integer(q->campaign) : json_null();
}

static bool message_fields(json_t *o, const pc_msg *m)
{
	const pc_addr *from = m->from.n ? m->from.v[0] : NULL;
	return set(o, "message_id", str(m->message_id)) && set(o, "from", str(from ? from->addr : NULL)) &&
	       set(o, "subject", str(m->subject));
}

/* The scan a limit stopped: one finding, as a scan would write it
 * (limit and why are ours: ASCII). */
static json_t *limit_scan(const pc_qmeta *q)
{
	return json_pack("{s:s, s:s, s:[{s:s, s:f, s:s, s:{s:s?, s:s?}}]}", "verdict", "quarantine", "rule", "limit",
	                 "findings", "detector", "parse.limit", "score", 0.0, "summary",
	                 "the message could not be scanned within the limits", "evidence", "limit", q->limit, "why",
	                 q->limit_why);
}

/* The scan's own JSON, embedded whole; kept as a string if it does not
 * read back (never lost). */
static json_t *scan_obj(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
	return j ? j : str(text);
}

static bool milter_part(json_t *o, const pc_qmeta *q)
{
	const pc_qmeta_env *e = q->env;
	json_t *rcpt = json_array();
	if (!set(o, "ref", str(e->ref)) || !set(o, "time", time_str(q->time)) ||
	    !set(o, "queue_id", str(e->queue_id)) || !set(o, "held", json_boolean(e->held)) ||
	    !set(o, "client_ip", str(e->client_ip)) || !set(o, "client_name", str(e->client_name)) ||
	    !set(o, "helo", str(e->helo)) || !set(o, "mail_from", str(e->mail_from ? e->mail_from : "")) ||
	    !set(o, "rcpt", rcpt))
		return false;
	for (size_t i = 0; i < e->nrcpt; i++)
		if (json_array_append_new(rcpt, str(e->rcpt[i])) != 0)
			return false;
	json_t *reasons = json_array();
	if (!set(o, "rcpt_dropped", json_integer((json_int_t)e->rcpt_dropped)) ||
	    !set(o, "verdict", str(q->msg ? pc_action_name(q->msg->verdict) : "quarantine")) ||
	    !set(o, "score", json_real(q->msg ? q->msg->score : 0.0)) || !set(o, "reasons", reasons))
		return false;
	if (!q->msg && json_array_append_new(reasons, str("parse.limit")) != 0)
		return false;
	for (size_t i = 0; q->msg && i < q->msg->reasons.n; i++) {
		const char *d = pc_qmeta_reason(q->msg, i);
		if (d && json_array_append_new(reasons, str(d)) != 0)
			return false;
	}
	if (!set(o, "campaign", campaign_of(q)) || (q->msg && !message_fields(o, q->msg)) ||
	    !set(o, "sha256", str(q->sha256)))
		return false;
	if (q->custody && !set(o, "custody", scan_obj(q->custody)))
		return false;
	if (q->limit)
		return set(o, "scan", limit_scan(q));
	return !q->scan || set(o, "scan", scan_obj(q->scan));
}

static bool hunt_part(json_t *o, const pc_qmeta *q)
{
	return set(o, "source", str(q->source)) && set(o, "mailbox", str(q->mailbox)) &&
	       set(o, "index", json_integer((json_int_t)q->index)) && set(o, "campaign", campaign_of(q)) &&
	       set(o, "why", str(q->why)) && (!q->msg || message_fields(o, q->msg)) &&
	       set(o, "sha256_in_mailbox", str(q->sha256_in_mailbox)) && set(o, "time", time_str(q->time)) &&
	       set(o, "actor", str(q->actor));
}

char *pc_qmeta_json(const pc_qmeta *q)
{
	json_t *o = json_object();
	char *out = NULL;
	if (o && set(o, "reason", str(q->reason)) && (q->env ? milter_part(o, q) : hunt_part(o, q)))
		out = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(o);
	return out;
}

json_t *pc_qmeta_parse(const char *text, const char **problem)
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

const char *pc_qmeta_str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *pc_qmeta_sender(const json_t *o)
{
	const char *s = pc_qmeta_str(o, "mail_from");
	if (s && !strcmp(s, "<>"))
		return "";
	return s;
}

long pc_qmeta_rcpt(const json_t *o, const char ***out)
{
	*out = NULL;
	const json_t *r = json_object_get(o, "rcpt");
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
