/* The console's pieces (web/) on any input: the bytes as an HTML body
 * (in UTF-8 or a charset chosen by the first byte) through
 * pc_sanitize_html, and as a message through pc_msgview_json. Every
 * fragment must have the properties of tests/unit/sanitize_props.h (no
 * script, handler, URL attribute or url(), and it parses back to the
 * elements it spells) and must not have needed the text-only fallback
 * (which would be a bug of the writer); every view must serialise. A
 * violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/unit/sanitize_props.h"
#include "parse/mime.h"
#include "web/msgview.h"
#include "web/sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static myhtml_tree_t *tree;

static void check(const char *frag, size_t n, const char *what)
{
	const char *why = sanitize_props(tree, frag, n);
	if (why) {
		fprintf(stderr, "%s: %s\n%.4000s\n", what, why, frag);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pc_sanitize *s;
	static pc_msgview *v;
	static const char *const charsets[] = {NULL, "utf-8", "windows-1252", "shift_jis", "utf-16le", "bogus"};
	if (!s) {
		pc_mime_global_init();
		s = pc_sanitize_new();
		v = pc_msgview_new(NULL);
		myhtml_t *mh = myhtml_create();
		myhtml_init(mh, MyHTML_OPTIONS_PARSE_MODE_SINGLE, 1, 0);
		tree = myhtml_tree_create();
		myhtml_tree_init(tree, mh);
	}
	const char *cs = size ? charsets[data[0] % 6] : NULL;
	pc_sanitize_stats st;
	size_t n = 0;
	char *out = pc_sanitize_html(s, (const char *)data, size, cs, &n, &st);
	if (out) {
		if (strlen(out) != n || n > PC_SANITIZE_OUT_MAX) {
			fprintf(stderr, "length %zu, strlen %zu\n", n, strlen(out));
			abort();
		}
		if (st.fallback) {
			fprintf(stderr, "the writer's fragment did not read back as written\n");
			abort();
		}
		check(out, n, "sanitize");
		free(out);
	}
	json_t *o = pc_msgview_json(v, (const char *)data, size);
	if (o) {
		char *dump = json_dumps(o, 0);
		if (!dump) {
			fprintf(stderr, "the view does not serialise\n");
			abort();
		}
		free(dump);
		json_t *h = json_object_get(o, "html");
		if (json_is_string(h))
			check(json_string_value(h), json_string_length(h), "msgview");
		json_t *hs = json_object_get(o, "html_stats");
		if (json_is_true(json_object_get(hs, "fallback"))) {
			fprintf(stderr, "msgview: the fragment needed the fallback\n");
			abort();
		}
		json_decref(o);
	}
	return 0;
}
