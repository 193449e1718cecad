/*
 * NAME
 *   names - display names and lookalike domains (see names.h)
 * DESCRIPTION
 *   Everything runs in UTF-16 buffers of fixed size held by the state, so
 *   a hostile name costs at most PC_NAMES_MAX_IN bytes of work per step;
 *   an ICU buffer overflow (NFKC can grow a code point 18 times) gives
 *   "no name", never a partial one.
 */
#include "detect/lib/names.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unicode/ubidi.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#define UBUF 16384      /* UTF-16 units per scratch buffer */
#define MAX_TOKENS 16   /* name tokens compared */
#define MAX_CP 128      /* code points of a name compared */
#define MAX_LABEL_CP 63 /* code points of a label compared */

/* Domains normalised for the current message, by host: the same few
 * hosts come back from From, Reply-To, Return-Path, DKIM and many links
 * (callgrind: pc_names_domain was 13% of a scan with protected domains
 * before this cache). Entries point into the message's arena and are
 * valid while its generation is unchanged. */
#define DOMAIN_CACHE 128
typedef struct domain_slot {
	const pc_arena *arena;
	unsigned long gen;
	const char *host; /* the host as asked, in the arena */
	size_t n;
	int rc;
	pc_domain d;
} domain_slot;

typedef struct tok {
	const char *p;
	size_t n;
} tok;

/* Connecting words of name forms ("X on behalf of Y"), as written; the
 * state holds them normalised. */
static const char *const connectives[] = {
    "on behalf of",   "via",           "for",          "from",    "at", "by", "c/o",
    "im auftrag von", "de la part de", "en nombre de", "sent by", NULL};
#define NCONN (sizeof connectives / sizeof *connectives - 1)
#define CONN_MAX 48 /* bytes of a normalised connective */

struct pc_names {
	USpoofChecker *spoof;
	const UNormalizer2 *nfkc_cf, *nfd;
	UBiDi *bidi;
	UChar a[UBUF], b[UBUF];
	/* a display name is at most PC_NAMES_MAX_IN UTF-16 units (one per
	 * byte at most); the bidi comparison without controls runs here */
	UChar plain[PC_NAMES_MAX_IN + 1], vis[PC_NAMES_MAX_IN + 1];
	char conn[NCONN][CONN_MAX];
	domain_slot cache[DOMAIN_CACHE];
};

static int32_t normalise(pc_names *st, int32_t len);

pc_names *pc_names_new(void)
{
	pc_names *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	UErrorCode e = U_ZERO_ERROR;
	st->spoof = uspoof_open(&e);
	if (U_SUCCESS(e))
		uspoof_setChecks(st->spoof, USPOOF_CONFUSABLE, &e);
	st->nfkc_cf = unorm2_getNFKCCasefoldInstance(&e);
	st->nfd = unorm2_getNFDInstance(&e);
	if (U_SUCCESS(e))
		st->bidi = ubidi_openSized(PC_NAMES_MAX_IN + 1, 0, &e);
	if (U_FAILURE(e) || !st->spoof || !st->nfkc_cf || !st->nfd || !st->bidi) {
		pc_names_free(st);
		return NULL;
	}
	/* the connectives as pc_names_display writes them ("from" is "frorn") */
	for (size_t i = 0; i < NCONN; i++) {
		int32_t len = 0;
		e = U_ZERO_ERROR;
		u_strFromUTF8(st->b, UBUF, &len, connectives[i], -1, &e);
		len = U_SUCCESS(e) ? normalise(st, len) : -1;
		if (len > 0)
			u_strToUTF8(st->conn[i], CONN_MAX, NULL, st->b, len, &e);
		if (len <= 0 || U_FAILURE(e) || e == U_STRING_NOT_TERMINATED_WARNING) {
			pc_names_free(st);
			return NULL;
		}
	}
	return st;
}

void pc_names_free(pc_names *st)
{
	if (!st)
		return;
	if (st->spoof)
		uspoof_close(st->spoof);
	if (st->bidi)
		ubidi_close(st->bidi);
	free(st);
}

/* ---- display names ---------------------------------------------------- */

static bool is_space_u(UChar32 c)
{
	return u_isUWhiteSpace(c) || c == 0;
}

/* Removes "(...)" comments (nested, an unclosed one runs to the end) in
 * place; keeps them when nothing else would be left ("(John Smith)"). */
