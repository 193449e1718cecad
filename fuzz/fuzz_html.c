/* HTML extractor: bytes as one HTML part, in UTF-8 or a charset chosen by
 * the first byte. */
#include <stdint.h>
#include <string.h>

#include "extract/html.h"
#include "parse/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pc_config cfg;
	static pc_html *h;
	static pc_arena *a;
	static const char *const charsets[] = {NULL,        "utf-8",    "windows-1252", "koi8-r",
	                                       "shift_jis", "utf-16le", "bogus"};
	if (!h) {
		pc_config_defaults(&cfg);
		cfg.limits.urls = 500;
		pc_mime_global_init();
		h = pc_html_new();
		a = pc_arena_new(cfg.limits.arena);
	}
	pc_arena_reset(a);
	pc_msg m;
	memset(&m, 0, sizeof m);
	m.arena = a;
	m.config = &cfg;
	pc_part part;
	memset(&part, 0, sizeof part);
	part.path = "1";
	part.kind = PC_PART_HTML;
	pc_vec_push(a, &m.parts, &part);
	const char *cs = size ? charsets[data[0] % 7] : NULL;
	pc_html_extract(h, &m, 0, (const char *)data, size, cs);
	return 0;
}
