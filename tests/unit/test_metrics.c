/*
 * Unit tests for app/metrics: the text exposition (HELP and TYPE lines,
 * samples, label values and HELP text escaped, bytes that are not UTF-8
 * replaced, numbers read back exactly), histograms (cumulative buckets,
 * a value on a bound counted in it, +Inf, _sum and _count), the ceiling,
 * definitions refused before anything is written, and updates from
 * several threads at once adding up.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/metrics.h"

static char *text_of(const pc_metric *const *m, size_t n)
{
	char *t = NULL;
	size_t len = 0;
	assert_int_equal(pc_metrics_text(m, n, 1 << 20, &t, &len), 0);
	assert_non_null(t);
	assert_int_equal(strlen(t), len);
	return t;
}

static void test_counter_gauge(void **state)
{
	(void)state;
	static const char *const verdicts[] = {"accept", "quarantine", "reject"};
	pc_metric msgs = {.name = "pc_test_messages_total",
	                  .help = "Messages answered.",
	                  .type = PC_COUNTER,
	                  .label = "verdict",
	                  .values = verdicts,
	                  .nvalues = 3};
	pc_metric workers = {.name = "pc_test_workers", .help = "Workers.", .type = PC_GAUGE};
	assert_int_equal(pc_metric_series(&msgs, "quarantine"), 1);
	assert_int_equal(pc_metric_series(&msgs, "neutralise"), (size_t)-1);
	assert_int_equal(pc_metric_series(&msgs, NULL), (size_t)-1);
	assert_int_equal(pc_metric_series(&workers, NULL), 0);
	assert_int_equal(pc_metric_inc(&msgs, 0, 3), 0);
	assert_int_equal(pc_metric_inc(&msgs, pc_metric_series(&msgs, "reject"), 1), 0);
	assert_int_equal(pc_metric_inc(&msgs, 3, 1), -1); /* no such series */
	assert_int_equal(pc_metric_inc(&msgs, (size_t)-1, 1), -1);
	assert_int_equal(pc_metric_add(&msgs, 0, 1), -1); /* a counter is not added to as a gauge */
	assert_int_equal(pc_metric_set(&workers, 0, 4), 0);
	assert_int_equal(pc_metric_add(&workers, 0, -1.5), 0);
	assert_int_equal(pc_metric_inc(&workers, 0, 1), -1);
	assert_int_equal(pc_metric_observe(&workers, 1), -1);
	const pc_metric *all[] = {&msgs, &workers};
	char *t = text_of(all, 2);
	assert_string_equal(t, "# HELP pc_test_messages_total Messages answered.\n"
	                       "# TYPE pc_test_messages_total counter\n"
	                       "pc_test_messages_total{verdict=\"accept\"} 3\n"
	                       "pc_test_messages_total{verdict=\"quarantine\"} 0\n"
	                       "pc_test_messages_total{verdict=\"reject\"} 1\n"
	                       "# HELP pc_test_workers Workers.\n"
	                       "# TYPE pc_test_workers gauge\n"
	                       "pc_test_workers 2.5\n");
	free(t);
	/* a counter kept elsewhere is set, never below zero */
	assert_int_equal(pc_metric_set(&msgs, 2, 41), 0);
	assert_int_equal(pc_metric_set(&msgs, 2, -1), -1);
	assert_int_equal(pc_metric_set(&msgs, 2, NAN), -1);
	const pc_metric *one[] = {&msgs};
	t = text_of(one, 1);
	assert_non_null(strstr(t, "pc_test_messages_total{verdict=\"reject\"} 41\n"));
	free(t);
}

static void test_escaping(void **state)
{
	(void)state;
	/* a backslash, a double quote, a line feed; a byte that is not UTF-8
	 * (0xff), a truncated sequence (0xc3 at the end), an overlong '/'
	 * (0xc0 0xaf), a surrogate (0xed 0xa0 0x80); "é" and "€" are kept */
	static const char *const v[] = {"a\\b",    "say \"hi\"", "two\nlines",   "bad\xff",
	                                "cut\xc3", "\xc0\xaf",   "\xed\xa0\x80", "caf\xc3\xa9 \xe2\x82\xac"};
	pc_metric m = {.name = "pc_test:odd_names_total",
	               .help = "Help with a \\ backslash,\na line feed and \"quotes\".",
	               .type = PC_COUNTER,
	               .label = "v",
	               .values = v,
	               .nvalues = 8};
	const pc_metric *all[] = {&m};
	char *t = text_of(all, 1);
	assert_string_equal(t, "# HELP pc_test:odd_names_total Help with a \\\\ backslash,\\na line feed and "
	                       "\"quotes\".\n"
	                       "# TYPE pc_test:odd_names_total counter\n"
	                       "pc_test:odd_names_total{v=\"a\\\\b\"} 0\n"
	                       "pc_test:odd_names_total{v=\"say \\\"hi\\\"\"} 0\n"
	                       "pc_test:odd_names_total{v=\"two\\nlines\"} 0\n"
	                       "pc_test:odd_names_total{v=\"bad\xef\xbf\xbd\"} 0\n"
	                       "pc_test:odd_names_total{v=\"cut\xef\xbf\xbd\"} 0\n"
	                       "pc_test:odd_names_total{v=\"\xef\xbf\xbd\xef\xbf\xbd\"} 0\n"
	                       "pc_test:odd_names_total{v=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"} 0\n"
	                       "pc_test:odd_names_total{v=\"caf\xc3\xa9 \xe2\x82\xac\"} 0\n");
	free(t);
}

