/*
 * NAME
 *   mimescan - GMime 3.2's parser, followed line by line to count what it will build (see mimescan.h)
 * DESCRIPTION
 *   The functions mirror gmime-parser.c 3.2.13 and name the function each
 *   one follows: step_headers (parser_step_headers), scan_content
 *   (parser_scan_content), check_boundary, construct_multipart,
 *   subparts (parser_scan_multipart_subparts), construct_leaf,
 *   message_part (parser_scan_message_part). Limits stop the model at the
 *   start of the line where the object over the limit begins.
 */
#include "parse/mimescan.h"

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GMIME_MAX_LEVEL 1024 /* gmime-parser.c MAX_LEVEL */

/* what ended a piece of content (gmime-parser.c BoundaryType), plus STOP:
 * a limit was hit and the model ends */
enum { B_NONE, B_EOS, B_IMMEDIATE, B_IMMEDIATE_END, B_PARENT, B_PARENT_END, B_STOP };
/* how a header block ended */
enum { H_CONTENT, H_BOUNDARY, H_ERROR, H_TOPERROR, H_STOP };
enum { F_OTHER, F_CT, F_CTE, F_CD, F_ADDR };

/* A field name longer than this makes GMime give up (one that does not
 * fit its 4 kB buffer ends the parse as an error: the message, or the rest
 * of it, unparsed); RFC 5322 lines end at 998. */
#define NAME_MAX_LEN 998
/* RFC 2046 boundaries are at most 70 characters; past this GMime reads its
 * input in pieces too small to hold one, and where it finds one is no
 * longer a question of lines. */
#define BOUNDARY_MAX_LEN 200
/* A run of white space longer than this inside a multipart (see
 * tail_boundary) */
#define WS_RUN_MAX 1024

typedef struct bound {
	char *text; /* "--B--" */
	size_t len, lenfinal;
} bound;

/* GMime's header buffer: the field being read. A block cut short by a
 * boundary leaves it unparsed, and GMime carries it into the next block. */
typedef struct field {
	bool open;
	size_t start; /* offset of its first line */
	size_t size;  /* bytes so far */
	int kind;
	bool valid;     /* header_buffer_parse accepts its name */
	size_t semis;   /* ';' in it: an upper bound of its MIME parameters */
	size_t commas;  /* ',' in an address field: one less than its addresses, at most */
	GString *value; /* Content-Type / -Transfer-Encoding value up to a NUL, capped */
	bool nul;
} field;

/* what a header block leaves for the part it starts */
typedef struct block {
	size_t nheaders; /* fields GMime keeps (priv->headers->len) */
	GString *ct;     /* the last Content-Type value (parser_find_header) */
	GString *cte;    /* the first Content-Transfer-Encoding value */
	int bst;         /* H_BOUNDARY: which boundary */
} block;

typedef struct scan {
	const char *p;
	size_t n, pos;
	const pc_limits *lim;
	GMimeParserOptions *options;
	pc_mimescan *out;
	bound *b;
	size_t nb, capb;
	field f;
	bool dry;      /* limits on fields suspended: the part is over a part limit anyway */
	size_t dry_at; /* and is cut here (right after its boundary line) */
	size_t dry_depth;
	bool msg_block; /* the header block being read is a message's (its address fields are parsed) */
	char *path;     /* the current part's path, as parse/mime.c's walk numbers parts */
	size_t pathlen, pathcap;
} scan;

static size_t line_end(const scan *s, size_t pos)
{
	const char *nl = memchr(s->p + pos, '\n', s->n - pos);
	return nl ? (size_t)(nl - s->p) : s->n;
}

/* gmime-table-private.h: is_lwsp, is_blank, is_ctrl, is_ttoken */
static bool is_lwsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static bool is_ctrl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static bool is_ttoken(unsigned char c)
{
	if (c >= 0x80)
		return true;
	if (is_ctrl(c) || is_lwsp(c))
		return false;
	return !strchr("()<>@,;:\\\"/[]?=", c);
}

static int stop(scan *s, const char *limit, size_t configured, size_t found, size_t at)
{
	pc_mimescan *o = s->out;
	o->cut = at < s->n ? at : s->n;
	o->limit = limit;
	o->configured = configured;
	o->found = found;
	snprintf(o->part, sizeof o->part, "%.*s", (int)s->pathlen, s->path ? s->path : "");
	return B_STOP;
}

