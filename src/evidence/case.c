/*
 * NAME
 *   case - one campaign gathered as a case file (see case.h)
 * DESCRIPTION
 *   Reads the campaign, its values, members, custody records, audit
 *   records and (when a quarantine directory is given through the config)
 *   the quarantine entries naming the campaign, once each; every list is
 *   bounded (PC_CASE_MEMBERS_MAX members, the values the store keeps).
 *   Indicators are derived conservatively, since a peer will block and
 *   hunt on them: addresses exactly; a domain only when it is not the
 *   organisation's own, a protected partner's or a freemail provider's
 *   (a freemail or a real outlet's domain as an indicator would match
 *   half the mail); lookalike domains from the lookalike findings; hosts
 *   of trackers; URL templates as patterns (campaign/template_re.h); the
 *   sending IPs of the Received chain's first external hop.
 */
#define _GNU_SOURCE
#include "evidence/case.h"

#include <arpa/inet.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "act/qmeta.h"
#include "act/quarantine.h"
#include "campaign/template_re.h"
#include "core/config.h"
#include "core/sha256.h"
#include "core/version.h"
#include "detect/lib/trackerlist.h"
#include "parse/domain.h"
#include "store/store.h"

#define FINDING_GROUPS 200
#define INDICATORS_PER_TYPE 200
#define BODY_MAX ((size_t)1 << 20)

typedef struct builder {
	pc_store *st;
	long long id;
	const pc_case_opts *o;
	unsigned char salt[16];
	json_t *members;          /* array, arrival order */
	GHashTable *by_key;       /* "source\nmessage_id" -> member object (borrowed) */
	GHashTable *by_sha;       /* sha256 -> member object (borrowed) */
	GHashTable *rcpt_domains; /* domain -> count */
	GHashTable *findings;     /* "detector\nsummary" -> finding object (borrowed from farr) */
	json_t *farr;
	GHashTable *ind;      /* "type\nvalue" -> indicator (borrowed from iarr) */
	GHashTable *per_type; /* type -> how many indicators of it (INDICATORS_PER_TYPE) */
	json_t *iarr;
	pc_trackerlist *freemail;
	/* domains, hosts and addresses seen in campaigns not marked
	 * malicious (a mass-mail service's, a provider's): never indicators */
	GHashTable *shared;
	GHashTable *rcpts; /* lower-cased recipient address -> what stands for it (not clear) */
	char err[256];
} builder;

static char *utf8(const char *s)
{
	return g_utf8_make_valid(s ? s : "", -1);
}

static json_t *jstr(const char *s)
{
	if (!s)
		return json_null();
	char *v = utf8(s);
	json_t *j = json_string(v);
	g_free(v);
	return j ? j : json_string("");
}

