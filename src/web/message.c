/*
 * NAME
 *   message - one message in the console: findings with their evidence,
 *   authentication, headers, the Received chain, the MIME tree, and the
 *   body shown inert beside the version Portcullis rewrites
 * DESCRIPTION
 *   A message is a custody record (/messages/ID: every message scanned
 *   with the store; its bytes while [evidence] keeps originals) or a
 *   quarantine entry (/quarantine/QID, web/quarantine.c). The facts come
 *   from the record (verdict, rule, findings, authentication: what was
 *   decided at delivery); the headers, Received chain, MIME tree and
 *   bodies from the bytes, read by web/msgview.c.
 *
 *   The body is never put in the console's page: it is served by
 *   .../body as its own document, HTML through web/sanitize.c (no script,
 *   no URL attribute, no remote style) and under its own policy
 *   (default-src 'none', CSP sandbox), shown in an <iframe sandbox> with
 *   no permissions. The rewritten version is the pipeline's own
 *   (pc_neutralise) made now with the console's configuration, read the
 *   same way: what a recipient's client would get.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act/rewrite.h"
#include "app/resources.h"
#include "pipeline/pipeline.h"
#include "web/internal.h"
#include "web/msgview.h"

typedef struct found {
	long long id;
	char sha[72];
	char *source, *message_id; /* any length: a long Message-ID must not hide its message */
	bool hit;
	char *record;
	void *bytes;
	size_t n;
	bool want_bytes;
} found;

static int row_cb(void *ctx, const pc_msg_row *m)
{
	found *f = ctx;
	snprintf(f->sha, sizeof f->sha, "%s", m->sha256);
	g_free(f->source);
	g_free(f->message_id);
	f->source = g_strdup(m->source);
	f->message_id = g_strdup(m->message_id);
	f->hit = true;
	return 1;
}

static int custody_cb(void *ctx, const pc_custody *c)
{
	found *f = ctx;
	if (strcmp(c->source, f->source) || strcmp(c->message_id, f->message_id))
		return 0;
	free(f->record);
	f->record = strdup(c->record ? c->record : "{}");
	if (f->want_bytes && c->original) {
		f->bytes = malloc(c->n + 1);
		if (f->bytes) {
			memcpy(f->bytes, c->original, c->n);
			((char *)f->bytes)[c->n] = '\0';
			f->n = c->n;
		}
	}
	return 1;
}

/* 1 found, 0 none, -1 error */
static int load(pc_req *r, long long id, bool bytes, found *f)
{
	memset(f, 0, sizeof *f);
	f->want_bytes = bytes;
	pc_query q = {.id = id, .limit = 1};
	long total;
	if (pc_store_message_search(r->st, &q, row_cb, f, &total) != 0)
		return -1;
	if (!f->hit)
		return 0;
	if (pc_store_custody_list(r->st, 0, f->sha, bytes, custody_cb, f) != 0)
		return -1;
	return f->record ? 1 : 0;
}

static void found_free(found *f)
{
	free(f->record);
	free(f->bytes);
	g_free(f->source);
	g_free(f->message_id);
}

/* web/msgview.h's view of bytes (one pc_msgview per call: a page reads
 * one or two messages) */
static json_t *view_of(pc_req *r, const char *bytes, size_t n)
{
	pc_msgview *mv = pc_msgview_new(&r->w->cfg.limits);
	json_t *v = mv ? pc_msgview_json(mv, bytes, n) : NULL;
	pc_msgview_free(mv);
	return v;
}

/* The message's facts and parts as the page's JSON. `decided`: the
 * record (custody) or quarantine metadata that says what was decided. */
json_t *pc_message_view(pc_req *r, const char *bytes, size_t n, const json_t *decided)
{
	json_t *v = bytes ? view_of(r, bytes, n) : json_object();
	if (!v)
		v = json_object();
	if (decided) {
		static const char *const keys[] = {"verdict",     "rule",      "score",      "from",     "reply_to",
		                                   "return_path", "subject",   "sending_ip", "envelope", "auth",
		                                   "reasons",     "campaign",  "message_id", "arrived",  "seen",
		                                   "mail_from",   "rcpt",      "reason",     "why",      "queue_id",
		                                   "held",        "client_ip", "helo",       "limit",    "limit_why"};
		json_t *facts = json_object();
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			json_t *x = json_object_get(decided, keys[i]);
			if (x)
				json_object_set(facts, keys[i], x);
		}
		/* the milter's metadata keeps the findings in its scan */
		json_t *scan = json_object_get(decided, "scan");
		if (!json_object_get(facts, "reasons") && json_object_get(scan, "findings"))
			json_object_set(facts, "reasons", json_object_get(scan, "findings"));
		json_object_set_new(v, "decided", facts);
	}
	json_object_set_new(v, "bytes_kept", json_boolean(bytes != NULL));
	return v;
}

