/*
 * NAME
 *   tracker - hidden pixels, web bugs, click trackers, identity leaks and
 *   read-receipt requests
 * SYNOPSIS
 *   pc_detector_tracker    (listed in detectors.c; its state: a pc_leak matcher)
 * DESCRIPTION
 *   Trackers are found by what they are, not by who runs them. Every remote
 *   resource the extract stage found gets signals:
 *     strong (one is enough): rendered size <= 3 px in a dimension or area
 *       <= 9 px²; hidden (display:none, visibility:hidden, opacity:0, zero
 *       max size, offscreen, in a hidden or zero-size container); the
 *       recipient's identity in the URL; a host on a loaded tracker list.
 *     weak: an opaque token (UUID, >= 16 hex, >= 20 random-looking
 *       base64url) in a path segment or query value; a tracking word in the
 *       path or host (open, track, pixel, beacon, /o/, wf/open, ...); the
 *       only resource from its host; no alt text; among the last elements
 *       of the part; a query string on an image.
 *   A resource is a tracker with one strong signal, or with two weak ones
 *   of which at least one is in the URL itself (token, word, query):
 *   "no alt" and "only one from its host" describe every plain logo too.
 *   Links are click trackers when they wrap another URL (a query value or
 *   path that is, or base64-decodes to, an http(s) URL; reported with the
 *   destination), leak the identity, are on a list, or carry a token on a
 *   click-tracking path or host. Security gateways' link wrappers
 *   (Safe Links, URL Defense, ...) are not trackers: their destination is
 *   judged instead.
 *   Identity leaks are searched in the URL as written, after one level of
 *   percent-decoding and in base64 runs decoded once (leak.h).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/detect.h"
#include "detect/lib/leak.h"
#include "parse/domain.h"
#include "parse/url.h"

#define MAX_SIGNALS 24
#define MAX_B64_RUNS 16

typedef struct sigs {
	const char *v[MAX_SIGNALS];
	size_t n;
	int strong, weak;
	int weight;     /* weak evidence of resources, in half signals (4 = two full ones) */
	int url_weight; /* the part of it that is in the URL itself */
} sigs;

enum { STRONG, WEAK };

static void sig(sigs *s, const char *name, int kind);

static void sigw(sigs *s, const char *name, int halves)
{
	if (!name)
		return;
	size_t before = s->n;
	sig(s, name, WEAK);
	if (s->n > before)
		s->weight += halves;
}

static void sig(sigs *s, const char *name, int kind)
{
	if (!name || s->n >= MAX_SIGNALS)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return;
	s->v[s->n++] = name;
	if (kind == STRONG)
		s->strong++;
	else
		s->weak++;
}

/* ---- tokens ---------------------------------------------------------- */

static bool hexc(char c)
{
	return isxdigit((unsigned char)c);
}

static bool is_uuid_at(const char *s, size_t n)
{
	static const int groups[] = {8, 4, 4, 4, 12};
	size_t i = 0;
	for (int g = 0; g < 5; g++) {
		for (int k = 0; k < groups[g]; k++, i++)
			if (i >= n || !hexc(s[i]))
				return false;
		if (g < 4) {
			if (i >= n || s[i] != '-')
				return false;
			i++;
		}
	}
	return true;
}

static double entropy(const char *s, size_t n)
{
	unsigned cnt[256] = {0};
	for (size_t i = 0; i < n; i++)
		cnt[(unsigned char)s[i]]++;
	double e = 0;
	for (int c = 0; c < 256; c++)
		if (cnt[c]) {
			double p = (double)cnt[c] / (double)n;
			e -= p * log2(p);
		}
	return e;
}

static int cclass(unsigned char c)
{
	return isdigit(c) ? 0 : isupper(c) ? 1 : islower(c) ? 2 : 3;
}

/* A slug: words and numbers joined by '-' or '_' ("2002-09-30-bear-market"),
 * each piece all letters or all digits. Tokens mix them within a piece. */
static bool slug(const char *s, size_t n)
{
	bool sep = false;
	size_t i = 0;
	while (i < n) {
		size_t st = i;
		while (i < n && s[i] != '-' && s[i] != '_' && s[i] != '/' && s[i] != '+' && s[i] != '.')
			i++;
		size_t digits = 0, upper = 0, len = i - st;
		for (size_t k = st; k < i; k++) {
			digits += isdigit((unsigned char)s[k]) != 0;
			upper += isupper((unsigned char)s[k]) != 0;
		}
		/* a word ("mail2ueberblick", "Hausliste", "HTML") or a number */
		bool word = digits == len || (digits <= 2 && (upper <= 2 || upper == len - digits));
		if (len && !word)
			return false;
		if (i < n) {
			sep = true;
			i++;
		}
	}
	return sep;
}

/* A run of base64url characters that looks random rather than like words:
 * letters and digits mixed, high entropy, frequent changes between digits,
 * upper and lower case (CamelCase words change rarely), not a slug. */
static bool random_run(const char *s, size_t n)
{
	if (n < 20 || slug(s, n))
		return false;
	size_t switches = 0, digits = 0, upper = 0, lower = 0;
	for (size_t i = 0; i < n; i++) {
		int c = cclass((unsigned char)s[i]);
		digits += c == 0;
		upper += c == 1;
		lower += c == 2;
		if (i && c != cclass((unsigned char)s[i - 1]))
			switches++;
	}
	int classes = (digits > 0) + (upper > 0) + (lower > 0);
	if (classes < 2 || digits + upper + lower < n / 2)
		return false;
	double e = entropy(s, n), sw = (double)switches / (double)n;
	bool seen[256] = {false};
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++)
		if (!seen[(unsigned char)s[i]]) {
			seen[(unsigned char)s[i]] = true;
			distinct++;
		}
	/* random over a small alphabet (lower case and digits) has less
	 * entropy per character but many distinct characters */
	return (sw >= 0.3 && e >= 3.5) || (sw >= 0.12 && e >= 4.0) || (sw >= 0.25 && distinct * 2 >= n && e >= 3.2);
}