const char *pc_case_str(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *time_str(long long t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_string("1970-01-01T00:00:00Z");
	return json_string(buf);
}

static const char *status_name(pc_campaign_status s)
{
	return s == PC_CAMPAIGN_MALICIOUS ? "malicious" : s == PC_CAMPAIGN_BENIGN ? "benign" : "open";
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* A recipient as the case shows it: NULL for none. */
static json_t *rcpt_value(builder *b, const char *addr)
{
	if (b->o->recipients == PC_CASE_RCPT_CLEAR)
		return jstr(addr);
	char *low = g_ascii_strdown(addr, -1);
	size_t n = strlen(low);
	unsigned char *buf = malloc(sizeof b->salt + n), d[PC_SHA256_LEN];
	json_t *j = NULL;
	if (buf) {
		memcpy(buf, b->salt, sizeof b->salt);
		memcpy(buf + sizeof b->salt, low, n);
		if (pc_sha256(buf, sizeof b->salt + n, d) == 0) {
			char h[8 + 2 * PC_SHA256_LEN + 1] = "sha256:";
			hex(d, PC_SHA256_LEN, h + 7);
			j = json_string(h);
		}
	}
	free(buf);
	g_free(low);
	return j;
}

/* The organisation's own and partners' domains, freemail providers and
 * what legitimate mail shares: never an indicator by domain. */
static bool spared_domain(builder *b, const char *dom)
{
	if (!dom || !*dom || pc_domain_is_public_suffix(dom))
		return true;
	char *low = g_ascii_strdown(dom, -1);
	bool shared = g_hash_table_contains(b->shared, low);
	const char *reg = pc_domain_registrable(low);
	shared = shared || (reg && g_hash_table_contains(b->shared, reg));
	g_free(low);
	if (shared)
		return true;
	const pc_config *c = b->o->config;
	if (c) {
		for (size_t i = 0; i < c->own_domains.n; i++)
			if (pc_domain_at_or_under(dom, c->own_domains.v[i]))
				return true;
		for (size_t i = 0; i < c->protected_domains.n; i++)
			if (pc_domain_at_or_under(dom, c->protected_domains.v[i]))
				return true;
	}
	return b->freemail && pc_trackerlist_match(b->freemail, dom);
}

/* The count of indicators of a type (type: one of the literals used here). */
static void bump(builder *b, const char *type, int by)
{
	size_t n = GPOINTER_TO_SIZE(g_hash_table_lookup(b->per_type, type));
	g_hash_table_insert(b->per_type, (gpointer)type, GSIZE_TO_POINTER(by < 0 && n ? n - 1 : by > 0 ? n + 1 : n));
}

static void indicator(builder *b, const char *type, const char *value, long count, const char *why, const char *regex)
{
	if (!value || !*value)
		return;
	/* domains as A-labels (STIX domain-name, RFC 5890), one form per domain */
	char ascii[256];
	if ((!strcmp(type, "sender-domain") || !strcmp(type, "lookalike-domain") || !strcmp(type, "tracker-host")) &&
	    pc_idna_ascii(value, ascii, sizeof ascii) > 0)
		value = ascii;
	/* a lookalike is also a sender's domain: one indicator, the lookalike */
	char *other = g_strdup_printf("lookalike-domain\n%s", value);
	json_t *la = !strcmp(type, "sender-domain") ? g_hash_table_lookup(b->ind, other) : NULL;
	g_free(other);
	if (la)
		type = "lookalike-domain";
	if (!strcmp(type, "lookalike-domain")) {
		char *sk = g_strdup_printf("sender-domain\n%s", value);
		json_t *sd = g_hash_table_lookup(b->ind, sk);
		if (sd) { /* seen first as a sender's domain: it is the lookalike */
			json_object_set_new(sd, "type", json_string("lookalike-domain"));
			bump(b, "sender-domain", -1);
			bump(b, "lookalike-domain", 1);
			json_object_set_new(sd, "why", jstr(why));
			g_hash_table_steal(b->ind, sk);
			g_hash_table_insert(b->ind, g_strdup_printf("lookalike-domain\n%s", value), sd);
		}
		g_free(sk);
	}
	char *key = g_strdup_printf("%s\n%s", type, value);
	json_t *i = g_hash_table_lookup(b->ind, key);
	if (i) {
		json_object_set_new(i, "count", json_integer(json_integer_value(json_object_get(i, "count")) + count));
		g_free(key);
		return;
	}
	if (GPOINTER_TO_SIZE(g_hash_table_lookup(b->per_type, type)) >= INDICATORS_PER_TYPE) {
		g_free(key);
		return;
	}
	i = json_pack("{s:s,s:o,s:I,s:o}", "type", type, "value", jstr(value), "count", (json_int_t)count, "why",
	              jstr(why));
	if (regex)
		json_object_set_new(i, "regex", jstr(regex));
	json_array_append_new(b->iarr, i);
	g_hash_table_insert(b->ind, key, i);
	bump(b, type, 1);
}

/* ---- what legitimate mail shares ---- */

/* The block the fingerprint names an address's network by
 * (campaign/fingerprint.c: IPv4 /24, IPv6 /48); false when not an address. */
static bool ip_block(const char *ip, char *out, size_t len)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, ip, a) == 1) {
		snprintf(out, len, "%u.%u.%u.0/24", a[0], a[1], a[2]);
		return true;
	}
	if (inet_pton(AF_INET6, ip, a) == 1) {
		snprintf(out, len, "%x:%x:%x::/48", a[0] << 8 | a[1], a[2] << 8 | a[3], a[4] << 8 | a[5]);
		return true;
	}
	return false;
}

#define SHARED_CAMPAIGNS 5000

typedef struct shared_ctx {
	builder *b;
	long long ids[SHARED_CAMPAIGNS];
	size_t n;
} shared_ctx;

static int on_other(void *ctx, const pc_campaign_rec *r)
{
	shared_ctx *s = ctx;
	if (r->id != s->b->id && r->status != PC_CAMPAIGN_MALICIOUS)
		s->ids[s->n++] = r->id;
	return s->n >= SHARED_CAMPAIGNS;
}

static void shared_add(builder *b, const char *v)
{
	char *low = g_ascii_strdown(v, -1);
	g_hash_table_add(b->shared, low);
	const char *reg = pc_domain_registrable(low);
	if (reg && strcmp(reg, low))
		g_hash_table_add(b->shared, g_strdup(reg));
}

