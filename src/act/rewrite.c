/*
 * NAME
 *   rewrite - neutralise trackers by editing bytes in place (see rewrite.h)
 * DESCRIPTION
 *   Edits are computed against the part's UTF-8 HTML as the extract stage
 *   read it (positions from MyHTML), applied there, and the part is
 *   converted back to its charset and transfer encoding. The message is
 *   then assembled from the input bytes with three kinds of splices: top
 *   header fields removed/added, the edited part's Content-Type/-Transfer-
 *   Encoding lines (only when they must change) and its body.
 */
#define _GNU_SOURCE
#include "act/rewrite.h"
#include "act/authres.h"
#include "extract/authres.h"
#include "parse/url.h"

#include <glib.h>
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* a transparent 1x1 GIF: an image that loads nothing and draws nothing */
#define EMPTY_IMAGE "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

typedef struct edit {
	size_t begin, len;
	char *repl; /* g_malloc'd */
	size_t sub; /* for attribute sub-edits: offset in the decoded value */
	size_t sublen;
	const pc_span *span; /* non-NULL for sub-edits of a multi-URL attribute */
	int kind;
} edit;

enum {
	EDIT_RAW,      /* style text or plain text: replaced as it is */
	EDIT_ATTR,     /* a whole attribute value: escaped, quoted */
	EDIT_ATTR_SUB, /* one URL of several in an attribute value */
	EDIT_ELEMENT,  /* a whole start tag (remote_images = block) */
};

static void edit_free(gpointer p)
{
	g_free(((edit *)p)->repl);
}

static const char *neutral_url(const char *element)
{
	if (!strcmp(element, "iframe"))
		return "about:blank";
	if (pc_element_is_image(element))
		return EMPTY_IMAGE;
	return "data:,";
}

/* A URL safe to put in an attribute: bytes a browser would percent-encode
 * anyway are encoded, so nothing can end the attribute or the tag. */
static char *clean_url(const char *u)
{
	GString *s = g_string_new(NULL);
	for (const unsigned char *p = (const unsigned char *)u; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\'' || *p == '<' || *p == '>' || *p == '`')
			g_string_append_printf(s, "%%%02X", *p);
		else
			g_string_append_c(s, (char)*p);
	}
	return g_string_free(s, FALSE);
}

/* HTML-escapes t; `quote` ('"', '\'' or 0 for text) is the attribute's
 * quote character, the only quote that must be escaped. */
static void esc_append(GString *s, const char *t, size_t n, char quote)
{
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (c == '&')
			g_string_append(s, "&amp;");
		else if (c == '<')
			g_string_append(s, "&lt;");
		else if (c == '>')
			g_string_append(s, "&gt;");
		else if (quote == '"' && c == '"')
			g_string_append(s, "&quot;");
		else if (quote == '\'' && c == '\'')
			g_string_append(s, "&#39;");
		else
			g_string_append_c(s, c);
	}
}

/* Replacement text for a raw attribute value span: escaped, and quoted
 * when the value was unquoted in the source. */
static char *attr_repl(const char *buf, size_t begin, const char *value, size_t n)
{
	GString *s = g_string_new(NULL);
	bool quoted = begin > 0 && (buf[begin - 1] == '"' || buf[begin - 1] == '\'');
	if (!quoted)
		g_string_append_c(s, '"');
	esc_append(s, value, n, quoted ? buf[begin - 1] : '"');
	if (!quoted)
		g_string_append_c(s, '"');
	return g_string_free(s, FALSE);
}

static void add_edit(GArray *edits, const pc_span *sp, const char *url)
{
	edit e = {0};
	if (sp->value) {
		e.kind = EDIT_ATTR_SUB;
		e.span = sp;
		e.begin = sp->begin;
		e.len = sp->len;
		e.sub = sp->sub;
		e.sublen = sp->sublen;
		e.repl = g_strdup(url);
	} else {
		e.kind = sp->attr ? EDIT_ATTR : EDIT_RAW;
		e.begin = sp->begin;
		e.len = sp->len;
		e.repl = g_strdup(url);
	}
	g_array_append_val(edits, e);
}

