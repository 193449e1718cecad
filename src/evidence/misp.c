/*
 * NAME
 *   misp - a case file as a MISP event (MISP core format; see export.h)
 * DESCRIPTION
 *   {"Event": {...}} with the campaign as info, date and timestamps,
 *   threat level high for a malicious campaign (else medium), analysis
 *   completed when an analyst marked it (else ongoing), distribution from
 *   the TLP (red, amber+strict: your organisation only; amber: this
 *   community; green, clear: all communities), tags tlp:* and
 *   portcullis:status / portcullis:verdict, the reporting organisation
 *   as Orgc. Attributes, to_ids true for what a peer should match:
 *   email-src (From), email-reply-to, email-src with comment Return-Path,
 *   domain (sender and lookalike domains), hostname (tracker hosts),
 *   ip-src (sending IPs), email-subject, pattern-in-traffic (a URL
 *   template's regex, comment naming the template: hunt/ioc reads it
 *   back), and sha256 of each copy's original with to_ids false (one copy
 *   only: evidence, not a detector). Objects: one "email" per copy with a
 *   custody record (from, reply-to, return-path, subject, message-id,
 *   send-date, received-header-ip; at most COPIES_MAX) and one
 *   "domain-ip" per tracker host. Object template UUIDs are MISP's
 *   (misp-objects: email, domain-ip).
 */
#include "evidence/export.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "evidence/uuid.h"

#define COPIES_MAX 1000
#define EMAIL_TEMPLATE "a0c666e0-fc65-4be8-b48f-3423d788b552"
#define EMAIL_TEMPLATE_VERSION "18"
#define DOMAIN_IP_TEMPLATE "43b3b146-77eb-4931-b4cc-b66c60f28734"
#define DOMAIN_IP_TEMPLATE_VERSION "10"

typedef struct mb {
	char ts[24];
	bool failed;
} mb;

static json_t *attr(mb *b, const char *type, const char *category, const char *value, bool to_ids, const char *comment,
                    const char *relation)
{
	char u[PC_UUID_LEN];
	if (!value || !*value)
		return NULL;
	if (pc_uuid4(u) != 0) {
		b->failed = true;
		return NULL;
	}
	json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:s}", "uuid", u, "type", type, "category", category,
	                      "value", value, "to_ids", to_ids, "distribution", "5", "timestamp", b->ts, "comment",
	                      comment ? comment : "");
	if (a && relation)
		json_object_set_new(a, "object_relation", json_string(relation));
	if (!a)
		b->failed = true;
	return a;
}

static void push(json_t *arr, json_t *a)
{
	if (a)
		json_array_append_new(arr, a);
}

static json_t *object(mb *b, const char *name, const char *meta, const char *tmpl, const char *ver, const char *comment)
{
	char u[PC_UUID_LEN];
	if (pc_uuid4(u) != 0) {
		b->failed = true;
		return NULL;
	}
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[]}", "uuid", u, "name", name, "meta-category", meta,
	                 "template_uuid", tmpl, "template_version", ver, "distribution", "5", "timestamp", b->ts,
	                 "comment", comment ? comment : "", "Attribute");
}

