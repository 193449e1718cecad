/*
 * NAME
 *   report - JSON Lines and --explain output (see report.h)
 */
#include "cli/report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* All strings in pc_msg are valid UTF-8 without NUL (pc_arena_utf8). */
static json_t *str(const char *s)
{
	return s ? json_string_nocheck(s) : json_null();
}

static json_t *size_json(pc_size s)
{
	if (s.px != PC_SIZE_UNKNOWN)
		return json_integer(s.px);
	if (s.pct >= 0) {
		char b[16];
		snprintf(b, sizeof b, "%d%%", s.pct);
		return json_string(b);
	}
	return json_null();
}

static json_t *vis_json(unsigned bits)
{
	json_t *a = json_array();
	for (size_t i = 0; i < PC_VIS_COUNT; i++)
		if (bits & (1u << i))
			json_array_append_new(a, json_string_nocheck(pc_vis_name(i)));
	return a;
}

static json_t *addr_list(const pc_vec *v)
{
	json_t *a = json_array();
	for (size_t i = 0; i < v->n; i++) {
		const pc_addr *ad = v->v[i];
		json_t *o = json_object();
		json_object_set_new_nocheck(o, "name", str(ad->name));
		json_object_set_new_nocheck(o, "addr", str(ad->addr));
		if (ad->group)
			json_object_set_new_nocheck(o, "group", str(ad->group));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *url_fields(json_t *o, const pc_url *u)
{
	json_object_set_new_nocheck(o, "url", str(u->raw));
	json_object_set_new_nocheck(o, "scheme", str(u->scheme));
	json_object_set_new_nocheck(o, "host", str(u->host_ascii ? u->host_ascii : u->host));
	if (u->host_unicode && u->host_ascii && strcmp(u->host_unicode, u->host_ascii))
		json_object_set_new_nocheck(o, "host_unicode", str(u->host_unicode));
	json_object_set_new_nocheck(o, "domain", str(u->domain));
	return o;
}

int pc_report_json(FILE *out, const pc_msg *m)
{
	json_t *o = json_object();
	json_object_set_new_nocheck(o, "source", str(m->source));
	json_object_set_new_nocheck(o, "message_id", str(m->message_id));
	const pc_addr *from = m->from.n ? m->from.v[0] : NULL;
	json_object_set_new_nocheck(o, "from", str(from ? from->addr : NULL));
	json_t *rc = json_array();
	for (size_t i = 0; i < m->rcpt.n; i++)
		json_array_append_new(rc, str(m->rcpt.v[i]));
	json_object_set_new_nocheck(o, "rcpt", rc);
	json_object_set_new_nocheck(o, "verdict", json_string_nocheck(pc_action_name(m->verdict)));
	json_object_set_new_nocheck(o, "score", json_real(m->score));

	json_t *fs = json_array();
	for (size_t i = 0; i < m->findings.n; i++) {
		const pc_finding *f = m->findings.v[i];
		json_t *fo = json_object();
		json_object_set_new_nocheck(fo, "detector", str(f->detector));
		json_object_set_new_nocheck(fo, "score", json_real(f->score));
		json_object_set_new_nocheck(fo, "summary", str(f->summary));
		json_t *ev = json_object();
		for (const pc_kv *kv = f->evidence; kv; kv = kv->next) {
			json_t *prev = json_object_get(ev, kv->key);
			if (!prev)
				json_object_set_new_nocheck(ev, kv->key, str(kv->value));
			else if (json_is_array(prev))
				json_array_append_new(prev, str(kv->value));
			else {
				json_t *arr = json_array();
				json_array_append(arr, prev);
				json_array_append_new(arr, str(kv->value));
				json_object_set_new_nocheck(ev, kv->key, arr);
			}
		}
		json_object_set_new_nocheck(fo, "evidence", ev);
		json_array_append_new(fs, fo);
	}
	json_object_set_new_nocheck(o, "findings", fs);
	json_object_set_new_nocheck(o, "trackers", json_array());
	json_object_set_new_nocheck(o, "campaign", json_null());

	json_object_set_new_nocheck(o, "subject", str(m->subject));
	json_object_set_new_nocheck(o, "date", str(m->date));
	json_object_set_new_nocheck(o, "size", json_integer((json_int_t)m->size));
	json_object_set_new_nocheck(o, "rcpt_source", str(m->rcpt_source));
	json_t *ad = json_object();
	json_object_set_new_nocheck(ad, "from", addr_list(&m->from));
	json_object_set_new_nocheck(ad, "sender", addr_list(&m->sender));
	json_object_set_new_nocheck(ad, "reply_to", addr_list(&m->reply_to));
	json_object_set_new_nocheck(ad, "to", addr_list(&m->to));
	json_object_set_new_nocheck(ad, "cc", addr_list(&m->cc));
	json_object_set_new_nocheck(ad, "return_path", str(m->return_path));
	json_object_set_new_nocheck(o, "addresses", ad);

	json_t *ps = json_array();
	for (size_t i = 0; i < m->parts.n; i++) {
		const pc_part *p = m->parts.v[i];
		json_t *po = json_object();
		json_object_set_new_nocheck(po, "path", str(p->path));
		json_object_set_new_nocheck(po, "type", str(p->content_type));
		json_object_set_new_nocheck(po, "kind", json_string_nocheck(pc_part_kind_name(p->kind)));
		if (p->charset)
			json_object_set_new_nocheck(po, "charset", str(p->charset));
		if (p->encoding)
			json_object_set_new_nocheck(po, "encoding", str(p->encoding));
		if (p->disposition)
			json_object_set_new_nocheck(po, "disposition", str(p->disposition));
		if (p->filename)
			json_object_set_new_nocheck(po, "filename", str(p->filename));
		if (p->uuencoded)
			json_object_set_new_nocheck(po, "uuencoded", json_true());
		if (p->decoded)
			json_object_set_new_nocheck(po, "decoded_size", json_integer((json_int_t)p->decoded_size));
		json_array_append_new(ps, po);
	}
	json_object_set_new_nocheck(o, "parts", ps);

	json_t *rs = json_array();
	for (size_t i = 0; i < m->resources.n; i++) {
		const pc_resource *r = m->resources.v[i];
		json_t *ro = url_fields(json_object(), r->url);
		if (r->resolved)
			json_object_set_new_nocheck(ro, "resolved", str(r->resolved));
		json_object_set_new_nocheck(ro, "element", str(r->element));
		json_object_set_new_nocheck(ro, "tag", str(r->tag));
		json_object_set_new_nocheck(ro, "attr", str(r->attr));
		json_object_set_new_nocheck(ro, "width", size_json(r->width));
		json_object_set_new_nocheck(ro, "height", size_json(r->height));
		json_object_set_new_nocheck(ro, "hidden", vis_json(r->hidden));
		json_object_set_new_nocheck(ro, "alt", str(r->alt));
		json_object_set_new_nocheck(ro, "part", str(((const pc_part *)m->parts.v[r->part])->path));
		json_array_append_new(rs, ro);
	}
	json_object_set_new_nocheck(o, "resources", rs);

	json_t *ls = json_array();
	for (size_t i = 0; i < m->links.n; i++) {
		const pc_link *l = m->links.v[i];
		json_t *lo = url_fields(json_object(), l->url);
		if (l->resolved)
			json_object_set_new_nocheck(lo, "resolved", str(l->resolved));
		json_object_set_new_nocheck(lo, "text", str(l->text));
		json_object_set_new_nocheck(lo, "tag", str(l->tag));
		json_object_set_new_nocheck(lo, "part", str(((const pc_part *)m->parts.v[l->part])->path));
		json_array_append_new(ls, lo);
	}
	json_object_set_new_nocheck(o, "links", ls);

	/* One buffer and one fwrite per message: json_dumpf issues an fwrite
	 * per token (3% of a scan, perf); the buffer is dumped into once and
	 * only grown, then dumped again, when a message needs more. */
	static char *buf;
	static size_t cap;
	size_t need = json_dumpb(o, buf, cap, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (need >= cap) {
		size_t ncap = need + 1 > 1 << 16 ? need + 1 : 1 << 16;
		char *nb = realloc(buf, ncap);
		if (nb) {
			buf = nb;
			cap = ncap;
			need = json_dumpb(o, buf, cap, JSON_COMPACT | JSON_PRESERVE_ORDER);
		}
	}
	int rcode = -1;
	if (need && need < cap) {
		buf[need] = '\n';
		rcode = fwrite(buf, 1, need + 1, out) == need + 1 ? 0 : -1;
	}
	json_decref(o);
	return rcode;
}

static void explain_addrs(FILE *out, const char *label, const pc_vec *v)
{
	if (!v->n)
		return;
	fprintf(out, "  %-9s", label);
	for (size_t i = 0; i < v->n; i++) {
		const pc_addr *a = v->v[i];
		fprintf(out, "%s%s%s%s<%s>", i ? ", " : "", *a->name ? "\"" : "", a->name, *a->name ? "\" " : "",
		        a->addr);
	}
	fputc('\n', out);
}

static void explain_url(FILE *out, const pc_url *u)
{
	fprintf(out, "      host %s", u->host_ascii ? u->host_ascii : (u->host ? u->host : "-"));
	if (u->host_unicode && u->host_ascii && strcmp(u->host_unicode, u->host_ascii))
		fprintf(out, " (%s)", u->host_unicode);
	if (u->domain)
		fprintf(out, "  domain %s", u->domain);
	if (u->port >= 0)
		fprintf(out, "  port %d", u->port);
	fputc('\n', out);
	if (u->nsegments) {
		fprintf(out, "      path");
		for (size_t i = 0; i < u->nsegments; i++)
			fprintf(out, " /%s", u->segments[i]);
		fputc('\n', out);
	}
	for (const pc_kv *kv = u->params; kv; kv = kv->next)
		fprintf(out, "      query %s = %s\n", kv->key, kv->value);
}

void pc_report_explain(FILE *out, const pc_msg *m)
{
	fprintf(out, "== %s  (%zu bytes)\n", m->source, m->size);
	explain_addrs(out, "From:", &m->from);
	explain_addrs(out, "Sender:", &m->sender);
	explain_addrs(out, "Reply-To:", &m->reply_to);
	explain_addrs(out, "To:", &m->to);
	explain_addrs(out, "Cc:", &m->cc);
	if (m->return_path)
		fprintf(out, "  Return-Path: %s\n", m->return_path);
	if (m->subject)
		fprintf(out, "  Subject:  %s\n", m->subject);
	if (m->message_id)
		fprintf(out, "  Message-ID: %s\n", m->message_id);
	fprintf(out, "  Recipient: ");
	for (size_t i = 0; i < m->rcpt.n; i++)
		fprintf(out, "%s%s", i ? ", " : "", (const char *)m->rcpt.v[i]);
	fprintf(out, "%s(%s)\n", m->rcpt.n ? " " : "", m->rcpt_source ? m->rcpt_source : "none found");
	fprintf(out, "\n  MIME tree (%zu parts):\n", m->parts.n);
	for (size_t i = 0; i < m->parts.n; i++) {
		const pc_part *p = m->parts.v[i];
		fprintf(out, "  %*s%s %s", (int)(p->depth * 2), "", p->path, p->content_type);
		if (p->charset)
			fprintf(out, " charset=%s", p->charset);
		if (p->encoding)
			fprintf(out, " %s", p->encoding);
		if (p->disposition)
			fprintf(out, " [%s]", p->disposition);
		if (p->filename)
			fprintf(out, " \"%s\"%s", p->filename, p->uuencoded ? " (uuencoded)" : "");
		if (p->decoded)
			fprintf(out, " %zu bytes decoded", p->decoded_size);
		fputc('\n', out);
	}
	fprintf(out, "\n  Remote resources (%zu):\n", m->resources.n);
	for (size_t i = 0; i < m->resources.n; i++) {
		const pc_resource *r = m->resources.v[i];
		fprintf(out, "    [%s %s=] %s\n", r->tag, r->attr, r->url->raw);
		if (r->resolved)
			fprintf(out, "      resolved by <base> to %s\n", r->resolved);
		fprintf(out, "      element %s  part %s  size ", r->element,
		        ((const pc_part *)m->parts.v[r->part])->path);
		if (r->width.px >= 0)
			fprintf(out, "%d", r->width.px);
		else if (r->width.pct >= 0)
			fprintf(out, "%d%%", r->width.pct);
		else
			fputc('?', out);
		fputc('x', out);
		if (r->height.px >= 0)
			fprintf(out, "%d", r->height.px);
		else if (r->height.pct >= 0)
			fprintf(out, "%d%%", r->height.pct);
		else
			fputc('?', out);
		if (r->hidden) {
			fprintf(out, "  hidden:");
			for (size_t k = 0; k < PC_VIS_COUNT; k++)
				if (r->hidden & (1u << k))
					fprintf(out, " %s", pc_vis_name(k));
		}
		if (r->alt)
			fprintf(out, "  alt \"%s\"", r->alt);
		fputc('\n', out);
		explain_url(out, r->url);
	}
	fprintf(out, "\n  Links (%zu):\n", m->links.n);
	for (size_t i = 0; i < m->links.n; i++) {
		const pc_link *l = m->links.v[i];
		fprintf(out, "    [%s] %s\n      text \"%s\"\n", l->tag, l->url->raw, l->text ? l->text : "");
		explain_url(out, l->url);
	}
	fprintf(out, "\n  Findings (%zu):\n", m->findings.n);
	for (size_t i = 0; i < m->findings.n; i++) {
		const pc_finding *f = m->findings.v[i];
		fprintf(out, "    %s (%.1f): %s\n", f->detector, f->score, f->summary);
		for (const pc_kv *kv = f->evidence; kv; kv = kv->next)
			fprintf(out, "      %s: %s\n", kv->key, kv->value);
	}
	fprintf(out, "\n  Verdict: %s (score %.1f)\n\n", pc_action_name(m->verdict), m->score);
}
