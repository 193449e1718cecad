/*
 * NAME
 *   msgview - a stored message as the JSON object the console's message page renders (see msgview.h)
 * DESCRIPTION
 *   pc_mime_parse fills a pc_msg in the view's arena and hands over each
 *   text and HTML body once (on_body): the first of each is kept, the text
 *   marked, the HTML sanitised. The object is then written from the
 *   pc_msg. Every string reaches it through jtext().
 */
#include "web/msgview.h"

#include <arpa/inet.h>
#include <glib.h>
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/msg.h"
#include "core/safetext.h"
#include "parse/mime.h"
#include "web/sanitize.h"

#define DATE_MAX 256 /* bytes of a Received date read as a date */
#define EVIDENCE_MAX 16
#define SHORT_MAX 1024 /* characters of a summary or an evidence value */

struct pc_msgview {
	pc_config cfg;
	pc_mime *mime;
	pc_sanitize *san;
	pc_arena *arena;
	/* the bodies of the message being read */
	char *text; /* g_malloc'd, marked */
	bool text_cut;
	const char *text_part;
	char *html; /* malloc'd fragment */
	size_t htmln;
	const char *html_part;
	bool have_html;
	pc_sanitize_stats hst;
};

pc_msgview *pc_msgview_new(const pc_limits *limits)
{
	pc_msgview *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	pc_config_defaults(&v->cfg);
	if (limits)
		v->cfg.limits = *limits;
	v->mime = pc_mime_new();
	v->san = pc_sanitize_new();
	v->arena = pc_arena_new(v->cfg.limits.arena);
	if (!v->mime || !v->san || !v->arena) {
		pc_msgview_free(v);
		return NULL;
	}
	return v;
}

static void bodies_free(pc_msgview *v)
{
	g_free(v->text);
	free(v->html);
	v->text = NULL;
	v->html = NULL;
	v->text_part = v->html_part = NULL;
	v->text_cut = v->have_html = false;
	v->htmln = 0;
}

void pc_msgview_free(pc_msgview *v)
{
	if (!v)
		return;
	bodies_free(v);
	if (v->mime)
		pc_mime_free(v->mime);
	pc_sanitize_free(v->san);
	pc_arena_free(v->arena);
	pc_config_free(&v->cfg);
	free(v);
}

/* --- strings -------------------------------------------------------------- */

/* s[0, n) as a shown-safe JSON string: marked (keep: PC_MARK_KEEP_*),
 * cut after max characters with "…"; null for NULL. */
static json_t *jtext_n(const char *s, size_t n, unsigned keep, size_t max, bool *cut)
{
	if (cut)
		*cut = false;
	if (!s)
		return json_null();
	char *m = pc_safetext_marks(s, n, keep);
	size_t len = strlen(m), chars = 0;
	const char *p = m;
	while (*p && chars < max) {
		p = g_utf8_next_char(p);
		chars++;
	}
	json_t *j;
	if (*p) {
		GString *g = g_string_new_len(m, p - m);
		g_string_append(g, "\xe2\x80\xa6");
		j = json_stringn(g->str, g->len);
		g_string_free(g, TRUE);
		if (cut)
			*cut = true;
	} else {
		j = json_stringn(m, len);
	}
	g_free(m);
	return j ? j : json_null();
}

static json_t *jtext(const char *s, size_t max)
{
	return jtext_n(s, s ? strlen(s) : 0, PC_MARK_KEEP_TAB, max, NULL);
}

static void set(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v ? v : json_null());
}

/* --- the bodies ------------------------------------------------------------ */

static void on_body(void *ctx, pc_msg *m, size_t part, const char *bytes, size_t n, const char *charset)
{
	pc_msgview *v = ctx;
	const pc_part *pp = m->parts.v[part];
	if (pp->attachment)
		return;
	if (pp->kind == PC_PART_TEXT && !v->text) {
		size_t cap = n;
		if (cap > PC_MSGVIEW_TEXT_MAX) {
			cap = PC_MSGVIEW_TEXT_MAX;
			while (cap && ((unsigned char)bytes[cap] & 0xc0) == 0x80)
				cap--; /* not inside a character */
			v->text_cut = true;
		}
		GString *t = g_string_sized_new(cap + 1);
		for (size_t i = 0; i < cap;) { /* CR LF as LF */
			const char *cr = memchr(bytes + i, '\r', cap - i);
			size_t end = cr ? (size_t)(cr - bytes) : cap;
			g_string_append_len(t, bytes + i, (gssize)(end - i));
			if (cr && !(end + 1 < n && bytes[end + 1] == '\n'))
				g_string_append_c(t, '\r'); /* a lone CR: marked */
			i = cr ? end + 1 : cap;
		}
		v->text = pc_safetext_marks(t->str, t->len, PC_MARK_KEEP_LF | PC_MARK_KEEP_TAB);
		g_string_free(t, TRUE);
		v->text_part = pp->path;
	} else if (pp->kind == PC_PART_HTML && !v->have_html) {
		v->have_html = true;
		v->html_part = pp->path;
		v->html = pc_sanitize_html(v->san, bytes, n, charset, &v->htmln, &v->hst);
	}
}

