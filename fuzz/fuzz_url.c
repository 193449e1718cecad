/* URL splitter, resolver, percent-decoder and canonical form (a fixed
 * point: canonical(canonical(x)) == canonical(x)). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pc_arena *a;
	if (!a)
		a = pc_arena_new(64u << 20);
	pc_arena_reset(a);
	const char *s = (const char *)data;
	pc_url *u = pc_url_parse(a, s, size);
	if (u && u->raw) {
		pc_url_is_remote(u);
		const char *c = pc_url_canonical(a, u);
		if (c) {
			const char *c2 = pc_url_canonical_str(a, c, strlen(c));
			/* NULL only when the arena is full (64 MB: never here) */
			if (!c2 || strcmp(c, c2))
				abort();
		}
		pc_url_resolve(a, "http://base.example/dir/page.html?q#f", u->raw);
		const char *nul = memchr(s, '\n', size);
		if (nul) { /* "base\nref" */
			char *base = pc_arena_strndup(a, s, (size_t)(nul - s));
			char *ref = pc_arena_strndup(a, nul + 1, size - (size_t)(nul - s) - 1);
			if (base && ref)
				pc_url_resolve(a, base, ref);
		}
	}
	pc_url_pct_decode(a, s, size);
	return 0;
}