int pc_page_message(pc_req *r, json_t **data, pc_resp *resp)
{
	found f;
	int rc = load(r, r->num, true, &f);
	if (rc == 0) {
		found_free(&f);
		return pc_fail(resp, data, 404, "no message %lld", r->num);
	}
	if (rc < 0) {
		found_free(&f);
		return pc_fail(resp, data, 500, "store: %s", pc_store_error(r->st));
	}
	json_t *rec = json_loads(f.record, 0, NULL);
	json_t *d = json_object();
	json_object_set_new(d, "id", json_integer(r->num));
	json_object_set_new(d, "sha256", json_string(f.sha));
	json_object_set_new(d, "source", pc_jstr(f.source));
	json_object_set_new(d, "view", pc_message_view(r, f.bytes, f.n, rec));
	char base[96];
	snprintf(base, sizeof base, "/messages/%lld/body", r->num);
	json_object_set_new(d, "body_url", json_string(base));
	json_decref(rec);
	found_free(&f);
	*data = d;
	return 200;
}

/* ---- the frame ---- */

static char *rewritten(pc_req *r, const char *bytes, size_t n, size_t *outn)
{
	pc_resources res;
	char err[512];
	pc_config cfg = r->w->cfg;
	cfg.history_db[0] = '\0'; /* nothing recorded, no DNS: only the rewrite */
	if (pc_resources_open(&cfg, 0, &res, err, sizeof err) != 0) {
		pc_resources_close(&res);
		return NULL;
	}
	pc_scanner *sc = pc_resources_scanner(&cfg, &res);
	char *out = NULL;
	if (sc) {
		pc_scanner_keep_for_rewrite(sc, 1);
		const pc_msg *m = pc_scan(sc, bytes, n, "console", NULL, 0);
		pc_rewrite_stats rs;
		memset(&rs, 0, sizeof rs);
		int rc = m ? pc_neutralise(sc, m, bytes, n, NULL, 0, &out, outn, &rs) : -1;
		if (rc == 0) {
			out = malloc(n + 1);
			if (out) {
				memcpy(out, bytes, n);
				out[n] = '\0';
				*outn = n;
			}
		} else if (rc < 0) {
			out = NULL;
		}
		pc_scanner_free(sc);
	}
	pc_resources_close(&res);
	return out;
}

int pc_message_body(pc_req *r, const char *bytes, size_t n, json_t **data, pc_resp *resp)
{
	const char *which = pc_arg(r, "v"), *part = pc_arg(r, "part");
	bool rew = which && !strcmp(which, "rewritten");
	size_t rn = 0;
	char *rb = rew ? rewritten(r, bytes, n, &rn) : NULL;
	if (rew && !rb)
		return pc_fail(resp, data, 500, "the rewrite failed");
	json_t *v = view_of(r, rew ? rb : bytes, rew ? rn : n);
	free(rb);
	if (!v)
		return pc_fail(resp, data, 500, "out of memory");
	const char *html = pc_js(v, "html"), *text = pc_js(v, "text");
	GString *o =
	    g_string_new("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{font:14px/1.4 "
	                 "sans-serif;margin:8px;overflow-wrap:anywhere}.pc-img{display:inline-block;border:1px "
	                 "dashed #999;color:#666;font-size:11px;padding:1px 3px}.pc-link{color:#1f4e79;"
	                 "text-decoration:underline dotted}.pc-cc{color:#a4161a;font-size:11px}.pc-removed,.pc-cut,"
	                 ".pc-fallback{color:#666;font-style:italic}pre{white-space:pre-wrap}</style></head><body>");
	if ((!part || strcmp(part, "text")) && html) {
		g_string_append(o, html); /* web/sanitize.c's output: inert */
	} else if (text) {
		g_string_append(o, "<pre>");
		pc_h_pre(o, text, 0);
		g_string_append(o, "</pre>");
	} else {
		g_string_append(o, "<p><i>no text or HTML body</i></p>");
	}
	g_string_append(o, "</body></html>");
	json_decref(v);
	resp->body = o;
	resp->frame = true;
	resp->type = "text/html; charset=utf-8";
	*data = NULL;
	return 200;
}

int pc_page_message_body(pc_req *r, json_t **data, pc_resp *resp)
{
	found f;
	int rc = load(r, r->num, true, &f);
	if (rc <= 0 || !f.bytes) {
		found_free(&f);
		return pc_fail(resp, data, rc < 0 ? 500 : 404, "the original of message %lld is not kept", r->num);
	}
	rc = pc_message_body(r, f.bytes, f.n, data, resp);
	found_free(&f);
	return rc;
}