static int32_t drop_comments(UChar *s, int32_t n, UChar *tmp)
{
	int32_t o = 0, depth = 0;
	bool letters = false;
	for (int32_t i = 0; i < n; i++) {
		if (s[i] == '(' || s[i] == '[') {
			depth++;
			continue;
		}
		if ((s[i] == ')' || s[i] == ']') && depth) {
			depth--;
			tmp[o++] = ' ';
			continue;
		}
		if (depth)
			continue;
		if (u_isalpha(s[i]))
			letters = true;
		tmp[o++] = s[i];
	}
	if (!letters)
		return n;
	memcpy(s, tmp, (size_t)o * sizeof *s);
	return o;
}

/* "doe, jane" -> "jane doe" when there is exactly one comma with letters on
 * both sides (and what follows is not a suffix such as "jr" or "phd"). */
static int32_t reorder_comma(UChar *s, int32_t n, UChar *tmp)
{
	int32_t comma = -1;
	for (int32_t i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == 0x060C || s[i] == 0x3001) {
			if (comma >= 0)
				return n;
			comma = i;
		}
	if (comma < 0)
		return n;
	bool before = false, after = false;
	for (int32_t i = 0; i < comma; i++)
		before |= u_isalpha(s[i]) != 0;
	for (int32_t i = comma + 1; i < n; i++)
		after |= u_isalpha(s[i]) != 0;
	if (!before || !after)
		return n;
	/* the part after the comma, trimmed, as ASCII for the suffix test */
	char rest[8];
	int32_t k = 0;
	for (int32_t i = comma + 1; i < n && k < (int32_t)sizeof rest - 1; i++)
		if (!is_space_u(s[i]) && s[i] != '.')
			rest[k++] = s[i] < 0x80 ? (char)s[i] : '?';
	rest[k] = '\0';
	static const char *const suffixes[] = {"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "mba", NULL};
	for (size_t i = 0; suffixes[i]; i++)
		if (!strcmp(rest, suffixes[i]))
			return n;
	int32_t o = 0;
	for (int32_t i = comma + 1; i < n; i++)
		tmp[o++] = s[i];
	tmp[o++] = ' ';
	for (int32_t i = 0; i < comma; i++)
		tmp[o++] = s[i];
	memcpy(s, tmp, (size_t)o * sizeof *s);
	return o;
}

/* Drops nonspacing and enclosing marks (accents after NFD); every code
 * point that is not a letter, digit or spacing mark becomes one space;
 * runs of spaces collapse; leading and trailing spaces go. */
static int32_t letters_only(const UChar *s, int32_t n, UChar *out)
{
	int32_t o = 0;
	bool space = true;
	for (int32_t i = 0; i < n;) {
		UChar32 c;
		U16_NEXT(s, i, n, c);
		int8_t t = u_charType(c);
		if (t == U_NON_SPACING_MARK || t == U_ENCLOSING_MARK || t == U_FORMAT_CHAR)
			continue;
		bool keep = u_isalnum(c) || t == U_COMBINING_SPACING_MARK;
		/* a hyphen inside a word joins it: "Müller-Smith" is one surname,
		 * another person's than "Müller" (a spaced " - " separates) */
		if ((c == '-' || c == 0x2010 || c == 0x2011) && !space && i < n) {
			UChar32 next;
			int32_t j = i;
			U16_NEXT(s, j, n, next);
			if (u_isalpha(next))
				continue;
		}
		if (!keep) {
			if (!space)
				out[o++] = ' ';
			space = true;
			continue;
		}
		if (U16_LENGTH(c) == 2) {
			out[o++] = U16_LEAD(c);
			out[o++] = U16_TRAIL(c);
		} else
			out[o++] = (UChar)c;
		space = false;
	}
	if (o && out[o - 1] == ' ')
		o--;
	return o;
}

static bool is_title(const UChar *t, int32_t n)
{
	static const char *const titles[] = {"dr",   "mr",   "mrs",  "ms",  "miss", "mx",   "prof", "sir",
	                                     "dame", "lord", "rev",  "hon", "jr",   "sr",   "phd",  "md",
	                                     "esq",  "herr", "frau", "mme", "mlle", "dott", NULL};
	if (n > 5)
		return false;
	char a[6];
	for (int32_t i = 0; i < n; i++) {
		if (t[i] >= 0x80)
			return false;
		a[i] = (char)t[i];
	}
	a[n] = '\0';
	for (size_t i = 0; titles[i]; i++)
		if (!strcmp(a, titles[i]))
			return true;
	return false;
}

/* Drops title tokens, unless nothing else would be left. */
static int32_t drop_titles(UChar *s, int32_t n, UChar *tmp)
{
	int32_t o = 0, kept = 0;
	for (int32_t i = 0; i < n;) {
		int32_t b = i;
		while (i < n && s[i] != ' ')
			i++;
		if (!is_title(s + b, i - b)) {
			if (o)
				tmp[o++] = ' ';
			memcpy(tmp + o, s + b, (size_t)(i - b) * sizeof *s);
			o += i - b;
			kept++;
		}
		i++;
	}
	if (!kept)
		return n;
	memcpy(s, tmp, (size_t)o * sizeof *s);
	return o;
}

/* Decodes at most PC_NAMES_MAX_IN bytes of s into st->b (invalid UTF-8,
 * and a sequence cut by the bound, become U+FFFD); the length, or -1. */
static int32_t decode(pc_names *st, const char *s, size_t n)
{
	if (n > PC_NAMES_MAX_IN)
		n = PC_NAMES_MAX_IN;
	UErrorCode e = U_ZERO_ERROR;
	int32_t len = 0;
	u_strFromUTF8WithSub(st->b, UBUF, &len, s, (int32_t)n, 0xFFFD, NULL, &e);
	return U_FAILURE(e) ? -1 : len;
}

/* s[0..n) in visual order (left-to-right paragraph), mirrored, without
 * bidi controls, into out (at least n units); the length or -1. */
static int32_t visual(pc_names *st, const UChar *s, int32_t n, UChar *out, int32_t cap)
{
	UErrorCode e = U_ZERO_ERROR;
	ubidi_setPara(st->bidi, s, n, UBIDI_LTR, NULL, &e);
	if (U_FAILURE(e))
		return -1;
	/* Not UBIDI_KEEP_BASE_COMBINING: with UBIDI_REMOVE_BIDI_CONTROLS, ICU 72
	 * leaves a unit unwritten for a mark without a base ("\u200F\u064D\u062F",
	 * found by fuzz_names). Marks then come before their base in a
	 * right-to-left run; the normalisation drops them (both sides alike). */
	int32_t len = ubidi_writeReordered(st->bidi, out, cap, UBIDI_DO_MIRRORING | UBIDI_REMOVE_BIDI_CONTROLS, &e);
	return U_FAILURE(e) ? -1 : len;
}

/* Whether two strings differ in their letters and digits (in order). */
static bool letters_differ(const UChar *x, int32_t nx, const UChar *y, int32_t ny)
{
	int32_t i = 0, j = 0;
	for (;;) {
		UChar32 c = 0, d = 0;
		while (i < nx) {
			U16_NEXT(x, i, nx, c);
			if (u_isalnum(c))
				break;
			c = 0;
		}
		while (j < ny) {
			U16_NEXT(y, j, ny, d);
			if (u_isalnum(d))
				break;
			d = 0;
		}
		if (c != d)
			return true;
		if (!c)
			return false;
	}
}

/* The name in st->b[0..len) as a mail client shows it, back into st->b:
 * visual order, no bidi controls, no invisible characters, spaces as
 * U+0020. The length, or -1. bi (may be NULL) gets what was there; its
 * list of controls goes into the arena a when given. */
static int32_t show(pc_names *st, int32_t len, pc_names_bidi *bi, pc_arena *a)
{
	pc_names_bidi info = {0};
	char list[PC_NAMES_MAX_CONTROLS * 24 + 8];
	size_t ln = 0;
	bool rtl = false;
	int32_t nplain = 0, cp = 0;
	for (int32_t i = 0; i < len; cp++) {
		UChar32 c;
		U16_NEXT(st->b, i, len, c);
		if (c >= 0x0590) /* Hebrew: the first right-to-left script, and every control is above */
			rtl = true;
		if (u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL)) {
			if (info.ncontrols < PC_NAMES_MAX_CONTROLS)
				ln += (size_t)snprintf(list + ln, sizeof list - ln, "%sU+%04X at %d", ln ? ", " : "",
				                       (unsigned)c, (int)cp);
			else if (info.ncontrols == PC_NAMES_MAX_CONTROLS)
				ln += (size_t)snprintf(list + ln, sizeof list - ln, ", ...");
			if (ln >= sizeof list)
				ln = sizeof list - 1;
			info.ncontrols++;
			continue;
		}
		if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
			info.ninvisible++;
		if (nplain < PC_NAMES_MAX_IN)
			U16_APPEND_UNSAFE(st->plain, nplain, c);
	}
	const UChar *src = st->b;
	if (rtl) {
		int32_t n = visual(st, st->b, len, st->a, UBUF);
		if (n < 0)
			return -1;
		if (info.ncontrols) {
			/* what the same letters show without the controls */
			int32_t m = visual(st, st->plain, nplain, st->vis, PC_NAMES_MAX_IN + 1);
			info.reordered = m >= 0 && letters_differ(st->a, n, st->vis, m);
		}
		src = st->a;
		len = n;
	} else {
		memcpy(st->a, st->b, (size_t)len * sizeof *st->a);
		src = st->a;
	}
	int32_t o = 0;
	for (int32_t i = 0; i < len;) {
		UChar32 c;
		U16_NEXT(src, i, len, c);
		if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
			continue;
		if (u_isUWhiteSpace(c))
			c = ' ';
		U16_APPEND_UNSAFE(st->b, o, c);
	}
	if (bi) {
		if (info.ncontrols && a)
			info.controls = pc_arena_strndup(a, list, ln);
		*bi = info;
	}
	return o;
}

