/*
 * NAME
 *   report - JSON Lines and --explain output (see report.h)
 */
#include "app/report.h"

#include "app/jsonw.h"
#include "extract/authres.h"

#include <stdlib.h>
#include <string.h>

/* All strings in pc_msg are valid UTF-8 without NUL (pc_arena_utf8). */

static void size_json(pc_jsonw *w, pc_size s)
{
	if (s.px != PC_SIZE_UNKNOWN)
		pc_jsonw_int(w, s.px);
	else if (s.pct >= 0) {
		char b[16];
		snprintf(b, sizeof b, "%d%%", s.pct);
		pc_jsonw_str(w, b);
	} else
		pc_jsonw_null(w);
}

static void kstr(pc_jsonw *w, const char *k, const char *v)
{
	pc_jsonw_key(w, k);
	pc_jsonw_str(w, v);
}

static void addr_list(pc_jsonw *w, const char *key, const pc_vec *v)
{
	pc_jsonw_key(w, key);
	pc_jsonw_arr(w);
	for (size_t i = 0; i < v->n; i++) {
		const pc_addr *ad = v->v[i];
		pc_jsonw_obj(w);
		kstr(w, "name", ad->name);
		kstr(w, "addr", ad->addr);
		if (ad->group)
			kstr(w, "group", ad->group);
		pc_jsonw_end(w);
	}
	pc_jsonw_end(w);
}

static void url_fields(pc_jsonw *w, const pc_url *u)
{
	kstr(w, "url", u->raw);
	kstr(w, "scheme", u->scheme);
	kstr(w, "host", u->host_ascii ? u->host_ascii : u->host);
	if (u->host_unicode && u->host_ascii && strcmp(u->host_unicode, u->host_ascii))
		kstr(w, "host_unicode", u->host_unicode);
	kstr(w, "domain", u->domain);
}

/* Evidence: an object; a key given several times becomes an array. */
static void evidence(pc_jsonw *w, const pc_finding *f)
{
	pc_jsonw_obj(w);
	for (const pc_kv *kv = f->evidence; kv; kv = kv->next) {
		bool seen = false;
		for (const pc_kv *p = f->evidence; p != kv; p = p->next)
			seen |= !strcmp(p->key, kv->key);
		if (seen)
			continue; /* written with its first occurrence */
		size_t count = 0;
		for (const pc_kv *p = kv; p; p = p->next)
			count += !strcmp(p->key, kv->key);
		pc_jsonw_key(w, kv->key);
		if (count == 1) {
			pc_jsonw_str(w, kv->value);
			continue;
		}
		pc_jsonw_arr(w);
		for (const pc_kv *p = kv; p; p = p->next)
			if (!strcmp(p->key, kv->key))
				pc_jsonw_str(w, p->value);
		pc_jsonw_end(w);
	}
	pc_jsonw_end(w);
}

