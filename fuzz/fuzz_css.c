/* CSS declaration and style sheet scanner. */
#include <stdint.h>

#include "parse/css.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_url(void *ctx, const char *u, size_t n, const char *how)
{
	size_t *count = ctx;
	if (n && u[0] == u[n - 1]) /* touch every byte the callback is given */
		(*count)++;
	(void)how;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pc_arena *a;
	if (!a)
		a = pc_arena_new(64u << 20);
	pc_arena_reset(a);
	size_t count = 0;
	pc_css_style st;
	pc_css_style_init(&st);
	pc_css_parse_style(a, (const char *)data, size, &st, on_url, &count);
	pc_css_scan_sheet(a, (const char *)data, size, on_url, &count);
	pc_css_length((const char *)data, size, true);
	return 0;
}
