/*
 * NAME
 *   textlinks - auto-linking scan of plain text (see textlinks.h)
 * DESCRIPTION
 *   Hand-written: a single memchr-driven pass; GLib's GRegex (PCRE) over
 *   every text part costs several times more for the same result.
 */
#include "extract/textlinks.h"

#include <ctype.h>
#include <string.h>

#include "parse/url.h"

static bool starts_ci(const char *s, size_t n, const char *w)
{
	size_t l = strlen(w);
	if (n < l)
		return false;
	return strncasecmp(s, w, l) == 0;
}

static bool url_char(unsigned char c)
{
	return c > 0x20 && c != 0x7f && c != '<' && c != '>' && c != '"' && c != '`';
}

void pc_textlinks_extract(pc_msg *m, size_t part, const char *t, size_t n)
{
	size_t i = 0;
	while (i < n) {
		/* candidates start with h, H, f, F, w or W */
		size_t start = i;
		size_t skip = 0;
		unsigned char c = (unsigned char)t[i];
		if ((c == 'h' || c == 'H') &&
		    (starts_ci(t + i, n - i, "http://") || starts_ci(t + i, n - i, "https://")))
			skip = starts_ci(t + i, n - i, "https://") ? 8 : 7;
		else if ((c == 'f' || c == 'F') && starts_ci(t + i, n - i, "ftp://"))
			skip = 6;
		else if ((c == 'w' || c == 'W') && starts_ci(t + i, n - i, "www.") &&
		         (i == 0 || !isalnum((unsigned char)t[i - 1])))
			skip = 4;
		if (!skip || (i > 0 && isalpha((unsigned char)t[i - 1]) && skip != 4)) {
			i++;
			continue;
		}
		size_t j = i + skip;
		while (j < n && url_char((unsigned char)t[j]))
			j++;
		/* trailing punctuation and unbalanced closers are not the URL's;
		 * the balances are counted once and kept as the end moves back
		 * (a count per closer made "http://x/)))...)" quadratic) */
		size_t end = j;
		long paren = 0, bracket = 0; /* opened minus closed in [start, end) */
		for (size_t k = start; k < end; k++) {
			paren += t[k] == '(' ? 1 : t[k] == ')' ? -1 : 0;
			bracket += t[k] == '[' ? 1 : t[k] == ']' ? -1 : 0;
		}
		for (;;) {
			if (end <= start + skip)
				break;
			char last = t[end - 1];
			if (strchr(".,;:!?'*", last)) {
				end--;
				continue;
			}
			if ((last == ')' && paren < 0) || (last == ']' && bracket < 0)) {
				end--;
				if (last == ')')
					paren++;
				else
					bracket++;
				continue;
			}
			break;
		}
		if (end > start + skip) {
			if (pc_arena_full(m->arena)) { /* see html.c: write the finding while it can be */
				pc_msg_limit(m, "arena", m->config->limits.arena, "parse results were cut short");
				return;
			}
			if (!pc_msg_url_budget(m))
				return;
			pc_link *lk = pc_arena_calloc(m->arena, 1, sizeof *lk);
			if (!lk)
				return;
			if (skip == 4) { /* www.example.com: a client links it as http:// (split once) */
				const char *raw = pc_arena_utf8(m->arena, t + start, end - start);
				char *full = raw ? pc_arena_printf(m->arena, "http://%s", raw) : NULL;
				lk->url = full ? pc_url_parse(m->arena, full, strlen(full)) : NULL;
				if (lk->url)
					lk->url->raw = raw;
			} else
				lk->url = pc_url_parse(m->arena, t + start, end - start);
			if (!lk->url)
				return;
			/* the URL's bytes in the text, for the rewriter */
			lk->span = (pc_span){.begin = start, .len = end - start, .ok = true};
			lk->text = lk->url->raw;
			lk->tag = "text";
			lk->part = part;
			pc_vec_push(m->arena, &m->links, lk);
		}
		i = j > i ? j : i + 1;
	}
}
