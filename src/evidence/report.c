/*
 * NAME
 *   report - a campaign's case file as one self-contained HTML document (see report.h)
 * DESCRIPTION
 *   One pass writes the document into a buffer with a ceiling. Every
 *   string of the case reaches it through text_n(), the only place that
 *   copies case bytes into the output: it escapes, marks invisible and
 *   reordering characters, defangs and cuts. Numbers are written by
 *   putint()/putreal(), locale-proof. Attribute values are only ever
 *   ours (class names, coordinates).
 */
#include "evidence/report.h"

#include <glib.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/safetext.h"
#include "core/sha256.h"

/* characters shown of a string, per place */
#define CUT_TITLE 200 /* the subject in the title */
#define CUT_CELL 160  /* a table cell */
#define CUT_LONG 600  /* why, a summary, an evidence string */
#define CUT_LABEL 24  /* a bar's label in a chart */
#define CUT_RE 400    /* a regular expression */
#define EV_DEPTH 4    /* evidence nesting shown */
#define EV_ITEMS 30   /* members of one evidence object or array shown */
#define FINDINGS 50   /* findings shown */
#define BARS 120      /* timeline bars; more bins are merged */
#define DOMAIN_BARS 10
#define SEEN_ROWS 10 /* values of one envelope field seen in the copies */

#define ELLIPSIS "\xe2\x80\xa6"
#define DASH "\xe2\x80\x94"
#define NDASH "\xe2\x80\x93"
#define MIDDOT "\xc2\xb7"

typedef struct out {
	char *p;
	size_t len, cap;
	bool err;
} out;

static bool grow(out *o, size_t n)
{
	if (o->err)
		return false;
	if (n > PC_REPORT_MAX - o->len) {
		o->err = true;
		return false;
	}
	if (n < o->cap - o->len) /* n bytes and the NUL */
		return true;
	size_t cap = o->cap ? o->cap : 65536;
	while (cap - o->len <= n)
		cap *= 2; /* PC_REPORT_MAX is far below SIZE_MAX / 2 */
	char *p = realloc(o->p, cap);
	if (!p) {
		o->err = true;
		return false;
	}
	o->p = p;
	o->cap = cap;
	return true;
}

static void put(out *o, const char *s, size_t n)
{
	if (n && grow(o, n)) {
		memcpy(o->p + o->len, s, n);
		o->len += n;
		o->p[o->len] = '\0';
	}
}

static void lit(out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Our own formats only (markup, numbers): never a string of the case. */
__attribute__((format(printf, 2, 3))) static void putf(out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0 || !grow(o, (size_t)k)) {
		o->err = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap); /* grow() left room for k bytes and the NUL */
	va_end(ap);
	o->len += (size_t)k;
}

static void putint(out *o, long long v)
{
	putf(o, "%lld", v);
}

/* v with at most prec decimals, trailing zeros dropped; '.' whatever the
 * locale says (SVG coordinates must parse). */
static void putreal(out *o, double v, int prec)
{
	char tmp[64];
	if (!isfinite(v)) {
		lit(o, "n/a");
		return;
	}
	if (fabs(v) >= 1e15)
		snprintf(tmp, sizeof tmp, "%.6g", v);
	else
		snprintf(tmp, sizeof tmp, "%.*f", prec, v);
	for (char *p = tmp; *p; p++)
		if (*p == ',')
			*p = '.';
	if (strchr(tmp, '.') && !strchr(tmp, 'e')) {
		size_t n = strlen(tmp);
		while (n && tmp[n - 1] == '0')
			tmp[--n] = '\0';
		if (n && tmp[n - 1] == '.')
			tmp[--n] = '\0';
		if (!strcmp(tmp, "-0"))
			tmp[0] = '0', tmp[1] = '\0';
	}
	lit(o, tmp);
}

/* --- case strings ------------------------------------------------------ */

#define T_SVG 1u      /* in an SVG <text>: markers as <tspan>, line breaks as spaces */
#define T_PLAIN 2u    /* in <title>: markers without an element, line breaks as spaces */
#define T_HOST 4u     /* a host, address, IP or URL: '.' between letters or digits is "[.]" */
#define T_VERBATIM 8u /* a regular expression: escaped, not defanged */
#define T_QUIET 16u   /* a cut shows "…" alone, not how much was left out */

static bool ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static bool alnum_cp(uint32_t c)
{
	return c < 0x80 ? ascii_alnum((unsigned char)c) : g_unichar_isalnum((gunichar)c);
}

/* URI schemes a PDF viewer, mail client or chat may make a link of. */
static const struct scheme {
	const char *name, *shown; /* shown NULL: the colon becomes "[:]" */
} SCHEMES[] = {
    {"https", "hxxps"}, {"http", "hxxp"}, {"ftp", "fxp"}, {"javascript", NULL}, {"vbscript", NULL}, {"data", NULL},
    {"file", NULL},     {"mailto", NULL}, {"smb", NULL},  {"wss", NULL},        {"ws", NULL},
};

/* At s[i]: a scheme (followed by ':' and no space) or "www." written
 * defanged; the bytes of s it stands for, 0 for none. http, https and
 * ftp anywhere (a viewer links "xhttp://host" from its "http"), the
 * others and www. at a word start ("metadata:x" stays). */
static size_t defang(out *o, const char *s, size_t n, size_t i)
{
	bool word = i == 0 || !ascii_alnum((unsigned char)s[i - 1]);
	for (size_t k = 0; k < sizeof SCHEMES / sizeof *SCHEMES; k++) {
		size_t l = strlen(SCHEMES[k].name);
		if ((!word && !SCHEMES[k].shown) || n - i < l + 2 || g_ascii_strncasecmp(s + i, SCHEMES[k].name, l) ||
		    s[i + l] != ':' || g_ascii_isspace(s[i + l + 1]))
			continue;
		if (SCHEMES[k].shown) {
			lit(o, SCHEMES[k].shown);
			return l; /* the ':' is written as any character */
		}
		put(o, s + i, l); /* ASCII letters */
		lit(o, "[:]");
		return l + 1;
	}
	if (word && n - i > 4 && !g_ascii_strncasecmp(s + i, "www.", 4) && ascii_alnum((unsigned char)s[i + 4])) {
		put(o, s + i, 3);
		lit(o, "[.]");
		return 4;
	}
	return 0;
}

static void marker(out *o, uint32_t c, unsigned f)
{
	const char *open = f & T_SVG ? "<tspan class=\"cc\">" : f & T_PLAIN ? "" : "<span class=\"cc\">";
	const char *close = f & T_SVG ? "</tspan>" : f & T_PLAIN ? "" : "</span>";
	char m[16];
	lit(o, open);
	put(o, m, pc_safetext_mark(c, m, sizeof m));
	lit(o, close);
}

/* s[0..n) shown as text: escaped for HTML (element text, <title> and
 * SVG <text> alike), marked, defanged, cut after max characters. */
static void text_n(out *o, const char *s, size_t n, size_t max, unsigned f)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, shown = 0;
	uint32_t prev = 0;
	while (i < n && !o->err) {
		if (shown >= max) {
			lit(o, ELLIPSIS);
			if (!(f & (T_SVG | T_PLAIN | T_QUIET))) {
				size_t rest = 0;
				for (size_t k = i; k < n; k++)
					rest += (u[k] & 0xc0) != 0x80;
				putf(o, "<span class=\"cut\"> (%zu more characters)</span>", rest);
			}
			return;
		}
		if (!(f & T_VERBATIM) &&
		    ((u[i] | 0x20) == 'h' || (u[i] | 0x20) == 'f' || i == 0 || !ascii_alnum(u[i - 1]))) {
			size_t k = defang(o, s, n, i);
			if (k) {
				i += k;
				shown += k;
				prev = u[i - 1];
				continue;
			}
		}
		size_t len;
		bool bad;
		uint32_t c = pc_utf8_decode(u, n, i, &len, &bad);
		switch (c) {
		case '&':
			lit(o, "&amp;");
			break;
		case '<':
			lit(o, "&lt;");
			break;
		case '>':
			lit(o, "&gt;");
			break;
		case '"':
			lit(o, "&quot;");
			break;
		case '\'':
			lit(o, "&#39;");
			break;
		case '\t':
		case '\n':
			put(o, f & (T_SVG | T_PLAIN) ? " " : s + i, 1);
			break;
		case '.':
			if ((f & T_HOST) && !(f & T_VERBATIM) && alnum_cp(prev) && i + 1 < n) {
				size_t l2;
				bool b2;
				if (alnum_cp(pc_utf8_decode(u, n, i + 1, &l2, &b2))) {
					lit(o, "[.]");
					break;
				}
			}
			put(o, ".", 1);
			break;
		default:
			if (pc_safetext_marked(c))
				marker(o, c, f);
			else if (bad)
				lit(o, "\xef\xbf\xbd");
			else
				put(o, s + i, len);
		}
		prev = c;
		i += len;
		/* in a chart a marker costs its width: a label must not run
		 * out of the picture */
		shown += (f & T_SVG) && pc_safetext_marked(c) ? 8 : 1;
	}
}

static void text(out *o, const char *s, size_t max, unsigned f)
{
	if (s)
		text_n(o, s, strlen(s), max, f);
}

/* --- the case ---------------------------------------------------------- */

static const json_t *get(const json_t *o, const char *k)
{
	return json_is_object(o) ? json_object_get(o, k) : NULL;
}