int pc_report_json(FILE *out, const pc_msg *m)
{
	static pc_jsonw w; /* its buffer is reused from message to message */
	pc_jsonw_reset(&w);
	/* written out as it fills: a line of megabytes of URLs is not held a
	 * second time beside the parse results (an error after the first
	 * 64 kB leaves a partial line: out of memory, or a bug in the nesting) */
	w.sink = out;
	pc_jsonw_obj(&w);
	kstr(&w, "source", m->source);
	kstr(&w, "message_id", m->message_id);
	const pc_addr *from = m->from.n ? m->from.v[0] : NULL;
	kstr(&w, "from", from ? from->addr : NULL);
	pc_jsonw_key(&w, "rcpt");
	pc_jsonw_arr(&w);
	for (size_t i = 0; i < m->rcpt.n; i++)
		pc_jsonw_str(&w, m->rcpt.v[i]);
	pc_jsonw_end(&w);
	kstr(&w, "verdict", pc_action_name(m->verdict));
	pc_jsonw_key(&w, "score");
	pc_jsonw_real(&w, m->score);
	kstr(&w, "rule", m->rule ? m->rule : "clean");
	/* the findings the verdict rests on, as indices into "findings"
	 * (the policy keeps them in findings order: one walk) */
	pc_jsonw_key(&w, "reasons");
	pc_jsonw_arr(&w);
	for (size_t i = 0, k = 0; i < m->reasons.n && k < m->findings.n; k++) {
		if (m->findings.v[k] == m->reasons.v[i]) {
			pc_jsonw_int(&w, (long long)k);
			i++;
		}
	}
	pc_jsonw_end(&w);

	pc_jsonw_key(&w, "findings");
	pc_jsonw_arr(&w);
	for (size_t i = 0; i < m->findings.n; i++) {
		const pc_finding *f = m->findings.v[i];
		pc_jsonw_obj(&w);
		kstr(&w, "detector", f->detector);
		pc_jsonw_key(&w, "score");
		pc_jsonw_real(&w, f->score);
		kstr(&w, "summary", f->summary);
		pc_jsonw_key(&w, "evidence");
		evidence(&w, f);
		pc_jsonw_end(&w);
	}
	pc_jsonw_end(&w);
	pc_jsonw_key(&w, "trackers");
	pc_jsonw_arr(&w);
	for (size_t i = 0; i < m->trackers.n; i++) {
		const pc_tracker *t = m->trackers.v[i];
		pc_jsonw_obj(&w);
		kstr(&w, "url", t->url);
		kstr(&w, "element", t->element);
		pc_jsonw_key(&w, "signals");
		pc_jsonw_arr(&w);
		for (size_t k = 0; k < t->nsignals; k++)
			pc_jsonw_str(&w, t->signals[k]);
		pc_jsonw_end(&w);
		kstr(&w, "leak", t->leak);
		if (t->leak)
			kstr(&w, "leak_detail", t->leak_detail);
		if (t->destination)
			kstr(&w, "destination", t->destination);
		if (t->header)
			kstr(&w, "header", t->header);
		pc_jsonw_end(&w);
	}
	pc_jsonw_end(&w);
	if (m->auth.n) { /* only when there are results: stored messages without DNS keep their old shape */
		pc_jsonw_key(&w, "auth");
		pc_jsonw_arr(&w);
		for (size_t i = 0; i < m->auth.n; i++) {
			const pc_auth *a = m->auth.v[i];
			pc_jsonw_obj(&w);
			kstr(&w, "method", a->method);
			kstr(&w, "result", pc_auth_result_name(a->result));
			kstr(&w, "domain", a->domain);
			kstr(&w, "selector", a->selector);
			kstr(&w, "property", a->property);
			kstr(&w, "identity", a->identity);
			pc_jsonw_key(&w, "aligned");
			pc_jsonw_bool(&w, a->aligned);
			kstr(&w, "source", a->source);
			kstr(&w, "reason", a->reason);
			kstr(&w, "policy", a->policy);
			pc_jsonw_end(&w);
		}
		pc_jsonw_end(&w);
	}
	kstr(&w, "campaign", m->campaign);

	kstr(&w, "subject", m->subject);
	kstr(&w, "date", m->date);
	pc_jsonw_key(&w, "size");
	pc_jsonw_int(&w, (long long)m->size);
	kstr(&w, "rcpt_source", m->rcpt_source);
	pc_jsonw_key(&w, "addresses");
	pc_jsonw_obj(&w);
	addr_list(&w, "from", &m->from);
	addr_list(&w, "sender", &m->sender);
	addr_list(&w, "reply_to", &m->reply_to);
	addr_list(&w, "to", &m->to);
	addr_list(&w, "cc", &m->cc);
	kstr(&w, "return_path", m->return_path);
	pc_jsonw_end(&w);

	pc_jsonw_key(&w, "parts");
	pc_jsonw_arr(&w);
	for (size_t i = 0; i < m->parts.n; i++) {
		const pc_part *p = m->parts.v[i];
		pc_jsonw_obj(&w);
		kstr(&w, "path", p->path);
		kstr(&w, "type", p->content_type);
		kstr(&w, "kind", pc_part_kind_name(p->kind));
		if (p->charset)
			kstr(&w, "charset", p->charset);
		if (p->encoding)
			kstr(&w, "encoding", p->encoding);
		if (p->disposition)
			kstr(&w, "disposition", p->disposition);
		if (p->filename)
			kstr(&w, "filename", p->filename);
		if (p->uuencoded) {
			pc_jsonw_key(&w, "uuencoded");
			pc_jsonw_bool(&w, true);
		}
		if (p->decoded) {
			pc_jsonw_key(&w, "decoded_size");
			pc_jsonw_int(&w, (long long)p->decoded_size);
		}
		pc_jsonw_end(&w);
	}
	pc_jsonw_end(&w);

	pc_jsonw_key(&w, "resources");
	pc_jsonw_arr(&w);
	for (size_t i = 0; i < m->resources.n; i++) {
		const pc_resource *r = m->resources.v[i];
		pc_jsonw_obj(&w);
		url_fields(&w, r->url);
		if (r->resolved)
			kstr(&w, "resolved", r->resolved);
		kstr(&w, "element", r->element);
		kstr(&w, "tag", r->tag);
		kstr(&w, "attr", r->attr);
		kstr(&w, "role", r->role);
		if (r->prop)
			kstr(&w, "property", r->prop);
		pc_jsonw_key(&w, "width");
		size_json(&w, r->width);
		pc_jsonw_key(&w, "height");
		size_json(&w, r->height);
		pc_jsonw_key(&w, "hidden");
		pc_jsonw_arr(&w);
		for (size_t k = 0; k < PC_VIS_COUNT; k++)
			if (r->hidden & (1u << k))
				pc_jsonw_str(&w, pc_vis_name(k));
		pc_jsonw_end(&w);
		kstr(&w, "alt", r->alt);
		kstr(&w, "part", ((const pc_part *)m->parts.v[r->part])->path);
		pc_jsonw_end(&w);
	}
	pc_jsonw_end(&w);

	pc_jsonw_key(&w, "links");
	pc_jsonw_arr(&w);
	for (size_t i = 0; i < m->links.n; i++) {
		const pc_link *l = m->links.v[i];
		pc_jsonw_obj(&w);
		url_fields(&w, l->url);
		if (l->resolved)
			kstr(&w, "resolved", l->resolved);
		kstr(&w, "text", l->text);
		kstr(&w, "tag", l->tag);
		kstr(&w, "part", ((const pc_part *)m->parts.v[l->part])->path);
		pc_jsonw_end(&w);
	}
	pc_jsonw_end(&w);
	pc_jsonw_end(&w);
	if (w.err || w.depth != 0)
		return -1;
	if (fwrite(w.buf, 1, w.len, out) != w.len || fputc('\n', out) == EOF)
		return -1;
	return 0;
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

static void explain(FILE *out, const pc_msg *m);

/* The report is for a terminal, and every string in it may come from the
 * message: control characters (C0 but newline and tab, DEL, C1) are shown
 * as '?' so that no escape sequence reaches the terminal. */
void pc_report_explain(FILE *out, const pc_msg *m)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *mem = open_memstream(&buf, &n);
	if (!mem) {
		fputs("portcullis: out of memory for the report\n", out);
		return;
	}
	explain(mem, m);
	if (fclose(mem) != 0 || !buf) {
		free(buf);
		return;
	}
	size_t o = 0; /* compacted in place: a C1 control is two bytes, its '?' one */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == 0xC2 && i + 1 < n && (unsigned char)buf[i + 1] >= 0x80 && (unsigned char)buf[i + 1] <= 0x9F) {
			buf[o++] = '?';
			i++;
		} else
			buf[o++] = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7F ? '?' : (char)c;
	}
	fwrite(buf, 1, o, out);
	free(buf);
}