/* The normalisation of st->b[0..len) (a name as shown), into st->b; the
 * length, or -1 when ICU failed. */
static int32_t normalise(pc_names *st, int32_t len)
{
	UErrorCode e = U_ZERO_ERROR;
	len = unorm2_normalize(st->nfkc_cf, st->b, len, st->a, UBUF, &e);
	if (U_FAILURE(e))
		return -1;
	len = drop_comments(st->a, len, st->b);
	len = reorder_comma(st->a, len, st->b);
	len = unorm2_normalize(st->nfd, st->a, len, st->b, UBUF, &e);
	if (U_FAILURE(e))
		return -1;
	len = letters_only(st->b, len, st->a);
	len = drop_titles(st->a, len, st->b);
	if (!len)
		return 0;
	len = uspoof_getSkeleton(st->spoof, 0, st->a, len, st->b, UBUF, &e);
	if (U_FAILURE(e))
		return -1;
	/* the skeleton is NFD and may bring capitals ("0" -> "O") and marks */
	len = u_strFoldCase(st->a, UBUF, st->b, len, U_FOLD_CASE_DEFAULT, &e);
	if (U_FAILURE(e))
		return -1;
	return letters_only(st->a, len, st->b);
}

/* st->b[0..len) as UTF-8 in the arena: NULL when the arena is full, ""
 * when len < 0 or ICU failed. */
