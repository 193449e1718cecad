/*
 * NAME
 *   mime - GMime 3 wrapper that fills pc_msg (see mime.h)
 */
#define _GNU_SOURCE /* memmem */
#include "parse/mime.h"

#include <ctype.h>
#include <gmime/gmime.h>
#include <stdint.h>
#include <string.h>

#include "parse/mimescan.h"

#define NFILTERS 16

struct pc_mime {
	GMimeParser *parser;
	GMimeParserOptions *options;
	GByteArray *out; /* decoded part bytes, reused */
	GMimeStream *outstream;
	const char *raw; /* the message being parsed: GMime has raw[0, rawn) */
	size_t rawn;
	size_t fulln; /* the whole message (rawn is less when mimescan cut it) */
	size_t base;  /* offset of raw in the caller's input (From_ line, junk) */
	size_t boundary_checks;
	size_t nparts, nheaders;
	bool parts_hit, depth_hit, headers_hit;
	/* charset → UTF-8 filters, kept open: each iconv_open/iconv_close pair
	 * dlopen()s and dlclose()s a gconv module (and unmaps it), which cost
	 * ~4% of a corpus scan (perf). Round-robin replacement. */
	struct {
		char *charset;
		GMimeFilter *filter;
	} filters[NFILTERS];
	size_t next_filter;
};

void pc_mime_global_init(void)
{
	g_mime_init();
}

pc_mime *pc_mime_new(void)
{
	pc_mime *mp = g_new0(pc_mime, 1);
	mp->parser = g_mime_parser_new();
	/* No warning callback: with one set, GMime decodes every header's
	 * RFC 2047 words to validate them, which cost 16% of the instructions
	 * of a corpus scan (callgrind, issue 2 note). The damage that matters
	 * is checked here instead (check_header, walk). */
	mp->options = g_mime_parser_options_new();
	mp->out = g_byte_array_new();
	mp->outstream = g_mime_stream_mem_new_with_byte_array(mp->out);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mp->outstream), FALSE);
	return mp;
}

void pc_mime_free(pc_mime *mp)
{
	if (!mp)
		return;
	for (size_t i = 0; i < NFILTERS; i++) {
		g_free(mp->filters[i].charset);
		if (mp->filters[i].filter)
			g_object_unref(mp->filters[i].filter);
	}
	g_object_unref(mp->outstream);
	g_byte_array_unref(mp->out);
	g_mime_parser_options_free(mp->options);
	g_object_unref(mp->parser);
	g_free(mp);
}

static const char *dup_utf8(pc_arena *a, const char *s)
{
	return s ? pc_arena_utf8(a, s, strlen(s)) : NULL;
}

/* Header-derived text: unfolded (CR and LF removed, RFC 5322 2.2.3),
 * other C0 controls but TAB turned into spaces, ends trimmed. */
static const char *header_text(pc_arena *a, const char *s)
{
	char *d = s ? pc_arena_utf8(a, s, strlen(s)) : NULL;
	if (!d)
		return NULL;
	char *o = d;
	const char *p = d, *end = d + strlen(d);
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	while (p < end) {
		/* 8 bytes at a time while none is a control character (< 0x20
		 * or 0x7f): most of a header is plain text, and a folded one
		 * (a DKIM signature: a fold every 70 bytes) comes back here
		 * after each fold */
		while (end - p >= 8) {
			uint64_t v;
			memcpy(&v, p, 8);
			uint64_t lt20 = (v - 0x2020202020202020ULL) & ~v & 0x8080808080808080ULL;
			uint64_t x7f = v ^ 0x7f7f7f7f7f7f7f7fULL;
			uint64_t is7f = (x7f - 0x0101010101010101ULL) & ~x7f & 0x8080808080808080ULL;
			if (lt20 | is7f)
				break;
			memmove(o, p, 8);
			o += 8;
			p += 8;
		}
		if (p == end)
			break;
		unsigned char c = (unsigned char)*p++;
		if (c == '\r' || c == '\n')
			continue; /* unfolding removes CR LF and keeps the white space */
		*o++ = (c < 0x20 && c != '\t') || c == 0x7f ? ' ' : (char)c;
	}
	while (o > d && (o[-1] == ' ' || o[-1] == '\t'))
		o--;
	*o = '\0';
	return d;
}

static void add_addresses(pc_msg *m, pc_vec *vec, InternetAddressList *list, const char *group, int depth)
{
	if (!list || depth > 4)
		return;
	int n = internet_address_list_length(list);
	const pc_limits *lim = &m->config->limits;
	for (int i = 0; i < n; i++) {
		if (vec->n >= lim->addresses) {
			pc_finding *f =
			    pc_msg_limit(m, "addresses", lim->addresses, "further addresses of a field were not read");
			pc_finding_ev(m, f, "found", pc_arena_printf(m->arena, "%d", n));
			return;
		}
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			const char *gname = header_text(m->arena, internet_address_get_name(ia));
			add_addresses(m, vec, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
			              gname ? gname : "", depth + 1);
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		pc_addr *ad = pc_arena_calloc(m->arena, 1, sizeof *ad);
		if (!ad)
			return;
		const char *name = internet_address_get_name(ia);
		ad->name = header_text(m->arena, name ? name : "");
		const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		ad->addr = dup_utf8(m->arena, addr ? addr : "");
		ad->group = group;
		pc_vec_push(m->arena, vec, ad);
	}
}

