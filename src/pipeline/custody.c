/*
 * NAME
 *   custody - the custody record of a scanned message (see custody.h)
 * DESCRIPTION
 *   Built with jansson: one small object per message (no resources or
 *   links), only when a store keeps it.
 */
#include "pipeline/custody.h"

#include <arpa/nameser.h>
#include <glib.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "extract/authres.h"
#include "net/dns.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static const char *type_name(int t)
{
	switch (t) {
	case ns_t_txt:
		return "TXT";
	case ns_t_a:
		return "A";
	case ns_t_aaaa:
		return "AAAA";
	case ns_t_mx:
		return "MX";
	case ns_t_ptr:
		return "PTR";
	case ns_t_cname:
		return "CNAME";
	default:
		return NULL;
	}
}

/* The TXT strings of an answer, for people reading the record. */
static json_t *txt_strings(const unsigned char *ans, size_t n)
{
	json_t *a = json_array();
	ns_msg msg;
	if (!a || !ans || ns_initparse(ans, (int)n, &msg) != 0)
		return a;
	int count = ns_msg_count(msg, ns_s_an);
	for (int i = 0; i < count && i < 16; i++) {
		ns_rr rr;
		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0)
			break;
		if (ns_rr_type(rr) != ns_t_txt)
			continue;
		const unsigned char *p = ns_rr_rdata(rr), *end = p + ns_rr_rdlen(rr);
		GString *t = g_string_new(NULL);
		while (p < end) {
			size_t l = *p++;
			if (l > (size_t)(end - p))
				break;
			g_string_append_len(t, (const char *)p, (gssize)l);
			p += l;
		}
		char *v = g_utf8_make_valid(t->str, (gssize)t->len);
		json_array_append_new(a, json_string(v));
		g_free(v);
		g_string_free(t, TRUE);
	}
	return a;
}

static int add_dns(void *ctx, const pc_dns_record *r)
{
	json_t *arr = ctx;
	json_t *o = json_object();
	if (!o)
		return -1;
	const char *tn = type_name(r->type);
	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "type", tn ? json_string(tn) : json_integer(r->type));
	json_object_set_new(o, "status", json_string(pc_dns_status_name(r->status)));
	json_object_set_new(o, "asked", json_integer((json_int_t)r->asked));
	if (r->ans && r->n) {
		gchar *b = g_base64_encode(r->ans, r->n);
		json_object_set_new(o, "answer", json_string(b));
		g_free(b);
		if (r->type == ns_t_txt)
			json_object_set_new(o, "txt", txt_strings(r->ans, r->n));
	} else
		json_object_set_new(o, "answer", json_null());
	json_array_append_new(arr, o);
	return 0;
}

static const char *first_addr(const pc_vec *v)
{
	if (!v->n)
		return NULL;
	const pc_addr *a = v->v[0];
	return a->addr && *a->addr ? a->addr : NULL;
}

char *pc_custody_record(const pc_msg *m, const struct pc_dns *dns, const pc_custody_facts *f)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "v", json_integer(1));
	json_object_set_new(o, "sha256", str_or_null(f->sha256));
	json_object_set_new(o, "size", json_integer((json_int_t)f->size));
	json_object_set_new(o, "seen", json_integer(f->seen));
	json_object_set_new(o, "arrived", json_integer(f->arrived ? f->arrived : f->seen));
	json_object_set_new(o, "source", str_or_null(m->source));
	json_object_set_new(o, "message_id", str_or_null(m->message_id));
	json_t *env = json_object(), *rcpt = json_array();
	json_object_set_new(env, "client_ip", str_or_null(m->env.client_ip));
	json_object_set_new(env, "helo", str_or_null(m->env.helo));
	json_object_set_new(env, "mail_from", str_or_null(m->env.mail_from));
	for (size_t i = 0; i < m->rcpt.n; i++)
		json_array_append_new(rcpt, json_string(m->rcpt.v[i]));
	json_object_set_new(env, "rcpt", rcpt);
	json_object_set_new(o, "envelope", env);
	json_object_set_new(o, "sending_ip", str_or_null(f->sending_ip));
	json_object_set_new(o, "from", str_or_null(first_addr(&m->from)));
	json_object_set_new(o, "reply_to", str_or_null(first_addr(&m->reply_to)));
	json_object_set_new(o, "return_path", str_or_null(m->return_path));
	json_object_set_new(o, "subject", str_or_null(m->subject));
	json_object_set_new(o, "multipart", json_boolean(m->parts.n > 1));
	json_t *auth = json_array();
	for (size_t i = 0; i < m->auth.n; i++) {
		const pc_auth *a = m->auth.v[i];
		json_t *x = json_object();
		json_object_set_new(x, "method", str_or_null(a->method));
		json_object_set_new(x, "result", json_string(pc_auth_result_name(a->result)));
		json_object_set_new(x, "domain", str_or_null(a->domain));
		json_object_set_new(x, "selector", str_or_null(a->selector));
		json_object_set_new(x, "identity", str_or_null(a->identity));
		json_object_set_new(x, "reason", str_or_null(a->reason));
		json_object_set_new(x, "source", str_or_null(a->source));
		json_object_set_new(x, "aligned", json_boolean(a->aligned));
		json_array_append_new(auth, x);
	}
	json_object_set_new(o, "auth", auth);
	json_t *d = json_array();
	int cut = dns ? pc_dns_journal(dns, add_dns, d) : 0;
	json_object_set_new(o, "dns", d);
	json_object_set_new(o, "dns_cut", json_boolean(cut != 0));
	json_object_set_new(o, "verdict", json_string(pc_action_name(m->verdict)));
	json_object_set_new(o, "rule", str_or_null(m->rule));
	json_object_set_new(o, "campaign", f->campaign > 0 ? json_integer(f->campaign) : json_null());
	json_t *reasons = json_array();
	for (size_t i = 0; i < m->reasons.n; i++) {
		const pc_finding *fd = m->reasons.v[i];
		json_t *x = json_object(), *ev = json_object();
		json_object_set_new(x, "detector", str_or_null(fd->detector));
		json_object_set_new(x, "score", json_real(fd->score));
		json_object_set_new(x, "summary", str_or_null(fd->summary));
		for (const pc_kv *kv = fd->evidence; kv; kv = kv->next)
			if (kv->key && kv->value && !json_object_get(ev, kv->key))
				json_object_set_new(ev, kv->key, json_string(kv->value));
		json_object_set_new(x, "evidence", ev);
		json_array_append_new(reasons, x);
	}
	json_object_set_new(o, "reasons", reasons);
	char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return text;
}