/* stop() at the field being read, naming it */
static int stop_field(scan *s, const char *limit, size_t configured, size_t found)
{
	const char *l = s->p + s->f.start;
	size_t k = 0, max = s->n - s->f.start;
	while (k < max && k < sizeof s->out->field - 1 && l[k] != ':' && l[k] != '\n' && l[k] != '\r')
		k++;
	memcpy(s->out->field, l, k);
	s->out->field[k] = '\0';
	return stop(s, limit, configured, found, s->f.start);
}

static int enter_part(scan *s, size_t depth, size_t begin);

/* A line GMime may read otherwise (a field name it gives up on, a
 * boundary its line buffer may split): the model stops before it. In the
 * header block of a part over a part limit, the cut is where that limit
 * puts it, right after the part's boundary line: GMime would build the
 * part from the header lines before a cut inside its block. */
static int stop_ambiguous(scan *s, const char *limit, size_t configured, size_t found)
{
	if (s->dry)
		return enter_part(s, s->dry_depth, s->dry_at);
	return stop(s, limit, configured, found, s->pos);
}

/* is_boundary: the line starts with the boundary, and the rest is white space */
static bool is_boundary(const char *l, size_t len, const char *b, size_t blen)
{
	if (blen > len || memcmp(l, b, blen) != 0)
		return false;
	for (size_t i = blen; i < len; i++)
		if (!is_lwsp((unsigned char)l[i]))
			return false;
	return true;
}

/* check_boundary: the line (without its '\n') against every boundary on
 * the stack, innermost first */
static int check_boundary(const scan *s, const char *l, size_t len)
{
	if (len && l[len - 1] == '\r')
		len--;
	if (len < 2 || l[0] != '-' || l[1] != '-')
		return B_NONE;
	for (size_t i = s->nb; i-- > 0;) {
		const bound *b = &s->b[i];
		if (is_boundary(l, len, b->text, b->lenfinal))
			return i == s->nb - 1 ? B_IMMEDIATE_END : B_PARENT_END;
		if (is_boundary(l, len, b->text, b->len))
			return i == s->nb - 1 ? B_IMMEDIATE : B_PARENT;
	}
	return B_NONE;
}

static bool tail_boundary(const scan *s, const char *l, size_t len);

/* parser_scan_content: lines up to a boundary (left unread) or the end.
 * With no boundary on the stack nothing can end the content before the
 * end. Otherwise each line is compared at its start (check_boundary) and
 * at its end (tail_boundary). */
static int scan_content(scan *s)
{
	if (!s->nb) {
		s->pos = s->n;
		return B_EOS;
	}
	while (s->pos < s->n) {
		size_t e = line_end(s, s->pos);
		const char *l = s->p + s->pos;
		int st = check_boundary(s, l, e - s->pos);
		if (st != B_NONE)
			return st;
		if (tail_boundary(s, l, e - s->pos))
			return stop(s, "boundary", 0, e - s->pos, s->pos);
		s->pos = e < s->n ? e + 1 : s->n;
	}
	return B_EOS;
}

/* parser_skip_line: -1 when the line has no end */
static int skip_line(scan *s)
{
	size_t e = line_end(s, s->pos);
	s->pos = e < s->n ? e + 1 : s->n;
	return e < s->n ? 0 : -1;
}

/* found_immediate_boundary: the line at pos is the innermost boundary */
static bool found_immediate(const scan *s, bool end)
{
	if (!s->nb || s->pos >= s->n)
		return false;
	const bound *b = &s->b[s->nb - 1];
	size_t e = line_end(s, s->pos);
	return is_boundary(s->p + s->pos, e - s->pos, b->text, end ? b->lenfinal : b->len);
}

/* A boundary at the end of a line that does not start with it ("...--B"):
 * where GMime's 4 kB read buffer splits a line it compares the rest of
 * the line with the boundaries as if it were a line of its own, so such a
 * line can end a part for GMime and not for a mail client, or for neither,
 * depending only on where the split falls. RFC 2046 forbids the boundary
 * inside a part; a message that has one is ambiguous by construction and
 * is not parsed past it. */