static int on_shared_value(void *ctx, const char *value, long count)
{
	builder *b = ctx;
	(void)count;
	const char *d = strchr(value, '@') ? pc_addr_domain(value) : NULL;
	if (d)
		shared_add(b, d);
	else if (!strncmp(value, "addr:", 5) || !strncmp(value, "ip:", 3))
		shared_add(b, strchr(value, ':') + 1); /* an address, or its /24 (/48) block */
	else if (!strchr(value, ':'))
		shared_add(b, value); /* a tracker host */
	return 0;
}

/* The senders' domains, tracker hosts and sending addresses of the most
 * recent campaigns not marked malicious (at most SHARED_CAMPAIGNS, 50
 * values of each kind each). */
static void load_shared(builder *b)
{
	shared_ctx *s = calloc(1, sizeof *s);
	if (!s)
		return;
	s->b = b;
	pc_store_campaign_list(b->st, 1, on_other, s);
	static const char *const kinds[] = {"sender", "tracker", "infra"};
	for (size_t i = 0; i < s->n; i++)
		for (size_t k = 0; k < 3; k++)
			pc_store_campaign_values(b->st, s->ids[i], kinds[k], 50, on_shared_value, b);
	free(s);
}

/* ---- campaign values ---- */

typedef struct vals {
	builder *b;
	json_t *arr;
	const char *kind;
} vals;

static int on_value(void *ctx, const char *value, long count)
{
	vals *v = ctx;
	json_array_append_new(v->arr, json_pack("{s:o,s:I}", "value", jstr(value), "count", (json_int_t)count));
	builder *b = v->b;
	if (!strcmp(v->kind, "rcpt")) {
		const char *d = pc_addr_domain(value);
		const char *reg = d ? pc_domain_registrable(d) : NULL;
		char *k = g_ascii_strdown(reg ? reg : d ? d : "?", -1);
		gpointer old = g_hash_table_lookup(b->rcpt_domains, k);
		g_hash_table_insert(b->rcpt_domains, k, GSIZE_TO_POINTER(GPOINTER_TO_SIZE(old) + (gsize)count));
	}
	return 0;
}

static json_t *values_of(builder *b, const char *kind)
{
	vals v = {b, json_array(), kind};
	if (pc_store_campaign_values(b->st, b->id, kind, 0, on_value, &v) != 0)
		snprintf(b->err, sizeof b->err, "store: %s", pc_store_error(b->st));
	return v.arr;
}

static gint by_count(gconstpointer a, gconstpointer b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "count"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "count"));
	if (x != y)
		return x > y ? -1 : 1;
	return strcmp(pc_case_str(*(json_t *const *)a, "value"), pc_case_str(*(json_t *const *)b, "value"));
}

static json_t *rcpt_domain_values(builder *b)
{
	GPtrArray *v = g_ptr_array_new();
	GHashTableIter it;
	gpointer k, n;
	g_hash_table_iter_init(&it, b->rcpt_domains);
	while (g_hash_table_iter_next(&it, &k, &n))
		g_ptr_array_add(v, json_pack("{s:o,s:I}", "value", jstr(k), "count", (json_int_t)GPOINTER_TO_SIZE(n)));
	g_ptr_array_sort(v, by_count);
	json_t *arr = json_array();
	for (guint i = 0; i < v->len; i++)
		json_array_append_new(arr, v->pdata[i]);
	g_ptr_array_free(v, TRUE);
	return arr;
}

/* ---- members ---- */

static int on_member(void *ctx, const pc_member_row *r)
{
	builder *b = ctx;
	size_t n = json_array_size(b->members);
	if (n >= PC_CASE_MEMBERS_MAX)
		return 1;
	json_t *m = json_object();
	json_object_set_new(m, "n", json_integer((json_int_t)n + 1));
	json_object_set_new(m, "source", jstr(r->source));
	json_object_set_new(m, "message_id", jstr(r->message_id));
	json_object_set_new(m, "arrived", time_str((long long)r->when));
	json_object_set_new(m, "from", jstr(r->sender));
	json_object_set_new(m, "subject", jstr(r->subject));
	json_t *rc = json_array(), *doms = json_array();
	gchar **addrs = g_strsplit(r->rcpt ? r->rcpt : "", " ", 64);
	for (gchar **a = addrs; *a; a++) {
		if (!**a)
			continue;
		json_t *v = rcpt_value(b, *a);
		if (v && b->o->recipients != PC_CASE_RCPT_CLEAR)
			g_hash_table_replace(
			    b->rcpts, g_ascii_strdown(*a, -1),
			    g_strdup(b->o->recipients == PC_CASE_RCPT_HASHED ? json_string_value(v) : "[recipient]"));
		if (v)
			json_array_append_new(rc, v);
		const char *d = pc_addr_domain(*a);
		const char *reg = d ? pc_domain_registrable(d) : NULL;
		json_t *dj = jstr(reg ? reg : d ? d : "?");
		size_t k;
		json_t *x;
		bool have = false;
		json_array_foreach(doms, k, x) have = have || json_equal(x, dj);
		if (have)
			json_decref(dj);
		else
			json_array_append_new(doms, dj);
	}
	g_strfreev(addrs);
	if (b->o->recipients == PC_CASE_RCPT_NONE)
		json_decref(rc);
	else
		json_object_set_new(m, "rcpt", rc);
	json_object_set_new(m, "rcpt_domains", doms);
	json_object_set_new(m, "verdict", json_string(pc_action_name(r->verdict)));
	json_object_set_new(m, "rule", jstr(r->rule));
	json_object_set_new(m, "token", r->token && *r->token ? jstr(r->token) : json_null());
	const char *nulls[] = {"sha256",     "size",     "client_ip",   "helo",      "mail_from",
	                       "sending_ip", "reply_to", "return_path", "quarantine"};
	for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
		json_object_set_new(m, nulls[i], json_null());
	json_object_set_new(m, "auth", json_array());
	json_object_set_new(m, "original_kept", json_false());
	json_array_append_new(b->members, m);
	g_hash_table_insert(
	    b->by_key, g_strdup_printf("%s\n%s", r->source ? r->source : "", r->message_id ? r->message_id : ""), m);
	return 0;
}