static const char *sget(const json_t *o, const char *k)
{
	const json_t *v = get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool num_of(const json_t *v, long long *n)
{
	if (json_is_integer(v)) {
		*n = json_integer_value(v);
		return true;
	}
	if (json_is_real(v) && isfinite(json_real_value(v)) && fabs(json_real_value(v)) < 9e18) {
		*n = (long long)json_real_value(v);
		return true;
	}
	return false;
}

static long long nget(const json_t *o, const char *k)
{
	long long n = 0;
	return num_of(get(o, k), &n) ? n : 0;
}

static bool has_num(const json_t *o, const char *k)
{
	long long n;
	return num_of(get(o, k), &n);
}

static void none(out *o, unsigned f)
{
	lit(o, f & (T_SVG | T_PLAIN) ? DASH : "<span class=\"none\">" DASH "</span>");
}

/* A scalar of the case as text; an em dash for null, absent or a
 * container where a scalar belongs. */
static void jtext(out *o, const json_t *v, size_t max, unsigned f)
{
	if (json_is_string(v))
		text_n(o, json_string_value(v), json_string_length(v), max, f);
	else if (json_is_integer(v))
		putint(o, json_integer_value(v));
	else if (json_is_real(v))
		putreal(o, json_real_value(v), 4);
	else if (json_is_true(v))
		lit(o, "yes");
	else if (json_is_false(v))
		lit(o, "no");
	else
		none(o, f);
}

static void jfield(out *o, const json_t *obj, const char *k, size_t max, unsigned f)
{
	jtext(o, get(obj, k), max, f);
}

/* --- times ------------------------------------------------------------- */

static long long days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* An RFC 3339 time ("2026-12-05T14:03:00Z", fractions and offsets
 * allowed) as seconds since 1970 UTC. */
static bool parse_time(const char *s, long long *t)
{
	int y, mo, d, h, mi, se;
	if (!s || strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return false;
	const char *p = s + 19;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	long long off = 0;
	if (*p == '+' || *p == '-') {
		int oh, om;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || p[6])
			return false;
		off = (oh * 3600LL + om * 60LL) * (*p == '-' ? -1 : 1);
	} else if ((*p != 'Z' && *p != 'z') || p[1]) {
		return false;
	}
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600LL + mi * 60LL + se - off;
	return true;
}

static const char *const MONTHS[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static bool split_time(long long t, struct tm *tm)
{
	time_t tt = (time_t)t;
	return (long long)tt == t && gmtime_r(&tt, tm);
}

/* "2026-12-05 14:03 UTC" (sep " ", zone " UTC"); a string that is no
 * time shown as it is. */
static void put_time_as(out *o, const json_t *v, const char *sep, const char *zone)
{
	long long t;
	struct tm tm;
	if (json_is_string(v) && parse_time(json_string_value(v), &t) && split_time(t, &tm))
		putf(o, "%04d-%02d-%02d%s%02d:%02d%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, sep, tm.tm_hour,
		     tm.tm_min, zone);
	else
		jtext(o, v, 40, 0);
}

static void put_time(out *o, const json_t *v)
{
	put_time_as(o, v, " ", " UTC");
}

static void put_duration(out *o, long long s)
{
	if (s < 0)
		s = 0;
	long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
	if (d)
		putf(o, "%lld day%s %lld h", d, d == 1 ? "" : "s", h);
	else if (h)
		putf(o, "%lld h %lld min", h, m);
	else
		putf(o, "%lld min", m);
}

/* --- the report -------------------------------------------------------- */

static const struct tlp {
	const char *key, *label, *cls, *colour, *words;
} TLPS[] = {
    {"clear", "TLP:CLEAR", "tlp-clear", "#ffffff",
     "Disclosure is not limited: recipients may share this with anyone, subject to copyright."},
    {"green", "TLP:GREEN", "tlp-green", "#33ff00",
     "Limited disclosure: recipients may share this within their community, not publicly."},
    {"amber", "TLP:AMBER", "tlp-amber", "#ffc000",
     "Limited disclosure: recipients may share this on a need-to-know basis within their organisation and "
     "its clients."},
    {"amber+strict", "TLP:AMBER+STRICT", "tlp-amber", "#ffc000",
     "Limited disclosure: recipients may share this on a need-to-know basis within their own organisation "
     "only."},
    {"red", "TLP:RED", "tlp-red", "#ff2b2b",
     "For the eyes and ears of the individual recipients only: no further disclosure."},
};
/* no marking, or one TLP 2.0 does not have: the strictest reading */
static const struct tlp TLP_UNKNOWN = {NULL, "TLP:RED", "tlp-red", "#ff2b2b",
                                       "The case carries no valid TLP 2.0 marking: handled as TLP:RED (no "
                                       "further disclosure) until its author says otherwise."};

typedef struct rep {
	out o;
	const json_t *c, *camp, *values, *members;
	const struct tlp *tlp;
	long long id, size;
} rep;

static const char *plural(long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void count_of(out *o, long long n, const char *one, const char *many)
{
	putf(o, "%lld %s", n, plural(n, one, many));
}

static void more_row(out *o, int cols, size_t more, const char *what)
{
	putf(o, "<tr class=\"more\"><td colspan=\"%d\">and %zu more %s not shown</td></tr>\n", cols, more, what);
}

static void no_data(out *o, const char *what)
{
	putf(o, "<p class=\"none\">%s</p>\n", what);
}

/* The one <style> block: fixed but for the page margins, which carry the
 * TLP label and the campaign id (a number) on every printed page. */
static void css(rep *r, out *s)
{
	/* the label's box as wide as the label (a margin box takes the width
	 * it is given, the whole left third otherwise) */
	int w = (int)strlen(r->tlp->label) * 7 / 4 + 5;
	putf(s,
	     "@page{size:A4;margin:16mm 13mm 15mm 13mm;"
	     "@top-left{content:\"%s\";width:%dmm;color:%s;background:#000;font:bold 8pt 'DejaVu Sans',sans-serif;"
	     "text-align:center;margin:6mm 0 4mm}"
	     "@top-right{content:\"Portcullis campaign %lld\";color:#666;font:8pt 'DejaVu Sans',sans-serif}"
	     "@bottom-left{content:\"%s\";width:%dmm;color:%s;background:#000;font:bold 8pt 'DejaVu Sans',sans-serif;"
	     "text-align:center;margin:4mm 0 5mm}"
	     "@bottom-right{content:\"Page \" counter(page) \" of \" counter(pages);color:#666;"
	     "font:8pt 'DejaVu Sans',sans-serif}}\n"
	     "@page:first{@top-left{content:none}@top-right{content:none}}\n",
	     r->tlp->label, w, r->tlp->colour, r->id, r->tlp->label, w, r->tlp->colour);
	lit(s, "*{box-sizing:border-box}\n"
	       "html{-webkit-print-color-adjust:exact;print-color-adjust:exact;background:#fff}\n"
	       "body{margin:0 auto;max-width:184mm;font:9pt/1.4 'DejaVu Sans','Liberation Sans',Arial,sans-serif;"
	       "color:#1b1b1b}\n"
	       "@media screen{body{padding:6mm 4mm}}\n"
	       ".tlp{background:#000;color:#fff;padding:2mm 4mm;display:flex;gap:4mm;align-items:baseline;"
	       "font-size:8pt}\n"
	       ".tlp strong{font-size:11pt;letter-spacing:.04em;white-space:nowrap}\n"
	       ".tlp-clear strong{color:#fff}.tlp-green strong{color:#33ff00}.tlp-amber strong{color:#ffc000}"
	       ".tlp-red strong{color:#ff2b2b}\n"
	       ".kicker{margin:4mm 0 0;color:#555;font-size:8pt;text-transform:uppercase;letter-spacing:.06em}\n"
	       "h1{font-size:15pt;line-height:1.25;margin:1mm 0 3mm;overflow-wrap:anywhere}\n"
	       "h1 .subj{font-weight:normal}\n"
	       "h2{font-size:12.5pt;color:#1f3b57;border-bottom:1.5px solid #1f3b57;padding-bottom:1mm;"
	       "margin:7mm 0 3mm;break-after:avoid}\n"
	       "h3{font-size:9.5pt;color:#1f3b57;margin:4mm 0 1.5mm;break-after:avoid}\n"
	       ".verdict{display:flex;gap:4mm;border:1px solid;border-left-width:5px;padding:2mm 3.5mm;"
	       "margin:0 0 3mm}\n"
	       ".verdict p{margin:0 0 .8mm}\n"
	       ".badge{font-weight:bold;font-size:12pt;min-width:31mm;letter-spacing:.03em}\n"
	       ".v-malicious{border-color:#b3261e;background:#fdf1f0}.v-malicious .badge{color:#b3261e}\n"
	       ".v-benign{border-color:#2e7d32;background:#f0f7f0}.v-benign .badge{color:#2e7d32}\n"
	       ".v-open{border-color:#8a6d00;background:#fff8e1}.v-open .badge{color:#8a6d00}\n"
	       ".why{overflow-wrap:anywhere}\n"
	       ".summary{font-size:9.5pt;margin:0 0 3mm;overflow-wrap:anywhere}\n"
	       ".cols{display:grid;grid-template-columns:1fr 1fr;gap:4mm;align-items:start;margin:0 0 3mm}\n"
	       "table{border-collapse:collapse;width:100%;font-size:8pt;margin:0 0 2mm}\n"
	       "th,td{text-align:left;vertical-align:top;padding:.7mm 1.4mm;border-bottom:.5px solid #d0d0d0;"
	       "overflow-wrap:anywhere}\n"
	       "thead th{background:#e9eff5;border-bottom:1px solid #1f3b57;font-weight:bold}\n"
	       "table.kv th{width:40%;font-weight:normal;color:#474747}\n"
	       "th.num,td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
	       "tr{break-inside:avoid}\n"
	       ".more td{color:#666;font-style:italic}\n"
	       ".cc{color:#b3261e;font-weight:bold;font-size:85%}\n"
	       ".cut{color:#777;font-size:85%}\n"
	       ".none{color:#777}\n"
	       ".sub{display:block;color:#555;font-size:90%}\n"
	       "code,pre,.mono{font-family:'DejaVu Sans Mono',monospace;font-size:7.5pt}\n"
	       "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f5f7f9;border:1px solid #d8d8d8;"
	       "padding:2mm;margin:0 0 2mm}\n"
	       "pre.hashes{font-size:6.8pt;line-height:1.3;white-space:pre}\n"
	       ".plot{border:1px solid #d8d8d8;padding:1.5mm 2mm 1mm;break-inside:avoid}\n"
	       ".plot h3{margin:0 0 1mm}\n"
	       ".chart{display:block;width:100%;height:auto}\n"
	       ".chart text{font-family:'DejaVu Sans',sans-serif;font-size:11px;fill:#333}\n"
	       ".chart .ax{fill:#555}.chart .lab{font-size:10px}.chart .val{font-size:9px;fill:#1f3b57}.chart "
	       ".ttl{fill:#333}\n"
	       ".chart .bar{fill:#2f6690}.chart .other{fill:#9fb7cf}\n"
	       ".chart .grid{stroke:#e0e0e0;stroke-width:1}.chart .axis{stroke:#555;stroke-width:1}\n"
	       ".chart .cc{fill:#b3261e}\n"
	       "section.major{break-before:page}\n"
	       "table.copies{table-layout:fixed}\n"
	       "table.copies th:nth-child(1){width:7mm}table.copies th:nth-child(2){width:20mm}"
	       "table.copies th:nth-child(4){width:24mm}table.copies th:nth-child(5){width:31mm}"
	       "table.copies th:nth-child(6),table.copies th:nth-child(7){width:17mm}\n"
	       "table.copies td.mono,table.copies td:nth-child(2){white-space:nowrap;overflow:hidden}\n"
	       "table.audit,table.auth{table-layout:fixed}\n"
	       "table.audit th:nth-child(1){width:29mm}table.audit th:nth-child(2){width:30mm}"
	       "table.audit th:nth-child(3){width:24mm}table.audit th:nth-child(4){width:16mm}"
	       "table.audit td:nth-child(1){white-space:nowrap}\n"
	       "table.auth th:nth-child(1){width:8mm}\n"
	       "table.ind{table-layout:fixed}table.ind th:nth-child(1){width:27mm}table.ind th:nth-child(3){width:13mm}"
	       "table.ind th:nth-child(4){width:48mm}\n"
	       "dl.ev dl.ev{grid-template-columns:max-content 1fr}\n"
	       ".finding{border:1px solid #d8d8d8;border-left:4px solid #b3261e;padding:1.5mm 3mm;margin:0 0 3mm}\n"
	       ".finding h3{margin:0 0 1mm}\n"
	       ".finding p{margin:0 0 1mm}\n"
	       "dl.ev{display:grid;grid-template-columns:minmax(18mm,max-content) 1fr;gap:.4mm 3mm;margin:1mm 0;"
	       "font-size:8pt}\n"
	       "dl.ev dt{color:#555;font-family:'DejaVu Sans Mono',monospace;overflow-wrap:anywhere}\n"
	       "dl.ev dd{margin:0;overflow-wrap:anywhere}\n"
	       "ol.ev{margin:0;padding-left:5mm}\n"
	       ".note{color:#555;font-size:8pt}\n"
	       "footer{margin-top:8mm;border-top:1px solid #ccc;padding-top:2mm;color:#555;font-size:7.5pt}\n");
}

static void head(rep *r)
{
	out *o = &r->o;
	out s = {0};
	css(r, &s);
	unsigned char d[PC_SHA256_LEN];
	if (s.err || pc_sha256(s.p, s.len, d) != 0) {
		free(s.p);
		o->err = true;
		return;
	}
	gchar *b64 = g_base64_encode(d, sizeof d);
	lit(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-");
	lit(o, b64);
	lit(o, "'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
	       "<meta name=\"referrer\" content=\"no-referrer\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	g_free(b64);
	putf(o, "Campaign %lld: ", r->id);
	text(o, sget(r->camp, "subject"), 80, T_PLAIN);
	putf(o, " " NDASH " %s</title>\n<style>", r->tlp->label);
	put(o, s.p, s.len);
	lit(o, "</style>\n</head>\n<body>\n");
	free(s.p);
}

/* --- charts --------------------------------------------------------------- */

/* A step of 1, 2 or 5 times a power of ten giving about four grid lines up to max. */
static long long nice_step(long long max)
{
	long long raw = max / 4 + (max % 4 != 0), p = 1;
	if (raw < 1)
		raw = 1;
	while (p <= raw / 10)
		p *= 10;
	return p >= raw ? p : 2 * p >= raw ? 2 * p : 5 * p >= raw ? 5 * p : 10 * p;
}

static void tick_label(out *o, double x, double y, const char *cls, const char *anchor)
{
	lit(o, "<text class=\"");
	lit(o, cls);
	lit(o, "\" x=\"");
	putreal(o, x, 1);
	lit(o, "\" y=\"");
	putreal(o, y, 1);
	lit(o, "\" text-anchor=\"");
	lit(o, anchor);
	lit(o, "\">");
}

static void line(out *o, const char *cls, double x1, double y1, double x2, double y2)
{
	lit(o, "<line class=\"");
	lit(o, cls);
	lit(o, "\" x1=\"");
	putreal(o, x1, 1);
	lit(o, "\" y1=\"");
	putreal(o, y1, 1);
	lit(o, "\" x2=\"");
	putreal(o, x2, 1);
	lit(o, "\" y2=\"");
	putreal(o, y2, 1);
	lit(o, "\"/>");
}

static void rect(out *o, const char *cls, double x, double y, double w, double h)
{
	lit(o, "<rect class=\"");
	lit(o, cls);
	lit(o, "\" x=\"");
	putreal(o, x, 1);
	lit(o, "\" y=\"");
	putreal(o, y, 1);
	lit(o, "\" width=\"");
	putreal(o, w, 1);
	lit(o, "\" height=\"");
	putreal(o, h, 1);
	lit(o, "\"/>");
}

/* Copies per hour or day: one bar per bin (bins merged past BARS), a
 * count above each bar while they fit, times on the x axis at round
 * hours or days. */
static void plot_timeline(rep *r)
{
	out *o = &r->o;
	const json_t *tl = get(r->c, "timeline"), *counts = get(tl, "counts");
	const char *unit = sget(tl, "unit");
	long long secs = unit && !strcmp(unit, "day") ? 86400 : unit && !strcmp(unit, "hour") ? 3600 : 0;
	size_t n = json_array_size(counts);
	lit(o, "<div class=\"plot\">\n");
	if (!secs || !n) {
		lit(o, "<h3>Copies over time</h3>\n");
		no_data(o, "The case has no timeline.");
		lit(o, "</div>\n");
		return;
	}
	size_t k = (n + BARS - 1) / BARS, nb = (n + k - 1) / k;
	long long bins[BARS], max = 0, total = 0;
	memset(bins, 0, sizeof bins);
	for (size_t i = 0; i < n; i++) {
		long long v = 0;
		if (num_of(json_array_get(counts, i), &v) && v > 0 && v < (1LL << 40))
			bins[i / k] += v, total += v;
	}
	for (size_t i = 0; i < nb; i++)
		if (bins[i] > max)
			max = bins[i];
	const char *uname = secs == 3600 ? "hour" : "day";
	if (k == 1)
		putf(o, "<h3>Copies per %s (UTC)</h3>\n", uname);
	else
		putf(o, "<h3>Copies per %zu %ss (UTC)</h3>\n", k, uname);

	const double W = 720, H = 206, L = 50, R = 12, T = 14, B = 52;
	const double pw = W - L - R, ph = H - T - B, base = T + ph;
	long long step = nice_step(max), top = max ? (max + step - 1) / step * step : step;
	lit(o, "<svg class=\"chart\" viewBox=\"0 0 720 206\" role=\"img\" "
	       "aria-label=\"Bar chart of copies over time\">");
	for (long long v = 0; v <= top; v += step) {
		double y = base - (double)v * ph / (double)top;
		line(o, "grid", L, y, W - R, y);
		tick_label(o, L - 6, y + 4, "ax", "end");
		putint(o, v);
		lit(o, "</text>");
	}
	double bw = pw / (double)nb;
	for (size_t i = 0; i < nb; i++) {
		if (!bins[i])
			continue;
		double h = (double)bins[i] * ph / (double)top, x = L + bw * (double)i;
		double gap = bw > 4 ? bw * 0.18 : 0;
		rect(o, "bar", x + gap / 2, base - h, bw - gap, h);
		if (nb <= 60) {
			tick_label(o, x + bw / 2, base - h - 3, "val", "middle");
			putint(o, bins[i]);
			lit(o, "</text>");
		}
	}
	line(o, "axis", L, base, W - R, base);
	line(o, "axis", L, T, L, base);

	/* ticks: every c units, c the first candidate giving at most 10 labels;
	 * merged bins: every few bins */
	long long t0 = 0;
	bool timed = parse_time(sget(tl, "start"), &t0);
	static const long long HOURS[] = {1, 2, 3, 4, 6, 12, 24, 48, 96};
	static const long long DAYS[] = {1, 2, 7, 14, 28, 56, 112, 224, 448, 896};
	const long long *cand = secs == 3600 ? HOURS : DAYS;
	size_t ncand = secs == 3600 ? sizeof HOURS / sizeof *HOURS : sizeof DAYS / sizeof *DAYS;
	long long every = cand[ncand - 1];
	for (size_t i = 0; i < ncand; i++)
		if ((long long)(n + (size_t)cand[i] - 1) / cand[i] <= 10) {
			every = cand[i];
			break;
		}
	if (k > 1)
		every = (long long)k * (long long)((nb + 9) / 10);
	long long first_unit = timed ? (t0 >= 0 ? t0 / secs : (t0 - secs + 1) / secs) : 0;
	int last_day = -1, last_year = -1;
	for (size_t i = 0; i < nb; i++) {
		long long off = (long long)(i * k), unit_i = first_unit + off;
		if (k > 1 ? off % every != 0 : (unit_i % every + every) % every != 0)
			continue;
		double x = L + bw * (double)i + (k == 1 ? bw / 2 : 0);
		line(o, "axis", x, base, x, base + 4);
		struct tm tm;
		tick_label(o, x, base + 16, "ax", "middle");
		if (!timed || !split_time(unit_i * secs, &tm)) {
			putf(o, "+%lld %s</text>", off, secs == 3600 ? "h" : "d");
			continue;
		}
		if (secs == 3600)
			putf(o, "%02d:00</text>", tm.tm_hour);
		else
			putf(o, "%s %d</text>", MONTHS[tm.tm_mon], tm.tm_mday);
		int day = tm.tm_year * 400 + tm.tm_yday;
		if (secs == 3600 && day != last_day) {
			tick_label(o, x, base + 29, "ax", "middle");
			putf(o, "%s %d</text>", MONTHS[tm.tm_mon], tm.tm_mday);
		} else if (secs == 86400 && tm.tm_year != last_year) {
			tick_label(o, x, base + 29, "ax", "middle");
			putf(o, "%d</text>", tm.tm_year + 1900);
		}
		last_day = day;
		last_year = tm.tm_year;
	}
	tick_label(o, L + pw / 2, H - 6, "ttl", "middle");
	if (k > 1)
		putf(o, "Arrival time (UTC), one bar per %zu %ss</text>", k, uname);
	else
		putf(o, "Arrival time (UTC), one bar per %s</text>", uname);
	lit(o, "<text class=\"ttl\" transform=\"rotate(-90)\" x=\"");
	putreal(o, -(T + ph / 2), 1);
	lit(o, "\" y=\"14\" text-anchor=\"middle\">Copies</text>");
	lit(o, "</svg>\n");
	putf(o, "<p class=\"note\">%lld %s in %zu %s", total, plural(total, "copy", "copies"), n,
	     plural((long long)n, uname, secs == 3600 ? "hours" : "days"));
	if (timed) {
		lit(o, " from ");
		put_time(o, get(tl, "start"));
	}
	lit(o, ".</p>\n</div>\n");
}

/* Recipients by organisation: values.rcpt_domain as horizontal bars,
 * the first DOMAIN_BARS and the rest as one bar. */
static void plot_domains(rep *r)
{
	out *o = &r->o;
	const json_t *a = get(r->values, "rcpt_domain");
	size_t n = json_array_size(a), shown = n > DOMAIN_BARS + 1 ? DOMAIN_BARS : n;
	lit(o, "<div class=\"plot\">\n<h3>Recipients by organisation</h3>\n");
	if (!n) {
		no_data(o, "The case has no recipient domains.");
		lit(o, "</div>\n");
		return;
	}
	long long max = 0, rest = 0;
	for (size_t i = 0; i < n; i++) {
		long long v = nget(json_array_get(a, i), "count");
		if (v < 0 || v > (1LL << 40))
			v = 0;
		if (i < shown && v > max)
			max = v;
		if (i >= shown)
			rest += v;
	}
	if (rest > max)
		max = rest;
	size_t rows = shown + (n > shown);
	const double W = 360, L = 150, R = 30, T = 4, RH = 18;
	const double pw = W - L - R, ph = RH * (double)rows, H = T + ph + 36;
	long long step = nice_step(max), top = max ? (max + step - 1) / step * step : step;
	lit(o, "<svg class=\"chart\" viewBox=\"0 0 360 ");
	putreal(o, H, 1);
	lit(o, "\" role=\"img\" aria-label=\"Bar chart of recipients by organisation\">");
	for (long long v = 0; v <= top; v += step) {
		double x = L + (double)v * pw / (double)top;
		line(o, "grid", x, T, x, T + ph);
		tick_label(o, x, T + ph + 13, "ax", "middle");
		putint(o, v);
		lit(o, "</text>");
	}
	for (size_t i = 0; i < rows; i++) {
		bool other = i == shown;
		const json_t *e = other ? NULL : json_array_get(a, i);
		long long v = other ? rest : nget(e, "count");
		if (v < 0 || v > (1LL << 40))
			v = 0;
		double y = T + RH * (double)i, w = (double)v * pw / (double)top;
		tick_label(o, L - 5, y + RH / 2 + 4, "lab", "end");
		if (other)
			putf(o, "%zu other %s", n - shown, plural((long long)(n - shown), "domain", "domains"));
		else
			jtext(o, get(e, "value"), CUT_LABEL, T_SVG);
		lit(o, "</text>");
		rect(o, other ? "other" : "bar", L, y + 3, w, RH - 6);
		tick_label(o, L + w + 4, y + RH / 2 + 4, "val", "start");
		putint(o, v);
		lit(o, "</text>");
	}
	line(o, "axis", L, T, L, T + ph);
	line(o, "axis", L, T + ph, W - R, T + ph);
	tick_label(o, L + pw / 2, H - 6, "ttl", "middle");
	lit(o, "Recipients per registrable domain</text></svg>\n</div>\n");
}

/* --- page 1 ------------------------------------------------------------ */

static const char *verdict_words(const char *v)
{
	if (!v)
		return NULL;
	if (!strcmp(v, "accept"))
		return "deliver the copies unchanged";
	if (!strcmp(v, "neutralise"))
		return "deliver the copies with their trackers and links disarmed";
	if (!strcmp(v, "quarantine"))
		return "hold the copies back from the recipients";
	if (!strcmp(v, "reject"))
		return "refuse the copies at delivery";
	return NULL;
}

static void banner(rep *r)
{
	out *o = &r->o;
	putf(o, "<header class=\"tlp %s\"><strong>%s</strong><span>%s</span></header>\n", r->tlp->cls, r->tlp->label,
	     r->tlp->words);
	if (r->tlp == &TLP_UNKNOWN && sget(r->c, "tlp")) {
		lit(o, "<p class=\"note\">Marking found in the case: ");
		text(o, sget(r->c, "tlp"), 40, 0);
		lit(o, "</p>\n");
	}
}

static void title(rep *r)
{
	out *o = &r->o;
	const json_t *org = get(r->c, "organisation");
	lit(o, "<p class=\"kicker\">Campaign report " MIDDOT " ");
	if (sget(org, "name"))
		text(o, sget(org, "name"), 80, 0);
	else
		lit(o, "reporting organisation not named");
	lit(o, " " MIDDOT " generated ");
	put_time(o, get(r->c, "generated"));
	putf(o, "</p>\n<h1>Campaign %lld: <span class=\"subj\">\xe2\x80\x9c", r->id);
	if (sget(r->camp, "subject"))
		text(o, sget(r->camp, "subject"), CUT_TITLE, 0);
	else
		lit(o, "(no subject)");
	lit(o, "\xe2\x80\x9d</span></h1>\n");

	const char *status = sget(r->camp, "status"), *verdict = sget(r->camp, "verdict");
	const char *cls = status && !strcmp(status, "malicious") ? "v-malicious"
	                  : status && !strcmp(status, "benign")  ? "v-benign"
	                                                         : "v-open";
	putf(o, "<div class=\"verdict %s\"><div class=\"badge\">", cls);
	if (status && (!strcmp(status, "malicious") || !strcmp(status, "benign") || !strcmp(status, "open")))
		lit(o, !strcmp(status, "malicious") ? "MALICIOUS" : !strcmp(status, "benign") ? "BENIGN" : "OPEN");
	else
		text(o, status ? status : "UNKNOWN", 20, 0);
	lit(o, "</div><div><p><strong>Verdict: ");
	if (verdict)
		text(o, verdict, 20, 0);
	else
		lit(o, "none recorded");
	lit(o, "</strong>");
	if (verdict_words(verdict)) {
		lit(o, " " DASH " ");
		lit(o, verdict_words(verdict));
	}
	const json_t *an = get(r->camp, "analyst");
	lit(o, json_is_true(an)    ? ". Status set by an analyst."
	       : json_is_false(an) ? ". Status set automatically by Portcullis."
	                           : ".");
	lit(o, "</p><p class=\"why\"><strong>Why:</strong> ");
	if (sget(r->camp, "why"))
		text(o, sget(r->camp, "why"), CUT_LONG, 0);
	else
		lit(o, "no reason recorded.");
	lit(o, "</p></div></div>\n");
}

static void summary(rep *r)
{
	out *o = &r->o;
	const json_t *k = r->camp;
	long long rcpt = nget(k, "recipients"), senders = nget(k, "senders"), fc = nget(k, "first_contact");
	long long tokened = nget(k, "tokened"), tokens = nget(k, "tokens");
	long long orgs = (long long)json_array_size(get(r->values, "rcpt_domain"));
	long long ntrack = (long long)json_array_size(get(r->values, "tracker"));
	long long t1, t2;
	bool timed = parse_time(sget(k, "first_seen"), &t1) && parse_time(sget(k, "last_seen"), &t2);
	lit(o, "<p class=\"summary\">");
	if (timed) {
		lit(o, "Between <b>");
		put_time(o, get(k, "first_seen"));
		lit(o, "</b> and <b>");
		put_time(o, get(k, "last_seen"));
		lit(o, "</b> (");
		put_duration(o, t2 - t1);
		lit(o, "), <b>");
	} else {
		lit(o, "<b>");
	}
	count_of(o, r->size, "copy", "copies");
	lit(o, "</b> of one message reached <b>");
	count_of(o, rcpt, "recipient", "recipients");
	lit(o, "</b> in <b>");
	count_of(o, orgs, "organisation", "organisations");
	lit(o, "</b>, sent from <b>");
	count_of(o, senders, "sender address", "sender addresses");
	lit(o, "</b>");
	if (fc > 0)
		putf(o, " (%lld of them first contacts: never seen writing to the organisation before)", fc);
	lit(o, ". ");
	if (tokened > 0) {
		lit(o, "<b>");
		count_of(o, tokened, "copy", "copies");
		putf(o,
		     "</b> carried a per-recipient tracking token (%lld distinct): whoever sent %s can tell which "
		     "recipient opened or clicked which copy. ",
		     tokens, tokened == 1 ? "it" : "them");
	} else {
		lit(o, "No copy carried a per-recipient tracking token. ");
	}
	if (ntrack > 0) {
		lit(o, "Its links or images lead to ");
		count_of(o, ntrack, "tracker host", "tracker hosts");
		lit(o, ". ");
	}
	const json_t *f0 = json_array_get(get(r->c, "findings"), 0);
	if (f0 && sget(f0, "summary")) {
		lit(o, "The finding most copies share: ");
		text(o, sget(f0, "summary"), 200, 0);
		if (has_num(f0, "members"))
			putf(o, " (%lld of %lld copies)", nget(f0, "members"), r->size);
		lit(o, ". ");
	}
	const char *status = sget(k, "status"), *verdict = sget(k, "verdict");
	if (status) {
		lit(o, "Portcullis rates the campaign <b>");
		text(o, status, 20, 0);
		lit(o, "</b>");
		if (json_is_true(get(k, "analyst")))
			lit(o, ", confirmed by an analyst");
		if (verdict_words(verdict)) {
			lit(o, "; its verdict is to ");
			lit(o, verdict_words(verdict));
		}
		lit(o, ". ");
	}
	static const struct {
		const char *key, *words;
	} ACT[] = {{"quarantined", "quarantined"},
	           {"purged", "purged from mailboxes"},
	           {"released", "released to the recipients"},
	           {"deleted", "deleted"},
	           {"marked", "marked"}};
	const json_t *acts = get(r->c, "actions");
	bool any = false;
	for (size_t i = 0; i < sizeof ACT / sizeof *ACT; i++) {
		long long v = nget(acts, ACT[i].key);
		if (v <= 0)
			continue;
		lit(o, any ? ", " : "Recorded actions: ");
		count_of(o, v, "copy", "copies");
		putf(o, " %s", ACT[i].words);
		any = true;
	}
	lit(o, any ? "." : "No action on the copies has been recorded.");
	lit(o, "</p>\n");
}

static void fact_row(out *o, const char *name)
{
	putf(o, "<tr><th>%s</th><td>", name);
}

static void facts(rep *r)
{
	out *o = &r->o;
	const json_t *k = r->camp, *org = get(r->c, "organisation");
	long long t1, t2;
	size_t doms = json_array_size(get(r->values, "rcpt_domain"));
	lit(o, "<table class=\"kv\"><tbody>\n");
	fact_row(o, "Status, verdict");
	jfield(o, k, "status", 20, 0);
	if (json_is_boolean(get(k, "analyst")))
		lit(o, json_is_true(get(k, "analyst")) ? " (analyst)" : " (automatic)");
	lit(o, ", ");
	jfield(o, k, "verdict", 20, 0);
	lit(o, "</td></tr>\n");
	fact_row(o, "First seen");
	put_time(o, get(k, "first_seen"));
	lit(o, "</td></tr>\n");
	fact_row(o, "Last seen");
	put_time(o, get(k, "last_seen"));
	if (parse_time(sget(k, "first_seen"), &t1) && parse_time(sget(k, "last_seen"), &t2)) {
		lit(o, " (+");
		put_duration(o, t2 - t1);
		lit(o, ")");
	}
	lit(o, "</td></tr>\n");
	fact_row(o, "Copies, recipients");
	putf(o, "%lld to %lld in %zu %s", r->size, nget(k, "recipients"), doms,
	     plural((long long)doms, "domain", "domains"));
	lit(o, "</td></tr>\n");
	fact_row(o, "Sender addresses");
	putint(o, nget(k, "senders"));
	if (has_num(k, "first_contact"))
		putf(o, ", %lld first contact%s", nget(k, "first_contact"), nget(k, "first_contact") == 1 ? "" : "s");
	lit(o, "</td></tr>\n");
	fact_row(o, "Tracking tokens");
	putf(o, "in %lld %s, %lld distinct", nget(k, "tokened"), plural(nget(k, "tokened"), "copy", "copies"),
	     nget(k, "tokens"));
	lit(o, "</td></tr>\n");
	fact_row(o, "Trackers");
	putf(o, "%zu %s, %zu URL %s", json_array_size(get(r->values, "tracker")),
	     plural((long long)json_array_size(get(r->values, "tracker")), "host", "hosts"),
	     json_array_size(get(r->values, "template")),
	     plural((long long)json_array_size(get(r->values, "template")), "template", "templates"));
	lit(o, "</td></tr>\n");
	fact_row(o, "Indicators");
	putf(o, "%zu (section 6)", json_array_size(get(r->c, "indicators")));
	lit(o, "</td></tr>\n");
	fact_row(o, "Recipients shown");
	const char *mode = sget(r->c, "recipients_mode");
	if (mode && !strcmp(mode, "hashed"))
		lit(o, "as salted SHA-256 (salt not included)");
	else if (mode && !strcmp(mode, "clear"))
		lit(o, "in clear");
	else if (mode && !strcmp(mode, "none"))
		lit(o, "not included");
	else
		jtext(o, get(r->c, "recipients_mode"), 20, 0);
	lit(o, "</td></tr>\n");
	fact_row(o, "Reported by");
	jfield(o, org, "name", 80, 0);
	if (sget(org, "contact")) {
		lit(o, "<span class=\"sub\">");
		text(o, sget(org, "contact"), 80, T_HOST);
		lit(o, "</span>");
	}
	lit(o, "</td></tr>\n</tbody></table>\n");
}

static void first_page(rep *r)
{
	out *o = &r->o;
	banner(r);
	lit(o, "<main>\n<section class=\"first\">\n");
	title(r);
	summary(r);
	lit(o, "<div class=\"cols\">\n<div>\n");
	facts(r);
	lit(o, "</div>\n");
	plot_domains(r);
	lit(o, "</div>\n");
	plot_timeline(r);
	lit(o, "</section>\n");
}

/* --- why: findings ----------------------------------------------------- */

/* An evidence value as nested key/value lists; *budget values at most. */
static void evidence(out *o, const json_t *v, int depth, size_t *budget)
{
	if (!*budget)
		return;
	(*budget)--;
	if (json_is_object(v) || json_is_array(v)) {
		size_t n = json_is_object(v) ? json_object_size(v) : json_array_size(v);
		if (!n) {
			lit(o, json_is_object(v) ? "{}" : "[]");
			return;
		}
		if (depth >= EV_DEPTH) {
			putf(o, "<span class=\"none\">(%zu nested %s not shown)</span>", n,
			     plural((long long)n, "value", "values"));
			return;
		}
		size_t i = 0;
		if (json_is_object(v)) {
			const char *key;
			const json_t *val;
			lit(o, "<dl class=\"ev\">");
			json_object_foreach((json_t *)v, key, val)
			{
				if (i >= EV_ITEMS || !*budget)
					break;
				lit(o, "<dt>");
				text(o, key, 60, 0);
				lit(o, "</dt><dd>");
				evidence(o, val, depth + 1, budget);
				lit(o, "</dd>");
				i++;
			}
			if (i < n)
				putf(o, "<dt>" ELLIPSIS "</dt><dd class=\"none\">%zu more not shown</dd>", n - i);
			lit(o, "</dl>");
		} else {
			bool flat = true; /* scalars only: one line, comma-separated */
			for (size_t j = 0; j < n && j < EV_ITEMS && flat; j++)
				flat = !json_is_object(json_array_get(v, j)) && !json_is_array(json_array_get(v, j));
			lit(o, flat ? "<span class=\"list\">" : "<ol class=\"ev\">");
			for (; i < n && i < EV_ITEMS && *budget; i++) {
				lit(o, flat ? (i ? ", " : "") : "<li>");
				evidence(o, json_array_get(v, i), depth + 1, budget);
				lit(o, flat ? "" : "</li>");
			}
			lit(o, flat ? "</span>" : "</ol>");
			if (i < n)
				putf(o, "<span class=\"none\"> and %zu more not shown</span>", n - i);
		}
		return;
	}
	jtext(o, v, CUT_LONG, 0);
}

static void why(rep *r)
{
	out *o = &r->o;
	const json_t *fs = get(r->c, "findings");
	size_t n = json_array_size(fs);
	lit(o, "<section class=\"major\">\n<h2>1. Why it is malicious</h2>\n<p>");
	if (sget(r->camp, "why")) {
		lit(o, "<strong>The reason given:</strong> ");
		text(o, sget(r->camp, "why"), CUT_LONG, 0);
		lit(o, " ");
	}
	putf(o,
	     "The findings below made the copies' verdicts: %zu %s, each with how many of the %lld copies had it "
	     "and the evidence it rests on.</p>\n",
	     n, plural((long long)n, "finding", "findings"), r->size);
	if (!n)
		no_data(o, "The case records no findings.");
	for (size_t i = 0; i < n && i < FINDINGS; i++) {
		const json_t *f = json_array_get(fs, i);
		lit(o, "<div class=\"finding\"><h3>");
		if (sget(f, "summary"))
			text(o, sget(f, "summary"), 300, 0);
		else
			lit(o, "(no summary)");
		lit(o, "</h3><p class=\"note\">Detector <code>");
		jfield(o, f, "detector", 80, 0);
		lit(o, "</code>");
		if (has_num(f, "members"))
			putf(o, " " MIDDOT " in %lld of %lld copies", nget(f, "members"), r->size);
		if (json_is_number(get(f, "score"))) {
			lit(o, " " MIDDOT " score ");
			putreal(o, json_number_value(get(f, "score")), 2);
		}
		lit(o, "</p>");
		const json_t *ev = get(f, "evidence");
		if (ev && !json_is_null(ev)) {
			size_t budget = PC_REPORT_EVIDENCE;
			evidence(o, ev, 0, &budget);
			if (!budget)
				putf(o, "<p class=\"note\">Evidence cut after %d values.</p>", PC_REPORT_EVIDENCE);
		}
		lit(o, "</div>\n");
	}
	if (n > FINDINGS)
		putf(o, "<p class=\"note\">and %zu more findings not shown.</p>\n", n - FINDINGS);
	lit(o, "</section>\n");
}

/* --- value tables ------------------------------------------------------ */

/* values[kind] (most frequent first, as the case has them) as a table. */
static void values_table(rep *r, const char *kind, const char *head, unsigned f, const char *what)
{
	out *o = &r->o;
	const json_t *a = get(r->values, kind);
	size_t n = json_array_size(a);
	if (!n) {
		no_data(o, "None recorded.");
		return;
	}
	putf(o, "<table class=\"list\"><thead><tr><th>%s</th><th class=\"num\">Copies</th></tr></thead><tbody>\n",
	     head);
	for (size_t i = 0; i < n && i < PC_REPORT_ROWS; i++) {
		const json_t *e = json_array_get(a, i);
		lit(o, "<tr><td>");
		jfield(o, e, "value", CUT_CELL, f);
		lit(o, "</td><td class=\"num\">");
		jfield(o, e, "count", 20, 0);
		lit(o, "</td></tr>\n");
	}
	if (n > PC_REPORT_ROWS)
		more_row(o, 2, n - PC_REPORT_ROWS, what);
	lit(o, "</tbody></table>\n");
}

static const struct {
	const char *prefix, *words;
} INFRA[] = {
    {"from:", "From domain"},    {"rp:", "Return-path domain"},   {"dkim:", "DKIM signing domain"},
    {"ip:", "Sending network"},  {"addr:", "Sending IP address"}, {"tracker:", "Tracker host"},
    {"auth:", "Authentication"},
};

static void infra_table(rep *r)
{
	out *o = &r->o;
	const json_t *a = get(r->values, "infra");
	size_t n = json_array_size(a);
	if (!n) {
		no_data(o, "None recorded.");
		return;
	}
	lit(o, "<table class=\"list\"><thead><tr><th>Kind</th><th>Value</th><th class=\"num\">Copies</th></tr>"
	       "</thead><tbody>\n");
	for (size_t i = 0; i < n && i < PC_REPORT_ROWS; i++) {
		const json_t *e = json_array_get(a, i);
		const char *v = sget(e, "value");
		size_t vn = v ? json_string_length(get(e, "value")) : 0, skip = 0;
		lit(o, "<tr><td>");
		for (size_t k = 0; v && k < sizeof INFRA / sizeof *INFRA; k++)
			if (!strncmp(v, INFRA[k].prefix, strlen(INFRA[k].prefix))) {
				lit(o, INFRA[k].words);
				skip = strlen(INFRA[k].prefix);
				break;
			}
		if (v && !skip)
			lit(o, "other");
		lit(o, "</td><td>");
		if (v)
			text_n(o, v + skip, vn - skip, CUT_CELL, T_HOST);
		else
			none(o, 0);
		lit(o, "</td><td class=\"num\">");
		jfield(o, e, "count", 20, 0);
		lit(o, "</td></tr>\n");
	}
	if (n > PC_REPORT_ROWS)
		more_row(o, 3, n - PC_REPORT_ROWS, "values");
	lit(o, "</tbody></table>\n");
}

/* --- tallies over the members ------------------------------------------ */

typedef struct top {
	const char *v;
	long long n;
} top;

static bool before(const top *a, const char *v, long long n)
{
	return n > a->n || (n == a->n && strcmp(v, a->v) < 0);
}

/* The k most frequent keys of a tally (count, then bytes, so the order
 * is the same however the hash table is laid out); O(entries x k). */
static size_t top_k(GHashTable *h, top *t, size_t k)
{
	GHashTableIter it;
	gpointer key, val;
	size_t m = 0;
	g_hash_table_iter_init(&it, h);
	while (g_hash_table_iter_next(&it, &key, &val)) {
		long long n = (long long)GPOINTER_TO_SIZE(val);
		if (m == k && !before(&t[k - 1], key, n))
			continue;
		size_t j = m < k ? m++ : k - 1;
		while (j > 0 && before(&t[j - 1], key, n)) {
			t[j] = t[j - 1];
			j--;
		}
		t[j].v = key;
		t[j].n = n;
	}
	return m;
}

static void tally(GHashTable *h, const char *v)
{
	if (!v || !*v)
		return;
	gpointer old = g_hash_table_lookup(h, v);
	g_hash_table_insert(h, (gpointer)v, GSIZE_TO_POINTER(GPOINTER_TO_SIZE(old) + 1));
}

static const struct {
	const char *key, *words;
} SEEN[] = {
    {"sending_ip", "Sending IP (first external hop)"},
    {"client_ip", "Connecting IP (SMTP client)"},
    {"helo", "HELO name"},
    {"mail_from", "Envelope sender (MAIL FROM)"},
    {"return_path", "Return-Path"},
    {"reply_to", "Reply-To"},
};

static void seen_in_copies(rep *r)
{
	out *o = &r->o;
	size_t n = json_array_size(r->members);
	bool any = false;
	for (size_t f = 0; f < sizeof SEEN / sizeof *SEEN; f++) {
		GHashTable *h = g_hash_table_new(g_str_hash, g_str_equal);
		for (size_t i = 0; i < n; i++)
			tally(h, sget(json_array_get(r->members, i), SEEN[f].key));
		size_t distinct = g_hash_table_size(h);
		if (distinct) {
			top t[SEEN_ROWS];
			size_t m = top_k(h, t, SEEN_ROWS);
			if (!any)
				lit(o, "<table class=\"list\"><thead><tr><th>Field</th><th>Value</th><th "
				       "class=\"num\">Copies</th></tr></thead><tbody>\n");
			any = true;
			for (size_t i = 0; i < m; i++) {
				putf(o, "<tr><td>%s</td><td>", i ? "" : SEEN[f].words);
				text(o, t[i].v, CUT_CELL, T_HOST);
				putf(o, "</td><td class=\"num\">%lld</td></tr>\n", t[i].n);
			}
			if (distinct > m)
				more_row(o, 3, distinct - m, "values");
		}
		g_hash_table_destroy(h);
	}
	if (any)
		lit(o, "</tbody></table>\n");
	else
		no_data(o, "The copies record no envelope or reply addresses.");
}

static void senders(rep *r)
{
	out *o = &r->o;
	lit(o, "<section>\n<h2>2. Senders and infrastructure</h2>\n"
	       "<p class=\"note\">Hosts, addresses and IPs are defanged: a dot between letters or digits is "
	       "shown as [.], http as hxxp.</p>\n<h3>Sender addresses</h3>\n");
	values_table(r, "sender", "Address", T_HOST, "senders");
	lit(o, "<h3>Infrastructure</h3>\n");
	infra_table(r);
	lit(o, "<h3>Seen in the copies</h3>\n");
	seen_in_copies(r);
	lit(o, "</section>\n");
}

static const char *indicator_label(const char *type)
{
	static const struct {
		const char *type, *label;
	} L[] = {
	    {"sender-address", "Sender address"},
	    {"sender-domain", "Sender domain"},
	    {"lookalike-domain", "Lookalike domain"},
	    {"reply-to", "Reply-To address"},
	    {"return-path", "Return-Path address"},
	    {"tracker-host", "Tracker host"},
	    {"url-template", "URL template"},
	    {"sending-ip", "Sending IP"},
	    {"subject", "Subject"},
	};
	for (size_t i = 0; type && i < sizeof L / sizeof *L; i++)
		if (!strcmp(type, L[i].type))
			return L[i].label;
	return NULL;
}

static void indicator_rows(rep *r, const char *only, bool regex_col)
{
	out *o = &r->o;
	const json_t *a = get(r->c, "indicators");
	size_t n = json_array_size(a), shown = 0, skipped = 0;
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(a, i);
		const char *type = sget(e, "type");
		if (only && (!type || strcmp(type, only)))
			continue;
		if (shown >= PC_REPORT_INDICATORS) {
			skipped++;
			continue;
		}
		shown++;
		lit(o, "<tr>");
		if (!only) {
			lit(o, "<td>");
			const char *label = indicator_label(type);
			if (label)
				lit(o, label);
			else
				jfield(o, e, "type", 30, 0);
			lit(o, "</td>");
		}
		lit(o, "<td>");
		jfield(o, e, "value", CUT_CELL, type && !strcmp(type, "subject") ? 0 : T_HOST);
		if (!regex_col && sget(e, "regex")) {
			lit(o, "<span class=\"sub\">regex <code>");
			text(o, sget(e, "regex"), CUT_RE, T_VERBATIM);
			lit(o, "</code></span>");
		}
		lit(o, "</td>");
		if (regex_col) {
			lit(o, "<td><code>");
			jfield(o, e, "regex", CUT_RE, T_VERBATIM);
			lit(o, "</code></td>");
		}
		lit(o, "<td class=\"num\">");
		jfield(o, e, "count", 20, 0);
		lit(o, "</td><td>");
		jfield(o, e, "why", 300, 0);
		lit(o, "</td></tr>\n");
	}
	if (skipped)
		more_row(o, 4, skipped, "indicators");
	if (!shown)
		putf(o, "<tr><td colspan=\"4\" class=\"none\">None.</td></tr>\n");
}

static void trackers(rep *r)
{
	out *o = &r->o;
	lit(o, "<section>\n<h2>3. Tracker hosts and URL templates</h2>\n"
	       "<p class=\"note\">A URL template is a tracker URL with the part that differs per recipient "
	       "replaced by {COPY}: the same template in many copies with a different token in each is how the "
	       "sender tells recipients apart.</p>\n<h3>Tracker hosts</h3>\n");
	values_table(r, "tracker", "Host", T_HOST, "hosts");
	lit(o, "<h3>URL templates</h3>\n");
	values_table(r, "template", "Template", T_HOST, "templates");
	lit(o, "<h3>Templates with a per-recipient token</h3>\n");
	values_table(r, "per-recipient-token", "Template", T_HOST, "templates");
	lit(o, "<h3>URL template indicators</h3>\n<table class=\"list\"><thead><tr><th>Template</th>"
	       "<th>Regular expression (PCRE, verbatim)</th><th class=\"num\">Count</th><th>Why</th></tr></thead>"
	       "<tbody>\n");
	indicator_rows(r, "url-template", true);
	lit(o, "</tbody></table>\n</section>\n");
}

/* --- authentication ---------------------------------------------------- */

static int method_rank(const char *m)
{
	return !strcmp(m, "spf") ? 0 : !strcmp(m, "dkim") ? 1 : !strcmp(m, "dmarc") ? 2 : 3;
}

typedef struct authrow {
	const char *method, *result;
	long long n;
} authrow;

static int authrow_cmp(const void *a, const void *b)
{
	const authrow *x = a, *y = b;
	int rx = method_rank(x->method), ry = method_rank(y->method);
	if (rx != ry)
		return rx - ry;
	int c = strcmp(x->method, y->method);
	if (c)
		return c;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->result, y->result);
}

static void auth_cell(out *o, const json_t *auth, const char *method)
{
	size_t n = json_array_size(auth), shown = 0;
	for (size_t i = 0; i < n; i++) {
		const json_t *a = json_array_get(auth, i);
		const char *m = sget(a, "method");
		if (!m || strcmp(m, method))
			continue;
		if (shown++ >= 4) {
			lit(o, ELLIPSIS);
			break;
		}
		if (shown > 1)
			lit(o, "<br>");
		jfield(o, a, "result", 20, 0);
		if (sget(a, "domain")) {
			lit(o, " <span class=\"note\">");
			text(o, sget(a, "domain"), 60, T_HOST);
			if (sget(a, "selector")) {
				lit(o, " s=");
				text(o, sget(a, "selector"), 30, 0);
			}
			lit(o, "</span>");
		}
	}
	if (!shown)
		none(o, 0);
}

static void authentication(rep *r)
{
	out *o = &r->o;
	size_t n = json_array_size(r->members);
	lit(o, "<section>\n<h2>4. Authentication results</h2>\n");
	/* counts per method and result: keys "method\x1fresult" */
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (size_t i = 0; i < n; i++) {
		const json_t *auth = get(json_array_get(r->members, i), "auth");
		for (size_t j = 0; j < json_array_size(auth); j++) {
			const json_t *a = json_array_get(auth, j);
			const char *m = sget(a, "method"), *res = sget(a, "result");
			if (!m || !res)
				continue;
			gchar *key = g_strconcat(m, "\x1f", res, NULL);
			gpointer old = g_hash_table_lookup(h, key);
			g_hash_table_replace(h, key, GSIZE_TO_POINTER(GPOINTER_TO_SIZE(old) + 1));
		}
	}
	size_t nk = g_hash_table_size(h);
	if (!nk) {
		no_data(o, "The copies record no SPF, DKIM or DMARC results.");
	} else {
		authrow *rows = g_new(authrow, nk);
		GHashTableIter it;
		gpointer key, val;
		size_t m = 0;
		g_hash_table_iter_init(&it, h);
		while (g_hash_table_iter_next(&it, &key, &val)) {
			char *k = key, *sep = strchr(k, '\x1f');
			rows[m].method = k;
			rows[m].result = sep + 1;
			*sep = '\0'; /* the key is ours; the table is not looked up again */
			rows[m++].n = (long long)GPOINTER_TO_SIZE(val);
		}
		/* methods and results are few (one per kind of result); sorting
		 * them is not a cost that grows with the copies */
		qsort(rows, m, sizeof *rows, authrow_cmp);
		lit(o, "<h3>Results over the copies</h3>\n<table class=\"list\"><thead><tr><th>Method</th>"
		       "<th>Result</th><th class=\"num\">Copies</th></tr></thead><tbody>\n");
		for (size_t i = 0; i < m && i < PC_REPORT_ROWS; i++) {
			lit(o, "<tr><td>");
			text(o, rows[i].method, 20, 0);
			lit(o, "</td><td>");
			text(o, rows[i].result, 40, 0);
			putf(o, "</td><td class=\"num\">%lld</td></tr>\n", rows[i].n);
		}
		if (m > PC_REPORT_ROWS)
			more_row(o, 3, m - PC_REPORT_ROWS, "results");
		lit(o, "</tbody></table>\n");
		g_free(rows);
	}
	g_hash_table_destroy(h);
	if (n) {
		lit(o, "<h3>Per copy</h3>\n<table class=\"list auth\"><thead><tr><th class=\"num\">#</th><th>SPF</th>"
		       "<th>DKIM</th><th>DMARC</th></tr></thead><tbody>\n");
		for (size_t i = 0; i < n && i < PC_REPORT_ROWS; i++) {
			const json_t *mb = json_array_get(r->members, i), *auth = get(mb, "auth");
			lit(o, "<tr><td class=\"num\">");
			jfield(o, mb, "n", 20, 0);
			lit(o, "</td><td>");
			auth_cell(o, auth, "spf");
			lit(o, "</td><td>");
			auth_cell(o, auth, "dkim");
			lit(o, "</td><td>");
			auth_cell(o, auth, "dmarc");
			lit(o, "</td></tr>\n");
		}
		if (n > PC_REPORT_ROWS)
			more_row(o, 4, n - PC_REPORT_ROWS, "copies");
		lit(o, "</tbody></table>\n");
	}
	lit(o, "</section>\n");
}

/* --- actions ----------------------------------------------------------- */

static void actions(rep *r)
{
	out *o = &r->o;
	const json_t *acts = get(r->c, "actions"), *audit = get(r->c, "audit");
	static const char *const KEYS[] = {"quarantined", "purged", "released", "deleted", "marked"};
	lit(o, "<section>\n<h2>5. What was done</h2>\n<table class=\"list\"><thead><tr>");
	for (size_t i = 0; i < sizeof KEYS / sizeof *KEYS; i++)
		putf(o, "<th class=\"num\">%c%s</th>", KEYS[i][0] - 'a' + 'A', KEYS[i] + 1);
	lit(o, "</tr></thead><tbody><tr>");
	for (size_t i = 0; i < sizeof KEYS / sizeof *KEYS; i++) {
		lit(o, "<td class=\"num\">");
		jfield(o, acts, KEYS[i], 20, 0);
		lit(o, "</td>");
	}
	lit(o, "</tr></tbody></table>\n<h3>Audit log</h3>\n");
	size_t n = json_array_size(audit);
	if (!n) {
		no_data(o, "The audit log has no entries for this campaign.");
	} else {
		lit(o, "<table class=\"list audit\"><thead><tr><th>When "
		       "(UTC)</th><th>Actor</th><th>Action</th><th>Source</th>"
		       "<th>Detail</th></tr></thead><tbody>\n");
		for (size_t i = 0; i < n && i < PC_REPORT_ROWS; i++) {
			const json_t *e = json_array_get(audit, i);
			lit(o, "<tr><td>");
			put_time_as(o, get(e, "at"), " ", "");
			lit(o, "</td><td>");
			jfield(o, e, "actor", 60, 0);
			lit(o, "</td><td>");
			jfield(o, e, "action", 40, 0);
			lit(o, "</td><td>");
			jfield(o, e, "source", 80, 0);
			lit(o, "</td><td>");
			jfield(o, e, "detail", CUT_CELL, 0);
			lit(o, "</td></tr>\n");
		}
		if (n > PC_REPORT_ROWS)
			more_row(o, 5, n - PC_REPORT_ROWS, "audit entries");
		lit(o, "</tbody></table>\n");
	}
	lit(o, "</section>\n");
}

static void indicators(rep *r)
{
	out *o = &r->o;
	lit(o,
	    "<section class=\"major\">\n<h2>6. Indicators</h2>\n<p class=\"note\">What the evidence supports, "
	    "deduplicated; the organisation's own domains are never indicators. Values are defanged here; the "
	    "STIX and MISP exports carry them as they are.</p>\n"
	    "<table class=\"list ind\"><thead><tr><th>Type</th><th>Value</th><th class=\"num\">Count</th><th>Why</th>"
	    "</tr></thead><tbody>\n");
	indicator_rows(r, NULL, false);
	lit(o, "</tbody></table>\n</section>\n");
}

/* --- copies ------------------------------------------------------------ */

static void copies(rep *r)
{
	out *o = &r->o;
	size_t n = json_array_size(r->members);
	const char *mode = sget(r->c, "recipients_mode");
	lit(o, "<section class=\"major\">\n<h2>7. Copies</h2>\n<p class=\"note\">");
	if (mode && !strcmp(mode, "hashed"))
		lit(o, "Recipients are salted SHA-256 hashes (first 10 hex digits); ");
	else if (mode && !strcmp(mode, "none"))
		lit(o, "Recipients are not included in this case; ");
	putf(o,
	     "token and SHA-256 of each copy as received: first 8 hex digits, the full digests are in section 8. %s in "
	     "arrival order.</p>\n",
	     n > PC_REPORT_COPIES ? "The first copies" : "All copies");
	if (!n) {
		no_data(o, "The case lists no copies.");
		lit(o, "</section>\n");
		return;
	}
	lit(o, "<table class=\"list copies\"><thead><tr><th class=\"num\">#</th><th>Arrived (UTC)</th>"
	       "<th>From / subject</th><th>Recipient</th><th>Verdict</th><th>Token</th><th>SHA-256</th></tr></thead>"
	       "<tbody>\n");
	for (size_t i = 0; i < n && i < PC_REPORT_COPIES; i++) {
		const json_t *m = json_array_get(r->members, i), *rc = get(m, "rcpt");
		lit(o, "<tr><td class=\"num\">");
		jfield(o, m, "n", 20, 0);
		lit(o, "</td><td>");
		put_time_as(o, get(m, "arrived"), "<br>", "");
		lit(o, "</td><td>");
		jfield(o, m, "from", 100, T_HOST);
		if (sget(m, "subject")) {
			lit(o, "<span class=\"sub\">");
			text(o, sget(m, "subject"), 70, T_QUIET);
			lit(o, "</span>");
		}
		lit(o, "</td><td>");
		if (json_array_size(rc)) {
			const json_t *r0 = json_array_get(rc, 0);
			const char *s0 = json_string_value(r0);
			if (s0 && !strncmp(s0, "sha256:", 7)) {
				lit(o, "<span class=\"mono\">");
				text_n(o, s0 + 7, json_string_length(r0) - 7, 10, T_QUIET);
				lit(o, "</span>");
			} else
				jtext(o, r0, 80, T_QUIET);
			if (json_array_size(rc) > 1)
				putf(o, " <span class=\"note\">+%zu</span>", json_array_size(rc) - 1);
		} else {
			none(o, 0);
		}
		const json_t *rd = get(m, "rcpt_domains");
		if (json_array_size(rd)) {
			lit(o, "<span class=\"sub\">");
			for (size_t j = 0; j < json_array_size(rd) && j < 3; j++) {
				if (j)
					lit(o, ", ");
				jtext(o, json_array_get(rd, j), 60, 0);
			}
			if (json_array_size(rd) > 3)
				lit(o, ", " ELLIPSIS);
			lit(o, "</span>");
		}
		lit(o, "</td><td>");
		jfield(o, m, "verdict", 20, 0);
		if (sget(m, "rule")) {
			lit(o, "<span class=\"sub\">");
			text(o, sget(m, "rule"), 60, 0);
			lit(o, "</span>");
		}
		if (sget(m, "quarantine")) {
			lit(o, "<span class=\"sub\">quarantine ");
			text(o, sget(m, "quarantine"), 40, 0);
			lit(o, "</span>");
		}
		lit(o, "</td><td class=\"mono\">");
		jfield(o, m, "token", 8, T_QUIET);
		lit(o, "</td><td class=\"mono\">");
		jfield(o, m, "sha256", 8, T_QUIET);
		lit(o, "</td></tr>\n");
	}
	if (n > PC_REPORT_COPIES)
		more_row(o, 7, n - PC_REPORT_COPIES, "copies");
	lit(o, "</tbody></table>\n</section>\n");
}

static void hashes(rep *r)
{
	out *o = &r->o;
	size_t n = json_array_size(r->members), have = 0;
	lit(o, "<section>\n<h2>8. Hash list</h2>\n");
	for (size_t i = 0; i < n; i++)
		have += sget(json_array_get(r->members, i), "sha256") != NULL;
	putf(o,
	     "<p class=\"note\">SHA-256 of the original bytes of each copy as received, one per line, in arrival "
	     "order: %zu of %zu %s",
	     have, n, plural((long long)n, "copy", "copies"));
	lit(o, have < n ? " (the others have no recorded digest).</p>\n" : ".</p>\n");
	if (have) {
		lit(o, "<pre class=\"hashes\">");
		for (size_t i = 0; i < n; i++) {
			const char *h = sget(json_array_get(r->members, i), "sha256");
			if (h) {
				text(o, h, 64, T_QUIET);
				lit(o, "\n");
			}
		}
		lit(o, "</pre>\n");
	}
	lit(o, "<h3>Campaign fingerprints</h3>\n<table class=\"kv\"><tbody><tr><th>SHA-256 of the normalised "
	       "subject</th><td class=\"mono\">");
	jfield(o, r->camp, "subject_sha256", 64, T_QUIET);
	lit(o, "</td></tr>\n<tr><th>Template signature (MinHash, 64 &#215; 32 bits)</th><td class=\"mono\">");
	jfield(o, r->camp, "signature", 512, T_QUIET);
	lit(o, "</td></tr>\n</tbody></table>\n</section>\n");
}

static void footer(rep *r)
{
	out *o = &r->o;
	lit(o, "</main>\n<footer><p>Generated ");
	put_time(o, get(r->c, "generated"));
	lit(o, " by ");
	jfield(o, r->c, "tool", 60, 0);
	lit(o, " from a case file of format <code>");
	jfield(o, r->c, "format", 40, 0);
	putf(o,
	     "</code>. %s. This document runs no script and loads nothing; nothing in it is a live link: "
	     "URLs, hosts and addresses are defanged (hxxp, [.], [:]) and invisible or reordering characters are "
	     "shown as \xe2\x9f\xa8U+XXXX\xe2\x9f\xa9.</p></footer>\n</body>\n</html>\n",
	     r->tlp->label);
}

char *pc_report_html(const json_t *case_, char *err, size_t errlen)
{
	const char *format = sget(case_, "format");
	if (!json_is_object(case_) || !format || strcmp(format, "portcullis-case/1")) {
		snprintf(err, errlen, "not a case file of format portcullis-case/1");
		return NULL;
	}
	rep r = {.c = case_, .camp = get(case_, "campaign")};
	if (!json_is_object(r.camp) || !has_num(r.camp, "id")) {
		snprintf(err, errlen, "case file without a campaign id");
		return NULL;
	}
	r.values = get(case_, "values");
	r.members = get(case_, "members");
	if (!json_is_array(r.members))
		r.members = NULL;
	r.id = nget(r.camp, "id");
	r.size = has_num(r.camp, "size") ? nget(r.camp, "size") : (long long)json_array_size(r.members);
	r.tlp = &TLP_UNKNOWN;
	const char *tlp = sget(case_, "tlp");
	for (size_t i = 0; tlp && i < sizeof TLPS / sizeof *TLPS; i++)
		if (!g_ascii_strcasecmp(tlp, TLPS[i].key))
			r.tlp = &TLPS[i];

	head(&r);
	first_page(&r);
	why(&r);
	senders(&r);
	trackers(&r);
	authentication(&r);
	actions(&r);
	indicators(&r);
	copies(&r);
	hashes(&r);
	footer(&r);
	if (r.o.err) {
		free(r.o.p);
		snprintf(err, errlen, "report: out of memory or larger than %zu bytes", PC_REPORT_MAX);
		return NULL;
	}
	return r.o.p;
}