/* Edits replacing every occurrence of url in the part's text, as written
 * and with its '&' written "&amp;": for a URL the parser could not place.
 * Raw edits: the replacement (a data: URI, "data:,", "about:blank") holds
 * no quote, space or '>' to end an attribute. */
static void by_text(GArray *edits, const pc_part *pp, const char *url, const char *repl)
{
	size_t ul = strlen(url);
	if (ul < 8 || !pp->utf8)
		return;
	GString *amp = g_string_new(NULL);
	for (const char *p = url; *p; p++)
		g_string_append(amp, *p == '&' ? "&amp;" : (char[]){*p, 0});
	const char *forms[2] = {url, amp->str};
	for (int f = 0; f < (strcmp(url, amp->str) ? 2 : 1); f++) {
		size_t fl = strlen(forms[f]);
		for (const char *p = pp->utf8, *e = pp->utf8 + pp->utf8n; p < e;) {
			const char *hit = memmem(p, (size_t)(e - p), forms[f], fl);
			if (!hit)
				break;
			edit x = {(size_t)(hit - pp->utf8), fl, g_strdup(repl), 0, 0, NULL, EDIT_RAW};
			g_array_append_val(edits, x);
			p = hit + fl;
		}
	}
	g_string_free(amp, TRUE);
}

/* The edit list of a part, made on first use. */
static GArray *part_edits(GArray **edits, size_t part)
{
	if (!edits[part]) {
		edits[part] = g_array_new(FALSE, TRUE, sizeof(edit));
		g_array_set_clear_func(edits[part], edit_free);
	}
	return edits[part];
}

static gint cmp_edit(gconstpointer a, gconstpointer b)
{
	const edit *x = a, *y = b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->kind == EDIT_ELEMENT || y->kind == EDIT_ELEMENT) /* first: it covers the rest */
		return x->kind == EDIT_ELEMENT ? (y->kind == EDIT_ELEMENT ? 0 : -1) : 1;
	if (x->sub != y->sub)
		return x->sub < y->sub ? -1 : 1;
	return 0;
}

/* Applies the edits (sorted) to html; style-text edits (kind 0) are raw,
 * whole-attribute edits escaped, sub-edits of one attribute merged. */
static GString *apply(const char *html, size_t n, GArray *edits)
{
	g_array_sort(edits, cmp_edit);
	GString *out = g_string_sized_new(n + 256);
	size_t pos = 0;
	for (guint i = 0; i < edits->len;) {
		edit *e = &g_array_index(edits, edit, i);
		if (e->begin < pos || e->begin > n || e->len > n - e->begin) { /* overlaps a previous edit */
			i++;
			continue;
		}
		g_string_append_len(out, html + pos, (gssize)(e->begin - pos));
		if (e->kind == EDIT_ATTR_SUB) {
			/* every sub-edit of this attribute value */
			const char *v = e->span->value;
			size_t vl = strlen(v), vp = 0;
			GString *nv = g_string_new(NULL);
			guint k = i;
			for (; k < edits->len; k++) {
				edit *s = &g_array_index(edits, edit, k);
				if (s->kind != EDIT_ATTR_SUB || s->begin != e->begin)
					break;
				if (s->sub < vp || s->sub > vl || s->sublen > vl - s->sub)
					continue;
				g_string_append_len(nv, v + vp, (gssize)(s->sub - vp));
				g_string_append(nv, s->repl);
				vp = s->sub + s->sublen;
			}
			g_string_append_len(nv, v + vp, (gssize)(vl - vp));
			char *r = attr_repl(html, e->begin, nv->str, nv->len);
			g_string_append(out, r);
			g_free(r);
			g_string_free(nv, TRUE);
			pos = e->begin + e->len;
			i = k;
			continue;
		}
		if (e->kind == EDIT_ATTR) {
			char *r = attr_repl(html, e->begin, e->repl, strlen(e->repl));
			g_string_append(out, r);
			g_free(r);
		} else
			g_string_append(out, e->repl);
		pos = e->begin + e->len;
		i++;
	}
	g_string_append_len(out, html + pos, (gssize)(n - pos));
	return out;
}