/* 12 to 19 characters: only with all of digits, upper and lower case
 * alternating (n2AWjexJs2oUF0R), which words and ids do not do. */
static bool short_random(const char *s, size_t n)
{
	if (n < 12 || n >= 20)
		return false;
	size_t switches = 0, cls[4] = {0};
	for (size_t i = 0; i < n; i++) {
		int c = cclass((unsigned char)s[i]);
		cls[c]++;
		if (i && c != cclass((unsigned char)s[i - 1]))
			switches++;
	}
	return cls[0] && cls[1] >= 2 && cls[2] >= 2 && !cls[3] && (double)switches / (double)n >= 0.4 &&
	       entropy(s, n) >= 3.4;
}

/* The kind of opaque token in s, or NULL. */
static const char *token_kind(const char *s, size_t n)
{
	size_t hexrun = 0, b64run = 0;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '\0';
		if (i < n && hexc(c) && (i == 0 || !hexc(s[i - 1])) && is_uuid_at(s + i, n - i))
			return "token-uuid";
		if (i < n && hexc(c))
			hexrun++;
		else {
			if (hexrun >= 16) {
				/* mostly digits is a number (an article or order id), not
				 * a digest: 16 random hex digits hold ~6 letters */
				size_t letters = 0;
				for (size_t k = i - hexrun; k < i; k++)
					letters += isalpha((unsigned char)s[k]) != 0;
				if (letters >= 3 && hexrun - letters >= 2)
					return "token-hex";
			}
			hexrun = 0;
		}
		if (i < n && (isalnum((unsigned char)c) || c == '-' || c == '_' || c == '+' || c == '/' || c == '='))
			b64run++;
		else {
			if (b64run >= 20) {
				const char *r = s + i - b64run;
				size_t rl = b64run;
				while (rl && r[rl - 1] == '=')
					rl--;
				if (random_run(r, rl))
					return "token-b64";
			}
			b64run = 0;
		}
	}
	return NULL;
}

static bool has_ext(const char *s, size_t n, const char *const *exts)
{
	const char *dot = NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '.')
			dot = s + i;
	if (!dot)
		return false;
	size_t el = n - (size_t)(dot + 1 - s);
	for (size_t k = 0; exts[k]; k++)
		if (strlen(exts[k]) == el && !strncasecmp(dot + 1, exts[k], el))
			return true;
	return false;
}

static const char *const asset_exts[] = {"png", "jpg",  "jpeg",  "gif", "webp", "svg", "bmp", "ico", "avif",
                                         "css", "woff", "woff2", "ttf", "otf",  "eot", "js",  NULL};

/* Query keys that carry asset versions and image transforms, not people. */
static bool asset_key(const char *k)
{
	static const char *const keys[] = {"v",       "ver",    "version", "hash",   "cb",     "rev", "itok",
	                                   "w",       "width",  "h",       "height", "format", "fm",  "q",
	                                   "quality", "fit",    "crop",    "auto",   "dpr",    "s",   "size",
	                                   "sz",      "resize", "ts",      "t",      "_",      NULL};
	for (size_t i = 0; keys[i]; i++)
		if (!strcasecmp(k, keys[i]))
			return true;
	return false;
}

/* Token in a path segment (not a content-hash file name of an asset) or a
 * query value (not an asset parameter). */
static const char *url_token(const pc_url *u, bool resource)
{
	/* a path ending in a readable asset file name ("Header-Logo.png") is
	 * a storage path: its hex directories are content or account ids */
	bool asset_path = false;
	if (u->nsegments) {
		const char *last = u->segments[u->nsegments - 1];
		asset_path = has_ext(last, strlen(last), asset_exts);
	}
	for (size_t i = 0; i < u->nsegments; i++) {
		const char *sg = u->segments[i];
		size_t l = strlen(sg);
		if (asset_path)
			break;
		const char *t = token_kind(sg, l);
		if (t)
			return t;
	}
	size_t k = 0;
	for (const pc_kv *p = u->params; p && k < 64; p = p->next, k++) {
		if (resource && asset_key(p->key))
			continue;
		/* "?TOKEN" without '=' is a key with an empty value */
		const char *v = p->value && *p->value ? p->value : p->key;
		if (!v)
			continue;
		const char *t = token_kind(v, strlen(v));
		if (t)
			return t;
		if (!resource && short_random(v, strlen(v)))
			return "token-b64";
	}
	if (u->fragment) {
		const char *t = token_kind(u->fragment, strlen(u->fragment));
		if (t)
			return t;
	}
	return NULL;
}

static bool query_token(const pc_url *u)
{
	size_t k = 0;
	for (const pc_kv *p = u->params; p && k < 64; p = p->next, k++) {
		const char *v = p->value && *p->value ? p->value : p->key;
		if (v && !asset_key(p->key) && token_kind(v, strlen(v)))
			return true;
	}
	return false;
}

/* An identifier in a URL, however short: a query value under an id-like
 * key ("id", "uid", "u", "r", "e", "sid" ...) of 4+ characters with a
 * digit or 6+ letters, a query value of 4+ digits or 8+ characters mixing
 * letters and digits (not an asset parameter: size, version, format; not
 * "600x120"), or, when path_ids, a path segment of 5+ digits outside a
 * storage path. Content has such ids too (an article's); a stylesheet, a
 * font, a cursor or a background has none of its own to carry. */
static bool dimensions(const char *v)
{
	/* "900x900", "600x120": a size, not an id */
	const char *x = strpbrk(v, "xX");
	if (!x || x == v || !x[1])
		return false;
	for (const char *p = v; *p; p++)
		if (p != x && !isdigit((unsigned char)*p))
			return false;
	return true;
}