static json_t *html_stats(const pc_sanitize_stats *s)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	set(o, "elements_dropped", json_integer((json_int_t)s->elements_dropped));
	set(o, "elements_unwrapped", json_integer((json_int_t)s->elements_unwrapped));
	set(o, "attributes_dropped", json_integer((json_int_t)s->attributes_dropped));
	set(o, "links_defused", json_integer((json_int_t)s->links_defused));
	set(o, "images_replaced", json_integer((json_int_t)s->images_replaced));
	set(o, "styles_dropped", json_integer((json_int_t)s->styles_dropped));
	set(o, "marked", json_integer((json_int_t)s->marked));
	set(o, "input_cut", s->input_cut ? json_string(s->input_cut) : json_null());
	set(o, "depth_cut", json_boolean(s->depth_cut));
	set(o, "output_cut", json_boolean(s->output_cut));
	set(o, "charset_unknown", json_boolean(s->charset_unknown));
	set(o, "fallback", json_boolean(s->fallback));
	return o;
}

/* --- headers and the Received chain ----------------------------------------- */

static json_t *header(const pc_kv *kv)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	set(o, "name", jtext(kv->key, PC_MSGVIEW_NAME_MAX));
	size_t n = strlen(kv->value);
	bool cut = n > PC_MSGVIEW_VALUE_MAX;
	if (cut) { /* at a character boundary (the value is valid UTF-8) */
		n = PC_MSGVIEW_VALUE_MAX;
		while (n && ((unsigned char)kv->value[n] & 0xc0) == 0x80)
			n--;
	}
	char *raw = g_strndup(kv->value, n);
	char *dec = g_mime_utils_header_decode_text(NULL, raw);
	const char *s = dec ? dec : raw;
	set(o, "value", jtext_n(s, strlen(s), PC_MARK_KEEP_TAB, SIZE_MAX, NULL));
	if (cut)
		set(o, "cut", json_true());
	g_free(dec);
	g_free(raw);
	return o;
}

static const char *const CLAUSES[] = {"from", "by", "via", "with", "id", "for"};
#define NCLAUSES (sizeof CLAUSES / sizeof CLAUSES[0])

static bool space(char c)
{
	return c == ' ' || c == '\t';
}

/* The first [address literal] of a from clause that is an IP address. */
static json_t *from_ip(const char *s, size_t n)
{
	for (const char *p = s, *end = s + n; (p = memchr(p, '[', (size_t)(end - p))); p++) {
		size_t look = (size_t)(end - p) < 72 ? (size_t)(end - p) : 72; /* a literal is short: linear */
		const char *q = memchr(p, ']', look);
		if (!q)
			continue;
		char ip[64];
		size_t l = (size_t)(q - p - 1);
		const char *a = p + 1;
		if (l > 5 && !strncasecmp(a, "IPv6:", 5))
			a += 5, l -= 5;
		if (l == 0 || l >= sizeof ip)
			continue;
		memcpy(ip, a, l);
		ip[l] = '\0';
		unsigned char bin[16];
		if (inet_pton(AF_INET, ip, bin) == 1 || inet_pton(AF_INET6, ip, bin) == 1)
			return json_string(ip); /* ASCII: inet_pton read it */
	}
	return json_null();
}

/* The date of a Received field in UTC, ISO 8601; null when it reads as none. */
static json_t *utc(const char *s, size_t n)
{
	char buf[DATE_MAX];
	if (n >= sizeof buf)
		return json_null();
	memcpy(buf, s, n);
	buf[n] = '\0';
	GDateTime *d = g_mime_utils_header_decode_date(buf);
	if (!d)
		return json_null();
	GDateTime *u = g_date_time_to_utc(d);
	char *f = u ? g_date_time_format(u, "%Y-%m-%dT%H:%M:%SZ") : NULL;
	json_t *j = f ? json_string(f) : json_null();
	g_free(f);
	if (u)
		g_date_time_unref(u);
	g_date_time_unref(d);
	return j ? j : json_null();
}

