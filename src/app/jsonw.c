/*
 * NAME
 *   jsonw - compact JSON into one buffer, or a bounded one written out as it fills (see jsonw.h)
 */
#include "app/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pc_jsonw_init(pc_jsonw *w)
{
	memset(w, 0, sizeof *w);
	w->first[0] = true;
}

void pc_jsonw_reset(pc_jsonw *w)
{
	w->len = 0;
	w->depth = 0;
	w->first[0] = true;
	w->after_key = false;
	w->err = false;
}

void pc_jsonw_free(pc_jsonw *w)
{
	free(w->buf);
	memset(w, 0, sizeof *w);
}

static bool reserve(pc_jsonw *w, size_t n)
{
	if (w->err)
		return false;
	if (w->sink && w->len && w->len + n > PC_JSONW_FLUSH) {
		if (fwrite(w->buf, 1, w->len, (FILE *)w->sink) != w->len) {
			w->err = true;
			return false;
		}
		w->len = 0;
	}
	if (n <= w->cap - w->len)
		return true;
	size_t cap = w->cap ? w->cap : 4096;
	while (cap - w->len < n) {
		if (cap > ((size_t)-1) / 2) {
			w->err = true;
			return false;
		}
		cap *= 2;
	}
	char *nb = realloc(w->buf, cap);
	if (!nb) {
		w->err = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

static void put(pc_jsonw *w, const char *s, size_t n)
{
	if (reserve(w, n)) {
		memcpy(w->buf + w->len, s, n);
		w->len += n;
	}
}

/* The separator before a value: a comma unless first at its level. */
static void value_start(pc_jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = false;
}

static void begin(pc_jsonw *w, char c, char closer)
{
	value_start(w);
	put(w, &c, 1);
	if (w->depth + 1 >= PC_JSONW_DEPTH) {
		w->err = true;
		return;
	}
	w->first[++w->depth] = true;
	w->closer[w->depth] = closer;
}

void pc_jsonw_obj(pc_jsonw *w)
{
	begin(w, '{', '}');
}

void pc_jsonw_arr(pc_jsonw *w)
{
	begin(w, '[', ']');
}

void pc_jsonw_end(pc_jsonw *w)
{
	if (w->depth == 0) {
		w->err = true;
		return;
	}
	put(w, &w->closer[w->depth], 1);
	w->depth--;
}

static void escaped(pc_jsonw *w, const char *s)
{
	put(w, "\"", 1);
	const char *run = s;
	for (const char *p = s;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, run, (size_t)(p - run));
		if (!c)
			break;
		char e[8];
		switch (c) {
		case '"':
			put(w, "\\\"", 2);
			break;
		case '\\':
			put(w, "\\\\", 2);
			break;
		case '\n':
			put(w, "\\n", 2);
			break;
		case '\r':
			put(w, "\\r", 2);
			break;
		case '\t':
			put(w, "\\t", 2);
			break;
		default:
			snprintf(e, sizeof e, "\\u%04x", c);
			put(w, e, 6);
		}
		run = p + 1;
	}
	put(w, "\"", 1);
}

void pc_jsonw_key(pc_jsonw *w, const char *key)
{
	value_start(w);
	escaped(w, key);
	put(w, ":", 1);
	w->after_key = true;
}

void pc_jsonw_str(pc_jsonw *w, const char *s)
{
	if (!s) {
		pc_jsonw_null(w);
		return;
	}
	value_start(w);
	escaped(w, s);
}

void pc_jsonw_int(pc_jsonw *w, long long v)
{
	char b[32];
	int n = snprintf(b, sizeof b, "%lld", v);
	value_start(w);
	put(w, b, (size_t)n);
}

void pc_jsonw_real(pc_jsonw *w, double v)
{
	char b[40];
	int n;
	if (!isfinite(v))
		n = snprintf(b, sizeof b, "null"); /* JSON has no NaN or infinity */
	else {
		/* the shortest form that reads back as the same double */
		n = snprintf(b, sizeof b, "%.15g", v);
		if (strtod(b, NULL) != v)
			n = snprintf(b, sizeof b, "%.17g", v);
		if (n > 0 && !strpbrk(b, ".eE") && (size_t)n + 2 < sizeof b) {
			memcpy(b + n, ".0", 3); /* stays a real for readers */
			n += 2;
		}
	}
	value_start(w);
	put(w, b, (size_t)n);
}

void pc_jsonw_bool(pc_jsonw *w, bool v)
{
	value_start(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void pc_jsonw_null(pc_jsonw *w)
{
	value_start(w);
	put(w, "null", 4);
}
