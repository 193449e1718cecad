/* CSS declaration and style sheet scanner, the rule reader and the
 * @media evaluator (css_sheet.c). */
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

static void on_rule(void *ctx, const char *sel, size_t n, const char *decl, size_t dn, unsigned media)
{
	size_t *count = ctx;
	if (n && sel[0] == sel[n - 1] && (!dn || decl[0] == decl[dn - 1]) && media <= PC_CSS_MEDIA_ALL)
		(*count)++;
	if (media > PC_CSS_MEDIA_ALL)
		__builtin_trap();
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
	pc_css_sheet_each((const char *)data, size, 4096, on_rule, &count);
	if (pc_css_media((const char *)data, size) > PC_CSS_MEDIA_ALL)
		__builtin_trap();
	pc_css_style m = st; /* merging a style into itself changes nothing */
	pc_css_merge(&m, &st, st.set);
	pc_css_settle(&m);
	pc_css_settle(&st);
	if (pc_css_hides(&m) != pc_css_hides(&st))
		__builtin_trap();
	return 0;
}
