/*
 * NAME
 *   export - build a campaign's case and write it in one format (see export.h)
 */
#define _GNU_SOURCE
#include "evidence/export.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evidence/pdf.h"
#include "evidence/report.h"

/* Writes all of s to path (temporary name, fsync, rename) or stdout. */
static int write_out(const char *path, const char *s, size_t n, char *err, size_t errlen)
{
	if (!path) {
		if (fwrite(s, 1, n, stdout) != n || fflush(stdout) != 0) {
			snprintf(err, errlen, "standard output: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	char *tmp = g_strdup_printf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		g_free(tmp);
		return -1;
	}
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, s + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	int bad = off != n || fsync(fd) != 0;
	int e = errno;
	if (close(fd) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(bad ? e : errno));
		unlink(tmp);
		g_free(tmp);
		return -1;
	}
	g_free(tmp);
	return 0;
}

int pc_evidence_export(struct pc_store *st, long long campaign, const pc_export_opts *eo, char *err, size_t errlen)
{
	const char *f = eo->format ? eo->format : "";
	bool pdf = !strcmp(f, "pdf");
	if (strcmp(f, "stix") && strcmp(f, "misp") && strcmp(f, "html") && strcmp(f, "case") && !pdf) {
		snprintf(err, errlen, "unknown format \"%.32s\" (stix, misp, html, pdf, case)", f);
		return -2;
	}
	if (pdf && !eo->output) {
		snprintf(err, errlen, "pdf needs --output FILE");
		return -2;
	}
	json_t *c = pc_case_build(st, campaign, &eo->case_opts, err, errlen);
	if (!c)
		return -1;
	char *text = NULL;
	if (!strcmp(f, "stix"))
		text = pc_stix_bundle(c, err, errlen);
	else if (!strcmp(f, "misp"))
		text = pc_misp_event(c, err, errlen);
	else if (!strcmp(f, "case")) {
		text = json_dumps(c, JSON_INDENT(1) | JSON_ENSURE_ASCII);
		if (!text)
			snprintf(err, errlen, "out of memory");
	} else
		text = pc_report_html(c, err, errlen);
	json_decref(c);
	if (!text)
		return -1;
	int rc;
	if (pdf)
		rc = pc_report_pdf(text, strlen(text), eo->output, eo->chromium, err, errlen);
	else {
		size_t n = strlen(text);
		rc = write_out(eo->output, text, n, err, errlen);
		if (rc == 0 && !eo->output && n && text[n - 1] != '\n')
			fputc('\n', stdout);
	}
	free(text);
	return rc;
}
