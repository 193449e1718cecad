/*
 * NAME
 *   url - lenient URL splitter with IDNA and registrable domain (see url.h)
 * DESCRIPTION
 *   Hand-written: the URL libraries in Debian (liburiparser, libcurl's
 *   curl_url) implement RFC 3986 strictly and refuse or normalise URLs that
 *   browsers load (spaces, backslashes, `http:/\host`), which is exactly what
 *   an attacker would use to hide a tracker. IDNA and the public suffix list
 *   are parse/domain.h's.
 */
#include "parse/url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/domain.h"

#define MAX_URL_PIECES 512 /* segments or parameters split per URL */

static bool is_special(const char *scheme)
{
	return !strcmp(scheme, "http") || !strcmp(scheme, "https") || !strcmp(scheme, "ftp") || !strcmp(scheme, "ws") ||
	       !strcmp(scheme, "wss") || !strcmp(scheme, "file");
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Whether s[0..n) is valid UTF-8 without NUL bytes (what pc_arena_utf8
 * would copy unchanged). */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c && c < 0x80) {
			i++;
			continue;
		}
		size_t l = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		if (!l || l > n - i)
			return false;
		for (size_t k = 1; k < l; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		if ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] > 0x9f) ||
		    (c == 0xf0 && s[i + 1] < 0x90) || (c == 0xf4 && s[i + 1] > 0x8f))
			return false; /* overlong, surrogate, above U+10FFFF */
		i += l;
	}
	return true;
}

char *pc_url_pct_decode(pc_arena *a, const char *s, size_t n)
{
	char *tmp = pc_arena_alloc(a, n + 1);
	if (!tmp)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (s[i] == '%' && i + 2 < n && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			tmp[o++] = (char)(h * 16 + l);
			i += 2;
		} else
			tmp[o++] = s[i];
	}
	tmp[o] = '\0';
	/* usually valid already: no second copy (a URL's pieces are most of
	 * its arena use, and the arena bounds a message's) */
	return valid_utf8((const unsigned char *)tmp, o) ? tmp : pc_arena_utf8(a, tmp, o);
}

/* IPv4 as WHATWG reads it: 1-4 dot-separated numbers, each decimal, 0x
 * hex or 0-prefixed octal; the last fills the remaining bytes. Writes the
 * dotted quad to out (16 bytes) and returns true when h is such an address
 * (so "3221225985" and "0xC0.0.2.1" are both 192.0.2.1). */
static bool parse_ipv4(const char *h, char out[16])
{
	unsigned long long part[4];
	int np = 0;
	const char *p = h;
	if (!*p)
		return false;
	while (*p) {
		if (np == 4)
			return false;
		int base = 10;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			base = 16;
			p += 2;
		} else if (p[0] == '0' && p[1] && p[1] != '.')
			base = 8;
		unsigned long long v = 0;
		const char *st = p;
		while (*p && *p != '.') {
			int d = hexval((unsigned char)*p);
			if (d < 0 || d >= base)
				return false;
			v = v * (unsigned)base + (unsigned)d;
			if (v > 0xffffffffULL)
				return false;
			p++;
		}
		if (p == st && base != 16)
			return false;
		part[np++] = v;
		if (*p == '.') {
			p++;
			if (!*p) /* one trailing dot is allowed */
				break;
		}
	}
	unsigned long long addr = 0;
	for (int i = 0; i < np - 1; i++) {
		if (part[i] > 255)
			return false;
		addr = (addr << 8) | part[i];
	}
	int rest = 5 - np; /* bytes the last number fills */
	if (part[np - 1] >= (1ULL << (8 * rest)))
		return false;
	addr = (addr << (8 * rest)) | part[np - 1];
	snprintf(out, 16, "%llu.%llu.%llu.%llu", (addr >> 24) & 255, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255);
	return true;
}