/* One hop: "from X by Y with Z id W for V; date". Clause keywords count
 * outside comments and at a word start; a keyword seen again belongs to
 * the clause it is in. Two passes over at most PC_MSGVIEW_VALUE_MAX bytes. */
static json_t *hop(const char *v)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	size_t n = strnlen(v, PC_MSGVIEW_VALUE_MAX + 1);
	if (n > PC_MSGVIEW_VALUE_MAX) { /* at a character boundary */
		n = PC_MSGVIEW_VALUE_MAX;
		while (n && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--;
	}
	set(o, "raw", jtext_n(v, n, PC_MARK_KEEP_TAB, SIZE_MAX, NULL));
	size_t semi = n, depth = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\\' && depth)
			i++; /* a quoted pair in a comment */
		else if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && depth)
			depth--;
		else if (v[i] == ';' && !depth)
			semi = i;
	}
	size_t start[NCLAUSES], end[NCLAUSES];
	bool found[NCLAUSES] = {false};
	int cur = -1;
	depth = 0;
	for (size_t i = 0; i < semi; i++) {
		if (v[i] == '\\' && depth) {
			i++;
			continue;
		}
		if (v[i] == '(') {
			depth++;
			continue;
		}
		if (v[i] == ')' && depth) {
			depth--;
			continue;
		}
		if (depth || (i && !space(v[i - 1])))
			continue;
		for (size_t k = 0; k < NCLAUSES; k++) {
			size_t l = strlen(CLAUSES[k]);
			if (found[k] || semi - i <= l || strncasecmp(v + i, CLAUSES[k], l) || !space(v[i + l]))
				continue;
			if (cur >= 0)
				end[cur] = i;
			cur = (int)k;
			found[k] = true;
			start[k] = i + l + 1;
			i += l;
			break;
		}
	}
	if (cur >= 0)
		end[cur] = semi;
	for (size_t k = 0; k < NCLAUSES; k++) {
		const char *s = found[k] ? v + start[k] : NULL;
		size_t l = found[k] ? end[k] - start[k] : 0;
		while (l && space(*s))
			s++, l--;
		while (l && space(s[l - 1]))
			l--;
		set(o, CLAUSES[k], s ? jtext_n(s, l, PC_MARK_KEEP_TAB, PC_MSGVIEW_CLAUSE_MAX, NULL) : json_null());
		if (k == 0)
			set(o, "from_ip", s ? from_ip(s, l) : json_null());
	}
	const char *d = semi < n ? v + semi + 1 : NULL;
	size_t dl = d ? n - semi - 1 : 0;
	while (dl && space(*d))
		d++, dl--;
	while (dl && space(d[dl - 1]))
		dl--;
	set(o, "date", d ? jtext_n(d, dl, PC_MARK_KEEP_TAB, PC_MSGVIEW_CLAUSE_MAX, NULL) : json_null());
	set(o, "time", d ? utc(d, dl) : json_null());
	return o;
}

/* --- parts and findings ----------------------------------------------------- */

static json_t *addresses(const pc_vec *vec)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < vec->n && i < PC_MSGVIEW_HEADERS; i++) {
		const pc_addr *ad = vec->v[i];
		json_t *o = json_object();
		if (!o)
			break;
		set(o, "name", jtext(ad->name, PC_MSGVIEW_NAME_MAX));
		set(o, "addr", jtext(ad->addr, PC_MSGVIEW_NAME_MAX));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *part(const pc_part *pp, bool full)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	set(o, "path", jtext(pp->path, PC_MSGVIEW_NAME_MAX));
	if (full) {
		set(o, "depth", json_integer((json_int_t)pp->depth));
		set(o, "kind", json_string(pc_part_kind_name(pp->kind)));
	}
	set(o, "content_type", jtext(pp->content_type, PC_MSGVIEW_NAME_MAX));
	if (full)
		set(o, "charset", jtext(pp->charset, PC_MSGVIEW_NAME_MAX));
	set(o, "disposition", jtext(pp->disposition, PC_MSGVIEW_NAME_MAX));
	set(o, "filename", jtext(pp->filename, PC_MSGVIEW_NAME_MAX));
	set(o, "encoding", jtext(pp->encoding, PC_MSGVIEW_NAME_MAX));
	set(o, "size", json_integer((json_int_t)pp->size));
	if (full && pp->decoded)
		set(o, "decoded_size", json_integer((json_int_t)pp->decoded_size));
	return o;
}