/* Adds evidence to the finding `detector` (created once per message). */
static void damage(pc_msg *m, const char *detector, const char *summary, const char *key, const char *value)
{
	pc_finding *f = pc_msg_find(m, detector);
	if (!f)
		f = pc_msg_finding(m, PC_FINDING_DAMAGE, detector, 0.0, summary);
	size_t n = 0;
	for (const pc_kv *kv = f ? f->evidence : NULL; kv; kv = kv->next)
		n++;
	if (n < 16) /* bounded evidence */
		pc_finding_ev(m, f, key, value);
}

/* RFC 5322 3.6: fields that may appear once; plus the MIME ones whose
 * duplicates let a filter and a mail client read different things. The
 * index of the name, -1 for any other field. */
#define NSINGLE 14
static int single_field(const char *name)
{
	switch (name[0] | 0x20) { /* most fields (Received, X-*, DKIM-*) end here */
	case 'b':
	case 'c':
	case 'd':
	case 'f':
	case 'i':
	case 'm':
	case 'r':
	case 's':
	case 't':
		break;
	default:
		return -1;
	}
	static const char *const names[NSINGLE] = {"from",
	                                           "sender",
	                                           "reply-to",
	                                           "to",
	                                           "cc",
	                                           "bcc",
	                                           "subject",
	                                           "date",
	                                           "message-id",
	                                           "in-reply-to",
	                                           "references",
	                                           "content-type",
	                                           "content-transfer-encoding",
	                                           "mime-version"};
	for (int i = 0; i < NSINGLE; i++)
		if (!g_ascii_strcasecmp(name, names[i]))
			return i;
	return -1;
}

/* Header damage, cheaply: raw 8-bit bytes, an encoded-word that never
 * closes, a field that must be single appearing again (evidence: both
 * values, so an analyst sees what each reader would pick). `first` holds,
 * per single field, the index of its first appearance in this header
 * list (-1: none yet): one look-up per field, not a scan of the earlier
 * ones (a thousand Subject fields would be quadratic). */
/* How many bytes s starts with below 0x80, read 8 at a time (a DKIM
 * signature, a body of plain text). */
static size_t ascii_run(const char *s, size_t n)
{
	size_t k = 0;
	for (; n - k >= 8; k += 8) {
		uint64_t v;
		memcpy(&v, s + k, 8);
		if (v & 0x8080808080808080ULL)
			break;
	}
	while (k < n && (unsigned char)s[k] < 0x80)
		k++;
	return k;
}

static void check_header(pc_msg *m, GMimeHeaderList *hl, int i, const char *name, const char *raw, size_t rl,
                         int *first)
{
	if (ascii_run(raw, rl) < rl)
		damage(m, "parse.8bit-header", "raw 8-bit bytes in a header", "header", dup_utf8(m->arena, name));
	const char *ew = strstr(raw, "=?");
	if (ew && !strstr(ew + 2, "?="))
		damage(m, "parse.rfc2047", "encoded-word without its closing ?=", "header", dup_utf8(m->arena, name));
	int sf = single_field(name);
	if (sf < 0)
		return;
	if (first[sf] < 0) {
		first[sf] = i;
		return;
	}
	GMimeHeader *prev = g_mime_header_list_get_header_at(hl, first[sf]);
	const char *pv = g_mime_header_get_raw_value(prev);
	bool same = pv && !strcmp(pv, raw);
	const char *hn = dup_utf8(m->arena, name);
	damage(m, "parse.duplicate-header",
	       "a field that must appear once appears again (GMime reads the last, others the first)", "header", hn);
	if (!same) {
		damage(m, "parse.duplicate-header", NULL, "first", header_text(m->arena, pv));
		damage(m, "parse.duplicate-header", NULL, "again", header_text(m->arena, raw));
	}
}

/* End (after the line end) of the header field starting at stream
 * offset `off`, folded lines included. */
static size_t field_end(const pc_mime *mp, gint64 off)
{
	if (off < 0 || (size_t)off >= mp->rawn)
		return mp->rawn;
	for (const char *p = mp->raw + off, *end = mp->raw + mp->rawn; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return mp->rawn;
		p = nl + 1;
		if (p >= end || (*p != ' ' && *p != '\t'))
			return (size_t)(p - mp->raw);
	}
	return mp->rawn;
}

static void record_header_pos(pc_mime *mp, pc_msg *m, GMimeHeader *h, const char *name)
{
	gint64 off = g_mime_header_get_offset(h);
	if (off < 0 || (size_t)off >= mp->rawn)
		return;
	pc_hdrpos *hp = pc_arena_alloc(m->arena, sizeof *hp);
	if (!hp)
		return;
	hp->name = dup_utf8(m->arena, name ? name : "");
	hp->begin = mp->base + (size_t)off;
	hp->end = mp->base + field_end(mp, off);
	pc_vec_push(m->arena, &m->header_pos, hp);
}