static void split_path(pc_arena *a, pc_url *u, const char *p, size_t n, bool special)
{
	const char *segs[MAX_URL_PIECES];
	size_t nseg = 0, i = 0;
	if (n && (p[0] == '/' || (special && p[0] == '\\')))
		i = 1;
	size_t start = i;
	for (; i <= n && nseg < MAX_URL_PIECES; i++) {
		if (i == n || p[i] == '/' || (special && p[i] == '\\')) {
			if (i > start || i < n) {
				/* a full arena ends the list: no NULL segment for
				 * the detectors to strlen (it crashed them) */
				const char *sg = pc_url_pct_decode(a, p + start, i - start);
				if (!sg)
					break;
				segs[nseg++] = sg;
			}
			start = i + 1;
		}
	}
	if (!nseg)
		return;
	u->segments = pc_arena_alloc(a, nseg * sizeof(char *));
	if (!u->segments)
		return;
	memcpy(u->segments, segs, nseg * sizeof(char *));
	u->nsegments = nseg;
}

static void split_query(pc_arena *a, pc_url *u, const char *q, size_t n)
{
	pc_kv *tail = NULL;
	size_t i = 0;
	while (i < n && u->nparams < MAX_URL_PIECES) {
		size_t j = i;
		while (j < n && q[j] != '&')
			j++;
		if (j > i) {
			size_t eq = i;
			while (eq < j && q[eq] != '=')
				eq++;
			pc_kv *kv = pc_arena_alloc(a, sizeof *kv);
			if (!kv)
				return;
			kv->key = pc_url_pct_decode(a, q + i, eq - i);
			kv->value = eq < j ? pc_url_pct_decode(a, q + eq + 1, j - eq - 1) : pc_arena_strdup(a, "");
			if (!kv->key || !kv->value)
				return; /* the arena is full: no half parameter */
			kv->next = NULL;
			if (tail)
				tail->next = kv;
			else
				u->params = kv;
			tail = kv;
			u->nparams++;
		}
		i = j + 1;
	}
}

/* DNS bounds (RFC 1035 2.3.4): a name of at most 253 octets (255 on the
 * wire) in labels of at most 63. A longer host can never be looked up,
 * so no client fetches from it; and every check that works per label or
 * per suffix (lists, public suffixes, lookalikes) would work on however
 * many an attacker writes. Before IDNA a label of 63 A-label octets is
 * at most 63 code points, 4 bytes each; an IPv6 literal is at most 47
 * characters. */
#define HOST_MAX 253
#define LABEL_MAX 63
#define UHOST_MAX (4 * HOST_MAX)
#define ULABEL_MAX (4 * LABEL_MAX)
#define IP6_MAX 64

/* Whether the labels of h (ASCII dots, and for Unicode the ideographic
 * and full-width stops UTS #46 maps to dots) fit in max bytes each. */
static bool labels_fit(const char *h, size_t n, size_t max)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)h + i;
		size_t dot = p[0] == '.'                                                 ? 1
		             : i + 2 < n && p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x82 ? 3 /* U+3002 */
		             : i + 2 < n && p[0] == 0xef && p[1] == 0xbc && p[2] == 0x8e ? 3 /* U+FF0E */
		             : i + 2 < n && p[0] == 0xef && p[1] == 0xbd && p[2] == 0xa1 ? 3 /* U+FF61 */
		                                                                         : 0;
		if (dot) {
			run = 0;
			i += dot - 1;
		} else if (++run > max)
			return false;
	}
	return true;
}

/* A host no DNS name can be (see HOST_MAX): kept out of every host field
 * (host "", no host_ascii, no domain) and marked as an IDNA error, which
 * it is (UTS #46 ToASCII with VerifyDnsLength fails on it). The URL keeps
 * its raw text. */
static void host_too_long(pc_url *u)
{
	u->host = "";
	u->host_ascii = NULL;
	u->host_unicode = NULL;
	u->domain = NULL;
	u->idna_error = true;
}

/* The length of h percent-decoded, without its trailing dots, and whether
 * every decoded byte could belong to an IPv4 address (WHATWG numbers:
 * decimal, octal, 0x hex). One pass, no copy. */