static const char *id_in_url(const pc_url *u, bool path_ids)
{
	static const char *const id_keys[] = {
	    "id", "uid",  "u",      "r",   "rid",        "e",       "eid",       "sid",  "cid",   "mid",
	    "m",  "user", "userid", "sub", "subscriber", "contact", "recipient", "rcpt", "email", "token",
	    "tk", "key",  "ref",    "trk", "code",       "x",       "k",         "c",    "i",     NULL};
	size_t k = 0;
	for (const pc_kv *p = u->params; p && k < 64; p = p->next, k++) {
		const char *v = p->value && *p->value ? p->value : NULL;
		if (!v || !p->key || asset_key(p->key) || !strcasecmp(p->key, "family") ||
		    !strcasecmp(p->key, "display"))
			continue;
		size_t n = strlen(v), digits = 0, alpha = 0, other = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)v[i];
			if (isdigit(c))
				digits++;
			else if (isalpha(c))
				alpha++;
			else if (c != '-' && c != '_')
				other++;
		}
		if (other)
			continue;
		bool idkey = false;
		for (size_t i = 0; id_keys[i]; i++)
			if (!strcasecmp(p->key, id_keys[i]))
				idkey = true;
		if (dimensions(v))
			continue;
		if ((idkey && n >= 4 && digits) || (idkey && n >= 6) || (digits >= 4 && !alpha) ||
		    (n >= 8 && digits && alpha))
			return "id-in-url";
	}
	if (!path_ids)
		return NULL;
	/* a path ending in an asset file name is a storage path: its numbers
	 * are account and content ids (img.mailinblue.com/2670624/images/..png) */
	if (u->nsegments) {
		const char *last = u->segments[u->nsegments - 1];
		if (has_ext(last, strlen(last), asset_exts))
			return NULL;
	}
	for (size_t i = 0; i < u->nsegments; i++) {
		const char *sg = u->segments[i];
		size_t l = strlen(sg), d = 0;
		while (d < l && isdigit((unsigned char)sg[d]))
			d++;
		if (d == l && l >= 5)
			return "id-in-url";
	}
	return NULL;
}

/* Several numbers in a path, or in a fragment written as one: five or
 * more segments that are numbers ("1634", "3385_md"), the ids of list,
 * message and recipient a mailer's links carry ("/cl/3385_md/22222/1634/
 * 1764/410/1190"). A date is three. */
static const char *numbers_in_path(const pc_url *u)
{
	size_t k = 0;
	for (size_t i = 0; i < u->nsegments; i++) {
		const char *sg = u->segments[i];
		size_t d = 0;
		while (isdigit((unsigned char)sg[d]))
			d++;
		if (d && (!sg[d] || (sg[d] == '_' && strlen(sg + d) <= 5)))
			k++;
	}
	if (k < 5 && u->fragment) {
		k = 0;
		for (const char *p = u->fragment; *p;) {
			const char *e = strchr(p, '/');
			size_t l = e ? (size_t)(e - p) : strlen(p), d = 0;
			while (d < l && isdigit((unsigned char)p[d]))
				d++;
			if (d && (d == l || (p[d] == '_' && l - d <= 5)))
				k++;
			p = e ? e + 1 : p + l;
		}
	}
	return k >= 5 ? "token-path-numbers" : NULL;
}

/* On a click-tracking path or host: a short opaque value, 8+ characters
 * mixing letters and digits, as a query value or a query without '='
 * ("r?1000010979.505.5.3LiGMlCfBL1X7s", "?A/f920a9a9ef"). */
static const char *short_token(const pc_url *u)
{
	size_t k = 0;
	for (const pc_kv *p = u->params; p && k < 64; p = p->next, k++) {
		const char *v = p->value && *p->value ? p->value : p->key;
		if (!v || asset_key(p->key))
			continue;
		size_t n = strlen(v), digits = 0, alpha = 0, space = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)v[i];
			digits += isdigit(c) != 0;
			alpha += isalpha(c) != 0;
			space += isspace(c) != 0;
		}
		if (n >= 8 && n <= 256 && digits && alpha && !space && dimensions(v) == false)
			return "token-short";
	}
	return NULL;
}

/* A recipient or list id in a link: >= 6 digits as a query value or path
 * segment (possibly "id:id"). */
static const char *number_id(const pc_url *u)
{
	size_t k = 0;
	for (const pc_kv *p = u->params; p && k < 64; p = p->next, k++) {
		const char *v = p->value;
		size_t digits = 0;
		for (; v && *v; v++)
			digits = isdigit((unsigned char)*v) ? digits + 1 : (digits >= 6 ? digits : 0);
		if (digits >= 6)
			return "token-number";
	}
	for (size_t i = 0; i < u->nsegments; i++) {
		const char *sg = u->segments[i];
		size_t l = strlen(sg), d = 0;
		while (d < l && isdigit((unsigned char)sg[d]))
			d++;
		if (d == l && l >= 6)
			return "token-number";
	}
	return NULL;
}

/* ---- words ----------------------------------------------------------- */

static const char *const gif_ext[] = {"gif", "png", NULL};