static const char *to_arena(pc_names *st, pc_arena *a, int32_t len)
{
	if (len < 0)
		return "";
	UErrorCode e = U_ZERO_ERROR;
	int32_t outn = 0;
	u_strToUTF8(NULL, 0, &outn, st->b, len, &e);
	if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
		return "";
	char *out = pc_arena_alloc(a, (size_t)outn + 1);
	if (!out)
		return NULL;
	e = U_ZERO_ERROR;
	u_strToUTF8(out, outn + 1, NULL, st->b, len, &e);
	if (U_FAILURE(e))
		return "";
	out[outn] = '\0';
	return out;
}

const char *pc_names_display(pc_names *st, pc_arena *a, const char *s, size_t n)
{
	if (!st || !s)
		return NULL;
	int32_t len = decode(st, s, n);
	if (len >= 0)
		len = show(st, len, NULL, NULL);
	if (len >= 0)
		len = normalise(st, len);
	return to_arena(st, a, len);
}

const char *pc_names_display_shown(pc_names *st, pc_arena *a, const char *s, size_t n)
{
	if (!st || !s)
		return NULL;
	int32_t len = decode(st, s, n);
	if (len >= 0)
		len = normalise(st, len);
	return to_arena(st, a, len);
}

const char *pc_names_shown(pc_names *st, pc_arena *a, const char *s, size_t n, pc_names_bidi *bi)
{
	if (bi)
		memset(bi, 0, sizeof *bi);
	if (!st || !s)
		return NULL;
	int32_t len = decode(st, s, n);
	if (len >= 0)
		len = show(st, len, bi, a);
	return to_arena(st, a, len);
}

/* ---- name forms ------------------------------------------------------- */

#define PART_TOKENS 32 /* tokens of a name looked at for connectives */

/* Whether the tokens of the normalised connective c start at tok[i]. */
static size_t conn_at(const char *c, tok *t, size_t nt, size_t i);

size_t pc_names_parts(pc_names *st, pc_arena *a, const char *norm, const char **part, const char **form, size_t max)
{
	if (!st || !norm || !max)
		return 0;
	tok t[PART_TOKENS];
	size_t nt = 0;
	for (const char *p = norm; *p && nt < PART_TOKENS;) {
		while (*p == ' ')
			p++;
		const char *b = p;
		while (*p && *p != ' ')
			p++;
		if (p > b)
			t[nt++] = (tok){b, (size_t)(p - b)};
	}
	size_t n = 0, run = 0; /* run: first token of the current part */
	bool any = false;
	const char *before = NULL; /* the connective before the current part */
	for (size_t i = 0; i <= nt && n < max;) {
		size_t k = 0, c = 0;
		if (i < nt)
			for (c = 0; c < NCONN && !(k = conn_at(st->conn[c], t, nt, i)); c++)
				;
		if (i < nt && !k) {
			i++;
			continue;
		}
		const char *here = i < nt ? connectives[c] : NULL;
		any |= here != NULL;
		if (i > run) {
			const char *b = t[run].p, *e = t[i - 1].p + t[i - 1].n;
			part[n] = pc_arena_strndup(a, b, (size_t)(e - b));
			form[n] = here ? here : before;
			if (part[n] && form[n])
				n++;
		}
		before = here;
		i += k ? k : 1;
		run = i;
	}
	return any ? n : 0;
}