static void add_finding(builder *b, const json_t *f)
{
	const char *det = pc_case_str(f, "detector"), *sum = pc_case_str(f, "summary");
	if (!det)
		return;
	char *key = g_strdup_printf("%s\n%s", det, sum ? sum : "");
	json_t *g = g_hash_table_lookup(b->findings, key);
	if (g) {
		json_object_set_new(g, "members", json_integer(json_integer_value(json_object_get(g, "members")) + 1));
		g_free(key);
		return;
	}
	if (json_array_size(b->farr) >= FINDING_GROUPS) {
		g_free(key);
		return;
	}
	json_t *ev = json_object_get(f, "evidence");
	g = json_pack("{s:o,s:o,s:o,s:O,s:I}", "detector", jstr(det), "summary", jstr(sum ? sum : ""), "score",
	              json_is_number(json_object_get(f, "score"))
	                  ? json_real(json_number_value(json_object_get(f, "score")))
	                  : json_real(0),
	              "evidence", json_is_object(ev) ? ev : json_object(), "members", (json_int_t)1);
	if (!json_is_object(ev))
		json_decref(json_object_get(g, "evidence")); /* the fresh object json_pack took a reference to */
	json_array_append_new(b->farr, g);
	g_hash_table_insert(b->findings, key, g);
	/* a lookalike domain named in the evidence */
	if (!strcmp(det, "impersonation.lookalike")) {
		const char *d =
		    pc_case_str(ev, "domain_ascii") ? pc_case_str(ev, "domain_ascii") : pc_case_str(ev, "domain");
		if (d && !spared_domain(b, d))
			indicator(b, "lookalike-domain", d, 1,
			          pc_case_str(ev, "imitated") ? pc_case_str(ev, "imitated") : "lookalike", NULL);
	}
}