static const char *path_word(const pc_url *u, bool link)
{
	static const char *const img_words[] = {"o",          "open",     "opened", "opens",  "track",  "tracking",
	                                        "tracker",    "trk",      "pixel",  "pixels", "beacon", "imp",
	                                        "impression", "openrate", "mo",     "ot",     "1x1",    NULL};
	static const char *const stems[] = {"open.", "pixel",    "beacon", "track.", "t.gif",
	                                    "t.png", "spacer.",  "blank.", "clear.", "transparent.",
	                                    "1x1.",  "tracking", "open?",  NULL};
	static const char *const link_words[] = {"click", "clicks",   "c",   "ls",   "l",     "r", "redirect",
	                                         "track", "tracking", "trk", "link", "links", "t", "go",
	                                         "ct",    "cl",       "wf",  "e",    NULL};
	for (size_t i = 0; i < u->nsegments; i++) {
		const char *sg = u->segments[i];
		const char *const *w = link ? link_words : img_words;
		for (size_t k = 0; w[k]; k++)
			if (!strcasecmp(sg, w[k]))
				return link ? "path-click" : "path-open";
		if (!link && i + 1 == u->nsegments && has_ext(sg, strlen(sg), gif_ext)) {
			static const char *const spacer[] = {"spacer", "spcr", "clear", "blank", "transparent",
			                                     "pixel",  "1x1",  "shim",  NULL};
			for (size_t k = 0; spacer[k]; k++)
				if (strcasestr(sg, spacer[k]))
					return "path-spacer";
		}
		if (!link) {
			if (!strcasecmp(sg, "wf") && i + 1 < u->nsegments && !strcasecmp(u->segments[i + 1], "open"))
				return "path-open";
			for (size_t k = 0; stems[k]; k++)
				if (!strncasecmp(sg, stems[k], strlen(stems[k])))
					return "path-open";
		} else if (!strncasecmp(sg, "click", 5) || strcasestr(sg, "redirect") || !strncasecmp(sg, "track", 5) ||
		           !strcasecmp(sg, "rd") || !strncasecmp(sg, "rd.", 3))
			return "path-click";
	}
	return NULL;
}

/* A first host label that names tracking: open.x, track.x, click.x ... */
static const char *host_word(const pc_url *u, bool link)
{
	const char *h = u->host;
	if (!h || u->host_is_ip || !u->domain || strlen(h) <= strlen(u->domain))
		return NULL; /* only subdomain labels, not the registrable name */
	static const char *const img[] = {"open", "opens", "track", "tracking", "trk", "pixel", "beacon",
	                                  "t",    "o",     "trck",  "mo",       "ea",  NULL};
	static const char *const lnk[] = {"click",  "clicks", "links", "link",  "track", "tracking", "trk",
	                                  "t",      "r",      "go",    "email", "e",     "em",       "url",
	                                  "ablink", "c",      "l",     "lnk",   "trck",  NULL};
	const char *dot = strchr(h, '.');
	size_t l = dot ? (size_t)(dot - h) : strlen(h);
	const char *const *w = link ? lnk : img;
	for (size_t k = 0; w[k]; k++)
		if (strlen(w[k]) == l && !strncasecmp(h, w[k], l))
			return link ? "host-click" : "host-open";
	return NULL;
}

/* ---- decoding -------------------------------------------------------- */

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes base64 (either alphabet, padding optional) into the arena; NULL
 * when it is not base64 or does not decode to mostly printable text. */
static char *b64_text(pc_arena *a, const char *s, size_t n, size_t *outn)
{
	while (n && s[n - 1] == '=')
		n--;
	if (n < 8 || n % 4 == 1)
		return NULL;
	char *out = pc_arena_alloc(a, n * 3 / 4 + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	unsigned v = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int d = b64val((unsigned char)s[i]);
		if (d < 0)
			return NULL;
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(v >> bits & 0xff);
		}
	}
	out[o] = '\0';
	size_t printable = 0;
	for (size_t i = 0; i < o; i++) {
		unsigned char c = (unsigned char)out[i];
		printable += (c >= 32 && c < 127) || c == '\t' || c == '\n' || c >= 0x80;
	}
	if (printable * 10 < o * 9)
		return NULL;
	*outn = o;
	return out;
}

static bool starts_http(const char *s)
{
	return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8) || !strncasecmp(s, "http:\\\\", 7) ||
	       !strncasecmp(s, "https:\\\\", 8);
}

/* The URL a click tracker wraps, decoded; NULL when it wraps none. */
static const char *wrapped(pc_arena *a, const pc_url *u)
{
	size_t k = 0;
	for (const pc_kv *p = u->params; p && k < 64; p = p->next, k++) {
		const char *v = p->value;
		if (!v || !*v)
			continue;
		if (!strncasecmp(v, "http%3a", 7) || !strncasecmp(v, "https%3a", 8)) /* encoded twice */
			v = pc_url_pct_decode(a, v, strlen(v));
		if (v && starts_http(v))
			return v;
		if (v && !strncasecmp(v, "www.", 4) && strchr(v, '.') != strrchr(v, '.'))
			return pc_arena_printf(a, "http://%s", v);
		size_t dn = 0;
		const char *d = v ? b64_text(a, v, strlen(v), &dn) : NULL;
		if (d && starts_http(d))
			return d;
	}
	bool looked = false;
	for (size_t i = 0; i < u->nsegments; i++) {
		const char *sg = u->segments[i];
		if (!looked && (starts_http(sg) || !strncasecmp(sg, "http:", 5) || !strncasecmp(sg, "https:", 6))) {
			/* the rest of the path is the wrapped URL: "https:" "" "host" ...
			 * Looked for once: each look is a pass over the URL, and a
			 * path can hold 512 such segments */
			looked = true;
			const char *rest = strstr(u->raw, sg);
			if (!rest) {
				const char *dec = pc_url_pct_decode(a, u->raw, strlen(u->raw));
				rest = dec ? strstr(dec, sg) : NULL;
			}
			if (rest)
				return pc_url_pct_decode(a, rest, strlen(rest));
		}
		size_t dn = 0;
		const char *d = strlen(sg) >= 16 ? b64_text(a, sg, strlen(sg), &dn) : NULL;
		if (d && starts_http(d))
			return d;
	}
	return NULL;
}

/* The end of a chain of wrappers (a click tracker wrapping a redirector
 * wrapping the page), at most 16 deep: the rewritten link goes straight
 * there, so rewriting it again finds nothing to unwrap. */
