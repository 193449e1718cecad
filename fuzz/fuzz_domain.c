/* Addresses and domain names (parse/domain.h): the domain of an address,
 * domain keys and IDNA, pc_domain, "at or under", the domain-in-a-name
 * finder. Input: "A\nB": A an address, host or display name, B a second
 * host (or bbc.co.uk). */
#include <stdint.h>
#include <string.h>

#include "parse/domain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pc_arena *a;
	if (!a)
		a = pc_arena_new(16u << 20);
	if (!a)
		return 0;
	pc_arena_reset(a);
	const char *s = (const char *)data;
	const char *nl = memchr(s, '\n', size);
	size_t n1 = nl ? (size_t)(nl - s) : size;
	const char *s2 = nl ? nl + 1 : "bbc.co.uk";
	size_t n2 = nl ? size - n1 - 1 : strlen(s2);
	char *z = pc_arena_strndup(a, s, n1); /* C string views */
	char *z2 = pc_arena_strndup(a, s2, n2);
	if (!z || !z2)
		return 0;
	const char *dom = pc_addr_domain(z);
	if (dom && (dom <= z || dom[-1] != '@' || strchr(dom, '@')))
		__builtin_trap();
	char key[PC_DOMAIN_KEY_CAP], again[PC_DOMAIN_KEY_CAP];
	int k = pc_domain_key(z, strlen(z), key, sizeof key);
	if (k >= 0) {
		if ((size_t)k != strlen(key) || (k && key[k - 1] == '.'))
			__builtin_trap();
		/* a key is its own key */
		int k2 = pc_domain_key(key, (size_t)k, again, sizeof again);
		if (k2 != k || strcmp(key, again))
			__builtin_trap();
		if (k && !pc_domain_at_or_under(key, key))
			__builtin_trap();
		const char *r = pc_domain_registrable(key);
		if (r && !pc_domain_at_or_under(key, r))
			__builtin_trap();
		pc_domain_is_public_suffix(key);
		pc_domain_is_listed_suffix(key);
	}
	char out[PC_DOMAIN_KEY_CAP];
	if (pc_idna_ascii(z, out, sizeof out) >= 0)
		pc_idna_unicode(a, out);
	pc_domain_find(a, z);
	pc_domain d1, d2;
	if (pc_domain_parse(a, s, n1, &d1) == 0) {
		if (!pc_domain_same_site(&d1, &d1))
			__builtin_trap();
		if (pc_domain_parse(a, s2, n2, &d2) == 0) {
			pc_domain_same_site(&d1, &d2);
			pc_domain_same_site(&d2, &d1);
		}
	}
	pc_domain_at_or_under(z, z2);
	return 0;
}