static int on_custody(void *ctx, const pc_custody *c)
{
	builder *b = ctx;
	char *key = g_strdup_printf("%s\n%s", c->source ? c->source : "", c->message_id ? c->message_id : "");
	json_t *m = g_hash_table_lookup(b->by_key, key);
	g_free(key);
	if (!m)
		return 0;
	json_error_t e;
	json_t *rec = json_loads(c->record, 0, &e);
	json_object_set_new(m, "sha256", jstr(c->sha256));
	g_hash_table_replace(b->by_sha, g_strdup(c->sha256), m);
	json_object_set_new(m, "original_kept", json_boolean(c->kept));
	if (b->o->include_bodies && c->original) {
		char *t = g_utf8_make_valid(c->original, (gssize)(c->n < BODY_MAX ? c->n : BODY_MAX));
		json_object_set_new(m, "body", json_string(t));
		g_free(t);
	}
	if (!rec)
		return 0;
	const json_t *env = json_object_get(rec, "envelope");
	if (pc_case_str(rec, "subject")) /* as received; the store keeps it normalised */
		json_object_set_new(m, "subject", jstr(pc_case_str(rec, "subject")));
	json_object_set_new(m, "size", json_integer(json_integer_value(json_object_get(rec, "size"))));
	json_object_set_new(m, "multipart", json_boolean(json_is_true(json_object_get(rec, "multipart"))));
	const char *fields[][2] = {{"client_ip", "client_ip"}, {"helo", "helo"}, {"mail_from", "mail_from"}};
	for (size_t i = 0; i < 3; i++)
		json_object_set_new(m, fields[i][0], jstr(pc_case_str(env, fields[i][1])));
	const char *own[] = {"sending_ip", "reply_to", "return_path"};
	for (size_t i = 0; i < 3; i++)
		json_object_set_new(m, own[i], jstr(pc_case_str(rec, own[i])));
	json_t *auth = json_object_get(m, "auth");
	size_t i;
	const json_t *a;
	json_array_foreach(json_object_get(rec, "auth"), i, a) json_array_append_new(
	    auth, json_pack("{s:o,s:o,s:o,s:o}", "method", jstr(pc_case_str(a, "method")), "result",
	                    jstr(pc_case_str(a, "result")), "domain", jstr(pc_case_str(a, "domain")), "selector",
	                    jstr(pc_case_str(a, "selector"))));
	json_array_foreach(json_object_get(rec, "reasons"), i, a) add_finding(b, a);
	/* a freemail provider's servers are not the attacker's, nor those
	 * legitimate mail came from */
	const char *from_dom = pc_case_str(rec, "from") ? pc_addr_domain(pc_case_str(rec, "from")) : NULL;
	char block[64];
	if (pc_case_str(rec, "sending_ip") &&
	    !(from_dom && b->freemail && pc_trackerlist_match(b->freemail, from_dom)) &&
	    !g_hash_table_contains(b->shared, pc_case_str(rec, "sending_ip")) &&
	    !(ip_block(pc_case_str(rec, "sending_ip"), block, sizeof block) && g_hash_table_contains(b->shared, block)))
		indicator(b, "sending-ip", pc_case_str(rec, "sending_ip"), 1,
		          "first external hop of the Received chain", NULL);
	if (pc_case_str(rec, "reply_to")) {
		const char *d = pc_addr_domain(pc_case_str(rec, "reply_to"));
		indicator(b, "reply-to", pc_case_str(rec, "reply_to"), 1, "Reply-To of a copy", NULL);
		if (d && !spared_domain(b, d))
			indicator(b, "sender-domain", d, 1, "Reply-To domain", NULL);
	}
	if (pc_case_str(rec, "return_path"))
		indicator(b, "return-path", pc_case_str(rec, "return_path"), 1, "Return-Path of a copy", NULL);
	json_decref(rec);
	return 0;
}

/* ---- quarantine, audit ---- */

static int on_qentry(void *ctx, const char *qid, const char *meta)
{
	builder *b = ctx;
	if (!meta)
		return 0;
	const char *problem;
	json_t *o = pc_qmeta_parse(meta, &problem);
	const json_t *c = json_object_get(o, "campaign");
	long long id = json_is_integer(c)  ? json_integer_value(c)
	               : json_is_string(c) ? strtoll(json_string_value(c), NULL, 10)
	                                   : 0;
	const char *sha = pc_case_str(o, "sha256") ? pc_case_str(o, "sha256") : pc_case_str(o, "sha256_in_mailbox");
	json_t *m = id == b->id && sha ? g_hash_table_lookup(b->by_sha, sha) : NULL;
	if (m)
		json_object_set_new(m, "quarantine", json_string(qid));
	json_decref(o);
	return 0;
}

typedef struct audit_ctx {
	json_t *arr;
	long purged, marked;
} audit_ctx;

static int on_audit(void *ctx, const pc_audit_row *r)
{
	audit_ctx *a = ctx;
	if (json_array_size(a->arr) < 10000)
		json_array_append_new(a->arr, json_pack("{s:o,s:o,s:o,s:o,s:o}", "at", time_str((long long)r->when),
		                                        "actor", jstr(r->actor), "action", jstr(r->action), "source",
		                                        jstr(r->source), "detail", jstr(r->detail)));
	if (r->action && !strcmp(r->action, "purge"))
		a->purged++;
	if (r->action && !strncmp(r->action, "mark", 4))
		a->marked++;
	return 0;
}

typedef struct qaudit_ctx {
	builder *b;
	json_t *arr;
	long released, deleted;
} qaudit_ctx;

static int on_qaudit(void *ctx, const pc_audit_qrec *r)
{
	qaudit_ctx *q = ctx;
	if (!r->sha256 || !g_hash_table_lookup(q->b->by_sha, r->sha256))
		return 0;
	if (r->action && !strcmp(r->action, "release"))
		q->released++;
	if (r->action && !strcmp(r->action, "delete"))
		q->deleted++;
	if (json_array_size(q->arr) < 10000)
		json_array_append_new(q->arr,
		                      json_pack("{s:o,s:o,s:o,s:o,s:o}", "at", time_str((long long)r->when), "actor",
		                                jstr(r->actor), "action", jstr(r->action), "source", jstr(r->qid),
		                                "detail", jstr(r->reason ? r->reason : r->detail)));
	return 0;
}