static bool tail_boundary(const scan *s, const char *l, size_t len)
{
	/* the piece GMime compares runs from the split to the line's end, or
	 * to its buffer's end (at least 3.8 kB on) when the line goes further:
	 * there "--B" and white space alone is a boundary too, so a line with
	 * a long run of white space is as ambiguous (RFC 5322 lines end at
	 * 998 bytes; such runs are not written by hand) */
	if (len > WS_RUN_MAX) {
		size_t run = 0;
		for (size_t i = 0; i < len; i++) {
			run = is_lwsp((unsigned char)l[i]) ? run + 1 : 0;
			if (run > WS_RUN_MAX)
				return true;
		}
	}
	while (len && is_lwsp((unsigned char)l[len - 1]))
		len--;
	for (size_t i = s->nb; i-- > 0;) {
		const bound *b = &s->b[i];
		/* "--B--" and "--B" ending the line, not at its start */
		if (len > b->lenfinal && !memcmp(l + len - b->lenfinal, b->text, b->lenfinal))
			return true;
		if (len > b->len && !memcmp(l + len - b->len, b->text, b->len))
			return true;
	}
	return false;
}

static int push_boundary(scan *s, const char *boundary)
{
	if (s->nb == s->capb) {
		size_t cap = s->capb ? s->capb * 2 : 8;
		bound *nb = realloc(s->b, cap * sizeof *nb);
		if (!nb)
			return -1;
		s->b = nb;
		s->capb = cap;
	}
	size_t bl = strlen(boundary);
	char *t = malloc(bl + 5);
	if (!t)
		return -1;
	t[0] = t[1] = '-';
	memcpy(t + 2, boundary, bl);
	t[bl + 2] = t[bl + 3] = '-';
	t[bl + 4] = '\0';
	s->b[s->nb++] = (bound){t, bl + 2, bl + 4};
	return 0;
}

static void pop_boundary(scan *s)
{
	if (s->nb)
		free(s->b[--s->nb].text);
}

/* The field name of a line, as step_headers (`step`) or header_buffer_parse
 * judge it: 1 valid (a ':' ends it), 0 not, -1 the data ends first.
 * `*kind` says which field it names. */
static int field_name(const char *l, size_t len, bool at_end, bool step, int *kind)
{
	*kind = F_OTHER;
	if (step && len && l[0] == ':')
		return 0;
	bool blank = false;
	size_t i = 0;
	for (; i < len && l[i] != ':'; i++) {
		if (i == NAME_MAX_LEN)
			return -2;
		unsigned char c = (unsigned char)l[i];
		if (is_blank(c))
			blank = true;
		else if (blank || is_ctrl(c))
			return 0;
	}
	if (i == len)
		return at_end ? -1 : 0; /* the newline is a control character */
	size_t nl = i;
	while (nl && is_blank((unsigned char)l[nl - 1]))
		nl--;
	if (nl == 12 && !g_ascii_strncasecmp(l, "Content-Type", 12))
		*kind = F_CT;
	else if (nl == 25 && !g_ascii_strncasecmp(l, "Content-Transfer-Encoding", 25))
		*kind = F_CTE;
	else if (nl == 19 && !g_ascii_strncasecmp(l, "Content-Disposition", 19))
		*kind = F_CD;
	else if ((nl == 4 && !g_ascii_strncasecmp(l, "From", 4)) || (nl == 2 && !g_ascii_strncasecmp(l, "To", 2)) ||
	         (nl == 2 && !g_ascii_strncasecmp(l, "Cc", 2)) || (nl == 3 && !g_ascii_strncasecmp(l, "Bcc", 3)) ||
	         (nl == 6 && !g_ascii_strncasecmp(l, "Sender", 6)) ||
	         (nl == 8 && !g_ascii_strncasecmp(l, "Reply-To", 8)))
		*kind = F_ADDR; /* gmime-message.c address_types: parsed as the message is built */
	return 1;
}

static void field_clear(field *f)
{
	if (f->value)
		g_string_free(f->value, TRUE);
	memset(f, 0, sizeof *f);
}