static const char *eol_of(const char *b, size_t n)
{
	const char *nl = memchr(b, '\n', n);
	return nl && nl > b && nl[-1] == '\r' ? "\r\n" : "\n";
}

static bool latin1_label(const char *cs)
{
	static const char *const l[] = {"iso-8859-1", "iso8859-1", "latin1",   "l1",    "iso_8859-1", "iso-ir-100",
	                                "cp819",      "ibm819",    "us-ascii", "ascii", NULL};
	for (size_t i = 0; l[i]; i++)
		if (!g_ascii_strcasecmp(cs, l[i]))
			return true;
	return false;
}

static GString *lf_to_eol(const char *s, size_t n, const char *eol)
{
	GString *o = g_string_sized_new(n + n / 64);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && eol[0] == '\r' && !(i > 0 && s[i - 1] == '\r'))
			g_string_append(o, "\r\n");
		else
			g_string_append_c(o, s[i]);
	}
	return o;
}

static GString *encode_body(const char *s, size_t n, const char *enc, const char *eol)
{
	if (enc && !g_ascii_strcasecmp(enc, "base64")) {
		gchar *b = g_base64_encode((const guchar *)s, n);
		size_t bl = strlen(b);
		GString *o = g_string_sized_new(bl + bl / 38 + 4);
		for (size_t i = 0; i < bl; i += 76) {
			g_string_append_len(o, b + i, (gssize)(bl - i < 76 ? bl - i : 76));
			g_string_append(o, eol);
		}
		g_free(b);
		return o;
	}
	if (enc && !g_ascii_strcasecmp(enc, "quoted-printable")) {
		GMimeEncoding st;
		g_mime_encoding_init_encode(&st, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
		size_t cap = g_mime_encoding_outlen(&st, n) + 16;
		char *o = g_malloc(cap);
		size_t w = g_mime_encoding_flush(&st, s, n, o);
		GString *r = lf_to_eol(o, w, eol);
		g_free(o);
		return r;
	}
	return g_string_new_len(s, (gssize)n);
}

typedef struct splice {
	size_t begin, end;
	GString *repl; /* NULL: delete */
} splice;

static gint cmp_splice(gconstpointer a, gconstpointer b)
{
	const splice *x = a, *y = b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end ? 1 : 0; /* an insertion before a removal there */
}

/* Re-encodes one edited part; adds its splices. false: leave the part. */
static bool part_splices(const pc_part *p, const char *bytes, GString *html, GArray *splices)
{
	const char *eol = eol_of(bytes + p->body_begin, p->body_end - p->body_begin);
	const char *cs = p->converted_from;
	char *conv = NULL;
	gsize convn = 0;
	bool to_utf8 = false;
	if (cs) {
		const char *target = latin1_label(cs) ? "WINDOWS-1252" : cs;
		GError *err = NULL;
		conv = g_convert(html->str, (gssize)html->len, target, "UTF-8", NULL, &convn, &err);
		if (!conv) {
			g_clear_error(&err);
			to_utf8 = true; /* not representable: say UTF-8 instead */
		}
	}
	const char *body = conv ? conv : html->str;
	size_t bodyn = conv ? convn : html->len;
	const char *enc = p->encoding;
	bool ascii_before = true;
	for (size_t i = p->body_begin; i < p->body_end && ascii_before; i++)
		ascii_before = !((unsigned char)bytes[i] & 0x80);
	bool ascii_now = true;
	for (size_t i = 0; i < bodyn && ascii_now; i++)
		ascii_now = !((unsigned char)body[i] & 0x80);
	bool new_cte = false;
	if ((!enc || !g_ascii_strcasecmp(enc, "7bit")) && ascii_before && !ascii_now) {
		enc = "quoted-printable";
		new_cte = true;
	}
	GString *enc_body = encode_body(body, bodyn, enc, eol);
	g_free(conv);
	/* keep the original's last line end (or its absence) */
	bool had_eol = p->body_end > p->body_begin && bytes[p->body_end - 1] == '\n';
	while (!had_eol && enc_body->len &&
	       (enc_body->str[enc_body->len - 1] == '\n' || enc_body->str[enc_body->len - 1] == '\r'))
		g_string_truncate(enc_body, enc_body->len - 1);
	if (had_eol && enc_body->len && enc_body->str[enc_body->len - 1] != '\n')
		g_string_append(enc_body, eol);
	if (to_utf8) {
		if (p->ct_begin == p->ct_end) {
			g_string_free(enc_body, TRUE);
			return false;
		}
		/* the part's own type (text/html or text/plain), now in UTF-8 */
		GString *ct = g_string_new(NULL);
		g_string_append_printf(ct, "Content-Type: %s; charset=utf-8",
		                       p->kind == PC_PART_TEXT ? "text/plain" : "text/html");
		g_string_append(ct, eol);
		splice s = {p->ct_begin, p->ct_end, ct};
		g_array_append_val(splices, s);
	}
	if (new_cte) {
		GString *cte = g_string_new("Content-Transfer-Encoding: quoted-printable");
		g_string_append(cte, eol);
		if (p->cte_begin != p->cte_end) {
			splice s = {p->cte_begin, p->cte_end, cte};
			g_array_append_val(splices, s);
		} else {
			size_t at = p->ct_begin != p->ct_end ? p->ct_end : p->hdr_begin;
			if (to_utf8 && at == p->ct_end) { /* after the replaced Content-Type */
				g_string_append(g_array_index(splices, splice, splices->len - 1).repl, cte->str);
				g_string_free(cte, TRUE);
			} else {
				splice s = {at, at, cte};
				g_array_append_val(splices, s);
			}
		}
	}
	splice b = {p->body_begin, p->body_end, enc_body};
	g_array_append_val(splices, b);
	return true;
}

static bool rr_header(const char *name)
{
	return !g_ascii_strcasecmp(name, "Disposition-Notification-To") ||
	       !g_ascii_strcasecmp(name, "Return-Receipt-To") || !g_ascii_strcasecmp(name, "X-Confirm-Reading-To") ||
	       !g_ascii_strcasecmp(name, "Read-Receipt-To");
}

static bool part_rewritable(const pc_msg *m, const pc_part *p)
{
	if ((p->kind != PC_PART_HTML && p->kind != PC_PART_TEXT) || !p->has_offsets || !p->utf8 || p->uuencoded)
		return false;
	/* an attached file stays as the sender made it (its trackers are
	 * reported; opening it is the reader's choice) */
	if (p->attachment)
		return false;
	if (p->encoding && g_ascii_strcasecmp(p->encoding, "base64") &&
	    g_ascii_strcasecmp(p->encoding, "quoted-printable") && g_ascii_strcasecmp(p->encoding, "7bit") &&
	    g_ascii_strcasecmp(p->encoding, "8bit") && g_ascii_strcasecmp(p->encoding, "binary"))
		return false;
	/* a part decoded only up to a limit would lose its tail */
	if (p->decoded_size >= m->config->limits.decoded_size)
		return false;
	return true;
}

/* An Authentication-Results header carrying our own authserv-id that we
 * did not write for this copy: forged upstream (RFC 8601 section 5), or
 * ours from an earlier pass, which the new one replaces. */
static bool forged_authres(const pc_msg *m, const char *bytes, size_t n, const pc_hdrpos *h)
{
	if (g_ascii_strcasecmp(h->name, "Authentication-Results") || h->end > n || h->begin >= h->end)
		return false;
	const char *p = bytes + h->begin, *end = bytes + h->end;
	const char *colon = memchr(p, ':', (size_t)(end - p));
	if (!colon)
		return false;
	/* the id as our reader reads it (comments, quotes, folding): what a
	 * downstream reader would take for ours */
	size_t vn = (size_t)(end - colon - 1);
	if (vn > 8192)
		vn = 8192;
	char *v = g_malloc(vn + 1);
	for (size_t i = 0; i < vn; i++) {
		char c = colon[1 + i];
		v[i] = c == '\r' || c == '\n' || c == '\0' ? ' ' : c;
	}
	v[vn] = '\0';
	const char *id = pc_authres_parse((pc_msg *)m, v, false);
	bool ours = id && !g_ascii_strcasecmp(id, m->config->authserv_id);
	g_free(v);
	return ours;
}

/* Whether the copy gets an Authentication-Results header of ours: we
 * checked something, or one claiming to be ours must go (it is replaced
 * by ours, "none" when we checked nothing). */
static bool authres_change(const pc_msg *m, const char *bytes, size_t n)
{
	if (m->rescan)
		return false;
	for (size_t i = 0; i < m->auth.n; i++)
		if (!((const pc_auth *)m->auth.v[i])->source)
			return true;
	for (size_t i = 0; i < m->header_pos.n; i++)
		if (forged_authres(m, bytes, n, m->header_pos.v[i]))
			return true;
	return false;
}

static void summary_header(GString *h, const pc_rewrite_stats *st, const pc_msg *m, const char *eol)
{
	g_string_append(h, "X-Portcullis-Trackers: removed");
	const char *sep = " ";
	struct {
		size_t n;
		const char *what;
	} items[] = {{st->images, "image"}, {st->css, "css"},        {st->other, "resource"},
	             {st->links, "link"},   {st->headers, "header"}, {st->blocked, "blocked-image"}};
	for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
		if (!items[i].n)
			continue;
		g_string_append_printf(h, "%s%zu %s%s", sep, items[i].n, items[i].what, items[i].n > 1 ? "s" : "");
		sep = ", ";
	}
	/* the tracker hosts, a few, for the reader of the header */
	size_t shown = 0, linelen = h->len;
	for (size_t i = 0; i < m->trackers.n && shown < 5; i++) {
		const pc_tracker *t = m->trackers.v[i];
		const pc_url *u = t->res ? t->res->url : t->link ? t->link->url : NULL;
		const char *host = u ? (u->host_ascii ? u->host_ascii : u->host) : NULL;
		if (!host || !*host || strlen(host) > 200)
			continue;
		bool ok = true;
		for (const char *c = host; *c && ok; c++)
			ok = g_ascii_isalnum(*c) || *c == '.' || *c == '-';
		if (!ok || strstr(h->str, host))
			continue;
		const char *lead = shown ? " " : "; hosts ";
		if (linelen + strlen(lead) + strlen(host) > 76) { /* fold before the word */
			g_string_append_printf(h, "%s%s\t", shown ? "" : ";", eol);
			linelen = 1;
			lead = shown ? "" : "hosts ";
		}
		g_string_append_printf(h, "%s%s", lead, host);
		linelen += strlen(lead) + strlen(host);
		shown++;
	}
	g_string_append(h, eol);
}

