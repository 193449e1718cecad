/*
 * NAME
 *   stix - a case file as a STIX 2.1 bundle (see export.h)
 * DESCRIPTION
 *   Objects, all created by the reporting organisation's identity and
 *   marked with the case's TLP (the TLP 1.0 marking definitions of the
 *   STIX 2.1 specification, section 7.2.1.4, included in the bundle so
 *   that it stands alone; amber+strict is marked amber and named so in
 *   the campaign's description, clear is TLP:WHITE):
 *   - the campaign (first_seen, last_seen, the normalised subject's
 *     SHA-256 and the template's MinHash signature as x_portcullis_*);
 *   - one indicator per case indicator, its STIX pattern
 *     (email-message:from_ref.value, email-addr:value, domain-name:value,
 *     ipv4-addr/ipv6-addr:value, email-message:subject, and url:value
 *     MATCHES the template's regex with x_portcullis_template), each
 *     "indicates" the campaign and has a sighting with its count;
 *   - observables: email-addr, domain-name, ipv4/6-addr (ids UUIDv5 as
 *     the specification derives them), a file per copy with the SHA-256
 *     of its original bytes, an email-message per copy with a custody
 *     record (from, subject, Message-ID, date; recipients only in clear
 *     mode; its original as an artifact only with bodies), one
 *     observed-data holding them and a sighting of the campaign with the
 *     copies' count, first and last arrival;
 *   - a note with the reasoning (each finding, its evidence and how many
 *     copies had it) and a report that lists every object.
 *   String literals in patterns escape ' and \ (STIX patterning 9.2);
 *   everything else is JSON (jansson escapes it).
 */
#include "evidence/export.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "evidence/uuid.h"

#define MESSAGES_MAX 5000 /* email-message objects; file hashes for every copy */

typedef struct sb {
	json_t *objects;
	json_t *all_ids; /* for the report */
	const char *created, *identity, *marking;
	GHashTable *sco; /* id -> 1: one object per observable */
	bool failed;
} sb;

/* "...Z" as a millisecond timestamp "....000Z" (SDO created/modified). */
static json_t *ms(const char *t)
{
	if (!t || strlen(t) != 20)
		return json_string("1970-01-01T00:00:00.000Z");
	char buf[32];
	snprintf(buf, sizeof buf, "%.19s.000Z", t);
	return json_string(buf);
}

static char *new_id(const char *type)
{
	char u[PC_UUID_LEN];
	if (pc_uuid4(u) != 0)
		return NULL;
	return g_strdup_printf("%s--%s", type, u);
}

static void add(sb *b, json_t *o)
{
	if (!o) {
		b->failed = true;
		return;
	}
	json_array_append(b->all_ids, json_object_get(o, "id"));
	json_array_append_new(b->objects, o);
}

/* A new SDO/SRO with the common properties. */
static json_t *sdo(sb *b, const char *type, char **id_out)
{
	char *id = new_id(type);
	if (!id) {
		b->failed = true;
		return NULL;
	}
	json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:[s]}", "type", type, "spec_version", "2.1", "id", id,
	                      "created", ms(b->created), "modified", ms(b->created), "created_by_ref", b->identity,
	                      "object_marking_refs", b->marking);
	if (id_out)
		*id_out = id;
	else
		g_free(id);
	return o;
}