/* ---- similarity ------------------------------------------------------- */

/* Decodes UTF-8 into at most max code points (invalid bytes as U+FFFD). */
static size_t to_cp(const char *s, size_t n, UChar32 *out, size_t max)
{
	size_t o = 0;
	int32_t i = 0, len = n > INT32_MAX ? INT32_MAX : (int32_t)n;
	while (i < len && o < max) {
		UChar32 c;
		U8_NEXT(s, i, len, c);
		out[o++] = c < 0 ? 0xFFFD : c;
	}
	return o;
}

/* OSA distance of two code point strings, capped at cap + 1 (early exit
 * when every cell of a row exceeds the cap). */
static unsigned osa(const UChar32 *a, size_t na, const UChar32 *b, size_t nb, unsigned cap)
{
	unsigned r0[MAX_CP + 1], r1[MAX_CP + 1], r2[MAX_CP + 1];
	unsigned *pp = r0, *p = r1, *c = r2;
	if (na > MAX_CP)
		na = MAX_CP;
	if (nb > MAX_CP)
		nb = MAX_CP;
	if ((na > nb ? na - nb : nb - na) > cap)
		return cap + 1;
	for (size_t j = 0; j <= nb; j++)
		p[j] = (unsigned)j;
	for (size_t i = 1; i <= na; i++) {
		c[0] = (unsigned)i;
		unsigned rowmin = c[0];
		for (size_t j = 1; j <= nb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = p[j] + 1;
			if (c[j - 1] + 1 < v)
				v = c[j - 1] + 1;
			if (p[j - 1] + cost < v)
				v = p[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			c[j] = v;
			if (v < rowmin)
				rowmin = v;
		}
		if (rowmin > cap)
			return cap + 1;
		unsigned *t = pp;
		pp = p;
		p = c;
		c = t;
	}
	return p[nb] > cap ? cap + 1 : p[nb];
}

unsigned pc_names_distance(const char *a, const char *b, unsigned cap)
{
	UChar32 ca[MAX_LABEL_CP], cb[MAX_LABEL_CP];
	size_t na = to_cp(a, strlen(a), ca, MAX_LABEL_CP), nb = to_cp(b, strlen(b), cb, MAX_LABEL_CP);
	return osa(ca, na, cb, nb, cap);
}

static size_t conn_at(const char *c, tok *t, size_t nt, size_t i)
{
	size_t k = 0;
	for (const char *p = c; *p; k++) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (i + k >= nt || t[i + k].n != l || memcmp(t[i + k].p, p, l))
			return 0;
		p += l;
		while (*p == ' ')
			p++;
	}
	return k;
}

static int tokcmp(const void *x, const void *y)
{
	const tok *a = x, *b = y;
	size_t n = a->n < b->n ? a->n : b->n;
	int r = memcmp(a->p, b->p, n);
	return r ? r : (a->n > b->n) - (a->n < b->n);
}

/* Splits on spaces; drops one-letter Latin tokens (initials) when a longer
 * token remains. */
static size_t tokens(const char *s, tok *t)
{
	size_t n = 0, longer = 0;
	tok all[MAX_TOKENS];
	for (const char *p = s; *p && n < MAX_TOKENS;) {
		while (*p == ' ')
			p++;
		const char *b = p;
		while (*p && *p != ' ')
			p++;
		if (p > b) {
			all[n].p = b;
			all[n].n = (size_t)(p - b);
			longer += all[n].n > 1 || !isalpha((unsigned char)b[0]);
			n++;
		}
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		if (!longer || all[i].n > 1 || !isalpha((unsigned char)all[i].p[0]))
			t[o++] = all[i];
	return o;
}

/* The tokens joined by sep ("" or " ") as code points. */
static size_t join(const tok *t, size_t n, const char *sep, UChar32 *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o < MAX_CP; i++) {
		if (i && *sep)
			out[o++] = ' ';
		o += to_cp(t[i].p, t[i].n, out + o, MAX_CP - o);
	}
	return o;
}