static gint by_members(gconstpointer a, gconstpointer b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "members"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "members"));
	if (x != y)
		return x > y ? -1 : 1;
	return strcmp(pc_case_str(*(json_t *const *)a, "detector"), pc_case_str(*(json_t *const *)b, "detector"));
}

/* ---- recipients out of everything else ---- */

static bool local_char(char c)
{
	return g_ascii_isalnum(c) || strchr("._%+-=", c);
}

/* s with every recipient address (plain, or with %40 for '@') replaced
 * by what stands for it; NULL when nothing was. */
static char *scrub_text(builder *b, const char *s)
{
	GString *out = NULL;
	size_t done = 0, n = strlen(s);
	for (size_t i = 0; i < n; i++) {
		size_t sep = s[i] == '@' ? 1 : (s[i] == '%' && s[i + 1] == '4' && s[i + 2] == '0') ? 3 : 0;
		if (!sep)
			continue;
		size_t lo = i, hi = i + sep;
		/* an address has at most 64 bytes of local part and 255 of domain
		 * (RFC 5321): "a%40a%40a..." cannot make each '@' scan back far */
		while (lo > done && i - lo < 64 && local_char(s[lo - 1]))
			lo--;
		while (hi < n && hi - i < 255 + sep && (g_ascii_isalnum(s[hi]) || s[hi] == '.' || s[hi] == '-'))
			hi++;
		while (hi > i + sep && s[hi - 1] == '.')
			hi--;
		if (lo == i || hi == i + sep)
			continue;
		char *cand = g_strdup_printf("%.*s@%.*s", (int)(i - lo), s + lo, (int)(hi - i - sep), s + i + sep);
		char *low = g_ascii_strdown(cand, -1);
		const char *rep = g_hash_table_lookup(b->rcpts, low);
		g_free(cand);
		g_free(low);
		if (!rep)
			continue;
		if (!out)
			out = g_string_new(NULL);
		g_string_append_len(out, s + done, (gssize)(lo - done));
		g_string_append(out, rep);
		done = hi;
		i = hi - 1;
	}
	if (!out)
		return NULL;
	g_string_append(out, s + done);
	return g_string_free(out, FALSE);
}

static void scrub(builder *b, json_t *j, int depth)
{
	if (depth > 16)
		return;
	if (json_is_object(j)) {
		/* a tracker URL that carries the recipient's identity in an
		 * encoding is withheld whole */
		const char *leak = pc_case_str(j, "leak");
		if (leak && *leak && pc_case_str(j, "url")) {
			char *w = g_strdup_printf("[withheld: carries the recipient's identity (%s)]",
			                          pc_case_str(j, "leak_detail") ? pc_case_str(j, "leak_detail") : leak);
			json_object_set_new(j, "url", jstr(w));
			g_free(w);
		}
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v)
		{
			if (strcmp(k, "rcpt"))
				scrub(b, v, depth + 1);
		}
	} else if (json_is_array(j)) {
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v) scrub(b, v, depth + 1);
	} else if (json_is_string(j)) {
		char *t = scrub_text(b, json_string_value(j));
		if (t) {
			json_string_set(j, t);
			g_free(t);
		}
	}
}

/* ---- the timeline ---- */

long long pc_case_time(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return 0;
	return (long long)timegm(&tm);
}

static json_t *timeline(builder *b)
{
	size_t n = json_array_size(b->members), i;
	json_t *m;
	long long lo = 0, hi = 0;
	json_array_foreach(b->members, i, m)
	{
		long long t = pc_case_time(pc_case_str(m, "arrived"));
		if (!i || t < lo)
			lo = t;
		if (!i || t > hi)
			hi = t;
	}
	long long unit = 3600;
	lo -= lo % unit;
	if (n && (hi - lo) / unit + 1 > PC_CASE_TIMELINE_MAX) {
		unit = 86400;
		lo -= lo % unit;
	}
	size_t bins = n ? (size_t)((hi - lo) / unit + 1) : 0;
	if (bins > 1000)
		bins = 1000; /* later copies counted in the last bin */
	long *c = calloc(bins + 1, sizeof *c);
	json_array_foreach(b->members, i, m)
	{
		long long k = (pc_case_time(pc_case_str(m, "arrived")) - lo) / unit;
		if (c && bins)
			c[k < 0 ? 0 : (size_t)k >= bins ? bins - 1 : (size_t)k]++;
	}
	json_t *counts = json_array();
	for (size_t k = 0; c && k < bins; k++)
		json_array_append_new(counts, json_integer(c[k]));
	free(c);
	return json_pack("{s:s,s:o,s:o}", "unit", unit == 3600 ? "hour" : "day", "start", time_str(lo), "counts",
	                 counts);
}

