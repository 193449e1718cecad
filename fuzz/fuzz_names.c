/* Display-name normaliser and similarity, domain normaliser, lookalike
 * comparison and the domain-in-a-name finder. Input: "A\nB": A is a name
 * and a host, B a second name and host (or the protected domain). */
#include <stdint.h>
#include <string.h>

#include "detect/lib/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pc_arena *a;
	static pc_names *st;
	if (!a)
		a = pc_arena_new(64u << 20);
	if (!st)
		st = pc_names_new();
	if (!a || !st)
		return 0;
	pc_arena_reset(a);
	const char *s = (const char *)data;
	const char *nl = memchr(s, '\n', size);
	size_t n1 = nl ? (size_t)(nl - s) : size;
	const char *s2 = nl ? nl + 1 : "bbc.co.uk";
	size_t n2 = nl ? size - n1 - 1 : strlen(s2);
	const char *x = pc_names_display(st, a, s, n1);
	const char *y = pc_names_display(st, a, s2, n2);
	if (x && y) {
		double sim = pc_names_similarity(x, y);
		if (sim < 0 || sim > 1)
			__builtin_trap();
	}
	char *z = pc_arena_strndup(a, s, n1); /* C string view for the finder */
	if (z)
		pc_domain_find(a, z);
	pc_domain d1, d2;
	if (pc_names_domain(st, a, s, n1, &d1) == 0 && pc_names_domain(st, a, s2, n2, &d2) == 0) {
		for (unsigned k = 0; k <= 2; k++) {
			pc_names_lookalike(&d1, &d2, k);
			pc_names_lookalike(&d2, &d1, k);
		}
		if (pc_names_lookalike(&d1, &d1, 2)) /* never a lookalike of itself */
			__builtin_trap();
		pc_names_distance(d1.ulabel, d2.ulabel, 2);
	}
	return 0;
}