/* A cyber-observable with a UUIDv5 id over {"value": v}; its id. */
static const char *sco_value(sb *b, const char *type, const char *value)
{
	json_t *idp = json_pack("{s:s}", "value", value);
	char *canon = idp ? json_dumps(idp, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(idp);
	char u[PC_UUID_LEN];
	if (!canon || pc_uuid5(u, PC_UUID_NS_STIX_SCO, canon, strlen(canon)) != 0) {
		free(canon);
		b->failed = true;
		return NULL;
	}
	free(canon);
	char *id = g_strdup_printf("%s--%s", type, u);
	const char *have = g_hash_table_lookup(b->sco, id);
	if (have) {
		g_free(id);
		return have;
	}
	add(b, json_pack("{s:s,s:s,s:s,s:s}", "type", type, "spec_version", "2.1", "id", id, "value", value));
	g_hash_table_insert(b->sco, id, id);
	return id;
}

/* A STIX pattern string literal: ' and \ escaped. */
static void lit(GString *p, const char *s)
{
	g_string_append_c(p, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			g_string_append_c(p, '\\');
		g_string_append_c(p, *s);
	}
	g_string_append_c(p, '\'');
}

static bool is_ipv6(const char *s)
{
	return strchr(s, ':') != NULL;
}

/* The pattern of one case indicator (NULL: a type with none). */
static char *pattern_of(const char *type, const char *value, const char *regex)
{
	GString *p = g_string_new("[");
	if (!strcmp(type, "sender-address"))
		g_string_append(p, "email-message:from_ref.value = ");
	else if (!strcmp(type, "reply-to") || !strcmp(type, "return-path"))
		g_string_append(p, "email-addr:value = ");
	else if (!strcmp(type, "sender-domain") || !strcmp(type, "lookalike-domain") || !strcmp(type, "tracker-host"))
		g_string_append(p, "domain-name:value = ");
	else if (!strcmp(type, "sending-ip"))
		g_string_append(p, is_ipv6(value) ? "ipv6-addr:value = " : "ipv4-addr:value = ");
	else if (!strcmp(type, "subject"))
		g_string_append(p, "email-message:subject = ");
	else if (!strcmp(type, "url-template") && regex) {
		g_string_append(p, "url:value MATCHES ");
		value = regex;
	} else {
		g_string_free(p, TRUE);
		return NULL;
	}
	lit(p, value);
	g_string_append_c(p, ']');
	return g_string_free(p, FALSE);
}

static const char *sco_type_of(const char *type, const char *value)
{
	if (!strcmp(type, "sender-address") || !strcmp(type, "reply-to") || !strcmp(type, "return-path"))
		return "email-addr";
	if (!strcmp(type, "sender-domain") || !strcmp(type, "lookalike-domain") || !strcmp(type, "tracker-host"))
		return "domain-name";
	if (!strcmp(type, "sending-ip"))
		return is_ipv6(value) ? "ipv6-addr" : "ipv4-addr";
	return NULL;
}

static const struct {
	const char *tlp, *id, *name;
} tlps[] = {
    {"clear", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "white"},
    {"green", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green"},
    {"amber", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber"},
    {"amber+strict", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber"},
    {"red", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red"},
};

/* The reasoning as text: each finding with its evidence. */
static char *reasoning(const json_t *c)
{
	const json_t *k = json_object_get(c, "campaign");
	GString *t = g_string_new(NULL);
	g_string_append_printf(t, "Campaign %lld is %s (%s). Verdict: %s.\n",
	                       (long long)json_integer_value(json_object_get(k, "id")),
	                       pc_case_str(k, "status") ? pc_case_str(k, "status") : "?",
	                       pc_case_str(k, "why") ? pc_case_str(k, "why") : "",
	                       pc_case_str(k, "verdict") ? pc_case_str(k, "verdict") : "?");
	size_t i;
	const json_t *f;
	json_array_foreach(json_object_get(c, "findings"), i, f)
	{
		g_string_append_printf(t, "\n- %s (%lld copies, score %.1f): %s",
		                       pc_case_str(f, "detector") ? pc_case_str(f, "detector") : "?",
		                       (long long)json_integer_value(json_object_get(f, "members")),
		                       json_number_value(json_object_get(f, "score")),
		                       pc_case_str(f, "summary") ? pc_case_str(f, "summary") : "");
		const char *key;
		const json_t *v;
		json_object_foreach((json_t *)json_object_get(f, "evidence"), key, v)
		{
			if (json_is_string(v))
				g_string_append_printf(t, "\n    %s: %s", key, json_string_value(v));
		}
	}
	return g_string_free(t, FALSE);
}

char *pc_stix_bundle(const json_t *c, char *err, size_t errlen)
{
	const json_t *k = json_object_get(c, "campaign");
	const char *generated = pc_case_str(c, "generated"), *tlp = pc_case_str(c, "tlp");
	size_t t = 2;
	for (size_t i = 0; tlp && i < sizeof tlps / sizeof tlps[0]; i++)
		if (!strcmp(tlp, tlps[i].tlp))
			t = i;
	char *identity = new_id("identity"), *bundle = new_id("bundle");
	sb b = {json_array(),        json_array(),
	        generated,           identity,
	        tlps[t].id,          g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
	        !identity || !bundle};
	char tlpname[32];
	snprintf(tlpname, sizeof tlpname, "TLP:%s", tlps[t].name);
	for (char *p = tlpname; *p; p++)
		*p = g_ascii_toupper(*p);
	json_array_append_new(b.objects,
	                      json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s}}", "type", "marking-definition",
	                                "spec_version", "2.1", "id", tlps[t].id, "created", "2017-01-20T00:00:00.000Z",
	                                "definition_type", "tlp", "name", tlpname, "definition", "tlp", tlps[t].name));
	const json_t *org = json_object_get(c, "organisation");
	json_t *ident = json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:s}", "type", "identity", "spec_version", "2.1", "id",
	                          identity ? identity : "", "created", ms(generated), "modified", ms(generated), "name",
	                          pc_case_str(org, "name") ? pc_case_str(org, "name") : "Portcullis operator",
	                          "identity_class", "organization");
	if (ident && pc_case_str(org, "contact"))
		json_object_set_new(ident, "contact_information", json_string(pc_case_str(org, "contact")));
	add(&b, ident);

	char *campaign_id = NULL;
	json_t *camp = sdo(&b, "campaign", &campaign_id);
	long long cid = (long long)json_integer_value(json_object_get(k, "id"));
	char *name = g_strdup_printf("Portcullis campaign %lld: %s", cid,
	                             pc_case_str(k, "subject") ? pc_case_str(k, "subject") : "");
	char *desc = g_strdup_printf(
	    "%lld copies to %lld recipients from %lld sender addresses between %s and %s; %lld copies carried a "
	    "per-recipient tracking token. Status: %s. Why: %s. Marking: TLP:%s.",
	    (long long)json_integer_value(json_object_get(k, "size")),
	    (long long)json_integer_value(json_object_get(k, "recipients")),
	    (long long)json_integer_value(json_object_get(k, "senders")), pc_case_str(k, "first_seen"),
	    pc_case_str(k, "last_seen"), (long long)json_integer_value(json_object_get(k, "tokened")),
	    pc_case_str(k, "status"), pc_case_str(k, "why"), tlp ? tlp : "amber");
	if (camp) {
		json_object_set_new(camp, "name", json_string(name));
		json_object_set_new(camp, "description", json_string(desc));
		json_object_set_new(camp, "first_seen", ms(pc_case_str(k, "first_seen")));
		json_object_set_new(camp, "last_seen", ms(pc_case_str(k, "last_seen")));
		json_object_set_new(camp, "x_portcullis_campaign", json_integer(cid));
		json_object_set_new(camp, "x_portcullis_status",
		                    json_string(pc_case_str(k, "status") ? pc_case_str(k, "status") : "open"));
		if (pc_case_str(k, "subject_sha256"))
			json_object_set_new(camp, "x_portcullis_subject_sha256",
			                    json_string(pc_case_str(k, "subject_sha256")));
		if (pc_case_str(k, "signature"))
			json_object_set_new(camp, "x_portcullis_signature", json_string(pc_case_str(k, "signature")));
	}
	g_free(name);
	g_free(desc);
	add(&b, camp);
	bool malicious = pc_case_str(k, "status") && !strcmp(pc_case_str(k, "status"), "malicious");

	json_t *note_refs = json_array();
	json_array_append_new(note_refs, json_string(campaign_id ? campaign_id : ""));
	size_t i;
	const json_t *ind;
	json_array_foreach(json_object_get(c, "indicators"), i, ind)
	{
		const char *type = pc_case_str(ind, "type"), *value = pc_case_str(ind, "value");
		if (!type || !value)
			continue;
		char *pat = pattern_of(type, value, pc_case_str(ind, "regex"));
		if (!pat)
			continue;
		char *ind_id = NULL;
		json_t *o = sdo(&b, "indicator", &ind_id);
		if (o) {
			char *iname = g_strdup_printf("%s %s", type, value);
			json_object_set_new(o, "name", json_string(iname));
			g_free(iname);
			json_object_set_new(o, "description",
			                    json_string(pc_case_str(ind, "why") ? pc_case_str(ind, "why") : type));
			json_object_set_new(o, "indicator_types",
			                    json_pack("[s]", malicious ? "malicious-activity" : "anomalous-activity"));
			json_object_set_new(o, "pattern", json_string(pat));
			json_object_set_new(o, "pattern_type", json_string("stix"));
			json_object_set_new(o, "pattern_version", json_string("2.1"));
			json_object_set_new(o, "valid_from", ms(pc_case_str(k, "first_seen")));
			if (!strcmp(type, "url-template"))
				json_object_set_new(o, "x_portcullis_template", json_string(value));
		}
		add(&b, o);
		g_free(pat);
		json_t *rel = sdo(&b, "relationship", NULL);
		if (rel) {
			json_object_set_new(rel, "relationship_type", json_string("indicates"));
			json_object_set_new(rel, "source_ref", json_string(ind_id ? ind_id : ""));
			json_object_set_new(rel, "target_ref", json_string(campaign_id ? campaign_id : ""));
		}
		add(&b, rel);
		json_t *s = sdo(&b, "sighting", NULL);
		if (s) {
			json_int_t n = json_integer_value(json_object_get(ind, "count"));
			json_object_set_new(s, "sighting_of_ref", json_string(ind_id ? ind_id : ""));
			json_object_set_new(s, "count", json_integer(n > 0 ? n : 1));
			json_object_set_new(s, "first_seen", ms(pc_case_str(k, "first_seen")));
			json_object_set_new(s, "last_seen", ms(pc_case_str(k, "last_seen")));
			json_object_set_new(s, "where_sighted_refs", json_pack("[s]", identity ? identity : ""));
		}
		add(&b, s);
		json_array_append_new(note_refs, json_string(ind_id ? ind_id : ""));
		const char *st = sco_type_of(type, value);
		if (st)
			sco_value(&b, st, value);
		g_free(ind_id);
	}

	/* the copies */
	json_t *observed = json_array();
	const json_t *m;
	size_t messages = 0;
	bool clear = pc_case_str(c, "recipients_mode") && !strcmp(pc_case_str(c, "recipients_mode"), "clear");
	json_array_foreach(json_object_get(c, "members"), i, m)
	{
		const char *sha = pc_case_str(m, "sha256");
		if (sha) {
			json_t *hashes = json_pack("{s:s}", "SHA-256", sha);
			json_t *idp = json_pack("{s:O}", "hashes", hashes);
			char *canon = idp ? json_dumps(idp, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
			json_decref(idp);
			char u[PC_UUID_LEN];
			if (canon && pc_uuid5(u, PC_UUID_NS_STIX_SCO, canon, strlen(canon)) == 0) {
				char *fid = g_strdup_printf("file--%s", u);
				if (!g_hash_table_contains(b.sco, fid)) {
					char fname[64];
					snprintf(fname, sizeof fname, "copy-%lld.eml",
					         (long long)json_integer_value(json_object_get(m, "n")));
					json_t *f = json_pack("{s:s,s:s,s:s,s:O,s:s}", "type", "file", "spec_version",
					                      "2.1", "id", fid, "hashes", hashes, "name", fname);
					if (f && json_is_integer(json_object_get(m, "size")))
						json_object_set(f, "size", json_object_get(m, "size"));
					add(&b, f);
					json_array_append_new(observed, json_string(fid));
					g_hash_table_insert(b.sco, fid, fid);
				} else
					g_free(fid);
			}
			free(canon);
			json_decref(hashes);
		}
		if (!sha || messages >= MESSAGES_MAX)
			continue; /* no custody record: nothing but the store's row to say */
		messages++;
		char *eid = new_id("email-message");
		json_t *e = json_pack("{s:s,s:s,s:s,s:b}", "type", "email-message", "spec_version", "2.1", "id",
		                      eid ? eid : "", "is_multipart", json_is_true(json_object_get(m, "multipart")));
		if (pc_case_str(m, "arrived"))
			json_object_set_new(e, "date", ms(pc_case_str(m, "arrived")));
		if (pc_case_str(m, "from")) {
			const char *fr = sco_value(&b, "email-addr", pc_case_str(m, "from"));
			if (fr)
				json_object_set_new(e, "from_ref", json_string(fr));
		}
		if (pc_case_str(m, "subject"))
			json_object_set_new(e, "subject", json_string(pc_case_str(m, "subject")));
		if (pc_case_str(m, "message_id") && *pc_case_str(m, "message_id"))
			json_object_set_new(e, "message_id", json_string(pc_case_str(m, "message_id")));
		const json_t *rc = json_object_get(m, "rcpt");
		if (clear && json_array_size(rc)) {
			json_t *to = json_array();
			size_t r;
			const json_t *a;
			json_array_foreach(rc, r, a)
			{
				const char *id =
				    json_is_string(a) ? sco_value(&b, "email-addr", json_string_value(a)) : NULL;
				if (id)
					json_array_append_new(to, json_string(id));
			}
			json_object_set_new(e, "to_refs", to);
		}
		if (pc_case_str(m, "body")) {
			gchar *b64 =
			    g_base64_encode((const guchar *)pc_case_str(m, "body"), strlen(pc_case_str(m, "body")));
			char *aid = new_id("artifact");
			add(&b, json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "artifact", "spec_version", "2.1", "id",
			                  aid ? aid : "", "mime_type", "message/rfc822", "payload_bin", b64));
			json_object_set_new(e, "raw_email_ref", json_string(aid ? aid : ""));
			g_free(aid);
			g_free(b64);
		}
		add(&b, e);
		json_array_append_new(observed, json_string(eid ? eid : ""));
		g_free(eid);
	}
	if (json_array_size(observed)) {
		char *oid = NULL;
		json_t *od = sdo(&b, "observed-data", &oid);
		if (od) {
			json_object_set_new(od, "first_observed", ms(pc_case_str(k, "first_seen")));
			json_object_set_new(od, "last_observed", ms(pc_case_str(k, "last_seen")));
			json_object_set_new(od, "number_observed", json_integer(json_array_size(observed)));
			json_object_set(od, "object_refs", observed);
		}
		add(&b, od);
		json_t *s = sdo(&b, "sighting", NULL);
		if (s) {
			json_int_t n = json_integer_value(json_object_get(k, "size"));
			json_object_set_new(s, "sighting_of_ref", json_string(campaign_id ? campaign_id : ""));
			json_object_set_new(s, "count", json_integer(n > 0 ? n : 1));
			json_object_set_new(s, "first_seen", ms(pc_case_str(k, "first_seen")));
			json_object_set_new(s, "last_seen", ms(pc_case_str(k, "last_seen")));
			json_object_set_new(s, "where_sighted_refs", json_pack("[s]", identity ? identity : ""));
			json_object_set_new(s, "observed_data_refs", json_pack("[s]", oid ? oid : ""));
		}
		add(&b, s);
		g_free(oid);
	}
	json_decref(observed);

	json_t *note = sdo(&b, "note", NULL);
	char *why = reasoning(c);
	if (note) {
		json_object_set_new(note, "abstract", json_string("Why Portcullis judged this campaign"));
		json_object_set_new(note, "content", json_string(why));
		json_object_set_new(
		    note, "authors",
		    json_pack("[s]", pc_case_str(org, "name") ? pc_case_str(org, "name") : "Portcullis operator"));
		json_object_set(note, "object_refs", note_refs);
	}
	g_free(why);
	json_decref(note_refs);
	add(&b, note);

	json_t *rep = sdo(&b, "report", NULL);
	if (rep) {
		char *rname = g_strdup_printf("Portcullis evidence: campaign %lld", cid);
		json_object_set_new(rep, "name", json_string(rname));
		g_free(rname);
		json_object_set_new(rep, "report_types", json_pack("[s]", "campaign"));
		json_object_set_new(rep, "published", ms(generated));
		json_object_set(rep, "object_refs", b.all_ids);
	}
	add(&b, rep);

	char *text = NULL;
	if (!b.failed) {
		json_t *bun = json_pack("{s:s,s:s,s:O}", "type", "bundle", "id", bundle, "objects", b.objects);
		text = bun ? json_dumps(bun, JSON_INDENT(1) | JSON_ENSURE_ASCII) : NULL;
		json_decref(bun);
	}
	if (!text)
		snprintf(err, errlen, "STIX bundle: out of memory or no randomness");
	json_decref(b.objects);
	json_decref(b.all_ids);
	g_hash_table_destroy(b.sco);
	g_free(identity);
	g_free(bundle);
	g_free(campaign_id);
	return text;
}