static size_t decoded_len(const char *h, size_t n, bool *ipv4ish)
{
	size_t len = 0, dots = 0;
	*ipv4ish = true;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)h[i], hi, lo;
		if (c == '%' && i + 2 < n && (hi = hexval((unsigned char)h[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)h[i + 2])) >= 0) {
			c = hi * 16 + lo;
			i += 2;
		}
		len++;
		dots = c == '.' ? dots + 1 : 0;
		*ipv4ish &= isxdigit(c) || c == '.' || c == 'x' || c == 'X';
	}
	return len - dots;
}

static void set_host(pc_arena *a, pc_url *u, const char *h, size_t n)
{
	/* a host longer than any name (even in Unicode) is refused before it
	 * is copied: a URL of a few MB would otherwise leave three copies of
	 * its host in the arena */
	bool ipv4ish;
	if (n > UHOST_MAX && decoded_len(h, n, &ipv4ish) > UHOST_MAX && !ipv4ish) {
		host_too_long(u);
		return;
	}
	char *host = pc_url_pct_decode(a, h, n);
	if (!host)
		return;
	bool ascii = true;
	for (char *p = host; *p; p++) {
		if ((unsigned char)*p >= 0x80)
			ascii = false;
		else
			*p = (char)tolower((unsigned char)*p);
	}
	/* WHATWG: U+3002 and friends act as dots; idn2 maps them in UTS#46. */
	u->host = host;
	size_t hl = strlen(host);
	if (host[0] == '[') {
		if (hl > IP6_MAX) {
			host_too_long(u);
			return;
		}
		u->host_is_ip = true;
		u->host_ascii = u->host_unicode = host;
		return;
	}
	while (hl && host[hl - 1] == '.') /* trailing root dot */
		hl--;
	char *trimmed = pc_arena_strndup(a, host, hl);
	if (!trimmed)
		return;
	char quad[16];
	if (ascii && parse_ipv4(trimmed, quad)) { /* any length: "0000...01.2.3.4" is an address */
		u->host_is_ip = true;
		u->host_ascii = u->host_unicode = pc_arena_strdup(a, quad);
		return;
	}
	/* the DNS bounds, before any per-label work (IDNA, public suffixes) */
	if (ascii ? hl > HOST_MAX || !labels_fit(trimmed, hl, LABEL_MAX)
	          : hl > UHOST_MAX || !labels_fit(trimmed, hl, ULABEL_MAX)) {
		host_too_long(u);
		return;
	}
	if (ascii && !strstr(trimmed, "xn--")) {
		u->host_ascii = u->host_unicode = trimmed;
	} else {
		char out[PC_DOMAIN_KEY_CAP];
		int ol = pc_idna_ascii(trimmed, out, sizeof out);
		if (ol == PC_IDNA_TOO_LONG) {
			host_too_long(u);
			return;
		}
		if (ol >= 0) {
			while (ol && out[ol - 1] == '.')
				ol--;
			bool fits = ol <= HOST_MAX && labels_fit(out, (size_t)ol, LABEL_MAX);
			u->host_ascii = fits ? pc_arena_strdup(a, out) : NULL;
			if (!fits) {
				host_too_long(u);
				return;
			}
		} else {
			u->idna_error = true;
			u->host_ascii = NULL;
		}
		u->host_unicode = pc_idna_unicode(a, u->host_ascii ? u->host_ascii : trimmed);
		if (!u->host_unicode)
			u->host_unicode = trimmed;
	}
	if (u->host_ascii && parse_ipv4(u->host_ascii, quad)) {
		u->host_is_ip = true;
		u->host_ascii = u->host_unicode = pc_arena_strdup(a, quad);
		return;
	}
	if (u->host_ascii && *u->host_ascii) {
		const char *rd = pc_domain_registrable(u->host_ascii);
		if (rd)
			u->domain = pc_arena_strdup(a, rd);
	}
}

