/*
 * NAME
 *   pg_values - what goes into and comes out of a PostgreSQL statement
 *   (store/pg_impl.h: pc_pg_arg_*, pc_pg_col/long/u64/bytes/blob)
 * DESCRIPTION
 *   Parameters are sent as text, bytea in binary; every text is cut at
 *   the caller's limit on a character boundary and made valid UTF-8
 *   (U+FFFD), as the SQLite back end stores it (pc_sqlite_text): the
 *   server refuses invalid UTF-8, and mail holds any bytes. Arrays are
 *   PostgreSQL's text form, every element quoted. Results are read as
 *   text. Apart from store/pg.c (the connection, transactions and
 *   migrations) so each stays one concern.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_impl.h"

/* ---- parameters ---- */

static bool arg_slot(pc_pg_args *a)
{
	if (a->n >= PC_PG_MAX_ARGS) {
		a->nomem = true;
		return false;
	}
	a->own[a->n] = NULL;
	a->len[a->n] = 0;
	a->fmt[a->n] = 0;
	return true;
}

/* v cut at max bytes on a character boundary and made valid UTF-8, as
 * pc_sqlite_text stores it; a malloc'd copy */
static char *valid_text(const char *v, size_t max)
{
	if (!v)
		v = "";
	size_t n = strlen(v);
	if (n > max) {
		n = max;
		while (n && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--;
	}
	const char *end;
	if (!g_utf8_validate(v, (gssize)n, &end)) {
		/* a character cut at the end by the caller goes whole */
		if (g_utf8_get_char_validated(end, (gssize)(v + n - end)) == (gunichar)-2 &&
		    g_utf8_validate(v, end - v, NULL))
			return g_strndup(v, (gsize)(end - v));
		return g_utf8_make_valid(v, (gssize)n);
	}
	return g_strndup(v, n);
}

void pc_pg_arg_text(pc_pg_args *a, const char *v, size_t max)
{
	if (!arg_slot(a))
		return;
	char *t = valid_text(v, max);
	a->own[a->n] = t;
	a->v[a->n++] = t;
}

void pc_pg_arg_null(pc_pg_args *a)
{
	if (!arg_slot(a))
		return;
	a->v[a->n++] = NULL;
}

void pc_pg_arg_int(pc_pg_args *a, long long v)
{
	if (!arg_slot(a))
		return;
	snprintf(a->num[a->n], sizeof a->num[a->n], "%lld", v);
	a->v[a->n] = a->num[a->n];
	a->n++;
}

void pc_pg_arg_u64(pc_pg_args *a, uint64_t v)
{
	pc_pg_arg_int(a, (long long)v);
}

void pc_pg_arg_bool(pc_pg_args *a, bool v)
{
	if (!arg_slot(a))
		return;
	a->v[a->n++] = v ? "t" : "f";
}

void pc_pg_arg_bytes(pc_pg_args *a, const void *p, size_t n)
{
	if (!arg_slot(a))
		return;
	if (n > 0x7fffffff) {
		a->nomem = true;
		return;
	}
	a->v[a->n] = p ? p : "";
	a->len[a->n] = (int)n;
	a->fmt[a->n] = 1;
	a->n++;
}

void pc_pg_arg_u64_array(pc_pg_args *a, const uint64_t *v, size_t n)
{
	if (!arg_slot(a))
		return;
	GString *s = g_string_sized_new(2 + n * 21);
	g_string_append_c(s, '{');
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(s, "%s%lld", i ? "," : "", (long long)v[i]);
	g_string_append_c(s, '}');
	char *t = g_string_free(s, FALSE);
	a->own[a->n] = t;
	a->v[a->n++] = t;
}

void pc_pg_arg_text_array(pc_pg_args *a, const char *const *v, size_t n, size_t max)
{
	if (!arg_slot(a))
		return;
	GString *s = g_string_new("{");
	for (size_t i = 0; i < n; i++) {
		char *t = valid_text(v[i], max);
		g_string_append(s, i ? ",\"" : "\"");
		for (const char *p = t; *p; p++) {
			if (*p == '"' || *p == '\\')
				g_string_append_c(s, '\\');
			g_string_append_c(s, *p);
		}
		g_string_append_c(s, '"');
		g_free(t);
	}
	g_string_append_c(s, '}');
	char *t = g_string_free(s, FALSE);
	a->own[a->n] = t;
	a->v[a->n++] = t;
}

void pc_pg_args_free(pc_pg_args *a)
{
	if (!a)
		return;
	for (int i = 0; i < a->n; i++) {
		g_free(a->own[i]);
		a->own[i] = NULL;
	}
	a->n = 0;
}

/* ---- results ---- */

const char *pc_pg_col(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return "";
	return PQgetvalue(r, row, col);
}

long long pc_pg_long(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	const char *v = PQgetvalue(r, row, col);
	if (*v == 't' || *v == 'f') /* a boolean */
		return *v == 't';
	return strtoll(v, NULL, 10);
}

uint64_t pc_pg_u64(const PGresult *r, int row, int col)
{
	return (uint64_t)pc_pg_long(r, row, col);
}

unsigned char *pc_pg_bytes(const PGresult *r, int row, int col, size_t *n)
{
	*n = 0;
	if (PQgetisnull(r, row, col))
		return NULL;
	size_t len = 0;
	unsigned char *u = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &len);
	if (!u)
		return NULL;
	/* PQfreemem's memory to the caller's free(): copy (it may differ) */
	unsigned char *out = malloc(len + 1);
	if (out) {
		memcpy(out, u, len);
		out[len] = 0;
		*n = len;
	}
	PQfreemem(u);
	return out;
}

int pc_pg_blob(const PGresult *r, int row, int col, unsigned char **p, size_t *n)
{
	*p = NULL;
	*n = 0;
	if (PQgetisnull(r, row, col))
		return 0;
	size_t len = 0;
	unsigned char *b = pc_pg_bytes(r, row, col, &len);
	if (!b) {
		const char *v = PQgetvalue(r, row, col); /* empty: "\x" (hex) or "" (escape) */
		return !strcmp(v, "\\x") || !*v ? 0 : -1;
	}
	if (!len) {
		free(b);
		return 0;
	}
	*p = b;
	*n = len;
	return 0;
}