/* header_buffer_append: one line (with its line end) into the field */
static int field_append(scan *s, size_t at, size_t len)
{
	field *f = &s->f;
	const char *l = s->p + at;
	size_t from = 0;
	if (!f->open) {
		f->open = true;
		f->start = at;
		f->valid = field_name(l, len, false, false, &f->kind) == 1;
		if (f->kind == F_ADDR && !s->msg_block)
			f->kind = F_OTHER; /* a MIME part's From is not parsed */
		if (f->kind == F_CT || f->kind == F_CTE || f->kind == F_CD) {
			f->value = g_string_new(NULL);
			const char *colon = memchr(l, ':', len);
			from = colon ? (size_t)(colon - l) + 1 : len;
		}
	}
	f->size += len;
	if (f->kind == F_CT || f->kind == F_CD) /* the fields GMime parses parameters of */
		for (const char *p = l, *end = l + len; (p = memchr(p, ';', (size_t)(end - p))); p++)
			f->semis++;
	else if (f->kind == F_ADDR)
		for (const char *p = l, *end = l + len; (p = memchr(p, ',', (size_t)(end - p))); p++)
			f->commas++;
	if (f->value && !f->nul) {
		const char *z = memchr(l + from, '\0', len - from);
		size_t take = z ? (size_t)(z - l) - from : len - from;
		f->nul = z != NULL;
		/* past header_size the field is over the limit anyway */
		if (f->value->len + take > s->lim->header_size + 1)
			take = s->lim->header_size + 1 > f->value->len ? s->lim->header_size + 1 - f->value->len : 0;
		g_string_append_len(f->value, l + from, (gssize)take);
	}
	if (!s->dry && f->size > s->lim->header_size)
		return stop_field(s, "header_size", s->lim->header_size, f->size);
	return 0;
}

/* header_buffer_parse: the field becomes a header, or is dropped */
static int field_end(scan *s, block *bk)
{
	field *f = &s->f;
	if (!f->open)
		return 0;
	if (f->valid) {
		pc_mimescan *o = s->out;
		o->headers++;
		bk->nheaders++;
		if (!s->dry && o->headers > s->lim->headers) {
			o->headers--;
			return stop_field(s, "headers", s->lim->headers, o->headers + 1);
		}
		if (f->kind == F_CT || f->kind == F_CD) {
			/* GMime parses the parameters of the value decoded: an
			 * encoded-word can hold more ';' than the raw text shows */
			size_t semis = f->semis;
			if (f->value && strstr(f->value->str, "=?")) {
				char *unfolded = g_mime_utils_header_unfold(f->value->str);
				char *decoded = unfolded ? g_mime_utils_header_decode_text(s->options, unfolded) : NULL;
				size_t k = 0;
				for (const char *p = decoded; p && (p = strchr(p, ';')); p++)
					k++;
				semis = k > semis ? k : semis;
				g_free(decoded);
				g_free(unfolded);
			}
			o->params += semis;
			if (!s->dry && o->params > s->lim->params)
				return stop_field(s, "params", s->lim->params, o->params);
		} else if (f->kind == F_ADDR) {
			o->addresses += f->commas + 1;
			if (!s->dry && o->addresses > s->lim->addresses)
				return stop_field(s, "addresses", s->lim->addresses, o->addresses);
		}
		if (f->kind == F_CT) {
			if (bk->ct)
				g_string_free(bk->ct, TRUE);
			bk->ct = f->value;
			f->value = NULL;
		} else if (f->kind == F_CTE && !bk->cte) {
			bk->cte = f->value;
			f->value = NULL;
		}
	}
	field_clear(f);
	return 0;
}

static void block_free(block *bk)
{
	if (bk->ct)
		g_string_free(bk->ct, TRUE);
	if (bk->cte)
		g_string_free(bk->cte, TRUE);
	memset(bk, 0, sizeof *bk);
}

static bool mbox_marker(const char *l, size_t len)
{
	if (len && *l == '>') {
		l++;
		len--;
	}
	return len >= 5 && !memcmp(l, "From ", 5);
}