/* Offsets the rewriter needs to replace an HTML part's content. */
static void part_offsets(pc_mime *mp, GMimePart *part, pc_part *pp)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *src = dw ? g_mime_data_wrapper_get_stream(dw) : NULL;
	if (!src || src->bound_start < 0 || (size_t)src->bound_start > mp->rawn)
		return;
	size_t end = src->bound_end < 0 || (size_t)src->bound_end > mp->rawn ? mp->rawn : (size_t)src->bound_end;
	pp->body_begin = mp->base + (size_t)src->bound_start;
	pp->body_end = mp->base + end;
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(part));
	int n = hl ? g_mime_header_list_get_count(hl) : 0;
	pp->hdr_begin = pp->body_begin;
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		gint64 off = g_mime_header_get_offset(h);
		const char *name = g_mime_header_get_name(h);
		if (off < 0 || (size_t)off >= mp->rawn || !name)
			continue;
		size_t b = mp->base + (size_t)off, e = mp->base + field_end(mp, off);
		if (b < pp->hdr_begin)
			pp->hdr_begin = b;
		if (!g_ascii_strcasecmp(name, "Content-Type") && pp->ct_begin == pp->ct_end) {
			pp->ct_begin = b;
			pp->ct_end = e;
		} else if (!g_ascii_strcasecmp(name, "Content-Transfer-Encoding") && pp->cte_begin == pp->cte_end) {
			pp->cte_begin = b;
			pp->cte_end = e;
		}
	}
	/* a part that runs into mimescan's cut goes on past it: GMime did not
	 * see all of it, so it cannot be rewritten */
	pp->has_offsets = pp->body_begin <= pp->body_end && !(mp->rawn < mp->fulln && end >= mp->rawn);
}

/* RFC 2110: Content-Base, else Content-Location, is the base of the
 * part's relative URLs (old Outlook honours Content-Base); quotes and
 * folding white space (RFC 2017 allows both) removed. extract/html.c
 * uses it when the HTML has no <base href> and it is absolute. */
static const char *part_base(pc_arena *a, GMimeObject *obj)
{
	const char *v = g_mime_object_get_header(obj, "Content-Base");
	if (!v)
		v = g_mime_object_get_header(obj, "Content-Location");
	if (!v)
		return NULL;
	size_t n = strnlen(v, 2048), j = 0;
	char *o = pc_arena_alloc(a, n + 1);
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)v[i]) && v[i] != '"')
			o[j++] = v[i];
	o[j] = '\0';
	return j ? o : NULL;
}

static void read_headers(pc_mime *mp, pc_msg *m, GMimeObject *obj, bool top)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int n = hl ? g_mime_header_list_get_count(hl) : 0;
	const pc_limits *lim = &m->config->limits;
	/* the fields of the whole message count against limits.headers
	 * (mimescan has cut the message there already; this is the guard) */
	size_t room = lim->headers > mp->nheaders ? lim->headers - mp->nheaders : 0;
	if ((size_t)n > room && !mp->headers_hit) {
		mp->headers_hit = true;
		pc_finding *f = pc_msg_limit(m, "headers", lim->headers, "further header fields were ignored");
		pc_finding_ev(m, f, "found", pc_arena_printf(m->arena, "%zu", mp->nheaders + (size_t)n));
	}
	mp->nheaders += (size_t)n < room ? (size_t)n : room;
	int first[NSINGLE];
	for (int k = 0; k < NSINGLE; k++)
		first[k] = -1;
	for (int i = 0; i < n && (size_t)i < room; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		const char *raw = g_mime_header_get_raw_value(h);
		size_t rl = raw ? strlen(raw) : 0;
		if (name && rl + strlen(name) > lim->header_size) {
			pc_finding *f = pc_msg_limit(m, "header_size", lim->header_size, "oversized header field");
			pc_finding_ev(m, f, "header", dup_utf8(m->arena, name));
			pc_finding_ev(m, f, "size", pc_arena_printf(m->arena, "%zu", rl));
			continue;
		}
		if (name && raw)
			check_header(m, hl, i, name, raw, rl, first);
		if (!top)
			continue;
		if (m->keep_for_rewrite)
			record_header_pos(mp, m, h, name);
		pc_kv *kv = pc_arena_alloc(m->arena, sizeof *kv);
		if (!kv)
			return;
		kv->key = dup_utf8(m->arena, name ? name : "");
		/* The raw value, unfolded: decoding every header's RFC 2047 words
		 * (g_mime_header_get_value) cost 11% of a scan, and the headers
		 * kept here are read for addresses and tokens, not shown. */
		kv->value = header_text(m->arena, raw ? raw : "");
		kv->next = NULL;
		pc_vec_push(m->arena, &m->headers, kv);
	}
}