/* The summary field's value for st->trackers: after the colon, without
 * the last line end. A value too long for it (never: a few counts and at
 * most five hosts of 200 bytes) is left out rather than cut. */
static void summary_value(const GString *h, const char *eol, pc_rewrite_stats *st)
{
	const char *colon = strchr(h->str, ':');
	size_t el = strlen(eol);
	if (!colon || h->len < el)
		return;
	size_t vb = (size_t)(colon + 1 - h->str), ve = h->len - el;
	if (ve < vb || ve - vb >= sizeof st->trackers)
		return;
	memcpy(st->trackers, h->str + vb, ve - vb);
	st->trackers[ve - vb] = '\0';
}

/* A URL's identity: its canonical form (parse/url.h), or as written when
 * it has none. u describes what <base href> resolved. */
static const char *identity(pc_arena *a, const pc_url *u, const char *resolved)
{
	const char *c = pc_url_canonical(a, u);
	return c ? c : resolved ? resolved : u->raw;
}

static int cmp_strp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Links whose URL is a tracker resource's, however it is spelt (HTTPS:,
 * an upper-case host, :443, a trailing dot, /./, a newline...): a click
 * fetches the beacon, so the href goes too. `done`: links already
 * edited. Sorted identities, no pass per pair. Returns the count. */