/* ---- indicators from values ---- */

static void value_indicators(builder *b, const json_t *values)
{
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(values, "sender"), i, v)
	{
		const char *a = pc_case_str(v, "value");
		long n = (long)json_integer_value(json_object_get(v, "count"));
		indicator(b, "sender-address", a, n, "From of a copy", NULL);
		const char *d = a ? pc_addr_domain(a) : NULL;
		if (d && !spared_domain(b, d))
			indicator(b, "sender-domain", d, n, "From domain", NULL);
	}
	json_array_foreach(json_object_get(values, "tracker"), i, v)
	{
		if (!spared_domain(b, pc_case_str(v, "value")))
			indicator(b, "tracker-host", pc_case_str(v, "value"),
			          (long)json_integer_value(json_object_get(v, "count")),
			          "host of a tracker in the copies", NULL);
	}
	json_array_foreach(json_object_get(values, "template"), i, v)
	{
		char re[2048];
		const char *t = pc_case_str(v, "value");
		if (t && pc_template_regex(t, re, sizeof re))
			indicator(b, "url-template", t, (long)json_integer_value(json_object_get(v, "count")),
			          "tracker URL with the per-recipient token as a pattern", re);
	}
}

static void subject_indicator(builder *b)
{
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	size_t i;
	json_t *m;
	const char *best = NULL;
	size_t bestn = 0;
	json_array_foreach(b->members, i, m)
	{
		const char *s = pc_case_str(m, "subject");
		if (!s || strlen(s) < 8)
			continue;
		size_t c = GPOINTER_TO_SIZE(g_hash_table_lookup(h, s)) + 1;
		g_hash_table_replace(h, g_strdup(s), GSIZE_TO_POINTER(c));
		if (c > bestn) {
			bestn = c;
			best = s;
		}
	}
	if (best && bestn >= 2)
		indicator(b, "subject", best, (long)bestn, "the subject most copies had", NULL);
	g_hash_table_destroy(h);
}

/* Per-copy values (a VERP Return-Path, one server of a pool, a URL
 * whose token the template did not recognise) match no
 * other copy: kept only when at least two copies share them, or the
 * campaign is that small. */
static void drop_singletons(builder *b, long long size)
{
	if (size <= 3)
		return;
	json_t *kept = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(b->iarr, i, x)
	{
		const char *t = pc_case_str(x, "type");
		bool per_copy = !strcmp(t, "return-path") || !strcmp(t, "sending-ip") || !strcmp(t, "url-template");
		if (!per_copy || json_integer_value(json_object_get(x, "count")) >= 2)
			json_array_append(kept, x);
	}
	json_decref(b->iarr);
	b->iarr = kept;
}