pc_url *pc_url_parse(pc_arena *a, const char *s, size_t n)
{
	pc_url *u = pc_arena_calloc(a, 1, sizeof *u);
	if (!u)
		return NULL;
	u->port = -1;
	/* Trim C0 controls and spaces, as browsers do. */
	while (n && (unsigned char)s[0] <= 0x20) {
		s++;
		n--;
	}
	while (n && (unsigned char)s[n - 1] <= 0x20)
		n--;
	u->raw = pc_arena_utf8(a, s, n);
	if (!u->raw)
		return NULL;
	/* Remove tab and newline everywhere (a copy only when there are any:
	 * the pieces below are read by length, never as C strings). */
	const char *c = s;
	size_t cn = n;
	if (memchr(s, '\t', n) || memchr(s, '\n', n) || memchr(s, '\r', n)) {
		char *w = pc_arena_alloc(a, n + 1);
		if (!w)
			return NULL;
		cn = 0;
		for (size_t i = 0; i < n; i++)
			if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
				w[cn++] = s[i];
		w[cn] = '\0';
		c = w;
	}

	size_t i = 0;
	if (cn && isalpha((unsigned char)c[0])) {
		size_t j = 1;
		while (j < cn && (isalnum((unsigned char)c[j]) || c[j] == '+' || c[j] == '-' || c[j] == '.'))
			j++;
		if (j < cn && c[j] == ':') {
			char *sch = pc_arena_strndup(a, c, j);
			if (!sch)
				return NULL;
			for (char *p = sch; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			u->scheme = sch;
			i = j + 1;
		}
	}
	if (!u->scheme)
		u->scheme = "";
	bool special = is_special(u->scheme);
	bool has_authority = false;
	if (special) {
		while (i < cn && (c[i] == '/' || c[i] == '\\'))
			i++;
		has_authority = true;
	} else if (!u->scheme[0] && cn - i >= 2 && (c[i] == '/' || c[i] == '\\') &&
	           (c[i + 1] == '/' || c[i + 1] == '\\')) {
		/* Scheme-relative: a mail client's page is http(s) (webmail) —
		 * special — so any run of / and \ leads to the host. */
		while (i < cn && (c[i] == '/' || c[i] == '\\'))
			i++;
		has_authority = true;
		special = true;
	} else if (cn - i >= 2 && c[i] == '/' && c[i + 1] == '/') {
		i += 2;
		has_authority = true;
	}
	if (has_authority) {
		size_t end = i;
		while (end < cn && c[end] != '/' && c[end] != '?' && c[end] != '#' && !(special && c[end] == '\\'))
			end++;
		/* userinfo is up to the last '@' */
		size_t at = end;
		for (size_t k = i; k < end; k++)
			if (c[k] == '@')
				at = k;
		if (at < end) {
			u->userinfo = pc_arena_utf8(a, c + i, at - i);
			i = at + 1;
		}
		size_t hend = end;
		if (i < end && c[i] == '[') {
			size_t rb = i;
			while (rb < end && c[rb] != ']')
				rb++;
			hend = rb < end ? rb + 1 : end;
		} else {
			for (size_t k = i; k < end; k++)
				if (c[k] == ':') {
					hend = k;
					break;
				}
		}
		set_host(a, u, c + i, hend - i);
		if (hend < end && c[hend] == ':') {
			long port = 0;
			size_t k = hend + 1;
			if (k == end)
				port = -1;
			for (; k < end; k++) {
				if (!isdigit((unsigned char)c[k]) || port > 65535) {
					port = -2;
					break;
				}
				port = port * 10 + (c[k] - '0');
			}
			u->port = port > 65535 ? -2 : (int)port;
		}
		i = end;
	}
	size_t pend = i;
	while (pend < cn && c[pend] != '?' && c[pend] != '#')
		pend++;
	u->path = pc_arena_utf8(a, c + i, pend - i);
	if (!u->path)
		return NULL; /* the arena is full: path is never NULL for the detectors */
	split_path(a, u, c + i, pend - i, special || has_authority);
	i = pend;
	if (i < cn && c[i] == '?') {
		size_t qend = i + 1;
		while (qend < cn && c[qend] != '#')
			qend++;
		u->query = pc_arena_utf8(a, c + i + 1, qend - i - 1);
		split_query(a, u, c + i + 1, qend - i - 1);
		i = qend;
	}
	if (i < cn && c[i] == '#')
		u->fragment = pc_arena_utf8(a, c + i + 1, cn - i - 1);
	return u;
}

bool pc_url_is_remote(const pc_url *u)
{
	if (!u || !u->host || !*u->host)
		return false;
	return !strcmp(u->scheme, "http") || !strcmp(u->scheme, "https") || !strcmp(u->scheme, "ftp") ||
	       !strcmp(u->scheme, "ws") || !strcmp(u->scheme, "wss") || u->scheme[0] == '\0';
}

char *pc_url_resolve(pc_arena *a, const char *base, const char *ref)
{
	return pc_url_resolve_url(a, pc_url_parse(a, base, strlen(base)), ref);
}

/* Appends n bytes at *o. */
static void put(char *dst, size_t *o, const char *s, size_t n)
{
	memcpy(dst + *o, s, n);
	*o += n;
}

char *pc_url_resolve_url(pc_arena *a, const pc_url *b, const char *ref)
{
	if (!b || !pc_url_is_remote(b) || !b->scheme[0])
		return NULL;
	while (*ref && (unsigned char)*ref <= 0x20)
		ref++;
	if ((ref[0] == '/' || ref[0] == '\\') && (ref[1] == '/' || ref[1] == '\\')) {
		while (*ref == '/' || *ref == '\\') /* scheme-relative, as pc_url_parse reads it */
			ref++;
		return pc_arena_printf(a, "%s://%s", b->scheme, ref);
	}
	/* scheme:rest — already absolute (a scheme starts with a letter) */
	const char *p = ref;
	if (isalpha((unsigned char)*p)) {
		while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
			p++;
		if (*p == ':')
			return NULL;
	}
	const char *hostpart = b->port >= 0
	                           ? pc_arena_printf(a, "%s:%d", b->host_ascii ? b->host_ascii : b->host, b->port)
	                           : (b->host_ascii ? b->host_ascii : b->host);
	if (!hostpart)
		return NULL;
	/* Merge (RFC 3986 5.2.3), then remove dot segments (5.2.4). Every
	 * buffer is sized first and taken from the arena before any byte is
	 * copied: a long base path resolved for each of many links stops at
	 * the arena's ceiling instead of formatting strings nobody keeps. */
	const char *q = ref + strcspn(ref, "?#");
	bool same_doc = ref[0] == '?' || ref[0] == '#' || !ref[0];
	const char *bp = b->path && *b->path ? b->path : "/";
	const char *m1 = "", *m2 = "", *m3 = "";
	size_t l1 = 0, l2 = 0, l3 = 0;
	if (ref[0] == '/') {
		m3 = ref;
		l3 = (size_t)(q - ref);
	} else if (same_doc) {
		m2 = bp;
		l2 = strlen(bp);
	} else {
		const char *slash = strrchr(bp, '/');
		if (!slash) {
			m1 = "/";
			l1 = 1;
		}
		m2 = bp;
		l2 = slash ? (size_t)(slash - bp) + 1 : 0;
		m3 = ref;
		l3 = (size_t)(q - ref);
	}
	const char *tail = same_doc ? ref : q;
	size_t ls = strlen(b->scheme), lh = strlen(hostpart), lm = l1 + l2 + l3, lt = strlen(tail);
	char *merged = pc_arena_alloc(a, lm + 1);
	char *res = merged ? pc_arena_alloc(a, ls + 3 + lh + lm + 1 + lt + 1) : NULL;
	if (!res)
		return NULL;
	size_t mo = 0;
	put(merged, &mo, m1, l1);
	put(merged, &mo, m2, l2);
	put(merged, &mo, m3, l3);
	merged[mo] = '\0';
	size_t r = 0;
	put(res, &r, b->scheme, ls);
	put(res, &r, "://", 3);
	put(res, &r, hostpart, lh);
	char *out = res + r; /* the path, dot segments removed */
	size_t o = 0;
	const char *in = merged;
	while (*in) {
		if (!strncmp(in, "../", 3))
			in += 3;
		else if (!strncmp(in, "./", 2))
			in += 2;
		else if (!strncmp(in, "/./", 3))
			in += 2;
		else if (!strcmp(in, "/."))
			in = "/";
		else if (!strncmp(in, "/../", 4) || !strcmp(in, "/..")) {
			in = in[3] ? in + 3 : "/";
			while (o > 0 && out[--o] != '/')
				;
		} else if (!strcmp(in, ".") || !strcmp(in, ".."))
			in += strlen(in);
		else {
			do
				out[o++] = *in++;
			while (*in && *in != '/');
		}
	}
	if (!o)
		out[o++] = '/';
	r += o;
	put(res, &r, tail, lt);
	res[r] = '\0';
	return res;
}

/* ---- canonical form (see url.h) -------------------------------------- */

static int default_port(const char *scheme)
{
	if (!strcmp(scheme, "http") || !strcmp(scheme, "ws"))
		return 80;
	if (!strcmp(scheme, "https") || !strcmp(scheme, "wss"))
		return 443;
	if (!strcmp(scheme, "ftp"))
		return 21;
	return -1;
}

/* RFC 3986 unreserved: an escape of one of these names the same byte to
 * every server, and Chromium decodes them in the path (%41 is sent as A). */
static bool unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Appends s, escapes as a browser sends them: bytes of `enc` (and C0,
 * space, DEL, non-ASCII) percent-encoded, escapes of unreserved bytes
 * decoded, the hex digits of the other escapes upper case, and a '%'
 * that starts no escape written %25 (the form a server reads it in; it
 * keeps the result a fixed point: "%%34%31" would otherwise become "%41"
 * and then "A"). At most 3 bytes out per byte in. */
static size_t canon_bytes(char *out, const char *s, size_t n, const char *enc)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i], h, l;
		if (c == '%' && i + 2 < n && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			c = h * 16 + l;
			i += 2;
			if (unreserved(c)) {
				out[o++] = (char)c;
				continue;
			}
		} else if (c > 0x20 && c < 0x7f && c != '%' && !strchr(enc, c)) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '%';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	return o;
}