static size_t beacon_links(const pc_msg *m, GArray **edits, GHashTable *done)
{
	size_t nt = 0, np = m->parts.n, n = 0;
	for (size_t i = 0; i < m->trackers.n; i++)
		nt += ((const pc_tracker *)m->trackers.v[i])->res != NULL;
	if (!nt || !m->links.n)
		return 0;
	const char **ids = g_new(const char *, nt);
	nt = 0;
	for (size_t i = 0; i < m->trackers.n; i++) {
		const pc_resource *r = ((const pc_tracker *)m->trackers.v[i])->res;
		if (r && r->url)
			ids[nt++] = identity(m->arena, r->url, r->resolved);
	}
	qsort(ids, nt, sizeof *ids, cmp_strp);
	for (size_t i = 0; i < m->links.n; i++) {
		const pc_link *l = m->links.v[i];
		if (!l->url || g_hash_table_contains(done, l) || !l->span.ok || l->part >= np ||
		    !part_rewritable(m, m->parts.v[l->part]))
			continue;
		const char *id = identity(m->arena, l->url, l->resolved);
		if (!bsearch(&id, ids, nt, sizeof *ids, cmp_strp))
			continue;
		add_edit(part_edits(edits, l->part), &l->span, "about:blank");
		n++;
	}
	g_free(ids);
	return n;
}

