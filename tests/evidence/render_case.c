/*
 * NAME
 *   render_case - a case file rendered by evidence/report and evidence/pdf (tests only)
 * SYNOPSIS
 *   render_case CASE.json OUT.html [--pdf OUT.pdf] [--chromium PATH] [--repeat N]
 * DESCRIPTION
 *   Reads a case file (evidence/case.h), writes pc_report_html's document
 *   to OUT.html and, with --pdf, prints it with pc_report_pdf. --repeat
 *   renders N times (the last one is written) and reports the mean time
 *   per render on stderr with the size. Exit 0, 1 on any failure. Not
 *   part of portcullis: the report_render test drives it.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evidence/pdf.h"
#include "evidence/report.h"

int main(int argc, char **argv)
{
	const char *pdf = NULL, *chromium = NULL;
	long repeat = 1;
	if (argc < 3) {
		fprintf(stderr,
		        "usage: render_case CASE.json OUT.html [--pdf OUT.pdf] [--chromium PATH] [--repeat N]\n");
		return 1;
	}
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--pdf") && i + 1 < argc)
			pdf = argv[++i];
		else if (!strcmp(argv[i], "--chromium") && i + 1 < argc)
			chromium = argv[++i];
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "render_case: unknown argument %s\n", argv[i]);
			return 1;
		}
	}
	if (repeat < 1)
		repeat = 1;
	json_error_t je;
	json_t *c = json_load_file(argv[1], JSON_ALLOW_NUL, &je);
	if (!c) {
		fprintf(stderr, "render_case: %s:%d: %s\n", argv[1], je.line, je.text);
		return 1;
	}
	char err[256];
	char *html = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < repeat; i++) {
		free(html);
		html = pc_report_html(c, err, sizeof err);
		if (!html) {
			fprintf(stderr, "render_case: %s\n", err);
			json_decref(c);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	json_decref(c);
	size_t n = strlen(html);
	double ms = ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) / (double)repeat;
	fprintf(stderr, "render_case: %zu bytes, %.3f ms per render (%ld)\n", n, ms, repeat);
	FILE *f = fopen(argv[2], "wb");
	if (!f || fwrite(html, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "render_case: cannot write %s\n", argv[2]);
		free(html);
		return 1;
	}
	int rc = 0;
	if (pdf) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = pc_report_pdf(html, n, pdf, chromium, err, sizeof err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rc != 0)
			fprintf(stderr, "render_case: %s\n", err);
		else
			fprintf(stderr, "render_case: PDF in %.0f ms\n",
			        (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	}
	free(html);
	return rc ? 1 : 0;
}
