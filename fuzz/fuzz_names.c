/* Display-name normaliser and similarity, the name as shown (bidi,
 * invisible characters) and its parts at connecting words, domain
 * normaliser, lookalike comparison and the domain-in-a-name finder.
 * Input: "A\nB": A is a name and a host, B a second name and host (or the
 * protected domain). Checked: the shown name holds no bidi control, and
 * normalising it gives the same as normalising the name (the bidi step is
 * done once, never undone). */
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
	pc_names_bidi bi;
	const char *shown = pc_names_shown(st, a, s, n1, &bi);
	if (shown) {
		for (const unsigned char *p = (const unsigned char *)shown; *p; p++)
			if ((p[0] == 0xe2 && p[1] == 0x80 &&
			     ((p[2] >= 0x8e && p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae))) ||
			    (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) ||
			    (p[0] == 0xd8 && p[1] == 0x9c))
				__builtin_trap();
		if (bi.reordered && !bi.ncontrols)
			__builtin_trap();
		const char *ns = pc_names_display_shown(st, a, shown, strlen(shown));
		if (x && ns && !memchr(s, 0, n1) && strlen(shown) <= PC_NAMES_MAX_IN && strcmp(x, ns))
			__builtin_trap();
		const char *part[PC_NAMES_MAX_PARTS], *form[PC_NAMES_MAX_PARTS];
		size_t np = ns ? pc_names_parts(st, a, ns, part, form, PC_NAMES_MAX_PARTS) : 0;
		for (size_t i = 0; i < np; i++)
			if (!part[i] || !form[i] || !*part[i] || pc_names_similarity(part[i], ns) > 1)
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