/* 1 - distance / length; 0 when below `floor`, which lets the distance
 * stop early (a name compared with every protected variant is mostly far
 * from all of them: callgrind, 70 M of 932 M instructions before). */
static double sim_cp(const UChar32 *a, size_t na, const UChar32 *b, size_t nb, double floor)
{
	size_t m = na > nb ? na : nb;
	if (!m)
		return 0;
	unsigned cap = floor > 0 ? (unsigned)((1.0 - floor) * (double)m + 1e-9) : (unsigned)m;
	unsigned d = osa(a, na, b, nb, cap);
	return d > cap || d >= m ? 0 : 1.0 - (double)d / (double)m;
}

static double sim_join(const tok *ta, size_t na, const tok *tb, size_t nb, const char *sep, double floor)
{
	UChar32 a[MAX_CP], b[MAX_CP];
	size_t la = join(ta, na, sep, a), lb = join(tb, nb, sep, b);
	return sim_cp(a, la, b, lb, floor);
}

/* Whether the tokens of `in` appear in a row inside `hay`, with at most
 * two other tokens around them. */
static bool contains(const tok *hay, size_t nh, const tok *in, size_t ni)
{
	if (ni < 2 || nh < ni || nh > ni + 2)
		return false;
	for (size_t s = 0; s + ni <= nh; s++) {
		size_t k = 0;
		while (k < ni && !tokcmp(&hay[s + k], &in[k]))
			k++;
		if (k == ni)
			return true;
	}
	return false;
}

/* "j mueller" for "juergen mueller": an initial and the exact surname,
 * when the surname is long enough (INITIAL_SURNAME letters) to
 * be rare; a short common one ("l wei", "j smith") names too many people. */
#define INITIAL_SURNAME 6

/* Letters of a skeleton as written: the skeleton spells m as "rn" and w
 * as "vv" ("smith" is "srnith"), which must not make a name longer. */
static size_t written_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++, n++)
		if ((s[0] == 'r' && s[1] == 'n') || (s[0] == 'v' && s[1] == 'v'))
			s++;
	return n;
}

static bool initial_surname(const char *a, const char *b)
{
	const char *sp = strchr(a, ' ');
	if (!sp || sp != a + 1 || !isalpha((unsigned char)a[0]) || strchr(sp + 1, ' ') ||
	    written_len(sp + 1) < INITIAL_SURNAME)
		return false;
	const char *last = strrchr(b, ' ');
	return last && last != b && b[0] == a[0] && !strcmp(last + 1, sp + 1);
}

double pc_names_similarity(const char *a, const char *b)
{
	return pc_names_similarity_min(a, b, 0);
}

double pc_names_similarity_min(const char *a, const char *b, double floor)
{
	if (!a || !b)
		return 0;
	if (initial_surname(a, b) || initial_surname(b, a))
		return 0.9;
	tok ta[MAX_TOKENS], tb[MAX_TOKENS];
	size_t na = tokens(a, ta), nb = tokens(b, tb);
	if (!na || !nb)
		return 0;
	double best = sim_join(ta, na, tb, nb, " ", floor);
	if (best < 1 && (contains(ta, na, tb, nb) || contains(tb, nb, ta, na)))
		best = 0.95 > best ? 0.95 : best;
	double s = sim_join(ta, na, tb, nb, "", floor); /* "mc donald" / "mcdonald", "王 伟" / "王伟" */
	best = s > best ? s : best;
	qsort(ta, na, sizeof *ta, tokcmp);
	qsort(tb, nb, sizeof *tb, tokcmp);
	s = sim_join(ta, na, tb, nb, " ", floor);
	return s > best ? s : best;
}

/* ---- domains ---------------------------------------------------------- */

/* The script mix of a label, "latin+cyrillic" style, when it mixes Latin,
 * Cyrillic and Greek; NULL otherwise. */
static const char *mixed_scripts(const char *label)
{
	UChar32 cp[MAX_LABEL_CP];
	size_t n = to_cp(label, strlen(label), cp, MAX_LABEL_CP);
	bool lat = false, cyr = false, grk = false;
	for (size_t i = 0; i < n; i++) {
		UErrorCode e = U_ZERO_ERROR;
		UScriptCode sc = uscript_getScript(cp[i], &e);
		if (U_FAILURE(e))
			continue;
		lat |= sc == USCRIPT_LATIN;
		cyr |= sc == USCRIPT_CYRILLIC;
		grk |= sc == USCRIPT_GREEK;
	}
	if (lat + cyr + grk < 2)
		return NULL;
	return lat && cyr && grk ? "latin+cyrillic+greek"
	       : lat && cyr      ? "latin+cyrillic"
	       : lat             ? "latin+greek"
	                         : "cyrillic+greek";
}

