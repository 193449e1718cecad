/*
 * NAME
 *   metrics - Prometheus text exposition of counters, gauges and histograms
 * DESCRIPTION
 *   See metrics.h. Updates are relaxed atomics: nothing orders one metric
 *   against another, and a scrape is a sample, not a snapshot. Doubles
 *   (gauges, histogram sums) are kept as their bits in a 64-bit atomic
 *   and changed with a compare-and-swap loop (C11 has no atomic add for
 *   floating types). The writer checks every metric before it writes a
 *   byte, so a bad definition (the web console builds some at run time
 *   from the store) is an error, never a malformed scrape; it writes
 *   into one buffer that doubles up to the caller's ceiling.
 */
#include "app/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double pc_metric_latency_bounds[PC_METRIC_LATENCY_NBOUNDS] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05,
                                                                    0.1,    0.25,  0.5,   1,     2.5,  5,     10};

static size_t nseries(const pc_metric *m)
{
	return m->label ? m->nvalues : 1;
}

static uint64_t bits_of(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return u;
}

static double double_of(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

/* *a += d, for a double kept as its bits. */
static void add_double(_Atomic uint64_t *a, double d)
{
	uint64_t old = atomic_load_explicit(a, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(a, &old, bits_of(double_of(old) + d), memory_order_relaxed,
	                                              memory_order_relaxed))
		;
}

size_t pc_metric_series(const pc_metric *m, const char *value)
{
	if (!m->label)
		return value ? (size_t)-1 : 0;
	for (size_t i = 0; value && m->values && i < m->nvalues && i < PC_METRIC_SERIES_MAX; i++)
		if (m->values[i] && !strcmp(m->values[i], value))
			return i;
	return (size_t)-1;
}

int pc_metric_inc(pc_metric *m, size_t series, uint64_t n)
{
	if (m->type != PC_COUNTER || series >= nseries(m) || series >= PC_METRIC_SERIES_MAX)
		return -1;
	atomic_fetch_add_explicit(&m->v[series], n, memory_order_relaxed);
	return 0;
}

int pc_metric_set(pc_metric *m, size_t series, double v)
{
	if (m->type == PC_HISTOGRAM || series >= nseries(m) || series >= PC_METRIC_SERIES_MAX)
		return -1;
	if (m->type == PC_COUNTER) {
		if (!(v >= 0) || v >= 18446744073709551616.0) /* NaN, negative, or past 2^64 */
			return -1;
		atomic_store_explicit(&m->v[series], (uint64_t)v, memory_order_relaxed);
	} else {
		atomic_store_explicit(&m->v[series], bits_of(v), memory_order_relaxed);
	}
	return 0;
}

int pc_metric_add(pc_metric *m, size_t series, double d)
{
	if (m->type != PC_GAUGE || series >= nseries(m) || series >= PC_METRIC_SERIES_MAX)
		return -1;
	add_double(&m->v[series], d);
	return 0;
}

int pc_metric_observe(pc_metric *m, double v)
{
	if (m->type != PC_HISTOGRAM || isnan(v) || m->nbounds > PC_METRIC_BOUNDS_MAX)
		return -1;
	size_t i = 0;
	while (i < m->nbounds && v > m->bounds[i]) /* le: a bucket holds what is at most its bound */
		i++;
	atomic_fetch_add_explicit(&m->bucket[i], 1, memory_order_relaxed);
	add_double(&m->sum, v);
	return 0;
}

/* ---- checks ---- */

static bool name_ok(const char *s, bool metric)
{
	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':');
		if (!alpha && !(p > s && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

static bool metric_ok(const pc_metric *m)
{
	if (!name_ok(m->name, true) || !m->help)
		return false;
	if (m->type == PC_HISTOGRAM) {
		if (m->label || m->nbounds > PC_METRIC_BOUNDS_MAX || (m->nbounds && !m->bounds))
			return false;
		for (size_t i = 0; i < m->nbounds; i++)
			if (!isfinite(m->bounds[i]) || (i && !(m->bounds[i] > m->bounds[i - 1])))
				return false;
		return true;
	}
	if (m->type != PC_COUNTER && m->type != PC_GAUGE)
		return false;
	if (!m->label)
		return true;
	if (!name_ok(m->label, false) || !strncmp(m->label, "__", 2) || !strcmp(m->label, "le") || !m->values ||
	    m->nvalues == 0 || m->nvalues > PC_METRIC_SERIES_MAX)
		return false;
	for (size_t i = 0; i < m->nvalues; i++) {
		if (!m->values[i])
			return false;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(m->values[i], m->values[j]))
				return false;
	}
	return true;
}

/* ---- the text ---- */

typedef struct tbuf {
	char *p;
	size_t n, cap, max;
	int err;
} tbuf;

static void put(tbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (n > b->max - b->n) {
		b->err = EMSGSIZE;
		return;
	}
	if (b->n + n + 1 > b->cap) { /* + the NUL */
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n + 1)
			cap = cap > (b->max + 1) / 2 ? b->max + 1 : cap * 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->err = ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void puts_(tbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* The length of the valid UTF-8 sequence at s, 0 when there is none
 * (overlong forms, surrogates and code points past U+10FFFF are not). */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0], cp, min;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* HELP text (quote false) or a label value (quote true), escaped. */
static void put_escaped(tbuf *b, const char *s, bool quote)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t run = 0, l;
		while (p[run] && p[run] != '\\' && p[run] != '\n' && !(quote && p[run] == '"') &&
		       (l = utf8_len(p + run)) > 0)
			run += l;
		put(b, (const char *)p, run);
		p += run;
		if (!*p)
			break;
		if (*p == '\\')
			put(b, "\\\\", 2);
		else if (*p == '\n')
			put(b, "\\n", 2);
		else if (*p == '"')
			put(b, "\\\"", 2);
		else
			put(b, "\xef\xbf\xbd", 3); /* U+FFFD for a byte that is not UTF-8 */
		p++;
	}
}

/* The shortest of %.15g .. %.17g that reads back as v. The program never
 * calls setlocale, but a library might: a decimal comma becomes a point
 * (%g writes no grouping, so it is the only comma there can be). */
static void put_double(tbuf *b, double v)
{
	char s[40];
	if (isnan(v)) {
		puts_(b, "NaN");
		return;
	}
	if (isinf(v)) {
		puts_(b, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(s, sizeof s, "%.*g", prec, v);
		if (strtod(s, NULL) == v)
			break;
	}
	for (char *p = s; *p; p++)
		if (*p == ',')
			*p = '.';
	puts_(b, s);
}

static void put_u64(tbuf *b, uint64_t v)
{
	char s[24];
	snprintf(s, sizeof s, "%" PRIu64, v);
	puts_(b, s);
}

static const char *type_name(pc_metric_type t)
{
	return t == PC_COUNTER ? "counter" : t == PC_GAUGE ? "gauge" : "histogram";
}

static void write_metric(tbuf *b, const pc_metric *m)
{
	puts_(b, "# HELP ");
	puts_(b, m->name);
	puts_(b, " ");
	put_escaped(b, m->help, false);
	puts_(b, "\n# TYPE ");
	puts_(b, m->name);
	puts_(b, " ");
	puts_(b, type_name(m->type));
	puts_(b, "\n");
	if (m->type != PC_HISTOGRAM) {
		for (size_t i = 0; i < nseries(m); i++) {
			puts_(b, m->name);
			if (m->label) {
				puts_(b, "{");
				puts_(b, m->label);
				puts_(b, "=\"");
				put_escaped(b, m->values[i], true);
				puts_(b, "\"}");
			}
			puts_(b, " ");
			uint64_t v = atomic_load_explicit(&m->v[i], memory_order_relaxed);
			if (m->type == PC_COUNTER)
				put_u64(b, v);
			else
				put_double(b, double_of(v));
			puts_(b, "\n");
		}
		return;
	}
	uint64_t total = 0;
	for (size_t i = 0; i <= m->nbounds; i++) {
		total += atomic_load_explicit(&m->bucket[i], memory_order_relaxed);
		puts_(b, m->name);
		puts_(b, "_bucket{le=\"");
		if (i < m->nbounds)
			put_double(b, m->bounds[i]);
		else
			puts_(b, "+Inf");
		puts_(b, "\"} ");
		put_u64(b, total);
		puts_(b, "\n");
	}
	puts_(b, m->name);
	puts_(b, "_sum ");
	put_double(b, double_of(atomic_load_explicit(&m->sum, memory_order_relaxed)));
	puts_(b, "\n");
	puts_(b, m->name);
	puts_(b, "_count ");
	put_u64(b, total);
	puts_(b, "\n");
}

int pc_metrics_text(const pc_metric *const *m, size_t n, size_t max, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	for (size_t i = 0; i < n; i++) {
		if (!m[i] || !metric_ok(m[i])) {
			errno = EINVAL;
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(m[i]->name, m[j]->name)) {
				errno = EINVAL;
				return -1;
			}
	}
	if (max > SIZE_MAX / 2)
		max = SIZE_MAX / 2; /* the buffer's growth stays clear of overflow */
	tbuf b = {NULL, 0, 0, max, 0};
	put(&b, "", 0); /* an empty text is "" too, not NULL */
	for (size_t i = 0; i < n && !b.err; i++)
		write_metric(&b, m[i]);
	if (b.err) {
		free(b.p);
		errno = b.err;
		return -1;
	}
	*out = b.p;
	*len = b.n;
	return 0;
}