static void test_numbers(void **state)
{
	(void)state;
	static const char *const v[] = {"a", "b", "c", "d", "e", "f", "g"};
	pc_metric g = {.name = "pc_test_g", .help = "g", .type = PC_GAUGE, .label = "k", .values = v, .nvalues = 7};
	pc_metric_set(&g, 0, 0.1);
	pc_metric_set(&g, 1, 1e300);
	pc_metric_set(&g, 2, -0.5);
	pc_metric_set(&g, 3, NAN);
	pc_metric_set(&g, 4, INFINITY);
	pc_metric_set(&g, 5, 1.0 / 3);
	pc_metric_set(&g, 6, -INFINITY);
	const pc_metric *all[] = {&g};
	char *t = text_of(all, 1);
	assert_non_null(strstr(t, "pc_test_g{k=\"a\"} 0.1\n"));
	assert_non_null(strstr(t, "pc_test_g{k=\"b\"} 1e+300\n"));
	assert_non_null(strstr(t, "pc_test_g{k=\"c\"} -0.5\n"));
	assert_non_null(strstr(t, "pc_test_g{k=\"d\"} NaN\n"));
	assert_non_null(strstr(t, "pc_test_g{k=\"e\"} +Inf\n"));
	assert_non_null(strstr(t, "pc_test_g{k=\"g\"} -Inf\n"));
	/* a third reads back as the same double */
	const char *p = strstr(t, "pc_test_g{k=\"f\"} ");
	assert_non_null(p);
	assert_true(strtod(p + strlen("pc_test_g{k=\"f\"} "), NULL) == 1.0 / 3);
	free(t);
}

static void test_histogram(void **state)
{
	(void)state;
	pc_metric h = {.name = "pc_test_seconds",
	               .help = "Latency.",
	               .type = PC_HISTOGRAM,
	               .bounds = pc_metric_latency_bounds,
	               .nbounds = PC_METRIC_LATENCY_NBOUNDS};
	assert_int_equal(pc_metric_observe(&h, 0.0005), 0); /* on the bound: in it (le) */
	assert_int_equal(pc_metric_observe(&h, 0.003), 0);
	assert_int_equal(pc_metric_observe(&h, 0.003), 0);
	assert_int_equal(pc_metric_observe(&h, 7), 0);
	assert_int_equal(pc_metric_observe(&h, 100), 0); /* above every bound: +Inf only */
	assert_int_equal(pc_metric_observe(&h, NAN), -1);
	assert_int_equal(pc_metric_inc(&h, 0, 1), -1);
	const pc_metric *all[] = {&h};
	char *t = text_of(all, 1);
	assert_string_equal(t, "# HELP pc_test_seconds Latency.\n"
	                       "# TYPE pc_test_seconds histogram\n"
	                       "pc_test_seconds_bucket{le=\"0.0005\"} 1\n"
	                       "pc_test_seconds_bucket{le=\"0.001\"} 1\n"
	                       "pc_test_seconds_bucket{le=\"0.002\"} 1\n"
	                       "pc_test_seconds_bucket{le=\"0.005\"} 3\n"
	                       "pc_test_seconds_bucket{le=\"0.01\"} 3\n"
	                       "pc_test_seconds_bucket{le=\"0.025\"} 3\n"
	                       "pc_test_seconds_bucket{le=\"0.05\"} 3\n"
	                       "pc_test_seconds_bucket{le=\"0.1\"} 3\n"
	                       "pc_test_seconds_bucket{le=\"0.25\"} 3\n"
	                       "pc_test_seconds_bucket{le=\"0.5\"} 3\n"
	                       "pc_test_seconds_bucket{le=\"1\"} 3\n"
	                       "pc_test_seconds_bucket{le=\"2.5\"} 3\n"
	                       "pc_test_seconds_bucket{le=\"5\"} 3\n"
	                       "pc_test_seconds_bucket{le=\"10\"} 4\n"
	                       "pc_test_seconds_bucket{le=\"+Inf\"} 5\n"
	                       "pc_test_seconds_sum 107.0065\n"
	                       "pc_test_seconds_count 5\n");
	free(t);
	/* no bounds at all: +Inf, _sum and _count */
	pc_metric e = {.name = "pc_test_empty", .help = "", .type = PC_HISTOGRAM};
	const pc_metric *ea[] = {&e};
	t = text_of(ea, 1);
	assert_string_equal(t, "# HELP pc_test_empty \n"
	                       "# TYPE pc_test_empty histogram\n"
	                       "pc_test_empty_bucket{le=\"+Inf\"} 0\n"
	                       "pc_test_empty_sum 0\n"
	                       "pc_test_empty_count 0\n");
	free(t);
}