static char *lower_dup(pc_arena *a, const char *s)
{
	char *d = pc_arena_utf8(a, s ? s : "", s ? strlen(s) : 0);
	if (d)
		for (char *p = d; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return d;
}

/* A new charset → UTF-8 filter, or NULL for an unknown charset. The
 * WHATWG Encoding labels of latin-1 mean windows-1252, as mail clients and
 * browsers read them (0x80 is the euro sign, not a C1 control). */
static GMimeFilter *filter_to_utf8(const char *charset)
{
	static const char *const latin1[] = {"iso-8859-1", "iso8859-1", "latin1",     "l1",          "iso_8859-1",
	                                     "cp819",      "ibm819",    "iso-ir-100", "csisolatin1", "x-cp1252"};
	const char *from = charset;
	for (size_t i = 0; i < sizeof latin1 / sizeof latin1[0]; i++)
		if (!g_ascii_strcasecmp(charset, latin1[i]))
			from = "windows-1252";
	return g_mime_filter_charset_new(from, "UTF-8");
}

/* A reset charset filter from the cache (a new reference), or NULL when
 * the charset is unknown. */
static GMimeFilter *charset_filter(pc_mime *mp, const char *charset)
{
	for (size_t i = 0; i < NFILTERS; i++) {
		if (mp->filters[i].charset && !g_ascii_strcasecmp(mp->filters[i].charset, charset)) {
			g_mime_filter_reset(mp->filters[i].filter);
			return g_object_ref(mp->filters[i].filter);
		}
	}
	GMimeFilter *f = filter_to_utf8(charset);
	if (!f)
		return NULL;
	size_t k = mp->next_filter++ % NFILTERS;
	g_free(mp->filters[k].charset);
	if (mp->filters[k].filter)
		g_object_unref(mp->filters[k].filter);
	mp->filters[k].charset = g_strdup(charset);
	mp->filters[k].filter = g_object_ref(f);
	return f;
}

/* Transfer-decode (and for text/plain, convert to UTF-8) into mp->out,
 * bounded by the decoded limits. Returns false when nothing was decoded. */
static bool decode_part(pc_mime *mp, pc_msg *m, GMimePart *part, pc_part *pp, bool to_utf8)
{
	const pc_limits *lim = &m->config->limits;
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	if (!dw)
		return false;
	size_t remaining = lim->decoded_total > m->decoded_total ? lim->decoded_total - m->decoded_total : 0;
	size_t cap = lim->decoded_size < remaining ? lim->decoded_size : remaining;
	if (cap == 0) {
		pc_msg_limit(m, "decoded_total", lim->decoded_total, "further parts were not decoded");
		return false;
	}
	GMimeStream *src = g_mime_data_wrapper_get_stream(dw);
	gint64 len = src ? g_mime_stream_length(src) : -1;
	GMimeDataWrapper *use = dw;
	GMimeStream *sub = NULL;
	/* Decoding never grows base64, QP or uuencode: bounding the encoded
	 * input bounds the output (8bit/binary are 1:1). */
	if (src && len > 0 && (guint64)len > cap) {
		sub = g_mime_stream_substream(src, src->bound_start, src->bound_start + (gint64)cap);
		use = g_mime_data_wrapper_new_with_stream(sub, g_mime_data_wrapper_get_encoding(dw));
		pc_finding *f = pc_msg_limit(m, cap == lim->decoded_size ? "decoded_size" : "decoded_total",
		                             cap == lim->decoded_size ? lim->decoded_size : lim->decoded_total,
		                             "part decoded only up to the limit");
		pc_finding_ev(m, f, "part", pp->path);
	}
	g_byte_array_set_size(mp->out, 0);
	g_mime_stream_reset(mp->outstream);
	GMimeStream *target = mp->outstream;
	GMimeStream *filtered = NULL;
	if (to_utf8 && pp->charset && *pp->charset && g_ascii_strcasecmp(pp->charset, "utf-8") &&
	    g_ascii_strcasecmp(pp->charset, "us-ascii")) {
		GMimeFilter *cf = charset_filter(mp, pp->charset);
		if (cf) {
			filtered = g_mime_stream_filter_new(mp->outstream);
			g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), cf);
			g_object_unref(cf);
			target = filtered;
			pp->converted_from = pp->charset; /* what the rewriter converts back to */
		} else {
			pc_finding *f = pc_msg_find(m, "parse.charset");
			if (!f)
				f = pc_msg_finding(m, PC_FINDING_DAMAGE, "parse.charset", 0.0,
				                   "unknown charset: text read as UTF-8");
			pc_finding_ev(m, f, "charset", pp->charset);
			pc_finding_ev(m, f, "part", pp->path);
		}
	}
	g_mime_data_wrapper_write_to_stream(use, target);
	if (filtered) {
		g_mime_stream_flush(filtered);
		g_object_unref(filtered);
	}
	if (sub) {
		g_object_unref(use);
		g_object_unref(sub);
	}
	if (mp->out->len > cap) /* a charset conversion may grow it: clamp */
		g_byte_array_set_size(mp->out, (guint)cap);
	pp->decoded_size = mp->out->len;
	pp->decoded = true;
	m->decoded_total += mp->out->len;
	return true;
}