/* parser_step_headers / step_headers; `msg`: a message's header block */
static int step_headers(scan *s, block *bk, bool top, bool msg)
{
	memset(bk, 0, sizeof *bk);
	s->msg_block = msg;
	if (s->pos >= s->n)
		return H_ERROR;
	bool scanning = true, check_folded = false, valid = true;
	while (s->pos < s->n) {
		const char *l = s->p + s->pos;
		size_t e = line_end(s, s->pos), len = e - s->pos;
		bool has_nl = e < s->n;
		if (check_folded && !is_blank((unsigned char)l[0])) {
			if (field_end(s, bk) == B_STOP)
				return H_STOP;
			scanning = true;
			check_folded = false;
			valid = true;
		}
		bool eoln = (len == 0) || (l[0] == '\r' && len == 1);
		if (scanning && !eoln) {
			int kind;
			int r = field_name(l, len, !has_nl, true, &kind);
			if (r == -2) { /* GMime would give up here */
				snprintf(s->out->field, sizeof s->out->field, "%.*s", (int)(sizeof s->out->field - 1),
				         l);
				(void)stop_ambiguous(s, "field_name", NAME_MAX_LEN, len);
				return H_STOP;
			}
			if (r < 0)
				return H_ERROR; /* the data ends inside a field name */
			if (r == 0) {
				valid = false;
				/* the top header: a From line is skipped, anything else and
				 * GMime gives up on the message */
				if (top && bk->nheaders == 0 && !mbox_marker(l, len))
					return H_TOPERROR;
			}
		}
		scanning = false;
		if (!has_nl) { /* the last line: it joins the field, and the block ends */
			if (len && field_append(s, s->pos, len) == B_STOP)
				return H_STOP;
			s->pos = s->n;
			break;
		}
		if (eoln) {
			s->pos = e + 1;
			return field_end(s, bk) == B_STOP ? H_STOP : H_CONTENT;
		}
		int bst = check_boundary(s, l, len);
		if (bst != B_NONE) {
			bk->bst = bst; /* the field read last stays in the buffer */
			return H_BOUNDARY;
		}
		if (tail_boundary(s, l, len)) {
			(void)stop_ambiguous(s, "boundary", 0, len);
			return H_STOP;
		}
		if (!valid && bk->nheaders == 0) {
			scanning = true; /* a line before the first field: dropped */
			check_folded = false;
			valid = true;
		} else {
			if (field_append(s, s->pos, len + 1) == B_STOP)
				return H_STOP;
			check_folded = true;
		}
		s->pos = e + 1;
	}
	return field_end(s, bk) == B_STOP ? H_STOP : H_CONTENT;
}

/* RFC 2045 type/subtype as g_mime_parse_content_type reads a raw value */
static void skip_cfws(const char **in)
{
	const char *p = *in;
	while (is_lwsp((unsigned char)*p))
		p++;
	while (*p == '(') {
		int depth = 1;
		for (p++; *p && depth; p++) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
		}
		if (depth)
			return; /* an unclosed comment: nothing skipped */
		while (is_lwsp((unsigned char)*p))
			p++;
	}
	*in = p;
}

static bool parse_type(const char *v, const char **t, size_t *tl, const char **st, size_t *sl)
{
	const char *start = v, *p;
	skip_cfws(&start);
	for (p = start; *p && is_ttoken((unsigned char)*p); p++)
		;
	*t = start;
	*tl = (size_t)(p - start);
	start = p;
	skip_cfws(&start);
	if (*start++ != '/')
		return false;
	skip_cfws(&start);
	for (p = start; *p && is_ttoken((unsigned char)*p); p++)
		;
	if (p == start)
		return false;
	*st = start;
	*sl = (size_t)(p - start);
	return true;
}

static bool token_is(const char *t, size_t tl, const char *want)
{
	return tl == strlen(want) && !g_ascii_strncasecmp(t, want, tl);
}

enum { K_LEAF, K_MULTIPART, K_MESSAGE };

/* parser_content_type: what GMime makes of the block's part */
static int part_kind(const block *bk, bool parent_digest)
{
	const char *t = NULL, *st = NULL;
	size_t tl = 0, sl = 0;
	if (!bk->ct || !parse_type(bk->ct->str, &t, &tl, &st, &sl))
		return parent_digest ? K_MESSAGE : K_LEAF;
	if (token_is(t, tl, "multipart"))
		return K_MULTIPART;
	if (token_is(t, tl, "message") && (token_is(st, sl, "rfc822") || token_is(st, sl, "rfc2822") ||
	                                   token_is(st, sl, "global") || token_is(st, sl, "news")))
		return K_MESSAGE;
	return K_LEAF;
}