static const char *innermost(pc_arena *a, const pc_url *u)
{
	const char *dest = wrapped(a, u);
	for (int depth = 0; dest && depth < 16; depth++) {
		pc_url *du = pc_url_parse(a, dest, strlen(dest));
		const char *next = du ? wrapped(a, du) : NULL;
		if (!next)
			break;
		dest = next;
	}
	return dest;
}

static bool security_wrapper(const pc_url *u)
{
	static const char *const hosts[] = {"safelinks.protection.outlook.com",
	                                    "urldefense.proofpoint.com",
	                                    "urldefense.com",
	                                    "mimecast.com",
	                                    "mimecastprotect.com",
	                                    "linkprotect.cudasvc.com",
	                                    "secure-web.cisco.com",
	                                    "clicktime.symantec.com",
	                                    "scanner.topsec.com",
	                                    "protection.sophos.com",
	                                    NULL};
	const char *h = u->host;
	if (!h)
		return false;
	for (size_t i = 0; hosts[i]; i++)
		if (pc_domain_at_or_under(h, hosts[i]))
			return true;
	return false;
}

/* ---- identity leaks -------------------------------------------------- */

typedef struct leak_result {
	const char *encoding;
	const char *detail;
} leak_result;

static bool search_leak(pc_detect_ctx *ctx, pc_msg *m, const char *s, size_t n, leak_result *res)
{
	pc_leak_hit h;
	pc_arena *a = m->arena;
	if (pc_leak_find(ctx->state, s, n, &h)) {
		res->encoding = h.encoding;
		res->detail =
		    pc_arena_printf(a, "%s: %s%s%s", h.form, h.identity, h.repr ? ", " : "", h.repr ? h.repr : "");
		return true;
	}
	const char *dec = memchr(s, '%', n) ? pc_url_pct_decode(a, s, n) : NULL;
	if (dec && pc_leak_find(ctx->state, dec, strlen(dec), &h)) {
		res->encoding = !strcmp(h.encoding, "plain") ? "urlenc" : h.encoding;
		res->detail = pc_arena_printf(a, "%s: %s%s%s, percent-encoded", h.form, h.identity, h.repr ? ", " : "",
		                              h.repr ? h.repr : "");
		return true;
	}
	/* one level of base64: runs of its alphabet, decoded */
	const char *t = dec ? dec : s;
	size_t tn = dec ? strlen(dec) : n;
	size_t runs = 0;
	for (size_t i = 0; i < tn && runs < MAX_B64_RUNS;) {
		while (i < tn && b64val((unsigned char)t[i]) < 0)
			i++;
		size_t st = i;
		while (i < tn && b64val((unsigned char)t[i]) >= 0)
			i++;
		while (i < tn && t[i] == '=') /* padding ends a run */
			i++;
		if (i - st < 12)
			continue;
		runs++;
		size_t dn = 0;
		const char *d = b64_text(a, t + st, i - st, &dn);
		if (d && pc_leak_find(ctx->state, d, dn, &h)) {
			bool text = !strcmp(h.encoding, "plain") || !strcmp(h.encoding, "urlenc");
			res->encoding = text ? "b64" : h.encoding;
			res->detail = pc_arena_printf(a, "%s: %s%s%s, inside base64-encoded data", h.form, h.identity,
			                              h.repr ? ", " : "", h.repr ? h.repr : "");
			return true;
		}
	}
	return false;
}

/* ---- reporting ------------------------------------------------------- */

static const char *const vis_signal[PC_VIS_COUNT] = {
    "hidden-display-none", "hidden-visibility",     "hidden-opacity-0",
    "hidden-max-size-0",   "hidden-attribute",      "hidden-offscreen",
    "hidden-container",    "hidden-zero-container", "size-0",
    "hidden-stylesheet",   "hidden-clip",           "hidden-transform"};

static pc_tracker *report(pc_msg *m, const char *url, const char *element, const sigs *s, const leak_result *lr,
                          const char *dest)
{
	pc_arena *a = m->arena;
	pc_tracker *t = pc_arena_calloc(a, 1, sizeof *t);
	const char **sv = pc_arena_calloc(a, s->n ? s->n : 1, sizeof *sv);
	if (!t || !sv)
		return NULL;
	memcpy(sv, s->v, s->n * sizeof *sv);
	t->url = url;
	t->element = element;
	t->signals = sv;
	t->nsignals = s->n;
	t->leak = lr ? lr->encoding : NULL;
	t->leak_detail = lr ? lr->detail : NULL;
	t->destination = dest;
	if (pc_vec_push(a, &m->trackers, t) != 0)
		return NULL;
	return t;
}

static char *join(pc_arena *a, const char *const *v, size_t n)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	char *o = pc_arena_alloc(a, len);
	if (!o)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		if (i)
			o[k++] = ' ';
		memcpy(o + k, v[i], l);
		k += l;
	}
	o[k] = '\0';
	return o;
}