/* Skeleton of a U-label, folded, with the ASCII confusions ICU keeps
 * apart made equal: rn -> m, vv -> w, 1 -> l, 0 -> o. */
static const char *label_skeleton(pc_names *st, pc_arena *a, const char *ulabel)
{
	UErrorCode e = U_ZERO_ERROR;
	int32_t len = 0;
	size_t n = strlen(ulabel);
	if (n > 255)
		n = 255;
	u_strFromUTF8WithSub(st->b, UBUF, &len, ulabel, (int32_t)n, 0xFFFD, NULL, &e);
	if (U_FAILURE(e))
		return NULL;
	len = uspoof_getSkeleton(st->spoof, 0, st->b, len, st->a, UBUF, &e);
	if (U_FAILURE(e))
		return NULL;
	len = u_strFoldCase(st->b, UBUF, st->a, len, U_FOLD_CASE_DEFAULT, &e);
	if (U_FAILURE(e))
		return NULL;
	/* drop marks the mapping brought */
	int32_t o = 0;
	for (int32_t i = 0; i < len;) {
		UChar32 c;
		U16_NEXT(st->b, i, len, c);
		if (u_charType(c) == U_NON_SPACING_MARK)
			continue;
		U16_APPEND_UNSAFE(st->a, o, c);
	}
	int32_t outn = 0;
	u_strToUTF8(NULL, 0, &outn, st->a, o, &e);
	if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
		return NULL;
	e = U_ZERO_ERROR;
	char *out = pc_arena_alloc(a, (size_t)outn + 1);
	if (!out)
		return NULL;
	u_strToUTF8(out, outn + 1, NULL, st->a, o, &e);
	if (U_FAILURE(e))
		return NULL;
	out[outn] = '\0';
	/* explicit swaps, in place (each makes the string shorter or equal) */
	size_t w = 0;
	for (size_t r = 0; out[r];) {
		if ((out[r] == 'r' && out[r + 1] == 'n') || (out[r] == 'v' && out[r + 1] == 'v')) {
			out[w++] = out[r] == 'r' ? 'm' : 'w';
			r += 2;
			continue;
		}
		char c = out[r++];
		out[w++] = c == '1' ? 'l' : c == '0' ? 'o' : c;
	}
	out[w] = '\0';
	return out;
}

static int names_domain(pc_names *st, pc_arena *a, const char *host, size_t n, pc_domain *out);

int pc_names_domain(pc_names *st, pc_arena *a, const char *host, size_t n, pc_domain *out)
{
	if (!st || !host || n > 253)
		return names_domain(st, a, host, n, out);
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)host[i]) * 16777619u;
	domain_slot *s = &st->cache[h % DOMAIN_CACHE];
	unsigned long gen = pc_arena_generation(a);
	if (s->arena == a && s->gen == gen && s->n == n && !memcmp(s->host, host, n)) {
		*out = s->d;
		return s->rc;
	}
	int rc = names_domain(st, a, host, n, out);
	const char *copy = pc_arena_strndup(a, host, n);
	if (copy) {
		s->arena = a;
		s->gen = gen;
		s->host = copy;
		s->n = n;
		s->rc = rc;
		s->d = *out;
	}
	return rc;
}

static int names_domain(pc_names *st, pc_arena *a, const char *host, size_t n, pc_domain *out)
{
	if (!st) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	if (pc_domain_parse(a, host, n, out) != 0)
		return -1;
	out->skel = label_skeleton(st, a, out->ulabel);
	if (!out->skel)
		out->skel = out->label;
	out->scripts = out->ascii_only ? NULL : mixed_scripts(out->ulabel);
	return 0;
}

/* Words an impersonator adds to an outlet's name. */
static const char *const added_words[] = {"news",   "mail",  "email",  "press",  "online",  "uk",       "us",
                                          "secure", "login", "signin", "verify", "account", "support",  "update",
                                          "the",    "my",    "web",    "info",   "alerts",  "official", NULL};

/* Whether s[0..n) is made of added words only (n may be 0). */
static bool words_only(const char *s, size_t n)
{
	bool ok[64] = {true};
	if (n >= sizeof ok)
		return false;
	for (size_t i = 1; i <= n; i++) {
		ok[i] = false;
		for (size_t w = 0; added_words[w] && !ok[i]; w++) {
			size_t l = strlen(added_words[w]);
			ok[i] = l <= i && ok[i - l] && !memcmp(s + i - l, added_words[w], l);
		}
	}
	return ok[n];
}