/* A host label that WHATWG reads as a number ("ends in a number"): the
 * host must then be an IPv4 address, or the URL is refused. */
static bool ends_in_number(const char *h)
{
	size_t n = strlen(h);
	if (n && h[n - 1] == '.')
		n--;
	size_t b = n;
	while (b && h[b - 1] != '.')
		b--;
	if (b == n)
		return false;
	if (n - b >= 2 && h[b] == '0' && (h[b + 1] == 'x' || h[b + 1] == 'X')) {
		for (size_t i = b + 2; i < n; i++)
			if (!isxdigit((unsigned char)h[i]))
				return false;
		return true;
	}
	for (size_t i = b; i < n; i++)
		if (!isdigit((unsigned char)h[i]))
			return false;
	return true;
}

/* "[...]" to WHATWG's serialisation: lower-case hex without leading
 * zeros, the first longest run of two or more zero pieces as "::", an
 * embedded IPv4 written as two pieces. out: at least 48 bytes. */
static bool canon_ipv6(const char *h, char *out)
{
	size_t n = strlen(h);
	char in[IP6_MAX + 1];
	if (n < 3 || n > IP6_MAX || h[0] != '[' || h[n - 1] != ']')
		return false;
	memcpy(in, h + 1, n - 2);
	in[n - 2] = '\0';
	unsigned char b[16];
	if (inet_pton(AF_INET6, in, b) != 1)
		return false;
	unsigned piece[8];
	for (int i = 0; i < 8; i++)
		piece[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
	int best = -1, bestlen = 1;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && !piece[j])
			j++;
		if (j - i > bestlen) {
			best = i;
			bestlen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	size_t o = 0;
	out[o++] = '[';
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			out[o++] = ':';
			if (i == 0)
				out[o++] = ':';
			i += bestlen - 1;
			continue;
		}
		o += (size_t)snprintf(out + o, 6, "%x", piece[i]);
		if (i < 7)
			out[o++] = ':';
	}
	out[o++] = ']';
	out[o] = '\0';
	return true;
}

