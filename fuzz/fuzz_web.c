/*
 * libFuzzer target: the console's escaper (web/html.c), through which every
 * string from mail reaches a page. Properties checked on every input: the
 * output is valid UTF-8; it holds no < > " ' and no & that does not start
 * one of the references the escaper writes; no C0/C1 control, bidi or
 * invisible formatting character survives (each is a visible ⟨U+XXXX⟩);
 * it is linear (at most 16 bytes out per byte in); percent-encoding keeps
 * only unreserved characters.
 */
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/internal.h"

static void check_text(const GString *o, size_t in, bool lines)
{
	if (!g_utf8_validate(o->str, (gssize)o->len, NULL))
		abort();
	if (o->len > 16 * in + 8)
		abort();
	for (const char *p = o->str; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c == '<' || c == '>' || c == '"' || c == '\'')
			abort();
		if (c == '&' && strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) && strncmp(p, "&gt;", 4) &&
		    strncmp(p, "&quot;", 6) && strncmp(p, "&#39;", 5))
			abort();
		if (lines && (c == '\n' || c == '\t'))
			continue;
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f || c == 0x200b || c == 0xfeff)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	size_t n = strlen(s);
	GString *o = g_string_new("");
	pc_h(o, s);
	check_text(o, n, false);
	g_string_truncate(o, 0);
	pc_hn(o, s, size / 2 + 1);
	check_text(o, n, false);
	g_string_truncate(o, 0);
	pc_h_pre(o, s, 0);
	check_text(o, n, true);
	g_string_truncate(o, 0);
	pc_hu(o, s);
	for (size_t i = 0; i < o->len; i++) {
		char c = o->str[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~%", c)))
			abort();
	}
	g_string_free(o, TRUE);
	free(s);
	return 0;
}