static bool is_attachment(const pc_msgview *v, const pc_part *pp)
{
	if (pp->kind == PC_PART_MULTIPART || pp->path == v->text_part || pp->path == v->html_part)
		return false;
	return pp->attachment || pp->filename || pp->kind == PC_PART_MESSAGE || pp->kind == PC_PART_OTHER;
}

/* Evidence as the scan writes it: an object, a key given several times an array. */
static json_t *evidence(const pc_finding *f)
{
	json_t *o = json_object();
	size_t k = 0;
	for (const pc_kv *kv = f->evidence; o && kv && k < EVIDENCE_MAX; kv = kv->next, k++) {
		json_t *val = jtext(kv->value, SHORT_MAX);
		json_t *old = json_object_get(o, kv->key); /* keys are literals of our code */
		if (!old) {
			json_object_set_new(o, kv->key, val);
		} else if (json_is_array(old)) {
			json_array_append_new(old, val);
		} else {
			json_t *arr = json_array();
			json_array_append(arr, old);
			json_array_append_new(arr, val);
			json_object_set_new(o, kv->key, arr);
		}
	}
	return o;
}

static json_t *parse_findings(const pc_msg *m)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < m->findings.n && json_array_size(a) < PC_MSGVIEW_FINDINGS; i++) {
		const pc_finding *f = m->findings.v[i];
		if (f->kind != PC_FINDING_DAMAGE && f->kind != PC_FINDING_LIMIT)
			continue;
		json_t *o = json_object();
		if (!o)
			break;
		set(o, "detector", jtext(f->detector, 64));
		set(o, "summary", jtext(f->summary, SHORT_MAX));
		set(o, "evidence", evidence(f));
		json_array_append_new(a, o);
	}
	return a;
}

/* --- the object ----------------------------------------------------------- */

json_t *pc_msgview_json(pc_msgview *v, const char *bytes, size_t n)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (!bytes)
		bytes = "", n = 0;
	pc_arena_reset(v->arena);
	bodies_free(v);
	pc_msg m;
	memset(&m, 0, sizeof m);
	m.arena = v->arena;
	m.config = &v->cfg;
	pc_msg_budget_start(&m);
	pc_mime_parse(v->mime, &m, bytes, n, on_body, v);

	set(o, "size", json_integer((json_int_t)n));
	set(o, "subject", jtext(m.subject, SIZE_MAX));
	set(o, "date", jtext(m.date, PC_MSGVIEW_NAME_MAX));
	set(o, "message_id", jtext(m.message_id, SHORT_MAX));
	set(o, "from", addresses(&m.from));
	set(o, "to", addresses(&m.to));

	json_t *hs = json_array(), *rs = json_array();
	size_t nrec = 0;
	for (size_t i = 0; i < m.headers.n; i++) {
		const pc_kv *kv = m.headers.v[i];
		if (i < PC_MSGVIEW_HEADERS)
			json_array_append_new(hs, header(kv));
		if (!g_ascii_strcasecmp(kv->key, "Received") && nrec++ < PC_MSGVIEW_RECEIVED)
			json_array_append_new(rs, hop(kv->value));
	}
	set(o, "headers", hs);
	set(o, "headers_total", json_integer((json_int_t)m.headers.n));
	set(o, "received", rs);
	set(o, "received_total", json_integer((json_int_t)nrec));

	json_t *ps = json_array(), *as = json_array();
	for (size_t i = 0; i < m.parts.n; i++) {
		const pc_part *pp = m.parts.v[i];
		if (i < PC_MSGVIEW_PARTS)
			json_array_append_new(ps, part(pp, true));
		if (is_attachment(v, pp) && json_array_size(as) < PC_MSGVIEW_ATTACHMENTS)
			json_array_append_new(as, part(pp, false));
	}
	set(o, "mime", ps);
	set(o, "attachments", as);

	set(o, "text", v->text ? json_string(v->text) : json_null());
	set(o, "text_part", jtext(v->text_part, PC_MSGVIEW_NAME_MAX));
	set(o, "text_cut", json_boolean(v->text_cut));
	set(o, "html", v->html ? json_stringn(v->html, v->htmln) : json_null());
	set(o, "html_part", jtext(v->html_part, PC_MSGVIEW_NAME_MAX));
	set(o, "html_stats", v->have_html ? html_stats(&v->hst) : json_null());
	set(o, "parse", parse_findings(&m));
	bodies_free(v);
	pc_arena_reset(v->arena);
	return o;
}