const char *pc_url_canonical(pc_arena *a, const pc_url *u)
{
	if (!pc_url_is_remote(u) || u->port == -2)
		return NULL;
	/* a scheme-relative URL is fetched with the scheme of the page that
	 * holds it: a webmail page, https */
	const char *scheme = u->scheme[0] ? u->scheme : "https";
	char v6[64];
	const char *host = u->host_ascii;
	if (u->host_is_ip && u->host[0] == '[') {
		if (!canon_ipv6(u->host, v6))
			return NULL;
		host = v6;
	} else if (!u->host_is_ip) {
		/* refused by the browser: IDNA error, DNS bounds (pc_url_parse
		 * keeps no host_ascii then), a forbidden code point, a last
		 * label that is a number but no IPv4 address ("1.2.3.256") */
		if (!host || !*host || ends_in_number(host))
			return NULL;
		for (const char *p = host; *p; p++)
			if ((unsigned char)*p <= 0x20 || *p == 0x7f || strchr("#%/:<>?@[\\]^|", *p))
				return NULL;
	}
	if (!host)
		return NULL;
	int dp = default_port(scheme);
	const char *path = u->path ? u->path : "";
	const char *q = u->query && u->query[0] ? u->query : NULL;
	size_t pn = strlen(path), qn = q ? strlen(q) : 0;
	size_t cap = strlen(scheme) + 3 + strlen(host) + 7 + 3 * pn + 2 + 3 * qn + 2;
	char *out = pc_arena_alloc(a, cap);
	if (!out)
		return NULL;
	int w = u->port >= 0 && u->port != dp ? snprintf(out, cap, "%s://%s:%d", scheme, host, u->port)
	                                      : snprintf(out, cap, "%s://%s", scheme, host);
	if (w < 0 || (size_t)w >= cap)
		return NULL;
	size_t o = (size_t)w, root = o;
	/* The path: `\` is `/` (every remote scheme is special), each segment
	 * canonical, then "." and ".." segments applied as WHATWG does, with
	 * %2e read as '.' (a segment ending the path leaves a '/'). Popping
	 * walks back over bytes written once: linear. */
	size_t i = pn && (path[0] == '/' || path[0] == '\\') ? 1 : 0;
	if (pn) {
		for (;;) {
			size_t e = i;
			while (e < pn && path[e] != '/' && path[e] != '\\')
				e++;
			bool last = e == pn;
			size_t seg = o;
			out[o++] = '/';
			o += canon_bytes(out + o, path + i, e - i, "\"#<>?^`{|}");
			size_t sl = o - seg - 1;
			bool dot = sl == 1 && out[seg + 1] == '.';
			bool dotdot = sl == 2 && out[seg + 1] == '.' && out[seg + 2] == '.';
			if (dot || dotdot) {
				o = seg;
				if (dotdot)
					while (o > root && out[--o] != '/')
						;
				if (last)
					out[o++] = '/';
			}
			if (last)
				break;
			i = e + 1;
		}
	}
	if (o == root)
		out[o++] = '/';
	/* An empty query reaches the same resource as none (and would be one
	 * more spelling); the fragment is never sent. */
	if (q) {
		out[o++] = '?';
		o += canon_bytes(out + o, q, qn, "\"#<>'");
	}
	out[o] = '\0';
	return out;
}

const char *pc_url_canonical_str(pc_arena *a, const char *s, size_t n)
{
	return pc_url_canonical(a, pc_url_parse(a, s, n));
}