static void finding(pc_msg *m, const pc_tracker *t, const char *detector, double score, const char *summary)
{
	pc_finding *f = pc_msg_finding(m, PC_FINDING_TRACKER, detector, score + (t->leak ? 3.0 : 0.0), summary);
	if (!f)
		return;
	pc_finding_ev(m, f, t->header ? "header" : "url", t->header ? t->header : t->url);
	if (t->header)
		pc_finding_ev(m, f, "value", t->url);
	pc_finding_ev(m, f, "element", t->element);
	pc_finding_ev(m, f, "signals", join(m->arena, t->signals, t->nsignals));
	if (t->leak) {
		pc_finding_ev(m, f, "leak", t->leak);
		pc_finding_ev(m, f, "leak_detail", t->leak_detail);
	}
	if (t->destination)
		pc_finding_ev(m, f, "destination", t->destination);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static const char *host_of(const pc_url *u)
{
	return u->host_ascii ? u->host_ascii : u->host ? u->host : "";
}

/* The strong signals a URL carries itself: the recipient's identity, a
 * listed host. True when the identity leaks (lr filled). */
static bool identity_and_list(pc_detect_ctx *ctx, pc_msg *m, const char *url, const pc_url *u, sigs *s, leak_result *lr)
{
	bool leaked = search_leak(ctx, m, url, strlen(url), lr);
	if (leaked)
		sig(s, pc_arena_printf(m->arena, "leak-%s", lr->encoding), STRONG);
	const char *list = ctx->lists ? pc_trackerlist_match(ctx->lists, host_of(u)) : NULL;
	if (list)
		sig(s, pc_arena_printf(m->arena, "list-%s", list), STRONG);
	return leaked;
}

/* A use of an image URL that the reader sees as layout: at a visible
 * size (both sides over 3 px) or as a thin line or spacer (one side 1-3
 * px, the other over 3), not hidden. */
static bool layout_use(const pc_resource *r)
{
	int w = r->width.px, h = r->height.px;
	if (r->hidden & ~(unsigned)(PC_VIS_SIZE_0))
		return false;
	if (w > 3 && h > 3)
		return true;
	return (w >= 1 && w <= 3 && h > 3) || (h >= 1 && h <= 3 && w > 3);
}

typedef struct url_use {
	const char *url;
	bool layout;
} url_use;

static int cmp_use(const void *x, const void *y)
{
	return strcmp(((const url_use *)x)->url, ((const url_use *)y)->url);
}

/* The image URLs the message uses as layout somewhere (sorted, for
 * bsearch): a spacer GIF at 1x1 here and 459x20 there is one layout
 * image, not a beacon. */
static url_use *layout_urls(pc_msg *m, size_t *nout)
{
	size_t nr = m->resources.n, k = 0;
	url_use *v = pc_arena_calloc(m->arena, nr ? nr : 1, sizeof *v);
	if (!v)
		return NULL;
	for (size_t i = 0; i < nr; i++) {
		const pc_resource *r = m->resources.v[i];
		if (!pc_element_is_image(r->element))
			continue;
		v[k].url = r->resolved ? r->resolved : r->url->raw;
		v[k].layout = layout_use(r);
		k++;
	}
	qsort(v, k, sizeof *v, cmp_use);
	/* one flag per URL: any layout use makes every use layout */
	for (size_t i = 0; i < k;) {
		size_t j = i;
		bool any = false;
		while (j < k && !strcmp(v[j].url, v[i].url))
			any |= v[j++].layout;
		for (; i < j; i++)
			v[i].layout = any;
	}
	*nout = k;
	return v;
}

static void resources(pc_detect_ctx *ctx, pc_msg *m)
{
	size_t nr = m->resources.n;
	if (!nr)
		return;
	pc_arena *a = m->arena;
	/* hosts sorted, to tell which resource is the only one from its host */
	const char **hosts = pc_arena_calloc(a, nr, sizeof *hosts);
	if (!hosts)
		return;
	for (size_t i = 0; i < nr; i++)
		hosts[i] = host_of(((pc_resource *)m->resources.v[i])->url);
	qsort(hosts, nr, sizeof *hosts, cmp_str);

	bool *is_tracker = pc_arena_calloc(a, nr, sizeof *is_tracker);
	if (!is_tracker)
		return;
	size_t nlayout = 0;
	url_use *layout = layout_urls(m, &nlayout);
	for (size_t i = 0; i < nr; i++) {
		pc_resource *r = m->resources.v[i];
		const pc_url *u = r->url;
		sigs s = {0};
		bool size_only = false; /* the size is the only strong signal (so far) */
		int w = r->width.px, h = r->height.px;
		if ((w >= 0 && w <= 3) || (h >= 0 && h <= 3) || (w >= 0 && h >= 0 && (long long)w * h <= 9)) {
			const char *ws = w >= 0 ? pc_arena_printf(a, "%d", w) : "?";
			const char *hs = h >= 0 ? pc_arena_printf(a, "%d", h) : "?";
			sig(&s, pc_arena_printf(a, "size-%sx%s", ws, hs), STRONG);
			size_only = true;
		} else if (r->width.pct == 0 || r->height.pct == 0)
			sig(&s, "size-0%", STRONG); /* width="0%": nothing drawn */
		/* what the request is for: one only fetched is a beacon; one whose
		 * response no reader sees as a picture (a font, a cursor, a style
		 * sheet), or that only decorates, has no id of its own to carry */
		const char *role = r->role ? r->role : "image";
		if (!strcmp(role, "prefetch"))
			sig(&s, "fetch-only", STRONG);
		else if (pc_role_invisible(role) || pc_role_decorative(role)) {
			/* a decorative image's path numbers are its file's (colours,
			 * sizes, content ids): only its query is read for an id */
			const char *idw = id_in_url(u, pc_role_invisible(role));
			if (idw)
				sig(&s, pc_arena_printf(a, "id-on-%s", role), STRONG);
		}
		/* A large image hidden only by its container is, in newsletters,
		 * the desktop or mobile twin that an @media rule shows: its
		 * hiding counts as one weak signal, not as proof. (A style sheet
		 * rule that an @media block reveals is not applied at all.) */
		bool large = (w < 0 || w >= 50) && (h < 0 || h >= 50) && (w >= 0 || h >= 0);
		unsigned own = r->hidden & ~(unsigned)(PC_VIS_CONTAINER_HIDDEN | PC_VIS_CONTAINER_ZERO | PC_VIS_SIZE_0);
		for (size_t b = 0; b < PC_VIS_COUNT; b++) {
			unsigned bit = 1u << b;
			if (!(r->hidden & bit) || bit == PC_VIS_SIZE_0)
				continue;
			if (large && !own)
				sigw(&s, vis_signal[b], 2);
			else
				sig(&s, vis_signal[b], STRONG);
		}
		const char *url = r->resolved ? r->resolved : u->raw;
		leak_result lr;
		bool leaked = identity_and_list(ctx, m, url, u, &s, &lr);
		int before = s.weight;
		const char *url_tok = url_token(u, true);
		sigw(&s, url_tok, 2);
		const char *pw = path_word(u, false);
		sigw(&s, pw, pw && !strcmp(pw, "path-spacer") ? 3 : 2);
		sigw(&s, host_word(u, false), 1);
		bool img = pc_element_is_image(r->element);
		/* a token in an image's query string is two of the listed signals:
		 * the token, and the query string itself */
		if (img && u->query && u->query[0])
			sigw(&s, "query", query_token(u) ? 2 : 1);
		/* an id in the query of an image drawn at no declared size: a
		 * content image states its size (mail layouts must, for Outlook);
		 * a beacon need not, its own pixel is its size */
		if (img && w < 0 && h < 0 && r->width.pct < 0 && r->height.pct < 0 && !strcmp(role, "image") &&
		    id_in_url(u, false))
			sigw(&s, "id-unsized", 2);
		s.url_weight = s.weight - before;
		if (nr >= 2) {
			const char *hh = host_of(u);
			const char **lo = bsearch(&hh, hosts, nr, sizeof *hosts, cmp_str);
			/* bsearch finds one equal; the host is unique when no neighbour equals it */
			if (lo) {
				size_t idx = (size_t)(lo - hosts);
				bool dup = (idx > 0 && !strcmp(hosts[idx - 1], hh)) ||
				           (idx + 1 < nr && !strcmp(hosts[idx + 1], hh));
				if (!dup)
					sigw(&s, "sole-host", 1);
			}
		}
		if (img && (!r->alt || !*r->alt) && strcmp(r->element, "css"))
			sigw(&s, "no-alt", 1);
		const pc_part *p = m->parts.v[r->part];
		if (img && p->html_elements && r->order + 2 > p->html_elements)
			sigw(&s, "last-element", 1);
		/* the context (no alt, last, only one from its host) describes
		 * many plain images: it adds to evidence in the URL, never
		 * replaces it */
		if (!(s.strong || (s.weight >= 4 && s.url_weight >= 2)))
			continue;
		/* Layout, not a beacon: an image whose only strong evidence (if
		 * any) is its small size, with nothing in its URL (no token, id,
		 * listed host, tracking word but a spacer's name), that the message
		 * also shows at a visible size or as a thin line or spacer. */
		if (layout && s.strong == (size_only ? 1 : 0) && !leaked && !url_tok && !id_in_url(u, true) &&
		    (!pw || !strcmp(pw, "path-spacer")) && !host_word(u, false) && img) {
			url_use key = {url, false};
			const url_use *f = bsearch(&key, layout, nlayout, sizeof key, cmp_use);
			if (f && f->layout)
				continue;
		}
		pc_tracker *t = report(m, u->raw, r->element, &s, leaked ? &lr : NULL, NULL);
		if (!t)
			return;
		t->res = r;
		is_tracker[i] = true;
		const char *det = img ? "tracker.pixel" : "tracker.resource";
		finding(m, t, det, 3.0,
		        leaked ? "hidden tracker leaks the recipient's identity"
		               : "remote resource that tracks reading");
	}
	/* The server sees the URL, not the element: every other use of a
	 * tracker's URL in the message (a 1x1 b.gif reused as a spacer of
	 * another size) fires the same tracker, however it is spelt
	 * ("HTTPS:", ":443", "/./", a newline...): URLs compared in their
	 * canonical form (parse/url.h; as written when they have none).
	 * Sorted URLs: up to limits.urls resources must not cost a pass per
	 * pair. */
	size_t nt = 0;
	for (size_t i = 0; i < nr; i++)
		nt += is_tracker[i];
	if (!nt)
		return;
	const char **turls = pc_arena_calloc(a, nt, sizeof *turls);
	const char **curls = pc_arena_calloc(a, nr, sizeof *curls);
	if (!turls || !curls)
		return;
	nt = 0;
	for (size_t i = 0; i < nr; i++) {
		const pc_resource *o = m->resources.v[i];
		curls[i] = pc_url_canonical(a, o->url); /* o->url is what <base href> resolved */
		if (!curls[i])
			curls[i] = o->resolved ? o->resolved : o->url->raw;
		if (is_tracker[i])
			turls[nt++] = curls[i];
	}
	qsort(turls, nt, sizeof *turls, cmp_str);
	for (size_t i = 0; i < nr; i++) {
		if (is_tracker[i])
			continue;
		pc_resource *r = m->resources.v[i];
		if (!bsearch(&curls[i], turls, nt, sizeof *turls, cmp_str))
			continue;
		sigs s = {0};
		sig(&s, "same-url-as-tracker", STRONG);
		pc_tracker *t = report(m, r->url->raw, r->element, &s, NULL, NULL);
		if (!t)
			return;
		t->res = r;
		finding(m, t, pc_element_is_image(r->element) ? "tracker.pixel" : "tracker.resource", 3.0,
		        "the URL of a tracker, used again");
	}
}

static bool unsubscribe_text(const char *t)
{
	static const char *const words[] = {"unsubscribe", "opt out",     "opt-out",     "abmelden",      "désinscri",
	                                    "desinscri",   "preferences", "abbestellen", "darse de baja", NULL};
	if (!t)
		return false;
	for (size_t i = 0; words[i]; i++)
		if (strcasestr(t, words[i]))
			return true;
	return false;
}

/* The URL without the query pieces and fragment that leak the identity;
 * NULL when the identity is elsewhere (the path) or nothing was removed.
 * Removing a path segment would break the link; removing a query value
 * that only names the reader leaves a working link. */
static const char *strip_identity(pc_detect_ctx *ctx, pc_msg *m, const char *url)
{
	pc_arena *a = m->arena;
	size_t n = strlen(url);
	const char *hash = memchr(url, '#', n);
	size_t end = hash ? (size_t)(hash - url) : n;
	const char *q = memchr(url, '?', end);
	size_t base = q ? (size_t)(q - url) : end;
	char *out = pc_arena_alloc(a, n + 1);
	if (!out)
		return NULL;
	memcpy(out, url, base);
	size_t o = base;
	bool removed = false, first = true;
	leak_result lr;
	if (q) {
		for (size_t i = base + 1; i <= end;) {
			size_t j = i;
			while (j < end && url[j] != '&' && url[j] != ';')
				j++;
			if (j > i) {
				if (search_leak(ctx, m, url + i, j - i, &lr))
					removed = true;
				else {
					out[o++] = first ? '?' : '&';
					memcpy(out + o, url + i, j - i);
					o += j - i;
					first = false;
				}
			}
			i = j + 1;
		}
	}
	if (hash) {
		size_t fl = n - end;
		if (search_leak(ctx, m, hash, fl, &lr))
			removed = true;
		else {
			memcpy(out + o, hash, fl);
			o += fl;
		}
	}
	out[o] = '\0';
	if (!removed || search_leak(ctx, m, out, o, &lr))
		return NULL;
	return out;
}

static void links(pc_detect_ctx *ctx, pc_msg *m)
{
	pc_arena *a = m->arena;
	for (size_t i = 0; i < m->links.n; i++) {
		pc_link *l = m->links.v[i];
		const pc_url *u = l->url;
		if (!pc_url_is_remote(u) && !l->resolved)
			continue;
		if (strcasecmp(u->scheme, "http") && strcasecmp(u->scheme, "https") && u->scheme[0])
			continue;
		const char *url = l->resolved ? l->resolved : u->raw;
		if (security_wrapper(u)) { /* judge where the gateway sends the reader */
			const char *d = wrapped(a, u);
			if (!d)
				continue;
			pc_url *du = pc_url_parse(a, d, strlen(d));
			if (!du || !pc_url_is_remote(du))
				continue;
			u = du;
			url = d;
		}
		sigs s = {0};
		leak_result lr;
		bool leaked = identity_and_list(ctx, m, url, u, &s, &lr);
		const char *dest = innermost(a, u);
		if (dest)
			sig(&s, "wraps-url", STRONG);
		const char *tok = url_token(u, false);
		if (!tok)
			tok = numbers_in_path(u);
		sig(&s, tok, WEAK);
		const char *pwl = path_word(u, true), *hwl = host_word(u, true);
		sig(&s, pwl, WEAK);
		sig(&s, hwl, WEAK);
		if (!tok && (pwl || hwl)) {
			tok = short_token(u);
			sig(&s, tok, WEAK);
		}
		const char *num = tok ? NULL : number_id(u);
		sig(&s, num, WEAK);
		/* an opaque token in a link identifies the click; a plain number
		 * does only on a click-tracking path or host */
		bool click = s.strong || tok || (num && s.weak >= 2);
		if (!click)
			continue;
		pc_tracker *t = report(m, l->url->raw, "a", &s, leaked ? &lr : NULL, dest);
		if (!t)
			return;
		t->link = l;
		t->click = true;
		if (leaked && !dest && !unsubscribe_text(l->text) && u == l->url)
			t->stripped = strip_identity(ctx, m, l->url->raw);
		finding(m, t, "tracker.click", 0.5,
		        leaked ? "link identifies the recipient who clicks" : "click-tracking link");
	}
}

static void headers(pc_msg *m)
{
	static const char *const rr[] = {"disposition-notification-to", "return-receipt-to", "x-confirm-reading-to",
	                                 "read-receipt-to", NULL};
	for (size_t i = 0; i < m->headers.n; i++) {
		const pc_kv *kv = m->headers.v[i];
		for (size_t k = 0; rr[k]; k++) {
			if (strcasecmp(kv->key, rr[k]))
				continue;
			sigs s = {0};
			sig(&s, "read-receipt", STRONG);
			pc_tracker *t = report(m, kv->value, "header", &s, NULL, NULL);
			if (!t)
				return;
			t->header = kv->key;
			finding(m, t, "tracker.read-receipt", 1.0,
			        "the sender asks to be told when the message is read");
		}
	}
}

void pc_detect_trackers(pc_detect_ctx *ctx, pc_msg *m)
{
	/* the leak patterns are built only when there is a URL to search */
	if (ctx->state && (m->resources.n || m->links.n)) {
		/* the recipients, and the same addresses as the header writes
		 * them (the envelope form is lower-cased) */
		const char *ids[PC_LEAK_MAX_IDENTITIES];
		size_t n = 0;
		for (size_t i = 0; i < m->rcpt.n && n < PC_LEAK_MAX_IDENTITIES; i++)
			ids[n++] = m->rcpt.v[i];
		const pc_vec *hv[2] = {&m->to, &m->cc};
		for (size_t k = 0; k < 2; k++)
			for (size_t i = 0; i < hv[k]->n && n < PC_LEAK_MAX_IDENTITIES; i++) {
				const pc_addr *ad = hv[k]->v[i];
				for (size_t r = 0; r < m->rcpt.n; r++)
					if (ad->addr && strcmp(ad->addr, m->rcpt.v[r]) &&
					    !strcasecmp(ad->addr, m->rcpt.v[r])) {
						ids[n++] = ad->addr;
						break;
					}
			}
		pc_leak_prepare(ctx->state, ids, n);
	}
	resources(ctx, m);
	links(ctx, m);
	headers(m);
}

static void *leak_new(const pc_config *c)
{
	(void)c;
	return pc_leak_new();
}

static void leak_free(void *lk)
{
	pc_leak_free(lk);
}

const pc_detector pc_detector_tracker = {"tracker", PC_FINDING_TRACKER, leak_new, pc_detect_trackers, leak_free, NULL};