int pc_rewrite(const pc_msg *m, const char *bytes, size_t n, char **out, size_t *outn, pc_rewrite_stats *st)
{
	*out = NULL;
	*outn = 0;
	if (!m->is_mail || m->size != n || n > m->config->limits.message_size)
		return 0; /* over the size limit or not mail: nothing is changed */
	size_t np = m->parts.n;
	GArray **edits = g_new0(GArray *, np ? np : 1);
	bool *touched_res = g_new0(bool, m->resources.n ? m->resources.n : 1);
	GHashTable *done_links = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (size_t i = 0; i < m->trackers.n; i++) {
		const pc_tracker *t = m->trackers.v[i];
		const pc_span *sp = NULL;
		size_t part = 0;
		const char *repl = NULL;
		char *own = NULL;
		if (t->res) {
			sp = &t->res->span;
			part = t->res->part;
			repl = neutral_url(t->res->element);
			if (t->res->index < m->resources.n)
				touched_res[t->res->index] = true;
		} else if (t->link && (t->destination || t->stripped)) {
			sp = &t->link->span;
			part = t->link->part;
			repl = own = clean_url(t->destination ? t->destination : t->stripped);
		}
		if (t->res && sp && !sp->ok && part < np && part_rewritable(m, m->parts.v[part])) {
			/* no place from the parser (an attribute a later <body> gave
			 * the first): every occurrence of the URL's text is replaced */
			by_text(part_edits(edits, part), m->parts.v[part], t->res->url->raw, repl);
			st->other++;
			continue;
		}
		if (!sp || !sp->ok || part >= np || !part_rewritable(m, m->parts.v[part])) {
			g_free(own);
			continue;
		}
		add_edit(part_edits(edits, part), sp, repl);
		g_free(own);
		if (t->link)
			g_hash_table_add(done_links, t->link);
		if (t->res) {
			const char *el = t->res->element;
			if (!strcmp(el, "css") || !strcmp(el, "link"))
				st->css++;
			else if (pc_element_is_image(el))
				st->images++;
			else
				st->other++;
		} else
			st->links++;
	}
	st->links += beacon_links(m, edits, done_links);
	g_hash_table_destroy(done_links);
	if (m->config->remote_images == PC_REMOTE_BLOCK) {
		for (size_t k = 0; k < m->resources.n; k++) {
			const pc_resource *r = m->resources.v[k];
			if (touched_res[k] || !r->span.ok || r->part >= np || !part_rewritable(m, m->parts.v[r->part]))
				continue;
			if (!pc_element_is_image(r->element))
				continue;
			/* an <img> or image input becomes its alt text; CSS images the empty image */
			bool img = !strcmp(r->element, "img") || !strcmp(r->element, "input");
			if (img && r->span.el_len) {
				GString *t = g_string_new(NULL);
				if (r->alt && *r->alt) {
					g_string_append(t, "[");
					esc_append(t, r->alt, strlen(r->alt), 0);
					g_string_append(t, "]");
				}
				edit e = {r->span.el_begin, r->span.el_len, g_string_free(t, FALSE), 0, 0, NULL,
				          EDIT_ELEMENT};
				g_array_append_val(part_edits(edits, r->part), e);
			} else
				add_edit(part_edits(edits, r->part), &r->span, EMPTY_IMAGE);
			st->blocked++;
		}
	}
	g_free(touched_res);

	GArray *splices = g_array_new(FALSE, TRUE, sizeof(splice));
	for (size_t p = 0; p < np; p++) {
		if (!edits[p])
			continue;
		const pc_part *pp = m->parts.v[p];
		GString *html = apply(pp->utf8, pp->utf8n, edits[p]);
		if (html->len != pp->utf8n || memcmp(html->str, pp->utf8, html->len))
			part_splices(pp, bytes, html, splices);
		g_string_free(html, TRUE);
		g_array_free(edits[p], TRUE);
	}
	g_free(edits);
	const char *eol = eol_of(bytes + m->raw_base, n - m->raw_base);
	bool rr_removed = false;
	for (size_t i = 0; i < m->trackers.n; i++) {
		const pc_tracker *t = m->trackers.v[i];
		if (t->header && rr_header(t->header))
			rr_removed = true;
	}
	bool trackers_changed = splices->len > 0 || rr_removed;
	bool authres = authres_change(m, bytes, n);
	bool changed = trackers_changed || authres;
	if (changed) {
		for (size_t i = 0; i < m->header_pos.n; i++) {
			const pc_hdrpos *h = m->header_pos.v[i];
			bool rr = rr_header(h->name);
			if (rr || (trackers_changed && !g_ascii_strcasecmp(h->name, "X-Portcullis-Trackers")) ||
			    (authres && forged_authres(m, bytes, n, h))) {
				splice s = {h->begin, h->end, NULL};
				g_array_append_val(splices, s);
				if (rr)
					st->headers++;
			}
		}
		GString *hdr = g_string_new(NULL);
		if (trackers_changed) {
			summary_header(hdr, st, m, eol);
			summary_value(hdr, eol, st);
		}
		char ar[PC_AUTHRES_HEADER_MAX];
		/* not in a rescan of our own output: the first pass's header stays */
		size_t arn = authres ? pc_authres_header(m, eol, ar, sizeof ar) : 0;
		if (arn) /* ours goes on top, where a reader looks for the nearest hop (RFC 8601 5) */
			g_string_prepend_len(hdr, ar, (gssize)arn);
		splice s = {m->raw_base, m->raw_base, hdr};
		g_array_append_val(splices, s);
	}
	int rc = 0;
	if (changed) {
		g_array_sort(splices, cmp_splice);
		GString *o = g_string_sized_new(n + 1024);
		size_t pos = 0;
		bool bad = false;
		for (guint i = 0; i < splices->len; i++) {
			splice *s = &g_array_index(splices, splice, i);
			if (s->begin < pos || s->end > n || s->end < s->begin) {
				bad = true; /* overlapping offsets: never emit a damaged message */
				break;
			}
			g_string_append_len(o, bytes + pos, (gssize)(s->begin - pos));
			if (s->repl)
				g_string_append_len(o, s->repl->str, (gssize)s->repl->len);
			pos = s->end;
		}
		if (bad) {
			g_string_free(o, TRUE);
			rc = -1;
		} else {
			g_string_append_len(o, bytes + pos, (gssize)(n - pos));
			*outn = o->len;
			*out = malloc(o->len ? o->len : 1);
			if (*out) {
				memcpy(*out, o->str, o->len);
				rc = 1;
			} else
				rc = -1;
			g_string_free(o, TRUE);
		}
	}
	for (guint i = 0; i < splices->len; i++) {
		splice *s = &g_array_index(splices, splice, i);
		if (s->repl)
			g_string_free(s->repl, TRUE);
	}
	g_array_free(splices, TRUE);
	return rc;
}