/* Copy of a label without hyphens and digits, bounded. */
static size_t squeeze(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; *s && o + 1 < cap; s++)
		if (*s != '-' && !isdigit((unsigned char)*s))
			out[o++] = *s;
	out[o] = '\0';
	return o;
}

/* Whether the protected label is one hyphen-separated part of the
 * candidate: asiapost-media, the-herald-online (any word, not only the
 * listed ones: attackers pick their own). Labels of 5+ letters that are
 * not themselves a common word: online.com's label is in rewe-online.de
 * and rp-online.de, two other brands (measured on the corpus). */
static bool hyphen_part(const char *cand, const char *prot)
{
	size_t pn = strlen(prot);
	if (pn < 5 || !strchr(cand, '-') || strchr(prot, '-'))
		return false;
	for (size_t w = 0; added_words[w]; w++)
		if (!strcmp(prot, added_words[w]))
			return false;
	for (const char *b = cand; *b;) {
		const char *e = strchr(b, '-');
		size_t n = e ? (size_t)(e - b) : strlen(b);
		if (n == pn && !memcmp(b, prot, pn))
			return true;
		if (!e)
			break;
		b = e + 1;
	}
	return false;
}

static bool added_word(const char *cand, const char *prot)
{
	if (strcmp(cand, prot) && hyphen_part(cand, prot))
		return true;
	char c[64], p[64];
	size_t cn = squeeze(cand, c, sizeof c), pn = squeeze(prot, p, sizeof p);
	if (pn < 3 || cn < pn || !strcmp(cand, prot))
		return false;
	for (size_t at = 0; at + pn <= cn; at++)
		if (!memcmp(c + at, p, pn) && words_only(c, at) && words_only(c + at + pn, cn - at - pn))
			return true;
	return false;
}

/* bbc.co.uk.evil.example, www.bbc.co.uk.evil.example, bbc-co-uk.evil.example,
 * bbc.co.uk-secure.example */
static bool subdomain_trick(const pc_domain *cand, const pc_domain *prot)
{
	const char *h = cand->ascii;
	if (!strncmp(h, "www.", 4))
		h += 4;
	size_t pn = strlen(prot->reg), hn = strlen(h);
	if (hn <= pn + 1 || !strchr(prot->reg, '.'))
		return false;
	if (!strncmp(h, prot->reg, pn) && (h[pn] == '.' || h[pn] == '-'))
		return true;
	for (size_t i = 0; i < pn; i++) {
		char want = prot->reg[i] == '.' ? '-' : prot->reg[i];
		if (h[i] != want)
			return false;
	}
	return h[pn] == '.' || h[pn] == '-';
}

const char *pc_names_lookalike(const pc_domain *cand, const pc_domain *prot, unsigned maxdist)
{
	if (!cand->ascii || !prot->ascii || !cand->label || !prot->label)
		return NULL;
	if (pc_domain_same_site(cand, prot))
		return NULL;
	/* same label first: google.com.gi is Google's own other suffix, not
	 * google.com with something appended */
	if (!strcmp(cand->label, prot->label))
		return strcmp(cand->suffix, prot->suffix) ? "tld-swap" : NULL;
	if (subdomain_trick(cand, prot))
		return "subdomain-trick";
	if (cand->skel && prot->skel && !strcmp(cand->skel, prot->skel))
		return cand->ascii_only ? "confusable-skeleton" : "idn-homoglyph";
	if (added_word(cand->label, prot->label))
		return "added-word";
	if (!maxdist)
		return NULL;
	/* Short names are a distance of one or two from many other words:
	 * distance 1 needs 4 code points, distance 2 needs 8 (on the corpus,
	 * 5 to 7 made latimes a lookalike of nytimes and ranters of reuters). */
	size_t cl = pc_names_distance(cand->ulabel, "", MAX_LABEL_CP),
	       pl = pc_names_distance(prot->ulabel, "", MAX_LABEL_CP);
	size_t shorter = cl < pl ? cl : pl;
	if (shorter < 4)
		return NULL;
	unsigned cap = shorter < 8 ? 1 : maxdist > 2 ? 2 : maxdist;
	/* Letters only added around the whole name are added-word's question
	 * (bbcnews); other additions are names of their own: onmicrosoft is
	 * Microsoft's tenant domain, not a typo of microsoft. */
	if (cl > pl && strstr(cand->ulabel, prot->ulabel))
		return NULL;
	unsigned d = pc_names_distance(cand->ulabel, prot->ulabel, cap);
	if (d == 0 || d > cap)
		return NULL;
	return d == 1 ? "edit-distance-1" : "edit-distance-2";
}