static void test_ceiling(void **state)
{
	(void)state;
	static const char *const v[] = {"x"};
	pc_metric m = {
	    .name = "pc_test_total", .help = "h", .type = PC_COUNTER, .label = "l", .values = v, .nvalues = 1};
	const pc_metric *all[] = {&m};
	char *t = text_of(all, 1);
	size_t need = strlen(t);
	free(t);
	size_t len = 99;
	assert_int_equal(pc_metrics_text(all, 1, need, &t, &len), 0); /* exactly the ceiling */
	assert_int_equal(len, need);
	free(t);
	t = (char *)1;
	errno = 0;
	assert_int_equal(pc_metrics_text(all, 1, need - 1, &t, &len), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_null(t);
	assert_int_equal(len, 0);
	/* a large text past the buffer's first growth, cut by its ceiling */
	pc_metric big[40];
	const pc_metric *bp[40];
	char names[40][32];
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof names[i], "pc_test_h%d_seconds", i);
		memset(&big[i], 0, sizeof big[i]);
		big[i].name = names[i];
		big[i].help = "A histogram with the standard latency buckets, to fill the buffer.";
		big[i].type = PC_HISTOGRAM;
		big[i].bounds = pc_metric_latency_bounds;
		big[i].nbounds = PC_METRIC_LATENCY_NBOUNDS;
		bp[i] = &big[i];
	}
	assert_int_equal(pc_metrics_text(bp, 40, 1 << 20, &t, &len), 0);
	assert_true(len > 20000);
	size_t full = len;
	free(t);
	assert_int_equal(pc_metrics_text(bp, 40, full - 1, &t, &len), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(pc_metrics_text(bp, 40, 10000, &t, &len), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(pc_metrics_text(bp, 40, 0, &t, &len), -1);
	/* nothing to write is an empty text, not an error */
	assert_int_equal(pc_metrics_text(bp, 0, 0, &t, &len), 0);
	assert_string_equal(t, "");
	assert_int_equal(len, 0);
	free(t);
}

static void expect_refused(const pc_metric *m, const pc_metric *other)
{
	const pc_metric *all[] = {other, m};
	char *t = (char *)1;
	size_t len = 1;
	errno = 0;
	assert_int_equal(pc_metrics_text(all, 2, 1 << 20, &t, &len), -1);
	assert_int_equal(errno, EINVAL);
	assert_null(t);
}

static void test_refused(void **state)
{
	(void)state;
	static const char *const v2[] = {"a", "b"}, *const dup[] = {"a", "a"}, *const withnull[] = {"a", NULL};
	static const double up[] = {0.1, 1}, down[] = {1, 0.1}, same[] = {1, 1}, inf[] = {1, INFINITY};
	pc_metric ok = {.name = "pc_ok", .help = "h", .type = PC_GAUGE};
	pc_metric m;
#define REFUSED(...)                                                                                                   \
	do {                                                                                                           \
		m = (pc_metric){__VA_ARGS__};                                                                          \
		expect_refused(&m, &ok);                                                                               \
	} while (0)
	REFUSED(.name = "1starts_with_digit", .help = "h", .type = PC_GAUGE);
	REFUSED(.name = "has-dash", .help = "h", .type = PC_GAUGE);
	REFUSED(.name = "", .help = "h", .type = PC_GAUGE);
	REFUSED(.name = NULL, .help = "h", .type = PC_GAUGE);
	REFUSED(.name = "pc_no_help", .type = PC_GAUGE);
	REFUSED(.name = "pc_ok", .help = "the same name twice", .type = PC_COUNTER);
	REFUSED(.name = "pc_x", .help = "h", .type = (pc_metric_type)7);
	REFUSED(.name = "pc_x", .help = "h", .type = PC_GAUGE, .label = "a:b", .values = v2, .nvalues = 2);
	REFUSED(.name = "pc_x", .help = "h", .type = PC_GAUGE, .label = "__name__", .values = v2, .nvalues = 2);
	REFUSED(.name = "pc_x", .help = "h", .type = PC_GAUGE, .label = "le", .values = v2, .nvalues = 2);
	REFUSED(.name = "pc_x", .help = "h", .type = PC_GAUGE, .label = "k", .values = v2, .nvalues = 0);
	REFUSED(.name = "pc_x", .help = "h", .type = PC_GAUGE, .label = "k", .values = NULL, .nvalues = 2);
	REFUSED(.name = "pc_x", .help = "h", .type = PC_GAUGE, .label = "k", .values = dup, .nvalues = 2);
	REFUSED(.name = "pc_x", .help = "h", .type = PC_GAUGE, .label = "k", .values = withnull, .nvalues = 2);
	REFUSED(.name = "pc_x", .help = "h", .type = PC_GAUGE, .label = "k", .values = v2,
	        .nvalues = PC_METRIC_SERIES_MAX + 1);
	REFUSED(.name = "pc_x", .help = "h", .type = PC_HISTOGRAM, .label = "k", .values = v2, .nvalues = 2);
	REFUSED(.name = "pc_x", .help = "h", .type = PC_HISTOGRAM, .bounds = down, .nbounds = 2);
	REFUSED(.name = "pc_x", .help = "h", .type = PC_HISTOGRAM, .bounds = same, .nbounds = 2);
	REFUSED(.name = "pc_x", .help = "h", .type = PC_HISTOGRAM, .bounds = inf, .nbounds = 2);
	REFUSED(.name = "pc_x", .help = "h", .type = PC_HISTOGRAM, .bounds = NULL, .nbounds = 2);
	REFUSED(.name = "pc_x", .help = "h", .type = PC_HISTOGRAM, .bounds = up, .nbounds = PC_METRIC_BOUNDS_MAX + 1);
#undef REFUSED
	/* and the same shapes, correct, are written */
	pc_metric good[] = {
	    {.name = "pc_x:y_total", .help = "h", .type = PC_COUNTER, .label = "_k9", .values = v2, .nvalues = 2},
	    {.name = "pc_h", .help = "h", .type = PC_HISTOGRAM, .bounds = up, .nbounds = 2},
	};
	const pc_metric *all[] = {&ok, &good[0], &good[1]};
	char *t = text_of(all, 3);
	free(t);
	/* an update of a series a metric does not have is refused */
	pc_metric wide = {.name = "pc_w", .help = "h", .type = PC_COUNTER, .label = "k", .values = v2, .nvalues = 40};
	assert_int_equal(pc_metric_inc(&wide, PC_METRIC_SERIES_MAX, 1), -1);
	pc_metric manyb = {.name = "pc_b", .help = "h", .type = PC_HISTOGRAM, .bounds = up, .nbounds = 99};
	assert_int_equal(pc_metric_observe(&manyb, 1), -1);
}

#define THREADS 8
#define ROUNDS 20000

static pc_metric th_count = {.name = "pc_test_threads_total", .help = "h", .type = PC_COUNTER};
static pc_metric th_gauge = {.name = "pc_test_threads_gauge", .help = "h", .type = PC_GAUGE};
static const double th_bounds[] = {0.5, 1.5};
static pc_metric th_hist = {
    .name = "pc_test_threads_seconds", .help = "h", .type = PC_HISTOGRAM, .bounds = th_bounds, .nbounds = 2};

static void *hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pc_metric_inc(&th_count, 0, 1);
		pc_metric_add(&th_gauge, 0, 1.0);
		pc_metric_observe(&th_hist, (i & 1) ? 1.0 : 2.0);
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	const pc_metric *all[] = {&th_count, &th_gauge, &th_hist};
	char *text = text_of(all, 3);
	char want[256];
	snprintf(want, sizeof want, "pc_test_threads_total %d\n", THREADS * ROUNDS);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof want, "pc_test_threads_gauge %d\n", THREADS * ROUNDS);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof want,
	         "pc_test_threads_seconds_bucket{le=\"0.5\"} 0\n"
	         "pc_test_threads_seconds_bucket{le=\"1.5\"} %d\n"
	         "pc_test_threads_seconds_bucket{le=\"+Inf\"} %d\n"
	         "pc_test_threads_seconds_sum %d\n"
	         "pc_test_threads_seconds_count %d\n",
	         THREADS * ROUNDS / 2, THREADS * ROUNDS, THREADS * ROUNDS * 3 / 2, THREADS * ROUNDS);
	assert_non_null(strstr(text, want));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counter_gauge), cmocka_unit_test(test_escaping), cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_histogram),     cmocka_unit_test(test_ceiling),  cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
