/*
 * Unit tests for cli/jsonw: structure, commas, escaping, numbers, and a
 * round trip through jansson's parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "app/jsonw.h"

static const char *text(pc_jsonw *w)
{
	/* NUL-terminate a copy for comparisons */
	static char buf[4096];
	assert_true(w->len < sizeof buf);
	memcpy(buf, w->buf, w->len);
	buf[w->len] = '\0';
	return buf;
}

static void test_nesting_and_commas(void **state)
{
	(void)state;
	pc_jsonw w;
	pc_jsonw_init(&w);
	pc_jsonw_obj(&w);
	pc_jsonw_key(&w, "a");
	pc_jsonw_int(&w, 1);
	pc_jsonw_key(&w, "b");
	pc_jsonw_arr(&w);
	pc_jsonw_str(&w, "x");
	pc_jsonw_null(&w);
	pc_jsonw_bool(&w, true);
	pc_jsonw_obj(&w);
	pc_jsonw_end(&w);
	pc_jsonw_arr(&w);
	pc_jsonw_end(&w);
	pc_jsonw_end(&w);
	pc_jsonw_key(&w, "c");
	pc_jsonw_str(&w, NULL);
	pc_jsonw_end(&w);
	assert_false(w.err);
	assert_int_equal(w.depth, 0);
	assert_string_equal(text(&w), "{\"a\":1,\"b\":[\"x\",null,true,{},[]],\"c\":null}");
	/* reset reuses the buffer */
	pc_jsonw_reset(&w);
	pc_jsonw_arr(&w);
	pc_jsonw_end(&w);
	assert_string_equal(text(&w), "[]");
	pc_jsonw_free(&w);
}

static void test_escaping(void **state)
{
	(void)state;
	pc_jsonw w;
	pc_jsonw_init(&w);
	pc_jsonw_arr(&w);
	pc_jsonw_str(&w, "q\"b\\s/\n\r\t\x01\x1f\x7f é €");
	pc_jsonw_end(&w);
	assert_string_equal(text(&w), "[\"q\\\"b\\\\s/\\n\\r\\t\\u0001\\u001f\x7f é €\"]");
	json_error_t e;
	json_t *v = json_loadb(w.buf, w.len, 0, &e);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "q\"b\\s/\n\r\t\x01\x1f\x7f é €");
	json_decref(v);
	pc_jsonw_free(&w);
}

static void test_numbers(void **state)
{
	(void)state;
	pc_jsonw w;
	pc_jsonw_init(&w);
	pc_jsonw_arr(&w);
	pc_jsonw_real(&w, 0.0);
	pc_jsonw_real(&w, 4.5);
	pc_jsonw_real(&w, -2.0);
	pc_jsonw_real(&w, 1.0 / 0.0);
	pc_jsonw_int(&w, -9223372036854775807LL - 1);
	pc_jsonw_end(&w);
	assert_string_equal(text(&w), "[0.0,4.5,-2.0,null,-9223372036854775808]");
	pc_jsonw_free(&w);
}

static void test_errors_are_sticky(void **state)
{
	(void)state;
	pc_jsonw w;
	pc_jsonw_init(&w);
	pc_jsonw_end(&w); /* nothing open */
	assert_true(w.err);
	pc_jsonw_free(&w);
	pc_jsonw_init(&w);
	for (int i = 0; i < PC_JSONW_DEPTH + 2; i++)
		pc_jsonw_arr(&w);
	assert_true(w.err);
	pc_jsonw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nesting_and_commas),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_errors_are_sticky),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