/* ---- the page ---- */

static void kv(GString *o, const char *k, const char *v)
{
	if (!v)
		return;
	g_string_append_printf(o, "<dt>%s</dt><dd>", k);
	pc_h(o, v);
	g_string_append(o, "</dd>");
}

static void evidence(GString *o, json_t *ev)
{
	if (!json_is_object(ev))
		return;
	g_string_append(o, "<dl class=\"kv ev\">");
	const char *k;
	json_t *v;
	json_object_foreach(ev, k, v)
	{
		g_string_append(o, "<dt>");
		pc_h(o, k);
		g_string_append(o, "</dt><dd>");
		if (json_is_string(v)) {
			pc_hn(o, json_string_value(v), 4000);
		} else {
			char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			pc_hn(o, t, 4000);
			free(t);
		}
		g_string_append(o, "</dd>");
	}
	g_string_append(o, "</dl>");
}

static void mime_tree(GString *o, json_t *parts)
{
	g_string_append(o, "<table class=\"tree\"><thead><tr><th>Part</th><th>Type</th><th>Disposition</th><th>File "
	                   "name</th><th class=\"n\">Bytes</th></tr></thead><tbody>");
	size_t i;
	json_t *p;
	json_array_foreach(parts, i, p)
	{
		g_string_append(o, "<tr><td>");
		pc_h(o, pc_js(p, "path"));
		g_string_append(o, "</td><td>");
		long long depth = pc_jn(p, "depth");
		for (long long k = 0; k < depth && k < 20; k++)
			g_string_append(o, "· ");
		pc_h(o, pc_js(p, "content_type"));
		g_string_append(o, "</td><td>");
		pc_h(o, pc_js(p, "disposition"));
		g_string_append(o, "</td><td class=\"wrap\">");
		pc_hn(o, pc_js(p, "filename"), 300);
		g_string_append_printf(o, "</td><td class=\"n\">%lld</td></tr>", pc_jn(p, "size"));
	}
	g_string_append(o, "</tbody></table>");
}

