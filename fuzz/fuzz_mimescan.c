/* The MIME pre-scan (src/parse/mimescan.c) against GMime itself. The first
 * input byte picks small limits; then:
 *  - GMime, given the bytes before the cut, builds no more parts and no
 *    deeper nesting than the limits allow (where GMime's 4 kB read buffer
 *    splits a line it takes a boundary the model does not: the model stops
 *    at every line where that could happen, so no slack is allowed);
 *  - with no limit in reach, the model counts exactly what GMime builds
 *    (inputs under 4 kB, where that quirk cannot happen), unless it
 *    stopped on purpose at an ambiguous line (a boundary at a line's end,
 *    a field name GMime cannot read). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/unit/gmime_tree.h"
#include "core/config.h"
#include "parse/mimescan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		g_mime_init();
		init = 1;
	}
	if (size < 1)
		return 0;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	pc_config c;
	pc_config_defaults(&c);
	pc_limits l = c.limits;
	l.parts = 1 + (data[0] & 7);
	l.nesting_depth = (size_t)(data[0] >> 3 & 3);
	l.headers = 4 + (data[0] >> 5);
	l.header_size = 200;
	l.params = 3;
	pc_mimescan ms;
	pc_mimescan_run(s, n, &l, &ms);
	if (ms.cut > n)
		abort();
	gmime_tree t = gmime_tree_of(s, ms.cut);
	if (t.parts > l.parts || (t.parts && t.depth > l.nesting_depth)) {
		fprintf(stderr, "cut %zu (%s): GMime built %zu parts, depth %zu; limits %zu, %zu\n", ms.cut,
		        ms.limit ? ms.limit : "none", t.parts, t.depth, l.parts, l.nesting_depth);
		abort();
	}
	if (n < 4096) {
		pc_limits big = c.limits;
		big.parts = big.headers = big.params = big.header_size = (size_t)1 << 40;
		big.nesting_depth = 1000;
		pc_mimescan_run(s, n, &big, &ms);
		if (ms.limit && (!strcmp(ms.limit, "boundary") || !strcmp(ms.limit, "field_name")))
			return 0; /* ambiguous input, stopped on purpose: nothing to compare */
		t = gmime_tree_of(s, n);
		if (ms.limit || ms.not_mail != !t.ok || (t.ok && (ms.parts != t.parts || ms.depth != t.depth))) {
			fprintf(stderr, "model %zu parts depth %zu%s, GMime %zu parts depth %zu%s\n", ms.parts,
			        ms.depth, ms.not_mail ? " (not mail)" : "", t.parts, t.depth,
			        t.ok ? "" : " (no message)");
			abort();
		}
	}
	return 0;
}