/* "begin 644 name" at a line start, as uuencoded blocks in text bodies. */
static const char *uuencode_name(pc_arena *a, const char *t, size_t n)
{
	for (size_t i = 0; i + 10 < n; i++) {
		if ((i == 0 || t[i - 1] == '\n') && memcmp(t + i, "begin ", 6) == 0 && t[i + 6] >= '0' &&
		    t[i + 6] <= '7') {
			size_t k = i + 6;
			while (k < n && t[k] >= '0' && t[k] <= '7')
				k++;
			if (k >= n || t[k] != ' ')
				continue;
			size_t st = ++k;
			while (k < n && t[k] != '\n' && t[k] != '\r')
				k++;
			return pc_arena_utf8(a, t + st, k - st);
		}
	}
	return NULL;
}

/* UTF-8 validity, NUL bytes aside (they have their own finding). GLib's
 * rules (no overlong form, surrogate or code point past U+10FFFF), but
 * runs of ASCII are skipped 8 bytes at a time, and GLib reads only
 * windows that start at a byte past 0x7f: most bodies are ASCII with a
 * few accented letters, and validating them byte by byte was 2% of a
 * corpus scan. */
#define UTF8_WINDOW 256

static bool utf8_valid_but_nul(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		i += ascii_run(s + i, n - i);
		if (i == n)
			break;
		size_t k = n - i < UTF8_WINDOW ? n - i : UTF8_WINDOW;
		const gchar *end;
		if (g_utf8_validate_len(s + i, k, &end)) {
			i += k;
			continue;
		}
		size_t ok = (size_t)(end - (s + i));
		if (s[i + ok] == '\0')
			i += ok + 1; /* GLib stops at a NUL: allowed here */
		else if (ok > 0 && k < n - i && ok + 3 >= k)
			i += ok; /* maybe a character the window cut: read again from it */
		else
			return false;
	}
	return true;
}

typedef struct walkctx {
	pc_mime *mp;
	pc_msg *m;
	pc_mime_body_cb cb;
	void *ctx;
} walkctx;

