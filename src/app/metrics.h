/*
 * NAME
 *   metrics - counters, gauges and histograms, written in Prometheus's text format
 * SYNOPSIS
 *   static const char *const verdicts[] = {"accept", "reject"};
 *   static pc_metric msgs = {.name = "portcullis_x_messages_total", .help = "Messages answered.",
 *                            .type = PC_COUNTER, .label = "verdict", .values = verdicts, .nvalues = 2};
 *   static const double secs[] = {0.001, 0.01, 0.1, 1};
 *   static pc_metric lat = {.name = "portcullis_x_seconds", .help = "Time to answer.",
 *                           .type = PC_HISTOGRAM, .bounds = secs, .nbounds = 4};
 *
 *   pc_metric_inc(&msgs, pc_metric_series(&msgs, "reject"), 1);   // from any thread
 *   pc_metric_observe(&lat, 0.004);
 *
 *   const pc_metric *all[] = {&msgs, &lat};
 *   char *text; size_t len;
 *   if (pc_metrics_text(all, 2, 1 << 20, &text, &len) == 0) { ... send text ...; free(text); }
 * DESCRIPTION
 *   A metric is a struct the caller defines (statically, on the stack or
 *   on the heap): its name, help text and type, and for counters and
 *   gauges at most one label with up to PC_METRIC_SERIES_MAX values, one
 *   series per value (no label: one series, number 0). A histogram has
 *   no label and fixed upper bounds, ascending and finite, at most
 *   PC_METRIC_BOUNDS_MAX of them; +Inf is added when it is written. The
 *   state behind them starts at zero (a zero-initialised struct) and the
 *   update functions are C11 atomics: safe from any number of threads
 *   without a lock; a reader sees every update made before it started
 *   and possibly some made while it writes. A histogram's _count is the
 *   sum of the buckets it writes, so the two always agree.
 *
 *   pc_metric_inc adds to a counter; pc_metric_set sets a gauge (or a
 *   counter whose value is kept elsewhere: it must not go down while
 *   the process lives); pc_metric_add adds to a gauge. Each takes the
 *   series (pc_metric_series finds the one of a label value) and returns
 *   0, or -1 when the series does not exist or the type is not the
 *   function's (nothing changes). pc_metric_observe puts a value into a
 *   histogram: -1 for NaN or a metric that is not a histogram. Counters
 *   count whole events (a 64-bit integer); gauges and histogram sums are
 *   doubles.
 *
 *   pc_metrics_text writes the metrics in the text exposition format
 *   (version 0.0.4): per metric "# HELP", "# TYPE", then its samples;
 *   a histogram's buckets are cumulative and end with le="+Inf", then
 *   _sum and _count. In HELP text a backslash and a line feed are
 *   escaped, in label values also a double quote; a byte that is not
 *   UTF-8 becomes U+FFFD. The text (NUL-terminated, *len without the
 *   NUL) goes into *out, malloc'd, never more than `max` bytes. 0, or
 *   -1 with errno: EINVAL for a metric that cannot be written (a name or
 *   label name outside the format's grammar, no help, a label named "le"
 *   or starting "__", no label values or more than PC_METRIC_SERIES_MAX,
 *   the same label value or metric name twice, a labelled histogram,
 *   bounds not ascending or not finite), EMSGSIZE over `max`, ENOMEM;
 *   *out is then NULL. The milter writes its counters with it
 *   (milter/exporter.c); it is meant for the web console's store-level
 *   gauges too (campaigns, quarantine size), built at each scrape.
 */
#ifndef PC_APP_METRICS_H
#define PC_APP_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define PC_METRIC_SERIES_MAX 16
#define PC_METRIC_BOUNDS_MAX 24

typedef enum { PC_COUNTER, PC_GAUGE, PC_HISTOGRAM } pc_metric_type;

typedef struct pc_metric {
	const char *name; /* [a-zA-Z_:][a-zA-Z0-9_:]* */
	const char *help;
	pc_metric_type type;
	const char *label;         /* its name, [a-zA-Z_][a-zA-Z0-9_]*; NULL: no label */
	const char *const *values; /* nvalues label values, series 0 .. nvalues-1 */
	size_t nvalues;
	const double *bounds; /* a histogram's upper bounds */
	size_t nbounds;
	/* the state: zero to start, changed only by the functions below */
	_Atomic uint64_t v[PC_METRIC_SERIES_MAX];          /* counter: the count; gauge: the double's bits */
	_Atomic uint64_t bucket[PC_METRIC_BOUNDS_MAX + 1]; /* histogram: observations per bucket (not
	                                                    * cumulative), the last one above every bound */
	_Atomic uint64_t sum;                              /* histogram: the double's bits */
} pc_metric;

/* The series of a label value; (size_t)-1 when the metric has no such value. */
size_t pc_metric_series(const pc_metric *m, const char *value);
int pc_metric_inc(pc_metric *m, size_t series, uint64_t n);
int pc_metric_set(pc_metric *m, size_t series, double v);
int pc_metric_add(pc_metric *m, size_t series, double d);
int pc_metric_observe(pc_metric *m, double v);

/* The standard latency buckets, in seconds: 0.0005 .. 10. */
#define PC_METRIC_LATENCY_NBOUNDS 14
extern const double pc_metric_latency_bounds[PC_METRIC_LATENCY_NBOUNDS];

int pc_metrics_text(const pc_metric *const *m, size_t n, size_t max, char **out, size_t *len);

#endif
