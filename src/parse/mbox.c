/*
 * NAME
 *   mbox - mbox splitting and mboxrd unquoting (see mbox.h)
 */
#include "parse/mbox.h"

#include <ctype.h>
#include <string.h>

bool pc_mbox_detect(const char *buf, size_t n)
{
	return n >= 5 && memcmp(buf, "From ", 5) == 0;
}

/* "From sender Www Mmm" : a token, a space, three letters. */
static bool from_line_shape(const char *p, size_t n)
{
	size_t i = 5;
	if (i >= n || isspace((unsigned char)p[i]))
		return false;
	while (i < n && !isspace((unsigned char)p[i]) && p[i] != '\n')
		i++;
	while (i < n && p[i] == ' ')
		i++;
	return i + 3 <= n && isalpha((unsigned char)p[i]) && isalpha((unsigned char)p[i + 1]) &&
	       isalpha((unsigned char)p[i + 2]);
}

/* Position of the next From_ line at or after `from` (at a line start), or n. */
static size_t next_from(const char *b, size_t n, size_t from)
{
	size_t i = from;
	while (i + 5 <= n) {
		const char *p = memchr(b + i, '\n', n - i);
		if (!p)
			return n;
		size_t ls = (size_t)(p - b) + 1;
		if (ls + 5 <= n && memcmp(b + ls, "From ", 5) == 0) {
			bool blank =
			    ls >= 2 && (b[ls - 2] == '\n' || (b[ls - 2] == '\r' && ls >= 3 && b[ls - 3] == '\n'));
			if (blank || from_line_shape(b + ls, n - ls))
				return ls;
		}
		i = ls;
	}
	return n;
}

bool pc_mbox_next(pc_mbox *mb, const char **msg, size_t *len)
{
	if (mb->pos >= mb->n)
		return false;
	size_t start = mb->pos;
	if (mb->n - start >= 5 && memcmp(mb->buf + start, "From ", 5) == 0) {
		const char *nl = memchr(mb->buf + start, '\n', mb->n - start);
		start = nl ? (size_t)(nl - mb->buf) + 1 : mb->n;
	}
	size_t end = next_from(mb->buf, mb->n, start);
	mb->pos = end;
	size_t e = end;
	if (end < mb->n) { /* drop the separating blank line */
		if (e > start && mb->buf[e - 1] == '\n')
			e--;
		if (e > start && mb->buf[e - 1] == '\r')
			e--;
		if (e > start && mb->buf[e - 1] != '\n')
			e = end; /* no blank line: keep the last newline */
	}
	*msg = mb->buf + start;
	*len = e - start;
	return true;
}

static bool quoted_at(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] == '>')
		i++;
	return i > 0 && n - i >= 5 && memcmp(p + i, "From ", 5) == 0;
}

bool pc_mbox_quoted(const char *msg, size_t n)
{
	if (quoted_at(msg, n))
		return true;
	for (const char *p = msg, *end = msg + n; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		if (p + 1 < end && p[1] == '>' && quoted_at(p + 1, (size_t)(end - p - 1)))
			return true;
	return false;
}

size_t pc_mbox_unquote(char *dst, const char *src, size_t n)
{
	size_t o = 0;
	bool bol = true;
	for (size_t i = 0; i < n; i++) {
		if (bol && src[i] == '>' && quoted_at(src + i, n - i)) {
			bol = false;
			continue; /* drop one '>' */
		}
		dst[o++] = src[i];
		bol = src[i] == '\n';
	}
	return o;
}