static void explain(FILE *out, const pc_msg *m)
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
	fprintf(out, "\n  Trackers (%zu):\n", m->trackers.n);
	for (size_t i = 0; i < m->trackers.n; i++) {
		const pc_tracker *t = m->trackers.v[i];
		fprintf(out, "    [%s] %s\n      signals:", t->element, t->url);
		for (size_t k = 0; k < t->nsignals; k++)
			fprintf(out, " %s", t->signals[k]);
		fputc('\n', out);
		if (t->leak)
			fprintf(out, "      leaks the recipient: %s (%s)\n", t->leak, t->leak_detail);
		if (t->destination)
			fprintf(out, "      destination: %s\n", t->destination);
	}
	if (m->auth.n) {
		fprintf(out, "\n  Authentication (%zu):\n", m->auth.n);
		for (size_t i = 0; i < m->auth.n; i++) {
			const pc_auth *a = m->auth.v[i];
			fprintf(out, "    %s=%s", a->method, pc_auth_result_name(a->result));
			if (a->domain)
				fprintf(out, " %s", a->domain);
			if (a->selector)
				fprintf(out, " s=%s", a->selector);
			if (a->identity)
				fprintf(out, " %s=%s", a->property ? a->property : "identity", a->identity);
			if (a->policy)
				fprintf(out, " p=%s", a->policy);
			if (a->aligned)
				fprintf(out, " (aligned)");
			fprintf(out, "%s%s%s\n", a->source ? " from " : "", a->source ? a->source : "",
			        a->source ? "" : " (ours)");
			if (a->reason)
				fprintf(out, "      %s\n", a->reason);
		}
	}
	fprintf(out, "\n  Findings (%zu):\n", m->findings.n);
	for (size_t i = 0; i < m->findings.n; i++) {
		const pc_finding *f = m->findings.v[i];
		fprintf(out, "    %s (%.1f): %s\n", f->detector, f->score, f->summary);
		for (const pc_kv *kv = f->evidence; kv; kv = kv->next)
			fprintf(out, "      %s: %s\n", kv->key, kv->value);
	}
	if (m->campaign)
		fprintf(out, "\n  Campaign: %s (portcullis campaigns show %s)\n", m->campaign, m->campaign);
	fprintf(out, "\n  Verdict: %s (score %.1f, rule %s)\n", pc_action_name(m->verdict), m->score,
	        m->rule ? m->rule : "clean");
	for (size_t i = 0; i < m->reasons.n; i++) {
		const pc_finding *f = m->reasons.v[i];
		fprintf(out, "    because %s: %s\n", f->detector, f->summary);
	}
	fputc('\n', out);
}