/* The boundary the multipart object has (its last Content-Type, unfolded
 * and RFC 2047-decoded, then parsed: GMime's object content type), and
 * whether it is multipart/digest. malloc'd, NULL for none. */
static char *object_boundary(scan *s, const block *bk, bool *digest)
{
	*digest = false;
	if (!bk->ct)
		return NULL;
	char *unfolded = g_mime_utils_header_unfold(bk->ct->str);
	char *decoded = unfolded ? g_mime_utils_header_decode_text(s->options, unfolded) : NULL;
	GMimeContentType *ct = decoded ? g_mime_content_type_parse(s->options, decoded) : NULL;
	char *b = NULL;
	if (ct) {
		*digest = g_mime_content_type_is_type(ct, "multipart", "digest");
		const char *v = g_mime_content_type_get_parameter(ct, "boundary");
		if (v)
			b = strdup(v);
		g_object_unref(ct);
	}
	g_free(decoded);
	g_free(unfolded);
	return b;
}

static int path_push(scan *s, size_t child)
{
	char seg[24];
	int k = snprintf(seg, sizeof seg, s->pathlen ? ".%zu" : "%zu", child);
	if (k < 0)
		return -1;
	if (s->pathlen + (size_t)k + 1 > s->pathcap) {
		size_t cap = (s->pathlen + (size_t)k + 1) * 2;
		char *np = realloc(s->path, cap);
		if (!np)
			return -1;
		s->path = np;
		s->pathcap = cap;
	}
	memcpy(s->path + s->pathlen, seg, (size_t)k + 1);
	s->pathlen += (size_t)k;
	return 0;
}

/* A part GMime builds, counted as the walk counts it: a part deeper than
 * nesting_depth, or one more than `parts`, ends the model at `begin`. */
static bool over(const scan *s, size_t depth)
{
	return depth > s->lim->nesting_depth || s->out->parts >= s->lim->parts;
}

static int enter_part(scan *s, size_t depth, size_t begin)
{
	if (depth > s->lim->nesting_depth)
		return stop(s, "nesting_depth", s->lim->nesting_depth, depth, begin);
	if (s->out->parts >= s->lim->parts)
		return stop(s, "parts", s->lim->parts, s->out->parts + 1, begin);
	s->out->parts++;
	if (depth > s->out->depth)
		s->out->depth = depth;
	return 0;
}

static int construct(scan *s, block *bk, int hs, bool parent_digest, size_t depth, int gdepth);

/* parser_scan_multipart_subparts */
static int subparts(scan *s, size_t depth, int gdepth, bool digest)
{
	size_t child = 0, base = s->pathlen;
	int st;
	do {
		if (skip_line(s) != 0)
			return B_EOS;
		/* a part over a limit is cut right after its boundary line: GMime
		 * then meets the end of the data where that part's header would
		 * start, and makes no part of it; everything before is as it was
		 * (a cut before the boundary would turn a header block that ends
		 * at that boundary into one that ends at the end of the data, of
		 * which GMime does make a part) */
		size_t cut = s->pos;
		s->dry = over(s, depth + 1);
		s->dry_at = cut;
		s->dry_depth = depth + 1;
		if (path_push(s, child + 1) != 0)
			return stop(s, "arena", 0, 0, cut);
		block bk;
		int hs = step_headers(s, &bk, false, false);
		s->dry = false;
		if (hs == H_STOP) {
			block_free(&bk);
			return B_STOP;
		}
		if (hs == H_ERROR) {
			block_free(&bk);
			return B_EOS;
		}
		if (hs == H_BOUNDARY && bk.nheaders == 0) { /* no part */
			st = bk.bst;
			block_free(&bk);
			s->pathlen = base;
			if (st == B_IMMEDIATE)
				continue;
			return st;
		}
		child++;
		if (enter_part(s, depth + 1, cut) == B_STOP) {
			block_free(&bk);
			return B_STOP;
		}
		st = construct(s, &bk, hs, digest, depth + 1, gdepth + 1);
		block_free(&bk);
		s->pathlen = base;
	} while (st == B_IMMEDIATE);
	return st;
}