static void walk(walkctx *wc, GMimeObject *obj, const char *path, size_t depth)
{
	pc_msg *m = wc->m;
	pc_mime *mp = wc->mp;
	const pc_limits *lim = &m->config->limits;
	if (pc_msg_out_of_time(m))
		return; /* the CPU budget is spent: no further part */
	if (depth > lim->nesting_depth) {
		if (!mp->depth_hit) {
			mp->depth_hit = true;
			pc_finding *f =
			    pc_msg_limit(m, "nesting_depth", lim->nesting_depth, "deeper parts were not parsed");
			pc_finding_ev(m, f, "part", path);
		}
		return;
	}
	if (mp->nparts >= lim->parts) {
		if (!mp->parts_hit) {
			mp->parts_hit = true;
			pc_msg_limit(m, "parts", lim->parts, "further parts were not parsed");
		}
		return;
	}
	mp->nparts++;
	if (depth > m->max_depth)
		m->max_depth = depth;
	pc_part *pp = pc_arena_calloc(m->arena, 1, sizeof *pp);
	if (!pp)
		return;
	size_t index = m->parts.n;
	if (pc_vec_push(m->arena, &m->parts, pp) != 0)
		return;
	pp->path = path;
	pp->depth = depth;
	if (depth > 0)
		read_headers(mp, m, obj, false);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *type = ct ? g_mime_content_type_get_media_type(ct) : "text";
	const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : "plain";
	pp->content_type = lower_dup(m->arena, pc_arena_printf(m->arena, "%s/%s", type ? type : "", sub ? sub : ""));
	const char *cs = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
	pp->charset = cs ? lower_dup(m->arena, cs) : NULL;
	const char *disp = g_mime_object_get_disposition(obj);
	pp->disposition = disp ? lower_dup(m->arena, disp) : NULL;
	pp->base = part_base(m->arena, obj);

	if (GMIME_IS_MULTIPART(obj)) {
		pp->kind = PC_PART_MULTIPART;
		GMimeMultipart *mpart = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mpart);
		/* the parameter itself: g_mime_multipart_get_boundary() invents a
		 * random one when it is missing */
		const char *b = g_mime_object_get_content_type_parameter(obj, "boundary");
		if (!b || !*b) {
			damage(m, "parse.bad-boundary", "multipart without a boundary parameter", "part", path);
		} else if (n == 0 && mp->rawn == mp->fulln) { /* (a cut may fall before its first part) */
			damage(m, "parse.bad-boundary", "multipart without parts: its boundary never appears", "part",
			       path);
			damage(m, "parse.bad-boundary", NULL, "boundary", dup_utf8(m->arena, b));
		} else if (mp->boundary_checks++ < 64) {
			/* the closing "--boundary--" must be somewhere after the start */
			size_t bl = strlen(b);
			char *close = g_strdup_printf("--%s--", b);
			if (!memmem(mp->raw, mp->fulln, close, bl + 4)) {
				damage(m, "parse.truncated",
				       "closing boundary missing: the message ends inside a multipart", "part", path);
				damage(m, "parse.truncated", NULL, "boundary", dup_utf8(m->arena, b));
			}
			g_free(close);
		}
		for (int i = 0; i < n; i++) {
			const char *cp = pc_arena_printf(m->arena, "%s.%d", path, i + 1);
			walk(wc, g_mime_multipart_get_part(mpart, i), cp, depth + 1);
			if (mp->parts_hit)
				break;
		}
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj)) {
		pp->kind = PC_PART_MESSAGE;
		const char *mfn = g_mime_object_get_content_disposition_parameter(obj, "filename");
		pp->filename = mfn ? header_text(m->arena, mfn) : NULL;
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (inner) {
			read_headers(mp, m, GMIME_OBJECT(inner), false);
			GMimeObject *body = g_mime_message_get_mime_part(inner);
			if (body)
				walk(wc, body, pc_arena_printf(m->arena, "%s.1", path), depth + 1);
		}
		return;
	}
	if (!GMIME_IS_PART(obj)) {
		pp->kind = PC_PART_OTHER;
		return;
	}
	GMimePart *part = GMIME_PART(obj);
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *cs_stream = content ? g_mime_data_wrapper_get_stream(content) : NULL;
	gint64 clen = cs_stream ? g_mime_stream_length(cs_stream) : -1;
	pp->size = clen > 0 ? (size_t)clen : 0;
	GMimeContentEncoding enc = g_mime_part_get_content_encoding(part);
	pp->encoding = enc != GMIME_CONTENT_ENCODING_DEFAULT ? g_mime_content_encoding_to_string(enc) : NULL;
	const char *fn = g_mime_part_get_filename(part);
	pp->filename = fn ? dup_utf8(m->arena, fn) : NULL;
	pp->attachment = pp->disposition && !strcmp(pp->disposition, "attachment");
	bool is_text = type && !g_ascii_strcasecmp(type, "text");
	bool html = is_text && sub && !g_ascii_strcasecmp(sub, "html");
	bool plain = is_text && sub && !g_ascii_strcasecmp(sub, "plain");
	pp->kind = html ? PC_PART_HTML : plain ? PC_PART_TEXT : PC_PART_OTHER;
	if (pp->kind == PC_PART_OTHER || (plain && pp->attachment))
		return;
	if ((html || plain) && m->keep_for_rewrite)
		part_offsets(mp, part, pp);
	if (!decode_part(mp, m, part, pp, true))
		return;
	bool as_utf8 = !pp->charset || !*pp->charset || !g_ascii_strcasecmp(pp->charset, "utf-8") ||
	               !g_ascii_strcasecmp(pp->charset, "utf8") || !g_ascii_strcasecmp(pp->charset, "us-ascii");
	if (as_utf8 && !utf8_valid_but_nul((const char *)mp->out->data, mp->out->len))
		damage(m, "parse.invalid-bytes", "bytes that are not valid in the part's charset (read as U+FFFD)",
		       "part", pp->path);
	if (plain && !fn) {
		const char *uu = uuencode_name(m->arena, (const char *)mp->out->data, mp->out->len);
		if (uu) {
			pp->filename = uu;
			pp->uuencoded = true;
			pc_finding *f = pc_msg_finding(m, PC_FINDING_DAMAGE, "parse.uuencode", 0.0,
			                               "uuencoded file inside a text part");
			pc_finding_ev(m, f, "part", pp->path);
			pc_finding_ev(m, f, "filename", uu);
		}
	}
	if (wc->cb)
		wc->cb(wc->ctx, m, index, (const char *)mp->out->data, mp->out->len,
		       pp->charset && *pp->charset ? "utf-8" : NULL);
}

/* "Name:" with RFC 5322 field-name characters (printable, no colon). */
static bool header_line(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] > 32 && p[i] < 127 && p[i] != ':')
		i++;
	if (i == 0)
		return false;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < n && p[i] == ':';
}

/* A line of the top-level header block that is neither a field nor a
 * continuation: GMime drops it (and may end the header there). */
static void check_header_block(pc_msg *m, const char *b, size_t n)
{
	size_t pos = 0;
	for (int lines = 0; pos < n && lines < 10000; lines++) {
		const char *nl = memchr(b + pos, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - b) - pos : n - pos;
		size_t l = len && b[pos + len - 1] == '\r' ? len - 1 : len;
		if (l == 0)
			return; /* end of the header */
		if (b[pos] != ' ' && b[pos] != '\t' && !header_line(b + pos, l)) {
			damage(m, "parse.header", "a line in the header that is not a header field", "line",
			       pc_arena_utf8(m->arena, b + pos, l < 80 ? l : 80));
			return;
		}
		if (!nl)
			return;
		pos += len + 1;
	}
}

static size_t leading_junk(const char *b, size_t n)
{
	size_t pos = 0;
	for (int line = 0; line < 16 && pos < n; line++) {
		const char *nl = memchr(b + pos, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - b) - pos : n - pos;
		if (header_line(b + pos, len))
			return pos;
		if (!nl)
			break;
		pos += len + 1;
	}
	return 0; /* no header field in reach: leave the input as it is */
}

