/*
 * NAME
 *   mime - GMime 3 wrapper that fills pc_msg (see mime.h)
 */
#include "parse/mime.h"

#include <ctype.h>
#include <gmime/gmime.h>
#include <string.h>

#define NWARN 32
#define NFILTERS 16

struct pc_mime {
	GMimeParser *parser;
	GMimeParserOptions *options;
	GByteArray *out; /* decoded part bytes, reused */
	GMimeStream *outstream;
	/* warnings of the message being parsed */
	unsigned warn_count[NWARN];
	gint64 warn_offset[NWARN];
	char warn_item[NWARN][96];
	size_t nparts;
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

static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer ud)
{
	pc_mime *mp = ud;
	unsigned c = (unsigned)code;
	if (c >= NWARN)
		c = 0;
	if (mp->warn_count[c]++ == 0) {
		mp->warn_offset[c] = offset;
		g_strlcpy(mp->warn_item[c], item ? item : "", sizeof mp->warn_item[c]);
	}
}

pc_mime *pc_mime_new(void)
{
	pc_mime *mp = g_new0(pc_mime, 1);
	mp->parser = g_mime_parser_new();
	mp->options = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(mp->options, on_warning, mp);
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

/* GMime's warnings, grouped into the finding names analysts see. */
static const struct {
	GMimeParserWarning code;
	const char *detector;
	const char *summary;
} warn_map[] = {
    {GMIME_WARN_MALFORMED_MULTIPART, "parse.bad-boundary", "multipart without child parts (boundary never found)"},
    {GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY, "parse.bad-boundary", "multipart without a boundary parameter"},
    {GMIME_WARN_PART_WITHOUT_CONTENT, "parse.bad-boundary", "part headers ended by a boundary: no content"},
    {GMIME_WARN_TRUNCATED_MESSAGE, "parse.truncated", "message ends inside a part (closing boundary missing)"},
    {GMIME_CRIT_NESTING_OVERFLOW, "parse.nesting", "MIME nesting beyond what the parser follows"},
    {GMIME_WARN_INVALID_RFC2047_HEADER_VALUE, "parse.rfc2047", "invalid RFC 2047 encoded-word in a header"},
    {GMIME_WARN_UNENCODED_8BIT_HEADER, "parse.8bit-header", "raw 8-bit bytes in a header"},
    {GMIME_CRIT_INVALID_HEADER_NAME, "parse.header", "invalid header field name"},
    {GMIME_WARN_DUPLICATED_HEADER, "parse.duplicate-header", "a header that must appear once appears again"},
    {GMIME_CRIT_CONFLICTING_HEADER, "parse.duplicate-header", "conflicting copies of a header"},
    {GMIME_WARN_INVALID_CONTENT_TYPE, "parse.content-type", "invalid Content-Type"},
    {GMIME_WARN_DUPLICATED_PARAMETER, "parse.content-type", "repeated header parameter"},
    {GMIME_CRIT_CONFLICTING_PARAMETER, "parse.content-type", "conflicting header parameters"},
    {GMIME_WARN_INVALID_PARAMETER, "parse.content-type", "invalid header parameter"},
    {GMIME_WARN_INVALID_ADDRESS_LIST, "parse.address", "invalid address list"},
    {GMIME_WARN_MALFORMED_MESSAGE, "parse.malformed", "malformed message structure"},
    {GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT, "parse.malformed", "part without headers or content"},
};

static void emit_warnings(pc_mime *mp, pc_msg *m)
{
	for (size_t i = 0; i < sizeof warn_map / sizeof warn_map[0]; i++) {
		unsigned c = (unsigned)warn_map[i].code;
		if (c >= NWARN || !mp->warn_count[c])
			continue;
		pc_finding *f = pc_msg_find(m, warn_map[i].detector);
		if (!f)
			f = pc_msg_finding(m, warn_map[i].detector, 0.0, warn_map[i].summary);
		char *item = pc_arena_utf8(m->arena, mp->warn_item[c], strlen(mp->warn_item[c]));
		pc_finding_ev(m, f, "warning", warn_map[i].summary);
		pc_finding_ev(m, f, "offset", pc_arena_printf(m->arena, "%lld", (long long)mp->warn_offset[c]));
		if (item && *item)
			pc_finding_ev(m, f, "item", item);
		pc_finding_ev(m, f, "count", pc_arena_printf(m->arena, "%u", mp->warn_count[c]));
	}
}

static const char *dup_utf8(pc_arena *a, const char *s)
{
	return s ? pc_arena_utf8(a, s, strlen(s)) : NULL;
}

/* Header-derived text for people: folding (CR, LF and the white space
 * after them) becomes one space, other C0 controls become spaces. */
static const char *header_text(pc_arena *a, const char *s)
{
	char *d = s ? pc_arena_utf8(a, s, strlen(s)) : NULL;
	if (!d)
		return NULL;
	char *o = d;
	for (const char *p = d; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\r' || c == '\n') {
			while (p[1] == '\r' || p[1] == '\n' || p[1] == ' ' || p[1] == '\t')
				p++;
			*o++ = ' ';
		} else
			*o++ = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	*o = '\0';
	return d;
}

static void add_addresses(pc_msg *m, pc_vec *vec, InternetAddressList *list, const char *group, int depth)
{
	if (!list || depth > 4)
		return;
	int n = internet_address_list_length(list);
	for (int i = 0; i < n && vec->n < 1000; i++) {
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

static void read_headers(pc_mime *mp, pc_msg *m, GMimeObject *obj, bool top)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int n = hl ? g_mime_header_list_get_count(hl) : 0;
	const pc_limits *lim = &m->config->limits;
	if ((size_t)n > lim->headers && !mp->headers_hit) {
		mp->headers_hit = true;
		pc_finding *f = pc_msg_limit(m, "headers", lim->headers, "further header fields were ignored");
		pc_finding_ev(m, f, "found", pc_arena_printf(m->arena, "%d", n));
	}
	for (int i = 0; i < n && (size_t)i < lim->headers; i++) {
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
		if (!top)
			continue;
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
	GMimeFilter *f = g_mime_filter_charset_new(charset, "UTF-8");
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
		} else {
			pc_finding *f = pc_msg_find(m, "parse.charset");
			if (!f)
				f = pc_msg_finding(m, "parse.charset", 0.0, "unknown charset: text read as UTF-8");
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
	if (depth > lim->nesting_depth) {
		if (!mp->depth_hit) {
			mp->depth_hit = true;
			pc_finding *f = pc_msg_limit(m, "nesting_depth", lim->nesting_depth, "deeper parts were not parsed");
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

	if (GMIME_IS_MULTIPART(obj)) {
		pp->kind = PC_PART_MULTIPART;
		GMimeMultipart *mpart = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mpart);
		if (n == 0) {
			pc_finding *f = pc_msg_find(m, "parse.bad-boundary");
			if (!f)
				f = pc_msg_finding(m, "parse.bad-boundary", 0.0, "multipart without parts: its boundary never appears");
			pc_finding_ev(m, f, "part", path);
			const char *b = g_mime_multipart_get_boundary(mpart);
			if (b)
				pc_finding_ev(m, f, "boundary", dup_utf8(m->arena, b));
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
	if (!decode_part(mp, m, part, pp, true))
		return;
	if (plain) {
		pp->filename = pp->filename ? pp->filename
		                            : uuencode_name(m->arena, (const char *)mp->out->data, mp->out->len);
		pp->uuencoded = pp->filename != NULL && fn == NULL;
		if (!pp->uuencoded)
			pp->filename = fn ? pp->filename : NULL;
		else {
			pc_finding *f = pc_msg_finding(m, "parse.uuencode", 0.0, "uuencoded file inside a text part");
			pc_finding_ev(m, f, "part", pp->path);
			pc_finding_ev(m, f, "filename", pp->filename);
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
	GMimeFilter *cf = g_mime_filter_charset_new(charset, "UTF-8");
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
	pc_finding *f = pc_msg_finding(m, detector, 0.0, summary);
	pc_finding_ev(m, f, key, val);
}

int pc_mime_parse(pc_mime *mp, pc_msg *m, const char *bytes, size_t n, pc_mime_body_cb cb, void *ctx)
{
	memset(mp->warn_count, 0, sizeof mp->warn_count);
	mp->nparts = 0;
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
	if (cr && !lf && !crlf) {
		add_simple(m, "parse.line-endings", "CR-only line endings (converted to LF)", "cr",
		           pc_arena_printf(m->arena, "%zu", cr));
		copy = g_malloc(n ? n : 1);
		for (size_t i = 0; i < n; i++)
			copy[i] = bytes[i] == '\r' ? '\n' : bytes[i];
		bytes = copy;
	} else if ((cr ? 1 : 0) + (lf ? 1 : 0) + (crlf ? 1 : 0) > 1) {
		pc_finding *f = pc_msg_finding(m, "parse.line-endings", 0.0, "mixed line endings");
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
		rc = -1;
		goto out;
	}
	GMimeObject *top = GMIME_OBJECT(msg);
	read_headers(mp, m, top, true);
	m->is_mail = false;
	static const char *const mail_headers[] = {"from", "to", "subject", "date", "message-id", "received",
	                                           "mime-version", "content-type", "return-path", "sender",
	                                           "delivered-to", "cc", "reply-to", "x-original-to"};
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
			m->return_path = dup_utf8(
			    m->arena, internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(l, 0))));
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
	g_object_unref(msg);
out:
	emit_warnings(mp, m);
	g_mime_parser_init_with_stream(mp->parser, mp->outstream); /* drop our stream */
	g_object_unref(stream);
	/* Give the bytes back without freeing them. */
	(void)g_byte_array_steal(arr, NULL);
	g_byte_array_unref(arr);
	g_free(copy);
	return rc;
}