/* parser_construct_multipart */
static int multipart(scan *s, const block *bk, size_t depth, int gdepth)
{
	bool digest;
	char *boundary = object_boundary(s, bk, &digest);
	if (!boundary || gdepth >= GMIME_MAX_LEVEL) {
		free(boundary);
		return scan_content(s); /* everything is prologue */
	}
	if (strlen(boundary) > BOUNDARY_MAX_LEN) {
		size_t bl = strlen(boundary);
		free(boundary);
		return stop(s, "boundary", BOUNDARY_MAX_LEN, bl, s->pos);
	}
	int rc = push_boundary(s, boundary);
	free(boundary);
	if (rc != 0)
		return stop(s, "arena", 0, 0, s->pos);
	int st = scan_content(s);
	if (st == B_IMMEDIATE)
		st = subparts(s, depth, gdepth, digest);
	if (st == B_STOP)
		return B_STOP;
	if (st == B_IMMEDIATE_END) {
		skip_line(s);
		pop_boundary(s);
		return scan_content(s); /* the epilogue */
	}
	pop_boundary(s);
	if (st == B_PARENT_END && found_immediate(s, true))
		st = B_IMMEDIATE_END;
	else if (st == B_PARENT && found_immediate(s, false))
		st = B_IMMEDIATE;
	return st;
}

/* parser_scan_message_part: the encapsulated message's header and body */
static int message_part(scan *s, size_t depth, int gdepth)
{
	if (s->nb) {
		if (s->pos >= s->n)
			return B_EOS;
		size_t e = line_end(s, s->pos);
		int st = check_boundary(s, s->p + s->pos, e - s->pos);
		if (st != B_NONE)
			return st; /* an empty message/rfc822 part */
	}
	size_t begin = s->pos;
	s->dry = over(s, depth + 1);
	s->dry_at = begin;
	s->dry_depth = depth + 1;
	size_t base = s->pathlen;
	if (path_push(s, 1) != 0)
		return stop(s, "arena", 0, 0, begin);
	block bk;
	int hs = step_headers(s, &bk, false, true);
	s->dry = false;
	int st;
	if (hs == H_STOP)
		st = B_STOP;
	else if (hs == H_ERROR)
		st = B_EOS;
	else if (enter_part(s, depth + 1, begin) == B_STOP)
		st = B_STOP;
	else
		st = construct(s, &bk, hs, false, depth + 1, gdepth + 1);
	block_free(&bk);
	s->pathlen = base;
	return st;
}

/* parser_construct_multipart / parser_construct_leaf_part for the part
 * whose header block `bk` was just read (hs: how it ended) */
static int construct(scan *s, block *bk, int hs, bool parent_digest, size_t depth, int gdepth)
{
	int kind = part_kind(bk, parent_digest);
	if (kind == K_MULTIPART)
		return multipart(s, bk, depth, gdepth);
	if (kind == K_MESSAGE) {
		bool encoded = gdepth >= GMIME_MAX_LEVEL;
		if (!encoded && bk->cte) {
			GMimeContentEncoding enc = g_mime_content_encoding_from_string(bk->cte->str);
			encoded = enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
			          enc == GMIME_CONTENT_ENCODING_UUENCODE || enc == GMIME_CONTENT_ENCODING_BASE64;
		}
		if (encoded)
			kind = K_LEAF;
	}
	if (hs != H_CONTENT)
		return bk->bst; /* the header ended at a boundary: no content */
	if (kind == K_MESSAGE)
		return message_part(s, depth, gdepth + 1);
	return scan_content(s);
}

void pc_mimescan_run(const char *bytes, size_t n, const pc_limits *lim, pc_mimescan *out)
{
	memset(out, 0, sizeof *out);
	out->cut = n;
	scan s = {.p = bytes, .n = n, .lim = lim, .out = out, .options = g_mime_parser_options_get_default()};
	block bk;
	int hs = step_headers(&s, &bk, true, true);
	if (hs == H_ERROR || hs == H_TOPERROR)
		out->not_mail = 1;
	else if (hs != H_STOP && path_push(&s, 1) == 0 && enter_part(&s, 0, 0) != B_STOP)
		construct(&s, &bk, hs, false, 0, 0);
	block_free(&bk);
	field_clear(&s.f);
	while (s.nb)
		pop_boundary(&s);
	free(s.b);
	free(s.path);
}