char *pc_mime_to_utf8(pc_arena *a, const char *bytes, size_t n, const char *charset, size_t *outn)
{
	GMimeFilter *cf = filter_to_utf8(charset);
	if (!cf)
		return NULL;
	GByteArray *arr = g_byte_array_sized_new((guint)(n < (1u << 20) ? n + 16 : 1u << 20));
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(arr); /* owns arr */
	GMimeStream *f = g_mime_stream_filter_new(mem);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), cf);
	g_object_unref(cf);
	g_mime_stream_write(f, bytes, n);
	g_mime_stream_flush(f);
	g_object_unref(f);
	char *out = pc_arena_strndup(a, (const char *)arr->data, arr->len);
	*outn = out ? arr->len : 0;
	g_object_unref(mem);
	return out;
}

static void add_simple(pc_msg *m, const char *detector, const char *summary, const char *key, const char *val)
{
	pc_finding *f = pc_msg_finding(m, PC_FINDING_DAMAGE, detector, 0.0, summary);
	pc_finding_ev(m, f, key, val);
}

static bool any_limit(const pc_msg *m)
{
	for (size_t i = 0; i < m->findings.n; i++)
		if (((const pc_finding *)m->findings.v[i])->kind == PC_FINDING_LIMIT)
			return true;
	return false;
}

/* GMime and mimescan read the structure differently (GMime gave up, or
 * built another number of parts): the scan cannot be trusted to have seen
 * what a mail client shows, so it is incomplete. */
static void disagree(pc_msg *m, const pc_mimescan *ms, size_t built)
{
	pc_finding *f = pc_msg_limit(m, "parser", 0, "the MIME structure reads two ways: the scan is incomplete");
	pc_finding_ev(m, f, "modelled", pc_arena_printf(m->arena, "%zu parts", ms->parts));
	pc_finding_ev(m, f, "built", pc_arena_printf(m->arena, "%zu parts", built));
}