json_t *pc_case_build(struct pc_store *st, long long campaign, const pc_case_opts *o, char *err, size_t errlen)
{
	pc_campaign_rec rec;
	int found = pc_store_campaign_get(st, campaign, &rec);
	if (found <= 0) {
		if (found < 0)
			snprintf(err, errlen, "store: %s", pc_store_error(st));
		else
			snprintf(err, errlen, "no campaign %lld", campaign);
		return NULL;
	}
	builder b = {.st = st, .id = campaign, .o = o};
	if (getrandom(b.salt, sizeof b.salt, 0) != (ssize_t)sizeof b.salt) {
		snprintf(err, errlen, "no random salt for recipients");
		return NULL;
	}
	b.members = json_array();
	b.by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	b.by_sha = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	b.rcpt_domains = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	b.findings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	b.ind = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	b.per_type = g_hash_table_new(g_str_hash, g_str_equal);
	b.farr = json_array();
	b.iarr = json_array();
	b.shared = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	b.rcpts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	load_shared(&b);
	if (o->config) {
		char ferr[256];
		b.freemail = pc_trackerlist_freemail_from_config(o->config, ferr, sizeof ferr);
	}
	json_t *c = json_object();
	long long now = o->now ? o->now : (long long)time(NULL);
	json_object_set_new(c, "format", json_string("portcullis-case/1"));
	json_object_set_new(c, "generated", time_str(now));
	json_object_set_new(c, "tool", json_string("portcullis " PC_VERSION));
	json_object_set_new(
	    c, "organisation",
	    json_pack("{s:o,s:o}", "name", jstr(o->org ? o->org : "Portcullis operator"), "contact", jstr(o->contact)));
	json_object_set_new(c, "tlp", json_string(o->tlp ? o->tlp : "amber"));
	static const char *const modes[] = {"none", "hashed", "clear"};
	json_object_set_new(c, "recipients_mode", json_string(modes[o->recipients]));
	unsigned char sd[PC_SHA256_LEN];
	char sh[2 * PC_SHA256_LEN + 1], sig[PC_STORE_SIG * 8 + 1];
	pc_sha256(rec.subject, strlen(rec.subject), sd);
	hex(sd, PC_SHA256_LEN, sh);
	for (size_t i = 0; i < PC_STORE_SIG; i++)
		snprintf(sig + 8 * i, 9, "%08x", rec.sig[i]);
	json_object_set_new(
	    c, "campaign",
	    json_pack("{s:I,s:s,s:b,s:o,s:s,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:s,s:s}", "id", (json_int_t)rec.id,
	              "status", status_name(rec.status), "analyst", rec.analyst, "why", jstr(rec.why), "verdict",
	              pc_action_name(rec.verdict), "subject", jstr(rec.subject), "size", (json_int_t)rec.size,
	              "recipients", (json_int_t)rec.recipients, "tokened", (json_int_t)rec.tokened, "tokens",
	              (json_int_t)rec.tokens, "senders", (json_int_t)rec.senders, "first_contact",
	              (json_int_t)rec.first_contact, "first_seen", time_str((long long)rec.first_seen), "last_seen",
	              time_str((long long)rec.last_seen), "subject_sha256", sh, "signature", sig));
	json_t *values = json_object();
	static const char *const kinds[] = {"sender", "tracker", "template", "infra", "per-recipient-token"};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		json_object_set_new(values, kinds[i], values_of(&b, kinds[i]));
	json_decref(values_of(&b, "rcpt")); /* counted by domain only */
	json_object_set_new(values, "rcpt_domain", rcpt_domain_values(&b));
	json_object_set_new(c, "values", values);
	if (pc_store_campaign_members(st, campaign, on_member, &b) != 0 ||
	    pc_store_custody_list(st, campaign, NULL, o->include_bodies, on_custody, &b) != 0)
		snprintf(b.err, sizeof b.err, "store: %s", pc_store_error(st));
	value_indicators(&b, values);
	subject_indicator(&b);
	drop_singletons(&b, rec.size);
	if (o->config && o->config->quarantine_dir[0]) {
		char qerr[256];
		pc_quarantine_list(o->config->quarantine_dir, on_qentry, &b, qerr, sizeof qerr);
	}
	audit_ctx ac = {json_array(), 0, 0};
	if (pc_store_audit_list(st, campaign, on_audit, &ac) != 0)
		snprintf(b.err, sizeof b.err, "store: %s", pc_store_error(st));
	qaudit_ctx qc = {&b, ac.arr, 0, 0};
	if (o->config && o->config->quarantine_dir[0])
		pc_store_audit_quarantine_list(st, o->config->quarantine_dir, on_qaudit, &qc);
	long quarantined = 0;
	size_t i;
	json_t *m;
	json_array_foreach(b.members, i, m) quarantined += !json_is_null(json_object_get(m, "quarantine"));
	json_object_set_new(c, "indicators", b.iarr);
	json_object_set_new(c, "timeline", timeline(&b));
	json_object_set_new(c, "members", b.members);
	/* findings: most members first */
	GPtrArray *fs = g_ptr_array_new();
	json_t *f;
	json_array_foreach(b.farr, i, f) g_ptr_array_add(fs, f);
	g_ptr_array_sort(fs, by_members);
	json_t *sorted = json_array();
	for (guint k = 0; k < fs->len; k++)
		json_array_append(sorted, fs->pdata[k]);
	g_ptr_array_free(fs, TRUE);
	json_decref(b.farr);
	json_object_set_new(c, "findings", sorted);
	json_object_set_new(c, "actions",
	                    json_pack("{s:I,s:I,s:I,s:I,s:I}", "quarantined", (json_int_t)quarantined, "purged",
	                              (json_int_t)ac.purged, "released", (json_int_t)qc.released, "deleted",
	                              (json_int_t)qc.deleted, "marked", (json_int_t)ac.marked));
	json_object_set_new(c, "audit", ac.arr);
	if (o->recipients != PC_CASE_RCPT_CLEAR && g_hash_table_size(b.rcpts))
		scrub(&b, c, 0);
	g_hash_table_destroy(b.by_key);
	g_hash_table_destroy(b.by_sha);
	g_hash_table_destroy(b.rcpt_domains);
	g_hash_table_destroy(b.findings);
	g_hash_table_destroy(b.ind);
	g_hash_table_destroy(b.per_type);
	g_hash_table_destroy(b.shared);
	g_hash_table_destroy(b.rcpts);
	pc_trackerlist_free(b.freemail);
	if (b.err[0]) {
		snprintf(err, errlen, "%s", b.err);
		json_decref(c);
		return NULL;
	}
	return c;
}