char *pc_misp_event(const json_t *c, char *err, size_t errlen)
{
	const json_t *k = json_object_get(c, "campaign");
	mb b = {.failed = false};
	long long gen = pc_case_time(pc_case_str(c, "generated"));
	snprintf(b.ts, sizeof b.ts, "%lld", gen);
	const char *tlp = pc_case_str(c, "tlp") ? pc_case_str(c, "tlp") : "amber";
	const char *dist = !strcmp(tlp, "red") || !strcmp(tlp, "amber+strict") ? "0"
	                   : !strcmp(tlp, "amber")                             ? "1"
	                                                                       : "3";
	bool malicious = pc_case_str(k, "status") && !strcmp(pc_case_str(k, "status"), "malicious");
	char date[16] = "1970-01-01";
	const char *first = pc_case_str(k, "first_seen");
	if (first && strlen(first) >= 10)
		snprintf(date, sizeof date, "%.10s", first);
	long long cid = (long long)json_integer_value(json_object_get(k, "id"));
	char *info = g_strdup_printf("Portcullis campaign %lld: %s (%lld copies, %lld recipients)", cid,
	                             pc_case_str(k, "subject") ? pc_case_str(k, "subject") : "",
	                             (long long)json_integer_value(json_object_get(k, "size")),
	                             (long long)json_integer_value(json_object_get(k, "recipients")));
	char u[PC_UUID_LEN], ou[PC_UUID_LEN];
	if (pc_uuid4(u) != 0 || pc_uuid4(ou) != 0)
		b.failed = true;
	const json_t *org = json_object_get(c, "organisation");
	char tag_tlp[32], tag_status[64], tag_verdict[64];
	snprintf(tag_tlp, sizeof tag_tlp, "tlp:%s", tlp);
	snprintf(tag_status, sizeof tag_status, "portcullis:status=\"%s\"",
	         pc_case_str(k, "status") ? pc_case_str(k, "status") : "open");
	snprintf(tag_verdict, sizeof tag_verdict, "portcullis:verdict=\"%s\"",
	         pc_case_str(k, "verdict") ? pc_case_str(k, "verdict") : "accept");
	json_t *attrs = json_array(), *objs = json_array();
	json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:{s:s,s:s},s:[{s:s},{s:s},{s:s}]}", "uuid", u, "info",
	                       info, "date", date, "threat_level_id", malicious ? "1" : "2", "analysis",
	                       json_is_true(json_object_get(k, "analyst")) ? "2" : "1", "distribution", dist,
	                       "timestamp", b.ts, "published", 0, "Orgc", "name",
	                       pc_case_str(org, "name") ? pc_case_str(org, "name") : "Portcullis operator", "uuid", ou,
	                       "Tag", "name", tag_tlp, "name", tag_status, "name", tag_verdict);
	g_free(info);
	size_t i;
	const json_t *x;
	json_array_foreach(json_object_get(c, "indicators"), i, x)
	{
		const char *type = pc_case_str(x, "type"), *v = pc_case_str(x, "value"), *why = pc_case_str(x, "why");
		if (!type || !v)
			continue;
		if (!strcmp(type, "sender-address"))
			push(attrs, attr(&b, "email-src", "Payload delivery", v, true, why, NULL));
		else if (!strcmp(type, "reply-to"))
			push(attrs, attr(&b, "email-reply-to", "Payload delivery", v, true, why, NULL));
		else if (!strcmp(type, "return-path"))
			push(attrs, attr(&b, "email-src", "Payload delivery", v, true, "Return-Path of a copy", NULL));
		else if (!strcmp(type, "sender-domain") || !strcmp(type, "lookalike-domain"))
			push(attrs, attr(&b, "domain", "Network activity", v, true, why, NULL));
		else if (!strcmp(type, "tracker-host"))
			push(attrs, attr(&b, "hostname", "Network activity", v, true, why, NULL));
		else if (!strcmp(type, "sending-ip"))
			push(attrs, attr(&b, "ip-src", "Network activity", v, true, why, NULL));
		else if (!strcmp(type, "subject"))
			push(attrs, attr(&b, "email-subject", "Payload delivery", v, true, why, NULL));
		else if (!strcmp(type, "url-template") && pc_case_str(x, "regex")) {
			char *cm =
			    g_strdup_printf("Portcullis URL template %s: the per-recipient token as a pattern", v);
			push(attrs, attr(&b, "pattern-in-traffic", "Network activity", pc_case_str(x, "regex"), true,
			                 cm, NULL));
			g_free(cm);
		}
		if (!strcmp(type, "tracker-host")) {
			json_t *o = object(&b, "domain-ip", "network", DOMAIN_IP_TEMPLATE, DOMAIN_IP_TEMPLATE_VERSION,
			                   "tracker host");
			if (o) {
				push(json_object_get(o, "Attribute"),
				     attr(&b, "hostname", "Network activity", v, true, NULL, "hostname"));
				json_array_append_new(objs, o);
			}
		}
	}
	size_t copies = 0;
	json_array_foreach(json_object_get(c, "members"), i, x)
	{
		const char *sha = pc_case_str(x, "sha256");
		if (!sha)
			continue;
		char cm[64];
		snprintf(cm, sizeof cm, "original of copy %lld",
		         (long long)json_integer_value(json_object_get(x, "n")));
		push(attrs, attr(&b, "sha256", "Payload delivery", sha, false, cm, NULL));
		if (copies++ >= COPIES_MAX)
			continue;
		json_t *o = object(&b, "email", "network", EMAIL_TEMPLATE, EMAIL_TEMPLATE_VERSION, cm);
		if (!o)
			continue;
		json_t *oa = json_object_get(o, "Attribute");
		push(oa, attr(&b, "email-src", "Payload delivery", pc_case_str(x, "from"), true, NULL, "from"));
		push(oa, attr(&b, "email-reply-to", "Payload delivery", pc_case_str(x, "reply_to"), true, NULL,
		              "reply-to"));
		push(oa, attr(&b, "email-src", "Payload delivery", pc_case_str(x, "return_path"), false, NULL,
		              "return-path"));
		push(oa,
		     attr(&b, "email-subject", "Payload delivery", pc_case_str(x, "subject"), false, NULL, "subject"));
		push(oa, attr(&b, "email-message-id", "Payload delivery", pc_case_str(x, "message_id"), false, NULL,
		              "message-id"));
		push(oa, attr(&b, "datetime", "Other", pc_case_str(x, "arrived"), false, NULL, "send-date"));
		push(oa, attr(&b, "ip-src", "Network activity", pc_case_str(x, "sending_ip"), false, NULL,
		              "received-header-ip"));
		if (json_array_size(oa))
			json_array_append_new(objs, o);
		else
			json_decref(o);
	}
	char *text = NULL;
	if (ev && !b.failed) {
		json_object_set_new(ev, "Attribute", attrs);
		json_object_set_new(ev, "Object", objs);
		attrs = objs = NULL;
		json_t *top = json_pack("{s:O}", "Event", ev);
		text = top ? json_dumps(top, JSON_INDENT(1) | JSON_ENSURE_ASCII) : NULL;
		json_decref(top);
	}
	json_decref(attrs);
	json_decref(objs);
	json_decref(ev);
	if (!text)
		snprintf(err, errlen, "MISP event: out of memory or no randomness");
	return text;
}