int pc_mime_parse(pc_mime *mp, pc_msg *m, const char *bytes, size_t n, pc_mime_body_cb cb, void *ctx)
{
	mp->boundary_checks = 0;
	mp->nparts = mp->nheaders = 0;
	mp->parts_hit = mp->depth_hit = mp->headers_hit = false;
	const pc_limits *lim = &m->config->limits;
	m->size = n;
	if (n > lim->message_size) {
		pc_finding *f = pc_msg_limit(m, "message_size", lim->message_size, "only the first bytes were parsed");
		pc_finding_ev(m, f, "size", pc_arena_printf(m->arena, "%zu", n));
		n = lim->message_size;
	}
	/* Line endings and NULs: facts about damage, and CR-only repaired. */
	size_t crlf = 0, lf = 0, cr = 0, nul = 0;
	for (const char *p = bytes, *end = bytes + n; (p = memchr(p, '\n', (size_t)(end - p))); p++) {
		if (p > bytes && p[-1] == '\r')
			crlf++;
		else
			lf++;
	}
	for (const char *p = bytes, *end = bytes + n; (p = memchr(p, '\r', (size_t)(end - p))); p++)
		cr++;
	cr -= crlf;
	if (memchr(bytes, '\0', n)) {
		for (size_t i = 0; i < n; i++)
			nul += bytes[i] == '\0';
		add_simple(m, "parse.nul", "NUL bytes in the message", "count", pc_arena_printf(m->arena, "%zu", nul));
	}
	char *copy = NULL;
	const char *orig = bytes;
	if (cr && !lf && !crlf) {
		add_simple(m, "parse.line-endings", "CR-only line endings (converted to LF)", "cr",
		           pc_arena_printf(m->arena, "%zu", cr));
		copy = g_malloc(n ? n : 1);
		for (size_t i = 0; i < n; i++)
			copy[i] = bytes[i] == '\r' ? '\n' : bytes[i];
		bytes = copy;
	} else if ((cr ? 1 : 0) + (lf ? 1 : 0) + (crlf ? 1 : 0) > 1) {
		pc_finding *f = pc_msg_finding(m, PC_FINDING_DAMAGE, "parse.line-endings", 0.0, "mixed line endings");
		pc_finding_ev(m, f, "crlf", pc_arena_printf(m->arena, "%zu", crlf));
		pc_finding_ev(m, f, "lf", pc_arena_printf(m->arena, "%zu", lf));
		pc_finding_ev(m, f, "cr", pc_arena_printf(m->arena, "%zu", cr));
	}
	/* A leading mbox "From " line is not a header. */
	if (n >= 5 && memcmp(bytes, "From ", 5) == 0) {
		const char *nl = memchr(bytes, '\n', n);
		size_t skip = nl ? (size_t)(nl - bytes) + 1 : n;
		bytes += skip;
		n -= skip;
	}

	/* Lines before the header that are not header fields (a line of
	 * spaces, a stray banner) would make GMime read no header at all and
	 * the whole message would go unscanned: skip up to 16 such lines when
	 * a header field follows them. */
	size_t junk = leading_junk(bytes, n);
	if (junk) {
		add_simple(m, "parse.leading-junk", "lines before the header that are not header fields (skipped)",
		           "bytes", pc_arena_printf(m->arena, "%zu", junk));
		bytes += junk;
		n -= junk;
	}

	check_header_block(m, bytes, n);
	mp->base = (size_t)(bytes - (copy ? copy : orig));
	m->raw_base = mp->base;
	mp->raw = bytes;
	mp->fulln = n;
	/* Every structural limit applies before GMime builds anything: GMime
	 * is given only the bytes up to the first object over a limit. */
	pc_mimescan ms;
	pc_mimescan_run(bytes, n, lim, &ms);
	if (ms.limit) {
		pc_finding *f = pc_msg_limit(m, ms.limit, ms.configured, "the message was parsed only up to here");
		pc_finding_ev(m, f, "found", pc_arena_printf(m->arena, "%zu", ms.found));
		if (ms.part[0])
			pc_finding_ev(m, f, "part", pc_arena_utf8(m->arena, ms.part, strlen(ms.part)));
		if (ms.field[0])
			pc_finding_ev(m, f, "header", pc_arena_utf8(m->arena, ms.field, strlen(ms.field)));
		pc_finding_ev(m, f, "offset", pc_arena_printf(m->arena, "%zu", mp->base + ms.cut));
		n = ms.cut;
	}
	mp->rawn = n;
	/* Parse in place: GByteArray borrows the bytes, GMime keeps
	 * references (persist_stream) instead of copies. */
	GByteArray *arr = g_byte_array_new_take((guint8 *)bytes, n);
	GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(arr);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	g_mime_parser_init_with_stream(mp->parser, stream);
	g_mime_parser_set_format(mp->parser, GMIME_FORMAT_MESSAGE);
	g_mime_parser_set_persist_stream(mp->parser, TRUE);
	GMimeMessage *msg = g_mime_parser_construct_message(mp->parser, mp->options);
	int rc = 0;
	if (!msg) {
		m->is_mail = false;
		add_simple(m, "parse.not-mail", "no message could be parsed from the input", "size",
		           pc_arena_printf(m->arena, "%zu", n));
		if (!ms.not_mail && !ms.limit) /* its header reads as mail, and GMime gave up on it */
			disagree(m, &ms, 0);
		rc = -1;
		goto out;
	}
	GMimeObject *top = GMIME_OBJECT(msg);
	read_headers(mp, m, top, true);
	m->is_mail = false;
	static const char *const mail_headers[] = {
	    "from",         "to",          "subject", "date",         "message-id", "received", "mime-version",
	    "content-type", "return-path", "sender",  "delivered-to", "cc",         "reply-to", "x-original-to"};
	for (size_t i = 0; i < m->headers.n && !m->is_mail; i++) {
		pc_kv *kv = m->headers.v[i];
		for (size_t k = 0; k < sizeof mail_headers / sizeof mail_headers[0]; k++)
			if (!g_ascii_strcasecmp(kv->key, mail_headers[k])) {
				m->is_mail = true;
				break;
			}
	}
	if (!m->is_mail)
		add_simple(m, "parse.not-mail", "no RFC 5322 header field found: not an email message", "headers",
		           pc_arena_printf(m->arena, "%zu", m->headers.n));
	m->subject = header_text(m->arena, g_mime_message_get_subject(msg));
	m->message_id = dup_utf8(m->arena, g_mime_message_get_message_id(msg));
	m->date = header_text(m->arena, g_mime_object_get_header(top, "Date"));
	add_addresses(m, &m->from, g_mime_message_get_from(msg), NULL, 0);
	add_addresses(m, &m->sender, g_mime_message_get_sender(msg), NULL, 0);
	add_addresses(m, &m->reply_to, g_mime_message_get_reply_to(msg), NULL, 0);
	add_addresses(m, &m->to, g_mime_message_get_to(msg), NULL, 0);
	add_addresses(m, &m->cc, g_mime_message_get_cc(msg), NULL, 0);
	if (m->is_mail && m->from.n == 0)
		add_simple(m, "parse.no-from", "no From address", "from",
		           header_text(m->arena, g_mime_object_get_header(top, "From")));
	const char *rp = g_mime_object_get_header(top, "Return-Path");
	if (rp) {
		InternetAddressList *l = internet_address_list_parse(NULL, rp);
		if (l && internet_address_list_length(l) > 0 &&
		    INTERNET_ADDRESS_IS_MAILBOX(internet_address_list_get_address(l, 0)))
			m->return_path = dup_utf8(m->arena, internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
			                                        internet_address_list_get_address(l, 0))));
		else
			m->return_path = dup_utf8(m->arena, rp);
		if (l)
			g_object_unref(l);
	}
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	if (body) {
		walkctx wc = {mp, m, cb, ctx};
		walk(&wc, body, "1", 0);
	}
	/* mimescan counts exactly what GMime builds (checked over the corpus
	 * and by fuzz_mimescan): a difference when no limit stopped either is
	 * a structure that readers can read two ways */
	if (!any_limit(m) && mp->nparts != ms.parts)
		disagree(m, &ms, mp->nparts);
	g_object_unref(msg);
out:
	g_mime_parser_init_with_stream(mp->parser, mp->outstream); /* drop our stream */
	g_object_unref(stream);
	/* Give the bytes back without freeing them. */
	(void)g_byte_array_steal(arr, NULL);
	g_byte_array_unref(arr);
	g_free(copy);
	return rc;
}
