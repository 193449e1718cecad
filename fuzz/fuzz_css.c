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

static void on_rule(void *ctx, const char *sel, size_t n, const pc_css_style *st)
{
	size_t *count = ctx;
	if (n && sel[0] == sel[n - 1] && (!st || st->display_none >= -1))
		(*count)++;
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
	pc_css_sheet_rules(a, (const char *)data, size, 4096, on_rule, on_rule, &count);
	return 0;
}
