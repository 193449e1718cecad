/*
 * NAME
 *   safetext - text from mail made safe to show a person (see safetext.h)
 */
#include "core/safetext.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

bool pc_safetext_marked(uint32_t c)
{
	return (c < 0x20 && c != '\t' && c != '\n') || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f || c == 0x061c || c == 0x2028 ||
	       c == 0x2029 || c == 0xfeff;
}

uint32_t pc_utf8_decode(const unsigned char *s, size_t n, size_t i, size_t *len, bool *bad)
{
	unsigned c = s[i];
	*len = 1;
	*bad = false;
	if (c < 0x80)
		return c;
	size_t need;
	uint32_t cp, min;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, cp = c & 0x07, min = 0x10000;
	else
		goto invalid;
	if (n - i - 1 < need)
		goto invalid;
	for (size_t k = 1; k <= need; k++) {
		if ((s[i + k] & 0xc0) != 0x80)
			goto invalid;
		cp = cp << 6 | (s[i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		goto invalid;
	*len = need + 1;
	return cp;
invalid:
	*bad = true;
	return 0xfffd;
}

size_t pc_safetext_mark(uint32_t c, char *buf, size_t len)
{
	int k = snprintf(buf, len, "\xe2\x9f\xa8U+%04X\xe2\x9f\xa9", (unsigned)c);
	return k < 0 ? 0 : (size_t)k < len ? (size_t)k : len - 1;
}

char *pc_safetext_marks(const char *s, size_t n, unsigned keep)
{
	GString *out = g_string_sized_new(n + 1);
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t len;
		bool bad;
		uint32_t c = pc_utf8_decode(u, n, i, &len, &bad);
		if (pc_safetext_marked(c) || (c == '\n' && !(keep & PC_MARK_KEEP_LF)) ||
		    (c == '\t' && !(keep & PC_MARK_KEEP_TAB))) {
			char m[16];
			g_string_append_len(out, m, (gssize)pc_safetext_mark(c, m, sizeof m));
		} else if (bad) {
			g_string_append(out, "\xef\xbf\xbd");
		} else {
			g_string_append_len(out, s + i, (gssize)len);
		}
		i += len;
	}
	return g_string_free(out, FALSE);
}

char *pc_safetext(const char *s, size_t n, bool keep_tab)
{
	GString *out = g_string_sized_new(n + 1);
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t len;
		bool bad;
		uint32_t c = pc_utf8_decode(u, n, i, &len, &bad);
		if (bad)
			g_string_append(out, "\xef\xbf\xbd");
		else if ((pc_safetext_marked(c) || c == '\n' || c == '\t') && !(keep_tab && c == '\t'))
			g_string_append_c(out, '?');
		else
			g_string_append_len(out, s + i, (gssize)len);
		i += len;
	}
	return g_string_free(out, FALSE);
}

char *pc_safetext_str(const char *s)
{
	return pc_safetext(s ? s : "", s ? strlen(s) : 0, false);
}