void pc_render_message(pc_req *r, json_t *d, GString *o)
{
	(void)r;
	json_t *v = json_object_get(d, "view"), *dec = json_object_get(v, "decided");
	const char *subject = pc_js(dec, "subject");
	g_string_append(o, "<h1>");
	if (pc_js(d, "qid"))
		g_string_append(o, "Quarantined: ");
	pc_hn(o, subject && *subject ? subject : "(no subject)", 300);
	g_string_append(o, "</h1>");
	const char *verdict = pc_js(dec, "verdict");
	g_string_append(o, "<dl class=\"kv\">");
	if (verdict) {
		g_string_append_printf(o, "<dt>Verdict</dt><dd class=\"%s\">", pc_verdict_class(verdict));
		pc_hn(o, verdict, 20);
		g_string_append(o, "</dd>");
	}
	kv(o, "Rule", pc_js(dec, "rule"));
	kv(o, "From", pc_js(dec, "from"));
	kv(o, "Reply-To", pc_js(dec, "reply_to"));
	kv(o, "Return-Path", pc_js(dec, "return_path"));
	kv(o, "Sending IP", pc_js(dec, "sending_ip"));
	kv(o, "Taken by", pc_js(dec, "reason"));
	kv(o, "Why", pc_js(dec, "why"));
	kv(o, "SHA-256", pc_js(d, "sha256"));
	long long camp = pc_jn(dec, "campaign");
	if (camp > 0)
		g_string_append_printf(o, "<dt>Campaign</dt><dd><a href=\"/campaigns/%lld\">%lld</a></dd>", camp, camp);
	g_string_append(o, "</dl>");

	if (pc_js(d, "qid") && r->sess.role >= PC_ROLE_ANALYST) {
		const char *qid = pc_js(d, "qid");
		g_string_append(o, "<h2>Actions</h2><div class=\"actions\">");
		pc_form(o, r, "/quarantine/%s/release", qid);
		g_string_append(o, "<label>reason <input name=\"reason\" required maxlength=\"400\"></label>"
		                   "<label>to (optional) <input name=\"to\" placeholder=\"the original recipients\">"
		                   "</label><button type=\"submit\">Release</button></form>");
		pc_form(o, r, "/quarantine/%s/delete", qid);
		g_string_append(o, "<label>reason <input name=\"reason\" required maxlength=\"400\"></label>"
		                   "<button type=\"submit\" class=\"danger\">Delete</button></form></div>");
	}

	g_string_append(o, "<h2>Findings</h2><table><thead><tr><th>Detector</th><th class=\"n\">Score</th>"
	                   "<th>Summary and evidence</th></tr></thead><tbody>");
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(dec, "reasons"), i, f)
	{
		g_string_append(o, "<tr><td>");
		pc_h(o, json_is_string(f) ? json_string_value(f) : pc_js(f, "detector"));
		json_t *sc = json_object_get(f, "score");
		g_string_append_printf(o, "</td><td class=\"n\">%.1f</td><td>",
		                       json_is_number(sc) ? json_number_value(sc) : 0.0);
		pc_hn(o, pc_js(f, "summary"), 2000);
		evidence(o, json_object_get(f, "evidence"));
		g_string_append(o, "</td></tr>");
	}
	if (!json_array_size(json_object_get(dec, "reasons")))
		g_string_append(o, "<tr><td colspan=\"3\" class=\"mut\">none recorded</td></tr>");
	g_string_append(o, "</tbody></table>");

	g_string_append(o, "<h2>Authentication</h2><table><thead><tr><th>Method</th><th>Result</th><th>Domain</th>"
	                   "<th>Aligned</th><th>Checked by</th></tr></thead><tbody>");
	json_array_foreach(json_object_get(dec, "auth"), i, f)
	{
		g_string_append(o, "<tr><td>");
		pc_h(o, pc_js(f, "method"));
		g_string_append(o, "</td><td>");
		pc_h(o, pc_js(f, "result"));
		g_string_append(o, "</td><td>");
		pc_h(o, pc_js(f, "domain"));
		g_string_append_printf(o, "</td><td>%s</td><td>",
		                       json_is_true(json_object_get(f, "aligned")) ? "yes" : "no");
		pc_h(o, pc_js(f, "source"));
		g_string_append(o, "</td></tr>");
	}
	g_string_append(o, "</tbody></table>");

	if (!json_is_true(json_object_get(v, "bytes_kept"))) {
		g_string_append(o,
		                "<p class=\"mut\">The original bytes are no longer kept ([evidence] originals_days): "
		                "headers, parts and body cannot be shown.</p>");
		return;
	}
	const char *url = pc_js(d, "body_url");
	g_string_append(o,
	                "<h2>Body</h2><p class=\"mut\">Shown inert: no script, no remote content, links and images "
	                "replaced by what they point to.</p><div class=\"grid2\"><div><h3>As received</h3>"
	                "<iframe class=\"body\" sandbox=\"\" referrerpolicy=\"no-referrer\" title=\"original\" src=\"");
	pc_h(o, url);
	g_string_append(
	    o, "?v=original\"></iframe></div><div><h3>As Portcullis rewrites it</h3>"
	       "<iframe class=\"body\" sandbox=\"\" referrerpolicy=\"no-referrer\" title=\"rewritten\" src=\"");
	pc_h(o, url);
	g_string_append(o, "?v=rewritten\"></iframe></div></div><p><a href=\"");
	pc_h(o, url);
	g_string_append(o, "?v=original&amp;part=text\">text part</a></p>");

	g_string_append(o, "<h2>Received chain</h2><table><thead><tr><th>#</th><th>From</th><th>By</th><th>With</th>"
	                   "<th>Date</th></tr></thead><tbody>");
	json_array_foreach(json_object_get(v, "received"), i, f)
	{
		g_string_append_printf(o, "<tr><td>%zu</td><td class=\"wrap\">", i + 1);
		pc_hn(o, pc_js(f, "from"), 400);
		g_string_append(o, "</td><td class=\"wrap\">");
		pc_hn(o, pc_js(f, "by"), 300);
		g_string_append(o, "</td><td>");
		pc_hn(o, pc_js(f, "with"), 60);
		g_string_append(o, "</td><td>");
		pc_hn(o, pc_js(f, "date"), 80);
		g_string_append(o, "</td></tr>");
	}
	g_string_append(o, "</tbody></table><h2>MIME tree</h2>");
	mime_tree(o, json_object_get(v, "mime"));
	g_string_append(o, "<h2>Headers</h2><table><tbody>");
	json_array_foreach(json_object_get(v, "headers"), i, f)
	{
		g_string_append(o, "<tr><th class=\"clip hname\">");
		pc_hn(o, pc_js(f, "name"), 100);
		g_string_append(o, "</th><td class=\"wrap ev\">");
		pc_hn(o, pc_js(f, "value"), 4000);
		g_string_append(o, "</td></tr>");
	}
	g_string_append(o, "</tbody></table>");
}
