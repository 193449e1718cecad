/*
 * NAME
 *   export - a campaign as evidence others can use: STIX 2.1, MISP, HTML, PDF
 * SYNOPSIS
 *   pc_export_opts eo = {.format = "stix", .output = "c7.json",
 *                        .case_opts = {.recipients = PC_CASE_RCPT_HASHED}};
 *   if (pc_evidence_export(store, 7, &eo, err, sizeof err) != 0) ... err ...
 *
 *   char *s = pc_stix_bundle(case_, err, sizeof err);   free()
 *   char *m = pc_misp_event(case_, err, sizeof err);    free()
 * DESCRIPTION
 *   pc_evidence_export builds the case file (evidence/case.h) once and
 *   renders it: "stix" a STIX 2.1 bundle (evidence/stix.c), "misp" a MISP
 *   event (evidence/misp.c), "html" the self-contained report
 *   (evidence/report.h), "pdf" that report printed by headless Chromium
 *   (evidence/pdf.h; needs an output file). "case" writes the case file
 *   itself. The output file is written whole to a temporary name beside
 *   it (0600), fsync'd and renamed into place; NULL output is standard
 *   output. Returns 0, -1 with err (the store, memory, Chromium, a write),
 *   or -2 for a usage problem (unknown format, pdf without output).
 */
#ifndef PC_EVIDENCE_EXPORT_H
#define PC_EVIDENCE_EXPORT_H

#include <jansson.h>
#include <stddef.h>

#include "evidence/case.h"

typedef struct pc_export_opts {
	const char *format; /* stix, misp, html, pdf, case */
	const char *output; /* NULL: standard output */
	pc_case_opts case_opts;
	const char *quarantine_dir; /* "" or NULL: none */
	const char *chromium;       /* NULL: search PATH */
} pc_export_opts;

int pc_evidence_export(struct pc_store *st, long long campaign, const pc_export_opts *eo, char *err, size_t errlen);

char *pc_stix_bundle(const json_t *case_, char *err, size_t errlen);
char *pc_misp_event(const json_t *case_, char *err, size_t errlen);

#endif
