/*
 * NAME
 *   safetext - text from mail made safe to show a person (see safetext.h)
 */
#include "core/safetext.h"

#include <glib.h>
#include <string.h>

static bool unsafe(gunichar c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x200e || c == 0x200f || c == 0x061c || c == 0x2028 || c == 0x2029;
}

char *pc_safetext(const char *s, size_t n, bool keep_tab)
{
	GString *out = g_string_sized_new(n + 1);
	const char *p = s, *end = s + n;
	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, (gssize)(end - p));
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append(out, "\xef\xbf\xbd");
			p++;
			continue;
		}
		const char *next = g_utf8_next_char(p);
		if (unsafe(c) && !(keep_tab && c == '\t'))
			g_string_append_c(out, '?');
		else
			g_string_append_len(out, p, next - p);
		p = next;
	}
	return g_string_free(out, FALSE);
}

char *pc_safetext_str(const char *s)
{
	return pc_safetext(s ? s : "", s ? strlen(s) : 0, false);
}
